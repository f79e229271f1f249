/*
 * sctp_dc_test_util.h - two sctp_dc endpoints (probe/sctp_dc.c) wired back
 * to back in memory for tests/test_sctp_dc.c: each packet one side sends
 * goes straight into the other's sctp_dc_input, unless the side's drop
 * flag is set. Events are counted per side; the real event loop runs
 * until a condition holds, bounded by iterations.
 */
#ifndef SCTP_DC_TEST_UTIL_H
#define SCTP_DC_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "obs.h"
#include "sctp_dc.h"
#include "stun_client.h"

struct ep {
	struct sctp_dc *s;
	struct ep *peer;
	int drop;
	unsigned pkts;
	int up, failed, fail_err;
	char reason[128];
	unsigned opened, closed, msgs, probe_done;
	uint16_t open_stream;
	int open_remote;
	char label[300], protocol[300];
	uint8_t last[512];
	size_t last_len;
	uint32_t last_ppid;
	int last_binary;
	uint16_t last_stream;
};

struct tw {
	struct np_loop *loop;
	struct obs_log log;
	struct np_ctx ctx;
	struct ep a, b;             /* a: DTLS client role, b: server */
};

static inline int ep_send(void *arg, const uint8_t *buf, size_t len)
{
	struct ep *e = arg;

	e->pkts++;
	if (e->drop || !e->peer->s)
		return 0;
	return sctp_dc_input(e->peer->s, buf, len);
}

static inline void ep_event(struct sctp_dc *s, const struct sctp_dc_event *ev,
			    void *arg)
{
	struct ep *e = arg;

	switch (ev->kind) {
	case SCTP_DC_EV_UP:
		e->up = 1;
		break;
	case SCTP_DC_EV_FAILED:
		e->failed = 1;
		e->fail_err = ev->err;
		snprintf(e->reason, sizeof(e->reason), "%s", ev->reason);
		break;
	case SCTP_DC_EV_CHANNEL_OPEN:
		e->opened++;
		e->open_stream = ev->stream;
		e->open_remote = ev->remote;
		snprintf(e->label, sizeof(e->label), "%s", ev->label);
		snprintf(e->protocol, sizeof(e->protocol), "%s", ev->protocol);
		break;
	case SCTP_DC_EV_MESSAGE:
		e->msgs++;
		e->last_len = ev->len;
		e->last_ppid = ev->ppid;
		e->last_binary = ev->binary;
		e->last_stream = ev->stream;
		memcpy(e->last, ev->data,
		       ev->len < sizeof(e->last) ? ev->len : sizeof(e->last));
		break;
	case SCTP_DC_EV_CHANNEL_CLOSED:
		e->closed++;
		break;
	case SCTP_DC_EV_PROBE_DONE:
		e->probe_done++;
		break;
	}
}

static inline void tw_init(struct tw *w)
{
	memset(w, 0, sizeof(*w));
	if (np_loop_new(&w->loop) != 0)
		abort();
	obs_log_init(&w->log, np_monotonic_us(), np_wallclock_us());
	np_ctx_init(&w->ctx, w->loop, &w->log);
	w->a.peer = &w->b;
	w->b.peer = &w->a;
}

static inline int tw_new(struct tw *w)
{
	int err = sctp_dc_new(&w->ctx, 1, SCTP_DC_PORT, SCTP_DC_PORT, ep_send,
			      ep_event, &w->a, &w->a.s);

	if (err)
		return err;
	sctp_dc_set_name(w->a.s, "a");
	err = sctp_dc_new(&w->ctx, 0, SCTP_DC_PORT, SCTP_DC_PORT, ep_send,
			  ep_event, &w->b, &w->b.s);
	if (!err)
		sctp_dc_set_name(w->b.s, "b");
	return err;
}

typedef int (*tw_cond)(const struct tw *w);

/* Runs the loop until cond holds; 0 when it never did (bounded by
 * iterations, each waiting at most 5 ms). */
static inline int tw_run(struct tw *w, tw_cond cond)
{
	for (int i = 0; i < 4000; i++) {
		if (cond(w))
			return 1;
		np_loop_run_once(w->loop, 5000);
	}
	return cond(w);
}

static inline int tw_both_up(const struct tw *w)
{
	return w->a.up && w->b.up;
}

static inline void tw_free_side(struct ep *e)
{
	struct sctp_dc *s = e->s;

	e->s = NULL;
	sctp_dc_free(s);
}

static inline void tw_dispose(struct tw *w)
{
	if (getenv("SCTP_TEST_LOG"))
		for (size_t i = 0; i < w->log.n; i++)
			printf("  %8llu us %s %-10s %-11s %s\n",
			       (unsigned long long)w->log.v[i].t_us,
			       w->log.v[i].server,
			       obs_kind_name(w->log.v[i].kind),
			       w->log.v[i].test, w->log.v[i].text);
	tw_free_side(&w->a);
	tw_free_side(&w->b);
	/* Lets the loop see the descriptors go. */
	np_loop_run_once(w->loop, 0);
	np_ctx_dispose(&w->ctx);
	obs_log_dispose(&w->log);
	np_loop_free(w->loop);
}

/* How many observations of kind k, test test, from endpoint name, with
 * text containing needle (NULL: any). */
static inline unsigned tw_count(const struct tw *w, const char *name,
				enum obs_kind k, const char *test,
				const char *needle)
{
	unsigned n = 0;

	for (size_t i = 0; i < w->log.n; i++) {
		const struct obs *o = &w->log.v[i];

		if (o->kind == k && strcmp(o->test, test) == 0 &&
		    (!name || strcmp(o->server, name) == 0) &&
		    (!needle || strstr(o->text, needle)))
			n++;
	}
	return n;
}

#endif
