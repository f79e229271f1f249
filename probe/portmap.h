/*
 * portmap.h - port-mapped candidates (RFC 8445 §5.1.1.1 allows them): ask
 * the gateway for an inbound mapping to a host candidate with PCP (RFC
 * 6887, MAP opcode), NAT-PMP (RFC 6886) and UPnP IGD (WANIPConnection:1/2,
 * WANPPPConnection:1), all three in parallel, and remove the mappings
 * again on release.
 *
 * Event-loop driven and non-blocking: sockets and timers live on the
 * np_ctx's loop, every request, response, retransmission and timeout is an
 * observation in its log (tests "portmap.pcp", "portmap.natpmp",
 * "portmap.upnp.*"). The gateway is on the LAN, so the timers are short:
 * first retry after 250 ms, doubling (RFC 6886 §3.1), a protocol gives up
 * after 2 s. What the gateway says (a result code, a SOAP fault) is the
 * outcome, reported with its code and name; it is never a program error.
 *
 * The wire codecs below are public for the unit tests and the fuzz target.
 */
#ifndef PORTMAP_H
#define PORTMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun_client.h"

enum portmap_proto { PORTMAP_PCP, PORTMAP_NATPMP, PORTMAP_UPNP };
#define PORTMAP_NPROTO 3

struct portmap_result {
	enum portmap_proto proto;
	int ok;                          /* a mapping exists (or, on release,
					  * the gateway confirmed its removal) */
	struct sockaddr_storage external; /* the mapped address:port */
	uint32_t lifetime_s;             /* granted lifetime; 0 on release */
	int code;       /* the gateway's result code / UPnP errorCode / HTTP
			 * status; 0 on success; NP_ETIMEOUT or another NP_E*
			 * when the gateway never gave one */
	char reason[128];                /* the code's name and detail */
	int release;                     /* 1: outcome of portmap_release */
};

typedef void (*portmap_cb)(void *arg, const struct portmap_result *r);

struct portmap;

/*
 * gateway: AF_UNSPEC = the default IPv4 gateway from /proc/net/route.
 * internal: the host candidate (UDP address:port) to map; the mapping
 * requests are sent from its address, as PCP (§11.1) and NAT-PMP (§3.3)
 * map the request's source address. cb is called once per protocol for
 * portmap_start, and once per protocol that had (or may have) a mapping
 * for portmap_release. The ctx is borrowed and must outlive pm.
 */
int portmap_new(struct np_ctx *ctx, const struct sockaddr_storage *gateway,
		const struct sockaddr_storage *internal, portmap_cb cb,
		void *arg, struct portmap **out);
/* Before start: ask only the protocols in mask (1 << PORTMAP_PCP | ...);
 * the others are neither asked nor reported. Default: all three. */
int portmap_only(struct portmap *pm, unsigned mask);
/* Asks PCP, NAT-PMP and UPnP in parallel. */
int portmap_start(struct portmap *pm);
/* Removes what was mapped: PCP/NAT-PMP lifetime 0, UPnP
 * DeletePortMapping. A protocol still asking is cancelled first (its start
 * callback then says "cancelled by release", code NP_EINVAL), and its
 * removal is still sent when a request already went out. A mapping the
 * gateway refused (UPnP 718: the port is someone else's) is never
 * deleted. Bounded by the same 2 s per protocol. */
int portmap_release(struct portmap *pm);
/* Protocols still waiting for the gateway (start or release). */
int portmap_pending(const struct portmap *pm);
/* NULL is a no-op. Sends nothing: release first. */
void portmap_free(struct portmap *pm);

const char *portmap_proto_name(enum portmap_proto p);

/* The default IPv4 gateway from the text of /proc/net/route. */
int portmap_route_gateway(const char *text, size_t len,
			  struct sockaddr_storage *gw);

/* ---- NAT-PMP (RFC 6886) ---------------------------------------------- */
#define PORTMAP_SERVER_PORT 5351   /* NAT-PMP and PCP (RFC 6887 §19.1) */
#define NATPMP_VERSION 0
#define NATPMP_OP_PUBLIC 0         /* §3.2 external address */
#define NATPMP_OP_MAP_UDP 1        /* §3.3 */
#define NATPMP_OP_MAP_TCP 2
#define NATPMP_OP_RESPONSE 128     /* response opcode = 128 + request */

struct natpmp_resp {
	uint8_t opcode;            /* without the 128 bit */
	uint16_t result;
	uint32_t epoch;
	uint8_t public_ip[4];      /* opcode 0 */
	uint16_t internal_port;    /* opcodes 1, 2 */
	uint16_t external_port;
	uint32_t lifetime;
};

/* 2-byte external address request. */
int natpmp_enc_public(uint8_t *buf, size_t cap, size_t *len);
/* 12-byte mapping request (§3.3); lifetime 0 removes (§3.4). */
int natpmp_enc_map(uint8_t *buf, size_t cap, size_t *len, uint8_t opcode,
		   uint16_t internal_port, uint16_t suggested_port,
		   uint32_t lifetime);
/* A response: version 0, opcode >= 128, the length its opcode needs. */
int natpmp_parse(const uint8_t *buf, size_t len, struct natpmp_resp *r);
const char *natpmp_result_name(unsigned code);

/* ---- PCP (RFC 6887) ---------------------------------------------------- */
#define PCP_VERSION 2
#define PCP_OP_MAP 1
#define PCP_HDR_LEN 24             /* §7.1, §7.2 */
#define PCP_MAP_LEN 36             /* §11.1 */
#define PCP_MAX_LEN 1100           /* §7 */
#define PCP_NONCE_LEN 12

struct pcp_map {
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;          /* IPPROTO_UDP */
	uint16_t internal_port;
	uint16_t external_port;    /* suggested / assigned */
	struct sockaddr_storage external; /* suggested / assigned address */
};

struct pcp_resp {
	uint8_t opcode;            /* without the R bit */
	uint8_t result;
	uint32_t lifetime;
	uint32_t epoch;
	int has_map;               /* the MAP part is present */
	struct pcp_map map;
	unsigned noptions;         /* options seen (and skipped) */
};

/* A 60-byte MAP request: client = the request's source address. */
int pcp_enc_map(uint8_t *buf, size_t cap, size_t *len,
		const struct sockaddr_storage *client, uint32_t lifetime,
		const struct pcp_map *m);
/* A response (R bit set). Errors may carry only the 24-byte header. */
int pcp_parse(const uint8_t *buf, size_t len, struct pcp_resp *r);
const char *pcp_result_name(unsigned code);

/* ---- UPnP IGD ------------------------------------------------------------ */
#define SSDP_PORT 1900
#define SSDP_GROUP4 "239.255.255.250"
#define UPNP_HTTP_MAX 65536        /* cap on a description or SOAP reply */
#define UPNP_URL_MAX 256

/* One HTTP response (status, headers, body), borrowing the input. */
struct upnp_http {
	int status;
	const char *body;
	size_t body_len;
	char location[UPNP_URL_MAX];  /* LOCATION: (SSDP) */
	char st[UPNP_URL_MAX];        /* ST: (SSDP) */
	char server[128];
	long content_length;          /* -1 when absent */
	int chunked;
};

/* Parses the status line and headers. NP_ETRUNCATED when the header is
 * not complete yet (a stream may still be arriving). */
int upnp_http_parse(const char *buf, size_t len, struct upnp_http *h);
/* A reply to M-SEARCH: 200 with a LOCATION. */
int upnp_ssdp_parse(const char *buf, size_t len, struct upnp_http *h);

struct upnp_url {
	char host[64];             /* an address literal, [v6] unbracketed */
	uint16_t port;
	char path[UPNP_URL_MAX];
};
/* http://HOST[:PORT]/PATH with HOST an address literal. */
int upnp_url_parse(const char *s, struct upnp_url *u);
/* ref relative to base (absolute path or absolute URL). */
int upnp_url_resolve(const struct upnp_url *base, const char *ref,
		     struct upnp_url *out);

struct upnp_igd {
	char service_type[UPNP_URL_MAX];
	char control_url[UPNP_URL_MAX];
	char url_base[UPNP_URL_MAX];   /* "" when absent */
};
/* Finds the best WAN connection service in a device description:
 * WANIPConnection:2, then :1, then WANPPPConnection:1. */
int upnp_desc_parse(const char *xml, size_t len, struct upnp_igd *igd);

/* What a SOAP response says: NewExternalIPAddress, or a fault. */
struct upnp_soap {
	int fault;
	int error_code;
	char error_desc[96];
	char external_ip[64];
	char reserved_port[8];     /* IGD:2 AddAnyPortMapping */
};
int upnp_soap_parse(const char *xml, size_t len, struct upnp_soap *s);
const char *upnp_error_name(int code);

/* Builds the whole HTTP POST of a SOAP action: arg_names / arg_values
 * (n of them) in order. */
int upnp_soap_request(char *buf, size_t cap, size_t *len,
		      const struct upnp_url *ctl, const char *service_type,
		      const char *action, const char *const *arg_names,
		      const char *const *arg_values, size_t n);

#endif
