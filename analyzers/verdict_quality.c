/*
 * verdict_quality.c - call quality verdicts from media notes, or from ICE
 * check RTTs when no media ran (see verdict_quality.h for the text format
 * and the thresholds).
 */
#include "verdict_quality.h"

#include "ice_summary.h"
#include "np_err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct acc {
	struct vq_dir_result *r;
	double rtt[VQ_MAX_SAMPLES], jit[VQ_MAX_SAMPLES];
};

const char *vq_grade_name(enum vq_grade g)
{
	switch (g) {
	case VQ_GOOD: return "good";
	case VQ_WARNING: return "warning";
	case VQ_BAD: return "bad";
	case VQ_UNKNOWN: break;
	}
	return "unknown";
}

const char *vq_dir_name(enum vq_dir d)
{
	static const char *const n[VQ__DIRS] = { "send", "recv", "path" };

	return (unsigned)d < VQ__DIRS ? n[d] : "?";
}

enum vq_grade vq_grade_of(int has_loss, double loss_pct, int has_rtt,
			  double rtt_ms)
{
	if (!has_loss && !has_rtt)
		return VQ_UNKNOWN;
	if ((has_loss && loss_pct > VQ_WARN_LOSS_PCT) ||
	    (has_rtt && rtt_ms > VQ_WARN_RTT_MS))
		return VQ_BAD;
	if ((has_loss && loss_pct >= VQ_GOOD_LOSS_PCT) ||
	    (has_rtt && rtt_ms >= VQ_GOOD_RTT_MS))
		return VQ_WARNING;
	return VQ_GOOD;
}

static int number(const char *v, size_t len, double *out, int *has)
{
	char buf[32], *end;
	double d;

	if (len == 1 && v[0] == '-') {
		*has = 0;
		return 0;
	}
	if (len == 0 || len >= sizeof(buf))
		return NP_EINVAL;
	memcpy(buf, v, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (end != buf + len || !isfinite(d) || d < 0)
		return NP_EINVAL;
	*out = d;
	*has = 1;
	return 0;
}

static int token(struct vq_sample *s, const char *k, size_t klen,
		 const char *v, size_t vlen, int *have_dir)
{
	double d = 0;
	int has = 0, err;

#define KEY(name) (klen == sizeof(name) - 1 && !memcmp(k, name, klen))
	if (KEY("dir")) {
		if (vlen == 4 && !memcmp(v, "send", 4))
			s->dir = VQ_SEND;
		else if (vlen == 4 && !memcmp(v, "recv", 4))
			s->dir = VQ_RECV;
		else
			return NP_EINVAL;
		*have_dir = 1;
		return 0;
	}
	if (!KEY("loss_pct") && !KEY("rtt_ms") && !KEY("jitter_ms") &&
	    !KEY("packets"))
		return 0;       /* a key for someone else */
	err = number(v, vlen, &d, &has);
	if (err)
		return err;
	if (KEY("loss_pct")) {
		if (has && d > 100)
			return NP_EINVAL;
		s->has_loss = has;
		s->loss_pct = d;
	} else if (KEY("rtt_ms")) {
		s->has_rtt = has;
		s->rtt_ms = d;
	} else if (KEY("jitter_ms")) {
		s->has_jitter = has;
		s->jitter_ms = d;
	} else {
		if (has && d > 1e15)
			return NP_EINVAL;
		s->has_packets = has;
		s->packets = (unsigned long long)d;
	}
#undef KEY
	return 0;
}

int vq_parse_media(const char *text, struct vq_sample *s)
{
	const char *p = text;
	int have_dir = 0;

	memset(s, 0, sizeof(*s));
	while (*p) {
		const char *tok, *eq;
		size_t len;
		int err;

		while (*p == ' ')
			p++;
		tok = p;
		while (*p && *p != ' ')
			p++;
		len = (size_t)(p - tok);
		if (!len)
			break;
		eq = memchr(tok, '=', len);
		if (!eq)
			continue;   /* a plain word: not a figure */
		err = token(s, tok, (size_t)(eq - tok), eq + 1,
			    len - (size_t)(eq - tok) - 1, &have_dir);
		if (err)
			return err;
	}
	return have_dir ? 0 : NP_EINVAL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n, double *max)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	*max = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void evidence(struct vq_dir_result *r, uint64_t seq)
{
	if (r->nevidence < VQ_EVIDENCE)
		r->evidence[r->nevidence++] = seq;
	else
		r->evidence[VQ_EVIDENCE - 1] = seq;  /* keep the latest */
}

static void take(struct acc *a, const struct vq_sample *s, uint64_t seq)
{
	struct vq_dir_result *r = a->r;

	r->present = 1;
	r->notes++;
	snprintf(r->source, sizeof(r->source), "media");
	if (s->has_loss) {
		r->has_loss = 1;
		r->loss_pct = s->loss_pct;
	}
	if (s->has_packets)
		r->packets = s->packets;
	if (s->has_rtt && r->rtt_samples < VQ_MAX_SAMPLES)
		a->rtt[r->rtt_samples++] = s->rtt_ms;
	if (s->has_jitter && r->jitter_samples < VQ_MAX_SAMPLES)
		a->jit[r->jitter_samples++] = s->jitter_ms;
	evidence(r, seq);
}

static void explain(struct vq_dir_result *r, enum vq_dir d)
{
	char loss[64], rtt[80], jit[80], pkts[40] = "";
	const char *why;

	if (r->has_loss)
		snprintf(loss, sizeof(loss), "loss %.1f %%", r->loss_pct);
	else
		snprintf(loss, sizeof(loss), "loss not measured");
	if (r->has_rtt)
		snprintf(rtt, sizeof(rtt), "RTT %.1f ms (median of %u, max %.1f)",
			 r->rtt_ms, r->rtt_samples, r->rtt_max_ms);
	else
		snprintf(rtt, sizeof(rtt), "RTT not measured");
	jit[0] = '\0';
	if (r->has_jitter)
		snprintf(jit, sizeof(jit), ", jitter %.1f ms (median of %u, max %.1f)",
			 r->jitter_ms, r->jitter_samples, r->jitter_max_ms);
	if (r->packets)
		snprintf(pkts, sizeof(pkts), ", over %llu packets", r->packets);
	switch (r->grade) {
	case VQ_GOOD:
		why = "below 5 % loss and 300 ms RTT";
		break;
	case VQ_WARNING:
		why = "at or above 5 % loss or 300 ms RTT, within 10 % and 600 ms";
		break;
	case VQ_BAD:
		why = "beyond 10 % loss or 600 ms RTT";
		break;
	default:
		why = "no figure to grade";
		break;
	}
	snprintf(r->explain, sizeof(r->explain), "%s %s (from %s): %s, %s%s%s: %s",
		 d == VQ_PATH ? "both ways" : vq_dir_name(d),
		 vq_grade_name(r->grade), r->source, loss, rtt, jit, pkts, why);
}

static void finish(struct acc *a, enum vq_dir d)
{
	struct vq_dir_result *r = a->r;

	if (!r->present)
		return;
	if (r->rtt_samples) {
		r->has_rtt = 1;
		r->rtt_ms = median(a->rtt, r->rtt_samples, &r->rtt_max_ms);
	}
	if (r->jitter_samples) {
		r->has_jitter = 1;
		r->jitter_ms = median(a->jit, r->jitter_samples, &r->jitter_max_ms);
	}
	r->grade = vq_grade_of(r->has_loss, r->loss_pct, r->has_rtt, r->rtt_ms);
	explain(r, d);
}

/* RTTs of successful check/consent responses, on the selected pair when
 * there is one. */
static void ice_rtts(const struct obs_log *log, const struct ice_report *ice,
		     struct acc *a)
{
	for (int pass = 0; pass < 2 && !a->r->rtt_samples; pass++) {
		int only_sel = pass == 0 && ice && ice->selected_ok;

		if (pass == 0 && !only_sel)
			continue;
		for (size_t i = 0; i < log->n; i++) {
			const struct obs *o = &log->v[i];

			if (o->kind != OBS_RESPONSE || o->error_code ||
			    !(o->has & OBS_HAS_RTT) ||
			    (strcmp(o->test, "ice.check") && strcmp(o->test, "ice.consent")))
				continue;
			if (only_sel && (!np_addr_equal(&o->local, &ice->sel_local) ||
					 !np_addr_equal(&o->remote, &ice->sel_remote)))
				continue;
			if (a->r->rtt_samples < VQ_MAX_SAMPLES)
				a->rtt[a->r->rtt_samples++] = o->rtt_us / 1000.0;
			a->r->present = 1;
			evidence(a->r, o->seq);
		}
	}
	if (a->r->present)
		snprintf(a->r->source, sizeof(a->r->source), "ice-checks");
}

void verdict_quality_build(const struct obs_log *log,
			   const struct ice_report *ice,
			   struct call_quality *q)
{
	/* Sample buffers are large: one direction at a time. */
	struct acc a[2];

	memset(q, 0, sizeof(*q));
	memset(a, 0, sizeof(a));
	a[0].r = &q->dir[VQ_SEND];
	a[1].r = &q->dir[VQ_RECV];
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		struct vq_sample s;

		if (o->kind != OBS_NOTE || strncmp(o->test, "media.", 6))
			continue;
		if (vq_parse_media(o->text, &s) != 0) {
			q->ignored++;
			continue;
		}
		take(&a[s.dir == VQ_RECV], &s, o->seq);
	}
	finish(&a[0], VQ_SEND);
	finish(&a[1], VQ_RECV);
	/* Without media, the path's RTT stands in, but only for a call that
	 * had a path: no verdict on a run where no pair was selected. */
	if (!q->dir[VQ_SEND].present && !q->dir[VQ_RECV].present && ice &&
	    ice->selected_ok) {
		memset(&a[0], 0, sizeof(a[0]));
		a[0].r = &q->dir[VQ_PATH];
		ice_rtts(log, ice, &a[0]);
		finish(&a[0], VQ_PATH);
	}
	for (int d = 0; d < VQ__DIRS; d++) {
		if (!q->dir[d].present)
			continue;
		q->present = 1;
		if (q->dir[d].grade > q->grade)
			q->grade = q->dir[d].grade;
	}
}
