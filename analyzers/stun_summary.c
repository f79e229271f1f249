/*
 * stun_summary.c - turn the observations of `natprobe stun` into one row
 * per (server, transport, address) and findings for what went wrong.
 *
 * ALG detection: RFC 8489 §14.2 exists because middleboxes rewrote the
 * plain MAPPED-ADDRESS in transit; a server that sends both lets us see a
 * rewrite as a disagreement between them.
 */
#include "stun_summary.h"
#include "np_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAMPLES 64

struct acc {
	uint32_t rtt[MAX_SAMPLES];
	int have_failure;
	enum leg_status failure;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void evidence(struct stun_result *r, uint64_t seq)
{
	if (r->nevidence < FINDING_MAX_EVIDENCE)
		r->evidence[r->nevidence++] = seq;
}

static struct stun_result *row_for(struct findings *fs, struct acc *acc,
				   const struct obs *o,
				   const struct sockaddr_storage *addr)
{
	for (size_t i = 0; i < fs->nstun; i++) {
		struct stun_result *r = &fs->stun[i];

		if (strcmp(r->server, o->server) != 0 ||
		    r->transport != o->transport)
			continue;
		if (!addr && !r->remote.ss_family)
			return r;
		if (addr && np_addr_ip_equal(&r->remote, addr))
			return r;
	}
	if (fs->nstun >= STUN_RESULTS_MAX)
		return NULL;
	{
		struct stun_result *r = &fs->stun[fs->nstun];

		memset(r, 0, sizeof(*r));
		memset(&acc[fs->nstun], 0, sizeof(acc[0]));
		fs->nstun++;
		snprintf(r->server, sizeof(r->server), "%s", o->server);
		r->transport = o->transport;
		if (addr) {
			r->remote = *addr;
			r->family = addr->ss_family;
		}
		r->alg_rewrite = TRI_UNKNOWN;
		r->rfc5780 = TRI_UNKNOWN;
		r->status = LEG_TIMEOUT;
		return r;
	}
}

static void fail(struct acc *a, struct stun_result *r, enum leg_status st,
		 const struct obs *o)
{
	a->have_failure = 1;
	a->failure = st;
	if (o->text[0])
		snprintf(r->message, sizeof(r->message), "%s", o->text);
	evidence(r, o->seq);
}

static enum leg_status status_of_err(int err)
{
	switch (-err) {
	case ECONNREFUSED:
		return LEG_REFUSED;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EACCES:
	case EPERM:
	case EADDRNOTAVAIL:
		return LEG_UNREACHABLE;
	case ETIMEDOUT:
		return LEG_TIMEOUT;
	}
	return LEG_ERROR;
}

static void take_response(struct acc *a, struct stun_result *r,
			  const struct obs *o)
{
	r->responses++;
	if (o->has & OBS_HAS_ERROR_CODE) {
		r->error_code = o->error_code;
		if (a->have_failure == 0 || r->status != LEG_OK)
			fail(a, r, LEG_ERROR_RESPONSE, o);
		return;
	}
	if ((o->has & OBS_HAS_RTT) && r->samples < MAX_SAMPLES)
		a->rtt[r->samples++] = o->rtt_us;
	if (o->has & OBS_HAS_XOR_MAPPED) {
		r->mapped = o->xor_mapped;
		r->have_mapped = 1;
		if (o->has & OBS_HAS_MAPPED) {
			int differs = !np_addr_equal(&o->mapped, &o->xor_mapped);

			if (differs)
				r->plain_mapped = o->mapped;

			if (differs || r->alg_rewrite != TRI_YES)
				r->alg_rewrite = differs ? TRI_YES : TRI_NO;
		}
	} else if (o->has & OBS_HAS_MAPPED) {
		r->mapped = o->mapped;
		r->have_mapped = 1;
	}
	if (o->has & OBS_HAS_ORIGIN) {
		r->origin = o->origin;
		r->have_origin = 1;
	}
	r->rfc5780 = (o->has & OBS_HAS_OTHER) ? TRI_YES : TRI_NO;
	if (o->has & OBS_HAS_OTHER) {
		r->other = o->other;
		r->have_other = 1;
	}
	if (o->software[0])
		snprintf(r->software, sizeof(r->software), "%s", o->software);
	if (o->has & OBS_HAS_LOCAL)
		r->local = o->local;
	if (r->nevidence < 4)
		evidence(r, o->seq);
	r->status = LEG_OK;
}

static void accumulate(struct findings *fs, struct acc *acc,
		       const struct obs *o)
{
	const struct sockaddr_storage *addr = NULL;
	struct stun_result *r;

	if (o->has & OBS_HAS_REMOTE)
		addr = &o->remote;
	else if (o->has & OBS_HAS_SOURCE)
		addr = &o->source;
	if (o->kind == OBS_NOTE)
		return;
	/* A stray or garbled datagram from an address we never asked is
	 * charged to a leg of the same server and transport (the same IP if
	 * any), never made a leg of its own. */
	if ((o->kind == OBS_UNMATCHED || o->kind == OBS_MALFORMED) &&
	    !(o->has & OBS_HAS_REMOTE)) {
		struct stun_result *best = NULL;

		for (size_t i = 0; i < fs->nstun; i++) {
			struct stun_result *c = &fs->stun[i];

			if (strcmp(c->server, o->server) || c->transport != o->transport)
				continue;
			if (!best || (addr && np_addr_ip_equal(&c->remote, addr)))
				best = c;
		}
		if (best)
			addr = best->remote.ss_family ? &best->remote : NULL;
	}
	r = row_for(fs, acc, o, addr);
	if (!r)
		return;
	{
		struct acc *a = &acc[r - fs->stun];

		switch (o->kind) {
		case OBS_SENT:
			r->requests++;
			if (o->has & OBS_HAS_LOCAL)
				r->local = o->local;
			break;
		case OBS_RETRANSMIT:
			r->retransmits++;
			break;
		case OBS_RESPONSE:
			take_response(a, r, o);
			break;
		case OBS_TIMEOUT:
			fail(a, r, LEG_TIMEOUT, o);
			break;
		case OBS_ICMP:
			/* ICMP port unreachable (v4 3/3, v6 1/4): the host
			 * is there and the port is closed. */
			fail(a, r, (o->icmp_type == 3 && o->icmp_code == 3) ||
					   (o->icmp_type == 1 && o->icmp_code == 4) ?
					   LEG_REFUSED : LEG_UNREACHABLE, o);
			break;
		case OBS_UNMATCHED:
			r->unmatched++;
			evidence(r, o->seq);
			break;
		case OBS_MALFORMED:
			r->malformed++;
			if (o->text[0] && !r->message[0])
				snprintf(r->message, sizeof(r->message), "%s", o->text);
			evidence(r, o->seq);
			break;
		case OBS_CONNECT:
			if (o->err)
				fail(a, r, status_of_err(o->err), o);
			break;
		case OBS_TLS:
			snprintf(r->tls, sizeof(r->tls), "%s", o->text);
			if (o->err && strncmp(o->text, "TLS handshake failed", 20) == 0)
				fail(a, r, LEG_TLS, o);
			else
				evidence(r, o->seq);
			break;
		case OBS_ERROR:
			if (o->err == NP_ERESOLVE)
				fail(a, r, LEG_RESOLVE, o);
			else if (!a->have_failure || a->failure == LEG_TIMEOUT)
				fail(a, r, o->err == -ECONNREFUSED ? LEG_REFUSED :
					   o->err == NP_ETLS ? LEG_TLS :
					   o->err == NP_ENOTSTUN ||
					   o->err == NP_ESTUN_BADLEN ?
					   LEG_MALFORMED : status_of_err(o->err), o);
			break;
		default:
			break;
		}
	}
}

static void finish_row(struct stun_result *r, struct acc *a)
{
	if (r->samples) {
		qsort(a->rtt, r->samples, sizeof(a->rtt[0]), cmp_u32);
		r->rtt_min_us = a->rtt[0];
		r->rtt_max_us = a->rtt[r->samples - 1];
		r->rtt_median_us = r->samples % 2 ? a->rtt[r->samples / 2] :
				   (a->rtt[r->samples / 2 - 1] + a->rtt[r->samples / 2]) / 2;
	}
	if (r->samples > 0) {
		r->status = LEG_OK;
		return;
	}
	if (a->have_failure)
		r->status = a->failure;
	/* Only garbage came back: say so rather than "timeout". */
	if ((r->status == LEG_TIMEOUT) && r->malformed > 0) {
		r->status = LEG_MALFORMED;
	}
}

static const char *transport_upper(enum np_transport t)
{
	return t == NP_UDP ? "UDP" : t == NP_TCP ? "TCP" : "TLS";
}

static void leg_finding(struct findings *fs, const struct stun_result *r)
{
	static const struct {
		const char *id;
		const char *title;
		const char *remedy;
	} what[LEG__COUNT] = {
		[LEG_ERROR_RESPONSE] = { "server-error-response",
			"%s over %s: the server answered with error %d",
			"Check the server's configuration for Binding requests." },
		[LEG_TIMEOUT] = { "server-no-response",
			"%s over %s: no response",
			"The server is down, or a firewall drops this traffic; try another transport (TCP, TLS on 443)." },
		[LEG_REFUSED] = { "server-port-closed",
			"%s over %s: port closed",
			"Nothing listens on that port: check the port number and that the server runs." },
		[LEG_UNREACHABLE] = { "server-unreachable",
			"%s over %s: network unreachable",
			"No route to the server from here: check routing, or the address family." },
		[LEG_MALFORMED] = { "server-malformed",
			"%s over %s: the server's replies are not valid STUN",
			"This is not a STUN server, or something on the path mangles its replies." },
		[LEG_RESOLVE] = { "resolve-failed",
			"%s: host name did not resolve",
			"Check the name and DNS." },
		[LEG_TLS] = { "tls-failed",
			"%s over %s: TLS handshake failed",
			"Check that the port speaks TLS and the server's certificate and ciphers." },
		[LEG_ERROR] = { "local-error",
			"%s over %s: local failure",
			"" },
	};
	struct finding *f;

	if (r->status == LEG_OK)
		return;
	f = findings_add(fs, what[r->status].id, SEV_ERROR);
	if (!f)
		return;
	snprintf(f->title, sizeof(f->title), what[r->status].title, r->server,
		 transport_upper(r->transport), r->error_code);
	{
		char a[64];

		snprintf(f->detail, sizeof(f->detail), "%s%s%s%s; %u requests, %u retransmissions, %u responses",
			 r->remote.ss_family ? np_addr_str(&r->remote, a, sizeof(a)) : "",
			 r->remote.ss_family ? ": " : "", r->message,
			 r->message[0] ? "" : "no detail", r->requests,
			 r->retransmits, r->responses);
	}
	snprintf(f->remedy, sizeof(f->remedy), "%s", what[r->status].remedy);
	for (size_t i = 0; i < r->nevidence; i++)
		finding_evidence(f, r->evidence[i]);
}

void stun_summarize(const struct obs_log *log, int required_family,
		    struct findings *fs)
{
	struct acc acc[STUN_RESULTS_MAX];
	size_t ok = 0, failed_required = 0, legs = 0;

	memset(fs, 0, sizeof(*fs));
	fs->command = "stun";
	fs->start_wall_us = log->start_wall_us;
	memset(acc, 0, sizeof(acc));
	for (size_t i = 0; i < log->n; i++)
		accumulate(fs, acc, &log->v[i]);
	for (size_t i = 0; i < fs->nstun; i++) {
		struct stun_result *r = &fs->stun[i];

		finish_row(r, &acc[i]);
		legs++;
		if (r->status == LEG_OK)
			ok++;
		else if (required_family != AF_UNSPEC &&
			 (r->family == required_family || r->family == 0))
			failed_required++;
		leg_finding(fs, r);
		if (r->alg_rewrite == TRI_YES) {
			struct finding *f = findings_add(fs, "alg-rewrite", SEV_WARNING);
			char a[64], b[64];

			if (f) {
				snprintf(f->title, sizeof(f->title),
					 "%s: a middlebox rewrites addresses in STUN (ALG)",
					 r->server);
				snprintf(f->detail, sizeof(f->detail),
					 "MAPPED-ADDRESS arrived as %s but XOR-MAPPED-ADDRESS says %s",
					 np_addr_str(&r->plain_mapped, a, sizeof(a)),
					 np_addr_str(&r->mapped, b, sizeof(b)));
				snprintf(f->remedy, sizeof(f->remedy),
					 "Disable the SIP/STUN ALG on the router or firewall.");
				for (size_t k = 0; k < r->nevidence; k++)
					finding_evidence(f, r->evidence[k]);
			}
		}
		if (r->unmatched > 0) {
			struct finding *f = findings_add(fs, "stray-responses", SEV_WARNING);

			if (f) {
				snprintf(f->title, sizeof(f->title),
					 "%s over %s: %u response(s) matched no request",
					 r->server, transport_upper(r->transport), r->unmatched);
				snprintf(f->detail, sizeof(f->detail),
					 "Responses with unknown transaction IDs or from unexpected addresses were ignored (spoofing, or a misbehaving server).");
				for (size_t k = 0; k < r->nevidence; k++)
					finding_evidence(f, r->evidence[k]);
			}
		}
		if (r->tls[0] && strstr(r->tls, ": verified") == NULL &&
		    r->status == LEG_OK) {
			struct finding *f = findings_add(fs, "tls-untrusted", SEV_WARNING);

			if (f) {
				snprintf(f->title, sizeof(f->title),
					 "%s: TLS works but the certificate is not trusted",
					 r->server);
				snprintf(f->detail, sizeof(f->detail), "%s", r->tls);
				snprintf(f->remedy, sizeof(f->remedy),
					 "Browsers will refuse this TURN/STUN-over-TLS server: install a certificate from a trusted CA for this name (or pass --tls-ca for a private CA).");
			}
		}
	}
	if (required_family != AF_UNSPEC)
		fs->exit_code = (failed_required > 0 || ok == 0) ? 1 : 0;
	else
		fs->exit_code = ok > 0 ? 0 : 1;
	(void)legs;
}
