/*
 * ice_portmap.c - port-mapped candidates: each IPv4 host socket is mapped
 * on the gateway with PCP (RFC 6887), NAT-PMP (RFC 6886) and UPnP IGD at
 * once (probe/portmap.c); the first mapping that succeeds becomes a
 * server-reflexive candidate whose server is the gateway (RFC 8445 has
 * no type of its own for it, and libnice does the same). Mappings are
 * removed when the agent closes.
 */
#include "ice_agent_impl.h"
#include "np_err.h"

#include <string.h>

#define PREF_PORTMAP 60000

static void on_map(void *arg, const struct portmap_result *r)
{
	struct ice_base *b = arg;
	struct ice_agent *a = b->a;
	size_t i;
	char es[64];

	for (i = 0; i < a->npm; i++)
		if (&a->host[a->pm_host[i]] == b)
			break;
	if (i == a->npm)
		return;
	if (r->release) {
		ice_note(a, "ice.portmap", "%s: mapping %s (%d %s)",
			 portmap_proto_name(r->proto),
			 r->ok ? "removed" : "not confirmed removed", r->code,
			 r->reason);
		return;
	}
	if (!r->ok) {
		ice_note(a, "ice.portmap", "%s: no mapping: %d %s",
			 portmap_proto_name(r->proto), r->code, r->reason);
	} else if (!a->pm_mapped[i]) {
		struct ice_cand c;

		/* The three protocols map the same socket to one external
		 * port: one candidate is enough. */
		a->pm_mapped[i] = 1;
		ice_note(a, "ice.portmap", "%s: %s mapped to %s for %u s",
			 portmap_proto_name(r->proto),
			 np_addr_str(&b->addr, es, sizeof(es)),
			 np_addr_str(&r->external, es + 32, 32), r->lifetime_s);
		memset(&c, 0, sizeof(c));
		c.component = 1;
		c.transport = NP_UDP;
		c.type = ICE_SRFLX;
		c.addr = r->external;
		c.port = np_addr_port(&r->external);
		c.related = b->addr;
		c.base = b->addr;
		c.server = a->cfg.gateway;
		c.priority = ice_priority(ICE_SRFLX, PREF_PORTMAP, 1);
		ice_local_candidate(a, &c);
	}
	ice_gather_progress(a);
}

void ice_portmap_start(struct ice_agent *a)
{
	if (!a->cfg.portmap || a->cfg.relay_only)
		return;
	for (size_t h = 0; h < a->nhost && a->npm < ICE_MAX_HOST; h++) {
		struct ice_base *b = &a->host[h];
		struct portmap *pm;
		int err;

		if (b->family != AF_INET)
			continue;
		err = portmap_new(a->ctx, &a->cfg.gateway, &b->addr, on_map, b, &pm);
		if (err < 0) {
			ice_note(a, "ice.portmap", "no port mapping: %s",
				 np_strerror(err));
			continue;
		}
		a->pm[a->npm] = pm;
		a->pm_host[a->npm] = h;
		a->pm_mapped[a->npm] = 0;
		a->npm++;
		if (portmap_start(pm) < 0)
			ice_note(a, "ice.portmap", "port mapping did not start");
	}
}

int ice_portmap_pending(const struct ice_agent *a)
{
	int n = 0;

	for (size_t i = 0; i < a->npm; i++)
		n += portmap_pending(a->pm[i]);
	return n;
}

void ice_portmap_release(struct ice_agent *a)
{
	for (size_t i = 0; i < a->npm; i++)
		portmap_release(a->pm[i]);
}

void ice_portmap_free(struct ice_agent *a)
{
	for (size_t i = 0; i < a->npm; i++)
		portmap_free(a->pm[i]);
	a->npm = 0;
}
