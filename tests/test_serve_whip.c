/*
 * test_serve_whip.c - the WHIP endpoint of `natprobe serve --whip`
 * (probe/serve_whip.c, serve_whip_sess.c) on an in-process event loop,
 * with real loopback TCP clients driven by the test: offers answered by
 * a real ICE agent, DELETE, and every refusal (415, 400 with sdp_parse's
 * reason, 413, 503), the connection cap, slowloris (idle and whole-request
 * deadlines under a fake clock), session timeouts; and ice_whip_offer
 * (probe/ice_whip.c) against the endpoint and against a 201 that carries
 * no SDP. Every wait is bounded by an iteration count, not by speed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "http_min.h"
#include "ice_whip.h"
#include "np_err.h"
#include "sdp.h"
#include "serve_whip.h"
#include "whip.h"

static const char offer[] =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"a=group:BUNDLE a0\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a0\r\n"
	"a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
	"a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
	"a=end-of-candidates\r\n";

struct fx {
	struct np_loop *loop;
	struct serve_whip *w;
	uint16_t port;
	uint64_t fake_now;      /* used when the fake clock is on */
	char log[16384];        /* what the endpoint logged */
	size_t loglen;
};

static void logline(void *arg, const char *line)
{
	struct fx *f = arg;
	int n = snprintf(f->log + f->loglen, sizeof(f->log) - f->loglen,
			 "%s\n", line);

	if (n > 0 && f->loglen + (size_t)n < sizeof(f->log))
		f->loglen += (size_t)n;
}

static uint64_t fake_clock(void *arg)
{
	return ((struct fx *)arg)->fake_now;
}

static void fx_start(struct fx *f, int fake, struct serve_whip_opts *o)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&o->addr;
	struct sockaddr_storage ss;
	char detail[200] = "";

	memset(f, 0, sizeof(*f));
	assert_int_equal(np_loop_new(&f->loop), 0);
	if (fake) {
		f->fake_now = 1000000;
		np_loop_set_clock(f->loop, fake_clock, f);
	}
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	o->loopback = 1;
	o->family = AF_INET;
	o->seed = 7;
	o->log = logline;
	o->log_arg = f;
	if (serve_whip_new(&f->w, f->loop, o, detail, sizeof(detail)) < 0)
		fail_msg("serve_whip_new: %s", detail);
	serve_whip_local(f->w, &ss);
	f->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	assert_true(f->port > 0);
}

static void fx_stop(struct fx *f)
{
	serve_whip_free(f->w);
	np_loop_free(f->loop);
}

static void pump(struct fx *f, int n)
{
	for (int i = 0; i < n; i++)
		np_loop_run_once(f->loop, 1000);
}

static int dial(struct fx *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(f->port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void put(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Pumps the loop until a whole response arrives on fd (into raw), or
 * the connection closes (returns 0 then, 1 with a response). */
static int response(struct fx *f, int fd, char *raw, size_t cap,
		    struct http_response *r)
{
	size_t got = 0;
	char why[200];

	for (int i = 0; i < 5000; i++) {
		ssize_t n;

		np_loop_run_once(f->loop, 1000);
		n = recv(fd, raw + got, cap - got, MSG_DONTWAIT);
		if (n == 0)
			return got && !http_parse_response(raw, got, 1, r, why,
							   sizeof(why));
		if (n < 0)
			continue;
		got += (size_t)n;
		if (http_parse_response(raw, got, 0, r, why, sizeof(why)) == 0)
			return 1;
	}
	fail_msg("no response after 5000 loop turns (%zu bytes)", got);
	return 0;
}

/* Is fd closed by the server within n loop turns? */
static int closed_within(struct fx *f, int fd, int turns)
{
	char b[4096];

	for (int i = 0; i < turns; i++) {
		ssize_t n;

		np_loop_run_once(f->loop, 1000);
		n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
	return 0;
}

static int closed(struct fx *f, int fd)
{
	return closed_within(f, fd, 3000);
}

static void request(int fd, const char *method, const char *target,
		    const char *ctype, const char *body, size_t blen)
{
	const char *hdrs[] = { "Content-Type", ctype, NULL };
	static char raw[HTTP_MAX_HEAD + HTTP_MAX_BODY];
	size_t n;

	assert_int_equal(http_write_request(raw, sizeof(raw), &n, method, target,
					    "127.0.0.1", ctype ? hdrs : NULL,
					    body, blen), 0);
	put(fd, raw, n);
}

static int body_has(const struct http_response *r, const char *s)
{
	return r->f.body && memmem(r->f.body, r->f.body_len, s, strlen(s));
}

static void test_offer_gets_an_answer_and_delete_frees_the_session(void **st)
{
	static char raw[65536];
	struct serve_whip_opts o = { .gather_us = 500000 };
	struct http_response r;
	struct sdp *a;
	char loc[HTTP_MAX_URL];
	struct fx f;
	int fd, i;

	fx_start(&f, 0, &o);
	fd = dial(&f);
	request(fd, "POST", "/whip", "application/sdp", offer, strlen(offer));
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 201);
	assert_string_equal(r.f.content_type, "application/sdp");
	assert_int_equal(strncmp(r.f.location, "/whip/", 6), 0);
	assert_int_equal(strlen(r.f.location), 6 + WHIP_ID_LEN);
	snprintf(loc, sizeof(loc), "%s", r.f.location);
	/* A full SDP answer that mirrors the offer's m-line. */
	assert_int_equal(sdp_new(&a), 0);
	assert_int_equal(sdp_parse((const char *)r.f.body, r.f.body_len, a,
				   NULL), 0);
	assert_false(a->bare);
	assert_int_equal(a->nmedia, 1);
	assert_string_equal(a->media[0].kind, "audio");
	assert_string_equal(a->media[0].mid, "a0");
	assert_string_equal(a->media[0].proto, "UDP/TLS/RTP/SAVPF");
	assert_int_equal(a->nbundle, 1);
	assert_true(a->media[0].end_of_candidates);
	assert_true(strlen(a->media[0].ufrag) >= SDP_UFRAG_MIN);
	assert_true(a->media[0].ncands >= 1); /* loopback at least */
	sdp_free(a);
	assert_int_equal(serve_whip_nsessions(f.w), 1);
	assert_int_equal(serve_whip_counters(f.w)->created, 1);

	/* Same connection (persistent): DELETE ends it. */
	request(fd, "DELETE", loc, NULL, NULL, 0);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 200);
	for (i = 0; i < 3000 && serve_whip_nsessions(f.w); i++)
		pump(&f, 1);
	assert_int_equal(serve_whip_nsessions(f.w), 0);
	assert_int_equal(serve_whip_counters(f.w)->freed, 1);
	assert_non_null(strstr(f.log, "session ended (DELETE)"));
	assert_non_null(strstr(f.log, "whip#1: session freed"));
	/* Gone: a second DELETE is 404. */
	request(fd, "DELETE", loc, NULL, NULL, 0);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 404);
	close(fd);
	fx_stop(&f);
}

static void test_offers_without_sdp_are_refused(void **st)
{
	static char raw[8192];
	struct serve_whip_opts o = { 0 };
	struct http_response r;
	struct fx f;
	int fd;

	fx_start(&f, 0, &o);
	fd = dial(&f);
	/* No body at all. */
	request(fd, "POST", "/whip", "application/sdp", NULL, 0);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 400);
	assert_true(body_has(&r, "empty SDP offer"));
	/* Not SDP. */
	request(fd, "POST", "/whip", "text/plain", "hello", 5);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 415);
	/* SDP without ICE credentials. */
	request(fd, "POST", "/whip", "application/sdp",
		"v=0\r\nm=audio 9 RTP/AVP 0\r\n", 26);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 400);
	assert_true(body_has(&r, "no ice-ufrag/ice-pwd"));
	assert_int_equal(serve_whip_nsessions(f.w), 0);
	assert_int_equal(serve_whip_counters(f.w)->refused, 3);
	close(fd);
	fx_stop(&f);
}

static void test_malformed_sdp_gets_400_with_the_parser_reason(void **st)
{
	static const char bad[] =
		"v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
		"m=audio 9 RTP/AVP 0\r\n"
		"a=candidate:1 1 udp 2130706431 127.0.0.1 70000 typ host\r\n";
	static char raw[8192];
	struct serve_whip_opts o = { 0 };
	struct http_response r;
	struct fx f;
	int fd;

	fx_start(&f, 0, &o);
	fd = dial(&f);
	request(fd, "POST", "/whip", "application/sdp", bad, strlen(bad));
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 400);
	assert_true(body_has(&r, "malformed SDP offer: line 5"));
	assert_true(body_has(&r, "70000"));
	assert_int_equal(serve_whip_nsessions(f.w), 0);
	close(fd);
	fx_stop(&f);
}

static void test_body_over_the_cap_is_413_and_closes(void **st)
{
	static const char head[] =
		"POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\n"
		"Content-Length: 300000\r\n\r\nv=0\r\n";
	static char raw[8192];
	struct serve_whip_opts o = { 0 };
	struct http_response r;
	struct fx f;
	int fd;

	fx_start(&f, 0, &o);
	fd = dial(&f);
	put(fd, head, strlen(head));
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 413);
	assert_true(body_has(&r, "300000"));
	assert_true(closed(&f, fd));
	assert_int_equal(serve_whip_counters(f.w)->too_large, 1);
	close(fd);
	/* A malformed request line: 400, closed. */
	fd = dial(&f);
	put(fd, "GET  / HTTP/1.1\r\n\r\n", 19);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 400);
	assert_true(closed(&f, fd));
	close(fd);
	fx_stop(&f);
}

static void test_slowloris_is_closed_by_idle_and_request_deadlines(void **st)
{
	struct serve_whip_opts o = { .idle_us = 5000000,
				     .request_us = 10000000 };
	struct fx f;
	int fd, fd2, i;

	fx_start(&f, 1, &o);
	/* Silent after a partial request line: idle. */
	fd = dial(&f);
	pump(&f, 20);
	put(fd, "POST /whip HTTP/1.1\r\n", 21);
	pump(&f, 20);
	f.fake_now += 4900000;
	assert_false(closed_within(&f, fd, 30)); /* 4.9 s: still open */
	assert_int_equal(serve_whip_nconns(f.w), 1);
	f.fake_now += 200000;
	assert_true(closed(&f, fd));
	close(fd);
	assert_true(strstr(f.log, "idle 5.") != NULL);
	/* A byte a second keeps it from idling, not past the request
	 * deadline. */
	fd2 = dial(&f);
	pump(&f, 20);
	for (i = 0; i < 9; i++) {
		put(fd2, "P", 1);
		pump(&f, 20);
		f.fake_now += 1000000;
		pump(&f, 5);
	}
	assert_int_equal(serve_whip_nconns(f.w), 1);
	put(fd2, "O", 1);
	pump(&f, 20);
	f.fake_now += 1500000;
	assert_true(closed(&f, fd2));
	assert_true(strstr(f.log, "request incomplete after 1") != NULL);
	assert_int_equal(serve_whip_counters(f.w)->idle_closed, 2);
	close(fd2);
	fx_stop(&f);
}

static void test_sessions_are_capped_with_503(void **st)
{
	static char raw[65536];
	struct serve_whip_opts o = { .gather_us = 200000 };
	struct http_response r;
	struct fx f;
	int fd, i;

	fx_start(&f, 0, &o);
	fd = dial(&f);
	for (i = 0; i < WHIP_MAX_SESSIONS; i++) {
		request(fd, "POST", "/whip", "application/sdp", offer,
			strlen(offer));
		assert_true(response(&f, fd, raw, sizeof(raw), &r));
		assert_int_equal(r.status, 201);
	}
	request(fd, "POST", "/whip", "application/sdp", offer, strlen(offer));
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 503);
	assert_int_equal(serve_whip_nsessions(f.w), WHIP_MAX_SESSIONS);
	assert_int_equal(serve_whip_counters(f.w)->busy, 1);
	close(fd);
	fx_stop(&f);
}

static void test_connections_over_the_cap_are_closed(void **st)
{
	struct serve_whip_opts o = { .max_conns = 2 };
	struct fx f;
	int a, b, c;

	fx_start(&f, 0, &o);
	a = dial(&f);
	b = dial(&f);
	pump(&f, 20);
	c = dial(&f);
	assert_true(closed(&f, c));
	assert_int_equal(serve_whip_nconns(f.w), 2);
	assert_int_equal(serve_whip_counters(f.w)->conns_rejected, 1);
	close(a);
	close(b);
	close(c);
	fx_stop(&f);
}

static void test_session_timeout_ends_and_forgets_the_session(void **st)
{
	static char raw[65536];
	struct serve_whip_opts o = { .gather_us = 100000,
				     .session_us = 3000000,
				     .peer_idle_us = 60000000 };
	struct http_response r;
	char loc[HTTP_MAX_URL];
	struct fx f;
	int fd, i;

	fx_start(&f, 1, &o);
	fd = dial(&f);
	request(fd, "POST", "/whip", "application/sdp", offer, strlen(offer));
	/* The fake clock must move for gathering's deadline. */
	for (i = 0; i < 200 && !serve_whip_counters(f.w)->created; i++) {
		f.fake_now += 10000;
		pump(&f, 2);
	}
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 201);
	snprintf(loc, sizeof(loc), "%s", r.f.location);
	for (i = 0; i < 400 && serve_whip_nsessions(f.w); i++) {
		f.fake_now += 10000;
		pump(&f, 1);
	}
	assert_int_equal(serve_whip_nsessions(f.w), 0);
	assert_int_equal(serve_whip_counters(f.w)->ended_timeout, 1);
	assert_non_null(strstr(f.log, "session timeout 3 s"));
	/* The endpoint forgot it: DELETE is 404. */
	request(fd, "DELETE", loc, NULL, NULL, 0);
	assert_true(response(&f, fd, raw, sizeof(raw), &r));
	assert_int_equal(r.status, 404);
	close(fd);
	fx_stop(&f);
}

/* ice_whip_offer runs blocking in a thread while the loop runs here. */
struct client {
	char url[128];
	const char *offer;
	int rc, done, del_rc, patch_rc, restart_rc;
	char etag[64];
	char *answer;
	size_t alen;
	char loc[HTTP_MAX_URL];
	char why[300];
};

static void *client_main(void *arg)
{
	struct client *c = arg;

	static const char frag[] =
		"a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
		"a=candidate:9 1 udp 1694498815 127.0.0.1 9 typ srflx raddr 127.0.0.1 rport 9\r\n"
		"a=end-of-candidates\r\n";
	static const char restart[] =
		"a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789abcdef012345\r\n";

	c->rc = ice_whip_offer(c->url, c->offer, strlen(c->offer), 5000,
			       &c->answer, &c->alen, c->loc, sizeof(c->loc),
			       c->etag, sizeof(c->etag), c->why,
			       sizeof(c->why));
	/* Trickle: the session's credentials are taken (204), others are
	 * an ICE restart (422). */
	c->patch_rc = c->rc ? -1 : whip_patch(c->loc, c->etag, frag,
					      strlen(frag), 5000, c->why,
					      sizeof(c->why));
	c->restart_rc = c->rc ? -1 : whip_patch(c->loc, c->etag, restart,
						strlen(restart), 5000,
						c->why, sizeof(c->why));
	c->del_rc = c->rc ? -1 : whip_delete(c->loc, 5000, c->why,
					     sizeof(c->why));
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_ice_whip_offer_against_the_endpoint(void **st)
{
	struct serve_whip_opts o = { .gather_us = 300000 };
	struct client c = { .offer = offer };
	pthread_t th;
	struct fx f;
	char want[64];

	fx_start(&f, 0, &o);
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/whip", f.port);
	assert_int_equal(pthread_create(&th, NULL, client_main, &c), 0);
	for (int i = 0; i < 20000 && !__atomic_load_n(&c.done, __ATOMIC_SEQ_CST); i++)
		np_loop_run_once(f.loop, 1000);
	pthread_join(th, NULL);
	if (c.rc || c.del_rc || c.patch_rc)
		fail_msg("ice_whip_offer %d, patch %d, delete %d: %s", c.rc,
			 c.patch_rc, c.del_rc, c.why);
	assert_int_equal(c.restart_rc, NP_EINVAL);
	assert_int_equal(c.etag[0], '"');
	assert_int_equal(serve_whip_counters(f.w)->trickled, 1);
	snprintf(want, sizeof(want), "http://127.0.0.1:%u/whip/", f.port);
	assert_int_equal(strncmp(c.loc, want, strlen(want)), 0);
	assert_non_null(strstr(c.answer, "a=ice-ufrag:"));
	assert_non_null(strstr(c.answer, "a=end-of-candidates"));
	assert_int_equal(serve_whip_counters(f.w)->deleted, 1);
	free(c.answer);
	fx_stop(&f);
}

/* A canned endpoint: one connection, one fixed response. */
struct canned {
	int lfd;
	const char *resp;
};

static void *canned_main(void *arg)
{
	struct canned *k = arg;
	char buf[8192];
	int fd = accept(k->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (recv(fd, buf, sizeof(buf), 0) > 0)
		send(fd, k->resp, strlen(k->resp), MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static void test_ice_whip_offer_refuses_a_201_without_ice_sdp(void **st)
{
	struct canned k = {
		.resp = "HTTP/1.1 201 Created\r\nLocation: /whip/1\r\n"
			"Content-Type: application/sdp\r\nContent-Length: 16\r\n\r\n"
			"v=0\r\ns=nothing\r\n",
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	char url[64], loc[256], why[300] = "", *ans = (char *)"x";
	size_t alen = 7;
	pthread_t th;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	k.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(k.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(k.lfd, 1), 0);
	getsockname(k.lfd, (struct sockaddr *)&a, &sl);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/whip", ntohs(a.sin_port));
	assert_int_equal(pthread_create(&th, NULL, canned_main, &k), 0);
	assert_int_equal(ice_whip_offer(url, offer, strlen(offer), 5000, &ans,
					&alen, loc, sizeof(loc), NULL, 0, why,
					sizeof(why)), NP_EINVAL);
	pthread_join(th, NULL);
	close(k.lfd);
	assert_null(ans);
	assert_int_equal(alen, 0);
	assert_non_null(strstr(why, "no ice-ufrag/ice-pwd"));
}

static void test_parse_listen(void **st)
{
	struct sockaddr_storage ss;
	uint16_t port = 0;

	assert_int_equal(serve_whip_parse_listen("8080", &ss, &port), 0);
	assert_int_equal(port, 8080);
	assert_int_equal(ss.ss_family, AF_UNSPEC);
	assert_int_equal(serve_whip_parse_listen("203.0.113.10:80", &ss, &port), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(port, 80);
	assert_int_equal(serve_whip_parse_listen("[::1]:8080", &ss, &port), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(serve_whip_parse_listen("0", &ss, &port), NP_EINVAL);
	assert_int_equal(serve_whip_parse_listen("65536", &ss, &port), NP_EINVAL);
	assert_int_equal(serve_whip_parse_listen("host:80", &ss, &port), NP_EINVAL);
	assert_int_equal(serve_whip_parse_listen("1.2.3.4:", &ss, &port), NP_EINVAL);
	assert_int_equal(serve_whip_parse_listen("::1:80", &ss, &port), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offer_gets_an_answer_and_delete_frees_the_session),
		cmocka_unit_test(test_offers_without_sdp_are_refused),
		cmocka_unit_test(test_malformed_sdp_gets_400_with_the_parser_reason),
		cmocka_unit_test(test_body_over_the_cap_is_413_and_closes),
		cmocka_unit_test(test_slowloris_is_closed_by_idle_and_request_deadlines),
		cmocka_unit_test(test_sessions_are_capped_with_503),
		cmocka_unit_test(test_connections_over_the_cap_are_closed),
		cmocka_unit_test(test_session_timeout_ends_and_forgets_the_session),
		cmocka_unit_test(test_ice_whip_offer_against_the_endpoint),
		cmocka_unit_test(test_ice_whip_offer_refuses_a_201_without_ice_sdp),
		cmocka_unit_test(test_parse_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
