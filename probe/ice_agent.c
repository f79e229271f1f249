/*
 * ice_agent.c - connectivity checks on sockets (RFC 8445 §7): the
 * checklist machine (ice_checklist.c) decides, this file sends its checks
 * from the right base, answers the peer's checks, feeds responses back,
 * records every step, and keeps consent (RFC 7675) on the selected pair.
 */
#include "ice_agent_impl.h"
#include "np_err.h"
#include "stun_codec.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A fast default pacing: the RFC's floor (§14.2). */
#define ICE_TA_FAST_US ICE_TA_MIN_US
/* RFC 7675 §5.1: a check every 4 to 6 s (randomised), consent lost after
 * 30 s without a response. */
#define CONSENT_MIN_US 4000000
#define CONSENT_SPAN_US 2000000
#define CONSENT_TIMEOUT_US 30000000
/* Check retransmissions start from the measured RTT, within these. */
#define CHECK_RTO_MIN_US 25000
#define CHECK_RTO_MAX_US 500000
/* Regular nomination waits this long at least for better pairs. */
#define NOMINATE_MIN_US 10000
/* ... and this long when the best valid pair is relayed. */
#define RELAY_PATIENCE_US 400000
/* How long a ".local" name may take to resolve. */
#define MDNS_TIMEOUT_US 2000000

static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int mdns_wanted(struct ice_agent *a, const struct ice_cand *c);
static void on_timer(struct np_loop *loop, void *arg);
static void on_consent(struct np_loop *loop, void *arg);

uint64_t ice_rand(struct ice_agent *a)
{
	/* splitmix64: reproducible with --seed, distinct per run otherwise. */
	uint64_t z = (a->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t ice_now(const struct ice_agent *a)
{
	return np_loop_now(a->ctx->loop);
}

static uint64_t since(const struct ice_agent *a)
{
	uint64_t now = ice_now(a);

	return now > a->t0 ? now - a->t0 : 1;
}

void ice_note_obs(struct ice_agent *a, const char *test,
		       enum np_transport t,
		       const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote, const char *text)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	o.transport = t;
	snprintf(o.test, sizeof(o.test), "%s", test);
	snprintf(o.text, sizeof(o.text), "%s", text);
	if (local && local->ss_family) {
		o.local = *local;
		o.has |= OBS_HAS_LOCAL;
	}
	if (remote && remote->ss_family) {
		o.remote = *remote;
		o.has |= OBS_HAS_REMOTE;
	}
	np_ctx_record(a->ctx, &o);
}

static void note_obs(struct ice_agent *a, const char *test,
		     const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote, const char *text)
{
	ice_note_obs(a, test, NP_UDP, local, remote, text);
}

void ice_note(struct ice_agent *a, const char *test, const char *fmt, ...)
{
	char text[OBS_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	note_obs(a, test, NULL, NULL, text);
}

void ice_phase(struct ice_agent *a, uint64_t *t, const char *name)
{
	if (*t)
		return;
	*t = since(a);
	ice_note(a, "ice.phase", "%s %.3f ms", name, (double)*t / 1000.0);
}

const char *ice_agent_state_name(enum ice_agent_state s)
{
	static const char *const n[] = { "gathering", "checking", "connected",
					 "failed", "consent-lost" };

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

void ice_set_state(struct ice_agent *a, enum ice_agent_state s)
{
	if (a->state == s)
		return;
	ice_note(a, "ice.state", "%s->%s", ice_agent_state_name(a->state),
		 ice_agent_state_name(s));
	a->state = s;
	if (a->state_cb)
		a->state_cb(a, s, a->state_arg);
}

static void random_chars(struct ice_agent *a, char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[ice_rand(a) % 64];
	out[n] = '\0';
}

int ice_agent_new(struct np_ctx *ctx, const struct ice_agent_cfg *cfg,
		  struct ice_agent **out)
{
	struct ice_cl_config cc;
	struct ice_agent *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NP_ENOMEM;
	a->ctx = ctx;
	a->cfg = *cfg;
	if (cfg->servers)
		a->servers = *cfg->servers;
	a->cfg.servers = &a->servers;
	a->rng = cfg->seed;
	if (!a->rng) {
		uint8_t r[12];

		stun_tid_random(r);
		memcpy(&a->rng, r, sizeof(a->rng));
		a->rng ^= np_monotonic_us();
	}
	/* RFC 8445 §5.3: ufrag >= 24 bits, pwd >= 128 bits of randomness. */
	random_chars(a, a->ufrag, ICE_UFRAG_LEN);
	random_chars(a, a->pwd, ICE_PWD_LEN);
	a->lkey_len = (size_t)stun_key_short(a->pwd, a->lkey, sizeof(a->lkey));
	memset(&cc, 0, sizeof(cc));
	cc.controlling = cfg->controlling;
	cc.tiebreaker = ice_rand(a);
	cc.ta_us = cfg->ta_us ? cfg->ta_us : ICE_TA_FAST_US;
	cc.nominate_after_us = cfg->nominate_after_us ? cfg->nominate_after_us
						      : CHECK_RTO_MIN_US * 2;
	cc.seed = ice_rand(a);
	cc.trickle = 1;
	cc.allow_loopback = cfg->loopback;
	cc.rto_from_rtt = 1;
	cc.rto_us = CHECK_RTO_MIN_US * 4;
	err = ice_cl_new(&cc, &a->cl);
	if (err < 0) {
		free(a);
		return err;
	}
	np_timer_init(&a->timer, on_timer, a);
	np_timer_init(&a->consent_timer, on_consent, a);
	*out = a;
	return 0;
}

static void on_timer(struct np_loop *loop, void *arg)
{
	ice_service(arg);
}

static void consent_send(struct ice_agent *a);

static void on_consent(struct np_loop *loop, void *arg)
{
	struct ice_agent *a = arg;
	uint64_t now = ice_now(a);

	if (a->state != ICE_AGENT_CONNECTED)
		return;
	if (now - a->consent_last_us >= CONSENT_TIMEOUT_US) {
		ice_note(a, "ice.consent",
			 "consent lost: no response for %.1f s (RFC 7675 §5.1)",
			 (double)(now - a->consent_last_us) / 1e6);
		ice_set_state(a, ICE_AGENT_CONSENT_LOST);
		return;
	}
	consent_send(a);
	np_timer_start(a->ctx->loop, &a->consent_timer,
		       now + CONSENT_MIN_US + ice_rand(a) % CONSENT_SPAN_US);
}

int ice_agent_gather(struct ice_agent *a)
{
	a->t0 = ice_now(a);
	a->state = ICE_AGENT_GATHERING;
	ice_note(a, "ice.start", "role %s, ufrag %s, %zu server(s)",
		 a->cfg.controlling ? "controlling" : "controlled", a->ufrag,
		 a->servers.n);
	return ice_gather_start(a);
}

void ice_agent_close(struct ice_agent *a)
{
	if (a->closing)
		return;
	a->closing = 1;
	np_timer_stop(a->ctx->loop, &a->timer);
	np_timer_stop(a->ctx->loop, &a->consent_timer);
	ice_gather_close(a);
}

void ice_agent_free(struct ice_agent *a)
{
	if (!a)
		return;
	np_timer_stop(a->ctx->loop, &a->timer);
	np_timer_stop(a->ctx->loop, &a->consent_timer);
	ice_gather_free(a);
	mdns_free(a->mdns);
	ice_cl_free(a->cl);
	free(a);
}

static void cand_line(const struct ice_cand *c, char *buf, size_t cap)
{
	if (ice_cand_format(c, buf, cap) < 0)
		snprintf(buf, cap, "(candidate too long)");
}

void ice_local_candidate(struct ice_agent *a, const struct ice_cand *c)
{
	char line[OBS_TEXT];
	struct ice_cand cc = *c;

	if (a->nlocal == ICE_CL_MAX_LOCAL || a->closing)
		return;
	/* §5.1.3: a candidate with the transport address and base of one
	 * we have is redundant (a port mapping equal to the STUN answer). */
	for (size_t i = 0; i < a->nlocal; i++)
		if (a->local[i].transport == c->transport &&
		    np_addr_equal(&a->local[i].addr, &c->addr) &&
		    np_addr_equal(ice_cand_base(&a->local[i]), ice_cand_base(c))) {
			char as[64];

			ice_note(a, "ice.gather", "%s %s is redundant with candidate %s",
				 ice_cand_type_name(c->type),
				 np_addr_str(&c->addr, as, sizeof(as)),
				 a->local[i].foundation);
			return;
		}
	if (ice_cl_add_local(a->cl, &cc) < 0)
		return;
	/* The checklist gave it its foundation (§5.1.1.3). */
	cc = a->cl->local[a->cl->nlocal - 1];
	a->local[a->nlocal++] = cc;
	cand_line(&cc, line, sizeof(line));
	ice_note_obs(a, "ice.gather", c->transport, c->base.ss_family ? &c->base : &c->addr,
		 c->server.ss_family ? &c->server : NULL, line);
	if (c->type == ICE_HOST)
		ice_phase(a, &a->t_host, "first-host");
	else if (c->type == ICE_SRFLX)
		ice_phase(a, &a->t_srflx, "first-srflx");
	else if (c->type == ICE_RELAY)
		ice_phase(a, &a->t_relay, "first-relay");
	/* A candidate after a failure may still save the day. */
	if (a->cl->state == ICE_CL_FAILED && a->state == ICE_AGENT_CHECKING)
		a->cl->state = ICE_CL_RUNNING;
	if (a->remote_set)
		ice_service(a);
}

void ice_gather_progress(struct ice_agent *a)
{
	if (!ice_agent_gathering_done(a) || a->state != ICE_AGENT_GATHERING)
		goto out;
	ice_note(a, "ice.gather", "gathering complete: %zu candidate(s) in %.3f ms",
		 a->nlocal, (double)since(a) / 1000.0);
	if (a->remote_set)
		ice_set_state(a, ICE_AGENT_CHECKING);
out:
	if (a->remote_set)
		ice_service(a);
}

void ice_agent_local_media(const struct ice_agent *a, struct sdp_media *m)
{
	snprintf(m->ufrag, sizeof(m->ufrag), "%s", a->ufrag);
	snprintf(m->pwd, sizeof(m->pwd), "%s", a->pwd);
	m->trickle = 1;
	m->ncands = 0;
	for (size_t i = 0; i < a->nlocal && m->ncands < SDP_MAX_CANDS; i++)
		m->cands[m->ncands++] = a->local[i];
	m->end_of_candidates = ice_agent_gathering_done(a);
}

/* Adds m's candidates (rejected ones recorded with the reason, ones
 * already known skipped), takes its end-of-candidates, and starts the
 * checks the first time. */
static void add_remote(struct ice_agent *a, const struct sdp_media *m)
{
	char line[OBS_TEXT];

	for (size_t i = 0; i < m->ncands; i++) {
		enum ice_reject why = ICE_REJECT_OK;
		int err;

		cand_line(&m->cands[i], line, sizeof(line));
		if (m->cands[i].addr.ss_family == AF_UNSPEC &&
		    mdns_wanted(a, &m->cands[i])) {
			char t[OBS_TEXT];

			snprintf(t, sizeof(t), "resolving by mDNS: %.200s", line);
			ice_note_obs(a, "ice.remote", m->cands[i].transport, NULL,
				   NULL, t);
			continue;
		}
		err = ice_cl_add_remote(a->cl, &m->cands[i], &why);
		if (err == NP_EINVAL) {
			char t[OBS_TEXT];

			snprintf(t, sizeof(t), "rejected (%s): %.180s",
				 ice_reject_text(why), line);
			note_obs(a, "ice.remote", NULL, NULL, t);
		} else if (err < 0) {
			note_obs(a, "ice.remote", NULL, NULL,
				 "remote candidates capped; the rest ignored");
			break;
		} else if (err == 0) {
			ice_note_obs(a, "ice.remote", m->cands[i].transport, NULL,
				   &m->cands[i].addr, line);
		}
	}
	if (m->end_of_candidates && !a->remote_eoc) {
		a->remote_eoc = 1;
		if (a->nmdns == 0)
			ice_cl_end_of_candidates(a->cl);
	}
	/* Trickled candidates join a running list as Frozen pairs, which
	 * the scheduler takes up when nothing is Waiting (ice_checklist.c). */
	if (!a->remote_set)
		ice_cl_start(a->cl, ice_now(a));
	a->remote_set = 1;
	if (a->state == ICE_AGENT_GATHERING && ice_agent_gathering_done(a))
		ice_set_state(a, ICE_AGENT_CHECKING);
	ice_service(a);
}

int ice_agent_set_remote(struct ice_agent *a, const struct sdp_media *m)
{
	if (!m->ufrag[0] || !m->pwd[0]) {
		ice_note(a, "ice.remote", "remote description has no ice-ufrag/ice-pwd");
		return NP_EINVAL;
	}
	snprintf(a->rufrag, sizeof(a->rufrag), "%s", m->ufrag);
	snprintf(a->rpwd, sizeof(a->rpwd), "%s", m->pwd);
	a->rkey_len = (size_t)stun_key_short(a->rpwd, a->rkey, sizeof(a->rkey));
	ice_note(a, "ice.remote", "ufrag %s, %zu candidate(s)%s", a->rufrag,
		 m->ncands, m->end_of_candidates ? ", end-of-candidates" : "");
	add_remote(a, m);
	return 0;
}

int ice_agent_add_remote(struct ice_agent *a, const struct sdp_media *m)
{
	if (!a->remote_set)
		return NP_EINVAL;
	/* RFC 8838 §8 / RFC 8840: new credentials mean an ICE restart. */
	if (strcmp(m->ufrag, a->rufrag) || strcmp(m->pwd, a->rpwd))
		return NP_ERESTART;
	ice_note(a, "ice.remote", "trickled: %zu candidate(s)%s", m->ncands,
		 m->end_of_candidates ? ", end-of-candidates" : "");
	add_remote(a, m);
	return 0;
}

/* A browser's host candidate names a ".local" host instead of its
 * address (draft-ietf-mmusic-mdns-ice-candidates): resolve it by mDNS on
 * the link and add it then. Other names are not resolved (RFC 8839 §5.1
 * leaves FQDN candidates to the agent; a remote peer must not make us
 * query DNS servers). */
static void on_mdns(void *arg, const char *name,
		    const struct sockaddr_storage *addr)
{
	struct ice_agent *a = arg;
	size_t i = 0;

	while (i < a->nmdns) {
		struct ice_cand *c = &a->mdns_cand[i];
		enum ice_reject why;
		char line[OBS_TEXT];

		if (strcasecmp(c->hostname, name)) {
			i++;
			continue;
		}
		if (addr) {
			c->addr = *addr;
			if (addr->ss_family == AF_INET)
				((struct sockaddr_in *)&c->addr)->sin_port = htons(c->port);
			else
				((struct sockaddr_in6 *)&c->addr)->sin6_port = htons(c->port);
			cand_line(c, line, sizeof(line));
			if (ice_cl_add_remote(a->cl, c, &why) == 0)
				ice_note_obs(a, "ice.remote", c->transport, NULL,
					   &c->addr, line);
		} else {
			ice_note(a, "ice.remote", "rejected (mDNS name %s did not resolve): %.120s",
				 name, c->hostname);
		}
		a->mdns_cand[i] = a->mdns_cand[--a->nmdns];
	}
	if (a->nmdns == 0 && a->remote_eoc)
		ice_cl_end_of_candidates(a->cl);
	ice_service(a);
}

static int mdns_wanted(struct ice_agent *a, const struct ice_cand *c)
{
	size_t n = strlen(c->hostname);

	if (n < 7 || strcasecmp(c->hostname + n - 6, ".local") ||
	    a->nmdns == MDNS_MAX_PENDING)
		return 0;
	if (!a->mdns && mdns_new(a->ctx, on_mdns, a, &a->mdns) < 0) {
		ice_note(a, "ice.remote", "cannot resolve %s: no mDNS socket",
			 c->hostname);
		return 0;
	}
	a->mdns_cand[a->nmdns++] = *c;
	for (size_t i = 0; i + 1 < a->nmdns; i++)
		if (!strcasecmp(a->mdns_cand[i].hostname, c->hostname))
			return 1;   /* already asked */
	if (mdns_resolve(a->mdns, c->hostname, MDNS_TIMEOUT_US) < 0) {
		a->nmdns--;
		return 0;
	}
	return 1;
}

enum ice_agent_state ice_agent_state(const struct ice_agent *a)
{
	return a->state;
}

const struct ice_pair *ice_agent_selected(const struct ice_agent *a,
					  const struct ice_cand **local,
					  const struct ice_cand **remote)
{
	const struct ice_pair *p = ice_cl_selected(a->cl);

	if (p && local)
		*local = &a->cl->local[p->local];
	if (p && remote)
		*remote = &a->cl->remote[p->remote];
	return p;
}

const struct sockaddr_storage *ice_cand_base(const struct ice_cand *c)
{
	return c->base.ss_family ? &c->base : &c->addr;
}

int ice_agent_send(struct ice_agent *a, const uint8_t *buf, size_t len)
{
	const struct ice_cand *l, *r;
	struct ice_base *b;

	if (a->state != ICE_AGENT_CONNECTED || !ice_agent_selected(a, &l, &r)) {
		/* Not selected yet, but the peer already sends on a valid
		 * pair (its DTLS ClientHello can beat our nomination's
		 * response): answer on that pair (RFC 8445 §12.1). */
		if (!a->early_base)
			return NP_ENOTFOUND;
		return ice_base_send(a, a->early_base, buf, len, &a->early_peer);
	}
	b = ice_base_for(a, l, &r->addr, 0);
	if (!b)
		return NP_ENOTFOUND;
	return ice_base_send(a, b, buf, len, &r->addr);
}

int ice_agent_can_send(const struct ice_agent *a)
{
	return (a->state == ICE_AGENT_CONNECTED && ice_cl_selected(a->cl)) ||
	       a->early_base != NULL;
}

uint64_t ice_agent_last_peer_check(const struct ice_agent *a)
{
	return a->last_check_in_us;
}

void ice_agent_set_data_cb(struct ice_agent *a, ice_data_cb cb, void *arg)
{
	a->data_cb = cb;
	a->data_arg = arg;
}

void ice_agent_set_state_cb(struct ice_agent *a, ice_state_cb cb, void *arg)
{
	a->state_cb = cb;
	a->state_arg = arg;
}

/* ---- sending checks ------------------------------------------------------ */

static void record_check(struct ice_agent *a, const struct ice_check *c,
			 size_t size, int err)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = c->attempt > 1 ? OBS_RETRANSMIT : OBS_SENT;
	o.transport = c->local->transport;
	snprintf(o.test, sizeof(o.test), "ice.check");
	o.local = c->from;
	o.remote = c->to;
	o.has = OBS_HAS_LOCAL | OBS_HAS_REMOTE | OBS_HAS_TID;
	memcpy(o.tid, c->tid, 12);
	o.method = STUN_BINDING;
	o.cls = STUN_REQUEST;
	o.attempt = (uint16_t)c->attempt;
	o.size = (uint32_t)size;
	o.err = err;
	snprintf(o.text, sizeof(o.text), "pair %zu %s->%s%s%s", c->pair,
		 ice_cand_type_name(c->local->type),
		 ice_cand_type_name(c->remote->type),
		 c->use_candidate ? " use-candidate" : "",
		 err < 0 ? " (send failed)" : "");
	np_ctx_record(a->ctx, &o);
}

static void send_check(struct ice_agent *a, const struct ice_check *c)
{
	uint8_t buf[512];
	struct ice_base *b = ice_base_for(a, c->local, &c->to, 1);
	int n, err = NP_ENOTFOUND;

	n = ice_msg_check(buf, sizeof(buf), c->tid, a->rufrag, a->ufrag,
			  a->rkey, a->rkey_len, c->priority, c->controlling,
			  c->tiebreaker, c->use_candidate);
	if (n < 0)
		err = n;
	else if (b)
		err = ice_base_send(a, b, buf, (size_t)n, &c->to);
	record_check(a, c, n > 0 ? (size_t)n : 0, err < 0 ? err : 0);
	ice_phase(a, &a->t_check, "first-check");
}

static void consent_send(struct ice_agent *a)
{
	const struct ice_cand *l, *r;
	struct ice_base *b;
	uint8_t buf[512];
	int n;

	if (!ice_agent_selected(a, &l, &r))
		return;
	b = ice_base_for(a, l, &r->addr, 0);
	if (!b)
		return;
	stun_tid_random(a->consent_tid);
	a->consent_pending = 1;
	n = ice_msg_check(buf, sizeof(buf), a->consent_tid, a->rufrag, a->ufrag,
			  a->rkey, a->rkey_len,
			  ice_priority(ICE_PRFLX, (uint16_t)(l->priority >> 8), 1),
			  a->cl->controlling, a->cl->cfg.tiebreaker, 0);
	if (n > 0 && ice_base_send(a, b, buf, (size_t)n, &r->addr) == 0)
		note_obs(a, "ice.consent", ice_cand_base(l), &r->addr,
			 "consent check sent");
}

/* Records pair state changes since the last call. */
static void record_pairs(struct ice_agent *a)
{
	const struct ice_checklist *cl = a->cl;

	for (size_t i = 0; i < cl->npairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];
		const struct ice_cand *l = &cl->local[p->local];
		const struct ice_cand *r = &cl->remote[p->remote];
		char t[OBS_TEXT];

		if (i < a->nseen && a->seen[i] == p->state)
			continue;
		snprintf(t, sizeof(t), "pair %zu %s (was %s) %s->%s prio %llu%s", i,
			 ice_pair_state_name(p->state),
			 i < a->nseen ? ice_pair_state_name(a->seen[i]) : "new",
			 ice_cand_type_name(l->type),
			 ice_cand_type_name(r->type),
			 (unsigned long long)p->priority,
			 p->nominated ? " nominated" : "");
		ice_note_obs(a, "ice.pair", l->transport, ice_cand_base(l), &r->addr, t);
		a->seen[i] = p->state;
	}
	if (cl->npairs > a->nseen)
		a->nseen = cl->npairs;
}

static int best_is_relay(const struct ice_checklist *cl)
{
	long best = -1;

	for (size_t i = 0; i < cl->npairs; i++)
		if (cl->pairs[i].valid &&
		    (best < 0 || cl->pairs[i].priority > cl->pairs[best].priority))
			best = (long)i;
	return best >= 0 &&
	       (cl->local[cl->pairs[best].local].type == ICE_RELAY ||
		cl->remote[cl->pairs[best].remote].type == ICE_RELAY);
}

static void check_rto(struct ice_agent *a)
{
	uint64_t rto = np_ctx_rto(a->ctx);

	if (rto < CHECK_RTO_MIN_US)
		rto = CHECK_RTO_MIN_US;
	if (rto > CHECK_RTO_MAX_US)
		rto = CHECK_RTO_MAX_US;
	a->cl->cfg.rto_us = rto;
	/* Regular nomination waits for better pairs still in progress, but
	 * not longer than a few round trips: a pair toward an unreachable
	 * address would otherwise hold it for its whole retransmission
	 * schedule. */
	if (!a->cfg.nominate_after_us) {
		uint64_t wait = a->ctx->have_rtt ? 4 * (uint64_t)a->ctx->srtt_us
						 : 2 * rto;

		if (wait < NOMINATE_MIN_US)
			wait = NOMINATE_MIN_US;
		if (wait > 2 * rto)
			wait = 2 * rto;
		/* A relayed best pair waits longer for better direct ones
		 * still being checked (an ICE-TCP connection takes a few
		 * round trips): relaying costs every packet of the call. */
		if (best_is_relay(a->cl) && wait < RELAY_PATIENCE_US)
			wait = RELAY_PATIENCE_US;
		a->cl->cfg.nominate_after_us = wait;
	}
}

static void selected(struct ice_agent *a)
{
	const struct ice_cand *l, *r;
	const struct ice_pair *p = ice_agent_selected(a, &l, &r);
	struct ice_base *b;
	char t[OBS_TEXT], ls[64], rs[64];
	uint64_t rtt;

	if (!p)
		return;
	ice_phase(a, &a->t_selected, "selected");
	rtt = p->stats.current_rtt_us;
	/* A valid pair made by another pair's check (§7.2.5.3.2) has that
	 * check's round trip. */
	for (size_t i = 0; !rtt && i < a->cl->npairs; i++)
		if (a->cl->pairs[i].valid_pair == a->cl->selected)
			rtt = a->cl->pairs[i].stats.current_rtt_us;
	snprintf(t, sizeof(t), "%s %s -> %s %s, rtt %.3f ms",
		 ice_cand_type_name(l->type), np_addr_str(&l->addr, ls, sizeof(ls)),
		 ice_cand_type_name(r->type), np_addr_str(&r->addr, rs, sizeof(rs)),
		 (double)rtt / 1000.0);
	ice_note_obs(a, "ice.selected", l->transport, ice_cand_base(l), &r->addr, t);
	a->consent_last_us = ice_now(a);
	b = ice_base_for(a, l, &r->addr, 0);
	if (b && b->relay)
		ice_base_bind_channel(b, &r->addr);
	ice_set_state(a, ICE_AGENT_CONNECTED);
	np_timer_start(a->ctx->loop, &a->consent_timer,
		       ice_now(a) + CONSENT_MIN_US + ice_rand(a) % CONSENT_SPAN_US);
}

void ice_service(struct ice_agent *a)
{
	struct ice_check c;
	uint64_t now = ice_now(a), next;
	int guard = 0;

	if (!a->remote_set || a->closing)
		return;
	check_rto(a);
	ice_cl_on_timeout(a->cl, now);
	while (guard++ < 64 && ice_cl_next(a->cl, now, &c))
		send_check(a, &c);
	record_pairs(a);
	for (size_t i = 0; i < a->cl->npairs; i++)
		if (a->cl->pairs[i].nominating && a->cl->pairs[i].state ==
						       ICE_PAIR_IN_PROGRESS)
			ice_phase(a, &a->t_nominated, "nominating");
	if (a->cl->state == ICE_CL_COMPLETED && a->state != ICE_AGENT_CONNECTED &&
	    a->state != ICE_AGENT_CONSENT_LOST) {
		selected(a);
		return;
	}
	if (a->cl->state == ICE_CL_FAILED && ice_agent_gathering_done(a) &&
	    a->state != ICE_AGENT_FAILED) {
		ice_note(a, "ice.failed", "every candidate pair failed (%zu pairs)",
			 a->cl->npairs);
		ice_set_state(a, ICE_AGENT_FAILED);
		return;
	}
	next = ice_cl_deadline(a->cl);
	if (next == UINT64_MAX)
		np_timer_stop(a->ctx->loop, &a->timer);
	else
		np_timer_start(a->ctx->loop, &a->timer, next > now ? next : now + 1);
}
