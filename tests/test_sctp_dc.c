/*
 * test_sctp_dc.c - data channels (probe/sctp_dc*.c) between two endpoints
 * wired back to back in memory, under the real event loop and the real
 * usrsctp: the association comes up on both sides, DCEP opens from either
 * side take the stream parity of their DTLS role and complete with the
 * ACK, string/binary/empty messages arrive with their PPIDs both ways,
 * the probe measures RTT against a peer in echo mode, malformed DCEP and
 * over-cap input are refused with observations, channels close by stream
 * reset, an ABORT reaches the peer as a failure, usrsctp starts again
 * after the last association was freed, and a peer cannot grow the log
 * past its observation budget. tests/test_sctp_dc_dtls.c runs the same
 * association over two real DTLS machines.
 *
 * Waits are bounded by loop iterations; nothing asserts on speed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <usrsctp.h>

#include "dcep.h"
#include "np_err.h"
#include "sctp_dc.h"
#include "sctp_dc_impl.h"
#include "sctp_dc_test_util.h"

static int a_opened(const struct tw *w)
{
	return w->a.opened && w->b.opened;
}

static int probe_done(const struct tw *x)
{
	return x->a.probe_done > 0;
}

static int both_closed(const struct tw *x)
{
	return x->a.closed && x->b.closed;
}

static int b_failed(const struct tw *x)
{
	return x->b.failed;
}

static int b_three_malformed(const struct tw *x)
{
	return tw_count(x, "b", OBS_MALFORMED, "dc.dcep", NULL) >= 3;
}

static int b_saw_oversize(const struct tw *x)
{
	return tw_count(x, "b", OBS_MALFORMED, "dc.msg",
			"over 256 KiB") > 0;
}

static int all_channels_open(const struct tw *x)
{
	return x->b.opened == SCTP_DC_MAX_CHANNELS &&
	       x->a.opened == SCTP_DC_MAX_CHANNELS;
}

static int b_saw_bad_msg(const struct tw *x)
{
	return tw_count(x, "b", OBS_MALFORMED, "dc.msg", NULL) >= 1;
}

static int b_saw_two_bad_msgs(const struct tw *x)
{
	return tw_count(x, "b", OBS_MALFORMED, "dc.msg", NULL) >= 2;
}

static void up_pair(struct tw *w)
{
	tw_init(w);
	assert_int_equal(tw_new(w), 0);
	assert_true(tw_run(w, tw_both_up));
	assert_true(sctp_dc_is_up(w->a.s) && sctp_dc_is_up(w->b.s));
}

static int b_has_msgs(const struct tw *w)
{
	return w->b.msgs > 0;
}

static int a_has_msgs(const struct tw *w)
{
	return w->a.msgs > 0;
}

static void exchange(struct tw *w, struct ep *from, struct ep *to,
		     uint16_t sid, const char *msg, size_t len, int binary,
		     uint32_t ppid)
{
	to->msgs = 0;
	assert_int_equal(sctp_dc_send(from->s, sid, (const uint8_t *)msg, len,
				      binary), 0);
	assert_true(tw_run(w, to == &w->b ? b_has_msgs : a_has_msgs));
	assert_int_equal(to->msgs, 1);
	assert_int_equal(to->last_stream, sid);
	assert_int_equal(to->last_len, len);
	assert_int_equal(to->last_ppid, ppid);
	assert_int_equal(to->last_binary, binary);
	if (len)
		assert_memory_equal(to->last, msg, len);
}

static void test_association_comes_up_on_both_sides(void **state)
{
	struct tw w;
	uint16_t sid;

	tw_init(&w);
	assert_int_equal(tw_new(&w), 0);
	/* Nothing can be opened before the association is up. */
	assert_int_equal(sctp_dc_open(w.a.s, "x", "", 1, 1, &sid), NP_EINVAL);
	assert_true(tw_run(&w, tw_both_up));
	assert_int_equal(tw_count(&w, "a", OBS_CONNECT, "sctp.assoc",
				  "streams in 1024 out 1024"), 1);
	assert_int_equal(tw_count(&w, "b", OBS_CONNECT, "sctp.assoc", NULL), 1);
	assert_true(w.a.pkts > 0 && w.b.pkts > 0);
	assert_false(w.a.failed || w.b.failed);
	tw_dispose(&w);
}

static void test_open_from_either_side_with_ack(void **state)
{
	struct tw w;
	uint16_t sa, sb;

	up_pair(&w);
	/* The DTLS client (a) opens on an even stream (RFC 8832 §6). */
	assert_int_equal(sctp_dc_open(w.a.s, "chat", "np-proto", 1, 1, &sa), 0);
	assert_int_equal(sa % 2, 0);
	assert_true(tw_run(&w, a_opened));
	assert_int_equal(w.a.open_stream, sa);
	assert_false(w.a.open_remote);
	assert_int_equal(w.b.open_stream, sa);
	assert_true(w.b.open_remote);
	assert_string_equal(w.b.label, "chat");
	assert_string_equal(w.b.protocol, "np-proto");
	assert_int_equal(tw_count(&w, "a", OBS_SENT, "dc.open", "\"chat\""), 1);
	assert_int_equal(tw_count(&w, "a", OBS_RESPONSE, "dc.open",
				  "DATA_CHANNEL_ACK"), 1);
	assert_int_equal(tw_count(&w, "b", OBS_NOTE, "dc.open",
				  "peer opened stream 0 label \"chat\""), 1);
	/* The server (b) opens on an odd stream, unordered, unreliable. */
	w.a.opened = w.b.opened = 0;
	assert_int_equal(sctp_dc_open(w.b.s, "game", NULL, 0, 0, &sb), 0);
	assert_int_equal(sb % 2, 1);
	assert_true(tw_run(&w, a_opened));
	assert_int_equal(w.a.open_stream, sb);
	assert_true(w.a.open_remote);
	assert_false(w.b.open_remote);
	assert_int_equal(tw_count(&w, "a", OBS_NOTE, "dc.open",
				  "partial-rexmit unordered"), 1);
	/* The unordered, unreliable channel carries messages both ways. */
	exchange(&w, &w.b, &w.a, sb, "fast", 4, 0, DCEP_PPID_STRING);
	exchange(&w, &w.a, &w.b, sb, "back", 4, 1, DCEP_PPID_BINARY);
	/* A second channel from a takes the next even stream. */
	assert_int_equal(sctp_dc_open(w.a.s, "two", "", 1, 1, &sa), 0);
	assert_int_equal(sa, 2);
	tw_dispose(&w);
}

static void test_messages_both_ways_with_ppids(void **state)
{
	static const char bin[] = { 0, 1, 2, (char)0xff, 0 };
	struct tw w;
	uint16_t sid;

	up_pair(&w);
	assert_int_equal(sctp_dc_open(w.a.s, "m", "", 1, 1, &sid), 0);
	/* An ordered channel may send before its ACK: the message follows
	 * the OPEN on the stream (RFC 8832 §6). */
	assert_int_equal(sctp_dc_send(w.a.s, sid, (const uint8_t *)"early", 5,
				      0), 0);
	assert_true(tw_run(&w, a_opened));
	assert_true(tw_run(&w, b_has_msgs));
	assert_int_equal(w.b.last_len, 5);
	assert_memory_equal(w.b.last, "early", 5);
	exchange(&w, &w.a, &w.b, sid, "hello", 5, 0, DCEP_PPID_STRING);
	exchange(&w, &w.a, &w.b, sid, bin, sizeof(bin), 1, DCEP_PPID_BINARY);
	exchange(&w, &w.a, &w.b, sid, "", 0, 0, DCEP_PPID_STRING_EMPTY);
	exchange(&w, &w.a, &w.b, sid, "", 0, 1, DCEP_PPID_BINARY_EMPTY);
	/* The peer-opened side sends back on the same channel. */
	exchange(&w, &w.b, &w.a, sid, "world", 5, 0, DCEP_PPID_STRING);
	exchange(&w, &w.b, &w.a, sid, bin, sizeof(bin), 1, DCEP_PPID_BINARY);
	exchange(&w, &w.b, &w.a, sid, "", 0, 0, DCEP_PPID_STRING_EMPTY);
	exchange(&w, &w.b, &w.a, sid, "", 0, 1, DCEP_PPID_BINARY_EMPTY);
	/* "early" and "hello". */
	assert_int_equal(tw_count(&w, "b", OBS_RESPONSE, "dc.msg",
				  "string message, 5 bytes (PPID 51)"), 2);
	assert_int_equal(tw_count(&w, "b", OBS_RESPONSE, "dc.msg",
				  "binary message, 0 bytes (PPID 57)"), 1);
	/* No channel on stream 9. */
	assert_int_equal(sctp_dc_send(w.a.s, 9, (const uint8_t *)"x", 1, 0),
			 NP_EINVAL);
	tw_dispose(&w);
}

static void test_probe_measures_rtt_against_echo(void **state)
{
	struct sctp_dc_probe_stats st;
	struct tw w;
	uint16_t sid;

	up_pair(&w);
	sctp_dc_set_echo(w.b.s, 1);
	assert_int_equal(sctp_dc_open(w.a.s, "probe", "", 1, 1, &sid), 0);
	assert_true(tw_run(&w, a_opened));
	/* Too small for the header, too many, no channel. */
	assert_int_equal(sctp_dc_probe_start(w.a.s, sid, 10, 8, 1000),
			 NP_EINVAL);
	assert_int_equal(sctp_dc_probe_start(w.a.s, sid, SCTP_DC_PROBE_MAX + 1,
					     64, 1000), NP_EINVAL);
	assert_int_equal(sctp_dc_probe_start(w.a.s, 7, 10, 64, 1000),
			 NP_EINVAL);
	assert_int_equal(sctp_dc_probe_start(w.a.s, sid, 50, 1000, 2000), 0);
	assert_int_equal(sctp_dc_probe_start(w.a.s, sid, 50, 1000, 2000),
			 NP_EINVAL);              /* already running */
	assert_true(tw_run(&w, probe_done));
	sctp_dc_probe_stats(w.a.s, &st);
	assert_true(st.done);
	assert_false(st.running);
	assert_int_equal(st.sent, 50);
	assert_int_equal(st.received, 50);
	assert_int_equal(st.duplicates + st.bogus, 0);
	assert_int_equal(st.bytes_received, 50 * 1000);
	assert_true(st.rtt_min_us <= st.rtt_avg_us);
	assert_true(st.rtt_avg_us <= st.rtt_max_us);
	assert_true(st.rtt_max_us > 0);
	assert_true(st.bytes_per_s > 0);
	/* Probe echoes are not delivered as messages to a. */
	assert_int_equal(w.a.msgs, 0);
	sctp_dc_probe_stats(w.b.s, &st);
	assert_int_equal(st.echoed, 50);
	assert_int_equal(tw_count(&w, "a", OBS_RESPONSE, "dc.probe",
				  "50 of 50 messages (1000 bytes) sent, 50 "
				  "echoed back"), 1);
	tw_dispose(&w);
}

/* Raw DCEP from a, bypassing the checks of sctp_dc_open. */
static void raw_dcep(struct tw *w, uint16_t sid, const uint8_t *b, size_t n)
{
	assert_int_equal(sdc_sendv(w->a.s, sid, DCEP_PPID_CONTROL, b, n, 0, 0,
				   0), 0);
}

static int b_saw_dcep(const struct tw *w)
{
	return tw_count(w, "b", OBS_MALFORMED, "dc.dcep", NULL) > 0;
}

static int b_saw_open_error(const struct tw *w)
{
	return tw_count(w, "b", OBS_ERROR, "dc.open", NULL) > 0;
}

static void test_malformed_dcep_is_refused_with_observation(void **state)
{
	/* An OPEN whose label length runs past the end. */
	static const uint8_t trunc[] = { 0x03, 0x00, 0, 0, 0, 0, 0, 0,
					 0x00, 0x09, 0x00, 0x00, 'a', 'b' };
	static const uint8_t badtype[] = { 0x03, 0x42, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 0 };
	static const uint8_t unknown[] = { 0x07 };
	struct tw w;

	up_pair(&w);
	raw_dcep(&w, 4, trunc, sizeof(trunc));
	assert_true(tw_run(&w, b_saw_dcep));
	assert_int_equal(tw_count(&w, "b", OBS_MALFORMED, "dc.dcep",
				  "stream 4: malformed DATA_CHANNEL_OPEN"), 1);
	raw_dcep(&w, 6, badtype, sizeof(badtype));
	raw_dcep(&w, 8, unknown, sizeof(unknown));
	assert_true(tw_run(&w, b_three_malformed));
	assert_int_equal(tw_count(&w, "b", OBS_MALFORMED, "dc.dcep",
				  "unknown DCEP message type"), 1);
	assert_int_equal(w.b.opened, 0);
	/* Data on a stream with no channel, and an unknown PPID (52, the
	 * deprecated partial binary) on an open one, are dropped. */
	assert_int_equal(sdc_sendv(w.a.s, 30, DCEP_PPID_STRING,
				   (const uint8_t *)"x", 1, 0, 0, 0), 0);
	assert_true(tw_run(&w, b_saw_bad_msg));
	assert_int_equal(tw_count(&w, "b", OBS_MALFORMED, "dc.msg",
				  "stream 30: message on a stream with no "
				  "channel"), 1);
	assert_int_equal(w.b.msgs, 0);
	/* The association survives: a good open still works. */
	uint16_t sid;

	assert_int_equal(sctp_dc_open(w.a.s, "ok", "", 1, 1, &sid), 0);
	assert_true(tw_run(&w, a_opened));
	assert_string_equal(w.b.label, "ok");
	assert_int_equal(sdc_sendv(w.a.s, sid, 52, (const uint8_t *)"x", 1, 0,
				   0, 0), 0);
	assert_true(tw_run(&w, b_saw_two_bad_msgs));
	assert_int_equal(tw_count(&w, "b", OBS_MALFORMED, "dc.msg",
				  "unknown PPID"), 1);
	assert_int_equal(w.b.msgs, 0);
	tw_dispose(&w);
}

static void test_caps(void **state)
{
	struct tw w;
	uint16_t sid, first;
	uint8_t *big;

	up_pair(&w);
	assert_int_equal(sctp_dc_open(w.a.s, "c0", "", 1, 1, &first), 0);
	assert_true(tw_run(&w, a_opened));
	/* Over 256 KiB is refused locally... */
	big = calloc(1, SCTP_DC_MSG_MAX + 1);
	assert_non_null(big);
	assert_int_equal(sctp_dc_send(w.a.s, first, big, SCTP_DC_MSG_MAX + 1,
				      1), NP_EINVAL);
	/* ...and by the receiver when a peer sends it anyway. */
	assert_int_equal(sdc_sendv(w.a.s, first, DCEP_PPID_BINARY, big,
				   SCTP_DC_MSG_MAX + 1, 0, 0, 0), 0);
	assert_true(tw_run(&w, b_saw_oversize));
	/* Exactly the cap is delivered, and after the dropped one. */
	assert_int_equal(sctp_dc_send(w.a.s, first, big, SCTP_DC_MSG_MAX, 1),
			 0);
	assert_true(tw_run(&w, b_has_msgs));
	assert_int_equal(w.b.msgs, 1);
	assert_int_equal(w.b.last_len, SCTP_DC_MSG_MAX);
	free(big);
	/* The channel cap: 64 open, the 65th refused locally. */
	for (int i = 1; i < SCTP_DC_MAX_CHANNELS; i++)
		assert_int_equal(sctp_dc_open(w.a.s, "c", "", 1, 1, &sid), 0);
	assert_int_equal(sctp_dc_open(w.a.s, "c", "", 1, 1, &sid), NP_EFULL);
	assert_true(tw_run(&w, all_channels_open));
	/* A peer that ignores the cap is refused with an observation. */
	static const uint8_t open[] = { 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
					'z' };
	raw_dcep(&w, 200, open, sizeof(open));
	assert_true(tw_run(&w, b_saw_open_error));
	assert_int_equal(tw_count(&w, "b", OBS_ERROR, "dc.open",
				  "over the channel cap"), 1);
	assert_int_equal(w.b.opened, SCTP_DC_MAX_CHANNELS);
	/* A label over 256 bytes: refused locally. */
	char lab[SCTP_DC_LABEL_MAX + 2];

	memset(lab, 'l', sizeof(lab) - 1);
	lab[sizeof(lab) - 1] = 0;
	assert_int_equal(sctp_dc_open(w.a.s, lab, "", 1, 1, &sid), NP_EINVAL);
	tw_dispose(&w);
}

static void test_label_cap_from_peer(void **state)
{
	uint8_t open[DCEP_OPEN_HEADER + 300];
	struct dcep_open o = { 0 };
	uint8_t lab[300];
	struct tw w;
	size_t n;

	memset(lab, 'q', sizeof(lab));
	o.channel_type = DCEP_CHANNEL_RELIABLE;
	o.label = lab;
	o.label_len = sizeof(lab);
	assert_int_equal(dcep_open_encode(&o, open, sizeof(open), &n), 0);
	up_pair(&w);
	raw_dcep(&w, 10, open, n);
	assert_true(tw_run(&w, b_saw_open_error));
	assert_int_equal(tw_count(&w, "b", OBS_ERROR, "dc.open",
				  "over 256 bytes"), 1);
	assert_int_equal(w.b.opened, 0);
	tw_dispose(&w);
}

static void test_close_resets_the_stream(void **state)
{
	struct tw w;
	uint16_t sid;

	up_pair(&w);
	assert_int_equal(sctp_dc_open(w.a.s, "bye", "", 1, 1, &sid), 0);
	assert_true(tw_run(&w, a_opened));
	assert_int_equal(sctp_dc_close(w.a.s, sid), 0);
	assert_int_equal(sctp_dc_close(w.a.s, sid), NP_EINVAL);
	assert_true(tw_run(&w, both_closed));
	assert_int_equal(tw_count(&w, "b", OBS_NOTE, "dc.close",
				  "closed by the peer"), 1);
	assert_int_equal(tw_count(&w, "a", OBS_NOTE, "dc.close",
				  "closed by us"), 1);
	assert_int_equal(sctp_dc_send(w.a.s, sid, (const uint8_t *)"x", 1, 0),
			 NP_EINVAL);
	tw_dispose(&w);
}

static void test_abort_reaches_the_peer_and_usrsctp_restarts(void **state)
{
	struct tw w;

	up_pair(&w);
	tw_free_side(&w.a);
	assert_true(tw_run(&w, b_failed));
	assert_int_equal(tw_count(&w, "b", OBS_NOTE, "sctp.assoc",
				  "aborted"), 1);
	tw_dispose(&w);
	/* Every association is gone (usrsctp finished): a new pair works. */
	up_pair(&w);
	tw_dispose(&w);
}

static int b_counted_300(const struct tw *x)
{
	return x->b.s->peer_obs + x->b.s->peer_unrecorded >= 300;
}

/* A peer cannot grow the log without bound: refusals past the budget
 * are counted, with one note saying so. */
static void test_peer_observation_budget(void **state)
{
	static const uint8_t unknown[] = { 0x07 };
	struct tw w;

	up_pair(&w);
	for (int i = 0; i < 300; i++)
		raw_dcep(&w, 40, unknown, sizeof(unknown));
	assert_true(tw_run(&w, b_counted_300));
	assert_int_equal(tw_count(&w, "b", OBS_MALFORMED, "dc.dcep", NULL),
			 SCTP_DC_PEER_OBS);
	assert_int_equal(tw_count(&w, "b", OBS_NOTE, "dc.budget", NULL), 1);
	assert_int_equal(w.b.s->peer_unrecorded, 300 - SCTP_DC_PEER_OBS);
	assert_true(sctp_dc_is_up(w.b.s));
	tw_dispose(&w);
}

/* Without an echoing peer the probe ends after its drain time (2 s) and
 * says what is missing. */
static void test_probe_without_echo_times_out(void **state)
{
	struct sctp_dc_probe_stats st;
	struct tw w;
	uint16_t sid;

	up_pair(&w);
	assert_int_equal(sctp_dc_open(w.a.s, "p", "", 1, 1, &sid), 0);
	assert_true(tw_run(&w, a_opened));
	assert_int_equal(sctp_dc_probe_start(w.a.s, sid, 3, 32, 1000), 0);
	assert_true(tw_run(&w, probe_done));
	sctp_dc_probe_stats(w.a.s, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.received, 0);
	assert_int_equal(tw_count(&w, "a", OBS_TIMEOUT, "dc.probe",
				  "3 of 3 messages (32 bytes) sent, 0 echoed"),
			 1);
	/* b saw them as ordinary binary messages. */
	assert_int_equal(w.b.msgs, 3);
	assert_int_equal(w.b.last_len, 32);
	assert_memory_equal(w.b.last, "NPDC", 4);
	tw_dispose(&w);
}

static int both_failed(const struct tw *x)
{
	return x->a.failed && x->b.failed;
}

/* Every packet lost: INIT goes unanswered and the association fails
 * with a reason. The RTO is shortened on the live associations (200 ms,
 * not doubled) so the 8 INIT tries take about 2.5 s, not 27 s. */
static void test_unanswered_init_fails_with_reason(void **state)
{
	struct sctp_rtoinfo rto = { .srto_assoc_id = SCTP_ALL_ASSOC,
				    .srto_initial = 200, .srto_max = 200,
				    .srto_min = 200 };
	struct tw w;

	tw_init(&w);
	w.a.drop = w.b.drop = 1;
	assert_int_equal(tw_new(&w), 0);
	assert_int_equal(usrsctp_setsockopt(w.a.s->sock, IPPROTO_SCTP,
					    SCTP_RTOINFO, &rto, sizeof(rto)), 0);
	assert_int_equal(usrsctp_setsockopt(w.b.s->sock, IPPROTO_SCTP,
					    SCTP_RTOINFO, &rto, sizeof(rto)), 0);
	assert_true(tw_run(&w, both_failed));
	assert_int_equal(w.a.fail_err, NP_ETIMEOUT);
	assert_non_null(strstr(w.a.reason, "could not start"));
	assert_int_equal(tw_count(&w, "a", OBS_TIMEOUT, "sctp.assoc",
				  "could not start"), 1);
	assert_false(w.a.up || w.b.up);
	/* At least the 8 INIT tries (sinit_max_attempts) went out. */
	assert_true(w.a.pkts >= 8);
	tw_dispose(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_association_comes_up_on_both_sides),
		cmocka_unit_test(test_open_from_either_side_with_ack),
		cmocka_unit_test(test_messages_both_ways_with_ppids),
		cmocka_unit_test(test_probe_measures_rtt_against_echo),
		cmocka_unit_test(test_malformed_dcep_is_refused_with_observation),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_label_cap_from_peer),
		cmocka_unit_test(test_close_resets_the_stream),
		cmocka_unit_test(test_abort_reaches_the_peer_and_usrsctp_restarts),
		cmocka_unit_test(test_peer_observation_budget),
		cmocka_unit_test(test_unanswered_init_fails_with_reason),
		cmocka_unit_test(test_probe_without_echo_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
