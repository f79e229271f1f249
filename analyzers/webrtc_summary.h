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
	uint64_t evidence;        /* the observation that decided it */
};

/* Fills r and adds dtls-failed / dtls-mitm findings; fs->webrtc = r. */
void webrtc_analyze(const struct obs_log *log, struct webrtc_report *r,
		    struct findings *fs);

#endif
