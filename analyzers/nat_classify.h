/*
 * nat_classify.h - NAT and firewall behaviour from the observations of
 * `natprobe nat`: mapping and filtering (RFC 4787 §4.1, §5; RFC 5780 §4.3,
 * §4.4), hairpinning (§4.5), binding lifetime (§4.6), port allocation,
 * ALG rewriting, the largest datagram each way, UDP/TCP/TLS reachability
 * and signs of double NAT. Per address family, each verdict with its
 * evidence, tries and confidence. Pure: observations in, report out.
 *
 * The test labels in the observations are the contract with
 * probe/nat_probe.c; they are listed there.
 */
#ifndef NAT_CLASSIFY_H
#define NAT_CLASSIFY_H

#include "findings.h"
#include "obs.h"

/* RFC 4787 behaviours. */
enum nat_behavior {
	NB_UNKNOWN = 0,           /* could not be determined (reason says why) */
	NB_EI,                    /* endpoint-independent */
	NB_AD,                    /* address-dependent */
	NB_APD,                   /* address-and-port-dependent */
	NB_EI_OR_AD,              /* single-IP server: port half only */
	NB_DEPENDENT,             /* differs per server: AD or APD */
	NB_NONE,                  /* hairpinning: not supported */
	NB_YES,                   /* hairpinning: supported */
};

enum confidence { CONF_NONE = 0, CONF_LOW, CONF_MEDIUM, CONF_HIGH };

struct nat_verdict {
	enum nat_behavior value;
	enum confidence confidence;
	unsigned tries;            /* transmissions the verdict rests on */
	char reason[320];          /* the observation, in words */
	uint64_t evidence[FINDING_MAX_EVIDENCE];
	size_t nevidence;
};

enum server_mode {
	SERVER_UNKNOWN = 0,        /* no answer to the first request */
	SERVER_FULL,               /* OTHER-ADDRESS differs in IP and port */
	SERVER_PORT_ONLY,          /* OTHER-ADDRESS differs in port only */
	SERVER_NO_5780,            /* no OTHER-ADDRESS, or 420 */
	SERVER_IGNORES_CHANGE,     /* answers change requests from the primary */
	SERVER_LIES,               /* OTHER-ADDRESS or origins inconsistent */
};

struct nat_family {
	int family;                /* AF_INET or AF_INET6 */
	int tested;                /* a server of this family was given */
	char server[OBS_NAME * 2];
	struct sockaddr_storage primary, other, local, mapped;
	int have_mapped, have_other;
	enum tristate udp;         /* UDP reaches the server */
	enum tristate tcp, tls;    /* STUN over TCP / TLS works */
	enum tristate tls443;      /* STUN over TLS on port 443 works */
	char tcp_detail[160], tls_detail[160];
	enum tristate nat;         /* mapped differs from local */
	enum server_mode server_mode;
	char server_detail[256];
	uint32_t rtt_us;           /* min RTT to the primary */
	unsigned sent, retransmits; /* for the loss estimate */
	double loss;               /* observed fraction of tries unanswered */
	struct nat_verdict mapping, filtering, hairpinning;
	struct nat_verdict tcp_mapping;  /* RFC 5382 §4.1, over TCP */
	/* Port allocation. */
	enum tristate port_preserved, parity_preserved;
	int delta_sockets_valid, delta_sockets; /* consecutive sockets */
	int delta_dest_valid, delta_dest;       /* one socket, new dests */
	unsigned port_samples;
	enum tristate alg;         /* MAPPED-ADDRESS rewritten */
	/* Largest IP datagram that passed (0: not measured). */
	unsigned max_out, fail_out, max_in, fail_in;
	/* Binding lifetime, when measured: alive at least low s, gone by high. */
	int lifetime_tested;
	unsigned lifetime_low_s, lifetime_high_s; /* high 0: outlived the test */
	/* Hops on the way out that are NAT-ish addresses (traceroute-style). */
	enum tristate double_nat;
	char double_nat_detail[256];
	char rfc3489_name[48];     /* "Full Cone", "Symmetric", ... */
	char meaning[320];         /* what it means for real-time traffic */
};

struct nat_report {
	struct nat_family fam[2];  /* [0] IPv4, [1] IPv6 */
	size_t nservers;
	int multi_server_mapping;  /* -1 unknown, 0 same, 1 differs */
	char multi_server_detail[256];
};

/* Fills nr and fs (findings, exit code) from the log. */
void nat_classify(const struct obs_log *log, struct nat_report *nr,
		  struct findings *fs);

const char *nat_behavior_name(enum nat_behavior b);
const char *confidence_name(enum confidence c);
const char *server_mode_name(enum server_mode m);

#endif
