/*
 * cli_capture.c - the CLI side of `--capture FILE.pcapng` for stun and nat:
 * check privilege before probing, open what must be open before the drop
 * (-o, --events, the TLS CA, the capture handle and file), drop and verify,
 * and report at the end. See capture_live.h and privilege.h.
 */
#include "capture_live.h"
#include "cli.h"
#include "np_err.h"
#include "privilege.h"
#include "stun_client_impl.h"
#include "stun_uri.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <string.h>

int cli_capture_check(const struct cli_common *c)
{
	char why[256];

	if (!c->capture)
		return 0;
	if (np_priv_can_capture(why, sizeof(why)) < 0) {
		cli_error("%s", why);
		return EXIT_USAGE;
	}
	return 0;
}

/* Every address the named servers resolve to; unparsable or unresolvable
 * ones are left to the probe to report. */
static size_t resolve_hosts(const char *const *uris, size_t n, int family,
			    struct sockaddr_storage *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct addrinfo hints = { .ai_family = family,
					  .ai_socktype = SOCK_DGRAM }, *res, *ai;
		struct stun_uri u;
		char why[128];

		if (stun_uri_parse(uris[i], &u, why, sizeof(why)) < 0 ||
		    getaddrinfo(u.host, NULL, &hints, &res) != 0)
			continue;
		for (ai = res; ai && k < cap; ai = ai->ai_next) {
			memset(&out[k], 0, sizeof(out[k]));
			memcpy(&out[k], ai->ai_addr, ai->ai_addrlen);
			k++;
		}
		freeaddrinfo(res);
	}
	return k;
}

int cli_capture_begin(struct cli_common *c, struct np_ctx *ctx,
		      const char *const *uris, size_t n, int family, int argc,
		      char **argv)
{
	struct sockaddr_storage hosts[CAPTURE_MAX_HOSTS];
	struct np_priv_target who;
	char comment[1024], why[256];
	size_t nh, len;
	SSL_CTX *tls;
	int err;

	if (!c->capture)
		return 0;
	/* Files are opened as the user who ran us, before the drop. */
	if (c->output && strcmp(c->output, "-") != 0) {
		c->output_f = fopen(c->output, "w");
		if (!c->output_f) {
			cli_error("cannot write %s: %s", c->output, strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (ctx->tls_ca && stunc_tls_ctx_get(ctx, &tls) < 0) {
		cli_error("cannot load --tls-ca %s", ctx->tls_ca);
		return EXIT_USAGE;
	}
	len = (size_t)snprintf(comment, sizeof(comment), "natprobe");
	for (int i = 0; i < argc && len < sizeof(comment); i++)
		len += (size_t)snprintf(comment + len, sizeof(comment) - len,
					" %s", argv[i]);
	nh = resolve_hosts(uris, n, family, hosts, CAPTURE_MAX_HOSTS);
	err = capture_live_open(c->capture, comment, hosts, nh,
				&c->capture_live, why, sizeof(why));
	if (err < 0) {
		cli_error("--capture %s: %s", c->capture, why);
		/* Missing privilege, no such device, an unwritable file: all
		 * configuration the user can fix. */
		return err == NP_ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
	}
	if (np_priv_drop(&who, why, sizeof(why)) < 0) {
		cli_error("cannot drop privileges after opening the capture: %s", why);
		return EXIT_INTERNAL;
	}
	err = capture_live_start(c->capture_live, ctx->loop, ctx->log);
	if (err < 0) {
		cli_error("--capture: %s", np_strerror(err));
		return EXIT_INTERNAL;
	}
	fprintf(stderr, "natprobe: capturing to %s; privileges dropped, running as %s\n",
		c->capture, who.name);
	return 0;
}

int cli_capture_end(struct cli_common *c, struct obs_log *log)
{
	uint64_t count = 0, dropped = 0;
	char why[256] = "", extra[96] = "";
	int err;

	if (!c->capture_live)
		return 0;
	err = capture_live_finish(c->capture_live, log, &count, &dropped, why,
				  sizeof(why));
	c->capture_live = NULL;
	if (err < 0) {
		cli_error("--capture %s: %s (%" PRIu64 " packets written)",
			  c->capture, why, count);
		return EXIT_INTERNAL;
	}
	/* Packets lost to a full kernel buffer are missing from the file:
	 * say so rather than let it pass for the whole run. */
	if (dropped)
		snprintf(extra, sizeof(extra),
			 " (%" PRIu64 " more dropped by the kernel: capture buffer full)",
			 dropped);
	fprintf(stderr, "natprobe: captured %" PRIu64 " packets to %s%s\n", count,
		c->capture, extra);
	return 0;
}
