/*
 * cli_serve.c - `natprobe serve`: options, the start-up line, signals,
 * --duration, and the counters on exit. The only part of the responder
 * that prints.
 *
 * Exit codes (DESIGN.md): 0 stopped normally, 2 usage error, 3 internal
 * error (a socket that cannot be opened, say).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "evloop.h"
#include "np_err.h"
#include "serve.h"
#include "serve_whip.h"

#define DEFAULT_RATE 200

static void usage(FILE *f)
{
	fprintf(f,
		"usage: natprobe serve [--listen ADDR]... [--port P] [--tls-port P]\n"
		"                      [--cert FILE --key FILE] [--rate N] [--no-tcp]\n"
		"                      [--no-tls] [--duration SECONDS] [--quiet]\n"
		"                      [--whip [ADDR:]PORT [--whip-path PATH] [ICE servers]]\n"
		"\n"
		"An RFC 5780 STUN responder: Binding over UDP and TCP on ports P and\n"
		"P+1 (default 3478), over TLS on the TLS port and the next (default 5349),\n"
		"on every listen address (default 127.0.0.1 and ::1). Two addresses of\n"
		"one family give the full RFC 5780 set (CHANGE-REQUEST, OTHER-ADDRESS);\n"
		"with one, the port half: OTHER-ADDRESS names the other port and only a\n"
		"change of IP is refused with 420 (as coturn does).\n"
		"\n"
		"  --listen ADDR      a specific IPv4 or IPv6 address; repeatable, at\n"
		"                     most two per family\n"
		"  --port P           primary UDP/TCP port; the alternate is P+1\n"
		"  --tls-port P       primary TLS port; the alternate is P+1\n"
		"  --cert FILE        PEM certificate (chain); default: an ephemeral\n"
		"  --key FILE         self-signed ECDSA P-256 certificate\n"
		"  --rate N           requests per second per source IP (burst 2N);\n"
		"                     0 for no limit (default %d)\n"
		"  --no-tcp           no TCP listeners\n"
		"  --no-tls           no TLS listeners\n"
		"  --duration SECONDS stop by itself after this long\n"
		"  --quiet            print nothing but errors\n"
		"  --whip [ADDR:]PORT also a WHIP endpoint (RFC 9725, plain HTTP) on PORT\n"
		"                     (every address when ADDR is not given): each POSTed\n"
		"                     SDP offer gets an ICE agent (controlled) and a 201\n"
		"                     with the answer; DELETE, 60 s or consent loss end it\n"
		"  --whip-path PATH   the endpoint's path (default /whip)\n"
		"  --ice-stun URI     a STUN server for the WHIP sessions' agents (repeat)\n"
		"  --ice-turn URI --ice-user U --ice-password P\n"
		"                     a TURN server for them (repeat)\n"
		"  --ice-loopback     their host candidates include loopback\n"
		"\n"
		"NATPROBE_SERVE_NO_GSO=1 in the environment sends every UDP answer on\n"
		"its own instead of grouping answers to one client (UDP GSO).\n"
		"With --whip, each WHIP session's steps are printed, labelled whip#N.\n",
		DEFAULT_RATE);
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65534)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	/* "::1" or "[::1]". */
	if (n >= 2 && n < sizeof(buf) && s[0] == '[' && s[n - 1] == ']') {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)ss)->sin6_addr) ==
	    1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

static int is_unspecified(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static void on_signal(struct np_loop *loop, int fd, uint32_t events,
		      void *arg)
{
	struct signalfd_siginfo si;
	int *got = arg;

	/* Drain what is there; one signal is enough to stop. */
	for (int i = 0; i < 8; i++) {
		if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			break;
		*got = (int)si.ssi_signo;
	}
	np_loop_stop(loop);
}

static void on_duration(struct np_loop *loop, void *arg)
{
	np_loop_stop(loop);
}

static void print_listening(const struct serve *s)
{
	char line[2048];
	size_t off = 0;

	off += (size_t)snprintf(line, sizeof(line), "natprobe serve: listening");
	for (size_t i = 0; i < serve_nsockets(s) && off < sizeof(line); i++) {
		struct sockaddr_storage a;
		char name[80];
		int tr;

		if (serve_socket_info(s, i, &tr, &a) < 0)
			continue;
		serve_sa_format((const struct sockaddr *)&a, name, sizeof(name));
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s %s %s",
					i ? "," : "", serve_transport_name(tr),
					name);
	}
	fprintf(stderr, "%s\n", line);
}

static void whip_log(void *arg, const char *line)
{
	fprintf(stderr, "natprobe serve: %s\n", line);
}

static void print_whip(const struct serve_whip *w)
{
	const struct serve_whip_counters *c = serve_whip_counters(w);

	fprintf(stderr,
		"  whip: connections %llu (rejected %llu, idle %llu), requests %llu, "
		"created %llu, trickled %llu, deleted %llu, refused %llu (413 %llu, 503 %llu), "
		"pairs selected %llu, sessions freed %llu\n",
		(unsigned long long)c->conns, (unsigned long long)c->conns_rejected,
		(unsigned long long)c->idle_closed, (unsigned long long)c->requests,
		(unsigned long long)c->created, (unsigned long long)c->trickled,
		(unsigned long long)c->deleted,
		(unsigned long long)c->refused, (unsigned long long)c->too_large,
		(unsigned long long)c->busy, (unsigned long long)c->selected,
		(unsigned long long)c->freed);
}

static void print_counters(const struct serve_counters *c, double secs,
			   const char *why)
{
	fprintf(stderr,
		"natprobe serve: stopped (%s) after %.1f s\n"
		"  requests %llu, responses %llu (sent %llu, send errors %llu)\n"
		"  change ip %llu, change port %llu, change both %llu, response-port %llu, padding %llu\n"
		"  errors 420 %llu, 400 %llu; dropped: malformed %llu, other methods %llu, "
		"responses/indications %llu, rate-limited %llu, truncated %llu\n"
		"  tcp connections %llu (rejected %llu, closed for bad input %llu, idle %llu), "
		"tls handshakes ok %llu failed %llu\n"
		"  bytes in %llu, out %llu\n",
		why, secs, (unsigned long long)c->requests,
		(unsigned long long)c->responses, (unsigned long long)c->sent,
		(unsigned long long)c->send_errors,
		(unsigned long long)c->change_ip,
		(unsigned long long)c->change_port,
		(unsigned long long)c->change_both,
		(unsigned long long)c->response_port,
		(unsigned long long)c->padding, (unsigned long long)c->err420,
		(unsigned long long)c->err400,
		(unsigned long long)c->malformed,
		(unsigned long long)c->unsupported,
		(unsigned long long)c->ignored,
		(unsigned long long)c->rate_limited,
		(unsigned long long)c->truncated,
		(unsigned long long)c->tcp_conns,
		(unsigned long long)c->tcp_rejected,
		(unsigned long long)c->tcp_closed_bad,
		(unsigned long long)c->tcp_idle, (unsigned long long)c->tls_ok,
		(unsigned long long)c->tls_failed,
		(unsigned long long)c->bytes_in,
		(unsigned long long)c->bytes_out);
}

int cli_serve(int argc, char **argv)
{
	enum { O_PORT = 256, O_TLS_PORT, O_CERT, O_KEY, O_RATE, O_NO_TCP,
	       O_NO_TLS, O_DURATION, O_QUIET, O_HELP, O_WHIP, O_WHIP_PATH,
	       O_ICE_STUN, O_ICE_TURN, O_ICE_USER, O_ICE_PASS, O_ICE_LOOP };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, O_PORT },
		{ "tls-port", required_argument, NULL, O_TLS_PORT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "rate", required_argument, NULL, O_RATE },
		{ "no-tcp", no_argument, NULL, O_NO_TCP },
		{ "no-tls", no_argument, NULL, O_NO_TLS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, O_HELP },
		{ "whip", required_argument, NULL, O_WHIP },
		{ "whip-path", required_argument, NULL, O_WHIP_PATH },
		{ "ice-stun", required_argument, NULL, O_ICE_STUN },
		{ "ice-turn", required_argument, NULL, O_ICE_TURN },
		{ "ice-user", required_argument, NULL, O_ICE_USER },
		{ "ice-password", required_argument, NULL, O_ICE_PASS },
		{ "ice-loopback", no_argument, NULL, O_ICE_LOOP },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_opts o = {
		.port = 3478, .tls_port = 5349, .udp = 1, .tcp = 1, .tls = 1,
		.rate = DEFAULT_RATE,
	};
	struct np_loop *loop = NULL;
	struct serve *s = NULL;
	struct serve_whip *wh = NULL;
	struct serve_whip_opts wo = { .log = whip_log };
	static struct ice_server_list ice;
	char *ice_uri[ICE_MAX_SERVERS], *ice_user[ICE_MAX_SERVERS];
	char *ice_pw[ICE_MAX_SERVERS];
	size_t nisrv = 0;
	int whip = 0;
	struct np_timer stop_timer;
	double duration = 0;
	int quiet = 0, opt, err, rc = EXIT_INTERNAL, sfd = -1, got_signal = 0;
	uint64_t start;
	sigset_t mask, oldmask;
	char detail[256], *end;
	int tls_port_set = 0;

	/* getopt_long keeps state across calls: start afresh (a test or
	 * main.c may have parsed other arguments before). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "l:p:hq", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (o.nip == SERVE_MAX_IPS) {
				cli_error(
					"at most %d --listen addresses (two per family)",
					SERVE_MAX_IPS);
				return EXIT_USAGE;
			}
			if (parse_addr(optarg, &o.ip[o.nip]) < 0) {
				cli_error(
					"--listen %s: not an IPv4 or IPv6 address",
					optarg);
				return EXIT_USAGE;
			}
			if (is_unspecified(&o.ip[o.nip])) {
				cli_error(
					"--listen %s: give a specific address; RESPONSE-ORIGIN and OTHER-ADDRESS must name the one a response leaves from",
					optarg);
				return EXIT_USAGE;
			}
			o.nip++;
			break;
		case 'p':
		case O_PORT:
			if (parse_port(optarg, &o.port) < 0) {
				cli_error(
					"--port %s: need 1..65534 (the alternate is the next port)",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case O_TLS_PORT:
			if (parse_port(optarg, &o.tls_port) < 0) {
				cli_error(
					"--tls-port %s: need 1..65534 (the alternate is the next port)",
					optarg);
				return EXIT_USAGE;
			}
			tls_port_set = 1;
			break;
		case O_CERT:
			o.cert_file = optarg;
			break;
		case O_KEY:
			o.key_file = optarg;
			break;
		case O_RATE: {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    v > 1000000) {
				cli_error(
					"--rate %s: need 0..1000000 requests per second (0: no limit)",
					optarg);
				return EXIT_USAGE;
			}
			o.rate = (uint32_t)v;
			break;
		}
		case O_NO_TCP:
			o.tcp = 0;
			break;
		case O_NO_TLS:
			o.tls = 0;
			break;
		case O_DURATION:
			errno = 0;
			duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(duration) ||
			    duration <= 0 || duration > 1e7) {
				cli_error(
					"--duration %s: need a positive number of seconds",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
		case O_QUIET:
			quiet = 1;
			break;
		case O_WHIP:
			if (serve_whip_parse_listen(optarg, &wo.addr, &wo.port) < 0) {
				cli_error("--whip %s: need [ADDR:]PORT, e.g. 8080 or 203.0.113.10:8080",
					  optarg);
				return EXIT_USAGE;
			}
			whip = 1;
			break;
		case O_WHIP_PATH:
			wo.path = optarg;
			break;
		case O_ICE_STUN:
		case O_ICE_TURN:
			if (nisrv == ICE_MAX_SERVERS) {
				cli_error("at most %d ICE servers", ICE_MAX_SERVERS);
				return EXIT_USAGE;
			}
			ice_uri[nisrv] = optarg;
			ice_user[nisrv] = ice_pw[nisrv] = NULL;
			nisrv++;
			break;
		case O_ICE_USER:
		case O_ICE_PASS:
			if (nisrv == 0) {
				cli_error("--ice-user/--ice-password follow the --ice-turn they belong to");
				return EXIT_USAGE;
			}
			if (opt == O_ICE_USER)
				ice_user[nisrv - 1] = optarg;
			else
				ice_pw[nisrv - 1] = optarg;
			break;
		case O_ICE_LOOP:
			wo.loopback = 1;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return EXIT_PASS;
		default:
			cli_error(
				"option %s is unknown or needs a value",
				optind > 0 && optind <= argc ? argv[optind - 1]
							     : "?");
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument %s",
			argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((o.cert_file != NULL) != (o.key_file != NULL)) {
		cli_error(
			"--cert and --key go together");
		return EXIT_USAGE;
	}
	if (o.cert_file && !o.tls) {
		cli_error(
			"--cert/--key given with --no-tls");
		return EXIT_USAGE;
	}
	if (o.nip == 0) {
		parse_addr("127.0.0.1", &o.ip[0]);
		parse_addr("::1", &o.ip[1]);
		o.nip = 2;
	}
	{
		size_t n4 = 0, n6 = 0;

		for (size_t i = 0; i < o.nip; i++) {
			if (o.ip[i].ss_family == AF_INET)
				n4++;
			else
				n6++;
			for (size_t j = 0; j < i; j++) {
				if (memcmp(&o.ip[i], &o.ip[j],
					   sizeof(o.ip[i])) == 0) {
					cli_error(
						"--listen address %zu repeats address %zu",
						i + 1, j + 1);
					return EXIT_USAGE;
				}
			}
		}
		if (n4 > 2 || n6 > 2) {
			cli_error(
				"%zu IPv4 and %zu IPv6 --listen addresses; at most two per family",
				n4, n6);
			return EXIT_USAGE;
		}
	}
	if (o.tls && (o.tls_port == o.port || o.tls_port == o.port + 1 ||
		      o.tls_port + 1 == o.port)) {
		cli_error(
			"TLS ports %u,%u overlap the TCP ports %u,%u%s",
			o.tls_port, o.tls_port + 1, o.port, o.port + 1,
			tls_port_set ? "" : "; pick --tls-port");
		return EXIT_USAGE;
	}

	memset(&ice, 0, sizeof(ice));
	for (size_t i = 0; i < nisrv; i++) {
		if (ice_servers_add(&ice, ice_uri[i], ice_user[i], ice_pw[i],
				    detail, sizeof(detail)) < 0) {
			cli_error("%s", detail);
			return EXIT_USAGE;
		}
	}
	if ((nisrv || wo.path || wo.loopback) && !whip) {
		cli_error("--whip-path and --ice-* options need --whip");
		return EXIT_USAGE;
	}
	wo.servers = &ice;

	{
		const char *e = getenv("NATPROBE_SERVE_NO_GSO");

		o.no_gso = e && *e && strcmp(e, "0") != 0;
	}

	/* Signals arrive through the loop, never in a handler. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask) < 0) {
		cli_error("sigprocmask: %s",
			strerror(errno));
		return EXIT_INTERNAL;
	}
	/* A TLS peer that hangs up mid-write must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	err = np_loop_new(&loop);
	if (err < 0) {
		cli_error("event loop: %s",
			np_strerror(err));
		goto out;
	}
	err = serve_new(&s, loop, &o, detail, sizeof(detail));
	if (err < 0) {
		if (err == NP_ETLS) {
			/* A certificate or key that does not load is the
			 * user's configuration; making one is our failure. */
			cli_error("TLS: %s", detail);
			if (o.cert_file)
				rc = EXIT_USAGE;
		} else {
			cli_error("cannot listen on %s", detail);
		}
		goto out;
	}
	if (whip) {
		wo.log = quiet ? NULL : whip_log;
		err = serve_whip_new(&wh, loop, &wo, detail, sizeof(detail));
		if (err < 0) {
			cli_error("--whip: cannot listen on %s", detail);
			rc = err == NP_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
			goto out;
		}
	}
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 ||
	    np_loop_add_fd(loop, sfd, EPOLLIN, on_signal, &got_signal) < 0) {
		cli_error("signalfd: %s",
			strerror(errno));
		goto out;
	}
	start = np_loop_update_now(loop);
	np_timer_init(&stop_timer, on_duration, NULL);
	if (duration > 0)
		np_timer_start(loop, &stop_timer,
			       start + (uint64_t)(duration * 1e6));
	if (!quiet) {
		print_listening(s);
		if (wh) {
			struct sockaddr_storage a;
			char name[80];

			serve_whip_local(wh, &a);
			serve_sa_format((const struct sockaddr *)&a, name,
					sizeof(name));
			fprintf(stderr, "natprobe serve: WHIP endpoint http://%s%s\n",
				name, wo.path ? wo.path : "/whip");
		}
	}

	err = np_loop_run(loop);
	np_timer_stop(loop, &stop_timer);
	if (err < 0) {
		cli_error("event loop: %s",
			np_strerror(err));
		goto out;
	}
	if (!quiet) {
		char why[32];

		if (got_signal)
			snprintf(why, sizeof(why), "%s", strsignal(got_signal));
		else
			snprintf(why, sizeof(why), "duration reached");
		print_counters(serve_counters(s),
			       (double)(np_loop_update_now(loop) - start) / 1e6,
			       why);
		if (wh)
			print_whip(wh);
	}
	rc = EXIT_PASS;
out:
	if (sfd >= 0) {
		struct signalfd_siginfo si;

		/* A second SIGTERM must not kill us once unblocked. */
		for (int i = 0; i < 16; i++)
			if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				break;
		if (loop)
			np_loop_del_fd(loop, sfd);
		close(sfd);
	}
	serve_whip_free(wh);
	serve_free(s);
	np_loop_free(loop);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}
