/*
 * ice_session.h - runs one ICE/WebRTC session to its end (ice_session.c);
 * every step lands in ctx's observation log, for the analyzers.
 */
#ifndef ICE_SESSION_H
#define ICE_SESSION_H

#include <stddef.h>

#include "ice_agent.h"
#include "webrtc.h"

struct ice_session_opts {
	int offer;                    /* offer (controlling) or answer */
	const char *local_path;       /* our description: a file, "-", or NULL with whip */
	const char *remote_path;      /* the peer's: a file or "-" */
	const char *whip_url;         /* instead of files: POST the offer here */
	int trickle;                  /* with whip_url: POST at once, PATCH the
				       * candidates gathered later (RFC 9725 §4.3.1) */
	const struct ice_agent_cfg *cfg;
	const struct webrtc_cfg *wcfg;
	double timeout_s, hold_s;
};

/* Returns 0 when the session ran (its outcome is in the log: selected or
 * not, DTLS or not), else a negative NP_E* with *local_failure an exit
 * code (EXIT_USAGE: our description could not be written, EXIT_INTERNAL)
 * and why a sentence. */
int ice_session_run(struct np_ctx *ctx, const struct ice_session_opts *o,
		    int *local_failure, char *why, size_t wlen);

#endif
