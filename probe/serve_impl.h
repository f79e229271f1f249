/*
 * serve_impl.h - the responder's internals, shared by serve.c (sockets and
 * the UDP path), serve_tcp.c (TCP and TLS connections) and serve_tls.c
 * (the TLS context). Not a public surface: use serve.h.
 */
#ifndef SERVE_IMPL_H
#define SERVE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <openssl/ssl.h>

#include "evloop.h"
#include "serve.h"

/* Datagrams per recvmmsg/sendmmsg call, and calls per wakeup (fairness
 * between sockets, as libjuice's conn_poll caps its work per wakeup). */
#define UDP_BATCH 32
#define UDP_BATCHES_PER_WAKEUP 8
/* Datagrams per GSO send (the kernel's UDP_MAX_SEGMENTS is 64), and the
 * largest datagram we group. */
#define UDP_GSO_MAX 64
#define UDP_GSO_SEG_MAX 1200
/* A GSO send is one IP packet to the kernel: under 64 KiB in all. */
#define UDP_GSO_TOTAL_MAX 60000

/* TCP and TLS: connections held at once, largest framed message, room for
 * responses waiting to be written, idle and handshake limits. */
#define TCP_MAX_CONNS 1024
#define TCP_MAX_MSG 8192
#define TCP_TX_CAP 16384
#define TCP_IDLE_US (30u * 1000000u)
#define TLS_HANDSHAKE_US (10u * 1000000u)
#define TCP_ACCEPTS_PER_WAKEUP 64
#define TCP_ROUNDS_PER_WAKEUP 16

struct serve;

/* A listening socket: UDP (serving) or TCP/TLS (accepting). */
struct serve_sock {
	int fd;
	int transport;
	int local_idx;
	int paused;                 /* accept() hit the fd limit: resting */
	struct sockaddr_storage addr;
	struct serve *s;
};

struct serve_conn {
	int fd;                     /* -1: free slot */
	SSL *ssl;                   /* NULL for plain TCP */
	int transport;
	int local_idx;
	int hs_done;
	uint32_t events;            /* what the loop watches now */
	struct sockaddr_storage peer;
	uint64_t start_us, last_us;
	uint8_t *rx;                /* TCP_MAX_MSG */
	size_t rxlen;
	uint8_t *tx;                /* TCP_TX_CAP */
	size_t txoff, txlen;
	struct np_timer resume;     /* more work after a capped wakeup */
	struct serve *s;
};

struct serve {
	struct np_loop *loop;
	struct serve_cfg cfg;
	struct serve_counters c;
	struct serve_rl rl;

	struct serve_sock socks[3 * SERVE_MAX_LOCAL];
	size_t nsocks;
	int udp_fd[SERVE_MAX_LOCAL];    /* by local index; -1 if none */

	/* UDP batches: receive slots, and one send queue per local socket
	 * (a CHANGE-REQUEST answer leaves from another socket). */
	uint8_t *rx_buf;                /* UDP_BATCH * SERVE_MAX_DGRAM */
	uint8_t *tx_buf;                /* UDP_BATCH * SERVE_MAX_DGRAM */
	struct mmsghdr rx_msg[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct sockaddr_storage rx_addr[UDP_BATCH];
	struct sockaddr_storage tx_dst[UDP_BATCH];
	struct iovec tx_iov[UDP_BATCH];
	struct mmsghdr tx_msg[SERVE_MAX_LOCAL][UDP_BATCH];
	int ntx[SERVE_MAX_LOCAL];
	int gso;                        /* 1: group answers (UDP_SEGMENT) */
	struct iovec gso_iov[UDP_BATCH];
	char gso_cmsg[UDP_BATCH][CMSG_SPACE(sizeof(uint16_t))];

	/* TCP and TLS. */
	struct serve_conn *conns;       /* TCP_MAX_CONNS */
	size_t nconns;
	size_t max_conns;               /* TCP_MAX_CONNS, or less if fds are few */
	int paused;                     /* listeners resting after EMFILE */
	struct np_timer sweep;
	SSL_CTX *tls;
};

/* serve_tcp.c */
int serve_tcp_init(struct serve *s);
void serve_tcp_dispose(struct serve *s);
void serve_tcp_accept_cb(struct np_loop *loop, int fd, uint32_t events,
			 void *arg);

/* serve_tls.c: a server context from PEM files, or with an ephemeral
 * self-signed ECDSA P-256 certificate when cert is NULL. */
int serve_tls_ctx_new(SSL_CTX **out, const char *cert, const char *key,
		      char *detail, size_t detail_len);

/* serve.c */
size_t serve_sa_len(const struct sockaddr *sa);

#endif
