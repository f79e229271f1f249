/*
 * ice_tcp.c - ICE-TCP (RFC 6544): on every host address a passive
 * candidate (a listening socket) and an active one (port 9, §4.5); checks
 * of an active local candidate open a connection to the remote passive
 * one, checks to a passive local candidate arrive on the connections it
 * accepts. Every message on these connections is RFC 4571 framed (§3).
 */
#include "ice_agent_impl.h"
#include "np_err.h"
#include "stun_codec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* §4.2: local preference = 2^13 * direction-pref + other-pref, with
 * direction-pref 6 for active, 4 for passive (host candidates). */
#define DIR_ACTIVE 6
#define DIR_PASSIVE 4
/* UDP is preferred (§4.2 leaves the type preference to the agent): TCP
 * host candidates rank below UDP host and server-reflexive ones. */
#define TYPE_PREF_TCP_HOST 90
#define ACTIVE_PORT 9

static uint32_t tcp_priority(unsigned dir, size_t idx)
{
	uint32_t local = (1u << 13) * dir + (8191u - (uint32_t)(idx & 0xFFF));

	return (TYPE_PREF_TCP_HOST << 24) + (local << 8) + (256 - 1);
}

static int on_conn_msg(struct stun_sock *s, const uint8_t *buf, size_t len,
		       const struct stun_msg *m,
		       const struct sockaddr_storage *src, void *arg)
{
	struct ice_base *b = arg;

	if (m->method != STUN_BINDING)
		return 0;
	ice_on_stun(b->a, b, buf, len, m, &b->peer);
	return 1;
}

static void on_conn_raw(struct stun_sock *s, const uint8_t *buf, size_t len,
			const struct sockaddr_storage *src, void *arg)
{
	struct ice_base *b = arg;

	ice_on_data(b->a, b, buf, len, &b->peer);
}

static struct ice_base *new_conn(struct ice_agent *a,
				 const struct sockaddr_storage *base,
				 const struct sockaddr_storage *peer)
{
	struct ice_base *b;

	if (a->ntcp == ICE_MAX_TCP)
		return NULL;
	b = &a->tcp[a->ntcp];
	memset(b, 0, sizeof(*b));
	b->a = a;
	b->tcp = 1;
	b->listen_fd = -1;
	b->addr = *base;
	b->peer = *peer;
	b->family = base->ss_family;
	return b;
}

static void wire(struct ice_base *b)
{
	stun_sock_set_framing(b->sock, STUN_FRAMING_RFC4571);
	stun_sock_set_msg_cb(b->sock, on_conn_msg, b);
	stun_sock_set_raw_cb(b->sock, on_conn_raw, b);
	b->a->ntcp++;
}

static void on_accept(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct ice_base *l = arg;
	struct ice_agent *a = l->a;

	for (int i = 0; i < 8; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct ice_base *b;
		char ps[64];
		int c;

		memset(&peer, 0, sizeof(peer));
		c = accept4(fd, (struct sockaddr *)&peer, &plen,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			return;
		b = new_conn(a, &l->addr, &peer);
		if (!b || a->closing) {
			/* Capped: a peer cannot make us hold sockets. */
			close(c);
			continue;
		}
		if (stun_sock_adopt(a->ctx, c, &peer, "ice.tcp", &b->sock) < 0) {
			close(c);
			continue;
		}
		wire(b);
		ice_note(a, "ice.tcp", "accepted a connection from %s on %s",
			 np_addr_str(&peer, ps, sizeof(ps)),
			 np_addr_str(&l->addr, ps + 32, 32));
	}
}

void ice_tcp_gather(struct ice_agent *a, const struct ice_base *host,
		    size_t idx)
{
	struct ice_base *l;
	struct sockaddr_storage addr = host->addr;
	socklen_t alen = sizeof(addr);
	struct ice_cand c;
	int fd, one = 1;

	if (a->cfg.no_tcp || a->nlisten == ICE_MAX_HOST)
		return;
	l = &a->listen[a->nlisten];
	memset(l, 0, sizeof(*l));
	l->a = a;
	l->tcp = 1;
	l->family = addr.ss_family;
	if (addr.ss_family == AF_INET)
		((struct sockaddr_in *)&addr)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&addr)->sin6_port = 0;
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, np_addr_len(&addr)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &alen) < 0 ||
	    np_loop_add_fd(a->ctx->loop, fd, EPOLLIN, on_accept, l) < 0) {
		ice_note(a, "ice.gather", "no ICE-TCP passive candidate: %s",
			 strerror(errno));
		close(fd);
		return;
	}
	l->listen_fd = fd;
	l->addr = addr;
	a->nlisten++;
	memset(&c, 0, sizeof(c));
	c.component = 1;
	c.transport = NP_TCP;
	c.type = ICE_HOST;
	c.tcptype = ICE_TCP_PASSIVE;
	c.addr = addr;
	c.port = np_addr_port(&addr);
	c.priority = tcp_priority(DIR_PASSIVE, idx);
	ice_local_candidate(a, &c);
	/* The active candidate: the same address, port 9 (§4.5); its
	 * connections each get their own ephemeral port. */
	c.tcptype = ICE_TCP_ACTIVE;
	if (addr.ss_family == AF_INET)
		((struct sockaddr_in *)&c.addr)->sin_port = htons(ACTIVE_PORT);
	else
		((struct sockaddr_in6 *)&c.addr)->sin6_port = htons(ACTIVE_PORT);
	c.port = ACTIVE_PORT;
	c.priority = tcp_priority(DIR_ACTIVE, idx);
	ice_local_candidate(a, &c);
}

static struct ice_base *find_conn(struct ice_agent *a,
				  const struct sockaddr_storage *base,
				  const struct sockaddr_storage *remote)
{
	for (size_t i = 0; i < a->ntcp; i++)
		if (np_addr_equal(&a->tcp[i].addr, base) &&
		    np_addr_equal(&a->tcp[i].peer, remote))
			return &a->tcp[i];
	return NULL;
}

static void on_connected(struct stun_sock *s, int err, void *arg)
{
	struct ice_base *b = arg;
	char ps[64];

	/* A refused connection fails its check by the checklist's timer;
	 * the observation of the refusal is already recorded. */
	if (err == 0)
		ice_note(b->a, "ice.tcp", "connected to %s",
			 np_addr_str(&b->peer, ps, sizeof(ps)));
}

struct ice_base *ice_base_for(struct ice_agent *a, const struct ice_cand *local,
			      const struct sockaddr_storage *remote, int create)
{
	const struct sockaddr_storage *base =
		local->base.ss_family ? &local->base : &local->addr;
	struct sockaddr_storage from;
	struct ice_base *b;

	if (local->transport != NP_TCP)
		return ice_base_find(a, base);
	b = find_conn(a, base, remote);
	if (b || !create || local->tcptype != ICE_TCP_ACTIVE || a->closing)
		return b;
	b = new_conn(a, base, remote);
	if (!b)
		return NULL;
	/* From the active candidate's address, any port. */
	from = *base;
	if (from.ss_family == AF_INET)
		((struct sockaddr_in *)&from)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&from)->sin6_port = 0;
	if (stun_sock_open(a->ctx, NP_TCP, remote, &from, NULL, "ice.tcp",
			   on_connected, b, &b->sock) < 0)
		return NULL;
	wire(b);
	return b;
}

void ice_tcp_free(struct ice_agent *a)
{
	for (size_t i = 0; i < a->ntcp; i++)
		stun_sock_free(a->tcp[i].sock);
	for (size_t i = 0; i < a->nlisten; i++) {
		np_loop_del_fd(a->ctx->loop, a->listen[i].listen_fd);
		close(a->listen[i].listen_fd);
	}
	a->ntcp = a->nlisten = 0;
}
