/*
 * ice_summary.h - what an ICE run did, rebuilt from its observations alone
 * (the "ice.*" labels written by probe/ice_agent.c): candidates gathered
 * and received, every pair with statistics shaped like W3C
 * RTCIceCandidatePairStats, the selected pair, per-phase times, and the
 * outcome of every STUN/TURN server leg with the server's own error code
 * and reason. Findings explain failures with their evidence.
 */
#ifndef ICE_SUMMARY_H
#define ICE_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "findings.h"
#include "ice_cand.h"
#include "obs.h"

#define ICE_SUM_MAX_CANDS 128
#define ICE_SUM_MAX_PAIRS 160
#define ICE_SUM_MAX_LEGS 32
#define ICE_SUM_MAX_CHANGES 8

struct ice_sum_cand {
	struct ice_cand c;
	int remote;
	int relay_transport;        /* -1, or enum np_transport to the server */
	uint64_t t_us;              /* when gathered / received */
	uint64_t seq;
};

struct ice_sum_pair {
	long index;                 /* the agent's pair number */
	struct sockaddr_storage local, remote; /* local base, remote address */
	char ltype[8], rtype[8];
	enum np_transport transport;
	uint64_t priority;
	char state[16];
	int nominated, selected;
	uint64_t requests_sent, retransmissions_sent, responses_received;
	uint64_t requests_received, responses_sent;
	uint64_t current_rtt_us, total_rtt_us, rtt_samples;
	uint64_t first_request_us, last_response_us;
	int last_error;             /* the error code of a failed check */
	size_t nchanges;
	struct { char state[16]; uint64_t t_us; } changes[ICE_SUM_MAX_CHANGES];
};

/* One STUN or TURN server leg as gathering used it. */
struct ice_sum_leg {
	char server[OBS_NAME * 2];
	char kind[8];               /* "srflx", "relay" */
	enum np_transport transport;
	int family;
	int ok;
	unsigned requests, responses, timeouts;
	unsigned n401;              /* 401s to Allocate: the first is the challenge */
	int error_code;             /* the server's, for the last error response */
	char reason[128];           /* its reason phrase, or what went wrong */
	uint64_t rtt_us;
	uint64_t evidence;          /* the observation that decided it */
};

struct ice_report {
	int present;                /* the log has an ICE run */
	int controlling;
	char state[16];             /* "completed" or "failed" */
	int selected_ok;
	long selected;              /* index into pairs, or -1 */
	struct sockaddr_storage sel_local, sel_remote; /* local: the base */
	struct sockaddr_storage sel_local_cand;  /* the local candidate's address */
	char sel_ltype[8], sel_rtype[8];
	enum np_transport sel_transport;
	int sel_relay_transport;    /* -1 unless the local side is a relay */
	uint64_t sel_rtt_us;
	/* Per-phase times since the start, 0 when not reached. */
	uint64_t t_first_host, t_first_srflx, t_first_relay, t_first_check,
		t_first_valid, t_nominated, t_selected, t_gathered;
	size_t ncands;
	struct ice_sum_cand cands[ICE_SUM_MAX_CANDS];
	size_t nrejected;           /* remote candidates we could not use */
	size_t npairs;
	struct ice_sum_pair pairs[ICE_SUM_MAX_PAIRS];
	size_t nlegs;
	struct ice_sum_leg legs[ICE_SUM_MAX_LEGS];
	unsigned checks_in, checks_in_unauthorized, checks_in_bad;
	unsigned consent_sent, consent_ok;
	char failure[OBS_TEXT];     /* why the run stopped short, or "" */
};

/* Fills r from log and adds findings (and points fs->ice at r). */
void ice_analyze(const struct obs_log *log, struct ice_report *r,
		 struct findings *fs);

#endif
