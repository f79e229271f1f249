/*
 * test_stun_summary.c - the `natprobe stun` analyzer
 * (analyzers/stun_summary.c) from observation logs in fixtures/obs/,
 * each paired in `cases` below with the rows, findings and exit code it
 * should produce.
 *
 * stun_coturn_loopback.jsonl is a real run against coturn on 127.0.0.1;
 * stun_timeout.jsonl and stun_icmp.jsonl follow real runs with the
 * addresses changed to documentation ones (RFC 5737, RFC 3849); the rest
 * are written by hand.
 *
 * Run from the repository root: fixtures are read by relative path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "findings.h"
#include "np_err.h"
#include "obs.h"
#include "stun_summary.h"

#define FIXTURES "fixtures/obs"
/* Marks "use the family from the log's header line". */
#define FAMILY_FROM_LOG (-1)

/* findings is large; one is enough for a test at a time. */
static struct findings fs;

static void load(const char *name, struct obs_log *log)
{
	char path[256], detail[256] = "";
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	rc = obs_log_read(log, f, detail, sizeof(detail));
	fclose(f);
	if (rc != 0)
		fail_msg("%s: %s (%s)", path, detail, np_errname(rc));
	if (log->n == 0)
		fail_msg("%s holds no observations", path);
}

/* Loads a fixture and summarizes it for `family` (FAMILY_FROM_LOG: the
 * family its header names, as `natprobe report` does). */
static void summarize(const char *name, int family)
{
	struct obs_log log;

	load(name, &log);
	stun_summarize(&log, family == FAMILY_FROM_LOG ? log.family : family, &fs);
	obs_log_dispose(&log);
}

static int has_finding(const char *id)
{
	for (size_t i = 0; i < fs.nf; i++)
		if (strcmp(fs.f[i].id, id) == 0)
			return 1;
	return 0;
}

/* The finding with this id; fails the test if there is none (and then
 * returns an empty finding, never NULL). */
static const struct finding *finding(const char *id)
{
	static const struct finding none;

	for (size_t i = 0; i < fs.nf; i++)
		if (strcmp(fs.f[i].id, id) == 0)
			return &fs.f[i];
	fail_msg("no finding \"%s\" among %zu", id, fs.nf);
	return &none;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	char buf[80];

	assert_string_equal(np_addr_str(ss, buf, sizeof(buf)), want);
}

/* A fixture and what it should produce. */
struct expect {
	const char *fixture;
	int family;                     /* required family, or FAMILY_FROM_LOG */
	int exit_code;
	size_t rows;
	enum leg_status status[3];      /* of the first `rows` rows */
	const char *findings[4];        /* ids that must be there, in order */
	size_t nf;                      /* how many findings in all */
};

static const struct expect cases[] = {
	{ "stun_ok.jsonl", FAMILY_FROM_LOG, 0, 1, { LEG_OK }, { NULL }, 0 },
	{ "stun_ok_even.jsonl", FAMILY_FROM_LOG, 0, 1, { LEG_OK }, { NULL }, 0 },
	{ "stun_coturn_loopback.jsonl", FAMILY_FROM_LOG, 0, 1, { LEG_OK },
	  { NULL }, 0 },
	{ "stun_alg.jsonl", FAMILY_FROM_LOG, 0, 1, { LEG_OK },
	  { "alg-rewrite" }, 1 },
	{ "stun_timeout.jsonl", FAMILY_FROM_LOG, 1, 1, { LEG_TIMEOUT },
	  { "server-no-response" }, 1 },
	{ "stun_icmp.jsonl", FAMILY_FROM_LOG, 1, 3,
	  { LEG_REFUSED, LEG_REFUSED, LEG_UNREACHABLE },
	  { "server-port-closed", "server-port-closed", "server-unreachable" }, 3 },
	{ "stun_resolve.jsonl", FAMILY_FROM_LOG, 1, 1, { LEG_RESOLVE },
	  { "resolve-failed" }, 1 },
	{ "stun_dual_v4_failed.jsonl", FAMILY_FROM_LOG, 1, 2,
	  { LEG_TIMEOUT, LEG_OK }, { "server-no-response" }, 1 },
	{ "stun_dual_v4_failed.jsonl", AF_INET, 1, 2,
	  { LEG_TIMEOUT, LEG_OK }, { "server-no-response" }, 1 },
	{ "stun_dual_v4_failed.jsonl", AF_UNSPEC, 0, 2,
	  { LEG_TIMEOUT, LEG_OK }, { "server-no-response" }, 1 },
	{ "stun_dual_v4_failed.jsonl", AF_INET6, 0, 2,
	  { LEG_TIMEOUT, LEG_OK }, { "server-no-response" }, 1 },
	{ "stun_stray.jsonl", FAMILY_FROM_LOG, 0, 1, { LEG_OK },
	  { "stray-responses" }, 1 },
	{ "stun_malformed.jsonl", FAMILY_FROM_LOG, 1, 1, { LEG_MALFORMED },
	  { "server-malformed" }, 1 },
	{ "stun_error_response.jsonl", FAMILY_FROM_LOG, 1, 1,
	  { LEG_ERROR_RESPONSE }, { "server-error-response" }, 1 },
};

static void test_every_fixture_gives_its_rows_findings_and_exit_code(void **state)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct expect *e = &cases[c];

		summarize(e->fixture, e->family);
		if (fs.nstun != e->rows)
			fail_msg("%s: %zu rows, expected %zu", e->fixture, fs.nstun,
				 e->rows);
		for (size_t i = 0; i < e->rows; i++)
			if (fs.stun[i].status != e->status[i])
				fail_msg("%s: row %zu is %s, expected %s", e->fixture, i,
					 leg_status_name(fs.stun[i].status),
					 leg_status_name(e->status[i]));
		if (fs.nf != e->nf)
			fail_msg("%s: %zu findings, expected %zu (first: %s)",
				 e->fixture, fs.nf, e->nf, fs.nf ? fs.f[0].id : "-");
		for (size_t i = 0; i < e->nf && e->findings[i]; i++)
			if (strcmp(fs.f[i].id, e->findings[i]) != 0)
				fail_msg("%s: finding %zu is \"%s\", expected \"%s\"",
					 e->fixture, i, fs.f[i].id, e->findings[i]);
		if (fs.exit_code != e->exit_code)
			fail_msg("%s (family %d): exit code %d, expected %d",
				 e->fixture, e->family, fs.exit_code, e->exit_code);
		assert_string_equal(fs.command, "stun");
	}
}

static void test_findings_cite_observations_that_exist(void **state)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct obs_log log;

		load(cases[c].fixture, &log);
		stun_summarize(&log, log.family, &fs);
		for (size_t i = 0; i < fs.nf; i++) {
			assert_true(fs.f[i].nevidence > 0);
			for (size_t k = 0; k < fs.f[i].nevidence; k++) {
				int found = 0;

				for (size_t j = 0; j < log.n; j++)
					found |= log.v[j].seq == fs.f[i].evidence[k];
				if (!found)
					fail_msg("%s: finding %s cites seq %llu, not in the log",
						 cases[c].fixture, fs.f[i].id,
						 (unsigned long long)fs.f[i].evidence[k]);
			}
		}
		obs_log_dispose(&log);
	}
}

static void test_ok_leg_reports_rtt_min_median_max_over_five_samples(void **state)
{
	const struct stun_result *r;

	/* RTTs 2100, 1800, 950, 1200, 3000 µs. */
	summarize("stun_ok.jsonl", FAMILY_FROM_LOG);
	r = &fs.stun[0];
	assert_int_equal(r->status, LEG_OK);
	assert_int_equal(r->samples, 5);
	assert_int_equal(r->rtt_min_us, 950);
	assert_int_equal(r->rtt_median_us, 1800);
	assert_int_equal(r->rtt_max_us, 3000);
	assert_int_equal(r->requests, 5);
	assert_int_equal(r->responses, 5);
	assert_int_equal(r->retransmits, 0);
}

static void test_ok_leg_carries_mapped_address_software_and_rfc5780(void **state)
{
	const struct stun_result *r;

	summarize("stun_ok.jsonl", FAMILY_FROM_LOG);
	r = &fs.stun[0];
	assert_string_equal(r->server, "stun:192.0.2.10:3478");
	assert_int_equal(r->transport, NP_UDP);
	assert_int_equal(r->family, AF_INET);
	assert_addr(&r->remote, "192.0.2.10:3478");
	assert_addr(&r->local, "10.0.0.2:40000");
	assert_true(r->have_mapped);
	assert_addr(&r->mapped, "203.0.113.5:61000");
	assert_true(r->have_origin);
	assert_addr(&r->origin, "192.0.2.10:3478");
	assert_int_equal(r->rfc5780, TRI_YES);
	assert_addr(&r->other, "192.0.2.11:3479");
	assert_int_equal(r->alg_rewrite, TRI_NO);
	assert_string_equal(r->software, "Coturn-4.6.1 'Gorst'");
	assert_int_equal(fs.start_wall_us, 1717000000000000ull);
}

static void test_even_sample_count_takes_the_mean_of_the_middle_two(void **state)
{
	/* RTTs 400, 100, 800, 300 µs: median (300 + 400) / 2. */
	summarize("stun_ok_even.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.stun[0].samples, 4);
	assert_int_equal(fs.stun[0].rtt_min_us, 100);
	assert_int_equal(fs.stun[0].rtt_median_us, 350);
	assert_int_equal(fs.stun[0].rtt_max_us, 800);
	/* No MAPPED-ADDRESS beside XOR-MAPPED: nothing to compare. */
	assert_int_equal(fs.stun[0].alg_rewrite, TRI_UNKNOWN);
	assert_int_equal(fs.stun[0].rfc5780, TRI_NO);
}

static void test_real_coturn_run_is_ok_with_rfc5780(void **state)
{
	const struct stun_result *r;

	summarize("stun_coturn_loopback.jsonl", FAMILY_FROM_LOG);
	r = &fs.stun[0];
	assert_int_equal(r->samples, 5);
	assert_int_equal(r->rtt_min_us, 18);
	assert_int_equal(r->rtt_median_us, 19);
	assert_int_equal(r->rtt_max_us, 201);
	assert_int_equal(r->rfc5780, TRI_YES);
	assert_int_equal(r->alg_rewrite, TRI_NO);
	assert_addr(&r->mapped, "127.0.0.1:35078");
	assert_true(strncmp(r->software, "Coturn-", 7) == 0);
}

static void test_mapped_address_differing_from_xor_mapped_is_an_alg_rewrite(void **state)
{
	const struct finding *f;

	summarize("stun_alg.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.stun[0].alg_rewrite, TRI_YES);
	/* The XOR form is the one to believe. */
	assert_addr(&fs.stun[0].mapped, "203.0.113.5:61000");
	f = finding("alg-rewrite");
	assert_int_equal(f->severity, SEV_WARNING);
	assert_non_null(strstr(f->title, "stun:192.0.2.10:3478"));
	assert_true(f->remedy[0] != '\0');
	assert_int_equal(fs.exit_code, 0);
}

static void test_alg_finding_names_both_addresses(void **state)
{
	const struct finding *f;

	/* Regression (was a bug): analyzers/stun_summary.c (alg-rewrite detail) prints r->mapped
	 * twice; the plain MAPPED-ADDRESS is not kept in struct stun_result,
	 * so the detail reads "arrived as 203.0.113.5:61000 but
	 * XOR-MAPPED-ADDRESS says 203.0.113.5:61000". */
	summarize("stun_alg.jsonl", FAMILY_FROM_LOG);
	f = finding("alg-rewrite");
	assert_non_null(strstr(f->detail, "10.0.0.2:40000"));
	assert_non_null(strstr(f->detail, "203.0.113.5:61000"));
}

static void test_timeout_leg_is_an_error_with_the_counts(void **state)
{
	const struct finding *f;
	const struct stun_result *r;

	summarize("stun_timeout.jsonl", FAMILY_FROM_LOG);
	r = &fs.stun[0];
	assert_int_equal(r->status, LEG_TIMEOUT);
	assert_int_equal(r->requests, 1);
	assert_int_equal(r->retransmits, 2);
	assert_int_equal(r->responses, 0);
	assert_int_equal(r->samples, 0);
	assert_string_equal(r->message, "no response after 3 tries (1.0 s)");
	f = finding("server-no-response");
	assert_int_equal(f->severity, SEV_ERROR);
	assert_non_null(strstr(f->title, "over UDP"));
	assert_non_null(strstr(f->detail, "192.0.2.10:3478"));
	assert_non_null(strstr(f->detail, "2 retransmissions"));
	assert_int_equal(f->nevidence, 1);
	assert_int_equal(f->evidence[0], 4);       /* the timeout record */
	assert_int_equal(fs.exit_code, 1);
}

static void test_icmp_port_unreachable_is_refused_and_others_unreachable(void **state)
{
	const struct finding *f;

	summarize("stun_icmp.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.stun[0].status, LEG_REFUSED);     /* ICMP 3/3 */
	assert_int_equal(fs.stun[0].family, AF_INET);
	assert_int_equal(fs.stun[1].status, LEG_REFUSED);     /* ICMPv6 1/4 */
	assert_int_equal(fs.stun[1].family, AF_INET6);
	assert_int_equal(fs.stun[2].status, LEG_UNREACHABLE); /* ICMP 3/1 */
	f = finding("server-port-closed");
	assert_non_null(strstr(f->detail, "type 3 code 3"));
	assert_int_equal(f->evidence[f->nevidence - 1], 2);
	assert_true(has_finding("server-unreachable"));
}

static void test_resolve_failure_is_its_own_leg_without_an_address(void **state)
{
	const struct finding *f;

	summarize("stun_resolve.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.stun[0].status, LEG_RESOLVE);
	assert_int_equal(fs.stun[0].family, 0);
	assert_int_equal(fs.stun[0].remote.ss_family, AF_UNSPEC);
	f = finding("resolve-failed");
	assert_non_null(strstr(f->title, "no-such-host.invalid"));
	assert_non_null(strstr(f->detail, "cannot resolve"));
	assert_int_equal(fs.exit_code, 1);
	/* A name that resolves to nothing fails a required family too. */
	summarize("stun_resolve.jsonl", AF_INET6);
	assert_int_equal(fs.exit_code, 1);
}

static void test_required_family_must_work_even_if_the_other_does(void **state)
{
	summarize("stun_dual_v4_failed.jsonl", AF_INET);
	assert_int_equal(fs.stun[0].family, AF_INET);
	assert_int_equal(fs.stun[0].status, LEG_TIMEOUT);
	assert_int_equal(fs.stun[1].family, AF_INET6);
	assert_int_equal(fs.stun[1].status, LEG_OK);
	assert_int_equal(fs.exit_code, 1);
}

static void test_any_family_needs_only_one_working_leg(void **state)
{
	summarize("stun_dual_v4_failed.jsonl", AF_UNSPEC);
	assert_int_equal(fs.exit_code, 0);
	/* The failed leg is still reported. */
	assert_true(has_finding("server-no-response"));
}

static void test_legs_of_one_server_are_split_by_address(void **state)
{
	summarize("stun_dual_v4_failed.jsonl", AF_UNSPEC);
	assert_int_equal(fs.nstun, 2);
	assert_string_equal(fs.stun[0].server, fs.stun[1].server);
	assert_addr(&fs.stun[0].remote, "192.0.2.10:3478");
	assert_addr(&fs.stun[1].remote, "[2001:db8::10]:3478");
	assert_int_equal(fs.stun[1].samples, 2);
	assert_int_equal(fs.stun[0].retransmits, 2);
	assert_int_equal(fs.stun[1].retransmits, 0);
}

static void test_stray_responses_are_a_warning_on_a_working_leg(void **state)
{
	const struct finding *f;

	summarize("stun_stray.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.nstun, 1);
	assert_int_equal(fs.stun[0].status, LEG_OK);
	assert_int_equal(fs.stun[0].unmatched, 2);
	/* Neither stray's XOR-MAPPED-ADDRESS is taken as ours. */
	assert_addr(&fs.stun[0].mapped, "203.0.113.5:61000");
	f = finding("stray-responses");
	assert_int_equal(f->severity, SEV_WARNING);
	assert_non_null(strstr(f->title, "2 response(s)"));
	assert_int_equal(fs.exit_code, 0);
}

static void test_stray_from_an_address_never_asked_fails_nothing(void **state)
{
	/* Regression (was a bug): analyzers/stun_summary.c accumulate() opens a row for an
	 * OBS_UNMATCHED (or OBS_MALFORMED) keyed by its source when it has no
	 * remote; a datagram from an address we never sent to then becomes
	 * a leg with no requests whose status stays LEG_TIMEOUT, giving a
	 * "server-no-response" error and exit code 1 under -4. */
	summarize("stun_stray_other_ip.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.exit_code, 0);
	assert_false(has_finding("server-no-response"));
	assert_true(has_finding("stray-responses"));
	for (size_t i = 0; i < fs.nstun; i++)
		assert_int_equal(fs.stun[i].status, LEG_OK);
}

static void test_only_garbage_back_is_malformed_not_timeout(void **state)
{
	summarize("stun_malformed.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.nstun, 1);
	assert_int_equal(fs.stun[0].status, LEG_MALFORMED);
	assert_int_equal(fs.stun[0].malformed, 2);
	assert_true(has_finding("server-malformed"));
	assert_false(has_finding("server-no-response"));
}

static void test_error_response_gives_its_code(void **state)
{
	const struct finding *f;

	summarize("stun_error_response.jsonl", FAMILY_FROM_LOG);
	assert_int_equal(fs.stun[0].status, LEG_ERROR_RESPONSE);
	assert_int_equal(fs.stun[0].error_code, 401);
	assert_int_equal(fs.stun[0].samples, 0);
	f = finding("server-error-response");
	assert_non_null(strstr(f->title, "error 401"));
	assert_non_null(strstr(f->detail, "Unauthorized"));
}

static void test_empty_log_fails_with_no_rows(void **state)
{
	struct obs_log log;

	obs_log_init(&log, 0, 0);
	stun_summarize(&log, AF_UNSPEC, &fs);
	assert_int_equal(fs.nstun, 0);
	assert_int_equal(fs.nf, 0);
	assert_int_equal(fs.exit_code, 1);
	stun_summarize(&log, AF_INET, &fs);
	assert_int_equal(fs.exit_code, 1);
}

static void test_notes_open_no_rows(void **state)
{
	struct obs_log log;
	struct obs o;

	obs_log_init(&log, 0, 0);
	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	snprintf(o.server, sizeof(o.server), "stun:192.0.2.1:3478");
	snprintf(o.text, sizeof(o.text), "phase 1");
	obs_add(&log, &o);
	stun_summarize(&log, AF_UNSPEC, &fs);
	obs_log_dispose(&log);
	assert_int_equal(fs.nstun, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_fixture_gives_its_rows_findings_and_exit_code),
		cmocka_unit_test(test_findings_cite_observations_that_exist),
		cmocka_unit_test(test_ok_leg_reports_rtt_min_median_max_over_five_samples),
		cmocka_unit_test(test_ok_leg_carries_mapped_address_software_and_rfc5780),
		cmocka_unit_test(test_even_sample_count_takes_the_mean_of_the_middle_two),
		cmocka_unit_test(test_real_coturn_run_is_ok_with_rfc5780),
		cmocka_unit_test(test_mapped_address_differing_from_xor_mapped_is_an_alg_rewrite),
		cmocka_unit_test(test_alg_finding_names_both_addresses),
		cmocka_unit_test(test_timeout_leg_is_an_error_with_the_counts),
		cmocka_unit_test(test_icmp_port_unreachable_is_refused_and_others_unreachable),
		cmocka_unit_test(test_resolve_failure_is_its_own_leg_without_an_address),
		cmocka_unit_test(test_required_family_must_work_even_if_the_other_does),
		cmocka_unit_test(test_any_family_needs_only_one_working_leg),
		cmocka_unit_test(test_legs_of_one_server_are_split_by_address),
		cmocka_unit_test(test_stray_responses_are_a_warning_on_a_working_leg),
		cmocka_unit_test(test_stray_from_an_address_never_asked_fails_nothing),
		cmocka_unit_test(test_only_garbage_back_is_malformed_not_timeout),
		cmocka_unit_test(test_error_response_gives_its_code),
		cmocka_unit_test(test_empty_log_fails_with_no_rows),
		cmocka_unit_test(test_notes_open_no_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
