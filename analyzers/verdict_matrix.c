/*
 * verdict_matrix.c - the transport matrix (see verdict_matrix.h for what
 * each cell rests on). Every cell is fed by attempts that were decided in
 * the log: a leg that got an answer or gave up, a pair that succeeded or
 * failed. A decided connectivity check outranks the gathering leg of the
 * same cell; a cell with no decided attempt is "not tried".
 */
#include "verdict_matrix.h"

#include "ice_summary.h"

#include <stdio.h>
#include <string.h>

/* How telling a failure is: the peer's own code first, then TLS, ICMP,
 * a refused connection, silence, and our own trouble last. */
enum { RANK_NONE, RANK_LOCAL, RANK_TIMEOUT, RANK_CONNECT, RANK_ICMP,
       RANK_TLS, RANK_ERROR };

struct why {
	int rank;
	int code;
	const char *cause;
	char reason[200];
	uint64_t seq;
};

struct work {
	unsigned gok, gfail, cok, cfail, gathered;
	struct why gwhy, cwhy;
	uint64_t gseq, cseq;        /* a success it rests on */
};

struct attempt {
	int check;                  /* a connectivity check, else a leg */
	int ok;
	struct why why;             /* when failed */
	uint64_t seq;
	uint64_t rtt_us;
};

const char *vm_kind_name(enum vm_kind k)
{
	static const char *const n[VM__KINDS] = { "host", "srflx", "relay",
						  "ice-tcp" };

	return (unsigned)k < VM__KINDS ? n[k] : "?";
}

const char *vm_status_name(enum vm_status s)
{
	switch (s) {
	case VM_NOT_TRIED: return "not-tried";
	case VM_OK: return "ok";
	case VM_FAILED: return "failed";
	case VM_NA: return "n/a";
	}
	return "?";
}

int vm_family_index(int family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static const struct obs *by_seq(const struct obs_log *log, uint64_t seq)
{
	if (seq >= 1 && seq <= log->n && log->v[seq - 1].seq == seq)
		return &log->v[seq - 1];
	for (size_t i = 0; i < log->n; i++)
		if (log->v[i].seq == seq)
			return &log->v[i];
	return NULL;
}

/* The failure an observation shows, in the peer's words when it gave
 * any; rank 0 when it shows none. */
static void why_from_obs(const struct obs *o, struct why *w)
{
	memset(w, 0, sizeof(*w));
	w->seq = o->seq;
	switch (o->kind) {
	case OBS_RESPONSE:
		if (!o->error_code)
			return;
		w->rank = RANK_ERROR;
		w->code = o->error_code;
		w->cause = "error";
		snprintf(w->reason, sizeof(w->reason), "%d %.180s", o->error_code,
			 o->text[0] ? o->text : "(no reason phrase)");
		return;
	case OBS_TIMEOUT:
		w->rank = RANK_TIMEOUT;
		w->code = VM_CODE_UNREACHABLE;
		w->cause = "timeout";
		break;
	case OBS_ICMP:
		w->rank = RANK_ICMP;
		w->code = VM_CODE_UNREACHABLE;
		w->cause = "icmp";
		if (!o->text[0]) {
			snprintf(w->reason, sizeof(w->reason),
				 "ICMP type %d code %d", o->icmp_type,
				 o->icmp_code);
			return;
		}
		break;
	case OBS_TLS:
		if (!o->err)
			return;
		w->rank = RANK_TLS;
		w->cause = "tls";
		break;
	case OBS_CONNECT:
		if (!o->err)
			return;
		w->rank = RANK_CONNECT;
		w->code = VM_CODE_UNREACHABLE;
		w->cause = "connect";
		break;
	case OBS_ERROR:
		w->rank = RANK_LOCAL;
		w->cause = "local";
		break;
	default:
		return;
	}
	snprintf(w->reason, sizeof(w->reason), "%.190s",
		 o->text[0] ? o->text : obs_kind_name(o->kind));
}

static void add(struct work *wk, const struct attempt *a)
{
	struct why *w = a->check ? &wk->cwhy : &wk->gwhy;

	if (a->ok) {
		if (a->check) {
			wk->cok++;
			if (!wk->cseq)
				wk->cseq = a->seq;
		} else {
			wk->gok++;
			if (!wk->gseq)
				wk->gseq = a->seq;
		}
		return;
	}
	if (a->check)
		wk->cfail++;
	else
		wk->gfail++;
	if (a->why.rank > w->rank)
		*w = a->why;
}

static struct work *at(struct work *w, int t, int family, enum vm_kind k)
{
	int f = vm_family_index(family);

	if (t < 0 || t >= VM_TRANSPORTS || f < 0)
		return NULL;
	return &w[(t * VM_FAMILIES + f) * VM__KINDS + k];
}

static void note_rtt(struct vm_cell *c, uint64_t rtt)
{
	if (!rtt)
		return;
	if (!c->rtt_samples || rtt < c->rtt_min_us)
		c->rtt_min_us = rtt;
	c->rtt_samples++;
}

/* ---- server legs of `natprobe nat` and `natprobe stun` ------------------ */

static int server_leg_test(const struct obs_log *log, const struct obs *o)
{
	if (!strcmp(log->command, "nat"))
		return !strcmp(o->test, "server") || !strcmp(o->test, "tcp") ||
		       !strcmp(o->test, "tls") || !strcmp(o->test, "tls.443") ||
		       (!strcmp(o->test, "connect") && starts(o->server, "stun"));
	if (!strcmp(log->command, "stun") || !log->command[0])
		return starts(o->test, "binding") ||
		       (!strcmp(o->test, "connect") && starts(o->server, "stun"));
	return 0;
}

static void server_legs(const struct obs_log *log, struct work *w,
			struct verdict_matrix *m)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		struct attempt a;
		struct work *wk;

		if (!server_leg_test(log, o) || !(o->has & OBS_HAS_REMOTE))
			continue;
		memset(&a, 0, sizeof(a));
		a.seq = o->seq;
		if (o->kind == OBS_RESPONSE && !o->error_code) {
			a.ok = 1;
		} else {
			why_from_obs(o, &a.why);
			if (!a.why.rank)
				continue;
		}
		wk = at(w, (int)o->transport, o->remote.ss_family, VM_SRFLX);
		if (!wk)
			continue;
		add(wk, &a);
		if (a.ok)
			note_rtt(&m->cell[o->transport]
				  [vm_family_index(o->remote.ss_family)][VM_SRFLX],
				 o->rtt_us);
		m->present = 1;
	}
}

/* ---- ICE: gathering legs, candidates and pairs ---------------------------- */

static void ice_legs(const struct obs_log *log, const struct ice_report *r,
		     struct work *w, struct verdict_matrix *m)
{
	for (size_t i = 0; i < r->nlegs; i++) {
		const struct ice_sum_leg *l = &r->legs[i];
		int relay = !strcmp(l->kind, "relay");
		const struct obs *o = l->evidence ? by_seq(log, l->evidence) : NULL;
		struct attempt a;
		struct work *wk;

		/* A relay that worked is placed by its relayed address, below. */
		if (l->ok && relay)
			continue;
		wk = at(w, (int)l->transport, l->family, relay ? VM_RELAY : VM_SRFLX);
		if (!wk)
			continue;
		memset(&a, 0, sizeof(a));
		a.ok = l->ok;
		a.seq = l->evidence;
		if (!l->ok) {
			if (o)
				why_from_obs(o, &a.why);
			if (l->error_code) {
				a.why.rank = RANK_ERROR;
				a.why.code = l->error_code;
				a.why.cause = "error";
				snprintf(a.why.reason, sizeof(a.why.reason),
					 "%d %s", l->error_code, l->reason);
			} else if (!a.why.rank) {
				a.why.rank = l->timeouts ? RANK_TIMEOUT : RANK_LOCAL;
				a.why.code = l->timeouts ? VM_CODE_UNREACHABLE : 0;
				a.why.cause = l->timeouts ? "timeout" : "local";
				snprintf(a.why.reason, sizeof(a.why.reason), "%s",
					 l->reason[0] ? l->reason : "no answer");
			}
			a.why.seq = l->evidence;
		} else {
			note_rtt(&m->cell[l->transport][vm_family_index(l->family)]
				  [VM_SRFLX], l->rtt_us);
		}
		add(wk, &a);
		m->present = 1;
	}
}

/* The transport to the TURN server of a local relayed candidate at addr,
 * or -1 when the log does not say. */
static int relay_transport_of(const struct ice_report *r,
			      const struct sockaddr_storage *addr)
{
	for (size_t i = 0; i < r->ncands; i++)
		if (!r->cands[i].remote && r->cands[i].c.type == ICE_RELAY &&
		    np_addr_equal(&r->cands[i].c.addr, addr))
			return r->cands[i].relay_transport;
	return -1;
}

static void ice_cands(const struct ice_report *r, struct work *w,
		      struct verdict_matrix *m)
{
	for (size_t i = 0; i < r->ncands; i++) {
		const struct ice_sum_cand *c = &r->cands[i];
		struct work *wk;

		if (c->remote)
			continue;
		if (c->c.transport == NP_TCP) {
			wk = at(w, NP_TCP, c->c.addr.ss_family, VM_ICETCP);
			if (wk)
				wk->gathered++;
		} else if (c->c.type == ICE_HOST) {
			wk = at(w, NP_UDP, c->c.addr.ss_family, VM_HOST);
			if (wk)
				wk->gathered++;
		} else if (c->c.type == ICE_RELAY) {
			struct attempt a;

			wk = at(w, c->relay_transport, c->c.addr.ss_family, VM_RELAY);
			if (!wk)
				continue;
			memset(&a, 0, sizeof(a));
			a.ok = 1;
			a.seq = c->seq;
			add(wk, &a);
		} else {
			continue;
		}
		m->present = 1;
	}
}

static int pair_succeeded(const struct ice_sum_pair *p)
{
	if (!strcmp(p->state, "succeeded"))
		return 1;
	for (size_t k = 0; k < p->nchanges; k++)
		if (!strcmp(p->changes[k].state, "succeeded"))
			return 1;
	return 0;
}

/* The last ice.check observation of pair idx (its response if any). */
static uint64_t pair_seq(const struct obs_log *log, long idx, int *got_icmp,
			 struct why *icmp)
{
	uint64_t seq = 0, resp = 0;
	long k;

	*got_icmp = 0;
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if (strcmp(o->test, "ice.check") ||
		    sscanf(o->text, "pair %ld", &k) != 1 || k != idx)
			continue;
		seq = o->seq;
		if (o->kind == OBS_RESPONSE)
			resp = o->seq;
		if (o->kind == OBS_ICMP && !*got_icmp) {
			why_from_obs(o, icmp);
			*got_icmp = 1;
		}
	}
	return resp ? resp : seq;
}

static void ice_pairs(const struct obs_log *log, const struct ice_report *r,
		      struct work *w, struct verdict_matrix *m)
{
	for (size_t i = 0; i < r->npairs; i++) {
		const struct ice_sum_pair *p = &r->pairs[i];
		enum vm_kind k;
		int t, icmp;
		struct attempt a;
		struct work *wk;

		memset(&a, 0, sizeof(a));
		a.check = 1;
		a.ok = pair_succeeded(p);
		if (!a.ok && strcmp(p->state, "failed"))
			continue;   /* never decided */
		if (p->transport == NP_TCP) {
			k = VM_ICETCP;
			t = NP_TCP;
		} else if (!strcmp(p->ltype, "host")) {
			k = VM_HOST;
			t = NP_UDP;
		} else if (!strcmp(p->ltype, "srflx") || !strcmp(p->ltype, "prflx")) {
			k = VM_SRFLX;
			t = NP_UDP;
		} else if (!strcmp(p->ltype, "relay")) {
			k = VM_RELAY;
			t = relay_transport_of(r, &p->local);
		} else {
			continue;
		}
		wk = at(w, t, p->local.ss_family, k);
		if (!wk)
			continue;
		a.seq = pair_seq(log, p->index, &icmp, &a.why);
		if (!a.ok) {
			if (p->last_error) {
				a.why.rank = RANK_ERROR;
				a.why.code = p->last_error;
				a.why.cause = "error";
				snprintf(a.why.reason, sizeof(a.why.reason),
					 "pair %ld %s->%s: the peer answered %d",
					 p->index, p->ltype, p->rtype, p->last_error);
			} else if (!icmp) {
				a.why.rank = RANK_TIMEOUT;
				a.why.cause = "timeout";
				snprintf(a.why.reason, sizeof(a.why.reason),
					 "pair %ld %s->%s: %llu check(s) sent, no response",
					 p->index, p->ltype, p->rtype,
					 (unsigned long long)p->requests_sent);
			}
			a.why.seq = a.seq;
		} else if (p->rtt_samples) {
			note_rtt(&m->cell[t][vm_family_index(p->local.ss_family)][k],
				 p->total_rtt_us / p->rtt_samples);
		}
		add(wk, &a);
		m->present = 1;
	}
}

/* ---- verdicts ------------------------------------------------------------- */

static const char *remedy(enum vm_kind k, int t, const struct why *w)
{
	int c = w->code;

	if (c == 401 || c == 441)
		return "check the TURN/STUN username and password (long-term credentials, RFC 8489 §9.2)";
	if (c == 438)
		return "the server kept rejecting the nonce (438): check the client retries with the new NONCE and the server's clock";
	if (c == 486)
		return "the TURN user has too many allocations: close old sessions or raise the server's quota";
	if (c == 508)
		return "the TURN server is out of relay ports: add capacity or another TURN server";
	if (c == 487)
		return "role conflict (RFC 8445 §7.3.1.1): both agents claimed the same role; check the offer/answer";
	if (c == 403)
		return "the TURN server forbids this peer address (403): check its denied-peer-ip settings";
	if (!strcmp(w->cause ? w->cause : "", "tls"))
		return "the TLS handshake failed: check that the server listens for TLS on that port and that its certificate is valid, unexpired and matches the name";
	if (k == VM_HOST || k == VM_ICETCP ||
	    ((k == VM_SRFLX || k == VM_RELAY) && w->rank == RANK_NONE))
		return "the peer did not answer on this path: a firewall filters it on one side; a relayed path (TURN over TCP/TLS 443) gets through most";
	if (w->cause && !strcmp(w->cause, "error"))
		return "see the server's reason phrase";
	if (t == NP_UDP)
		return "outbound UDP to the server is blocked or the server is down: allow UDP to its port, or use TURN over TCP/TLS on 443";
	return t == NP_TLS ? "TLS to the server did not get through: check that the port (443/5349) is open and the server listens there"
			   : "TCP to the server did not get through: check that its port is open, or use TURN over TLS on 443";
}

static void evidence(struct vm_cell *c, uint64_t seq)
{
	if (!seq || c->nevidence == VM_EVIDENCE)
		return;
	for (size_t i = 0; i < c->nevidence; i++)
		if (c->evidence[i] == seq)
			return;
	c->evidence[c->nevidence++] = seq;
}

static void fail_cell(struct vm_cell *c, enum vm_kind k, int t,
		      const struct why *w, unsigned nfail, const char *what)
{
	c->status = VM_FAILED;
	c->code = w->code;
	snprintf(c->cause, sizeof(c->cause), "%s", w->cause ? w->cause : "");
	snprintf(c->reason, sizeof(c->reason), "%.150s (%u %s failed, none worked)",
		 w->reason[0] ? w->reason : "no answer", nfail, what);
	snprintf(c->remedy, sizeof(c->remedy), "%s", remedy(k, t, w));
	evidence(c, w->seq);
}

static void finish(struct vm_cell *c, const struct work *wk, enum vm_kind k,
		   int t)
{
	c->ok = wk->gok + wk->cok;
	c->failed = wk->gfail + wk->cfail;
	if ((k == VM_HOST && t != NP_UDP) || (k == VM_ICETCP && t != NP_TCP)) {
		c->status = VM_NA;
		return;
	}
	if (wk->cok) {
		c->status = VM_OK;
		snprintf(c->stage, sizeof(c->stage), "check");
		snprintf(c->reason, sizeof(c->reason),
			 "%u pair(s) succeeded%s%s", wk->cok,
			 wk->cfail ? ", some failed: " : "",
			 wk->cfail ? wk->cwhy.reason : "");
		evidence(c, wk->cseq);
	} else if (wk->cfail) {
		snprintf(c->stage, sizeof(c->stage), "check");
		fail_cell(c, k, t, &wk->cwhy, wk->cfail, "pair(s)");
		evidence(c, wk->gseq);
	} else if (wk->gok) {
		c->status = VM_OK;
		snprintf(c->stage, sizeof(c->stage), "gather");
		snprintf(c->reason, sizeof(c->reason), "%s%s%s",
			 k == VM_RELAY ? "relayed candidate allocated; no check decided a pair on it"
				       : "server-reflexive address obtained; no check decided a pair on it",
			 wk->gfail ? "; another leg failed: " : "",
			 wk->gfail ? wk->gwhy.reason : "");
		evidence(c, wk->gseq);
	} else if (wk->gfail) {
		snprintf(c->stage, sizeof(c->stage), "gather");
		fail_cell(c, k, t, &wk->gwhy, wk->gfail,
			  k == VM_RELAY ? "allocation attempt(s)" : "server attempt(s)");
	} else if (wk->gathered) {
		snprintf(c->reason, sizeof(c->reason),
			 "%u candidate(s) gathered; no check decided a pair on them",
			 wk->gathered);
	}
}

void verdict_matrix_build(const struct obs_log *log,
			  const struct ice_report *ice,
			  struct verdict_matrix *m)
{
	struct work w[VM_TRANSPORTS * VM_FAMILIES * VM__KINDS];

	memset(m, 0, sizeof(*m));
	memset(w, 0, sizeof(w));
	server_legs(log, w, m);
	if (ice && ice->present) {
		ice_legs(log, ice, w, m);
		ice_cands(ice, w, m);
		ice_pairs(log, ice, w, m);
	}
	for (int t = 0; t < VM_TRANSPORTS; t++)
		for (int f = 0; f < VM_FAMILIES; f++)
			for (int k = 0; k < VM__KINDS; k++)
				finish(&m->cell[t][f][k],
				       &w[(t * VM_FAMILIES + f) * VM__KINDS + k],
				       (enum vm_kind)k, t);
}
