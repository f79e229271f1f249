/*
 * stun_probe.c - Binding requests against each resolved server address
 * (see stun_probe.h). Each address gets its own socket; its requests go
 * one after another so the later ones start with an RTO from the measured
 * RTT (RFC 8489 §6.2.1) and each sample is clean.
 */
#include "stun_probe.h"
#include "stun_codec.h"
#include "np_err.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ADDRS 8

struct leg {
	struct np_ctx *ctx;
	struct stun_sock *sock;
	struct stun_uri uri;
	char name[OBS_NAME * 2];
	struct sockaddr_storage addr;
	int remaining;
	int seq;
	int done;
	size_t *active;
};

int stun_probe_resolve(struct np_ctx *ctx, const struct stun_uri *u,
		       int family, const char *test,
		       struct sockaddr_storage *addrs, size_t max, size_t *n)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8], name[OBS_NAME * 2];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = u->transport == NP_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", u->port);
	*n = 0;
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME || rc == EAI_NODATA) {
		/* AI_ADDRCONFIG hides ::1 on a host with no IPv6 route;
		 * literal addresses deserve a try anyway. */
		hints.ai_flags = 0;
		rc = getaddrinfo(u->host, port, &hints, &res);
	}
	if (rc == 0) {
		for (ai = res; ai && *n < max; ai = ai->ai_next) {
			int dup = 0;

			for (size_t i = 0; i < *n; i++)
				if (np_addr_equal(&addrs[i], (void *)ai->ai_addr))
					dup = 1;
			if (dup || (ai->ai_family != AF_INET &&
				    ai->ai_family != AF_INET6))
				continue;
			memset(&addrs[*n], 0, sizeof(addrs[*n]));
			memcpy(&addrs[*n], ai->ai_addr, ai->ai_addrlen);
			(*n)++;
		}
		freeaddrinfo(res);
	}
	if (*n == 0) {
		struct obs o;

		memset(&o, 0, sizeof(o));
		o.kind = OBS_ERROR;
		o.transport = u->transport;
		o.err = NP_ERESOLVE;
		snprintf(o.test, sizeof(o.test), "%s", test);
		snprintf(o.server, sizeof(o.server), "%s",
			 stun_uri_str(u, name, sizeof(name)));
		snprintf(o.text, sizeof(o.text), "cannot resolve \"%s\"%s: %s",
			 u->host,
			 family == AF_INET ? " to IPv4" :
			 family == AF_INET6 ? " to IPv6" : "",
			 rc ? gai_strerror(rc) : "no address of the asked family");
		np_ctx_record(ctx, &o);
		return NP_ERESOLVE;
	}
	return 0;
}

static void leg_next(struct leg *l);

static void leg_finish(struct leg *l)
{
	if (l->done)
		return;
	l->done = 1;
	(*l->active)--;
	if (*l->active == 0)
		np_loop_stop(l->ctx->loop);
}

static void on_done(struct stun_sock *s, const struct obs *end, void *arg)
{
	struct leg *l = arg;

	(void)s;
	/* A dead server or a closed port will not improve with more tries;
	 * an error response or a success is worth the full count. */
	if (end->kind != OBS_RESPONSE) {
		leg_finish(l);
		return;
	}
	leg_next(l);
}

static void leg_next(struct leg *l)
{
	struct stun_req req;
	int err;

	if (l->remaining-- <= 0) {
		leg_finish(l);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.method = STUN_BINDING;
	req.dst = l->addr;
	req.fingerprint = 1;
	snprintf(req.test, sizeof(req.test), "binding.%d", ++l->seq);
	err = stun_sock_request(l->sock, &req, on_done, l);
	if (err < 0)
		leg_finish(l);
}

static void on_conn(struct stun_sock *s, int err, void *arg)
{
	struct leg *l = arg;

	(void)s;
	if (err < 0 && stun_sock_pending(s) == 0)
		leg_finish(l);
}

int stun_probe_run(struct np_ctx *ctx, const struct stun_probe_opts *opts,
		   char *why, size_t wlen)
{
	struct leg *legs;
	size_t nlegs = 0, active = 0;
	struct stun_uri uris[STUN_PROBE_MAX_URIS];
	int err = 0;

	for (size_t i = 0; i < opts->nuris; i++) {
		err = stun_uri_parse(opts->uris[i], &uris[i], why, wlen);
		if (err < 0)
			return err;
		if (uris[i].scheme == STUN_SCHEME_TURN ||
		    uris[i].scheme == STUN_SCHEME_TURNS) {
			snprintf(why, wlen,
				 "\"%s\": natprobe stun takes stun: or stuns: URIs",
				 opts->uris[i]);
			return NP_EBADURI;
		}
	}
	legs = calloc(opts->nuris * MAX_ADDRS, sizeof(*legs));
	if (!legs)
		return NP_ENOMEM;
	for (size_t i = 0; i < opts->nuris; i++) {
		struct sockaddr_storage addrs[MAX_ADDRS];
		size_t n = 0;
		char name[OBS_NAME * 2];

		stun_uri_str(&uris[i], name, sizeof(name));
		if (stun_probe_resolve(ctx, &uris[i], opts->family, "resolve",
				       addrs, MAX_ADDRS, &n) < 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			struct leg *l = &legs[nlegs];
			struct obs o;

			l->ctx = ctx;
			l->uri = uris[i];
			l->addr = addrs[k];
			l->remaining = opts->count > 0 ? opts->count : 5;
			l->active = &active;
			snprintf(l->name, sizeof(l->name), "%s", name);
			err = stun_sock_open(ctx, uris[i].transport, &addrs[k], NULL,
					     uris[i].host, name, on_conn, l, &l->sock);
			if (err < 0) {
				memset(&o, 0, sizeof(o));
				o.kind = OBS_ERROR;
				o.transport = uris[i].transport;
				o.remote = addrs[k];
				o.has = OBS_HAS_REMOTE;
				o.err = err;
				snprintf(o.test, sizeof(o.test), "socket");
				snprintf(o.server, sizeof(o.server), "%s", name);
				snprintf(o.text, sizeof(o.text), "cannot open a socket: %s",
					 np_strerror(err));
				np_ctx_record(ctx, &o);
				continue;
			}
			nlegs++;
			active++;
		}
	}
	err = 0;
	for (size_t i = 0; i < nlegs; i++)
		leg_next(&legs[i]);
	if (active > 0)
		err = np_loop_run(ctx->loop);
	for (size_t i = 0; i < nlegs; i++)
		stun_sock_free(legs[i].sock);
	free(legs);
	return err;
}
