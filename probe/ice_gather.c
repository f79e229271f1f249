/*
 * ice_gather.c - candidate gathering (RFC 8445 §5.1.1): a UDP socket on
 * every interface address (host), a Binding request from each to every
 * STUN server of its family (server-reflexive, §5.1.1.2), and an
 * allocation on every TURN server over the transport its URI names
 * (relayed, RFC 8656), all started at once.
 */
#include "ice_agent_impl.h"
#include "np_err.h"
#include "stun_codec.h"
#include "stun_probe.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Local preferences (§5.1.2.1): IPv6 before IPv4 (RFC 8421 §4), and for
 * relays UDP before TCP before TLS, as browsers rank them. */
#define PREF_HOST6 65535
#define PREF_HOST4 49151
#define PREF_RELAY_UDP 65535
#define PREF_RELAY_TCP 32767
#define PREF_RELAY_TLS 16383
/* Unanswered STUN legs hold a description back at most this long. */
#define GATHER_PATIENCE_US 300000

struct ice_base *ice_base_find(struct ice_agent *a,
			       const struct sockaddr_storage *addr)
{
	for (size_t i = 0; i < a->nhost; i++)
		if (np_addr_equal(&a->host[i].addr, addr))
			return &a->host[i];
	for (size_t i = 0; i < a->nrelay; i++)
		if (a->relay[i].ready && np_addr_equal(&a->relay[i].addr, addr))
			return &a->relay[i];
	return NULL;
}

static int on_sock_msg(struct stun_sock *s, const uint8_t *buf, size_t len,
		       const struct stun_msg *m,
		       const struct sockaddr_storage *src, void *arg)
{
	struct ice_base *b = arg;

	/* Binding requests, responses and indications belong to ICE. */
	if (m->method != STUN_BINDING)
		return 0;
	ice_on_stun(b->a, b, buf, len, m, src);
	return 1;
}

static void on_sock_raw(struct stun_sock *s, const uint8_t *buf, size_t len,
			const struct sockaddr_storage *src, void *arg)
{
	struct ice_base *b = arg;

	ice_on_data(b->a, b, buf, len, src);
}

static int usable_addr(const struct ice_agent *a, const struct sockaddr *sa,
		       unsigned flags)
{
	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 0;
	if (a->cfg.family && sa->sa_family != a->cfg.family)
		return 0;
	if (!(flags & IFF_UP))
		return 0;
	if (flags & IFF_LOOPBACK)
		return a->cfg.loopback;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LINKLOCAL(in6))
			return a->cfg.link_local;
		if (IN6_IS_ADDR_V4MAPPED(in6) || IN6_IS_ADDR_LOOPBACK(in6))
			return 0;
	}
	return 1;
}

static void host_candidate(struct ice_agent *a, struct ice_base *b,
			   size_t idx)
{
	struct ice_cand c;
	uint16_t pref = b->family == AF_INET6 ? PREF_HOST6 : PREF_HOST4;

	memset(&c, 0, sizeof(c));
	c.component = 1;
	c.transport = NP_UDP;
	c.type = ICE_HOST;
	c.addr = b->addr;
	c.port = np_addr_port(&b->addr);
	c.priority = ice_priority(ICE_HOST, (uint16_t)(pref - idx), 1);
	if (!a->cfg.relay_only)
		ice_local_candidate(a, &c);
}

static int open_hosts(struct ice_agent *a)
{
	struct ifaddrs *ifa = NULL, *i;
	int err;

	if (getifaddrs(&ifa) < 0) {
		ice_note(a, "ice.gather", "cannot list interfaces: %s",
			 strerror(errno));
		return 0;
	}
	for (i = ifa; i && a->nhost < ICE_MAX_HOST; i = i->ifa_next) {
		struct sockaddr_storage local;
		struct ice_base *b = &a->host[a->nhost];
		char as[64];

		if (!usable_addr(a, i->ifa_addr, i->ifa_flags))
			continue;
		memset(&local, 0, sizeof(local));
		memcpy(&local, i->ifa_addr,
		       i->ifa_addr->sa_family == AF_INET
			       ? sizeof(struct sockaddr_in)
			       : sizeof(struct sockaddr_in6));
		memset(b, 0, sizeof(*b));
		b->a = a;
		b->family = local.ss_family;
		err = stun_sock_open(a->ctx, NP_UDP, &local, &local, NULL,
				     "ice.host", NULL, NULL, &b->sock);
		if (err < 0) {
			ice_note(a, "ice.gather", "no host candidate on %s %s: %s",
				 i->ifa_name, np_addr_str(&local, as, sizeof(as)),
				 np_strerror(err));
			continue;
		}
		b->addr = *stun_sock_local(b->sock);
		stun_sock_set_msg_cb(b->sock, on_sock_msg, b);
		stun_sock_set_raw_cb(b->sock, on_sock_raw, b);
		a->nhost++;
		host_candidate(a, b, a->nhost - 1);
		if (!a->cfg.relay_only)
			ice_tcp_gather(a, b, a->nhost - 1);
	}
	freeifaddrs(ifa);
	if (a->nhost == ICE_MAX_HOST)
		ice_note(a, "ice.gather", "host sockets capped at %d", ICE_MAX_HOST);
	return 0;
}

/* ---- server-reflexive ---------------------------------------------------- */

struct srflx_req {
	struct ice_agent *a;
	size_t host;
	struct sockaddr_storage server;
};

static void on_srflx(struct stun_sock *s, const struct obs *end, void *arg)
{
	struct srflx_req *r = arg;
	struct ice_agent *a = r->a;
	struct ice_base *b = &a->host[r->host];
	const struct sockaddr_storage *m = NULL;

	if (end->kind == OBS_RESPONSE && end->error_code == 0) {
		if (end->has & OBS_HAS_XOR_MAPPED)
			m = &end->xor_mapped;
		else if (end->has & OBS_HAS_MAPPED)
			m = &end->mapped;
	}
	if (m && !a->cfg.relay_only) {
		struct ice_cand c;
		uint16_t pref = b->family == AF_INET6 ? PREF_HOST6 : PREF_HOST4;

		memset(&c, 0, sizeof(c));
		c.component = 1;
		c.transport = NP_UDP;
		c.type = ICE_SRFLX;
		c.addr = *m;
		c.port = np_addr_port(m);
		c.related = b->addr;
		c.base = b->addr;
		c.server = r->server;
		c.priority = ice_priority(ICE_SRFLX,
					  (uint16_t)(pref - r->host), 1);
		/* §5.1.3: a srflx equal to its base is redundant (no NAT). */
		if (np_addr_equal(m, &b->addr)) {
			char as[64];

			ice_note(a, "ice.gather",
				 "server-reflexive address %s equals its base: no NAT on this path",
				 np_addr_str(m, as, sizeof(as)));
		} else {
			ice_local_candidate(a, &c);
		}
	}
	free(r);
	a->srflx_pending--;
	ice_gather_progress(a);
}

static void start_srflx(struct ice_agent *a, const struct ice_server *sv)
{
	struct sockaddr_storage addrs[4];
	size_t n = 0;
	char name[OBS_NAME * 2];

	if (sv->uri.transport != NP_UDP) {
		ice_note(a, "ice.gather",
			 "%s: server-reflexive candidates need STUN over UDP; skipped",
			 stun_uri_str(&sv->uri, name, sizeof(name)));
		return;
	}
	stun_probe_resolve(a->ctx, &sv->uri, a->cfg.family, "ice.srflx", addrs,
			   4, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t h = 0; h < a->nhost; h++) {
			struct stun_req req;
			struct srflx_req *r;
			const struct sockaddr_in6 *s6 = (const void *)&a->host[h].addr;

			if (a->host[h].family != addrs[i].ss_family)
				continue;
			if (a->host[h].family == AF_INET6 &&
			    IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				continue;
			r = calloc(1, sizeof(*r));
			if (!r)
				return;
			r->a = a;
			r->host = h;
			r->server = addrs[i];
			memset(&req, 0, sizeof(req));
			req.method = STUN_BINDING;
			req.dst = addrs[i];
			req.fingerprint = 1;
			snprintf(req.test, sizeof(req.test), "ice.srflx");
			if (stun_sock_request(a->host[h].sock, &req, on_srflx, r) < 0) {
				free(r);
				continue;
			}
			a->srflx_pending++;
		}
}

/* ---- relayed --------------------------------------------------------------- */

static void relay_candidate(struct ice_agent *a, struct ice_base *b)
{
	const struct ice_server *sv = &a->servers.s[b->server];
	struct ice_cand c;
	uint16_t pref = sv->uri.transport == NP_UDP   ? PREF_RELAY_UDP
			: sv->uri.transport == NP_TCP ? PREF_RELAY_TCP
						      : PREF_RELAY_TLS;

	memset(&c, 0, sizeof(c));
	c.component = 1;
	c.transport = NP_UDP;
	c.type = ICE_RELAY;
	c.addr = *turn_relayed(b->turn);
	c.port = np_addr_port(&c.addr);
	if (turn_mapped(b->turn)->ss_family)
		c.related = *turn_mapped(b->turn);
	c.server = b->srv_addr;
	c.priority = ice_priority(ICE_RELAY,
				  (uint16_t)(pref - (b - a->relay)), 1);
	b->addr = c.addr;
	ice_local_candidate(a, &c);
}

static void on_turn(struct turn_client *t, const struct turn_event *ev,
		    void *arg)
{
	struct ice_base *b = arg;
	struct ice_agent *a = b->a;

	switch (ev->kind) {
	case TURN_EV_ALLOCATE:
		b->done = 1;
		if (ev->ok) {
			b->ready = 1;
			relay_candidate(a, b);
		}
		ice_gather_progress(a);
		break;
	case TURN_EV_CHANNEL:
		for (size_t i = 0; i < b->nchan; i++)
			if (ev->peer && np_addr_equal(&b->chan_peer[i], ev->peer))
				b->chan_ok[i] = ev->ok;
		break;
	case TURN_EV_DATA: {
		struct stun_msg m;
		char why[64];

		if (!ev->peer)
			break;
		if (ev->len >= STUN_HEADER_LEN && ev->data[0] < 4 &&
		    stun_decode(ev->data, ev->len, 0, &m, why, sizeof(why)) == 0 &&
		    m.method == STUN_BINDING)
			ice_on_stun(a, b, ev->data, ev->len, &m, ev->peer);
		else
			ice_on_data(a, b, ev->data, ev->len, ev->peer);
		break;
	}
	case TURN_EV_CLOSED:
		b->closed = 1;
		break;
	default:
		break;
	}
}

static void on_turn_conn(struct stun_sock *s, int err, void *arg)
{
	struct ice_base *b = arg;

	if (err < 0) {
		/* The connection or TLS failure is already an observation. */
		b->done = 1;
		ice_gather_progress(b->a);
		return;
	}
	if (turn_allocate(b->turn) < 0) {
		b->done = 1;
		ice_gather_progress(b->a);
	}
}

static void start_relay(struct ice_agent *a, size_t si)
{
	const struct ice_server *sv = &a->servers.s[si];
	struct sockaddr_storage addrs[4];
	size_t n = 0;
	char name[OBS_NAME * 2];

	stun_uri_str(&sv->uri, name, sizeof(name));
	stun_probe_resolve(a->ctx, &sv->uri, a->cfg.family, "ice.turn", addrs,
			   4, &n);
	for (size_t i = 0; i < n && a->nrelay < ICE_MAX_RELAY; i++) {
		struct ice_base *b = &a->relay[a->nrelay];
		struct turn_cfg tc;
		int err;

		memset(b, 0, sizeof(*b));
		b->a = a;
		b->relay = 1;
		b->server = si;
		b->family = addrs[i].ss_family;
		b->next_channel = 0x4000;
		b->srv_addr = addrs[i];
		err = stun_sock_open(a->ctx, sv->uri.transport, &addrs[i], NULL,
				     sv->uri.host, name,
				     sv->uri.transport == NP_UDP ? NULL : on_turn_conn,
				     b, &b->sock);
		if (err < 0) {
			ice_note(a, "ice.gather", "%s: cannot open a socket: %s",
				 name, np_strerror(err));
			continue;
		}
		memset(&tc, 0, sizeof(tc));
		tc.user = sv->user;
		tc.password = sv->password;
		tc.family = addrs[i].ss_family;
		snprintf(tc.label, sizeof(tc.label), "ice.turn");
		err = turn_client_new(a->ctx, b->sock, &addrs[i], &tc, on_turn, b,
				      &b->turn);
		if (err < 0) {
			stun_sock_free(b->sock);
			ice_note(a, "ice.gather", "%s: %s", name, np_strerror(err));
			continue;
		}
		a->nrelay++;
		if (sv->uri.transport == NP_UDP && turn_allocate(b->turn) < 0)
			b->done = 1;
	}
}

int ice_gather_start(struct ice_agent *a)
{
	open_hosts(a);
	ice_portmap_start(a);
	for (size_t i = 0; i < a->servers.n; i++) {
		const struct ice_server *sv = &a->servers.s[i];

		if (sv->uri.scheme == STUN_SCHEME_TURN ||
		    sv->uri.scheme == STUN_SCHEME_TURNS)
			start_relay(a, i);
		else if (!a->cfg.relay_only)
			start_srflx(a, sv);
	}
	ice_gather_progress(a);
	return 0;
}

int ice_agent_gathering_done(const struct ice_agent *a)
{
	if (a->srflx_pending || (!a->closing && ice_portmap_pending(a)))
		return 0;
	for (size_t i = 0; i < a->nrelay; i++)
		if (!a->relay[i].done)
			return 0;
	return 1;
}

int ice_agent_gathering_enough(const struct ice_agent *a)
{
	uint64_t waited = np_loop_now(a->ctx->loop) - a->t0;

	for (size_t i = 0; i < a->nrelay; i++)
		if (!a->relay[i].done)
			return 0;
	if (ice_portmap_pending(a))
		return 0;
	/* Servers that answer do so within a few RTOs; the rest time out
	 * (RFC 8489 §6.2.1) long after that. */
	return a->nlocal > 0 && waited > GATHER_PATIENCE_US &&
	       waited > 4 * (uint64_t)np_ctx_rto(a->ctx);
}

void ice_gather_close(struct ice_agent *a)
{
	ice_portmap_release(a);
	for (size_t i = 0; i < a->nrelay; i++)
		if (a->relay[i].ready && !a->relay[i].closed &&
		    turn_close(a->relay[i].turn) < 0)
			a->relay[i].closed = 1;
		else if (!a->relay[i].ready)
			a->relay[i].closed = 1;
}

int ice_agent_closed(const struct ice_agent *a)
{
	if (ice_portmap_pending(a))
		return 0;
	for (size_t i = 0; i < a->nrelay; i++)
		if (!a->relay[i].closed)
			return 0;
	return 1;
}

void ice_gather_free(struct ice_agent *a)
{
	ice_portmap_free(a);
	ice_tcp_free(a);
	for (size_t i = 0; i < a->nrelay; i++) {
		turn_client_free(a->relay[i].turn);
		stun_sock_free(a->relay[i].sock);
	}
	for (size_t i = 0; i < a->nhost; i++)
		stun_sock_free(a->host[i].sock);
	a->nrelay = a->nhost = 0;
}

/* ---- sending through a base ---------------------------------------------- */

static int relay_channel(struct ice_base *b, const struct sockaddr_storage *dst)
{
	for (size_t i = 0; i < b->nchan; i++)
		if (np_addr_equal(&b->chan_peer[i], dst))
			return b->chan_ok[i] ? (int)b->chan[i] : -1;
	return -1;
}

/* RFC 8656 §9: a permission per peer IP before anything reaches it. */
static void relay_permit(struct ice_base *b, const struct sockaddr_storage *dst)
{
	for (size_t i = 0; i < b->nperm; i++)
		if (np_addr_ip_equal(&b->perm[i], dst))
			return;
	if (b->nperm == TURN_MAX_PEERS)
		return;
	b->perm[b->nperm++] = *dst;
	turn_create_permission(b->turn, dst);
}

/* Binds a channel to dst (the selected pair's peer), so data goes as
 * ChannelData with 4 bytes of overhead instead of 36 (§12). */
void ice_base_bind_channel(struct ice_base *b, const struct sockaddr_storage *dst)
{
	if (!b->relay || !b->ready || b->nchan == TURN_MAX_PEERS ||
	    b->next_channel > 0x4FFF)
		return;
	for (size_t i = 0; i < b->nchan; i++)
		if (np_addr_equal(&b->chan_peer[i], dst))
			return;
	b->chan_peer[b->nchan] = *dst;
	b->chan[b->nchan] = b->next_channel++;
	b->chan_ok[b->nchan] = 0;
	if (turn_channel_bind(b->turn, dst, b->chan[b->nchan]) == 0)
		b->nchan++;
}

int ice_base_send(struct ice_agent *a, struct ice_base *b, const uint8_t *buf,
		  size_t len, const struct sockaddr_storage *dst)
{
	int ch;

	if (!b->relay)
		return stun_sock_send_raw(b->sock, buf, len, dst);
	if (!b->ready)
		return NP_ENOTFOUND;
	ch = relay_channel(b, dst);
	if (ch >= 0)
		return turn_send_channel(b->turn, (uint16_t)ch, buf, len);
	relay_permit(b, dst);
	return turn_send_indication(b->turn, dst, buf, len);
}
