/*
 * test_http.c - the bounded HTTP/1.1 parser and writer (probe/http_min.c)
 * for WHIP: RFC 9112 framing by Content-Length, the refusals that stop
 * request smuggling (RFC 9112 §2.2, §5.1, §5.2, §6.1; RFC 9110 §8.6), the
 * caps, and writer/parser round trips. fixtures/http holds the samples
 * (also the fuzz seeds): valid_* and edge_* parse, malform_* are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_min.h"
#include "np_err.h"

static const char post[] =
	"POST /whip/ep?room=1 HTTP/1.1\r\n"
	"Host: 127.0.0.1:8080\r\n"
	"Content-Type: Application/SDP ; charset=utf-8\r\n"
	"Content-Length:   10  \r\n"
	"X-Empty:\r\n"
	"\r\n"
	"v=0\r\ns=-\r\nGET / HTTP/1.1\r\n\r\n"; /* a pipelined request follows */

static void test_post_request_fields_and_body(void **state)
{
	struct http_request q;
	char why[200] = "";
	const struct http_header *h;

	assert_int_equal(http_parse_request(post, strlen(post), &q, why,
					    sizeof(why)), 0);
	assert_string_equal(q.method, "POST");
	assert_string_equal(q.target, "/whip/ep?room=1");
	assert_int_equal(q.f.version_minor, 1);
	assert_string_equal(q.f.content_type, "application/sdp");
	assert_int_equal(q.f.has_content_length, 1);
	assert_int_equal(q.f.body_len, 10);
	assert_memory_equal(q.f.body, "v=0\r\ns=-\r\n", 10);
	/* Only this request is used, not the one after it. */
	assert_int_equal(q.f.total, strlen(post) - strlen("GET / HTTP/1.1\r\n\r\n"));
	assert_int_equal(q.f.nheaders, 4);
	h = http_find(&q.f, "x-EMPTY");
	assert_non_null(h);
	assert_int_equal(h->value_len, 0);
	h = http_find(&q.f, "content-length");
	assert_non_null(h);
	assert_int_equal(h->value_len, 2); /* trimmed */
	assert_null(http_find(&q.f, "Location"));
}

static void test_every_prefix_is_incomplete_not_malformed(void **state)
{
	struct http_request q;
	struct http_response r;
	char why[200];
	static const char resp[] =
		"HTTP/1.1 201 Created\r\nLocation: /whip/1\r\n"
		"Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";
	size_t total = strlen(post) - strlen("GET / HTTP/1.1\r\n\r\n"), n;

	for (n = 0; n < total; n++)
		if (http_parse_request(post, n, &q, why, sizeof(why)) !=
		    NP_ETRUNCATED)
			fail_msg("request prefix of %zu bytes: not NP_ETRUNCATED",
				 n);
	for (n = 0; n < strlen(resp); n++)
		if (http_parse_response(resp, n, 0, &r, why, sizeof(why)) !=
		    NP_ETRUNCATED)
			fail_msg("response prefix of %zu bytes: not NP_ETRUNCATED",
				 n);
	assert_int_equal(http_parse_response(resp, strlen(resp), 0, &r, why,
					     sizeof(why)), 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.reason, "Created");
	assert_string_equal(r.f.location, "/whip/1");
	assert_int_equal(r.f.body_len, 4);
}

static void test_response_without_length_ends_at_close(void **state)
{
	static const char resp[] =
		"HTTP/1.0 200 OK\r\nConnection: keep-alive, Close\r\n\r\nbody";
	struct http_response r;
	char why[200];

	assert_int_equal(http_parse_response(resp, strlen(resp), 0, &r, why,
					     sizeof(why)), NP_ETRUNCATED);
	assert_int_equal(http_parse_response(resp, strlen(resp), 1, &r, why,
					     sizeof(why)), 0);
	assert_int_equal(r.f.version_minor, 0);
	assert_int_equal(r.f.conn_close, 1);
	assert_int_equal(r.f.body_len, 4);
}

static void test_204_and_1xx_have_no_body(void **state)
{
	static const char resp[] = "HTTP/1.1 204 No Content\r\n\r\nextra";
	struct http_response r;
	char why[200];

	assert_int_equal(http_parse_response(resp, strlen(resp), 0, &r, why,
					     sizeof(why)), 0);
	assert_int_equal(r.f.body_len, 0);
	assert_int_equal(r.f.total, strlen(resp) - 5);
	assert_int_equal(http_parse_response("HTTP/1.1 100\r\n\r\n", 16, 0, &r,
					     why, sizeof(why)), 0);
	assert_int_equal(r.status, 100);
	assert_string_equal(r.reason, "");
}

struct bad {
	const char *text;
	int rc;
	const char *mentions;
};

static const struct bad bad_requests[] = {
	{ "POST /w HTTP/1.1\r\nHost : h\r\n\r\n", NP_EINVAL, "not \"name: value\"" },
	{ "POST /w HTTP/1.1\r\nX: a\r\n b\r\n\r\n", NP_EINVAL, "obs-fold" },
	{ "POST /w HTTP/1.1\r\nX: a\rY: b\r\n\r\n", NP_EINVAL, "bare CR" },
	{ "POST /w HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", NP_EINVAL, "Transfer-Encoding" },
	{ "POST /w HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", NP_EINVAL, "disagree" },
	{ "POST /w HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", NP_EINVAL, "not a number" },
	{ "POST /w HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n", NP_EINVAL, "not a number" },
	{ "POST /w HTTP/1.1\r\nContent-Length: 262145\r\n\r\n", NP_EFULL, "262144" },
	{ "PRI * HTTP/2.0\r\n\r\n", NP_EINVAL, "HTTP/2.0" },
	{ "POST  /w HTTP/1.1\r\n\r\n", NP_EINVAL, "target" },
	{ "POST /w\r\n\r\n", NP_EINVAL, "request line" },
	{ "P(ST /w HTTP/1.1\r\n\r\n", NP_EINVAL, "method" },
	{ "POST /w HTTP/1.1\r\nX: a\001b\r\n\r\n", NP_EINVAL, "control character" },
	{ "POST /w HTTP/1.1\r\nLocation: /a b\r\n\r\n", NP_EINVAL, "Location" },
};

static const struct bad bad_responses[] = {
	{ "HTTP/1.1 20 OK\r\n\r\n", NP_EINVAL, "status code" },
	{ "HTTP/1.1 600 Nope\r\n\r\n", NP_EINVAL, "100..599" },
	{ "HTTP/1.1 2000 OK\r\n\r\n", NP_EINVAL, "status code" },
	{ "ICY 200 OK\r\n\r\n", NP_EINVAL, "not an HTTP/1.x status line" },
	{ "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", NP_EINVAL, "chunked" },
	{ "HTTP/1.1 200 O\001K\r\n\r\n", NP_EINVAL, "reason phrase" },
};

static void test_smuggling_shapes_are_refused_with_a_reason(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		struct http_request q;
		char why[200] = "";
		int rc = http_parse_request(bad_requests[i].text,
					    strlen(bad_requests[i].text), &q,
					    why, sizeof(why));

		if (rc != bad_requests[i].rc ||
		    !strstr(why, bad_requests[i].mentions))
			fail_msg("request %zu: rc %s, reason \"%s\"", i,
				 np_errname(rc), why);
	}
	for (i = 0; i < sizeof(bad_responses) / sizeof(bad_responses[0]); i++) {
		struct http_response r;
		char why[200] = "";
		int rc = http_parse_response(bad_responses[i].text,
					     strlen(bad_responses[i].text), 1,
					     &r, why, sizeof(why));

		if (rc != bad_responses[i].rc ||
		    !strstr(why, bad_responses[i].mentions))
			fail_msg("response %zu: rc %s, reason \"%s\"", i,
				 np_errname(rc), why);
	}
}

static void test_caps_on_fields_head_and_target(void **state)
{
	char *buf = malloc(HTTP_MAX_HEAD * 2);
	struct http_request q;
	char why[200] = "";
	size_t n;
	int i;

	assert_non_null(buf);
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)sprintf(buf + n, "X-%d: v\r\n", i);
	strcpy(buf + n, "\r\n");
	assert_int_equal(http_parse_request(buf, n + 2, &q, why, sizeof(why)),
			 0);
	assert_int_equal(q.f.nheaders, HTTP_MAX_HEADERS);
	n += (size_t)sprintf(buf + n, "X-one-more: v\r\n\r\n");
	assert_int_equal(http_parse_request(buf, n, &q, why, sizeof(why)),
			 NP_EFULL);
	assert_non_null(strstr(why, "more than 32 header fields"));
	/* A head that never ends: refused once it passes the cap, not
	 * waited for forever. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nX: ");
	memset(buf + n, 'a', HTTP_MAX_HEAD * 2 - n);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD - 1, &q, why,
					    sizeof(why)), NP_ETRUNCATED);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD * 2, &q, why,
					    sizeof(why)), NP_EFULL);
	assert_non_null(strstr(why, "8192"));
	memset(buf, 'a', HTTP_MAX_HEAD * 2);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_HEAD * 2, &q, why,
					    sizeof(why)), NP_EFULL);
	/* Request target over HTTP_MAX_URL - 1. */
	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'p', HTTP_MAX_URL);
	n += HTTP_MAX_URL;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_parse_request(buf, n, &q, why, sizeof(why)),
			 NP_EFULL);
	assert_non_null(strstr(why, "target longer"));
	free(buf);
}

static void test_writer_output_parses_back(void **state)
{
	static const char *const hdrs[] = { "Content-Type", "application/sdp",
					    "Connection", "close", NULL };
	static const char *const rh[] = { "Location", "/whip/abc", "ETag",
					  "\"1\"", "Content-Type",
					  "application/sdp", NULL };
	char out[512], why[200];
	struct http_request q;
	struct http_response r;
	size_t n;

	assert_int_equal(http_write_request(out, sizeof(out), &n, "POST",
					    "/whip", "[::1]:8080", hdrs,
					    "v=0\r\n", 5), 0);
	assert_int_equal(http_parse_request(out, n, &q, why, sizeof(why)), 0);
	assert_int_equal(q.f.total, n);
	assert_string_equal(q.method, "POST");
	assert_string_equal(q.target, "/whip");
	assert_int_equal(q.f.content_length, 5);
	assert_int_equal(q.f.conn_close, 1);
	assert_memory_equal(http_find(&q.f, "host")->value, "[::1]:8080", 10);
	/* DELETE without a body: no Content-Length. */
	assert_int_equal(http_write_request(out, sizeof(out), &n, "DELETE",
					    "/whip/abc", "h", NULL, NULL, 0), 0);
	assert_null(memmem(out, n, "Content-Length", 14));
	assert_int_equal(http_write_response(out, sizeof(out), &n, 201, rh,
					     "v=0\r\n", 5), 0);
	assert_int_equal(http_parse_response(out, n, 0, &r, why, sizeof(why)),
			 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.reason, "Created");
	assert_string_equal(r.f.location, "/whip/abc");
	assert_string_equal(r.f.etag, "\"1\"");
	assert_int_equal(r.f.body_len, 5);
	assert_int_equal(r.f.total, n);
}

static void test_writer_refuses_injection_and_reports_overflow(void **state)
{
	static const char *const inj[] = { "X", "a\r\nSet-Cookie: x", NULL };
	static const char *const badname[] = { "X Y", "a", NULL };
	char out[64];
	size_t n = 99;

	assert_int_equal(http_write_request(out, sizeof(out), &n, "GET", "/",
					    "h", inj, NULL, 0), NP_EINVAL);
	assert_int_equal(http_write_request(out, sizeof(out), &n, "GET", "/",
					    "h", badname, NULL, 0), NP_EINVAL);
	assert_int_equal(http_write_request(out, sizeof(out), &n, "GET",
					    "/a b", "h", NULL, NULL, 0),
			 NP_EINVAL);
	assert_int_equal(http_write_request(out, sizeof(out), &n, "GET", "/",
					    "h\r\nX: y", NULL, NULL, 0),
			 NP_EINVAL);
	assert_int_equal(http_write_response(out, sizeof(out), &n, 204, NULL,
					     "x", 1), NP_EINVAL);
	assert_int_equal(http_write_response(out, 20, &n, 200, NULL, NULL, 0),
			 NP_ENOSPACE);
	assert_int_equal(n, 0);
}

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	*buf = malloc(1 << 20);
	*len = *buf ? fread(*buf, 1, 1 << 20, f) : 0;
	fclose(f);
	return 0;
}

static void test_fixtures_parse_or_fail_as_named(void **state)
{
	DIR *d = opendir("fixtures/http");
	struct dirent *e;
	int seen = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], why[200] = "", *buf = NULL;
		size_t len = 0;
		int rc, good;
		struct http_request q;
		struct http_response r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "fixtures/http/%s", e->d_name);
		assert_int_equal(read_all(path, &buf, &len), 0);
		if (strstr(e->d_name, ".req"))
			rc = http_parse_request(buf, len, &q, why, sizeof(why));
		else
			rc = http_parse_response(buf, len, 1, &r, why,
						 sizeof(why));
		free(buf);
		good = !strncmp(e->d_name, "valid_", 6) ||
		       !strncmp(e->d_name, "edge_", 5);
		if (good && rc)
			fail_msg("%s: refused: %s", e->d_name, why);
		if (!good && rc != NP_EINVAL && rc != NP_EFULL)
			fail_msg("%s: not refused (%s)", e->d_name,
				 np_errname(rc));
		if (!good && !why[0])
			fail_msg("%s: refused without a reason", e->d_name);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_request_fields_and_body),
		cmocka_unit_test(test_every_prefix_is_incomplete_not_malformed),
		cmocka_unit_test(test_response_without_length_ends_at_close),
		cmocka_unit_test(test_204_and_1xx_have_no_body),
		cmocka_unit_test(test_smuggling_shapes_are_refused_with_a_reason),
		cmocka_unit_test(test_caps_on_fields_head_and_target),
		cmocka_unit_test(test_writer_output_parses_back),
		cmocka_unit_test(test_writer_refuses_injection_and_reports_overflow),
		cmocka_unit_test(test_fixtures_parse_or_fail_as_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
