/*
 * test_ice_checklist.c - the checklist machine (probe/ice_checklist.c) in
 * memory: two agents wired by a datagram-carrying function with a fixed
 * one-way delay, a fixed loss pattern and an optional NAT in front of
 * agent A, under a fake clock (the quicly t/lossy.c idea). Nothing here
 * touches a socket or the real time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ice_checklist.h"
#include "np_err.h"

#define DELAY_US 10000 /* one way */
#define QMAX 512

/* A datagram in flight: a check, or the answer to one. */
struct dgram {
	uint64_t at;
	int to_b;                 /* destination agent */
	int is_response;
	struct ice_cl_request rq;
	struct ice_cl_response rs;
};

struct world {
	uint64_t now;
	struct ice_checklist *a, *b;
	const char *loss;         /* 'x' drops, anything else delivers */
	unsigned offered, dropped;
	int nat;                  /* A is behind an endpoint-independent NAT */
	struct sockaddr_storage a_base, a_pub, b_base;
	struct dgram q[QMAX];
	size_t nq;
};

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage ss;

	if (np_addr_parse(s, &ss))
		fail_msg("bad address %s", s);
	return ss;
}

static struct ice_cand mkcand(enum ice_cand_type t, const char *a,
			      const char *base, const char *found)
{
	struct ice_cand c;

	memset(&c, 0, sizeof(c));
	c.type = t;
	c.component = 1;
	c.transport = NP_UDP;
	c.priority = ice_priority(t, 65535, 1);
	c.addr = addr(a);
	c.port = np_addr_port(&c.addr);
	if (base)
		c.base = addr(base);
	strcpy(c.foundation, found);
	return c;
}

static unsigned tries = 4;

static struct ice_checklist *agent(int controlling, uint64_t tb,
				   uint64_t seed)
{
	struct ice_cl_config cfg;
	struct ice_checklist *cl;

	memset(&cfg, 0, sizeof(cfg));
	cfg.controlling = controlling;
	cfg.tiebreaker = tb;
	cfg.ta_us = 20000;
	cfg.rto_us = 100000;
	cfg.max_tries = tries;
	cfg.seed = seed;
	assert_int_equal(ice_cl_new(&cfg, &cl), 0);
	return cl;
}

/* Puts a datagram on the wire, or loses it by the pattern. The NAT
 * rewrites A's base to its public address going out and back coming in;
 * a datagram to an address nobody owns vanishes. */
static void send_dgram(struct world *w, struct dgram *d,
		       struct sockaddr_storage *src, struct sockaddr_storage *dst)
{
	char c = w->loss[w->offered++ % strlen(w->loss)];

	if (c == 'x') {
		w->dropped++;
		return;
	}
	if (w->nat && np_addr_equal(src, &w->a_base))
		*src = w->a_pub;
	if (w->nat && np_addr_equal(dst, &w->a_pub))
		*dst = w->a_base;
	else if (w->nat && np_addr_equal(dst, &w->a_base))
		return; /* a private address is unreachable from outside */
	if (np_addr_equal(dst, &w->b_base))
		d->to_b = 1;
	else if (np_addr_equal(dst, &w->a_base))
		d->to_b = 0;
	else
		return;
	assert_true(w->nq < QMAX);
	d->at = w->now + DELAY_US;
	w->q[w->nq++] = *d;
}

static void send_check(struct world *w, int from_b, const struct ice_check *c)
{
	struct dgram d;

	memset(&d, 0, sizeof(d));
	d.rq.from = c->from;
	d.rq.to = c->to;
	d.rq.transport = NP_UDP;
	d.rq.priority = c->priority;
	d.rq.use_candidate = c->use_candidate;
	d.rq.controlling = c->controlling;
	d.rq.controlled = !c->controlling;
	d.rq.tiebreaker = c->tiebreaker;
	memcpy(d.rs.tid, c->tid, sizeof(d.rs.tid));
	send_dgram(w, &d, &d.rq.from, &d.rq.to);
	(void)from_b;
}

static void deliver(struct world *w, struct dgram *d)
{
	struct ice_checklist *dst = d->to_b ? w->b : w->a;
	struct ice_cl_reply reply;
	struct dgram r;

	if (d->is_response) {
		ice_cl_on_response(dst, w->now, &d->rs);
		return;
	}
	if (ice_cl_on_request(dst, w->now, &d->rq, &reply))
		return;
	memset(&r, 0, sizeof(r));
	r.is_response = 1;
	memcpy(r.rs.tid, d->rs.tid, sizeof(r.rs.tid));
	r.rs.from = d->rq.to;
	r.rs.to = d->rq.from;
	r.rs.error_code = reply.error_code;
	r.rs.mapped = reply.mapped;
	send_dgram(w, &r, &r.rs.from, &r.rs.to);
}

static int done(const struct ice_checklist *cl)
{
	return cl->state != ICE_CL_RUNNING;
}

/* Runs the world until both agents are done or until `until`. */
static void run(struct world *w, uint64_t until)
{
	struct ice_check c;
	uint64_t next;
	size_t i;

	while (w->now <= until && !(done(w->a) && done(w->b))) {
		/* Receive first, then send. */
		for (i = 0; i < w->nq;) {
			if (w->q[i].at <= w->now) {
				struct dgram d = w->q[i];

				memmove(&w->q[i], &w->q[i + 1],
					(w->nq - i - 1) * sizeof(w->q[0]));
				w->nq--;
				deliver(w, &d);
			} else {
				i++;
			}
		}
		while (ice_cl_next(w->a, w->now, &c))
			send_check(w, 0, &c);
		while (ice_cl_next(w->b, w->now, &c))
			send_check(w, 1, &c);
		next = ice_cl_deadline(w->a);
		if (ice_cl_deadline(w->b) < next)
			next = ice_cl_deadline(w->b);
		for (i = 0; i < w->nq; i++)
			if (w->q[i].at < next)
				next = w->q[i].at;
		if (next == UINT64_MAX)
			break;
		assert_true(next > w->now); /* the machine never spins */
		w->now = next;
	}
}

/* A behind a NAT with host + srflx, B public with one host candidate. */
static void world_init(struct world *w, const char *loss, int a_controls,
		       int b_controls)
{
	struct ice_cand c;

	memset(w, 0, sizeof(*w));
	w->loss = loss;
	w->nat = 1;
	w->now = 1000000;
	w->a_base = addr("10.0.0.1:5000");
	w->a_pub = addr("203.0.113.1:6000");
	w->b_base = addr("198.51.100.2:7000");
	w->a = agent(a_controls, 1000, 1);
	w->b = agent(b_controls, 5, 2);
	c = mkcand(ICE_HOST, "10.0.0.1:5000", NULL, "1");
	assert_int_equal(ice_cl_add_local(w->a, &c), 0);
	assert_int_equal(ice_cl_add_remote(w->b, &c, NULL), 0);
	c = mkcand(ICE_SRFLX, "203.0.113.1:6000", "10.0.0.1:5000", "2");
	assert_int_equal(ice_cl_add_local(w->a, &c), 0);
	assert_int_equal(ice_cl_add_remote(w->b, &c, NULL), 0);
	c = mkcand(ICE_HOST, "198.51.100.2:7000", NULL, "1");
	assert_int_equal(ice_cl_add_local(w->b, &c), 0);
	assert_int_equal(ice_cl_add_remote(w->a, &c, NULL), 0);
	ice_cl_start(w->a, w->now);
	ice_cl_start(w->b, w->now);
}

static void world_free(struct world *w)
{
	ice_cl_free(w->a);
	ice_cl_free(w->b);
}

/* Both agents completed on the same path: A's srflx (or the prflx at
 * the same address) and B's host. */
static void assert_agreed_path(const struct world *w)
{
	const struct ice_pair *pa = ice_cl_selected(w->a);
	const struct ice_pair *pb = ice_cl_selected(w->b);

	assert_int_equal(w->a->state, ICE_CL_COMPLETED);
	assert_int_equal(w->b->state, ICE_CL_COMPLETED);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_true(np_addr_equal(&w->a->local[pa->local].addr, &w->a_pub));
	assert_true(np_addr_equal(&w->a->remote[pa->remote].addr, &w->b_base));
	assert_true(np_addr_equal(&w->b->local[pb->local].addr, &w->b_base));
	assert_true(np_addr_equal(&w->b->remote[pb->remote].addr, &w->a_pub));
	assert_true(pa->nominated && pa->valid);
	assert_true(pb->nominated && pb->valid);
}

static void test_agents_reach_a_nominated_pair_without_loss(void **state)
{
	struct world w;
	const struct ice_pair *p;

	world_init(&w, ".", 1, 0);
	run(&w, w.now + 5000000);
	assert_agreed_path(&w);
	p = ice_cl_selected(w.a);
	/* A valid pair's RTT is twice the one-way delay. */
	assert_int_equal(p->stats.current_rtt_us, 2 * DELAY_US);
	assert_true(p->stats.requests_sent >= 1);
	assert_true(p->stats.entered_mask & (1u << ICE_PAIR_SUCCEEDED));
	assert_int_equal(ice_cl_deadline(w.a), UINT64_MAX);
	world_free(&w);
}

static void test_agents_reach_a_nominated_pair_under_loss(void **state)
{
	struct world w;
	size_t i;
	uint64_t retx = 0;

	/* 40% of datagrams are lost; RFC 8489's 7 tries (Rc) per check */
	tries = 7;
	world_init(&w, "..x.x..xx.", 1, 0);
	tries = 4;
	run(&w, w.now + 30000000);
	assert_agreed_path(&w);
	assert_true(w.dropped > 0);
	for (i = 0; i < w.a->npairs; i++)
		retx += w.a->pairs[i].stats.retransmissions_sent;
	for (i = 0; i < w.b->npairs; i++)
		retx += w.b->pairs[i].stats.retransmissions_sent;
	assert_true(retx > 0);
	world_free(&w);
}

static void test_peer_reflexive_candidates_are_learnt(void **state)
{
	struct world w;
	struct ice_cand c;
	const struct ice_pair *pa;

	/* A gathered no srflx: the NAT's mapping must be discovered. */
	memset(&w, 0, sizeof(w));
	w.loss = ".";
	w.nat = 1;
	w.a_base = addr("10.0.0.1:5000");
	w.a_pub = addr("203.0.113.1:6000");
	w.b_base = addr("198.51.100.2:7000");
	w.a = agent(1, 1000, 1);
	w.b = agent(0, 5, 2);
	c = mkcand(ICE_HOST, "10.0.0.1:5000", NULL, "1");
	ice_cl_add_local(w.a, &c);
	ice_cl_add_remote(w.b, &c, NULL);
	c = mkcand(ICE_HOST, "198.51.100.2:7000", NULL, "1");
	ice_cl_add_local(w.b, &c);
	ice_cl_add_remote(w.a, &c, NULL);
	ice_cl_start(w.a, 0);
	ice_cl_start(w.b, 0);
	run(&w, 5000000);
	assert_agreed_path(&w);
	pa = ice_cl_selected(w.a);
	assert_int_equal(w.a->local[pa->local].type, ICE_PRFLX);
	assert_true(np_addr_equal(&w.a->local[pa->local].base, &w.a_base));
	assert_int_equal(w.b->remote[ice_cl_selected(w.b)->remote].type,
			 ICE_PRFLX);
	/* the prflx remote carries the PRIORITY A sent: prflx preference */
	assert_int_equal(w.b->remote[ice_cl_selected(w.b)->remote].priority,
			 ice_priority(ICE_PRFLX, 65535, 1));
	world_free(&w);
}

static void test_role_conflict_resolves_by_tiebreaker(void **state)
{
	struct world w;

	/* Both think they control: B has the smaller tie-breaker. */
	world_init(&w, ".", 1, 1);
	run(&w, w.now + 5000000);
	assert_agreed_path(&w);
	assert_true(w.a->controlling);
	assert_false(w.b->controlling);
	assert_int_equal(w.a->role_switches, 0);
	assert_int_equal(w.b->role_switches, 1);
	world_free(&w);
	/* Both think they are controlled: A has the larger one and takes
	 * control. */
	world_init(&w, ".", 0, 0);
	run(&w, w.now + 5000000);
	assert_agreed_path(&w);
	assert_true(w.a->controlling);
	assert_false(w.b->controlling);
	world_free(&w);
}

static void test_487_switches_role_and_retries_the_pair(void **state)
{
	struct ice_checklist *cl = agent(1, 7, 3);
	struct ice_cand l = mkcand(ICE_HOST, "10.0.0.1:5000", NULL, "1");
	struct ice_cand r = mkcand(ICE_HOST, "192.0.2.1:5000", NULL, "1");
	struct ice_cl_response rs;
	struct ice_check c;
	uint64_t before;

	r.priority -= 1000; /* G != D, so the role shows in the priority */
	ice_cl_add_local(cl, &l);
	ice_cl_add_remote(cl, &r, NULL);
	ice_cl_start(cl, 0);
	assert_int_equal(ice_cl_next(cl, 0, &c), 1);
	assert_true(c.controlling);
	before = cl->pairs[0].priority;
	memset(&rs, 0, sizeof(rs));
	memcpy(rs.tid, c.tid, sizeof(rs.tid));
	rs.error_code = 487;
	assert_int_equal(ice_cl_on_response(cl, 5000, &rs), ICE_RESP_ROLE_CONFLICT);
	assert_false(cl->controlling);
	assert_true(cl->pairs[0].priority != before);
	assert_int_equal(cl->pairs[0].state, ICE_PAIR_WAITING);
	/* the retry is queued, goes out after Ta, as controlled, new tid */
	assert_int_equal(ice_cl_next(cl, 10000, &c), 0);
	assert_int_equal(ice_cl_next(cl, 20000, &c), 1);
	assert_false(c.controlling);
	assert_true(memcmp(c.tid, rs.tid, sizeof(rs.tid)) != 0);
	/* a response to the old transaction no longer matches */
	assert_int_equal(ice_cl_on_response(cl, 21000, &rs), ICE_RESP_UNMATCHED);
	ice_cl_free(cl);
}

static void test_all_pairs_failing_ends_in_failure_by_the_deadline(void **state)
{
	struct world w;
	struct ice_cand c;
	size_t i;

	world_init(&w, "x", 1, 0);
	c = mkcand(ICE_HOST, "10.0.0.1:5001", NULL, "3");
	ice_cl_add_local(w.a, &c);
	/* 3 pairs at A (after pruning), Ta 20 ms, RTO 100 ms doubling, 4
	 * tries: 100+200+400+800 ms after its first send, every pair has
	 * failed; the last starts within 3 Ta. */
	run(&w, w.now + 10000000);
	assert_int_equal(w.a->state, ICE_CL_FAILED);
	assert_int_equal(w.b->state, ICE_CL_FAILED);
	assert_true(w.now <= 1000000 + 3 * 20000 + 1500000 + 3 * 20000);
	assert_null(ice_cl_selected(w.a));
	assert_int_equal(ice_cl_deadline(w.a), UINT64_MAX);
	for (i = 0; i < w.a->npairs; i++) {
		const struct ice_pair *p = &w.a->pairs[i];

		assert_int_equal(p->state, ICE_PAIR_FAILED);
		assert_int_equal(p->stats.requests_sent, 4);
		assert_int_equal(p->stats.retransmissions_sent, 3);
		assert_int_equal(p->stats.responses_received, 0);
	}
	world_free(&w);
}

static void test_ta_is_never_below_5ms(void **state)
{
	struct ice_cl_config cfg;
	struct ice_checklist *cl;
	struct ice_cand c;
	struct ice_check chk;
	char a[32];
	int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ta_us = 1000;
	assert_int_equal(ice_cl_new(&cfg, &cl), 0);
	assert_int_equal(cl->cfg.ta_us, ICE_TA_MIN_US);
	c = mkcand(ICE_HOST, "10.0.0.1:5000", NULL, "1");
	ice_cl_add_local(cl, &c);
	for (i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d:5000", i + 1);
		c = mkcand(ICE_HOST, a, NULL, "x");
		c.foundation[0] = (char)('a' + i);
		ice_cl_add_remote(cl, &c, NULL);
	}
	ice_cl_start(cl, 0);
	assert_int_equal(ice_cl_next(cl, 0, &chk), 1);
	assert_int_equal(ice_cl_next(cl, 0, &chk), 0);
	assert_int_equal(ice_cl_deadline(cl), 5000);
	assert_int_equal(ice_cl_next(cl, 4999, &chk), 0);
	assert_int_equal(ice_cl_next(cl, 5000, &chk), 1);
	ice_cl_free(cl);
	ice_cl_free(NULL);
}

static void test_initial_unfreezing_waits_one_pair_per_foundation(void **state)
{
	struct ice_checklist *cl = agent(1, 1, 1);
	struct ice_cand l = mkcand(ICE_HOST, "10.0.0.1:5000", NULL, "1"), r;
	struct ice_cl_request rq;
	struct ice_cl_reply rp;
	struct ice_check c;

	ice_cl_add_local(cl, &l);
	r = mkcand(ICE_HOST, "192.0.2.1:5000", NULL, "h");
	ice_cl_add_remote(cl, &r, NULL);
	r = mkcand(ICE_HOST, "192.0.2.2:5000", NULL, "h");
	r.priority--;
	ice_cl_add_remote(cl, &r, NULL);
	r = mkcand(ICE_SRFLX, "203.0.113.9:5000", NULL, "s");
	ice_cl_add_remote(cl, &r, NULL);
	ice_cl_start(cl, 0);
	assert_int_equal(cl->npairs, 3);
	assert_int_equal(cl->pairs[0].state, ICE_PAIR_WAITING);
	assert_int_equal(cl->pairs[1].state, ICE_PAIR_FROZEN);
	assert_int_equal(cl->pairs[2].state, ICE_PAIR_WAITING);
	/* A check arriving on the frozen pair triggers it ahead of the
	 * Waiting ones (§7.3.1.4). */
	memset(&rq, 0, sizeof(rq));
	rq.from = addr("192.0.2.2:5000");
	rq.to = l.addr;
	rq.controlled = 1;
	rq.priority = 99;
	assert_int_equal(ice_cl_on_request(cl, 0, &rq, &rp), 0);
	assert_int_equal(rp.error_code, 0);
	assert_true(np_addr_equal(&rp.mapped, &rq.from));
	assert_int_equal(ice_cl_next(cl, 0, &c), 1);
	assert_int_equal(c.pair, 1);
	assert_int_equal(cl->pairs[1].stats.requests_received, 1);
	assert_int_equal(cl->pairs[1].stats.responses_sent, 1);
	/* A request to an address that is not ours is refused. */
	rq.to = addr("10.9.9.9:1");
	assert_int_equal(ice_cl_on_request(cl, 0, &rq, &rp), NP_ENOTFOUND);
	ice_cl_free(cl);
}

static void test_error_and_asymmetric_responses_fail_the_pair(void **state)
{
	struct ice_checklist *cl = agent(0, 1, 9);
	struct ice_cand l = mkcand(ICE_HOST, "10.0.0.1:5000", NULL, "1");
	struct ice_cand r1 = mkcand(ICE_HOST, "192.0.2.1:5000", NULL, "a");
	struct ice_cand r2 = mkcand(ICE_HOST, "192.0.2.2:5000", NULL, "b");
	struct ice_cl_response rs;
	struct ice_check c;
	enum ice_reject why;

	ice_cl_add_local(cl, &l);
	ice_cl_add_remote(cl, &r1, NULL);
	ice_cl_add_remote(cl, &r2, NULL);
	r2.port = 0;
	assert_int_equal(ice_cl_add_remote(cl, &r2, &why), NP_EINVAL);
	assert_int_equal(why, ICE_REJECT_PORT_ZERO);
	ice_cl_start(cl, 0);
	assert_int_equal(ice_cl_next(cl, 0, &c), 1);
	memset(&rs, 0, sizeof(rs));
	memcpy(rs.tid, c.tid, sizeof(rs.tid));
	rs.error_code = 400;
	assert_int_equal(ice_cl_on_response(cl, 1000, &rs), ICE_RESP_FAILED);
	assert_int_equal(cl->pairs[c.pair].state, ICE_PAIR_FAILED);
	assert_int_equal(ice_cl_next(cl, 20000, &c), 1);
	memcpy(rs.tid, c.tid, sizeof(rs.tid));
	rs.error_code = 0;
	rs.from = addr("192.0.2.99:5000"); /* not where the check went */
	rs.to = l.addr;
	rs.mapped = l.addr;
	assert_int_equal(ice_cl_on_response(cl, 21000, &rs),
			 ICE_RESP_NONSYMMETRIC);
	/* nothing valid and nothing left: failed (not trickling) */
	assert_int_equal(cl->state, ICE_CL_FAILED);
	ice_cl_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agents_reach_a_nominated_pair_without_loss),
		cmocka_unit_test(test_agents_reach_a_nominated_pair_under_loss),
		cmocka_unit_test(test_peer_reflexive_candidates_are_learnt),
		cmocka_unit_test(test_role_conflict_resolves_by_tiebreaker),
		cmocka_unit_test(test_487_switches_role_and_retries_the_pair),
		cmocka_unit_test(test_all_pairs_failing_ends_in_failure_by_the_deadline),
		cmocka_unit_test(test_ta_is_never_below_5ms),
		cmocka_unit_test(test_initial_unfreezing_waits_one_pair_per_foundation),
		cmocka_unit_test(test_error_and_asymmetric_responses_fail_the_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
