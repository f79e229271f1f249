/*
 * dtls_driver.c - runs probe/dtls.c over a loopback UDP socket against a
 * real DTLS peer (openssl s_server/s_client, gnutls-serv/gnutls-cli) for
 * tests/it_dtls.sh. Datagrams are sorted by RFC 7983 (probe/demux.c) and
 * only DTLS is fed to the machine. Prints one line per fact:
 *
 *   FINGERPRINT AB:CD:...          our certificate (sha-256)
 *   LOCAL 127.0.0.1:40000
 *   CONNECTED ms=3.1 version=DTLSv1.2 cipher=... profile=SRTP_... \
 *             offered=DTLS 1.2 flights=2/2 rtx=0
 *   KEYMAT 7D4200E5...             the RFC 5764 exported material, hex
 *   DATA natprobe-echo             application data the peer sent
 *   FAILED mitm=1 err=NP_ETLS reason=...
 *
 * Usage: dtls_driver -r client|server -f PEER_FINGERPRINT [-p PEER:PORT]
 *        [-l LOCAL_PORT] [-P PROFILES] [-m MTU] [-k KEYLOG] [-e EVENTS]
 *        [-s TEXT] [-H HOLD_MS] [-T TIMEOUT_S]
 * A server learns its peer from the first datagram. After connecting it
 * sends TEXT (default "natprobe-hello\n") and stays HOLD_MS (default 500)
 * to answer retransmissions and read replies. Exit 0 when connected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demux.h"
#include "dtls.h"
#include "evloop.h"
#include "np_err.h"
#include "obs.h"
#include "stun_client.h"

struct run {
	struct np_loop *loop;
	struct obs_log log;
	struct np_ctx ctx;
	struct dtls_cert *cert;
	struct dtls *d;
	int fd;
	struct sockaddr_storage peer;
	int have_peer;
	const char *text;
	uint32_t hold_ms;
	int connected, failed;
	unsigned not_dtls;
	struct np_timer stop, hold;
};

static int send_dgram(void *arg, const uint8_t *buf, size_t len)
{
	struct run *r = arg;

	if (!r->have_peer)
		return NP_EINVAL;
	if (sendto(r->fd, buf, len, 0, (const struct sockaddr *)&r->peer,
		   np_addr_len(&r->peer)) < 0)
		return -errno;
	return 0;
}

static void on_hold(struct np_loop *loop, void *arg)
{
	np_loop_stop(loop);
}

static void hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02X", b[i]);
}

static void on_event(struct dtls *d, const struct dtls_event *ev, void *arg)
{
	struct run *r = arg;
	const struct dtls_info *in = dtls_get_info(d);
	struct dtls_srtp_keys k;
	char tmp[16];

	switch (ev->kind) {
	case DTLS_EV_CONNECTED:
		r->connected = 1;
		printf("CONNECTED ms=%.2f version=%s cipher=%s profile=%s offered=",
		       in->handshake_us / 1000.0, in->version, in->cipher,
		       dtls_srtp_profile_name(in->profile) ?
		       dtls_srtp_profile_name(in->profile) : "none");
		for (unsigned i = 0; i < in->n_peer_offered; i++) {
			const char *v = in->peer_offered[i] == 0xFEFC ? "DTLS1.3" :
					in->peer_offered[i] == 0xFEFD ? "DTLS1.2" : tmp;

			snprintf(tmp, sizeof(tmp), "0x%04x", in->peer_offered[i]);
			printf("%s%s", i ? "," : "", v);
		}
		printf("%s flights=%u/%u rtx=%u\n", in->n_peer_offered ? "" : "-",
		       in->flights_sent, in->flights_received, in->retransmits);
		if (dtls_srtp_keys(d, &k) == 0) {
			printf("KEYMAT ");
			hex(k.material, k.material_len);
			printf("\n");
		}
		fflush(stdout);
		dtls_write(d, (const uint8_t *)r->text, strlen(r->text));
		np_timer_start(r->loop, &r->hold,
			       np_loop_now(r->loop) + r->hold_ms * 1000ull);
		break;
	case DTLS_EV_FAILED:
		r->failed = 1;
		printf("FAILED mitm=%d err=%s reason=%s\n", ev->mitm,
		       np_errname(ev->err), ev->reason);
		fflush(stdout);
		np_loop_stop(r->loop);
		break;
	case DTLS_EV_DATA: {
		size_t n = ev->len;

		while (n && (ev->data[n - 1] == '\n' || ev->data[n - 1] == '\r'))
			n--;
		printf("DATA %.*s\n", (int)(n > 200 ? 200 : n), ev->data);
		fflush(stdout);
		break;
	}
	case DTLS_EV_CLOSED:
		printf("CLOSED\n");
		fflush(stdout);
		break;
	}
}

static void on_io(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct run *r = arg;

	for (int i = 0; i < 64; i++) {
		uint8_t buf[4096];
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&src, &sl);

		if (n <= 0)
			return;
		if (!r->have_peer) {
			r->peer = src;
			r->have_peer = 1;
		} else if (!np_addr_equal(&src, &r->peer)) {
			continue;   /* not our peer */
		}
		if (demux_classify(buf, (size_t)n) != DEMUX_DTLS) {
			r->not_dtls++;
			continue;
		}
		dtls_feed(r->d, buf, (size_t)n);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: dtls_driver -r client|server -f FP [-p PEER:PORT] "
		"[-l PORT] [-P PROFILES] [-m MTU] [-k KEYLOG] [-e EVENTS] "
		"[-s TEXT] [-H HOLD_MS] [-T TIMEOUT_S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct run r;
	struct dtls_config cfg = { .fp_alg = "sha-256", .require_srtp = 1 };
	struct sockaddr_in local = { .sin_family = AF_INET };
	socklen_t sl = sizeof(local);
	FILE *keylog = NULL, *events = NULL;
	int timeout_s = 10, c, err;

	memset(&r, 0, sizeof(r));
	r.text = "natprobe-hello\n";
	r.hold_ms = 500;
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((c = getopt(argc, argv, "r:f:p:l:P:m:k:e:s:H:T:")) != -1) {
		switch (c) {
		case 'r':
			cfg.role = strcmp(optarg, "server") == 0 ?
				   DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT;
			break;
		case 'f': cfg.fp = optarg; break;
		case 'p':
			if (np_addr_parse(optarg, &r.peer))
				usage();
			r.have_peer = 1;
			break;
		case 'l': local.sin_port = htons((uint16_t)atoi(optarg)); break;
		case 'P': cfg.profiles = optarg; break;
		case 'm': cfg.mtu = (unsigned)atoi(optarg); break;
		case 'k':
			keylog = fopen(optarg, "w");
			if (!keylog)
				usage();
			cfg.keylog = keylog;
			break;
		case 'e':
			events = fopen(optarg, "w");
			if (!events)
				usage();
			break;
		case 's': r.text = optarg; break;
		case 'H': r.hold_ms = (uint32_t)atoi(optarg); break;
		case 'T': timeout_s = atoi(optarg); break;
		default: usage();
		}
	}
	if (!cfg.fp || (cfg.role == DTLS_ROLE_CLIENT && !r.have_peer))
		usage();
	cfg.deadline_us = (uint32_t)timeout_s * 1000000u;

	if (np_loop_new(&r.loop))
		return 3;
	obs_log_init(&r.log, np_monotonic_us(), np_wallclock_us());
	if (events) {
		r.log.stream = events;
		obs_log_write_header(&r.log, events);
	}
	np_ctx_init(&r.ctx, r.loop, &r.log);
	np_timer_init(&r.hold, on_hold, &r);
	r.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (r.fd < 0 || bind(r.fd, (struct sockaddr *)&local, sizeof(local)) ||
	    getsockname(r.fd, (struct sockaddr *)&local, &sl)) {
		perror("socket");
		return 3;
	}
	printf("LOCAL 127.0.0.1:%u\n", ntohs(local.sin_port));
	if ((err = dtls_cert_new(&r.cert))) {
		fprintf(stderr, "certificate: %s\n", np_strerror(err));
		return 3;
	}
	printf("FINGERPRINT %s\n", dtls_cert_fingerprint(r.cert));
	fflush(stdout);
	err = dtls_new(&r.ctx, r.cert, &cfg, send_dgram, on_event, &r, &r.d);
	if (err) {
		fprintf(stderr, "dtls_new: %s\n", np_strerror(err));
		return 2;
	}
	np_loop_add_fd(r.loop, r.fd, EPOLLIN, on_io, &r);
	dtls_start(r.d);
	np_loop_run(r.loop);
	if (r.not_dtls)
		printf("NOTDTLS %u\n", r.not_dtls);
	if (!r.connected && !r.failed)
		printf("FAILED mitm=0 err=none reason=loop ended\n");
	dtls_free(r.d);
	dtls_cert_free(r.cert);
	np_loop_del_fd(r.loop, r.fd);
	close(r.fd);
	np_ctx_dispose(&r.ctx);
	obs_log_dispose(&r.log);
	np_loop_free(r.loop);
	if (keylog)
		fclose(keylog);
	if (events)
		fclose(events);
	return r.connected ? 0 : 1;
}
