/*
 * ice_cand.c - candidate and pair arithmetic of RFC 8445 (§5.1.1.3,
 * §5.1.2.1, §6.1.2.2-§6.1.2.5) and RFC 6544 §6.2 TCP pairing, and the
 * text form of a candidate (RFC 8839 §5.1), which SDP and trickle both
 * carry. Pure functions: no sockets, clock or allocation. The text is
 * untrusted: it is read as slices with bounds, never written to.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ice_cand.h"
#include "np_err.h"
#include "np_tok.h"

static const char *const reject_text[] = {
#define ICE_REJECT_TEXT(name, text) text,
	ICE_REJECT_MAP(ICE_REJECT_TEXT)
#undef ICE_REJECT_TEXT
};

const char *ice_reject_text(enum ice_reject r)
{
	if ((unsigned)r >= ICE_REJECT__COUNT)
		return "?";
	return reject_text[r];
}

const char *ice_cand_type_name(enum ice_cand_type t)
{
	switch (t) {
	case ICE_HOST: return "host";
	case ICE_SRFLX: return "srflx";
	case ICE_PRFLX: return "prflx";
	case ICE_RELAY: return "relay";
	}
	return "?";
}

const char *ice_tcptype_name(enum ice_tcptype t)
{
	switch (t) {
	case ICE_TCP_NONE: return "";
	case ICE_TCP_ACTIVE: return "active";
	case ICE_TCP_PASSIVE: return "passive";
	case ICE_TCP_SO: return "so";
	}
	return "?";
}

uint32_t ice_type_pref(enum ice_cand_type t)
{
	switch (t) {
	case ICE_HOST: return ICE_TYPE_PREF_HOST;
	case ICE_SRFLX: return ICE_TYPE_PREF_SRFLX;
	case ICE_PRFLX: return ICE_TYPE_PREF_PRFLX;
	case ICE_RELAY: return ICE_TYPE_PREF_RELAY;
	}
	return 0;
}

/* "priority = (2^24)*(type preference) + (2^8)*(local preference) +
 *  (2^0)*(256 - component ID)" - RFC 8445 §5.1.2.1. A component above 256
 * would borrow from the local preference, so it is clipped. */
uint32_t ice_priority(enum ice_cand_type t, uint16_t local_pref,
		      uint16_t component)
{
	uint32_t comp = component > 256 ? 256 : component;

	return (ice_type_pref(t) << 24) + ((uint32_t)local_pref << 8) +
	       (256 - comp);
}

/* "pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)" - §6.1.2.3,
 * in 64 bits: the first term alone needs 63. */
uint64_t ice_pair_priority(uint32_t g, uint32_t d)
{
	uint64_t lo = g < d ? g : d, hi = g < d ? d : g;

	return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

/* The address a foundation is keyed on: the base for host/srflx/prflx,
 * and for a relay candidate its own address (§5.1.1.3 keys on "the IP
 * address of the base", and a relayed candidate is its own base). */
static const struct sockaddr_storage *found_base(const struct ice_cand *c)
{
	if (c->base.ss_family != AF_UNSPEC)
		return &c->base;
	return &c->addr;
}

static int same_foundation_key(const struct ice_cand *a,
			       const struct ice_cand *b)
{
	if (a->type != b->type || a->transport != b->transport)
		return 0;
	if (!np_addr_ip_equal(found_base(a), found_base(b)) &&
	    !(found_base(a)->ss_family == AF_UNSPEC &&
	      found_base(b)->ss_family == AF_UNSPEC))
		return 0;
	if (a->server.ss_family == AF_UNSPEC && b->server.ss_family == AF_UNSPEC)
		return 1;
	return np_addr_ip_equal(&a->server, &b->server);
}

void ice_foundations_assign(struct ice_cand *c, size_t n)
{
	size_t i, j;
	unsigned next = 1;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (same_foundation_key(&c[i], &c[j]))
				break;
		if (j < i)
			memcpy(c[i].foundation, c[j].foundation,
			       sizeof(c[i].foundation));
		else
			snprintf(c[i].foundation, sizeof(c[i].foundation),
				 "%u", next++);
	}
}

static int is_v4_mapped(const struct in6_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff };

	return memcmp(a->s6_addr, pfx, 12) == 0;
}

enum ice_reject ice_cand_check_remote(const struct ice_cand *c)
{
	if (c->component < 1 || c->component > 256)
		return ICE_REJECT_COMPONENT;
	if (c->transport == NP_TCP && c->tcptype == ICE_TCP_NONE)
		return ICE_REJECT_TCPTYPE;
	/* An active TCP candidate never receives, so its port is a
	 * placeholder (RFC 6544 §4.5: "9"); every other port must be real. */
	if (c->port == 0 && c->tcptype != ICE_TCP_ACTIVE)
		return ICE_REJECT_PORT_ZERO;
	if (c->addr.ss_family == AF_INET) {
		const struct sockaddr_in *s =
			(const struct sockaddr_in *)(const void *)&c->addr;
		uint32_t a = ntohl(s->sin_addr.s_addr);

		if (a == 0)
			return ICE_REJECT_UNSPECIFIED;
		if ((a >> 28) == 0xe || a == 0xffffffffu)
			return ICE_REJECT_MULTICAST;
		if ((a >> 24) == 127)
			return ICE_REJECT_LOOPBACK;
	} else if (c->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s =
			(const struct sockaddr_in6 *)(const void *)&c->addr;

		if (IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr))
			return ICE_REJECT_UNSPECIFIED;
		if (IN6_IS_ADDR_MULTICAST(&s->sin6_addr))
			return ICE_REJECT_MULTICAST;
		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return ICE_REJECT_LOOPBACK;
		if (is_v4_mapped(&s->sin6_addr))
			return ICE_REJECT_FAMILY;
	} else {
		return ICE_REJECT_UNRESOLVED;
	}
	/* Browsers hide the related address behind 0.0.0.0 / ::, which
	 * is fine; a related address of the other family is not. */
	if (c->related.ss_family != AF_UNSPEC &&
	    c->related.ss_family != c->addr.ss_family)
		return ICE_REJECT_FAMILY;
	return ICE_REJECT_OK;
}

int ice_cand_pairable(const struct ice_cand *l, const struct ice_cand *r)
{
	if (l->component != r->component || l->transport != r->transport)
		return 0;
	if (l->addr.ss_family != r->addr.ss_family)
		return 0;
	if (l->transport != NP_TCP)
		return 1;
	/* RFC 6544 §6.2: active pairs with passive, passive with active,
	 * simultaneous-open with simultaneous-open. */
	switch (l->tcptype) {
	case ICE_TCP_ACTIVE: return r->tcptype == ICE_TCP_PASSIVE;
	case ICE_TCP_PASSIVE: return r->tcptype == ICE_TCP_ACTIVE;
	case ICE_TCP_SO: return r->tcptype == ICE_TCP_SO;
	case ICE_TCP_NONE: return 0;
	}
	return 0;
}

/* §6.1.2.4: "the candidate MUST be replaced by its base": the local host
 * candidate at the srflx's base address. Returns the index, or -1. */
static long local_base_index(const struct ice_cand *local, size_t nl,
			     size_t i)
{
	size_t j;

	if (local[i].type != ICE_SRFLX)
		return (long)i;
	for (j = 0; j < nl; j++)
		if (local[j].type == ICE_HOST &&
		    local[j].transport == local[i].transport &&
		    local[j].component == local[i].component &&
		    np_addr_equal(&local[j].addr, &local[i].base))
			return (long)j;
	return -1;
}

static int pair_cmp(const void *pa, const void *pb)
{
	const struct ice_pair_ref *a = pa, *b = pb;

	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->local != b->local)
		return a->local < b->local ? -1 : 1;
	if (a->remote != b->remote)
		return a->remote < b->remote ? -1 : 1;
	return 0;
}

void ice_pairs_form(const struct ice_cand *local, size_t nl,
		    const struct ice_cand *remote, size_t nr, int controlling,
		    struct ice_pair_ref *out, size_t cap, size_t *n)
{
	/* Candidates beyond what an index can hold are never paired. */
	struct ice_pair_ref all[ICE_MAX_PAIRS * 2];
	size_t i, j, k, na = 0;

	if (cap > ICE_MAX_PAIRS)
		cap = ICE_MAX_PAIRS;
	if (nl > UINT16_MAX)
		nl = UINT16_MAX;
	if (nr > UINT16_MAX)
		nr = UINT16_MAX;
	for (i = 0; i < nl; i++) {
		long b = local_base_index(local, nl, i);

		if (b < 0)
			continue;
		for (j = 0; j < nr; j++) {
			const struct ice_cand *l = &local[b], *r = &remote[j];
			struct ice_pair_ref p;

			if (ice_cand_check_remote(r) != ICE_REJECT_OK ||
			    !ice_cand_pairable(l, r))
				continue;
			p.local = (uint16_t)b;
			p.remote = (uint16_t)j;
			p.priority = controlling
				? ice_pair_priority(l->priority, r->priority)
				: ice_pair_priority(r->priority, l->priority);
			/* Redundant: same local base and same remote. The
			 * priorities are equal after the replacement, so the
			 * first one stays. */
			for (k = 0; k < na; k++)
				if (all[k].local == p.local &&
				    all[k].remote == p.remote)
					break;
			if (k < na)
				continue;
			if (na == sizeof(all) / sizeof(all[0])) {
				/* Full: keep the best, drop the worst. */
				qsort(all, na, sizeof(all[0]), pair_cmp);
				if (pair_cmp(&p, &all[na - 1]) >= 0)
					continue;
				na--;
			}
			all[na++] = p;
		}
	}
	qsort(all, na, sizeof(all[0]), pair_cmp);
	if (na > cap)
		na = cap;
	memcpy(out, all, na * sizeof(all[0]));
	*n = na;
}

void ice_cand_prflx(struct ice_cand *out, const struct ice_cand *like,
		    const struct sockaddr_storage *addr, uint32_t priority,
		    int remote)
{
	static const enum ice_tcptype peer[] = { ICE_TCP_NONE, ICE_TCP_PASSIVE,
						 ICE_TCP_ACTIVE, ICE_TCP_SO };
	uint16_t comp = like->component;
	enum np_transport t = like->transport;
	enum ice_tcptype tt = like->tcptype;

	memset(out, 0, sizeof(*out));
	out->type = ICE_PRFLX;
	out->component = comp;
	out->transport = t;
	out->tcptype = remote && (unsigned)tt <= ICE_TCP_SO ? peer[tt] : tt;
	out->priority = priority;
	out->addr = *addr;
	out->port = np_addr_port(addr);
}

/* The text form (RFC 8839 §5.1) -------------------------------------- */

int ice_chars_ok(const char *s, size_t len, size_t min, size_t max)
{
	size_t i;

	if (len < min || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return 0;
	return 1;
}

/* An FQDN (RFC 1035 labels; "_" tolerated) such as an mDNS
 * "1f4712db-ea17-4bcf-a596-105139dfd8bf.local". */
static int is_hostname(struct np_tok t)
{
	const char *p;
	size_t label = 0;

	if (np_tok_len(t) < 1 || np_tok_len(t) > ICE_HOSTNAME_MAX)
		return 0;
	for (p = t.p; p < t.end; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* An IP literal into ss (port 0), through a bounded NUL-ended copy. */
static int parse_ip(struct np_tok t, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (np_tok_len(t) < 2 || np_tok_len(t) >= sizeof(buf))
		return 0;
	memcpy(buf, t.p, np_tok_len(t));
	buf[np_tok_len(t)] = 0;
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 1;
	}
	memset(ss, 0, sizeof(*ss));
	return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

/* Records the failure and the token it is about; returns NP_EINVAL. */
static int bad(enum ice_cand_err e, struct np_tok t, const char *s,
	       enum ice_cand_err *why, size_t *at, size_t *at_len)
{
	*why = e;
	*at = (size_t)(t.p - s);
	*at_len = np_tok_len(t);
	return NP_EINVAL;
}

int ice_cand_parse(const char *s, size_t len, struct ice_cand *c,
		   enum ice_cand_err *why, size_t *at, size_t *at_len)
{
	struct np_tok line = { s, s + len }, t, v;
	uint64_t n;
	int known = 1;

	memset(c, 0, sizeof(*c));
	*why = ICE_CAND_ERR_NONE;
	*at = *at_len = 0;
#define BAD(e, tk) bad(ICE_CAND_ERR_##e, tk, s, why, at, at_len)
	/* foundation = 1*32ice-char */
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (!ice_chars_ok(t.p, np_tok_len(t), 1, ICE_FOUNDATION_MAX))
		return BAD(FOUNDATION, t);
	memcpy(c->foundation, t.p, np_tok_len(t));
	/* component-id = 1*3DIGIT, 1..256 (RFC 8445 §5.1.2.1) */
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (!np_tok_uint(t, 3, &n) || n < 1 || n > 256)
		return BAD(COMPONENT, t);
	c->component = (uint16_t)n;
	/* transport = "UDP" / transport-extension, case-insensitive */
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (np_tok_icase(t, "udp"))
		c->transport = NP_UDP;
	else if (np_tok_icase(t, "tcp"))
		c->transport = NP_TCP;
	else
		known = 0;
	/* priority = 1*10DIGIT, 1..2^31-1 (RFC 8445 §5.1.2) */
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (!np_tok_uint(t, 10, &n) || n < 1 || n > 0x7fffffffu)
		return BAD(PRIORITY, t);
	c->priority = (uint32_t)n;
	/* connection-address = IP4 / IP6 / FQDN */
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (!parse_ip(t, &c->addr)) {
		if (!is_hostname(t))
			return BAD(ADDRESS, t);
		memcpy(c->hostname, t.p, np_tok_len(t));
	}
	/* port */
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (!np_tok_uint(t, 5, &n) || n > 65535)
		return BAD(PORT, t);
	c->port = (uint16_t)n;
	set_port(&c->addr, c->port);
	/* "typ" SP cand-type */
	if (!np_tok_next(&line, &t) || !np_tok_is(t, "typ"))
		return BAD(SYNTAX, t);
	if (!np_tok_next(&line, &t))
		return BAD(SYNTAX, t);
	if (np_tok_is(t, "host"))
		c->type = ICE_HOST;
	else if (np_tok_is(t, "srflx"))
		c->type = ICE_SRFLX;
	else if (np_tok_is(t, "prflx"))
		c->type = ICE_PRFLX;
	else if (np_tok_is(t, "relay"))
		c->type = ICE_RELAY;
	else
		return BAD(TYPE, t);
	/* [raddr] [rport] *(extension-att-name SP extension-att-value) */
	while (np_tok_next(&line, &t)) {
		if (!np_tok_next(&line, &v))
			return np_tok_is(t, "raddr") ? BAD(RADDR, t)
			     : np_tok_is(t, "rport") ? BAD(RPORT, t)
			     : np_tok_is(t, "tcptype") ? BAD(TCPTYPE, t)
			     : BAD(EXTENSION, t);
		if (np_tok_is(t, "raddr")) {
			if (!parse_ip(v, &c->related))
				return BAD(RADDR, v);
		} else if (np_tok_is(t, "rport")) {
			if (!np_tok_uint(v, 5, &n) || n > 65535)
				return BAD(RPORT, v);
			set_port(&c->related, (uint16_t)n);
		} else if (np_tok_is(t, "tcptype")) {
			if (np_tok_is(v, "active"))
				c->tcptype = ICE_TCP_ACTIVE;
			else if (np_tok_is(v, "passive"))
				c->tcptype = ICE_TCP_PASSIVE;
			else if (np_tok_is(v, "so"))
				c->tcptype = ICE_TCP_SO;
			else
				return BAD(TCPTYPE, v);
		}
		/* generation, ufrag, network-id, network-cost...: ignored */
	}
	if (c->transport == NP_UDP)
		c->tcptype = ICE_TCP_NONE;
	else if (known && c->tcptype == ICE_TCP_NONE)
		return BAD(TCPTYPE, ((struct np_tok){ s, s + len }));
#undef BAD
	return known;
}

static const char *ip_str(const struct sockaddr_storage *ss, char *buf,
			  size_t len)
{
	const void *a = ss->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return "0.0.0.0";
	return inet_ntop(ss->ss_family, a, buf, (socklen_t)len) ? buf : "?";
}

int ice_cand_format(const struct ice_cand *c, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN], rel[64] = "", tcp[24] = "";
	int n;

	if (c->related.ss_family != AF_UNSPEC)
		snprintf(rel, sizeof(rel), " raddr %s rport %u",
			 ip_str(&c->related, ip, sizeof(ip)),
			 np_addr_port(&c->related));
	if (c->transport == NP_TCP)
		snprintf(tcp, sizeof(tcp), " tcptype %s",
			 ice_tcptype_name(c->tcptype));
	n = snprintf(buf, cap, "candidate:%s %u %s %u %s %u typ %s%s%s",
		     c->foundation, c->component,
		     c->transport == NP_TCP ? "tcp" : "udp", c->priority,
		     c->hostname[0] ? c->hostname
				    : ip_str(&c->addr, ip, sizeof(ip)),
		     c->port, ice_cand_type_name(c->type), rel, tcp);
	return n < 0 || (size_t)n >= cap ? NP_ENOSPACE : 0;
}
