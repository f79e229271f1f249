/*
 * sctp_dc_probe.c - the probe channel: numbered, timestamped binary
 * messages one interval apart, matched when the peer echoes them, for
 * message RTT and throughput over the data channel.
 *
 * Message layout (SCTP_DC_PROBE_HDR bytes, then zero padding):
 *   "NPDC" | sequence number (32 bits) | send time, µs (64 bits)
 * RTT comes from our own record of the send time, never the echoed one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "np_rd.h"
#include "sctp_dc_impl.h"

#define DRAIN_MIN_US 2000000

static const uint8_t magic[4] = { 'N', 'P', 'D', 'C' };

static void probe_finish(struct sctp_dc *s)
{
	struct sdc_probe *p = &s->probe;
	struct sctp_dc_probe_stats *st = &p->st;
	struct sctp_dc_event ev = { 0 };
	struct obs o;

	np_timer_stop(s->ctx->loop, &p->timer);
	st->running = 0;
	st->done = 1;
	if (st->received)
		st->rtt_avg_us = (uint32_t)(p->rtt_sum / st->received);
	if (st->received && st->last_recv_us > st->first_send_us)
		st->bytes_per_s = (double)st->bytes_received * 1e6 /
				  (double)(st->last_recv_us - st->first_send_us);
	sdc_obs(s, &o, st->received == st->count ? OBS_RESPONSE : OBS_TIMEOUT,
		"dc.probe");
	o.size = (uint32_t)st->size;
	if (st->received) {
		o.has = OBS_HAS_RTT;
		o.rtt_us = st->rtt_avg_us;
	}
	snprintf(o.text, sizeof(o.text),
		 "stream %u: %u of %u messages (%zu bytes) sent, %u echoed back"
		 " (%u duplicate, %u unknown); RTT min/avg/max %.3f/%.3f/%.3f ms"
		 "; %.0f bytes/s", st->stream, st->sent, st->count, st->size,
		 st->received, st->duplicates, st->bogus,
		 st->rtt_min_us / 1000.0, st->rtt_avg_us / 1000.0,
		 st->rtt_max_us / 1000.0, st->bytes_per_s);
	np_ctx_record(s->ctx, &o);
	ev.kind = SCTP_DC_EV_PROBE_DONE;
	ev.stream = st->stream;
	sdc_emit(s, &ev);
}

static void probe_tick(struct np_loop *loop, void *arg)
{
	struct sctp_dc *s = arg;
	struct sdc_probe *p = &s->probe;
	struct sctp_dc_probe_stats *st = &p->st;
	uint64_t now = np_loop_update_now(loop), wait;
	int err;

	if (p->draining) {
		probe_finish(s);
		return;
	}
	np_put32(p->buf, 0);
	memcpy(p->buf, magic, sizeof(magic));
	np_put32(p->buf + 4, st->sent);
	np_put32(p->buf + 8, (uint32_t)(now >> 32));
	np_put32(p->buf + 12, (uint32_t)now);
	err = sctp_dc_send(s, st->stream, p->buf, st->size, 1);
	if (err == 0) {
		if (st->sent == 0)
			st->first_send_us = now;
		p->sent_at[st->sent++] = now;
		st->bytes_sent += st->size;
	} else if (err != -EAGAIN) {
		/* The channel went away: report what we have. */
		probe_finish(s);
		return;
	}
	if (st->sent < st->count) {
		np_timer_start(loop, &p->timer, now + p->interval_us);
		return;
	}
	p->draining = 1;
	wait = 4ull * st->rtt_max_us;
	np_timer_start(loop, &p->timer,
		       now + (wait > DRAIN_MIN_US ? wait : DRAIN_MIN_US));
}

int sctp_dc_probe_start(struct sctp_dc *s, uint16_t stream, unsigned count,
			size_t size, uint32_t interval_us)
{
	struct sdc_probe *p = &s->probe;

	if (p->st.running || count == 0 || count > SCTP_DC_PROBE_MAX ||
	    size < SCTP_DC_PROBE_HDR || size > SCTP_DC_MSG_MAX ||
	    !sdc_chan_find(s, stream))
		return NP_EINVAL;
	sdc_probe_dispose(s);
	p->sent_at = calloc(count, sizeof(*p->sent_at));
	p->seen = calloc(count, 1);
	p->buf = calloc(1, size);
	if (!p->sent_at || !p->seen || !p->buf) {
		sdc_probe_dispose(s);
		return NP_ENOMEM;
	}
	unsigned echoed = p->st.echoed;

	memset(&p->st, 0, sizeof(p->st));
	p->st.echoed = echoed;
	p->st.stream = stream;
	p->st.count = count;
	p->st.size = size;
	p->st.running = 1;
	p->interval_us = interval_us;
	p->draining = 0;
	p->rtt_sum = 0;
	np_timer_init(&p->timer, probe_tick, s);
	np_timer_start(s->ctx->loop, &p->timer, np_loop_now(s->ctx->loop));
	return 0;
}

int sdc_probe_on_message(struct sctp_dc *s, uint16_t stream,
			 const uint8_t *buf, size_t len)
{
	struct sdc_probe *p = &s->probe;
	struct sctp_dc_probe_stats *st = &p->st;
	struct np_rd r;
	uint8_t m[4];
	uint32_t seq, rtt;
	uint64_t now;

	if (!st->running || stream != st->stream || s->echo)
		return 0;
	np_rd_init(&r, buf, len);
	if (np_rd_bytes(&r, m, sizeof(m)) != 0 ||
	    memcmp(m, magic, sizeof(m)) != 0 || np_rd_u32(&r, &seq) != 0)
		return 0;
	if (seq >= st->sent) {
		st->bogus++;
		return 1;
	}
	if (p->seen[seq]) {
		st->duplicates++;
		return 1;
	}
	p->seen[seq] = 1;
	now = np_loop_update_now(s->ctx->loop);
	rtt = (uint32_t)(now - p->sent_at[seq]);
	if (!st->received || rtt < st->rtt_min_us)
		st->rtt_min_us = rtt;
	if (rtt > st->rtt_max_us)
		st->rtt_max_us = rtt;
	p->rtt_sum += rtt;
	st->received++;
	st->bytes_received += len;
	st->last_recv_us = now;
	if (st->received == st->count)
		probe_finish(s);
	return 1;
}

void sctp_dc_probe_stats(const struct sctp_dc *s,
			 struct sctp_dc_probe_stats *st)
{
	*st = s->probe.st;
	if (st->running && st->received)
		st->rtt_avg_us = (uint32_t)(s->probe.rtt_sum / st->received);
}

void sdc_probe_dispose(struct sctp_dc *s)
{
	struct sdc_probe *p = &s->probe;

	if (p->timer.cb)
		np_timer_stop(s->ctx->loop, &p->timer);
	free(p->sent_at);
	free(p->seen);
	free(p->buf);
	p->sent_at = NULL;
	p->seen = NULL;
	p->buf = NULL;
}
