/*
 * report_html_lanes.c - the HTML timeline's model (report_html_lanes.h).
 *
 * A lane per test label with its numbering taken off ("map.1", "map.2"
 * share "map"; "size.rt.1500" goes in "size.rt"; "filter.port#1" in
 * "filter.port"), grouped into phases by the label's first component
 * ("map", "turn", "ice", "dtls", ...), so labels added by new probes get
 * lanes without code here. A lane whose traffic takes several paths gets
 * a lane per path: every ICE check is "ice.check", a lane per candidate
 * pair; the Binding requests of a stun run, a lane per server and
 * transport; a path is named by its remote address, with the transport
 * and local address when those differ too.
 *
 * A request (a tid) runs from its first send to what ended it: a
 * response, an error response, a timeout, an ICMP or a local error.
 * Connection and TLS outcomes, and sends without a tid (DTLS flights),
 * are events: a point, or a span when the event gives its duration in
 * rtt_us (a handshake). Stray and malformed datagrams are failed points;
 * notes are drawn but not counted. Caps: HTML_LANES_MAX lanes (the rest
 * share "(other labels)"), HTML_MARKS_PER_LANE marks per lane; counts
 * cover everything.
 */
#include "report_html_lanes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct tl_slot {
	const struct obs *sent;      /* NULL: free */
	uint32_t lane;
	int32_t mark;                /* index in the lane's m[], -1: not drawn */
	int ended;
};

#define TL_SPLIT_MAX (2 * HTML_LANES_MAX)

struct tl_split {
	char key[OBS_NAME];          /* the label without numbering */
	struct sockaddr_storage local, remote;  /* the first path seen */
	enum np_transport transport;
	int several;                 /* another path was seen */
	int locals;                  /* ... from another local address */
	int transports;              /* ... over another transport */
};

void report_tl_label_key(const char *label, char *key, size_t len)
{
	char *dot;

	snprintf(key, len, "%s", label);
	key[strcspn(key, "#")] = '\0';
	while ((dot = strrchr(key, '.')) && dot[1] &&
	       strspn(dot + 1, "0123456789") == strlen(dot + 1))
		*dot = '\0';
	if (!key[0])
		snprintf(key, len, "(unlabelled)");
}

/* First pass: which lanes start traffic on several paths (transport,
 * local address, remote address and port). Local ports are often
 * ephemeral (a TCP connect each), so only another local IP counts. */
static void find_splits(struct tl *t, const struct obs_log *log)
{
	char key[OBS_NAME];

	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		struct tl_split *s = NULL;

		if ((o->kind != OBS_SENT && o->kind != OBS_CONNECT) ||
		    !(o->has & OBS_HAS_REMOTE) || !o->test[0])
			continue;
		report_tl_label_key(o->test, key, sizeof(key));
		for (size_t k = 0; k < t->nsplit && !s; k++)
			if (!strcmp(t->split[k].key, key))
				s = &t->split[k];
		if (!s) {
			if (t->nsplit == TL_SPLIT_MAX)
				continue;
			s = &t->split[t->nsplit++];
			snprintf(s->key, sizeof(s->key), "%s", key);
			s->local = o->local;
			s->remote = o->remote;
			s->transport = o->transport;
			continue;
		}
		if (!np_addr_ip_equal(&s->local, &o->local))
			s->locals = s->several = 1;
		if (s->transport != o->transport)
			s->transports = s->several = 1;
		if (!np_addr_equal(&s->remote, &o->remote))
			s->several = 1;
	}
}

static const struct tl_split *split_of(const struct tl *t, const char *key)
{
	for (size_t k = 0; k < t->nsplit; k++)
		if (t->split[k].several && !strcmp(t->split[k].key, key))
			return &t->split[k];
	return NULL;
}

static struct tl_lane *lane_get(struct tl *t, const struct obs *o)
{
	/* A stray datagram has no label: its kind names the lane. */
	const char *label = o->test[0] ? o->test : obs_kind_name(o->kind);
	const struct tl_split *s;
	char key[TL_KEY], lab[OBS_NAME], pair[TL_KEY] = "", a[64], b[64];
	struct tl_lane *l;

	report_tl_label_key(label, lab, sizeof(lab));
	s = split_of(t, lab);
	if (s && (o->has & OBS_HAS_REMOTE))
		snprintf(pair, sizeof(pair), "%s%s%s%s\xe2\x86\x92 %s",
			 s->transports ? np_transport_name(o->transport) : "",
			 s->transports ? " " : "",
			 s->locals && (o->has & OBS_HAS_LOCAL) ?
			 np_addr_str(&o->local, a, sizeof(a)) : "",
			 s->locals && (o->has & OBS_HAS_LOCAL) ? " " : "",
			 np_addr_str(&o->remote, b, sizeof(b)));
	snprintf(key, sizeof(key), "%s%s%s", lab, pair[0] ? " " : "", pair);
	for (size_t i = 0; i < t->nl; i++)
		if (!strcmp(t->lanes[i].key, key))
			return &t->lanes[i];
	if (t->nl >= HTML_LANES_MAX - 1) {
		t->others = 1;
		snprintf(key, sizeof(key), "(other labels)");
		snprintf(lab, sizeof(lab), "(other labels)");
		pair[0] = '\0';
		for (size_t i = 0; i < t->nl; i++)
			if (!strcmp(t->lanes[i].key, key))
				return &t->lanes[i];
	}
	l = &t->lanes[t->nl];
	memset(l, 0, sizeof(*l));
	snprintf(l->key, sizeof(l->key), "%s", key);
	snprintf(l->label, sizeof(l->label), "%s", lab);
	snprintf(l->pair, sizeof(l->pair), "%s", pair);
	snprintf(l->phase, sizeof(l->phase), "%s", lab);
	if (lab[0] != '(')
		l->phase[strcspn(l->phase, ".")] = '\0';
	l->order = t->nl++;
	l->first = UINT64_MAX;
	return l;
}

static void lane_time(struct tl_lane *l, uint64_t t)
{
	if (t < l->first)
		l->first = t;
	if (t > l->last)
		l->last = t;
}

static size_t tid_hash(const uint8_t *tid, size_t cap)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 12; i++)
		h = (h ^ tid[i]) * 1099511628211ull;
	return (size_t)h & (cap - 1);
}

/* The slot for tid: its transaction, or the free slot where it goes. */
static struct tl_slot *slot_find(struct tl *t, const uint8_t *tid)
{
	size_t i = tid_hash(tid, t->hcap);

	while (t->hash[i].sent && memcmp(t->hash[i].sent->tid, tid, 12))
		i = (i + 1) & (t->hcap - 1);
	return &t->hash[i];
}

/* An event: a point, or a span ending now when it says how long it took. */
static void event(struct tl *t, const struct obs *o, enum tl_outcome oc)
{
	struct tl_lane *l = lane_get(t, o);
	struct tl_mark m = { .t0 = o->t_us, .t1 = o->t_us, .start = o,
			     .attempts = 1, .outcome = oc };

	if ((o->kind == OBS_TLS || o->kind == OBS_CONNECT || o->kind == OBS_TIMEOUT) &&
	    o->rtt_us > 0 && o->rtt_us <= o->t_us) {
		m.t0 = o->t_us - o->rtt_us;
		m.end = o;
		m.outcome = oc == OUT_POINT_OK ? OUT_OK :
			    o->kind == OBS_TIMEOUT ? OUT_TIMEOUT : OUT_ERROR;
	}
	lane_time(l, m.t0);
	lane_time(l, m.t1);
	if (oc == OUT_NOTE) {
		l->notes++;
	} else {
		l->n++;
		if (oc == OUT_POINT_FAIL)
			l->failed++;
		else
			l->ok++;
	}
	if (l->nm < HTML_MARKS_PER_LANE)
		l->m[l->nm++] = m;
}

static void sent(struct tl *t, const struct obs *o)
{
	struct tl_slot *s = slot_find(t, o->tid);
	struct tl_lane *l;

	if (s->sent)
		return;  /* the same tid sent twice: the first send stands */
	l = lane_get(t, o);
	lane_time(l, o->t_us);
	l->n++;
	s->sent = o;
	s->lane = (uint32_t)(l - t->lanes);
	s->mark = -1;
	if (l->nm < HTML_MARKS_PER_LANE) {
		s->mark = (int32_t)l->nm;
		l->m[l->nm++] = (struct tl_mark){ .t0 = o->t_us, .t1 = o->t_us,
						  .start = o, .attempts = 1 };
	}
}

static void ended(struct tl *t, const struct obs *o, enum tl_outcome oc)
{
	struct tl_slot *s = slot_find(t, o->tid);
	struct tl_lane *l;

	if (!s->sent || s->ended) {
		/* No send on record, or a second ending: an event of its own. */
		event(t, o, oc == OUT_OK ? OUT_POINT_OK : OUT_POINT_FAIL);
		return;
	}
	s->ended = 1;
	l = &t->lanes[s->lane];
	lane_time(l, o->t_us);
	if (oc == OUT_OK)
		l->ok++;
	else
		l->failed++;
	if (s->mark >= 0) {
		l->m[s->mark].end = o;
		l->m[s->mark].t1 = o->t_us;
		l->m[s->mark].outcome = oc;
	}
}

static void retransmitted(struct tl *t, const struct obs *o)
{
	struct tl_slot *s = (o->has & OBS_HAS_TID) ? slot_find(t, o->tid) : NULL;
	struct tl_lane *l;

	if (!s || !s->sent) {
		event(t, o, OUT_POINT_OK);
		return;
	}
	l = &t->lanes[s->lane];
	l->retx++;
	if (s->mark >= 0 && o->attempt > l->m[s->mark].attempts)
		l->m[s->mark].attempts = o->attempt;
}

static void observe(struct tl *t, const struct obs *o)
{
	int tid = (o->has & OBS_HAS_TID) != 0;

	if (o->t_us > t->tmax)
		t->tmax = o->t_us;
	switch (o->kind) {
	case OBS_NOTE:
		event(t, o, OUT_NOTE);
		return;
	case OBS_SENT:
		if (tid)
			sent(t, o);
		else
			event(t, o, OUT_POINT_OK);
		return;
	case OBS_RETRANSMIT:
		retransmitted(t, o);
		return;
	case OBS_RESPONSE:
		if (tid)
			ended(t, o, o->error_code ? OUT_ERRRESP : OUT_OK);
		else
			event(t, o, o->error_code ? OUT_POINT_FAIL : OUT_POINT_OK);
		return;
	case OBS_TIMEOUT:
	case OBS_ICMP:
	case OBS_ERROR:
		if (tid)
			ended(t, o, o->kind == OBS_TIMEOUT ? OUT_TIMEOUT :
			      o->kind == OBS_ICMP ? OUT_ICMP : OUT_ERROR);
		else
			event(t, o, OUT_POINT_FAIL);
		return;
	case OBS_CONNECT:
	case OBS_TLS:
		event(t, o, o->err ? OUT_POINT_FAIL : OUT_POINT_OK);
		return;
	case OBS_UNMATCHED:
	case OBS_MALFORMED:
	case OBS_KIND__COUNT:
		event(t, o, OUT_POINT_FAIL);
		return;
	}
}

static int lane_cmp(const void *a, const void *b)
{
	const struct tl_lane *x = a, *y = b;

	if (x->phase_order != y->phase_order)
		return x->phase_order < y->phase_order ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Phases in order of first appearance, lanes in order within each. */
static void lanes_sort(struct tl *t)
{
	for (size_t i = 0; i < t->nl; i++) {
		t->lanes[i].phase_order = t->lanes[i].order;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->lanes[j].phase, t->lanes[i].phase)) {
				t->lanes[i].phase_order = t->lanes[j].phase_order;
				break;
			}
	}
	qsort(t->lanes, t->nl, sizeof(t->lanes[0]), lane_cmp);
}

int report_tl_build(struct tl *t, const struct obs_log *log)
{
	size_t nsent = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < log->n; i++)
		nsent += log->v[i].kind == OBS_SENT;
	t->hcap = 16;
	while (t->hcap < 2 * nsent + 1)
		t->hcap *= 2;
	t->hash = calloc(t->hcap, sizeof(*t->hash));
	t->lanes = malloc(HTML_LANES_MAX * sizeof(*t->lanes));
	t->split = calloc(TL_SPLIT_MAX, sizeof(*t->split));
	if (!t->hash || !t->lanes || !t->split)
		return -ENOMEM;
	find_splits(t, log);
	for (size_t i = 0; i < log->n; i++)
		observe(t, &log->v[i]);
	if (t->tmax == 0)
		t->tmax = 1;
	lanes_sort(t);
	return 0;
}

void report_tl_dispose(struct tl *t)
{
	free(t->hash);
	free(t->lanes);
	free(t->split);
	memset(t, 0, sizeof(*t));
}
