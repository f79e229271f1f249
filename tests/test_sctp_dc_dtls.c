/*
 * test_sctp_dc_dtls.c - data channels (probe/sctp_dc*.c) end to end over
 * two real DTLS machines in memory (tests/dtls_test_util.h): the SCTP
 * packets go through dtls_write and come out of DTLS_EV_DATA, the
 * association comes up, a channel opens on the DTLS client's even stream,
 * a message and a 20000-byte message (fragmented by SCTP under the DTLS
 * datagram size) arrive whole, and the probe measures RTT against the
 * echoing DTLS server side.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dtls_test_util.h"
#include "np_err.h"
#include "sctp_dc.h"
#include "sctp_dc_test_util.h"

struct dside {
	struct tside *t;
	struct ep e;
};

static int dsend(void *arg, const uint8_t *buf, size_t len)
{
	struct dside *x = arg;

	return tsend(x->t, buf, len);
}

static void devent(struct dtls *d, const struct dtls_event *ev, void *arg)
{
	struct dside *x = arg;

	tevent(d, ev, x->t);
	if (ev->kind == DTLS_EV_DATA && x->e.s)
		sctp_dc_input(x->e.s, ev->data, ev->len);
}

static int sctp_over_dtls(void *arg, const uint8_t *buf, size_t len)
{
	struct dside *x = arg;

	x->e.pkts++;
	return dtls_write(x->t->d, buf, len);
}

static void sctp_ev(struct sctp_dc *s, const struct sctp_dc_event *ev,
		    void *arg)
{
	struct dside *x = arg;

	ep_event(s, ev, &x->e);
}

typedef int (*dcond)(const struct dside *c, const struct dside *s);

/* Delivers queued datagrams both ways and runs the loop until cond. */
static int dpump(struct tpair *p, struct dside *c, struct dside *s,
		 dcond cond)
{
	for (int it = 0; it < 4000; it++) {
		int moved = 0;

		if (cond(c, s))
			return 1;
		for (size_t i = 0; i < p->to_server.n; i++, moved++)
			dtls_feed(p->s.d, p->to_server.buf[i],
				  p->to_server.len[i]);
		p->to_server.n = 0;
		for (size_t i = 0; i < p->to_client.n; i++, moved++)
			dtls_feed(p->c.d, p->to_client.buf[i],
				  p->to_client.len[i]);
		p->to_client.n = 0;
		np_loop_run_once(p->loop, moved ? 0 : 5000);
	}
	return cond(c, s);
}

static int d_connected(const struct dside *c, const struct dside *s)
{
	return c->t->connected && s->t->connected;
}

static int d_up(const struct dside *c, const struct dside *s)
{
	return c->e.up && s->e.up;
}

static int d_opened(const struct dside *c, const struct dside *s)
{
	return c->e.opened && s->e.opened;
}

static int d_msg(const struct dside *c, const struct dside *s)
{
	return s->e.msgs > 0;
}

static int d_probe(const struct dside *c, const struct dside *s)
{
	return c->e.probe_done > 0;
}

static void test_end_to_end_over_dtls(void **state)
{
	struct dtls_config cc = { 0 }, sc = { 0 };
	struct sctp_dc_probe_stats st;
	struct dside c, s;
	struct tpair p;
	uint16_t sid;

	tpair_init(&p);
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	c.t = &p.c;
	s.t = &p.s;
	cc.role = DTLS_ROLE_CLIENT;
	sc.role = DTLS_ROLE_SERVER;
	cc.fp_alg = sc.fp_alg = "sha-256";
	cc.fp = dtls_cert_fingerprint(p.s.cert);
	sc.fp = dtls_cert_fingerprint(p.c.cert);
	cc.deadline_us = sc.deadline_us = 3000000;
	cc.label = "dtls.c";
	sc.label = "dtls.s";
	assert_int_equal(dtls_new(&p.ctx, p.c.cert, &cc, dsend, devent, &c,
				  &p.c.d), 0);
	assert_int_equal(dtls_new(&p.ctx, p.s.cert, &sc, dsend, devent, &s,
				  &p.s.d), 0);
	assert_int_equal(dtls_start(p.s.d), 0);
	assert_int_equal(dtls_start(p.c.d), 0);
	assert_true(dpump(&p, &c, &s, d_connected));
	/* The DTLS client is the even-stream side. */
	assert_int_equal(sctp_dc_new(&p.ctx, 1, SCTP_DC_PORT, SCTP_DC_PORT,
				     sctp_over_dtls, sctp_ev, &c, &c.e.s), 0);
	assert_int_equal(sctp_dc_new(&p.ctx, 0, SCTP_DC_PORT, SCTP_DC_PORT,
				     sctp_over_dtls, sctp_ev, &s, &s.e.s), 0);
	sctp_dc_set_echo(s.e.s, 1);
	assert_true(dpump(&p, &c, &s, d_up));
	assert_int_equal(sctp_dc_open(c.e.s, "e2e", "", 1, 1, &sid), 0);
	assert_int_equal(sid, 0);
	assert_true(dpump(&p, &c, &s, d_opened));
	assert_int_equal(sctp_dc_send(c.e.s, sid, (const uint8_t *)"over dtls",
				      9, 0), 0);
	assert_true(dpump(&p, &c, &s, d_msg));
	assert_int_equal(s.e.last_len, 9);
	assert_memory_equal(s.e.last, "over dtls", 9);
	/* 20000 bytes: SCTP fragments to its path MTU, and every fragment
	 * fits one DTLS record under the 1200-byte datagram. */
	static uint8_t big[20000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	s.e.msgs = 0;
	assert_int_equal(sctp_dc_send(c.e.s, sid, big, sizeof(big), 1), 0);
	assert_true(dpump(&p, &c, &s, d_msg));
	assert_int_equal(s.e.last_len, sizeof(big));
	assert_memory_equal(s.e.last, big, sizeof(s.e.last));
	assert_true(p.c.largest <= 1200);
	/* The probe (a burst small enough for the test's 64-datagram
	 * queues) against the echoing DTLS server side. */
	assert_int_equal(sctp_dc_probe_start(c.e.s, sid, 10, 200, 5000), 0);
	assert_true(dpump(&p, &c, &s, d_probe));
	sctp_dc_probe_stats(c.e.s, &st);
	assert_int_equal(st.received, 10);
	assert_true(st.rtt_min_us > 0 && st.rtt_min_us <= st.rtt_max_us);
	/* Every SCTP packet crossed DTLS as application data. */
	assert_true(c.e.pkts > 0 && s.e.pkts > 0);
	assert_non_null(tfind(&p, OBS_TLS, "dtls.c", NULL));
	assert_non_null(tfind(&p, OBS_CONNECT, "sctp.assoc", NULL));
	assert_non_null(tfind(&p, OBS_RESPONSE, "dc.probe", "10 echoed back"));
	sctp_dc_free(c.e.s);
	c.e.s = NULL;
	sctp_dc_free(s.e.s);
	s.e.s = NULL;
	np_loop_run_once(p.loop, 0);
	tpair_dispose(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_to_end_over_dtls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
