/*
 * nice_opts.c - the command line of tests/peers/nice_peer.c (nice_opts.h).
 */
#include "nice_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: nice_peer --offer|--answer --local FILE --remote FILE [--stun IP:PORT]\n"
		"       [--turn IP:PORT --user U --password P [--turn-transport udp|tcp|tls]]\n"
		"       [--relay-only] [--timeout S] [--hold S] [--media NAME]\n");
	exit(2);
}

static void hostport(const char *s, char *ip, size_t cap, unsigned *port)
{
	const char *c = strrchr(s, ':');
	char *end;
	unsigned long v;

	if (!c || (size_t)(c - s) >= cap || c == s)
		usage();
	v = strtoul(c + 1, &end, 10);
	if (*end || !v || v > 65535)
		usage();
	memcpy(ip, s, (size_t)(c - s));
	ip[c - s] = 0;
	if (ip[0] == '[') { /* [v6]:port */
		size_t n = strlen(ip);

		if (n < 3 || ip[n - 1] != ']')
			usage();
		memmove(ip, ip + 1, n - 2);
		ip[n - 2] = 0;
	}
	*port = (unsigned)v;
}

static unsigned secs(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v > 3600)
		usage();
	return (unsigned)v;
}

void nice_opts_parse(struct opts *o, int argc, char **argv)
{
	int i, role = 0;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 30;
	o->media = "application";
	o->turn_transport = "udp";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--offer")) { o->offer = 1; role++; continue; }
		if (!strcmp(a, "--answer")) { o->offer = 0; role++; continue; }
		if (!strcmp(a, "--relay-only")) { o->relay_only = 1; continue; }
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--local")) o->local = v;
		else if (!strcmp(a, "--remote")) o->remote = v;
		else if (!strcmp(a, "--stun")) hostport(v, o->stun_ip, sizeof(o->stun_ip), &o->stun_port);
		else if (!strcmp(a, "--turn")) hostport(v, o->turn_ip, sizeof(o->turn_ip), &o->turn_port);
		else if (!strcmp(a, "--user")) o->user = v;
		else if (!strcmp(a, "--password")) o->pass = v;
		else if (!strcmp(a, "--turn-transport")) o->turn_transport = v;
		else if (!strcmp(a, "--timeout")) o->timeout_s = secs(v);
		else if (!strcmp(a, "--hold")) o->hold_s = secs(v);
		else if (!strcmp(a, "--media")) o->media = v;
		else usage();
	}
	if (role != 1 || !o->local || !o->remote || !o->timeout_s)
		usage();
	if (!strcmp(o->turn_transport, "udp")) o->turn_type = NICE_RELAY_TYPE_TURN_UDP;
	else if (!strcmp(o->turn_transport, "tcp")) o->turn_type = NICE_RELAY_TYPE_TURN_TCP;
	else if (!strcmp(o->turn_transport, "tls")) o->turn_type = NICE_RELAY_TYPE_TURN_TLS;
	else usage();
	if (o->turn_ip[0] && (!o->user || !o->pass))
		usage();
	if (o->relay_only && !o->turn_ip[0])
		usage();
}
