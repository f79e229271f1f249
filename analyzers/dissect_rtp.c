/*
 * dissect_rtp.c - RTP stream statistics from captured packets: sequence
 * tracking with wrap-around (RFC 3550 A.1), expected and lost packets
 * (A.3) and interarrival jitter (A.8), using each packet's capture time as
 * its arrival time and a clock rate assumed from the payload type (RFC 3551
 * §6 for static types; dynamic types are taken as Opus-like 48 kHz).
 */
#include "capture_summary.h"

#include <stddef.h>

/* RFC 3550 A.1: a jump this large is a restart, not loss. */
#define RTP_MAX_DROPOUT 3000
#define RTP_MAX_MISORDER 100

uint32_t capture_rtp_clock(uint8_t pt)
{
	switch (pt) {
	case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12:
	case 13: case 15: case 18:
		return 8000;        /* RFC 3551 table 4 audio at 8 kHz */
	case 6:
		return 16000;
	case 10: case 11:
		return 44100;
	case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
		return 90000;
	}
	return 48000;
}

void capture_rtp_update(struct cap_rtp *s, uint16_t seq, uint32_t ts,
			uint64_t t_us)
{
	double arrival, transit, d;

	if (s->packets == 0) {
		s->base_seq = s->max_seq = seq;
		s->cycles = 0;
		s->first_us = t_us;
	} else {
		uint16_t udelta = (uint16_t)(seq - s->max_seq);

		if (udelta > 0 && udelta < RTP_MAX_DROPOUT) {
			if (seq < s->max_seq)
				s->cycles += 65536;   /* wrapped */
			s->max_seq = seq;
		} else if (udelta == 0 || udelta >= 65536 - RTP_MAX_MISORDER) {
			s->reordered++;       /* duplicate or late */
		} else {
			/* A large jump: the sender restarted; resync. */
			s->base_seq = s->max_seq = seq;
			s->cycles = 0;
			s->packets = 0;
			s->reordered = 0;
		}
	}
	s->packets++;
	s->last_us = t_us;
	/* A.8: D(i,j) = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16, all in
	 * timestamp units; the unsigned subtraction keeps timestamp wrap
	 * harmless. */
	arrival = (double)t_us * s->clock / 1e6;
	transit = arrival - (double)ts;
	if (s->have_transit) {
		double prev_arrival_ts = s->transit;

		d = transit - prev_arrival_ts;
		/* Timestamps that wrapped show as a 2^32 step: fold it. */
		if (d > 2147483648.0)
			d -= 4294967296.0;
		else if (d < -2147483648.0)
			d += 4294967296.0;
		s->jitter += ((d < 0 ? -d : d) - s->jitter) / 16.0;
	}
	s->transit = transit;
	s->have_transit = 1;
}

uint32_t capture_rtp_expected(const struct cap_rtp *s)
{
	if (s->packets == 0)
		return 0;
	return s->cycles + s->max_seq - s->base_seq + 1;
}

uint32_t capture_rtp_lost(const struct cap_rtp *s)
{
	uint32_t expected = capture_rtp_expected(s);
	/* A.3: received counts late packets and duplicates too; loss can
	 * come out negative and is then reported as none. */
	return expected > s->packets ? expected - s->packets : 0;
}

double capture_rtp_jitter_ms(const struct cap_rtp *s)
{
	return s->clock ? s->jitter * 1000.0 / s->clock : 0.0;
}
