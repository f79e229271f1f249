/*
 * cli_nat.c - `natprobe nat [stun:HOST[:PORT]]`: NAT and firewall
 * behaviour discovery.
 */
#include "cli.h"
#include "dashboard.h"
#include "evloop.h"
#include "nat_classify.h"
#include "nat_probe.h"
#include "np_err.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: natprobe nat [options] stun:HOST[:PORT]\n"
		"  --server URI       another STUN server (repeat; mapping test without RFC 5780)\n"
		"  -4, -6             only IPv4 / only IPv6\n"
		"  --lifetime[=MAX]   measure the UDP binding lifetime, up to MAX s (default 120)\n"
		"  --no-hairpin       skip hairpin probes (they trip LAND-attack filters on some firewalls)\n"
		"  --no-tcp, --no-tls, --no-sizes, --no-hops   skip those tests\n"
		"  --tls-port P       port of STUN over TLS (default 5349)\n"
		"  --tls-ca FILE      trust this CA for the TLS test\n"
		"  --require LIST     checks that must pass, comma-separated: %s\n"
		"                     (per family; exit 1 if one fails; each failure is a finding)\n"
		"  --max-rtt MS       require the RTT to the server <= MS\n"
		"  --format text|json|html|junit|openmetrics, -o FILE, --events FILE\n"
		"  --capture FILE.pcapng  record this run's packets (needs root or\n"
		"                     CAP_NET_RAW; privileges are dropped right after)\n"
		"  --dashboard, --no-dashboard   live view while it runs (default on a\n"
		"                     terminal without --format; q quits, p pauses)\n",
		policy_valid_checks("nat"));
}

int cli_nat(int argc, char **argv)
{
	enum { O_SERVER = 256, O_LIFETIME, O_NOHAIRPIN, O_NOTCP, O_NOTLS,
	       O_NOSIZES, O_NOHOPS, O_TLSPORT, O_TLSCA };
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, O_SERVER },
		{ "lifetime", optional_argument, NULL, O_LIFETIME },
		{ "no-hairpin", no_argument, NULL, O_NOHAIRPIN },
		{ "no-tcp", no_argument, NULL, O_NOTCP },
		{ "no-tls", no_argument, NULL, O_NOTLS },
		{ "no-sizes", no_argument, NULL, O_NOSIZES },
		{ "no-hops", no_argument, NULL, O_NOHOPS },
		{ "tls-port", required_argument, NULL, O_TLSPORT },
		{ "tls-ca", required_argument, NULL, O_TLSCA },
		CLI_LO_REPORT,
		CLI_LO_MAXRTT,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { .format = REPORT_TEXT };
	int orc;
	struct nat_probe_opts po = { .family = AF_UNSPEC, .hairpin = 1, .tcp = 1,
				     .tls = 1, .sizes = 1, .ttl = 1,
				     .tls_port = 5349 };
	const char *extra[NAT_MAX_SERVERS];
	size_t nextra = 0;
	struct np_loop *loop = NULL;
	struct dashboard *dash = NULL;
	struct obs_log log;
	struct np_ctx ctx;
	static struct findings fs;
	static struct nat_report nr;
	const char *tls_ca = NULL;
	char why[256] = "";
	int opt, err, rc, crc = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "46o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case '4': po.family = AF_INET; break;
		case '6': po.family = AF_INET6; break;
		case O_SERVER:
			if (nextra + 1 >= NAT_MAX_SERVERS) {
				cli_error("at most %d servers", NAT_MAX_SERVERS);
				return EXIT_USAGE;
			}
			extra[nextra++] = optarg;
			break;
		case O_LIFETIME:
			po.lifetime_max_s = optarg ? (unsigned)atoi(optarg) : 120;
			if (po.lifetime_max_s < 1 || po.lifetime_max_s > 3600) {
				cli_error("--lifetime takes 1..3600 seconds, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_NOHAIRPIN: po.hairpin = 0; break;
		case O_NOTCP: po.tcp = 0; break;
		case O_NOTLS: po.tls = 0; break;
		case O_NOSIZES: po.sizes = 0; break;
		case O_NOHOPS: po.ttl = 0; break;
		case O_TLSPORT: {
			int p = atoi(optarg);

			if (p < 1 || p > 65535) {
				cli_error("--tls-port must be 1..65535, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			po.tls_port = (uint16_t)p;
			break;
		}
		case O_TLSCA: tls_ca = optarg; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default:
			orc = cli_common_opt(&c, opt, optarg, "nat");
			if (orc == CLI_OPT_NOT_MINE) {
				usage(stderr);
				return EXIT_USAGE;
			}
			if (orc)
				return orc;
			break;
		}
	}
	if (optind < argc)
		po.servers[po.nservers++] = argv[optind++];
	else if (nextra > 0)
		po.servers[po.nservers++] = extra[--nextra];
	if (optind < argc) {
		cli_error("nat: one primary server; add others with --server");
		return EXIT_USAGE;
	}
	if (po.nservers == 0) {
		/* natprobe never contacts a server the user did not name. */
		cli_error("nat: name a STUN server, e.g. natprobe nat stun:stun.example.net:3478");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < nextra; i++)
		po.servers[po.nservers++] = extra[i];
	if (np_loop_new(&loop) < 0) {
		cli_error("cannot create the event loop");
		return EXIT_INTERNAL;
	}
	obs_log_init(&log, np_monotonic_us(), np_wallclock_us());
	snprintf(log.command, sizeof(log.command), "nat");
	log.family = po.family;
	np_ctx_init(&ctx, loop, &log);
	ctx.tls_ca = tls_ca;
	/* Behaviour tests retransmit on a schedule drawn from the measured
	 * RTT; on a LAN-short path a 10 ms floor still gives seven tries in
	 * about 300 ms. */
	ctx.rto_min_us = 10000;
	rc = cli_capture_check(&c);
	if (rc != 0)
		goto out;
	if (cli_events_open(&c, &log) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_capture_begin(&c, &ctx, po.servers, po.nservers, po.family, argc, argv);
	if (rc != 0) {
		cli_events_close(&c, &log);
		goto out;
	}
	if (cli_dashboard_wanted(&c, 1) &&
	    dashboard_open(loop, &log, "nat", po.servers[0], po.family, &dash,
			   why, sizeof(why)) < 0)
		cli_error("no dashboard: %s", why);
	why[0] = '\0';
	err = nat_probe_run(&ctx, &po, why, sizeof(why));
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
	nat_classify(&log, &nr, &fs);
	policy_apply(&c.policy, &fs);
	cli_dashboard_note(&fs, dash);
	fs.log = &log;
	rc = cli_report(&c, &fs);
	if (crc)
		rc = crc;
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
