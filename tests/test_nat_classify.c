/*
 * test_nat_classify.c - the NAT analyzer from recorded observation logs.
 *
 * fixtures/obs/nat_CASE.jsonl are real runs of `natprobe nat` in the lab
 * (fixtures/lab/cases/CASE.case holds the case's ground truth). Replayed
 * without a network, each must give the ground truth; edited copies check
 * that the analyzer never claims more than its evidence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nat_classify.h"
#include "obs.h"

static struct obs_log logv;
static struct nat_report nr;
static struct findings fs;

static void load(const char *path)
{
	char detail[200] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_int_equal(obs_log_read(&logv, f, detail, sizeof(detail)), 0);
	fclose(f);
	nat_classify(&logv, &nr, &fs);
}

/* The value of TRUTH_key in a case file, or "" when absent. */
static const char *truth(const char *c, const char *key, char *buf, size_t len)
{
	char path[256], line[256];
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "fixtures/lab/cases/%s.case", c);
	f = fopen(path, "r");
	assert_non_null(f);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "TRUTH_", 6) == 0 && strncmp(line + 6, key, klen) == 0 &&
		    line[6 + klen] == '=') {
			snprintf(buf, len, "%s", line + 7 + klen);
			buf[strcspn(buf, "\r\n \"#")] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int has_finding(const char *id)
{
	for (size_t i = 0; i < fs.nf; i++)
		if (strcmp(fs.f[i].id, id) == 0)
			return 1;
	return 0;
}

static void check_case(const char *c)
{
	char path[256], want[64];
	const struct nat_family *v4 = &nr.fam[0];

	snprintf(path, sizeof(path), "fixtures/obs/nat_%s.jsonl", c);
	load(path);
	assert_true(v4->tested);
	if (strcmp(truth(c, "UDP", want, sizeof(want)), "blocked") == 0) {
		assert_int_equal(v4->udp, TRI_NO);
		assert_true(has_finding("udp-blocked"));
		assert_int_equal(fs.exit_code, 1);
		obs_log_dispose(&logv);
		return;
	}
	assert_int_equal(v4->udp, TRI_YES);
	assert_string_equal(nat_behavior_name(v4->mapping.value),
			    truth(c, "MAPPING", want, sizeof(want)));
	assert_string_equal(nat_behavior_name(v4->filtering.value),
			    truth(c, "FILTERING", want, sizeof(want)));
	assert_string_equal(nat_behavior_name(v4->hairpinning.value),
			    truth(c, "HAIRPINNING", want, sizeof(want)));
	assert_int_equal(v4->nat, strcmp(truth(c, "NAT", want, sizeof(want)), "no") ?
			 TRI_YES : TRI_NO);
	if (strcmp(want, "double") == 0)
		assert_true(has_finding("double-nat"));
	else
		assert_false(has_finding("double-nat"));
	assert_int_equal(fs.exit_code, 0);
	obs_log_dispose(&logv);
}

#define CASE_TEST(name) \
	static void test_##name##_replays_to_its_ground_truth(void **state) \
	{ (void)state; check_case(#name); }

CASE_TEST(open)
CASE_TEST(fullcone)
CASE_TEST(restricted)
CASE_TEST(portrestricted)
CASE_TEST(symmetric)
CASE_TEST(hairpin)
CASE_TEST(noportpreserve)
CASE_TEST(udpblocked)
CASE_TEST(tcp443)
CASE_TEST(doublenat)
CASE_TEST(shortlifetime)
CASE_TEST(lossy)
CASE_TEST(mtu1200)
CASE_TEST(ipv6)

static void test_symmetric_nat_is_a_warning_with_evidence(void **state)
{
	(void)state;
	load("fixtures/obs/nat_symmetric.jsonl");
	assert_true(has_finding("symmetric-nat"));
	assert_string_equal(nr.fam[0].rfc3489_name, "Symmetric");
	assert_true(nr.fam[0].mapping.nevidence > 0);
	assert_int_equal(nr.fam[0].port_preserved, TRI_NO);
	obs_log_dispose(&logv);
}

static void test_short_lifetime_is_bracketed_and_gets_a_keepalive(void **state)
{
	char want[16];
	unsigned life;

	(void)state;
	load("fixtures/obs/nat_shortlifetime.jsonl");
	life = (unsigned)atoi(truth("shortlifetime", "LIFETIME_S", want, sizeof(want)));
	assert_int_equal(nr.fam[0].lifetime_tested, 1);
	assert_true(nr.fam[0].lifetime_low_s <= life);
	assert_true(nr.fam[0].lifetime_high_s >= life - 1);
	assert_true(has_finding("short-binding-lifetime"));
	obs_log_dispose(&logv);
}

static void test_small_mtu_path_reports_dropped_large_datagrams(void **state)
{
	(void)state;
	load("fixtures/obs/nat_mtu1200.jsonl");
	assert_true(nr.fam[0].max_out <= 1200);
	assert_true(nr.fam[0].fail_out > 1200 || nr.fam[0].fail_in > 1200);
	assert_true(has_finding("large-datagrams-dropped"));
	obs_log_dispose(&logv);
}

static void test_ipv6_is_classified_on_its_own(void **state)
{
	(void)state;
	load("fixtures/obs/nat_ipv6.jsonl");
	assert_true(nr.fam[1].tested);
	assert_int_equal(nr.fam[1].nat, TRI_NO);
	assert_int_equal(nr.fam[1].filtering.value, NB_APD);
	assert_true(has_finding("ipv6-firewall"));
	obs_log_dispose(&logv);
}

/* Drops every observation of the tests whose label starts with prefix. */
static void drop_tests(const char *prefix)
{
	size_t k = 0;

	for (size_t i = 0; i < logv.n; i++)
		if (strncmp(logv.v[i].test, prefix, strlen(prefix)) != 0)
			logv.v[k++] = logv.v[i];
	logv.n = k;
}

static void test_silence_without_a_control_is_undetermined(void **state)
{
	(void)state;
	load("fixtures/obs/nat_portrestricted.jsonl");
	/* Without the controls' answers, the silence of the change tests
	 * could be loss: no filtering verdict. */
	for (size_t i = 0; i < logv.n; i++)
		if (strstr(logv.v[i].test, ".ctl") && logv.v[i].kind == OBS_RESPONSE)
			logv.v[i].kind = OBS_TIMEOUT;
	nat_classify(&logv, &nr, &fs);
	assert_int_equal(nr.fam[0].filtering.value, NB_UNKNOWN);
	assert_non_null(strstr(nr.fam[0].filtering.reason, "control"));
	obs_log_dispose(&logv);
}

static void test_reply_from_primary_to_change_request_means_server_ignores_it(void **state)
{
	struct obs o;

	(void)state;
	load("fixtures/obs/nat_portrestricted.jsonl");
	/* Add what a server ignoring CHANGE-REQUEST produces: our tid, from
	 * the primary address (recorded as unmatched by the client). */
	for (size_t i = 0; i < logv.n; i++) {
		if (logv.v[i].kind == OBS_SENT &&
		    strcmp(logv.v[i].test, "filter.ip_port#1") == 0) {
			o = logv.v[i];
			o.kind = OBS_UNMATCHED;
			o.cls = 2;
			o.source = o.remote;
			o.has |= OBS_HAS_SOURCE;
			snprintf(o.text, sizeof(o.text), "transaction ID matches but it came from elsewhere");
			obs_add(&logv, &o);
			break;
		}
	}
	nat_classify(&logv, &nr, &fs);
	assert_int_equal(nr.fam[0].filtering.value, NB_UNKNOWN);
	assert_int_equal(nr.fam[0].server_mode, SERVER_IGNORES_CHANGE);
	assert_true(has_finding("server-ignores-change"));
	obs_log_dispose(&logv);
}

static void test_without_mapping_test_two_mapping_is_undetermined(void **state)
{
	(void)state;
	load("fixtures/obs/nat_symmetric.jsonl");
	drop_tests("map.2");
	nat_classify(&logv, &nr, &fs);
	assert_int_equal(nr.fam[0].mapping.value, NB_UNKNOWN);
	assert_false(has_finding("symmetric-nat"));
	obs_log_dispose(&logv);
}

static void test_no_hairpin_probes_leave_hairpinning_untested(void **state)
{
	(void)state;
	load("fixtures/obs/nat_hairpin.jsonl");
	drop_tests("hairpin.");
	nat_classify(&logv, &nr, &fs);
	assert_int_equal(nr.fam[0].hairpinning.value, NB_UNKNOWN);
	assert_non_null(strstr(nr.fam[0].hairpinning.reason, "--no-hairpin"));
	obs_log_dispose(&logv);
}

static void test_empty_log_finds_no_server(void **state)
{
	(void)state;
	obs_log_init(&logv, 0, 0);
	nat_classify(&logv, &nr, &fs);
	assert_false(nr.fam[0].tested);
	assert_true(has_finding("no-server"));
	assert_int_equal(fs.exit_code, 1);
	obs_log_dispose(&logv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_replays_to_its_ground_truth),
		cmocka_unit_test(test_fullcone_replays_to_its_ground_truth),
		cmocka_unit_test(test_restricted_replays_to_its_ground_truth),
		cmocka_unit_test(test_portrestricted_replays_to_its_ground_truth),
		cmocka_unit_test(test_symmetric_replays_to_its_ground_truth),
		cmocka_unit_test(test_hairpin_replays_to_its_ground_truth),
		cmocka_unit_test(test_noportpreserve_replays_to_its_ground_truth),
		cmocka_unit_test(test_udpblocked_replays_to_its_ground_truth),
		cmocka_unit_test(test_tcp443_replays_to_its_ground_truth),
		cmocka_unit_test(test_doublenat_replays_to_its_ground_truth),
		cmocka_unit_test(test_shortlifetime_replays_to_its_ground_truth),
		cmocka_unit_test(test_lossy_replays_to_its_ground_truth),
		cmocka_unit_test(test_mtu1200_replays_to_its_ground_truth),
		cmocka_unit_test(test_ipv6_replays_to_its_ground_truth),
		cmocka_unit_test(test_symmetric_nat_is_a_warning_with_evidence),
		cmocka_unit_test(test_short_lifetime_is_bracketed_and_gets_a_keepalive),
		cmocka_unit_test(test_small_mtu_path_reports_dropped_large_datagrams),
		cmocka_unit_test(test_ipv6_is_classified_on_its_own),
		cmocka_unit_test(test_silence_without_a_control_is_undetermined),
		cmocka_unit_test(test_reply_from_primary_to_change_request_means_server_ignores_it),
		cmocka_unit_test(test_without_mapping_test_two_mapping_is_undetermined),
		cmocka_unit_test(test_no_hairpin_probes_leave_hairpinning_untested),
		cmocka_unit_test(test_empty_log_finds_no_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
