/*
 * test_stun_client_timers.c - the STUN client's timing (probe/stun_client.c) under
 * a fake clock: retransmissions follow RFC 8489 §6.2.1 (doubling RTO, Rc
 * tries, Rm x RTO after the last, the run's caps), and the RTT estimator
 * follows RFC 6298 §2 and Karn's rule.
 */
#include "stun_client_test_util.h"

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

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unanswered_request_is_retransmitted_with_doubling_rto),
		T(test_retransmissions_are_the_same_bytes),
		T(test_after_the_last_request_the_client_waits_rm_times_rto),
		T(test_max_tries_bounds_the_requests_sent),
		T(test_single_try_times_out_after_one_request),
		T(test_max_wait_cuts_the_retransmissions_short),
		T(test_rto_max_caps_the_doubling),
		T(test_response_to_a_retransmission_gives_no_rtt_sample),
		T(test_first_try_response_feeds_the_next_transactions_rto),
		T(test_rto_before_any_sample_is_the_initial_rto),
		T(test_first_rtt_sample_sets_srtt_r_and_rttvar_half_r),
		T(test_small_rtt_gives_rto_floored_at_rto_min),
		T(test_later_samples_update_rttvar_before_srtt),
		T(test_steady_rtt_converges_to_it),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
