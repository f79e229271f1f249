/*
 * media_probe_rx.c - what the peer sends to the probe stream (see
 * media_probe.h): SRTP and SRTCP authenticated through srtp_session, RTP
 * fed to the RFC 3550 receiver statistics (A.1 sequence, A.3 loss, A.8
 * jitter) per SSRC, our own probes coming back timed, echo mode, and
 * RTCP: the peer's SR for our LSR/DLSR, its report blocks about our
 * stream (loss, jitter, the §6.4.1 round trip), CNAME and BYE. Then the
 * figures and the observations that carry them.
 */
#include "demux.h"
#include "media_probe_impl.h"
#include "np_err.h"
#include "np_rd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mp_note(struct media_probe *mp, const char *sub, uint32_t rtt_us,
	     const char *fmt, ...)
{
	struct obs o;
	va_list ap;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	if (sub)
		snprintf(o.test, sizeof(o.test), "%s.%s", mp->label, sub);
	else
		snprintf(o.test, sizeof(o.test), "%s", mp->label);
	if (rtt_us) {
		o.rtt_us = rtt_us;
		o.has |= OBS_HAS_RTT;
	}
	va_start(ap, fmt);
	vsnprintf(o.text, sizeof(o.text), fmt, ap);
	va_end(ap);
	np_ctx_record(mp->ctx, &o);
}

struct media_rx *mp_rx_find(struct media_probe *mp, uint32_t ssrc)
{
	for (size_t i = 0; i < mp->n_rx; i++)
		if (mp->rx_ssrc[i] == ssrc)
			return &mp->rx[i];
	return NULL;
}

/* The row for ssrc, created when there is room (NULL otherwise). Only
 * authenticated packets get here, so a spoofer without the keys cannot
 * fill the table. */
static struct media_rx *rx_get(struct media_probe *mp, uint32_t ssrc)
{
	struct media_rx *r = mp_rx_find(mp, ssrc);

	if (r)
		return r;
	if (mp->n_rx == MEDIA_MAX_SSRC) {
		mp->in_overflow++;
		return NULL;
	}
	mp->rx_ssrc[mp->n_rx] = ssrc;
	r = &mp->rx[mp->n_rx++];
	memset(r, 0, sizeof(*r));
	mp_note(mp, "ssrc", 0, "new ssrc=%08x from the peer", ssrc);
	return r;
}

/* Arrival time in the stream's RTP clock (A.8 wants both in one unit). */
static uint32_t arrival_ts(const struct media_probe *mp, uint64_t now)
{
	uint64_t el = now > mp->mono0 ? now - mp->mono0 : 0;

	return (uint32_t)(el * mp->cfg.clock_rate / 1000000u);
}

/* One of our probes came back: a round trip, unless it is a duplicate. */
static void echo_back(struct media_probe *mp, const uint8_t *p, uint64_t now)
{
	uint32_t ps = np_get32(p + 8);
	uint64_t sent = (uint64_t)np_get32(p + 12) << 32 | np_get32(p + 16);
	uint8_t *bit = &mp->echo_seen[(ps % MEDIA_ECHO_RING) / 8];
	uint8_t mask = (uint8_t)(1u << (ps % 8));
	uint32_t rtt;

	/* A probe we never sent, or from the future: not ours to time. */
	if (ps >= mp->probe_seq || sent > now || now - sent > UINT32_MAX)
		return;
	if (*bit & mask)
		return;
	*bit |= mask;
	rtt = (uint32_t)(now - sent);
	mp->echo_returned++;
	mp->rtt_echo_last = rtt;
	if (!mp->rtt_echo_n || rtt < mp->rtt_echo_min)
		mp->rtt_echo_min = rtt;
	if (rtt > mp->rtt_echo_max)
		mp->rtt_echo_max = rtt;
	mp->rtt_echo_sum += rtt;
	mp->rtt_echo_n++;
}

static void on_rtp(struct media_probe *mp, const uint8_t *buf, size_t len)
{
	struct rtp_hdr h;
	struct media_rx *r;
	uint64_t now = mp_now(mp);

	/* libsrtp checked the header already; this cannot fail in practice
	 * but the bytes are still the peer's. */
	if (rtp_parse(buf, len, &h))
		return;
	r = rx_get(mp, h.ssrc);
	if (r) {
		if (!r->started) {
			rtp_source_init(&r->src, h.ssrc, h.seq);
			/* A.1's probation guards against stray packets; an
			 * authenticated one is the source's, so it counts
			 * from the first. */
			r->src.probation = 0;
			r->src.max_seq = h.seq;
			if (r->sr_us) {
				r->src.last_sr_mid = r->sr_mid;
				r->src.last_sr_us = r->sr_us;
			}
			r->started = 1;
			r->first_us = now;
		}
		r->last_us = now;
		rtp_source_update(&r->src, h.seq, h.ts, arrival_ts(mp, now),
				  h.payload_len);
	}
	if (h.payload_len >= MEDIA_HDR_LEN &&
	    np_get32(h.payload) == MEDIA_MAGIC &&
	    np_get32(h.payload + 4) == mp->ssrc) {
		echo_back(mp, h.payload, now);
		return;
	}
	if (mp->cfg.echo && mp->started && !mp->done &&
	    h.payload_len <= MEDIA_PAYLOAD_MAX) {
		mp_send_rtp(mp, h.payload, h.payload_len);
		mp->echoed++;
	}
}

/* A report block about our stream (§6.4.1). */
static void peer_block(struct media_probe *mp, const struct rtcp_block *b)
{
	uint32_t rtt;

	mp->peer_reports++;
	mp->peer_last = *b;
	rtt = rtcp_rtt_us(mp_ntp_now(mp), b);
	if (!rtt)
		return;
	mp->rtt_rtcp_last = rtt;
	if (!mp->rtt_rtcp_n || rtt < mp->rtt_rtcp_min)
		mp->rtt_rtcp_min = rtt;
	if (rtt > mp->rtt_rtcp_max)
		mp->rtt_rtcp_max = rtt;
	mp->rtt_rtcp_n++;
}

static void on_rtcp(struct media_probe *mp, const uint8_t *buf, size_t len)
{
	struct rtcp_compound c;
	struct media_rx *r;
	uint64_t now = mp_now(mp);

	if (rtcp_parse(buf, len, &c)) {
		/* Authenticated, yet not RTCP as RFC 3550 A.2 has it. */
		if (!mp->logged_rtcp_malformed) {
			mp->logged_rtcp_malformed = 1;
			mp_note(mp, "rtcp", 0, "authenticated SRTCP of %zu bytes "
				"is not a valid compound packet", len);
		}
		return;
	}
	if (c.has_sr && (r = rx_get(mp, c.sr.ssrc))) {
		r->have_sr = 1;
		r->sr_packets = c.sr.packets;
		r->sr_octets = c.sr.octets;
		r->sr_mid = rtp_ntp_mid(c.sr.ntp);
		r->sr_us = now ? now : 1;
		if (r->started)
			rtp_source_got_sr(&r->src, c.sr.ntp, now);
	}
	for (unsigned i = 0; i < c.n_blocks && i < RTCP_MAX_BLOCKS; i++)
		if (c.blocks[i].ssrc == mp->ssrc)
			peer_block(mp, &c.blocks[i]);
	if (c.has_cname && (r = mp_rx_find(mp, c.cname_ssrc)) &&
	    strcmp(r->cname, c.cname) != 0) {
		snprintf(r->cname, sizeof(r->cname), "%s", c.cname);
		mp_note(mp, "ssrc", 0, "ssrc=%08x cname=%s", c.cname_ssrc,
			r->cname);
	}
	if (c.has_bye && (r = mp_rx_find(mp, c.bye_ssrc)) && !r->bye) {
		r->bye = 1;
		mp_note(mp, "bye", 0, "ssrc=%08x sent BYE", c.bye_ssrc);
	}
}

int media_probe_input(struct media_probe *mp, const uint8_t *buf, size_t len)
{
	enum demux_kind k = demux_classify(buf, len);
	int err;

	if (mp->done)
		return 0;
	if ((k != DEMUX_RTP && k != DEMUX_RTCP) || len > sizeof(mp->rxbuf)) {
		mp->in_other++;
		return NP_EINVAL;
	}
	/* libsrtp decrypts in place; the caller's bytes stay as they were. */
	memcpy(mp->rxbuf, buf, len);
	if (k == DEMUX_RTP) {
		mp->in_rtp++;
		err = srtp_session_unprotect_rtp(mp->srtp, mp->rxbuf, &len);
	} else {
		mp->in_rtcp++;
		err = srtp_session_unprotect_rtcp(mp->srtp, mp->rxbuf, &len);
	}
	if (err) {
		mp->in_failed++;
		return NP_EINVAL;
	}
	if (k == DEMUX_RTP)
		on_rtp(mp, mp->rxbuf, len);
	else
		on_rtcp(mp, mp->rxbuf, len);
	return 0;
}

int media_probe_wants(const struct media_probe *mp, const uint8_t *buf,
		      size_t len)
{
	switch (demux_classify(buf, len)) {
	case DEMUX_RTCP:
		return 1;
	case DEMUX_RTP:
		return (buf[1] & 0x7F) == mp->cfg.pt;
	default:
		return 0;
	}
}

/* Figures ------------------------------------------------------------- */

static void ssrc_stats(const struct media_probe *mp, const struct media_rx *r,
		       uint32_t ssrc, struct media_ssrc_stats *s)
{
	const struct srtp_ssrc_counts *c;

	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	if ((c = srtp_session_find(mp->srtp, ssrc, 0))) {
		s->srtp_ok = c->ok;
		s->srtp_auth_fail = c->auth_fail;
		s->srtp_replay = c->replay;
		s->srtp_malformed = c->malformed;
	}
	if ((c = srtp_session_find(mp->srtp, ssrc, 1))) {
		s->srtcp_ok = c->ok;
		s->srtcp_failed = c->auth_fail + c->replay + c->malformed;
	}
	if (!r)
		return;
	snprintf(s->cname, sizeof(s->cname), "%s", r->cname);
	s->have_sr = r->have_sr;
	s->sr_packets = r->sr_packets;
	s->sr_octets = r->sr_octets;
	s->bye = r->bye;
	if (!r->started)
		return;
	/* A.3, without advancing the interval counters the reports use. */
	s->received = r->src.received;
	if (r->src.received) {
		uint32_t ext_max = r->src.cycles + r->src.max_seq;

		s->expected = (uint64_t)(ext_max - r->src.base_seq) + 1;
	}
	s->lost = (int64_t)s->expected - (int64_t)s->received;
	s->loss_pct = s->expected ? 100.0 * (double)s->lost / (double)s->expected : 0;
	s->fraction_lost = r->last_fraction;
	s->jitter_us = (uint32_t)((uint64_t)(r->src.jitter_q4 >> 4) * 1000000u /
				  mp->cfg.clock_rate);
	s->reordered = r->src.reordered;
	s->octets = r->src.octets;
	if (r->last_us > r->first_us)
		s->throughput_bps = s->octets * 8 * 1000000u /
				    (r->last_us - r->first_us);
}

void media_probe_stats(const struct media_probe *mp, struct media_stats *st)
{
	size_t n, i;
	const struct srtp_ssrc_counts *rows;

	memset(st, 0, sizeof(*st));
	st->ssrc = mp->ssrc;
	st->echo = mp->cfg.echo;
	st->sent_packets = mp->sent_packets;
	st->sent_octets = mp->sent_octets;
	st->sent_rtcp = mp->sent_rtcp;
	st->send_errors = mp->send_errors;
	st->echoed = mp->echoed;
	if (mp->last_send_us > mp->first_send_us)
		st->send_bps = mp->sent_octets * 8 * 1000000u /
			       (mp->last_send_us - mp->first_send_us);
	st->peer_reports = mp->peer_reports;
	if (mp->peer_reports) {
		/* The peer extends our sequence numbers from seq0 (or seq0 +
		 * 1 after A.1 probation: a tenth of a percent here). */
		uint32_t exp = mp->peer_last.ext_high_seq - mp->seq0 + 1;

		st->peer_fraction_lost = mp->peer_last.fraction_lost;
		st->peer_cum_lost = mp->peer_last.cum_lost;
		if (exp && exp < 0x80000000u)
			st->peer_loss_pct = 100.0 * mp->peer_last.cum_lost / exp;
		st->peer_jitter_us = (uint32_t)((uint64_t)mp->peer_last.jitter *
						1000000u / mp->cfg.clock_rate);
	}
	st->rtt_rtcp_n = mp->rtt_rtcp_n;
	st->rtt_rtcp_last_us = mp->rtt_rtcp_last;
	st->rtt_rtcp_min_us = mp->rtt_rtcp_min;
	st->rtt_rtcp_max_us = mp->rtt_rtcp_max;
	st->echo_returned = mp->echo_returned;
	if (mp->echo_returned && mp->probe_seq)
		st->echo_loss_pct = 100.0 * (double)(mp->probe_seq -
						     mp->echo_returned) /
				    mp->probe_seq;
	st->rtt_echo_n = mp->rtt_echo_n;
	st->rtt_echo_last_us = mp->rtt_echo_last;
	st->rtt_echo_min_us = mp->rtt_echo_min;
	st->rtt_echo_max_us = mp->rtt_echo_max;
	if (mp->rtt_echo_n)
		st->rtt_echo_avg_us = (uint32_t)(mp->rtt_echo_sum / mp->rtt_echo_n);
	st->in_rtp = mp->in_rtp;
	st->in_rtcp = mp->in_rtcp;
	st->in_failed = mp->in_failed;
	st->in_other = mp->in_other;
	st->in_overflow = mp->in_overflow;
	for (i = 0; i < mp->n_rx; i++)
		ssrc_stats(mp, &mp->rx[i], mp->rx_ssrc[i], &st->rx[i]);
	st->n_rx = mp->n_rx;
	/* SSRCs that never authenticated: their failures, in rows of their
	 * own while there is room. */
	rows = srtp_session_counts(mp->srtp, &n, NULL);
	for (i = 0; i < n && st->n_rx < MEDIA_MAX_SSRC; i++) {
		size_t j;

		for (j = 0; j < st->n_rx; j++)
			if (st->rx[j].ssrc == rows[i].ssrc)
				break;
		if (j == st->n_rx)
			ssrc_stats(mp, NULL, rows[i].ssrc, &st->rx[st->n_rx++]);
	}
}

static void record_tx(struct media_probe *mp, const struct media_stats *st,
		      int final)
{
	mp_note(mp, final ? NULL : "stats",
		st->rtt_rtcp_n ? st->rtt_rtcp_last_us : st->rtt_echo_last_us,
		"%sssrc=%08x sent=%llu bytes=%llu bps=%llu rtcp=%llu echoed=%llu "
		"errors=%llu peer_reports=%u peer_loss=%.1f%% peer_jitter_us=%u "
		"rtt_rtcp_us=%u rtt_echo_us=%u/%u/%u echo_back=%llu "
		"in_failed=%llu", final ? "summary " : "", st->ssrc,
		(unsigned long long)st->sent_packets,
		(unsigned long long)st->sent_octets,
		(unsigned long long)st->send_bps,
		(unsigned long long)st->sent_rtcp,
		(unsigned long long)st->echoed,
		(unsigned long long)st->send_errors, st->peer_reports,
		st->peer_loss_pct, st->peer_jitter_us, st->rtt_rtcp_last_us,
		st->rtt_echo_min_us, st->rtt_echo_avg_us, st->rtt_echo_max_us,
		(unsigned long long)st->echo_returned,
		(unsigned long long)st->in_failed);
}

static void record_rx(struct media_probe *mp, const struct media_ssrc_stats *s,
		      int final)
{
	mp_note(mp, "rx", 0,
		"%sssrc=%08x cname=%s received=%llu expected=%llu lost=%lld "
		"loss=%.1f%% jitter_us=%u reordered=%u bps=%llu auth_ok=%llu "
		"auth_fail=%llu replay=%llu malformed=%llu srtcp_ok=%llu "
		"srtcp_failed=%llu%s", final ? "summary " : "", s->ssrc,
		s->cname[0] ? s->cname : "-",
		(unsigned long long)s->received,
		(unsigned long long)s->expected, (long long)s->lost,
		s->loss_pct, s->jitter_us, s->reordered,
		(unsigned long long)s->throughput_bps,
		(unsigned long long)s->srtp_ok,
		(unsigned long long)s->srtp_auth_fail,
		(unsigned long long)s->srtp_replay,
		(unsigned long long)s->srtp_malformed,
		(unsigned long long)s->srtcp_ok,
		(unsigned long long)s->srtcp_failed, s->bye ? " bye" : "");
}

void mp_record_stats(struct media_probe *mp, int final)
{
	struct media_stats st;

	media_probe_stats(mp, &st);
	record_tx(mp, &st, final);
	for (size_t i = 0; i < st.n_rx; i++) {
		/* Periodic notes only for SSRCs heard from in the interval. */
		if (!final && i < mp->n_rx) {
			struct media_rx *r = &mp->rx[i];

			if (r->src.received == r->interval_received &&
			    r->started)
				continue;
			r->interval_received = r->src.received;
		}
		record_rx(mp, &st.rx[i], final);
	}
}
