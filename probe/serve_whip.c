/*
 * serve_whip.c - the HTTP half of `natprobe serve --whip`: a non-blocking
 * listener and its connections on serve's event loop.
 *
 * Each connection reads into a buffer capped at one request
 * (HTTP_MAX_HEAD + HTTP_MAX_BODY) and hands every byte to
 * http_parse_request (probe/http_min.c); the request logic is
 * whip_handle (probe/whip.c). A POST of an offer waits, with reading
 * paused, while its session's agent gathers (serve_whip_sess.c), then
 * gets the 201. Connections are persistent (RFC 9112 §9.3) unless the
 * client says close or the request was malformed; requests are served one
 * at a time in order.
 *
 * The listener is in serve_whip_listen.c.
 *
 * Slowloris: a connection with no byte for idle_us, or whose request is
 * not complete request_us after its first byte, is closed. A client that
 * does not read its response is closed after idle_us too.
 */
#include "serve_whip_impl.h"
#include "np_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define IN_FIRST 4096
#define IN_CAP (HTTP_MAX_HEAD + HTTP_MAX_BODY)
#define OUT_CAP (WHIP_ANSWER_MAX + WHIP_RESPONSE_HEADROOM)

enum conn_state { C_READ, C_WAIT, C_WRITE, C_DEAD };

struct whip_conn {
	struct serve_whip *w;
	int fd;
	size_t slot;
	char peer[64];
	enum conn_state state;
	uint8_t *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff;
	int close_after;
	uint64_t last_us, req_start_us;
	struct np_timer timer;
	struct http_request req;
	struct whip_sess *sess;        /* the POST waiting for its answer */
	char created[WHIP_ID_LEN + 1]; /* the session the 201 being sent names */
};

static void conn_io(struct np_loop *loop, int fd, uint32_t ev, void *arg);
static void process(struct whip_conn *c);

void whip_logf(struct serve_whip *w, struct whip_sess *s, const char *fmt, ...)
{
	char line[512];
	size_t off;
	va_list ap;

	if (!w->o.log)
		return;
	if (s)
		off = (size_t)snprintf(line, sizeof(line), "whip#%u: ", s->serial);
	else
		off = (size_t)snprintf(line, sizeof(line), "whip: ");
	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	w->o.log(w->o.log_arg, line);
}

static uint64_t now_us(struct serve_whip *w)
{
	return np_loop_now(w->loop);
}

static void conn_arm(struct whip_conn *c)
{
	struct serve_whip *w = c->w;
	uint64_t d;

	if (c->state == C_DEAD)
		return;
	if (c->state == C_WAIT) {
		np_timer_stop(w->loop, &c->timer);
		return;
	}
	d = c->last_us + w->o.idle_us;
	if (c->state == C_READ && c->inlen &&
	    c->req_start_us + w->o.request_us < d)
		d = c->req_start_us + w->o.request_us;
	np_timer_start(w->loop, &c->timer, d);
}

static void conn_events(struct whip_conn *c)
{
	uint32_t ev = c->state == C_READ ? EPOLLIN :
		      c->state == C_WRITE ? EPOLLOUT : 0;

	if (c->state == C_DEAD)
		return;
	np_loop_mod_fd(c->w->loop, c->fd, ev);
	conn_arm(c);
}

static void conn_destroy(struct whip_conn *c)
{
	struct serve_whip *w = c->w;

	np_timer_stop(w->loop, &c->timer);
	if (c->fd >= 0) {
		np_loop_del_fd(w->loop, c->fd);
		close(c->fd);
	}
	if (w->conns[c->slot] == c)
		w->conns[c->slot] = NULL;
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_reap(struct np_loop *loop, void *arg)
{
	conn_destroy(arg);
}

/* Closes now, frees from a timer: callers up the stack may still look at
 * c (its state is C_DEAD). */
static void conn_close(struct whip_conn *c, const char *why)
{
	struct serve_whip *w = c->w;

	if (c->state == C_DEAD)
		return;
	if (why)
		whip_logf(w, c->sess, "%s: connection closed: %s", c->peer, why);
	if (c->sess) {
		c->sess->conn = NULL;
		whip_sess_end(c->sess, "the client went away before the answer");
		c->sess = NULL;
	}
	if (c->created[0] && c->outoff < c->outlen) {
		struct whip_sess *s = whip_sess_find(w, c->created);

		/* Nobody learnt its URL: nobody would DELETE it. */
		if (s)
			whip_sess_end(s, "the 201 could not be delivered");
	}
	np_timer_stop(w->loop, &c->timer);
	np_loop_del_fd(w->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->state = C_DEAD;
	np_timer_init(&c->timer, conn_reap, c);
	np_timer_start(w->loop, &c->timer, np_loop_now(w->loop));
}

static void count_status(struct serve_whip *w, int status)
{
	if (status == 201)
		w->c.created++;
	if (status < 400)
		return;
	w->c.refused++;
	if (status == 413)
		w->c.too_large++;
	if (status == 503)
		w->c.busy++;
}

/* Starts sending out[outlen]; takes the buffer. */
static void send_out(struct whip_conn *c, char *out, size_t len)
{
	free(c->out);
	c->out = out;
	c->outlen = len;
	c->outoff = 0;
	c->state = C_WRITE;
	c->last_us = now_us(c->w);
	/* Written when the loop says the socket is writable (next turn). */
	conn_events(c);
}

/* A response of our own (not whip_handle's): text/plain, one line. */
static void simple(struct whip_conn *c, int status, const char *text,
		   int close_after)
{
	const char *hdrs[] = { "Content-Type", "text/plain; charset=utf-8",
			       close_after ? "Connection" : NULL, "close",
			       NULL };
	char body[600], *out = malloc(2048);
	size_t n, len = 0;

	if (!out) {
		conn_close(c, "out of memory");
		return;
	}
	n = (size_t)snprintf(body, sizeof(body), "%s\n", text);
	if (n >= sizeof(body))
		n = sizeof(body) - 1;
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)body[i] < 0x20)
			body[i] = ' ';
	if (http_write_response(out, 2048, &len, status, hdrs, body, n) < 0) {
		free(out);
		conn_close(c, "cannot write a response");
		return;
	}
	count_status(c->w, status);
	whip_logf(c->w, c->sess, "%s: %s %s -> %d (%s)", c->peer,
		  c->req.method[0] ? c->req.method : "?",
		  c->req.target[0] ? c->req.target : "?", status, text);
	c->close_after |= close_after;
	send_out(c, out, len);
}

/* whip_handle's answer callback for requests that are not new offers
 * (it is never called for them: kept for the signature). */
static int no_answer(void *arg, const char *id, const char *offer,
		     size_t len, char *answer, size_t cap, size_t *alen,
		     char *why, size_t wlen)
{
	snprintf(why, wlen, "no session is being set up");
	return NP_EINVAL;
}

/* Runs whip_handle and sends what it wrote. */
static void handle(struct whip_conn *c, whip_answer_fn fn, void *arg)
{
	struct serve_whip *w = c->w;
	struct whip_event ev;
	char *out = malloc(OUT_CAP);
	size_t len = 0;

	if (!out) {
		conn_close(c, "out of memory");
		return;
	}
	if (whip_handle(&w->ep, &c->req, fn, arg, out, OUT_CAP, &len,
			&ev) < 0) {
		free(out);
		conn_close(c, "cannot write a response");
		return;
	}
	count_status(w, ev.status);
	if (ev.kind == WHIP_EV_CREATED)
		memcpy(c->created, ev.id, sizeof(c->created));
	if (ev.kind == WHIP_EV_DELETED) {
		struct whip_sess *s = whip_sess_find(w, ev.id);

		w->c.deleted++;
		whip_logf(w, s, "%s: DELETE %s -> 200", c->peer, c->req.target);
		if (s)
			whip_sess_end(s, "DELETE");
	} else if (ev.kind != WHIP_EV_CREATED) {
		whip_logf(w, c->sess, "%s: %s %s -> %d", c->peer,
			  c->req.method, c->req.target, ev.status);
	}
	send_out(c, out, len);
}

static int is_offer(const struct serve_whip *w, const struct http_request *r)
{
	size_t tlen = strcspn(r->target, "?");

	return !strcmp(r->method, "POST") && tlen == strlen(w->ep.path) &&
	       !strncmp(r->target, w->ep.path, tlen) &&
	       !strcmp(r->f.content_type, "application/sdp") && r->f.body_len;
}

size_t whip_live_sessions(const struct serve_whip *w)
{
	size_t n = 0;

	for (size_t i = 0; i < WHIP_MAX_SESSIONS; i++)
		n += w->sess[i] != NULL;
	return n;
}

/* A complete request is in c->req. */
static void request(struct whip_conn *c)
{
	struct serve_whip *w = c->w;
	struct whip_sess *s = NULL;
	char why[512];
	int rc;

	w->c.requests++;
	if (c->req.f.conn_close || c->req.f.version_minor == 0)
		c->close_after = 1;
	if (!is_offer(w, &c->req)) {
		handle(c, no_answer, NULL);
		return;
	}
	/* Sessions still gathering or closing count: each holds sockets. */
	if (whip_live_sessions(w) >= WHIP_MAX_SESSIONS) {
		simple(c, 503, "too many WHIP sessions; DELETE one first", 0);
		return;
	}
	rc = whip_sess_new(w, c, c->peer, (const char *)c->req.f.body,
			   c->req.f.body_len, &s, why, sizeof(why));
	if (rc < 0) {
		simple(c, rc == NP_EINVAL ? 400 : 500, why, 0);
		return;
	}
	c->sess = s;
	c->state = C_WAIT;
	conn_events(c);
}

void whip_conn_answer_ready(struct whip_conn *c)
{
	struct whip_sess *s = c->sess;

	c->sess = NULL;
	s->conn = NULL;
	handle(c, whip_sess_answer, s);
	/* whip_sess_answer named the session when the 201 went out. */
	if (!s->id[0])
		whip_sess_end(s, "the answer was not sent");
}

/* Parses what has arrived; acts on a complete request. */
static void process(struct whip_conn *c)
{
	char why[256] = "";
	int rc;

	if (c->state != C_READ || !c->inlen)
		return;
	rc = http_parse_request(c->in, c->inlen, &c->req, why, sizeof(why));
	if (rc == NP_ETRUNCATED)
		return;
	if (rc == 0) {
		request(c);
		return;
	}
	memset(&c->req, 0, sizeof(c->req));
	/* A body over the cap is 413 (RFC 9110 §15.5.14); any other
	 * malformed or oversized head is 400. Either way the stream can no
	 * longer be framed: close after the response. */
	simple(c, rc == NP_EFULL && strstr(why, "body") ? 413 : 400, why, 1);
}

static void on_read(struct whip_conn *c)
{
	for (int i = 0; i < 8 && c->state == C_READ; i++) {
		ssize_t n;

		if (c->inlen == c->incap) {
			size_t cap = c->incap ? c->incap * 2 : IN_FIRST;
			uint8_t *p;

			if (cap > IN_CAP)
				cap = IN_CAP;
			if (cap == c->incap) {
				/* Cannot happen: the parser refuses first. */
				simple(c, 413, "request larger than the cap", 1);
				return;
			}
			p = realloc(c->in, cap);
			if (!p) {
				conn_close(c, "out of memory");
				return;
			}
			c->in = p;
			c->incap = cap;
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, strerror(errno));
			return;
		}
		if (n == 0) {
			conn_close(c, c->inlen ? "the client closed mid-request"
					       : NULL);
			return;
		}
		if (!c->inlen)
			c->req_start_us = now_us(c->w);
		c->inlen += (size_t)n;
		c->last_us = now_us(c->w);
		process(c);
		if (c->state == C_READ)
			conn_arm(c);
	}
}

/* The response is out: next request, or close. */
static void written(struct whip_conn *c)
{
	size_t used = c->req.f.total;

	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->created[0] = '\0';
	if (c->close_after || used > c->inlen) {
		conn_close(c, NULL);
		return;
	}
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	memset(&c->req, 0, sizeof(c->req));
	c->state = C_READ;
	c->last_us = c->req_start_us = now_us(c->w);
	conn_events(c);
	process(c);
}

static void on_write(struct whip_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, strerror(errno));
			return;
		}
		c->outoff += (size_t)n;
		c->last_us = now_us(c->w);
		conn_arm(c);
	}
	written(c);
}

static void conn_io(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct whip_conn *c = arg;

	if (c->state == C_WRITE) {
		on_write(c);
		return;
	}
	if (c->state == C_READ) {
		on_read(c);
		return;
	}
	/* Waiting for the answer: only hang-ups are reported. */
	if (ev & (EPOLLHUP | EPOLLERR))
		conn_close(c, "hang-up while the answer was gathered");
}

static void conn_timeout(struct np_loop *loop, void *arg)
{
	struct whip_conn *c = arg;
	uint64_t now = np_loop_now(loop);
	char why[160];

	c->w->c.idle_closed++;
	if (c->state == C_READ && c->inlen &&
	    now >= c->req_start_us + c->w->o.request_us)
		snprintf(why, sizeof(why),
			 "request incomplete after %.1f s (%zu bytes)",
			 (double)(now - c->req_start_us) / 1e6, c->inlen);
	else
		snprintf(why, sizeof(why), "idle %.1f s (%s, %zu bytes in)",
			 (double)(now - c->last_us) / 1e6,
			 c->state == C_WRITE ? "not reading our response" :
			 c->inlen ? "a partial request" : "no request",
			 c->inlen);
	conn_close(c, why);
}

int whip_conn_new(struct serve_whip *w, int fd,
		  const struct sockaddr_storage *peer, size_t slot)
{
	struct whip_conn *c = calloc(1, sizeof(*c));

	if (!c || np_loop_add_fd(w->loop, fd, EPOLLIN, conn_io, c) < 0) {
		free(c);
		return NP_ENOMEM;
	}
	c->w = w;
	c->fd = fd;
	c->slot = slot;
	np_addr_str(peer, c->peer, sizeof(c->peer));
	c->last_us = np_loop_now(w->loop);
	np_timer_init(&c->timer, conn_timeout, c);
	w->conns[slot] = c;
	conn_arm(c);
	return 0;
}

void whip_conn_free(struct whip_conn *c)
{
	c->sess = NULL;
	conn_destroy(c);
}
