/*
 * portmap_impl.h - what the halves of the port-mapping client share:
 * portmap.c (the object, PCP and NAT-PMP over UDP) and portmap_upnp.c
 * (UPnP IGD: SSDP, then HTTP/SOAP over TCP). Not public; shared names
 * carry the pm_ prefix.
 */
#ifndef PORTMAP_IMPL_H
#define PORTMAP_IMPL_H

#include "portmap.h"

/* The gateway is on the LAN: RFC 6886 §3.1's 250 ms first wait, doubled,
 * but a protocol gives up after 2 s instead of the RFC's 64 s. */
#define PM_RTO_US 250000u
#define PM_WAIT_US 2000000u
#define PM_LIFETIME_S 600u
#define PM_RECV_BUDGET 16

enum pm_state {
	PM_IDLE,        /* not started */
	PM_ASKING,      /* start requests in flight */
	PM_MAPPED,      /* the gateway holds a mapping */
	PM_FAILED,      /* start ended without a mapping */
	PM_RELEASING,   /* removal in flight */
	PM_RELEASED,    /* removal ended (confirmed or not) */
};

/* PCP or NAT-PMP: one UDP socket, one request set, one timer. */
struct pm_udp {
	struct portmap *pm;
	enum portmap_proto proto;
	enum pm_state state;
	int fd;
	struct sockaddr_storage local;
	struct np_timer timer;
	int attempt;
	uint64_t first_us;
	uint32_t rto_us;
	int sent;                 /* a mapping request went out (may exist) */
	/* PCP */
	struct pcp_map map;
	/* NAT-PMP: the map and the public-address answers both needed */
	int got_public, got_map;
	uint8_t public_ip[4];
	uint16_t ext_port;
	uint32_t lifetime;
	struct portmap_result res;
};

enum pm_upnp_step {
	UP_NONE, UP_SSDP, UP_DESC, UP_ADD, UP_EXTIP, UP_DELETE,
};

struct pm_upnp {
	struct portmap *pm;
	enum pm_state state;
	enum pm_upnp_step step;
	int ufd;                  /* SSDP */
	int tfd;                  /* the HTTP connection of this step */
	int connected;
	struct sockaddr_storage local;
	struct np_timer timer;    /* SSDP retransmission and the deadline */
	uint64_t first_us, deadline_us, step_us;
	int attempt;
	uint32_t rto_us;
	struct upnp_url location, control;
	char service_type[UPNP_URL_MAX];
	char *rbuf;
	size_t rlen;
	char wbuf[4096];
	size_t wlen, woff;
	int lease_zero;           /* retried with NewLeaseDuration 0 (725) */
	int added;                /* AddPortMapping sent: may exist */
	uint16_t ext_port;
	struct sockaddr_storage external;
	struct portmap_result res;
};

struct portmap {
	struct np_ctx *ctx;
	struct sockaddr_storage gateway;   /* port: PCP/NAT-PMP server port */
	struct sockaddr_storage internal;  /* the host candidate */
	struct sockaddr_storage src;       /* internal's address, routable */
	char server[OBS_NAME * 2];
	portmap_cb cb;
	void *arg;
	struct pm_udp pcp, natpmp;
	struct pm_upnp upnp;
	unsigned mask;                     /* protocols asked */
	int started;
	int busy, dead;
};

void pm_enter(struct portmap *pm);
void pm_leave(struct portmap *pm);
void pm_obs_base(struct portmap *pm, struct obs *o, enum obs_kind k,
		 const char *test, enum np_transport t,
		 const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote);
struct obs *pm_record(struct portmap *pm, struct obs *o);
/* Calls the owner's callback; afterwards check pm->dead. */
void pm_report(struct portmap *pm, const struct portmap_result *r);
void pm_result_init(struct portmap_result *r, enum portmap_proto p,
		    int release);
uint64_t pm_now(struct portmap *pm);
const char *pm_test_name(enum portmap_proto p);

/* portmap_udp.c */
void pm_udp_init(struct pm_udp *u, struct portmap *pm, enum portmap_proto p);
void pm_udp_begin(struct pm_udp *u, enum pm_state st);
void pm_udp_release(struct pm_udp *u);
void pm_udp_close(struct pm_udp *u);

/* portmap_upnp.c: SSDP, the HTTP transport, the phases */
void pm_upnp_init(struct pm_upnp *u, struct portmap *pm);
int pm_upnp_start(struct pm_upnp *u);
int pm_upnp_release(struct pm_upnp *u);
void pm_upnp_dispose(struct pm_upnp *u);
const char *pm_upnp_step_test(enum pm_upnp_step s);
void pm_upnp_finish(struct pm_upnp *u, enum pm_state st);
void pm_upnp_fail(struct pm_upnp *u, int code, const char *fmt,
		  const char *detail);
int pm_upnp_gateway_is(struct pm_upnp *u, const char *host);
/* Sends u->wbuf (built for step) to url and reads the whole reply. */
int pm_upnp_http_begin(struct pm_upnp *u, enum pm_upnp_step step,
		       const struct upnp_url *url);
void pm_upnp_close_tfd(struct pm_upnp *u);
/* portmap_upnp_soap.c: what each reply means, the next request */
int pm_upnp_soap(struct pm_upnp *u, enum pm_upnp_step step);
void pm_upnp_http_done(struct pm_upnp *u);

#endif
