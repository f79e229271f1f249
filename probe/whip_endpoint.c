/*
 * whip_endpoint.c - the WHIP (RFC 9725) endpoint's request handler for
 * `natprobe serve --whip`. It owns no socket: the caller reads and parses
 * a request, whip_handle() writes the response bytes; the callbacks start
 * a session (POST) and take trickled candidates (PATCH).
 */
#include "whip.h"
#include "np_err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int whip_endpoint_init(struct whip_endpoint *ep, const char *path,
		       uint64_t seed)
{
	const char *p;

	memset(ep, 0, sizeof(*ep));
	if (!path || path[0] != '/' || strlen(path) >= sizeof(ep->path) -
							    WHIP_ID_LEN - 2)
		return NP_EINVAL;
	for (p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '?' || *p == '#')
			return NP_EINVAL;
	memcpy(ep->path, path, strlen(path) + 1);
	/* "/whip/" is the same endpoint as "/whip". */
	if (strlen(ep->path) > 1 && ep->path[strlen(ep->path) - 1] == '/')
		ep->path[strlen(ep->path) - 1] = '\0';
	ep->rng = seed;
	return 0;
}

/* splitmix64: session ids that a client cannot guess from its own. */
static uint64_t next_id(struct whip_endpoint *ep)
{
	uint64_t z = (ep->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int reply(char *out, size_t cap, size_t *outlen,
		 struct whip_event *ev, int status, const char *const *hdrs,
		 const char *body, size_t blen)
{
	ev->status = status;
	return http_write_response(out, cap, outlen, status, hdrs, body, blen);
}

static int reply_text(char *out, size_t cap, size_t *outlen,
		      struct whip_event *ev, int status, const char *allow,
		      const char *text)
{
	const char *hdrs[] = { "Content-Type", "text/plain; charset=utf-8",
			       allow ? "Allow" : NULL, allow, NULL };
	char body[600];
	size_t i, n = (size_t)snprintf(body, sizeof(body), "%s\n", text);

	if (n >= sizeof(body))
		n = sizeof(body) - 1;
	for (i = 0; i + 1 < n; i++) /* one line of printable text */
		if ((unsigned char)body[i] < 0x20)
			body[i] = ' ';
	return reply(out, cap, outlen, ev, status, hdrs, body, n);
}

static int create(struct whip_endpoint *ep, const struct http_request *req,
		  whip_answer_fn fn, void *arg, char *out, size_t cap,
		  size_t *outlen, struct whip_event *ev)
{
	char id[WHIP_ID_LEN + 1], loc[sizeof(ep->path) + WHIP_ID_LEN + 2];
	char why[512] = "", *answer;
	size_t alen = 0, acap;
	int rc;

	/* Room for the 201 head is checked before fn can start a session
	 * that the response then could not announce. */
	if (cap < WHIP_RESPONSE_HEADROOM)
		return NP_ENOSPACE;
	acap = cap - WHIP_RESPONSE_HEADROOM;
	if (acap > HTTP_MAX_BODY)
		acap = HTTP_MAX_BODY;
	if (strcmp(req->f.content_type, "application/sdp") != 0)
		return reply_text(out, cap, outlen, ev, 415, NULL,
				  "WHIP offers are Content-Type: application/sdp");
	if (!req->f.body_len)
		return reply_text(out, cap, outlen, ev, 400, NULL,
				  "empty SDP offer");
	if (ep->nsessions >= WHIP_MAX_SESSIONS)
		return reply_text(out, cap, outlen, ev, 503, NULL,
				  "too many WHIP sessions; DELETE one first");
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)next_id(ep));
	answer = malloc(acap);
	if (!answer)
		return reply_text(out, cap, outlen, ev, 500, NULL,
				  "out of memory");
	rc = fn(arg, id, (const char *)req->f.body, req->f.body_len, answer,
		acap, &alen, why, sizeof(why));
	if (rc || alen == 0 || alen > acap) {
		free(answer);
		return reply_text(out, cap, outlen, ev, 400, NULL,
				  why[0] ? why : "SDP offer refused");
	}
	snprintf(loc, sizeof(loc), "%s/%s", ep->path, id);
	{
		char etag[WHIP_ID_LEN + 3];
		/* The ICE session's entity-tag (RFC 9725 §4.3.1), which a
		 * trickle PATCH names in If-Match; no ICE restart changes it. */
		const char *hdrs[] = { "Content-Type", "application/sdp",
				       "Location", loc,
				       ep->trickle ? "ETag" : NULL, etag, NULL };

		snprintf(etag, sizeof(etag), "\"%s\"", id);

		rc = reply(out, cap, outlen, ev, 201, hdrs, answer, alen);
	}
	free(answer);
	if (rc)
		return rc;
	memcpy(ep->ids[ep->nsessions++], id, sizeof(id));
	ev->kind = WHIP_EV_CREATED;
	memcpy(ev->id, id, sizeof(id));
	return 0;
}

/* The value of header name ("" when absent), trimmed, in buf. */
static const char *header(const struct http_request *req, const char *name,
			  char *buf, size_t cap)
{
	size_t n = strlen(name);

	buf[0] = '\0';
	for (size_t i = 0; i < req->f.nheaders; i++) {
		const struct http_header *h = &req->f.h[i];
		const char *v = h->value;
		size_t vl = h->value_len;

		if (h->name_len != n || strncasecmp(h->name, name, n))
			continue;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		snprintf(buf, cap, "%.*s", (int)(vl < cap ? vl : cap - 1), v);
		break;
	}
	return buf;
}

/* Is etag in the If-Match list (RFC 9110 §13.1.1: entity-tags separated
 * by commas; strong comparison, so a weak W/"..." never matches)? */
static int tag_listed(const char *list, const char *etag)
{
	size_t n = strlen(etag);

	for (const char *p = list; *p;) {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		len = strcspn(p, ",");
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && !strncmp(p, etag, n))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* PATCH of a live session: trickle ICE (RFC 9725 §4.3.1, RFC 8840). */
static int trickle(struct whip_endpoint *ep, const char *id,
		   const struct http_request *req, char *out, size_t cap,
		   size_t *outlen, struct whip_event *ev)
{
	char match[300], etag[WHIP_ID_LEN + 3], why[512] = "";
	size_t i;
	int rc;

	if (strcmp(req->f.content_type, "application/trickle-ice-sdpfrag"))
		return reply_text(out, cap, outlen, ev, 415, NULL,
				  "trickle ICE PATCHes are Content-Type: application/trickle-ice-sdpfrag");
	snprintf(etag, sizeof(etag), "\"%s\"", id);
	header(req, "If-Match", match, sizeof(match));
	/* "*" asks for an ICE restart, which this endpoint does not do
	 * (422); any other tag must be the session's (412). A client that
	 * sends none is let through. */
	if (!strcmp(match, "*"))
		return reply_text(out, cap, outlen, ev, 422, NULL,
				  "ICE restarts are not supported (If-Match: *)");
	if (match[0] && !tag_listed(match, etag)) {
		snprintf(why, sizeof(why),
			 "If-Match %.200s is not this ICE session's entity-tag %s",
			 match, etag);
		return reply_text(out, cap, outlen, ev, 412, NULL, why);
	}
	for (i = 0; i < req->f.body_len && isspace(req->f.body[i]); i++)
		;
	if (i == req->f.body_len)
		return reply_text(out, cap, outlen, ev, 400, NULL,
				  "empty trickle ICE fragment");
	rc = ep->trickle(ep->trickle_arg, id, (const char *)req->f.body,
			 req->f.body_len, why, sizeof(why));
	if (rc == NP_ENOTFOUND)
		return reply_text(out, cap, outlen, ev, 404, NULL,
				  "the WHIP session is ending");
	if (rc == NP_ERESTART)
		return reply_text(out, cap, outlen, ev, 422, NULL,
				  "ICE restarts are not supported: the fragment's ice-ufrag/ice-pwd are not the session's");
	if (rc < 0)
		return reply_text(out, cap, outlen, ev, 400, NULL,
				  why[0] ? why : "trickle ICE fragment refused");
	rc = reply(out, cap, outlen, ev, 204, NULL, NULL, 0);
	if (rc)
		return rc;
	ev->kind = WHIP_EV_TRICKLED;
	memcpy(ev->id, id, WHIP_ID_LEN + 1);
	return 0;
}

int whip_handle(struct whip_endpoint *ep, const struct http_request *req,
		whip_answer_fn fn, void *arg, char *out, size_t cap,
		size_t *outlen, struct whip_event *ev)
{
	size_t plen = strlen(ep->path), tlen, i;
	const char *t = req->target;

	memset(ev, 0, sizeof(*ev));
	*outlen = 0;
	tlen = strcspn(t, "?"); /* the query does not pick the resource */
	if (tlen == plen && !strncmp(t, ep->path, plen)) {
		if (!strcmp(req->method, "POST"))
			return create(ep, req, fn, arg, out, cap, outlen, ev);
		return reply_text(out, cap, outlen, ev, 405, "POST",
				  "a WHIP endpoint takes POST");
	}
	if (tlen == plen + 1 + WHIP_ID_LEN && !strncmp(t, ep->path, plen) &&
	    t[plen] == '/') {
		for (i = 0; i < ep->nsessions; i++) {
			int rc;

			if (strncmp(ep->ids[i], t + plen + 1, WHIP_ID_LEN))
				continue;
			if (!strcmp(req->method, "PATCH") && ep->trickle)
				return trickle(ep, ep->ids[i], req, out, cap,
					       outlen, ev);
			/* RFC 9725 §4.3.1: an endpoint without trickle (and
			 * without restarts) says so with 405. */
			if (strcmp(req->method, "DELETE"))
				return reply_text(out, cap, outlen, ev, 405,
						  ep->trickle ? "PATCH, DELETE" :
								"DELETE",
						  ep->trickle ?
						  "this WHIP session takes PATCH (trickle ICE) and DELETE" :
						  "this WHIP session takes only DELETE");
			rc = reply(out, cap, outlen, ev, 200, NULL, NULL, 0);
			if (rc)
				return rc;
			ev->kind = WHIP_EV_DELETED;
			memcpy(ev->id, ep->ids[i], WHIP_ID_LEN + 1);
			memmove(ep->ids[i], ep->ids[i + 1],
				(ep->nsessions - i - 1) * sizeof(ep->ids[0]));
			ep->nsessions--;
			return 0;
		}
	}
	return reply_text(out, cap, outlen, ev, 404, NULL,
			  "no such WHIP endpoint or session");
}
