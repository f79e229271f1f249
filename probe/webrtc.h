/*
 * webrtc.h - what follows ICE in a WebRTC session: the offer or answer a
 * browser and a media server accept (BUNDLE, rtcp-mux, audio, optional
 * video, an SCTP data channel m-line, a=fingerprint, a=setup), then DTLS
 * with use_srtp (RFC 5763, RFC 5764) on the selected pair, the remote
 * certificate checked against the remote fingerprint, and the STUN /
 * DTLS / RTP demultiplexing of RFC 7983 on that pair.
 *
 * A remote description without a fingerprint is a plain ICE peer: the
 * session then ends with ICE (webrtc_state stays WEBRTC_ICE_ONLY).
 */
#ifndef WEBRTC_H
#define WEBRTC_H

#include <stdio.h>

#include "dtls.h"
#include "ice_agent.h"
#include "sdp.h"

struct webrtc_cfg {
	int offerer;        /* offer a=setup:actpass; else answer active */
	int video;          /* offer a video m-line too */
	int no_media;       /* plain ICE: one m-line, no fingerprint */
	FILE *keylog;       /* SSLKEYLOGFILE lines, borrowed */
	uint32_t dtls_deadline_us; /* 0: 10 s */
	int echo;           /* answer media and data-channel messages back */
	int serve_forever;  /* echo until freed (serve), not for one probe's time */
	unsigned dc_count;  /* probe messages on the data channel; 0: 20 */
	size_t dc_size;     /* their size; 0: 1000 bytes */
	/* The SRTP probe stream on the audio m-line. */
	uint64_t media_us;  /* how long; 0: 2 s (echo: until the end) */
	unsigned media_pps; /* packets per second; 0: 50 */
	size_t media_size;  /* payload bytes; 0: 160 */
};

enum webrtc_state {
	WEBRTC_WAITING,      /* for ICE, or the remote description */
	WEBRTC_ICE_ONLY,     /* the peer is plain ICE: nothing after ICE */
	WEBRTC_DTLS,         /* handshake under way */
	WEBRTC_CONNECTED,    /* DTLS up, SRTP keys exported; data channel
			      * and probes under way */
	WEBRTC_FAILED,       /* DTLS failed; webrtc_reason says why */
};

struct webrtc;

int webrtc_new(struct np_ctx *ctx, struct ice_agent *agent,
	       const struct webrtc_cfg *cfg, struct webrtc **out);
void webrtc_free(struct webrtc *w);
/* Stops the media stream (final RTCP with BYE): call before the end. */
void webrtc_stop(struct webrtc *w);

/* Our description: an offer (remote NULL) or the answer to remote, with
 * the agent's credentials and candidates in the first m-line. */
int webrtc_local_sdp(struct webrtc *w, const struct sdp *remote,
		     struct sdp *out);
/* The peer's description: fingerprint and setup of its first accepted
 * m-line. Returns 0, or NP_EINVAL with a reason (webrtc_reason) when it
 * is unusable (a fingerprint of an unknown hash, setup:actpass in an
 * answer...). */
int webrtc_set_remote(struct webrtc *w, const struct sdp *remote);
/* Call when ICE has selected a pair: starts DTLS (or, for a plain ICE
 * peer, moves to WEBRTC_ICE_ONLY). */
void webrtc_ice_connected(struct webrtc *w);

/* 1 once everything after DTLS has finished (the data-channel probe
 * done or failed, or no data channel negotiated). */
int webrtc_done(const struct webrtc *w);
enum webrtc_state webrtc_state(const struct webrtc *w);
const char *webrtc_state_name(enum webrtc_state s);
const char *webrtc_reason(const struct webrtc *w);
int webrtc_mitm(const struct webrtc *w);
/* The exported SRTP keys once connected (NULL before). */
const struct dtls_srtp_keys *webrtc_keys(const struct webrtc *w);
struct dtls *webrtc_dtls(struct webrtc *w);

/* Non-DTLS traffic of the selected pair (RTP, RTCP) goes here. */
typedef void (*webrtc_media_fn)(void *arg, const uint8_t *buf, size_t len);
void webrtc_set_media_cb(struct webrtc *w, webrtc_media_fn fn, void *arg);
/* DTLS application data (SCTP) goes here. */
void webrtc_set_app_cb(struct webrtc *w, webrtc_media_fn fn, void *arg);
/* Called once when DTLS connects or fails. */
typedef void (*webrtc_state_fn)(void *arg, enum webrtc_state s);
void webrtc_set_state_cb(struct webrtc *w, webrtc_state_fn fn, void *arg);

#endif
