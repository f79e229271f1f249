/*
 * main.c - natprobe's entry point: dispatch to a command's CLI.
 */
#include "cli.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "stun", cli_stun, "Binding requests to STUN servers (RFC 8489)" },
	{ "nat", cli_nat, "NAT and firewall behaviour discovery (RFC 5780, RFC 4787)" },
	{ "ice", cli_ice, "ICE (RFC 8445) against a peer, signalled by SDP files" },
	{ "serve", cli_serve, "RFC 5780 STUN responder" },
	{ "analyze", cli_analyze, "offline diagnosis of a pcap/pcapng capture" },
	{ "report", cli_report_cmd, "replay a saved observation log (--events)" },
};

static void usage(FILE *f)
{
	fprintf(f, "natprobe %s - network diagnostics and NAT traversal tester\n\n"
		   "usage: natprobe COMMAND [options]\n\ncommands:\n",
		NATPROBE_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\nnatprobe [--stun URI] [--turn URI ...] [--whip URL] with no command runs\n"
		   "the full diagnosis (NAT behaviour, then ICE, DTLS-SRTP, media and data with\n"
		   "the peer).\n");
	fprintf(f, "\nnatprobe COMMAND --help for a command's options.\n"
		   "exit codes: 0 checks passed, 1 a required check failed, "
		   "2 usage error, 3 internal error\n");
}

int main(int argc, char **argv)
{
	/* No command: the full diagnosis (its options start with "-"). */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") &&
			 strcmp(argv[1], "--help") && strcmp(argv[1], "--version")))
		return cli_diag(argc, argv);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("natprobe %s\n", NATPROBE_VERSION);
		return EXIT_PASS;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	cli_error("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
