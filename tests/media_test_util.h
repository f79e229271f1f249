/*
 * media_test_util.h - the in-memory link for tests/test_media_probe.c:
 * two probe streams on one loop under a fake clock, each one's datagrams
 * queued for the other with a delay, and a fixed pattern of drops, extra
 * delay (reordering), alternating delay (jitter) and tampering applied to
 * A's RTP towards B. Optional taps decrypt each direction to compare
 * what went with what came back. Uses cmocka's assertions.
 */
#ifndef MEDIA_TEST_UTIL_H
#define MEDIA_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demux.h"
#include "dtls.h"
#include "evloop.h"
#include "media_probe.h"
#include "obs.h"
#include "rtp.h"
#include "srtp_session.h"
#include "stun_client.h"

#define QMAX 512
#define PKT 1600
#define TAPMAX 256
#define SSRC_A 0xAAAA0001u
#define SSRC_B 0xBBBB0002u

struct pkt {
	uint64_t at;
	int to_b;
	size_t len;
	uint8_t buf[PKT];
};

struct net;
struct end {
	struct net *net;
	int to_b;
};

struct net {
	uint64_t clock;
	struct np_loop *loop;
	struct obs_log log;
	struct np_ctx ctx;
	struct dtls_srtp_keys ka, kb;
	struct media_probe *a, *b;
	struct end ea, eb;
	struct pkt q[QMAX];
	size_t nq;
	/* The link, A to B unless said otherwise. */
	uint64_t delay_us;          /* both directions */
	uint64_t delay2_us;         /* A->B: odd RTP packets take this */
	unsigned drop_every;        /* A->B: every Nth RTP packet */
	unsigned tamper_every;      /* A->B: every Nth RTP packet, one bit */
	long late_index;            /* A->B: this RTP packet (0-based)... */
	uint64_t late_us;           /* ...arrives this much later */
	unsigned rtp_ab, rtp_ba, dropped, tampered;
	/* Taps decrypting each direction (echo test). */
	struct srtp_session *tap_ab, *tap_ba;
	uint8_t pl_ab[TAPMAX][64], pl_ba[TAPMAX][64];
	size_t plen_ab[TAPMAX], plen_ba[TAPMAX];
	uint32_t ssrc_ba[TAPMAX];
	unsigned ntap_ab, ntap_ba;
};

static inline uint64_t fake_now(void *arg)
{
	return *(uint64_t *)arg;
}

static inline void make_keys(int profile, struct dtls_srtp_keys *c,
		      struct dtls_srtp_keys *s)
{
	size_t kl, sl;

	assert_int_equal(dtls_srtp_profile_lengths(profile, &kl, &sl), 0);
	memset(c, 0, sizeof(*c));
	c->profile = profile;
	c->key_len = kl;
	c->salt_len = sl;
	for (size_t i = 0; i < kl; i++) {
		c->client_key[i] = (uint8_t)(0x10 + i);
		c->server_key[i] = (uint8_t)(0x80 + 3 * i);
	}
	for (size_t i = 0; i < sl; i++) {
		c->client_salt[i] = (uint8_t)(0x40 + i);
		c->server_salt[i] = (uint8_t)(0xC0 + 5 * i);
	}
	*s = *c;
	c->is_client = 1;
	s->is_client = 0;
}

static inline void tap(struct net *n, int to_b, const uint8_t *buf, size_t len)
{
	uint8_t copy[PKT];
	struct rtp_hdr h;
	unsigned *cnt = to_b ? &n->ntap_ab : &n->ntap_ba;

	if (!n->tap_ab || *cnt >= TAPMAX || len > sizeof(copy))
		return;
	memcpy(copy, buf, len);
	assert_int_equal(srtp_session_unprotect_rtp(to_b ? n->tap_ab : n->tap_ba,
						    copy, &len), 0);
	assert_int_equal(rtp_parse(copy, len, &h), 0);
	if (to_b) {
		n->plen_ab[*cnt] = h.payload_len;
		memcpy(n->pl_ab[*cnt], h.payload, h.payload_len < 64 ? h.payload_len : 64);
	} else {
		n->plen_ba[*cnt] = h.payload_len;
		n->ssrc_ba[*cnt] = h.ssrc;
		memcpy(n->pl_ba[*cnt], h.payload, h.payload_len < 64 ? h.payload_len : 64);
	}
	(*cnt)++;
}

static inline int link_send(void *arg, const uint8_t *buf, size_t len)
{
	struct end *e = arg;
	struct net *n = e->net;
	uint64_t delay = n->delay_us;
	struct pkt *p;
	size_t i;

	assert_true(len <= PKT);
	if (demux_classify(buf, len) == DEMUX_RTP) {
		unsigned idx = e->to_b ? n->rtp_ab++ : n->rtp_ba++;

		tap(n, e->to_b, buf, len);
		if (e->to_b) {
			if (n->delay2_us && idx % 2)
				delay = n->delay2_us;
			if (n->late_index >= 0 && idx == (unsigned long)n->late_index)
				delay += n->late_us;
			if (n->drop_every && (idx + 1) % n->drop_every == 0) {
				n->dropped++;
				return 0;
			}
		}
	}
	assert_true(n->nq < QMAX);
	/* Keep the queue ordered by arrival time, ties in sending order. */
	for (i = n->nq; i > 0 && n->q[i - 1].at > n->clock + delay; i--)
		;
	memmove(&n->q[i + 1], &n->q[i], (n->nq - i) * sizeof(n->q[0]));
	p = &n->q[i];
	n->nq++;
	p->at = n->clock + delay;
	p->to_b = e->to_b;
	p->len = len;
	memcpy(p->buf, buf, len);
	if (e->to_b && n->tamper_every &&
	    demux_classify(buf, len) == DEMUX_RTP &&
	    n->rtp_ab % n->tamper_every == 0) {
		p->buf[RTP_HDR_MIN + 3] ^= 0x01;   /* in the payload */
		n->tampered++;
	}
	return 0;
}

static inline void net_init(struct net *n, int profile)
{
	memset(n, 0, sizeof(*n));
	n->clock = 1000000000ull;
	n->late_index = -1;
	n->delay_us = 10000;
	assert_int_equal(np_loop_new(&n->loop), 0);
	np_loop_set_clock(n->loop, fake_now, &n->clock);
	obs_log_init(&n->log, n->clock, 1700000000000000ull);
	np_ctx_init(&n->ctx, n->loop, &n->log);
	make_keys(profile, &n->ka, &n->kb);
	n->ea.net = n->eb.net = n;
	n->ea.to_b = 1;   /* what A sends goes to B */
	n->eb.to_b = 0;
}

static inline struct media_probe_cfg base_cfg(uint32_t ssrc, const char *cname)
{
	struct media_probe_cfg c = {
		.kind = MEDIA_AUDIO, .pt = 111, .clock_rate = 48000,
		.payload_len = 160, .pps = 50, .duration_us = 2000000,
		.ssrc = ssrc, .cname = cname,
	};
	/* B lingers a second longer, so it hears A's BYE. */
	if (ssrc == SSRC_B)
		c.linger_us = 3000000;
	return c;
}

static inline void net_new(struct net *n, const struct media_probe_cfg *ca,
		    const struct media_probe_cfg *cb)
{
	assert_int_equal(media_probe_new(&n->ctx, &n->ka, ca, link_send, &n->ea,
					 &n->a), 0);
	assert_int_equal(media_probe_new(&n->ctx, &n->kb, cb, link_send, &n->eb,
					 &n->b), 0);
}

static inline void deliver(struct net *n)
{
	while (n->nq && n->q[0].at <= n->clock) {
		struct pkt p = n->q[0];

		n->nq--;
		memmove(&n->q[0], &n->q[1], n->nq * sizeof(n->q[0]));
		media_probe_input(p.to_b ? n->b : n->a, p.buf, p.len);
	}
}

/* Starts both and runs 1 ms steps until both are done (bounded). */
static inline void net_run(struct net *n, uint64_t max_us)
{
	uint64_t end = n->clock + max_us;

	assert_int_equal(media_probe_start(n->a), 0);
	assert_int_equal(media_probe_start(n->b), 0);
	while (n->clock < end) {
		np_loop_run_once(n->loop, 0);
		deliver(n);
		if (media_probe_done(n->a) && media_probe_done(n->b) && !n->nq)
			break;
		n->clock += 1000;
	}
}

static inline void net_dispose(struct net *n)
{
	if (getenv("MEDIA_TEST_LOG"))
		for (size_t i = 0; i < n->log.n; i++)
			printf("  %8llu us %-6s %-12s %s\n",
			       (unsigned long long)n->log.v[i].t_us,
			       obs_kind_name(n->log.v[i].kind), n->log.v[i].test,
			       n->log.v[i].text);
	media_probe_free(n->a);
	media_probe_free(n->b);
	srtp_session_free(n->tap_ab);
	srtp_session_free(n->tap_ba);
	np_ctx_dispose(&n->ctx);
	obs_log_dispose(&n->log);
	np_loop_free(n->loop);
}

static inline const struct media_ssrc_stats *rx_of(const struct media_stats *st,
					    uint32_t ssrc)
{
	for (size_t i = 0; i < st->n_rx; i++)
		if (st->rx[i].ssrc == ssrc)
			return &st->rx[i];
	return NULL;
}

static inline const struct obs *find_obs(const struct net *n, const char *test,
				  const char *needle)
{
	for (size_t i = 0; i < n->log.n; i++)
		if (strcmp(n->log.v[i].test, test) == 0 &&
		    (!needle || strstr(n->log.v[i].text, needle)))
			return &n->log.v[i];
	return NULL;
}

#endif
