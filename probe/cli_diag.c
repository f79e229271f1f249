/*
 * cli_diag.c - `natprobe` with no command: the full diagnosis in one run
 * and one observation log: NAT and firewall behaviour against the first
 * STUN (or TURN) server, then, when a peer is named (--whip URL of a
 * `natprobe serve --whip` or any WHIP endpoint), ICE with every server,
 * DTLS-SRTP, media and a data channel against it. The live dashboard on
 * a terminal, a report otherwise; --require over all of it.
 *
 * natprobe contacts only what is named here: with no server at all it
 * says what to name and exits 2.
 */
#include "cli.h"
#include "dashboard.h"
#include "evloop.h"
#include "ice_servers.h"
#include "ice_session.h"
#include "ice_summary.h"
#include "nat_classify.h"
#include "nat_probe.h"
#include "np_err.h"
#include "verdicts.h"
#include "webrtc_summary.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: natprobe [options] --stun URI [--turn URI --user U --password P] [--whip URL]\n"
		"The full diagnosis: NAT and firewall behaviour against the first STUN\n"
		"server (or TURN server, which answers Binding too); with --whip, ICE,\n"
		"DTLS-SRTP, media and a data channel against that peer (natprobe serve\n"
		"--whip on the far side, or any WHIP endpoint).\n"
		"  --stun URI, --turn URI --user U --password P, --ice-servers FILE, --tls-ca FILE\n"
		"  --whip URL         the peer: a WHIP endpoint (RFC 9725)\n"
		"  -4, -6             only IPv4 / only IPv6\n"
		"  --timeout S        the ICE/WebRTC part's deadline (default 30)\n"
		"  --require LIST     checks that must pass: %s\n"
		"  --max-rtt MS, --max-loss PCT (media, either direction)\n"
		"  --format text|json|html|junit|openmetrics, -o FILE, --events FILE\n"
		"  --dashboard, --no-dashboard   live view (default on a terminal without --format)\n"
		"  --capture FILE.pcapng  record the run's packets (needs root or CAP_NET_RAW;\n"
		"                     privileges are dropped right after)\n",
		policy_valid_checks("diagnose"));
}

static void note(struct np_ctx *ctx, const char *text)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	snprintf(o.test, sizeof(o.test), "diagnose");
	snprintf(o.text, sizeof(o.text), "%s", text);
	np_ctx_record(ctx, &o);
}

int cli_diag(int argc, char **argv)
{
	enum { O_TLSCA = 256, O_WHIP, O_TIMEOUT };
	static const struct option longopts[] = {
		{ "tls-ca", required_argument, NULL, O_TLSCA },
		{ "whip", required_argument, NULL, O_WHIP },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		CLI_LO_SERVERS,
		CLI_LO_REPORT,
		CLI_LO_MAXRTT,
		CLI_LO_MAXLOSS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { .format = REPORT_TEXT };
	int orc;
	static struct ice_server_list servers;
	static struct findings fs;
	static struct nat_report nr;
	static struct ice_report ir;
	static struct webrtc_report wr;
	static struct verdicts vd;
	struct nat_probe_opts po = { .family = AF_UNSPEC, .hairpin = 1, .tcp = 1,
				     .tls = 1, .sizes = 1, .ttl = 1, .tls_port = 5349 };
	struct ice_agent_cfg cfg = { 0 };
	struct webrtc_cfg wcfg = { 0 };
	struct ice_session_opts so;
	struct cli_servers srv = { 0 };
	char nat_uri[300] = "", why[256] = "";
	const char *tls_ca = NULL, *whip = NULL;
	struct dashboard *dash = NULL;
	struct np_loop *loop = NULL;
	struct obs_log log;
	struct np_ctx ctx;
	double timeout_s = 30;
	int opt, rc = EXIT_PASS, crc = 0, lf = 0, err;

	memset(&servers, 0, sizeof(servers));
	memset(&so, 0, sizeof(so));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "46o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_TLSCA: tls_ca = optarg; break;
		case O_WHIP: whip = optarg; break;
		case '4': po.family = cfg.family = AF_INET; break;
		case '6': po.family = cfg.family = AF_INET6; break;
		case O_TIMEOUT:
			timeout_s = atof(optarg);
			if (timeout_s <= 0 || timeout_s > 3600) {
				cli_error("--timeout takes 0..3600 seconds, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_PASS;
		default:
			orc = cli_common_opt(&c, opt, optarg, "diagnose");
			if (orc == CLI_OPT_NOT_MINE)
				orc = cli_servers_opt(&srv, opt, optarg);
			if (orc == CLI_OPT_NOT_MINE) {
				usage(stderr);
				return EXIT_USAGE;
			}
			if (orc)
				return orc;
			break;
		}
	}
	if (optind < argc) {
		cli_error("unknown command \"%s\" (natprobe --help lists them)", argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_servers_build(&srv, &servers))
		return EXIT_USAGE;
	/* NAT discovery against the first STUN server, or a TURN server's
	 * host and port (TURN servers answer Binding requests too). */
	for (size_t i = 0; i < servers.n && !nat_uri[0]; i++)
		if (servers.s[i].uri.transport == NP_UDP || servers.s[i].uri.scheme == STUN_SCHEME_TURN)
			snprintf(nat_uri, sizeof(nat_uri), "stun:%s%s%s:%u",
				 strchr(servers.s[i].uri.host, ':') ? "[" : "",
				 servers.s[i].uri.host,
				 strchr(servers.s[i].uri.host, ':') ? "]" : "",
				 servers.s[i].uri.port);
	if (!nat_uri[0]) {
		/* natprobe never contacts a server the user did not name. */
		cli_error("name a server: natprobe --stun stun:HOST[:PORT] [--turn turn:HOST --user U --password P] [--whip http://PEER:8080/whip]");
		usage(stderr);
		return EXIT_USAGE;
	}
	po.servers[po.nservers++] = nat_uri;
	if ((rc = cli_capture_check(&c)) != 0)
		return rc;
	if (np_loop_new(&loop) < 0) {
		cli_error("cannot create the event loop");
		return EXIT_INTERNAL;
	}
	obs_log_init(&log, np_monotonic_us(), np_wallclock_us());
	snprintf(log.command, sizeof(log.command), "diagnose");
	log.family = po.family;
	np_ctx_init(&ctx, loop, &log);
	ctx.tls_ca = tls_ca;
	ctx.rto_min_us = 10000;
	if (cli_events_open(&c, &log) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_capture_begin_ice(&c, &ctx, &servers, whip, po.family, argc,
				   argv);
	if (rc != 0)
		goto out_events;
	if (cli_dashboard_wanted(&c, 1) &&
	    dashboard_open(loop, &log, "nat", nat_uri, po.family, &dash, why,
			   sizeof(why)) < 0)
		cli_error("no dashboard: %s", why);
	why[0] = '\0';
	note(&ctx, "phase 1: NAT and firewall behaviour");
	err = nat_probe_run(&ctx, &po, why, sizeof(why));
	if (err < 0 && err != NP_EBADURI) {
		dashboard_close(dash);
		cli_error("internal error: %s", np_strerror(err));
		rc = EXIT_INTERNAL;
		goto out_events;
	}
	/* q or Ctrl-C on the dashboard during phase 1 ends the run there. */
	if (whip && dash && dashboard_end(dash) != DASH_RAN) {
		note(&ctx, "stopped by the user before the session with the peer");
	} else if (whip) {
		note(&ctx, "phase 2: ICE, DTLS-SRTP, media and data channel with the peer");
		cfg.servers = &servers;
		so.offer = 1;
		so.whip_url = whip;
		so.cfg = &cfg;
		so.wcfg = &wcfg;
		so.timeout_s = timeout_s;
		if (ice_session_run(&ctx, &so, &lf, why, sizeof(why)) < 0)
			note(&ctx, why);
	} else {
		note(&ctx, "no peer named (--whip URL): ICE, DTLS, media and data channel not tested");
	}
	dashboard_close(dash);
	crc = cli_capture_end(&c, &log);
	cli_events_close(&c, &log);
	nat_classify(&log, &nr, &fs);
	if (whip) {
		ice_analyze(&log, &ir, &fs);
		webrtc_analyze(&log, &wr, &fs);
	} else {
		struct finding *f = findings_add(&fs, "no-peer", SEV_INFO);

		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "ICE, DTLS-SRTP, media and the data channel were not tested: no peer named");
			snprintf(f->remedy, sizeof(f->remedy),
				 "run natprobe serve --whip PORT somewhere reachable and give --whip http://HOST:PORT/whip");
		}
	}
	verdicts_analyze(&log, &vd, &fs);
	fs.command = "diagnose";
	fs.log = &log;
	policy_apply(&c.policy, &fs);
	cli_dashboard_note(&fs, dash);
	rc = cli_report(&c, &fs);
	if (c.format != REPORT_TEXT || c.output)
		for (size_t i = 0; i < fs.nf; i++)
			if (fs.f[i].severity == SEV_ERROR)
				cli_error("%s: %s", fs.f[i].title, fs.f[i].detail);
	if (crc && rc == EXIT_PASS)
		rc = crc;
	goto out;
out_events:
	cli_capture_end(&c, &log);
	cli_events_close(&c, &log);
out:
	dashboard_free(dash);
	np_ctx_dispose(&ctx);
	obs_log_dispose(&log);
	np_loop_free(loop);
	return rc;
}
