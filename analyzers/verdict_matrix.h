/*
 * verdict_matrix.h - the transport matrix: one verdict per cell of
 * {UDP, TCP, TLS} x {IPv4, IPv6} x {host, srflx, relay, ICE-TCP}, built
 * from what was observed only (never guessed).
 *
 * What each cell rests on:
 *   host     UDP pairs whose local candidate is a host candidate: ok when
 *            a check on one succeeded, failed when every decided pair
 *            failed. A host candidate gathered but never decided by a
 *            check is "not tried" (the reason says it was gathered).
 *   srflx    Binding legs to STUN servers (ICE "ice.srflx"; `natprobe nat`
 *            "server", "tcp", "tls", "tls.443"; `natprobe stun`
 *            "binding.*") over that transport and server family, then the
 *            pairs whose local candidate is server- (or peer-) reflexive:
 *            a decided pair outranks the gathering leg.
 *   relay    keyed by the transport to the TURN server and the family of
 *            the relayed address: the Allocate leg (a failed allocation
 *            counts for the family of the server address, which is the
 *            family probe/ice_gather.c requests), then pairs whose local
 *            candidate is that relayed candidate.
 *   ICE-TCP  RFC 6544 candidates (candidate transport tcp) and their pairs,
 *            whatever their type; only its TCP row applies.
 * Cells that do not exist (host over TCP/TLS is ICE-TCP; ICE-TCP over UDP
 * or TLS) are "n/a".
 *
 * A failed cell carries the code the server or peer gave (STUN/TURN error
 * codes: 401, 438, 441, 486, 508, 487...), or 701 when the server or peer
 * could not be reached at all, as W3C webrtc-pc's icecandidateerror
 * reports it, with the cause (timeout, icmp, tls, connect, error) and the
 * reason in the peer's or the probe's words, and a remedy.
 */
#ifndef VERDICT_MATRIX_H
#define VERDICT_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "obs.h"

struct ice_report;

enum vm_kind { VM_HOST, VM_SRFLX, VM_RELAY, VM_ICETCP, VM__KINDS };
enum vm_status { VM_NOT_TRIED, VM_OK, VM_FAILED, VM_NA };
#define VM_TRANSPORTS 3  /* enum np_transport */
#define VM_FAMILIES 2    /* [0] IPv4, [1] IPv6 */
#define VM_EVIDENCE 8
/* W3C webrtc-pc §4.8.3: "no host candidate can reach the server". */
#define VM_CODE_UNREACHABLE 701

struct vm_cell {
	enum vm_status status;
	char stage[12];             /* "check", "gather", "" */
	int code;                   /* the server's/peer's code, 701, or 0 */
	char cause[12];             /* "error", "timeout", "icmp", "tls",
				     * "connect", "local", "" */
	char reason[200];           /* in the server's or the probe's words */
	char remedy[200];           /* "" unless failed */
	unsigned ok, failed;        /* decided attempts (legs and pairs) */
	unsigned rtt_samples;
	uint64_t rtt_min_us;        /* of the successful checks/legs */
	uint64_t evidence[VM_EVIDENCE];
	size_t nevidence;
};

struct verdict_matrix {
	int present;                /* something in the log fed it */
	struct vm_cell cell[VM_TRANSPORTS][VM_FAMILIES][VM__KINDS];
};

/* Fills m from the log and, when not NULL, the ICE summary of the same
 * log (analyzers/ice_summary.h). Pure. */
void verdict_matrix_build(const struct obs_log *log,
			  const struct ice_report *ice,
			  struct verdict_matrix *m);

const char *vm_kind_name(enum vm_kind k);     /* "host", ..., "ice-tcp" */
const char *vm_status_name(enum vm_status s); /* "ok", "failed", ... */
int vm_family_index(int family);              /* AF_INET 0, AF_INET6 1, -1 */

#endif
