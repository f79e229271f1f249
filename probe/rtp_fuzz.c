/*
 * rtp_fuzz.c - libFuzzer target for RTP and RTCP parsing (rtp.c) and the
 * receiver statistics (rtp_stats.c).
 *
 * Every input is parsed as RTP and as compound RTCP. What parses is built
 * again from the parsed values and must parse back to the same values (the
 * writer mirrors the reader). The input's bytes also drive a receiver's
 * sequence and jitter state, whose report must stay within its fields.
 * No randomness. Seeds: fixtures/rtp (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "np_rd.h"
#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "rtp_fuzz: %s\n", what);
		abort();
	}
}

static void rtp_round_trip(const struct rtp_hdr *h)
{
	uint8_t buf[70000];
	struct np_wr w;
	struct rtp_hdr back;

	np_wr_init(&w, buf, sizeof(buf));
	check(rtp_build(&w, h, h->payload, h->payload_len) == 0, "rtp build");
	check(rtp_parse(buf, w.len, &back) == 0, "rtp reparse");
	check(back.seq == h->seq && back.ts == h->ts && back.ssrc == h->ssrc &&
	      back.pt == h->pt && back.marker == h->marker &&
	      back.csrc_count == h->csrc_count &&
	      back.ext_len == h->ext_len &&
	      back.payload_len == h->payload_len, "rtp fields differ");
	check(memcmp(back.csrc, h->csrc, h->csrc_count * 4) == 0, "csrc differ");
	check(!h->ext_len || memcmp(back.ext, h->ext, h->ext_len) == 0,
	      "extension differs");
	check(memcmp(back.payload, h->payload, h->payload_len) == 0,
	      "payload differs");
}

static void rtcp_round_trip(const struct rtcp_compound *c)
{
	uint8_t buf[2048];
	struct np_wr w;
	struct rtcp_compound back;

	np_wr_init(&w, buf, sizeof(buf));
	if (c->has_sr)
		rtcp_build_sr(&w, &c->sr, c->blocks, c->n_blocks);
	else
		rtcp_build_rr(&w, c->rr_ssrc, c->blocks, c->n_blocks);
	if (c->has_cname)
		rtcp_build_sdes_cname(&w, c->cname_ssrc, c->cname);
	check(w.err == 0, "rtcp build");
	check(rtcp_parse(buf, w.len, &back) == 0, "rtcp reparse");
	check(back.n_blocks == c->n_blocks, "block count differs");
	for (unsigned i = 0; i < c->n_blocks; i++) {
		const struct rtcp_block *x = &c->blocks[i], *y = &back.blocks[i];

		check(x->ssrc == y->ssrc && x->fraction_lost == y->fraction_lost &&
		      x->cum_lost == y->cum_lost &&
		      x->ext_high_seq == y->ext_high_seq &&
		      x->jitter == y->jitter && x->lsr == y->lsr &&
		      x->dlsr == y->dlsr, "blocks differ");
	}
	check(!c->has_cname || strcmp(back.cname, c->cname) == 0, "cname differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	struct rtcp_compound c;
	struct rtp_source s;
	struct rtcp_block b;

	if (rtp_parse(data, size, &h) == 0) {
		check(h.hdr_len + h.payload_len + h.pad_len == size, "rtp sizes");
		rtp_round_trip(&h);
	}
	if (rtcp_parse(data, size, &c) == 0) {
		check(c.n_blocks <= RTCP_MAX_BLOCKS, "too many blocks");
		check(strlen(c.cname) < sizeof(c.cname), "cname");
		if (c.has_sr || c.has_rr)
			rtcp_round_trip(&c);
	}
	/* Pairs of bytes as sequence numbers, the next two as transit. */
	if (size >= 2) {
		rtp_source_init(&s, 1, np_get16(data));
		for (size_t i = 0; i + 4 <= size; i += 4) {
			uint16_t seq = np_get16(data + i);
			uint16_t jit = np_get16(data + i + 2);

			rtp_source_update(&s, seq, (uint32_t)i * 160,
					  (uint32_t)i * 160 + jit, 100);
		}
		rtp_source_got_sr(&s, 0xE000000000000000ull, 1000);
		rtp_source_report(&s, 2000, &b);
		check(b.cum_lost >= -0x800000 && b.cum_lost <= 0x7FFFFF,
		      "cumulative loss out of its 24 bits");
		rtcp_rtt_us(0xE000000100000000ull, &b);
	}
	return 0;
}
