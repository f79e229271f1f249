/*
 * test_media_probe.c - two probe streams (probe/media_probe.c) back to
 * back in memory, under a fake clock, with real SRTP keys (made by hand
 * with matching client and server halves for each of the four DTLS-SRTP
 * profiles, and once from a real DTLS handshake). A link between them
 * delays, drops, reorders or tampers with datagrams in a fixed pattern,
 * and each test checks a figure both ends compute: RTT from RTCP LSR/DLSR
 * and from echoed probes, loss from the sender's receiver reports and the
 * receiver's sequence gaps, A.8 jitter, reordering, SRTP failures. The
 * link and the clock are in tests/media_test_util.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dtls.h"
#include "dtls_test_util.h"
#include "media_probe.h"
#include "media_test_util.h"
#include "np_err.h"

static void one_profile_flows(int profile)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "alice"),
			       cb = base_cfg(SSRC_B, "bob");
	struct media_stats sa, sb;
	const struct media_ssrc_stats *ra, *rb;

	net_init(&n, profile);
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	assert_true(media_probe_done(n.a) && media_probe_done(n.b));
	media_probe_stats(n.a, &sa);
	media_probe_stats(n.b, &sb);
	/* 2 s at 50 packets/s, each way. */
	assert_int_equal(sa.sent_packets, 100);
	assert_int_equal(sb.sent_packets, 100);
	assert_int_equal(sa.sent_octets, 100 * 160);
	assert_true(sa.sent_rtcp >= 3);
	/* Every packet authenticated at the other end, none failed. */
	rb = rx_of(&sb, SSRC_A);
	ra = rx_of(&sa, SSRC_B);
	assert_non_null(rb);
	assert_non_null(ra);
	assert_int_equal(rb->srtp_ok, 100);
	assert_int_equal(ra->srtp_ok, 100);
	assert_int_equal(rb->srtp_auth_fail + rb->srtp_replay + rb->srtp_malformed, 0);
	assert_true(rb->srtcp_ok >= 3);
	assert_int_equal(rb->srtcp_failed, 0);
	assert_int_equal(sa.in_failed + sb.in_failed, 0);
	assert_int_equal(rb->received, 100);
	assert_int_equal(rb->expected, 100);
	assert_int_equal(rb->lost, 0);
	assert_int_equal(rb->reordered, 0);
	assert_string_equal(rb->cname, "alice");
	assert_string_equal(ra->cname, "bob");
	assert_true(rb->bye);
	assert_true(rb->have_sr);
	assert_int_equal(rb->sr_packets, 100);
	/* 160 bytes 50 times a second: 64 kbit/s. */
	assert_in_range(rb->throughput_bps, 63000, 66000);
	/* RTT from LSR/DLSR: 10 ms each way (NTP short format: 15 µs). */
	assert_true(sa.rtt_rtcp_n >= 1 && sb.rtt_rtcp_n >= 1);
	assert_in_range(sa.rtt_rtcp_last_us, 19900, 20100);
	assert_in_range(sb.rtt_rtcp_min_us, 19900, 20100);
	assert_int_equal(sa.peer_cum_lost, 0);
	/* B does not echo: no echo round trips. */
	assert_int_equal(sa.echo_returned, 0);
	net_dispose(&n);
}

static void test_packets_flow_both_ways_and_authenticate_for_each_profile(void **state)
{
	one_profile_flows(DTLS_SRTP_AES128_CM_SHA1_80);
	one_profile_flows(DTLS_SRTP_AES128_CM_SHA1_32);
	one_profile_flows(DTLS_SRTP_AEAD_AES_128_GCM);
	one_profile_flows(DTLS_SRTP_AEAD_AES_256_GCM);
}

static void test_keys_from_a_real_dtls_handshake_work(void **state)
{
	struct tpair p;
	struct dtls_config cc = {
		.profiles = dtls_srtp_profile_name(DTLS_SRTP_AEAD_AES_128_GCM) };
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	struct media_stats sb;

	net_init(&n, DTLS_SRTP_AEAD_AES_128_GCM);
	tpair_init(&p);
	assert_int_equal(tpair_new(&p, &cc, NULL, NULL, NULL), 0);
	assert_true(tpair_run(&p));
	assert_int_equal(dtls_srtp_keys(p.c.d, &n.ka), 0);
	assert_int_equal(dtls_srtp_keys(p.s.d, &n.kb), 0);
	tpair_dispose(&p);
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	media_probe_stats(n.b, &sb);
	assert_int_equal(rx_of(&sb, SSRC_A)->srtp_ok, 100);
	assert_int_equal(sb.in_failed, 0);
	net_dispose(&n);
}

static void test_every_tenth_packet_dropped_is_ten_percent_loss_both_views(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	struct media_stats sa, sb;
	const struct media_ssrc_stats *rb;

	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_80);
	n.drop_every = 10;
	ca.duration_us = cb.duration_us = 10000000;   /* 500 packets */
	net_new(&n, &ca, &cb);
	net_run(&n, 20000000);
	media_probe_stats(n.a, &sa);
	media_probe_stats(n.b, &sb);
	assert_int_equal(sa.sent_packets, 500);
	assert_int_equal(n.dropped, 50);
	rb = rx_of(&sb, SSRC_A);
	assert_non_null(rb);
	/* The receiver's view, from sequence gaps. */
	assert_true(rb->loss_pct >= 9.0 && rb->loss_pct <= 11.0);
	/* 50 dropped; the last one is invisible (nothing follows it). */
	assert_int_equal(rb->lost, 49);
	assert_int_equal(rb->expected, 499);
	/* The sender's, from the receiver reports: the same count. */
	assert_true(sa.peer_reports >= 10);
	assert_int_equal(sa.peer_cum_lost, rb->lost);
	assert_true(sa.peer_loss_pct >= 9.0 && sa.peer_loss_pct <= 11.0);
	assert_true(find_obs(&n, "media.rx", "loss=10.") ||
		    find_obs(&n, "media.rx", "loss=9."));
	/* The other direction lost nothing. */
	assert_int_equal(rx_of(&sa, SSRC_B)->lost, 0);
	assert_true(sb.peer_reports >= 10);
	assert_int_equal(sb.peer_cum_lost, 0);
	net_dispose(&n);
}

/* The fraction in a busy interval: from a periodic report seen mid-run. */
static void test_fraction_lost_per_interval_is_about_a_tenth(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	struct media_stats sa;
	uint64_t end;

	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_80);
	n.drop_every = 10;
	ca.duration_us = cb.duration_us = 10000000;
	net_new(&n, &ca, &cb);
	assert_int_equal(media_probe_start(n.a), 0);
	assert_int_equal(media_probe_start(n.b), 0);
	/* Up to 5.5 s: B's RRs at 2..5 s cover full intervals. */
	for (end = n.clock + 5500000; n.clock < end; n.clock += 1000) {
		np_loop_run_once(n.loop, 0);
		deliver(&n);
	}
	media_probe_stats(n.a, &sa);
	assert_in_range(sa.peer_fraction_lost, 20, 31);
	net_dispose(&n);
}

static void test_delayed_packet_counts_as_reordered(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	struct media_stats sb;
	const struct media_ssrc_stats *rb;

	net_init(&n, DTLS_SRTP_AEAD_AES_256_GCM);
	n.late_index = 20;
	n.late_us = 50000;   /* behind the next two packets */
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	media_probe_stats(n.b, &sb);
	rb = rx_of(&sb, SSRC_A);
	assert_int_equal(rb->reordered, 1);
	assert_int_equal(rb->lost, 0);
	assert_int_equal(rb->srtp_ok, 100);
	assert_int_equal(rx_of(&sb, SSRC_A)->srtp_replay, 0);
	net_dispose(&n);
}

static void test_jitter_is_zero_for_constant_delay_and_positive_for_varying(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	struct media_stats sa, sb;

	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_80);
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	media_probe_stats(n.a, &sa);
	media_probe_stats(n.b, &sb);
	assert_int_equal(rx_of(&sb, SSRC_A)->jitter_us, 0);
	assert_int_equal(sa.peer_jitter_us, 0);
	net_dispose(&n);

	/* 10 ms and 25 ms alternately: |D| is 15 ms every packet, so the
	 * A.8 estimate climbs towards 15 ms. */
	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_80);
	n.delay2_us = 25000;
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	media_probe_stats(n.a, &sa);
	media_probe_stats(n.b, &sb);
	assert_in_range(rx_of(&sb, SSRC_A)->jitter_us, 10000, 15100);
	assert_in_range(sa.peer_jitter_us, 10000, 15100);
	assert_int_equal(rx_of(&sb, SSRC_A)->reordered, 0);
	/* The other direction is still constant. */
	assert_int_equal(rx_of(&sa, SSRC_B)->jitter_us, 0);
	net_dispose(&n);
}

static void test_tampered_packets_are_counted_as_failed_not_received(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	struct media_stats sb;
	const struct media_ssrc_stats *rb, *rs;
	uint8_t junk[60] = { 0x80, 111, 0, 1, 0, 0, 0, 1, 0xDE, 0xAD, 0xBE, 0xEF };

	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_32);
	n.tamper_every = 5;
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	media_probe_stats(n.b, &sb);
	assert_int_equal(n.tampered, 20);
	rb = rx_of(&sb, SSRC_A);
	assert_int_equal(rb->srtp_auth_fail, 20);
	assert_int_equal(rb->srtp_ok, 80);
	/* Only authenticated packets are received: the rest are missing
	 * (the last one tampered is past the highest sequence number). */
	assert_int_equal(rb->received, 80);
	assert_int_equal(rb->lost, 19);
	assert_true(rb->loss_pct >= 18.0 && rb->loss_pct <= 22.0);
	assert_int_equal(rb->octets, rb->received * 160);
	assert_int_equal(sb.in_failed, 20);
	net_dispose(&n);

	/* A packet from no one who has the keys, under an SSRC of its own. */
	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_32);
	net_new(&n, &ca, &cb);
	assert_int_equal(media_probe_start(n.b), 0);
	assert_int_equal(media_probe_input(n.b, junk, sizeof(junk)), NP_EINVAL);
	media_probe_stats(n.b, &sb);
	assert_int_equal(sb.in_failed, 1);
	rs = rx_of(&sb, 0xDEADBEEF);
	assert_non_null(rs);
	assert_int_equal(rs->srtp_auth_fail, 1);
	assert_int_equal(rs->received, 0);
	/* Not RTP or RTCP at all (a STUN first byte). */
	junk[0] = 0x00;
	assert_int_equal(media_probe_input(n.b, junk, sizeof(junk)), NP_EINVAL);
	media_probe_stats(n.b, &sb);
	assert_int_equal(sb.in_other, 1);
	net_dispose(&n);
}

static void test_echo_mode_returns_what_it_got(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "echo");
	struct media_stats sa, sb;

	net_init(&n, DTLS_SRTP_AEAD_AES_128_GCM);
	cb.echo = 1;
	cb.duration_us = 0;
	assert_int_equal(srtp_session_new(&n.kb, &n.tap_ab), 0);
	assert_int_equal(srtp_session_new(&n.ka, &n.tap_ba), 0);
	net_new(&n, &ca, &cb);
	assert_int_equal(media_probe_start(n.a), 0);
	assert_int_equal(media_probe_start(n.b), 0);
	while (!media_probe_done(n.a) && n.clock < 1000000000ull + 10000000) {
		n.clock += 1000;
		np_loop_run_once(n.loop, 0);
		deliver(&n);
	}
	media_probe_stop(n.b);
	assert_true(media_probe_done(n.b));
	media_probe_stop(n.b);   /* again: nothing more happens */
	/* After the end, input is ignored: the summary stands. */
	media_probe_stats(n.b, &sb);
	assert_true(n.nq >= 1);      /* the last compounds, in flight */
	for (size_t i = 0; i < n.nq; i++)
		assert_int_equal(media_probe_input(n.b, n.q[i].buf, n.q[i].len), 0);
	{
		struct media_stats again;

		media_probe_stats(n.b, &again);
		assert_int_equal(again.in_rtcp, sb.in_rtcp);
		assert_int_equal(again.in_rtp, sb.in_rtp);
		assert_int_equal(again.in_failed, sb.in_failed);
	}
	media_probe_stats(n.a, &sa);
	media_probe_stats(n.b, &sb);
	assert_int_equal(sa.sent_packets, 100);
	assert_int_equal(sb.echoed, 100);
	assert_int_equal(sb.sent_packets, 100);
	/* Every probe came back, 10 ms each way. */
	assert_int_equal(sa.echo_returned, 100);
	assert_int_equal(sa.rtt_echo_n, 100);
	assert_int_equal(sa.rtt_echo_min_us, 20000);
	assert_int_equal(sa.rtt_echo_max_us, 20000);
	assert_true(sa.echo_loss_pct == 0.0);
	/* What came back is what went, in B's stream. */
	assert_int_equal(n.ntap_ab, 100);
	assert_int_equal(n.ntap_ba, 100);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(n.plen_ba[i], n.plen_ab[i]);
		assert_memory_equal(n.pl_ba[i], n.pl_ab[i], 64);
		assert_int_equal(n.ssrc_ba[i], SSRC_B);
	}
	/* And A measured B's stream like any other. */
	assert_int_equal(rx_of(&sa, SSRC_B)->srtp_ok, 100);
	assert_non_null(find_obs(&n, "media", "echo_back=100"));
	net_dispose(&n);
}

static void test_observations_carry_the_figures(void **state)
{
	struct net n;
	struct media_probe_cfg ca = base_cfg(SSRC_A, "a"), cb = base_cfg(SSRC_B, "b");
	const struct obs *o;

	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_80);
	net_new(&n, &ca, &cb);
	net_run(&n, 10000000);
	assert_non_null(find_obs(&n, "media.start", "ssrc=aaaa0001"));
	assert_non_null(find_obs(&n, "media.stats", "ssrc=aaaa0001 sent="));
	assert_non_null(find_obs(&n, "media.ssrc", "ssrc=aaaa0001 cname=a"));
	assert_non_null(find_obs(&n, "media.bye", "ssrc=aaaa0001"));
	o = find_obs(&n, "media", "summary ssrc=aaaa0001 sent=100");
	assert_non_null(o);
	assert_true(o->has & OBS_HAS_RTT);
	assert_in_range(o->rtt_us, 19900, 20100);
	assert_non_null(find_obs(&n, "media.rx", "summary ssrc=aaaa0001"));
	assert_non_null(find_obs(&n, "media.rx", "received="));
	net_dispose(&n);
}

static void test_rejects_bad_configuration(void **state)
{
	struct net n;
	struct media_probe_cfg c = base_cfg(SSRC_A, "a");
	struct media_probe *mp;

	net_init(&n, DTLS_SRTP_AES128_CM_SHA1_80);
	c.payload_len = MEDIA_HDR_LEN - 1;
	assert_int_equal(media_probe_new(&n.ctx, &n.ka, &c, link_send, &n.ea, &mp),
			 NP_EINVAL);
	assert_null(mp);
	c = base_cfg(SSRC_A, "a");
	c.pt = 72;   /* would read as RTCP SR with the marker bit (RFC 5761) */
	assert_int_equal(media_probe_new(&n.ctx, &n.ka, &c, link_send, &n.ea, &mp),
			 NP_EINVAL);
	c = base_cfg(SSRC_A, "a");
	n.ka.profile = 0x1234;
	assert_int_equal(media_probe_new(&n.ctx, &n.ka, &c, link_send, &n.ea, &mp),
			 NP_EINVAL);
	/* Routing by payload type: RTP of our PT and all RTCP are ours. */
	make_keys(DTLS_SRTP_AES128_CM_SHA1_80, &n.ka, &n.kb);
	c = base_cfg(SSRC_A, "a");
	c.kind = MEDIA_VIDEO;
	c.pt = 96;
	assert_int_equal(media_probe_new(&n.ctx, &n.ka, &c, link_send, &n.ea, &mp), 0);
	{
		uint8_t rtp[20] = { 0x80, 96 }, rtcp[20] = { 0x80, RTCP_RR };

		assert_true(media_probe_wants(mp, rtp, sizeof(rtp)));
		rtp[1] = 0x80 | 96;   /* marker set */
		assert_true(media_probe_wants(mp, rtp, sizeof(rtp)));
		rtp[1] = 111;
		assert_false(media_probe_wants(mp, rtp, sizeof(rtp)));
		assert_true(media_probe_wants(mp, rtcp, sizeof(rtcp)));
		rtcp[0] = 0x16;       /* DTLS */
		assert_false(media_probe_wants(mp, rtcp, sizeof(rtcp)));
	}
	media_probe_free(mp);
	/* Defaults: 0 means 160-byte payloads at 50/s, a random SSRC. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(media_probe_new(&n.ctx, &n.ka, &c, link_send, &n.ea, &mp), 0);
	{
		struct media_stats st;

		media_probe_stats(mp, &st);
		assert_int_not_equal(st.ssrc, 0);
		assert_int_equal(st.sent_packets, 0);
	}
	media_probe_free(mp);
	net_dispose(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packets_flow_both_ways_and_authenticate_for_each_profile),
		cmocka_unit_test(test_keys_from_a_real_dtls_handshake_work),
		cmocka_unit_test(test_every_tenth_packet_dropped_is_ten_percent_loss_both_views),
		cmocka_unit_test(test_fraction_lost_per_interval_is_about_a_tenth),
		cmocka_unit_test(test_delayed_packet_counts_as_reordered),
		cmocka_unit_test(test_jitter_is_zero_for_constant_delay_and_positive_for_varying),
		cmocka_unit_test(test_tampered_packets_are_counted_as_failed_not_received),
		cmocka_unit_test(test_echo_mode_returns_what_it_got),
		cmocka_unit_test(test_observations_carry_the_figures),
		cmocka_unit_test(test_rejects_bad_configuration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
