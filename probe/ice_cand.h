/*
 * ice_cand.h - ICE candidates and candidate pairs: the arithmetic of
 * RFC 8445 with no state and no I/O.
 *
 *   §5.1.2.1  candidate priority: 2^24*type pref + 2^8*local pref + 256-comp
 *   §5.1.1.3  foundations: same type, base IP, server and transport
 *   §6.1.2.3  pair priority: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
 *   §6.1.2.4  pair formation, srflx replaced by its base, redundant pairs
 *             pruned; §6.1.2.5 the list is capped
 *   RFC 6544 §6.2 TCP candidates pair active with passive, so with so.
 *
 * A remote candidate from a peer is untrusted: ice_cand_check_remote()
 * names why one cannot be used (port 0, unroutable address, a related
 * address of another family) so the caller can record it and go on.
 */
#ifndef ICE_CAND_H
#define ICE_CAND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "obs.h"

/* RFC 8839 §5.1: foundation = 1*32ice-char. */
#define ICE_FOUNDATION_MAX 32
/* A DNS name is at most 253 characters (RFC 1035 §2.3.4). */
#define ICE_HOSTNAME_MAX 253
/* RFC 8445 §6.1.2.5: "a default value of 100" for the checklist size. */
#define ICE_MAX_PAIRS 100
/* RFC 8445 §5.1.2.1 recommended type preferences. */
#define ICE_TYPE_PREF_HOST 126
#define ICE_TYPE_PREF_PRFLX 110
#define ICE_TYPE_PREF_SRFLX 100
#define ICE_TYPE_PREF_RELAY 0

enum ice_cand_type { ICE_HOST, ICE_SRFLX, ICE_PRFLX, ICE_RELAY };

/* RFC 6544 §4.5 tcptype; ICE_TCP_NONE for UDP. */
enum ice_tcptype { ICE_TCP_NONE, ICE_TCP_ACTIVE, ICE_TCP_PASSIVE, ICE_TCP_SO };

struct ice_cand {
	char foundation[ICE_FOUNDATION_MAX + 1];
	uint16_t component;        /* 1..256 */
	enum np_transport transport; /* NP_UDP or NP_TCP */
	uint32_t priority;
	enum ice_cand_type type;
	enum ice_tcptype tcptype;
	/* The transport address. For a name (an mDNS ".local" host or an
	 * FQDN) addr is AF_UNSPEC until resolved and hostname holds it. */
	struct sockaddr_storage addr;
	char hostname[ICE_HOSTNAME_MAX + 1];
	uint16_t port;
	/* raddr/rport: related address, AF_UNSPEC when absent. */
	struct sockaddr_storage related;
	/* Local candidates only: the base (§5.1.1.1) and the STUN/TURN
	 * server that yielded a srflx/relay candidate (for foundations). */
	struct sockaddr_storage base;
	struct sockaddr_storage server;
};

/* A pair by index into a local and a remote array. */
struct ice_pair_ref {
	uint16_t local;
	uint16_t remote;
	uint64_t priority;
};

/* Why a remote candidate cannot be used. */
#define ICE_REJECT_MAP(X)                                                     \
	X(OK, "usable")                                                       \
	X(PORT_ZERO, "port 0")                                                \
	X(UNRESOLVED, "address is a name not yet resolved")                   \
	X(UNSPECIFIED, "unspecified address (0.0.0.0 or ::)")                 \
	X(MULTICAST, "multicast or broadcast address")                        \
	X(LOOPBACK, "loopback address offered by a remote peer")              \
	X(FAMILY, "related address is of another family")                    \
	X(COMPONENT, "component ID outside 1..256")                           \
	X(TCPTYPE, "TCP candidate without a valid tcptype")

enum ice_reject {
#define ICE_REJECT_ENUM(name, text) ICE_REJECT_##name,
	ICE_REJECT_MAP(ICE_REJECT_ENUM)
#undef ICE_REJECT_ENUM
	ICE_REJECT__COUNT
};

/* What is wrong with a candidate attribute (RFC 8839 §5.1). */
#define ICE_CAND_ERR_MAP(X)                                                   \
	X(NONE)                                                               \
	X(SYNTAX)      /* cut short, or "typ" missing */                      \
	X(FOUNDATION)  /* not 1*32ice-char */                                 \
	X(COMPONENT)   /* not 1..256 */                                       \
	X(PRIORITY)    /* not 1..2^31-1 */                                    \
	X(ADDRESS)     /* not IPv4, IPv6 or a host name */                    \
	X(PORT)        /* not 0..65535 */                                     \
	X(TYPE)        /* not host, srflx, prflx, relay */                    \
	X(RADDR)                                                              \
	X(RPORT)                                                              \
	X(TCPTYPE)     /* TCP without active/passive/so */                    \
	X(EXTENSION)   /* extension name without a value */

enum ice_cand_err {
#define ICE_CAND_ERR_ENUM(name) ICE_CAND_ERR_##name,
	ICE_CAND_ERR_MAP(ICE_CAND_ERR_ENUM)
#undef ICE_CAND_ERR_ENUM
};

const char *ice_cand_type_name(enum ice_cand_type t);   /* "host", "srflx" */
const char *ice_tcptype_name(enum ice_tcptype t);       /* "active", "" */
const char *ice_reject_text(enum ice_reject r);

/* §5.1.2.1 type preference (126, 100, 110, 0). */
uint32_t ice_type_pref(enum ice_cand_type t);
/* §5.1.2.1: (2^24)*type_pref + (2^8)*local_pref + (256 - component). */
uint32_t ice_priority(enum ice_cand_type t, uint16_t local_pref,
		      uint16_t component);
/* §6.1.2.3 with G the controlling agent's candidate priority. */
uint64_t ice_pair_priority(uint32_t g, uint32_t d);

/* §5.1.1.3: gives the n local candidates foundations "1", "2", ... so that
 * two share one exactly when type, base IP, server IP and transport are
 * the same. Deterministic: numbered by first appearance. */
void ice_foundations_assign(struct ice_cand *c, size_t n);

/* Checks a remote candidate; ICE_REJECT_OK when usable. */
enum ice_reject ice_cand_check_remote(const struct ice_cand *c);

/* 1 if the local and remote candidate may form a pair: same component,
 * same address family, UDP with UDP, TCP active/passive/so compatible. */
int ice_cand_pairable(const struct ice_cand *l, const struct ice_cand *r);

/*
 * §6.1.2.2-6.1.2.5: pairs every local with every usable remote candidate,
 * replaces a srflx local by its base (the host candidate whose address is
 * its base; dropped if none), prunes redundant pairs (same local, same
 * remote: the higher priority one stays), sorts by priority, highest
 * first (ties by local then remote index, so the order is fixed) and keeps
 * at most cap (which itself is clipped to ICE_MAX_PAIRS). Sets *n.
 */
void ice_pairs_form(const struct ice_cand *local, size_t nl,
		    const struct ice_cand *remote, size_t nr, int controlling,
		    struct ice_pair_ref *out, size_t cap, size_t *n);

/* Makes *out a peer-reflexive candidate at addr with priority, on like's
 * component and transport (RFC 8445 §7.2.5.3.1 local, §7.3.1.3 remote).
 * A remote one, learnt from a request that reached local candidate like,
 * gets the complementary tcptype. Foundation and base are left empty. */
void ice_cand_prflx(struct ice_cand *out, const struct ice_cand *like,
		    const struct sockaddr_storage *addr, uint32_t priority,
		    int remote);

/* RFC 8839 §5.1 ice-char (ALPHA / DIGIT / "+" / "/"), min..max of them. */
int ice_chars_ok(const char *s, size_t len, size_t min, size_t max);

/*
 * Parses the candidate-attribute value after "candidate:" (RFC 8839 §5.1,
 * RFC 6544 tcptype): foundation, component, transport (UDP/TCP in any
 * case), priority, address (IPv4, IPv6, or a name such as an mDNS
 * ".local" host, kept in hostname), port, typ, raddr, rport, tcptype;
 * other extension attributes are skipped. Returns 1 when parsed, 0 when
 * well formed but of another transport (to be ignored), or NP_EINVAL with
 * *why and the offending token as [*at, *at + *at_len) of s.
 */
int ice_cand_parse(const char *s, size_t len, struct ice_cand *c,
		   enum ice_cand_err *why, size_t *at, size_t *at_len);

/* Writes "candidate:..." (no "a=", no line end): the form ice_cand_parse
 * reads back. Returns 0 or NP_ENOSPACE. */
int ice_cand_format(const struct ice_cand *c, char *buf, size_t cap);

#endif
