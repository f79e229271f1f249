/*
 * turn_client.c - the TURN client machine (RFC 8656) over one stun_sock.
 *
 * §7 Allocate: REQUESTED-TRANSPORT UDP (and REQUESTED-ADDRESS-FAMILY for
 * an IPv6 relay), sent first without credentials; the 401 challenge and
 * a 438 stale nonce are handled by turn_wire.c's credential state. §8
 * Refresh before expiry on a loop timer, LIFETIME 0 to deallocate. §9
 * CreatePermission and §12.1 ChannelBind, each refreshed on the same
 * timer (the data path, §11 and §12.4, is turn_data.c). Responses are taken only when their MESSAGE-INTEGRITY
 * verifies with the key (RFC 8489 §9.2.5); the 401/438 challenges, which
 * cannot carry it, are the exception. Each request is a stun_client
 * transaction (sent/response/timeout observations); this file adds notes.
 */
#include "turn_client_impl.h"
#include "np_err.h"
#include "np_rd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = { "allocate", "permission", "channel",
					"refresh", "close" };

void turnc_obs_base(struct turn_client *t, struct obs *o, enum obs_kind k,
		    const char *what)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->transport = stun_sock_transport(t->sock);
	snprintf(o->test, sizeof(o->test), "%s.%s", t->cfg.label, what);
	np_addr_str(&t->server, o->server, sizeof(o->server));
	o->local = *stun_sock_local(t->sock);
	o->has |= OBS_HAS_LOCAL;
	o->remote = t->server;
	o->has |= OBS_HAS_REMOTE;
}

static void note(struct turn_client *t, const char *what, const char *fmt,
		 const char *a, const char *b)
{
	struct obs o;

	turnc_obs_base(t, &o, OBS_NOTE, what);
	snprintf(o.text, sizeof(o.text), fmt, a, b);
	np_ctx_record(t->ctx, &o);
}

static struct peer *peer_get(struct turn_client *t,
			     const struct sockaddr_storage *a)
{
	struct peer *p = NULL;

	for (size_t i = 0; i < TURN_MAX_PEERS && !p; i++)
		if (t->peers[i].in_use && np_addr_equal(&t->peers[i].addr, a))
			p = &t->peers[i];

	for (size_t i = 0; !p && i < TURN_MAX_PEERS; i++) {
		if (!t->peers[i].in_use) {
			p = &t->peers[i];
			memset(p, 0, sizeof(*p));
			p->in_use = 1;
			p->addr = *a;
		}
	}
	return p;
}

/* Timers ---------------------------------------------------------------- */

/* When to renew something that lasts life_s: a minute early, or half way
 * for short lifetimes. */
static uint64_t renew_at(uint64_t now, uint32_t life_s)
{
	uint64_t life = (uint64_t)life_s * 1000000;
	uint64_t early = life_s > 120 ? 60000000 : life / 2;

	return now + life - early;
}

static void timer_arm(struct turn_client *t)
{
	uint64_t next = t->alloc_refresh_at;

	for (size_t i = 0; i < TURN_MAX_PEERS; i++) {
		const struct peer *p = &t->peers[i];

		if (!p->in_use)
			continue;
		if (p->perm_refresh_at && (!next || p->perm_refresh_at < next))
			next = p->perm_refresh_at;
		if (p->chan_refresh_at && (!next || p->chan_refresh_at < next))
			next = p->chan_refresh_at;
	}
	if (next && t->allocated)
		np_timer_start(t->ctx->loop, &t->timer, next);
	else
		np_timer_stop(t->ctx->loop, &t->timer);
}

static int op_start(struct turn_client *t, enum op_kind kind,
		    const struct sockaddr_storage *peer, uint16_t ch);

static void on_timer(struct np_loop *loop, void *arg)
{
	struct turn_client *t = arg;
	uint64_t now = np_loop_now(loop);

	if (t->alloc_refresh_at && now >= t->alloc_refresh_at) {
		t->alloc_refresh_at = 0;
		op_start(t, OP_REFRESH, NULL, 0);
	}
	for (size_t i = 0; i < TURN_MAX_PEERS && t->allocated; i++) {
		struct peer *p = &t->peers[i];

		if (!p->in_use)
			continue;
		if (p->chan_refresh_at && now >= p->chan_refresh_at) {
			p->chan_refresh_at = 0;
			op_start(t, OP_CHANNEL, &p->addr, p->channel);
		}
		if (p->perm_refresh_at && now >= p->perm_refresh_at) {
			p->perm_refresh_at = 0;
			op_start(t, OP_PERMISSION, &p->addr, 0);
		}
	}
	timer_arm(t);
}

/* Requests --------------------------------------------------------------- */

static void on_msg(struct stun_sock *s, const struct stun_msg *m,
		   int integrity, void *arg);
static void on_done(struct stun_sock *s, const struct obs *end, void *arg);

static int op_send(struct op *op)
{
	static const uint16_t methods[] = { TURN_ALLOCATE, TURN_CREATE_PERMISSION,
					    TURN_CHANNEL_BIND, TURN_REFRESH,
					    TURN_REFRESH };
	struct turn_client *t = op->t;
	uint8_t scratch[1024];
	struct stun_enc w;
	struct stun_req req;
	size_t len;
	int err;

	memset(&req, 0, sizeof(req));
	req.method = methods[op->kind];
	req.dst = t->server;
	snprintf(req.test, sizeof(req.test), "%s.%s", t->cfg.label,
		 op_names[op->kind]);
	stun_tid_random(req.tid);
	req.tid_set = 1;
	stun_enc_begin(&w, scratch, sizeof(scratch), req.method, STUN_REQUEST,
		       req.tid);
	switch (op->kind) {
	case OP_ALLOCATE:
		turn_enc_requested_transport(&w, TURN_PROTO_UDP);
		if (t->cfg.family == AF_INET6)
			turn_enc_requested_family(&w, AF_INET6);
		if (t->cfg.lifetime_s)
			stun_enc_u32(&w, STUN_ATTR_LIFETIME, t->cfg.lifetime_s);
		break;
	case OP_CHANNEL:
		turn_enc_channel_number(&w, op->channel);
		/* fall through */
	case OP_PERMISSION:
		stun_enc_xor_addr(&w, STUN_ATTR_XOR_PEER_ADDRESS,
				  (const struct sockaddr *)&op->peer);
		break;
	case OP_REFRESH:
		if (t->cfg.lifetime_s)
			stun_enc_u32(&w, STUN_ATTR_LIFETIME, t->cfg.lifetime_s);
		break;
	case OP_CLOSE:
		stun_enc_u32(&w, STUN_ATTR_LIFETIME, 0);
		break;
	}
	op->had_creds = t->auth.ready;
	if (t->auth.ready) {
		turn_auth_encode(&t->auth, &w);
		memcpy(req.key, t->auth.key, t->auth.key_len);
		req.key_len = t->auth.key_len;
		req.integrity_sha256 = t->auth.alg == STUN_PWALG_SHA256;
	}
	err = stun_enc_end(&w, &len);
	if (err < 0)
		return err;
	req.attrs = scratch + STUN_HEADER_LEN;
	req.attrs_len = len - STUN_HEADER_LEN;
	req.on_msg = on_msg;
	op->got = 0;
	return stun_sock_request(t->sock, &req, on_done, op);
}

static int op_start(struct turn_client *t, enum op_kind kind,
		    const struct sockaddr_storage *peer, uint16_t ch)
{
	struct op *op = NULL;
	int err;

	for (size_t i = 0; i < TURN_MAX_OPS && !op; i++)
		if (!t->ops[i].in_use)
			op = &t->ops[i];
	if (!op)
		return NP_EFULL;
	memset(op, 0, sizeof(*op));
	op->t = t;
	op->kind = kind;
	if (peer)
		op->peer = *peer;
	op->channel = ch;
	op->in_use = 1;
	err = op_send(op);
	if (err < 0)
		op->in_use = 0;
	return err;
}

/* Reads what the response says while it is still decoded. */
static void on_msg(struct stun_sock *s, const struct stun_msg *m,
		   int integrity, void *arg)
{
	struct op *op = arg;
	const struct stun_attr *a;
	const char *reason;
	size_t rlen;

	op->got = 1;
	op->cls = m->cls;
	op->integrity = integrity;
	op->code = 0;
	op->reason[0] = op->why[0] = '\0';
	op->verdict = TURN_AUTH_FAIL;
	if (m->cls == STUN_ERROR) {
		if (stun_attr_error(stun_msg_find(m, STUN_ATTR_ERROR_CODE),
				    &op->code, &reason, &rlen) == 0) {
			if (rlen >= sizeof(op->reason))
				rlen = sizeof(op->reason) - 1;
			for (size_t i = 0; i < rlen; i++)
				op->reason[i] = reason[i] >= 0x20 && reason[i] < 0x7f ?
						reason[i] : '?';
			op->reason[rlen] = '\0';
		}
		/* A challenge is unauthenticated by nature; a present but
		 * wrong MESSAGE-INTEGRITY still makes it untrusted. */
		if (integrity != NP_ESTUN_INTEGRITY)
			op->verdict = turn_auth_on_error(&op->t->auth, m,
							 op->had_creds,
							 op->stale_tries, op->why,
							 sizeof(op->why));
		return;
	}
	if (integrity != 0)
		return;
	if ((a = stun_msg_find(m, STUN_ATTR_XOR_RELAYED_ADDRESS)))
		op->has_relayed = stun_attr_xor_addr(m, a, &op->relayed) == 0;
	if ((a = stun_msg_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS)))
		op->has_mapped = stun_attr_xor_addr(m, a, &op->mapped) == 0;
	op->has_lifetime = stun_attr_u32(stun_msg_find(m, STUN_ATTR_LIFETIME),
					 &op->lifetime) == 0;
}

static void emit(struct turn_client *t, enum turn_event_kind kind, int ok,
		 int code, const char *reason, int err,
		 const struct sockaddr_storage *peer, uint16_t ch)
{
	struct turn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.ok = ok;
	ev.code = code;
	ev.reason = reason;
	ev.err = err;
	ev.peer = peer;
	ev.channel = ch;
	if (t->cb)
		t->cb(t, &ev, t->arg);
}

static const enum turn_event_kind ev_of[] = { TURN_EV_ALLOCATE,
					      TURN_EV_PERMISSION, TURN_EV_CHANNEL,
					      TURN_EV_REFRESH, TURN_EV_CLOSED };

static void op_success(struct turn_client *t, struct op *op)
{
	uint64_t now = np_loop_now(t->ctx->loop);
	char a[64], b[64], text[OBS_TEXT];
	struct peer *p;

	switch (op->kind) {
	case OP_ALLOCATE:
		if (!op->has_relayed) {
			emit(t, TURN_EV_ALLOCATE, 0, 0,
			     "success response without XOR-RELAYED-ADDRESS",
			     NP_ENOTFOUND, NULL, 0);
			return;
		}
		/* fall through */
	case OP_REFRESH:
		if (op->has_relayed)
			t->relayed = op->relayed;
		if (op->has_mapped)
			t->mapped = op->mapped;
		t->lifetime = op->has_lifetime ? op->lifetime : TURN_DEFAULT_LIFETIME;
		t->allocated = 1;
		t->alloc_refresh_at = renew_at(now, t->lifetime);
		{
			struct obs o;

			turnc_obs_base(t, &o, OBS_NOTE, op_names[op->kind]);
			if (t->mapped.ss_family) {
				o.xor_mapped = t->mapped;
				o.has |= OBS_HAS_XOR_MAPPED;
			}
			snprintf(o.text, sizeof(o.text),
				 "allocation: relayed %s, mapped %s, lifetime %u s",
				 np_addr_str(&t->relayed, a, sizeof(a)),
				 np_addr_str(&t->mapped, b, sizeof(b)),
				 t->lifetime);
			np_ctx_record(t->ctx, &o);
		}
		timer_arm(t);
		emit(t, ev_of[op->kind], 1, 0, NULL, 0, NULL, 0);
		return;
	case OP_PERMISSION:
	case OP_CHANNEL:
		p = peer_get(t, &op->peer);
		if (p) {
			p->perm_refresh_at = renew_at(now, TURN_PERMISSION_LIFETIME);
			if (op->kind == OP_CHANNEL) {
				p->channel = op->channel;
				/* The permission (300 s) still needs its own
				 * refreshes before the channel's (600 s). */
				p->chan_refresh_at = renew_at(now, TURN_CHANNEL_LIFETIME);
			}
		}
		snprintf(text, sizeof(text), "%s for %s",
			 op->kind == OP_CHANNEL ? "channel bound" : "permission installed",
			 np_addr_str(&op->peer, a, sizeof(a)));
		note(t, op_names[op->kind], "%s%s", text, "");
		timer_arm(t);
		emit(t, ev_of[op->kind], 1, 0, NULL, 0, &op->peer, op->channel);
		return;
	case OP_CLOSE:
		t->allocated = 0;
		t->alloc_refresh_at = 0;
		np_timer_stop(t->ctx->loop, &t->timer);
		emit(t, TURN_EV_CLOSED, 1, 0, NULL, 0, NULL, 0);
		return;
	}
}

static void on_done(struct stun_sock *s, const struct obs *end, void *arg)
{
	struct op *op = arg;
	struct turn_client *t = op->t;
	struct op o = *op;
	const char *what = op_names[op->kind];

	op->in_use = 0;
	if (t->freeing)
		return;
	if (end->kind != OBS_RESPONSE || !o.got) {
		emit(t, ev_of[o.kind], 0, 0, end->text,
		     end->kind == OBS_TIMEOUT ? NP_ETIMEOUT : end->err ? end->err :
		     NP_EINTERNAL, o.kind == OP_ALLOCATE ? NULL : &o.peer, o.channel);
		return;
	}
	if (o.integrity == NP_ESTUN_INTEGRITY ||
	    (o.cls == STUN_SUCCESS && o.had_creds && o.integrity != 0)) {
		note(t, what, "%s response not trusted: %s", stun_class_name((uint8_t)o.cls),
		     o.integrity == NP_ESTUN_INTEGRITY ?
		     "MESSAGE-INTEGRITY does not match the key" :
		     "no MESSAGE-INTEGRITY");
		emit(t, ev_of[o.kind], 0, 0, "response MESSAGE-INTEGRITY not verified",
		     o.integrity ? o.integrity : NP_ESTUN_NOINTEGRITY, &o.peer, o.channel);
		return;
	}
	if (o.cls == STUN_SUCCESS) {
		op_success(t, &o);
		return;
	}
	if (o.verdict == TURN_AUTH_RETRY) {
		char code[16];

		snprintf(code, sizeof(code), "%d", o.code);
		note(t, what, "%s: retrying with credentials (%s)", code, o.why);
		*op = o;
		op->in_use = 1;
		if (o.code == TURN_ERR_STALE_NONCE)
			op->stale_tries++;
		if (op_send(op) == 0)
			return;
		op->in_use = 0;
	} else if (o.why[0] && (o.code == TURN_ERR_UNAUTHORIZED ||
				o.code == TURN_ERR_STALE_NONCE)) {
		note(t, what, "challenge not followed: %s%s", o.why, "");
	}
	/* The server's own code and reason, as sent. */
	if (o.kind == OP_CLOSE ||
	    (o.kind == OP_REFRESH && o.code == TURN_ERR_ALLOCATION_MISMATCH)) {
		t->allocated = 0;
		timer_arm(t);
	}
	emit(t, ev_of[o.kind], 0, o.code, o.reason, 0,
	     o.kind == OP_ALLOCATE ? NULL : &o.peer, o.channel);
}

/* Public ----------------------------------------------------------------- */

int turn_client_new(struct np_ctx *ctx, struct stun_sock *sock,
		    const struct sockaddr_storage *server,
		    const struct turn_cfg *cfg, turn_cb cb, void *arg,
		    struct turn_client **out)
{
	struct turn_client *t = calloc(1, sizeof(*t));

	if (!t)
		return NP_ENOMEM;
	t->ctx = ctx;
	t->sock = sock;
	t->server = *server;
	t->cfg = *cfg;
	t->cfg.user = t->cfg.password = NULL;
	if (!t->cfg.label[0])
		snprintf(t->cfg.label, sizeof(t->cfg.label), "turn");
	turn_auth_init(&t->auth, cfg->user, cfg->password);
	t->cb = cb;
	t->arg = arg;
	np_timer_init(&t->timer, on_timer, t);
	stun_sock_set_raw_cb(sock, turnc_on_raw, t);
	*out = t;
	return 0;
}

void turn_client_free(struct turn_client *t)
{
	if (!t)
		return;
	t->freeing = 1;
	np_timer_stop(t->ctx->loop, &t->timer);
	stun_sock_set_raw_cb(t->sock, NULL, NULL);
	stun_sock_cancel(t->sock, t->cfg.label);
	free(t);
}

int turn_allocate(struct turn_client *t)
{
	return op_start(t, OP_ALLOCATE, NULL, 0);
}

int turn_create_permission(struct turn_client *t,
			   const struct sockaddr_storage *peer)
{
	if (!peer_get(t, peer))
		return NP_EFULL;
	return op_start(t, OP_PERMISSION, peer, 0);
}

int turn_channel_bind(struct turn_client *t,
		      const struct sockaddr_storage *peer, uint16_t ch)
{
	if (!turn_channel_valid(ch))
		return NP_EINVAL;
	if (!peer_get(t, peer))
		return NP_EFULL;
	return op_start(t, OP_CHANNEL, peer, ch);
}

int turn_refresh(struct turn_client *t)
{
	return op_start(t, OP_REFRESH, NULL, 0);
}

int turn_close(struct turn_client *t)
{
	np_timer_stop(t->ctx->loop, &t->timer);
	t->alloc_refresh_at = 0;
	return op_start(t, OP_CLOSE, NULL, 0);
}

int turn_allocated(const struct turn_client *t)
{
	return t->allocated;
}

const struct sockaddr_storage *turn_relayed(const struct turn_client *t)
{
	return &t->relayed;
}

const struct sockaddr_storage *turn_mapped(const struct turn_client *t)
{
	return &t->mapped;
}

uint32_t turn_lifetime(const struct turn_client *t)
{
	return t->lifetime;
}

const struct turn_auth *turn_client_auth(const struct turn_client *t)
{
	return &t->auth;
}
