/*
 * serve_whip_sess.c - one WHIP session of `natprobe serve --whip`: an ICE
 * agent (RFC 8445) in the controlled role (the offerer controls, RFC 8445
 * §6.1.1 and JSEP), with serve's host candidates and the STUN/TURN
 * servers it was given.
 *
 * The agent gathers and checks at once (the offer's candidates are known
 * before the answer goes out); the answer waits for gathering to end or
 * for gather_us, whichever comes first, and is always complete
 * (a=end-of-candidates). The client may trickle its own candidates
 * after the 201 (PATCH, RFC 9725 §4.3.1): whip_sess_trickle. Its one
 * m-line mirrors the offer's first m-line (kind, proto, format, mid), as
 * a JSEP answer does (RFC 8829 §5.3.1). After the 201 the agent answers
 * checks and keeps consent (RFC 7675) until the session ends: DELETE,
 * session_us, consent lost, or no check from the peer for peer_idle_us.
 *
 * Each session has its own observation log; what it records is handed to
 * serve's log with the label "whip#N" (the checks themselves are left
 * out: they are many and the pair lines say what they achieved).
 */
#include "serve_whip_impl.h"
#include "np_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_TICK_US 100000

static uint64_t mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double ms(uint64_t from, uint64_t to)
{
	return to > from ? (double)(to - from) / 1e3 : 0;
}

/* The endpoint forgets an id (a session that ended without DELETE). */
static void ep_forget(struct whip_endpoint *ep, const char *id)
{
	for (size_t i = 0; i < ep->nsessions; i++) {
		if (strcmp(ep->ids[i], id))
			continue;
		memmove(ep->ids[i], ep->ids[i + 1],
			(ep->nsessions - i - 1) * sizeof(ep->ids[0]));
		ep->nsessions--;
		return;
	}
}

static void on_obs(const struct obs *o, void *arg)
{
	struct whip_sess *s = arg;
	struct obs_log *log = &s->log;
	char addr[64] = "";

	/* Checks and their answers: hundreds; the pair notes tell. */
	if (o->kind == OBS_SENT || o->kind == OBS_RETRANSMIT ||
	    o->kind == OBS_RESPONSE || o->kind == OBS_UNMATCHED ||
	    !strcmp(o->test, "ice.check.in") || !strcmp(o->test, "ice.pair"))
		goto window;
	if (s->lines >= SERVE_WHIP_MAX_LINES)
		goto window;
	if (++s->lines == SERVE_WHIP_MAX_LINES) {
		whip_logf(s->w, s, "%d observations shown: the rest of this session's are not",
			  SERVE_WHIP_MAX_LINES);
		goto window;
	}
	if (o->has & OBS_HAS_REMOTE)
		np_addr_str(&o->remote, addr, sizeof(addr));
	whip_logf(s->w, s, "%s %s%s%s%s%s", o->test, obs_kind_name(o->kind),
		  addr[0] ? " " : "", addr, o->text[0] ? ": " : "", o->text);
window:
	/* Only a window: restart it (the record just stored stays valid,
	 * and v[n-1] is still that record for callers that look). */
	if (log->n >= WHIP_SESS_LOG_WINDOW) {
		log->v[0] = log->v[log->n - 1];
		log->n = 1;
	}
}

static void on_state(struct ice_agent *a, enum ice_agent_state st, void *arg)
{
	struct whip_sess *s = arg;
	const struct ice_cand *l, *r;
	uint64_t now = np_loop_now(s->w->loop);
	char la[64], ra[64];

	if (st != ICE_AGENT_CONNECTED || s->t_selected ||
	    !ice_agent_selected(a, &l, &r)) {
		whip_logf(s->w, s, "ICE %s", ice_agent_state_name(st));
		return;
	}
	s->t_selected = now;
	s->w->c.selected++;
	webrtc_ice_connected(s->webrtc);
	np_addr_str(&l->addr, la, sizeof(la));
	np_addr_str(&r->addr, ra, sizeof(ra));
	whip_logf(s->w, s,
		  "pair selected %.1f ms after the POST: local %s %s -> remote %s %s",
		  ms(s->t_post, now), ice_cand_type_name(l->type), la,
		  ice_cand_type_name(r->type), ra);
}

static void tick(struct np_loop *loop, void *arg);

static void on_webrtc(void *arg, enum webrtc_state st)
{
	struct whip_sess *s = arg;

	if (st == WEBRTC_CONNECTED)
		whip_logf(s->w, s, "DTLS connected %.1f ms after the POST",
			  ms(s->t_post, np_loop_now(s->w->loop)));
	else if (st == WEBRTC_FAILED)
		whip_logf(s->w, s, "DTLS failed: %s", webrtc_reason(s->webrtc));
}

int whip_sess_new(struct serve_whip *w, struct whip_conn *c,
		  const char *peer, const char *offer, size_t len,
		  struct whip_sess **out, char *why, size_t wlen)
{
	struct ice_agent_cfg cfg = { 0 };
	struct sdp *o = w->scratch;
	struct whip_sess *s;
	struct sdp_error e;
	size_t mi = 0, slot;
	int rc;

	*out = NULL;
	if (sdp_parse(offer, len, o, &e) < 0) {
		snprintf(why, wlen, "malformed SDP offer: %s", e.text);
		return NP_EINVAL;
	}
	/* With BUNDLE every m-line shares the first one's transport. */
	while (mi + 1 < o->nmedia && !o->media[mi].ufrag[0])
		mi++;
	if (o->nmedia == 0 || !o->media[mi].ufrag[0] || !o->media[mi].pwd[0]) {
		snprintf(why, wlen, "the SDP offer has no ice-ufrag/ice-pwd");
		return NP_EINVAL;
	}
	for (slot = 0; slot < WHIP_MAX_SESSIONS && w->sess[slot]; slot++)
		;
	if (slot == WHIP_MAX_SESSIONS) {
		snprintf(why, wlen, "too many WHIP sessions");
		return NP_EFULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, wlen, "out of memory");
		return NP_ENOMEM;
	}
	s->w = w;
	s->serial = ++w->next_serial;
	s->conn = c;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	s->bare = o->bare;
	s->bundle = o->nbundle > 0;
	snprintf(s->kind, sizeof(s->kind), "%s", o->media[0].kind);
	snprintf(s->proto, sizeof(s->proto), "%s", o->media[0].proto);
	snprintf(s->fmt, sizeof(s->fmt), "%s", o->media[0].fmt);
	snprintf(s->mid, sizeof(s->mid), "%s", o->media[0].mid);
	s->t_post = np_loop_update_now(w->loop);
	obs_log_init(&s->log, s->t_post, np_wallclock_us());
	snprintf(s->log.command, sizeof(s->log.command), "serve");
	s->log.on_add = on_obs;
	s->log.on_add_arg = s;
	np_ctx_init(&s->ctx, w->loop, &s->log);
	s->ctx.tls_ca = w->o.tls_ca;
	s->ctx.rto_min_us = 10000;
	np_timer_init(&s->timer, tick, s);
	w->sess[slot] = s;
	whip_logf(w, s, "%s: offer of %zu bytes, m=%s mid %s, %zu candidate(s)%s",
		  peer, len, s->kind[0] ? s->kind : "(bare)",
		  s->mid[0] ? s->mid : "-", o->media[mi].ncands,
		  o->media[mi].end_of_candidates ? ", end-of-candidates" : "");

	cfg.controlling = 0;
	cfg.servers = w->o.servers;
	cfg.family = w->o.family;
	cfg.loopback = w->o.loopback;
	cfg.gather_timeout_us = w->o.gather_us;
	cfg.seed = mix(&w->rng) | 1;
	rc = ice_agent_new(&s->ctx, &cfg, &s->agent);
	if (rc < 0) {
		snprintf(why, wlen, "cannot start an ICE agent: %s",
			 np_strerror(rc));
		whip_sess_free(s);
		return rc == NP_EINVAL ? NP_EINTERNAL : rc;
	}
	ice_agent_set_state_cb(s->agent, on_state, s);
	{
		struct webrtc_cfg wc = { .echo = 1, .serve_forever = 1 };

		/* The answerer's DTLS: a=setup:active, client (RFC 8842). */
		rc = sdp_new(&s->offer);
		if (rc == 0) {
			memcpy(s->offer, o, sizeof(*o));
			rc = webrtc_new(&s->ctx, s->agent, &wc, &s->webrtc);
		}
		if (rc < 0) {
			snprintf(why, wlen, "cannot start the session: %s",
				 np_strerror(rc));
			whip_sess_free(s);
			return NP_EINTERNAL;
		}
		webrtc_set_state_cb(s->webrtc, on_webrtc, s);
		webrtc_set_remote(s->webrtc, s->offer);
	}
	ice_agent_gather(s->agent);
	/* Checks start now: the offerer is already listening. */
	ice_agent_set_remote(s->agent, &o->media[mi]);
	s->state = WS_GATHERING;
	s->gather_until = s->t_post + w->o.gather_us;
	s->end_at = s->t_post + w->o.session_us;
	np_timer_start(w->loop, &s->timer, s->t_post);
	*out = s;
	return 0;
}

int whip_sess_answer(void *arg, const char *id, const char *offer,
		     size_t len, char *answer, size_t cap, size_t *alen,
		     char *why, size_t wlen)
{
	struct whip_sess *s = arg;
	struct serve_whip *w = s->w;
	struct sdp *a = w->scratch;
	struct sdp_media *m = &a->media[0];
	uint64_t now = np_loop_update_now(w->loop);
	int rc;

	if (!s->bare) {
		/* A WebRTC answer (or a plain ICE one when the offer has no
		 * fingerprint), mirroring the offer's m-lines. */
		rc = webrtc_local_sdp(s->webrtc, s->offer, a);
		if (rc == 0)
			rc = sdp_write(a, answer, cap, alen);
		if (rc < 0) {
			snprintf(why, wlen, "nothing in the offer can be answered: %s",
				 np_strerror(rc));
			return rc;
		}
		snprintf(s->id, sizeof(s->id), "%s", id);
		s->state = WS_LIVE;
		s->t_answer = now;
		whip_logf(w, s, "201 Created %.1f ms after the POST: session %s/%s, answer with %zu m-line(s)%s",
			  ms(s->t_post, now), w->ep.path, id, a->nmedia,
			  ice_agent_gathering_done(s->agent) ? "" : " (gathering cut short)");
		return 0;
	}
	memset(a, 0, sizeof(*a));
	a->nmedia = 1;
	a->bare = s->bare;
	a->sess_id = np_wallclock_us();
	snprintf(m->kind, sizeof(m->kind), "%s", s->kind[0] ? s->kind : "application");
	m->port = 9;
	snprintf(m->proto, sizeof(m->proto), "%s", s->proto[0] ? s->proto : "UDP/DTLS/SCTP");
	snprintf(m->fmt, sizeof(m->fmt), "%s", s->fmt[0] ? s->fmt : "webrtc-datachannel");
	snprintf(m->mid, sizeof(m->mid), "%s", s->mid);
	if (s->bundle && s->mid[0]) {
		snprintf(a->bundle[0], sizeof(a->bundle[0]), "%s", s->mid);
		a->nbundle = 1;
	}
	ice_agent_local_media(s->agent, m);
	/* Written once: what was not gathered by now is not offered. */
	m->end_of_candidates = 1;
	rc = sdp_write(a, answer, cap, alen);
	if (rc < 0) {
		snprintf(why, wlen, "cannot write the answer: %s", np_strerror(rc));
		return rc;
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->state = WS_LIVE;
	s->t_answer = now;
	whip_logf(w, s, "201 Created %.1f ms after the POST: session %s/%s, answer with %zu candidate(s)%s",
		  ms(s->t_post, now), w->ep.path, id, m->ncands,
		  ice_agent_gathering_done(s->agent) ? "" : " (gathering cut short)");
	return 0;
}

int whip_sess_trickle(void *arg, const char *id, const char *frag,
		      size_t len, char *why, size_t wlen)
{
	struct serve_whip *w = arg;
	struct whip_sess *s = whip_sess_find(w, id);
	struct sdp *f = w->scratch;
	struct sdp_error e;
	size_t mi = 0;
	int rc;

	if (!s || s->state != WS_LIVE || !s->agent)
		return NP_ENOTFOUND;
	/* RFC 8840 §9.2: the fragment carries ice-ufrag/ice-pwd and the
	 * candidate lines; the bare form of sdp_parse reads exactly that. */
	if (sdp_parse(frag, len, f, &e) < 0) {
		snprintf(why, wlen, "malformed trickle ICE fragment: line %u: %s",
			 e.line, e.text);
		return NP_EINVAL;
	}
	while (mi + 1 < f->nmedia && !f->media[mi].ufrag[0])
		mi++;
	rc = ice_agent_add_remote(s->agent, &f->media[mi]);
	if (rc == NP_ERESTART) {
		whip_logf(w, s, "PATCH with other ice-ufrag/ice-pwd (an ICE restart): refused");
		return rc;
	}
	if (rc < 0) {
		snprintf(why, wlen, "the session has no remote description yet");
		return NP_EINVAL;
	}
	w->c.trickled++;
	whip_logf(w, s, "trickle ICE: %zu candidate(s)%s", f->media[mi].ncands,
		  f->media[mi].end_of_candidates ? ", end-of-candidates" : "");
	return 0;
}

struct whip_sess *whip_sess_find(struct serve_whip *w, const char *id)
{
	for (size_t i = 0; i < WHIP_MAX_SESSIONS; i++)
		if (w->sess[i] && w->sess[i]->id[0] &&
		    !strcmp(w->sess[i]->id, id))
			return w->sess[i];
	return NULL;
}

void whip_sess_end(struct whip_sess *s, const char *reason)
{
	struct serve_whip *w = s->w;
	uint64_t now = np_loop_update_now(w->loop);

	if (s->state == WS_CLOSING)
		return;
	if (s->id[0])
		ep_forget(&w->ep, s->id);
	whip_logf(w, s, "session ended (%s) after %.1f s; %s", reason,
		  ms(s->t_post, now) / 1e3,
		  s->t_selected ? "a pair was selected" : "no pair was selected");
	s->state = WS_CLOSING;
	s->close_until = now + WHIP_SESS_CLOSE_US;
	ice_agent_close(s->agent);
	np_timer_start(w->loop, &s->timer, now);
}

void whip_sess_free(struct whip_sess *s)
{
	struct serve_whip *w = s->w;

	for (size_t i = 0; i < WHIP_MAX_SESSIONS; i++)
		if (w->sess[i] == s)
			w->sess[i] = NULL;
	if (s->id[0] && s->state != WS_CLOSING)
		ep_forget(&w->ep, s->id);
	np_timer_stop(w->loop, &s->timer);
	webrtc_stop(s->webrtc);
	webrtc_free(s->webrtc);
	sdp_free(s->offer);
	ice_agent_free(s->agent);
	np_ctx_dispose(&s->ctx);
	obs_log_dispose(&s->log);
	free(s);
}

static void tick(struct np_loop *loop, void *arg)
{
	struct whip_sess *s = arg;
	struct serve_whip *w = s->w;
	uint64_t now = np_loop_now(loop), last;
	char why[96];

	switch (s->state) {
	case WS_GATHERING:
		if (!ice_agent_gathering_done(s->agent) && now < s->gather_until) {
			np_timer_start(loop, &s->timer, now + WHIP_SESS_TICK_US);
			return;
		}
		/* The waiting connection sends the 201 (whip_sess_answer
		 * makes the session live) or ends the session. */
		if (s->conn)
			whip_conn_answer_ready(s->conn);
		else
			whip_sess_end(s, "nobody waits for the answer");
		if (s->state == WS_LIVE)
			np_timer_start(loop, &s->timer, now + LIVE_TICK_US);
		return;
	case WS_LIVE:
		last = ice_agent_last_peer_check(s->agent);
		if (!last || last < s->t_answer)
			last = s->t_answer;
		if (now >= s->end_at) {
			w->c.ended_timeout++;
			snprintf(why, sizeof(why), "session timeout %.0f s",
				 (double)w->o.session_us / 1e6);
			whip_sess_end(s, why);
		} else if (ice_agent_state(s->agent) == ICE_AGENT_CONSENT_LOST) {
			w->c.ended_consent++;
			whip_sess_end(s, "consent lost (RFC 7675)");
		} else if (now - last >= w->o.peer_idle_us) {
			w->c.ended_timeout++;
			snprintf(why, sizeof(why), "no check from the peer for %.1f s",
				 (double)(now - last) / 1e6);
			whip_sess_end(s, why);
		} else {
			np_timer_start(loop, &s->timer, now + LIVE_TICK_US);
		}
		return;
	case WS_CLOSING:
		if (!ice_agent_closed(s->agent) && now < s->close_until) {
			np_timer_start(loop, &s->timer, now + WHIP_SESS_TICK_US);
			return;
		}
		w->c.freed++;
		whip_logf(w, s, "session freed");
		whip_sess_free(s);
		return;
	}
}
