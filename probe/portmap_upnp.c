/*
 * portmap_upnp.c - the UPnP IGD half of the port-mapping client:
 *
 *   1. SSDP (UPnP Device Architecture 1.1 §1.3.2): M-SEARCH for
 *      InternetGatewayDevice:1, multicast (MX 1) and unicast to the gateway
 *      (§1.3.2: a unicast search is answered at once, without the MX delay);
 *   2. HTTP GET of the LOCATION: the device description, scanned for
 *      WANIPConnection:2/:1 or WANPPPConnection:1 and its controlURL;
 *   3. SOAP AddPortMapping (UDP, external port = internal port, lease
 *      600 s; again with lease 0 on 725 OnlyPermanentLeasesSupported), then
 *      GetExternalIPAddress;
 *   release: SOAP DeletePortMapping.
 *
 * Only the gateway is trusted: SSDP replies from elsewhere, and LOCATION or
 * controlURL pointing elsewhere, are recorded and ignored (a LAN host must
 * not steer our HTTP requests). Every connection is bound to the host
 * candidate's address, the client an IGD in secure mode maps to. The whole
 * exchange, start or release, has the protocol's 2 s budget.
 */
#include "portmap_impl.h"
#include "np_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

const char *pm_upnp_step_test(enum pm_upnp_step s)
{
	switch (s) {
	case UP_SSDP: return "portmap.upnp.ssdp";
	case UP_DESC: return "portmap.upnp.desc";
	case UP_ADD: return "portmap.upnp.add";
	case UP_EXTIP: return "portmap.upnp.extip";
	case UP_DELETE: return "portmap.upnp.delete";
	default: return "portmap.upnp";
	}
}

static void close_fd(struct pm_upnp *u, int *fd)
{
	if (*fd >= 0) {
		np_loop_del_fd(u->pm->ctx->loop, *fd);
		close(*fd);
		*fd = -1;
	}
}

void pm_upnp_dispose(struct pm_upnp *u)
{
	np_timer_stop(u->pm->ctx->loop, &u->timer);
	close_fd(u, &u->ufd);
	close_fd(u, &u->tfd);
}

void pm_upnp_close_tfd(struct pm_upnp *u)
{
	close_fd(u, &u->tfd);
}

/* Ends the phase with u->res (code and reason set by the caller). */
void pm_upnp_finish(struct pm_upnp *u, enum pm_state st)
{
	struct portmap_result r = u->res;

	pm_upnp_dispose(u);
	u->state = st;
	u->step = UP_NONE;
	pm_report(u->pm, &r);
}

void pm_upnp_fail(struct pm_upnp *u, int code, const char *fmt,
		  const char *detail)
{
	u->res.ok = 0;
	u->res.code = code;
	snprintf(u->res.reason, sizeof(u->res.reason), fmt, detail);
	pm_upnp_finish(u, u->state == PM_RELEASING ? PM_RELEASED : PM_FAILED);
}

int pm_upnp_gateway_is(struct pm_upnp *u, const char *host)
{
	char gw[64];
	struct sockaddr_storage g = u->pm->gateway;

	if (g.ss_family != AF_INET)
		return 0;
	inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&g)->sin_addr, gw, sizeof(gw));
	return strcmp(gw, host) == 0;
}

static int bound_socket(struct pm_upnp *u, int type, int *out)
{
	struct sockaddr_storage b = u->pm->src;
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	((struct sockaddr_in *)(void *)&b)->sin_port = 0;
	if (bind(fd, (struct sockaddr *)&b, np_addr_len(&b)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* SSDP ------------------------------------------------------------------------------ */

static void ssdp_send(struct pm_upnp *u)
{
	struct portmap *pm = u->pm;
	static const char st[] = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
	struct sockaddr_storage dst[2];
	uint64_t now = pm_now(pm), deadline;
	char gw[64];

	memset(dst, 0, sizeof(dst));
	dst[0].ss_family = AF_INET;
	inet_pton(AF_INET, SSDP_GROUP4, &((struct sockaddr_in *)(void *)&dst[0])->sin_addr);
	((struct sockaddr_in *)(void *)&dst[0])->sin_port = htons(SSDP_PORT);
	dst[1] = pm->gateway;
	((struct sockaddr_in *)(void *)&dst[1])->sin_port = htons(SSDP_PORT);
	inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&dst[1])->sin_addr, gw, sizeof(gw));
	u->attempt++;
	deadline = now + u->rto_us;
	if (deadline > u->deadline_us)
		deadline = u->deadline_us;
	for (int i = 0; i < 2; i++) {
		char msg[512];
		int len = snprintf(msg, sizeof(msg),
				   "M-SEARCH * HTTP/1.1\r\nHOST: %s:%d\r\n"
				   "MAN: \"ssdp:discover\"\r\n%sST: %s\r\n"
				   "USER-AGENT: Linux UPnP/1.1 natprobe/1\r\n\r\n",
				   i == 0 ? SSDP_GROUP4 : gw, SSDP_PORT,
				   i == 0 ? "MX: 1\r\n" : "", st);
		struct obs o;
		int e = 0;

		if (sendto(u->ufd, msg, (size_t)len, 0, (struct sockaddr *)&dst[i],
			   np_addr_len(&dst[i])) < 0)
			e = -errno;
		pm_obs_base(pm, &o, u->attempt == 1 ? OBS_SENT : OBS_RETRANSMIT,
			    pm_upnp_step_test(UP_SSDP), NP_UDP, &u->local, &dst[i]);
		o.attempt = (uint16_t)u->attempt;
		o.size = (uint32_t)len;
		o.rto_us = (uint32_t)(deadline - now);
		o.err = e;
		snprintf(o.text, sizeof(o.text), "SSDP M-SEARCH %s for %s%s%s",
			 i == 0 ? "multicast" : "unicast", st, e ? ": " : "",
			 e ? np_strerror(e) : "");
		pm_record(pm, &o);
	}
	u->rto_us *= 2;
	np_timer_start(pm->ctx->loop, &u->timer, deadline);
}


static void ssdp_on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct pm_upnp *u = arg;
	struct portmap *pm = u->pm;

	pm_enter(pm);
	for (int i = 0; i < PM_RECV_BUDGET && !pm->dead && u->ufd == fd; i++) {
		char buf[2048];
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &slen);
		struct upnp_http h;
		struct upnp_url loc;
		struct obs o;
		int err;

		if (n < 0)
			break;
		pm_obs_base(pm, &o, OBS_RESPONSE, pm_upnp_step_test(UP_SSDP), NP_UDP, &u->local,
			    &pm->gateway);
		o.source = src;
		o.has |= OBS_HAS_SOURCE | OBS_HAS_RTT;
		o.size = (uint32_t)n;
		o.rtt_us = (uint32_t)(pm_now(pm) - u->first_us);
		if (!np_addr_ip_equal(&src, &pm->gateway)) {
			o.kind = OBS_UNMATCHED;
			snprintf(o.text, sizeof(o.text), "SSDP reply not from the gateway: ignored");
			pm_record(pm, &o);
			continue;
		}
		err = upnp_ssdp_parse(buf, (size_t)n, &h);
		if (!err)
			err = upnp_url_parse(h.location, &loc);
		if (err) {
			o.kind = OBS_MALFORMED;
			o.err = err;
			snprintf(o.text, sizeof(o.text), "SSDP reply of %zd bytes without a "
				 "usable LOCATION: %s", n, np_strerror(err));
			pm_record(pm, &o);
			continue;
		}
		if (!pm_upnp_gateway_is(u, loc.host)) {
			o.kind = OBS_UNMATCHED;
			snprintf(o.text, sizeof(o.text), "SSDP LOCATION %.160s is not on the "
				 "gateway: ignored", h.location);
			pm_record(pm, &o);
			continue;
		}
		snprintf(o.text, sizeof(o.text), "SSDP: LOCATION %.120s SERVER %.100s",
			 h.location, h.server);
		pm_record(pm, &o);
		u->location = loc;
		close_fd(u, &u->ufd);
		np_timer_start(loop, &u->timer, u->deadline_us);
		err = pm_upnp_http_begin(u, UP_DESC, &loc);
		if (err)
			pm_upnp_fail(u, err, "cannot fetch the description: %s", np_strerror(err));
		break;
	}
	pm_leave(pm);
}

/* HTTP -------------------------------------------------------------------------------- */

static void http_on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct pm_upnp *u = arg;
	struct portmap *pm = u->pm;
	struct obs o;

	pm_enter(pm);
	if (!u->connected) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (!soerr && !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			goto out;
		pm_obs_base(pm, &o, OBS_CONNECT, pm_upnp_step_test(u->step), NP_TCP, &u->local,
			    &pm->gateway);
		o.rtt_us = (uint32_t)(pm_now(pm) - u->step_us);
		o.err = soerr ? -soerr : 0;
		{
			socklen_t ll = sizeof(u->local);

			getsockname(fd, (struct sockaddr *)&u->local, &ll);
			o.local = u->local;
			o.has |= OBS_HAS_LOCAL;
		}
		snprintf(o.text, sizeof(o.text), "HTTP to %s:%u %s", u->step == UP_DESC ?
			 u->location.host : u->control.host, u->step == UP_DESC ?
			 u->location.port : u->control.port,
			 soerr ? strerror(soerr) : "connected");
		pm_record(pm, &o);
		if (soerr) {
			pm_upnp_fail(u, -soerr, "HTTP connection to the gateway failed: %s",
			     strerror(soerr));
			goto out;
		}
		u->connected = 1;
	}
	while (u->woff < u->wlen) {
		ssize_t n = send(fd, u->wbuf + u->woff, u->wlen - u->woff, MSG_NOSIGNAL);

		if (n < 0) {
			int e = errno;

			if (e == EAGAIN || e == EINTR)
				goto out;
			pm_upnp_fail(u, -e, "HTTP send failed: %s", strerror(e));
			goto out;
		}
		u->woff += (size_t)n;
		if (u->woff == u->wlen)
			np_loop_mod_fd(loop, fd, EPOLLIN);
	}
	for (;;) {
		ssize_t n;
		struct upnp_http h;

		if (u->rlen == UPNP_HTTP_MAX) {
			pm_upnp_fail(u, NP_EFULL, "HTTP reply longer than %s bytes", "65536");
			goto out;
		}
		n = recv(fd, u->rbuf + u->rlen, UPNP_HTTP_MAX - u->rlen, MSG_DONTWAIT);
		if (n < 0) {
			int e = errno;

			if (e == EAGAIN || e == EINTR)
				break;
			pm_upnp_fail(u, -e, "HTTP receive failed: %s", strerror(e));
			goto out;
		}
		if (n == 0) {
			pm_upnp_http_done(u);
			goto out;
		}
		u->rlen += (size_t)n;
		/* Complete before EOF when Content-Length says so. */
		if (upnp_http_parse(u->rbuf, u->rlen, &h) == 0 && h.content_length >= 0 &&
		    h.body_len >= (size_t)h.content_length) {
			pm_upnp_http_done(u);
			goto out;
		}
	}
out:
	pm_leave(pm);
}

int pm_upnp_http_begin(struct pm_upnp *u, enum pm_upnp_step step,
		       const struct upnp_url *url)
{
	struct portmap *pm = u->pm;
	struct sockaddr_in dst;
	struct obs o;
	int err;

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons(url->port);
	if (inet_pton(AF_INET, url->host, &dst.sin_addr) != 1)
		return NP_EINVAL;
	if (step == UP_DESC) {
		int k = snprintf(u->wbuf, sizeof(u->wbuf), "GET %s HTTP/1.0\r\nHost: %s:%u\r\n"
				 "Connection: close\r\n\r\n", url->path, url->host, url->port);

		if (k < 0 || (size_t)k >= sizeof(u->wbuf))
			return NP_ENOSPACE;
		u->wlen = (size_t)k;
	}
	if (!u->rbuf && !(u->rbuf = malloc(UPNP_HTTP_MAX)))
		return NP_ENOMEM;
	close_fd(u, &u->tfd);
	if ((err = bound_socket(u, SOCK_STREAM, &u->tfd)) != 0)
		return err;
	u->step = step;
	u->step_us = pm_now(pm);
	u->connected = 0;
	u->woff = 0;
	u->rlen = 0;
	if (connect(u->tfd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	err = np_loop_add_fd(pm->ctx->loop, u->tfd, EPOLLIN | EPOLLOUT, http_on_io, u);
	if (err)
		return err;
	pm_obs_base(pm, &o, OBS_SENT, pm_upnp_step_test(step), NP_TCP, &u->pm->src,
		    (const struct sockaddr_storage *)(void *)&dst);
	o.attempt = 1;
	o.size = (uint32_t)u->wlen;
	{
		const char *sp = memchr(u->wbuf, ' ', u->wlen), *sa = strstr(u->wbuf, "#");
		const char *q = sa ? strchr(sa, '"') : NULL;

		snprintf(o.text, sizeof(o.text), "HTTP %.*s%s%.*s",
			 sp ? (int)(sp - u->wbuf) : 0, u->wbuf, sa ? " " : " ",
			 sa && q ? (int)(q - sa - 1) : (int)sizeof(url->path),
			 sa && q ? sa + 1 : url->path);
	}
	pm_record(pm, &o);
	return 0;
}

/* Timer: SSDP retransmission, or the phase's deadline. */
static void upnp_timer(struct np_loop *loop, void *arg)
{
	struct pm_upnp *u = arg;
	struct portmap *pm = u->pm;
	uint64_t now = np_loop_now(loop);
	struct obs o;

	pm_enter(pm);
	if (u->step == UP_SSDP && now < u->deadline_us) {
		ssdp_send(u);
		goto out;
	}
	pm_obs_base(pm, &o, OBS_TIMEOUT, pm_upnp_step_test(u->step), u->step == UP_SSDP ?
		    NP_UDP : NP_TCP, &u->local, &pm->gateway);
	o.attempt = (uint16_t)u->attempt;
	o.rtt_us = (uint32_t)(now - u->first_us);
	if (u->step == UP_SSDP)
		snprintf(o.text, sizeof(o.text), "no SSDP reply from the gateway after %d "
			 "tries (%.1f s)", u->attempt, (double)(now - u->first_us) / 1e6);
	else
		snprintf(o.text, sizeof(o.text), "%s: no complete HTTP reply (%.1f s in all)",
			 pm_upnp_step_test(u->step) + 13, (double)(now - u->first_us) / 1e6);
	pm_record(pm, &o);
	pm_upnp_fail(u, NP_ETIMEOUT, "%.120s", o.text);
out:
	pm_leave(pm);
}

static void phase_begin(struct pm_upnp *u, enum pm_state st)
{
	uint64_t now = pm_now(u->pm);

	pm_result_init(&u->res, PORTMAP_UPNP, st == PM_RELEASING);
	u->state = st;
	u->first_us = now;
	u->deadline_us = now + PM_WAIT_US;
	u->attempt = 0;
	u->rto_us = PM_RTO_US;
	np_timer_start(u->pm->ctx->loop, &u->timer, u->deadline_us);
}

void pm_upnp_init(struct pm_upnp *u, struct portmap *pm)
{
	u->pm = pm;
	u->ufd = u->tfd = -1;
	np_timer_init(&u->timer, upnp_timer, u);
}

int pm_upnp_start(struct pm_upnp *u)
{
	struct portmap *pm = u->pm;
	int err, ttl = 2;
	socklen_t ll = sizeof(u->local);
	struct in_addr ifa;

	phase_begin(u, PM_ASKING);
	u->ext_port = np_addr_port(&pm->internal);
	u->lease_zero = 0;
	u->added = 0;
	if (pm->gateway.ss_family != AF_INET) {
		pm_upnp_fail(u, NP_EINVAL, "%s", "UPnP IGD here is IPv4 only");
		return 0;
	}
	err = bound_socket(u, SOCK_DGRAM, &u->ufd);
	if (!err) {
		ifa = ((struct sockaddr_in *)(void *)&pm->src)->sin_addr;
		/* UDA 1.1 §1.3.2: TTL 2 by default; from the candidate's
		 * interface. */
		setsockopt(u->ufd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
		setsockopt(u->ufd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa));
		getsockname(u->ufd, (struct sockaddr *)&u->local, &ll);
		err = np_loop_add_fd(pm->ctx->loop, u->ufd, EPOLLIN, ssdp_on_io, u);
	}
	if (err) {
		pm_upnp_fail(u, err, "SSDP socket: %s", np_strerror(err));
		return 0;
	}
	u->step = UP_SSDP;
	ssdp_send(u);
	return 0;
}

int pm_upnp_release(struct pm_upnp *u)
{
	int err;

	if (u->state == PM_ASKING) {
		u->res.ok = 0;
		u->res.code = NP_EINVAL;
		snprintf(u->res.reason, sizeof(u->res.reason), "cancelled by release");
		pm_upnp_finish(u, PM_FAILED);
		if (u->pm->dead)
			return 0;
	}
	if (!u->added || (u->state != PM_MAPPED && u->state != PM_FAILED))
		return 0;
	phase_begin(u, PM_RELEASING);
	err = pm_upnp_soap(u, UP_DELETE);
	if (err)
		pm_upnp_fail(u, err, "DeletePortMapping: %s", np_strerror(err));
	return 0;
}
