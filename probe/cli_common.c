/* cli_common.c - what every command's CLI shares (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

	if (c->output && strcmp(c->output, "-") != 0) {
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
