/*
 * test_dissect.c - capture reading (probe/capture_read.c), dissection
 * (analyzers/dissect*.c) and the capture summary
 * (analyzers/capture_summary.c, capture_findings.c): every link type,
 * every RFC 7983 demux branch, snaplen-cut and malformed input, RTP loss,
 * wrap and jitter, and the observations a capture turns into.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture_read.h"
#include "capture_summary.h"
#include "dissect.h"
#include "np_err.h"
#include "np_rd.h"
#include "stun_codec.h"

/* ---- packet builders ---- */

static size_t ip4_udp(uint8_t *out, const void *payload, size_t n,
		      uint16_t sport, uint16_t dport)
{
	uint8_t *p = out;
	size_t total = 20 + 8 + n;

	memset(p, 0, 28);
	p[0] = 0x45;
	np_put16(p + 2, (uint16_t)total);
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	p[12] = 192; p[13] = 0; p[14] = 2; p[15] = 1;   /* 192.0.2.1 */
	p[16] = 198; p[17] = 51; p[18] = 100; p[19] = 7;
	np_put16(p + 20, sport);
	np_put16(p + 22, dport);
	np_put16(p + 24, (uint16_t)(8 + n));
	memcpy(p + 28, payload, n);
	return total;
}

static size_t with_link(int lt, uint8_t *out, const uint8_t *ip, size_t n,
			int vlan)
{
	size_t h = 0;

	switch (lt) {
	case CAP_LINKTYPE_ETHERNET:
		memset(out, 0x11, 12);
		h = 12;
		if (vlan) {
			np_put16(out + h, 0x8100);
			np_put16(out + h + 2, 42);
			h += 4;
		}
		np_put16(out + h, (ip[0] >> 4) == 6 ? 0x86DD : 0x0800);
		h += 2;
		break;
	case CAP_LINKTYPE_LINUX_SLL:
		memset(out, 0, 14);
		np_put16(out + 14, 0x0800);
		h = 16;
		break;
	case CAP_LINKTYPE_LINUX_SLL2:
		memset(out, 0, 20);
		np_put16(out, 0x0800);
		h = 20;
		break;
	case CAP_LINKTYPE_NULL:
		out[0] = 2; out[1] = out[2] = out[3] = 0;   /* host order (LE) */
		h = 4;
		break;
	case CAP_LINKTYPE_LOOP:
		np_put32(out, 2);
		h = 4;
		break;
	}
	memcpy(out + h, ip, n);
	return h + n;
}

static size_t stun_binding(uint8_t *buf, size_t cap, uint8_t cls, uint8_t tidb,
			   int ice)
{
	struct stun_enc w;
	uint8_t tid[STUN_TID_LEN];
	size_t len = 0;

	memset(tid, tidb, sizeof(tid));
	stun_enc_begin(&w, buf, cap, STUN_BINDING, cls, tid);
	if (ice) {
		stun_enc_str(&w, STUN_ATTR_USERNAME, "ab:cd");
		stun_enc_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
		stun_enc_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	}
	if (cls == STUN_SUCCESS) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(40000) };

		inet_pton(AF_INET, "203.0.113.9", &sin.sin_addr);
		stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&sin);
	}
	if (cls == STUN_ERROR)
		stun_enc_error(&w, 487, "Role Conflict");
	assert_int_equal(stun_enc_end(&w, &len), 0);
	return len;
}

/* ---- link layers ---- */

static void check_link(int lt, int vlan)
{
	uint8_t st[128], ip[256], frame[300];
	size_t sn = stun_binding(st, sizeof(st), STUN_REQUEST, 1, 0);
	size_t n = ip4_udp(ip, st, sn, 5000, 3478);
	size_t fn = with_link(lt, frame, ip, n, vlan);
	struct dissect_pkt d;
	struct dissect_app_info ai;

	assert_int_equal(dissect_packet(lt, frame, (uint32_t)fn, (uint32_t)fn, &d), 0);
	assert_false(d.malformed);
	assert_int_equal(d.family, AF_INET);
	assert_int_equal(d.l4, DS_L4_UDP);
	assert_int_equal(np_addr_port(&d.src), 5000);
	assert_int_equal(np_addr_port(&d.dst), 3478);
	assert_int_equal(d.payload_len, sn);
	dissect_app(d.payload, d.payload_len, d.payload_claimed, &ai);
	assert_int_equal(ai.app, DS_STUN);
	assert_true(ai.stun_ok);
	assert_int_equal(ai.stun.method, STUN_BINDING);
}

static void test_every_link_type_reaches_the_stun_payload(void **state)
{
	check_link(CAP_LINKTYPE_ETHERNET, 0);
	check_link(CAP_LINKTYPE_ETHERNET, 1);
	check_link(CAP_LINKTYPE_LINUX_SLL, 0);
	check_link(CAP_LINKTYPE_LINUX_SLL2, 0);
	check_link(CAP_LINKTYPE_NULL, 0);
	check_link(CAP_LINKTYPE_LOOP, 0);
	check_link(CAP_LINKTYPE_RAW, 0);
	check_link(CAP_LINKTYPE_IPV4, 0);
}

static void test_ethernet_padding_is_not_payload(void **state)
{
	uint8_t ip[64], frame[128];
	size_t n = ip4_udp(ip, "\x80\x00", 2, 1, 2);
	size_t fn = with_link(CAP_LINKTYPE_ETHERNET, frame, ip, n, 0);
	struct dissect_pkt d;

	memset(frame + fn, 0, 20);     /* padded to the 60-byte minimum */
	dissect_packet(CAP_LINKTYPE_ETHERNET, frame, (uint32_t)fn + 20, (uint32_t)fn + 20, &d);
	assert_int_equal(d.payload_len, 2);
}

static void test_ipv6_extension_headers_are_skipped(void **state)
{
	uint8_t pkt[200];
	const uint8_t pl[] = { 0x80, 0x6f, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 };
	struct dissect_pkt d;
	struct dissect_app_info ai;
	size_t n = 40;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[6] = 0;                    /* hop-by-hop */
	pkt[8 + 15] = 1;               /* src ::1 */
	pkt[24 + 15] = 2;
	pkt[n] = 60; pkt[n + 1] = 0;   /* hop-by-hop: next dest opts, 8 bytes */
	n += 8;
	pkt[n] = 44; pkt[n + 1] = 1;   /* dest opts: next fragment, 16 bytes */
	n += 16;
	pkt[n] = 17;                   /* fragment: next UDP, offset 0 */
	n += 8;
	np_put16(pkt + n, 7000);
	np_put16(pkt + n + 2, 7001);
	np_put16(pkt + n + 4, 8 + sizeof(pl));
	memcpy(pkt + n + 8, pl, sizeof(pl));
	n += 8 + sizeof(pl);
	np_put16(pkt + 4, (uint16_t)(n - 40));
	dissect_packet(CAP_LINKTYPE_RAW, pkt, (uint32_t)n, (uint32_t)n, &d);
	assert_false(d.malformed);
	assert_int_equal(d.family, AF_INET6);
	assert_int_equal(d.l4, DS_L4_UDP);
	dissect_app(d.payload, d.payload_len, d.payload_claimed, &ai);
	assert_int_equal(ai.app, DS_RTP);
	assert_int_equal(ai.pt, 111);
	assert_int_equal(ai.ssrc, 3);

	/* A routing header claiming more than the payload is malformed. */
	pkt[6] = 43;
	pkt[41] = 200;
	dissect_packet(CAP_LINKTYPE_RAW, pkt, (uint32_t)n, (uint32_t)n, &d);
	assert_true(d.malformed);
}

static void test_non_first_fragments_are_counted_not_parsed(void **state)
{
	uint8_t ip[64];
	size_t n = ip4_udp(ip, "\x00\x01", 2, 1, 2);
	struct dissect_pkt d;

	np_put16(ip + 6, 0x0010);      /* offset 16 * 8 */
	dissect_packet(CAP_LINKTYPE_RAW, ip, (uint32_t)n, (uint32_t)n, &d);
	assert_true(d.fragment);
	assert_int_equal(d.l4, DS_L4_NONE);
	assert_false(d.malformed);
}

static void test_snaplen_cut_is_truncated_not_malformed(void **state)
{
	uint8_t st[128], ip[256];
	size_t sn = stun_binding(st, sizeof(st), STUN_REQUEST, 1, 1);
	size_t n = ip4_udp(ip, st, sn, 1, 2);
	struct dissect_pkt d;
	struct dissect_app_info ai;

	/* Cut inside the IP header: truncated, not malformed. */
	dissect_packet(CAP_LINKTYPE_RAW, ip, 12, (uint32_t)n, &d);
	assert_true(d.truncated);
	assert_false(d.malformed);
	/* Cut after 8 bytes of STUN: the cookie proves STUN, no decode. */
	dissect_packet(CAP_LINKTYPE_RAW, ip, 28 + 8, (uint32_t)n, &d);
	assert_int_equal(d.payload_len, 8);
	assert_int_equal(d.payload_claimed, sn);
	dissect_app(d.payload, d.payload_len, d.payload_claimed, &ai);
	assert_int_equal(ai.app, DS_STUN);
	assert_true(ai.partial);
	assert_false(ai.stun_ok);
	/* Cut after 3 bytes: too few to tell; declined. */
	dissect_app(d.payload, 3, d.payload_claimed, &ai);
	assert_int_equal(ai.app, DS_OTHER);
	/* The same 8 bytes in a whole datagram are malformed STUN. */
	dissect_app(d.payload, 8, 8, &ai);
	assert_int_equal(ai.app, DS_MALFORMED);
}

static void test_bad_headers_are_malformed(void **state)
{
	uint8_t ip[64];
	size_t n = ip4_udp(ip, "xx", 2, 1, 2);
	struct dissect_pkt d;

	ip[0] = 0x43;                  /* IHL 3 */
	dissect_packet(CAP_LINKTYPE_RAW, ip, (uint32_t)n, (uint32_t)n, &d);
	assert_true(d.malformed);
	ip[0] = 0x45;
	np_put16(ip + 24, 4);          /* UDP length below 8 */
	dissect_packet(CAP_LINKTYPE_RAW, ip, (uint32_t)n, (uint32_t)n, &d);
	assert_true(d.malformed);
	dissect_packet(CAP_LINKTYPE_ETHERNET, ip, 10, 10, &d);
	assert_true(d.malformed);
	dissect_packet(999, ip, (uint32_t)n, (uint32_t)n, &d);
	assert_true(d.malformed);
}

/* ---- RFC 7983 demux ---- */

static enum dissect_app demux(const void *b, size_t n, struct dissect_app_info *ai)
{
	dissect_app(b, n, n, ai);
	return ai->app;
}

static void test_demux_covers_every_range(void **state)
{
	struct dissect_app_info ai;
	uint8_t b[64];

	/* ChannelData: channel 0x4001, 4 bytes */
	memcpy(b, "\x40\x01\x00\x04" "abcd", 8);
	assert_int_equal(demux(b, 8, &ai), DS_CHANNELDATA);
	assert_int_equal(ai.channel, 0x4001);
	assert_int_equal(ai.cd_len, 4);
	assert_int_equal(demux(b, 6, &ai), DS_MALFORMED);   /* length overruns */
	/* DTLS 1.2 handshake record carrying a ClientHello */
	memcpy(b, "\x16\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x01\x00\x02\x01\x00", 15);
	assert_int_equal(demux(b, 15, &ai), DS_DTLS);
	assert_int_equal(ai.nrec, 1);
	assert_int_equal(ai.rec[0].hs_type, 1);
	assert_int_equal(ai.rec[0].seq, 1);
	assert_int_equal(demux(b, 14, &ai), DS_MALFORMED);  /* record overruns */
	/* DTLS alert: fatal handshake_failure */
	memcpy(b, "\x15\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x02\x00\x02\x02\x28", 15);
	assert_int_equal(demux(b, 15, &ai), DS_DTLS);
	assert_int_equal(ai.rec[0].alert_level, 2);
	assert_int_equal(ai.rec[0].alert_desc, 40);
	b[1] = 0x03;                                        /* not 0xfe */
	assert_int_equal(demux(b, 15, &ai), DS_MALFORMED);
	/* DTLS 1.3 unified header 001CSLEE */
	memcpy(b, "\x2c\x00\x01\x00\x10", 5);
	assert_int_equal(demux(b, 5, &ai), DS_DTLS13);
	/* ZRTP needs its cookie */
	memcpy(b, "\x10\x00\x00\x01ZRTP", 8);
	assert_int_equal(demux(b, 8, &ai), DS_ZRTP);
	memcpy(b, "\x10\x00\x00\x01zrtp", 8);
	assert_int_equal(demux(b, 8, &ai), DS_OTHER);
	/* RTP vs RTCP (RFC 5761: 192..223) */
	memcpy(b, "\x80\xe0\x12\x34\x00\x00\x00\x10\xaa\xbb\xcc\xdd", 12);
	assert_int_equal(demux(b, 12, &ai), DS_RTP);
	assert_int_equal(ai.pt, 96);
	assert_true(ai.marker);
	assert_int_equal(ai.seq, 0x1234);
	assert_int_equal(ai.ssrc, 0xaabbccdd);
	assert_int_equal(demux(b, 11, &ai), DS_MALFORMED);
	b[1] = 200;
	assert_int_equal(demux(b, 12, &ai), DS_RTCP);
	assert_int_equal(ai.pt, 200);
	b[0] = 0x83;                   /* 3 CSRCs but no room */
	b[1] = 0;
	assert_int_equal(demux(b, 12, &ai), DS_MALFORMED);
	/* One byte of RTP: malformed, with a reason (found by the fuzzer). */
	assert_int_equal(demux("\x80", 1, &ai), DS_MALFORMED);
	assert_non_null(strstr(ai.why, "1 byte"));
	/* Outside every range */
	b[0] = 200;
	assert_int_equal(demux(b, 12, &ai), DS_OTHER);
	assert_int_equal(dissect_app(b, 0, 0, &ai), 0);
	assert_int_equal(ai.app, DS_OTHER);
}

static void test_stun_without_cookie_needs_a_whole_classic_binding(void **state)
{
	struct dissect_app_info ai;
	uint8_t b[40];

	/* Application data starting 00 00 00 00 is not STUN. */
	memset(b, 7, sizeof(b));
	memset(b, 0, 4);
	assert_int_equal(demux(b, sizeof(b), &ai), DS_OTHER);
	/* A classic RFC 3489 Binding request filling the datagram is. */
	memset(b, 0x5a, 20);
	np_put16(b, 0x0001);
	np_put16(b + 2, 0);
	assert_int_equal(demux(b, 20, &ai), DS_STUN);
	assert_true(ai.stun.classic);
}

/* ---- RTP statistics ---- */

static void test_rtp_loss_counts_gaps_across_the_wrap(void **state)
{
	struct cap_rtp s;
	uint64_t t = 1000000;

	memset(&s, 0, sizeof(s));
	s.clock = 48000;
	for (uint32_t i = 0; i < 100; i++) {
		uint16_t seq = (uint16_t)(65500 + i);

		if (i == 40 || i == 41 || i == 90)
			continue;      /* 65540 -> seq 4, 5 and one more lost */
		capture_rtp_update(&s, seq, 960 * i, t + 20000 * i);
	}
	assert_int_equal(capture_rtp_expected(&s), 100);
	assert_int_equal(capture_rtp_lost(&s), 3);
	assert_int_equal(s.cycles, 65536);
	/* A duplicate counts as received and as late. */
	capture_rtp_update(&s, (uint16_t)(65500 + 99), 960 * 99, t + 20000 * 100);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(capture_rtp_lost(&s), 2);
}

static void test_rtp_jitter_follows_rfc3550(void **state)
{
	struct cap_rtp s;
	double j = 0;

	memset(&s, 0, sizeof(s));
	s.clock = capture_rtp_clock(0);
	assert_int_equal(s.clock, 8000);
	assert_int_equal(capture_rtp_clock(111), 48000);
	/* Perfect 20 ms spacing: no jitter. */
	for (int i = 0; i < 50; i++)
		capture_rtp_update(&s, (uint16_t)i, (uint32_t)(160 * i), 20000u * (uint64_t)i);
	assert_true(capture_rtp_jitter_ms(&s) < 1e-9);
	/* Alternate 10 ms late: |D| = 80 units each packet after the first. */
	memset(&s, 0, sizeof(s));
	s.clock = 8000;
	for (int i = 0; i < 50; i++) {
		capture_rtp_update(&s, (uint16_t)i, (uint32_t)(160 * i),
				   20000u * (uint64_t)i + (i % 2 ? 10000u : 0));
		if (i)
			j += (80.0 - j) / 16.0;
	}
	assert_true(fabs(capture_rtp_jitter_ms(&s) - j / 8.0) < 1e-6);
}

/* ---- capture files ---- */

static size_t pcap_file(uint8_t *out, int linktype, const uint8_t *pkt,
			size_t n, int records)
{
	uint8_t *p = out;
	uint32_t hdr[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, (uint32_t)linktype };

	memcpy(p, hdr, sizeof(hdr));     /* host (little-endian) order */
	p += 24;
	for (int i = 0; i < records; i++) {
		uint32_t rec[4] = { 1700000000u + (uint32_t)i, 500000, (uint32_t)n, (uint32_t)n };

		memcpy(p, rec, 16);
		memcpy(p + 16, pkt, n);
		p += 16 + n;
	}
	return (size_t)(p - out);
}

static void test_pcap_records_and_a_cut_file(void **state)
{
	uint8_t ip[64], file[512];
	size_t n = ip4_udp(ip, "\x80\x00", 2, 1, 2);
	size_t fn = pcap_file(file, CAP_LINKTYPE_RAW, ip, n, 3);
	struct capture_file cf;
	struct capture_pkt pkt;
	char why[256];

	assert_int_equal(capture_open_mem(&cf, file, fn, why, sizeof(why)), 0);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), 1);
	assert_int_equal(pkt.caplen, n);
	assert_int_equal(pkt.t_us, 1700000000500000ull);
	assert_int_equal(pkt.linktype, CAP_LINKTYPE_RAW);
	/* Cut the last record short: two packets, then a sentence. */
	assert_int_equal(capture_open_mem(&cf, file, fn - 5, why, sizeof(why)), 0);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), 1);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), 1);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), NP_ETRUNCATED);
	assert_non_null(strstr(why, "remain in the file"));
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), 0);
	/* Unknown link type, and not a capture at all. */
	pcap_file(file, 147, ip, n, 1);
	assert_int_equal(capture_open_mem(&cf, file, fn, why, sizeof(why)), NP_ENOTFOUND);
	assert_non_null(strstr(why, "linktype 147"));
	assert_int_equal(capture_open_mem(&cf, (const uint8_t *)"hello world!", 12, why,
					  sizeof(why)), NP_EINVAL);
	assert_int_equal(capture_open_mem(&cf, file, 2, why, sizeof(why)), NP_ETRUNCATED);
}

static size_t block(uint8_t *p, uint32_t type, const uint8_t *body, size_t n)
{
	uint32_t total = (uint32_t)(12 + n);

	memcpy(p, &type, 4);
	memcpy(p + 4, &total, 4);
	memcpy(p + 8, body, n);
	memcpy(p + 8 + n, &total, 4);
	return total;
}

static void test_pcapng_interfaces_and_tsresol(void **state)
{
	uint8_t file[512], body[128], ip[64];
	size_t n = ip4_udp(ip, "\x80\x00\x00\x01", 4, 1, 2), off = 0;
	uint32_t u;
	uint16_t h;
	struct capture_file cf;
	struct capture_pkt pkt;
	char why[256];

	/* SHB: byte-order magic, version 1.0, section length -1 */
	u = 0x1A2B3C4Du; memcpy(body, &u, 4);
	h = 1; memcpy(body + 4, &h, 2);
	h = 0; memcpy(body + 6, &h, 2);
	memset(body + 8, 0xff, 8);
	off += block(file + off, 0x0A0D0D0Au, body, 16);
	/* IDB: LINKTYPE_RAW, snaplen, if_tsresol = 9 (ns), end of options */
	h = CAP_LINKTYPE_RAW; memcpy(body, &h, 2);
	h = 0; memcpy(body + 2, &h, 2);
	u = 65535; memcpy(body + 4, &u, 4);
	h = 9; memcpy(body + 8, &h, 2);
	h = 1; memcpy(body + 10, &h, 2);
	memcpy(body + 12, "\x09\0\0\0", 4);
	memset(body + 16, 0, 4);
	off += block(file + off, 1, body, 20);
	/* EPB: interface 0, ts = 1.5 s in ns, caplen, len, data padded */
	u = 0; memcpy(body, &u, 4);
	{
		uint64_t ts = 1500000000ull;
		uint32_t hi = (uint32_t)(ts >> 32), lo = (uint32_t)ts;

		memcpy(body + 4, &hi, 4);
		memcpy(body + 8, &lo, 4);
	}
	u = (uint32_t)n; memcpy(body + 12, &u, 4);
	u = (uint32_t)n + 100; memcpy(body + 16, &u, 4);   /* cut by snaplen */
	memcpy(body + 20, ip, n);
	off += block(file + off, 6, body, 20 + ((n + 3) & ~(size_t)3));
	assert_int_equal(capture_open_mem(&cf, file, off, why, sizeof(why)), 0);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), 1);
	assert_int_equal(pkt.t_us, 1500000);
	assert_int_equal(pkt.len, n + 100);
	assert_int_equal(pkt.caplen, n);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), 0);
	/* A packet block naming an interface never described. */
	memset(file + off - (12 + 20 + ((n + 3) & ~(size_t)3)) + 8, 7, 1);
	assert_int_equal(capture_open_mem(&cf, file, off, why, sizeof(why)), 0);
	assert_int_equal(capture_next(&cf, &pkt, why, sizeof(why)), NP_EINVAL);
}

/* ---- summary: observations and findings ---- */

static struct capture_report cr;
static struct findings fs;

static void feed(struct obs_log *log, const uint8_t *st, size_t sn, int reply,
		 uint64_t t)
{
	uint8_t ip[256];
	size_t n = reply ? ip4_udp(ip, st, sn, 3478, 5000) : ip4_udp(ip, st, sn, 5000, 3478);
	struct dissect_pkt d;

	if (reply) {   /* swap addresses so the reply goes back */
		uint8_t a[4];

		memcpy(a, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, a, 4);
	}
	dissect_packet(CAP_LINKTYPE_RAW, ip, (uint32_t)n, (uint32_t)n, &d);
	capture_summary_packet(&cr, log, &d, t);
}

static void test_summary_records_live_run_observations(void **state)
{
	uint8_t st[128];
	size_t sn;
	struct obs_log log;

	obs_log_init(&log, 0, 0);
	capture_summary_init(&cr, &log);
	memset(&fs, 0, sizeof(fs));
	sn = stun_binding(st, sizeof(st), STUN_REQUEST, 1, 1);
	feed(&log, st, sn, 0, 10000000);
	feed(&log, st, sn, 0, 10500000);                       /* retransmit */
	sn = stun_binding(st, sizeof(st), STUN_SUCCESS, 1, 0);
	feed(&log, st, sn, 1, 10600000);
	sn = stun_binding(st, sizeof(st), STUN_REQUEST, 2, 1);
	feed(&log, st, sn, 0, 11000000);                       /* never answered */
	sn = stun_binding(st, sizeof(st), STUN_ERROR, 3, 0);
	feed(&log, st, sn, 1, 11100000);                       /* matches nothing */
	capture_summary_finish(&cr, &log, &fs);

	assert_int_equal(log.n, 6);
	assert_int_equal(log.v[0].kind, OBS_SENT);
	assert_int_equal(log.v[0].t_us, 0);
	assert_int_equal(log.v[1].kind, OBS_RETRANSMIT);
	assert_int_equal(log.v[2].kind, OBS_RESPONSE);
	assert_int_equal(log.v[2].rtt_us, 600000);
	assert_true(log.v[2].has & OBS_HAS_XOR_MAPPED);
	assert_int_equal(np_addr_port(&log.v[2].xor_mapped), 40000);
	assert_int_equal(log.v[3].kind, OBS_SENT);
	assert_int_equal(log.v[3].t_us, 1000000);
	assert_int_equal(log.v[4].kind, OBS_UNMATCHED);
	assert_int_equal(log.v[4].error_code, 487);
	assert_string_equal(log.v[4].text, "Role Conflict");
	assert_int_equal(log.v[5].kind, OBS_TIMEOUT);
	assert_true(log.v[5].has & OBS_HAS_TID);
	assert_int_equal(cr.stun_requests, 2);
	assert_int_equal(cr.stun_retransmits, 1);
	assert_int_equal(cr.stun_unanswered, 1);
	assert_int_equal(cr.nice, 1);
	assert_int_equal(cr.ice[0].checks, 2);
	assert_int_equal(cr.ice[0].success, 1);
	assert_int_equal(cr.ice[0].unanswered, 1);
	assert_string_equal(cr.ice[0].username, "ab:cd");
	assert_string_equal(fs.command, "analyze");
	assert_ptr_equal(fs.capture, &cr);
	assert_true(fs.nf >= 1);
	assert_string_equal(fs.f[0].id, "capture-stun-unanswered");
	obs_log_dispose(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_link_type_reaches_the_stun_payload),
		cmocka_unit_test(test_ethernet_padding_is_not_payload),
		cmocka_unit_test(test_ipv6_extension_headers_are_skipped),
		cmocka_unit_test(test_non_first_fragments_are_counted_not_parsed),
		cmocka_unit_test(test_snaplen_cut_is_truncated_not_malformed),
		cmocka_unit_test(test_bad_headers_are_malformed),
		cmocka_unit_test(test_demux_covers_every_range),
		cmocka_unit_test(test_stun_without_cookie_needs_a_whole_classic_binding),
		cmocka_unit_test(test_rtp_loss_counts_gaps_across_the_wrap),
		cmocka_unit_test(test_rtp_jitter_follows_rfc3550),
		cmocka_unit_test(test_pcap_records_and_a_cut_file),
		cmocka_unit_test(test_pcapng_interfaces_and_tsresol),
		cmocka_unit_test(test_summary_records_live_run_observations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
