/*
 * webrtc_summary.h - what followed ICE, from the observations alone: the
 * DTLS handshake (labels "dtls*", probe/dtls_timeline.c) and the session
 * states ("webrtc", probe/webrtc.c).
 */
#ifndef WEBRTC_SUMMARY_H
#define WEBRTC_SUMMARY_H

#include "findings.h"
#include "obs.h"

struct webrtc_report {
	int present;              /* DTLS was attempted, or the peer was plain ICE */
	int ice_only;             /* the peer had no fingerprint */
	int connected, failed, mitm;
	char role[8];             /* "client", "server" */
	char version[16], cipher[64], profile[40];
	char peer_offered[64];    /* the versions the peer's ClientHello offered */
	unsigned flights_sent, flights_received, retransmits;
	uint64_t handshake_us;
	char reason[OBS_TEXT];    /* why it failed */
	/* The data channel (sctp.*, dc.* observations). */
	int sctp_up, sctp_failed, dc_opened, dc_probe;
	unsigned dc_sent, dc_count, dc_echoed, dc_echoed_by_us;
	unsigned dc_received;     /* messages the peer sent us */
	double dc_rtt_min_ms, dc_rtt_avg_ms, dc_rtt_max_ms, dc_bytes_per_s;
	char dc_failure[OBS_TEXT];
	/* The SRTP probe stream (media, media.rx summaries). */
	int media;
	unsigned m_sent, m_echo_back, m_received, m_lost, m_reordered;
	unsigned m_auth_ok, m_auth_fail;
	double m_peer_loss_pct, m_loss_pct, m_rtt_ms, m_jitter_ms, m_peer_jitter_ms;
	double m_send_bps, m_recv_bps;
	uint64_t evidence;        /* the observation that decided it */
};

/* Fills r and adds dtls-failed / dtls-mitm findings; fs->webrtc = r. */
void webrtc_analyze(const struct obs_log *log, struct webrtc_report *r,
		    struct findings *fs);

#endif
