/*
 * capture_summary.h - what a capture shows, from its dissected packets:
 * packet counts per protocol, flows per 5-tuple, STUN transactions (and
 * the same observations a live run records: OBS_SENT, OBS_RETRANSMIT,
 * OBS_RESPONSE, OBS_UNMATCHED, OBS_MALFORMED, OBS_TIMEOUT), ICE
 * connectivity checks per pair, TURN allocations, DTLS handshake progress
 * per flow and RTP streams per SSRC with loss and jitter (RFC 3550 A.3,
 * A.8). Pure: dissected packets in, a report and findings out.
 *
 * Everything a capture can make grow has a fixed cap; what does not fit is
 * counted in the report's *_dropped fields.
 */
#ifndef CAPTURE_SUMMARY_H
#define CAPTURE_SUMMARY_H

#include <stdint.h>
#include <sys/socket.h>

#include "dissect.h"
#include "findings.h"
#include "obs.h"

#define CAP_FLOWS_MAX 256
#define CAP_TX_MAX 4096
#define CAP_ICE_MAX 64
#define CAP_RTP_MAX 64
#define CAP_CODES_MAX 16
#define CAP_RELAYS_MAX 16

struct cap_code_count {
	int code;
	unsigned count;
};

/* DTLS handshake progress in one direction of a flow. */
struct cap_dtls_dir {
	int max_hs_type;          /* highest plaintext handshake type, -1 */
	unsigned records, handshake, ccs, encrypted_hs, appdata, alerts;
	int last_alert_level, last_alert_desc; /* -1: none or encrypted */
};

struct cap_flow {
	int l4;                   /* DS_L4_UDP or DS_L4_TCP */
	struct sockaddr_storage a, b;   /* a: who sent the first packet */
	uint64_t first_us, last_us;
	unsigned pkts_ab, pkts_ba;
	uint64_t bytes_ab, bytes_ba;
	unsigned by_app[DS__COUNT];
	struct cap_dtls_dir dtls[2];    /* [0] a→b, [1] b→a */
	unsigned dtls13;
};

struct cap_tx {
	uint8_t tid[STUN_TID_LEN];
	uint16_t method;
	int l4;
	struct sockaddr_storage client, server;
	uint64_t sent_us;
	uint64_t sent_seq;        /* the OBS_SENT observation */
	unsigned tries;
	int answered;             /* 0, STUN_SUCCESS or STUN_ERROR */
	int error_code;
	int ice;                  /* USERNAME/PRIORITY/USE-CANDIDATE seen */
	int use_candidate;
	int ice_idx;              /* pair index, -1 */
};

struct cap_ice_pair {
	struct sockaddr_storage from, to;
	unsigned checks, use_candidate, success, errors, unanswered;
	int last_error;
	char username[64];
};

struct cap_rtp {
	uint32_t ssrc;
	uint8_t pt;
	struct sockaddr_storage src, dst;
	uint32_t clock;           /* Hz assumed from the payload type */
	unsigned packets;
	/* RFC 3550 A.1/A.3 sequence state */
	uint16_t base_seq, max_seq;
	uint32_t cycles;
	unsigned reordered;       /* late or duplicate packets */
	/* RFC 3550 A.8 */
	int have_transit;
	double transit, jitter;   /* in timestamp units */
	uint64_t first_us, last_us;
};

struct capture_report {
	char file[256];
	const char *format;       /* "pcap", "pcapng" */
	char linktypes[96];
	uint64_t first_us, last_us;
	unsigned packets;
	unsigned by_app[DS__COUNT];
	unsigned truncated;       /* caplen < len */
	unsigned fragments;       /* non-first IP fragments */
	unsigned not_ip, tcp_unframed, udp, tcp;
	char read_error[256];     /* why reading stopped early, or "" */
	/* STUN */
	unsigned stun_requests, stun_retransmits, stun_indications,
		 stun_success, stun_errors, stun_unmatched, stun_unanswered;
	struct cap_code_count codes[CAP_CODES_MAX];
	size_t ncodes;
	/* TURN */
	unsigned turn_allocate, turn_alloc_ok, turn_refresh, turn_perm,
		 turn_chanbind, turn_send, turn_data;
	struct cap_code_count alloc_codes[CAP_CODES_MAX];
	size_t nalloc_codes;
	struct sockaddr_storage relays[CAP_RELAYS_MAX];
	size_t nrelays;
	/* tables */
	struct cap_flow flows[CAP_FLOWS_MAX];
	size_t nflows, flows_dropped;
	struct cap_tx tx[CAP_TX_MAX];
	size_t ntx, tx_dropped;
	struct cap_ice_pair ice[CAP_ICE_MAX];
	size_t nice, ice_dropped;
	struct cap_rtp rtp[CAP_RTP_MAX];
	size_t nrtp, rtp_dropped;
	/* Open-addressing hash indexes into the tables above (a slot holds
	 * the table index + 1, 0 when empty), private to capture_summary.c:
	 * one lookup per packet whatever the number of flows or streams. */
	uint16_t flow_ix[CAP_FLOWS_MAX * 4];
	uint16_t tx_ix[CAP_TX_MAX * 2];
	uint16_t rtp_ix[CAP_RTP_MAX * 4];
};

/* Starts a summary. log receives the derived observations; its start time
 * becomes the first packet's when that arrives. */
void capture_summary_init(struct capture_report *cr, struct obs_log *log);
/* One dissected packet with its time (µs since the epoch). */
void capture_summary_packet(struct capture_report *cr, struct obs_log *log,
			    const struct dissect_pkt *d, uint64_t t_us);
/* Closes open transactions (OBS_TIMEOUT) and writes findings. */
void capture_summary_finish(struct capture_report *cr, struct obs_log *log,
			    struct findings *fs);

/* RTP stream math, exposed for tests. Clock rate assumed for a payload
 * type: 8000 for 0 (PCMU) and 8 (PCMA), 90000 for video-like 26, 31-34,
 * 48000 for dynamic types (96..127, Opus-like) and otherwise. */
uint32_t capture_rtp_clock(uint8_t pt);
void capture_rtp_update(struct cap_rtp *s, uint16_t seq, uint32_t ts,
			uint64_t t_us);
/* Expected packets (from the extended highest sequence number), lost
 * (never negative) and loss percent. */
uint32_t capture_rtp_expected(const struct cap_rtp *s);
uint32_t capture_rtp_lost(const struct cap_rtp *s);
double capture_rtp_jitter_ms(const struct cap_rtp *s);

/* Names: "ClientHello", "handshake_failure", "hs 99". buf for unknowns. */
const char *capture_dtls_hs_name(int type, char *buf, size_t len);
const char *capture_dtls_alert_name(int desc, char *buf, size_t len);

#endif
