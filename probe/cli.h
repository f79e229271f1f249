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

struct capture_live;

enum { EXIT_PASS = 0, EXIT_CHECK_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* Options every measuring command shares. */
struct cli_common {
	enum report_format format;
	const char *output;      /* -o FILE, NULL for stdout */
	const char *events;      /* --events FILE */
	FILE *events_f;
	struct policy policy;    /* --require, --max-rtt */
	const char *capture;     /* --capture FILE.pcapng */
	struct capture_live *capture_live;
	FILE *output_f;          /* -o FILE opened early (before a drop) */
	int format_set;          /* --format was given */
	int dashboard;           /* CLI_DASH_*: --dashboard, --no-dashboard */
};

enum { CLI_DASH_DEFAULT = 0, CLI_DASH_ON = 1, CLI_DASH_OFF = 2 };
struct dashboard;  /* reports/dashboard.h */

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
/* --max-loss PCT (media, both directions); 0 or EXIT_USAGE. */
int cli_max_loss(struct cli_common *c, const char *pct);
/* The getopt codes and longopts entries of the options the probing
 * commands share (report, policy, dashboard, capture); each command
 * lists those it takes, and -o/--output is 'o'. */
enum { CLI_O_FORMAT = 0x400, CLI_O_EVENTS, CLI_O_REQUIRE, CLI_O_MAXRTT,
       CLI_O_MAXLOSS, CLI_O_DASH, CLI_O_NODASH, CLI_O_CAPTURE,
       CLI_O_STUN, CLI_O_TURN, CLI_O_USER, CLI_O_PASS, CLI_O_ICESERVERS };
#define CLI_LO_REPORT                                                       \
	{ "format", required_argument, NULL, CLI_O_FORMAT },                \
	{ "output", required_argument, NULL, 'o' },                         \
	{ "events", required_argument, NULL, CLI_O_EVENTS },                \
	{ "require", required_argument, NULL, CLI_O_REQUIRE },              \
	{ "capture", required_argument, NULL, CLI_O_CAPTURE },              \
	{ "dashboard", no_argument, NULL, CLI_O_DASH },                     \
	{ "no-dashboard", no_argument, NULL, CLI_O_NODASH }
#define CLI_LO_SERVERS                                                      \
	{ "stun", required_argument, NULL, CLI_O_STUN },                    \
	{ "turn", required_argument, NULL, CLI_O_TURN },                    \
	{ "user", required_argument, NULL, CLI_O_USER },                    \
	{ "password", required_argument, NULL, CLI_O_PASS },                \
	{ "ice-servers", required_argument, NULL, CLI_O_ICESERVERS }
#define CLI_LO_MAXRTT { "max-rtt", required_argument, NULL, CLI_O_MAXRTT }
#define CLI_LO_MAXLOSS { "max-loss", required_argument, NULL, CLI_O_MAXLOSS }
#define CLI_OPT_NOT_MINE (-1)
/* Takes one of those options (command names the checks --require
 * takes): 0, EXIT_USAGE after saying why, or CLI_OPT_NOT_MINE for any
 * other opt. */
int cli_common_opt(struct cli_common *c, int opt, const char *arg,
		   const char *command);
/* --capture (cli_capture.c). Before any probing and before --events is
 * opened: 0, or EXIT_USAGE after naming the privilege that is missing. */
int cli_capture_check(const struct cli_common *c);
/* After --events is opened: opens -o early, resolves the servers (uris,
 * n, family) for the filter, opens the capture, drops privileges and
 * verifies the drop, then starts capturing in ctx's loop. 0, or an exit
 * code after saying why (EXIT_USAGE: no capture; EXIT_INTERNAL: the drop
 * could not be verified). argc/argv are recorded in the file. */
struct np_ctx;
int cli_capture_begin(struct cli_common *c, struct np_ctx *ctx,
		      const char *const *uris, size_t n, int family, int argc,
		      char **argv);
/* The same with host names (or literal addresses) rather than URIs. */
int cli_capture_begin_hosts(struct cli_common *c, struct np_ctx *ctx,
			    const char *const *names, size_t n, int family,
			    int argc, char **argv);
/* For ice and the full diagnosis: the ICE servers' hosts and the WHIP
 * endpoint's (whip_url may be NULL) are kept from the first packet; the
 * peer's addresses join as they are seen. */
struct ice_server_list;
int cli_capture_begin_ice(struct cli_common *c, struct np_ctx *ctx,
			  const struct ice_server_list *servers,
			  const char *whip_url, int family, int argc,
			  char **argv);
/* With --capture, before the drop: can the user natprobe drops to still
 * write (writing) or read path, a file used during the run (what names
 * it: "the --local file")? 0 (also for "-", no path, or a directory that
 * does not exist yet), or EXIT_USAGE after saying who cannot do what. */
int cli_capture_path_ok(const struct cli_common *c, const char *path,
			int writing, const char *what);
/* Drains and closes the capture and says "captured N packets to FILE";
 * 0 or EXIT_INTERNAL. Does nothing without --capture. */
int cli_capture_end(struct cli_common *c, struct obs_log *log);

/* Whether to show the live dashboard: --dashboard, or default_on and no
 * --format; never when stdout is not a terminal, CI=true, TERM is unset
 * or dumb, or with --events -. */
int cli_dashboard_wanted(const struct cli_common *c, int default_on);
/* After a run the dashboard stopped (q, Ctrl-C): a finding saying the
 * results are partial. Nothing when it ran to the end or d is NULL. */
void cli_dashboard_note(struct findings *fs, const struct dashboard *d);
/* ICE servers from repeated --stun URI / --turn URI --user U --password P
 * (credentials belong to the --turn before them) and --ice-servers FILE,
 * shared by `ice` and the full diagnosis. */
#define CLI_MAX_SERVERS 16
struct cli_servers {
	char *uri[CLI_MAX_SERVERS], *user[CLI_MAX_SERVERS], *pw[CLI_MAX_SERVERS];
	size_t n;
	const char *json;          /* --ice-servers FILE */
};
/* Takes one of the CLI_LO_SERVERS options: 0, EXIT_USAGE after saying
 * why, or CLI_OPT_NOT_MINE for any other opt. */
int cli_servers_opt(struct cli_servers *s, int opt, char *arg);
/* Fills l (zeroed first); 0, or EXIT_USAGE after saying why. */
int cli_servers_build(const struct cli_servers *s, struct ice_server_list *l);
/* "natprobe: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_stun(int argc, char **argv);
int cli_nat(int argc, char **argv);
int cli_report_cmd(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_analyze(int argc, char **argv);
int cli_ice(int argc, char **argv);
int cli_diag(int argc, char **argv);

#endif
