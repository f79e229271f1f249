/*
 * dashboard_view.c - the dashboard's model and layout (see
 * dashboard_view.h). No terminal here: the screen is a grid of cells, so
 * the layout at any size can be tested as text.
 *
 * Layout: a header row (command, server, elapsed time, state); the tests
 * on the left (in flight first, then the most recent); the NAT
 * classification per family (nat) or the STUN legs (stun) on the right;
 * once an ICE session starts (natprobe ice, or the full diagnosis after
 * its NAT phase), candidates and pairs replace the tests and the
 * session's status follows a brief NAT verdict (dashboard_ice_view.c);
 * findings below; the key help on the last row. Every write is clipped
 * to its panel, so a long value is cut, never wrapped over a neighbour.
 */
#include "dashboard_view.h"
#include "nat_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINDINGS_SHOWN 4

void dash_model_init(struct dash_model *m, const char *command,
		     const char *server)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->command, sizeof(m->command), "%s", command ? command : "");
	snprintf(m->server, sizeof(m->server), "%s", server ? server : "");
}

/* The row of a test: label and family for nat, leg for stun. */
static struct dash_test *test_for(struct dash_model *m, const struct obs *o)
{
	char key[sizeof(m->t[0].label)];
	int fam = nat_obs_family(o);
	char a[64];

	if (strcmp(m->command, "stun") == 0)
		/* A leg: one server address over one transport. */
		snprintf(key, sizeof(key), "%s %s", np_transport_name(o->transport),
			 (o->has & OBS_HAS_REMOTE) ?
			 np_addr_str(&o->remote, a, sizeof(a)) : o->server);
	else if (o->kind == OBS_CONNECT || o->kind == OBS_TLS)
		/* Connections share one label: tell them by transport and
		 * port ("connect tls:443"). */
		snprintf(key, sizeof(key), "conn %s:%u%s",
			 np_transport_name(o->transport),
			 (unsigned)np_addr_port(&o->remote),
			 fam == AF_INET6 ? " v6" : "");
	else
		snprintf(key, sizeof(key), "%s%s", o->test,
			 fam == AF_INET6 ? " v6" : "");
	for (size_t i = 0; i < m->nt; i++)
		if (strcmp(m->t[i].label, key) == 0)
			return &m->t[i];
	if (m->nt == DASH_TESTS_MAX) {
		m->overflow++;
		return NULL;
	}
	memset(&m->t[m->nt], 0, sizeof(m->t[0]));
	snprintf(m->t[m->nt].label, sizeof(m->t[0].label), "%s", key);
	return &m->t[m->nt++];
}

/* A request of ours that came in on one of our own sockets. */
static void arrived(struct dash_model *m, const struct obs *o)
{
	for (size_t i = 0; i < m->nt; i++) {
		struct dash_test *t = &m->t[i];

		/* A late duplicate of an answer already counted is no news. */
		if (t->state == DT_OK || t->state == DT_ERRRESP)
			continue;
		if (t->have_tid && memcmp(t->tid, o->tid, sizeof(t->tid)) == 0) {
			t->state = DT_ARRIVED;
			t->touched = ++m->clock;
			return;
		}
	}
}

void dash_model_observe(struct dash_model *m, const struct obs *o)
{
	struct dash_test *t;

	dash_ice_observe(&m->ice, o);
	if (o->kind == OBS_UNMATCHED && (o->has & OBS_HAS_TID)) {
		arrived(m, o);
		return;
	}
	switch (o->kind) {
	case OBS_SENT: case OBS_RETRANSMIT: case OBS_RESPONSE:
	case OBS_TIMEOUT: case OBS_ICMP: case OBS_CONNECT: case OBS_TLS:
		break;
	case OBS_ERROR:
		if (o->test[0])
			break;
		return;
	default:
		return;  /* notes, strays: context, not tests */
	}
	t = test_for(m, o);
	if (!t)
		return;
	t->touched = ++m->clock;
	switch (o->kind) {
	case OBS_SENT: case OBS_RETRANSMIT:
		t->tries++;
		if (t->state != DT_ARRIVED)
			t->state = DT_RUNNING;
		if (o->has & OBS_HAS_TID) {
			memcpy(t->tid, o->tid, sizeof(t->tid));
			t->have_tid = 1;
		}
		break;
	case OBS_RESPONSE:
		t->error_code = o->error_code;
		t->state = o->error_code ? DT_ERRRESP : DT_OK;
		if (o->has & OBS_HAS_RTT)
			t->rtt_us = o->rtt_us;
		break;
	case OBS_TIMEOUT:
		/* The probe's own answer never comes; its arrival counted. */
		if (t->state != DT_ARRIVED)
			t->state = DT_TIMEOUT;
		break;
	case OBS_ICMP: t->state = DT_ICMP; break;
	case OBS_CONNECT: t->state = o->err ? DT_ERROR : DT_CONNECTED; break;
	case OBS_TLS: t->state = DT_CONNECTED; break;
	default: t->state = DT_ERROR; break;
	}
}

size_t dash_model_inflight(const struct dash_model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nt; i++)
		n += m->t[i].state == DT_RUNNING;
	return n;
}

/* Drawing ---------------------------------------------------------------- */

static struct dash_cell *cell(struct dash_screen *s, int y, int x)
{
	return &s->c[(size_t)y * (size_t)s->cols + (size_t)x];
}

/* Writes formatted text at (y, x), at most w cells, never past the edge;
 * bytes that are not printable ASCII (a server's SOFTWARE, say) show as
 * '?'. Returns the cells written. */
int dash_put(struct dash_screen *s, int y, int x, int w, uint8_t attr,
	       const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n = 0;

	if (y < 0 || y >= s->rows || x < 0 || x >= s->cols || w <= 0)
		return 0;
	if (w > s->cols - x)
		w = s->cols - x;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *p = buf; *p && n < w; p++, n++) {
		struct dash_cell *c = cell(s, y, x + n);
		char ch = *p;

		if (ch != DASH_CH_UP && ch != DASH_CH_DOWN &&
		    (ch < 0x20 || ch > 0x7e))
			ch = '?';
		c->ch = ch;
		c->attr = attr;
	}
	return n;
}

static void fill_attr(struct dash_screen *s, int y, int x, int w, uint8_t attr)
{
	for (int i = x; i < x + w && i < s->cols; i++)
		cell(s, y, i)->attr = attr;
}

static const char *state_text(const struct dash_test *t, char *buf, size_t len)
{
	switch (t->state) {
	case DT_RUNNING: return "waiting";
	case DT_OK: return "ok";
	case DT_ERRRESP: snprintf(buf, len, "error %d", t->error_code); return buf;
	case DT_TIMEOUT: return "timeout";
	case DT_ICMP: return "icmp";
	case DT_CONNECTED: return "connected";
	case DT_ARRIVED: return "arrived";
	default: return "failed";
	}
}

static uint8_t state_attr(enum dash_state st)
{
	switch (st) {
	case DT_OK: case DT_CONNECTED: case DT_ARRIVED: return DA_GREEN;
	case DT_RUNNING: case DT_ERRRESP: return DA_YELLOW;
	default: return DA_RED;
	}
}

static int running(const struct dash_test *t)
{
	return t->state == DT_RUNNING;
}

/* In flight first, then by recency. */
static int cmp_tests(const void *a, const void *b)
{
	const struct dash_test *x = *(const struct dash_test *const *)a;
	const struct dash_test *y = *(const struct dash_test *const *)b;

	if (running(x) != running(y))
		return running(y) - running(x);
	return x->touched < y->touched ? 1 : x->touched > y->touched ? -1 : 0;
}


/* Rows above the findings panel and below the header. */
static int findings_height(const struct dash_model *m)
{
	size_t nf = m->fs ? m->fs->nf : 0;

	return 1 + (nf == 0 ? 1 : nf > FINDINGS_SHOWN ? FINDINGS_SHOWN : (int)nf);
}

static void layout(const struct dash_model *m, int rows, int cols,
		   struct dash_box *left, struct dash_box *right, struct dash_box *find)
{
	int fh = findings_height(m);
	int lw = cols * 45 / 100;

	find->y = rows - 1 - fh;
	find->x = 0;
	find->h = fh;
	find->w = cols;
	left->y = 1;
	left->x = 0;
	left->h = find->y - 1;  /* a blank row above the findings */
	left->w = lw;
	right->y = 1;
	right->x = lw + 2;
	right->h = left->h;
	right->w = cols - right->x;
}

int dash_test_rows(const struct dash_model *m, int rows, int cols)
{
	struct dash_box l, r, f;

	layout(m, rows, cols, &l, &r, &f);
	return l.h - 2 > 0 ? l.h - 2 : 0;
}

static void draw_tests(const struct dash_model *m, struct dash_screen *s,
		       const struct dash_box *b)
{
	const struct dash_test *ord[DASH_TESTS_MAX];
	int lab = b->w - 22, shown = b->h - 2, first;
	size_t inflight = dash_model_inflight(m);
	char buf[32];

	if (lab < 8)
		lab = 8;
	for (size_t i = 0; i < m->nt; i++)
		ord[i] = &m->t[i];
	qsort(ord, m->nt, sizeof(ord[0]), cmp_tests);
	first = m->scroll;
	if (first > (int)m->nt - shown)
		first = (int)m->nt - shown;
	if (first < 0)
		first = 0;
	dash_put(s, b->y, b->x, b->w, DA_BOLD, "Tests  %zu in flight, %zu done",
	    inflight, m->nt - inflight);
	if (first > 0)  /* how many rows are hidden above */
		dash_put(s, b->y, b->x + b->w - 6, 6, DA_BOLD, " %c%-4d", DASH_CH_UP,
		    first);
	dash_put(s, b->y + 1, b->x, b->w, DA_DIM, "%-*s %3s %-9s %7s", lab, "test",
	    "try", "result", "RTT ms");
	if (m->nt == 0)
		dash_put(s, b->y + 2, b->x, b->w, DA_DIM, "starting...");
	for (int i = 0; i < shown && first + i < (int)m->nt; i++) {
		const struct dash_test *t = ord[first + i];
		int y = b->y + 2 + i, x = b->x;

		x += dash_put(s, y, x, lab, 0, "%s", t->label);
		x = b->x + lab;
		dash_put(s, y, x, b->w - lab, 0, " %3u ", t->tries);
		dash_put(s, y, x + 5, b->w - lab - 5, state_attr(t->state), "%-9s",
		    state_text(t, buf, sizeof(buf)));
		if (t->rtt_us)
			dash_put(s, y, x + 14, b->w - lab - 14, 0, " %7.2f",
			    t->rtt_us / 1000.0);
	}
}

static const char *tri(enum tristate t)
{
	return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "?";
}

static void draw_verdict(const struct dash_model *m, struct dash_screen *s,
			 int y, const struct dash_box *b, const char *label,
			 const struct nat_verdict *v)
{
	int x = b->x + dash_put(s, y, b->x, b->w, 0, "%-12s", label);
	int w = b->w - (x - b->x);

	if (v->value == NB_UNKNOWN && !m->finished) {
		dash_put(s, y, x, w, DA_DIM, "resolving...");
		return;
	}
	x += dash_put(s, y, x, w, v->value == NB_UNKNOWN ? DA_YELLOW : DA_BOLD, "%s",
		  nat_behavior_name(v->value));
	w = b->w - (x - b->x);
	if (v->confidence != CONF_NONE)
		dash_put(s, y, x, w, DA_DIM, " (%s)", confidence_name(v->confidence));
}

static void draw_nat(const struct dash_model *m, struct dash_screen *s,
		     const struct dash_box *b)
{
	int y = b->y, end = b->y + b->h, any = 0;
	char a[64];

	for (int fi = 0; m->nr && fi < 2; fi++) {
		const struct nat_family *nf = &m->nr->fam[fi];

		if (!nf->tested)
			continue;
		any = 1;
		if (y < end)
			dash_put(s, y++, b->x, b->w, DA_BOLD, "NAT %s  via %s",
			    fi ? "IPv6" : "IPv4", nf->server);
		if (y < end)
			draw_verdict(m, s, y++, b, "mapping", &nf->mapping);
		if (y < end)
			draw_verdict(m, s, y++, b, "filtering", &nf->filtering);
		if (y < end)
			draw_verdict(m, s, y++, b, "hairpinning", &nf->hairpinning);
		if (y < end)
			draw_verdict(m, s, y++, b, "TCP mapping", &nf->tcp_mapping);
		if (y < end)
			dash_put(s, y++, b->x, b->w, 0, "%-12sUDP %s  TCP %s  TLS %s",
			    "reachable", tri(nf->udp), tri(nf->tcp), tri(nf->tls));
		if (y < end && nf->have_mapped)
			dash_put(s, y++, b->x, b->w, 0, "%-12s%s  RTT %.2f ms", "mapped",
			    np_addr_str(&nf->mapped, a, sizeof(a)),
			    nf->rtt_us / 1000.0);
		if (y < end && nf->rfc3489_name[0] && m->finished)
			dash_put(s, y++, b->x, b->w, 0, "%-12s%s", "type",
			    nf->rfc3489_name);
		y++;  /* a blank row between families */
	}
	if (!any) {
		dash_put(s, y++, b->x, b->w, DA_BOLD, "NAT classification");
		dash_put(s, y, b->x, b->w, DA_DIM, "waiting for the first answer...");
	}
}

/* Once the ICE session runs, the NAT verdicts shrink to what ICE rests
 * on: mapping and filtering per family. Returns the next free row. */
static int draw_nat_brief(const struct dash_model *m, struct dash_screen *s,
			  const struct dash_box *b)
{
	int y = b->y, end = b->y + b->h;

	for (int fi = 0; m->nr && fi < 2; fi++) {
		const struct nat_family *nf = &m->nr->fam[fi];

		if (!nf->tested)
			continue;
		if (y + 3 >= end)
			break;  /* the session's status matters more now */
		dash_put(s, y++, b->x, b->w, DA_BOLD, "NAT %s  via %s",
			 fi ? "IPv6" : "IPv4", nf->server);
		draw_verdict(m, s, y++, b, "mapping", &nf->mapping);
		draw_verdict(m, s, y++, b, "filtering", &nf->filtering);
		y++;
	}
	return y;
}

static void draw_stun(const struct dash_model *m, struct dash_screen *s,
		      const struct dash_box *b)
{
	int y = b->y, end = b->y + b->h;
	size_t n = m->fs ? m->fs->nstun : 0;
	char a[64];

	dash_put(s, y++, b->x, b->w, DA_BOLD, "STUN legs  %zu", n);
	if (n == 0 && y < end)
		dash_put(s, y, b->x, b->w, DA_DIM, "waiting for the first answer...");
	for (size_t i = 0; i < n && y < end; i++) {
		const struct stun_result *r = &m->fs->stun[i];
		int pending = !m->finished && r->responses == 0 &&
			      r->status == LEG_TIMEOUT;
		int x = b->x;

		x += dash_put(s, y, x, b->w, pending ? DA_YELLOW :
			 r->status == LEG_OK ? DA_GREEN : DA_RED, "%-8s",
			 pending ? "waiting" : leg_status_name(r->status));
		dash_put(s, y++, x, b->w - (x - b->x), 0, " %s %s%s", r->server,
		    np_transport_name(r->transport),
		    r->family == AF_INET6 ? " v6" : "");
		if (y >= end)
			break;
		if (r->have_mapped)
			dash_put(s, y++, b->x, b->w, 0, "  mapped %s  RTT %.2f ms",
			    np_addr_str(&r->mapped, a, sizeof(a)),
			    r->rtt_median_us / 1000.0);
		else if (!pending)
			dash_put(s, y++, b->x, b->w, DA_DIM, "  %s", r->message);
	}
}

static void draw_findings(const struct dash_model *m, struct dash_screen *s,
			  const struct dash_box *b)
{
	size_t nf = m->fs ? m->fs->nf : 0;
	int shown = b->h - 1;

	if (nf > (size_t)shown)
		dash_put(s, b->y, b->x, b->w, DA_BOLD, "Findings  %zu (%d shown)", nf,
		    shown);
	else
		dash_put(s, b->y, b->x, b->w, DA_BOLD, "Findings  %zu", nf);
	if (nf == 0)
		dash_put(s, b->y + 1, b->x, b->w, DA_DIM, "none so far");
	/* Errors first: they are what the person came for. */
	for (int sev = SEV_ERROR, y = b->y + 1; sev >= SEV_INFO; sev--) {
		for (size_t i = 0; i < nf && y < b->y + b->h; i++) {
			const struct finding *f = &m->fs->f[i];
			uint8_t at = sev == SEV_ERROR ? DA_RED :
				     sev == SEV_WARNING ? DA_YELLOW : DA_DIM;

			if ((int)f->severity != sev)
				continue;
			dash_put(s, y, b->x, 8, at, "%s", severity_name(f->severity));
			dash_put(s, y++, b->x + 8, b->w - 8, 0, "%s", f->title);
		}
	}
}

void dash_render(const struct dash_model *m, struct dash_screen *s)
{
	struct dash_box l, r, f;
	char right[64];
	int rw;

	for (int i = 0; i < s->rows * s->cols; i++) {
		s->c[i].ch = ' ';
		s->c[i].attr = 0;
	}
	if (s->rows < DASH_MIN_ROWS || s->cols < DASH_MIN_COLS) {
		dash_put(s, 0, 0, s->cols, DA_BOLD, "terminal too small (need %dx%d)",
		    DASH_MIN_COLS, DASH_MIN_ROWS);
		dash_put(s, 1, 0, s->cols, 0, "now %dx%d; q quits", s->cols, s->rows);
		return;
	}
	/* Header: what runs against what, and for how long. */
	rw = snprintf(right, sizeof(right), "%.1f s  %s ",
		      m->elapsed_us / 1e6,
		      m->finished ? "done" : m->paused ? "PAUSED" : "running");
	fill_attr(s, 0, 0, s->cols, DA_REVERSE);
	dash_put(s, 0, 0, s->cols - rw - 1, DA_REVERSE | DA_BOLD, " natprobe %s  %s",
	    m->command, m->server);
	dash_put(s, 0, s->cols - rw, rw, DA_REVERSE, "%s", right);
	layout(m, s->rows, s->cols, &l, &r, &f);
	if (m->ice.active)
		dash_ice_draw_pairs(&m->ice, s, &l);
	else
		draw_tests(m, s, &l);
	for (int y = l.y; y < l.y + l.h; y++)
		dash_put(s, y, l.w, 1, DA_DIM, "|");
	if (m->ice.active)
		dash_ice_draw_session(&m->ice, m->finished, s, &r,
				      draw_nat_brief(m, s, &r));
	else if (strcmp(m->command, "stun") == 0)
		draw_stun(m, s, &r);
	else
		draw_nat(m, s, &r);
	draw_findings(m, s, &f);
	fill_attr(s, s->rows - 1, 0, s->cols, DA_REVERSE);
	if (m->ice.active)  /* pairs are ranked, not scrolled */
		dash_put(s, s->rows - 1, 0, s->cols, DA_REVERSE,
			 " q quit  p %s  * selected  n nominated",
			 m->paused ? "resume" : "pause");
	else
		dash_put(s, s->rows - 1, 0, s->cols, DA_REVERSE,
			 " q quit  p %s  %c%c scroll  %s",
			 m->paused ? "resume" : "pause", DASH_CH_UP, DASH_CH_DOWN,
			 m->overflow ? "(some tests not listed)" : "");
}

void dash_screen_row(const struct dash_screen *s, int row, char *buf,
		     size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	for (int x = 0; row >= 0 && row < s->rows && x < s->cols && n + 1 < len;
	     x++) {
		char ch = s->c[(size_t)row * (size_t)s->cols + (size_t)x].ch;

		buf[n++] = ch == DASH_CH_UP ? '^' : ch == DASH_CH_DOWN ? 'v' : ch;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}
