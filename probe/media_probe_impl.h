/*
 * media_probe_impl.h - the machine behind media_probe.h, shared by
 * media_probe.c (lifecycle, sending, RTCP reports) and media_probe_rx.c
 * (what the peer sends, the figures and their observations).
 */
#ifndef MEDIA_PROBE_IMPL_H
#define MEDIA_PROBE_IMPL_H

#include "evloop.h"
#include "media_probe.h"
#include "obs.h"
#include "rtp.h"
#include "srtp_session.h"

#define MEDIA_MAGIC 0x4E504D50u     /* "NPMP" */
#define MEDIA_DGRAM_MAX 2048
/* Probe sequence numbers remembered for telling an echo from a
 * duplicate (a ring of bits; older probes may count twice). */
#define MEDIA_ECHO_RING 4096

/* One SSRC the peer sends. */
struct media_rx {
	struct rtp_source src;      /* A.1 state; valid once started */
	int started;                /* an authenticated RTP packet seen */
	char cname[64];
	uint64_t first_us, last_us;
	uint8_t last_fraction;      /* from the last RR block we built */
	int have_sr;
	uint32_t sr_packets, sr_octets;
	uint32_t sr_mid;            /* its last SR, kept before started */
	uint64_t sr_us;
	int bye;
	uint64_t interval_received; /* at the last periodic note */
};

struct media_probe {
	struct np_ctx *ctx;               /* borrowed */
	struct media_probe_cfg cfg;       /* with defaults filled in */
	const char *label;
	struct srtp_session *srtp;
	media_send_fn send;
	void *send_arg;
	struct np_timer rtp_timer, rtcp_timer;
	int started, done;
	uint64_t mono0, wall0;            /* loop µs and wall µs at new */
	uint64_t t_start, t_send_end, t_end;
	uint64_t period_us, k;            /* RTP schedule: t_start + k*period */
	uint32_t ssrc, ts0;
	uint16_t seq, seq0;
	uint32_t probe_seq;
	/* Our stream. */
	uint64_t sent_packets, sent_octets, sent_rtcp, send_errors, echoed;
	uint64_t first_send_us, last_send_us;
	int logged_send_err, logged_protect_err;
	/* What the peer says of our stream. */
	unsigned peer_reports;
	struct rtcp_block peer_last;
	unsigned rtt_rtcp_n;
	uint32_t rtt_rtcp_last, rtt_rtcp_min, rtt_rtcp_max;
	/* Our probes echoed back. */
	uint8_t echo_seen[MEDIA_ECHO_RING / 8];
	uint64_t echo_returned;
	unsigned rtt_echo_n;
	uint32_t rtt_echo_last, rtt_echo_min, rtt_echo_max;
	uint64_t rtt_echo_sum;
	/* Everything that arrived. */
	uint64_t in_rtp, in_rtcp, in_failed, in_other, in_overflow;
	int logged_rtcp_malformed;
	struct media_rx rx[MEDIA_MAX_SSRC];
	uint32_t rx_ssrc[MEDIA_MAX_SSRC];
	size_t n_rx;
	uint8_t rxbuf[MEDIA_DGRAM_MAX];
	uint8_t txbuf[MEDIA_DGRAM_MAX];
	uint8_t payload[MEDIA_PAYLOAD_MAX];
};

/* media_probe.c */
uint64_t mp_now(const struct media_probe *mp);
uint64_t mp_ntp_now(const struct media_probe *mp);
uint32_t mp_rtp_ts(const struct media_probe *mp, uint64_t now);
/* Sends one RTP packet of our stream carrying payload. */
void mp_send_rtp(struct media_probe *mp, const uint8_t *payload, size_t plen);

/* media_probe_rx.c */
void mp_note(struct media_probe *mp, const char *sub, uint32_t rtt_us,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Periodic figures (final = the summary). */
void mp_record_stats(struct media_probe *mp, int final);
struct media_rx *mp_rx_find(struct media_probe *mp, uint32_t ssrc);

#endif
