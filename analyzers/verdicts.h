/*
 * verdicts.h - the verdicts that span a whole run: the transport matrix
 * (verdict_matrix.h), call quality (verdict_quality.h) and the peer's
 * conformance (verdict_conformance.h), plus the findings they allow:
 *   ipv6-broken         a path that works over IPv4 failed over IPv6, and
 *                       no IPv6 cell worked
 *   turn-needed         every decided direct pair failed and a relayed
 *                       pair was selected
 *   peer-unreachable    checks went out on every pair and the peer
 *                       answered none of them
 *   dtls-failed         the handshake stopped: at which flight and why,
 *                       in probe/dtls_timeline.c's words
 *   call-quality        the graded figures (info when good)
 *   peer-check-pacing, peer-check-backoff, peer-consent-cadence,
 *   peer-dtls-retransmit  the peer strays from the RFC named
 * TURN credential, quota and reachability failures stay with
 * analyzers/ice_summary.c (turn-credentials, turn-quota, ...).
 */
#ifndef VERDICTS_H
#define VERDICTS_H

#include "findings.h"
#include "obs.h"
#include "verdict_conformance.h"
#include "verdict_matrix.h"
#include "verdict_quality.h"

struct verdicts {
	struct verdict_matrix matrix;
	struct call_quality quality;
	struct conformance conformance;
};

/* Run after the command's own analyzer (ice_analyze, nat_classify,
 * stun_summarize): reads log and fs->ice, fills v, adds findings to fs and
 * points fs->verdicts at v (borrowed: v must outlive fs's use). Pure. */
void verdicts_analyze(const struct obs_log *log, struct verdicts *v,
		      struct findings *fs);

#endif
