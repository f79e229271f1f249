/*
 * findings.h - what analyzers conclude: results and findings, plain data
 * built from observations only. Reports render a const struct findings *
 * and nothing else.
 */
#ifndef FINDINGS_H
#define FINDINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "obs.h"

#define FINDING_MAX_EVIDENCE 16
#define FINDINGS_MAX 64
#define STUN_RESULTS_MAX 64

enum severity { SEV_INFO = 0, SEV_WARNING = 1, SEV_ERROR = 2 };

struct finding {
	char id[48];               /* stable key: "udp-blocked", "server-closed" */
	enum severity severity;
	char title[160];           /* one line */
	char detail[512];          /* the figures it rests on */
	char remedy[256];          /* what would fix it; "" if nothing to do */
	uint64_t evidence[FINDING_MAX_EVIDENCE]; /* observation seq numbers */
	size_t nevidence;
};

/* How a leg (server address × transport) ended. */
enum leg_status {
	LEG_OK,              /* success responses */
	LEG_ERROR_RESPONSE,  /* the server answered with an error code */
	LEG_TIMEOUT,         /* no response at all */
	LEG_REFUSED,         /* ICMP port unreachable / TCP RST */
	LEG_UNREACHABLE,     /* ICMP host/net unreachable, no route */
	LEG_MALFORMED,       /* only garbage came back */
	LEG_RESOLVE,         /* the name did not resolve */
	LEG_TLS,             /* TLS handshake failed */
	LEG_ERROR,           /* a local failure */
	LEG__COUNT
};

enum tristate { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 };

struct stun_result {
	char server[OBS_NAME * 2];
	enum np_transport transport;
	int family;                 /* AF_INET, AF_INET6, 0 when unresolved */
	struct sockaddr_storage remote, local;
	enum leg_status status;
	struct sockaddr_storage mapped;     /* XOR-MAPPED (else MAPPED) */
	int have_mapped;
	enum tristate alg_rewrite;  /* MAPPED-ADDRESS disagrees with XOR */
	struct sockaddr_storage plain_mapped; /* MAPPED-ADDRESS when it did */
	enum tristate rfc5780;      /* OTHER-ADDRESS present */
	struct sockaddr_storage origin, other;
	int have_origin, have_other;
	char software[OBS_NAME * 2];
	uint32_t rtt_min_us, rtt_median_us, rtt_max_us;
	unsigned samples;           /* responses that gave an RTT */
	unsigned requests, retransmits, responses, unmatched, malformed;
	int error_code;
	char message[256];          /* why it failed, with the numbers */
	char tls[256];              /* TLS version/cipher/certificate */
	uint64_t evidence[FINDING_MAX_EVIDENCE];
	size_t nevidence;
};

/* One check of a CI policy (analyzers/policy.h) on one address family
 * (0: the run as a whole), and why it passed or failed. */
#define POLICY_RESULTS_MAX 32
struct policy_result {
	char check[16];             /* "udp", "eim", "rtt", ... */
	int family;                 /* AF_INET, AF_INET6 or 0 */
	int passed;
	int finding;                /* index in f[] of its failure, or -1 */
	char value[64];             /* the verdict it read: "blocked", "12.3 ms" */
	char reason[256];
};

struct nat_report;  /* analyzers/nat_classify.h */
struct capture_report;  /* analyzers/capture_summary.h */
struct ice_report;      /* analyzers/ice_summary.h */
struct verdicts;        /* analyzers/verdicts.h */
struct webrtc_report;   /* analyzers/webrtc_summary.h */

struct findings {
	const char *command;        /* "stun", "nat", "report" */
	uint64_t start_wall_us;
	struct stun_result stun[STUN_RESULTS_MAX];
	size_t nstun;
	const struct nat_report *nat;  /* borrowed, NULL unless command nat */
	const struct capture_report *capture; /* borrowed, NULL unless analyze */
	const struct ice_report *ice;  /* borrowed, NULL unless command ice */
	const struct verdicts *verdicts; /* borrowed: transport matrix, call
					  * quality, conformance, or NULL */
	const struct webrtc_report *webrtc; /* borrowed: DTLS after ICE, or NULL */
	const struct obs_log *log;  /* borrowed: the observations behind these
				     * (the HTML timeline), or NULL */
	struct finding f[FINDINGS_MAX];
	size_t nf;
	int exit_code;              /* 0 ok, 1 a required check failed */
	struct policy_result policy[POLICY_RESULTS_MAX];
	size_t npolicy;
	int policy_explicit;        /* --require/--max-rtt given */
};

const char *leg_status_name(enum leg_status s);
const char *severity_name(enum severity s);
const char *tristate_name(enum tristate t);

/* Appends a finding; NULL when FINDINGS_MAX is reached. */
struct finding *findings_add(struct findings *fs, const char *id,
			     enum severity sev);
void finding_evidence(struct finding *f, uint64_t seq);

#endif
