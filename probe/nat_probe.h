/*
 * nat_probe.h - the measurements of `natprobe nat` (RFC 5780 §4 tests and
 * more), run in parallel on separate sockets. Records observations only;
 * analyzers/nat_classify.c reads them.
 */
#ifndef NAT_PROBE_H
#define NAT_PROBE_H

#include "stun_client.h"
#include "stun_uri.h"

#define NAT_MAX_SERVERS 8

struct nat_probe_opts {
	const char *servers[NAT_MAX_SERVERS]; /* URIs, borrowed; [0] primary */
	size_t nservers;
	int family;            /* AF_UNSPEC: every family a server has */
	int hairpin;           /* send hairpin probes (default on) */
	int tcp, tls;          /* STUN over TCP / TLS checks (default on) */
	uint16_t tls_port;     /* default 5349 */
	int sizes;             /* largest-datagram tests (default on) */
	int ttl;               /* hop probes for double NAT (default on) */
	unsigned lifetime_max_s; /* 0: no lifetime test */
};

int nat_probe_run(struct np_ctx *ctx, const struct nat_probe_opts *opts,
		  char *why, size_t wlen);

#endif
