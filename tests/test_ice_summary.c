/*
 * test_ice_summary.c - analyzers/ice_summary.c replays real `natprobe ice`
 * runs recorded in the lab (fixtures/obs/ice_*.jsonl):
 *   ice_direct_offer/answer  portrestricted client <-> masquerade peer,
 *                            STUN + TURN/UDP: a srflx pair is selected
 *   ice_relay_tcp_offer      --relay-only over TURN/TCP: relayed pair
 *   ice_turn_401_offer       --relay-only, wrong TURN password: coturn's
 *                            second 401, no relay, no pair
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "ice_summary.h"
#include "obs.h"

static struct obs_log lg;
static struct findings fs;
static struct ice_report r;

static void replay(const char *name)
{
	char path[256], detail[256];
	FILE *f;

	snprintf(path, sizeof(path), "fixtures/obs/%s.jsonl", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	obs_log_dispose(&lg);
	obs_log_init(&lg, 0, 0);
	assert_int_equal(obs_log_read(&lg, f, detail, sizeof(detail)), 0);
	fclose(f);
	memset(&fs, 0, sizeof(fs));
	ice_analyze(&lg, &r, &fs);
}

static const struct finding *finding(const char *id)
{
	for (size_t i = 0; i < fs.nf; i++)
		if (!strcmp(fs.f[i].id, id))
			return &fs.f[i];
	return NULL;
}

static const struct ice_sum_leg *leg(const char *kind)
{
	for (size_t i = 0; i < r.nlegs; i++)
		if (!strcmp(r.legs[i].kind, kind))
			return &r.legs[i];
	return NULL;
}

static size_t ncands(int remote, enum ice_cand_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < r.ncands; i++)
		n += r.cands[i].remote == remote && r.cands[i].c.type == t;
	return n;
}

static void test_direct_offer(void **state)
{
	const struct ice_sum_pair *p;

	replay("ice_direct_offer");
	assert_true(r.present);
	assert_true(r.controlling);
	assert_string_equal(r.state, "completed");
	assert_true(r.selected_ok);
	assert_string_equal(r.sel_ltype, "srflx");
	assert_string_equal(r.sel_rtype, "srflx");
	/* One of each local type, gathered in order, before any check. */
	assert_int_equal(ncands(0, ICE_HOST), 1);
	assert_int_equal(ncands(0, ICE_SRFLX), 1);
	assert_int_equal(ncands(0, ICE_RELAY), 1);
	assert_true(r.t_first_host > 0 && r.t_first_host <= r.t_first_srflx);
	assert_true(r.t_gathered > 0);
	assert_true(r.t_first_check > 0 && r.t_first_check <= r.t_first_valid);
	assert_true(r.t_first_valid <= r.t_nominated &&
		    r.t_nominated <= r.t_selected);
	/* Both legs worked, and the relay's came over UDP. */
	assert_non_null(leg("srflx"));
	assert_true(leg("srflx")->ok);
	assert_non_null(leg("relay"));
	assert_true(leg("relay")->ok);
	assert_int_equal(leg("relay")->error_code, 0);
	/* The selected pair has the stats of a nominated, answered pair. */
	assert_true(r.selected >= 0);
	p = &r.pairs[r.selected];
	assert_true(p->nominated);
	assert_string_equal(p->state, "succeeded");
	assert_true(p->requests_sent >= 1);
	assert_true(p->responses_received >= 1);
	assert_true(p->rtt_samples >= 1 && p->current_rtt_us > 0);
	assert_true(p->nchanges >= 2);
	assert_non_null(finding("ice-direct"));
	assert_null(finding("ice-failed"));
	assert_ptr_equal(fs.ice, &r);
}

static void test_direct_answer(void **state)
{
	replay("ice_direct_answer");
	assert_false(r.controlling);
	assert_true(r.selected_ok);
	/* The controlled side answered the offerer's checks. */
	assert_true(r.checks_in > 0);
	assert_int_equal(r.checks_in_unauthorized, 0);
	assert_int_equal(r.t_nominated, 0);   /* it does not nominate */
	assert_true(r.t_selected > 0);
}

static void test_relay_over_tcp(void **state)
{
	replay("ice_relay_tcp_offer");
	assert_true(r.selected_ok);
	assert_string_equal(r.sel_ltype, "relay");
	assert_int_equal(r.sel_relay_transport, NP_TCP);
	assert_int_equal(ncands(0, ICE_HOST), 0);   /* --relay-only */
	assert_int_equal(ncands(0, ICE_RELAY), 1);
	assert_non_null(leg("relay"));
	assert_int_equal(leg("relay")->transport, NP_TCP);
	assert_non_null(finding("ice-relayed"));
	assert_non_null(strstr(finding("ice-relayed")->remedy, "only relayed"));
}

static void test_turn_wrong_password(void **state)
{
	const struct finding *f;

	replay("ice_turn_401_offer");
	assert_false(r.selected_ok);
	assert_string_equal(r.state, "failed");
	assert_non_null(leg("relay"));
	assert_false(leg("relay")->ok);
	/* coturn's second 401 (to the authenticated Allocate), not the
	 * challenge, decides it; the reason phrase is the server's. */
	assert_int_equal(leg("relay")->error_code, 401);
	f = finding("turn-credentials");
	assert_non_null(f);
	assert_int_equal(f->severity, SEV_ERROR);
	assert_non_null(strstr(f->title, "401"));
	assert_true(f->nevidence >= 1);
	assert_non_null(finding("ice-failed"));
}

static void test_a_log_without_ice_is_not_an_ice_run(void **state)
{
	replay("stun_coturn_loopback");
	assert_false(r.present);
	assert_null(fs.ice);
	assert_null(finding("ice-failed"));
}

static int teardown(void **state)
{
	obs_log_dispose(&lg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_offer),
		cmocka_unit_test(test_direct_answer),
		cmocka_unit_test(test_relay_over_tcp),
		cmocka_unit_test(test_turn_wrong_password),
		cmocka_unit_test(test_a_log_without_ice_is_not_an_ice_run),
	};

	obs_log_init(&lg, 0, 0);
	return cmocka_run_group_tests_name("ice_summary", tests, NULL, teardown);
}
