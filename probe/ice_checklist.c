/*
 * ice_checklist.c - the checklist state machine of RFC 8445: pair states
 * and initial unfreezing (§6.1.2.6), scheduling paced by Ta (§6.1.4.2,
 * §14.2), outcomes of checks (§7.2.5), answering checks (§7.3.1) and
 * regular nomination (§8.1.1). Time comes in as arguments; transaction IDs
 * come from a generator seeded by the caller, so a run is reproducible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice_checklist.h"
#include "np_err.h"

static const char *const pair_states[] = { "frozen", "waiting",
	"in-progress", "succeeded", "failed" };
static const char *const cl_states[] = { "running", "completed", "failed" };

const char *ice_pair_state_name(enum ice_pair_state s)
{
	return (unsigned)s < ICE_PAIR__NSTATES ? pair_states[s] : "?";
}

const char *ice_cl_state_name(enum ice_cl_state s)
{
	return (unsigned)s <= ICE_CL_FAILED ? cl_states[s] : "?";
}

/* splitmix64: transaction IDs are as unpredictable as the seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int ice_cl_new(const struct ice_cl_config *cfg, struct ice_checklist **out)
{
	struct ice_checklist *cl = calloc(1, sizeof(*cl));

	*out = NULL;
	if (!cl)
		return NP_ENOMEM;
	cl->cfg = *cfg;
	cl->cfg.ta_us = !cfg->ta_us ? ICE_TA_DEFAULT_US
		      : cfg->ta_us < ICE_TA_MIN_US ? ICE_TA_MIN_US : cfg->ta_us;
	cl->cfg.rto_us = cfg->rto_us ? cfg->rto_us : ICE_RTO_DEFAULT_US;
	cl->cfg.max_tries = cfg->max_tries ? cfg->max_tries : ICE_TRIES_DEFAULT;
	cl->controlling = cfg->controlling;
	cl->rng = cfg->seed;
	cl->selected = -1;
	*out = cl;
	return 0;
}

void ice_cl_free(struct ice_checklist *cl)
{
	free(cl);
}

static const struct sockaddr_storage *base_of(const struct ice_cand *c)
{
	return c->base.ss_family != AF_UNSPEC ? &c->base : &c->addr;
}

/* §7.1.1: PRIORITY is what the candidate would have as prflx, keeping
 * its local preference. */
static uint32_t prflx_priority(const struct ice_cand *c)
{
	return ice_priority(ICE_PRFLX, (uint16_t)(c->priority >> 8),
			    c->component);
}

static void set_state(struct ice_pair *p, enum ice_pair_state st,
		      uint64_t now)
{
	p->state = st;
	p->stats.entered_us[st] = now;
	p->stats.entered_mask |= 1u << st;
}

static uint64_t pair_prio(const struct ice_checklist *cl, size_t li,
			  size_t ri)
{
	uint32_t l = cl->local[li].priority, r = cl->remote[ri].priority;

	return cl->controlling ? ice_pair_priority(l, r)
			       : ice_pair_priority(r, l);
}

static long find_pair(const struct ice_checklist *cl, size_t li, size_t ri)
{
	size_t i;

	for (i = 0; i < cl->npairs; i++)
		if (cl->pairs[i].local == li && cl->pairs[i].remote == ri)
			return (long)i;
	return -1;
}

static long add_pair(struct ice_checklist *cl, size_t li, size_t ri,
		     enum ice_pair_state st, uint64_t now)
{
	struct ice_pair *p;

	if (cl->npairs == ICE_CL_MAX_PAIRS)
		return -1;
	p = &cl->pairs[cl->npairs];
	memset(p, 0, sizeof(*p));
	p->local = (uint16_t)li;
	p->remote = (uint16_t)ri;
	p->priority = pair_prio(cl, li, ri);
	p->valid_pair = -1;
	set_state(p, st, now);
	return (long)cl->npairs++;
}

static void enqueue(struct ice_checklist *cl, size_t i)
{
	if (cl->pairs[i].queued || cl->trig_n == ICE_CL_MAX_PAIRS)
		return;
	cl->trig[(cl->trig_head + cl->trig_n++) % ICE_CL_MAX_PAIRS] =
		(uint16_t)i;
	cl->pairs[i].queued = 1;
}

static int same_foundation(const struct ice_checklist *cl,
			   const struct ice_pair *a, const struct ice_pair *b)
{
	return !strcmp(cl->local[a->local].foundation,
		       cl->local[b->local].foundation) &&
	       !strcmp(cl->remote[a->remote].foundation,
		       cl->remote[b->remote].foundation);
}

static void form_pairs(struct ice_checklist *cl, uint64_t now);

int ice_cl_add_local(struct ice_checklist *cl, const struct ice_cand *c)
{
	if (cl->nlocal == ICE_CL_MAX_LOCAL)
		return NP_EFULL;
	cl->local[cl->nlocal++] = *c;
	if (!c->foundation[0])
		ice_foundations_assign(cl->local, cl->nlocal);
	if (cl->started)
		form_pairs(cl, cl->now);
	return 0;
}

/* Pairs every candidate known so far; new pairs start Frozen. */
static void form_pairs(struct ice_checklist *cl, uint64_t now)
{
	struct ice_pair_ref refs[ICE_MAX_PAIRS];
	size_t n, i;

	ice_pairs_form(cl->local, cl->nlocal, cl->remote, cl->nremote,
		       cl->controlling, refs, ICE_MAX_PAIRS, &n);
	for (i = 0; i < n; i++)
		if (find_pair(cl, refs[i].local, refs[i].remote) < 0)
			add_pair(cl, refs[i].local, refs[i].remote,
				 ICE_PAIR_FROZEN, now);
}

int ice_cl_add_remote(struct ice_checklist *cl, const struct ice_cand *c,
		      enum ice_reject *why)
{
	enum ice_reject r = ice_cand_check_remote(c);

	if (r == ICE_REJECT_LOOPBACK && cl->cfg.allow_loopback)
		r = ICE_REJECT_OK;
	if (why)
		*why = r;
	if (r != ICE_REJECT_OK)
		return NP_EINVAL;
	/* A peer-reflexive candidate learnt from a check before the
	 * description arrived is the signalled one: it takes the signalled
	 * type, priority and foundation (RFC 8445 §7.3.1.3 note, §5.1.2). */
	for (size_t i = 0; i < cl->nremote; i++)
		if (cl->remote[i].type == ICE_PRFLX &&
		    cl->remote[i].transport == c->transport &&
		    np_addr_equal(&cl->remote[i].addr, &c->addr)) {
			cl->remote[i].type = c->type;
			cl->remote[i].priority = c->priority;
			memcpy(cl->remote[i].foundation, c->foundation,
			       sizeof(c->foundation));
			cl->remote[i].related = c->related;
			for (size_t k = 0; k < cl->npairs; k++)
				if (cl->pairs[k].remote == i)
					cl->pairs[k].priority =
						pair_prio(cl, cl->pairs[k].local, i);
			return 0;
		}
	/* The same candidate signalled twice (trickled again, or in the
	 * description and a trickle) is one candidate (RFC 8838 §11). */
	for (size_t i = 0; i < cl->nremote; i++)
		if (cl->remote[i].transport == c->transport &&
		    cl->remote[i].tcptype == c->tcptype &&
		    np_addr_equal(&cl->remote[i].addr, &c->addr))
			return 1;
	if (cl->nremote == ICE_CL_MAX_REMOTE)
		return NP_EFULL;
	cl->remote[cl->nremote++] = *c;
	if (cl->started)
		form_pairs(cl, cl->now);
	return 0;
}

void ice_cl_end_of_candidates(struct ice_checklist *cl)
{
	cl->remote_done = 1;
}

void ice_cl_start(struct ice_checklist *cl, uint64_t now)
{
	size_t i, j;

	cl->started = 1;
	cl->now = now;
	if (!cl->cfg.trickle)
		cl->remote_done = 1;
	cl->next_check_us = now;
	form_pairs(cl, now);
	/* §6.1.2.6: for each foundation, the pair with the lowest component
	 * and then the highest priority goes to Waiting. One component
	 * here, so: the best pair of each foundation. */
	for (i = 0; i < cl->npairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		for (j = 0; j < cl->npairs; j++)
			if (j != i && same_foundation(cl, p, &cl->pairs[j]) &&
			    (cl->pairs[j].priority > p->priority ||
			     (cl->pairs[j].priority == p->priority && j < i)))
				break;
		if (j == cl->npairs)
			set_state(p, ICE_PAIR_WAITING, now);
	}
}

/* Frozen, Waiting or In-Progress: the enum lists them first. */
#define pending(p) ((p)->state <= ICE_PAIR_IN_PROGRESS)

static long best_valid(const struct ice_checklist *cl)
{
	long best = -1;
	size_t i;

	for (i = 0; i < cl->npairs; i++)
		if (cl->pairs[i].valid && (best < 0 || cl->pairs[i].priority >
						       cl->pairs[best].priority))
			best = (long)i;
	return best;
}

/* Completion, failure and (controlling) when to nominate. */
static void evaluate(struct ice_checklist *cl, uint64_t now)
{
	long best;
	size_t i;
	int busy = cl->trig_n > 0, better = 0, nominating = 0;

	if (cl->state != ICE_CL_RUNNING || !cl->started)
		return;
	best = best_valid(cl);
	for (i = 0; i < cl->npairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->nominated) {
			cl->state = ICE_CL_COMPLETED;
			cl->selected = (long)i;
			cl->trig_n = 0;
			return;
		}
		busy |= pending(p);
		nominating |= p->nominating && p->state == ICE_PAIR_IN_PROGRESS;
		better |= pending(p) && !p->nominating && best >= 0 &&
			  p->priority > cl->pairs[best].priority;
	}
	if (best >= 0 && cl->controlling && !nominating &&
	    !cl->pairs[best].nominating &&
	    (!better || (cl->cfg.nominate_after_us &&
			 now >= cl->first_valid_us + cl->cfg.nominate_after_us))) {
		cl->pairs[best].nominating = 1;
		enqueue(cl, (size_t)best);
		busy = 1;
	}
	if (!busy && best < 0 && cl->remote_done)
		cl->state = ICE_CL_FAILED;
}

void ice_cl_on_timeout(struct ice_checklist *cl, uint64_t now)
{
	size_t i;

	cl->now = now;
	for (i = 0; i < cl->npairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (p->state != ICE_PAIR_IN_PROGRESS || now < p->next_us ||
		    p->tries < cl->cfg.max_tries)
			continue;
		/* §7.2.5.2.4 ... no response: the pair fails. */
		set_state(p, ICE_PAIR_FAILED, now);
		p->valid &= !p->nominating;
	}
	evaluate(cl, now);
}

/* §6.1.4.2: triggered queue first, then the best Waiting pair; when none
 * waits, unfreeze the best Frozen pair whose foundation has nothing
 * Waiting or In-Progress. Returns a pair index or -1. */
static long pick_any(struct ice_checklist *cl, uint64_t now)
{
	long best = -1;
	size_t i, j;

	while (cl->trig_n) {
		i = cl->trig[cl->trig_head];
		cl->trig_head = (cl->trig_head + 1) % ICE_CL_MAX_PAIRS;
		cl->trig_n--;
		cl->pairs[i].queued = 0;
		/* A pair that succeeded meanwhile (the response to a
		 * cancelled transaction) needs no new check unless it is
		 * being nominated. */
		if (cl->pairs[i].state == ICE_PAIR_SUCCEEDED &&
		    !cl->pairs[i].nominating)
			continue;
		if (cl->pairs[i].state != ICE_PAIR_IN_PROGRESS)
			return (long)i;
	}
	for (i = 0; i < cl->npairs; i++)
		if (cl->pairs[i].state == ICE_PAIR_WAITING &&
		    (best < 0 || cl->pairs[i].priority > cl->pairs[best].priority))
			best = (long)i;
	if (best >= 0)
		return best;
	for (i = 0; i < cl->npairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->state != ICE_PAIR_FROZEN ||
		    (best >= 0 && p->priority <= cl->pairs[best].priority))
			continue;
		/* Nothing is Waiting here, so only In-Progress can block. */
		for (j = 0; j < cl->npairs; j++)
			if (cl->pairs[j].state == ICE_PAIR_IN_PROGRESS &&
			    same_foundation(cl, p, &cl->pairs[j]))
				break;
		if (j == cl->npairs)
			best = (long)i;
	}
	if (best >= 0)
		set_state(&cl->pairs[best], ICE_PAIR_WAITING, now);
	return best;
}

/* RFC 6544 §7.1: a pair whose local candidate is TCP passive is never
 * checked from our side (we cannot connect from a listening socket); it
 * is the peer's active candidate that connects to it, and that check
 * makes its own pair (§7.2: triggered, with a peer-reflexive remote).
 * Such a pair is set failed when its turn comes, so it holds no
 * foundation frozen. */
static long pick(struct ice_checklist *cl, uint64_t now)
{
	for (size_t guard = 0; guard <= cl->npairs; guard++) {
		long k = pick_any(cl, now);

		if (k < 0)
			return -1;
		/* A prflx remote there was learnt from a check that came in
		 * on a connection we accepted: that one we answer on. */
		if (cl->local[cl->pairs[k].local].transport == NP_TCP &&
		    cl->local[cl->pairs[k].local].tcptype == ICE_TCP_PASSIVE &&
		    cl->remote[cl->pairs[k].remote].type != ICE_PRFLX) {
			set_state(&cl->pairs[k], ICE_PAIR_FAILED, now);
			continue;
		}
		return k;
	}
	return -1;
}

int ice_cl_next(struct ice_checklist *cl, uint64_t now, struct ice_check *out)
{
	size_t i, n = 0;
	uint64_t rnd;
	long k;
	struct ice_pair *p;

	ice_cl_on_timeout(cl, now);
	if (cl->state != ICE_CL_RUNNING || !cl->started)
		return 0;
	/* Retransmissions are not paced: they keep their own schedule. */
	for (k = 0; k < (long)cl->npairs; k++)
		if (cl->pairs[k].state == ICE_PAIR_IN_PROGRESS &&
		    now >= cl->pairs[k].next_us)
			break;
	if (k < (long)cl->npairs) {
		p = &cl->pairs[k];
		p->tries++;
		p->rto_us *= 2;
		p->stats.retransmissions_sent++;
	} else {
		if (now < cl->next_check_us)
			return 0;
		/* Nothing to start now: look again in Ta, not in a busy loop. */
		if ((k = pick(cl, now)) < 0) {
			cl->next_check_us = now + cl->cfg.ta_us;
			return 0;
		}
		p = &cl->pairs[k];
		for (i = 0; i < cl->npairs; i++)
			n += cl->pairs[i].state == ICE_PAIR_WAITING ||
			     cl->pairs[i].state == ICE_PAIR_IN_PROGRESS;
		for (i = 0; i < sizeof(p->tid); i += 4) {
			rnd = rng_next(&cl->rng);
			memcpy(p->tid + i, &rnd, 4);
		}
		p->sent_controlling = cl->controlling;
		p->sent_use_candidate = cl->controlling && p->nominating;
		p->tries = 1;
		/* §14.3: RTO = MAX(500 ms, Ta * (Waiting + In-Progress)),
		 * or the caller's RTO from the measured round-trip time. */
		p->rto_us = cl->cfg.ta_us * n > cl->cfg.rto_us &&
					!cl->cfg.rto_from_rtt
			? cl->cfg.ta_us * n : cl->cfg.rto_us;
		set_state(p, ICE_PAIR_IN_PROGRESS, now);
		cl->next_check_us = now + cl->cfg.ta_us;
	}
	p->last_sent_us = now;
	p->next_us = now + p->rto_us;
	p->stats.requests_sent++;
	p->stats.last_request_sent_us = now;
	memset(out, 0, sizeof(*out));
	out->pair = (size_t)k;
	out->local = &cl->local[p->local];
	out->remote = &cl->remote[p->remote];
	out->from = *base_of(out->local);
	out->to = out->remote->addr;
	memcpy(out->tid, p->tid, sizeof(out->tid));
	out->priority = prflx_priority(out->local);
	out->use_candidate = p->sent_use_candidate;
	out->controlling = p->sent_controlling;
	out->tiebreaker = cl->cfg.tiebreaker;
	out->attempt = p->tries;
	return 1;
}

uint64_t ice_cl_deadline(const struct ice_checklist *cl)
{
	uint64_t d = UINT64_MAX;
	size_t i;
	int work = cl->trig_n > 0;

	if (cl->state != ICE_CL_RUNNING || !cl->started)
		return UINT64_MAX;
	for (i = 0; i < cl->npairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->state == ICE_PAIR_IN_PROGRESS && p->next_us < d)
			d = p->next_us;
		if (p->state == ICE_PAIR_WAITING || p->state == ICE_PAIR_FROZEN)
			work = 1;
	}
	if (work && cl->next_check_us < d)
		d = cl->next_check_us;
	if (cl->controlling && cl->cfg.nominate_after_us && cl->first_valid_us &&
	    cl->first_valid_us + cl->cfg.nominate_after_us < d &&
	    best_valid(cl) >= 0 && !cl->pairs[best_valid(cl)].nominating)
		d = cl->first_valid_us + cl->cfg.nominate_after_us;
	return d;
}

/* A role switch swaps G and D in every pair priority (§6.1.2.3). */
static void set_role(struct ice_checklist *cl, int controlling)
{
	size_t i;

	if (cl->controlling == controlling)
		return;
	cl->controlling = controlling;
	cl->role_switches++;
	for (i = 0; i < cl->npairs; i++)
		cl->pairs[i].priority =
			pair_prio(cl, cl->pairs[i].local, cl->pairs[i].remote);
}

/* The candidate in v[0..n) at address a (at its base, if base; then only
 * candidates that are their own base count), or -1. */
static long cand_by_addr(const struct ice_cand *v, size_t n,
			 const struct sockaddr_storage *a, int base)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (np_addr_equal(base ? base_of(&v[i]) : &v[i].addr, a) &&
		    (!base || v[i].type == ICE_HOST || v[i].type == ICE_RELAY))
			return (long)i;
	return -1;
}

/* §7.2.5.3.1: a mapped address that is no local candidate is a
 * peer-reflexive one, with the PRIORITY we sent and the pair's base. */
static long add_prflx_local(struct ice_checklist *cl, size_t base_li,
			    const struct sockaddr_storage *mapped)
{
	const struct ice_cand *b = &cl->local[base_li];
	struct ice_cand *c = &cl->local[cl->nlocal];

	if (cl->nlocal == ICE_CL_MAX_LOCAL)
		return -1;
	ice_cand_prflx(c, b, mapped, prflx_priority(b), 0);
	c->base = *base_of(b);
	c->related = c->base;
	snprintf(c->foundation, sizeof(c->foundation), "p%zu", base_li);
	return (long)cl->nlocal++;
}

enum ice_resp_outcome ice_cl_on_response(struct ice_checklist *cl,
					 uint64_t now,
					 const struct ice_cl_response *r)
{
	enum ice_resp_outcome out = ICE_RESP_SUCCEEDED;
	struct ice_pair *p = NULL, *v;
	long li, vi;
	size_t i, k;

	for (i = 0; i < cl->npairs; i++) {
		struct ice_pair *q = &cl->pairs[i];

		if (q->state == ICE_PAIR_IN_PROGRESS &&
		    !memcmp(q->tid, r->tid, sizeof(r->tid))) {
			p = q;
			break;
		}
		/* §7.3.1.4: a cancelled transaction's response still
		 * counts. */
		if (q->old_tid_set && (q->state == ICE_PAIR_WAITING ||
				       q->state == ICE_PAIR_IN_PROGRESS) &&
		    !memcmp(q->old_tid, r->tid, sizeof(r->tid))) {
			q->old_tid_set = 0;
			p = q;
			break;
		}
	}
	cl->now = now;
	if (!p)
		return ICE_RESP_UNMATCHED;
	p->stats.responses_received++;
	p->stats.last_response_received_us = now;
	p->stats.current_rtt_us = now - p->last_sent_us;
	p->stats.total_rtt_us += p->stats.current_rtt_us;
	if (r->error_code == 487) {
		/* §7.2.5.1: take the role opposite to the one we claimed. */
		set_role(cl, !p->sent_controlling);
		set_state(p, ICE_PAIR_WAITING, now);
		enqueue(cl, i);
		out = ICE_RESP_ROLE_CONFLICT;
		goto out;
	}
	/* Another error fails the pair, and so does (§7.2.5.2.1) a response
	 * not from where the request went or not to where it left from. */
	if (r->error_code ||
	    !np_addr_equal(&r->from, &cl->remote[p->remote].addr) ||
	    !np_addr_equal(&r->to, base_of(&cl->local[p->local]))) {
		set_state(p, ICE_PAIR_FAILED, now);
		p->valid &= !p->nominating;
		out = r->error_code ? ICE_RESP_FAILED : ICE_RESP_NONSYMMETRIC;
		goto out;
	}
	set_state(p, ICE_PAIR_SUCCEEDED, now);
	/* §7.2.5.3.3: other Frozen pairs of the same foundation wait. */
	for (k = 0; k < cl->npairs; k++)
		if (cl->pairs[k].state == ICE_PAIR_FROZEN &&
		    same_foundation(cl, &cl->pairs[k], p))
			set_state(&cl->pairs[k], ICE_PAIR_WAITING, now);
	/* §7.2.5.3.2: the valid pair's local candidate is the one at the
	 * mapped address; its remote is where the check went. */
	li = cand_by_addr(cl->local, cl->nlocal, &r->mapped, 0);
	if (li < 0 && r->mapped.ss_family != AF_UNSPEC) {
		li = add_prflx_local(cl, p->local, &r->mapped);
		out = ICE_RESP_PRFLX;
	}
	if (li < 0)
		li = p->local;
	vi = find_pair(cl, (size_t)li, p->remote);
	if (vi < 0)
		vi = add_pair(cl, (size_t)li, p->remote, ICE_PAIR_SUCCEEDED, now);
	if (vi < 0)
		vi = (long)i;
	v = &cl->pairs[vi];
	v->valid = 1;
	p->valid_pair = vi;
	if (!cl->first_valid_us)
		cl->first_valid_us = now ? now : 1;
	/* §8.1.1 / §7.3.1.5: a successful check with USE-CANDIDATE, or one
	 * whose pair the peer already nominated, nominates the valid pair. */
	if ((p->sent_use_candidate && cl->controlling) ||
	    (p->use_candidate_rx && !cl->controlling)) {
		v->nominated = 1;
		out = ICE_RESP_NOMINATED;
	}
out:
	evaluate(cl, now);
	return out;
}

int ice_cl_on_request(struct ice_checklist *cl, uint64_t now,
		      const struct ice_cl_request *r,
		      struct ice_cl_reply *reply)
{
	long li, ri, k;
	struct ice_pair *p;

	cl->now = now;
	memset(reply, 0, sizeof(*reply));
	reply->mapped = r->from;
	li = cand_by_addr(cl->local, cl->nlocal, &r->to, 1);
	if (li < 0)
		return NP_ENOTFOUND;
	/* §7.3.1.1: the larger tie-breaker keeps its role; the other side
	 * switches, or is told to with a 487. */
	if (cl->controlling ? r->controlling : r->controlled) {
		if ((cl->cfg.tiebreaker >= r->tiebreaker) == !!cl->controlling) {
			reply->error_code = 487;
			return 0;
		}
		set_role(cl, !cl->controlling);
	}
	/* §7.3.1.3: a source we were not told of is a peer-reflexive remote
	 * candidate with the request's PRIORITY. */
	ri = cand_by_addr(cl->remote, cl->nremote, &r->from, 0);
	if (ri < 0 || cl->remote[ri].transport != r->transport) {
		struct ice_cand *c = &cl->remote[cl->nremote];

		if (cl->nremote == ICE_CL_MAX_REMOTE)
			return NP_EFULL;
		ice_cand_prflx(c, &cl->local[li], &r->from, r->priority, 1);
		snprintf(c->foundation, sizeof(c->foundation), "r%zu",
			 cl->nremote);
		ri = (long)cl->nremote++;
	}
	/* §7.3.1.4: triggered checks. */
	k = find_pair(cl, (size_t)li, (size_t)ri);
	if (k < 0) {
		k = add_pair(cl, (size_t)li, (size_t)ri, ICE_PAIR_WAITING, now);
		if (k < 0)
			return NP_EFULL;
		enqueue(cl, (size_t)k);
	}
	p = &cl->pairs[k];
	p->stats.requests_received++;
	p->stats.responses_sent++;
	if (p->state == ICE_PAIR_FROZEN || p->state == ICE_PAIR_WAITING ||
	    p->state == ICE_PAIR_FAILED) {
		set_state(p, ICE_PAIR_WAITING, now);
		enqueue(cl, (size_t)k);
	} else if (p->state == ICE_PAIR_IN_PROGRESS && !p->nominating) {
		/* §7.3.1.4: cancel the transaction in flight (its response
		 * is still taken) and check again now: the peer's request
		 * has just opened its side of the path. */
		memcpy(p->old_tid, p->tid, sizeof(p->tid));
		p->old_tid_set = 1;
		set_state(p, ICE_PAIR_WAITING, now);
		enqueue(cl, (size_t)k);
	}
	/* §7.3.1.5: USE-CANDIDATE as controlled nominates the valid pair
	 * this pair produced, now or once its own check succeeds. */
	if (r->use_candidate && !cl->controlling) {
		if (p->state == ICE_PAIR_SUCCEEDED && p->valid_pair >= 0)
			cl->pairs[p->valid_pair].nominated = 1;
		else
			p->use_candidate_rx = 1;
	}
	if (cl->state == ICE_CL_FAILED && p->state == ICE_PAIR_WAITING)
		cl->state = ICE_CL_RUNNING;
	evaluate(cl, now);
	return 0;
}

const struct ice_pair *ice_cl_selected(const struct ice_checklist *cl)
{
	return cl->selected >= 0 ? &cl->pairs[cl->selected] : NULL;
}
