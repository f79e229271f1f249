/*
 * test_stun_client.c - STUN client transactions over UDP
 * (probe/stun_client.c) against an in-process responder: a second UDP
 * socket on 127.0.0.1 that the test reads and answers by hand with the
 * codec (probe/stun_codec.h).
 *
 * What is checked: a response completes a transaction only when its
 * transaction ID *and* its source match (RFC 8489 §6.3); everything else
 * becomes an observation (unmatched, malformed); retransmissions follow
 * RFC 8489 §6.2.1 (doubling RTO, Rc tries, Rm x RTO after the last); ICMP
 * port unreachable ends a transaction (IP_RECVERR); the RTT estimator
 * follows RFC 6298 §2 and Karn's rule; cancel ends transactions at once.
 *
 * Time is a fake clock moved by hand. The loop is driven with
 * np_loop_run_once for a bounded number of iterations; loopback delivers
 * a datagram before sendto returns, so no test depends on real time.
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
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "np_err.h"
#include "obs.h"
#include "stun_client.h"
#include "stun_codec.h"

#define MAX_ENDS 16
/* Iterations a test lets the loop run before it calls something lost. */
#define PUMP_LIMIT 50
/* Longest real wait for a datagram that must already be there (ms). */
#define RECV_BOUND_MS 2000

struct fake_clock {
	uint64_t now;
};

static uint64_t fake_now(void *arg)
{
	return ((struct fake_clock *)arg)->now;
}

struct fixture {
	struct np_loop *loop;
	struct fake_clock clock;
	struct obs_log log;
	struct np_ctx ctx;
	int responder;                        /* the "server" socket */
	struct sockaddr_storage server;       /* its address */
	struct stun_sock *sock;
	struct obs ends[MAX_ENDS];            /* what ended transactions */
	char end_tests[MAX_ENDS][OBS_NAME];
	size_t nends;
	int strays;
	struct obs last_stray;
	int free_in_cb;
};

static int udp_socket(struct sockaddr_storage *bound)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(*bound);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)bound, &len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_done(struct stun_sock *s, const struct obs *end, void *arg)
{
	struct fixture *f = arg;

	if (f->nends < MAX_ENDS) {
		f->ends[f->nends] = *end;
		snprintf(f->end_tests[f->nends], OBS_NAME, "%s", end->test);
		f->nends++;
	}
	if (f->free_in_cb) {
		stun_sock_free(s);
		f->sock = NULL;
	}
}

static void on_stray(struct stun_sock *s, const struct obs *o, void *arg)
{
	struct fixture *f = arg;

	f->strays++;
	f->last_stray = *o;
}

static int setup(void **state)
{
	static struct fixture f;
	struct sockaddr_storage local;
	struct sockaddr_in *l4 = (void *)&local;

	memset(&f, 0, sizeof(f));
	f.responder = -1;
	if (np_loop_new(&f.loop) != 0)
		return -1;
	np_loop_set_clock(f.loop, fake_now, &f.clock);
	obs_log_init(&f.log, 0, 0);
	np_ctx_init(&f.ctx, f.loop, &f.log);
	f.responder = udp_socket(&f.server);
	if (f.responder < 0)
		return -1;
	memset(&local, 0, sizeof(local));
	l4->sin_family = AF_INET;
	l4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (stun_sock_open(&f.ctx, NP_UDP, &f.server, &local, NULL, "responder",
			   NULL, NULL, &f.sock) != 0)
		return -1;
	stun_sock_set_stray_cb(f.sock, on_stray, &f);
	*state = &f;
	alarm(60);   /* watchdog against a loop that never returns */
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	alarm(0);
	stun_sock_free(f->sock);
	if (f->responder >= 0)
		close(f->responder);
	np_ctx_dispose(&f->ctx);
	obs_log_dispose(&f->log);
	np_loop_free(f->loop);
	return 0;
}

/* Starts a Binding transaction labelled `test` toward dst (the responder
 * when NULL). */
static void request_to(struct fixture *f, const char *test,
		       const struct sockaddr_storage *dst,
		       const struct stun_req *base)
{
	struct stun_req req;

	if (base)
		req = *base;
	else
		memset(&req, 0, sizeof(req));
	req.method = STUN_BINDING;
	req.dst = dst ? *dst : f->server;
	snprintf(req.test, sizeof(req.test), "%s", test);
	assert_int_equal(stun_sock_request(f->sock, &req, on_done, f), 0);
}

static void request(struct fixture *f, const char *test)
{
	request_to(f, test, NULL, NULL);
}

/* Reads one datagram from fd (it must arrive within RECV_BOUND_MS) and
 * decodes it as STUN. */
static size_t recv_stun(int fd, uint8_t *buf, size_t cap,
			struct sockaddr_storage *from, struct stun_msg *m)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t flen = sizeof(*from);
	char why[160];
	ssize_t n;

	if (poll(&p, 1, RECV_BOUND_MS) != 1)
		fail_msg("the responder got no datagram");
	n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &flen);
	assert_true(n > 0);
	if (stun_decode(buf, (size_t)n, 0, m, why, sizeof(why)) != 0)
		fail_msg("the request does not decode: %s", why);
	return (size_t)n;
}

/* Whether fd has a datagram waiting (no wait). */
static int has_datagram(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* What a hand-made answer carries. */
struct answer {
	uint8_t cls;                    /* STUN_SUCCESS or STUN_ERROR */
	int error_code;
	const char *reason;
	const struct sockaddr_storage *mapped;  /* MAPPED-ADDRESS, optional */
	const struct sockaddr_storage *origin;  /* RESPONSE-ORIGIN, optional */
	const struct sockaddr_storage *other;   /* OTHER-ADDRESS, optional */
	const char *software;
};

/* Sends from fd to `to` a Binding response with transaction ID tid and
 * XOR-MAPPED-ADDRESS = xor_mapped. */
static void answer(int fd, const uint8_t tid[STUN_TID_LEN],
		   const struct sockaddr_storage *to,
		   const struct sockaddr_storage *xor_mapped,
		   const struct answer *a)
{
	uint8_t buf[512];
	struct stun_enc w;
	size_t len;
	uint8_t cls = a && a->cls ? a->cls : STUN_SUCCESS;

	stun_enc_begin(&w, buf, sizeof(buf), STUN_BINDING, cls, tid);
	if (cls == STUN_ERROR)
		stun_enc_error(&w, a->error_code, a->reason);
	else
		stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
				  (const struct sockaddr *)xor_mapped);
	if (a && a->mapped)
		stun_enc_addr(&w, STUN_ATTR_MAPPED_ADDRESS,
			      (const struct sockaddr *)a->mapped);
	if (a && a->origin)
		stun_enc_addr(&w, STUN_ATTR_RESPONSE_ORIGIN,
			      (const struct sockaddr *)a->origin);
	if (a && a->other)
		stun_enc_addr(&w, STUN_ATTR_OTHER_ADDRESS,
			      (const struct sockaddr *)a->other);
	if (a && a->software)
		stun_enc_str(&w, STUN_ATTR_SOFTWARE, a->software);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to,
				np_addr_len(to)), (ssize_t)len);
}

static void send_raw(int fd, const void *buf, size_t len,
		     const struct sockaddr_storage *to)
{
	assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to,
				np_addr_len(to)), (ssize_t)len);
}

/* Runs the loop until the log holds more than `had` records or a
 * transaction ends, for at most PUMP_LIMIT iterations. Each iteration
 * waits at most 100 ms for a datagram that loopback has already queued. */
static void pump_until_logged(struct fixture *f, size_t had)
{
	size_t ends = f->nends;

	for (int i = 0; i < PUMP_LIMIT; i++) {
		if (f->log.n > had || f->nends > ends)
			return;
		assert_int_equal(np_loop_run_once(f->loop, 100000), 0);
	}
	fail_msg("nothing happened in %d loop iterations", PUMP_LIMIT);
}

/* The nth (0-based) observation of kind k; fails the test if there is
 * none (and then returns an empty record, never NULL). */
static const struct obs *find(const struct obs_log *log, enum obs_kind k,
			      size_t nth)
{
	static const struct obs none;
	size_t want = nth;

	for (size_t i = 0; i < log->n; i++)
		if (log->v[i].kind == k && nth-- == 0)
			return &log->v[i];
	fail_msg("no %s observation #%zu in a log of %zu", obs_kind_name(k),
		 want, log->n);
	return &none;
}

static size_t count(const struct obs_log *log, enum obs_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < log->n; i++)
		n += log->v[i].kind == k;
	return n;
}

static void assert_addr(const struct sockaddr_storage *ss,
			const struct sockaddr_storage *want)
{
	char a[64], b[64];

	if (!np_addr_equal(ss, want))
		fail_msg("address %s, expected %s", np_addr_str(ss, a, sizeof(a)),
			 np_addr_str(want, b, sizeof(b)));
}

/* (a) -------------------------------------------------------------------- */

static void test_response_matching_tid_and_source_completes_the_transaction(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, origin, other;
	struct stun_msg m;
	const struct obs *r;
	struct answer a = { .origin = &origin, .other = &other,
			    .software = "test responder 1.0" };

	np_addr_parse("127.0.0.1:3478", &origin);
	np_addr_parse("127.0.0.2:3479", &other);
	request(f, "binding.1");
	assert_int_equal(stun_sock_pending(f->sock), 1);
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_addr(&from, stun_sock_local(f->sock));
	f->clock.now += 1234;
	answer(f->responder, m.tid, &from, &from, &a);
	pump_until_logged(f, f->log.n);

	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_string_equal(f->end_tests[0], "binding.1");
	assert_int_equal(stun_sock_pending(f->sock), 0);
	r = find(&f->log, OBS_RESPONSE, 0);
	assert_non_null(r);
	assert_true(r->has & OBS_HAS_XOR_MAPPED);
	assert_addr(&r->xor_mapped, &from);
	assert_true(r->has & OBS_HAS_ORIGIN);
	assert_addr(&r->origin, &origin);
	assert_true(r->has & OBS_HAS_OTHER);
	assert_addr(&r->other, &other);
	assert_false(r->has & OBS_HAS_MAPPED);
	assert_string_equal(r->software, "test responder 1.0");
	assert_memory_equal(r->tid, m.tid, STUN_TID_LEN);
	assert_true(r->has & OBS_HAS_SOURCE);
	assert_addr(&r->source, &f->server);
	assert_addr(&r->remote, &f->server);
	assert_int_equal(r->cls, STUN_SUCCESS);
	assert_int_equal(r->attempt, 1);
	assert_true(r->has & OBS_HAS_RTT);
	assert_int_equal(r->rtt_us, 1234);
	assert_int_equal(r->t_us, 1234);
	assert_string_equal(r->server, "responder");
	assert_int_equal(r->transport, NP_UDP);
}

static void test_sent_observation_describes_the_request_on_the_wire(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_req req;
	const struct obs *s;
	size_t n;
	uint32_t flags;
	uint16_t port;

	memset(&req, 0, sizeof(req));
	req.change = STUN_CHANGE_IP | STUN_CHANGE_PORT;
	req.response_port = 40000;
	req.padding = 100;
	req.fingerprint = 1;
	request_to(f, "nat.filter.2", NULL, &req);
	n = recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	assert_int_equal(stun_attr_change_request(
		stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST), &flags), 0);
	assert_int_equal(flags, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(stun_attr_response_port(
		stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT), &port), 0);
	assert_int_equal(port, 40000);
	assert_non_null(stun_msg_find(&m, STUN_ATTR_PADDING));
	assert_int_equal(stun_msg_find(&m, STUN_ATTR_PADDING)->len, 100);
	assert_int_equal(stun_check_fingerprint(&m), 0);

	s = find(&f->log, OBS_SENT, 0);
	assert_non_null(s);
	assert_int_equal(s->size, n);
	assert_int_equal(s->attempt, 1);
	assert_int_equal(s->change, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(s->response_port, 40000);
	assert_int_equal(s->padding, 100);
	assert_int_equal(s->method, STUN_BINDING);
	assert_memory_equal(s->tid, m.tid, STUN_TID_LEN);
	assert_string_equal(s->test, "nat.filter.2");
	assert_true(s->has & OBS_HAS_LOCAL);
	assert_addr(&s->local, stun_sock_local(f->sock));
	assert_addr(&s->remote, &f->server);
}

static void test_error_response_ends_the_transaction_with_its_code(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct answer a = { .cls = STUN_ERROR, .error_code = 400,
			    .reason = "Bad \"Request\"\n" };

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	answer(f->responder, m.tid, &from, &from, &a);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_int_equal(f->ends[0].cls, STUN_ERROR);
	assert_true(f->ends[0].has & OBS_HAS_ERROR_CODE);
	assert_int_equal(f->ends[0].error_code, 400);
	/* The reason phrase is kept, control characters replaced. */
	assert_string_equal(f->ends[0].text, "Bad \"Request\"?");
}

static void test_plain_mapped_address_is_recorded_beside_xor_mapped(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, rewritten;
	struct stun_msg m;
	struct answer a = { .mapped = &rewritten };

	np_addr_parse("10.0.0.5:5060", &rewritten);
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	answer(f->responder, m.tid, &from, &from, &a);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_true(f->ends[0].has & OBS_HAS_MAPPED);
	assert_true(f->ends[0].has & OBS_HAS_XOR_MAPPED);
	assert_addr(&f->ends[0].mapped, &rewritten);
	assert_addr(&f->ends[0].xor_mapped, &from);
}

/* (b) -------------------------------------------------------------------- */

static void test_right_tid_from_another_port_is_unmatched_and_not_trusted(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, spoof_addr;
	struct stun_msg m;
	const struct obs *u;
	char want[64];
	int spoof = udp_socket(&spoof_addr);
	size_t had;

	assert_true(spoof >= 0);
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	had = f->log.n;
	answer(spoof, m.tid, &from, &from, NULL);
	pump_until_logged(f, had);

	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	u = find(&f->log, OBS_UNMATCHED, 0);
	assert_non_null(u);
	assert_non_null(strstr(u->text, "came from"));
	np_addr_str(&spoof_addr, want, sizeof(want));
	assert_non_null(strstr(u->text, want));
	assert_addr(&u->source, &spoof_addr);
	assert_addr(&u->remote, &f->server);
	assert_memory_equal(u->tid, m.tid, STUN_TID_LEN);
	assert_string_equal(u->test, "binding.1");
	assert_int_equal(count(&f->log, OBS_RESPONSE), 0);

	/* The real answer still completes it. */
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_addr(&f->ends[0].source, &f->server);
	close(spoof);
}

static void test_response_from_the_expected_other_address_completes(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from, alt_addr;
	struct stun_msg m;
	struct stun_req req;
	int alt = udp_socket(&alt_addr);

	/* CHANGE-REQUEST: the answer must come from the other address, and
	 * one from the address we sent to is not it. */
	assert_true(alt >= 0);
	memset(&req, 0, sizeof(req));
	req.change = STUN_CHANGE_PORT;
	req.expect = alt_addr;
	request_to(f, "nat.filter.3", NULL, &req);
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 0);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
	answer(alt, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_RESPONSE);
	assert_addr(&f->ends[0].source, &alt_addr);
	assert_int_equal(f->ends[0].change, STUN_CHANGE_PORT);
	close(alt);
}

/* (c) -------------------------------------------------------------------- */

static void test_unknown_tid_is_unmatched_and_reaches_the_stray_callback(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	uint8_t other_tid[STUN_TID_LEN];
	const struct obs *u;

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	memcpy(other_tid, m.tid, STUN_TID_LEN);
	other_tid[11] ^= 0x01;
	answer(f->responder, other_tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);

	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	u = find(&f->log, OBS_UNMATCHED, 0);
	assert_non_null(u);
	assert_memory_equal(u->tid, other_tid, STUN_TID_LEN);
	assert_non_null(strstr(u->text, "no transaction of ours"));
	assert_false(u->has & OBS_HAS_REMOTE);
	assert_addr(&u->source, &f->server);
	assert_true(u->has & OBS_HAS_XOR_MAPPED);
	assert_int_equal(f->strays, 1);
	assert_memory_equal(f->last_stray.tid, other_tid, STUN_TID_LEN);
}

static void test_request_from_a_peer_is_unmatched_even_with_our_tid(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500], req[64];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_enc w;
	size_t len;

	/* Only success and error responses can complete a transaction. */
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	stun_enc_begin(&w, req, sizeof(req), STUN_BINDING, STUN_REQUEST, m.tid);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	send_raw(f->responder, req, len, &from);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 0);
	assert_int_equal(f->strays, 1);
	assert_int_equal(f->last_stray.cls, STUN_REQUEST);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
}

static void test_response_after_the_timeout_is_unmatched(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_req req;

	memset(&req, 0, sizeof(req));
	req.max_tries = 1;
	request_to(f, "binding.1", NULL, &req);
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	f->clock.now = 10000000;
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].kind, OBS_TIMEOUT);
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
	assert_int_equal(count(&f->log, OBS_RESPONSE), 0);
}

/* (d) -------------------------------------------------------------------- */

static void test_bytes_that_are_not_stun_are_malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	const struct obs *o;
	static const char junk[] = "GET / HTTP/1.0\r\n\r\n";

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	send_raw(f->responder, junk, sizeof(junk) - 1, &from);
	pump_until_logged(f, f->log.n);
	o = find(&f->log, OBS_MALFORMED, 0);
	assert_non_null(o);
	assert_int_equal(o->size, sizeof(junk) - 1);
	assert_non_null(strstr(o->text, "not a STUN message"));
	assert_non_null(strstr(o->text, "0x47"));   /* 'G' */
	assert_addr(&o->source, &f->server);
	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	assert_int_equal(f->strays, 0);
}

static void test_stun_header_with_a_lying_length_is_malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500], bad[512];
	struct sockaddr_storage from;
	struct stun_msg m;
	struct stun_enc w;
	const struct obs *o;
	size_t len;

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	stun_enc_begin(&w, bad, sizeof(bad), STUN_BINDING, STUN_SUCCESS, m.tid);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
			  (const struct sockaddr *)&from);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	/* Send the header and only half of the attributes it announces. */
	send_raw(f->responder, bad, len - 4, &from);
	pump_until_logged(f, f->log.n);
	o = find(&f->log, OBS_MALFORMED, 0);
	assert_non_null(o);
	assert_non_null(strstr(o->text, "NP_ESTUN"));
	assert_int_equal(o->size, len - 4);
	/* A malformed answer with our ID completes nothing. */
	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
}

/* (e) -------------------------------------------------------------------- */

/* Lets the transaction run to its end with no answer, moving the fake
 * clock to each deadline (taken from the last record's t_us + rto_us). */
static void run_unanswered(struct fixture *f)
{
	for (int i = 0; i < PUMP_LIMIT && f->nends == 0; i++) {
		const struct obs *last = &f->log.v[f->log.n - 1];

		assert_true(last->kind == OBS_SENT || last->kind == OBS_RETRANSMIT);
		f->clock.now = last->t_us + last->rto_us;
		assert_int_equal(np_loop_run_once(f->loop, 0), 0);
	}
	assert_int_equal(f->nends, 1);
}

static void test_unanswered_request_is_retransmitted_with_doubling_rto(void **state)
{
	struct fixture *f = *state;
	/* RFC 8489 §6.2.1: with an RTO of 500 ms, requests go out at 0, 500,
	 * 1500, 3500, 7500, 15500 and 31500 ms. */
	static const uint64_t at_ms[7] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };

	f->ctx.rto_initial_us = 500000;
	f->ctx.max_wait_us = 100000000;
	request(f, "binding.1");
	run_unanswered(f);
	assert_int_equal(count(&f->log, OBS_SENT), 1);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 6);
	for (int i = 0; i < 7; i++) {
		const struct obs *o = &f->log.v[i];

		assert_int_equal(o->kind, i == 0 ? OBS_SENT : OBS_RETRANSMIT);
		assert_int_equal(o->attempt, i + 1);
		assert_int_equal(o->t_us, at_ms[i] * 1000);
		if (i < 6)
			assert_int_equal(o->rto_us, 500000u << i);
		assert_memory_equal(o->tid, f->log.v[0].tid, STUN_TID_LEN);
	}
	assert_int_equal(f->ends[0].kind, OBS_TIMEOUT);
	assert_int_equal(f->ends[0].attempt, 7);
	assert_non_null(strstr(f->ends[0].text, "7 tries"));
	assert_int_equal(stun_sock_pending(f->sock), 0);
}

static void test_retransmissions_are_the_same_bytes(void **state)
{
	struct fixture *f = *state;
	uint8_t first[1500], again[1500];
	struct sockaddr_storage from;
	struct stun_msg m;
	size_t n1, n;

	f->ctx.max_tries = 4;
	request(f, "binding.1");
	n1 = recv_stun(f->responder, first, sizeof(first), &from, &m);
	run_unanswered(f);
	for (int i = 0; i < 3; i++) {
		n = recv_stun(f->responder, again, sizeof(again), &from, &m);
		assert_int_equal(n, n1);
		assert_memory_equal(again, first, n1);
	}
	assert_false(has_datagram(f->responder));
}

static void test_after_the_last_request_the_client_waits_rm_times_rto(void **state)
{
	struct fixture *f = *state;
	const struct obs *last;

	/* Regression (was a bug): probe/stun_client.c txn_transmit() waits 2 x the doubled RTO
	 * after the last request (64 s here) instead of Rm x RTO = 16 x 500
	 * ms = 8 s (RFC 8489 §6.2.1), so the transaction ends at 95.5 s, not
	 * 39.5 s. */
	f->ctx.rto_initial_us = 500000;
	f->ctx.max_wait_us = 200000000;
	request(f, "binding.1");
	run_unanswered(f);
	last = find(&f->log, OBS_RETRANSMIT, 5);
	assert_non_null(last);
	assert_int_equal(last->attempt, 7);
	assert_int_equal(last->rto_us, 16 * 500000);
	assert_int_equal(f->ends[0].t_us, 39500000);
}

static void test_max_tries_bounds_the_requests_sent(void **state)
{
	struct fixture *f = *state;
	struct stun_req req;

	memset(&req, 0, sizeof(req));
	req.max_tries = 3;
	request_to(f, "binding.1", NULL, &req);
	run_unanswered(f);
	assert_int_equal(count(&f->log, OBS_SENT), 1);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 2);
	assert_int_equal(count(&f->log, OBS_TIMEOUT), 1);
	assert_int_equal(f->ends[0].kind, OBS_TIMEOUT);
	assert_int_equal(f->ends[0].attempt, 3);
	assert_non_null(strstr(f->ends[0].text, "3 tries"));
	/* The timeout is recorded with what it concerns. */
	assert_addr(&find(&f->log, OBS_TIMEOUT, 0)->remote, &f->server);
}

static void test_single_try_times_out_after_one_request(void **state)
{
	struct fixture *f = *state;
	struct stun_req req;

	memset(&req, 0, sizeof(req));
	req.max_tries = 1;
	request_to(f, "binding.1", NULL, &req);
	run_unanswered(f);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 0);
	assert_int_equal(f->ends[0].attempt, 1);
	assert_non_null(strstr(f->ends[0].text, "1 try"));
}

static void test_max_wait_cuts_the_retransmissions_short(void **state)
{
	struct fixture *f = *state;

	/* 250 ms RTO within 1 s: sends at 0, 250, 750 ms; the third wait is
	 * clipped to 250 ms so the transaction ends at exactly 1 s. */
	f->ctx.rto_initial_us = 250000;
	f->ctx.max_wait_us = 1000000;
	request(f, "binding.1");
	run_unanswered(f);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 2);
	assert_int_equal(find(&f->log, OBS_RETRANSMIT, 1)->t_us, 750000);
	assert_int_equal(find(&f->log, OBS_RETRANSMIT, 1)->rto_us, 250000);
	assert_int_equal(find(&f->log, OBS_TIMEOUT, 0)->t_us, 1000000);
	assert_int_equal(f->ends[0].attempt, 3);
}

static void test_rto_max_caps_the_doubling(void **state)
{
	struct fixture *f = *state;
	static const uint32_t want[5] = { 100000, 200000, 300000, 300000, 300000 };

	f->ctx.rto_initial_us = 100000;
	f->ctx.rto_max_us = 300000;
	f->ctx.max_wait_us = 100000000;
	f->ctx.max_tries = 6;
	request(f, "binding.1");
	run_unanswered(f);
	for (int i = 0; i < 5; i++)
		assert_int_equal(f->log.v[i].rto_us, want[i]);
}

static void test_response_to_a_retransmission_gives_no_rtt_sample(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;

	/* Karn: which copy was answered is unknown, so no sample. */
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	f->clock.now = 250000;
	assert_int_equal(np_loop_run_once(f->loop, 0), 0);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 1);
	f->clock.now = 260000;
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(f->ends[0].attempt, 2);
	assert_int_equal(f->ends[0].rtt_us, 260000);
	assert_int_equal(f->ends[0].rtt_last_us, 10000);
	assert_false(f->ctx.have_rtt);
	assert_int_equal(np_ctx_rto(&f->ctx), 250000);
}

static void test_first_try_response_feeds_the_next_transactions_rto(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;

	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	f->clock.now += 40000;
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_true(f->ctx.have_rtt);
	assert_int_equal(f->ctx.srtt_us, 40000);
	assert_int_equal(f->ctx.rttvar_us, 20000);
	request(f, "binding.2");
	/* RFC 6298 §2.2: SRTT + 4 RTTVAR = 40 + 80 ms. */
	assert_int_equal(find(&f->log, OBS_SENT, 1)->rto_us, 120000);
}

/* (f) -------------------------------------------------------------------- */

static void test_closed_port_ends_the_transaction_with_icmp_port_unreachable(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage closed;
	int tmp = udp_socket(&closed);
	const struct obs *o;

	/* A port that was bound a moment ago and is closed now. */
	assert_true(tmp >= 0);
	close(tmp);
	request(f, "binding.2");                 /* to the responder */
	request_to(f, "binding.1", &closed, NULL);
	for (int i = 0; i < PUMP_LIMIT && f->nends == 0; i++)
		assert_int_equal(np_loop_run_once(f->loop, 100000), 0);
	if (f->nends == 0)
		fail_msg("no ICMP error arrived for 127.0.0.1 port %u "
			 "(is IP_RECVERR supported here?)", np_addr_port(&closed));
	assert_int_equal(f->nends, 1);
	assert_string_equal(f->end_tests[0], "binding.1");
	assert_int_equal(f->ends[0].kind, OBS_ICMP);
	assert_int_equal(f->ends[0].icmp_type, 3);
	assert_int_equal(f->ends[0].icmp_code, 3);
	assert_int_equal(f->ends[0].err, -ECONNREFUSED);
	o = find(&f->log, OBS_ICMP, 0);
	assert_non_null(o);
	assert_addr(&o->remote, &closed);
	assert_non_null(strstr(o->text, "type 3 code 3"));
	/* The other transaction goes to another port: untouched. */
	assert_int_equal(stun_sock_pending(f->sock), 1);
	assert_int_equal(count(&f->log, OBS_TIMEOUT), 0);
}

/* (g) -------------------------------------------------------------------- */

static void test_rto_before_any_sample_is_the_initial_rto(void **state)
{
	struct fixture *f = *state;

	assert_false(f->ctx.have_rtt);
	assert_int_equal(np_ctx_rto(&f->ctx), 250000);
	f->ctx.rto_initial_us = 500000;
	assert_int_equal(np_ctx_rto(&f->ctx), 500000);
}

static void test_first_rtt_sample_sets_srtt_r_and_rttvar_half_r(void **state)
{
	struct fixture *f = *state;

	/* RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + 4 RTTVAR. */
	np_ctx_rtt_sample(&f->ctx, 100000);
	assert_true(f->ctx.have_rtt);
	assert_int_equal(f->ctx.srtt_us, 100000);
	assert_int_equal(f->ctx.rttvar_us, 50000);
	assert_int_equal(np_ctx_rto(&f->ctx), 300000);
}

static void test_small_rtt_gives_rto_floored_at_rto_min(void **state)
{
	struct fixture *f = *state;

	np_ctx_rtt_sample(&f->ctx, 1000);
	assert_int_equal(f->ctx.srtt_us, 1000);
	assert_int_equal(np_ctx_rto(&f->ctx), 20000);
	f->ctx.rto_min_us = 1000;
	assert_int_equal(np_ctx_rto(&f->ctx), 3000);
}

static void test_later_samples_update_rttvar_before_srtt(void **state)
{
	struct fixture *f = *state;

	/* RFC 6298 §2.3 with alpha 1/8, beta 1/4, RTTVAR from the old SRTT:
	 * RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms,
	 * SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms. */
	np_ctx_rtt_sample(&f->ctx, 100000);
	np_ctx_rtt_sample(&f->ctx, 200000);
	assert_int_equal(f->ctx.rttvar_us, 62500);
	assert_int_equal(f->ctx.srtt_us, 112500);
	assert_int_equal(np_ctx_rto(&f->ctx), 112500 + 4 * 62500);
	/* A faster sample: |112.5 - 40| = 72.5; RTTVAR = (187.5 + 72.5) / 4. */
	np_ctx_rtt_sample(&f->ctx, 40000);
	assert_int_equal(f->ctx.rttvar_us, 65000);
	assert_int_equal(f->ctx.srtt_us, 103437);
}

static void test_steady_rtt_converges_to_it(void **state)
{
	struct fixture *f = *state;

	np_ctx_rtt_sample(&f->ctx, 500000);
	for (int i = 0; i < 200; i++)
		np_ctx_rtt_sample(&f->ctx, 30000);
	assert_true(f->ctx.srtt_us >= 30000 && f->ctx.srtt_us < 30100);
	assert_true(f->ctx.rttvar_us < 100);
	assert_int_equal(np_ctx_rto(&f->ctx), f->ctx.srtt_us + 4 * f->ctx.rttvar_us);
	assert_true(np_ctx_rto(&f->ctx) < 30500);
}

/* (h) -------------------------------------------------------------------- */

static void test_cancel_ends_matching_transactions_with_a_cancelled_note(void **state)
{
	struct fixture *f = *state;
	size_t had;

	request(f, "hairpin.1");
	request(f, "binding.1");
	request(f, "hairpin.2");
	assert_int_equal(stun_sock_pending(f->sock), 3);
	had = f->log.n;
	stun_sock_cancel(f->sock, "hairpin.");
	assert_int_equal(f->nends, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f->ends[i].kind, OBS_NOTE);
		assert_string_equal(f->ends[i].text, "cancelled");
		assert_true(strncmp(f->end_tests[i], "hairpin.", 8) == 0);
	}
	assert_string_not_equal(f->end_tests[0], f->end_tests[1]);
	assert_int_equal(stun_sock_pending(f->sock), 1);
	/* Not recorded: a cancel is our decision, not something seen. */
	assert_int_equal(f->log.n, had);
	/* Their timers are gone: only binding.1 goes on retransmitting. */
	f->clock.now = 250000;
	assert_int_equal(np_loop_run_once(f->loop, 0), 0);
	assert_int_equal(count(&f->log, OBS_RETRANSMIT), 1);
	assert_string_equal(find(&f->log, OBS_RETRANSMIT, 0)->test, "binding.1");
	assert_int_equal(f->nends, 2);
}

static void test_cancel_with_no_match_does_nothing(void **state)
{
	struct fixture *f = *state;

	request(f, "binding.1");
	stun_sock_cancel(f->sock, "hairpin.");
	assert_int_equal(f->nends, 0);
	assert_int_equal(stun_sock_pending(f->sock), 1);
}

static void test_answer_to_a_cancelled_transaction_is_unmatched(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;

	request(f, "hairpin.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	stun_sock_cancel(f->sock, "hairpin.");
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_int_equal(count(&f->log, OBS_UNMATCHED), 1);
	assert_int_equal(count(&f->log, OBS_RESPONSE), 0);
}

/* Ownership ------------------------------------------------------------ */

static void test_done_callback_may_free_the_socket(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	struct stun_msg m;

	/* Regression (was a bug): probe/stun_client.c says "The callback may free the socket"
	 * (txn_finish), but udp_readable() goes on calling recvfrom(s->fd)
	 * after handle_message() returns, and drain_errqueue() and
	 * stun_sock_cancel() go on walking s->txns: a use after free. */
	request(f, "binding.1");
	recv_stun(f->responder, buf, sizeof(buf), &from, &m);
	f->free_in_cb = 1;
	answer(f->responder, m.tid, &from, &from, NULL);
	pump_until_logged(f, f->log.n);
	assert_int_equal(f->nends, 1);
	assert_null(f->sock);
}

static void test_socket_reports_its_transport_and_descriptor(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(stun_sock_transport(f->sock), NP_UDP);
	assert_true(stun_sock_fd(f->sock) >= 0);
	assert_int_equal(stun_sock_local(f->sock)->ss_family, AF_INET);
	assert_true(np_addr_port(stun_sock_local(f->sock)) != 0);
	assert_int_equal(stun_sock_set_ttl(f->sock, 5), 0);
	assert_int_equal(stun_sock_pending(f->sock), 0);
}

static void test_open_refuses_a_server_without_a_family(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage none;
	struct stun_sock *s = NULL;

	memset(&none, 0, sizeof(none));
	assert_int_equal(stun_sock_open(&f->ctx, NP_UDP, &none, NULL, NULL, "x",
					NULL, NULL, &s), NP_EINVAL);
	assert_null(s);
	stun_sock_free(NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_response_matching_tid_and_source_completes_the_transaction),
		T(test_sent_observation_describes_the_request_on_the_wire),
		T(test_error_response_ends_the_transaction_with_its_code),
		T(test_plain_mapped_address_is_recorded_beside_xor_mapped),
		T(test_right_tid_from_another_port_is_unmatched_and_not_trusted),
		T(test_response_from_the_expected_other_address_completes),
		T(test_unknown_tid_is_unmatched_and_reaches_the_stray_callback),
		T(test_request_from_a_peer_is_unmatched_even_with_our_tid),
		T(test_response_after_the_timeout_is_unmatched),
		T(test_bytes_that_are_not_stun_are_malformed),
		T(test_stun_header_with_a_lying_length_is_malformed),
		T(test_unanswered_request_is_retransmitted_with_doubling_rto),
		T(test_retransmissions_are_the_same_bytes),
		T(test_after_the_last_request_the_client_waits_rm_times_rto),
		T(test_max_tries_bounds_the_requests_sent),
		T(test_single_try_times_out_after_one_request),
		T(test_max_wait_cuts_the_retransmissions_short),
		T(test_rto_max_caps_the_doubling),
		T(test_response_to_a_retransmission_gives_no_rtt_sample),
		T(test_first_try_response_feeds_the_next_transactions_rto),
		T(test_closed_port_ends_the_transaction_with_icmp_port_unreachable),
		T(test_rto_before_any_sample_is_the_initial_rto),
		T(test_first_rtt_sample_sets_srtt_r_and_rttvar_half_r),
		T(test_small_rtt_gives_rto_floored_at_rto_min),
		T(test_later_samples_update_rttvar_before_srtt),
		T(test_steady_rtt_converges_to_it),
		T(test_cancel_ends_matching_transactions_with_a_cancelled_note),
		T(test_cancel_with_no_match_does_nothing),
		T(test_answer_to_a_cancelled_transaction_is_unmatched),
		T(test_done_callback_may_free_the_socket),
		T(test_socket_reports_its_transport_and_descriptor),
		T(test_open_refuses_a_server_without_a_family),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
