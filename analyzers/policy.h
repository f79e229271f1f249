/*
 * policy.h - the CI policy of `natprobe nat` and `natprobe stun`
 * (--require LIST, --max-rtt MS): which checks a run must pass. Pure:
 * the analyzed results in, one pass/fail result per check and family out
 * (struct policy_result in findings.h), with a policy-<check> finding for
 * each failure.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"

enum policy_check {
	POLICY_UDP,       /* STUN over UDP reaches the server */
	POLICY_TCP,       /* STUN over TCP works */
	POLICY_TLS,       /* STUN over TLS works */
	POLICY_TLS443,    /* STUN over TLS on port 443 works (nat) */
	POLICY_EIM,       /* endpoint-independent mapping (RFC 4787 §4.1) */
	POLICY_EIF,       /* endpoint-independent filtering (RFC 4787 §5) */
	POLICY_HAIRPIN,   /* hairpinning supported (RFC 4787 §6) */
	POLICY_IPV4,      /* the family was tested and UDP works over it */
	POLICY_IPV6,
	POLICY_NONAT,     /* the mapped address is the local one */
	/* ICE and WebRTC (ice, and the full diagnosis). */
	POLICY_SRFLX,     /* a server-reflexive candidate was gathered */
	POLICY_RELAY,     /* a relayed candidate was gathered (TURN works) */
	POLICY_P2P,       /* a direct (non-relayed) pair was selected */
	POLICY_PAIR,      /* some pair was selected (direct or relayed) */
	POLICY_DTLS,      /* DTLS connected on the selected pair */
	POLICY_SRTP,      /* SRTP media authenticated in both directions */
	POLICY_DATA,      /* the data channel opened */
	POLICY_LOSS,      /* media loss within --max-loss (both directions) */
	POLICY_RTT,       /* round-trip time within --max-rtt */
	POLICY__COUNT
};

struct policy {
	unsigned required;       /* 1u << POLICY_* */
	uint32_t max_rtt_us;     /* with POLICY_RTT */
	double max_loss_pct;     /* with POLICY_LOSS */
	int require_given;       /* --require: the policy alone sets the exit code */
};

const char *policy_check_name(enum policy_check c);
/* "udp, tcp, tls, ipv4, ipv6" for stun; the longer list for nat. */
const char *policy_valid_checks(const char *command);
/* Adds the comma-separated checks of list. An unknown or empty check
 * returns -EINVAL with "unknown check \"x\" (valid: ...)" in why. */
int policy_parse(const char *list, const char *command, struct policy *p,
		 char *why, size_t len);
/* Evaluates p over fs (fs->nat for nat, the legs in fs->stun otherwise).
 * Without an explicit policy (required == 0) nat runs record their one
 * default check, UDP per family, for the reports and change nothing else.
 * Otherwise each failure adds a policy-<check> finding and the exit code
 * becomes 1 if a check failed: with --require the policy alone decides it,
 * with --max-rtt alone the RTT check adds to the default rules. */
void policy_apply(const struct policy *p, struct findings *fs);

#endif
