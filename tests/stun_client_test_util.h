/*
 * stun_client_test_util.h - the in-process responder both STUN client test
 * files use: a UDP socket on 127.0.0.1 the test reads and answers by hand
 * with the codec, a fake clock moved by hand, and lookups in the log.
 * The loop is driven with np_loop_run_once for a bounded number of
 * iterations; loopback delivers a datagram before sendto returns, so no
 * test depends on real time.
 */
#ifndef STUN_CLIENT_TEST_UTIL_H
#define STUN_CLIENT_TEST_UTIL_H

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

static inline uint64_t fake_now(void *arg)
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

static inline int udp_socket(struct sockaddr_storage *bound)
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

static inline void on_done(struct stun_sock *s, const struct obs *end, void *arg)
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

static inline void on_stray(struct stun_sock *s, const struct obs *o, void *arg)
{
	struct fixture *f = arg;

	f->strays++;
	f->last_stray = *o;
}

static inline int setup(void **state)
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

static inline int teardown(void **state)
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
static inline void request_to(struct fixture *f, const char *test,
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

static inline void request(struct fixture *f, const char *test)
{
	request_to(f, test, NULL, NULL);
}

/* Reads one datagram from fd (it must arrive within RECV_BOUND_MS) and
 * decodes it as STUN. */
static inline size_t recv_stun(int fd, uint8_t *buf, size_t cap,
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
static inline int has_datagram(int fd)
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
static inline void answer(int fd, const uint8_t tid[STUN_TID_LEN],
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

static inline void send_raw(int fd, const void *buf, size_t len,
		     const struct sockaddr_storage *to)
{
	assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to,
				np_addr_len(to)), (ssize_t)len);
}

/* Runs the loop until the log holds more than `had` records or a
 * transaction ends, for at most PUMP_LIMIT iterations. Each iteration
 * waits at most 100 ms for a datagram that loopback has already queued. */
static inline void pump_until_logged(struct fixture *f, size_t had)
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
static inline const struct obs *find(const struct obs_log *log, enum obs_kind k,
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

static inline size_t count(const struct obs_log *log, enum obs_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < log->n; i++)
		n += log->v[i].kind == k;
	return n;
}

static inline void assert_addr(const struct sockaddr_storage *ss,
			const struct sockaddr_storage *want)
{
	char a[64], b[64];

	if (!np_addr_equal(ss, want))
		fail_msg("address %s, expected %s", np_addr_str(ss, a, sizeof(a)),
			 np_addr_str(want, b, sizeof(b)));
}

/* (a) -------------------------------------------------------------------- */

#endif
