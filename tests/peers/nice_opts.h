/*
 * nice_opts.h - the command line of tests/peers/nice_peer.c.
 */
#ifndef NICE_OPTS_H
#define NICE_OPTS_H

#include <nice/agent.h>

struct opts {
	int offer;
	const char *local, *remote, *media;
	char stun_ip[64], turn_ip[64];
	unsigned stun_port, turn_port;
	const char *user, *pass, *turn_transport;
	NiceRelayType turn_type;
	int relay_only;
	unsigned timeout_s, hold_s;
};

/* Parses argv into O (defaults: --timeout 30, --media application,
 * --turn-transport udp); prints the usage and exits 2 on a bad command line. */
void nice_opts_parse(struct opts *o, int argc, char **argv);

#endif
