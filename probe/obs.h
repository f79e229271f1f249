/*
 * obs.h - the observation log: what the probe saw, as plain timestamped data.
 *
 * Every request sent, response received, retransmission, timeout, ICMP
 * error, unmatched or malformed datagram and connection outcome is one
 * observation. Analyzers read only this log; it is written as JSON lines
 * (--events FILE) and read back (natprobe report --events FILE), so an
 * analysis can be replayed without a network.
 */
#ifndef OBS_H
#define OBS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define OBS_TEXT 256
#define OBS_NAME 48
/* A run's log is bounded: a hostile peer cannot make it grow forever. */
#define OBS_MAX 200000

#define OBS_KIND_MAP(X)                                                       \
	X(SENT, "sent")             /* a request went out (first try) */      \
	X(RETRANSMIT, "retransmit") /* the same request again */              \
	X(RESPONSE, "response")     /* a matching response arrived */         \
	X(TIMEOUT, "timeout")       /* a transaction gave up */               \
	X(ICMP, "icmp")             /* an ICMP error for our socket */        \
	X(UNMATCHED, "unmatched")   /* STUN that matched no transaction */    \
	X(MALFORMED, "malformed")   /* bytes that did not parse */            \
	X(CONNECT, "connect")       /* TCP connected */                       \
	X(TLS, "tls")               /* TLS handshake done */                  \
	X(ERROR, "error")           /* a local failure (resolve, bind...) */  \
	X(NOTE, "note")             /* context: server, parameters, phase */

enum obs_kind {
#define OBS_KIND_ENUM(name, text) OBS_##name,
	OBS_KIND_MAP(OBS_KIND_ENUM)
#undef OBS_KIND_ENUM
	OBS_KIND__COUNT
};

enum np_transport { NP_UDP = 0, NP_TCP = 1, NP_TLS = 2 };

/* Which optional fields of an observation are set. */
enum {
	OBS_HAS_TID = 1 << 0,
	OBS_HAS_LOCAL = 1 << 1,
	OBS_HAS_REMOTE = 1 << 2,
	OBS_HAS_MAPPED = 1 << 3,      /* MAPPED-ADDRESS */
	OBS_HAS_XOR_MAPPED = 1 << 4,  /* XOR-MAPPED-ADDRESS */
	OBS_HAS_ORIGIN = 1 << 5,      /* RESPONSE-ORIGIN */
	OBS_HAS_OTHER = 1 << 6,       /* OTHER-ADDRESS */
	OBS_HAS_ERROR_CODE = 1 << 7,
	OBS_HAS_RTT = 1 << 8,
	OBS_HAS_SOURCE = 1 << 9,      /* where a datagram really came from */
	OBS_HAS_ALTERNATE = 1 << 10,  /* ALTERNATE-SERVER */
	OBS_HAS_CHANGED = 1 << 11,    /* RFC 3489 CHANGED-ADDRESS */
};

struct obs {
	uint64_t seq;          /* 1, 2, ... in order of recording */
	uint64_t t_us;         /* µs since the run started (monotonic) */
	enum obs_kind kind;
	unsigned has;          /* OBS_HAS_* */
	char test[OBS_NAME];   /* which probe: "binding", "nat.map.2", ... */
	char server[OBS_NAME * 2]; /* the server as the user named it */
	enum np_transport transport;
	struct sockaddr_storage local;
	struct sockaddr_storage remote;  /* where we sent / expected from */
	struct sockaddr_storage source;  /* where a datagram really came from */
	uint8_t tid[12];
	uint16_t method;
	uint8_t cls;
	uint16_t attempt;      /* 1 for the first transmission */
	uint32_t rto_us;       /* timer armed after this send */
	uint32_t rtt_us;       /* response: since the first send */
	uint32_t rtt_last_us;  /* response: since the last send (Karn) */
	uint32_t size;         /* bytes on the wire */
	uint32_t change;       /* CHANGE-REQUEST flags sent */
	uint16_t response_port;
	uint16_t padding;      /* PADDING bytes sent */
	struct sockaddr_storage mapped, xor_mapped, origin, other, alternate;
	int error_code;        /* STUN ERROR-CODE, or 0 */
	int err;               /* local failure: NP_E* / -errno, or 0 */
	int icmp_type, icmp_code;
	char software[OBS_NAME * 2];
	char text[OBS_TEXT];   /* reason phrase, error detail or note */
};

struct obs_log {
	struct obs *v;
	size_t n, cap;
	uint64_t start_mono_us;
	uint64_t start_wall_us;
	size_t dropped;        /* observations refused over OBS_MAX */
	char command[16];      /* which command recorded it: "stun", "nat" */
	int family;            /* the family the user required, or 0 */
	FILE *stream;          /* when set, each record is also written here */
	/* When set, called with each record as it is stored (a live view:
	 * the dashboard, a capture annotator). Must not add records. */
	void (*on_add)(const struct obs *o, void *arg);
	void *on_add_arg;
};

void obs_log_init(struct obs_log *log, uint64_t start_mono_us,
		  uint64_t start_wall_us);
void obs_log_dispose(struct obs_log *log);

/* Appends a copy of o, assigning seq; returns the stored record (valid until
 * the next append) or NULL when full or out of memory (counted in
 * log->dropped). */
struct obs *obs_add(struct obs_log *log, const struct obs *o);

const char *obs_kind_name(enum obs_kind k);
int obs_kind_parse(const char *s, enum obs_kind *k);
const char *np_transport_name(enum np_transport t);

/* One observation as one line of JSON (no newline) into buf. */
int obs_to_json(const struct obs *o, char *buf, size_t cap);
/* The header line alone (for streaming with log->stream). */
void obs_log_write_header(const struct obs_log *log, FILE *f);
/* Writes the whole log as JSON lines, a header line first. */
int obs_log_write(const struct obs_log *log, FILE *f);
/* Reads a log written by obs_log_write. On a bad line, returns NP_EJSON and
 * puts "line N: what was wrong" into detail. */
int obs_log_read(struct obs_log *log, FILE *f, char *detail, size_t dlen);

/* "192.0.2.1:3478" / "[2001:db8::1]:3478"; "" for AF_UNSPEC. */
const char *np_addr_str(const struct sockaddr_storage *ss, char *buf,
			size_t len);
/* Parses the form np_addr_str writes. */
int np_addr_parse(const char *s, struct sockaddr_storage *ss);
int np_addr_equal(const struct sockaddr_storage *a,
		  const struct sockaddr_storage *b);
int np_addr_ip_equal(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b);
uint16_t np_addr_port(const struct sockaddr_storage *ss);
socklen_t np_addr_len(const struct sockaddr_storage *ss);

#endif
