/*
 * stun_uri.h - STUN and TURN server URIs (RFC 7064, RFC 7065).
 *
 *   stun:host[:port]   stuns:host[:port]
 *   turn:host[:port][?transport=udp|tcp]   turns:host[:port][?transport=tcp]
 *
 * host is a name, an IPv4 address or a bracketed IPv6 address. For
 * convenience a bare "host[:port]" is taken as stun:.
 */
#ifndef STUN_URI_H
#define STUN_URI_H

#include <stdint.h>
#include <sys/socket.h>

#include "obs.h"

enum stun_scheme { STUN_SCHEME_STUN, STUN_SCHEME_STUNS, STUN_SCHEME_TURN,
		   STUN_SCHEME_TURNS };

struct stun_uri {
	enum stun_scheme scheme;
	char host[256];
	uint16_t port;         /* explicit or the scheme's default */
	int port_given;
	enum np_transport transport; /* udp, tcp, or tls for stuns/turns */
	int transport_given;
};

/* Parses s; on failure returns NP_EBADURI and a sentence in why. */
int stun_uri_parse(const char *s, struct stun_uri *u, char *why, size_t wlen);
/* Writes the canonical form ("stun:203.0.113.10:3478?transport=tcp"). */
const char *stun_uri_str(const struct stun_uri *u, char *buf, size_t len);

#endif
