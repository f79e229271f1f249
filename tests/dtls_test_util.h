/*
 * dtls_test_util.h - two DTLS machines (probe/dtls.c) wired in memory for
 * tests/test_dtls.c and tests/test_srtp.c: each side's datagrams go into
 * the other's queue through a filter that can drop or count them, and the
 * pump delivers queued datagrams, letting the loop fire retransmission
 * timers (OpenSSL's timer runs on the real clock, so waits are real but
 * short: the first timeout is 50 ms and every run is bounded by the
 * machine's own deadline).
 */
#ifndef DTLS_TEST_UTIL_H
#define DTLS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtls.h"
#include "evloop.h"
#include "obs.h"
#include "stun_client.h"

#define TQ_MAX 64
#define TQ_DGRAM 2048

struct tq {
	uint8_t buf[TQ_MAX][TQ_DGRAM];
	size_t len[TQ_MAX];
	size_t n;
};

struct tside;
/* Returns 1 to drop the datagram. */
typedef int (*tfilter_fn)(struct tside *s, const uint8_t *buf, size_t len);

struct tside {
	struct dtls *d;
	struct dtls_cert *cert;
	struct tq *out;          /* the other side's inbox */
	tfilter_fn filter;
	unsigned sent, dropped;
	size_t largest;
	int connected, failed, mitm, closed;
	int fail_err;
	char reason[256];
	uint8_t data[256];
	size_t data_len;
};

struct tpair {
	struct np_loop *loop;
	struct obs_log log;
	struct np_ctx ctx;
	struct tq to_client, to_server;
	struct tside c, s;
};

static inline int tsend(void *arg, const uint8_t *buf, size_t len)
{
	struct tside *s = arg;

	s->sent++;
	if (len > s->largest)
		s->largest = len;
	if (s->filter && s->filter(s, buf, len)) {
		s->dropped++;
		return 0;
	}
	if (s->out->n < TQ_MAX && len <= TQ_DGRAM) {
		memcpy(s->out->buf[s->out->n], buf, len);
		s->out->len[s->out->n++] = len;
	}
	return 0;
}

static inline void tevent(struct dtls *d, const struct dtls_event *ev, void *arg)
{
	struct tside *s = arg;

	switch (ev->kind) {
	case DTLS_EV_CONNECTED:
		s->connected = 1;
		break;
	case DTLS_EV_FAILED:
		s->failed = 1;
		s->mitm = ev->mitm;
		s->fail_err = ev->err;
		snprintf(s->reason, sizeof(s->reason), "%s", ev->reason);
		break;
	case DTLS_EV_DATA:
		s->data_len = ev->len < sizeof(s->data) ? ev->len : sizeof(s->data);
		memcpy(s->data, ev->data, s->data_len);
		break;
	case DTLS_EV_CLOSED:
		s->closed = 1;
		break;
	}
}

static inline void tpair_init(struct tpair *p)
{
	memset(p, 0, sizeof(*p));
	if (np_loop_new(&p->loop) != 0)
		abort();
	obs_log_init(&p->log, np_monotonic_us(), np_wallclock_us());
	np_ctx_init(&p->ctx, p->loop, &p->log);
	p->ctx.rto_initial_us = 50000;
	p->c.out = &p->to_server;
	p->s.out = &p->to_client;
	if (dtls_cert_new(&p->c.cert) || dtls_cert_new(&p->s.cert))
		abort();
}

/* Sets up both machines; cfg fields other than role/fp come from the
 * templates (NULL = defaults). fp_c is what the client expects of the
 * server, fp_s what the server expects of the client. */
static inline int tpair_new(struct tpair *p, const struct dtls_config *cc,
		     const struct dtls_config *sc, const char *fp_c,
		     const char *fp_s)
{
	struct dtls_config c = { 0 }, s = { 0 };
	int err;

	if (cc)
		c = *cc;
	if (sc)
		s = *sc;
	c.role = DTLS_ROLE_CLIENT;
	s.role = DTLS_ROLE_SERVER;
	c.fp_alg = s.fp_alg = "sha-256";
	c.fp = fp_c ? fp_c : dtls_cert_fingerprint(p->s.cert);
	s.fp = fp_s ? fp_s : dtls_cert_fingerprint(p->c.cert);
	c.require_srtp = s.require_srtp = 1;
	if (!c.deadline_us)
		c.deadline_us = 3000000;
	if (!s.deadline_us)
		s.deadline_us = 3000000;
	if (!c.label)
		c.label = "dtls.c";
	if (!s.label)
		s.label = "dtls.s";
	err = dtls_new(&p->ctx, p->c.cert, &c, tsend, tevent, &p->c, &p->c.d);
	if (err)
		return err;
	return dtls_new(&p->ctx, p->s.cert, &s, tsend, tevent, &p->s, &p->s.d);
}

static inline int tside_done(const struct tside *s)
{
	return s->connected || s->failed;
}

/* Delivers datagrams and fires timers until both sides are done (or the
 * iteration cap, far beyond any deadline, is reached). */
static inline void tpair_pump(struct tpair *p)
{
	for (int it = 0; it < 20000; it++) {
		int moved = 0;

		for (size_t i = 0; i < p->to_server.n; i++, moved++)
			dtls_feed(p->s.d, p->to_server.buf[i], p->to_server.len[i]);
		p->to_server.n = 0;
		for (size_t i = 0; i < p->to_client.n; i++, moved++)
			dtls_feed(p->c.d, p->to_client.buf[i], p->to_client.len[i]);
		p->to_client.n = 0;
		if (tside_done(&p->c) && tside_done(&p->s) && !p->to_server.n &&
		    !p->to_client.n)
			return;
		if (!moved)
			np_loop_run_once(p->loop, 5000);
	}
}

static inline int tpair_run(struct tpair *p)
{
	dtls_start(p->s.d);
	dtls_start(p->c.d);
	tpair_pump(p);
	return p->c.connected && p->s.connected;
}

/* Frees the machines, keeps certificates and the loop for another run. */
static inline void tpair_reset(struct tpair *p)
{
	/* DTLS_TEST_LOG=1 prints each run's timeline (for debugging and for
	 * reading what the observations say). */
	if (getenv("DTLS_TEST_LOG"))
		for (size_t i = 0; i < p->log.n; i++)
			printf("  %8llu us %-10s %-14s %s\n",
			       (unsigned long long)p->log.v[i].t_us,
			       obs_kind_name(p->log.v[i].kind), p->log.v[i].test,
			       p->log.v[i].text);
	dtls_free(p->c.d);
	dtls_free(p->s.d);
	p->c.d = p->s.d = NULL;
	p->to_client.n = p->to_server.n = 0;
	struct tside c = p->c, s = p->s;

	memset(&p->c, 0, sizeof(p->c));
	memset(&p->s, 0, sizeof(p->s));
	p->c.cert = c.cert;
	p->s.cert = s.cert;
	p->c.out = &p->to_server;
	p->s.out = &p->to_client;
	p->log.n = 0;
}

static inline void tpair_dispose(struct tpair *p)
{
	tpair_reset(p);
	dtls_cert_free(p->c.cert);
	dtls_cert_free(p->s.cert);
	np_ctx_dispose(&p->ctx);
	obs_log_dispose(&p->log);
	np_loop_free(p->loop);
}

/* The first observation whose test starts with prefix, kind k and text
 * containing needle (NULL: any), or NULL. */
static inline const struct obs *tfind(const struct tpair *p, enum obs_kind k,
			       const char *prefix, const char *needle)
{
	for (size_t i = 0; i < p->log.n; i++) {
		const struct obs *o = &p->log.v[i];

		if (o->kind == k && strncmp(o->test, prefix, strlen(prefix)) == 0 &&
		    (!needle || strstr(o->text, needle)))
			return o;
	}
	return NULL;
}

#endif
