/*
 * nat_probe.c - the measurements behind `natprobe nat`.
 *
 * RFC 5780 §4 describes the tests; RFC 4787 names the behaviours. Rules we
 * keep because other tools break them:
 *  - every behaviour test runs on its own fresh socket, so a pinhole opened
 *    by one test cannot make another look less restrictive;
 *  - a filtering test's silence counts only beside a positive control on
 *    the same socket (a plain request the server answers);
 *  - mapping test III goes to the alternate IP *and* port (§4.3);
 *  - a reply must come from the address the test asked for, which
 *    stun_client.c enforces (anything else is recorded as unmatched).
 * Independent tests run in parallel; once the first response has measured
 * the RTT, waits and retransmissions follow it.
 *
 * Test labels (the contract with analyzers/nat_classify.c):
 *   server, server.change0            first contact; CHANGE-REQUEST 0 (420?)
 *   map.1 map.2 map.3                 mapping tests I, II, III (one socket)
 *   multi.N                           mapping toward extra server N
 *   filter.ip_port[.ctl][#R]          change IP+port and its control, round R
 *   filter.port[.ctl][#R]             change port and its control
 *   hairpin.map.b, hairpin.a2b, hairpin.b2a   hairpinning (§4.5)
 *   alloc.N                           consecutive fresh sockets
 *   size.out.N, size.rt.N             N-byte IP datagrams out / both ways
 *   tcp, tls, tls.443                 STUN over TCP, TLS, and TLS on 443
 *   tcpmap.1 tcpmap.2 tcpmap.3        TCP mapping (RFC 5382), one local port
 *   ttl.N                             hop N of the path (ICMP time exceeded)
 *   life.map.N, life.probe.N          binding lifetime (RESPONSE-PORT, §4.6)
 */
#include "nat_probe.h"
#include "stun_probe.h"
#include "stun_codec.h"
#include "np_err.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOCKS 128
#define MAX_PEND 512
#define FILTER_ROUNDS 3
#define ALLOC_SOCKETS 4
#define TTL_HOPS 3
#define LIFE_MAX 24

/* IP datagram sizes tried by the size tests. */
static const unsigned sizes[] = { 576, 1000, 1200, 1280, 1350, 1400, 1450, 1500 };
/* Binding lifetime grid (seconds idle before the inbound probe). */
static const unsigned life_grid[] = { 0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20,
				      25, 30, 40, 50, 60, 75, 90, 105, 120,
				      150, 180, 240 };

enum step {
	ST_SERVER, ST_CHANGE0, ST_MAP, ST_MULTI, ST_FILTER, ST_FILTER_CTL,
	ST_HP_MAP, ST_HP_PROBE, ST_ALLOC, ST_SIZE, ST_TCP, ST_TLS, ST_TTL,
	ST_LIFE_MAP, ST_LIFE_PROBE, ST_TCPMAP,
};

struct run;

struct life {
	struct stun_sock *x;
	struct sockaddr_storage mapped;
	int have_mapped;
	unsigned t_s;
	struct np_timer timer;
	int probed;
	int alive;
	struct fam *fam;
};

struct fam {
	struct run *run;
	int family;
	struct stun_uri uri;
	char name[OBS_NAME * 2];
	struct sockaddr_storage primary, other, m0;
	int have_other, have_m0, phase2;
	struct sockaddr_storage extra[NAT_MAX_SERVERS];
	char extra_name[NAT_MAX_SERVERS][OBS_NAME * 2];
	size_t nextra;
	struct stun_sock *s0;
	struct stun_sock *stream[3];   /* tcp, tls, tls.443 */
	struct stun_sock *hp_b;
	int hairpin_seen;
	struct sockaddr_storage m_b;
	int alloc_next;
	/* filtering: per kind (0 ip+port, 1 port) */
	int filt_round[2];
	int filt_pending[2];
	int filt_change_ok[2], filt_ctl_ok[2];
	uint32_t neg_wait_us;
	struct life life[LIFE_MAX];
	size_t nlife;
	struct stun_sock *life_y;
	int life_stop;
};

struct pend {
	struct fam *fam;
	enum step step;
	int idx;
	int used;
};

struct run {
	struct np_ctx *ctx;
	const struct nat_probe_opts *opts;
	struct fam fam[2];
	int nfam;
	int pending;
	struct stun_sock *socks[MAX_SOCKS];
	size_t nsocks;
	struct pend pend[MAX_PEND];
};

static void on_done(struct stun_sock *s, const struct obs *end, void *arg);

static void note(struct run *r, const struct fam *f, const char *test,
		 const char *fmt, const char *arg)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	o.transport = NP_UDP;
	snprintf(o.test, sizeof(o.test), "%s", test);
	snprintf(o.server, sizeof(o.server), "%s", f ? f->name : "");
	if (f) {
		o.remote = f->primary;
		o.has |= OBS_HAS_REMOTE;
	}
	snprintf(o.text, sizeof(o.text), fmt, arg);
	np_ctx_record(r->ctx, &o);
}

static void sock_error(struct fam *f, const char *test, int err)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_ERROR;
	o.err = err;
	o.remote = f->primary;
	o.has = OBS_HAS_REMOTE;
	snprintf(o.test, sizeof(o.test), "%s", test);
	snprintf(o.server, sizeof(o.server), "%s", f->name);
	snprintf(o.text, sizeof(o.text), "cannot open a socket: %s",
		 np_strerror(err));
	np_ctx_record(f->run->ctx, &o);
}

/* A fresh socket toward server, bound to local when given (else any),
 * remembered for cleanup. */
static struct stun_sock *fresh_from(struct fam *f, enum np_transport t,
				    const struct sockaddr_storage *server,
				    const struct sockaddr_storage *local,
				    const char *test)
{
	struct run *r = f->run;
	struct stun_sock *s = NULL;
	int err;

	if (r->nsocks >= MAX_SOCKS) {
		sock_error(f, test, NP_EFULL);
		return NULL;
	}
	err = stun_sock_open(r->ctx, t, server, local, f->uri.host, f->name,
			     NULL, NULL, &s);
	if (err < 0) {
		sock_error(f, test, err);
		return NULL;
	}
	r->socks[r->nsocks++] = s;
	return s;
}

static struct stun_sock *fresh(struct fam *f, enum np_transport t,
			       const struct sockaddr_storage *server,
			       const char *test)
{
	return fresh_from(f, t, server, NULL, test);
}

static struct pend *pend_get(struct run *r)
{
	for (size_t i = 0; i < MAX_PEND; i++) {
		if (!r->pend[i].used) {
			r->pend[i].used = 1;
			return &r->pend[i];
		}
	}
	return NULL;
}

/* Sends one request; the run stays alive until its callback. */
static int request(struct fam *f, struct stun_sock *s, enum step step, int idx,
		   struct stun_req *req)
{
	struct run *r = f->run;
	struct pend *p = pend_get(r);
	int err;

	if (!s || !p)
		return NP_EFULL;
	p->fam = f;
	p->step = step;
	p->idx = idx;
	req->method = STUN_BINDING;
	req->fingerprint = 1;
	r->pending++;
	err = stun_sock_request(s, req, on_done, p);
	if (err < 0) {
		r->pending--;
		p->used = 0;
	}
	return err;
}

static void req_init(struct stun_req *req, const char *test,
		     const struct sockaddr_storage *dst)
{
	memset(req, 0, sizeof(*req));
	snprintf(req->test, sizeof(req->test), "%s", test);
	req->dst = *dst;
}

static struct sockaddr_storage with_port(const struct sockaddr_storage *ip,
					 uint16_t port)
{
	struct sockaddr_storage a = *ip;

	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)&a)->sin6_port = htons(port);
	return a;
}

/* Filtering ------------------------------------------------------------ */

static void filter_start(struct fam *f, int kind)
{
	struct stun_sock *s;
	struct stun_req req;
	char test[OBS_NAME];
	int round = ++f->filt_round[kind];
	const char *base = kind == 0 ? "filter.ip_port" : "filter.port";

	f->filt_change_ok[kind] = f->filt_ctl_ok[kind] = 0;
	snprintf(test, sizeof(test), "%s#%d", base, round);
	s = fresh(f, NP_UDP, &f->primary, test);
	if (!s)
		return;
	/* RFC 5780 §4.4 test II (kind 0) / III (kind 1). */
	req_init(&req, test, &f->primary);
	req.change = kind == 0 ? STUN_CHANGE_IP | STUN_CHANGE_PORT : STUN_CHANGE_PORT;
	req.expect = kind == 0 ? f->other :
		     with_port(&f->primary, np_addr_port(&f->other));
	req.max_wait_us = f->neg_wait_us;
	if (request(f, s, ST_FILTER, kind, &req) == 0)
		f->filt_pending[kind]++;
	/* The positive control on the same socket, to the primary only. */
	snprintf(test, sizeof(test), "%s.ctl#%d", base, round);
	req_init(&req, test, &f->primary);
	req.max_wait_us = f->neg_wait_us;
	if (request(f, s, ST_FILTER_CTL, kind, &req) == 0)
		f->filt_pending[kind]++;
}

static void filter_done(struct fam *f, int kind, int ctl, const struct obs *end)
{
	int ok = end->kind == OBS_RESPONSE && !(end->has & OBS_HAS_ERROR_CODE);

	if (ctl)
		f->filt_ctl_ok[kind] |= ok;
	else
		f->filt_change_ok[kind] |= ok;
	if (--f->filt_pending[kind] > 0)
		return;
	/* Silence without a working control proves nothing: try again on a
	 * new socket, a bounded number of times. */
	if (!f->filt_change_ok[kind] && !f->filt_ctl_ok[kind] &&
	    f->filt_round[kind] < FILTER_ROUNDS)
		filter_start(f, kind);
}

/* Hairpinning ---------------------------------------------------------- */

/* A request arriving at one of our sockets is the other's hairpinned
 * probe: the answer is in, so stop waiting for the rest. */
static void hairpin_stray(struct stun_sock *s, const struct obs *o, void *arg)
{
	struct fam *f = arg;

	(void)s;
	if (o->cls != STUN_REQUEST || f->hairpin_seen)
		return;
	f->hairpin_seen = 1;
	stun_sock_cancel(f->s0, "hairpin.");
	stun_sock_cancel(f->hp_b, "hairpin.");
}

static void hairpin_probe(struct fam *f)
{
	struct stun_req req;

	/* Each side sends to the other's mapping, so the NAT's filtering
	 * cannot hide a working hairpin (each opened a pinhole for the other). */
	stun_sock_set_stray_cb(f->s0, hairpin_stray, f);
	stun_sock_set_stray_cb(f->hp_b, hairpin_stray, f);
	req_init(&req, "hairpin.a2b", &f->m_b);
	req.max_wait_us = f->neg_wait_us;
	req.max_tries = 4;
	request(f, f->s0, ST_HP_PROBE, 0, &req);
	req_init(&req, "hairpin.b2a", &f->m0);
	req.max_wait_us = f->neg_wait_us;
	req.max_tries = 4;
	request(f, f->hp_b, ST_HP_PROBE, 1, &req);
}

/* Binding lifetime ----------------------------------------------------- */

static void life_fire(struct np_loop *loop, void *arg)
{
	struct life *l = arg;
	struct fam *f = l->fam;
	struct stun_req req;
	char test[OBS_NAME];

	(void)loop;
	f->run->pending--;
	if (f->life_stop || !l->have_mapped || !f->life_y)
		goto out;
	/* RFC 5780 §4.6: from another socket, ask the server to answer to
	 * the idle mapping's port; it arrives only if the binding lives. */
	snprintf(test, sizeof(test), "life.probe.%u", l->t_s);
	req_init(&req, test, &f->primary);
	req.response_port = np_addr_port(&l->mapped);
	req.max_tries = 3;
	req.max_wait_us = f->neg_wait_us;
	l->probed = 1;
	request(f, f->life_y, ST_LIFE_PROBE, (int)(l - f->life), &req);
out:
	if (f->run->pending == 0)
		np_loop_stop(f->run->ctx->loop);
}

static void life_stray(struct stun_sock *s, const struct obs *o, void *arg)
{
	struct life *l = arg;

	(void)s;
	if (o->cls == STUN_SUCCESS && l->probed)
		l->alive = 1;
}

static void life_start(struct fam *f)
{
	unsigned max = f->run->opts->lifetime_max_s;
	struct stun_req req;
	char test[OBS_NAME];

	f->life_y = fresh(f, NP_UDP, &f->primary, "life.y");
	for (size_t i = 0; i < sizeof(life_grid) / sizeof(life_grid[0]) &&
			   f->nlife < LIFE_MAX && life_grid[i] <= max; i++) {
		struct life *l = &f->life[f->nlife];

		l->fam = f;
		l->t_s = life_grid[i];
		snprintf(test, sizeof(test), "life.map.%u", l->t_s);
		l->x = fresh(f, NP_UDP, &f->primary, test);
		if (!l->x)
			break;
		stun_sock_set_stray_cb(l->x, life_stray, l);
		np_timer_init(&l->timer, life_fire, l);
		req_init(&req, test, &f->primary);
		request(f, l->x, ST_LIFE_MAP, (int)f->nlife, &req);
		f->nlife++;
	}
}

/* Phase 2: everything that needs the server's answer ------------------- */

static void size_tests(struct fam *f)
{
	struct stun_sock *s = fresh(f, NP_UDP, &f->primary, "size");
	unsigned ip_overhead = f->family == AF_INET6 ? 48 : 28;

	if (!s)
		return;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* header 20 + attribute header 4 + FINGERPRINT 8 */
		unsigned body = sizes[i] - ip_overhead - 20 - 4 - 8;
		struct stun_req req;
		char test[OBS_NAME];

		snprintf(test, sizeof(test), "size.out.%u", sizes[i]);
		req_init(&req, test, &f->primary);
		req.filler = (uint16_t)(body & ~3u);
		req.max_wait_us = f->neg_wait_us;
		request(f, s, ST_SIZE, (int)i, &req);
		snprintf(test, sizeof(test), "size.rt.%u", sizes[i]);
		req_init(&req, test, &f->primary);
		req.padding = (uint16_t)(body & ~3u);
		req.max_wait_us = f->neg_wait_us;
		request(f, s, ST_SIZE, (int)i, &req);
	}
}

/* RFC 5382 §4.1 asks the same of TCP as RFC 4787 of UDP: one mapping per
 * local port whatever the destination. Three connections from one local
 * port to the server's addresses, as mapping tests I-III over TCP. */
static void tcp_mapping(struct fam *f)
{
	struct sockaddr_storage local, dst[3];
	int same_ip = np_addr_ip_equal(&f->other, &f->primary);
	struct stun_req req;

	memset(&local, 0, sizeof(local));
	local.ss_family = (sa_family_t)f->family;
	dst[0] = f->primary;
	dst[1] = with_port(&f->other, np_addr_port(&f->primary));
	dst[2] = same_ip ? with_port(&f->primary, np_addr_port(&f->other)) : f->other;
	for (int i = 0; i < 3; i++) {
		struct stun_sock *s;
		char test[OBS_NAME];

		if (i == 1 && same_ip)
			continue;
		snprintf(test, sizeof(test), "tcpmap.%d", i + 1);
		s = fresh_from(f, NP_TCP, &dst[i], &local, test);
		if (!s)
			return;
		/* The later connections reuse the first one's port. */
		if (i == 0)
			local = *stun_sock_local(s);
		req_init(&req, test, &dst[i]);
		request(f, s, ST_TCPMAP, i, &req);
	}
}

static void alloc_next(struct fam *f)
{
	struct stun_req req;
	char test[OBS_NAME];
	struct stun_sock *s;

	if (f->alloc_next >= ALLOC_SOCKETS)
		return;
	snprintf(test, sizeof(test), "alloc.%d", ++f->alloc_next);
	s = fresh(f, NP_UDP, &f->primary, test);
	req_init(&req, test, &f->primary);
	request(f, s, ST_ALLOC, f->alloc_next, &req);
}

static void phase2(struct fam *f)
{
	struct run *r = f->run;
	struct np_ctx *ctx = r->ctx;
	struct stun_sock *map;
	struct stun_req req;
	uint32_t rto = np_ctx_rto(ctx);

	if (f->phase2)
		return;
	f->phase2 = 1;
	/* Waits follow the measured RTT: a negative answer rests on about
	 * seven tries spread over this long. */
	f->neg_wait_us = 24 * rto;
	if (f->neg_wait_us < 400000)
		f->neg_wait_us = 400000;
	if (f->neg_wait_us > 3000000)
		f->neg_wait_us = 3000000;
	if (!ctx->rto_max_us || ctx->rto_max_us > 8 * rto)
		ctx->rto_max_us = 8 * rto;

	/* Mapping, RFC 5780 §4.3, all from one socket. */
	map = fresh(f, NP_UDP, &f->primary, "map");
	req_init(&req, "map.1", &f->primary);
	request(f, map, ST_MAP, 1, &req);
	if (f->have_other) {
		int same_ip = np_addr_ip_equal(&f->other, &f->primary);

		if (!same_ip) {
			struct sockaddr_storage d = with_port(&f->other,
							      np_addr_port(&f->primary));

			req_init(&req, "map.2", &d);
			request(f, map, ST_MAP, 2, &req);
		}
		/* Test III: the alternate IP and port (the port alone when
		 * the server has one IP). */
		req_init(&req, "map.3", &f->other);
		if (same_ip)
			req.dst = with_port(&f->primary, np_addr_port(&f->other));
		request(f, map, ST_MAP, 3, &req);
		/* A one-address server cannot change its IP: only the port
		 * half of the filtering test means anything. */
		if (!same_ip)
			filter_start(f, 0);
		filter_start(f, 1);
		if (r->opts->tcp)
			tcp_mapping(f);
	}
	for (size_t i = 0; i < f->nextra; i++) {
		char test[OBS_NAME];

		snprintf(test, sizeof(test), "multi.%zu", i + 1);
		req_init(&req, test, &f->extra[i]);
		request(f, map, ST_MULTI, (int)i, &req);
	}
	if (r->opts->hairpin && f->have_m0) {
		f->hp_b = fresh(f, NP_UDP, &f->primary, "hairpin.map.b");
		req_init(&req, "hairpin.map.b", &f->primary);
		request(f, f->hp_b, ST_HP_MAP, 0, &req);
	}
	if (r->opts->sizes)
		size_tests(f);
	alloc_next(f);
	if (r->opts->lifetime_max_s)
		life_start(f);
}

/* Phase 1: first contact, TCP, TLS, hops -------------------------------- */

static void phase1(struct fam *f)
{
	struct run *r = f->run;
	struct stun_req req;

	f->s0 = fresh(f, NP_UDP, &f->primary, "server");
	req_init(&req, "server", &f->primary);
	request(f, f->s0, ST_SERVER, 0, &req);
	/* A plain request with an empty CHANGE-REQUEST: a server with RFC
	 * 5780 switched off answers 420 (coturn 4.7 ships it off). */
	req_init(&req, "server.change0", &f->primary);
	req.change = 0;
	request(f, f->s0, ST_CHANGE0, 0, &req);
	if (r->opts->tcp) {
		struct stun_sock *t = fresh(f, NP_TCP, &f->primary, "tcp");

		f->stream[0] = t;
		req_init(&req, "tcp", &f->primary);
		request(f, t, ST_TCP, 0, &req);
	}
	if (r->opts->tls) {
		struct sockaddr_storage d = with_port(&f->primary, r->opts->tls_port);
		struct stun_sock *t = fresh(f, NP_TLS, &d, "tls");

		f->stream[1] = t;
		req_init(&req, "tls", &d);
		request(f, t, ST_TLS, 0, &req);
	}
	/* Where only web ports are open, TURN servers listen with TLS on
	 * 443: try it too (a second TLS test, in parallel). */
	if (r->opts->tls && r->opts->tls_port != 443) {
		struct sockaddr_storage d = with_port(&f->primary, 443);
		struct stun_sock *t = fresh(f, NP_TLS, &d, "tls.443");

		f->stream[2] = t;
		req_init(&req, "tls.443", &d);
		request(f, t, ST_TLS, 443, &req);
	}
	if (r->opts->ttl) {
		for (int hop = 1; hop <= TTL_HOPS; hop++) {
			char test[OBS_NAME];
			struct stun_sock *t;

			snprintf(test, sizeof(test), "ttl.%d", hop);
			t = fresh(f, NP_UDP, &f->primary, test);
			if (!t)
				break;
			stun_sock_set_ttl(t, hop);
			req_init(&req, test, &f->primary);
			req.max_tries = 2;
			req.max_wait_us = 600000;
			request(f, t, ST_TTL, hop, &req);
		}
	}
}

static void on_done(struct stun_sock *s, const struct obs *end, void *arg)
{
	struct pend *p = arg;
	struct fam *f = p->fam;
	struct run *r = f->run;
	int ok = end->kind == OBS_RESPONSE && !(end->has & OBS_HAS_ERROR_CODE);

	(void)s;
	p->used = 0;
	switch (p->step) {
	case ST_SERVER:
		if (ok) {
			if (end->has & OBS_HAS_XOR_MAPPED) {
				f->m0 = end->xor_mapped;
				f->have_m0 = 1;
			} else if (end->has & OBS_HAS_MAPPED) {
				f->m0 = end->mapped;
				f->have_m0 = 1;
			}
			if ((end->has & OBS_HAS_OTHER) &&
			    end->other.ss_family == f->family) {
				f->other = end->other;
				f->have_other = 1;
			}
		}
		if (ok || end->kind == OBS_RESPONSE)
			phase2(f);
		break;
	case ST_FILTER:
	case ST_FILTER_CTL:
		filter_done(f, p->idx, p->step == ST_FILTER_CTL, end);
		break;
	case ST_HP_MAP:
		if (ok && (end->has & OBS_HAS_XOR_MAPPED)) {
			f->m_b = end->xor_mapped;
			hairpin_probe(f);
		}
		break;
	case ST_ALLOC:
		alloc_next(f);
		break;
	case ST_TCP:
	case ST_TLS:
		/* The server answers over TCP while UDP is still silent: the
		 * RTT is now known, so UDP's first contact need not wait out
		 * the 3 s allowed an unknown path. It retries at once on the
		 * measured schedule and gives up as a negative test would. */
		if (ok && !f->phase2 && f->s0) {
			uint32_t rto = np_ctx_rto(r->ctx), wait = 24 * rto;

			if (wait < 400000)
				wait = 400000;
			if (r->ctx->rto_max_us == 0 || r->ctx->rto_max_us > 8 * rto)
				r->ctx->rto_max_us = 8 * rto;
			stun_sock_retime(f->s0, "server", wait);
		}
		/* Likewise a stream still connecting, once another stream to
		 * the same host has answered: its SYNs are being dropped. */
		if (ok) {
			uint32_t wait = 24 * np_ctx_rto(r->ctx);

			if (wait < 400000)
				wait = 400000;
			for (int i = 0; i < 3; i++)
				if (f->stream[i] && f->stream[i] != s)
					stun_sock_retime(f->stream[i], "", wait);
		}
		break;
	case ST_LIFE_MAP: {
		struct life *l = &f->life[p->idx];

		if (ok && (end->has & OBS_HAS_XOR_MAPPED)) {
			l->mapped = end->xor_mapped;
			l->have_mapped = 1;
			r->pending++;
			np_timer_start(r->ctx->loop, &l->timer,
				       np_loop_now(r->ctx->loop) +
				       (uint64_t)l->t_s * 1000000u);
		}
		break;
	}
	case ST_LIFE_PROBE: {
		struct life *l = &f->life[p->idx];

		if (!l->alive && l->t_s > 0) {
			/* Gone: every longer idle time is gone too, so the
			 * test ends here and costs about one lifetime. */
			f->life_stop = 1;
			for (size_t i = 0; i < f->nlife; i++) {
				if (np_timer_active(&f->life[i].timer)) {
					np_timer_stop(r->ctx->loop, &f->life[i].timer);
					r->pending--;
				}
			}
		}
		{
			char t[16];

			snprintf(t, sizeof(t), "%u", l->t_s);
			note(r, f, l->alive ? "life.alive" : "life.gone", "%s", t);
		}
		break;
	}
	default:
		break;
	}
	if (--r->pending == 0)
		np_loop_stop(r->ctx->loop);
}

/* Setup ------------------------------------------------------------------ */

static int add_server(struct run *r, const char *uri_s, int primary,
		      char *why, size_t wlen)
{
	struct stun_uri u;
	struct sockaddr_storage addrs[8];
	size_t n = 0;
	char name[OBS_NAME * 2];
	int err = stun_uri_parse(uri_s, &u, why, wlen);

	if (err < 0)
		return err;
	if (u.scheme != STUN_SCHEME_STUN || u.transport != NP_UDP) {
		snprintf(why, wlen,
			 "\"%s\": natprobe nat needs a stun: URI over UDP (it tests TCP and TLS itself)",
			 uri_s);
		return NP_EBADURI;
	}
	stun_uri_str(&u, name, sizeof(name));
	if (stun_probe_resolve(r->ctx, &u, r->opts->family, "resolve", addrs, 8, &n) < 0)
		return 0;  /* recorded as an observation */
	for (size_t i = 0; i < n; i++) {
		int fi = addrs[i].ss_family == AF_INET6;
		struct fam *f = &r->fam[fi];

		/* The first server of a family is its primary; later ones
		 * serve the mapping test without RFC 5780. */
		if (primary || !f->family) {
			if (f->family)
				continue;  /* first address of a family wins */
			f->run = r;
			f->family = addrs[i].ss_family;
			f->uri = u;
			f->primary = addrs[i];
			snprintf(f->name, sizeof(f->name), "%s", name);
			r->nfam++;
		} else if (f->family && f->nextra < NAT_MAX_SERVERS) {
			f->extra[f->nextra] = addrs[i];
			snprintf(f->extra_name[f->nextra], sizeof(f->extra_name[0]),
				 "%s", name);
			f->nextra++;
		}
	}
	return 0;
}

int nat_probe_run(struct np_ctx *ctx, const struct nat_probe_opts *opts,
		  char *why, size_t wlen)
{
	struct run *r = calloc(1, sizeof(*r));
	int err = 0;

	if (!r)
		return NP_ENOMEM;
	r->ctx = ctx;
	r->opts = opts;
	for (size_t i = 0; i < opts->nservers && err == 0; i++)
		err = add_server(r, opts->servers[i], i == 0, why, wlen);
	if (err < 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		if (r->fam[i].family) {
			note(r, &r->fam[i], "family", "%s",
			     i ? "ipv6" : "ipv4");
			phase1(&r->fam[i]);
		}
	}
	if (r->pending > 0)
		err = np_loop_run(ctx->loop);
out:
	for (size_t i = 0; i < r->nsocks; i++)
		stun_sock_free(r->socks[i]);
	for (int fi = 0; fi < 2; fi++)
		for (size_t i = 0; i < r->fam[fi].nlife; i++)
			np_timer_stop(ctx->loop, &r->fam[fi].life[i].timer);
	free(r);
	return err;
}
