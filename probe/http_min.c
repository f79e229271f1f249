/*
 * http_min.c - bounded HTTP/1.1 message parser and writer (RFC 9112),
 * only as much as WHIP (RFC 9725) needs.
 *
 * The parser walks the input with np_rd, line by line, and checks every
 * byte class it accepts: tokens for methods and field names (RFC 9110
 * §5.6.2), visible characters for targets, no control characters in field
 * values (§5.5). Whatever could be used to smuggle a second message is
 * refused: whitespace before the colon (RFC 9112 §5.1), obs-fold (§5.2),
 * bare CR (§2.2), Transfer-Encoding, and disagreeing Content-Length
 * values (RFC 9110 §8.6).
 */
#include "http_min.h"
#include "np_err.h"
#include "np_rd.h"
#include "np_tok.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(struct np_tok t)
{
	const char *p;

	if (t.p == t.end)
		return 0;
	for (p = t.p; p < t.end; p++)
		if (!is_tchar((unsigned char)*p))
			return 0;
	return 1;
}

/* Visible ASCII only: request targets, Location values we copy. */
static int is_visible(struct np_tok t)
{
	const char *p;

	for (p = t.p; p < t.end; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* Takes the next line (without CRLF or LF) from r. NP_ETRUNCATED when no
 * LF is left; NP_EINVAL for a CR that does not end the line. */
static int get_line(struct np_rd *r, struct np_tok *line)
{
	const uint8_t *nl = memchr(r->p, '\n', np_rd_left(r));
	const uint8_t *s;

	if (!nl)
		return NP_ETRUNCATED;
	line->p = (const char *)r->p;
	line->end = (const char *)nl;
	if (line->end > line->p && line->end[-1] == '\r')
		line->end--;
	np_rd_skip(r, (size_t)(nl - r->p) + 1);
	for (s = (const uint8_t *)line->p; s < (const uint8_t *)line->end; s++)
		if (*s == '\r')
			return NP_EINVAL;
	return 0;
}

static void trim(struct np_tok *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
	while (t->end > t->p && (t->end[-1] == ' ' || t->end[-1] == '\t'))
		t->end--;
}

/* Copies t into dst[cap] as a string; 0 or -1 if it does not fit. */
static int copy_tok(char *dst, size_t cap, struct np_tok t)
{
	size_t n = np_tok_len(t);

	if (n >= cap)
		return -1;
	memcpy(dst, t.p, n);
	dst[n] = '\0';
	return 0;
}

/* "HTTP/1.0" or "HTTP/1.1": the minor digit, or -1. */
static int http_version(struct np_tok t)
{
	if (np_tok_len(t) != 8 || memcmp(t.p, "HTTP/1.", 7) != 0 ||
	    (t.p[7] != '0' && t.p[7] != '1'))
		return -1;
	return t.p[7] - '0';
}

/* Which fields we have seen, for the duplicate rules. */
static int field(struct http_fields *f, struct np_tok name, struct np_tok v,
		 char *why, size_t wlen)
{
	uint64_t n;
	const char *p;

	if (np_tok_icase(name, "content-length")) {
		/* RFC 9110 §8.6: digits only; a repeat must agree. */
		if (!np_tok_uint(v, 9, &n))
			return np_say(why, wlen, NP_EINVAL,
				   "Content-Length \"%.*s\" is not a number of at most 9 digits",
				   (int)(np_tok_len(v) > 40 ? 40 : np_tok_len(v)),
				   v.p);
		if (f->has_content_length && f->content_length != n)
			return np_say(why, wlen, NP_EINVAL,
				   "two Content-Length fields disagree (%zu and %llu)",
				   f->content_length, (unsigned long long)n);
		if (n > HTTP_MAX_BODY)
			return np_say(why, wlen, NP_EFULL,
				   "Content-Length %llu is over the %d-byte body cap",
				   (unsigned long long)n, HTTP_MAX_BODY);
		f->has_content_length = 1;
		f->content_length = (size_t)n;
	} else if (np_tok_icase(name, "transfer-encoding")) {
		return np_say(why, wlen, NP_EINVAL,
			   "Transfer-Encoding \"%.*s\" is not supported (only Content-Length bodies)",
			   (int)(np_tok_len(v) > 40 ? 40 : np_tok_len(v)), v.p);
	} else if (np_tok_icase(name, "content-type")) {
		/* RFC 9110 §8.3.1: type "/" subtype *( OWS ";" parameter ). */
		struct np_tok mt = v;
		char *c;

		for (p = mt.p; p < mt.end && *p != ';'; p++)
			;
		mt.end = p;
		trim(&mt);
		if (copy_tok(f->content_type, sizeof(f->content_type), mt))
			return np_say(why, wlen, NP_EINVAL,
				   "Content-Type longer than %zu bytes",
				   sizeof(f->content_type) - 1);
		for (c = f->content_type; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	} else if (np_tok_icase(name, "location")) {
		if (!is_visible(v) || copy_tok(f->location,
					      sizeof(f->location), v))
			return np_say(why, wlen, NP_EINVAL,
				   "Location is not a URL of at most %d visible characters",
				   HTTP_MAX_URL - 1);
	} else if (np_tok_icase(name, "etag")) {
		if (copy_tok(f->etag, sizeof(f->etag), v))
			return np_say(why, wlen, NP_EINVAL,
				   "ETag longer than %zu bytes",
				   sizeof(f->etag) - 1);
	} else if (np_tok_icase(name, "connection")) {
		struct np_tok rest = v, opt;

		/* RFC 9110 §7.6.1: a list of connection options. */
		while (rest.p < rest.end) {
			opt.p = rest.p;
			for (p = rest.p; p < rest.end && *p != ','; p++)
				;
			opt.end = p;
			rest.p = p < rest.end ? p + 1 : p;
			trim(&opt);
			if (np_tok_icase(opt, "close"))
				f->conn_close = 1;
		}
	}
	return 0;
}

/* Header fields up to the empty line, then the body framing. */
static int fields(struct np_rd *r, struct http_fields *f, size_t head_cap,
		  const uint8_t *start, char *why, size_t wlen)
{
	struct np_tok line, name, v;
	const char *p;
	int rc;

	for (;;) {
		rc = get_line(r, &line);
		if (rc == NP_ETRUNCATED)
			return (size_t)(r->end - start) >= head_cap
				       ? np_say(why, wlen, NP_EFULL,
					     "header section larger than %d bytes",
					     HTTP_MAX_HEAD)
				       : rc;
		if ((size_t)(r->p - start) > head_cap)
			return np_say(why, wlen, NP_EFULL,
				   "header section larger than %d bytes",
				   HTTP_MAX_HEAD);
		if (rc)
			return np_say(why, wlen, rc,
				   "header field %zu has a bare CR",
				   f->nheaders + 1);
		if (line.p == line.end)
			return 0;
		if (*line.p == ' ' || *line.p == '\t')
			return np_say(why, wlen, NP_EINVAL,
				   "header field %zu is folded (obs-fold, RFC 9112 §5.2)",
				   f->nheaders + 1);
		if (f->nheaders == HTTP_MAX_HEADERS)
			return np_say(why, wlen, NP_EFULL,
				   "more than %d header fields", HTTP_MAX_HEADERS);
		for (p = line.p; p < line.end && *p != ':'; p++)
			;
		name.p = line.p;
		name.end = p;
		if (p == line.end || !is_token(name))
			return np_say(why, wlen, NP_EINVAL,
				   "header field %zu is not \"name: value\"",
				   f->nheaders + 1);
		v.p = p + 1;
		v.end = line.end;
		trim(&v);
		for (p = v.p; p < v.end; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') ||
			    *p == 0x7f)
				return np_say(why, wlen, NP_EINVAL,
					   "header field \"%.*s\" has a control character",
					   (int)(np_tok_len(name) > 40 ? 40 : np_tok_len(name)),
					   name.p);
		f->h[f->nheaders].name = name.p;
		f->h[f->nheaders].name_len = np_tok_len(name);
		f->h[f->nheaders].value = v.p;
		f->h[f->nheaders].value_len = np_tok_len(v);
		f->nheaders++;
		rc = field(f, name, v, why, wlen);
		if (rc)
			return rc;
	}
}

/* Takes n body bytes if they are all there. */
static int body(struct np_rd *r, struct http_fields *f, size_t n,
		const uint8_t *start)
{
	const uint8_t *b;

	if (np_rd_slice(r, &b, n))
		return NP_ETRUNCATED;
	f->body = n ? b : NULL;
	f->body_len = n;
	f->total = (size_t)(r->p - start);
	return 0;
}

int http_parse_request(const void *buf, size_t len, struct http_request *req,
		       char *why, size_t wlen)
{
	struct np_tok line, method, target, version, rest;
	struct np_rd r;
	int rc, minor;

	memset(req, 0, sizeof(*req));
	np_rd_init(&r, buf, len);
	rc = get_line(&r, &line);
	if (rc == NP_ETRUNCATED)
		return len >= HTTP_MAX_HEAD
			       ? np_say(why, wlen, NP_EFULL,
				     "request line longer than %d bytes",
				     HTTP_MAX_HEAD)
			       : rc;
	if (rc)
		return np_say(why, wlen, rc, "request line has a bare CR");
	/* RFC 9112 §3: method SP request-target SP HTTP-version, single
	 * spaces. */
	rest = line;
	method.p = rest.p;
	method.end = memchr(rest.p, ' ', np_tok_len(rest));
	if (!method.end)
		return np_say(why, wlen, NP_EINVAL,
			   "request line is not \"METHOD target HTTP/1.1\"");
	target.p = method.end + 1;
	target.end = memchr(target.p, ' ', (size_t)(rest.end - target.p));
	if (!target.end)
		return np_say(why, wlen, NP_EINVAL,
			   "request line is not \"METHOD target HTTP/1.1\"");
	version.p = target.end + 1;
	version.end = rest.end;
	if (!is_token(method) || np_tok_len(method) >= HTTP_MAX_METHOD)
		return np_say(why, wlen, NP_EINVAL,
			   "method is not a token of at most %d characters",
			   HTTP_MAX_METHOD - 1);
	if (target.p == target.end || !is_visible(target))
		return np_say(why, wlen, NP_EINVAL,
			   "request target is empty or has invisible characters");
	if (np_tok_len(target) >= HTTP_MAX_URL)
		return np_say(why, wlen, NP_EFULL,
			   "request target longer than %d bytes",
			   HTTP_MAX_URL - 1);
	minor = http_version(version);
	if (minor < 0)
		return np_say(why, wlen, NP_EINVAL,
			   "version \"%.*s\" is not HTTP/1.0 or HTTP/1.1",
			   (int)(np_tok_len(version) > 20 ? 20 : np_tok_len(version)),
			   version.p);
	copy_tok(req->method, sizeof(req->method), method);
	copy_tok(req->target, sizeof(req->target), target);
	req->f.version_minor = minor;
	rc = fields(&r, &req->f, HTTP_MAX_HEAD, buf, why, wlen);
	if (rc)
		return rc;
	/* RFC 9112 §6.3 rule 7: no Content-Length, no body. */
	return body(&r, &req->f,
		    req->f.has_content_length ? req->f.content_length : 0, buf);
}

int http_parse_response(const void *buf, size_t len, int eof,
			struct http_response *resp, char *why, size_t wlen)
{
	struct np_tok line, version, code, reason;
	struct np_rd r;
	uint64_t status;
	size_t left;
	int rc, minor;

	memset(resp, 0, sizeof(*resp));
	np_rd_init(&r, buf, len);
	rc = get_line(&r, &line);
	if (rc == NP_ETRUNCATED)
		return len >= HTTP_MAX_HEAD
			       ? np_say(why, wlen, NP_EFULL,
				     "status line longer than %d bytes",
				     HTTP_MAX_HEAD)
			       : rc;
	if (rc)
		return np_say(why, wlen, rc, "status line has a bare CR");
	/* RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason-phrase]. */
	version.p = line.p;
	version.end = memchr(line.p, ' ', np_tok_len(line));
	if (!version.end || (minor = http_version(version)) < 0)
		return np_say(why, wlen, NP_EINVAL,
			   "not an HTTP/1.x status line: \"%.*s\"",
			   (int)(np_tok_len(line) > 40 ? 40 : np_tok_len(line)),
			   line.p);
	code.p = version.end + 1;
	code.end = code.p;
	while (code.end < line.end && *code.end != ' ')
		code.end++;
	if (np_tok_len(code) != 3 || !np_tok_uint(code, 3, &status) ||
	    status < 100 || status > 599)
		return np_say(why, wlen, NP_EINVAL,
			   "status code \"%.*s\" is not 100..599",
			   (int)(np_tok_len(code) > 10 ? 10 : np_tok_len(code)),
			   code.p);
	reason.p = code.end < line.end ? code.end + 1 : code.end;
	reason.end = line.end;
	{
		/* Reason phrase: HTAB / SP / VCHAR / obs-text; we keep a
		 * printable copy, '?' for the rest, cut at the buffer. */
		size_t i, n = np_tok_len(reason);

		if (n >= sizeof(resp->reason))
			n = sizeof(resp->reason) - 1;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)reason.p[i];

			if (c < 0x20 && c != '\t')
				return np_say(why, wlen, NP_EINVAL,
					   "reason phrase has a control character");
			resp->reason[i] = c >= 0x7f ? '?' : (char)c;
		}
		resp->reason[n] = '\0';
	}
	resp->status = (int)status;
	resp->f.version_minor = minor;
	rc = fields(&r, &resp->f, HTTP_MAX_HEAD, buf, why, wlen);
	if (rc)
		return rc;
	/* RFC 9112 §6.3 rule 1: these never have content. */
	if (status < 200 || status == 204 || status == 304)
		return body(&r, &resp->f, 0, buf);
	if (resp->f.has_content_length)
		return body(&r, &resp->f, resp->f.content_length, buf);
	/* Rule 8: the body runs to the end of the connection. */
	left = np_rd_left(&r);
	if (left > HTTP_MAX_BODY)
		return np_say(why, wlen, NP_EFULL,
			   "body without Content-Length over the %d-byte cap",
			   HTTP_MAX_BODY);
	if (!eof)
		return NP_ETRUNCATED;
	return body(&r, &resp->f, left, buf);
}

const struct http_header *http_find(const struct http_fields *f,
				    const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < f->nheaders; i++)
		if (f->h[i].name_len == n &&
		    strncasecmp(f->h[i].name, name, n) == 0)
			return &f->h[i];
	return NULL;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static int safe_value(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || ((unsigned char)*s < 0x20 &&
						 *s != '\t'))
			return 0;
	return 1;
}

static int safe_token(const char *s)
{
	struct np_tok t = { s, s + strlen(s) };

	return is_token(t);
}

static int put_str(struct np_wr *w, const char *s)
{
	return np_wr_bytes(w, s, strlen(s));
}

static int put_fields(struct np_wr *w, const char *const *hdrs, int clen,
		      size_t body_len)
{
	char num[32];
	size_t i;

	for (i = 0; hdrs && hdrs[i]; i += 2) {
		if (!hdrs[i + 1] || !safe_token(hdrs[i]) ||
		    !safe_value(hdrs[i + 1]))
			return NP_EINVAL;
		put_str(w, hdrs[i]);
		put_str(w, ": ");
		put_str(w, hdrs[i + 1]);
		put_str(w, "\r\n");
	}
	if (clen) {
		snprintf(num, sizeof(num), "%zu", body_len);
		put_str(w, "Content-Length: ");
		put_str(w, num);
		put_str(w, "\r\n");
	}
	return put_str(w, "\r\n");
}

int http_write_request(char *out, size_t cap, size_t *outlen,
		       const char *method, const char *target,
		       const char *host, const char *const *hdrs,
		       const void *body_, size_t body_len)
{
	struct np_tok t;
	struct np_wr w;
	int clen, rc;

	*outlen = 0;
	if (!method || !target || !host || (!body_ && body_len))
		return NP_EINVAL;
	t.p = target;
	t.end = target + strlen(target);
	if (!safe_token(method) || !*target || !is_visible(t) ||
	    !safe_value(host) || strchr(host, ' '))
		return NP_EINVAL;
	clen = body_len || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
	       !strcmp(method, "PATCH");
	np_wr_init(&w, out, cap);
	put_str(&w, method);
	put_str(&w, " ");
	put_str(&w, target);
	put_str(&w, " HTTP/1.1\r\nHost: ");
	put_str(&w, host);
	put_str(&w, "\r\n");
	rc = put_fields(&w, hdrs, clen, body_len);
	if (rc == NP_EINVAL)
		return rc;
	np_wr_bytes(&w, body_, body_len);
	if (w.err)
		return w.err;
	*outlen = w.len;
	return 0;
}

int http_write_response(char *out, size_t cap, size_t *outlen, int status,
			const char *const *hdrs, const void *body_,
			size_t body_len)
{
	char line[64];
	struct np_wr w;
	int nobody, rc;

	*outlen = 0;
	if (status < 100 || status > 599 || (!body_ && body_len))
		return NP_EINVAL;
	nobody = status < 200 || status == 204 || status == 304;
	if (nobody && body_len)
		return NP_EINVAL;
	np_wr_init(&w, out, cap);
	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
		 http_reason(status));
	put_str(&w, line);
	rc = put_fields(&w, hdrs, !nobody, body_len);
	if (rc == NP_EINVAL)
		return rc;
	np_wr_bytes(&w, body_, body_len);
	if (w.err)
		return w.err;
	*outlen = w.len;
	return 0;
}
