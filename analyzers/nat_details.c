/*
 * nat_details.c - port allocation, largest datagram, hops, binding
 * lifetime, STUN over TCP/TLS, and ALG rewriting, from `natprobe nat`
 * observations.
 */
#include "nat_details.h"
#include "nat_view.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nat_tcp_tls(const struct obs_log *log, struct nat_family *nf)
{
	struct test_view t;

	nat_view(log, nf->family, "tcp", &t);
	if (t.sent || t.end) {
		nf->tcp = t.ok ? TRI_YES : TRI_NO;
		if (!t.ok)
			snprintf(nf->tcp_detail, sizeof(nf->tcp_detail), "%s",
				 t.end ? t.end->text : "no result");
	}
	nat_view(log, nf->family, "tls", &t);
	if (t.sent || t.end) {
		nf->tls = t.ok ? TRI_YES : TRI_NO;
		if (!t.ok)
			snprintf(nf->tls_detail, sizeof(nf->tls_detail), "%s",
				 t.end ? t.end->text : "no result");
	}
	nat_view(log, nf->family, "tls.443", &t);
	if (t.sent || t.end)
		nf->tls443 = t.ok ? TRI_YES : TRI_NO;
	/* Connection failures are labelled "connect"; attach them. */
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		char *d = o->transport == NP_TCP ? nf->tcp_detail : nf->tls_detail;

		if (nat_obs_family(o) != nf->family || !o->err ||
		    strcmp(o->test, "connect") != 0 || o->transport == NP_UDP)
			continue;
		snprintf(d, sizeof(nf->tcp_detail), "%s", o->text);
	}
}

/* Sockets whose first mapping counts toward port allocation. */
#define PORT_SAMPLES_MAX 256

void nat_ports(const struct obs_log *log, struct nat_family *nf)
{
	struct sockaddr_storage seen[PORT_SAMPLES_MAX];
	size_t nseen = 0;
	unsigned preserved = 0, parity = 0, n = 0;
	int alloc[8], nalloc = 0;
	enum tristate alg = TRI_UNKNOWN;

	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		const struct sockaddr_storage *m;
		int first_of_socket = 1;

		if (o->kind != OBS_RESPONSE || nat_obs_family(o) != nf->family ||
		    o->transport != NP_UDP || (o->has & OBS_HAS_ERROR_CODE))
			continue;
		if ((o->has & OBS_HAS_MAPPED) && (o->has & OBS_HAS_XOR_MAPPED)) {
			if (!np_addr_equal(&o->mapped, &o->xor_mapped))
				alg = TRI_YES;
			else if (alg == TRI_UNKNOWN)
				alg = TRI_NO;
		}
		m = (o->has & OBS_HAS_XOR_MAPPED) ? &o->xor_mapped :
		    (o->has & OBS_HAS_MAPPED) ? &o->mapped : NULL;
		if (!m || !(o->has & OBS_HAS_LOCAL))
			continue;
		/* One sample per socket: its first mapping. A run opens at
		 * most a few hundred sockets; past the cap, no more samples,
		 * so a hostile log cannot make this quadratic. */
		for (size_t k = 0; k < nseen; k++) {
			if (np_addr_equal(&seen[k], &o->local)) {
				first_of_socket = 0;
				break;
			}
		}
		if (first_of_socket && nseen < PORT_SAMPLES_MAX) {
			seen[nseen++] = o->local;
			n++;
			if (np_addr_port(m) == np_addr_port(&o->local))
				preserved++;
			if ((np_addr_port(m) & 1) == (np_addr_port(&o->local) & 1))
				parity++;
		}
		if (strncmp(o->test, "alloc.", 6) == 0 && nalloc < 8)
			alloc[nalloc++] = np_addr_port(m);
	}
	nf->alg = alg;
	nf->port_samples = n;
	if (n) {
		nf->port_preserved = preserved == n ? TRI_YES : TRI_NO;
		nf->parity_preserved = parity == n ? TRI_YES : TRI_NO;
	}
	/* Consecutive sockets: one constant delta is what port prediction
	 * needs; anything else reads as random. */
	if (nalloc >= 3) {
		int d = alloc[1] - alloc[0], same = 1;

		for (int i = 2; i < nalloc; i++)
			if (alloc[i] - alloc[i - 1] != d)
				same = 0;
		nf->delta_sockets_valid = same;
		nf->delta_sockets = d;
	}
	/* One socket, new destinations (only meaningful for dependent
	 * mappings). */
	if (nf->mapping.value == NB_APD || nf->mapping.value == NB_AD) {
		struct test_view t[3];
		int p[3], np = 0;

		nat_view(log, nf->family, "map.1", &t[0]);
		nat_view(log, nf->family, "map.2", &t[1]);
		nat_view(log, nf->family, "map.3", &t[2]);
		for (int i = 0; i < 3; i++)
			if (t[i].ok && (t[i].end->has & OBS_HAS_XOR_MAPPED))
				p[np++] = np_addr_port(&t[i].end->xor_mapped);
		if (np == 3 && p[1] - p[0] == p[2] - p[1]) {
			nf->delta_dest_valid = 1;
			nf->delta_dest = p[1] - p[0];
		}
	}
}

void nat_sizes(const struct obs_log *log, struct nat_family *nf)
{
	static const unsigned sizes[] = { 576, 1000, 1200, 1280, 1350, 1400,
					  1450, 1500 };
	unsigned overhead = nf->family == AF_INET6 ? 48 : 28;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct test_view out, rt;
		char label[32];

		snprintf(label, sizeof(label), "size.out.%u", sizes[i]);
		nat_view(log, nf->family, label, &out);
		snprintf(label, sizeof(label), "size.rt.%u", sizes[i]);
		nat_view(log, nf->family, label, &rt);
		if (!out.sent)
			continue;
		if (out.ok) {
			unsigned s = out.sent->size + overhead;

			if (s > nf->max_out)
				nf->max_out = s;
		} else if (!nf->fail_out || sizes[i] < nf->fail_out) {
			nf->fail_out = out.sent->size + overhead;
		}
		if (rt.ok) {
			unsigned s = rt.end->size + overhead;

			if (s > nf->max_in)
				nf->max_in = s;
		} else if (rt.sent && out.ok) {
			/* The request got out at this size (its twin did) but
			 * the padded reply did not get back. */
			unsigned s = rt.sent->size + overhead;

			if (!nf->fail_in || s < nf->fail_in)
				nf->fail_in = s;
		}
	}
	if (nf->fail_out && nf->fail_out < nf->max_out)
		nf->fail_out = 0;  /* a larger one passed: that was loss */
	if (nf->fail_in && nf->fail_in < nf->max_in)
		nf->fail_in = 0;
}

/* Addresses that are not on the public internet: RFC 1918, RFC 6598
 * (100.64.0.0/10, carrier-grade NAT), RFC 2544 (198.18.0.0/15, used by
 * our lab for private sides), unique-local IPv6. */
static int private_addr(const struct sockaddr_storage *ss, int *cgnat)
{
	*cgnat = 0;
	if (ss->ss_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr);

		if ((a & 0xFFC00000u) == 0x64400000u) {
			*cgnat = 1;
			return 1;
		}
		return (a & 0xFF000000u) == 0x0A000000u ||
		       (a & 0xFFF00000u) == 0xAC100000u ||
		       (a & 0xFFFF0000u) == 0xC0A80000u ||
		       (a & 0xFFFE0000u) == 0xC6120000u;
	}
	if (ss->ss_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr.s6_addr;

		return (b[0] & 0xFE) == 0xFC;
	}
	return 0;
}

void nat_hops(const struct obs_log *log, struct nat_family *nf)
{
	unsigned private_hops = 0, answered = 0;
	int cgnat_seen = 0, cg;
	char list[200] = "", a[64];

	if (nf->nat == TRI_YES && nf->have_mapped && private_addr(&nf->mapped, &cg)) {
		nf->double_nat = TRI_YES;
		snprintf(nf->double_nat_detail, sizeof(nf->double_nat_detail),
			 "the server saw us as %s, %s address: another NAT sits beyond this one",
			 np_addr_str(&nf->mapped, a, sizeof(a)),
			 cg ? "a carrier-grade NAT (100.64.0.0/10)" : "a private");
		return;
	}
	for (int hop = 1; hop <= 3; hop++) {
		struct test_view t;
		char label[16];
		const struct obs *o;

		snprintf(label, sizeof(label), "ttl.%d", hop);
		nat_view(log, nf->family, label, &t);
		o = t.end;
		if (!o || o->kind != OBS_ICMP || !(o->has & OBS_HAS_SOURCE))
			continue;
		answered++;
		np_addr_str(&o->source, a, sizeof(a));
		/* Drop the ":0" port of an offender address. */
		if (strrchr(a, ':'))
			*strrchr(a, ':') = '\0';
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d:%s",
			 list[0] ? ", " : "", hop, a);
		if (private_addr(&o->source, &cg)) {
			private_hops++;
			cgnat_seen |= cg;
		}
	}
	if (cgnat_seen) {
		nf->double_nat = TRI_YES;
		snprintf(nf->double_nat_detail, sizeof(nf->double_nat_detail),
			 "a carrier-grade NAT address (100.64.0.0/10) is on the path (hops %s)",
			 list);
	} else if (private_hops >= 2 && nf->nat == TRI_YES) {
		nf->double_nat = TRI_YES;
		snprintf(nf->double_nat_detail, sizeof(nf->double_nat_detail),
			 "%u private routers in a row before the public internet (hops %s): likely two NATs",
			 private_hops, list);
	} else if (answered) {
		nf->double_nat = TRI_NO;
		snprintf(nf->double_nat_detail, sizeof(nf->double_nat_detail),
			 "hops %s", list);
	} else {
		nf->double_nat = TRI_UNKNOWN;
		snprintf(nf->double_nat_detail, sizeof(nf->double_nat_detail),
			 "no router on the path answered TTL-limited probes");
	}
}

void nat_lifetime(const struct obs_log *log, struct nat_family *nf)
{
	int any = 0, alive0 = 0;

	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		unsigned t;

		if (o->kind != OBS_NOTE || nat_obs_family(o) != nf->family)
			continue;
		if (strcmp(o->test, "life.alive") && strcmp(o->test, "life.gone"))
			continue;
		any = 1;
		t = (unsigned)strtoul(o->text, NULL, 10);
		if (!strcmp(o->test, "life.alive")) {
			if (t == 0)
				alive0 = 1;
			if (t > nf->lifetime_low_s)
				nf->lifetime_low_s = t;
		} else if (t > 0 && (!nf->lifetime_high_s || t < nf->lifetime_high_s)) {
			nf->lifetime_high_s = t;
		}
	}
	if (!any)
		return;
	nf->lifetime_tested = alive0 ? 1 : -1;  /* -1: RESPONSE-PORT unusable */
}
