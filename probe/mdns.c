/*
 * mdns.c - a one-shot mDNS resolver on the event loop (RFC 6762 §5): the
 * query goes to 224.0.0.251:5353 from port 5353 when it is free (so
 * responders that answer only by multicast are heard), else from an
 * ephemeral port (a "legacy unicast" query, answered by unicast, §6.7).
 */
#include "mdns.h"
#include "np_err.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MDNS_GROUP4 0xE00000FBu   /* 224.0.0.251 */

struct pending {
	char name[MDNS_NAME_MAX + 1];
	uint64_t started, deadline;
	unsigned sent;
	int in_use;
};

struct mdns {
	struct np_ctx *ctx;
	int fd;                 /* queries, and unicast answers */
	int mfd;                /* multicast answers on 5353, or -1 */
	mdns_cb cb;
	void *arg;
	struct np_timer timer;
	struct pending p[MDNS_MAX_PENDING];
};

static void record(struct mdns *m, enum obs_kind k, const char *name,
		   const struct sockaddr_storage *peer, const char *text)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = k;
	snprintf(o.test, sizeof(o.test), "ice.mdns");
	snprintf(o.server, sizeof(o.server), "%s", name);
	if (peer && peer->ss_family) {
		o.remote = *peer;
		o.has |= OBS_HAS_REMOTE;
	}
	snprintf(o.text, sizeof(o.text), "%s", text);
	np_ctx_record(m->ctx, &o);
}

static void group(struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(MDNS_PORT);
	s4->sin_addr.s_addr = htonl(MDNS_GROUP4);
}

/* Multicast goes out of one interface per send (the default route's
 * unless told): the query is sent on every multicast-capable IPv4
 * interface, since the peer is on the link, not behind the route. */
static void send_query(struct mdns *m, struct pending *p)
{
	struct sockaddr_storage to;
	struct ifaddrs *ifa = NULL, *i;
	uint8_t buf[600];
	int n = mdns_query_encode(buf, sizeof(buf), p->name), sent = 0;
	char text[OBS_TEXT];

	group(&to);
	p->sent++;
	if (n <= 0 || getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct ip_mreqn mr;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_MULTICAST) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)if_nametoindex(i->ifa_name);
		mr.imr_address = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		if (setsockopt(m->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
			continue;
		if (sendto(m->fd, buf, (size_t)n, 0, (struct sockaddr *)&to,
			   sizeof(struct sockaddr_in)) == n)
			sent++;
	}
	freeifaddrs(ifa);
	snprintf(text, sizeof(text), "mDNS query for A and AAAA on %d interface(s)",
		 sent);
	record(m, p->sent > 1 ? OBS_RETRANSMIT : OBS_SENT, p->name, &to, text);
}

/* Joins 224.0.0.251 on every IPv4 interface, so multicast answers are
 * heard whichever link the responder is on. */
static void join_all(int fd)
{
	struct ifaddrs *ifa = NULL, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct ip_mreqn mr;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_MULTICAST))
			continue;
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr.s_addr = htonl(MDNS_GROUP4);
		mr.imr_ifindex = (int)if_nametoindex(i->ifa_name);
		/* Fails without a multicast route: unicast answers still
		 * arrive. */
		setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	}
	freeifaddrs(ifa);
}

static uint64_t next_send(const struct pending *p)
{
	/* 0, 250, 750 ms, as RFC 6762 §5.2 spaces them, and 1.5 s: a
	 * responder that has just announced the name may not multicast it
	 * again within a second (§6). */
	static const uint64_t at[] = { 0, 250000, 750000, 1500000 };

	return p->sent < 4 ? p->started + at[p->sent] : UINT64_MAX;
}

static void rearm(struct mdns *m)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < MDNS_MAX_PENDING; i++) {
		const struct pending *p = &m->p[i];
		uint64_t t;

		if (!p->in_use)
			continue;
		t = next_send(p) < p->deadline ? next_send(p) : p->deadline;
		if (t < next)
			next = t;
	}
	if (next == UINT64_MAX)
		np_timer_stop(m->ctx->loop, &m->timer);
	else
		np_timer_start(m->ctx->loop, &m->timer, next);
}

static void finish(struct mdns *m, struct pending *p,
		   const struct sockaddr_storage *addr)
{
	char name[MDNS_NAME_MAX + 1];

	memcpy(name, p->name, sizeof(name));
	p->in_use = 0;
	m->cb(m->arg, name, addr);
}

static void on_timer(struct np_loop *loop, void *arg)
{
	struct mdns *m = arg;
	uint64_t now = np_loop_now(loop);

	for (size_t i = 0; i < MDNS_MAX_PENDING; i++) {
		struct pending *p = &m->p[i];

		if (!p->in_use)
			continue;
		if (now >= p->deadline) {
			record(m, OBS_TIMEOUT, p->name, NULL,
			       "no mDNS answer: the name is not resolvable on this link");
			finish(m, p, NULL);
			continue;
		}
		if (now >= next_send(p))
			send_query(m, p);
	}
	rearm(m);
}

static void on_io(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct mdns *m = arg;

	for (int k = 0; k < 32; k++) {
		struct sockaddr_storage from, addr;
		socklen_t fl = sizeof(from);
		uint8_t buf[9000];
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n < 0)
			break;
		for (size_t i = 0; i < MDNS_MAX_PENDING; i++) {
			struct pending *p = &m->p[i];
			char why[128], text[OBS_TEXT], as[64];
			int rc;

			if (!p->in_use)
				continue;
			rc = mdns_answer_parse(buf, (size_t)n, p->name, &addr, why,
					       sizeof(why));
			if (rc < 0) {
				record(m, OBS_MALFORMED, p->name, &from, why);
				break;
			}
			if (rc == 1) {
				snprintf(text, sizeof(text), "resolved to %s",
					 np_addr_str(&addr, as, sizeof(as)));
				record(m, OBS_RESPONSE, p->name, &from, text);
				finish(m, p, &addr);
			}
		}
	}
	rearm(m);
}

int mdns_new(struct np_ctx *ctx, mdns_cb cb, void *arg, struct mdns **out)
{
	struct sockaddr_in any;
	struct mdns *m;
	int one = 1, err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NP_ENOMEM;
	m->ctx = ctx;
	m->cb = cb;
	m->arg = arg;
	np_timer_init(&m->timer, on_timer, m);
	m->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0) {
		err = -errno;
		free(m);
		return err;
	}
	/* Queries go from an ephemeral port: a one-shot query (§5.1) that
	 * responders answer by unicast (§6.7). */
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	if (bind(m->fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    (err = np_loop_add_fd(ctx->loop, m->fd, EPOLLIN, on_io, m)) < 0) {
		err = -errno;
		close(m->fd);
		free(m);
		return err;
	}
	/* Some responders answer by multicast only: listen on 5353 in the
	 * group too, sharing the port with any local responder. */
	m->mfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	any.sin_port = htons(MDNS_PORT);
	if (m->mfd >= 0 &&
	    (setsockopt(m->mfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	     setsockopt(m->mfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	     bind(m->mfd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	     np_loop_add_fd(ctx->loop, m->mfd, EPOLLIN, on_io, m) < 0)) {
		close(m->mfd);
		m->mfd = -1;
	}
	if (m->mfd >= 0)
		join_all(m->mfd);
	*out = m;
	return 0;
}

int mdns_resolve(struct mdns *m, const char *name, uint64_t timeout_us)
{
	uint64_t now = np_loop_now(m->ctx->loop);

	if (strlen(name) > MDNS_NAME_MAX)
		return NP_EINVAL;
	for (size_t i = 0; i < MDNS_MAX_PENDING; i++) {
		struct pending *p = &m->p[i];

		if (p->in_use)
			continue;
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->in_use = 1;
		p->started = now;
		p->deadline = now + timeout_us;
		send_query(m, p);
		rearm(m);
		return 0;
	}
	return NP_EFULL;
}

size_t mdns_pending(const struct mdns *m)
{
	size_t n = 0;

	for (size_t i = 0; i < MDNS_MAX_PENDING; i++)
		n += m->p[i].in_use;
	return n;
}

void mdns_free(struct mdns *m)
{
	if (!m)
		return;
	np_timer_stop(m->ctx->loop, &m->timer);
	np_loop_del_fd(m->ctx->loop, m->fd);
	close(m->fd);
	if (m->mfd >= 0) {
		np_loop_del_fd(m->ctx->loop, m->mfd);
		close(m->mfd);
	}
	free(m);
}
