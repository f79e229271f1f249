/*
 * verdict_conformance.h - how the peer behaved on the wire, against the
 * RFCs, from what we received (times are our receive times, so network
 * jitter blurs them; the thresholds leave room for it):
 *
 *   check-pacing     RFC 8445 §14.2: ordinary checks at least Ta = 5 ms
 *                    apart. From "ice.check.in" notes before our
 *                    selection; exempt: triggered checks (the first check
 *                    from the peer on a path after one of ours on it,
 *                    §7.3.1.4), retransmissions (same transaction ID when
 *                    the note carries one) and consent checks. Strays
 *                    when at least 2 intervals are under 4 ms (5 ms less
 *                    1 ms for receive-time jitter: a peer pacing at
 *                    exactly Ta = 5 ms, as natprobe does by default, is
 *                    not flagged).
 *   check-backoff    RFC 8489 §6.2.1 (RFC 8445 §14.3): a retransmitted
 *                    check waits about twice as long as the previous
 *                    try. Needs the transaction ID of each received
 *                    check (OBS_HAS_TID on "ice.check.in"); without it
 *                    the item is "not derivable". From a capture
 *                    (`natprobe analyze`: "capture" OBS_SENT/RETRANSMIT
 *                    Binding requests with their dissected transaction
 *                    IDs) every sender's requests are judged. Strays when
 *                    an interval is under 1.5 times the one before.
 *   consent-cadence  RFC 7675 §5.1: consent checks every 5 s randomized
 *                    to 4..6 s. The peer's checks on the selected pair
 *                    after selection (intervals under 0.5 s are the tail
 *                    of its own checks and skipped); strays under 3.6 s or
 *                    over 6.6 s (10 % slack), and when 30 s passed with
 *                    none (consent would expire, §5.1).
 *   dtls-retransmit  RFC 6347 §4.2.4.1 (RFC 9147 §5.8): a retransmitted
 *                    flight doubles the timer. From "dtls.recv" records
 *                    marked "peer retransmission, peer flight N" (copies
 *                    within 50 ms are one retransmission); strays when an
 *                    interval is under 1.5 times the one before. The first
 *                    interval is the peer's initial timer (1 s recommended).
 */
#ifndef VERDICT_CONFORMANCE_H
#define VERDICT_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include "obs.h"

struct ice_report;

enum vc_item_id { VC_CHECK_PACING, VC_CHECK_BACKOFF, VC_CONSENT,
		  VC_DTLS_RTX, VC__ITEMS };
enum vc_status { VC_NOT_OBSERVED, VC_OK, VC_STRAYS, VC_UNDERIVABLE };

#define VC_EVIDENCE 12
#define VC_PACING_MIN_MS 5.0     /* RFC 8445 §14.2 floor for Ta */
#define VC_PACING_FLAG_MS 4.0    /* less receive-time jitter */
#define VC_CONSENT_MIN_MS 3600.0
#define VC_CONSENT_MAX_MS 6600.0
#define VC_CONSENT_EXPIRY_MS 30000.0

struct vc_item {
	enum vc_status status;
	unsigned samples;           /* intervals measured */
	unsigned violations;
	double min_ms, max_ms;      /* of the intervals measured */
	char detail[320];
	uint64_t evidence[VC_EVIDENCE]; /* the observations of the strays */
	size_t nevidence;
};

struct conformance {
	int present;                /* something to judge was in the log */
	struct vc_item item[VC__ITEMS];
};

/* Fills c from the log and the ICE summary of it (or NULL). Pure. */
void verdict_conformance_build(const struct obs_log *log,
			       const struct ice_report *ice,
			       struct conformance *c);

const char *vc_item_name(enum vc_item_id i);  /* "check-pacing", ... */
const char *vc_item_rfc(enum vc_item_id i);   /* "RFC 8445 §14.2", ... */
const char *vc_status_name(enum vc_status s); /* "ok", "strays", ... */

#endif
