/*
 * report_html_timeline.c - the run's observations as an inline SVG
 * timeline for the HTML report (the model: report_html_lanes.c).
 *
 * A band per phase with its span drawn and written on it, then a row per
 * lane: the label (and address pair), a bar per request from its first
 * send to its end coloured by the outcome, with a tooltip (<title>) giving
 * the figures and the reason; on the right, requests, answers, failures
 * and the span. Time runs linearly from the start of the run to its last
 * observation. Lanes holding only notes are left out unless their phase
 * has traffic (a DTLS alert is shown; the "family" note of a nat run is
 * not).
 */
#include "report.h"
#include "report_html.h"
#include "report_html_lanes.h"

#include <string.h>

static const char *const out_color[OUT__COUNT] = {
	[OUT_PENDING] = "#9aa1ad", [OUT_OK] = "#2e9d52", [OUT_ERRRESP] = "#cc3232",
	[OUT_TIMEOUT] = "#cc3232", [OUT_ICMP] = "#e07b00", [OUT_ERROR] = "#7b3fb5",
	[OUT_POINT_OK] = "#3a72c4", [OUT_POINT_FAIL] = "#cc3232",
	[OUT_NOTE] = "#6b7280",
};

static const char *const out_name[OUT__COUNT] = {
	[OUT_PENDING] = "no end recorded", [OUT_OK] = "response or success",
	[OUT_ERRRESP] = "error response", [OUT_TIMEOUT] = "timeout",
	[OUT_ICMP] = "ICMP error", [OUT_ERROR] = "local error or failure",
	[OUT_POINT_OK] = "event", [OUT_POINT_FAIL] = "failed or stray event",
	[OUT_NOTE] = "note",
};

/* Geometry: label column, plot, summary column; a row per phase heading
 * and per lane. */
enum { W = 1160, PX0 = 270, PX1 = 950, ROW = 20, TOP = 34, PAIR_SHOWN = 30 };

static double xat(const struct tl *t, uint64_t us)
{
	return PX0 + (double)(PX1 - PX0) * (double)us / (double)t->tmax;
}

/* Tick spacing: 1, 2 or 5 x 10^k µs, about eight ticks over the run. */
static uint64_t tick_step(uint64_t span)
{
	uint64_t step = 1;

	for (;;) {
		if (span / step <= 8)
			return step;
		if (span / (step * 2) <= 8)
			return step * 2;
		if (span / (step * 5) <= 8)
			return step * 5;
		step *= 10;
	}
}

static void axis(const struct tl *t, FILE *out, int height)
{
	uint64_t step = tick_step(t->tmax);
	char d[32];

	fprintf(out, "<g class=\"axis\" font-size=\"11\" fill=\"#5a6272\">\n");
	for (uint64_t v = 0; v <= t->tmax; v += step) {
		double x = xat(t, v);

		report_html_dur(d, sizeof(d), v);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#e3e6eb\"/>\n", x, TOP - 6, x, height - 4);
		/* No label where it would run into the summary heading. */
		if (x < PX1 - 24)
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
				"%s</text>\n", x, TOP - 12, v ? d : "0");
	}
	fprintf(out, "<text x=\"8\" y=\"%d\" font-weight=\"600\">phase / test</text>\n"
		"<text x=\"%d\" y=\"%d\" font-weight=\"600\">requests &#183; span</text>\n"
		"</g>\n", TOP - 12, PX1 + 12, TOP - 12);
}

/* A tooltip for a mark: what was sent, how it ended, with the figures. */
static void mark_title(const struct tl_lane *l, const struct tl_mark *m, FILE *out)
{
	char d[32], r[32];

	report_html_dur(d, sizeof(d), m->t0);
	fputs("<title>", out);
	report_html_esc(out, m->start->test[0] ? m->start->test : l->key);
	fprintf(out, " #%llu %s at %s", (unsigned long long)m->start->seq,
		obs_kind_name(m->start->kind), d);
	if (m->end) {
		report_html_dur(r, sizeof(r), m->t1 - m->t0);
		fprintf(out, ": %s after %s", out_name[m->outcome], r);
		if (m->end->error_code)
			fprintf(out, " (error %d)", m->end->error_code);
	} else if (m->outcome == OUT_PENDING) {
		fprintf(out, ": %s", out_name[m->outcome]);
	}
	if (m->attempts > 1)
		fprintf(out, ", %u transmissions", m->attempts);
	if (m->end && m->end->text[0]) {
		fputs(": ", out);
		report_html_esc(out, m->end->text);
	} else if (!m->end && m->start->text[0]) {
		fputs(": ", out);
		report_html_esc(out, m->start->text);
	}
	fputs("</title>", out);
}

static void mark_draw(const struct tl *t, const struct tl_lane *l,
		      const struct tl_mark *m, int y, FILE *out)
{
	const char *c = out_color[m->outcome];
	double x0 = xat(t, m->t0), x1;

	fprintf(out, "<g class=\"mark o%d\">", (int)m->outcome);
	mark_title(l, m, out);
	if (m->outcome == OUT_NOTE) {
		fprintf(out, "<path d=\"M%.1f %dl4 4l-4 4l-4 -4z\" fill=\"%s\"/></g>\n",
			x0, y - 4, c);
		return;
	}
	if (m->outcome == OUT_POINT_OK || m->outcome == OUT_POINT_FAIL) {
		fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"4\" height=\"10\" "
			"fill=\"%s\"/></g>\n", x0 - 2, y - 5, c);
		return;
	}
	x1 = m->end ? xat(t, m->t1) : PX1;
	if (x1 - x0 < 1)
		x1 = x0 + 1;
	fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
		"stroke-width=\"3\"%s/>", x0, y, x1, y, c,
		m->outcome == OUT_TIMEOUT || m->outcome == OUT_PENDING ?
		" stroke-dasharray=\"4 2\"" : "");
	fprintf(out, "<circle cx=\"%.1f\" cy=\"%d\" r=\"3\" fill=\"%s\"/>", x0, y, c);
	if (m->outcome == OUT_OK)
		fprintf(out, "<circle cx=\"%.1f\" cy=\"%d\" r=\"3.5\" fill=\"#fff\" "
			"stroke=\"%s\" stroke-width=\"2\"/>", x1, y, c);
	else if (m->outcome != OUT_PENDING)
		fprintf(out, "<path d=\"M%.1f %dl6 6m0-6l-6 6\" stroke=\"%s\" "
			"stroke-width=\"2\"/>", x1 - 3, y - 3, c);
	fputs("</g>\n", out);
}

static void span_text(uint64_t first, uint64_t last, unsigned n, unsigned ok,
		      unsigned failed, unsigned notes, int y, int bold, FILE *out)
{
	char d[32];

	report_html_dur(d, sizeof(d), last - first);
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\"%s>",
		PX1 + 12, y + 4, bold ? " font-weight=\"600\"" : "");
	if (n == 0 && notes) {
		fprintf(out, "%u note%s &#183; %s</text>\n", notes, notes == 1 ? "" : "s", d);
		return;
	}
	fprintf(out, "%u &#183; %u ok", n, ok);
	if (failed)
		fprintf(out, " &#183; %u failed", failed);
	fprintf(out, " &#183; %s</text>\n", d);
}

/* Whether lane i is drawn: it has traffic, or its phase has. */
static int shown(const struct tl *t, size_t i)
{
	if (t->lanes[i].n)
		return 1;
	for (size_t j = 0; j < t->nl; j++)
		if (t->lanes[j].n && !strcmp(t->lanes[j].phase, t->lanes[i].phase))
			return 1;
	return 0;
}

static void phase_draw(const struct tl *t, size_t i, int y, FILE *out)
{
	const struct tl_lane *l = &t->lanes[i];
	uint64_t f = l->first, la = l->last;
	unsigned n = 0, ok = 0, failed = 0;
	double xf, xl;
	int inside;
	char d[32];

	for (size_t j = i; j < t->nl && !strcmp(t->lanes[j].phase, l->phase); j++) {
		f = t->lanes[j].first < f ? t->lanes[j].first : f;
		la = t->lanes[j].last > la ? t->lanes[j].last : la;
		n += t->lanes[j].n;
		ok += t->lanes[j].ok;
		failed += t->lanes[j].failed;
	}
	xf = xat(t, f);
	xl = xat(t, la);
	/* Its length after the bar, or above its end when it reaches the
	 * right. */
	inside = xl + 60 > PX1;
	report_html_dur(d, sizeof(d), la - f);
	fprintf(out, "<g class=\"phase\"><rect x=\"0\" y=\"%d\" width=\"%d\" "
		"height=\"%d\" fill=\"#e9edf5\"/>\n<text x=\"6\" y=\"%d\" "
		"font-size=\"12\" font-weight=\"700\">", y - ROW / 2, W, ROW, y + 4);
	report_html_esc(out, l->phase);
	fprintf(out, "</text>\n<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		"height=\"6\" fill=\"#8ea2c4\"/>\n<text x=\"%.1f\" y=\"%d\" "
		"font-size=\"11\" fill=\"#33415c\" text-anchor=\"%s\">%s</text>\n",
		xf, y - 3, xl - xf + 1, inside ? xl - 4 : xl + 6, inside ? y - 5 : y + 4,
		inside ? "end" : "start", d);
	span_text(f, la, n, ok, failed, 0, y, 1, out);
	fputs("</g>\n", out);
}

/* The lane's name: its label, then its address pair in small type, cut
 * to its last PAIR_SHOWN bytes (the full key is the tooltip). */
static void lane_name(const struct tl_lane *l, int y, FILE *out)
{
	const char *p = l->pair;

	fprintf(out, "<text x=\"18\" y=\"%d\" font-size=\"12\"><title>", y + 4);
	report_html_esc(out, l->key);
	fputs("</title>", out);
	report_html_esc(out, l->label);
	if (p[0]) {
		fputs(" <tspan font-size=\"10\" fill=\"#5a6272\">", out);
		if (strlen(p) > PAIR_SHOWN) {
			p += strlen(p) - PAIR_SHOWN;
			while ((*p & 0xc0) == 0x80)
				p++;
			fputs("&#8230;", out);
		}
		report_html_esc(out, p);
		fputs("</tspan>", out);
	}
	fputs("</text>\n", out);
}

static void draw(const struct tl *t, FILE *out)
{
	int rows = 0, y, height;
	const char *phase = NULL;

	for (size_t i = 0; i < t->nl; i++) {
		if (!shown(t, i))
			continue;
		rows += 1 + (!phase || strcmp(t->lanes[i].phase, phase));
		phase = t->lanes[i].phase;
	}
	height = TOP + rows * ROW + 8;
	fprintf(out, "<div class=\"timeline\">\n<svg id=\"timeline-svg\" width=\"100%%\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" "
		"font-family=\"system-ui,sans-serif\">\n", W, height);
	axis(t, out, height);
	y = TOP + ROW / 2;
	phase = NULL;
	for (size_t i = 0; i < t->nl; i++) {
		const struct tl_lane *l = &t->lanes[i];

		if (!shown(t, i))
			continue;
		if (!phase || strcmp(l->phase, phase)) {
			phase_draw(t, i, y, out);
			y += ROW;
			phase = l->phase;
		}
		fputs("<g class=\"lane\">\n", out);
		lane_name(l, y, out);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#d5d9e0\" stroke-width=\"7\"/>\n",
			xat(t, l->first), y, xat(t, l->last) + 1, y);
		for (size_t k = 0; k < l->nm; k++)
			mark_draw(t, l, &l->m[k], y, out);
		span_text(l->first, l->last, l->n, l->ok, l->failed, l->notes, y, 0, out);
		fputs("</g>\n", out);
		y += ROW;
	}
	fputs("</svg>\n</div>\n", out);
}

static void legend(FILE *out)
{
	static const enum tl_outcome listed[] = {
		OUT_OK, OUT_ERRRESP, OUT_TIMEOUT, OUT_ICMP, OUT_ERROR, OUT_PENDING,
		OUT_POINT_OK, OUT_POINT_FAIL, OUT_NOTE,
	};

	fputs("<p class=\"legend\">", out);
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>",
			out_color[listed[i]], out_name[listed[i]]);
	fputs("<span>A bar runs from a request&#8217;s first send to its end (or "
	      "over a handshake); a small block is an event (a connection, a flight, "
	      "a stray datagram). Right: requests &#183; answered &#183; failed "
	      "&#183; span.</span></p>\n", out);
}

static void caps_note(const struct tl *t, const struct obs_log *log, FILE *out)
{
	int any = 0;

	for (size_t i = 0; i < t->nl; i++) {
		const struct tl_lane *l = &t->lanes[i];

		if (l->n + l->notes <= l->nm)
			continue;
		if (!any)
			fprintf(out, "<p class=\"note\">Bounded drawing: at most %d marks "
				"per lane. ", HTML_MARKS_PER_LANE);
		fputs(any ? "; " : "", out);
		report_html_esc(out, l->key);
		fprintf(out, ": the first %zu of %u drawn", l->nm, l->n + l->notes);
		any = 1;
	}
	if (any)
		fputs(" (the counts cover them all).</p>\n", out);
	if (t->others)
		fprintf(out, "<p class=\"note\">More than %d lanes: the rest share "
			"the lane &#8220;(other labels)&#8221;.</p>\n", HTML_LANES_MAX - 1);
	if (log->dropped)
		fprintf(out, "<p class=\"note\">The log itself refused %zu observations "
			"over its cap of %d.</p>\n", log->dropped, OBS_MAX);
}

void report_html_timeline(const struct obs_log *log, FILE *out)
{
	struct tl t;
	int any = 0;

	if (!log || log->n == 0) {
		fputs("<p>No observations were recorded, so there is no timeline.</p>\n", out);
		return;
	}
	if (report_tl_build(&t, log) < 0) {
		fputs("<p>The timeline could not be drawn: out of memory.</p>\n", out);
		report_tl_dispose(&t);
		return;
	}
	for (size_t i = 0; i < t.nl; i++)
		any |= t.lanes[i].n > 0;
	if (!any) {
		fputs("<p>The log holds only notes, so there is no timeline.</p>\n", out);
	} else {
		legend(out);
		draw(&t, out);
		caps_note(&t, log, out);
	}
	report_tl_dispose(&t);
}
