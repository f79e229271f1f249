/*
 * media_probe.c - the probe stream's life and what it sends (see
 * media_probe.h): RTP on a fixed schedule (t_start + k * period, so a
 * late timer does not drift the stream), and every RTCP interval one
 * compound packet, SR (or RR before we have sent anything) with a report
 * block per SSRC heard, then SDES CNAME (RFC 3550 §6.1: "each compound
 * RTCP packet MUST include a report packet and a CNAME"), BYE at the end.
 * media_probe_rx.c takes what the peer sends.
 */
#include "media_probe_impl.h"
#include "np_err.h"
#include "np_rd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define DEF_PAYLOAD 160
#define DEF_PPS 50
#define DEF_DURATION_US 10000000u
#define DEF_RTCP_US 1000000u

uint64_t mp_now(const struct media_probe *mp)
{
	return np_loop_now(mp->ctx->loop);
}

/* Our NTP clock (§4) is the loop's clock anchored to the wall clock once,
 * so it is monotonic and a fake clock in tests drives it too. */
uint64_t mp_ntp_now(const struct media_probe *mp)
{
	uint64_t now = mp_now(mp);

	return rtp_ntp_from_us(mp->wall0 + (now > mp->mono0 ? now - mp->mono0 : 0));
}

/* RTP timestamps follow the sampling clock (§5.1); ours advance with the
 * send time, so the peer's A.8 jitter measures the path alone. */
uint32_t mp_rtp_ts(const struct media_probe *mp, uint64_t now)
{
	uint64_t el = now > mp->mono0 ? now - mp->mono0 : 0;

	return mp->ts0 + (uint32_t)(el * mp->cfg.clock_rate / 1000000u);
}

static void send_err(struct media_probe *mp, int err, int protect)
{
	int *logged = protect ? &mp->logged_protect_err : &mp->logged_send_err;

	mp->send_errors++;
	if (*logged)
		return;
	*logged = 1;
	{
		struct obs o;

		memset(&o, 0, sizeof(o));
		o.kind = OBS_ERROR;
		o.err = err;
		snprintf(o.test, sizeof(o.test), "%s.send", mp->label);
		snprintf(o.text, sizeof(o.text), "%s failed: %s (later failures "
			 "are counted in send_errors)",
			 protect ? "SRTP protect" : "send", np_strerror(err));
		np_ctx_record(mp->ctx, &o);
	}
}

/* Protects txbuf[0..len) in place and hands it to the caller. */
static int emit(struct media_probe *mp, size_t len, int rtcp)
{
	int err;

	err = rtcp ? srtp_session_protect_rtcp(mp->srtp, mp->txbuf, &len,
					       sizeof(mp->txbuf)) :
		     srtp_session_protect_rtp(mp->srtp, mp->txbuf, &len,
					      sizeof(mp->txbuf));
	if (err) {
		send_err(mp, err, 1);
		return err;
	}
	err = mp->send(mp->send_arg, mp->txbuf, len);
	if (err) {
		send_err(mp, err, 0);
		return err;
	}
	return 0;
}

void mp_send_rtp(struct media_probe *mp, const uint8_t *payload, size_t plen)
{
	struct rtp_hdr h;
	struct np_wr w;
	uint64_t now = mp_now(mp);

	memset(&h, 0, sizeof(h));
	h.pt = mp->cfg.pt;
	h.seq = mp->seq++;
	h.ts = mp_rtp_ts(mp, now);
	h.ssrc = mp->ssrc;
	h.marker = mp->sent_packets == 0;   /* first packet of a talkspurt */
	np_wr_init(&w, mp->txbuf, sizeof(mp->txbuf) - SRTP_SESSION_TRAILER);
	if (rtp_build(&w, &h, payload, plen)) {
		send_err(mp, NP_ENOSPACE, 1);
		return;
	}
	if (emit(mp, w.len, 0))
		return;
	if (!mp->sent_packets)
		mp->first_send_us = now;
	mp->last_send_us = now;
	mp->sent_packets++;
	mp->sent_octets += plen;
}

/* One probe: the natprobe header, then zeros up to payload_len. */
static void send_probe(struct media_probe *mp)
{
	uint8_t *p = mp->payload;
	uint64_t now = mp_now(mp);
	uint32_t ps = mp->probe_seq++;

	np_put32(p, MEDIA_MAGIC);
	np_put32(p + 4, mp->ssrc);
	np_put32(p + 8, ps);
	np_put32(p + 12, (uint32_t)(now >> 32));
	np_put32(p + 16, (uint32_t)now);
	/* Not yet back. */
	mp->echo_seen[(ps % MEDIA_ECHO_RING) / 8] &=
		(uint8_t)~(1u << (ps % 8));
	mp_send_rtp(mp, p, mp->cfg.payload_len);
}

static void rtp_tick(struct np_loop *loop, void *arg)
{
	struct media_probe *mp = arg;
	uint64_t now = np_loop_now(loop), next;

	if (mp->done)
		return;
	send_probe(mp);
	mp->k++;
	next = mp->t_start + mp->k * mp->period_us;
	/* After a long stall, resume the schedule instead of bursting. */
	if (next + mp->period_us < now) {
		mp->k = (now - mp->t_start) / mp->period_us + 1;
		next = mp->t_start + mp->k * mp->period_us;
	}
	if (next >= mp->t_send_end)
		return;
	np_timer_start(loop, &mp->rtp_timer, next);
}

/* One compound: SR or RR with our report blocks, SDES CNAME, maybe BYE. */
static void send_rtcp(struct media_probe *mp, int bye)
{
	struct rtcp_block b[RTCP_MAX_BLOCKS];
	unsigned n = 0;
	struct np_wr w;
	uint64_t now = mp_now(mp);

	for (size_t i = 0; i < mp->n_rx && n < RTCP_MAX_BLOCKS; i++) {
		struct media_rx *r = &mp->rx[i];

		if (!r->started)
			continue;
		rtp_source_report(&r->src, now, &b[n]);
		r->last_fraction = b[n].fraction_lost;
		n++;
	}
	np_wr_init(&w, mp->txbuf, sizeof(mp->txbuf) - SRTP_SESSION_TRAILER);
	if (mp->sent_packets) {
		struct rtcp_sr sr = {
			.ssrc = mp->ssrc,
			.ntp = mp_ntp_now(mp),
			.rtp_ts = mp_rtp_ts(mp, now),
			.packets = (uint32_t)mp->sent_packets,
			.octets = (uint32_t)mp->sent_octets,
		};

		rtcp_build_sr(&w, &sr, b, n);
	} else {
		rtcp_build_rr(&w, mp->ssrc, b, n);
	}
	rtcp_build_sdes_cname(&w, mp->ssrc, mp->cfg.cname);
	if (bye)
		rtcp_build_bye(&w, mp->ssrc);
	if (w.err) {
		send_err(mp, w.err, 1);
		return;
	}
	if (!emit(mp, w.len, 1))
		mp->sent_rtcp++;
}

static void finish(struct media_probe *mp, int send_bye)
{
	if (mp->done)
		return;
	if (send_bye && mp->started)
		send_rtcp(mp, 1);
	mp->done = 1;
	np_timer_stop(mp->ctx->loop, &mp->rtp_timer);
	np_timer_stop(mp->ctx->loop, &mp->rtcp_timer);
	if (mp->started)
		mp_record_stats(mp, 1);
	if (mp->cfg.on_done)
		mp->cfg.on_done(mp, mp->cfg.done_arg);
}

static void rtcp_tick(struct np_loop *loop, void *arg)
{
	struct media_probe *mp = arg;
	uint64_t now = np_loop_now(loop);

	if (mp->done)
		return;
	if (mp->t_end && now >= mp->t_end) {
		finish(mp, 1);
		return;
	}
	send_rtcp(mp, 0);
	mp_record_stats(mp, 0);
	np_timer_start(loop, &mp->rtcp_timer, now + mp->cfg.rtcp_interval_us);
}

static int fill_cfg(struct media_probe_cfg *c)
{
	if (!c->clock_rate)
		c->clock_rate = c->kind == MEDIA_VIDEO ? 90000 : 48000;
	if (!c->payload_len)
		c->payload_len = DEF_PAYLOAD;
	if (!c->pps)
		c->pps = DEF_PPS;
	if (!c->duration_us && !c->echo)
		c->duration_us = DEF_DURATION_US;
	if (!c->rtcp_interval_us)
		c->rtcp_interval_us = DEF_RTCP_US;
	if (!c->linger_us)
		c->linger_us = 2 * (uint64_t)c->rtcp_interval_us;
	if (!c->cname)
		c->cname = "natprobe";
	if (c->pt > 127 || c->payload_len < MEDIA_HDR_LEN ||
	    c->payload_len > MEDIA_PAYLOAD_MAX || c->pps > 10000 ||
	    c->clock_rate > 1000000 || strlen(c->cname) > 255)
		return NP_EINVAL;
	/* RFC 5761 §4: payload types 64-95 would collide with RTCP types
	 * 192-223 once the marker bit is set. */
	if (c->pt >= 64 && c->pt <= 95)
		return NP_EINVAL;
	return 0;
}

int media_probe_new(struct np_ctx *ctx, const struct dtls_srtp_keys *k,
		    const struct media_probe_cfg *cfg, media_send_fn send,
		    void *arg, struct media_probe **out)
{
	struct media_probe *mp;
	uint32_t rnd[3];
	int err;

	*out = NULL;
	if (!ctx || !k || !cfg || !send)
		return NP_EINVAL;
	mp = calloc(1, sizeof(*mp));
	if (!mp)
		return NP_ENOMEM;
	mp->ctx = ctx;
	np_timer_init(&mp->rtp_timer, rtp_tick, mp);
	np_timer_init(&mp->rtcp_timer, rtcp_tick, mp);
	mp->cfg = *cfg;
	if ((err = fill_cfg(&mp->cfg)))
		goto out;
	mp->label = mp->cfg.label ? mp->cfg.label : "media";
	mp->send = send;
	mp->send_arg = arg;
	if ((err = srtp_session_new(k, &mp->srtp)))
		goto out;
	/* §5.1: random initial sequence number and timestamp; §8: random
	 * SSRC. */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		err = NP_EINTERNAL;
		goto out;
	}
	mp->ssrc = mp->cfg.ssrc ? mp->cfg.ssrc : (rnd[0] ? rnd[0] : 1);
	mp->seq0 = mp->seq = (uint16_t)rnd[1];
	mp->ts0 = rnd[2];
	mp->period_us = 1000000u / mp->cfg.pps;
	if (!mp->period_us)
		mp->period_us = 1;
	mp->mono0 = np_loop_now(ctx->loop);
	mp->wall0 = np_wallclock_us();
	*out = mp;
	return 0;
out:
	media_probe_free(mp);
	return err;
}

int media_probe_start(struct media_probe *mp)
{
	struct np_loop *loop = mp->ctx->loop;
	uint64_t now;
	int err;

	if (mp->started || mp->done)
		return NP_EINVAL;
	now = np_loop_update_now(loop);
	mp->started = 1;
	mp->t_start = now;
	if (mp->cfg.duration_us) {
		mp->t_send_end = now + mp->cfg.duration_us;
		mp->t_end = mp->t_send_end + mp->cfg.linger_us;
	}
	mp_note(mp, "start", 0, "ssrc=%08x kind=%s pt=%u clock=%u payload=%zu "
		"pps=%u duration_ms=%llu echo=%d cname=%s", mp->ssrc,
		mp->cfg.kind == MEDIA_VIDEO ? "video" : "audio", mp->cfg.pt,
		mp->cfg.clock_rate, mp->cfg.payload_len, mp->cfg.pps,
		(unsigned long long)(mp->cfg.duration_us / 1000), mp->cfg.echo,
		mp->cfg.cname);
	if (!mp->cfg.echo) {
		/* The first probe goes out now, the rest on the schedule. */
		rtp_tick(loop, mp);
	}
	err = np_timer_start(loop, &mp->rtcp_timer,
			     now + mp->cfg.rtcp_interval_us);
	return err;
}

void media_probe_stop(struct media_probe *mp)
{
	if (mp)
		finish(mp, 1);
}

int media_probe_done(const struct media_probe *mp)
{
	return mp->done;
}

void media_probe_free(struct media_probe *mp)
{
	if (!mp)
		return;
	np_timer_stop(mp->ctx->loop, &mp->rtp_timer);
	np_timer_stop(mp->ctx->loop, &mp->rtcp_timer);
	srtp_session_free(mp->srtp);
	free(mp);
}
