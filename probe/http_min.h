/*
 * http_min.h - the little HTTP/1.1 that WHIP (RFC 9725) needs: a bounded
 * parser for requests and responses and a writer for both.
 *
 * RFC 9112 message syntax: start line, header fields, then a body framed
 * by Content-Length only. Transfer-Encoding (chunked) is refused rather
 * than half-supported. Lines end in CRLF; a bare LF is accepted
 * (RFC 9112 §2.2 allows that). Everything is capped: the head (start line
 * plus fields), the number of fields and the body.
 *
 * The bytes are untrusted and read through np_rd. A parsed message borrows
 * the input for header slices and the body; the fields WHIP uses are also
 * copied out (content_type, location, etag, target, reason).
 */
#ifndef HTTP_MIN_H
#define HTTP_MIN_H

#include <stddef.h>
#include <stdint.h>

/* Start line plus header fields, including the blank line. */
#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_HEADERS 32
/* A body: an SDP offer or answer (SDP_MAX_SIZE). */
#define HTTP_MAX_BODY (256 * 1024)
/* Request target and Location (RFC 9110 §4.1 recommends >= 8000; WHIP
 * URLs are short). */
#define HTTP_MAX_URL 1024
#define HTTP_MAX_METHOD 16

/* One header field; both slices borrow the parsed input. The value has
 * no leading or trailing whitespace. */
struct http_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* What requests and responses have in common. */
struct http_fields {
	int version_minor;               /* HTTP/1.x */
	size_t nheaders;
	struct http_header h[HTTP_MAX_HEADERS];
	/* Copied out, "" when absent: */
	char content_type[128];          /* media type, lower case, no params */
	char location[HTTP_MAX_URL];
	char etag[256];
	int has_content_length;
	size_t content_length;
	int conn_close;                  /* "Connection: close" */
	const uint8_t *body;             /* borrowed; NULL when empty */
	size_t body_len;
	size_t total;                    /* bytes of the whole message */
};

struct http_request {
	char method[HTTP_MAX_METHOD];
	char target[HTTP_MAX_URL];       /* as sent: origin-form "/path?q" */
	struct http_fields f;
};

struct http_response {
	int status;                      /* 100..599 */
	char reason[128];
	struct http_fields f;
};

/*
 * Parses one request from the start of buf. Returns
 *   0              complete; req->f.total bytes were used
 *   NP_ETRUNCATED  not complete yet: read more and call again
 *   NP_EFULL       a cap was exceeded (head, field count or body)
 *   NP_EINVAL      malformed
 * with a sentence in why for the last two. A request without
 * Content-Length has no body (RFC 9112 §6.3 rule 7).
 */
int http_parse_request(const void *buf, size_t len, struct http_request *req,
		       char *why, size_t wlen);
/*
 * Parses one response. eof: the connection has closed after these bytes,
 * so a response without Content-Length ends here (RFC 9112 §6.3 rule 8).
 * 1xx, 204 and 304 never have a body. Returns as http_parse_request.
 */
int http_parse_response(const void *buf, size_t len, int eof,
			struct http_response *resp, char *why, size_t wlen);

/* The first field called name (case-insensitive), or NULL. */
const struct http_header *http_find(const struct http_fields *f,
				    const char *name);
/* Standard reason phrase for the statuses we send, else "Unknown". */
const char *http_reason(int status);

/*
 * Writers. hdrs is NULL or a NULL-terminated list of name, value, name,
 * value, ...; names and values must not contain CR, LF or NUL (NP_EINVAL:
 * no header injection). Content-Length is written by the writer when a
 * body is given (or for POST/PUT/PATCH, and for responses other than 1xx,
 * 204 and 304). *outlen is the bytes written; NP_ENOSPACE when cap is too
 * small.
 */
int http_write_request(char *out, size_t cap, size_t *outlen,
		       const char *method, const char *target,
		       const char *host, const char *const *hdrs,
		       const void *body, size_t body_len);
int http_write_response(char *out, size_t cap, size_t *outlen, int status,
			const char *const *hdrs, const void *body,
			size_t body_len);

#endif
