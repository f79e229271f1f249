/*
 * verdict_conformance.c - the peer's check pacing, check retransmission
 * back-off, consent cadence and DTLS retransmission timer, judged from the
 * times we received them (see verdict_conformance.h for the rules).
 */
#include "verdict_conformance.h"

#include "ice_summary.h"

#include <stdio.h>
#include <string.h>

#define MAX_PATHS 64      /* distinct (local, remote) paths tracked */
#define MAX_TIDS 256      /* peer transactions tracked for back-off */
#define MAX_FLIGHTS 16    /* peer DTLS flights tracked */
#define BURST_US 50000    /* copies of one retransmitted flight */
#define CONSENT_TAIL_US 500000

struct path {
	struct sockaddr_storage l, r;
	uint64_t our_check_us;      /* our last check on it, 0 none */
	uint64_t peer_check_us;     /* the peer's last check on it */
	int seen_ours;
};

struct tid_track {
	uint8_t tid[12];
	uint64_t last_us, last_gap_us;
	unsigned copies;
};

const char *vc_item_name(enum vc_item_id i)
{
	static const char *const n[VC__ITEMS] = {
		"check-pacing", "check-backoff", "consent-cadence",
		"dtls-retransmit" };

	return (unsigned)i < VC__ITEMS ? n[i] : "?";
}

const char *vc_item_rfc(enum vc_item_id i)
{
	static const char *const n[VC__ITEMS] = {
		"RFC 8445 §14.2", "RFC 8489 §6.2.1", "RFC 7675 §5.1",
		"RFC 6347 §4.2.4.1" };

	return (unsigned)i < VC__ITEMS ? n[i] : "?";
}

const char *vc_status_name(enum vc_status s)
{
	switch (s) {
	case VC_NOT_OBSERVED: return "not-observed";
	case VC_OK: return "ok";
	case VC_STRAYS: return "strays";
	case VC_UNDERIVABLE: return "not-derivable";
	}
	return "?";
}

static void ev(struct vc_item *it, uint64_t seq)
{
	for (size_t i = 0; i < it->nevidence; i++)
		if (it->evidence[i] == seq)
			return;
	if (it->nevidence < VC_EVIDENCE)
		it->evidence[it->nevidence++] = seq;
}

static void interval(struct vc_item *it, uint64_t gap_us)
{
	double ms = (double)gap_us / 1000.0;

	if (!it->samples || ms < it->min_ms)
		it->min_ms = ms;
	if (!it->samples || ms > it->max_ms)
		it->max_ms = ms;
	it->samples++;
}

static struct path *path_for(struct path *p, size_t *n,
			     const struct sockaddr_storage *l,
			     const struct sockaddr_storage *r)
{
	for (size_t i = 0; i < *n; i++)
		if (np_addr_equal(&p[i].l, l) && np_addr_equal(&p[i].r, r))
			return &p[i];
	if (*n == MAX_PATHS)
		return NULL;
	memset(&p[*n], 0, sizeof(p[0]));
	p[*n].l = *l;
	p[*n].r = *r;
	return &p[(*n)++];
}

/* A copy of a transaction already seen: its track; else starts one. */
static struct tid_track *tid_for(struct tid_track *t, size_t *n,
				 const uint8_t *tid, int *again)
{
	for (size_t i = 0; i < *n; i++)
		if (!memcmp(t[i].tid, tid, 12)) {
			*again = 1;
			return &t[i];
		}
	*again = 0;
	if (*n == MAX_TIDS)
		return NULL;
	memset(&t[*n], 0, sizeof(t[0]));
	memcpy(t[*n].tid, tid, 12);
	return &t[(*n)++];
}

/* One more copy of a transaction (again: not its first): the interval
 * since the previous copy must be about twice the one before it. */
static void backoff_copy(struct vc_item *bo, struct tid_track *t, int again,
			 const struct obs *o)
{
	if (!t)
		return;
	if (again) {
		uint64_t gap = o->t_us - t->last_us;

		interval(bo, gap);
		if (t->last_gap_us && gap * 2 < t->last_gap_us * 3) {
			bo->violations++;
			ev(bo, o->seq);
		}
		t->last_gap_us = gap;
	}
	t->last_us = o->t_us;
	t->copies++;
}

static int on_selected(const struct ice_report *ice, const struct obs *o)
{
	return ice && ice->selected_ok && np_addr_equal(&o->local, &ice->sel_local) &&
	       np_addr_equal(&o->remote, &ice->sel_remote);
}

static void ice_items(const struct obs_log *log, const struct ice_report *ice,
		      struct conformance *c)
{
	struct vc_item *pace = &c->item[VC_CHECK_PACING],
		       *bo = &c->item[VC_CHECK_BACKOFF],
		       *cs = &c->item[VC_CONSENT];
	struct path paths[MAX_PATHS];
	struct tid_track tids[MAX_TIDS];
	size_t npaths = 0, ntids = 0;
	uint64_t last_ord_us = 0, last_ord_seq = 0, sel_us = 0, last_consent_us = 0,
		 end_us = 0;
	unsigned checks_in = 0, with_tid = 0, cap_requests = 0;
	int selected = 0;

	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		struct path *p;
		int again = 0;

		end_us = o->t_us;
		if (!strcmp(o->test, "ice.selected")) {
			selected = 1;
			sel_us = last_consent_us = o->t_us;
			continue;
		}
		if (!strcmp(o->test, "ice.check") && o->kind == OBS_SENT) {
			p = path_for(paths, &npaths, &o->local, &o->remote);
			if (p) {
				p->our_check_us = o->t_us;
				p->seen_ours = 1;
			}
			continue;
		}
		if (!strcmp(o->test, "capture") && o->method == 1 &&
		    (o->has & OBS_HAS_TID) &&
		    (o->kind == OBS_SENT || o->kind == OBS_RETRANSMIT)) {
			/* `natprobe analyze`: Binding requests of either side,
			 * their transaction IDs dissected from the capture. */
			struct tid_track *t = tid_for(tids, &ntids, o->tid, &again);

			cap_requests++;
			c->present = 1;
			backoff_copy(bo, t, again, o);
			continue;
		}
		if (strcmp(o->test, "ice.check.in"))
			continue;
		checks_in++;
		c->present = 1;
		if (o->has & OBS_HAS_TID) {
			struct tid_track *t = tid_for(tids, &ntids, o->tid, &again);

			with_tid++;
			backoff_copy(bo, t, again, o);
		}
		if (selected && on_selected(ice, o)) {
			/* Consent freshness on the selected pair. */
			uint64_t gap = o->t_us - last_consent_us;

			if (gap >= CONSENT_TAIL_US || last_consent_us == sel_us) {
				if (last_consent_us != sel_us) {
					double ms = (double)gap / 1000.0;

					interval(cs, gap);
					if (ms < VC_CONSENT_MIN_MS ||
					    ms > VC_CONSENT_MAX_MS) {
						cs->violations++;
						ev(cs, o->seq);
					}
				}
				last_consent_us = o->t_us;
			}
			continue;
		}
		if (selected || again)
			continue;  /* consent, or a retransmission */
		p = path_for(paths, &npaths, &o->local, &o->remote);
		if (p && p->seen_ours && p->peer_check_us <= p->our_check_us) {
			/* The peer's first check after ours: triggered. */
			p->peer_check_us = o->t_us;
			continue;
		}
		if (p)
			p->peer_check_us = o->t_us;
		if (last_ord_seq) {
			uint64_t gap = o->t_us - last_ord_us;

			interval(pace, gap);
			if ((double)gap / 1000.0 < VC_PACING_FLAG_MS) {
				pace->violations++;
				ev(pace, last_ord_seq);
				ev(pace, o->seq);
			}
		}
		last_ord_us = o->t_us;
		last_ord_seq = o->seq;
	}
	/* Pacing. */
	if (pace->samples) {
		pace->status = pace->violations >= 2 ? VC_STRAYS : VC_OK;
		snprintf(pace->detail, sizeof(pace->detail),
			 "%u interval(s) between the peer's ordinary checks, shortest %.1f ms; %u under 4 ms (Ta floor 5 ms, less 1 ms of receive jitter)%s",
			 pace->samples, pace->min_ms, pace->violations,
			 pace->violations == 1 ? " (one alone may be network jitter)" : "");
	} else if (checks_in) {
		snprintf(pace->detail, sizeof(pace->detail),
			 "%u check(s) from the peer, none two ordinary checks in a row (triggered, retransmitted or consent checks are exempt)",
			 checks_in);
	}
	/* Back-off. */
	if (checks_in && !with_tid) {
		bo->status = VC_UNDERIVABLE;
		snprintf(bo->detail, sizeof(bo->detail),
			 "the ice.check.in notes carry no transaction ID, so a retransmitted check cannot be told from a new one");
	} else if (bo->samples) {
		bo->status = bo->violations ? VC_STRAYS : VC_OK;
		snprintf(bo->detail, sizeof(bo->detail),
			 "%u retransmission interval(s) of %s, %.1f..%.1f ms; %u did not grow to 1.5 times the one before",
			 bo->samples,
			 cap_requests ? "Binding requests in the capture (either side)"
				      : "the peer's checks",
			 bo->min_ms, bo->max_ms, bo->violations);
	} else if (with_tid || cap_requests) {
		bo->status = VC_OK;
		snprintf(bo->detail, sizeof(bo->detail),
			 "%u request(s) with transaction IDs, none retransmitted",
			 with_tid + cap_requests);
	}
	/* Consent. */
	if (selected && end_us > last_consent_us &&
	    (double)(end_us - last_consent_us) / 1000.0 > VC_CONSENT_EXPIRY_MS) {
		cs->violations++;
		snprintf(cs->detail, sizeof(cs->detail),
			 "no consent check from the peer for the last %.1f s of the run (consent expires after 30 s); ",
			 (double)(end_us - last_consent_us) / 1e6);
	}
	if (cs->samples || cs->violations) {
		size_t n = strlen(cs->detail);

		cs->status = cs->violations ? VC_STRAYS : VC_OK;
		snprintf(cs->detail + n, sizeof(cs->detail) - n,
			 "%u interval(s) between the peer's consent checks%s%.1f..%.1f ms; %u outside 3.6..6.6 s",
			 cs->samples, cs->samples ? ", " : " ", cs->min_ms,
			 cs->max_ms, cs->violations);
	} else if (selected) {
		snprintf(cs->detail, sizeof(cs->detail),
			 "the run ended %.1f s after selection: too soon to see two consent checks",
			 (double)(end_us - sel_us) / 1e6);
	}
}

static void dtls_item(const struct obs_log *log, struct conformance *c)
{
	struct vc_item *it = &c->item[VC_DTLS_RTX];
	struct { unsigned n; uint64_t first_us, last_us, gap_us; } fl[MAX_FLIGHTS];
	unsigned rtx = 0;
	double init_ms = -1;

	memset(fl, 0, sizeof(fl));
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		unsigned n;
		int r;

		if (strncmp(o->test, "dtls", 4) || !strstr(o->test, ".recv") ||
		    o->kind != OBS_RESPONSE)
			continue;
		c->present = 1;
		r = !strncmp(o->text, "peer retransmission, ", 21);
		if (sscanf(o->text + (r ? 21 : 0), "peer flight %u", &n) != 1 ||
		    n == 0 || n > MAX_FLIGHTS)
			continue;
		if (!r) {
			if (!fl[n - 1].first_us)
				fl[n - 1].first_us = fl[n - 1].last_us = o->t_us;
			continue;
		}
		if (!fl[n - 1].first_us || o->t_us - fl[n - 1].last_us < BURST_US)
			continue;   /* unknown start, or a copy in the same burst */
		{
			uint64_t gap = o->t_us - fl[n - 1].last_us;

			rtx++;
			interval(it, gap);
			if (fl[n - 1].n == 0 && init_ms < 0)
				init_ms = (double)gap / 1000.0;
			if (fl[n - 1].gap_us && gap * 2 < fl[n - 1].gap_us * 3) {
				it->violations++;
				ev(it, o->seq);
			}
			fl[n - 1].gap_us = gap;
			fl[n - 1].last_us = o->t_us;
			fl[n - 1].n++;
		}
	}
	if (!it->samples)
		return;
	it->status = it->violations ? VC_STRAYS : VC_OK;
	snprintf(it->detail, sizeof(it->detail),
		 "%u retransmission(s) of the peer's flights, intervals %.1f..%.1f ms, first %.1f ms (1 s recommended); %u did not grow to 1.5 times the one before",
		 rtx, it->min_ms, it->max_ms, init_ms, it->violations);
}

void verdict_conformance_build(const struct obs_log *log,
			       const struct ice_report *ice,
			       struct conformance *c)
{
	memset(c, 0, sizeof(*c));
	ice_items(log, ice, c);
	dtls_item(log, c);
}
