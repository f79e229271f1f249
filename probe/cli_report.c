/*
 * cli_report.c - `natprobe report --events FILE`: replay a saved
 * observation log through the same analyzers and reports as a live run.
 */
#include "cli.h"
#include "ice_summary.h"
#include "verdicts.h"
#include "webrtc_summary.h"
#include "nat_classify.h"
#include "np_err.h"
#include "stun_summary.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

int cli_report_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "require", required_argument, NULL, 'R' },
		{ "max-rtt", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { .format = REPORT_TEXT };
	const char *events = NULL, *require = NULL;
	static struct findings fs;
	static struct nat_report nr;
	static struct ice_report ir;
	static struct webrtc_report wr;
	static struct verdicts vd;
	struct obs_log log;
	char detail[256] = "";
	FILE *f;
	int opt, err, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': events = optarg; break;
		case 'f':
			if (report_format_parse(optarg, &c.format) < 0) {
				cli_error("--format must be text, json, html, junit or openmetrics, not \"%s\"",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': c.output = optarg; break;
		case 'R': require = optarg; break;
		case 'M':
			if (cli_max_rtt(&c, optarg))
				return EXIT_USAGE;
			break;
		case 'h':
			printf("usage: natprobe report --events FILE [--format text|json|html|junit|openmetrics]\n"
			       "                       [--require LIST] [--max-rtt MS] [-o FILE]\n"
			       "  --require takes the checks of the command that recorded the log\n");
			return EXIT_PASS;
		default:
			return EXIT_USAGE;
		}
	}
	if (!events && optind < argc)
		events = argv[optind];
	if (!events) {
		cli_error("report: give the observation log: --events FILE");
		return EXIT_USAGE;
	}
	f = strcmp(events, "-") == 0 ? stdin : fopen(events, "r");
	if (!f) {
		cli_error("cannot read %s: %s", events, strerror(errno));
		return EXIT_USAGE;
	}
	err = obs_log_read(&log, f, detail, sizeof(detail));
	if (f != stdin)
		fclose(f);
	if (err < 0) {
		cli_error("%s: %s", events, detail);
		obs_log_dispose(&log);
		return EXIT_USAGE;
	}
	/* The valid checks depend on the command that recorded the log. */
	if (require && cli_require(&c, require,
				   !strcmp(log.command, "nat") ? "nat" :
				   !strcmp(log.command, "ice") ? "ice" :
				   !strcmp(log.command, "diagnose") ? "diagnose" : "stun")) {
		obs_log_dispose(&log);
		return EXIT_USAGE;
	}
	if (strcmp(log.command, "diagnose") == 0) {
		nat_classify(&log, &nr, &fs);
		ice_analyze(&log, &ir, &fs);
		webrtc_analyze(&log, &wr, &fs);
		fs.command = "diagnose";
	} else if (strcmp(log.command, "nat") == 0) {
		nat_classify(&log, &nr, &fs);
	} else if (strcmp(log.command, "ice") == 0) {
		ice_analyze(&log, &ir, &fs);
		webrtc_analyze(&log, &wr, &fs);
	} else if (strcmp(log.command, "stun") == 0 || log.command[0] == '\0') {
		stun_summarize(&log, log.family, &fs);
	} else {
		cli_error("%s: recorded by \"%s\", which report cannot replay",
			  events, log.command);
		obs_log_dispose(&log);
		return EXIT_USAGE;
	}
	/* The same analyzers as the live command ran, so a replay gives
	 * the same report. */
	if (!strcmp(log.command, "ice") || !strcmp(log.command, "diagnose"))
		verdicts_analyze(&log, &vd, &fs);
	policy_apply(&c.policy, &fs);
	fs.log = &log;
	rc = cli_report(&c, &fs);
	obs_log_dispose(&log);
	return rc;
}
