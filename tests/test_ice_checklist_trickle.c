/*
 * test_ice_checklist_trickle.c - checklist behaviours the live agent
 * relies on (probe/ice_checklist.c), driven by hand under a fake clock:
 * candidates gathered after the checks started, a peer's check on a pair
 * already In-Progress (RFC 8445 §7.3.1.4), the first RTO taken from the
 * measured RTT, and loopback remote candidates for one-host tests.
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

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage ss;

	if (np_addr_parse(s, &ss))
		fail_msg("bad address %s", s);
	return ss;
}

static struct ice_cand cand(enum ice_cand_type t, const char *a, uint16_t pref)
{
	struct ice_cand c;

	memset(&c, 0, sizeof(c));
	c.type = t;
	c.component = 1;
	c.transport = NP_UDP;
	c.priority = ice_priority(t, pref, 1);
	c.addr = addr(a);
	c.port = np_addr_port(&c.addr);
	return c;
}

static struct ice_checklist *mk(int controlling, int rto_from_rtt,
				uint64_t rto_us)
{
	struct ice_cl_config cfg;
	struct ice_checklist *cl;

	memset(&cfg, 0, sizeof(cfg));
	cfg.controlling = controlling;
	cfg.tiebreaker = controlling ? 100 : 50;
	cfg.ta_us = ICE_TA_MIN_US;
	cfg.rto_us = rto_us;
	cfg.rto_from_rtt = rto_from_rtt;
	cfg.seed = 7;
	cfg.trickle = 1;
	assert_int_equal(ice_cl_new(&cfg, &cl), 0);
	return cl;
}

static void test_candidates_after_start_join_the_checklist(void **state)
{
	struct ice_checklist *cl = mk(1, 1, 20000);
	struct ice_cand l1 = cand(ICE_HOST, "198.18.0.2:5000", 65535);
	struct ice_cand relay = cand(ICE_RELAY, "203.0.113.10:6000", 65535);
	struct ice_cand r1 = cand(ICE_HOST, "198.19.0.2:7000", 65535);
	struct ice_check c;
	enum ice_reject why;
	int seen_relay = 0;

	assert_int_equal(ice_cl_add_local(cl, &l1), 0);
	assert_int_equal(ice_cl_add_remote(cl, &r1, &why), 0);
	ice_cl_start(cl, 1000);
	assert_int_equal(cl->npairs, 1);
	/* The TURN allocation answers later: its pair is formed at once. */
	assert_int_equal(ice_cl_add_local(cl, &relay), 0);
	assert_int_equal(cl->npairs, 2);
	for (uint64_t t = 1000; t < 200000 && !seen_relay; t += ICE_TA_MIN_US)
		while (ice_cl_next(cl, t, &c))
			seen_relay |= c.local->type == ICE_RELAY;
	assert_true(seen_relay);
	ice_cl_free(cl);
}

/* Trickled remote candidates (a WHIP PATCH) after start are checked,
 * and one signalled twice is one candidate, one pair. */
static void test_trickled_remote_after_start_once_each(void **state)
{
	struct ice_checklist *cl = mk(0, 1, 20000);
	struct ice_cand l1 = cand(ICE_HOST, "198.18.0.2:5000", 65535);
	struct ice_cand r1 = cand(ICE_HOST, "198.19.0.2:7000", 65535);
	struct ice_cand r2 = cand(ICE_SRFLX, "198.51.100.2:7100", 65535);
	struct ice_check c;
	enum ice_reject why;
	int seen_r2 = 0;

	/* Signalled candidates carry their foundations. */
	snprintf(r1.foundation, sizeof(r1.foundation), "1");
	snprintf(r2.foundation, sizeof(r2.foundation), "2");
	assert_int_equal(ice_cl_add_local(cl, &l1), 0);
	assert_int_equal(ice_cl_add_remote(cl, &r1, &why), 0);
	ice_cl_start(cl, 1000);
	assert_int_equal(cl->npairs, 1);
	assert_int_equal(ice_cl_add_remote(cl, &r2, &why), 0);
	assert_int_equal(cl->nremote, 2);
	assert_int_equal(cl->npairs, 2);
	/* The same two again (the offer's and the PATCH's, or a PATCH
	 * retried): nothing new. */
	assert_int_equal(ice_cl_add_remote(cl, &r1, &why), 1);
	assert_int_equal(ice_cl_add_remote(cl, &r2, &why), 1);
	assert_int_equal(cl->nremote, 2);
	assert_int_equal(cl->npairs, 2);
	for (uint64_t t = 1000; t < 200000 && !seen_r2; t += ICE_TA_MIN_US)
		while (ice_cl_next(cl, t, &c))
			seen_r2 |= c.remote->type == ICE_SRFLX;
	assert_true(seen_r2);
	ice_cl_free(cl);
}

static void test_peer_check_restarts_an_in_progress_pair(void **state)
{
	struct ice_checklist *cl = mk(0, 1, 100000);
	struct ice_cand l1 = cand(ICE_HOST, "198.19.0.2:7000", 65535);
	struct ice_cand r1 = cand(ICE_SRFLX, "198.51.100.2:5000", 65535);
	struct ice_cl_request rq;
	struct ice_cl_reply reply;
	struct ice_cl_response rs;
	struct ice_check c1, c2;
	enum ice_reject why;
	uint8_t first_tid[12];

	assert_int_equal(ice_cl_add_local(cl, &l1), 0);
	assert_int_equal(ice_cl_add_remote(cl, &r1, &why), 0);
	ice_cl_start(cl, 0);
	assert_int_equal(ice_cl_next(cl, 0, &c1), 1);
	memcpy(first_tid, c1.tid, 12);
	assert_int_equal(cl->pairs[0].state, ICE_PAIR_IN_PROGRESS);
	/* Our first check was dropped by the peer's NAT; its own check
	 * now arrives, having opened the path. */
	memset(&rq, 0, sizeof(rq));
	rq.from = r1.addr;
	rq.to = l1.addr;
	rq.transport = NP_UDP;
	rq.priority = 1000;
	rq.controlling = 1;
	rq.tiebreaker = 100;
	assert_int_equal(ice_cl_on_request(cl, 1000, &rq, &reply), 0);
	assert_int_equal(reply.error_code, 0);
	/* A new transaction goes out at once, not a retransmission 100 ms
	 * later. */
	assert_int_equal(ice_cl_next(cl, 1000 + ICE_TA_MIN_US, &c2), 1);
	assert_int_equal(c2.attempt, 1);
	assert_memory_not_equal(c2.tid, first_tid, 12);
	/* The cancelled transaction's late response still counts. */
	memset(&rs, 0, sizeof(rs));
	memcpy(rs.tid, first_tid, 12);
	rs.from = r1.addr;
	rs.to = l1.addr;
	rs.mapped = addr("198.51.100.3:7000");
	assert_int_not_equal(ice_cl_on_response(cl, 9000, &rs), ICE_RESP_UNMATCHED);
	assert_int_equal(cl->pairs[0].state, ICE_PAIR_SUCCEEDED);
	ice_cl_free(cl);
}

static void test_first_rto_from_the_measured_rtt(void **state)
{
	struct ice_cand l1 = cand(ICE_HOST, "198.18.0.2:5000", 65535);
	struct ice_check c;
	enum ice_reject why;

	for (int mode = 0; mode < 2; mode++) {
		struct ice_checklist *cl = mk(1, mode, 20000);

		assert_int_equal(ice_cl_add_local(cl, &l1), 0);
		/* 30 remote candidates: §14.3 would make the RTO
		 * Ta * 30 = 150 ms. */
		for (int i = 0; i < 30; i++) {
			char a[32];
			struct ice_cand r;

			snprintf(a, sizeof(a), "198.19.0.%d:7000", i + 2);
			r = cand(ICE_HOST, a, (uint16_t)(65535 - i));
			snprintf(r.foundation, sizeof(r.foundation), "f%d", i);
			assert_int_equal(ice_cl_add_remote(cl, &r, &why), 0);
		}
		ice_cl_start(cl, 0);
		assert_int_equal(ice_cl_next(cl, 0, &c), 1);
		if (mode)
			assert_int_equal(cl->pairs[c.pair].rto_us, 20000);
		else
			assert_int_equal(cl->pairs[c.pair].rto_us,
					 30 * ICE_TA_MIN_US);
		ice_cl_free(cl);
	}
}

static void test_loopback_remote_only_when_allowed(void **state)
{
	struct ice_cand r = cand(ICE_HOST, "127.0.0.1:7000", 65535);
	struct ice_checklist *cl = mk(1, 1, 20000);
	enum ice_reject why;

	assert_int_equal(ice_cl_add_remote(cl, &r, &why), NP_EINVAL);
	assert_int_equal(why, ICE_REJECT_LOOPBACK);
	cl->cfg.allow_loopback = 1;
	assert_int_equal(ice_cl_add_remote(cl, &r, &why), 0);
	assert_int_equal(why, ICE_REJECT_OK);
	ice_cl_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates_after_start_join_the_checklist),
		cmocka_unit_test(test_trickled_remote_after_start_once_each),
		cmocka_unit_test(test_peer_check_restarts_an_in_progress_pair),
		cmocka_unit_test(test_first_rto_from_the_measured_rtt),
		cmocka_unit_test(test_loopback_remote_only_when_allowed),
	};

	return cmocka_run_group_tests_name("ice_checklist_trickle", tests, NULL,
					   NULL);
}
