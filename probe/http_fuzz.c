/*
 * http_fuzz.c - libFuzzer target for the HTTP/1.1 request and response
 * parsers and writers (http_min.c). Seeds: fixtures/http.
 *
 * Each input is offered to both parsers (the response one with and
 * without end of connection). A parsed message must lie inside the input,
 * every prefix shorter than it must be "incomplete" (never a different
 * verdict), and writing it back must give bytes that parse to the same
 * method, target, status, typed fields and body. A refusal must carry a
 * reason. No randomness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_min.h"
#include "np_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "http_fuzz: %s: %s\n", what, detail ? detail : "");
	abort();
}

static void check_rc(int rc, const char *why)
{
	if (rc == 0 || rc == NP_ETRUNCATED)
		return;
	if (rc != NP_EINVAL && rc != NP_EFULL)
		die("unexpected code", np_errname(rc));
	if (!why[0])
		die("refusal without a reason", NULL);
}

static void check_fields(const struct http_fields *f, const uint8_t *data,
			 size_t size)
{
	size_t i;

	if (f->total > size || f->nheaders > HTTP_MAX_HEADERS ||
	    f->body_len > HTTP_MAX_BODY)
		die("message outside the input or over a cap", NULL);
	if (f->body_len && (f->body < data || f->body + f->body_len >
						      data + f->total))
		die("body outside the message", NULL);
	for (i = 0; i < f->nheaders; i++) {
		const struct http_header *h = &f->h[i];

		if ((const uint8_t *)h->name < data ||
		    (const uint8_t *)h->value + h->value_len > data + f->total)
			die("header slice outside the message", NULL);
	}
	if (!memchr(f->content_type, 0, sizeof(f->content_type)) ||
	    !memchr(f->location, 0, sizeof(f->location)) ||
	    !memchr(f->etag, 0, sizeof(f->etag)))
		die("unterminated copy", NULL);
}

/* Headers to write back: all but the ones the writer makes itself.
 * Returns how many fields the written message will have (with Host and
 * Content-Length), so the caller can skip what would exceed the caps. */
static size_t back_headers(const struct http_fields *f, char *store,
			 const char **hdrs)
{
	size_t i, k = 0;

	for (i = 0; i < f->nheaders; i++) {
		const struct http_header *h = &f->h[i];

		if ((h->name_len == 4 && !strncasecmp(h->name, "host", 4)) ||
		    (h->name_len == 14 &&
		     !strncasecmp(h->name, "content-length", 14)))
			continue;
		memcpy(store, h->name, h->name_len);
		store[h->name_len] = '\0';
		hdrs[k++] = store;
		store += h->name_len + 1;
		memcpy(store, h->value, h->value_len);
		store[h->value_len] = '\0';
		hdrs[k++] = store;
		store += h->value_len + 1;
	}
	hdrs[k] = NULL;
	return k / 2 + 2;
}

static void same_fields(const struct http_fields *a,
			const struct http_fields *b)
{
	if (strcmp(a->content_type, b->content_type) ||
	    strcmp(a->location, b->location) || strcmp(a->etag, b->etag) ||
	    a->body_len != b->body_len ||
	    (a->body_len && memcmp(a->body, b->body, a->body_len)))
		die("round trip changed a field", a->content_type);
}

static void fuzz_request(const uint8_t *data, size_t size, char *out,
			 size_t cap, char *store, const char **hdrs)
{
	static struct http_request q, q2;
	char why[256] = "";
	size_t n;
	int rc = http_parse_request(data, size, &q, why, sizeof(why));

	check_rc(rc, why);
	if (rc)
		return;
	check_fields(&q.f, data, size);
	if (q.f.total && http_parse_request(data, q.f.total - 1, &q2, why,
					    sizeof(why)) != NP_ETRUNCATED)
		die("a prefix of a request is not incomplete", why);
	if (back_headers(&q.f, store, hdrs) > HTTP_MAX_HEADERS)
		return; /* Host and Content-Length would go over the cap */
	rc = http_write_request(out, cap, &n, q.method, q.target, "h", hdrs,
				q.f.body, q.f.body_len);
	if (rc)
		die("parsed request does not write", np_errname(rc));
	if (n - q.f.body_len > HTTP_MAX_HEAD)
		return; /* CRLF and ": " made the head longer than the cap */
	rc = http_parse_request(out, n, &q2, why, sizeof(why));
	if (rc || q2.f.total != n)
		die("written request does not parse", why);
	if (strcmp(q.method, q2.method) || strcmp(q.target, q2.target))
		die("request line changed", q2.target);
	same_fields(&q.f, &q2.f);
}

static void fuzz_response(const uint8_t *data, size_t size, int eof,
			  char *out, size_t cap, char *store, const char **hdrs)
{
	static struct http_response r, r2;
	char why[256] = "";
	size_t n;
	int rc = http_parse_response(data, size, eof, &r, why, sizeof(why));

	check_rc(rc, why);
	if (rc)
		return;
	check_fields(&r.f, data, size);
	if (r.f.total && http_parse_response(data, r.f.total - 1, 0, &r2, why,
					     sizeof(why)) != NP_ETRUNCATED)
		die("a prefix of a response is not incomplete", why);
	if (back_headers(&r.f, store, hdrs) > HTTP_MAX_HEADERS)
		return;
	rc = http_write_response(out, cap, &n, r.status, hdrs, r.f.body,
				 r.f.body_len);
	if (rc)
		die("parsed response does not write", np_errname(rc));
	if (n - r.f.body_len > HTTP_MAX_HEAD)
		return;
	rc = http_parse_response(out, n, 0, &r2, why, sizeof(why));
	if (rc || r2.f.total != n || r2.status != r.status)
		die("written response does not parse", why);
	same_fields(&r.f, &r2.f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[HTTP_MAX_HEAD * 4 + HTTP_MAX_BODY];
	static char store[HTTP_MAX_HEAD * 2];
	static const char *hdrs[HTTP_MAX_HEADERS * 2 + 1];

	fuzz_request(data, size, out, sizeof(out), store, hdrs);
	fuzz_response(data, size, 0, out, sizeof(out), store, hdrs);
	fuzz_response(data, size, 1, out, sizeof(out), store, hdrs);
	return 0;
}
