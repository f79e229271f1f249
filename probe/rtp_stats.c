/*
 * rtp_stats.c - receiver statistics of RFC 3550: sequence validation and
 * wrap counting (A.1), expected and lost packets (A.3), interarrival
 * jitter (A.8), LSR/DLSR and the round trip they give (§6.4.1). See rtp.h.
 */
#include "rtp.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
/* A.1: "MAX_DROPOUT = 3000, MAX_MISORDER = 100, MIN_SEQUENTIAL = 2". */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2
/* Seconds from 1900 (NTP era 0) to 1970. */
#define NTP_UNIX_OFFSET 2208988800ull

uint64_t rtp_ntp_from_us(uint64_t unix_us)
{
	uint64_t sec = unix_us / 1000000u + NTP_UNIX_OFFSET;
	uint64_t frac = ((unix_us % 1000000u) << 32) / 1000000u;

	return sec << 32 | frac;
}

static void init_seq(struct rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;   /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

void rtp_source_init(struct rtp_source *s, uint32_t ssrc, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	init_seq(s, seq);
	/* A.1: a new source is on probation until MIN_SEQUENTIAL packets
	 * arrive in sequence. */
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = MIN_SEQUENTIAL;
}

/* A.1 update_seq, as printed, with the sums kept in 16 bits. */
static int update_seq(struct rtp_source *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return 1;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return 0;
	} else if (udelta < MAX_DROPOUT) {
		/* In order, with permissible gap. */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;   /* wrapped */
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: two in a row mean the sender restarted. */
		if (seq == s->bad_seq) {
			init_seq(s, seq);
		} else {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return 0;
		}
	} else {
		/* Duplicate or reordered packet. */
		s->reordered++;
	}
	s->received++;
	return 1;
}

int rtp_source_update(struct rtp_source *s, uint16_t seq, uint32_t rtp_ts,
		      uint32_t arrival_ts, size_t payload_len)
{
	uint32_t transit;
	int32_t d;

	if (!update_seq(s, seq))
		return 0;
	s->octets += payload_len;
	/* A.8: J += (|D| - J) / 16, kept scaled by 16. */
	transit = arrival_ts - rtp_ts;
	if (s->have_transit) {
		d = (int32_t)(transit - s->transit);
		if (d < 0)
			d = -d;
		s->jitter_q4 += (uint32_t)d - ((s->jitter_q4 + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = 1;
	return 1;
}

void rtp_source_report(struct rtp_source *s, uint64_t now_us,
		       struct rtcp_block *b)
{
	uint32_t extended_max = s->cycles + s->max_seq;
	uint32_t expected = extended_max - s->base_seq + 1;
	int64_t lost = (int64_t)expected - s->received;
	uint32_t expected_interval, received_interval;
	int64_t lost_interval;

	memset(b, 0, sizeof(*b));
	b->ssrc = s->ssrc;
	if (s->probation && s->received == 0)
		expected = 0, lost = 0, extended_max = s->max_seq;
	/* A.3: clamp to the 24-bit signed field. */
	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	if (lost < -0x800000)
		lost = -0x800000;
	b->cum_lost = (int32_t)lost;
	expected_interval = expected - s->expected_prior;
	s->expected_prior = expected;
	received_interval = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_interval = (int64_t)expected_interval - received_interval;
	if (expected_interval == 0 || lost_interval <= 0)
		b->fraction_lost = 0;
	else
		b->fraction_lost = (uint8_t)((lost_interval << 8) / expected_interval);
	b->ext_high_seq = extended_max;
	b->jitter = s->jitter_q4 >> 4;
	if (s->last_sr_us && now_us >= s->last_sr_us) {
		b->lsr = s->last_sr_mid;
		/* DLSR in 1/65536 s. */
		b->dlsr = (uint32_t)(((now_us - s->last_sr_us) << 16) / 1000000u);
	}
}

void rtp_source_got_sr(struct rtp_source *s, uint64_t ntp, uint64_t now_us)
{
	s->last_sr_mid = rtp_ntp_mid(ntp);
	s->last_sr_us = now_us ? now_us : 1;
}

uint32_t rtcp_rtt_us(uint64_t arrival_ntp, const struct rtcp_block *b)
{
	uint32_t a = rtp_ntp_mid(arrival_ntp);
	uint32_t rtt;

	if (b->lsr == 0)
		return 0;
	rtt = a - b->lsr - b->dlsr;
	if ((int32_t)rtt < 0)
		return 0;
	return (uint32_t)(((uint64_t)rtt * 1000000u) >> 16);
}
