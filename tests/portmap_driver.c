/*
 * portmap_driver.c - drives probe/portmap.c against a real gateway for
 * tests/it_portmap.sh: opens a UDP socket (the "host candidate"), maps it
 * with the protocols asked, waits for probe datagrams sent through the
 * mappings, releases them, then waits again to show that nothing gets
 * through any more. One line per event, flushed at once:
 *
 *   MAP pcp ok external=198.51.100.2:40001 lifetime=600 code=0 reason=...
 *   MAP upnp fail code=718 reason=AddPortMapping: 718 ConflictInMappingEntry
 *   MAPPED ok=1 asked=1 ms=3
 *   READY                      (only with -w: send the probes now)
 *   PROBE from=203.0.113.10:5555 bytes=9 data=probe-pcp
 *   RELEASE pcp ok code=0 reason=0 SUCCESS
 *   RELEASED ms=1
 *   AFTER none                 (only with -a; or AFTER from=... per datagram)
 *
 * Usage: portmap_driver -i ADDR:PORT [-g GATEWAY] [-p pcp,natpmp,upnp]
 *        [-w PROBE_WAIT_S] [-a AFTER_WAIT_S] [-k] [-e EVENTS] [-T TIMEOUT_S]
 * -k keeps the mappings (no release). Exit 0 unless a local error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "evloop.h"
#include "np_err.h"
#include "obs.h"
#include "portmap.h"
#include "stun_client.h"

static const char *const pname[] = { "pcp", "natpmp", "upnp" };

struct run {
	struct np_loop *loop;
	struct np_ctx ctx;
	struct obs_log log;
	struct portmap *pm;
	struct sockaddr_storage internal, gateway;
	unsigned mask;
	int fd, n_ok, probes, wait_s, after_s, keep, phase, after_seen, failed;
	uint64_t t0;
	struct np_timer deadline, wait;
};

enum { PH_MAP, PH_PROBE, PH_RELEASE, PH_AFTER, PH_DONE };

static void stop(struct run *r)
{
	r->phase = PH_DONE;
	np_loop_stop(r->loop);
}

static void after_release(struct run *r)
{
	printf("RELEASED ms=%llu\n",
	       (unsigned long long)((np_loop_update_now(r->loop) - r->t0) / 1000));
	fflush(stdout);
	if (r->after_s <= 0) {
		stop(r);
		return;
	}
	r->phase = PH_AFTER;
	np_timer_start(r->loop, &r->wait,
		       np_loop_update_now(r->loop) + (uint64_t)r->after_s * 1000000);
}

static void do_release(struct run *r)
{
	if (r->keep) {
		stop(r);
		return;
	}
	r->phase = PH_RELEASE;
	r->t0 = np_loop_update_now(r->loop);
	portmap_release(r->pm);
	if (!portmap_pending(r->pm))
		after_release(r);
}

static void on_map(void *arg, const struct portmap_result *res)
{
	struct run *r = arg;
	char ext[80];

	np_addr_str(&res->external, ext, sizeof(ext));
	if (res->release)
		printf("RELEASE %s %s code=%d reason=%s\n", pname[res->proto],
		       res->ok ? "ok" : "fail", res->code, res->reason);
	else if (res->ok)
		printf("MAP %s ok external=%s lifetime=%u code=%d reason=%s\n",
		       pname[res->proto], ext, res->lifetime_s, res->code, res->reason);
	else
		printf("MAP %s fail code=%d reason=%s\n", pname[res->proto], res->code,
		       res->reason);
	fflush(stdout);
	if (!res->release && res->ok)
		r->n_ok++;
	if (portmap_pending(r->pm))
		return;
	if (r->phase == PH_MAP) {
		printf("MAPPED ok=%d asked=%d ms=%llu\n", r->n_ok,
		       __builtin_popcount(r->mask),
		       (unsigned long long)((np_loop_update_now(r->loop) - r->t0) / 1000));
		if (r->wait_s > 0 && r->n_ok > 0) {
			r->phase = PH_PROBE;
			printf("READY\n");
			fflush(stdout);
			np_timer_start(r->loop, &r->wait, np_loop_update_now(r->loop) +
				       (uint64_t)r->wait_s * 1000000);
			return;
		}
		fflush(stdout);
		do_release(r);
	} else if (r->phase == PH_RELEASE) {
		after_release(r);
	}
}

static void on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct run *r = arg;

	for (;;) {
		char buf[256];
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
				     (struct sockaddr *)&src, &sl);
		char s[80];

		if (n < 0)
			return;
		buf[n] = 0;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] < 0x20 || buf[i] > 0x7e)
				buf[i] = '.';
		np_addr_str(&src, s, sizeof(s));
		if (r->phase == PH_AFTER) {
			printf("AFTER from=%s bytes=%zd data=%s\n", s, n, buf);
			r->after_seen++;
		} else {
			printf("PROBE from=%s bytes=%zd data=%s\n", s, n, buf);
			if (r->phase == PH_PROBE && ++r->probes >= r->n_ok) {
				np_timer_stop(loop, &r->wait);
				do_release(r);
			}
		}
		fflush(stdout);
		if (r->phase == PH_DONE)
			return;
	}
}

static void on_wait(struct np_loop *loop, void *arg)
{
	struct run *r = arg;

	if (r->phase == PH_PROBE) {
		printf("PROBE timeout got=%d of %d\n", r->probes, r->n_ok);
		fflush(stdout);
		do_release(r);
	} else if (r->phase == PH_AFTER) {
		if (!r->after_seen)
			printf("AFTER none\n");
		fflush(stdout);
		stop(r);
	}
}

static void on_deadline(struct np_loop *loop, void *arg)
{
	struct run *r = arg;

	printf("DEADLINE reached in phase %d\n", r->phase);
	r->failed = 1;
	stop(r);
}

static int parse_mask(const char *s, unsigned *mask)
{
	*mask = 0;
	if (strstr(s, "all"))
		*mask = 7;
	for (int i = 0; i < 3; i++)
		if (strstr(s, pname[i]))
			*mask |= 1u << i;
	return *mask ? 0 : -1;
}

static int open_internal(struct run *r)
{
	socklen_t len = sizeof(r->internal);
	int one = 1;

	r->fd = socket(r->internal.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -errno;
	setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->fd, (struct sockaddr *)&r->internal, np_addr_len(&r->internal)) < 0 ||
	    getsockname(r->fd, (struct sockaddr *)&r->internal, &len) < 0)
		return -errno;
	return np_loop_add_fd(r->loop, r->fd, EPOLLIN, on_io, r);
}

int main(int argc, char **argv)
{
	struct run r;
	const char *events = NULL;
	int c, timeout_s = 20, err;
	char s[80];

	memset(&r, 0, sizeof(r));
	r.mask = 7;
	r.fd = -1;
	while ((c = getopt(argc, argv, "i:g:p:w:a:ke:T:")) != -1) {
		switch (c) {
		case 'i':
			if (np_addr_parse(optarg, &r.internal) < 0)
				return 2;
			break;
		case 'g':
			/* ADDR:PORT, or a bare IPv4 address (port 5351) */
			if (np_addr_parse(optarg, &r.gateway) < 0) {
				struct sockaddr_in *g = (struct sockaddr_in *)(void *)&r.gateway;

				memset(&r.gateway, 0, sizeof(r.gateway));
				g->sin_family = AF_INET;
				if (inet_pton(AF_INET, optarg, &g->sin_addr) != 1)
					return 2;
			}
			break;
		case 'p':
			if (parse_mask(optarg, &r.mask) < 0)
				return 2;
			break;
		case 'w': r.wait_s = atoi(optarg); break;
		case 'a': r.after_s = atoi(optarg); break;
		case 'k': r.keep = 1; break;
		case 'e': events = optarg; break;
		case 'T': timeout_s = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!r.internal.ss_family)
		return 2;
	if (np_loop_new(&r.loop) < 0)
		return 3;
	obs_log_init(&r.log, np_monotonic_us(), np_wallclock_us());
	snprintf(r.log.command, sizeof(r.log.command), "portmap");
	np_ctx_init(&r.ctx, r.loop, &r.log);
	np_timer_init(&r.deadline, on_deadline, &r);
	np_timer_init(&r.wait, on_wait, &r);
	err = open_internal(&r);
	if (!err)
		err = portmap_new(&r.ctx, &r.gateway, &r.internal, on_map, &r, &r.pm);
	if (!err)
		err = portmap_only(r.pm, r.mask);
	if (err) {
		printf("SETUP fail err=%s (%s)\n", np_errname(err), np_strerror(err));
		return 3;
	}
	printf("INTERNAL %s\n", np_addr_str(&r.internal, s, sizeof(s)));
	fflush(stdout);
	np_timer_start(r.loop, &r.deadline,
		       np_loop_update_now(r.loop) + (uint64_t)timeout_s * 1000000);
	r.t0 = np_loop_update_now(r.loop);
	portmap_start(r.pm);
	if (r.phase != PH_DONE)
		np_loop_run(r.loop);
	portmap_free(r.pm);
	if (r.fd >= 0) {
		np_loop_del_fd(r.loop, r.fd);
		close(r.fd);
	}
	if (events) {
		FILE *f = fopen(events, "w");

		if (f) {
			obs_log_write(&r.log, f);
			fclose(f);
		}
	}
	np_ctx_dispose(&r.ctx);
	obs_log_dispose(&r.log);
	np_loop_free(r.loop);
	return r.failed ? 1 : 0;
}
