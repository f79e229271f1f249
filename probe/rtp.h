/*
 * rtp.h - RTP and RTCP (RFC 3550): the fixed header, compound RTCP with
 * sender and receiver reports, and the receiver statistics a report block
 * carries (sequence tracking A.1, loss A.3, interarrival jitter A.8) plus
 * the round-trip time from LSR/DLSR (§6.4.1).
 *
 * Parsers read through np_rd and borrow slices of the input; builders
 * write through np_wr and report overflow. rtp.c has the wire forms,
 * rtp_stats.c the statistics.
 */
#ifndef RTP_H
#define RTP_H

#include <stddef.h>
#include <stdint.h>

#include "np_rd.h"

#define RTP_VERSION 2
/* RFC 3550 §5.1: the fixed header is 12 bytes, then 0-15 CSRCs. */
#define RTP_HDR_MIN 12
#define RTP_MAX_CSRC 15

struct rtp_hdr {
	uint8_t padding, extension, csrc_count, marker, pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	/* §5.3.1 header extension: profile-defined 16 bits and its body
	 * (borrowed; ext_len bytes, a multiple of 4). */
	uint16_t ext_profile;
	const uint8_t *ext;
	size_t ext_len;
	const uint8_t *payload;   /* borrowed */
	size_t payload_len;       /* without padding */
	uint8_t pad_len;          /* §5.1 P: padding bytes incl. the count */
	size_t hdr_len;
};

/* NP_EINVAL (version, padding count), NP_ETRUNCATED (CSRCs, extension or
 * padding longer than the packet). */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);
/* Writes h (its csrc_count CSRCs and, when extension is set, ext/ext_len)
 * followed by the payload; padding is not written (h->padding ignored). */
int rtp_build(struct np_wr *w, const struct rtp_hdr *h,
	      const uint8_t *payload, size_t plen);

/* RFC 3550 §12.1 and RFC 4585, RFC 3611 packet types. */
enum {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205,
	RTCP_PSFB = 206,
	RTCP_XR = 207,
};
#define RTCP_SDES_CNAME 1
/* RFC 3550 §6.4: RC is 5 bits. */
#define RTCP_MAX_BLOCKS 31
/* Packet types kept per compound (all are counted). */
#define RTCP_MAX_PACKETS 16

/* §6.4.1 report block. cum_lost is the 24-bit signed field. */
struct rtcp_block {
	uint32_t ssrc;
	uint8_t fraction_lost;      /* fixed point, /256 */
	int32_t cum_lost;
	uint32_t ext_high_seq;
	uint32_t jitter;            /* RTP timestamp units */
	uint32_t lsr;               /* middle 32 bits of the SR's NTP time */
	uint32_t dlsr;              /* 1/65536 s */
};

struct rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;               /* 32.32 fixed point since 1900 */
	uint32_t rtp_ts;
	uint32_t packets, octets;
};

/* What one compound packet said. */
struct rtcp_compound {
	unsigned n_packets;         /* all of them */
	uint8_t types[RTCP_MAX_PACKETS];
	int reduced_size;           /* RFC 5506: does not start with SR/RR */
	int has_sr;
	struct rtcp_sr sr;          /* the first SR */
	int has_rr;
	uint32_t rr_ssrc;           /* sender of the first RR */
	struct rtcp_block blocks[RTCP_MAX_BLOCKS];
	unsigned n_blocks;          /* from the first SR or RR */
	int has_cname;
	uint32_t cname_ssrc;
	char cname[256];            /* NUL-terminated copy */
	int has_bye;
	uint32_t bye_ssrc;
	unsigned feedback;          /* RTPFB and PSFB packets */
};

/* Validates a compound packet (RFC 3550 A.2: version 2 everywhere, packet
 * types 192-223, padding only in the last packet, lengths adding up
 * exactly) and reads SR, RR, SDES CNAME and BYE. */
int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_compound *c);

/* Builders: append one RTCP packet to w (a compound is several calls). */
int rtcp_build_sr(struct np_wr *w, const struct rtcp_sr *sr,
		  const struct rtcp_block *b, unsigned n);
int rtcp_build_rr(struct np_wr *w, uint32_t ssrc, const struct rtcp_block *b,
		  unsigned n);
int rtcp_build_sdes_cname(struct np_wr *w, uint32_t ssrc, const char *cname);
int rtcp_build_bye(struct np_wr *w, uint32_t ssrc);

/* NTP time (RFC 3550 §4) from wall-clock microseconds since 1970. */
uint64_t rtp_ntp_from_us(uint64_t unix_us);
/* The middle 32 bits (§6.4.1 LSR). */
static inline uint32_t rtp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* Receiver side of one source (RFC 3550 A.1, A.3, A.8). */
struct rtp_source {
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;            /* count of wraps << 16 */
	uint32_t base_seq, bad_seq, probation;
	uint32_t received, expected_prior, received_prior;
	uint32_t transit;
	uint32_t jitter_q4;         /* jitter * 16 */
	uint32_t reordered;         /* arrived below the highest seq */
	uint64_t octets;
	int have_transit;
	/* The last SR from this source, for LSR/DLSR. */
	uint32_t last_sr_mid;
	uint64_t last_sr_us;        /* when it arrived (any µs clock) */
};

void rtp_source_init(struct rtp_source *s, uint32_t ssrc, uint16_t seq);
/* Takes one packet: its sequence number, RTP timestamp, the arrival time
 * in the same clock units (A.8) and its payload size. Returns 1 when the
 * packet counts, 0 while the source is on probation or after a jump too
 * large to trust (A.1). */
int rtp_source_update(struct rtp_source *s, uint16_t seq, uint32_t rtp_ts,
		      uint32_t arrival_ts, size_t payload_len);
/* A report block for this source as of now_us (same clock as
 * last_sr_us). Advances the interval counters (A.3). */
void rtp_source_report(struct rtp_source *s, uint64_t now_us,
		       struct rtcp_block *b);
void rtp_source_got_sr(struct rtp_source *s, uint64_t ntp, uint64_t now_us);
/* Round trip from a report block about our stream (§6.4.1: A - LSR -
 * DLSR), with A the NTP time the block arrived; 0 when the block has no
 * LSR (no SR received yet) or the result is negative. */
uint32_t rtcp_rtt_us(uint64_t arrival_ntp, const struct rtcp_block *b);

#endif
