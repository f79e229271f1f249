/*
 * cli_capture.c - the CLI side of `--capture FILE.pcapng` for stun, nat,
 * ice and the full diagnosis:
 * check privilege before probing, open what must be open before the drop
 * (-o, --events, the TLS CA, the capture handle and file), drop and verify,
 * and report at the end. See capture_live.h and privilege.h.
 */
#include "capture_live.h"
#include "cli.h"
#include "ice_servers.h"
#include "np_err.h"
#include "privilege.h"
#include "stun_client_impl.h"
#include "stun_uri.h"
#include "whip.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* May who do bits (4 read, 2 write, 1 search) on st, by its mode bits?
 * The drop leaves no supplementary groups, so the primary one counts.
 * ACLs and read-only mounts are not looked at: the later open says. */
static int may(const struct stat *st, const struct np_priv_target *who,
	       unsigned bits)
{
	unsigned m = (unsigned)st->st_mode;

	if (who->uid == 0)
		return 1;
	if (st->st_uid == who->uid)
		m >>= 6;
	else if (st->st_gid == who->gid)
		m >>= 3;
	return (m & bits) == bits;
}

int cli_capture_path_ok(const struct cli_common *c, const char *path,
			int writing, const char *what)
{
	struct np_priv_target who;
	char dir[PATH_MAX], real[PATH_MAX], why[160];
	const char *slash;
	struct stat st;

	if (!c->capture || !path || !strcmp(path, "-"))
		return 0;
	if (np_priv_pick(&who, why, sizeof(why)) < 0) {
		cli_error("--capture: %s", why);
		return EXIT_USAGE;
	}
	if (who.uid == geteuid())
		return 0;          /* capabilities only: nothing changes */
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	/* A directory that does not exist yet is the later open's error. */
	if (!realpath(dir, real))
		return 0;
	/* Every directory on the way must be searchable, the last one
	 * writable too when the file is written (a temporary, then a rename). */
	for (char *p = real; p; p = strchr(p + 1, '/')) {
		char save = p[1];

		p[1] = '\0';
		if (stat(real, &st) == 0 && !may(&st, &who, 1)) {
			cli_error("--capture drops privileges to %s, who cannot enter %s on the way to %s %s: run natprobe through sudo from that directory's owner, or put the file where %s can reach it",
				  who.name, real, what, path, who.name);
			return EXIT_USAGE;
		}
		p[1] = save;
		if (!save)
			break;
	}
	if (!writing && stat(real, &st) == 0 && !may(&st, &who, 1)) {
		cli_error("--capture drops privileges to %s, who cannot enter %s, where %s %s is read: run natprobe through sudo from that directory's owner, or put the file where %s can reach it",
			  who.name, real, what, path, who.name);
		return EXIT_USAGE;
	}
	if (writing && stat(real, &st) == 0 && !may(&st, &who, 3)) {
		cli_error("--capture drops privileges to %s, who cannot write in %s, where %s %s goes: run natprobe through sudo from that directory's owner, or choose a directory %s can write",
			  who.name, real, what, path, who.name);
		return EXIT_USAGE;
	}
	/* The file is replaced by a rename: in a sticky directory (/tmp)
	 * only the owner of the file or of the directory may do that. */
	if (writing && stat(real, &st) == 0 && (st.st_mode & S_ISVTX) &&
	    st.st_uid != who.uid) {
		struct stat fst;

		if (stat(path, &fst) == 0 && fst.st_uid != who.uid) {
			cli_error("--capture drops privileges to %s, who cannot replace %s %s: it belongs to uid %u in the sticky directory %s; remove it first or choose another name",
				  who.name, what, path, (unsigned)fst.st_uid, real);
			return EXIT_USAGE;
		}
	}
	if (!writing && stat(path, &st) == 0 && !may(&st, &who, 4)) {
		cli_error("--capture drops privileges to %s, who cannot read %s %s",
			  who.name, what, path);
		return EXIT_USAGE;
	}
	return 0;
}

/* Every address the named hosts resolve to; unresolvable ones are left
 * to the probe to report. */
static size_t resolve_hosts(const char *const *names, size_t n, int family,
			    struct sockaddr_storage *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct addrinfo hints = { .ai_family = family,
					  .ai_socktype = SOCK_DGRAM }, *res, *ai;

		if (!names[i] || getaddrinfo(names[i], NULL, &hints, &res) != 0)
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
	static struct stun_uri u[CAPTURE_MAX_HOSTS];
	const char *names[CAPTURE_MAX_HOSTS];
	size_t k = 0;

	/* Unparsable URIs are left to the probe to report. */
	for (size_t i = 0; i < n && k < CAPTURE_MAX_HOSTS; i++) {
		char why[128];

		if (stun_uri_parse(uris[i], &u[k], why, sizeof(why)) == 0) {
			names[k] = u[k].host;
			k++;
		}
	}
	return cli_capture_begin_hosts(c, ctx, names, k, family, argc, argv);
}

int cli_capture_begin_hosts(struct cli_common *c, struct np_ctx *ctx,
			    const char *const *names, size_t n, int family,
			    int argc, char **argv)
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
	nh = resolve_hosts(names, n, family, hosts, CAPTURE_MAX_HOSTS);
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

/* --capture: the servers' hosts and the WHIP endpoint's are in the file
 * from the first packet; the peer's addresses join as they are seen. */
int cli_capture_begin_ice(struct cli_common *c, struct np_ctx *ctx,
			  const struct ice_server_list *servers,
			  const char *whip_url, int family, int argc,
			  char **argv)
{
	const char *names[ICE_MAX_SERVERS + 1];
	static struct whip_url u;
	size_t n = 0;
	char why[256];

	if (!c->capture)
		return 0;
	for (size_t i = 0; i < servers->n; i++)
		names[n++] = servers->s[i].uri.host;
	if (whip_url && whip_url_parse(whip_url, &u, why, sizeof(why)) == 0)
		names[n++] = u.host;
	return cli_capture_begin_hosts(c, ctx, names, n, family, argc, argv);
}

int cli_capture_end(struct cli_common *c, struct obs_log *log)
{
	uint64_t count = 0, dropped = 0;
	char why[256] = "", extra[128] = "";
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
			 " (the kernel dropped %" PRIu64 " IP packets with its capture buffer full; the file may lack some of this run's)",
			 dropped);
	fprintf(stderr, "natprobe: captured %" PRIu64 " packets to %s%s\n", count,
		c->capture, extra);
	return 0;
}
