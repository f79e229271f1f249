/*
 * test_whip.c - WHIP (RFC 9725) over HTTP/1.1 (probe/whip.c): the
 * endpoint's request handler called directly, and the client against a
 * small server thread on 127.0.0.1 (a real socket; the thread serves
 * either whip_handle or a canned response, to exercise every way an
 * endpoint can answer wrongly). Every wait is bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_min.h"
#include "np_err.h"
#include "whip.h"

static const char offer[] =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
	"a=end-of-candidates\r\n";

/* The answer callback: refuses offers that do not start with v=0. */
static int answer_fn(void *arg, const char *id, const char *o, size_t len,
		     char *answer, size_t cap, size_t *alen, char *why,
		     size_t wlen)
{
	int *calls = arg;

	if (calls)
		(*calls)++;
	if (len < 3 || memcmp(o, "v=0", 3) != 0) {
		snprintf(why, wlen, "offer line 1: expected \"v=0\"");
		return NP_EINVAL;
	}
	*alen = (size_t)snprintf(answer, cap,
				 "v=0\r\ns=answer for %s\r\na=end-of-candidates\r\n",
				 id);
	return 0;
}

/* The trickle callback: records the fragment; "restart" in it stands for
 * other credentials, "bad" for a fragment that does not parse. */
struct trickled {
	int calls;
	char id[WHIP_ID_LEN + 1];
	char frag[256];
};

static int trickle_fn(void *arg, const char *id, const char *frag,
		      size_t len, char *why, size_t wlen)
{
	struct trickled *t = arg;

	t->calls++;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->frag, sizeof(t->frag), "%.*s", (int)len, frag);
	if (strstr(t->frag, "restart"))
		return NP_ERESTART;
	if (strstr(t->frag, "gone"))
		return NP_ENOTFOUND;
	if (strstr(t->frag, "bad")) {
		snprintf(why, wlen, "malformed trickle ICE fragment: line 1");
		return NP_EINVAL;
	}
	return 0;
}

/* Builds and parses a request; raw must outlive req (body borrowed). */
static void make_req(struct http_request *req, char *raw, size_t cap,
		     const char *method, const char *target, const char *ctype,
		     const char *body)
{
	const char *hdrs[] = { "Content-Type", ctype, NULL };
	char why[200] = "";
	size_t n;

	assert_int_equal(http_write_request(raw, cap, &n, method, target,
					    "127.0.0.1", ctype ? hdrs : NULL,
					    body, body ? strlen(body) : 0), 0);
	if (http_parse_request(raw, n, req, why, sizeof(why)))
		fail_msg("request does not parse: %s", why);
}

/* Runs whip_handle and parses what it wrote. */
static void handle(struct whip_endpoint *ep, const char *method,
		   const char *target, const char *ctype, const char *body,
		   char *out, size_t cap, struct http_response *resp,
		   struct whip_event *ev, int *calls)
{
	char raw[4096], why[200] = "";
	struct http_request req;
	size_t n;

	make_req(&req, raw, sizeof(raw), method, target, ctype, body);
	assert_int_equal(whip_handle(ep, &req, answer_fn, calls, out, cap, &n,
				     ev), 0);
	if (http_parse_response(out, n, 0, resp, why, sizeof(why)))
		fail_msg("handler wrote an unparsable response: %s", why);
	assert_int_equal(resp->f.total, n);
	assert_int_equal(resp->status, ev->status);
}

static void test_handle_post_creates_and_delete_ends_a_session(void **state)
{
	struct whip_endpoint ep;
	struct http_response r;
	struct whip_event ev;
	char out[4096], loc[64], want[128];
	int calls = 0;

	assert_int_equal(whip_endpoint_init(&ep, "/whip/", 42), 0);
	handle(&ep, "POST", "/whip?token=x", "application/sdp; charset=utf-8",
	       offer, out, sizeof(out), &r, &ev, &calls);
	assert_int_equal(r.status, 201);
	assert_int_equal(calls, 1);
	assert_int_equal(ev.kind, WHIP_EV_CREATED);
	assert_int_equal(strlen(ev.id), WHIP_ID_LEN);
	snprintf(loc, sizeof(loc), "/whip/%s", ev.id);
	assert_string_equal(r.f.location, loc);
	assert_string_equal(r.f.content_type, "application/sdp");
	snprintf(want, sizeof(want),
		 "v=0\r\ns=answer for %s\r\na=end-of-candidates\r\n", ev.id);
	assert_int_equal(r.f.body_len, strlen(want));
	assert_memory_equal(r.f.body, want, strlen(want));
	assert_int_equal(ep.nsessions, 1);

	handle(&ep, "DELETE", loc, NULL, NULL, out, sizeof(out), &r, &ev,
	       &calls);
	assert_int_equal(r.status, 200);
	assert_int_equal(ev.kind, WHIP_EV_DELETED);
	assert_string_equal(ev.id, loc + 6);
	assert_int_equal(ep.nsessions, 0);
	handle(&ep, "DELETE", loc, NULL, NULL, out, sizeof(out), &r, &ev,
	       &calls);
	assert_int_equal(r.status, 404);
	assert_int_equal(ev.kind, WHIP_EV_NONE);
}

static void test_handle_refusals_have_the_right_status(void **state)
{
	struct whip_endpoint ep;
	struct http_response r;
	struct whip_event ev;
	char out[4096], loc[64];
	int calls = 0;

	assert_int_equal(whip_endpoint_init(&ep, "/whip", 1), 0);
	handle(&ep, "POST", "/whip", "text/plain", offer, out, sizeof(out), &r,
	       &ev, &calls);
	assert_int_equal(r.status, 415);
	handle(&ep, "POST", "/whip", "application/sdp", NULL, out, sizeof(out),
	       &r, &ev, &calls);
	assert_int_equal(r.status, 400);
	assert_int_equal(calls, 0); /* neither reached the callback */
	handle(&ep, "POST", "/whip", "application/sdp", "x=1\r\n", out,
	       sizeof(out), &r, &ev, &calls);
	assert_int_equal(r.status, 400);
	assert_non_null(memmem(r.f.body, r.f.body_len, "expected \"v=0\"", 14));
	handle(&ep, "GET", "/whip", NULL, NULL, out, sizeof(out), &r, &ev,
	       &calls);
	assert_int_equal(r.status, 405);
	assert_memory_equal(http_find(&r.f, "Allow")->value, "POST", 4);
	handle(&ep, "POST", "/other", "application/sdp", offer, out,
	       sizeof(out), &r, &ev, &calls);
	assert_int_equal(r.status, 404);
	handle(&ep, "DELETE", "/whip/0000000000000000", NULL, NULL, out,
	       sizeof(out), &r, &ev, &calls);
	assert_int_equal(r.status, 404);
	assert_int_equal(ep.nsessions, 0);
	/* A live session takes DELETE only (no trickle PATCH here). */
	handle(&ep, "POST", "/whip", "application/sdp", offer, out,
	       sizeof(out), &r, &ev, &calls);
	snprintf(loc, sizeof(loc), "/whip/%s", ev.id);
	handle(&ep, "PATCH", loc, "application/trickle-ice-sdpfrag",
	       "a=end-of-candidates\r\n", out, sizeof(out), &r, &ev, &calls);
	assert_int_equal(r.status, 405);
	assert_memory_equal(http_find(&r.f, "Allow")->value, "DELETE", 6);
	assert_int_equal(ep.nsessions, 1);
}

static void test_handle_caps_sessions_and_output(void **state)
{
	struct whip_endpoint ep;
	struct http_response r;
	struct whip_event ev;
	struct http_request req;
	char out[4096], raw[1024], ids[WHIP_MAX_SESSIONS][WHIP_ID_LEN + 1];
	size_t n;
	int i, k, calls;

	assert_int_equal(whip_endpoint_init(&ep, "/whip", 7), 0);
	for (i = 0; i < WHIP_MAX_SESSIONS; i++) {
		handle(&ep, "POST", "/whip", "application/sdp", offer, out,
		       sizeof(out), &r, &ev, NULL);
		assert_int_equal(r.status, 201);
		memcpy(ids[i], ev.id, sizeof(ev.id));
		for (k = 0; k < i; k++)
			assert_string_not_equal(ids[k], ids[i]);
	}
	handle(&ep, "POST", "/whip", "application/sdp", offer, out,
	       sizeof(out), &r, &ev, NULL);
	assert_int_equal(r.status, 503);
	assert_int_equal(ep.nsessions, WHIP_MAX_SESSIONS);
	/* The same seed gives the same ids (tests can predict them). */
	assert_int_equal(whip_endpoint_init(&ep, "/whip", 7), 0);
	handle(&ep, "POST", "/whip", "application/sdp", offer, out,
	       sizeof(out), &r, &ev, NULL);
	assert_string_equal(ev.id, ids[0]);
	/* Output too small: an error before the callback, no session. */
	make_req(&req, raw, sizeof(raw), "POST", "/whip", "application/sdp",
		 offer);
	calls = 0;
	assert_int_equal(whip_handle(&ep, &req, answer_fn, &calls, out,
				     WHIP_RESPONSE_HEADROOM - 1, &n, &ev),
			 NP_ENOSPACE);
	assert_int_equal(calls, 0);
	assert_int_equal(ep.nsessions, 1);
	/* Just enough for the head plus this answer: announced. */
	assert_int_equal(whip_handle(&ep, &req, answer_fn, &calls, out,
				     WHIP_RESPONSE_HEADROOM + 80, &n, &ev), 0);
	assert_int_equal(ev.status, 201);
	assert_int_equal(ep.nsessions, 2);
	/* An answer longer than the room left: refused, not truncated. */
	assert_int_equal(whip_handle(&ep, &req, answer_fn, &calls, out,
				     WHIP_RESPONSE_HEADROOM + 20, &n, &ev), 0);
	assert_int_equal(ev.status, 400);
	assert_int_equal(ep.nsessions, 2);
	assert_int_equal(whip_endpoint_init(&ep, "whip", 1), NP_EINVAL);
	assert_int_equal(whip_endpoint_init(&ep, "/a b", 1), NP_EINVAL);
	assert_int_equal(whip_endpoint_init(&ep, "/a?b", 1), NP_EINVAL);
}

static void test_url_parse(void **state)
{
	struct whip_url u;
	char why[200];

	assert_int_equal(whip_url_parse("http://127.0.0.1:8080/api/whip", &u,
					 why, sizeof(why)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 8080);
	assert_string_equal(u.path, "/api/whip");
	assert_string_equal(u.authority, "127.0.0.1:8080");
	assert_int_equal(whip_url_parse("HTTP://[::1]", &u, why, sizeof(why)),
			 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 80);
	assert_string_equal(u.path, "/");
	assert_int_equal(whip_url_parse("http://h?x=1", &u, why, sizeof(why)),
			 0);
	assert_string_equal(u.path, "/?x=1");
	assert_int_equal(whip_url_parse("https://h/whip", &u, why, sizeof(why)),
			 NP_EINVAL);
	assert_non_null(strstr(why, "https is not supported"));
	assert_int_equal(whip_url_parse("ftp://h/", &u, why, sizeof(why)),
			 NP_EINVAL);
	assert_non_null(strstr(why, "ftp://h/"));
	assert_int_equal(whip_url_parse("http://h:0/", &u, why, sizeof(why)),
			 NP_EINVAL);
	assert_int_equal(whip_url_parse("http://h:65536/", &u, why,
					 sizeof(why)), NP_EINVAL);
	assert_int_equal(whip_url_parse("http://[::1/", &u, why, sizeof(why)),
			 NP_EINVAL);
	assert_int_equal(whip_url_parse("http://u@h/", &u, why, sizeof(why)),
			 NP_EINVAL);
	assert_int_equal(whip_url_parse("http://h/a b", &u, why, sizeof(why)),
			 NP_EINVAL);
	assert_int_equal(whip_url_parse("http:///x", &u, why, sizeof(why)),
			 NP_EINVAL);
}

/* --- a server thread on 127.0.0.1 --- */

struct srv {
	int lfd;
	uint16_t port;
	int nconn;          /* connections to serve, then exit */
	const char *canned; /* raw response bytes instead of whip_handle */
	int hold;           /* never answer; wait for the client to go */
	struct whip_endpoint ep;
	int calls;
	char last_method[HTTP_MAX_METHOD];
	char last_target[HTTP_MAX_URL];
	pthread_t th;
};

static void serve_one(struct srv *s, int fd)
{
	static char in[65536];
	char *out = malloc(HTTP_MAX_BODY + 4096), why[200];
	struct http_request req;
	struct whip_event ev;
	size_t got = 0, n;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			goto out;
		r = recv(fd, in + got, sizeof(in) - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
		if (http_parse_request(in, got, &req, why, sizeof(why)) !=
		    NP_ETRUNCATED)
			break;
	}
	snprintf(s->last_method, sizeof(s->last_method), "%s", req.method);
	snprintf(s->last_target, sizeof(s->last_target), "%s", req.target);
	if (s->hold) {
		/* Until the client gives up and closes. */
		while (poll(&p, 1, 5000) > 0 && recv(fd, in, sizeof(in), 0) > 0)
			;
		goto out;
	}
	if (s->canned) {
		send(fd, s->canned, strlen(s->canned), MSG_NOSIGNAL);
		goto out;
	}
	if (whip_handle(&s->ep, &req, answer_fn, &s->calls, out,
			HTTP_MAX_BODY + 4096, &n, &ev) == 0)
		send(fd, out, n, MSG_NOSIGNAL);
out:
	free(out);
	close(fd);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd p = { .fd = s->lfd, .events = POLLIN };
	int i, fd;

	for (i = 0; i < s->nconn; i++) {
		if (poll(&p, 1, 5000) <= 0)
			break;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		serve_one(s, fd);
	}
	return NULL;
}

static struct srv *srv_start(int nconn, const char *canned, int hold)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	assert_non_null(s);
	s->nconn = nconn;
	s->canned = canned;
	s->hold = hold;
	assert_int_equal(whip_endpoint_init(&s->ep, "/api/whip", 99), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return s;
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
	free(s);
}

static void url(char *buf, size_t cap, const struct srv *s, const char *path)
{
	snprintf(buf, cap, "http://127.0.0.1:%u%s", s->port, path);
}

static void test_client_post_then_delete_against_handler(void **state)
{
	struct srv *s = srv_start(3, NULL, 0);
	char u[128], loc[256], why[256] = "", want[128], *answer = NULL;
	size_t alen = 0;

	url(u, sizeof(u), s, "/api/whip");
	if (whip_post(u, offer, strlen(offer), 5000, &answer, &alen, loc,
		      sizeof(loc), why, sizeof(why)))
		fail_msg("whip_post: %s", why);
	assert_string_equal(s->last_method, "POST");
	assert_int_equal(s->calls, 1);
	assert_int_equal(s->ep.nsessions, 1);
	/* Location came back as a path; the client made it absolute. */
	snprintf(want, sizeof(want), "%s/%s", u, s->ep.ids[0]);
	assert_string_equal(loc, want);
	assert_int_equal(alen, strlen(answer));
	assert_non_null(strstr(answer, s->ep.ids[0]));
	free(answer);
	if (whip_delete(loc, 5000, why, sizeof(why)))
		fail_msg("whip_delete: %s", why);
	assert_string_equal(s->last_method, "DELETE");
	assert_int_equal(s->ep.nsessions, 0);
	/* Again: the session is gone, 404 is named. */
	assert_int_equal(whip_delete(loc, 5000, why, sizeof(why)), NP_EINVAL);
	assert_non_null(strstr(why, "404 Not Found"));
	srv_stop(s);
}

static void test_client_trickles_with_the_etag_of_the_201(void **state)
{
	static const char frag[] = "a=ice-ufrag:abcd\r\na=ice-pwd:x\r\n";
	struct trickled t = { 0 };
	struct srv *s = srv_start(5, NULL, 0);
	char u[128], loc[256], etag[64], why[256] = "", *answer = NULL;
	size_t alen = 0;

	s->ep.trickle = trickle_fn;
	s->ep.trickle_arg = &t;
	url(u, sizeof(u), s, "/api/whip");
	if (whip_post_etag(u, offer, strlen(offer), 5000, &answer, &alen, loc,
			   sizeof(loc), etag, sizeof(etag), why, sizeof(why)))
		fail_msg("whip_post_etag: %s", why);
	free(answer);
	assert_int_equal(strlen(etag), WHIP_ID_LEN + 2);
	assert_int_equal(etag[0], '"');
	if (whip_patch(loc, etag, frag, strlen(frag), 5000, why, sizeof(why)))
		fail_msg("whip_patch: %s", why);
	assert_string_equal(s->last_method, "PATCH");
	assert_int_equal(t.calls, 1);
	assert_string_equal(t.frag, frag);
	/* A stale tag is the endpoint's 412, named. */
	assert_int_equal(whip_patch(loc, "\"stale\"", frag, strlen(frag), 5000,
				    why, sizeof(why)), NP_EINVAL);
	assert_non_null(strstr(why, "412 Precondition Failed"));
	/* An endpoint without trickle: 405 is NP_ENOTFOUND. */
	s->ep.trickle = NULL;
	assert_int_equal(whip_patch(loc, etag, frag, strlen(frag), 5000, why,
				    sizeof(why)), NP_ENOTFOUND);
	assert_non_null(strstr(why, "405"));
	if (whip_delete(loc, 5000, why, sizeof(why)))
		fail_msg("whip_delete: %s", why);
	assert_int_equal(t.calls, 1);
	srv_stop(s);
}

static void test_client_names_status_and_reason_of_a_refusal(void **state)
{
	struct srv *s = srv_start(1, NULL, 0);
	char u[128], loc[256], why[256] = "", *answer = NULL;
	size_t alen = 0;

	url(u, sizeof(u), s, "/api/whip");
	assert_int_equal(whip_post(u, "x=0\r\n", 5, 5000, &answer, &alen, loc,
				   sizeof(loc), why, sizeof(why)), NP_EINVAL);
	assert_null(answer);
	assert_non_null(strstr(why, u));
	assert_non_null(strstr(why, "400 Bad Request: offer line 1: expected \"v=0\""));
	srv_stop(s);
}

struct canned_case {
	const char *response;
	const char *path;
	int rc;
	const char *mentions; /* in why, or in the location on success */
};

static const struct canned_case canned[] = {
	{ "HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: 0\r\n\r\n",
	  "/w", NP_EINVAL, "415 Unsupported Media Type" },
	{ "HTTP/1.1 200 OK\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
	  "/w", NP_EINVAL, "200 OK" },
	{ "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
	  "/w", NP_EINVAL, "without a Location" },
	{ "HTTP/1.1 201 Created\r\nLocation: /w/1\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\n<p/>",
	  "/w", NP_EINVAL, "not an application/sdp answer" },
	{ "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nv=0\r\n\r\n0\r\n\r\n",
	  "/w", NP_EINVAL, "malformed HTTP response: Transfer-Encoding" },
	{ "HTTP/1.1 201 Created\r\nLocation: /w/1\r\nContent-Length: 100\r\n\r\nshort",
	  "/w", NP_EINVAL, "closed after" },
	{ "SSH-2.0-OpenSSH_9.2\r\n", "/w", NP_EINVAL, "not an HTTP/1.x status line" },
	/* Relative Location, resolved against the endpoint URL. */
	{ "HTTP/1.1 201 Created\r\nLocation: sessions/42\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
	  "/api/whip", 0, "/api/sessions/42" },
	/* No Content-Length: the answer runs to the close. */
	{ "HTTP/1.1 201 Created\r\nLocation: http://192.0.2.9/s/1\r\nContent-Type: application/sdp\r\nConnection: close\r\n\r\nv=0\r\ns=-\r\n",
	  "/w", 0, "http://192.0.2.9/s/1" },
};

static void test_client_against_misbehaving_endpoints(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(canned) / sizeof(canned[0]); i++) {
		const struct canned_case *c = &canned[i];
		struct srv *s = srv_start(1, c->response, 0);
		char u[128], loc[256] = "", why[256] = "", *answer = NULL;
		size_t alen = 0;
		int rc;

		url(u, sizeof(u), s, c->path);
		rc = whip_post(u, offer, strlen(offer), 5000, &answer, &alen,
			       loc, sizeof(loc), why, sizeof(why));
		if (rc != c->rc)
			fail_msg("case %zu: rc %s, want %s (%s)", i,
				 np_errname(rc), np_errname(c->rc), why);
		if (!strstr(rc ? why : loc, c->mentions))
			fail_msg("case %zu: \"%s\" does not mention \"%s\"", i,
				 rc ? why : loc, c->mentions);
		if (rc == 0) {
			assert_non_null(answer);
			assert_int_equal(strncmp(answer, "v=0", 3), 0);
		} else {
			assert_null(answer);
		}
		free(answer);
		srv_stop(s);
	}
}

static void test_client_times_out_on_a_silent_endpoint(void **state)
{
	struct srv *s = srv_start(1, NULL, 1);
	char u[128], loc[256], why[256] = "", *answer = NULL;
	size_t alen;

	url(u, sizeof(u), s, "/w");
	assert_int_equal(whip_post(u, offer, strlen(offer), 200, &answer, &alen,
				   loc, sizeof(loc), why, sizeof(why)),
			 NP_ETIMEOUT);
	assert_non_null(strstr(why, "within 200 ms"));
	assert_string_equal(s->last_method, "POST"); /* the request arrived */
	srv_stop(s);
}

/* (No resolver test: a lookup of an unknown name would leave the host.) */
static void test_client_connection_refused_is_errno(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char u[128], loc[256], why[256] = "", *answer = NULL;
	size_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was just free: bound, never listened on. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u/whip", ntohs(a.sin_port));
	assert_int_equal(whip_post(u, offer, strlen(offer), 2000, &answer, &n,
				   loc, sizeof(loc), why, sizeof(why)),
			 -ECONNREFUSED);
	close(fd);
	assert_non_null(strstr(why, u));
	assert_non_null(strstr(why, strerror(ECONNREFUSED)));
	assert_int_equal(whip_post("https://127.0.0.1/whip", offer,
				   strlen(offer), 2000, &answer, &n, loc,
				   sizeof(loc), why, sizeof(why)), NP_EINVAL);
}

/* A PATCH with optional If-Match, through whip_handle; the status. */
static int patch(struct whip_endpoint *ep, const char *target,
		 const char *ctype, const char *if_match, const char *body,
		 struct http_response *r, struct whip_event *ev)
{
	char raw[2048], out[4096], why[200] = "";
	struct http_request req;
	size_t n;
	int len;

	len = snprintf(raw, sizeof(raw),
		       "PATCH %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		       "Content-Type: %s\r\n%s%s%sContent-Length: %zu\r\n\r\n%s",
		       target, ctype, if_match ? "If-Match: " : "",
		       if_match ? if_match : "", if_match ? "\r\n" : "",
		       strlen(body), body);
	assert_true(len > 0 && (size_t)len < sizeof(raw));
	if (http_parse_request(raw, (size_t)len, &req, why, sizeof(why)))
		fail_msg("request does not parse: %s", why);
	assert_int_equal(whip_handle(ep, &req, answer_fn, NULL, out,
				     sizeof(out), &n, ev), 0);
	if (http_parse_response(out, n, 0, r, why, sizeof(why)))
		fail_msg("handler wrote an unparsable response: %s", why);
	return r->status;
}

static void test_patch_trickles_candidates_to_the_session(void **state)
{
	static const char frag[] =
		"a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
		"a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n"
		"a=end-of-candidates\r\n";
	static const char ct[] = "application/trickle-ice-sdpfrag";
	struct trickled t = { 0 };
	struct whip_endpoint ep;
	struct http_response r;
	struct whip_event ev;
	char out[4096], loc[64], etag[32];

	assert_int_equal(whip_endpoint_init(&ep, "/whip", 3), 0);
	ep.trickle = trickle_fn;
	ep.trickle_arg = &t;
	handle(&ep, "POST", "/whip", "application/sdp", offer, out,
	       sizeof(out), &r, &ev, NULL);
	assert_int_equal(r.status, 201);
	/* The 201 names the ICE session's entity-tag. */
	snprintf(etag, sizeof(etag), "\"%s\"", ev.id);
	assert_string_equal(r.f.etag, etag);
	snprintf(loc, sizeof(loc), "/whip/%s", ev.id);

	assert_int_equal(patch(&ep, loc, ct, etag, frag, &r, &ev), 204);
	assert_int_equal(ev.kind, WHIP_EV_TRICKLED);
	assert_string_equal(ev.id, loc + 6);
	assert_int_equal(r.f.body_len, 0);
	assert_int_equal(t.calls, 1);
	assert_string_equal(t.id, loc + 6);
	assert_string_equal(t.frag, frag);
	/* No If-Match: let through; a list that holds the tag matches. */
	assert_int_equal(patch(&ep, loc, ct, NULL, frag, &r, &ev), 204);
	assert_int_equal(t.calls, 2);
	{
		char list[80];

		snprintf(list, sizeof(list), "\"x\", %s", etag);
		assert_int_equal(patch(&ep, loc, ct, list, frag, &r, &ev), 204);
		snprintf(list, sizeof(list), "W/%s", etag);
		assert_int_equal(patch(&ep, loc, ct, list, frag, &r, &ev), 412);
		assert_int_equal(patch(&ep, loc, ct, etag, " \r\n", &r, &ev),
				 400);
	}
	assert_int_equal(t.calls, 3);
	t.calls = 2;

	/* Refusals, none reaching the callback. */
	assert_int_equal(patch(&ep, loc, "application/sdp", etag, frag, &r,
			       &ev), 415);
	assert_int_equal(patch(&ep, loc, ct, "\"0000000000000000\"", frag, &r,
			       &ev), 412);
	assert_int_equal(patch(&ep, loc, ct, "*", frag, &r, &ev), 422);
	assert_int_equal(patch(&ep, loc, ct, etag, "", &r, &ev), 400);
	assert_int_equal(t.calls, 2);
	/* The callback's own verdicts. */
	assert_int_equal(patch(&ep, loc, ct, etag, "a=restart\r\n", &r, &ev),
			 422);
	assert_int_equal(ev.kind, WHIP_EV_NONE);
	assert_int_equal(patch(&ep, loc, ct, etag, "a=gone\r\n", &r, &ev), 404);
	assert_int_equal(patch(&ep, loc, ct, etag, "a=bad\r\n", &r, &ev), 400);
	assert_non_null(memmem(r.f.body, r.f.body_len, "line 1", 6));
	assert_int_equal(t.calls, 5);
	/* Another session's id, or the endpoint itself: 404 and 405. */
	assert_int_equal(patch(&ep, "/whip/0123456789abcdef", ct, NULL, frag,
			       &r, &ev), 404);
	assert_int_equal(patch(&ep, "/whip", ct, NULL, frag, &r, &ev), 405);
	/* A GET on the session names both methods it takes. */
	handle(&ep, "GET", loc, NULL, NULL, out, sizeof(out), &r, &ev, NULL);
	assert_int_equal(r.status, 405);
	assert_int_equal(t.calls, 5);
}

static void test_without_trickle_patch_is_405_and_no_etag(void **state)
{
	struct whip_endpoint ep;
	struct http_response r;
	struct whip_event ev;
	char out[4096], loc[64];

	assert_int_equal(whip_endpoint_init(&ep, "/whip", 3), 0);
	handle(&ep, "POST", "/whip", "application/sdp", offer, out,
	       sizeof(out), &r, &ev, NULL);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.f.etag, "");
	snprintf(loc, sizeof(loc), "/whip/%s", ev.id);
	assert_int_equal(patch(&ep, loc, "application/trickle-ice-sdpfrag",
			       NULL, "a=x\r\n", &r, &ev), 405);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle_post_creates_and_delete_ends_a_session),
		cmocka_unit_test(test_handle_refusals_have_the_right_status),
		cmocka_unit_test(test_handle_caps_sessions_and_output),
		cmocka_unit_test(test_patch_trickles_candidates_to_the_session),
		cmocka_unit_test(test_without_trickle_patch_is_405_and_no_etag),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_client_post_then_delete_against_handler),
		cmocka_unit_test(test_client_trickles_with_the_etag_of_the_201),
		cmocka_unit_test(test_client_names_status_and_reason_of_a_refusal),
		cmocka_unit_test(test_client_against_misbehaving_endpoints),
		cmocka_unit_test(test_client_times_out_on_a_silent_endpoint),
		cmocka_unit_test(test_client_connection_refused_is_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
