/*
 * portmap_udp.c - the two UDP port-mapping protocols: PCP MAP (RFC 6887
 * §11) and NAT-PMP (RFC 6886 §3.2-3.4). One socket, one request set and
 * one retransmission timer each; a phase (start or release) ends with one
 * callback.
 */
#include "portmap_impl.h"
#include "np_err.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

void pm_udp_close(struct pm_udp *u)
{
	struct np_loop *loop = u->pm->ctx->loop;

	np_timer_stop(loop, &u->timer);
	if (u->fd >= 0) {
		np_loop_del_fd(loop, u->fd);
		close(u->fd);
		u->fd = -1;
	}
}

/* Ends the current phase with u->res: reports it. */
static void udp_finish(struct pm_udp *u, enum pm_state st)
{
	struct portmap_result r = u->res;

	np_timer_stop(u->pm->ctx->loop, &u->timer);
	u->state = st;
	if (st == PM_RELEASED || st == PM_FAILED)
		pm_udp_close(u);
	pm_report(u->pm, &r);
}

static int udp_transmit(struct pm_udp *u)
{
	struct portmap *pm = u->pm;
	int release = u->state == PM_RELEASING;
	uint32_t life = release ? 0 : PM_LIFETIME_S;
	uint16_t iport = np_addr_port(&pm->internal);
	uint8_t buf[2][64];
	size_t len[2] = { 0, 0 }, n = 1;
	uint64_t now = pm_now(pm), deadline;
	int err = 0;

	if (u->proto == PORTMAP_PCP) {
		err = pcp_enc_map(buf[0], sizeof(buf[0]), &len[0], &pm->src, life, &u->map);
	} else {
		/* §3.4: a removal has suggested port and lifetime 0; the
		 * public address is asked beside every mapping request. */
		err = natpmp_enc_map(buf[0], sizeof(buf[0]), &len[0], NATPMP_OP_MAP_UDP,
				     iport, release ? 0 : u->ext_port, life);
		if (!err && !release && !u->got_public) {
			err = natpmp_enc_public(buf[1], sizeof(buf[1]), &len[1]);
			n = 2;
		}
	}
	if (err)
		return err;
	u->attempt++;
	if (u->attempt == 1)
		u->first_us = now;
	deadline = now + u->rto_us;
	if (deadline > u->first_us + PM_WAIT_US)
		deadline = u->first_us + PM_WAIT_US;
	for (size_t i = 0; i < n; i++) {
		struct obs o;
		int e = 0;

		if (i == 0 && u->proto == PORTMAP_NATPMP && u->got_map)
			continue;  /* only the public address is missing */
		if (sendto(u->fd, buf[i], len[i], 0, (const struct sockaddr *)&pm->gateway,
			   np_addr_len(&pm->gateway)) < 0)
			e = -errno;
		else if (i == 0)
			u->sent = 1;
		pm_obs_base(pm, &o, u->attempt == 1 ? OBS_SENT : OBS_RETRANSMIT,
			    pm_test_name(u->proto), NP_UDP, &u->local, &pm->gateway);
		o.attempt = (uint16_t)u->attempt;
		o.rto_us = (uint32_t)(deadline - now);
		o.size = (uint32_t)len[i];
		o.err = e;
		if (u->proto == PORTMAP_PCP)
			snprintf(o.text, sizeof(o.text), "PCP MAP UDP internal port %u lifetime %u",
				 iport, life);
		else if (i == 0)
			snprintf(o.text, sizeof(o.text), "NAT-PMP map UDP internal port %u lifetime %u",
				 iport, life);
		else
			snprintf(o.text, sizeof(o.text), "NAT-PMP external address request");
		if (e)
			snprintf(o.text + strlen(o.text), sizeof(o.text) - strlen(o.text),
				 ": send failed: %s", np_strerror(e));
		pm_record(pm, &o);
	}
	u->rto_us *= 2;
	return np_timer_start(pm->ctx->loop, &u->timer, deadline);
}

static void udp_timer(struct np_loop *loop, void *arg)
{
	struct pm_udp *u = arg;
	struct portmap *pm = u->pm;
	uint64_t now = np_loop_now(loop);
	struct obs o;

	pm_enter(pm);
	if (now < u->first_us + PM_WAIT_US) {
		if (udp_transmit(u) == 0)
			goto out;
	}
	pm_obs_base(pm, &o, OBS_TIMEOUT, pm_test_name(u->proto), NP_UDP, &u->local,
		    &pm->gateway);
	o.attempt = (uint16_t)u->attempt;
	o.rtt_us = (uint32_t)(now - u->first_us);
	snprintf(o.text, sizeof(o.text), "no response after %d %s (%.1f s)", u->attempt,
		 u->attempt == 1 ? "try" : "tries", (double)(now - u->first_us) / 1e6);
	pm_record(pm, &o);
	u->res.code = NP_ETIMEOUT;
	snprintf(u->res.reason, sizeof(u->res.reason), "%.120s", o.text);
	u->res.ok = 0;
	udp_finish(u, u->state == PM_RELEASING ? PM_RELEASED : PM_FAILED);
out:
	pm_leave(pm);
}

static void udp_external(struct pm_udp *u, const uint8_t ip[4], uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&u->res.external;

	memset(&u->res.external, 0, sizeof(u->res.external));
	s4->sin_family = AF_INET;
	memcpy(&s4->sin_addr, ip, 4);
	s4->sin_port = htons(port);
}

/* Handles one answer; returns 1 when the phase ended. */
static int pcp_answer(struct pm_udp *u, const struct pcp_resp *r, struct obs *o)
{
	int release = u->state == PM_RELEASING;

	if (r->opcode != PCP_OP_MAP || (r->has_map &&
	    (memcmp(r->map.nonce, u->map.nonce, PCP_NONCE_LEN) != 0 ||
	     r->map.protocol != IPPROTO_UDP ||
	     r->map.internal_port != u->map.internal_port))) {
		o->kind = OBS_UNMATCHED;
		snprintf(o->text, sizeof(o->text), "PCP response opcode %u does not match "
			 "our MAP (nonce, protocol or internal port)", r->opcode);
		return 0;
	}
	if (release && r->result == 0 && r->lifetime != 0) {
		/* §15: a removal is answered with lifetime 0; this is a late
		 * answer to the mapping request (same nonce). */
		o->kind = OBS_UNMATCHED;
		snprintf(o->text, sizeof(o->text), "PCP SUCCESS with lifetime %u while "
			 "removing: a late answer to the mapping request", r->lifetime);
		return 0;
	}
	if (!r->has_map && r->result == 0) {
		o->kind = OBS_MALFORMED;
		snprintf(o->text, sizeof(o->text), "PCP SUCCESS without the MAP fields");
		return 0;
	}
	o->error_code = r->result;
	o->has |= OBS_HAS_ERROR_CODE;
	u->res.code = r->result;
	u->res.lifetime_s = r->lifetime;
	snprintf(u->res.reason, sizeof(u->res.reason), "%u %s", r->result,
		 pcp_result_name(r->result));
	if (r->result == 0 && !release) {
		u->res.ok = 1;
		u->res.external = r->map.external;
		o->mapped = r->map.external;
		o->has |= OBS_HAS_MAPPED;
		snprintf(u->res.reason, sizeof(u->res.reason), "0 SUCCESS, lifetime %u s",
			 r->lifetime);
	} else {
		u->res.ok = r->result == 0;
	}
	snprintf(o->text, sizeof(o->text), "PCP %s", u->res.reason);
	return 1;
}

static int natpmp_answer(struct pm_udp *u, const struct natpmp_resp *r, struct obs *o)
{
	int release = u->state == PM_RELEASING;

	o->error_code = r->result;
	o->has |= OBS_HAS_ERROR_CODE;
	snprintf(o->text, sizeof(o->text), "NAT-PMP %s: %u %s",
		 r->opcode == NATPMP_OP_PUBLIC ? "external address" : "map UDP",
		 r->result, natpmp_result_name(r->result));
	if (r->opcode == NATPMP_OP_MAP_TCP ||
	    (r->opcode == NATPMP_OP_MAP_UDP && r->result == 0 &&
	     r->internal_port != np_addr_port(&u->pm->internal))) {
		o->kind = OBS_UNMATCHED;
		return 0;
	}
	if (r->result != 0) {
		u->res.ok = 0;
		u->res.code = r->result;
		snprintf(u->res.reason, sizeof(u->res.reason), "%u %s%s", r->result,
			 natpmp_result_name(r->result), r->opcode == NATPMP_OP_PUBLIC ?
			 " (external address request)" : "");
		return 1;
	}
	if (r->opcode == NATPMP_OP_PUBLIC) {
		if (release)
			return 0;
		u->got_public = 1;
		memcpy(u->public_ip, r->public_ip, 4);
	} else {
		if (release && r->lifetime != 0) {
			o->kind = OBS_UNMATCHED;   /* §3.4: removal has lifetime 0 */
			return 0;
		}
		u->got_map = 1;
		u->ext_port = r->external_port;
		u->lifetime = r->lifetime;
		if (release) {
			u->res.ok = 1;
			u->res.code = 0;
			snprintf(u->res.reason, sizeof(u->res.reason), "0 Success (removed)");
			return 1;
		}
	}
	if (!u->got_public || !u->got_map)
		return 0;
	u->res.ok = 1;
	u->res.code = 0;
	u->res.lifetime_s = u->lifetime;
	udp_external(u, u->public_ip, u->ext_port);
	o->mapped = u->res.external;
	o->has |= OBS_HAS_MAPPED;
	snprintf(u->res.reason, sizeof(u->res.reason), "0 Success, lifetime %u s",
		 u->lifetime);
	return 1;
}

static void udp_on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg)
{
	struct pm_udp *u = arg;
	struct portmap *pm = u->pm;

	pm_enter(pm);
	for (int i = 0; i < PM_RECV_BUDGET && !pm->dead && u->fd == fd; i++) {
		uint8_t buf[PCP_MAX_LEN + 4];
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &slen);
		struct obs o;
		int err, done = 0;

		if (n < 0)
			break;
		pm_obs_base(pm, &o, OBS_RESPONSE, pm_test_name(u->proto), NP_UDP,
			    &u->local, &pm->gateway);
		o.source = src;
		o.has |= OBS_HAS_SOURCE;
		o.size = (uint32_t)n;
		o.attempt = (uint16_t)u->attempt;
		o.rtt_us = (uint32_t)(pm_now(pm) - u->first_us);
		o.has |= OBS_HAS_RTT;
		if (!np_addr_equal(&src, &pm->gateway)) {
			o.kind = OBS_UNMATCHED;
			snprintf(o.text, sizeof(o.text), "%zd bytes not from the gateway's "
				 "server port: ignored", n);
			pm_record(pm, &o);
			continue;
		}
		if (u->state != PM_ASKING && u->state != PM_RELEASING) {
			o.kind = OBS_UNMATCHED;
			snprintf(o.text, sizeof(o.text), "late or duplicate answer (%zd bytes)", n);
			pm_record(pm, &o);
			continue;
		}
		if (u->proto == PORTMAP_PCP) {
			struct pcp_resp r;

			err = pcp_parse(buf, (size_t)n, &r);
			if (err == NP_EINVAL && n >= 2 && buf[0] == NATPMP_VERSION) {
				/* §9: a NAT-PMP-only server answers in its own
				 * format, Unsupported Version. */
				u->res.code = 1;
				snprintf(u->res.reason, sizeof(u->res.reason),
					 "gateway answers NAT-PMP only (version 0 reply)");
				snprintf(o.text, sizeof(o.text), "PCP: %s", u->res.reason);
				done = 1;
			} else if (!err) {
				done = pcp_answer(u, &r, &o);
			}
		} else {
			struct natpmp_resp r;

			err = natpmp_parse(buf, (size_t)n, &r);
			if (err == NP_EINVAL && n >= 1 && buf[0] == PCP_VERSION) {
				o.kind = OBS_UNMATCHED;
				snprintf(o.text, sizeof(o.text), "PCP reply on the NAT-PMP socket");
				err = 0;
			} else if (!err) {
				done = natpmp_answer(u, &r, &o);
			}
		}
		if (err && !done) {
			o.kind = OBS_MALFORMED;
			o.err = err;
			snprintf(o.text, sizeof(o.text), "%s reply of %zd bytes: %s",
				 portmap_proto_name(u->proto), n, np_strerror(err));
		}
		pm_record(pm, &o);
		if (done)
			udp_finish(u, u->state == PM_RELEASING ? PM_RELEASED :
				   u->res.ok ? PM_MAPPED : PM_FAILED);
	}
	pm_leave(pm);
}

static int udp_open(struct pm_udp *u)
{
	struct portmap *pm = u->pm;
	struct sockaddr_storage bind_to = pm->src;
	socklen_t len = sizeof(u->local);
	int err;

	u->fd = socket(pm->gateway.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -errno;
	if (bind_to.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&bind_to)->sin_port = 0;
	else
		((struct sockaddr_in6 *)(void *)&bind_to)->sin6_port = 0;
	if (bind(u->fd, (struct sockaddr *)&bind_to, np_addr_len(&bind_to)) < 0 ||
	    getsockname(u->fd, (struct sockaddr *)&u->local, &len) < 0) {
		err = -errno;
		goto fail;
	}
	err = np_loop_add_fd(pm->ctx->loop, u->fd, EPOLLIN, udp_on_io, u);
	if (err)
		goto fail;
	return 0;
fail:
	close(u->fd);
	u->fd = -1;
	return err;
}

/* Starts a phase; a local failure ends it at once with that error. */
void pm_udp_begin(struct pm_udp *u, enum pm_state st)
{
	int err = 0;

	pm_result_init(&u->res, u->proto, st == PM_RELEASING);
	u->state = st;
	u->attempt = 0;
	u->rto_us = PM_RTO_US;
	u->got_map = 0;
	if (st == PM_ASKING) {
		u->got_public = 0;
		u->ext_port = np_addr_port(&u->pm->internal);
	}
	if (u->proto == PORTMAP_NATPMP && u->pm->gateway.ss_family != AF_INET)
		err = NP_EINVAL;
	if (!err && u->fd < 0)
		err = udp_open(u);
	if (!err)
		err = udp_transmit(u);
	if (err) {
		u->res.code = err;
		snprintf(u->res.reason, sizeof(u->res.reason), "%s",
			 u->proto == PORTMAP_NATPMP && u->pm->gateway.ss_family != AF_INET ?
			 "NAT-PMP is IPv4 only" : np_strerror(err));
		udp_finish(u, st == PM_RELEASING ? PM_RELEASED : PM_FAILED);
	}
}

void pm_udp_release(struct pm_udp *u)
{
	if (u->state == PM_ASKING) {
		/* The start ends first (its callback is owed), then the
		 * mapping the gateway may have made is removed. */
		u->res.ok = 0;
		u->res.code = NP_EINVAL;
		snprintf(u->res.reason, sizeof(u->res.reason), "cancelled by release");
		udp_finish(u, PM_FAILED);
		if (u->pm->dead || !u->sent)
			return;
	} else if (u->state != PM_MAPPED) {
		return;
	}
	pm_udp_begin(u, PM_RELEASING);
}

void pm_udp_init(struct pm_udp *u, struct portmap *pm, enum portmap_proto p)
{
	u->pm = pm;
	u->proto = p;
	u->fd = -1;
	np_timer_init(&u->timer, udp_timer, u);
}

