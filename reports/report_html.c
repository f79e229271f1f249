/*
 * report_html.c - the run as one self-contained HTML page: the verdict,
 * the findings (severity, detail, remedy, the observations they rest on),
 * the key figures (the same field table as the text and JSON reports; for
 * nat, ice and analyze, the text report's summary verbatim), and an SVG
 * timeline (report_html_timeline.c).
 *
 * Self-contained means inline CSS and inline SVG only: no script, no
 * external resource, no URL in the source; a Content-Security-Policy of
 * default-src 'none' says so to the browser as well. Every string that
 * came from an observation (a server's reason phrase, SOFTWARE, a label)
 * goes through report_html_esc. The markup is also well-formed XML, so
 * xmllint can check it.
 */
#include "report.h"
#include "report_capture.h"
#include "report_html.h"
#include "report_ice.h"
#include "report_nat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

void report_html_esc(FILE *out, const char *s)
{
	while (*s) {
		size_t n = report_utf8_len(s);
		unsigned char c = (unsigned char)*s;

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			s++;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		case '\n': fputs("&#10;", out); break;
		case '\t': fputc(' ', out); break;
		case ':':
			if (s[1] == '/' && s[2] == '/') {
				fputs(":&#47;&#47;", out);
				s += 3;
				continue;
			}
			fputc(':', out);
			break;
		default:
			if (c >= 0x20 && c != 0x7f)
				fwrite(s, 1, n, out);
		}
		s += n;
	}
}

void report_html_dur(char *buf, size_t len, uint64_t us)
{
	if (us < 1000)
		snprintf(buf, len, "%llu \xc2\xb5s", (unsigned long long)us);
	else if (us < 10000)
		snprintf(buf, len, "%.2f ms", us / 1000.0);
	else if (us < 1000000)
		snprintf(buf, len, "%.1f ms", us / 1000.0);
	else
		snprintf(buf, len, "%.2f s", us / 1e6);
}

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;color:#1d2230;background:#f6f7f9;"
	"margin:0;padding:24px 32px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;"
	"border-bottom:2px solid #d5d9e0;padding-bottom:4px}\n"
	".meta{color:#5a6272;margin:0 0 14px}\n"
	".verdict{padding:12px 16px;border-radius:6px;font-size:16px;font-weight:600;"
	"border-left:8px solid}\n"
	".v-ok{background:#e3f4e8;border-color:#2e9d52}.v-warning{background:#fdf3dc;"
	"border-color:#d99a11}.v-error{background:#fbe4e4;border-color:#cc3232}\n"
	".finding{background:#fff;border:1px solid #d5d9e0;border-left:6px solid;"
	"border-radius:4px;padding:8px 14px;margin:8px 0}\n"
	".finding h3{font-size:15px;margin:2px 0 4px}.finding p{margin:3px 0}\n"
	".f-error{border-left-color:#cc3232}.f-warning{border-left-color:#d99a11}"
	".f-info{border-left-color:#3a72c4}\n"
	".sev{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;"
	"color:#fff;border-radius:3px;padding:1px 6px;margin-right:8px;vertical-align:2px}\n"
	".s-error{background:#cc3232}.s-warning{background:#c78a00}.s-info{background:#3a72c4}\n"
	".remedy{color:#145a2c}.evidence{color:#5a6272;font-size:12px}\n"
	".evidence li{font-family:ui-monospace,monospace}\n"
	"table{border-collapse:collapse;background:#fff;margin:6px 0 12px}\n"
	"th,td{border:1px solid #d5d9e0;padding:3px 8px;text-align:left;vertical-align:top}\n"
	"th{background:#eef0f4;font-weight:600}td.k{color:#5a6272;font-size:12px;"
	"font-family:ui-monospace,monospace}\n"
	".legs{display:flex;flex-wrap:wrap;gap:14px}.legs table{min-width:360px}\n"
	".na{color:#9aa1ad}.pass{color:#2e9d52;font-weight:700}.fail{color:#cc3232;"
	"font-weight:700}\n"
	"pre{background:#fff;border:1px solid #d5d9e0;padding:10px;white-space:pre-wrap;"
	"font-size:12.5px}\n"
	".timeline{background:#fff;border:1px solid #d5d9e0;padding:6px}\n"
	".timeline svg{display:block;width:100%;height:auto;min-width:900px}\n"
	".legend span{display:inline-block;margin-right:16px;font-size:12px}\n"
	".legend i{display:inline-block;width:18px;height:4px;margin-right:5px;"
	"vertical-align:middle}\n"
	".note{color:#8a5a00;font-size:12.5px}\n"
	"footer{margin-top:30px;color:#8a919d;font-size:12px}\n";

static enum severity worst(const struct findings *fs, size_t *nerr, size_t *nwarn)
{
	enum severity w = SEV_INFO;

	*nerr = *nwarn = 0;
	for (size_t i = 0; i < fs->nf; i++) {
		if (fs->f[i].severity == SEV_ERROR)
			(*nerr)++;
		else if (fs->f[i].severity == SEV_WARNING)
			(*nwarn)++;
		if (fs->f[i].severity > w)
			w = fs->f[i].severity;
	}
	return w;
}

static void head(const struct findings *fs, FILE *out)
{
	const char *cmd = fs->command ? fs->command : "";
	char when[40] = "";
	time_t t = (time_t)(fs->start_wall_us / 1000000u);
	struct tm tm;

	if (fs->start_wall_us && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width\"/>\n<title>natprobe ", out);
	report_html_esc(out, cmd);
	fprintf(out, " report</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	fputs("<h1>natprobe ", out);
	report_html_esc(out, cmd);
	fputs(" report</h1>\n<p class=\"meta\">", out);
	if (when[0])
		fprintf(out, "Run started %s &#183; ", when);
	fprintf(out, "natprobe %s &#183; exit code %d</p>\n", NATPROBE_VERSION,
		fs->exit_code);
}

static void verdict(const struct findings *fs, FILE *out)
{
	size_t nerr, nwarn;
	enum severity w = worst(fs, &nerr, &nwarn);
	const char *cls = nerr || fs->exit_code ? "v-error" : nwarn ? "v-warning" : "v-ok";

	fprintf(out, "<section id=\"verdict\">\n<div class=\"verdict %s\">", cls);
	if (fs->exit_code)
		fputs("A required check failed. ", out);
	else if (fs->policy_explicit)
		fputs("All required checks passed. ", out);
	if (nerr || nwarn)
		fprintf(out, "%zu error%s, %zu warning%s", nerr, nerr == 1 ? "" : "s",
			nwarn, nwarn == 1 ? "" : "s");
	else
		fputs("No problems found", out);
	for (size_t i = 0; i < fs->nf; i++)
		if (fs->f[i].severity == w && w != SEV_INFO) {
			fputs(": ", out);
			report_html_esc(out, fs->f[i].title);
			break;
		}
	fputs("</div>\n</section>\n", out);
}

/* The observation with this seq: logs are stored in seq order from 1, so
 * it is usually at seq - 1. */
static const struct obs *obs_by_seq(const struct obs_log *log, uint64_t seq)
{
	if (!log || seq == 0)
		return NULL;
	if (seq <= log->n && log->v[seq - 1].seq == seq)
		return &log->v[seq - 1];
	for (size_t i = 0; i < log->n; i++)
		if (log->v[i].seq == seq)
			return &log->v[i];
	return NULL;
}

static void evidence(const struct findings *fs, const struct finding *f, FILE *out)
{
	if (f->nevidence == 0)
		return;
	fputs("<div class=\"evidence\">Evidence (observations):<ul>\n", out);
	for (size_t k = 0; k < f->nevidence; k++) {
		const struct obs *o = obs_by_seq(fs->log, f->evidence[k]);
		char d[32], a[64];

		fprintf(out, "<li>#%llu", (unsigned long long)f->evidence[k]);
		if (o) {
			report_html_dur(d, sizeof(d), o->t_us);
			fprintf(out, " at %s: %s ", d, obs_kind_name(o->kind));
			report_html_esc(out, o->test);
			if (o->has & OBS_HAS_REMOTE) {
				fputs(" ", out);
				report_html_esc(out, np_addr_str(&o->remote, a, sizeof(a)));
			}
			if (o->has & OBS_HAS_ERROR_CODE)
				fprintf(out, " error %d", o->error_code);
			if (o->text[0]) {
				fputs(" &#8212; ", out);
				report_html_esc(out, o->text);
			}
		}
		fputs("</li>\n", out);
	}
	fputs("</ul></div>\n", out);
}

static void findings_html(const struct findings *fs, FILE *out)
{
	fputs("<section id=\"findings\">\n<h2>Findings</h2>\n", out);
	if (fs->nf == 0)
		fputs("<p>No findings: nothing to fix.</p>\n", out);
	/* Errors first, then warnings, then information. */
	for (int sev = SEV_ERROR; sev >= SEV_INFO; sev--)
		for (size_t i = 0; i < fs->nf; i++) {
			const struct finding *f = &fs->f[i];
			const char *sn = severity_name(f->severity);

			if ((int)f->severity != sev)
				continue;
			fprintf(out, "<article class=\"finding f-%s\" id=\"finding-%zu\">\n"
				"<h3><span class=\"sev s-%s\">%s</span>", sn, i, sn, sn);
			report_html_esc(out, f->title);
			fputs("</h3>\n", out);
			if (f->detail[0]) {
				fputs("<p class=\"detail\">", out);
				report_html_esc(out, f->detail);
				fputs("</p>\n", out);
			}
			if (f->remedy[0]) {
				fputs("<p class=\"remedy\"><b>Remedy:</b> ", out);
				report_html_esc(out, f->remedy);
				fputs("</p>\n", out);
			}
			fputs("<p class=\"evidence\">id: <code>", out);
			report_html_esc(out, f->id);
			fputs("</code></p>\n", out);
			evidence(fs, f, out);
			fputs("</article>\n", out);
		}
	fputs("</section>\n", out);
}

static void policy_html(const struct findings *fs, FILE *out)
{
	if (!fs->policy_explicit)
		return;
	fputs("<section id=\"checks\">\n<h2>Required checks</h2>\n<table>\n"
	      "<tr><th>check</th><th>family</th><th>result</th><th>value</th>"
	      "<th>reason</th></tr>\n", out);
	for (size_t i = 0; i < fs->npolicy; i++) {
		const struct policy_result *r = &fs->policy[i];

		fputs("<tr><td>", out);
		report_html_esc(out, r->check);
		fprintf(out, "</td><td>%s</td><td class=\"%s\">%s</td><td>",
			r->family == AF_INET ? "IPv4" : r->family == AF_INET6 ? "IPv6" : "",
			r->passed ? "pass" : "fail", r->passed ? "ok" : "FAIL");
		report_html_esc(out, r->value);
		fputs("</td><td>", out);
		report_html_esc(out, r->reason);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
}

/* The same words and units as the text report (report_text.c). */
static void field_html(const struct field_val *v, FILE *out)
{
	if (!v->present) {
		fputs("<span class=\"na\">n/a</span>", out);
		return;
	}
	switch (v->kind) {
	case FIELD_STR:
		report_html_esc(out, v->str);
		break;
	case FIELD_UINT:
		fprintf(out, "%llu", (unsigned long long)v->num);
		break;
	case FIELD_MS:
		fprintf(out, "%.2f ms", (double)v->num / 1000.0);
		break;
	case FIELD_TRI:
		fputs(tristate_name(v->tri), out);
		break;
	}
}

static void leg_html(const struct stun_result *r, size_t i, FILE *out)
{
	fprintf(out, "<table id=\"leg-%zu\">\n<tr><th colspan=\"3\">", i);
	report_html_esc(out, r->server);
	fprintf(out, " over %s</th></tr>\n", r->transport == NP_UDP ? "UDP" :
		r->transport == NP_TCP ? "TCP" : "TLS");
	for (size_t k = 0; k < report_stun_nfields; k++) {
		struct field_val v;

		memset(&v, 0, sizeof(v));
		report_stun_fields[k].get(r, &v);
		fputs("<tr><td>", out);
		report_html_esc(out, report_stun_fields[k].label);
		fputs("</td><td>", out);
		field_html(&v, out);
		fputs("</td><td class=\"k\">", out);
		report_html_esc(out, report_stun_fields[k].key);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* A part of the text report, verbatim in a <pre>, so the page says
 * exactly what the text report says. */
static void text_block(FILE *out, void (*render)(const void *, FILE *),
		       const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	render(arg, m);
	if (fclose(m) == 0 && buf) {
		fputs("<pre>", out);
		report_html_esc(out, buf);
		fputs("</pre>\n", out);
	}
	free(buf);
}

static void nat_text(const void *nr, FILE *m)
{
	report_nat_text(nr, m);
}

static void capture_text(const void *cr, FILE *m)
{
	report_capture_text(cr, m);
}

static void ice_text(const void *ir, FILE *m)
{
	report_ice_text(ir, m);
}

static void figures_html(const struct findings *fs, FILE *out)
{
	fputs("<section id=\"figures\">\n<h2>Key figures</h2>\n", out);
	if (fs->nat)
		text_block(out, nat_text, fs->nat);
	if (fs->capture)
		text_block(out, capture_text, fs->capture);
	if (fs->ice)
		text_block(out, ice_text, fs->ice);
	if (fs->nstun) {
		fputs("<div class=\"legs\">\n", out);
		for (size_t i = 0; i < fs->nstun; i++)
			leg_html(&fs->stun[i], i, out);
		fputs("</div>\n", out);
	} else if (!fs->nat && !fs->capture && !fs->ice) {
		fputs("<p>No results were recorded.</p>\n", out);
	}
	fputs("</section>\n", out);
}

int report_html(const struct findings *fs, FILE *out)
{
	head(fs, out);
	verdict(fs, out);
	findings_html(fs, out);
	policy_html(fs, out);
	fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n", out);
	report_html_timeline(fs->log, out);
	fputs("</section>\n", out);
	figures_html(fs, out);
	fputs("<footer>Written by natprobe ", out);
	fputs(NATPROBE_VERSION "; a self-contained page: no scripts, no external "
	      "resources.</footer>\n</body>\n</html>\n", out);
	return ferror(out) ? -EIO : 0;
}
