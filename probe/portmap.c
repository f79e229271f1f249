/*
 * portmap.c - the port-mapping client object: the gateway and source
 * address, observations and callbacks, and the three protocols started
 * and released together: PCP and NAT-PMP (portmap_udp.c), UPnP IGD
 * (portmap_upnp.c).
 *
 * The UDP protocols sends from the host candidate's address, because both map
 * the request's source address (PCP §11.1 checks it against the PCP Client
 * IP field and answers ADDRESS_MISMATCH otherwise). Requests retransmit
 * from 250 ms, doubling (RFC 6886 §3.1; RFC 6887 §8.1.1 allows the same
 * shape), and give up after 2 s: the gateway is one hop away. Only
 * datagrams from the gateway's server port are read as answers; anything
 * else is recorded and ignored.
 */
#include "portmap_impl.h"
#include "np_err.h"
#include "stun_codec.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

const char *pm_test_name(enum portmap_proto p)
{
	static const char *const names[PORTMAP_NPROTO] = {
		"portmap.pcp", "portmap.natpmp", "portmap.upnp",
	};

	return names[p];
}

const char *portmap_proto_name(enum portmap_proto p)
{
	switch (p) {
	case PORTMAP_PCP: return "PCP";
	case PORTMAP_NATPMP: return "NAT-PMP";
	case PORTMAP_UPNP: return "UPnP";
	}
	return "?";
}

/* Shared helpers -------------------------------------------------------------- */

uint64_t pm_now(struct portmap *pm)
{
	return np_loop_update_now(pm->ctx->loop);
}

void pm_obs_base(struct portmap *pm, struct obs *o, enum obs_kind k,
		 const char *test, enum np_transport t,
		 const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->transport = t;
	snprintf(o->test, sizeof(o->test), "%s", test);
	snprintf(o->server, sizeof(o->server), "%s", pm->server);
	if (local && local->ss_family) {
		o->local = *local;
		o->has |= OBS_HAS_LOCAL;
	}
	if (remote && remote->ss_family) {
		o->remote = *remote;
		o->has |= OBS_HAS_REMOTE;
	}
}

struct obs *pm_record(struct portmap *pm, struct obs *o)
{
	return np_ctx_record(pm->ctx, o);
}

void pm_result_init(struct portmap_result *r, enum portmap_proto p, int release)
{
	memset(r, 0, sizeof(*r));
	r->proto = p;
	r->release = release;
}

void pm_report(struct portmap *pm, const struct portmap_result *r)
{
	struct obs o;

	pm_obs_base(pm, &o, OBS_NOTE, pm_test_name(r->proto), r->proto == PORTMAP_UPNP ?
		    NP_TCP : NP_UDP, &pm->internal, &pm->gateway);
	if (r->ok && !r->release) {
		o.mapped = r->external;
		o.has |= OBS_HAS_MAPPED;
	}
	if (r->code > 0) {
		o.error_code = r->code;
		o.has |= OBS_HAS_ERROR_CODE;
	} else {
		o.err = r->code;
	}
	snprintf(o.text, sizeof(o.text), "%s %s %s: %s", portmap_proto_name(r->proto),
		 r->release ? "release" : "mapping", r->ok ? "ok" : "failed", r->reason);
	pm_record(pm, &o);
	if (pm->cb)
		pm->cb(pm->arg, r);
}

void pm_enter(struct portmap *pm)
{
	pm->busy++;
}

static void pm_destroy(struct portmap *pm)
{
	free(pm->upnp.rbuf);
	free(pm);
}

void pm_leave(struct portmap *pm)
{
	if (--pm->busy == 0 && pm->dead)
		pm_destroy(pm);
}

/* The object ---------------------------------------------------------------------- */

static int read_gateway(struct sockaddr_storage *gw)
{
	char buf[16384];
	size_t n;
	FILE *f = fopen("/proc/net/route", "re");

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return portmap_route_gateway(buf, n, gw);
}

/* internal's address, or (when it is the wildcard) the source address the
 * routing table picks toward the gateway. */
static int pick_source(struct portmap *pm)
{
	struct sockaddr_storage *s = &pm->src;
	socklen_t len = sizeof(*s);
	int any, fd, err = 0;

	*s = pm->internal;
	any = s->ss_family == AF_INET ?
	      ((struct sockaddr_in *)(void *)s)->sin_addr.s_addr == 0 :
	      IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)(void *)s)->sin6_addr);
	if (!any)
		return 0;
	fd = socket(pm->gateway.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&pm->gateway, np_addr_len(&pm->gateway)) < 0 ||
	    getsockname(fd, (struct sockaddr *)s, &len) < 0)
		err = -errno;
	close(fd);
	return err;
}

int portmap_new(struct np_ctx *ctx, const struct sockaddr_storage *gateway,
		const struct sockaddr_storage *internal, portmap_cb cb,
		void *arg, struct portmap **out)
{
	struct portmap *pm;
	int err;

	if (!ctx || !internal || !out ||
	    (internal->ss_family != AF_INET && internal->ss_family != AF_INET6))
		return NP_EINVAL;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NP_ENOMEM;
	pm->ctx = ctx;
	pm->cb = cb;
	pm->arg = arg;
	pm->internal = *internal;
	if (gateway && gateway->ss_family) {
		pm->gateway = *gateway;
		if (np_addr_port(&pm->gateway) == 0) {
			if (pm->gateway.ss_family == AF_INET)
				((struct sockaddr_in *)(void *)&pm->gateway)->sin_port =
					htons(PORTMAP_SERVER_PORT);
			else
				((struct sockaddr_in6 *)(void *)&pm->gateway)->sin6_port =
					htons(PORTMAP_SERVER_PORT);
		}
	} else if ((err = read_gateway(&pm->gateway)) != 0) {
		free(pm);
		return err;
	}
	err = pm->gateway.ss_family != internal->ss_family ? NP_EINVAL :
	      pick_source(pm);
	if (err) {
		free(pm);
		return err;
	}
	np_addr_str(&pm->gateway, pm->server, sizeof(pm->server));
	pm->mask = 7;
	pm_udp_init(&pm->pcp, pm, PORTMAP_PCP);
	pm_udp_init(&pm->natpmp, pm, PORTMAP_NATPMP);
	pm_upnp_init(&pm->upnp, pm);
	*out = pm;
	return 0;
}

int portmap_start(struct portmap *pm)
{
	struct obs o;

	if (!pm || pm->dead || pm->started)
		return NP_EINVAL;
	pm_obs_base(pm, &o, OBS_NOTE, "portmap", NP_UDP, &pm->internal, &pm->gateway);
	snprintf(o.text, sizeof(o.text), "port mapping for the host candidate:%s%s%s "
		 "in parallel, %u s each at most", pm->mask & 1u << PORTMAP_PCP ? " PCP" : "",
		 pm->mask & 1u << PORTMAP_NATPMP ? " NAT-PMP" : "",
		 pm->mask & 1u << PORTMAP_UPNP ? " UPnP-IGD" : "", PM_WAIT_US / 1000000);
	pm_record(pm, &o);
	stun_tid_random(pm->pcp.map.nonce);   /* §11.1: a random nonce */
	pm->pcp.map.protocol = IPPROTO_UDP;
	pm->pcp.map.internal_port = np_addr_port(&pm->internal);
	pm->pcp.map.external_port = pm->pcp.map.internal_port;
	pm->started = 1;
	pm_enter(pm);
	if (pm->mask & 1u << PORTMAP_PCP)
		pm_udp_begin(&pm->pcp, PM_ASKING);
	if (!pm->dead && pm->mask & 1u << PORTMAP_NATPMP)
		pm_udp_begin(&pm->natpmp, PM_ASKING);
	if (!pm->dead && pm->mask & 1u << PORTMAP_UPNP)
		pm_upnp_start(&pm->upnp);
	pm_leave(pm);
	return 0;
}

int portmap_only(struct portmap *pm, unsigned mask)
{
	if (!pm || pm->started || mask == 0 || mask > 7)
		return NP_EINVAL;
	pm->mask = mask;
	return 0;
}

int portmap_release(struct portmap *pm)
{
	if (!pm || pm->dead)
		return NP_EINVAL;
	pm_enter(pm);
	pm_udp_release(&pm->pcp);
	if (!pm->dead)
		pm_udp_release(&pm->natpmp);
	if (!pm->dead)
		pm_upnp_release(&pm->upnp);
	pm_leave(pm);
	return 0;
}

int portmap_pending(const struct portmap *pm)
{
	int n = 0;

	if (!pm)
		return 0;
	n += pm->pcp.state == PM_ASKING || pm->pcp.state == PM_RELEASING;
	n += pm->natpmp.state == PM_ASKING || pm->natpmp.state == PM_RELEASING;
	n += pm->upnp.state == PM_ASKING || pm->upnp.state == PM_RELEASING;
	return n;
}

void portmap_free(struct portmap *pm)
{
	if (!pm || pm->dead)
		return;
	pm_udp_close(&pm->pcp);
	pm_udp_close(&pm->natpmp);
	pm_upnp_dispose(&pm->upnp);
	pm->cb = NULL;
	pm->dead = 1;
	if (pm->busy == 0)
		pm_destroy(pm);
}
