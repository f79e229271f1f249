/*
 * test_rtp.c - RTP and RTCP (probe/rtp.c, probe/rtp_stats.c): the RFC
 * 3550 header with CSRCs, extension and padding, and what does not fit;
 * compound RTCP built and read back (SR with report blocks, RR, SDES
 * CNAME, BYE), the A.2 validity rules, RFC 5506 reduced size; receiver
 * statistics: loss and fraction (A.3), jitter (A.8), wrap-around and
 * reordering (A.1), and the round trip from LSR/DLSR (§6.4.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "np_err.h"
#include "np_rd.h"
#include "rtp.h"

static void test_parses_header_with_csrc_extension_and_padding(void **state)
{
	static const uint8_t pkt[] = {
		0xB2, 0xE0, 0x12, 0x34,       /* V2 P X CC=2, M PT=96, seq */
		0x00, 0x00, 0x03, 0xC0,       /* timestamp 960 */
		0xDE, 0xAD, 0xBE, 0xEF,       /* SSRC */
		0x00, 0x00, 0x00, 0x01,       /* CSRC 1 */
		0x00, 0x00, 0x00, 0x02,       /* CSRC 2 */
		0xBE, 0xDE, 0x00, 0x01,       /* extension, 1 word */
		0x10, 0xAA, 0x00, 0x00,
		'h', 'i', 0x00, 0x02,         /* payload "hi", 2 padding */
	};
	struct rtp_hdr h;

	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.csrc_count, 2);
	assert_int_equal(h.csrc[1], 2);
	assert_true(h.marker);
	assert_int_equal(h.pt, 96);
	assert_int_equal(h.seq, 0x1234);
	assert_int_equal(h.ts, 960);
	assert_int_equal(h.ssrc, 0xDEADBEEF);
	assert_int_equal(h.ext_profile, 0xBEDE);
	assert_int_equal(h.ext_len, 4);
	assert_int_equal(h.hdr_len, 28);
	assert_int_equal(h.payload_len, 2);
	assert_memory_equal(h.payload, "hi", 2);
	assert_int_equal(h.pad_len, 2);

	/* Each cut short is refused, never read past. */
	for (size_t n = 0; n < 28; n++)
		assert_int_equal(rtp_parse(pkt, n, &h), NP_ETRUNCATED);
}

static void test_rejects_bad_version_and_padding(void **state)
{
	uint8_t pkt[16] = { 0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			    1, 2, 3, 4 };
	struct rtp_hdr h;

	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	pkt[0] = 0x40;                                    /* version 1 */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), NP_EINVAL);
	pkt[0] = 0xA0;                                    /* P set */
	pkt[15] = 0;                                      /* count 0 */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), NP_EINVAL);
	pkt[15] = 5;                                      /* > payload */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), NP_ETRUNCATED);
	pkt[15] = 4;                                      /* all padding */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(rtp_parse(pkt, 12, &h), NP_ETRUNCATED);
}

static void test_build_then_parse_round_trip(void **state)
{
	uint8_t buf[64], ext[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rtp_hdr in = { .marker = 1, .pt = 111, .seq = 65535,
			      .ts = 0xFFFFFFF0, .ssrc = 42, .csrc_count = 1,
			      .csrc = { 7 }, .extension = 1,
			      .ext_profile = 0xBEDE, .ext = ext,
			      .ext_len = 8 }, out;
	struct np_wr w;

	np_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rtp_build(&w, &in, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(w.len, 12 + 4 + 4 + 8 + 3);
	assert_int_equal(rtp_parse(buf, w.len, &out), 0);
	assert_int_equal(out.seq, 65535);
	assert_int_equal(out.ts, 0xFFFFFFF0);
	assert_int_equal(out.csrc[0], 7);
	assert_memory_equal(out.ext, ext, 8);
	assert_int_equal(out.payload_len, 3);
	/* Overflow is reported. */
	np_wr_init(&w, buf, 20);
	assert_int_equal(rtp_build(&w, &in, (const uint8_t *)"abc", 3), NP_ENOSPACE);
}

static void test_compound_rtcp_round_trip(void **state)
{
	uint8_t buf[512];
	struct np_wr w;
	struct rtcp_sr sr = { .ssrc = 0x11111111, .ntp = 0xE1234567890ABCDEull,
			      .rtp_ts = 48000, .packets = 100, .octets = 16000 };
	struct rtcp_block b[2] = {
		{ .ssrc = 0x22222222, .fraction_lost = 25, .cum_lost = -5,
		  .ext_high_seq = 70000, .jitter = 12, .lsr = 0xABCD1234,
		  .dlsr = 65536 },
		{ .ssrc = 0x33333333, .cum_lost = 0x7FFFFF },
	};
	struct rtcp_compound c;

	np_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rtcp_build_sr(&w, &sr, b, 2), 0);
	assert_int_equal(rtcp_build_sdes_cname(&w, sr.ssrc, "natprobe@lab"), 0);
	assert_int_equal(rtcp_build_bye(&w, sr.ssrc), 0);
	assert_int_equal(w.len % 4, 0);
	assert_int_equal(rtcp_parse(buf, w.len, &c), 0);
	assert_int_equal(c.n_packets, 3);
	assert_int_equal(c.types[0], RTCP_SR);
	assert_int_equal(c.types[1], RTCP_SDES);
	assert_false(c.reduced_size);
	assert_true(c.has_sr);
	assert_int_equal(c.sr.ntp, sr.ntp);
	assert_int_equal(c.sr.octets, 16000);
	assert_int_equal(c.n_blocks, 2);
	assert_int_equal(c.blocks[0].cum_lost, -5);
	assert_int_equal(c.blocks[0].fraction_lost, 25);
	assert_int_equal(c.blocks[0].lsr, 0xABCD1234);
	assert_int_equal(c.blocks[1].cum_lost, 0x7FFFFF);
	assert_string_equal(c.cname, "natprobe@lab");
	assert_true(c.has_bye);

	/* RR alone. */
	np_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rtcp_build_rr(&w, 9, b, 1), 0);
	assert_int_equal(w.len, 8 + 24);
	assert_int_equal(rtcp_parse(buf, w.len, &c), 0);
	assert_true(c.has_rr);
	assert_int_equal(c.rr_ssrc, 9);
	assert_int_equal(c.blocks[0].ext_high_seq, 70000);

	/* Every shorter cut is refused (lengths must add up exactly). */
	for (size_t n = 0; n < w.len; n++)
		assert_int_not_equal(rtcp_parse(buf, n, &c), 0);
}

static void test_rtcp_validity_rules(void **state)
{
	uint8_t buf[128];
	struct np_wr w;
	struct rtcp_compound c;
	static const uint8_t pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2 };

	np_wr_init(&w, buf, sizeof(buf));
	rtcp_build_rr(&w, 1, NULL, 0);
	rtcp_build_bye(&w, 1);
	/* Padding on the first of two packets (A.2). */
	buf[0] |= 0x20;
	assert_int_equal(rtcp_parse(buf, w.len, &c), NP_EINVAL);
	buf[0] &= ~0x20;
	/* Version 1 in the second packet. */
	buf[8] = (uint8_t)((buf[8] & 0x3F) | 0x40);
	assert_int_equal(rtcp_parse(buf, w.len, &c), NP_EINVAL);
	buf[8] = (uint8_t)((buf[8] & 0x3F) | 0x80);
	/* A type outside 192-223. */
	buf[9] = 150;
	assert_int_equal(rtcp_parse(buf, w.len, &c), NP_EINVAL);
	buf[9] = RTCP_BYE;
	assert_int_equal(rtcp_parse(buf, w.len, &c), 0);
	/* A report count larger than the packet holds. */
	buf[0] = 0x81;
	assert_int_equal(rtcp_parse(buf, w.len, &c), NP_ETRUNCATED);
	/* RFC 5506 reduced size: a PLI alone is accepted and flagged. */
	assert_int_equal(rtcp_parse(pli, sizeof(pli), &c), 0);
	assert_true(c.reduced_size);
	assert_int_equal(c.feedback, 1);
}

static void test_loss_and_fraction_lost(void **state)
{
	struct rtp_source s;
	struct rtcp_block b;
	static const uint16_t seqs[] = { 1, 2, 3, 4, 7, 8, 9, 10 };

	rtp_source_init(&s, 5, 1);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		rtp_source_update(&s, seqs[i], seqs[i] * 160u, seqs[i] * 160u, 10);
	rtp_source_report(&s, 0, &b);
	/* A.1 probation: counting starts at the second packet (base 2):
	 * expected 2..10 = 9, received 7, lost 2, fraction 2*256/9. */
	assert_int_equal(b.ext_high_seq, 10);
	assert_int_equal(b.cum_lost, 2);
	assert_int_equal(b.fraction_lost, 2 * 256 / 9);
	/* Nothing new: the next interval has no loss. */
	rtp_source_update(&s, 11, 11 * 160u, 11 * 160u, 10);
	rtp_source_report(&s, 0, &b);
	assert_int_equal(b.fraction_lost, 0);
	assert_int_equal(b.cum_lost, 2);
}

static void test_wrap_and_reordering(void **state)
{
	struct rtp_source s;
	struct rtcp_block b;
	static const uint16_t seqs[] = { 65533, 65534, 65535, 1, 0, 2 };

	rtp_source_init(&s, 5, 65533);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		rtp_source_update(&s, seqs[i], 0, 0, 10);
	rtp_source_report(&s, 0, &b);
	assert_int_equal(b.ext_high_seq, 65536 + 2);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(b.cum_lost, 0);
}

static void test_jitter_follows_a8(void **state)
{
	struct rtp_source s;
	struct rtcp_block b;

	rtp_source_init(&s, 5, 1);
	/* Constant transit: no jitter. */
	for (uint16_t q = 1; q <= 10; q++)
		rtp_source_update(&s, q, q * 160u, q * 160u + 1000, 10);
	rtp_source_report(&s, 0, &b);
	assert_int_equal(b.jitter, 0);
	/* One packet 160 units late: J = 160/16 = 10. */
	rtp_source_update(&s, 11, 11 * 160u, 11 * 160u + 1160, 10);
	rtp_source_report(&s, 0, &b);
	assert_int_equal(b.jitter, 10);
	/* Back on time: |D| = 160 again, J += (160 - 10) / 16. */
	rtp_source_update(&s, 12, 12 * 160u, 12 * 160u + 1000, 10);
	rtp_source_report(&s, 0, &b);
	assert_int_equal(b.jitter, (160 + 160 - ((160 + 8) >> 4)) >> 4);
}

static void test_rtt_from_lsr_and_dlsr(void **state)
{
	struct rtp_source s;
	struct rtcp_block b;
	uint64_t t0 = 1700000000000000ull;          /* µs since 1970 */
	uint64_t ntp0 = rtp_ntp_from_us(t0);
	uint32_t rtt;

	assert_int_equal(rtp_ntp_from_us(0) >> 32, 2208988800ull);
	assert_int_equal((uint32_t)rtp_ntp_from_us(500000), 0x80000000u);
	/* The peer got our SR at t0 and reports 250 ms later; the block
	 * reaches us 30 ms after that (plus the SR's own 30 ms out). */
	rtp_source_init(&s, 5, 1);
	rtp_source_got_sr(&s, ntp0, t0);
	rtp_source_report(&s, t0 + 250000, &b);
	assert_int_equal(b.lsr, rtp_ntp_mid(ntp0));
	assert_int_equal(b.dlsr, 16384);
	rtt = rtcp_rtt_us(rtp_ntp_from_us(t0 + 250000 + 30000), &b);
	assert_true(rtt >= 29900 && rtt <= 30100);
	/* No SR yet: no RTT. */
	b.lsr = 0;
	assert_int_equal(rtcp_rtt_us(ntp0, &b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_header_with_csrc_extension_and_padding),
		cmocka_unit_test(test_rejects_bad_version_and_padding),
		cmocka_unit_test(test_build_then_parse_round_trip),
		cmocka_unit_test(test_compound_rtcp_round_trip),
		cmocka_unit_test(test_rtcp_validity_rules),
		cmocka_unit_test(test_loss_and_fraction_lost),
		cmocka_unit_test(test_wrap_and_reordering),
		cmocka_unit_test(test_jitter_follows_a8),
		cmocka_unit_test(test_rtt_from_lsr_and_dlsr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
