/*
 * test_report_html.c - the HTML report: every recorded log (fixtures/obs/)
 * renders to a well-formed page (checked by a small XML checker here, and
 * by xmllint when libxml2-utils is installed) with no script and no URL;
 * strings from the network are escaped; findings and the key figures say
 * what the text report says; the timeline groups lanes by label prefix,
 * so ICE and DTLS labels get lanes without new code; a huge log gives a
 * bounded page that says what it left out.
 */
#include <ctype.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ice_summary.h"
#include "nat_classify.h"
#include "obs.h"
#include "report.h"
#include "report_html.h"
#include "stun_summary.h"

static struct obs_log logv;
static struct nat_report nr;
static struct ice_report ir;
static struct findings fs;
static char *html;
static size_t html_len;

static void load(const char *path)
{
	char detail[200] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_int_equal(obs_log_read(&logv, f, detail, sizeof(detail)), 0);
	fclose(f);
	if (strcmp(logv.command, "nat") == 0)
		nat_classify(&logv, &nr, &fs);
	else if (strcmp(logv.command, "ice") == 0)
		ice_analyze(&logv, &ir, &fs);
	else
		stun_summarize(&logv, logv.family, &fs);
	fs.log = &logv;
}

static const char *render(enum report_format fmt)
{
	FILE *m;

	free(html);
	html = NULL;
	m = open_memstream(&html, &html_len);
	assert_non_null(m);
	assert_int_equal(report_write(&fs, fmt, m), 0);
	assert_int_equal(fclose(m), 0);
	return html;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A small XML well-formedness check: elements nest and close, attribute
 * values are quoted and hold no '<', every '&' starts one of the five XML
 * entities or a numeric reference, and one root element <html>. Returns
 * NULL or what was wrong. */
static const char *wellformed(const char *s)
{
	static char why[160];
	char stack[64][24];
	int depth = 0, roots = 0;

	if (strncmp(s, "<!DOCTYPE html>", 15) != 0)
		return "no <!DOCTYPE html> first";
	s += 15;
	while (*s) {
		if (*s == '&') {
			const char *e = strchr(s, ';');
			static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
			int okay = 0;

			if (e && s[1] == '#' && e - s >= 3) {
				okay = 1;
				for (const char *p = s + 2; p < e; p++)
					okay &= isdigit((unsigned char)*p) != 0;
			}
			for (size_t i = 0; i < 5; i++)
				okay |= e && !strncmp(s, ent[i], strlen(ent[i]));
			if (!okay) {
				snprintf(why, sizeof(why), "bare & at \"%.20s\"", s);
				return why;
			}
			s = e + 1;
			continue;
		}
		if (*s != '<') {
			s++;
			continue;
		}
		if (s[1] == '/') {
			size_t n = strcspn(s + 2, ">");

			if (depth == 0 || strlen(stack[depth - 1]) != n ||
			    strncmp(stack[depth - 1], s + 2, n)) {
				snprintf(why, sizeof(why), "</%.*s> closes <%s>", (int)n, s + 2,
					 depth ? stack[depth - 1] : "(nothing)");
				return why;
			}
			depth--;
			s += n + 3;
			continue;
		}
		size_t n = strspn(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		const char *name = s + 1;

		if (n == 0 || n >= sizeof(stack[0]))
			return "a '<' that starts no element";
		s += 1 + n;
		for (;;) {
			s += strspn(s, " \n\t");
			if (*s == '>' || (s[0] == '/' && s[1] == '>'))
				break;
			size_t an = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:");

			if (an == 0 || s[an] != '=' || s[an + 1] != '"') {
				snprintf(why, sizeof(why), "bad attribute in <%.*s> at \"%.20s\"",
					 (int)n, name, s);
				return why;
			}
			s += an + 2;
			while (*s && *s != '"') {
				if (*s == '<')
					return "'<' inside an attribute value";
				s++;
			}
			if (!*s)
				return "unterminated attribute";
			s++;
		}
		if (*s == '/') {
			s += 2;
			continue;
		}
		s++;
		if (depth == 0 && roots++)
			return "more than one root element";
		if (depth == 64)
			return "nested too deep";
		snprintf(stack[depth++], sizeof(stack[0]), "%.*s", (int)n, name);
		if (depth == 1 && strcmp(stack[0], "html"))
			return "root is not <html>";
	}
	return depth ? "elements left open at the end" : roots ? NULL : "no root";
}

/* xmllint (libxml2-utils), when installed, reads the page as XML: a
 * second, independent well-formedness check. */
static int xmllint_ok(const char *text, size_t len)
{
	char path[] = "/tmp/test_report_html_XXXXXX";
	int fd, rc;
	char cmd[128];

	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return 1;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "xmllint --noout --nonet %s", path);
	rc = system(cmd);
	unlink(path);
	return rc == 0;
}

/* Nothing a browser would fetch or run. */
static void assert_self_contained(const char *h)
{
	assert_null(strstr(h, "://"));
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "url("));
	assert_null(strstr(h, "@import"));
	assert_null(strstr(h, " src=\""));
	assert_null(strstr(h, " href=\""));
	assert_null(strstr(h, "<link"));
	assert_null(strstr(h, "<img"));
	assert_non_null(strstr(h, "default-src 'none'"));
}

static void test_every_fixture_renders_a_wellformed_self_contained_page(void **state)
{
	enum report_format f;
	glob_t g;

	(void)state;
	assert_int_equal(report_format_parse("html", &f), 0);
	assert_int_equal(f, REPORT_HTML);
	assert_int_equal(glob("fixtures/obs/*.jsonl", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 20);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *h, *why;

		load(g.gl_pathv[i]);
		h = render(REPORT_HTML);
		why = wellformed(h);
		if (why)
			fail_msg("%s: %s", g.gl_pathv[i], why);
		if (!xmllint_ok(h, html_len))
			fail_msg("%s: xmllint rejects it", g.gl_pathv[i]);
		assert_self_contained(h);
		assert_non_null(strstr(h, "<section id=\"findings\">"));
		assert_non_null(strstr(h, "<section id=\"figures\">"));
		/* Every log holds traffic, so every page has a timeline. */
		assert_non_null(strstr(h, "<svg id=\"timeline-svg\""));
		assert_int_equal(count(h, "<svg"), 1);
		/* ICE logs get their phase with no code for it here. */
		if (strcmp(logv.command, "ice") == 0)
			assert_non_null(strstr(h, "font-weight=\"700\">ice</text>"));
		obs_log_dispose(&logv);
	}
	globfree(&g);
}

#define HOSTILE "<script>alert(1)</script><img src=x onerror=alert(2)>" \
	" \"'& http://evil.example/x.js \x01\xff end"

static void test_strings_from_the_network_are_escaped(void **state)
{
	const char *h;

	(void)state;
	load("fixtures/obs/stun_error_response.jsonl");
	/* A hostile server's reason phrase and SOFTWARE, and a label. */
	for (size_t i = 0; i < logv.n; i++) {
		snprintf(logv.v[i].text, sizeof(logv.v[i].text), "%s", HOSTILE);
		snprintf(logv.v[i].test, sizeof(logv.v[i].test), "<b>x</b>.1");
	}
	snprintf(fs.stun[0].software, sizeof(fs.stun[0].software), "%s", HOSTILE);
	snprintf(fs.stun[0].message, sizeof(fs.stun[0].message), "%s", HOSTILE);
	assert_true(fs.nf > 0);
	snprintf(fs.f[0].title, sizeof(fs.f[0].title), "%s", HOSTILE);
	snprintf(fs.f[0].remedy, sizeof(fs.f[0].remedy), "%s", HOSTILE);
	if (fs.f[0].nevidence == 0)
		finding_evidence(&fs.f[0], 1);
	h = render(REPORT_HTML);
	assert_null(wellformed(h));
	assert_true(xmllint_ok(h, html_len));
	assert_self_contained(h);
	assert_null(strstr(h, "<b>x"));
	assert_null(strstr(h, "\x01"));
	assert_null(strstr(h, "\xff "));
	assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x"));
	assert_non_null(strstr(h, "&quot;&#39;&amp; http:&#47;&#47;evil.example"));
	assert_non_null(strstr(h, "\xef\xbf\xbd end"));  /* U+FFFD */
	/* In the title, the remedy, SOFTWARE, the message, the evidence
	 * lines and the timeline's tooltips. */
	assert_true(count(h, "&lt;script&gt;") >= 6);
	assert_non_null(strstr(h, "&lt;b&gt;x&lt;/b&gt;"));
	obs_log_dispose(&logv);
}

static void test_findings_show_severity_remedy_and_evidence(void **state)
{
	const char *h;
	char want[600];
	size_t remedies = 0;

	(void)state;
	load("fixtures/obs/nat_symmetric.jsonl");
	h = render(REPORT_HTML);
	assert_true(fs.nf > 0);
	for (size_t i = 0; i < fs.nf; i++) {
		const struct finding *f = &fs.f[i];
		const char *sn = severity_name(f->severity);

		snprintf(want, sizeof(want), "<article class=\"finding f-%s\" id=\"finding-%zu\">\n"
			 "<h3><span class=\"sev s-%s\">%s</span>", sn, i, sn, sn);
		assert_non_null(strstr(h, want));
		assert_non_null(strstr(h, f->id));
		for (size_t k = 0; k < f->nevidence; k++) {
			snprintf(want, sizeof(want), "<li>#%llu at ",
				 (unsigned long long)f->evidence[k]);
			assert_non_null(strstr(h, want));
		}
		remedies += f->remedy[0] != '\0';
	}
	assert_int_equal(count(h, "<b>Remedy:</b>"), remedies);
	assert_int_equal(count(h, "<article class=\"finding"), fs.nf);
	/* The verdict banner: a warning at worst, and its title. */
	for (size_t i = 0; i < fs.nf; i++)
		assert_true(fs.f[i].severity <= SEV_WARNING);
	assert_non_null(strstr(h, "<div class=\"verdict v-warning\">0 errors, 1 warning: "
			       "IPv4: symmetric NAT"));
	/* A nat run's figures are the text report's, verbatim. */
	assert_non_null(strstr(h, "<pre>"));
	obs_log_dispose(&logv);
}

/* The value the text report prints on the line for label. */
static int text_value(const char *text, const char *label, char *out, size_t len)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\n  %s ", label);
	p = strstr(text, key);
	if (!p)
		return 0;
	p += strlen(key);
	p += strspn(p, " ");
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
	return 1;
}

/* s as the page writes it (the few characters these fixtures hold). */
static void esc(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 6 < len; s++) {
		const char *e = *s == '\'' ? "&#39;" : *s == '&' ? "&amp;" :
				*s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;

		if (e) {
			memcpy(out + n, e, strlen(e));
			n += strlen(e);
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

static void test_key_figures_agree_with_the_text_report(void **state)
{
	static const char *const labels[] = { "status", "mapped address", "software",
					      "local", "RFC 5780", "response origin" };
	char *text;
	const char *h;
	char v[300], ev[400], want[600];
	int checked = 0;

	(void)state;
	load("fixtures/obs/stun_ok.jsonl");
	text = strdup(render(REPORT_TEXT));
	h = render(REPORT_HTML);
	/* Every field of the table, once per leg, by label and JSON key. */
	for (size_t k = 0; k < report_stun_nfields; k++) {
		snprintf(want, sizeof(want), "<td class=\"k\">%s</td>", report_stun_fields[k].key);
		assert_int_equal(count(h, want), fs.nstun);
	}
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (!text_value(text, labels[i], v, sizeof(v)))
			continue;
		esc(v, ev, sizeof(ev));
		snprintf(want, sizeof(want), "<td>%s</td><td>%s</td>", labels[i], ev);
		if (!strstr(h, want))
			fail_msg("text says %s = \"%s\"; not in the page", labels[i], v);
		checked++;
	}
	assert_true(checked >= 3);
	/* The RTT median, in the same words as the text line's start. */
	assert_true(text_value(text, "RTT median", v, sizeof(v)));
	v[strcspn(v, " ")] = '\0';
	snprintf(want, sizeof(want), "<td>RTT median</td><td>%s ms</td>", v);
	assert_non_null(strstr(h, want));
	free(text);
	obs_log_dispose(&logv);
}

/* A request's observation (tid from id), with its path when given. */
static void add_path(struct obs_log *log, enum obs_kind kind, const char *test,
		     uint32_t id, uint64_t t_us, int error_code, const char *local,
		     const char *remote)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.t_us = t_us;
	o.has = OBS_HAS_TID | (error_code ? OBS_HAS_ERROR_CODE : 0);
	o.attempt = kind == OBS_RETRANSMIT ? 2 : 1;
	o.error_code = error_code;
	memcpy(o.tid, &id, sizeof(id));
	snprintf(o.test, sizeof(o.test), "%s", test);
	if (remote) {
		o.has |= OBS_HAS_LOCAL | OBS_HAS_REMOTE;
		assert_int_equal(np_addr_parse(local, &o.local), 0);
		assert_int_equal(np_addr_parse(remote, &o.remote), 0);
	}
	assert_non_null(obs_add(log, &o));
}

static void add(struct obs_log *log, enum obs_kind kind, const char *test,
		uint32_t id, uint64_t t_us, int error_code)
{
	add_path(log, kind, test, id, t_us, error_code, NULL, NULL);
}

static void test_timeline_lanes_group_by_label_prefix(void **state)
{
	const char *h, *ice, *dtls, *turn;

	(void)state;
	obs_log_init(&logv, 0, 0);
	snprintf(logv.command, sizeof(logv.command), "stun");
	add(&logv, OBS_SENT, "turn.allocate", 1, 1000, 0);
	add(&logv, OBS_RESPONSE, "turn.allocate", 1, 3000, 401);
	add(&logv, OBS_SENT, "ice.check.1", 2, 10000, 0);
	add(&logv, OBS_SENT, "ice.check.2", 3, 11000, 0);
	add(&logv, OBS_SENT, "ice.pair.host-relay", 4, 12000, 0);
	add(&logv, OBS_RETRANSMIT, "ice.check.1", 2, 60000, 0);
	add(&logv, OBS_RESPONSE, "ice.check.1", 2, 61000, 0);
	add(&logv, OBS_TIMEOUT, "ice.check.2", 3, 500000, 0);
	add(&logv, OBS_RESPONSE, "ice.pair.host-relay", 4, 20000, 0);
	add(&logv, OBS_SENT, "dtls.flight.1", 5, 600000, 0);
	add(&logv, OBS_RESPONSE, "dtls.flight.1", 5, 640000, 0);
	add(&logv, OBS_SENT, "dtls.flight.3", 6, 650000, 0);
	add(&logv, OBS_ICMP, "dtls.flight.3", 6, 655000, 0);
	memset(&fs, 0, sizeof(fs));
	fs.command = "stun";
	fs.log = &logv;
	h = render(REPORT_HTML);
	assert_null(wellformed(h));
	/* Phases: turn, ice, dtls, in order of first appearance. */
	turn = strstr(h, "font-weight=\"700\">turn</text>");
	ice = strstr(h, "font-weight=\"700\">ice</text>");
	dtls = strstr(h, "font-weight=\"700\">dtls</text>");
	assert_true(turn && ice && dtls && turn < ice && ice < dtls);
	/* Lanes: numbering off, one per pair label. */
	assert_int_equal(count(h, "</title>ice.check</text>"), 1);
	assert_int_equal(count(h, "</title>ice.pair.host-relay</text>"), 1);
	assert_int_equal(count(h, "</title>dtls.flight</text>"), 1);
	assert_int_equal(count(h, "</title>turn.allocate</text>"), 1);
	/* Marks by outcome: 3 responses, 1 error response, 1 timeout, 1 ICMP. */
	assert_int_equal(count(h, "<g class=\"mark o1\">"), 3);
	assert_int_equal(count(h, "<g class=\"mark o2\">"), 1);
	assert_int_equal(count(h, "<g class=\"mark o3\">"), 1);
	assert_int_equal(count(h, "<g class=\"mark o4\">"), 1);
	/* Times written on it: the ice phase spans 10 ms .. 500 ms. */
	assert_non_null(strstr(h, "3 &#183; 2 ok &#183; 1 failed &#183; 490.0 ms"));
	assert_non_null(strstr(h, "2 transmissions"));
	assert_non_null(strstr(h, "(error 401)"));
	obs_log_dispose(&logv);
}

/* The ICE agent labels every check "ice.check" and the DTLS machine its
 * flights "dtls.flight" (no tid), its outcome "dtls" with the handshake
 * time in rtt_us, an alert as a note "dtls.alert". */
static void test_ice_pairs_get_lanes_and_the_handshake_a_span(void **state)
{
	const char *h;
	struct obs o;

	(void)state;
	obs_log_init(&logv, 0, 0);
	add_path(&logv, OBS_SENT, "ice.check", 1, 1000, 0, "198.18.0.2:40000", "203.0.113.5:5000");
	add_path(&logv, OBS_SENT, "ice.check", 2, 2000, 0, "198.18.0.2:40000", "198.51.100.7:6000");
	add_path(&logv, OBS_RESPONSE, "ice.check", 1, 9000, 0, "198.18.0.2:40000", "203.0.113.5:5000");
	add_path(&logv, OBS_TIMEOUT, "ice.check", 2, 400000, 0, "198.18.0.2:40000", "198.51.100.7:6000");
	add_path(&logv, OBS_SENT, "ice.check", 3, 410000, 0, "198.18.0.2:40000", "203.0.113.5:5000");
	add_path(&logv, OBS_RESPONSE, "ice.check", 3, 418000, 0, "198.18.0.2:40000", "203.0.113.5:5000");
	memset(&o, 0, sizeof(o));
	o.kind = OBS_SENT;
	o.t_us = 420000;
	snprintf(o.test, sizeof(o.test), "dtls.flight");
	snprintf(o.text, sizeof(o.text), "flight 1: ClientHello");
	assert_non_null(obs_add(&logv, &o));
	o.kind = OBS_NOTE;
	o.t_us = 440000;
	snprintf(o.test, sizeof(o.test), "dtls.alert");
	snprintf(o.text, sizeof(o.text), "received alert: handshake_failure");
	assert_non_null(obs_add(&logv, &o));
	o.kind = OBS_TLS;
	o.t_us = 450000;
	o.rtt_us = 30000;
	o.err = -1;
	snprintf(o.test, sizeof(o.test), "dtls");
	snprintf(o.text, sizeof(o.text), "stopped after flight 1");
	assert_non_null(obs_add(&logv, &o));
	/* A note alone in its phase is context, not a lane. */
	o.kind = OBS_NOTE;
	o.rtt_us = 0;
	snprintf(o.test, sizeof(o.test), "family");
	assert_non_null(obs_add(&logv, &o));
	memset(&fs, 0, sizeof(fs));
	fs.log = &logv;
	h = render(REPORT_HTML);
	assert_null(wellformed(h));
	/* A lane per pair, named by the remote (the local is the same). */
	assert_int_equal(count(h, "</title>ice.check <tspan"), 2);
	assert_non_null(strstr(h, "\xe2\x86\x92 203.0.113.5:5000</tspan>"));
	assert_non_null(strstr(h, "\xe2\x86\x92 198.51.100.7:6000</tspan>"));
	assert_non_null(strstr(h, "2 &#183; 2 ok &#183; 417.0 ms"));
	assert_non_null(strstr(h, "1 &#183; 0 ok &#183; 1 failed &#183; 398.0 ms"));
	/* The handshake: a failed span of 30 ms ending at 450 ms. */
	assert_non_null(strstr(h, "<g class=\"mark o5\"><title>dtls #9 tls at 420.0 ms: "
			       "local error or failure after 30.0 ms: stopped after flight 1"));
	assert_int_equal(count(h, "<g class=\"mark o6\">"), 1);  /* the flight */
	assert_int_equal(count(h, "<g class=\"mark o8\">"), 1);  /* the alert */
	assert_non_null(strstr(h, "received alert: handshake_failure"));
	assert_null(strstr(h, "</title>family</text>"));
	obs_log_dispose(&logv);
}

static void test_huge_log_gives_a_bounded_page_that_says_so(void **state)
{
	const char *h;
	char label[32], want[120];

	(void)state;
	obs_log_init(&logv, 0, 0);
	for (uint32_t i = 0; i < 30000; i++) {
		add(&logv, OBS_SENT, "flood.1", i + 1, i * 10, 0);
		add(&logv, OBS_RESPONSE, "flood.1", i + 1, i * 10 + 5, 0);
	}
	for (uint32_t i = 0; i < 2 * HTML_LANES_MAX; i++) {
		snprintf(label, sizeof(label), "many%u.x", i);
		add(&logv, OBS_SENT, label, 100000 + i, 300000 + i, 0);
	}
	memset(&fs, 0, sizeof(fs));
	fs.log = &logv;
	h = render(REPORT_HTML);
	assert_null(wellformed(h));
	assert_true(html_len < 2 * 1024 * 1024);
	assert_true(count(h, "<g class=\"mark ") <= (size_t)HTML_LANES_MAX * HTML_MARKS_PER_LANE);
	assert_int_equal(count(h, "<g class=\"lane\">"), HTML_LANES_MAX);
	snprintf(want, sizeof(want), "flood: the first %d of 30000 drawn", HTML_MARKS_PER_LANE);
	assert_non_null(strstr(h, want));
	assert_non_null(strstr(h, "(other labels)"));
	assert_non_null(strstr(h, "30000 &#183; 30000 ok"));
	obs_log_dispose(&logv);
}

static void test_without_a_log_the_page_says_there_is_no_timeline(void **state)
{
	const char *h;

	(void)state;
	load("fixtures/obs/stun_ok.jsonl");
	fs.log = NULL;
	h = render(REPORT_HTML);
	assert_null(wellformed(h));
	assert_null(strstr(h, "<svg"));
	assert_non_null(strstr(h, "no timeline"));
	obs_log_dispose(&logv);
}

static void test_durations_pick_a_readable_unit(void **state)
{
	char b[32];

	(void)state;
	static const struct { uint64_t us; const char *s; } v[] = {
		{ 850, "850 \xc2\xb5s" }, { 1234, "1.23 ms" },
		{ 123456, "123.5 ms" }, { 2500000, "2.50 s" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		report_html_dur(b, sizeof(b), v[i].us);
		assert_string_equal(b, v[i].s);
	}
}

static int teardown(void **state)
{
	(void)state;
	free(html);
	html = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_fixture_renders_a_wellformed_self_contained_page),
		cmocka_unit_test(test_strings_from_the_network_are_escaped),
		cmocka_unit_test(test_findings_show_severity_remedy_and_evidence),
		cmocka_unit_test(test_key_figures_agree_with_the_text_report),
		cmocka_unit_test(test_timeline_lanes_group_by_label_prefix),
		cmocka_unit_test(test_ice_pairs_get_lanes_and_the_handshake_a_span),
		cmocka_unit_test(test_huge_log_gives_a_bounded_page_that_says_so),
		cmocka_unit_test(test_without_a_log_the_page_says_there_is_no_timeline),
		cmocka_unit_test(test_durations_pick_a_readable_unit),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
