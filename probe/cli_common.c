/* cli_common.c - what every command's CLI shares (see cli.h). */
#include "cli.h"
#include "ice_servers.h"
#include "dashboard.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("natprobe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_events_open(struct cli_common *c, struct obs_log *log)
{
	if (!c->events)
		return 0;
	c->events_f = strcmp(c->events, "-") == 0 ? stdout : fopen(c->events, "w");
	if (!c->events_f) {
		cli_error("cannot write events to %s: %s", c->events, strerror(errno));
		return -errno;
	}
	obs_log_write_header(log, c->events_f);
	log->stream = c->events_f;
	return 0;
}

void cli_events_close(struct cli_common *c, struct obs_log *log)
{
	log->stream = NULL;
	if (c->events_f && c->events_f != stdout) {
		if (fclose(c->events_f) != 0)
			cli_error("writing %s: %s", c->events, strerror(errno));
	}
	c->events_f = NULL;
}

int cli_report(const struct cli_common *c, const struct findings *fs)
{
	FILE *out = stdout;
	int err;

	if (c->output_f) {
		out = c->output_f;
	} else if (c->output && strcmp(c->output, "-") != 0) {
		out = fopen(c->output, "w");
		if (!out) {
			/* The report still reaches the user. */
			cli_error("cannot write %s: %s; report follows on stdout",
				  c->output, strerror(errno));
			report_write(fs, c->format, stdout);
			return EXIT_INTERNAL;
		}
	}
	err = report_write(fs, c->format, out);
	if (out != stdout && fclose(out) != 0)
		err = -errno;
	else if (out == stdout)
		fflush(stdout);
	if (err < 0) {
		cli_error("writing the report to %s: %s",
			  c->output ? c->output : "stdout", strerror(-err));
		return EXIT_INTERNAL;
	}
	return fs->exit_code;
}

int cli_require(struct cli_common *c, const char *list, const char *command)
{
	char why[256];

	if (policy_parse(list, command, &c->policy, why, sizeof(why)) < 0) {
		cli_error("--require: %s", why);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_max_rtt(struct cli_common *c, const char *ms)
{
	char *end;
	double v = strtod(ms, &end);

	if (end == ms || *end || !(v > 0) || v > 60000) {
		cli_error("--max-rtt must be 0..60000 milliseconds, not \"%s\"", ms);
		return EXIT_USAGE;
	}
	c->policy.max_rtt_us = (uint32_t)(v * 1000 + 0.5);
	c->policy.required |= 1u << POLICY_RTT;
	return 0;
}

int cli_common_opt(struct cli_common *c, int opt, const char *arg,
		   const char *command)
{
	switch (opt) {
	case CLI_O_FORMAT:
		c->format_set = 1;
		if (report_format_parse(arg, &c->format) < 0) {
			cli_error("--format must be text, json, html, junit or openmetrics, not \"%s\"",
				  arg);
			return EXIT_USAGE;
		}
		return 0;
	case 'o': c->output = arg; return 0;
	case CLI_O_EVENTS: c->events = arg; return 0;
	case CLI_O_CAPTURE: c->capture = arg; return 0;
	case CLI_O_DASH: c->dashboard = CLI_DASH_ON; return 0;
	case CLI_O_NODASH: c->dashboard = CLI_DASH_OFF; return 0;
	case CLI_O_REQUIRE: return cli_require(c, arg, command);
	case CLI_O_MAXRTT: return cli_max_rtt(c, arg);
	case CLI_O_MAXLOSS: return cli_max_loss(c, arg);
	}
	return CLI_OPT_NOT_MINE;
}

int cli_max_loss(struct cli_common *c, const char *pct)
{
	char *end;
	double v = strtod(pct, &end);

	if (end == pct || *end || !(v >= 0) || v > 100) {
		cli_error("--max-loss must be 0..100 percent, not \"%s\"", pct);
		return EXIT_USAGE;
	}
	c->policy.max_loss_pct = v;
	c->policy.required |= 1u << POLICY_LOSS;
	return 0;
}

int cli_dashboard_wanted(const struct cli_common *c, int default_on)
{
	const char *ci = getenv("CI"), *term = getenv("TERM");
	const char *why = NULL;

	if (c->dashboard == CLI_DASH_OFF)
		return 0;
	if (!isatty(STDOUT_FILENO))
		why = "stdout is not a terminal";
	else if (ci && strcmp(ci, "true") == 0)
		why = "CI=true";
	else if (!term || !*term || strcmp(term, "dumb") == 0)
		why = "TERM is unset or dumb";
	else if (c->events && strcmp(c->events, "-") == 0)
		why = "--events - writes to the terminal";
	if (c->dashboard == CLI_DASH_ON) {
		if (why)
			cli_error("no dashboard: %s; the report follows", why);
		return !why;
	}
	return !why && default_on && !c->format_set;
}

void cli_dashboard_note(struct findings *fs, const struct dashboard *d)
{
	enum dash_end end = dashboard_end(d);
	struct finding *f;

	if (end == DASH_RAN)
		return;
	f = findings_add(fs, "run-stopped", SEV_WARNING);
	if (!f)
		return;
	snprintf(f->title, sizeof(f->title),
		 "the run was stopped after %.1f s (%s): results are partial",
		 dashboard_stopped_at(d) / 1e6,
		 end == DASH_QUIT_KEY ? "q" : "interrupted");
	snprintf(f->detail, sizeof(f->detail),
		 "tests still in flight were abandoned; verdicts that rest on them "
		 "read as unknown or unanswered");
	snprintf(f->remedy, sizeof(f->remedy),
		 "run again and let it finish for a complete report");
}

int cli_servers_opt(struct cli_servers *s, int opt, char *arg)
{
	if (opt == CLI_O_ICESERVERS) {
		s->json = arg;
		return 0;
	}
	if (opt == CLI_O_STUN || opt == CLI_O_TURN) {
		if (s->n == CLI_MAX_SERVERS) {
			cli_error("at most %d servers", CLI_MAX_SERVERS);
			return EXIT_USAGE;
		}
		s->uri[s->n] = arg;
		s->user[s->n] = s->pw[s->n] = NULL;
		s->n++;
		return 0;
	}
	if (opt != CLI_O_USER && opt != CLI_O_PASS)
		return CLI_OPT_NOT_MINE;
	/* Credentials belong to the --turn before them. */
	if (s->n == 0) {
		cli_error("--%s must follow the --turn it belongs to",
			  opt == CLI_O_USER ? "user" : "password");
		return EXIT_USAGE;
	}
	*(opt == CLI_O_USER ? &s->user[s->n - 1] : &s->pw[s->n - 1]) = arg;
	return 0;
}

int cli_servers_build(const struct cli_servers *s, struct ice_server_list *l)
{
	char why[256];

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < s->n; i++)
		if (ice_servers_add(l, s->uri[i], s->user[i], s->pw[i], why,
				    sizeof(why)) < 0) {
			cli_error("%s", why);
			return EXIT_USAGE;
		}
	if (s->json && ice_servers_load_json(l, s->json, why, sizeof(why)) < 0) {
		cli_error("%s", why);
		return EXIT_USAGE;
	}
	return 0;
}
