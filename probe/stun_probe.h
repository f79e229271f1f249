/*
 * stun_probe.h - the `natprobe stun` measurement: Binding requests to each
 * address a server URI resolves to, a few in a row so RTT has a minimum and
 * a median. It records observations only; analyzers/stun_summary.c turns
 * them into results.
 */
#ifndef STUN_PROBE_H
#define STUN_PROBE_H

#include "stun_client.h"
#include "stun_uri.h"

#define STUN_PROBE_MAX_URIS 16

struct stun_probe_opts {
	const char *uris[STUN_PROBE_MAX_URIS]; /* borrowed */
	size_t nuris;
	int family;          /* AF_UNSPEC (both), AF_INET or AF_INET6 */
	int count;           /* Binding requests per address (default 5) */
};

/*
 * Resolves every URI (a failure is an OBS_ERROR observation, not an error
 * return), then runs the requests in parallel per address and returns when
 * all are done. Returns NP_EBADURI (with why) for a URI that does not
 * parse: that is the user's input, not the network's.
 */
int stun_probe_run(struct np_ctx *ctx, const struct stun_probe_opts *opts,
		   char *why, size_t wlen);

/* getaddrinfo for a URI's host; a failure is recorded as an observation
 * labelled test, and returns NP_ERESOLVE. */
int stun_probe_resolve(struct np_ctx *ctx, const struct stun_uri *u,
		       int family, const char *test,
		       struct sockaddr_storage *addrs, size_t max, size_t *n);

#endif
