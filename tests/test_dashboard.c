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
#include "ice_summary.h"
#include "nat_classify.h"
#include "np_err.h"
#include "obs.h"
#include "stun_summary.h"
#include "webrtc_summary.h"

/* Large; one of each is enough for a test at a time. */
static struct findings fs;
static struct nat_report nr;
static struct ice_report ir;
static struct webrtc_report wr;
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
	} else if (strcmp(command, "ice") == 0) {
		memset(&fs, 0, sizeof(fs));
	} else {
		nat_classify(log, &nr, &fs);
		m.nr = &nr;
	}
	/* As reports/dashboard.c does: ICE findings once ICE decided. */
	if (m.ice.active) {
		if (dash_ice_decided(&m.ice))
			ice_analyze(log, &ir, &fs);
		webrtc_analyze(log, &wr, &fs);
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

/* ICE/WebRTC panels ------------------------------------------------------ */

/* A real loopback session (natprobe ice --offer against natprobe ice
 * --answer, --events), trimmed to the records the panels read: host
 * candidates, pairs, checks, the selection, DTLS, data channel, media. */
static const char full_session[] =
	"{\"natprobe_events\":1,\"command\":\"ice\",\"family\":0,\"start_wall_us\":1796540573841620}\n"
	"{\"seq\":1,\"t_us\":12692,\"kind\":\"note\",\"test\":\"ice.start\",\"transport\":\"udp\",\"text\":\"role controlling, ufrag TKTDY2nD, 0 server(s)\"}\n"
	"{\"seq\":2,\"t_us\":13490,\"kind\":\"note\",\"test\":\"ice.gather\",\"transport\":\"udp\",\"local\":\"127.0.0.1:40911\",\"text\":\"candidate:1 1 udp 2126512127 127.0.0.1 40911 typ host\"}\n"
	"{\"seq\":4,\"t_us\":13713,\"kind\":\"note\",\"test\":\"ice.gather\",\"transport\":\"udp\",\"local\":\"192.0.2.2:35618\",\"text\":\"candidate:2 1 udp 2126511871 192.0.2.2 35618 typ host\"}\n"
	"{\"seq\":5,\"t_us\":13831,\"kind\":\"note\",\"test\":\"ice.gather\",\"transport\":\"udp\",\"local\":\"[::1]:39116\",\"text\":\"candidate:3 1 udp 2130705919 ::1 39116 typ host\"}\n"
	"{\"seq\":6,\"t_us\":13936,\"kind\":\"note\",\"test\":\"ice.gather\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"text\":\"candidate:4 1 udp 2130705663 fd00::2 43058 typ host\"}\n"
	"{\"seq\":7,\"t_us\":13996,\"kind\":\"note\",\"test\":\"ice.gather\",\"transport\":\"udp\",\"text\":\"gathering complete: 4 candidate(s) in 13.936 ms\"}\n"
	"{\"seq\":12,\"t_us\":57249,\"kind\":\"note\",\"test\":\"ice.remote\",\"transport\":\"udp\",\"text\":\"ufrag ROilhbJ0, 4 candidate(s), end-of-candidates\"}\n"
	"{\"seq\":13,\"t_us\":57298,\"kind\":\"note\",\"test\":\"ice.remote\",\"transport\":\"udp\",\"remote\":\"127.0.0.1:33177\",\"text\":\"candidate:1 1 udp 2126512127 127.0.0.1 33177 typ host\"}\n"
	"{\"seq\":16,\"t_us\":57348,\"kind\":\"note\",\"test\":\"ice.remote\",\"transport\":\"udp\",\"remote\":\"[fd00::2]:34491\",\"text\":\"candidate:4 1 udp 2130705663 fd00::2 34491 typ host\"}\n"
	"{\"seq\":17,\"t_us\":57377,\"kind\":\"note\",\"test\":\"ice.state\",\"transport\":\"udp\",\"text\":\"gathering->checking\"}\n"
	"{\"seq\":18,\"t_us\":57542,\"kind\":\"sent\",\"test\":\"ice.check\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"tid\":\"645a01b584a9061fb155cca9\",\"method\":1,\"attempt\":1,\"size\":96,\"text\":\"pair 0 host->host\"}\n"
	"{\"seq\":20,\"t_us\":57587,\"kind\":\"note\",\"test\":\"ice.pair\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"text\":\"pair 0 in-progress (was new) host->host prio 9151311144248409086\"}\n"
	"{\"seq\":21,\"t_us\":57595,\"kind\":\"note\",\"test\":\"ice.pair\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[fd00::2]:34491\",\"text\":\"pair 1 waiting (was new) host->host prio 9151311144248408574\"}\n"
	"{\"seq\":29,\"t_us\":58446,\"kind\":\"response\",\"test\":\"ice.check\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"source\":\"[::1]:42110\",\"xor_mapped\":\"[fd00::2]:43058\",\"tid\":\"645a01b584a9061fb155cca9\",\"method\":1,\"class\":2,\"attempt\":1,\"size\":76,\"rtt_us\":447,\"text\":\"pair 0 succeeded\"}\n"
	"{\"seq\":30,\"t_us\":58462,\"kind\":\"note\",\"test\":\"ice.pair\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"text\":\"pair 0 succeeded (was in-progress) host->host prio 9151311144248409086\"}\n"
	"{\"seq\":46,\"t_us\":79857,\"kind\":\"response\",\"test\":\"ice.check\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"source\":\"[::1]:42110\",\"xor_mapped\":\"[fd00::2]:43058\",\"tid\":\"4d16e722abbaf2e44fd8f416\",\"method\":1,\"class\":2,\"attempt\":1,\"size\":76,\"rtt_us\":394,\"text\":\"pair 0 succeeded, nominated\"}\n"
	"{\"seq\":47,\"t_us\":79887,\"kind\":\"note\",\"test\":\"ice.pair\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"text\":\"pair 0 succeeded (was in-progress) host->host prio 9151311144248409086 nominated\"}\n"
	"{\"seq\":49,\"t_us\":79899,\"kind\":\"note\",\"test\":\"ice.selected\",\"transport\":\"udp\",\"local\":\"[fd00::2]:43058\",\"remote\":\"[::1]:42110\",\"text\":\"host [fd00::2]:43058 -> host [::1]:42110, rtt 0.394 ms\"}\n"
	"{\"seq\":50,\"t_us\":79916,\"kind\":\"note\",\"test\":\"ice.state\",\"transport\":\"udp\",\"text\":\"checking->connected\"}\n"
	"{\"seq\":52,\"t_us\":83183,\"kind\":\"note\",\"test\":\"webrtc\",\"transport\":\"udp\",\"text\":\"waiting->dtls\"}\n"
	"{\"seq\":58,\"t_us\":87499,\"kind\":\"tls\",\"test\":\"dtls\",\"transport\":\"udp\",\"rtt_us\":4288,\"text\":\"connected as server: DTLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384, SRTP SRTP_AEAD_AES_128_GCM; we offered DTLS 1.2, peer offered DTLS 1.2; 2 flights sent, 2 received, 0 retransmissions, 4.3 ms\"}\n"
	"{\"seq\":60,\"t_us\":249396,\"kind\":\"note\",\"test\":\"webrtc\",\"transport\":\"udp\",\"text\":\"dtls->connected\"}\n"
	"{\"seq\":62,\"t_us\":252041,\"kind\":\"connect\",\"test\":\"sctp.assoc\",\"server\":\"sctp:5000\",\"transport\":\"udp\",\"text\":\"SCTP association up, port 5000 -> 5000, streams in 1024 out 1024\"}\n"
	"{\"seq\":63,\"t_us\":252147,\"kind\":\"sent\",\"test\":\"dc.open\",\"server\":\"sctp:5000\",\"transport\":\"udp\",\"size\":26,\"text\":\"DATA_CHANNEL_OPEN stream 1 label \\\"natprobe-probe\\\" protocol \\\"\\\" reliable\"}\n"
	"{\"seq\":64,\"t_us\":253026,\"kind\":\"response\",\"test\":\"dc.open\",\"server\":\"sctp:5000\",\"transport\":\"udp\",\"rtt_us\":880,\"text\":\"DATA_CHANNEL_ACK stream 1 label \\\"natprobe-probe\\\": channel open\"}\n"
	"{\"seq\":65,\"t_us\":455122,\"kind\":\"response\",\"test\":\"dc.probe\",\"server\":\"sctp:5000\",\"transport\":\"udp\",\"size\":1000,\"rtt_us\":540,\"text\":\"stream 1: 20 of 20 messages (1000 bytes) sent, 20 echoed back (0 duplicate, 0 unknown); RTT min/avg/max 0.199/0.540/2.490 ms; 99016 bytes/s\"}\n"
	"{\"seq\":66,\"t_us\":455461,\"kind\":\"note\",\"test\":\"dc.close\",\"server\":\"sctp:5000\",\"transport\":\"udp\",\"text\":\"stream 1 label \\\"natprobe-probe\\\": channel closed by us\"}\n"
	"{\"seq\":68,\"t_us\":1249586,\"kind\":\"note\",\"test\":\"media.stats\",\"transport\":\"udp\",\"rtt_us\":244,\"text\":\"ssrc=328c1d14 sent=50 bytes=8000 bps=65282 rtcp=1 echoed=0 errors=0 peer_reports=1 peer_loss=0.0% peer_jitter_us=166 rtt_rtcp_us=0 rtt_echo_us=117/392/2505 echo_back=50 in_failed=0\"}\n"
	"{\"seq\":69,\"t_us\":1249638,\"kind\":\"note\",\"test\":\"media.rx\",\"transport\":\"udp\",\"text\":\"ssrc=b44a2109 cname=natprobe received=50 expected=50 lost=0 loss=0.0% jitter_us=20 reordered=0 bps=65427 auth_ok=50 auth_fail=0 replay=0 malformed=0 srtcp_ok=1 srtcp_failed=0\"}\n"
	"{\"seq\":70,\"t_us\":2250504,\"kind\":\"note\",\"test\":\"media.stats\",\"transport\":\"udp\",\"rtt_us\":457,\"text\":\"ssrc=328c1d14 sent=100 bytes=16000 bps=64625 rtcp=2 echoed=0 errors=0 peer_reports=2 peer_loss=0.0% peer_jitter_us=20 rtt_rtcp_us=457 rtt_echo_us=117/305/2505 echo_back=100 in_failed=0\"}\n"
	"{\"seq\":71,\"t_us\":2250540,\"kind\":\"note\",\"test\":\"media.rx\",\"transport\":\"udp\",\"text\":\"ssrc=b44a2109 cname=natprobe received=100 expected=100 lost=0 loss=0.0% jitter_us=0 reordered=0 bps=64697 auth_ok=100 auth_fail=0 replay=0 malformed=0 srtcp_ok=2 srtcp_failed=0\"}\n"
;

static void load_text(const char *text, struct obs_log *log)
{
	char detail[256] = "";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = obs_log_read(log, f, detail, sizeof(detail));
	fclose(f);
	if (rc != 0)
		fail_msg("embedded log: %s (%s)", detail, np_errname(rc));
}

/* The index in log of the first record with this seq. */
static size_t upto(const struct obs_log *log, uint64_t seq)
{
	for (size_t i = 0; i < log->n; i++)
		if (log->v[i].seq >= seq)
			return i;
	return log->n;
}

/* The row after the first row that contains text (the first pair after
 * the column titles, the first candidate after the counts' titles). */
static void first_after(const struct dash_screen *s, const char *text,
			char *buf, size_t len)
{
	for (int y = 0; y + 1 < s->rows; y++) {
		dash_screen_row(s, y, buf, len);
		if (strstr(buf, text)) {
			dash_screen_row(s, y + 1, buf, len);
			return;
		}
	}
	fail_msg("no row with \"%s\"", text);
}

static void test_ice_run_shows_candidates_pairs_and_selection_at_80x24(void **state)
{
	struct obs_log log;
	struct dash_screen s;
	char row[256];

	(void)state;
	load("fixtures/obs/ice_direct_offer.jsonl", &log);
	feed(&log, 0, "ice");
	s = render(80, 24);
	assert_true(m.ice.active);
	row_text(&s, 0, row, sizeof(row));
	assert_non_null(strstr(row, " natprobe ice "));
	assert_true(screen_has(&s, "ICE controlling  connected"));
	/* host, srflx and relay over UDP; the newest first, with addresses. */
	assert_true(screen_has(&s, "Candidates  3 local, 4 remote"));
	assert_true(screen_has(&s, " udp     1     1     0     1"));
	assert_false(screen_has(&s, " tcp "));
	first_after(&s, " udp     1     1", row, sizeof(row));
	assert_non_null(strstr(row, "+ relay udp 203.0.113.11:62860"));
	assert_true(screen_has(&s, "+ srflx udp 198.51.100.2:56378"));
	/* 7 pairs: the selected one first, with its check's RTT. */
	/* Pair 0 (host->host across two NATs) never got an answer. */
	assert_true(screen_has(&s, "Pairs 7: 2 ok, 2 checking, 0 failed"));
	first_after(&s, "local->rem", row, sizeof(row));
	assert_non_null(strstr(row, "  6 srflx->srflx succeeded  *   0.27"));
	assert_true(screen_has(&s, "  1 host->srflx  succeeded      0.39"));
	assert_true(screen_has(&s, "  2 host->relay  in-progress"));
	assert_true(screen_has(&s, "| Selected  udp  RTT 0.27 ms"));
	assert_true(screen_has(&s, "|   srflx 198.51.100.2:56378"));
	assert_true(screen_has(&s, "|   -> srflx 198.51.100.3:53966"));
	assert_true(screen_has(&s, "direct pair selected"));
	assert_false(screen_has(&s, "Tests "));  /* ICE took the tests' place */
	row_text(&s, 23, row, sizeof(row));
	assert_string_equal(row, " q quit  p pause  * selected  n nominated");
	assert_divider_intact(&s);
	obs_log_dispose(&log);
}

static void test_ice_checks_in_flight_before_selection(void **state)
{
	struct obs_log log;
	struct dash_screen s;
	char row[256];

	(void)state;
	load("fixtures/obs/ice_direct_offer.jsonl", &log);
	/* Up to pair 1's check in flight (seq 34), before its response. */
	feed(&log, upto(&log, 35), "ice");
	s = render(80, 24);
	assert_true(screen_has(&s, "ICE controlling  checking"));
	assert_true(screen_has(&s, "Pairs 6: 0 ok, 2 checking, 0 failed"));
	first_after(&s, "local->rem", row, sizeof(row));
	assert_non_null(strstr(row, "  1 host->srflx  in-progress"));  /* latest first */
	assert_true(screen_has(&s, "| Selected  none yet"));
	/* ICE has not decided: no premature "no pair was selected". */
	assert_false(dash_ice_decided(&m.ice));
	assert_false(screen_has(&s, "no candidate pair"));
	assert_true(screen_has(&s, "Findings  0"));
	obs_log_dispose(&log);
}

static void test_webrtc_session_shows_dtls_media_and_data_channel(void **state)
{
	struct obs_log log;
	struct dash_screen s;

	(void)state;
	load_text(full_session, &log);
	/* Handshake under way: webrtc "waiting->dtls", no "tls" record yet. */
	feed(&log, upto(&log, 58), "ice");
	s = render(80, 24);
	assert_int_equal(m.ice.dtls, DD_HANDSHAKE);
	assert_true(screen_has(&s, "| DTLS      handshaking..."));
	assert_true(screen_has(&s, "| Selected  udp  RTT 0.39 ms"));
	assert_true(screen_has(&s, "|   -> host [::1]:42110"));
	/* The whole session. */
	feed(&log, 0, "ice");
	s = render(80, 24);
	assert_true(screen_has(&s, "| DTLS      connected (server) 4.3 ms"));
	assert_true(screen_has(&s, "DTLSv1.2 SRTP_AEAD_AES_128_GCM"));
	assert_true(screen_has(&s, "| Media     sent 100  peer loss 0.0 %"));
	assert_true(screen_has(&s, "RTT 0.46 ms (RTCP), echo 0.30"));
	assert_true(screen_has(&s, "recv 100  lost 0  jitter 0.00 ms"));
	assert_true(screen_has(&s, "| Data      20/20 echoed  RTT 0.54 ms"));
	assert_true(screen_has(&s, "DTLS connected as server"));  /* a finding */
	assert_int_equal(m.ice.dc, DC_CLOSED);
	assert_divider_intact(&s);
	/* The smallest screen keeps the selection and DTLS. */
	s = render(60, 16);
	assert_false(screen_has(&s, "too small"));
	assert_true(screen_has(&s, "Selected  udp"));
	assert_true(screen_has(&s, "DTLS      connected"));
	assert_divider_intact(&s);
	obs_log_dispose(&log);
}

static struct obs note(const char *test, enum obs_kind kind, const char *text)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	snprintf(o.test, sizeof(o.test), "%s", test);
	snprintf(o.text, sizeof(o.text), "%s", text);
	return o;
}

static void test_failed_dtls_and_data_channel_say_why(void **state)
{
	struct obs o;
	struct dash_screen s;

	(void)state;
	dash_model_init(&m, "ice", "a.sdp");
	o = note("ice.start", OBS_NOTE, "role controlled, ufrag x, 0 server(s)");
	dash_model_observe(&m, &o);
	o = note("webrtc", OBS_NOTE, "waiting->dtls");
	dash_model_observe(&m, &o);
	o = note("dtls", OBS_TIMEOUT, "no response after flight 1 (5 tries)");
	dash_model_observe(&m, &o);
	o = note("webrtc", OBS_NOTE, "dtls->failed");
	dash_model_observe(&m, &o);
	o = note("sctp.assoc", OBS_TIMEOUT, "no SCTP association in 5 s");
	dash_model_observe(&m, &o);
	s = render(80, 24);
	assert_int_equal(m.ice.dtls, DD_FAILED);
	assert_true(screen_has(&s, "ICE controlled  gathering"));
	assert_true(screen_has(&s, "| DTLS      failed: no response after"));
	assert_true(screen_has(&s, "| Data      failed: no SCTP association"));
	assert_true(screen_has(&s, "waiting for the peer's candidates..."));
	/* A late "connected" does not hide the failure. */
	o = note("webrtc", OBS_NOTE, "failed->connected");
	dash_model_observe(&m, &o);
	assert_int_equal(m.ice.dtls, DD_FAILED);
}

static void test_pairs_are_capped_and_bad_notes_ignored(void **state)
{
	struct obs o;
	struct dash_screen s;

	(void)state;
	dash_model_init(&m, "ice", "");
	o = note("ice.start", OBS_NOTE, "role controlling");
	dash_model_observe(&m, &o);
	for (int i = 0; i < 200; i++) {
		char t[OBS_TEXT];

		snprintf(t, sizeof(t), "pair %d waiting (was new) host->relay prio 1", i);
		o = note("ice.pair", OBS_NOTE, t);
		dash_model_observe(&m, &o);
	}
	/* Text that is not what the agent writes changes nothing. */
	o = note("ice.pair", OBS_NOTE, "pair -3 waiting (was new) host->host");
	dash_model_observe(&m, &o);
	o = note("ice.pair", OBS_NOTE, "pair 7");
	dash_model_observe(&m, &o);
	o = note("ice.gather", OBS_NOTE, "candidate:garbage");
	dash_model_observe(&m, &o);
	o = note("ice.selected", OBS_NOTE, "nonsense");
	dash_model_observe(&m, &o);
	o = note("media.stats", OBS_NOTE, "sent=5");  /* no ssrc */
	dash_model_observe(&m, &o);
	assert_int_equal(m.ice.npairs, DASH_ICE_PAIRS);
	assert_int_equal(m.ice.pairs_overflow, 50);
	assert_int_equal(m.ice.nlocal_all, 0);
	assert_false(m.ice.have_selected);
	assert_int_equal(m.ice.ntx, 0);
	assert_non_null(dash_ice_pair(&m.ice, 149));
	assert_null(dash_ice_pair(&m.ice, 150));
	s = render(80, 24);
	assert_true(screen_has(&s, "Pairs 150+: 0 ok, 0 checking"));
	assert_divider_intact(&s);
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
		cmocka_unit_test(test_ice_run_shows_candidates_pairs_and_selection_at_80x24),
		cmocka_unit_test(test_ice_checks_in_flight_before_selection),
		cmocka_unit_test(test_webrtc_session_shows_dtls_media_and_data_channel),
		cmocka_unit_test(test_failed_dtls_and_data_channel_say_why),
		cmocka_unit_test(test_pairs_are_capped_and_bad_notes_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
