/*
 * serve_tcp.c - the responder's TCP and TLS connections.
 *
 * RFC 8489 §6.2.2: over TCP and TLS-over-TCP STUN messages follow one
 * another on the stream, each framed by its own header's length field. A
 * response goes back on the connection the request came in on (§6.3.1.2).
 *
 * Bounded by construction: at most TCP_MAX_CONNS connections, each with a
 * receive buffer of one largest message (TCP_MAX_MSG) and TCP_TX_CAP of
 * responses waiting to be written; a peer that stops reading stops being
 * read (we answer only when the answer fits). Anything that is not a STUN
 * message, a message larger than TCP_MAX_MSG, a TLS failure or TCP_IDLE_US
 * without a byte closes that connection, never the server. Each wakeup does
 * at most TCP_ROUNDS_PER_WAKEUP read rounds; leftover work resumes from a
 * timer armed for "now", so one busy peer cannot starve the others.
 */
#include "serve_impl.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/err.h>

#include "np_err.h"
#include "stun_codec.h"

#define SWEEP_US 1000000u

/* Result of one I/O step. */
enum { IO_OK = 0, IO_WANT_READ = 1, IO_WANT_WRITE = 2, IO_CLOSE = 3 };

static void conn_close(struct serve_conn *k)
{
	struct serve *s = k->s;

	if (k->fd < 0)
		return;
	np_timer_stop(s->loop, &k->resume);
	np_loop_del_fd(s->loop, k->fd);
	if (k->ssl) {
		SSL_free(k->ssl);
		k->ssl = NULL;
	}
	close(k->fd);
	k->fd = -1;
	free(k->rx);
	free(k->tx);
	k->rx = k->tx = NULL;
	s->nconns--;
}

static int conn_watch(struct serve_conn *k, uint32_t events)
{
	if (events == k->events)
		return 0;
	if (np_loop_mod_fd(k->s->loop, k->fd, events) < 0)
		return -1;
	k->events = events;
	return 0;
}

/* Maps an SSL result to an I/O step; counts a failed handshake. */
static int ssl_step(struct serve_conn *k, int r)
{
	switch (SSL_get_error(k->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return IO_WANT_WRITE;
	default:
		ERR_clear_error();
		return IO_CLOSE;
	}
}

/* Reads into rx; IO_OK with *n > 0 bytes, or why not. */
static int conn_read(struct serve_conn *k, size_t *n)
{
	size_t room = TCP_MAX_MSG - k->rxlen;
	ssize_t r;

	*n = 0;
	if (k->ssl) {
		size_t got = 0;
		int rc = SSL_read_ex(k->ssl, k->rx + k->rxlen, room, &got);

		if (rc != 1)
			return ssl_step(k, rc);
		*n = got;
		return IO_OK;
	}
	r = recv(k->fd, k->rx + k->rxlen, room, 0);
	if (r > 0) {
		*n = (size_t)r;
		return IO_OK;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return IO_WANT_READ;
	return IO_CLOSE; /* orderly close or error */
}

/* Writes what is pending; IO_OK when all of it went. */
static int conn_flush(struct serve_conn *k)
{
	while (k->txoff < k->txlen) {
		size_t left = k->txlen - k->txoff, done = 0;

		if (k->ssl) {
			int rc = SSL_write_ex(k->ssl, k->tx + k->txoff, left,
					      &done);

			if (rc != 1)
				return ssl_step(k, rc);
		} else {
			ssize_t r = send(k->fd, k->tx + k->txoff, left,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return IO_WANT_WRITE;
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return IO_CLOSE;
			done = (size_t)r;
		}
		k->txoff += done;
		k->s->c.bytes_out += done;
	}
	k->txoff = k->txlen = 0;
	return IO_OK;
}

/*
 * Answers every complete message in rx whose answer fits in tx. Returns -1
 * when the stream is not STUN (or a message is too large): close.
 */
static int conn_process(struct serve_conn *k)
{
	struct serve *s = k->s;
	size_t off = 0;
	int rc = 0;

	while (k->rxlen - off >= 4) {
		const uint8_t *p = k->rx + off;
		size_t avail = k->rxlen - off, flen;
		uint64_t bad_before;
		struct serve_req req;
		struct serve_out out;
		int r;

		/* RFC 8489 §6: "The most significant 2 bits of every STUN
		 * message MUST be zeroes"; anything else is not our stream. */
		if (p[0] & 0xC0) {
			rc = -1;
			break;
		}
		flen = stun_frame_len(p, avail);
		if (flen > TCP_MAX_MSG) {
			rc = -1;
			break;
		}
		if (avail < flen)
			break;
		/* Wait for room for the largest answer this could get. */
		if (TCP_TX_CAP - k->txlen < flen + s->cfg.max_growth)
			break;
		s->c.bytes_in += flen;
		if (!serve_rl_allow(&s->rl, (struct sockaddr *)&k->peer,
				    np_loop_now(s->loop))) {
			s->c.received++;
			s->c.rate_limited++;
			off += flen;
			continue;
		}
		req = (struct serve_req){
			.buf = p,
			.len = flen,
			.src = (const struct sockaddr *)&k->peer,
			.local_idx = k->local_idx,
			.transport = k->transport,
		};
		out = (struct serve_out){
			.buf = k->tx + k->txlen,
			.cap = TCP_TX_CAP - k->txlen,
		};
		bad_before = s->c.malformed;
		r = serve_respond(&s->cfg, &req, &out, &s->c);
		off += flen;
		if (s->c.malformed != bad_before) {
			rc = -1;
			break;
		}
		if (r == 1) {
			k->txlen += out.len;
			s->c.sent++;
		}
	}
	if (off) {
		memmove(k->rx, k->rx + off, k->rxlen - off);
		k->rxlen -= off;
	}
	return rc;
}

static void conn_resume_cb(struct np_loop *loop, void *arg);

/* Makes what progress it can, then says what to wait for. */
static void conn_run(struct serve_conn *k)
{
	struct serve *s = k->s;
	int step = IO_OK;

	k->last_us = np_loop_now(s->loop);
	if (k->ssl && !k->hs_done) {
		int rc = SSL_do_handshake(k->ssl);

		if (rc != 1) {
			step = ssl_step(k, rc);
			if (step == IO_CLOSE) {
				s->c.tls_failed++;
				s->c.tcp_closed_bad++;
				conn_close(k);
				return;
			}
			goto wait;
		}
		k->hs_done = 1;
		s->c.tls_ok++;
	}
	for (int round = 0; round < TCP_ROUNDS_PER_WAKEUP; round++) {
		size_t n;

		step = conn_flush(k);
		if (step != IO_OK)
			goto wait;
		/* Answer what is already buffered before reading more. */
		if (conn_process(k) < 0) {
			s->c.tcp_closed_bad++;
			conn_close(k);
			return;
		}
		if (k->txlen > 0)
			continue; /* flush, then process what is left */
		if (k->rxlen == TCP_MAX_MSG) {
			/* Cannot happen: a full buffer holds a whole message. */
			s->c.tcp_closed_bad++;
			conn_close(k);
			return;
		}
		step = conn_read(k, &n);
		if (step != IO_OK)
			goto wait;
		k->rxlen += n;
	}
	/* Budget spent with work possibly left (TLS may hold decrypted bytes
	 * that epoll cannot see): come back on the next iteration. */
	np_timer_start(s->loop, &k->resume, np_loop_now(s->loop));
	return;

wait:
	if (step == IO_CLOSE) {
		if (k->rxlen > 0)
			s->c.tcp_closed_bad++; /* a partial message */
		conn_close(k);
		return;
	}
	if (conn_watch(k, step == IO_WANT_WRITE ? EPOLLOUT : EPOLLIN) < 0)
		conn_close(k);
}

static void conn_resume_cb(struct np_loop *loop, void *arg)
{
	conn_run(arg);
}

static void conn_cb(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	conn_run(arg);
}

static void sweep_cb(struct np_loop *loop, void *arg)
{
	struct serve *s = arg;
	uint64_t now = np_loop_now(loop);

	for (size_t i = 0; i < TCP_MAX_CONNS; i++) {
		struct serve_conn *k = &s->conns[i];

		if (k->fd < 0)
			continue;
		if (k->ssl && !k->hs_done && now - k->start_us > TLS_HANDSHAKE_US) {
			s->c.tls_failed++;
			s->c.tcp_idle++;
			conn_close(k);
		} else if (now - k->last_us > TCP_IDLE_US) {
			s->c.tcp_idle++;
			conn_close(k);
		}
	}
	/* Listeners that ran out of descriptors try again. */
	if (s->paused) {
		for (size_t i = 0; i < s->nsocks; i++) {
			struct serve_sock *ss = &s->socks[i];

			if (ss->paused && np_loop_mod_fd(loop, ss->fd, EPOLLIN) == 0)
				ss->paused = 0;
		}
		s->paused = 0;
	}
	if (s->nconns > 0)
		np_timer_start(loop, &s->sweep, now + SWEEP_US);
}

static struct serve_conn *conn_slot(struct serve *s)
{
	if (s->nconns >= s->max_conns)
		return NULL;
	for (size_t i = 0; i < s->max_conns; i++)
		if (s->conns[i].fd < 0)
			return &s->conns[i];
	return NULL;
}

void serve_tcp_accept_cb(struct np_loop *loop, int lfd, uint32_t events,
			 void *arg)
{
	struct serve_sock *ss = arg;
	struct serve *s = ss->s;

	for (int i = 0; i < TCP_ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct serve_conn *k;
		int fd, one = 1;

		fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* The connection stays queued and epoll would report
			 * it again at once: rest this listener until the
			 * next sweep instead of spinning. */
			s->c.tcp_rejected++;
			if (np_loop_mod_fd(loop, lfd, 0) == 0) {
				ss->paused = 1;
				s->paused = 1;
				if (!np_timer_active(&s->sweep))
					np_timer_start(loop, &s->sweep,
						       np_loop_now(loop) +
							       SWEEP_US);
			}
			return;
		}
		if (fd < 0)
			return; /* EAGAIN, or ECONNABORTED and the like */
		k = conn_slot(s);
		if (!k || !serve_rl_allow(&s->rl, (struct sockaddr *)&peer,
					  np_loop_now(loop))) {
			s->c.tcp_rejected++;
			close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		memset(k, 0, sizeof(*k));
		k->fd = fd;
		k->s = s;
		k->transport = ss->transport;
		k->local_idx = ss->local_idx;
		k->peer = peer;
		k->start_us = k->last_us = np_loop_now(loop);
		np_timer_init(&k->resume, conn_resume_cb, k);
		k->rx = malloc(TCP_MAX_MSG);
		k->tx = malloc(TCP_TX_CAP);
		if (ss->transport == SERVE_TLS && s->tls) {
			k->ssl = SSL_new(s->tls);
			if (k->ssl && SSL_set_fd(k->ssl, fd) != 1) {
				SSL_free(k->ssl);
				k->ssl = NULL;
			}
			if (k->ssl)
				SSL_set_accept_state(k->ssl);
		}
		if (!k->rx || !k->tx ||
		    (ss->transport == SERVE_TLS && !k->ssl) ||
		    np_loop_add_fd(loop, fd, EPOLLIN, conn_cb, k) < 0) {
			if (k->ssl)
				SSL_free(k->ssl);
			free(k->rx);
			free(k->tx);
			close(fd);
			k->fd = -1;
			k->ssl = NULL;
			k->rx = k->tx = NULL;
			s->c.tcp_rejected++;
			ERR_clear_error();
			continue;
		}
		k->events = EPOLLIN;
		s->nconns++;
		s->c.tcp_conns++;
		if (!np_timer_active(&s->sweep))
			np_timer_start(loop, &s->sweep,
				       np_loop_now(loop) + SWEEP_US);
	}
}

int serve_tcp_init(struct serve *s)
{
	struct rlimit rl;

	/* Each connection is a descriptor: take what the hard limit allows
	 * (up to what we need), and hold fewer connections if that is not
	 * enough, keeping 64 for listeners and the rest. */
	s->max_conns = TCP_MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < TCP_MAX_CONNS + 64) {
			rlim_t want = TCP_MAX_CONNS + 64;

			if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
				want = rl.rlim_max;
			rl.rlim_cur = want;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < TCP_MAX_CONNS + 64)
			s->max_conns = rl.rlim_cur > 128 ? rl.rlim_cur - 64 :
								  rl.rlim_cur / 2;
	}
	s->conns = calloc(TCP_MAX_CONNS, sizeof(*s->conns));
	if (!s->conns)
		return NP_ENOMEM;
	for (size_t i = 0; i < TCP_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	np_timer_init(&s->sweep, sweep_cb, s);
	return 0;
}

void serve_tcp_dispose(struct serve *s)
{
	if (!s->conns)
		return;
	for (size_t i = 0; i < TCP_MAX_CONNS; i++)
		conn_close(&s->conns[i]);
	np_timer_stop(s->loop, &s->sweep);
	free(s->conns);
	s->conns = NULL;
}
