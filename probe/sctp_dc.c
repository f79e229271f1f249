/*
 * sctp_dc.c - the usrsctp glue of sctp_dc.h: one library-wide state (usrsctp
 * is global), associations over AF_CONN, the packet queue back to the
 * loop, reading messages and notifications.
 */
#include "sctp_dc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <usrsctp.h>

#include "dcep.h"
#include "np_err.h"
#include "sctp_dc_impl.h"

#define TICK_US 10000

/*
 * The one piece of process-wide state: usrsctp itself is a global library.
 * The lock guards this table and every association's output queue; it is
 * never held across a usrsctp call (usrsctp calls back into conn_output
 * while holding its own locks).
 */
static struct {
	pthread_mutex_t mu;
	int inited;
	unsigned users;
	uint64_t last_tick_us;
	uint32_t gen;
	struct sctp_dc *slot[SCTP_DC_MAX_ASSOCS];
} g_sdc = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* Called with g_sdc.mu held; the id carries slot + 1 in its low byte. */
static struct sctp_dc *lookup(void *addr)
{
	uintptr_t id = (uintptr_t)addr;
	unsigned slot = (unsigned)(id & 0xff);

	if (slot == 0 || slot > SCTP_DC_MAX_ASSOCS)
		return NULL;
	struct sctp_dc *s = g_sdc.slot[slot - 1];

	return s && s->id == id ? s : NULL;
}

static void wake(struct sctp_dc *s)
{
	uint64_t one = 1;

	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: the loop will wake. */
	}
}

/* usrsctp's output: from any thread, inside usrsctp calls. Queue only. */
static int conn_output(void *addr, void *buf, size_t len, uint8_t tos,
		       uint8_t set_df)
{
	struct sctp_dc *s;
	struct sdc_pkt *p = NULL;

	if (len > SCTP_DC_PACKET_MAX)
		return 0;
	pthread_mutex_lock(&g_sdc.mu);
	s = lookup(addr);
	if (s && s->q_n >= SCTP_DC_QUEUE_MAX) {
		s->q_dropped++;
	} else if (s && (p = malloc(sizeof(*p) + len)) != NULL) {
		p->next = NULL;
		p->len = len;
		memcpy(p->data, buf, len);
		if (s->q_tail)
			s->q_tail->next = p;
		else
			s->q_head = p;
		s->q_tail = p;
		s->q_n++;
	}
	if (s)
		wake(s);
	pthread_mutex_unlock(&g_sdc.mu);
	return 0;
}

static void upcall(struct socket *sock, void *arg, int flags)
{
	struct sctp_dc *s;

	pthread_mutex_lock(&g_sdc.mu);
	s = lookup(arg);
	if (s)
		wake(s);
	pthread_mutex_unlock(&g_sdc.mu);
}

void sdc_obs(struct sctp_dc *s, struct obs *o, enum obs_kind k,
	     const char *test)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->transport = NP_UDP;
	snprintf(o->test, sizeof(o->test), "%s", test);
	snprintf(o->server, sizeof(o->server), "%s", s->name);
}

void sdc_emit(struct sctp_dc *s, struct sctp_dc_event *ev)
{
	if (s->cb)
		s->cb(s, ev, s->arg);
}

/* Sends what usrsctp queued, in order, from the loop. */
static void flush_out(struct sctp_dc *s)
{
	struct sdc_pkt *p, *next;
	unsigned dropped;

	pthread_mutex_lock(&g_sdc.mu);
	p = s->q_head;
	s->q_head = s->q_tail = NULL;
	s->q_n = 0;
	dropped = s->q_dropped;
	pthread_mutex_unlock(&g_sdc.mu);
	if (dropped && !s->q_noted) {
		struct obs o;

		s->q_noted = 1;
		sdc_obs(s, &o, OBS_ERROR, "sctp.queue");
		o.err = NP_EFULL;
		snprintf(o.text, sizeof(o.text),
			 "output queue full (%d packets): SCTP packets dropped "
			 "(SCTP retransmits them)", SCTP_DC_QUEUE_MAX);
		np_ctx_record(s->ctx, &o);
	}
	for (; p; p = next) {
		next = p->next;
		s->send(s->arg, p->data, p->len);
		free(p);
	}
}

static void assoc_change(struct sctp_dc *s, const struct sctp_assoc_change *c)
{
	struct sctp_dc_event ev = { 0 };
	struct obs o;

	switch (c->sac_state) {
	case SCTP_COMM_UP:
		if (s->up)
			return;
		s->up = 1;
		s->out_streams = c->sac_outbound_streams;
		sdc_obs(s, &o, OBS_CONNECT, "sctp.assoc");
		snprintf(o.text, sizeof(o.text),
			 "SCTP association up, port %u -> %u, streams in %u "
			 "out %u", s->local_port, s->remote_port,
			 c->sac_inbound_streams, c->sac_outbound_streams);
		np_ctx_record(s->ctx, &o);
		ev.kind = SCTP_DC_EV_UP;
		sdc_emit(s, &ev);
		return;
	case SCTP_RESTART:
		sdc_obs(s, &o, OBS_NOTE, "sctp.assoc");
		snprintf(o.text, sizeof(o.text), "the peer restarted the "
			 "SCTP association");
		sdc_record_peer(s, &o);
		return;
	case SCTP_COMM_LOST:
	case SCTP_CANT_STR_ASSOC:
	case SCTP_SHUTDOWN_COMP:
		break;
	default:
		return;
	}
	if (s->failed)
		return;
	s->failed = 1;
	s->up = 0;
	if (c->sac_state == SCTP_CANT_STR_ASSOC) {
		ev.err = NP_ETIMEOUT;
		ev.reason = "SCTP association could not start (INIT or "
			    "COOKIE-ECHO unanswered)";
		sdc_obs(s, &o, OBS_TIMEOUT, "sctp.assoc");
	} else if (c->sac_state == SCTP_SHUTDOWN_COMP) {
		ev.err = 0;
		ev.reason = "SCTP association shut down by the peer";
		sdc_obs(s, &o, OBS_NOTE, "sctp.assoc");
	} else if (c->sac_error) {
		ev.err = NP_ETLS;
		ev.reason = "SCTP association aborted";
		sdc_obs(s, &o, OBS_NOTE, "sctp.assoc");
	} else {
		ev.err = NP_ETIMEOUT;
		ev.reason = "SCTP association lost (retransmissions ran out)";
		sdc_obs(s, &o, OBS_TIMEOUT, "sctp.assoc");
	}
	o.err = ev.err;
	snprintf(o.text, sizeof(o.text), "%s (state %u, cause %u)", ev.reason,
		 c->sac_state, c->sac_error);
	np_ctx_record(s->ctx, &o);
	ev.kind = SCTP_DC_EV_FAILED;
	sdc_emit(s, &ev);
}

/* A notification as usrsctp wrote it (its own bytes, not the peer's),
 * copied so its structs are aligned; lengths still checked. */
static void notification(struct sctp_dc *s, const uint8_t *buf, size_t len)
{
	union {
		union sctp_notification n;
		uint8_t raw[2048];
	} u;
	const struct sctp_stream_reset_event *r = &u.n.sn_strreset_event;
	size_t count;

	if (len < sizeof(u.n.sn_header) || len > sizeof(u))
		return;
	memcpy(&u, buf, len);
	if (u.n.sn_header.sn_length > len)
		return;
	switch (u.n.sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len >= sizeof(struct sctp_assoc_change))
			assoc_change(s, &u.n.sn_assoc_change);
		break;
	case SCTP_STREAM_RESET_EVENT:
		if (u.n.sn_header.sn_length < sizeof(*r) ||
		    (r->strreset_flags & (SCTP_STREAM_RESET_DENIED |
					  SCTP_STREAM_RESET_FAILED)))
			break;
		count = (u.n.sn_header.sn_length - sizeof(*r)) / 2;
		for (size_t i = 0; i < count; i++)
			sdc_on_stream_reset(s, r->strreset_stream_list[i],
					    !!(r->strreset_flags &
					       SCTP_STREAM_RESET_INCOMING_SSN));
		break;
	default:
		break;
	}
}

/* Reads every message and notification usrsctp holds for us. */
static void read_all(struct sctp_dc *s)
{
	for (int budget = 0; budget < 4096; budget++) {
		struct sctp_rcvinfo info;
		socklen_t infolen = sizeof(info);
		unsigned infotype = 0;
		int flags = 0;
		uint8_t scratch[2048];
		uint8_t *dst = s->rdiscard ? scratch : s->rbuf + s->rlen;
		size_t room = s->rdiscard ? sizeof(scratch) :
			      SCTP_DC_MSG_MAX + 1 - s->rlen;
		ssize_t n;

		memset(&info, 0, sizeof(info));
		n = usrsctp_recvv(s->sock, dst, room, NULL, NULL, &info,
				  &infolen, &infotype, &flags);
		if (n <= 0)
			return;
		if (flags & MSG_NOTIFICATION) {
			/* Notifications fit one read (they are small); a
			 * partial one is dropped. A message being
			 * reassembled is left as it is. */
			if (flags & MSG_EOR)
				notification(s, dst, (size_t)n);
			continue;
		}
		uint16_t sid = infotype == SCTP_RECVV_RCVINFO ? info.rcv_sid : 0;
		uint32_t ppid = infotype == SCTP_RECVV_RCVINFO ?
				ntohl(info.rcv_ppid) : 0;

		if (!s->rdiscard)
			s->rlen += (size_t)n;
		if (!s->rdiscard && s->rlen > SCTP_DC_MSG_MAX) {
			s->rdiscard = 1;
			sdc_on_oversize(s, sid, ppid);
		}
		if (!(flags & MSG_EOR))
			continue;
		if (!s->rdiscard)
			sdc_on_message(s, sid, ppid, s->rbuf, s->rlen);
		s->rlen = 0;
		s->rdiscard = 0;
	}
}

static void pump(struct sctp_dc *s)
{
	read_all(s);
	flush_out(s);
}

static void on_wake(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct sctp_dc *s = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: woken for nothing. */
	}
	pump(s);
}

/* usrsctp runs without its timer thread: every association's tick drives
 * the library's clock by the real time elapsed since the last tick. */
static void on_tick(struct np_loop *loop, void *arg)
{
	struct sctp_dc *s = arg;
	uint64_t now = np_monotonic_us(), ms = 0;

	pthread_mutex_lock(&g_sdc.mu);
	if (now > g_sdc.last_tick_us + 1000) {
		ms = (now - g_sdc.last_tick_us) / 1000;
		g_sdc.last_tick_us += ms * 1000;
	}
	pthread_mutex_unlock(&g_sdc.mu);
	if (ms)
		usrsctp_handle_timers((uint32_t)(ms > 1000 ? 1000 : ms));
	np_timer_start(loop, &s->tick, np_loop_now(loop) + TICK_US);
}

static int lib_acquire(struct sctp_dc *s)
{
	int err = 0;

	pthread_mutex_lock(&g_sdc.mu);
	unsigned i;

	for (i = 0; i < SCTP_DC_MAX_ASSOCS && g_sdc.slot[i]; i++)
		;
	if (i == SCTP_DC_MAX_ASSOCS) {
		err = NP_EFULL;
		goto out;
	}
	if (!g_sdc.inited) {
		/* No threads: no raw SCTP sockets, timers on our loop. */
		usrsctp_init_nothreads(0, conn_output, NULL);
		usrsctp_sysctl_set_sctp_ecn_enable(0);
		usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
		g_sdc.inited = 1;
		g_sdc.last_tick_us = np_monotonic_us();
	}
	g_sdc.users++;
	g_sdc.gen++;
	s->slot = i;
	s->id = ((uintptr_t)(g_sdc.gen & 0xffffff) << 8) | (i + 1);
	g_sdc.slot[i] = s;
out:
	pthread_mutex_unlock(&g_sdc.mu);
	return err;
}

static void lib_release(struct sctp_dc *s)
{
	int last;

	pthread_mutex_lock(&g_sdc.mu);
	g_sdc.slot[s->slot] = NULL;
	last = --g_sdc.users == 0;
	pthread_mutex_unlock(&g_sdc.mu);
	if (!last)
		return;
	/* usrsctp_finish fails while a socket is still being torn down;
	 * drive its timers a little and try again. */
	for (int i = 0; i < 50; i++) {
		if (usrsctp_finish() == 0) {
			pthread_mutex_lock(&g_sdc.mu);
			if (g_sdc.users == 0)
				g_sdc.inited = 0;
			pthread_mutex_unlock(&g_sdc.mu);
			return;
		}
		usrsctp_handle_timers(100);
	}
}

static int sockopt(struct sctp_dc *s, int level, int name, const void *v,
		   socklen_t len)
{
	return usrsctp_setsockopt(s->sock, level, name, v, len) < 0 ?
	       -errno : 0;
}

static int setup_socket(struct sctp_dc *s)
{
	static const uint16_t events[] = {
		SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
	};
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC,
				       .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ };
	struct sctp_initmsg im = { .sinit_num_ostreams = SCTP_DC_STREAMS,
				   .sinit_max_instreams = SCTP_DC_STREAMS,
				   .sinit_max_attempts = 8,
				   .sinit_max_init_timeo = 4000 };
	struct sctp_rtoinfo rto = { .srto_assoc_id = SCTP_FUTURE_ASSOC,
				    .srto_initial = 1000, .srto_max = 4000,
				    .srto_min = 200 };
	struct sctp_paddrparams pp;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int on = 1, bufsz = 1024 * 1024, err;

	if (usrsctp_set_non_blocking(s->sock, 1) < 0)
		return -errno;
	if ((err = sockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) ||
	    (err = sockopt(s, SOL_SOCKET, SO_RCVBUF, &bufsz,
			   sizeof(bufsz))) ||
	    (err = sockopt(s, SOL_SOCKET, SO_SNDBUF, &bufsz,
			   sizeof(bufsz))) ||
	    (err = sockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on,
			   sizeof(on))) ||
	    (err = sockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on))) ||
	    (err = sockopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av,
			   sizeof(av))) ||
	    (err = sockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im))) ||
	    (err = sockopt(s, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto))))
		return err;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct sctp_event e = { .se_assoc_id = SCTP_FUTURE_ASSOC,
					.se_type = events[i], .se_on = 1 };

		if ((err = sockopt(s, IPPROTO_SCTP, SCTP_EVENT, &e, sizeof(e))))
			return err;
	}
	/* Fixed path MTU under the DTLS datagram: no PMTU discovery. */
	memset(&pp, 0, sizeof(pp));
	pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
	pp.spp_flags = SPP_PMTUD_DISABLE;
	pp.spp_pathmtu = SCTP_DC_MTU;
	return sockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp));
}

static int start(struct sctp_dc *s)
{
	struct sockaddr_conn sc;
	int err;

	s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL,
				 NULL, 0, NULL);
	if (!s->sock)
		return errno ? -errno : NP_EINTERNAL;
	usrsctp_register_address((void *)s->id);
	if ((err = setup_socket(s)) != 0)
		return err;
	usrsctp_set_upcall(s->sock, upcall, (void *)s->id);
	memset(&sc, 0, sizeof(sc));
	sc.sconn_family = AF_CONN;
	sc.sconn_port = htons(s->local_port);
	sc.sconn_addr = (void *)s->id;
	if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof(sc)) < 0)
		return -errno;
	sc.sconn_port = htons(s->remote_port);
	/* Both sides connect; SCTP resolves the INIT collision (RFC 4960
	 * §5.2.1). */
	if (usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof(sc)) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	return 0;
}

int sctp_dc_new(struct np_ctx *ctx, int is_client, uint16_t local_port,
		uint16_t remote_port, sctp_dc_send_fn send, sctp_dc_event_fn cb,
		void *arg, struct sctp_dc **out)
{
	struct sctp_dc *s;
	int err;

	*out = NULL;
	if (!ctx || !send || !local_port || !remote_port)
		return NP_EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return NP_ENOMEM;
	s->ctx = ctx;
	s->is_client = !!is_client;
	s->local_port = local_port;
	s->remote_port = remote_port;
	s->send = send;
	s->cb = cb;
	s->arg = arg;
	s->efd = -1;
	s->next_stream = is_client ? 0 : 1;
	snprintf(s->name, sizeof(s->name), "sctp:%u", local_port);
	np_timer_init(&s->tick, on_tick, s);
	np_timer_init(&s->probe.timer, NULL, s);
	if (!(s->rbuf = malloc(SCTP_DC_MSG_MAX + 1))) {
		free(s);
		return NP_ENOMEM;
	}
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		err = -errno;
		free(s->rbuf);
		free(s);
		return err;
	}
	if ((err = lib_acquire(s)) != 0) {
		close(s->efd);
		free(s->rbuf);
		free(s);
		return err;
	}
	if ((err = np_loop_add_fd(ctx->loop, s->efd, EPOLLIN, on_wake, s)) ||
	    (err = start(s))) {
		sctp_dc_free(s);
		return err;
	}
	np_timer_start(ctx->loop, &s->tick, np_loop_now(ctx->loop) + TICK_US);
	*out = s;
	return 0;
}

void sctp_dc_set_name(struct sctp_dc *s, const char *name)
{
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
}

int sctp_dc_input(struct sctp_dc *s, const uint8_t *buf, size_t len)
{
	if (!s || !buf || len == 0 || len > SCTP_DC_PACKET_MAX)
		return NP_EINVAL;
	/* Replies and messages come back through the eventfd. */
	usrsctp_conninput((void *)s->id, buf, len, 0);
	return 0;
}

int sctp_dc_is_up(const struct sctp_dc *s)
{
	return s->up;
}

void sctp_dc_set_echo(struct sctp_dc *s, int on)
{
	s->echo = !!on;
}

void sctp_dc_free(struct sctp_dc *s)
{
	if (!s)
		return;
	np_timer_stop(s->ctx->loop, &s->tick);
	sdc_probe_dispose(s);
	if (s->sock) {
		usrsctp_set_upcall(s->sock, NULL, NULL);
		/* SO_LINGER 0: ABORT now, nothing left behind in usrsctp. */
		usrsctp_close(s->sock);
		s->sock = NULL;
	}
	usrsctp_deregister_address((void *)s->id);
	lib_release(s);
	/* Sends the ABORT (the owner's transport must still be alive). */
	flush_out(s);
	np_loop_del_fd(s->ctx->loop, s->efd);
	close(s->efd);
	free(s->rbuf);
	free(s);
}
