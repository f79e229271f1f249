/*
 * test_report_formats.c - the JUnit and OpenMetrics reports and the CI
 * policy analyzer, from recorded observation logs (fixtures/obs/ logs)
 * replayed through the analyzers and rendered into memory.
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
#include "policy.h"
#include "report.h"
#include "stun_summary.h"

static struct obs_log logv;
static struct nat_report nr;
static struct findings fs;
static char *text;

/* Replays a log through its analyzer and the policy given by require
 * (NULL: none) and max_rtt_ms (0: none). */
static void load(const char *name, const char *require, double max_rtt_ms)
{
	char path[256], detail[200] = "", why[256] = "";
	struct policy p = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "fixtures/obs/%s.jsonl", name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(obs_log_read(&logv, f, detail, sizeof(detail)), 0);
	fclose(f);
	if (strcmp(logv.command, "nat") == 0)
		nat_classify(&logv, &nr, &fs);
	else
		stun_summarize(&logv, logv.family, &fs);
	if (require)
		assert_int_equal(policy_parse(require, logv.command, &p, why, sizeof(why)), 0);
	if (max_rtt_ms > 0) {
		p.required |= 1u << POLICY_RTT;
		p.max_rtt_us = (uint32_t)(max_rtt_ms * 1000);
	}
	policy_apply(&p, &fs);
	obs_log_dispose(&logv);
}

static const char *render(enum report_format fmt)
{
	size_t len = 0;
	FILE *m;

	free(text);
	text = NULL;
	m = open_memstream(&text, &len);
	assert_non_null(m);
	assert_int_equal(report_write(&fs, fmt, m), 0);
	assert_int_equal(fclose(m), 0);
	return text;
}

static const struct policy_result *result(const char *check, int family)
{
	for (size_t i = 0; i < fs.npolicy; i++)
		if (strcmp(fs.policy[i].check, check) == 0 && fs.policy[i].family == family)
			return &fs.policy[i];
	return NULL;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_format_names_parse(void **state)
{
	enum report_format f;

	(void)state;
	assert_int_equal(report_format_parse("junit", &f), 0);
	assert_int_equal(f, REPORT_JUNIT);
	assert_int_equal(report_format_parse("openmetrics", &f), 0);
	assert_int_equal(f, REPORT_OPENMETRICS);
	assert_int_not_equal(report_format_parse("xml", &f), 0);
}

static void test_policy_rejects_unknown_check_naming_valid_ones(void **state)
{
	struct policy p = { 0 };
	char why[256];

	(void)state;
	assert_int_not_equal(policy_parse("udp,bogus", "nat", &p, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "\"bogus\""));
	assert_non_null(strstr(why, "tls443, eim, eif, hairpin"));
	/* NAT behaviour checks mean nothing to a stun run. */
	assert_int_not_equal(policy_parse("eim", "stun", &p, why, sizeof(why)), 0);
	assert_int_not_equal(policy_parse("udp,,tcp", "stun", &p, why, sizeof(why)), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(policy_parse("udp,tcp,tls,ipv4,ipv6", "stun", &p, why, sizeof(why)), 0);
	assert_int_equal(p.required, (1u << POLICY_UDP) | (1u << POLICY_TCP) |
			 (1u << POLICY_TLS) | (1u << POLICY_IPV4) | (1u << POLICY_IPV6));
}

static void test_policy_fails_hairpin_on_port_restricted_nat(void **state)
{
	const struct policy_result *r;

	(void)state;
	load("nat_portrestricted", "udp,eim,hairpin,tls443", 0);
	assert_true(result("udp", AF_INET)->passed);
	assert_true(result("eim", AF_INET)->passed);
	assert_true(result("tls443", AF_INET)->passed);
	r = result("hairpin", AF_INET);
	assert_non_null(r);
	assert_false(r->passed);
	assert_string_equal(r->value, "no");
	assert_true(r->finding >= 0);
	assert_string_equal(fs.f[r->finding].id, "policy-hairpin");
	assert_int_equal(fs.exit_code, 1);
}

static void test_policy_passes_lets_exit_zero(void **state)
{
	(void)state;
	load("nat_fullcone", "udp,eim,eif", 0);
	for (size_t i = 0; i < fs.npolicy; i++)
		assert_true(fs.policy[i].passed);
	assert_int_equal(fs.exit_code, 0);
}

static void test_policy_symmetric_nat_fails_eim(void **state)
{
	(void)state;
	load("nat_symmetric", "eim", 0);
	assert_false(result("eim", AF_INET)->passed);
	assert_int_equal(fs.exit_code, 1);
}

static void test_policy_blocked_udp_fails_every_nat_check(void **state)
{
	(void)state;
	load("nat_udpblocked", "udp,eim,eif", 0);
	assert_false(result("udp", AF_INET)->passed);
	assert_false(result("eim", AF_INET)->passed);
	assert_string_equal(result("eim", AF_INET)->value, "not tested");
}

static void test_policy_max_rtt_compares_with_limit(void **state)
{
	double rtt_ms;

	(void)state;
	load("nat_portrestricted", NULL, 0);
	rtt_ms = nr.fam[0].rtt_us / 1000.0;   /* what the recorded run measured */
	assert_true(rtt_ms > 0);
	load("nat_portrestricted", NULL, rtt_ms / 2);
	assert_false(result("rtt", AF_INET)->passed);
	assert_int_equal(fs.exit_code, 1);
	load("nat_portrestricted", NULL, rtt_ms * 2 + 1);
	assert_true(result("rtt", AF_INET)->passed);
	assert_int_equal(fs.exit_code, 0);
}

static void test_policy_untested_family_fails_ipv6(void **state)
{
	(void)state;
	load("nat_portrestricted", "ipv4,ipv6", 0);
	assert_true(result("ipv4", AF_INET)->passed);
	assert_false(result("ipv6", AF_INET6)->passed);
}

static void test_without_require_nat_keeps_its_exit_rule(void **state)
{
	(void)state;
	load("nat_portrestricted", NULL, 0);
	assert_int_equal(fs.exit_code, 0);
	assert_int_equal(fs.policy_explicit, 0);
	/* The default check is recorded for the reports, without a finding. */
	assert_true(result("udp", AF_INET)->passed);
	for (size_t i = 0; i < fs.nf; i++)
		assert_null(strstr(fs.f[i].id, "policy-"));
}

static void test_stun_policy_one_working_leg_is_enough(void **state)
{
	(void)state;
	load("stun_dual_v4_failed", "udp,ipv6", 0);
	assert_true(result("udp", 0)->passed);
	assert_true(result("ipv6", 0)->passed);
	assert_int_equal(fs.exit_code, 0);
	load("stun_dual_v4_failed", "ipv4", 0);
	assert_false(result("ipv4", 0)->passed);
	assert_int_equal(fs.exit_code, 1);
	load("stun_ok", "tcp", 0);
	assert_false(result("tcp", 0)->passed);
	assert_non_null(strstr(result("tcp", 0)->reason, "no server was given over TCP"));
}

static void test_junit_nat_has_a_failed_testcase_per_failed_check(void **state)
{
	const char *x;

	(void)state;
	load("nat_portrestricted", "udp,hairpin,ipv6", 0);
	x = render(REPORT_JUNIT);
	assert_true(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
	assert_non_null(strstr(x, "<testsuites name=\"natprobe nat\" tests=\"3\" failures=\"2\""));
	assert_non_null(strstr(x, "<testsuite name=\"natprobe.nat.ipv4\" tests=\"2\" failures=\"1\""));
	assert_non_null(strstr(x, "<property name=\"mapping\" value=\"endpoint-independent\"/>"));
	assert_non_null(strstr(x, "<property name=\"filtering\" value=\"address-and-port-dependent\"/>"));
	assert_non_null(strstr(x, "<testcase classname=\"natprobe.nat.ipv4\" name=\"udp\" time=\"0\"/>"));
	assert_non_null(strstr(x, "<failure type=\"policy-hairpin\" message=\"required check hairpin failed on IPv4: no\">"));
	/* The remedy's apostrophe is escaped. */
	assert_non_null(strstr(x, "fix: Enable hairpinning"));
	assert_non_null(strstr(x, "each other&apos;s"));
	assert_non_null(strstr(x, "<testsuite name=\"natprobe.nat.ipv6\" tests=\"1\" failures=\"1\""));
	assert_int_equal(count(x, "<testcase "), 3);
	assert_int_equal(count(x, "<failure "), 2);
	assert_int_equal(count(x, "</testsuite>"), 2);
}

static void test_junit_stun_has_a_testcase_per_leg(void **state)
{
	const char *x;

	(void)state;
	load("stun_dual_v4_failed", NULL, 0);
	x = render(REPORT_JUNIT);
	assert_int_equal(count(x, "<testcase classname=\"natprobe.stun\""), (int)fs.nstun);
	assert_non_null(strstr(x, "name=\"stun:stun.example.net:3478 udp 192.0.2.10:3478\""));
	assert_non_null(strstr(x, "<failure type=\"timeout\""));
	assert_non_null(strstr(x, "rtt_median_ms=1.950"));
	assert_null(strstr(x, "natprobe.stun.policy"));
}

static void test_junit_escapes_markup_and_invalid_utf8(void **state)
{
	struct stun_result *r;
	const char *x;

	(void)state;
	load("stun_ok", NULL, 0);
	r = &fs.stun[0];
	snprintf(r->software, sizeof(r->software), "<evil & \"co\"\x01\xff>");
	x = render(REPORT_JUNIT);
	assert_non_null(strstr(x, "software=&lt;evil &amp; &quot;co&quot;\xef\xbf\xbd&gt;"));
}

static void test_openmetrics_nat_verdicts_and_eof(void **state)
{
	const char *m;
	size_t len;

	(void)state;
	load("nat_portrestricted", "udp,hairpin", 0);
	m = render(REPORT_OPENMETRICS);
	len = strlen(m);
	assert_true(len > 6 && strcmp(m + len - 6, "# EOF\n") == 0);
	assert_int_equal(count(m, "# EOF"), 1);
	assert_non_null(strstr(m, "# TYPE natprobe_nat_mapping_info gauge\n"));
	assert_non_null(strstr(m, "natprobe_nat_mapping_info{family=\"ipv4\",value=\"endpoint-independent\",confidence=\"high\"} 1\n"));
	assert_non_null(strstr(m, "natprobe_nat_filtering_info{family=\"ipv4\",value=\"address-and-port-dependent\""));
	assert_non_null(strstr(m, "natprobe_nat_hairpinning_info{family=\"ipv4\",value=\"no\""));
	assert_non_null(strstr(m, "natprobe_udp_reachable{family=\"ipv4\"} 1\n"));
	assert_non_null(strstr(m, "natprobe_tls443_reachable{family=\"ipv4\"} 1\n"));
	assert_non_null(strstr(m, "# UNIT natprobe_max_datagram_bytes bytes\n"));
	assert_non_null(strstr(m, "natprobe_max_datagram_bytes{family=\"ipv4\",direction=\"out\"} 1500\n"));
	{
		char want[96];

		snprintf(want, sizeof(want), "natprobe_nat_rtt_seconds{family=\"ipv4\"} %g\n",
			 nr.fam[0].rtt_us / 1e6);
		assert_non_null(strstr(m, want));
	}
	assert_non_null(strstr(m, "natprobe_check_passed{check=\"hairpin\",family=\"ipv4\"} 0\n"));
	assert_non_null(strstr(m, "natprobe_findings{severity=\"error\"} 1\n"));
	assert_non_null(strstr(m, "natprobe_exit_code 1\n"));
	/* Each family's metadata once, before its samples. */
	assert_int_equal(count(m, "# TYPE natprobe_udp_reachable "), 1);
}

static void test_openmetrics_stun_legs_and_label_escaping(void **state)
{
	const char *m;

	(void)state;
	load("stun_dual_v4_failed", NULL, 0);
	snprintf(fs.stun[1].server, sizeof(fs.stun[1].server), "a\"b\\c\nd");
	m = render(REPORT_OPENMETRICS);
	assert_non_null(strstr(m, "natprobe_stun_up{server=\"stun:stun.example.net:3478\",transport=\"udp\",family=\"ipv4\",address=\"192.0.2.10:3478\"} 0\n"));
	assert_non_null(strstr(m, "server=\"a\\\"b\\\\c\\nd\""));
	assert_non_null(strstr(m, "# UNIT natprobe_stun_rtt_median_seconds seconds\n"));
	assert_non_null(strstr(m, "natprobe_stun_rtt_median_seconds{"));
	assert_non_null(strstr(m, "} 0.00195\n"));
	assert_non_null(strstr(m, "natprobe_udp_reachable{family=\"ipv4\"} 0\n"));
	assert_non_null(strstr(m, "natprobe_udp_reachable{family=\"ipv6\"} 1\n"));
	/* No TCP leg, so no TCP family at all. */
	assert_null(strstr(m, "natprobe_tcp_reachable"));
}

static int teardown(void **state)
{
	(void)state;
	free(text);
	text = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names_parse),
		cmocka_unit_test(test_policy_rejects_unknown_check_naming_valid_ones),
		cmocka_unit_test(test_policy_fails_hairpin_on_port_restricted_nat),
		cmocka_unit_test(test_policy_passes_lets_exit_zero),
		cmocka_unit_test(test_policy_symmetric_nat_fails_eim),
		cmocka_unit_test(test_policy_blocked_udp_fails_every_nat_check),
		cmocka_unit_test(test_policy_max_rtt_compares_with_limit),
		cmocka_unit_test(test_policy_untested_family_fails_ipv6),
		cmocka_unit_test(test_without_require_nat_keeps_its_exit_rule),
		cmocka_unit_test(test_stun_policy_one_working_leg_is_enough),
		cmocka_unit_test(test_junit_nat_has_a_failed_testcase_per_failed_check),
		cmocka_unit_test(test_junit_stun_has_a_testcase_per_leg),
		cmocka_unit_test(test_junit_escapes_markup_and_invalid_utf8),
		cmocka_unit_test(test_openmetrics_nat_verdicts_and_eof),
		cmocka_unit_test(test_openmetrics_stun_legs_and_label_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
