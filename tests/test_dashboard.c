/*
 * test_dashboard.c - the dashboard's model and layout (reports/
 * dashboard_view.c), without a terminal: recorded runs from fixtures/obs
 * are fed one observation at a time, as the on_add hook does, and the
 * screen is read back as text at several sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dashboard_view.h"
#include "findings.h"
#include "nat_classify.h"
#include "np_err.h"
#include "obs.h"
#include "stun_summary.h"

/* Large; one of each is enough for a test at a time. */
static struct findings fs;
static struct nat_report nr;
static struct dash_model m;
static struct dash_cell cells[200 * 60];

static void load(const char *path, struct obs_log *log)
{
	char detail[256] = "";
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	rc = obs_log_read(log, f, detail, sizeof(detail));
	fclose(f);
	if (rc != 0)
		fail_msg("%s: %s (%s)", path, detail, np_errname(rc));
}

/* Feeds the first n observations of log (all when n is 0) to the model
 * and analyzes that prefix, as the dashboard does mid-run. */
static void feed(struct obs_log *log, size_t n, const char *command)
{
	size_t all = log->n;

	if (n == 0 || n > all)
		n = all;
	dash_model_init(&m, command, "stun:203.0.113.10:3478");
	for (size_t i = 0; i < n; i++)
		dash_model_observe(&m, &log->v[i]);
	log->n = n;
	if (strcmp(command, "stun") == 0) {
		stun_summarize(log, 0, &fs);
	} else {
		nat_classify(log, &nr, &fs);
		m.nr = &nr;
	}
	m.fs = &fs;
	log->n = all;
}

static struct dash_screen render(int cols, int rows)
{
	struct dash_screen s = { .rows = rows, .cols = cols, .c = cells };

	assert_true((size_t)rows * (size_t)cols <= sizeof(cells) / sizeof(cells[0]));
	dash_render(&m, &s);
	return s;
}

static int screen_has(const struct dash_screen *s, const char *text)
{
	char row[256];

	for (int y = 0; y < s->rows; y++) {
		dash_screen_row(s, y, row, sizeof(row));
		if (strstr(row, text))
			return 1;
	}
	return 0;
}

static void row_text(const struct dash_screen *s, int y, char *buf, size_t len)
{
	dash_screen_row(s, y, buf, len);
}

/* The divider between tests and verdicts survives: nothing on the left
 * ran over into the right panel. */
static void assert_divider_intact(const struct dash_screen *s)
{
	int x = s->cols * 45 / 100, rows_with = 0;

	for (int y = 1; y < s->rows - 1; y++)
		rows_with += s->c[y * s->cols + x].ch == '|';
	assert_true(rows_with >= s->rows - 9);
}

static void test_finished_nat_run_shows_every_panel_at_80x24(void **state)
{
	struct obs_log log;
	struct dash_screen s;
	char row[256], want[64];

	(void)state;
	load("fixtures/obs/nat_symmetric.jsonl", &log);
	feed(&log, 0, "nat");
	m.finished = 1;
	m.elapsed_us = 4200000;
	s = render(80, 24);
	row_text(&s, 0, row, sizeof(row));
	assert_non_null(strstr(row, "natprobe nat  stun:203.0.113.10:3478"));
	assert_non_null(strstr(row, "4.2 s  done"));
	assert_true(screen_has(&s, "Tests  0 in flight"));
	assert_true(screen_has(&s, "NAT IPv4"));
	snprintf(want, sizeof(want), "mapping     %s",
		 nat_behavior_name(nr.fam[0].mapping.value));
	assert_true(screen_has(&s, want));
	assert_true(screen_has(&s, "filtering"));
	assert_true(screen_has(&s, "hairpinning"));
	assert_true(screen_has(&s, "TCP mapping"));
	assert_true(screen_has(&s, "reachable   UDP yes"));
	assert_true(screen_has(&s, "Findings"));
	assert_true(screen_has(&s, "symmetric"));
	row_text(&s, 23, row, sizeof(row));
	assert_string_equal(row, " q quit  p pause  ^v scroll");
	assert_divider_intact(&s);
	obs_log_dispose(&log);
}

static void test_partial_run_shows_verdicts_resolving(void **state)
{
	struct obs_log log;
	struct dash_screen s;

	(void)state;
	load("fixtures/obs/nat_symmetric.jsonl", &log);
	feed(&log, 8, "nat");
	s = render(80, 24);
	assert_true(screen_has(&s, "resolving..."));
	assert_true(screen_has(&s, "running"));
	assert_true(dash_model_inflight(&m) > 0);
	assert_true(screen_has(&s, "waiting"));
	obs_log_dispose(&log);
}

static void test_too_small_terminal_says_so(void **state)
{
	static const int sizes[][2] = { { 50, 12 }, { 59, 24 }, { 80, 15 } };
	struct obs_log log;
	char row[256];

	(void)state;
	load("fixtures/obs/nat_open.jsonl", &log);
	feed(&log, 0, "nat");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct dash_screen s = render(sizes[i][0], sizes[i][1]);

		row_text(&s, 0, row, sizeof(row));
		assert_string_equal(row, "terminal too small (need 60x16)");
		assert_false(screen_has(&s, "Findings"));
	}
	{
		struct dash_screen s = render(60, 16);

		assert_false(screen_has(&s, "too small"));
		assert_true(screen_has(&s, "Findings"));
	}
	obs_log_dispose(&log);
}

static void test_long_values_are_cut_not_wrapped(void **state)
{
	struct obs o;
	struct dash_screen s;
	char row[256];

	(void)state;
	dash_model_init(&m, "nat",
			"stun:a-very-long-host-name.that-goes-on.example.net:3478");
	memset(&o, 0, sizeof(o));
	o.kind = OBS_SENT;
	memset(o.test, 'x', sizeof(o.test) - 1);
	dash_model_observe(&m, &o);
	s = render(60, 16);
	row_text(&s, 0, row, sizeof(row));
	/* The right end survives; the trailing blank is trimmed. */
	assert_int_equal(strlen(row), 59);
	assert_string_equal(row + 52, "running");
	row_text(&s, 3, row, sizeof(row));
	assert_int_equal(row[60 * 45 / 100], '|');
	assert_non_null(strstr(row, "waiting"));
	assert_divider_intact(&s);
}

static void test_stun_legs_panel_lists_each_leg(void **state)
{
	struct obs_log log;
	struct dash_screen s;

	(void)state;
	load("fixtures/obs/stun_ok.jsonl", &log);
	feed(&log, 0, "stun");
	m.finished = 1;
	s = render(100, 30);
	assert_true(screen_has(&s, "STUN legs"));
	assert_true(screen_has(&s, "ok "));
	assert_true(screen_has(&s, "mapped "));
	assert_true(screen_has(&s, "RTT"));
	assert_false(screen_has(&s, "NAT IPv4"));
	obs_log_dispose(&log);
}

static struct obs probe(enum obs_kind kind, const char *test, uint8_t tid0)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	snprintf(o.test, sizeof(o.test), "%s", test);
	o.tid[0] = tid0;
	o.has = OBS_HAS_TID;
	return o;
}

static void test_hairpin_probe_arriving_counts_though_it_times_out(void **state)
{
	struct obs o;

	(void)state;
	dash_model_init(&m, "nat", "");
	o = probe(OBS_SENT, "hairpin.a2b", 7);
	dash_model_observe(&m, &o);
	assert_int_equal(m.t[0].state, DT_RUNNING);
	o = probe(OBS_UNMATCHED, "", 7);
	dash_model_observe(&m, &o);
	assert_int_equal(m.t[0].state, DT_ARRIVED);
	o = probe(OBS_TIMEOUT, "hairpin.a2b", 7);
	dash_model_observe(&m, &o);
	assert_int_equal(m.t[0].state, DT_ARRIVED);
	assert_int_equal(dash_model_inflight(&m), 0);
}

static void test_late_duplicate_response_changes_nothing(void **state)
{
	struct obs o;

	(void)state;
	dash_model_init(&m, "nat", "");
	o = probe(OBS_SENT, "map.1", 9);
	dash_model_observe(&m, &o);
	o = probe(OBS_RESPONSE, "map.1", 9);
	o.rtt_us = 1500;
	o.has |= OBS_HAS_RTT;
	dash_model_observe(&m, &o);
	o = probe(OBS_UNMATCHED, "", 9);
	dash_model_observe(&m, &o);
	assert_int_equal(m.t[0].state, DT_OK);
	assert_int_equal(m.t[0].rtt_us, 1500);
	assert_int_equal(m.t[0].tries, 1);
}

static void test_in_flight_tests_come_first_and_scroll_is_clamped(void **state)
{
	struct obs o;
	struct dash_screen s;
	char row[256];

	(void)state;
	dash_model_init(&m, "nat", "");
	o = probe(OBS_SENT, "slow", 1);
	dash_model_observe(&m, &o);
	for (int i = 0; i < 40; i++) {
		char t[16];

		snprintf(t, sizeof(t), "quick.%d", i);
		o = probe(OBS_SENT, t, (uint8_t)(i + 2));
		dash_model_observe(&m, &o);
		o = probe(OBS_RESPONSE, t, (uint8_t)(i + 2));
		dash_model_observe(&m, &o);
	}
	s = render(80, 24);
	row_text(&s, 3, row, sizeof(row));
	assert_non_null(strstr(row, "slow"));
	assert_true(screen_has(&s, "Tests  1 in flight, 40 done"));
	m.scroll = 1000;
	s = render(80, 24);
	assert_true(screen_has(&s, "quick.0 "));  /* the oldest, at the end */
	row_text(&s, 1, row, sizeof(row));
	assert_non_null(strstr(row, " ^"));  /* rows hidden above */
	assert_true(dash_test_rows(&m, 24, 80) > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finished_nat_run_shows_every_panel_at_80x24),
		cmocka_unit_test(test_partial_run_shows_verdicts_resolving),
		cmocka_unit_test(test_too_small_terminal_says_so),
		cmocka_unit_test(test_long_values_are_cut_not_wrapped),
		cmocka_unit_test(test_stun_legs_panel_lists_each_leg),
		cmocka_unit_test(test_hairpin_probe_arriving_counts_though_it_times_out),
		cmocka_unit_test(test_late_duplicate_response_changes_nothing),
		cmocka_unit_test(test_in_flight_tests_come_first_and_scroll_is_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
