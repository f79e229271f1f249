/*
 * stun_client.h - STUN client transactions over UDP, TCP and TLS.
 *
 * A stun_sock is one local socket (a UDP socket, or one TCP or TLS
 * connection) on which requests are sent. A transaction retransmits per RFC
 * 8489 §6.2.1 over UDP with the first RTO taken from the measured RTT when
 * one is known, and completes only on a response whose transaction ID
 * matches *and* whose source is the address the request expected. Anything
 * else is recorded in the observation log and never trusted.
 *
 * ICMP errors (IP_RECVERR) end the transactions toward the address they
 * concern, so a closed port is reported as closed, not as a timeout.
 */
#ifndef STUN_CLIENT_H
#define STUN_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"
#include "obs.h"

struct ssl_ctx_st;
struct stun_msg;

/* What every probe of one run shares: the loop, the log, the RTT estimate. */
struct np_ctx {
	struct np_loop *loop;       /* borrowed */
	struct obs_log *log;        /* borrowed */
	struct ssl_ctx_st *tls;     /* client TLS context, created lazily */
	const char *tls_ca;         /* --tls-ca FILE, borrowed */
	/* RFC 6298 estimator fed by every clean (first-try) sample. */
	uint32_t srtt_us, rttvar_us;
	int have_rtt;
	uint32_t rto_initial_us;    /* before any RTT is known (default 250 ms) */
	uint32_t rto_min_us;        /* floor (default 20 ms) */
	uint32_t max_wait_us;       /* give a transaction up after this (3 s) */
	int max_tries;              /* Rc, RFC 8489 default 7 */
	uint32_t rto_max_us;        /* cap on the doubled RTO, 0 for none */
};

void np_ctx_init(struct np_ctx *ctx, struct np_loop *loop,
		 struct obs_log *log);
void np_ctx_dispose(struct np_ctx *ctx);
/* The RTO a new transaction starts with. */
uint32_t np_ctx_rto(const struct np_ctx *ctx);
void np_ctx_rtt_sample(struct np_ctx *ctx, uint32_t rtt_us);
/* Records o (stamped with the loop's time) and returns the stored copy. */
struct obs *np_ctx_record(struct np_ctx *ctx, struct obs *o);

struct stun_sock;

/* What a request asks for. */
struct stun_req {
	uint16_t method;           /* STUN_BINDING, ... */
	struct sockaddr_storage dst;
	/* The source the response must come from; AF_UNSPEC means dst. */
	struct sockaddr_storage expect;
	uint32_t change;           /* CHANGE-REQUEST flags, 0 for none */
	uint16_t response_port;    /* RESPONSE-PORT, 0 for none */
	uint16_t padding;          /* PADDING bytes to add, 0 for none */
	/* Bytes of a comprehension-optional attribute the server ignores:
	 * makes the request (not the response) large. */
	uint16_t filler;
	int fingerprint;           /* add FINGERPRINT */
	/* Pre-encoded attributes (headers and padding included, e.g. built
	 * with stun_enc_* into a scratch message), appended after the ones
	 * above; borrowed during stun_sock_request only. */
	const uint8_t *attrs;
	size_t attrs_len;
	/* The transaction ID to use when tid_set (XOR-PEER-ADDRESS of an IPv6
	 * peer in attrs is XORed with it); a random one otherwise. */
	int tid_set;
	uint8_t tid[12];
	/* Long-term or short-term key (RFC 8489 §9): when key_len > 0 the
	 * request carries MESSAGE-INTEGRITY-SHA256 (integrity_sha256) or
	 * MESSAGE-INTEGRITY, and the response's integrity is checked with the
	 * key: its observation then has err 0 (verified),
	 * NP_ESTUN_NOINTEGRITY or NP_ESTUN_INTEGRITY, and says so in text. */
	uint8_t key[32];
	size_t key_len;
	int integrity_sha256;
	/* Called with the decoded response (borrowed, valid during the call)
	 * and the integrity result just before the done callback, with its
	 * arg, for attributes an observation does not carry. */
	void (*on_msg)(struct stun_sock *s, const struct stun_msg *m,
		       int integrity, void *arg);
	int max_tries;             /* 0: ctx default */
	uint32_t max_wait_us;      /* 0: ctx default */
	char test[OBS_NAME];       /* label for the observations */
};

/* Called once per transaction with the observation that ended it:
 * OBS_RESPONSE (success or error response), OBS_TIMEOUT, OBS_ICMP or
 * OBS_ERROR. The pointer is valid during the call only. */
typedef void (*stun_done_cb)(struct stun_sock *s, const struct obs *end,
			     void *arg);
/* Stream sockets: called once the connection is up (err 0) or failed. */
typedef void (*stun_conn_cb)(struct stun_sock *s, int err, void *arg);

/*
 * Opens a socket of the given transport for the family of server. UDP
 * sockets bind to local (port 0 = any) and are ready at once; TCP and TLS
 * connect to server and call conn_cb. sni (may be NULL) is sent in TLS and
 * used for certificate name checks. server_name labels observations.
 */
int stun_sock_open(struct np_ctx *ctx, enum np_transport t,
		   const struct sockaddr_storage *server,
		   const struct sockaddr_storage *local, const char *sni,
		   const char *server_name, stun_conn_cb conn_cb, void *arg,
		   struct stun_sock **out);
/* Wraps a connected stream socket (an accepted connection: ICE-TCP
 * passive candidates) as a ready TCP stun_sock that now owns fd. */
int stun_sock_adopt(struct np_ctx *ctx, int fd,
		    const struct sockaddr_storage *peer, const char *server_name,
		    struct stun_sock **out);
void stun_sock_free(struct stun_sock *s);
const struct sockaddr_storage *stun_sock_local(const struct stun_sock *s);
int stun_sock_fd(const struct stun_sock *s);
enum np_transport stun_sock_transport(const struct stun_sock *s);
size_t stun_sock_pending(const struct stun_sock *s);

/* Called for every STUN message that matched no transaction of ours
 * (after it is recorded): a request from a peer, a hairpinned probe, a
 * response redirected with RESPONSE-PORT. */
typedef void (*stun_stray_cb)(struct stun_sock *s, const struct obs *o,
			      void *arg);
void stun_sock_set_stray_cb(struct stun_sock *s, stun_stray_cb cb, void *arg);
/* Called for what is not STUN on the socket, and for STUN indications
 * that matched nothing (after they are recorded), with the raw bytes
 * (borrowed for the call): TURN's Data indications and ChannelData
 * (RFC 8656 §11, §12). While it is set, non-STUN datagrams are passed here
 * instead of being recorded as malformed, and a stream accepts ChannelData
 * frames (first byte 0x40-0x4F, 4-byte header, padded to 4, §12.5). */
typedef void (*stun_raw_cb)(struct stun_sock *s, const uint8_t *buf,
			    size_t len, const struct sockaddr_storage *src,
			    void *arg);
void stun_sock_set_raw_cb(struct stun_sock *s, stun_raw_cb cb, void *arg);
/* Called for every well-formed STUN message that matched no transaction
 * of ours, with its bytes and decoded form (borrowed for the call) and
 * where it came from, before anything is recorded: an ICE agent's checks
 * and their responses, whose transactions are its own. Returning 1 takes
 * the message (nothing is recorded, stray and raw callbacks are not
 * called); 0 leaves it to the usual handling. */
typedef int (*stun_msg_cb)(struct stun_sock *s, const uint8_t *buf,
			   size_t len, const struct stun_msg *m,
			   const struct sockaddr_storage *src, void *arg);
void stun_sock_set_msg_cb(struct stun_sock *s, stun_msg_cb cb, void *arg);
/* Sends bytes as they are (an indication, ChannelData): to dst over UDP,
 * on the connection otherwise (queued until it is up). */
int stun_sock_send_raw(struct stun_sock *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_storage *dst);
/* How messages are delimited on a stream: RFC 8489 §6.2.2 (STUN's own
 * length field, the default) or RFC 4571 (16-bit length prefix, ICE-TCP). */
enum stun_framing { STUN_FRAMING_STUN = 0, STUN_FRAMING_RFC4571 = 1 };
void stun_sock_set_framing(struct stun_sock *s, enum stun_framing f);

/* Ends, without waiting, every transaction whose test label starts with
 * prefix: each callback sees an OBS_NOTE "cancelled" (not recorded). */
void stun_sock_cancel(struct stun_sock *s, const char *prefix);
/* Re-times the pending transactions whose label starts with prefix once a
 * better RTT estimate exists (e.g. from TCP to the same server): the RTO
 * restarts from np_ctx_rto(), the next try goes out now, and the whole
 * transaction gives up no later than max_wait_us from now. On a stream
 * socket it only bounds a connection whose SYN is still unanswered. */
void stun_sock_retime(struct stun_sock *s, const char *prefix,
		      uint32_t max_wait_us);
/* IP TTL / IPv6 hop limit for what this socket sends. */
int stun_sock_set_ttl(struct stun_sock *s, int ttl);

/* The comprehension-optional attribute used as filler (unassigned). */
#define STUN_ATTR_NATPROBE_FILLER 0xC0DE

/* Starts a transaction. */
int stun_sock_request(struct stun_sock *s, const struct stun_req *req,
		      stun_done_cb cb, void *arg);

#endif
