/*
 * http_fuzz.c - libFuzzer target for the HTTP/1.1 request and response
 * parsers and writers (http_min.c). Seeds: fixtures/http.
 *
 * Each input is offered to both parsers (the response one with and
 * without end of connection). A parsed message must lie inside the input,
 * every prefix shorter than it must be "incomplete" (never a different
 * verdict), and writing it back must give bytes that parse to the same
 * method, target, status, typed fields and body. A refusal must carry a
 * reason. A parsed request also goes to the WHIP endpoint (whip_endpoint.c)
 * with one live session (id 910a2dec89025cc1 from seed 1, see
 * fixtures/http/valid_whip_*.req): its response must parse, with a status the
 * handler documents, and a PATCH's fragment goes through sdp_parse. No
 * randomness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_min.h"
#include "np_err.h"
#include "sdp.h"
#include "whip.h"

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

static int fz_answer(void *arg, const char *id, const char *offer,
		     size_t len, char *answer, size_t cap, size_t *alen,
		     char *why, size_t wlen)
{
	*alen = (size_t)snprintf(answer, cap, "v=0\r\ns=%s\r\n", id);
	return *alen < cap ? 0 : NP_ENOSPACE;
}

/* The trickle callback of serve: the fragment through sdp_parse. */
static int fz_trickle(void *arg, const char *id, const char *frag,
		      size_t len, char *why, size_t wlen)
{
	static struct sdp *f;
	struct sdp_error e;

	if (!f && sdp_new(&f) < 0)
		return NP_ENOMEM;
	if (sdp_parse(frag, len, f, &e) < 0) {
		snprintf(why, wlen, "%s", e.text);
		return NP_EINVAL;
	}
	return strcmp(f->media[0].ufrag, "restart") ? 0 : NP_ERESTART;
}

static void fuzz_whip(const uint8_t *data, size_t size, char *out,
		      size_t cap)
{
	static const char post[] = "POST /whip HTTP/1.1\r\nHost: h\r\n"
		"Content-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0";
	static const int known[] = { 200, 201, 204, 400, 404, 405, 412, 413,
				     415, 422, 500, 503 };
	static struct http_request q;
	static struct http_response r;
	struct whip_endpoint ep;
	struct whip_event ev;
	char why[256] = "";
	size_t n, i;

	if (whip_endpoint_init(&ep, "/whip", 1) < 0)
		die("endpoint", NULL);
	ep.trickle = fz_trickle;
	if (http_parse_request(post, sizeof(post) - 1, &q, why, sizeof(why)) ||
	    whip_handle(&ep, &q, fz_answer, NULL, out, cap, &n, &ev) ||
	    ev.kind != WHIP_EV_CREATED)
		die("the session every input sees was not created", why);
	if (http_parse_request(data, size, &q, why, sizeof(why)))
		return;
	if (whip_handle(&ep, &q, fz_answer, NULL, out, cap, &n, &ev))
		die("whip_handle failed with room to spare", NULL);
	if (http_parse_response(out, n, 0, &r, why, sizeof(why)) ||
	    r.f.total != n || r.status != ev.status)
		die("whip_handle wrote an unparsable response", why);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == r.status)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		die("whip_handle wrote an undocumented status", NULL);
	if ((ev.kind == WHIP_EV_TRICKLED) != (r.status == 204))
		die("a 204 without a trickle event, or the reverse", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[HTTP_MAX_HEAD * 4 + HTTP_MAX_BODY];
	static char store[HTTP_MAX_HEAD * 2];
	static const char *hdrs[HTTP_MAX_HEADERS * 2 + 1];

	fuzz_request(data, size, out, sizeof(out), store, hdrs);
	fuzz_whip(data, size, out, sizeof(out));
	fuzz_response(data, size, 0, out, sizeof(out), store, hdrs);
	fuzz_response(data, size, 1, out, sizeof(out), store, hdrs);
	return 0;
}
