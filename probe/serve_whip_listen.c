/*
 * serve_whip_listen.c - the listener of `natprobe serve --whip`: where it
 * binds ([ADDR:]PORT, or every address dual-stack), accepting under the
 * connection cap, and the endpoint's life (new, free, counters). The
 * connections themselves are in serve_whip.c, sessions in
 * serve_whip_sess.c.
 */
#include "serve_whip_impl.h"
#include "np_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#define ACCEPT_BURST 16   /* accepts per wakeup: fairness with the rest */

static void on_accept(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct serve_whip *w = arg;

	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		size_t slot;
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl,
				  SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0)
			return;
		for (slot = 0; slot < w->o.max_conns && w->conns[slot]; slot++)
			;
		if (slot == w->o.max_conns || whip_conn_new(w, cfd, &ss, slot) < 0) {
			w->c.conns_rejected++;
			close(cfd);
			continue;
		}
		w->c.conns++;
	}
}

int serve_whip_parse_listen(const char *s, struct sockaddr_storage *ss,
			    uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':'), *p;
	unsigned long v = 0;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	p = colon ? colon + 1 : s;
	if (!*p)
		return NP_EINVAL;
	for (const char *q = p; *q; q++) {
		if (*q < '0' || *q > '9' || v > 65535)
			return NP_EINVAL;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v == 0 || v > 65535)
		return NP_EINVAL;
	*port = (uint16_t)v;
	if (!colon)
		return 0;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return NP_EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, host,
			   &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		return NP_EINVAL;
	return 0;
}

/* Binds the listener: the given address, or [::] dual-stack (0.0.0.0
 * when the host has no IPv6). */
static int listen_on(struct serve_whip *w, char *detail, size_t dlen)
{
	struct sockaddr_storage a = w->o.addr;
	socklen_t sl;
	int one = 1, zero = 0, fd, err;
	char name[80];

	if (a.ss_family == AF_UNSPEC)
		a.ss_family = AF_INET6; /* in6addr_any: zeroed */
	for (;;) {
		if (a.ss_family == AF_INET)
			((struct sockaddr_in *)&a)->sin_port = htons(w->o.port);
		else
			((struct sockaddr_in6 *)&a)->sin6_port = htons(w->o.port);
		fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
				 SOCK_CLOEXEC, 0);
		if (fd < 0 && errno == EAFNOSUPPORT &&
		    w->o.addr.ss_family == AF_UNSPEC && a.ss_family == AF_INET6) {
			memset(&a, 0, sizeof(a));
			a.ss_family = AF_INET;
			continue;
		}
		break;
	}
	np_addr_str(&a, name, sizeof(name));
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a.ss_family == AF_INET6 && w->o.addr.ss_family == AF_UNSPEC)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, np_addr_len(&a)) < 0 ||
	    listen(fd, 64) < 0)
		goto fail;
	sl = sizeof(w->local);
	getsockname(fd, (struct sockaddr *)&w->local, &sl);
	w->lfd = fd;
	return np_loop_add_fd(w->loop, fd, EPOLLIN, on_accept, w);
fail:
	err = errno;
	snprintf(detail, dlen, "%s/http: %s", name, strerror(err));
	if (fd >= 0)
		close(fd);
	return -err;
}

int serve_whip_new(struct serve_whip **out, struct np_loop *loop,
		   const struct serve_whip_opts *o, char *detail, size_t dlen)
{
	struct serve_whip *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w)
		return NP_ENOMEM;
	w->loop = loop;
	w->o = *o;
	w->lfd = -1;
	snprintf(w->path, sizeof(w->path), "%s", o->path ? o->path : "/whip");
	w->o.path = w->path;
#define DEF(f, v) if (!w->o.f) w->o.f = (v)
	DEF(gather_us, 2000000);
	DEF(session_us, 60000000);
	DEF(peer_idle_us, 30000000);
	DEF(idle_us, 5000000);
	DEF(request_us, 10000000);
	DEF(max_conns, SERVE_WHIP_MAX_CONNS);
#undef DEF
	if (w->o.max_conns > SERVE_WHIP_MAX_CONNS)
		w->o.max_conns = SERVE_WHIP_MAX_CONNS;
	if (!w->o.seed && getrandom(&w->o.seed, sizeof(w->o.seed), 0) !=
				  (ssize_t)sizeof(w->o.seed))
		w->o.seed = np_wallclock_us() ^ (uint64_t)getpid();
	w->rng = w->o.seed;
	rc = whip_endpoint_init(&w->ep, w->path, w->o.seed);
	if (rc < 0) {
		snprintf(detail, dlen, "--whip-path %s: a path starts with / and has no spaces, ? or #",
			 w->path);
		free(w);
		return rc;
	}
	w->ep.trickle = whip_sess_trickle;
	w->ep.trickle_arg = w;
	rc = sdp_new(&w->scratch);
	if (rc == 0)
		rc = listen_on(w, detail, dlen);
	if (rc < 0) {
		serve_whip_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void serve_whip_free(struct serve_whip *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < SERVE_WHIP_MAX_CONNS; i++)
		if (w->conns[i])
			whip_conn_free(w->conns[i]);
	for (size_t i = 0; i < WHIP_MAX_SESSIONS; i++)
		if (w->sess[i])
			whip_sess_free(w->sess[i]);
	if (w->lfd >= 0) {
		np_loop_del_fd(w->loop, w->lfd);
		close(w->lfd);
	}
	sdp_free(w->scratch);
	free(w);
}

const struct serve_whip_counters *serve_whip_counters(const struct serve_whip *w)
{
	return &w->c;
}

int serve_whip_local(const struct serve_whip *w, struct sockaddr_storage *ss)
{
	*ss = w->local;
	return 0;
}

size_t serve_whip_nsessions(const struct serve_whip *w)
{
	return whip_live_sessions(w);
}

size_t serve_whip_nconns(const struct serve_whip *w)
{
	size_t n = 0;

	for (size_t i = 0; i < SERVE_WHIP_MAX_CONNS; i++)
		n += w->conns[i] != NULL;
	return n;
}
