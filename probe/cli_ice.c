/*
 * cli_ice.c - `natprobe ice`: full ICE (RFC 8445) against a real peer,
 * signalled through files (or stdin/stdout):
 *
 *   natprobe ice --offer  --local OUT --remote IN   (controlling)
 *   natprobe ice --answer --remote IN --local OUT   (controlled)
 *
 * The offerer gathers, writes its offer and waits for the answer; the
 * answerer gathers while it waits for the offer, starts checking as soon
 * as it has it, and writes its answer once gathering is done. Every phase
 * has a deadline (--timeout): a silent peer ends in a finding.
 */
#include "cli.h"
#include "dashboard.h"
#include "evloop.h"
#include "ice_agent.h"
#include "ice_summary.h"
#include "ice_servers.h"
#include "ice_session.h"
#include "np_err.h"
#include "webrtc.h"
#include "verdicts.h"
#include "webrtc_summary.h"
#include "whip.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: natprobe ice (--offer | --answer) --local OUT --remote IN [options]\n"
		"  --offer            write an offer to OUT, read the answer from IN (controlling)\n"
		"  --answer           read the offer from IN, write an answer to OUT (controlled)\n"
		"  --local FILE       where our description goes (- for stdout)\n"
		"  --remote FILE      where the peer's description comes from (- for stdin);\n"
		"                     taken once it ends with a=end-of-candidates or stops growing\n"
		"  --whip URL         (--offer) POST the offer to a WHIP endpoint (RFC 9725,\n"
		"                     http://), take the answer from the 201, DELETE at the end;\n"
		"                     then no --remote, and --local only keeps a copy\n"
		"  --trickle          (--whip) POST at once, PATCH the candidates gathered\n"
		"                     after it (trickle ICE, RFC 9725 4.3.1); --local is\n"
		"                     rewritten complete after the last PATCH\n"
		"  --stun URI         a STUN server (repeat)\n"
		"  --turn URI         a TURN server (repeat): turn:HOST[:PORT][?transport=udp|tcp],\n"
		"                     turns:HOST[:PORT]; --user U --password P after it\n"
		"  --ice-servers FILE browser RTCIceServer JSON ([{\"urls\": ..., \"username\": ...}])\n"
		"  --tls-ca FILE      trust this CA for turns:\n"
		"  --relay-only       gather and offer relayed candidates only\n"
		"  -4, -6             only IPv4 / only IPv6 host candidates\n"
		"  --loopback         also gather on loopback (for tests on one host)\n"
		"  --no-tcp           no ICE-TCP candidates (RFC 6544; gathered by default)\n"
		"  --portmap[=GW]     ask the gateway (default: the default route's) for port\n"
		"                     mappings with PCP, NAT-PMP and UPnP IGD; removed on exit\n"
		"  --ta MS            pacing of checks (default 5, the RFC 8445 floor; 50 as in the RFC)\n"
		"  --timeout S        give up after S seconds (default 30)\n"
		"  --hold S           keep the selected pair S seconds, with consent freshness\n"
		"  --ice-only         offer plain ICE (no fingerprint: no DTLS, media or data)\n"
		"  --video            offer a video m-line too (audio and data by default)\n"
		"  --keylog FILE      append SSLKEYLOGFILE lines (Wireshark decrypts the DTLS)\n"
		"  --capture FILE.pcapng  record this session's packets (needs root or\n"
		"                     CAP_NET_RAW; privileges are dropped right after)\n"
		"  --require LIST     checks that must pass: srflx, relay, p2p, pair, dtls, srtp, data\n"
		"  --max-loss PCT     require media loss <= PCT in both directions\n"
		"  --media S[,PPS[,BYTES]]  the SRTP probe stream: seconds (default 2), packets\n"
		"                     per second (50), payload bytes (160)\n"
		"  --dashboard, --no-dashboard   live view (default on a terminal without --format)\n"
		"  --format text|json|html|junit|openmetrics, -o FILE, --events FILE\n");
}

int cli_ice(int argc, char **argv)
{
	enum { O_OFFER = 256, O_ANSWER, O_LOCAL, O_REMOTE, O_TLSCA, O_RELAYONLY, O_LOOPBACK, O_TA,
	       O_TIMEOUT, O_HOLD, O_SEED, O_NOTCP, O_PORTMAP, O_WHIP, O_ICEONLY, O_VIDEO, O_KEYLOG, O_MEDIA, O_TRICKLE };
	static const struct option longopts[] = {
		{ "offer", no_argument, NULL, O_OFFER },
		{ "answer", no_argument, NULL, O_ANSWER },
		{ "local", required_argument, NULL, O_LOCAL },
		{ "remote", required_argument, NULL, O_REMOTE },
		{ "tls-ca", required_argument, NULL, O_TLSCA },
		{ "relay-only", no_argument, NULL, O_RELAYONLY },
		{ "loopback", no_argument, NULL, O_LOOPBACK },
		{ "no-tcp", no_argument, NULL, O_NOTCP },
		{ "portmap", optional_argument, NULL, O_PORTMAP },
		{ "ta", required_argument, NULL, O_TA },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "seed", required_argument, NULL, O_SEED },
		{ "ice-only", no_argument, NULL, O_ICEONLY },
		{ "video", no_argument, NULL, O_VIDEO },
		{ "keylog", required_argument, NULL, O_KEYLOG },
		{ "media", required_argument, NULL, O_MEDIA },
		{ "whip", required_argument, NULL, O_WHIP },
		{ "trickle", no_argument, NULL, O_TRICKLE },
		CLI_LO_SERVERS,
		CLI_LO_REPORT,
		CLI_LO_MAXLOSS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { .format = REPORT_TEXT };
	int orc;
	struct ice_agent_cfg cfg = { 0 };
	static struct ice_server_list servers;
	static struct findings fs;
	static struct ice_report ir;
	static struct webrtc_report wr;
	static struct verdicts vd;
	struct webrtc_cfg wcfg = { 0 };
	FILE *keylog_f = NULL;
	const char *keylog = NULL;
	struct cli_servers srv = { 0 };
	const char *tls_ca = NULL;
	struct ice_session_opts so;
	const char *local_path = NULL, *remote_path = NULL, *whip_url = NULL;
	struct np_loop *loop = NULL;
	struct dashboard *dash = NULL;
	int lf = 0;
	struct obs_log log;
	struct np_ctx ctx;
	double timeout_s = 30, hold_s = 0;
	int opt, role = -1, rc = EXIT_PASS, crc = 0, trickle = 0, err;
	char why[256];

	memset(&so, 0, sizeof(so));
	memset(&servers, 0, sizeof(servers));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "46o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_OFFER: role = 1; break;
		case O_ANSWER: role = 0; break;
		case O_LOCAL: local_path = optarg; break;
		case O_REMOTE: remote_path = optarg; break;
		case O_WHIP: whip_url = optarg; break;
		case O_TLSCA: tls_ca = optarg; break;
		case O_RELAYONLY: cfg.relay_only = 1; break;
		case O_LOOPBACK: cfg.loopback = 1; break;
		case O_NOTCP: cfg.no_tcp = 1; break;
		case O_PORTMAP:
			cfg.portmap = 1;
			if (optarg && np_addr_parse(optarg, &cfg.gateway) < 0) {
				char with_port[80];

				/* A bare address: the port-mapping port. */
				snprintf(with_port, sizeof(with_port), "%s:5351", optarg);
				if (np_addr_parse(with_port, &cfg.gateway) < 0) {
					cli_error("--portmap takes the gateway's IPv4 address, not \"%s\"",
						  optarg);
					return EXIT_USAGE;
				}
			}
			break;
		case '4': cfg.family = AF_INET; break;
		case '6': cfg.family = AF_INET6; break;
		case O_TA: {
			double ms = atof(optarg);

			if (ms < 5 || ms > 1000) {
				cli_error("--ta takes 5..1000 ms (RFC 8445 §14.2 sets the 5 ms floor), not \"%s\"",
					  optarg);
				return EXIT_USAGE;
			}
			cfg.ta_us = (uint64_t)(ms * 1000);
			break;
		}
		case O_TIMEOUT:
			timeout_s = atof(optarg);
			if (timeout_s <= 0 || timeout_s > 3600) {
				cli_error("--timeout takes 0..3600 seconds, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_HOLD:
			hold_s = atof(optarg);
			if (hold_s < 0 || hold_s > 86400) {
				cli_error("--hold takes 0..86400 seconds, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_SEED: cfg.seed = strtoull(optarg, NULL, 0); break;
		case O_ICEONLY: wcfg.no_media = 1; break;
		case O_VIDEO: wcfg.video = 1; break;
		case O_KEYLOG: keylog = optarg; break;
		case O_MEDIA: {
			double sec = 0, pps = 0, size = 0;

			/* SECONDS[,PPS[,BYTES]] */
			if (sscanf(optarg, "%lf,%lf,%lf", &sec, &pps, &size) < 1 ||
			    sec <= 0 || sec > 3600 || pps < 0 || pps > 1000 ||
			    (size && (size < 20 || size > 1400))) {
				cli_error("--media takes SECONDS[,PACKETS_PER_S[,BYTES]] (0<S<=3600, PPS<=1000, 20..1400 bytes), not \"%s\"",
					  optarg);
				return EXIT_USAGE;
			}
			wcfg.media_us = (uint64_t)(sec * 1e6);
			wcfg.media_pps = (unsigned)pps;
			wcfg.media_size = (size_t)size;
			break;
		}
		case O_TRICKLE: trickle = 1; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default:
			orc = cli_common_opt(&c, opt, optarg, "ice");
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
	if (whip_url) {
		struct whip_url u;

		if (role != 1 || remote_path) {
			cli_error("ice: --whip URL sends an offer and takes the answer: use it with --offer and without --remote");
			return EXIT_USAGE;
		}
		if (whip_url_parse(whip_url, &u, why, sizeof(why)) < 0) {
			cli_error("ice: --whip %s", why);
			return EXIT_USAGE;
		}
	}
	if (trickle && !whip_url) {
		cli_error("ice: --trickle sends candidates in WHIP PATCHes: use it with --whip (a signaling file is written once)");
		return EXIT_USAGE;
	}
	if (role < 0 || optind < argc ||
	    (!whip_url && (!local_path || !remote_path))) {
		cli_error("ice: say --offer or --answer, with --local FILE and --remote FILE");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (local_path && !strcmp(local_path, "-") &&
	    (c.output == NULL && c.format_set)) {
		cli_error("ice: --local - writes the description to stdout; send the report elsewhere with -o FILE");
		return EXIT_USAGE;
	}
	if (cli_servers_build(&srv, &servers))
		return EXIT_USAGE;
	if (cfg.relay_only) {
		int any = 0;

		for (size_t i = 0; i < servers.n; i++)
			any |= servers.s[i].uri.scheme == STUN_SCHEME_TURN ||
			       servers.s[i].uri.scheme == STUN_SCHEME_TURNS;
		if (!any) {
			cli_error("ice: --relay-only needs a --turn server");
			return EXIT_USAGE;
		}
	}
	if ((rc = cli_capture_check(&c)) != 0 ||
	    (rc = cli_capture_path_ok(&c, local_path, 1, "the --local file")) != 0 ||
	    (rc = cli_capture_path_ok(&c, remote_path, 0, "the --remote file")) != 0)
		return rc;
	cfg.controlling = role;
	cfg.servers = &servers;
	if (np_loop_new(&loop) < 0) {
		cli_error("cannot create the event loop");
		return EXIT_INTERNAL;
	}
	obs_log_init(&log, np_monotonic_us(), np_wallclock_us());
	snprintf(log.command, sizeof(log.command), "ice");
	log.family = cfg.family;
	np_ctx_init(&ctx, loop, &log);
	ctx.tls_ca = tls_ca;
	ctx.rto_min_us = 10000;
	if (keylog) {
		keylog_f = fopen(keylog, "a");
		if (!keylog_f) {
			cli_error("--keylog %s: %s", keylog, strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
		setvbuf(keylog_f, NULL, _IOLBF, 0);
	}
	if (cli_events_open(&c, &log) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_capture_begin_ice(&c, &ctx, &servers, whip_url, cfg.family,
				   argc, argv);
	if (rc != 0)
		goto out_events;
	so.offer = role;
	so.local_path = local_path;
	so.remote_path = remote_path;
	so.whip_url = whip_url;
	so.trickle = trickle;
	so.cfg = &cfg;
	wcfg.keylog = keylog_f;
	so.wcfg = &wcfg;
	so.timeout_s = timeout_s;
	so.hold_s = hold_s;
	/* Descriptions on stdin/stdout share the terminal: no dashboard. */
	if ((!strcmp(local_path ? local_path : "", "-") ||
	     !strcmp(remote_path ? remote_path : "", "-")) &&
	    c.dashboard != CLI_DASH_OFF) {
		if (c.dashboard == CLI_DASH_ON)
			cli_error("no dashboard: --local/--remote - use the terminal; the report follows");
		c.dashboard = CLI_DASH_OFF;
	}
	if (cli_dashboard_wanted(&c, 1) &&
	    dashboard_open(loop, &log, "ice", whip_url ? whip_url : remote_path,
			   cfg.family, &dash, why, sizeof(why)) < 0)
		cli_error("no dashboard: %s", why);
	why[0] = '\0';
	err = ice_session_run(&ctx, &so, &lf, why, sizeof(why));
	dashboard_close(dash);
	crc = cli_capture_end(&c, &log);
	if (err < 0) {
		cli_error("%s", why);
		rc = lf ? lf : EXIT_INTERNAL;
		goto out_events;
	}
	cli_events_close(&c, &log);
	memset(&fs, 0, sizeof(fs));
	ice_analyze(&log, &ir, &fs);
	webrtc_analyze(&log, &wr, &fs);
	verdicts_analyze(&log, &vd, &fs);
	policy_apply(&c.policy, &fs);
	cli_dashboard_note(&fs, dash);
	fs.log = &log;
	rc = cli_report(&c, &fs);
	/* No pair, or DTLS that failed or never finished (a fingerprint
	 * mismatch above all): the run failed. */
	if ((!ir.selected_ok || wr.failed ||
	     (wr.present && !wr.connected && !wr.ice_only)) && rc == EXIT_PASS)
		rc = EXIT_CHECK_FAILED;
	if (c.format != REPORT_TEXT || c.output)
		for (size_t i = 0; i < fs.nf; i++)
			if (fs.f[i].severity == SEV_ERROR)
				cli_error("%s: %s", fs.f[i].title, fs.f[i].detail);
	/* A capture that could not be written fails a run that passed. */
	if (crc && rc == EXIT_PASS)
		rc = crc;
	goto out;
out_events:
	cli_capture_end(&c, &log);
	cli_events_close(&c, &log);
out:
	dashboard_free(dash);
	if (keylog_f)
		fclose(keylog_f);
	np_ctx_dispose(&ctx);
	obs_log_dispose(&log);
	np_loop_free(loop);
	return rc;
}
