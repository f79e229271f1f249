/*
 * stun_client.c - STUN client transactions over UDP, TCP and TLS.
 *
 * RFC 8489 §6.2.1 (UDP): retransmit with a doubling RTO, Rc tries. The
 * first RTO follows RFC 6298 (SRTT + 4 RTTVAR) once an RTT is measured;
 * only first-try responses feed the estimator (Karn's rule). A run-wide
 * cap on the wait keeps a dead server from costing the RFC's 39.5 s.
 * RFC 8489 §6.2.2 (TCP/TLS): no retransmission, one overall timeout.
 * Responses are matched by transaction ID *and* source address (§6.3 asks
 * the client to discard a response whose ID it does not know; a matching ID
 * from the wrong place is a spoof or a misbehaving server, recorded).
 */
#include "stun_client_impl.h"
#include "stun_codec.h"
#include "np_err.h"
#include "np_rd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Context ------------------------------------------------------------- */

void np_ctx_init(struct np_ctx *ctx, struct np_loop *loop, struct obs_log *log)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->loop = loop;
	ctx->log = log;
	ctx->rto_initial_us = 250000;
	ctx->rto_min_us = 20000;
	ctx->max_wait_us = 3000000;
	ctx->max_tries = 7;
}

void np_ctx_dispose(struct np_ctx *ctx)
{
	if (ctx->tls)
		SSL_CTX_free(ctx->tls);
	ctx->tls = NULL;
}

uint32_t np_ctx_rto(const struct np_ctx *ctx)
{
	uint32_t rto;

	if (!ctx->have_rtt)
		return ctx->rto_initial_us;
	rto = ctx->srtt_us + 4 * ctx->rttvar_us;
	return rto < ctx->rto_min_us ? ctx->rto_min_us : rto;
}

/* RFC 6298 §2: alpha 1/8, beta 1/4. */
void np_ctx_rtt_sample(struct np_ctx *ctx, uint32_t r)
{
	if (!ctx->have_rtt) {
		ctx->srtt_us = r;
		ctx->rttvar_us = r / 2;
		ctx->have_rtt = 1;
		return;
	}
	{
		uint32_t diff = ctx->srtt_us > r ? ctx->srtt_us - r : r - ctx->srtt_us;

		ctx->rttvar_us = (3 * ctx->rttvar_us + diff) / 4;
		ctx->srtt_us = (7 * ctx->srtt_us + r) / 8;
	}
}

struct obs *np_ctx_record(struct np_ctx *ctx, struct obs *o)
{
	uint64_t now = np_loop_update_now(ctx->loop);

	o->t_us = now >= ctx->log->start_mono_us ? now - ctx->log->start_mono_us : 0;
	return obs_add(ctx->log, o);
}

void stunc_obs_base(struct stun_sock *s, struct obs *o, enum obs_kind k,
		     const char *test)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->transport = s->transport;
	snprintf(o->test, sizeof(o->test), "%s", test ? test : "");
	snprintf(o->server, sizeof(o->server), "%s", s->server);
	if (s->local.ss_family) {
		o->local = s->local;
		o->has |= OBS_HAS_LOCAL;
	}
}

/* Sockets ------------------------------------------------------------- */

void stunc_on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg);
void stunc_txn_finish(struct txn *x, const struct obs *end);
void stunc_conn_fail(struct stun_sock *s, int err, const char *text);

void stunc_update_local(struct stun_sock *s)
{
	socklen_t len = sizeof(s->local);

	if (getsockname(s->fd, (struct sockaddr *)&s->local, &len) < 0)
		memset(&s->local, 0, sizeof(s->local));
	if (s->transport != NP_UDP || !s->peer.ss_family)
		return;
	/* A UDP socket bound to the wildcard: ask the routing table which
	 * source address reaches the server, so "local" is comparable with
	 * the mapped address (is there a NAT?). */
	{
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		int t = socket(s->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int any = s->local.ss_family == AF_INET ?
			((struct sockaddr_in *)(void *)&s->local)->sin_addr.s_addr == 0 :
			IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)(void *)&s->local)->sin6_addr);

		if (t < 0)
			return;
		if (any && connect(t, (const struct sockaddr *)&s->peer,
				   np_addr_len(&s->peer)) == 0 &&
		    getsockname(t, (struct sockaddr *)&src, &slen) == 0) {
			uint16_t port = np_addr_port(&s->local);

			s->local = src;
			if (src.ss_family == AF_INET)
				((struct sockaddr_in *)(void *)&s->local)->sin_port = htons(port);
			else
				((struct sockaddr_in6 *)(void *)&s->local)->sin6_port = htons(port);
		}
		close(t);
	}
}

static void conn_timeout(struct np_loop *loop, void *arg)
{
	struct stun_sock *s = arg;

	const char *what = s->state == CONN_TLS ? "TLS handshake did not finish" :
			   "TCP connect did not finish";

	stunc_sock_enter(s);
	stunc_conn_fail(s, NP_ETIMEOUT, what);
	stunc_fail_all(s, OBS_TIMEOUT, NP_ETIMEOUT, what);
	stunc_sock_leave(s);
}

int stunc_tls_ctx_get(struct np_ctx *ctx, SSL_CTX **out)
{
	if (!ctx->tls) {
		SSL_CTX *t = SSL_CTX_new(TLS_client_method());

		if (!t)
			return NP_ETLS;
		SSL_CTX_set_min_proto_version(t, TLS1_2_VERSION);
		/* We verify after the handshake and report the result as an
		 * observation, so an untrusted certificate is a finding with
		 * its details rather than an opaque failure. */
		SSL_CTX_set_verify(t, SSL_VERIFY_NONE, NULL);
		if (ctx->tls_ca) {
			if (SSL_CTX_load_verify_locations(t, ctx->tls_ca, NULL) != 1) {
				SSL_CTX_free(t);
				return NP_ETLS;
			}
		} else {
			SSL_CTX_set_default_verify_paths(t);
		}
		ctx->tls = t;
	}
	*out = ctx->tls;
	return 0;
}

int stun_sock_open(struct np_ctx *ctx, enum np_transport t,
		   const struct sockaddr_storage *server,
		   const struct sockaddr_storage *local, const char *sni,
		   const char *server_name, stun_conn_cb conn_cb, void *arg,
		   struct stun_sock **out)
{
	struct stun_sock *s;
	int fam = server->ss_family, one = 1, err;

	if (fam != AF_INET && fam != AF_INET6)
		return NP_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NP_ENOMEM;
	s->ctx = ctx;
	s->transport = t;
	s->peer = *server;
	s->conn_cb = conn_cb;
	s->conn_arg = arg;
	snprintf(s->server, sizeof(s->server), "%s", server_name ? server_name : "");
	snprintf(s->sni, sizeof(s->sni), "%s", sni ? sni : "");
	np_timer_init(&s->conn_timer, conn_timeout, s);
	s->fd = socket(fam, (t == NP_UDP ? SOCK_DGRAM : SOCK_STREAM) |
			       SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	if (t == NP_UDP) {
		/* ICMP errors arrive on the error queue (ip(7) IP_RECVERR). */
		if (fam == AF_INET)
			setsockopt(s->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
		else
			setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	}
	if (fam == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Several connections from one local port (the TCP mapping test,
	 * RFC 5382; later ICE-TCP simultaneous open) need both options. */
	if (t != NP_UDP && local && local->ss_family) {
		setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	}
	if (local && local->ss_family) {
		if (bind(s->fd, (const struct sockaddr *)local, np_addr_len(local)) < 0) {
			err = -errno;
			goto fail;
		}
	}
	if (t == NP_UDP) {
		struct sockaddr_storage any;

		if (!local || !local->ss_family) {
			memset(&any, 0, sizeof(any));
			any.ss_family = (sa_family_t)fam;
			if (bind(s->fd, (struct sockaddr *)&any, np_addr_len(&any)) < 0) {
				err = -errno;
				goto fail;
			}
		}
		s->state = CONN_READY;
	} else {
		setsockopt(s->fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
		if (connect(s->fd, (const struct sockaddr *)server,
			    np_addr_len(server)) < 0 && errno != EINPROGRESS) {
			err = -errno;
			goto fail;
		}
		s->state = CONN_CONNECTING;
		np_timer_start(ctx->loop, &s->conn_timer,
			       np_loop_now(ctx->loop) + ctx->max_wait_us);
	}
	stunc_update_local(s);
	err = np_loop_add_fd(ctx->loop, s->fd,
			     EPOLLIN | (t == NP_UDP ? 0 : EPOLLOUT), stunc_on_io, s);
	if (err < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	close(s->fd);
	free(s);
	return err;
}

int stun_sock_adopt(struct np_ctx *ctx, int fd,
		    const struct sockaddr_storage *peer, const char *server_name,
		    struct stun_sock **out)
{
	struct stun_sock *s;
	int one = 1, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NP_ENOMEM;
	s->ctx = ctx;
	s->transport = NP_TCP;
	s->peer = *peer;
	s->fd = fd;
	s->state = CONN_READY;
	snprintf(s->server, sizeof(s->server), "%s", server_name ? server_name : "");
	np_timer_init(&s->conn_timer, conn_timeout, s);
	setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	stunc_update_local(s);
	err = np_loop_add_fd(ctx->loop, fd, EPOLLIN, stunc_on_io, s);
	if (err < 0) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

static void txn_release(struct txn *x)
{
	np_timer_stop(x->sock->ctx->loop, &x->timer);
	free(x->msg);
	x->msg = NULL;
	x->in_use = 0;
	x->sock->ntxn--;
}

void stunc_sock_enter(struct stun_sock *s)
{
	s->busy++;
}

static void sock_destroy(struct stun_sock *s)
{
	if (s->ssl)
		SSL_free(s->ssl);
	close(s->fd);
	free(s->wbuf);
	free(s);
}

void stunc_sock_leave(struct stun_sock *s)
{
	if (--s->busy == 0 && s->dead)
		sock_destroy(s);
}

void stun_sock_free(struct stun_sock *s)
{
	if (!s || s->dead)
		return;
	for (size_t i = 0; i < MAX_TXN; i++)
		if (s->txns[i].in_use)
			txn_release(&s->txns[i]);
	np_timer_stop(s->ctx->loop, &s->conn_timer);
	np_loop_del_fd(s->ctx->loop, s->fd);
	s->stray_cb = NULL;
	s->raw_cb = NULL;
	s->conn_cb = NULL;
	s->dead = 1;
	if (s->busy == 0)
		sock_destroy(s);
}


const struct sockaddr_storage *stun_sock_local(const struct stun_sock *s)
{
	return &s->local;
}

int stun_sock_fd(const struct stun_sock *s)
{
	return s->fd;
}

enum np_transport stun_sock_transport(const struct stun_sock *s)
{
	return s->transport;
}

size_t stun_sock_pending(const struct stun_sock *s)
{
	return s->ntxn;
}

void stun_sock_set_stray_cb(struct stun_sock *s, stun_stray_cb cb, void *arg)
{
	s->stray_cb = cb;
	s->stray_arg = arg;
}

void stun_sock_set_msg_cb(struct stun_sock *s, stun_msg_cb cb, void *arg)
{
	s->msg_cb = cb;
	s->msg_arg = arg;
}

void stun_sock_set_raw_cb(struct stun_sock *s, stun_raw_cb cb, void *arg)
{
	s->raw_cb = cb;
	s->raw_arg = arg;
}

void stun_sock_set_framing(struct stun_sock *s, enum stun_framing f)
{
	s->framing = f;
}

void stun_sock_cancel(struct stun_sock *s, const char *prefix)
{
	size_t plen = strlen(prefix);

	stunc_sock_enter(s);
	for (size_t i = 0; i < MAX_TXN && !s->dead; i++) {
		struct txn *x = &s->txns[i];
		struct obs o;

		if (!x->in_use || strncmp(x->req.test, prefix, plen) != 0)
			continue;
		stunc_obs_base(s, &o, OBS_NOTE, x->req.test);
		snprintf(o.text, sizeof(o.text), "cancelled");
		stunc_txn_finish(x, &o);
	}
	stunc_sock_leave(s);
}

void stun_sock_retime(struct stun_sock *s, const char *prefix,
		      uint32_t max_wait_us)
{
	size_t plen = strlen(prefix);
	uint64_t now = np_loop_update_now(s->ctx->loop);

	/* A stream still waiting for its SYN to be answered gets the same
	 * bound; once connected (the port answers) it is left alone, since
	 * a slow TLS handshake is not a blocked path. */
	if (s->transport != NP_UDP) {
		if (s->state == CONN_CONNECTING && np_timer_active(&s->conn_timer) &&
		    s->conn_timer.deadline > now + max_wait_us)
			np_timer_start(s->ctx->loop, &s->conn_timer, now + max_wait_us);
		return;
	}
	for (size_t i = 0; i < MAX_TXN; i++) {
		struct txn *x = &s->txns[i];
		uint64_t end;

		if (!x->in_use || x->attempt == 0 ||
		    strncmp(x->req.test, prefix, plen) != 0)
			continue;
		end = now - x->first_us + max_wait_us;
		if (end < x->max_wait_us)
			x->max_wait_us = (uint32_t)end;
		x->rto0_us = x->rto_us = np_ctx_rto(s->ctx);
		np_timer_start(s->ctx->loop, &x->timer, now);
	}
}

int stun_sock_set_ttl(struct stun_sock *s, int ttl)
{
	int r = s->peer.ss_family == AF_INET6 ?
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) :
		setsockopt(s->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));

	return r < 0 ? -errno : 0;
}

/* Ends a transaction: tell the owner, then release. The callback may free
 * the socket, so nothing touches s after it. */
void stunc_txn_finish(struct txn *x, const struct obs *end)
{
	stun_done_cb cb = x->cb;
	void *arg = x->arg;
	struct stun_sock *s = x->sock;

	txn_release(x);
	cb(s, end, arg);
}

void stunc_fail_all(struct stun_sock *s, enum obs_kind kind, int err,
		     const char *text)
{
	for (size_t i = 0; i < MAX_TXN; i++) {
		struct txn *x = &s->txns[i];
		struct obs o;

		if (!x->in_use)
			continue;
		stunc_obs_base(s, &o, kind, x->req.test);
		o.remote = x->req.dst;
		o.has |= OBS_HAS_REMOTE | OBS_HAS_TID;
		memcpy(o.tid, x->tid, STUN_TID_LEN);
		o.attempt = (uint16_t)x->attempt;
		o.err = err;
		snprintf(o.text, sizeof(o.text), "%s", text);
		stunc_txn_finish(x, np_ctx_record(s->ctx, &o) ? &s->ctx->log->v[s->ctx->log->n - 1] : &o);
		/* A callback may have freed s: the free is deferred (we are
		 * inside an entry point) and has released every txn. */
		if (s->dead || s->ntxn == 0)
			return;
	}
}

void stunc_conn_fail(struct stun_sock *s, int err, const char *text)
{
	struct obs o;

	s->state = CONN_FAILED;
	np_timer_stop(s->ctx->loop, &s->conn_timer);
	np_loop_del_fd(s->ctx->loop, s->fd);
	stunc_obs_base(s, &o, s->transport == NP_TLS && s->ssl ? OBS_TLS : OBS_CONNECT,
		 "connect");
	o.remote = s->peer;
	o.has |= OBS_HAS_REMOTE;
	o.err = err;
	snprintf(o.text, sizeof(o.text), "%s", text);
	np_ctx_record(s->ctx, &o);
	if (s->conn_cb)
		s->conn_cb(s, err, s->conn_arg);
}

/* Sending -------------------------------------------------------------- */

int stunc_stream_flush(struct stun_sock *s)
{
	while (s->wlen > 0) {
		ssize_t n;

		if (s->ssl) {
			int r = SSL_write(s->ssl, s->wbuf, (int)s->wlen);

			if (r <= 0) {
				int e = SSL_get_error(s->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					break;
				return NP_ETLS;
			}
			n = r;
		} else {
			n = send(s->fd, s->wbuf, s->wlen, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -errno;
			}
		}
		memmove(s->wbuf, s->wbuf + n, s->wlen - (size_t)n);
		s->wlen -= (size_t)n;
	}
	np_loop_mod_fd(s->ctx->loop, s->fd, EPOLLIN | (s->wlen ? EPOLLOUT : 0));
	return 0;
}

static int sock_send(struct stun_sock *s, const uint8_t *buf, size_t len,
		     const struct sockaddr_storage *dst)
{
	if (s->transport == NP_UDP) {
		if (sendto(s->fd, buf, len, 0, (const struct sockaddr *)dst,
			   np_addr_len(dst)) < 0)
			return -errno;
		return 0;
	}
	{
		size_t hdr = s->framing == STUN_FRAMING_RFC4571 ? 2 : 0;
		uint8_t *w = realloc(s->wbuf, s->wlen + hdr + len);

		if (!w)
			return NP_ENOMEM;
		if (hdr)
			np_put16(w + s->wlen, (uint16_t)len);
		memcpy(w + s->wlen + hdr, buf, len);
		s->wbuf = w;
		s->wlen += hdr + len;
	}
	if (s->state != CONN_READY)
		return 0;  /* flushed once connected */
	return stunc_stream_flush(s);
}

int stun_sock_send_raw(struct stun_sock *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_storage *dst)
{
	if (s->state == CONN_FAILED || s->dead)
		return NP_EINVAL;
	return sock_send(s, buf, len, s->transport == NP_UDP ? dst : &s->peer);
}

static void txn_timer(struct np_loop *loop, void *arg);

void stunc_txn_transmit(struct txn *x)
{
	struct stun_sock *s = x->sock;
	struct np_ctx *ctx = s->ctx;
	uint64_t now = np_loop_update_now(ctx->loop);
	uint64_t deadline;
	struct obs o;
	int err;

	x->attempt++;
	if (x->attempt == 1)
		x->first_us = now;
	x->last_us = now;
	err = sock_send(s, x->msg, x->msg_len, &x->req.dst);
	/* Stream transports do not retransmit (RFC 8489 §6.2.2): one wait. */
	if (s->transport != NP_UDP)
		deadline = x->first_us + x->max_wait_us;
	else if (x->attempt >= x->max_tries)
		/* RFC 8489 §6.2.1: after the last try, wait Rm (16) times
		 * the initial RTO. */
		deadline = now + (uint64_t)x->rto0_us * 16;
	else
		deadline = now + x->rto_us;
	if (deadline > x->first_us + x->max_wait_us)
		deadline = x->first_us + x->max_wait_us;
	stunc_obs_base(s, &o, x->attempt == 1 ? OBS_SENT : OBS_RETRANSMIT, x->req.test);
	o.remote = x->req.dst;
	o.has |= OBS_HAS_REMOTE | OBS_HAS_TID;
	memcpy(o.tid, x->tid, STUN_TID_LEN);
	o.method = x->req.method;
	o.cls = STUN_REQUEST;
	o.attempt = (uint16_t)x->attempt;
	o.rto_us = (uint32_t)(deadline - now);
	o.size = (uint32_t)x->msg_len;
	o.change = x->req.change;
	o.response_port = x->req.response_port;
	o.padding = x->req.padding;
	if (x->req.expect.ss_family) {
		o.source = x->req.expect;
		o.has |= OBS_HAS_SOURCE;
	}
	o.err = err;
	if (err)
		snprintf(o.text, sizeof(o.text), "send failed: %s", np_strerror(err));
	np_ctx_record(ctx, &o);
	x->rto_us *= 2;
	if (ctx->rto_max_us && x->rto_us > ctx->rto_max_us)
		x->rto_us = ctx->rto_max_us;
	np_timer_start(ctx->loop, &x->timer, deadline);
}

static void txn_timer(struct np_loop *loop, void *arg)
{
	struct txn *x = arg;
	uint64_t now = np_loop_now(loop);

	if (x->sock->transport == NP_UDP && x->attempt < x->max_tries &&
	    now < x->first_us + x->max_wait_us) {
		stunc_txn_transmit(x);
		return;
	}
	{
		struct stun_sock *s = x->sock;
		struct obs o, *r;

		stunc_obs_base(s, &o, OBS_TIMEOUT, x->req.test);
		o.remote = x->req.dst;
		o.has |= OBS_HAS_REMOTE | OBS_HAS_TID;
		memcpy(o.tid, x->tid, STUN_TID_LEN);
		o.attempt = (uint16_t)x->attempt;
		o.rtt_us = (uint32_t)(now - x->first_us);
		snprintf(o.text, sizeof(o.text),
			 "no response after %d %s (%.1f s)", x->attempt,
			 x->attempt == 1 ? "try" : "tries",
			 (double)(now - x->first_us) / 1e6);
		r = np_ctx_record(s->ctx, &o);
		stunc_sock_enter(s);
		stunc_txn_finish(x, r ? r : &o);
		stunc_sock_leave(s);
	}
}

int stun_sock_request(struct stun_sock *s, const struct stun_req *req,
		      stun_done_cb cb, void *arg)
{
	struct txn *x = NULL;
	struct stun_enc w;
	size_t cap = 256 + (size_t)req->padding + req->filler + req->attrs_len,
	       len;
	int err;

	if (s->state == CONN_FAILED)
		return NP_EINVAL;
	for (size_t i = 0; i < MAX_TXN; i++) {
		if (!s->txns[i].in_use) {
			x = &s->txns[i];
			break;
		}
	}
	if (!x)
		return NP_EFULL;
	memset(x, 0, sizeof(*x));
	x->msg = malloc(cap);
	if (!x->msg)
		return NP_ENOMEM;
	x->sock = s;
	x->req = *req;
	if (s->transport != NP_UDP)
		x->req.dst = s->peer;
	x->cb = cb;
	x->arg = arg;
	x->max_tries = req->max_tries ? req->max_tries : s->ctx->max_tries;
	x->max_wait_us = req->max_wait_us ? req->max_wait_us : s->ctx->max_wait_us;
	x->rto0_us = x->rto_us = np_ctx_rto(s->ctx);
	np_timer_init(&x->timer, txn_timer, x);
	if (req->tid_set)
		memcpy(x->tid, req->tid, STUN_TID_LEN);
	else
		stun_tid_random(x->tid);
	stun_enc_begin(&w, x->msg, cap, req->method, STUN_REQUEST, x->tid);
	if (req->change)
		stun_enc_change_request(&w, req->change);
	if (req->response_port)
		stun_enc_response_port(&w, req->response_port);
	if (req->padding) {
		uint8_t *zero = calloc(1, req->padding);

		if (!zero) {
			free(x->msg);
			return NP_ENOMEM;
		}
		stun_enc_attr(&w, STUN_ATTR_PADDING, zero, req->padding);
		free(zero);
	}
	if (req->filler) {
		uint8_t *fill = calloc(1, req->filler);

		if (!fill) {
			free(x->msg);
			return NP_ENOMEM;
		}
		stun_enc_attr(&w, STUN_ATTR_NATPROBE_FILLER, fill, req->filler);
		free(fill);
	}
	if (req->attrs_len) {
		/* Whole attributes, so appending keeps the length field right:
		 * the encoder's header update happens on the next append. */
		if (req->attrs_len % 4 || req->attrs_len > w.cap - w.len) {
			free(x->msg);
			return NP_EINVAL;
		}
		memcpy(w.buf + w.len, req->attrs, req->attrs_len);
		w.len += req->attrs_len;
		np_put16(w.buf + 2, (uint16_t)(w.len - STUN_HEADER_LEN));
	}
	x->req.attrs = NULL;
	x->req.attrs_len = 0;
	if (req->key_len > sizeof(req->key)) {
		free(x->msg);
		return NP_EINVAL;
	}
	if (req->key_len && req->integrity_sha256)
		stun_enc_integrity_sha256(&w, req->key, req->key_len);
	else if (req->key_len)
		stun_enc_integrity(&w, req->key, req->key_len);
	if (req->fingerprint)
		stun_enc_fingerprint(&w);
	err = stun_enc_end(&w, &len);
	if (err < 0) {
		free(x->msg);
		return err;
	}
	x->msg_len = len;
	x->in_use = 1;
	s->ntxn++;
	if (s->transport == NP_UDP || s->state == CONN_READY) {
		stunc_txn_transmit(x);
	} else {
		/* Sent once connected; the overall wait starts now. */
		x->first_us = np_loop_now(s->ctx->loop);
		x->attempt = 0;
		np_timer_start(s->ctx->loop, &x->timer, x->first_us + x->max_wait_us);
	}
	return 0;
}

/* Receiving ------------------------------------------------------------ */













