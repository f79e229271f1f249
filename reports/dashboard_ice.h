/*
 * dashboard_ice.h - the ICE/WebRTC part of the live dashboard: a model
 * fed one observation at a time (the "ice.*", "webrtc", "dtls", "media*",
 * "sctp.assoc" and "dc.*" records of probe/ice_agent.c, webrtc.c,
 * dtls_timeline.c, media_probe.c and sctp_dc*.c), and the two panels
 * that show it: candidates and pairs; the selected pair, DTLS, media and
 * the data channel. No terminal here either (see dashboard_view.h).
 */
#ifndef DASHBOARD_ICE_H
#define DASHBOARD_ICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "obs.h"

/* Caps: what the agent itself can hold (ICE_CL_MAX_PAIRS), a few recent
 * candidates for the screen, a few SSRCs per direction. */
#define DASH_ICE_PAIRS 150
#define DASH_ICE_RECENT 4
#define DASH_ICE_SSRC 4
/* Candidate types as ice_cand.h numbers them: host, srflx, prflx, relay. */
#define DASH_ICE_TYPES 4

struct dash_ice_cand {
	int type;                   /* enum ice_cand_type */
	enum np_transport transport;
	char addr[64];
};

struct dash_ice_pair {
	long index;                 /* the agent's pair number */
	char ltype[8], rtype[8];
	char state[16];             /* "waiting", "in-progress", "succeeded"... */
	enum np_transport transport;
	struct sockaddr_storage local, remote; /* local base, remote address */
	uint32_t rtt_us;            /* the latest check's, 0 if none */
	int nominated, selected;
	uint64_t touched;           /* ordering: higher is more recent */
};

struct dash_ssrc {
	uint32_t ssrc;
	unsigned sent, received, lost;
	double peer_loss_pct;
	uint32_t rtt_rtcp_us, rtt_echo_us, jitter_us;
};

enum dash_dtls {
	DD_NONE,        /* no DTLS yet */
	DD_ICE_ONLY,    /* the peer has no fingerprint: plain ICE */
	DD_HANDSHAKE,
	DD_CONNECTED,
	DD_FAILED,
};

enum dash_dc { DC_NONE, DC_OPENING, DC_OPEN, DC_FAILED, DC_CLOSED };

struct dash_ice {
	int active;                 /* an ICE session has started */
	char role[16];              /* "controlling", "controlled" */
	char state[16];             /* agent state: "gathering", "checking"... */
	int gathered;               /* gathering complete */
	unsigned nlocal[DASH_ICE_TYPES][2];  /* [type][udp, tcp] */
	unsigned nremote[DASH_ICE_TYPES];
	size_t nlocal_all, nremote_all;
	struct dash_ice_cand recent[DASH_ICE_RECENT]; /* newest first */
	size_t nrecent;
	struct dash_ice_pair pairs[DASH_ICE_PAIRS];
	size_t npairs, pairs_overflow;
	uint64_t clock;
	int have_selected;
	char sel_ltype[8], sel_rtype[8], sel_local[64], sel_remote[64];
	enum np_transport sel_transport;
	uint32_t sel_rtt_us;
	enum dash_dtls dtls;
	char dtls_role[8], dtls_version[16], dtls_profile[40];
	uint32_t dtls_us;           /* handshake time */
	char dtls_why[OBS_TEXT];    /* why it failed */
	int media;                  /* the SRTP probe stream started */
	struct dash_ssrc tx[DASH_ICE_SSRC], rx[DASH_ICE_SSRC];
	size_t ntx, nrx;
	int sctp_up;
	enum dash_dc dc;
	char dc_label[40];
	char dc_why[OBS_TEXT];
	int dc_probe;               /* the probe channel's result is in */
	unsigned dc_sent, dc_echoed;
	double dc_rtt_ms;
};

struct dash_screen;
struct dash_box;

void dash_ice_init(struct dash_ice *d);
/* One observation, as it is stored in the log; others are ignored. */
void dash_ice_observe(struct dash_ice *d, const struct obs *o);
/* ICE decided: a pair selected, or the agent failed. */
int dash_ice_decided(const struct dash_ice *d);
/* The pair the agent numbered index, or NULL. */
const struct dash_ice_pair *dash_ice_pair(const struct dash_ice *d, long index);

/* Candidates and pairs (the left panel once ICE runs). */
void dash_ice_draw_pairs(const struct dash_ice *d, struct dash_screen *s,
			 const struct dash_box *b);
/* Selected pair, DTLS, media, data channel, from row y of b; returns
 * the next free row. */
int dash_ice_draw_session(const struct dash_ice *d, int finished,
			  struct dash_screen *s, const struct dash_box *b,
			  int y);

#endif
