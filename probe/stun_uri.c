/*
 * stun_uri.c - parse RFC 7064/7065 server URIs.
 *
 * RFC 7064 §3.1: stunURI = scheme ":" host [ ":" port ]; no path or query.
 * RFC 7065 §3.1: turnURI adds [ "?transport=" transport ]; "turns" with
 * transport=udp is not allowed (TURN over DTLS has its own scheme usage we
 * do not support).
 */
#include "stun_uri.h"
#include "np_err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t wlen, const char *fmt, const char *arg)
{
	snprintf(why, wlen, fmt, arg);
	return NP_EBADURI;
}

static int valid_hostname(const char *h)
{
	if (!*h)
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' &&
		    *h != '_')
			return 0;
	return 1;
}

int stun_uri_parse(const char *s, struct stun_uri *u, char *why, size_t wlen)
{
	const char *p = s, *q, *hostend, *portstr = NULL;
	size_t hostlen;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(p, "stuns:", 6) == 0) {
		u->scheme = STUN_SCHEME_STUNS;
		p += 6;
	} else if (strncasecmp(p, "stun:", 5) == 0) {
		u->scheme = STUN_SCHEME_STUN;
		p += 5;
	} else if (strncasecmp(p, "turns:", 6) == 0) {
		u->scheme = STUN_SCHEME_TURNS;
		p += 6;
	} else if (strncasecmp(p, "turn:", 5) == 0) {
		u->scheme = STUN_SCHEME_TURN;
		p += 5;
	} else if (strstr(p, "://") || (strchr(p, ':') && !strchr(p, '[') &&
					isalpha((unsigned char)p[0]) &&
					!isdigit((unsigned char)strchr(p, ':')[1]))) {
		return fail(why, wlen,
			    "\"%s\": scheme must be stun:, stuns:, turn: or turns:",
			    s);
	} else {
		u->scheme = STUN_SCHEME_STUN;
	}
	if (p[0] == '/' && p[1] == '/')
		return fail(why, wlen,
			    "\"%s\": RFC 7064 URIs have no \"//\" (write stun:host:port)",
			    s);
	q = strchr(p, '?');
	if (p[0] == '[') {
		hostend = strchr(p, ']');
		if (!hostend || (q && hostend > q))
			return fail(why, wlen, "\"%s\": unterminated [IPv6 address]", s);
		hostlen = (size_t)(hostend - p - 1);
		if (hostlen >= sizeof(u->host))
			return fail(why, wlen, "\"%s\": host too long", s);
		memcpy(u->host, p + 1, hostlen);
		u->host[hostlen] = '\0';
		{
			struct in6_addr a;

			if (inet_pton(AF_INET6, u->host, &a) != 1)
				return fail(why, wlen,
					    "\"%s\": not an IPv6 address inside []", s);
		}
		p = hostend + 1;
		if (*p == ':')
			portstr = p + 1;
		else if (*p && *p != '?')
			return fail(why, wlen, "\"%s\": junk after ]", s);
	} else {
		const char *colon = strchr(p, ':');

		hostend = colon && (!q || colon < q) ? colon : (q ? q : p + strlen(p));
		hostlen = (size_t)(hostend - p);
		if (hostlen == 0)
			return fail(why, wlen, "\"%s\": no host", s);
		if (hostlen >= sizeof(u->host))
			return fail(why, wlen, "\"%s\": host too long", s);
		memcpy(u->host, p, hostlen);
		u->host[hostlen] = '\0';
		if (!valid_hostname(u->host))
			return fail(why, wlen,
				    "\"%s\": host has characters a name cannot have (IPv6 needs [brackets])",
				    s);
		if (colon && (!q || colon < q))
			portstr = colon + 1;
	}
	if (portstr) {
		char *end;
		unsigned long port = strtoul(portstr, &end, 10);

		if (end == portstr || (*end && *end != '?') || port == 0 ||
		    port > 65535 || !isdigit((unsigned char)portstr[0]))
			return fail(why, wlen, "\"%s\": port must be 1..65535", s);
		u->port = (uint16_t)port;
		u->port_given = 1;
	}
	/* Defaults: RFC 7064 §3.2 3478 for stun:, 5349 for stuns:. */
	switch (u->scheme) {
	case STUN_SCHEME_STUN:
	case STUN_SCHEME_TURN:
		u->transport = NP_UDP;
		if (!u->port_given)
			u->port = 3478;
		break;
	case STUN_SCHEME_STUNS:
	case STUN_SCHEME_TURNS:
		u->transport = NP_TLS;
		if (!u->port_given)
			u->port = 5349;
		break;
	}
	if (q) {
		const char *t = q + 1;

		if (strncasecmp(t, "transport=", 10) != 0)
			return fail(why, wlen,
				    "\"%s\": the only query RFC 7065 allows is ?transport=udp|tcp",
				    s);
		t += 10;
		if (strcasecmp(t, "udp") == 0) {
			if (u->scheme == STUN_SCHEME_STUNS ||
			    u->scheme == STUN_SCHEME_TURNS)
				return fail(why, wlen,
					    "\"%s\": transport=udp with a TLS scheme (DTLS is not supported)",
					    s);
			u->transport = NP_UDP;
		} else if (strcasecmp(t, "tcp") == 0) {
			if (u->transport != NP_TLS)
				u->transport = NP_TCP;
		} else {
			return fail(why, wlen,
				    "\"%s\": transport must be udp or tcp", s);
		}
		u->transport_given = 1;
	}
	return 0;
}

const char *stun_uri_str(const struct stun_uri *u, char *buf, size_t len)
{
	static const char *const schemes[] = { "stun", "stuns", "turn", "turns" };
	int v6 = strchr(u->host, ':') != NULL;
	const char *tr = "";

	if (u->transport == NP_TCP)
		tr = "?transport=tcp";
	snprintf(buf, len, "%s:%s%s%s:%u%s", schemes[u->scheme], v6 ? "[" : "",
		 u->host, v6 ? "]" : "", u->port, tr);
	return buf;
}
