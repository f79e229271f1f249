/*
 * whip.h - WHIP (RFC 9725) signaling over plain HTTP/1.1: the client that
 * `natprobe ice` uses to hand its offer to a WHIP endpoint, and the
 * request handler `natprobe serve` uses to be one.
 *
 * RFC 9725 §4.2: the client POSTs the SDP offer (Content-Type
 * application/sdp) to the WHIP endpoint URL; the endpoint answers
 * "201 Created" with the SDP answer and a Location header naming the WHIP
 * session URL. §4.3: DELETE on the session URL ends the session (200).
 * Trickle and ICE restarts by PATCH (§4.3.1) are not supported: the
 * handler answers 405, which the RFC allows.
 *
 * No TLS yet: only http:// URLs.
 */
#ifndef WHIP_H
#define WHIP_H

#include <stddef.h>
#include <stdint.h>

#include "http_min.h"

/* Sessions one endpoint keeps at a time (a cap a client cannot grow). */
#define WHIP_MAX_SESSIONS 16
/* Session ids: 16 hex digits. */
#define WHIP_ID_LEN 16
/* Bytes of out[] that whip_handle keeps for the 201 response head; the
 * answer callback gets the rest (at most HTTP_MAX_BODY). */
#define WHIP_RESPONSE_HEADROOM 512

/*
 * Client. POSTs the offer to url ("http://host[:port]/path"; host a name,
 * IPv4 or [IPv6]) and waits at most timeout_ms for the whole exchange.
 * On 201 Created with a Location and an application/sdp body:
 * *answer = malloc'd NUL-terminated answer (the caller frees), *alen its
 * length, location = the session URL made absolute against url. Errors,
 * each with a sentence naming the URL in why:
 *   NP_EINVAL    bad URL, or the endpoint answered something else: the
 *                sentence names the status code and reason ("415
 *                Unsupported Media Type") or what is missing
 *   NP_ERESOLVE  host does not resolve
 *   NP_ETIMEOUT  no complete response within timeout_ms
 *   NP_EFULL     response over the HTTP caps; NP_ENOSPACE loclen too small
 *   -errno       connect/send/recv failures (e.g. -ECONNREFUSED)
 */
int whip_post(const char *url, const char *offer, size_t len,
	      uint32_t timeout_ms, char **answer, size_t *alen,
	      char *location, size_t loclen, char *why, size_t wlen);
/* The same, also copying the 201's ETag (the ICE session's entity-tag,
 * "" when the endpoint sent none) into etag[etaglen]. */
int whip_post_etag(const char *url, const char *offer, size_t len,
		   uint32_t timeout_ms, char **answer, size_t *alen,
		   char *location, size_t loclen, char *etag, size_t etaglen,
		   char *why, size_t wlen);
/* Trickle ICE (RFC 9725 §4.3.1): PATCHes frag[len] (an
 * application/trickle-ice-sdpfrag) to the session URL, with If-Match etag
 * when etag is not "". 0 on 204 (any 2xx); NP_ENOTFOUND when the endpoint
 * does not take trickle (405, 501); NP_EINVAL naming any other status;
 * whip_post's transport errors. */
int whip_patch(const char *url, const char *etag, const char *frag,
	       size_t len, uint32_t timeout_ms, char *why, size_t wlen);
/* DELETE on the session URL (the location from whip_post). Any 2xx is
 * success; other statuses are NP_EINVAL naming the status. */
int whip_delete(const char *url, uint32_t timeout_ms, char *why,
		size_t wlen);

/* Parsed "http://host[:port]/path". */
struct whip_url {
	char host[256];   /* without [] */
	uint16_t port;    /* 80 when not given */
	char path[HTTP_MAX_URL];
	char authority[300]; /* host[:port] as for the Host header */
};
/* 0 or NP_EINVAL with a sentence quoting url. */
int whip_url_parse(const char *url, struct whip_url *u, char *why,
		   size_t wlen);

/*
 * Server side. The answer callback gets the new session's id and the
 * offer, and writes the answer into answer[cap] (*alen bytes). It returns
 * 0, or a negative code with a sentence in why that is sent back to the
 * client with 400 Bad Request (a rejected offer).
 */
typedef int (*whip_answer_fn)(void *arg, const char *id, const char *offer,
			      size_t len, char *answer, size_t cap,
			      size_t *alen, char *why, size_t wlen);

/*
 * Trickle ICE (RFC 9725 §4.3.1, RFC 8840): the candidates a client
 * PATCHes to session id, as an application/trickle-ice-sdpfrag body
 * (frag, len bytes, not NUL-terminated). Returns 0 (taken: 204),
 * NP_ERESTART when the fragment's ice-ufrag/ice-pwd are not the
 * session's (an ICE restart: 422), NP_ENOTFOUND when the session is
 * ending (404), or another negative code with a sentence in why (400).
 */
typedef int (*whip_trickle_fn)(void *arg, const char *id, const char *frag,
			       size_t len, char *why, size_t wlen);

/* The endpoint's state: its path and live sessions. Ids come from a
 * seeded generator (pass a random seed; tests pass a fixed one). With
 * trickle set the sessions take PATCH, and the 201 carries the ICE
 * session's entity-tag (ETag: "<id>"). */
struct whip_endpoint {
	char path[256];
	uint64_t rng;
	size_t nsessions;
	char ids[WHIP_MAX_SESSIONS][WHIP_ID_LEN + 1];
	whip_trickle_fn trickle;
	void *trickle_arg;
};

/* What whip_handle did, for the caller to act on (start or tear down an
 * ICE agent). */
enum whip_event_kind { WHIP_EV_NONE, WHIP_EV_CREATED, WHIP_EV_DELETED,
		       WHIP_EV_TRICKLED };
struct whip_event {
	enum whip_event_kind kind;
	char id[WHIP_ID_LEN + 1];
	int status;       /* the status code written */
};

/* path: the endpoint path ("/whip"), starting with '/', no '?' or '#'. */
int whip_endpoint_init(struct whip_endpoint *ep, const char *path,
		       uint64_t seed);
/*
 * Produces the response to one parsed request in out[cap]:
 *   POST path, Content-Type application/sdp -> 201 Created,
 *        Location: path/<id>, Content-Type application/sdp, the answer
 *   POST path, other type -> 415; empty offer or fn refused -> 400 with
 *        the reason as text/plain; WHIP_MAX_SESSIONS live -> 503
 *   DELETE path/<id> of a live session -> 200 (event DELETED)
 *   PATCH path/<id>, with ep->trickle: Content-Type must be
 *        application/trickle-ice-sdpfrag (else 415); If-Match "*" -> 422
 *        (no ICE restarts), another tag than the session's -> 412, none
 *        -> accepted; the callback's verdict -> 204 (event TRICKLED),
 *        422, 404 or 400
 *   other methods on a known resource -> 405 with Allow
 *   any other target -> 404
 * Returns 0 (the response is in out, *outlen bytes, ev filled) or
 * NP_ENOSPACE when cap is below WHIP_RESPONSE_HEADROOM (then fn is not
 * called and nothing changes). The answer callback gets
 * min(cap - WHIP_RESPONSE_HEADROOM, HTTP_MAX_BODY) bytes, so a session fn
 * accepted is always announced; cap = HTTP_MAX_BODY +
 * WHIP_RESPONSE_HEADROOM allows the largest answer. The offer passed to
 * fn is the request body: not NUL-terminated, borrowed for the call.
 */
int whip_handle(struct whip_endpoint *ep, const struct http_request *req,
		whip_answer_fn fn, void *arg, char *out, size_t cap,
		size_t *outlen, struct whip_event *ev);

#endif
