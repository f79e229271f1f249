/*
 * ice_summary.c - an ICE run rebuilt from its observations (the "ice.*"
 * labels of probe/ice_agent.c), with findings that name what failed and
 * the server's own words for it.
 */
#include "ice_summary.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static struct ice_sum_pair *pair_at(struct ice_report *r, long idx)
{
	for (size_t i = 0; i < r->npairs; i++)
		if (r->pairs[i].index == idx)
			return &r->pairs[i];
	if (r->npairs == ICE_SUM_MAX_PAIRS || idx < 0)
		return NULL;
	memset(&r->pairs[r->npairs], 0, sizeof(r->pairs[0]));
	r->pairs[r->npairs].index = idx;
	return &r->pairs[r->npairs++];
}

static struct ice_sum_pair *pair_by_addr(struct ice_report *r,
					 const struct sockaddr_storage *l,
					 const struct sockaddr_storage *rem)
{
	for (size_t i = 0; i < r->npairs; i++)
		if (np_addr_equal(&r->pairs[i].local, l) &&
		    np_addr_equal(&r->pairs[i].remote, rem))
			return &r->pairs[i];
	return NULL;
}

static void add_cand(struct ice_report *r, const struct obs *o, int remote)
{
	struct ice_sum_cand *c;
	enum ice_cand_err why;
	size_t at, alen;

	if (r->ncands == ICE_SUM_MAX_CANDS)
		return;
	c = &r->cands[r->ncands];
	memset(c, 0, sizeof(*c));
	/* The text is "candidate:<value>"; the parser takes the value. */
	if (ice_cand_parse(o->text + 10, strlen(o->text + 10), &c->c, &why, &at,
			   &alen) != 1)
		return;
	/* A ".local" name resolved by mDNS: the note carries the address. */
	if (c->c.addr.ss_family == AF_UNSPEC && (o->has & OBS_HAS_REMOTE))
		c->c.addr = o->remote;
	c->remote = remote;
	c->relay_transport = -1;
	c->t_us = o->t_us;
	c->seq = o->seq;
	if (!remote && (o->has & OBS_HAS_REMOTE))
		c->c.server = o->remote;
	r->ncands++;
}

static struct ice_sum_leg *leg_for(struct ice_report *r, const char *server,
				   const char *kind, enum np_transport t)
{
	for (size_t i = 0; i < r->nlegs; i++)
		if (!strcmp(r->legs[i].server, server) &&
		    !strcmp(r->legs[i].kind, kind) && r->legs[i].transport == t)
			return &r->legs[i];
	if (r->nlegs == ICE_SUM_MAX_LEGS)
		return NULL;
	memset(&r->legs[r->nlegs], 0, sizeof(r->legs[0]));
	snprintf(r->legs[r->nlegs].server, sizeof(r->legs[0].server), "%s", server);
	snprintf(r->legs[r->nlegs].kind, sizeof(r->legs[0].kind), "%s", kind);
	r->legs[r->nlegs].transport = t;
	return &r->legs[r->nlegs++];
}

/* Gathering legs: Binding requests to STUN servers ("ice.srflx") and the
 * TURN client's requests and connection outcomes (the socket to the TURN
 * server carries its URI as the server name). */
static void leg_obs(struct ice_report *r, const struct obs *o)
{
	struct ice_sum_leg *l;
	char addr[64];
	int turn = starts(o->test, "ice.turn") ||
		   (o->server[0] && starts(o->server, "turn"));

	/* Notes explain; the legs rest on what was sent and received. */
	if (o->kind == OBS_NOTE)
		return;

	if (starts(o->test, "ice.srflx")) {
		np_addr_str(&o->remote, addr, sizeof(addr));
		l = leg_for(r, addr, "srflx", o->transport);
	} else if (turn && starts(o->server, "turn") &&
		   (strstr(o->test, "allocate") || o->kind == OBS_CONNECT ||
		    o->kind == OBS_TLS || o->kind == OBS_ERROR ||
		    o->kind == OBS_ICMP)) {
		/* The allocation decides a relay leg; permissions and
		 * refreshes come after it. */
		l = leg_for(r, o->server, "relay", o->transport);
	} else {
		return;
	}
	if (!l)
		return;
	if (o->has & OBS_HAS_REMOTE)
		l->family = o->remote.ss_family;
	switch (o->kind) {
	case OBS_SENT:
		l->requests++;
		break;
	case OBS_RESPONSE:
		l->responses++;
		if (o->error_code == 0) {
			if (!strcmp(l->kind, "srflx") ||
			    strstr(o->test, "allocate")) {
				l->ok = 1;
				l->rtt_us = o->rtt_us;
				l->evidence = o->seq;
				l->error_code = 0;
				l->reason[0] = '\0';
			}
			break;
		}
		/* The first 401 to an Allocate is the challenge (RFC 8656
		 * §7.1); a second is the server refusing the credentials. */
		if (o->error_code == 401 && strstr(o->test, "allocate") &&
		    l->n401++ == 0)
			break;
		if (o->error_code == 438 && strstr(o->test, "allocate"))
			break;  /* stale nonce: retried with the new one */
		if (!l->ok || strstr(o->test, "allocate")) {
			l->error_code = o->error_code;
			snprintf(l->reason, sizeof(l->reason), "%s", o->text);
			l->evidence = o->seq;
		}
		break;
	case OBS_TIMEOUT:
		l->timeouts++;
		if (!l->ok && !l->error_code) {
			snprintf(l->reason, sizeof(l->reason), "%s", o->text);
			l->evidence = o->seq;
		}
		break;
	case OBS_ICMP:
	case OBS_ERROR:
		if (!l->ok) {
			snprintf(l->reason, sizeof(l->reason), "%s", o->text);
			l->evidence = o->seq;
		}
		break;
	case OBS_CONNECT:
	case OBS_TLS:
		if (o->err && !l->ok) {
			snprintf(l->reason, sizeof(l->reason), "%s", o->text);
			l->evidence = o->seq;
		}
		break;
	default:
		break;
	}
}

static void pair_note(struct ice_report *r, const struct obs *o)
{
	long idx;
	char from[16], to[16], lt[8], rt[8];
	unsigned long long prio = 0;
	struct ice_sum_pair *p;

	/* "pair 3 in-progress (was waiting) host->srflx prio 123" */
	if (sscanf(o->text, "pair %ld %15[a-z-] (was %15[a-z-]) %7[a-z]->%7[a-z] prio %llu",
		   &idx, to, from, lt, rt, &prio) < 5)
		return;
	p = pair_at(r, idx);
	if (!p)
		return;
	p->local = o->local;
	p->remote = o->remote;
	p->transport = o->transport;
	snprintf(p->ltype, sizeof(p->ltype), "%s", lt);
	snprintf(p->rtype, sizeof(p->rtype), "%s", rt);
	p->priority = prio;
	snprintf(p->state, sizeof(p->state), "%s", to);
	if (strstr(o->text, " nominated"))
		p->nominated = 1;
	if (p->nchanges < ICE_SUM_MAX_CHANGES) {
		snprintf(p->changes[p->nchanges].state,
			 sizeof(p->changes[0].state), "%s", to);
		p->changes[p->nchanges++].t_us = o->t_us;
	}
}

static void check_obs(struct ice_report *r, const struct obs *o)
{
	struct ice_sum_pair *p;
	long idx;

	if (sscanf(o->text, "pair %ld", &idx) != 1)
		return;
	p = pair_at(r, idx);
	if (!p)
		return;
	if (o->kind == OBS_SENT || o->kind == OBS_RETRANSMIT) {
		p->requests_sent++;
		if (o->kind == OBS_RETRANSMIT)
			p->retransmissions_sent++;
		if (!p->first_request_us)
			p->first_request_us = o->t_us;
		if (!p->local.ss_family) {
			p->local = o->local;
			p->remote = o->remote;
		}
	} else if (o->kind == OBS_RESPONSE) {
		p->responses_received++;
		p->last_response_us = o->t_us;
		if (o->error_code)
			p->last_error = o->error_code;
		if (o->has & OBS_HAS_RTT) {
			p->current_rtt_us = o->rtt_us;
			p->total_rtt_us += o->rtt_us;
			p->rtt_samples++;
		}
	}
}

static void phase_note(struct ice_report *r, const struct obs *o)
{
	static const struct { const char *name; size_t off; } ph[] = {
		{ "first-host", offsetof(struct ice_report, t_first_host) },
		{ "first-srflx", offsetof(struct ice_report, t_first_srflx) },
		{ "first-relay", offsetof(struct ice_report, t_first_relay) },
		{ "first-check", offsetof(struct ice_report, t_first_check) },
		{ "first-valid", offsetof(struct ice_report, t_first_valid) },
		{ "nominating", offsetof(struct ice_report, t_nominated) },
		{ "selected", offsetof(struct ice_report, t_selected) },
	};
	char name[24];
	double ms;

	if (sscanf(o->text, "%23s %lf ms", name, &ms) != 2 || ms < 0)
		return;
	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++)
		if (!strcmp(name, ph[i].name))
			*(uint64_t *)((char *)r + ph[i].off) = (uint64_t)(ms * 1000.0);
}

static void selected_note(struct ice_report *r, const struct obs *o)
{
	char lt[8] = "", rt[8] = "";

	r->selected_ok = 1;
	r->sel_transport = o->transport;
	r->sel_local = o->local;
	r->sel_remote = o->remote;
	sscanf(o->text, "%7[a-z]", lt);
	{
		const char *arrow = strstr(o->text, "-> ");

		if (arrow)
			sscanf(arrow + 3, "%7[a-z]", rt);
	}
	/* "srflx 198.51.100.2:5000 -> ...": the candidate's own address (the
	 * observation's local is its base). */
	{
		char tok[80];
		struct sockaddr_storage ca;

		if (sscanf(o->text, "%*7s %79s", tok) == 1 &&
		    np_addr_parse(tok, &ca) == 0)
			r->sel_local_cand = ca;
		else
			r->sel_local_cand = o->local;
	}
	snprintf(r->sel_ltype, sizeof(r->sel_ltype), "%s", lt);
	snprintf(r->sel_rtype, sizeof(r->sel_rtype), "%s", rt);
	{
		const char *rtt = strstr(o->text, "rtt ");
		double ms;

		if (rtt && sscanf(rtt, "rtt %lf", &ms) == 1 && ms >= 0)
			r->sel_rtt_us = (uint64_t)(ms * 1000.0);
	}
}

static void read_log(const struct obs_log *log, struct ice_report *r)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if (!starts(o->test, "ice") && !(o->server[0] && starts(o->server, "turn")))
			continue;
		r->present = 1;
		if (!strcmp(o->test, "ice.start")) {
			r->controlling = strstr(o->text, "role controlling") != NULL;
		} else if (!strcmp(o->test, "ice.gather") && o->kind == OBS_NOTE) {
			if (starts(o->text, "candidate:"))
				add_cand(r, o, 0);
			else if (starts(o->text, "gathering complete"))
				r->t_gathered = o->t_us;
		} else if (!strcmp(o->test, "ice.remote") && o->kind == OBS_NOTE) {
			if (starts(o->text, "candidate:"))
				add_cand(r, o, 1);
			else if (starts(o->text, "rejected"))
				r->nrejected++;
		} else if (!strcmp(o->test, "ice.pair")) {
			pair_note(r, o);
		} else if (!strcmp(o->test, "ice.check")) {
			check_obs(r, o);
		} else if (!strcmp(o->test, "ice.check.in")) {
			struct ice_sum_pair *p = pair_by_addr(r, &o->local, &o->remote);

			r->checks_in++;
			if (strstr(o->text, "answered 401"))
				r->checks_in_unauthorized++;
			else if (strstr(o->text, "answered 400"))
				r->checks_in_bad++;
			else if (p) {
				p->requests_received++;
				p->responses_sent++;
			}
		} else if (!strcmp(o->test, "ice.phase")) {
			phase_note(r, o);
		} else if (!strcmp(o->test, "ice.selected")) {
			selected_note(r, o);
		} else if (!strcmp(o->test, "ice.consent")) {
			if (o->kind == OBS_NOTE)
				r->consent_sent++;
			else if (o->kind == OBS_RESPONSE && !o->error_code)
				r->consent_ok++;
		} else if (!strcmp(o->test, "ice.failed")) {
			snprintf(r->failure, sizeof(r->failure), "%s", o->text);
		} else {
			leg_obs(r, o);
		}
	}
}

static void fix_up(struct ice_report *r)
{
	r->selected = -1;
	for (size_t i = 0; i < r->npairs; i++) {
		struct ice_sum_pair *p = &r->pairs[i];

		if (r->selected_ok && np_addr_equal(&p->local, &r->sel_local) &&
		    np_addr_equal(&p->remote, &r->sel_remote) &&
		    (r->selected < 0 || p->nominated)) {
			r->selected = (long)i;
		}
	}
	if (r->selected >= 0)
		r->pairs[r->selected].selected = 1;
	/* A relay candidate's transport to its server, from the legs. */
	r->sel_relay_transport = -1;
	for (size_t i = 0; i < r->ncands; i++) {
		struct ice_sum_cand *c = &r->cands[i];

		if (c->remote || c->c.type != ICE_RELAY)
			continue;
		/* The allocation that succeeded last before the candidate
		 * was recorded is the one that yielded it. */
		for (size_t j = 0, best = 0; j < r->nlegs; j++) {
			if (strcmp(r->legs[j].kind, "relay") || !r->legs[j].ok ||
			    r->legs[j].evidence > c->seq || r->legs[j].evidence < best)
				continue;
			best = r->legs[j].evidence;
			c->relay_transport = (int)r->legs[j].transport;
		}
		if (r->selected_ok && np_addr_equal(&c->c.addr, &r->sel_local))
			r->sel_relay_transport = c->relay_transport;
	}
	snprintf(r->state, sizeof(r->state), "%s",
		 r->selected_ok ? "completed" : "failed");
}

static void evidence_pairs(struct finding *f, const struct obs_log *log)
{
	for (size_t i = log->n; i-- > 0 && f->nevidence < FINDING_MAX_EVIDENCE;)
		if (!strcmp(log->v[i].test, "ice.check") ||
		    !strcmp(log->v[i].test, "ice.failed"))
			finding_evidence(f, log->v[i].seq);
}

static void leg_findings(const struct ice_report *r, struct findings *fs)
{
	for (size_t i = 0; i < r->nlegs; i++) {
		const struct ice_sum_leg *l = &r->legs[i];
		const char *t = np_transport_name(l->transport);
		struct finding *f;

		if (l->ok)
			continue;
		if (!strcmp(l->kind, "relay")) {
			int code = l->error_code;
			const char *id = code == 401 || code == 441 ? "turn-credentials"
					 : code == 486             ? "turn-quota"
					 : code == 508             ? "turn-capacity"
					 : code                    ? "turn-error"
								   : "turn-unreachable";

			f = findings_add(fs, id, SEV_ERROR);
			if (!f)
				return;
			if (code)
				snprintf(f->title, sizeof(f->title),
					 "TURN server %s over %s refused the allocation: %d %s",
					 l->server, t, code, l->reason);
			else
				snprintf(f->title, sizeof(f->title),
					 "TURN server %s over %s: no allocation (%s)",
					 l->server, t, l->reason[0] ? l->reason : "no answer");
			snprintf(f->detail, sizeof(f->detail),
				 "%u request(s), %u response(s), %u timeout(s); no relayed candidate from this server",
				 l->requests, l->responses, l->timeouts);
			snprintf(f->remedy, sizeof(f->remedy), "%s",
				 code == 401 || code == 441
					 ? "check the TURN username and password (long-term credentials, RFC 8489 §9.2)"
				 : code == 486 ? "the user has too many allocations: close old sessions or raise the quota"
				 : code == 508 ? "the server is out of relay ports: add capacity or another TURN server"
				 : code ? "see the server's reason phrase"
					: "check that the TURN server runs and that this network lets its port through");
		} else {
			f = findings_add(fs, "stun-server-failed", SEV_WARNING);
			if (!f)
				return;
			snprintf(f->title, sizeof(f->title),
				 "STUN server %s over %s gave no server-reflexive candidate: %s",
				 l->server, t,
				 l->error_code ? l->reason : (l->reason[0] ? l->reason : "no answer"));
			snprintf(f->detail, sizeof(f->detail),
				 "%u request(s), %u response(s), %u timeout(s)",
				 l->requests, l->responses, l->timeouts);
			snprintf(f->remedy, sizeof(f->remedy),
				 "outbound UDP to the STUN server may be blocked; a TURN server over TCP/TLS 443 still gives a path");
		}
		if (l->evidence)
			finding_evidence(f, l->evidence);
	}
}

void ice_analyze(const struct obs_log *log, struct ice_report *r,
		 struct findings *fs)
{
	struct finding *f;
	char ls[64], rs[64];

	memset(r, 0, sizeof(*r));
	read_log(log, r);
	fix_up(r);
	fs->command = "ice";
	fs->start_wall_us = log->start_wall_us;
	fs->log = log;
	if (!r->present)
		return;
	fs->ice = r;
	leg_findings(r, fs);
	if (r->nrejected) {
		f = findings_add(fs, "ice-remote-candidates-rejected", SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%zu remote candidate(s) could not be used", r->nrejected);
			snprintf(f->detail, sizeof(f->detail),
				 "the peer offered candidates with unusable addresses (see the ice.remote notes)");
		}
	}
	if (r->checks_in_unauthorized) {
		f = findings_add(fs, "ice-peer-credentials", SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%u check(s) from the peer had wrong credentials (answered 401)",
				 r->checks_in_unauthorized);
			snprintf(f->detail, sizeof(f->detail),
				 "USERNAME or MESSAGE-INTEGRITY did not match our ice-ufrag/ice-pwd");
			snprintf(f->remedy, sizeof(f->remedy),
				 "make sure the peer uses the description natprobe wrote, not an older one");
		}
	}
	if (r->selected_ok) {
		int relay = !strcmp(r->sel_ltype, "relay") || !strcmp(r->sel_rtype, "relay");

		f = findings_add(fs, relay ? "ice-relayed" : "ice-direct", SEV_INFO);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s pair selected: %s %s -> %s %s in %.1f ms",
				 relay ? "relayed" : "direct", r->sel_ltype,
				 np_addr_str(&r->sel_local_cand, ls, sizeof(ls)), r->sel_rtype,
				 np_addr_str(&r->sel_remote, rs, sizeof(rs)),
				 (double)r->t_selected / 1000.0);
			snprintf(f->detail, sizeof(f->detail),
				 "%zu pair(s) formed; first check %.1f ms, first valid pair %.1f ms, nomination %.1f ms, selection %.1f ms",
				 r->npairs, (double)r->t_first_check / 1000.0,
				 (double)r->t_first_valid / 1000.0,
				 (double)r->t_nominated / 1000.0,
				 (double)r->t_selected / 1000.0);
			if (relay) {
				int direct = 0;

				for (size_t i = 0; i < r->ncands; i++)
					direct |= !r->cands[i].remote &&
						  r->cands[i].c.type != ICE_RELAY;
				snprintf(f->remedy, sizeof(f->remedy), "%s",
					 direct ? "media will go through the TURN server: direct paths failed (symmetric NAT or filtering on one side)"
						: "only relayed candidates were gathered (--relay-only, or no usable interface), so only a relayed path could be tried");
			}
		}
		return;
	}
	f = findings_add(fs, "ice-failed", SEV_ERROR);
	if (!f)
		return;
	snprintf(f->title, sizeof(f->title), "no candidate pair was selected%s%s",
		 r->failure[0] ? ": " : "", r->failure);
	{
		unsigned sent = 0, got = 0;
		size_t nrelay = 0;

		for (size_t i = 0; i < r->npairs; i++) {
			sent += (unsigned)r->pairs[i].requests_sent;
			got += (unsigned)r->pairs[i].responses_received;
		}
		for (size_t i = 0; i < r->ncands; i++)
			nrelay += !r->cands[i].remote && r->cands[i].c.type == ICE_RELAY;
		snprintf(f->detail, sizeof(f->detail),
			 "%zu pair(s), %u check(s) sent, %u response(s), %u check(s) from the peer; %zu local relayed candidate(s)",
			 r->npairs, sent, got, r->checks_in, nrelay);
		snprintf(f->remedy, sizeof(f->remedy), "%s",
			 nrelay ? "the peer was unreachable even through the relay: check its TURN configuration and that it got our description"
				: got == 0 && r->checks_in == 0
					? "no check got through either way: add a TURN server (--turn) so a relayed path exists"
					: "checks got through one way only: a firewall filters one direction; a TURN server gives a relayed path");
	}
	evidence_pairs(f, log);
}
