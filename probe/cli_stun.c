/*
 * cli_stun.c - `natprobe stun URI...`: Binding requests to STUN servers,
 * and `natprobe report --events FILE`: the same analysis replayed from a
 * saved observation log.
 */
#include "cli.h"
#include "dashboard.h"
#include "evloop.h"
#include "np_err.h"
#include "stun_probe.h"
#include "stun_summary.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: natprobe stun [options] URI...\n"
		"  URI: stun:HOST[:PORT], stuns:HOST[:PORT], ?transport=udp|tcp\n"
		"  -4, -6             only IPv4 / only IPv6 (and require it)\n"
		"  -c, --count N      Binding requests per address (default 5)\n"
		"  --timeout SECONDS  give up on a server after this (default 3)\n"
		"  --tls-ca FILE      trust this CA for stuns:\n"
		"  --require LIST     checks that must pass, comma-separated: %s\n"
		"                     (exit 1 if one fails; each failure is a finding)\n"
		"  --max-rtt MS       require every answering leg's median RTT <= MS\n"
		"  --format text|json|html|junit|openmetrics, -o FILE, --events FILE\n"
		"  --capture FILE.pcapng  record this run's packets (needs root or\n"
		"                     CAP_NET_RAW; privileges are dropped right after)\n"
		"  --dashboard        live view while it runs (q quits, p pauses);\n"
		"                     --no-dashboard turns it off\n",
		policy_valid_checks("stun"));
}

int cli_stun(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tls-ca", required_argument, NULL, 'C' },
		CLI_LO_REPORT,
		CLI_LO_MAXRTT,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { .format = REPORT_TEXT };
	int orc;
	struct stun_probe_opts po = { .family = AF_UNSPEC, .count = 5 };
	struct np_loop *loop = NULL;
	struct dashboard *dash = NULL;
	struct obs_log log;
	struct np_ctx ctx;
	static struct findings fs;
	double timeout = 3.0;
	const char *tls_ca = NULL;
	char why[256] = "";
	int opt, err, rc, crc = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "46c:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case '4': po.family = AF_INET; break;
		case '6': po.family = AF_INET6; break;
		case 'c':
			po.count = atoi(optarg);
			if (po.count < 1 || po.count > 100) {
				cli_error("--count must be 1..100, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			timeout = atof(optarg);
			if (timeout <= 0 || timeout > 60) {
				cli_error("--timeout must be 0..60 seconds, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C': tls_ca = optarg; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default:
			orc = cli_common_opt(&c, opt, optarg, "stun");
			if (orc == CLI_OPT_NOT_MINE) {
				usage(stderr);
				return EXIT_USAGE;
			}
			if (orc)
				return orc;
			break;
		}
	}
	if (optind >= argc) {
		cli_error("stun: give at least one server URI (e.g. stun:203.0.113.10:3478)");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		if (po.nuris == STUN_PROBE_MAX_URIS) {
			cli_error("at most %d servers", STUN_PROBE_MAX_URIS);
			return EXIT_USAGE;
		}
		po.uris[po.nuris++] = argv[i];
	}
	if (np_loop_new(&loop) < 0) {
		cli_error("cannot create the event loop");
		return EXIT_INTERNAL;
	}
	obs_log_init(&log, np_monotonic_us(), np_wallclock_us());
	snprintf(log.command, sizeof(log.command), "stun");
	log.family = po.family;
	np_ctx_init(&ctx, loop, &log);
	ctx.max_wait_us = (uint32_t)(timeout * 1e6);
	ctx.tls_ca = tls_ca;
	rc = cli_capture_check(&c);
	if (rc != 0)
		goto out;
	if (cli_events_open(&c, &log) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_capture_begin(&c, &ctx, po.uris, po.nuris, po.family, argc, argv);
	if (rc != 0) {
		cli_events_close(&c, &log);
		goto out;
	}
	if (cli_dashboard_wanted(&c, 0)) {
		char server[128];

		snprintf(server, sizeof(server), "%s%s", po.uris[0],
			 po.nuris > 1 ? " and more" : "");
		if (dashboard_open(loop, &log, "stun", server, po.family, &dash,
				   why, sizeof(why)) < 0)
			cli_error("no dashboard: %s", why);
		why[0] = '\0';
	}
	err = stun_probe_run(&ctx, &po, why, sizeof(why));
	/* The terminal is back before anything is printed. */
	dashboard_close(dash);
	crc = cli_capture_end(&c, &log);
	cli_events_close(&c, &log);
	if (err == NP_EBADURI) {
		cli_error("%s", why);
		rc = EXIT_USAGE;
		goto out;
	}
	if (err < 0) {
		cli_error("internal error: %s", np_strerror(err));
		rc = EXIT_INTERNAL;
		goto out;
	}
	stun_summarize(&log, po.family, &fs);
	policy_apply(&c.policy, &fs);
	cli_dashboard_note(&fs, dash);
	fs.log = &log;
	rc = cli_report(&c, &fs);
	if (crc)
		rc = crc;
	/* Failures also go to stderr, so a script piping JSON still
	 * shows a person what went wrong. */
	if (c.format != REPORT_TEXT || c.output)
		for (size_t i = 0; i < fs.nf; i++)
			if (fs.f[i].severity == SEV_ERROR)
				cli_error("%s: %s", fs.f[i].title, fs.f[i].detail);
out:
	dashboard_free(dash);
	np_ctx_dispose(&ctx);
	obs_log_dispose(&log);
	np_loop_free(loop);
	return rc;
}
