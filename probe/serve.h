/*
 * serve.h - natprobe's STUN responder: RFC 8489 Binding over UDP, TCP and
 * TLS, with the RFC 5780 NAT behaviour discovery attributes (CHANGE-REQUEST,
 * RESPONSE-ORIGIN, OTHER-ADDRESS, RESPONSE-PORT, PADDING).
 *
 * Two layers:
 *  - serve_respond(): the pure request -> response function. No sockets, no
 *    clock; it says which of the server's sockets the answer leaves from and
 *    where it goes. serve_rl_*: the per-source-IP token bucket, time passed
 *    in by the caller. Both are tested without a network (tests/test_serve.c).
 *  - struct serve: the sockets (one UDP socket per (address, port) pair, TCP
 *    and TLS listeners and their connections) driven by the one event loop.
 *
 * Nothing here prints; the CLI (cli_serve.c) does.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"

/* At most two addresses per family: two give the full RFC 5780 set. */
#define SERVE_MAX_IPS 4
/* One socket per (address, primary/alternate port) pair. */
#define SERVE_MAX_LOCAL (SERVE_MAX_IPS * 2)
/* What a response may add to the size of its request (see serve_respond).
 * 96 bytes fits every attribute we send to a 20-byte IPv4 request, and all
 * but SOFTWARE to a 20-byte IPv6 one. */
#define SERVE_MAX_GROWTH 96
/* Largest UDP payload (IPv6 without jumbograms); also our receive slot. */
#define SERVE_MAX_DGRAM 65527
#define SERVE_SOFTWARE "natprobe/0.1"

enum serve_transport {
	SERVE_UDP = 0,
	SERVE_TCP = 1,
	SERVE_TLS = 2,
};

struct serve_counters {
	uint64_t received;       /* datagrams and framed TCP/TLS messages */
	uint64_t requests;       /* well-formed Binding requests */
	uint64_t responses;      /* success and error responses built */
	uint64_t sent;           /* responses the kernel accepted */
	uint64_t send_errors;    /* responses the kernel refused (or EAGAIN) */
	uint64_t change_ip;      /* success responses by CHANGE-REQUEST kind */
	uint64_t change_port;
	uint64_t change_both;
	uint64_t response_port;  /* success responses sent to RESPONSE-PORT */
	uint64_t padding;        /* success responses carrying PADDING */
	uint64_t err420;         /* 420 Unknown Attribute */
	uint64_t err400;         /* 400 Bad Request */
	uint64_t malformed;      /* not STUN, or failed to decode: dropped */
	uint64_t unsupported;    /* requests of other methods: dropped */
	uint64_t ignored;        /* responses and indications: dropped */
	uint64_t rate_limited;   /* over the per-source budget: dropped */
	uint64_t truncated;      /* datagrams larger than our receive slot */
	uint64_t tcp_conns;      /* TCP and TLS connections accepted */
	uint64_t tcp_rejected;   /* refused: connection table full or rate */
	uint64_t tcp_closed_bad; /* closed for garbage, oversize or overflow */
	uint64_t tcp_idle;       /* closed for idleness */
	uint64_t tls_ok;         /* TLS handshakes completed */
	uint64_t tls_failed;
	uint64_t bytes_in;
	uint64_t bytes_out;
};

/* One listen address, and the index of the other address of its family
 * (-1 when it has none: then there is no alternate IP). */
struct serve_ip {
	struct sockaddr_storage addr; /* port ignored */
	int peer;
};

/*
 * What serve_respond needs to know about the server. Local index
 * i = 2 * ip + alt names the socket bound to ip[ip] and port[alt] for the
 * transport at hand (alt 0: primary, 1: alternate).
 */
struct serve_cfg {
	size_t nip;
	struct serve_ip ip[SERVE_MAX_IPS];
	uint16_t port[3][2];    /* [transport][primary, alternate] */
	const char *software;   /* SOFTWARE value, or NULL for none */
	size_t max_growth;      /* 0: SERVE_MAX_GROWTH */
};

/* Fills cfg->ip[].peer: each address's peer is the other one of its family. */
void serve_cfg_pair(struct serve_cfg *cfg);

/* The request as it arrived. */
struct serve_req {
	const uint8_t *buf;
	size_t len;
	const struct sockaddr *src; /* the sender (UDP) or the TCP peer */
	int local_idx;              /* socket it arrived on, 2 * ip + alt */
	int transport;              /* enum serve_transport */
};

/* Where the response goes. */
struct serve_out {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int send_idx;                 /* socket to send from, 2 * ip + alt */
	struct sockaddr_storage dst;  /* UDP destination */
};

/*
 * Answers one STUN message. Returns 1 with out filled when a response must
 * be sent, 0 when the message is dropped (the reason is counted in c), or a
 * negative NP_E... code for our own failure (out->cap too small).
 *
 * A response is never more than req->len + cfg->max_growth bytes, and when
 * the request carries PADDING the response grows to at most the request's
 * own size: a client wanting large responses sends large requests.
 */
int serve_respond(const struct serve_cfg *cfg, const struct serve_req *req,
		  struct serve_out *out, struct serve_counters *c);

/*
 * Per-source-IP token bucket in a fixed table: SERVE_RL_SETS sets of
 * SERVE_RL_WAYS entries, a source hashes to one set and evicts the entry
 * seen longest ago when the set is full. Work per packet is bounded and
 * memory never grows.
 */
#define SERVE_RL_SETS 1024
#define SERVE_RL_WAYS 8

struct serve_rl_entry {
	uint8_t key[17];      /* family byte + 16 address bytes; [0]=0: free */
	uint64_t tokens;      /* millionths of a token */
	uint64_t last_us;
};

struct serve_rl {
	uint32_t rate;        /* tokens per second; 0: unlimited */
	uint32_t burst;       /* bucket size in tokens */
	uint64_t seed;        /* hash key, so sources cannot aim at one set */
	uint64_t evictions;
	struct serve_rl_entry *e; /* SERVE_RL_SETS * SERVE_RL_WAYS */
};

int serve_rl_init(struct serve_rl *rl, uint32_t rate, uint32_t burst,
		  uint64_t seed);
void serve_rl_dispose(struct serve_rl *rl);
/* 1 if a packet from src may be handled at now_us (and takes a token). */
int serve_rl_allow(struct serve_rl *rl, const struct sockaddr *src,
		   uint64_t now_us);

/* The running server. */
struct serve_opts {
	size_t nip;
	struct sockaddr_storage ip[SERVE_MAX_IPS]; /* specific addresses */
	uint16_t port;          /* primary; alternate is port + 1 */
	uint16_t tls_port;
	int udp, tcp, tls;      /* which transports to open */
	const char *cert_file;  /* PEM; NULL: an ephemeral self-signed cert */
	const char *key_file;
	uint32_t rate;          /* per source IP per second; 0: unlimited */
	uint32_t burst;         /* 0: 2 * rate */
	int no_gso;             /* 1: one send per datagram, never UDP GSO */
};

struct serve;

/*
 * Opens every socket and registers it with loop. On failure returns a
 * negative code and writes into detail which socket failed, e.g.
 * "127.0.0.1:3478/udp: Address already in use".
 */
int serve_new(struct serve **out, struct np_loop *loop,
	      const struct serve_opts *o, char *detail, size_t detail_len);
void serve_free(struct serve *s);

const struct serve_counters *serve_counters(const struct serve *s);
/* The listening sockets, for the start-up line. */
size_t serve_nsockets(const struct serve *s);
int serve_socket_info(const struct serve *s, size_t i, int *transport,
		      struct sockaddr_storage *addr);
/* "udp", "tcp", "tls". */
const char *serve_transport_name(int transport);
/* "192.0.2.1:3478" or "[2001:db8::1]:3478". */
void serve_sa_format(const struct sockaddr *sa, char *buf, size_t len);

#endif
