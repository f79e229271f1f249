/*
 * cli.h - the command-line layer: the only code that prints to the user or
 * decides an exit code. Each command has a cli_<name>(argc, argv).
 *
 * Exit codes (DESIGN.md): 0 all required checks passed, 1 a required check
 * failed, 2 usage or configuration error, 3 internal error.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include "findings.h"
#include "obs.h"
#include "policy.h"
#include "report.h"

enum { EXIT_PASS = 0, EXIT_CHECK_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* Options every measuring command shares. */
struct cli_common {
	enum report_format format;
	const char *output;      /* -o FILE, NULL for stdout */
	const char *events;      /* --events FILE */
	FILE *events_f;
	struct policy policy;    /* --require, --max-rtt */
};

/* Opens --events (writing the header) and starts streaming into it. */
int cli_events_open(struct cli_common *c, struct obs_log *log);
void cli_events_close(struct cli_common *c, struct obs_log *log);
/* Renders fs to -o FILE or stdout; returns an exit code. */
int cli_report(const struct cli_common *c, const struct findings *fs);
/* --require LIST for command ("nat", "stun"); 0, or EXIT_USAGE after
 * naming the valid checks. */
int cli_require(struct cli_common *c, const char *list, const char *command);
/* --max-rtt MS; 0 or EXIT_USAGE. */
int cli_max_rtt(struct cli_common *c, const char *ms);
/* "natprobe: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_stun(int argc, char **argv);
int cli_nat(int argc, char **argv);
int cli_report_cmd(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_analyze(int argc, char **argv);

#endif
