/*
 * stun_client_impl.h - what the two halves of the STUN client share:
 * stun_client.c (context, sockets, sending, transactions) and
 * stun_client_rx.c (receiving: datagrams, ICMP errors, streams, TLS).
 * Not part of the public surface; shared names carry the stunc_ prefix.
 */
#ifndef STUN_CLIENT_IMPL_H
#define STUN_CLIENT_IMPL_H

#include "stun_client.h"
#include "stun_codec.h"

#include <openssl/ssl.h>

/* Datagrams handled per wakeup before others get a turn. */
#define RECV_BUDGET 64
/* Outstanding transactions on one socket. */
#define MAX_TXN 256
/* A stream may buffer this much of an incomplete message. */
#define STREAM_BUF 4096

struct txn {
	struct stun_sock *sock;
	struct stun_req req;
	uint8_t tid[STUN_TID_LEN];
	uint8_t *msg;
	size_t msg_len;
	int attempt;
	int max_tries;
	uint32_t rto_us;
	uint32_t rto0_us;      /* the first RTO, for the final Rm wait */
	uint32_t max_wait_us;
	uint64_t first_us, last_us;
	struct np_timer timer;
	stun_done_cb cb;
	void *arg;
	int in_use;
};

enum conn_state { CONN_READY, CONN_CONNECTING, CONN_TLS, CONN_FAILED };

struct stun_sock {
	struct np_ctx *ctx;
	enum np_transport transport;
	int fd;
	SSL *ssl;
	enum conn_state state;
	struct sockaddr_storage local;
	struct sockaddr_storage peer;   /* stream sockets: who we connected to */
	char server[OBS_NAME * 2];
	char sni[256];
	stun_conn_cb conn_cb;
	void *conn_arg;
	struct np_timer conn_timer;
	uint8_t rbuf[STREAM_BUF];
	size_t rlen;
	uint8_t *wbuf;                  /* stream bytes not yet written */
	size_t wlen;
	struct txn txns[MAX_TXN];
	size_t ntxn;
	stun_stray_cb stray_cb;
	void *stray_arg;
	stun_raw_cb raw_cb;
	void *raw_arg;
	stun_msg_cb msg_cb;
	void *msg_arg;
	enum stun_framing framing;
	/* A callback may free the socket it was called from: the free is
	 * then deferred until the entry point that called it unwinds. */
	int busy;
	int dead;
};

void stunc_obs_base(struct stun_sock *s, struct obs *o, enum obs_kind k,
	      const char *test);
void stunc_txn_finish(struct txn *x, const struct obs *end);
void stunc_conn_fail(struct stun_sock *s, int err, const char *text);
void stunc_fail_all(struct stun_sock *s, enum obs_kind kind, int err,
	      const char *text);
int stunc_stream_flush(struct stun_sock *s);
void stunc_txn_transmit(struct txn *x);
int stunc_tls_ctx_get(struct np_ctx *ctx, SSL_CTX **out);
void stunc_update_local(struct stun_sock *s);
void stunc_sock_enter(struct stun_sock *s);
void stunc_sock_leave(struct stun_sock *s);
void stunc_on_io(struct np_loop *loop, int fd, uint32_t ev, void *arg);

#endif
