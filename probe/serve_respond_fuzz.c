/*
 * serve_respond_fuzz.c - libFuzzer target for the responder's request ->
 * response function: any bytes, from either family, on any socket and
 * transport, with one and two addresses per family. Asserts the
 * responder's promises: a response decodes as STUN, goes to the source's
 * IP, never exceeds the request by more than max_growth, and never leaves
 * from a socket that does not exist.
 */
#include "serve.h"
#include "stun_codec.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static struct sockaddr_storage sa(const char *ip, uint16_t port)
{
	struct sockaddr_storage s;

	memset(&s, 0, sizeof(s));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (void *)&s;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (void *)&s;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return s;
}

static void cfg_make(struct serve_cfg *cfg, int two)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ip[0].addr = sa("192.0.2.1", 0);
	cfg->ip[1].addr = sa("2001:db8::1", 0);
	cfg->nip = 2;
	if (two) {
		cfg->ip[2].addr = sa("192.0.2.2", 0);
		cfg->ip[3].addr = sa("2001:db8::2", 0);
		cfg->nip = 4;
	}
	serve_cfg_pair(cfg);
	for (int tr = 0; tr < 3; tr++) {
		cfg->port[tr][0] = 3478;
		cfg->port[tr][1] = 3479;
	}
	cfg->software = "natprobe/fuzz";
	cfg->max_growth = SERVE_MAX_GROWTH;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t outbuf[70000];
	struct serve_cfg cfg;

	for (int variant = 0; variant < 8; variant++) {
		int two = variant & 1, v6 = (variant >> 1) & 1;
		int tr = (variant >> 2) ? SERVE_TCP : SERVE_UDP;
		struct sockaddr_storage src = sa(v6 ? "2001:db8:9::7" : "198.51.100.7", 40000);
		struct serve_counters c;
		struct serve_out out = { .buf = outbuf, .cap = sizeof(outbuf) };
		struct serve_req req = { .buf = data, .len = size,
					 .src = (const struct sockaddr *)&src,
					 .local_idx = v6 ? (two ? 2 : 2) : 0,
					 .transport = tr };
		struct stun_msg m;
		int r;

		cfg_make(&cfg, two);
		/* Family index: v4 is ip 0 (and 2), v6 is ip 1 (and 3). */
		req.local_idx = v6 ? 2 : 0;
		memset(&c, 0, sizeof(c));
		r = serve_respond(&cfg, &req, &out, &c);
		if (r != 1)
			continue;
		if (out.len > size + SERVE_MAX_GROWTH)
			abort();  /* amplification */
		if (out.send_idx < 0 || (size_t)out.send_idx >= 2 * cfg.nip)
			abort();
		if (stun_decode(out.buf, out.len, STUN_DEC_ALLOW_CLASSIC |
				STUN_DEC_ALLOW_UNKNOWN, &m, NULL, 0) != 0)
			abort();
		if (out.dst.ss_family != src.ss_family)
			abort();
	}
	return 0;
}
