/*
 * media_probe.h - a probe media stream over SRTP (RFC 3711) keyed from
 * DTLS-SRTP, with RTCP reports (RFC 3550 §6), measuring the path in both
 * directions: round trip, loss, interarrival jitter, reordering and
 * throughput, per SSRC.
 *
 * The machine owns no socket and knows nothing of ICE or TURN: it hands
 * each SRTP/SRTCP datagram to a send callback and takes the peer's
 * through media_probe_input (the caller demultiplexes the 5-tuple per
 * RFC 7983 and may pass both RTP and RTCP: rtcp-mux, RFC 5761 §4, is told
 * apart here). Timers run on the context's loop.
 *
 * Each RTP payload starts with a natprobe header (MEDIA_HDR_LEN bytes:
 * "NPMP", the origin SSRC, a 32-bit probe sequence number and the send
 * time in µs), then zero padding up to cfg->payload_len. When the peer
 * echoes it (natprobe serve, Janus EchoTest) the header comes back and
 * gives a round trip per packet, independent of RTCP.
 *
 * Observations, labelled cfg->label ("media"):
 *   note  "media.start"   the stream's parameters
 *   note  "media.stats"   every RTCP interval: the figures so far
 *   note  "media.ssrc"    a new SSRC from the peer (and its CNAME later)
 *   note  "media.bye"     the peer sent RTCP BYE
 *   error "media.send"    the send callback or SRTP protect failed (once
 *                         per kind of failure; the rest are counted)
 *   note  "media"         the summary, at the end (rtt_us = RTCP round
 *                         trip when known)
 */
#ifndef MEDIA_PROBE_H
#define MEDIA_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "dtls.h"
#include "stun_client.h"

/* "NPMP", origin SSRC, probe seq, send time (µs, 64 bits). */
#define MEDIA_HDR_LEN 20
#define MEDIA_PAYLOAD_MAX 1400
/* SSRCs from the peer we keep statistics for; more are counted only. */
#define MEDIA_MAX_SSRC 16

enum media_kind { MEDIA_AUDIO = 0, MEDIA_VIDEO = 1 };

struct media_probe;

struct media_probe_cfg {
	enum media_kind kind;
	uint8_t pt;                 /* a payload type the peer accepted */
	uint32_t clock_rate;        /* 0: 48000 audio, 90000 video */
	size_t payload_len;         /* RTP payload bytes; 0 = 160, min
				     * MEDIA_HDR_LEN, max MEDIA_PAYLOAD_MAX */
	unsigned pps;               /* packets per second; 0 = 50 */
	uint64_t duration_us;       /* sending time; 0 = 10 s (echo: until
				     * media_probe_stop) */
	uint64_t linger_us;         /* RTCP goes on this long after the last
				     * RTP; 0 = 2 RTCP intervals */
	uint32_t rtcp_interval_us;  /* 0 = 1 s (RFC 3550 §6.2 simplified:
				     * fixed, no randomisation) */
	uint32_t ssrc;              /* 0 = random */
	const char *cname;          /* NULL = "natprobe" */
	int echo;                   /* send back every authenticated RTP
				     * payload in our stream; no own probes */
	const char *label;          /* observation prefix; NULL = "media" */
	/* Called once when the probe has finished (duration + linger, or
	 * media_probe_stop); may not free mp. Optional. */
	void (*on_done)(struct media_probe *mp, void *arg);
	void *done_arg;
};

/* One datagram to the peer (SRTP or SRTCP). A failure is counted. */
typedef int (*media_send_fn)(void *arg, const uint8_t *buf, size_t len);

/* What we know about one SSRC the peer sends. */
struct media_ssrc_stats {
	uint32_t ssrc;
	char cname[64];
	/* SRTP/SRTCP: authenticated and refused (srtp_session counts). */
	uint64_t srtp_ok, srtp_auth_fail, srtp_replay, srtp_malformed;
	uint64_t srtcp_ok, srtcp_failed;
	/* RFC 3550 A.1/A.3/A.8 over the authenticated packets. */
	uint64_t received, expected;
	int64_t lost;               /* expected - received, cumulative */
	double loss_pct;            /* lost / expected */
	uint8_t fraction_lost;      /* last RTCP interval, /256 */
	uint32_t jitter_us;
	uint32_t reordered;         /* arrived below the highest seq */
	uint64_t octets;            /* payload bytes */
	uint64_t throughput_bps;    /* payload bits over first..last arrival */
	/* What its SR said it sent. */
	int have_sr;
	uint32_t sr_packets, sr_octets;
	int bye;
};

struct media_stats {
	uint32_t ssrc;              /* ours */
	int echo;
	/* Our stream as sent. */
	uint64_t sent_packets, sent_octets, sent_rtcp, send_errors;
	uint64_t echoed;            /* echo mode: peer payloads sent back */
	uint64_t send_bps;          /* payload bits per second */
	/* Our stream as the peer's receiver reports describe it. */
	unsigned peer_reports;
	uint8_t peer_fraction_lost;
	int32_t peer_cum_lost;
	double peer_loss_pct;       /* cum_lost / (ext_high_seq - first + 1) */
	uint32_t peer_jitter_us;
	/* Round trip from RR LSR/DLSR (§6.4.1). */
	unsigned rtt_rtcp_n;
	uint32_t rtt_rtcp_last_us, rtt_rtcp_min_us, rtt_rtcp_max_us;
	/* Round trip from our own probe headers echoed back. */
	uint64_t echo_returned;     /* distinct probes that came back */
	double echo_loss_pct;       /* probes sent long enough ago, lost */
	unsigned rtt_echo_n;
	uint32_t rtt_echo_last_us, rtt_echo_min_us, rtt_echo_max_us;
	uint32_t rtt_echo_avg_us;
	/* Everything that arrived. */
	uint64_t in_rtp, in_rtcp, in_failed, in_other, in_overflow;
	struct media_ssrc_stats rx[MEDIA_MAX_SSRC];
	size_t n_rx;
};

/* Checks cfg and keys the SRTP session (our half from k->is_client).
 * ctx, cfg->cname and cfg->label are borrowed for mp's lifetime. Nothing
 * is sent before media_probe_start. */
int media_probe_new(struct np_ctx *ctx, const struct dtls_srtp_keys *k,
		    const struct media_probe_cfg *cfg, media_send_fn send,
		    void *arg, struct media_probe **out);
/* Starts the RTP and RTCP timers (the first RTP goes out now). Call it
 * once DTLS is connected and the keys are exported. */
int media_probe_start(struct media_probe *mp);
/* One datagram from the peer that demuxed as RTP or RTCP (first byte
 * 128-191). Returns 0 when it authenticated, NP_EINVAL otherwise (counted,
 * never fatal). buf is not modified. */
int media_probe_input(struct media_probe *mp, const uint8_t *buf, size_t len);
/* For a caller with several streams (audio and video) on one bundled
 * transport: 1 when this datagram is for mp, i.e. RTCP (every stream
 * reads the compound and takes the report blocks about its own SSRC) or
 * RTP with mp's payload type (RFC 8843 §9.2: without the MID extension a
 * bundled receiver tells m-lines apart by payload type). */
int media_probe_wants(const struct media_probe *mp, const uint8_t *buf,
		      size_t len);
/* Ends the stream now: a last compound with BYE, the summary recorded,
 * on_done called. Safe to call more than once. */
void media_probe_stop(struct media_probe *mp);
int media_probe_done(const struct media_probe *mp);
/* The figures as of now. */
void media_probe_stats(const struct media_probe *mp, struct media_stats *st);
void media_probe_free(struct media_probe *mp);

#endif
