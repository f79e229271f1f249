/*
 * stun_codec.h - STUN/TURN message encoding and decoding.
 *
 * RFC 8489 (STUN) header and attributes, with the RFC 5389/3489 forms that
 * NAT classification still meets (MAPPED-ADDRESS, a header without the magic
 * cookie); RFC 5780 NAT behaviour discovery attributes; RFC 8656 TURN
 * attributes; RFC 8445 ICE attributes. Credentials (RFC 8489 §9): short-term
 * and long-term keys, MESSAGE-INTEGRITY (HMAC-SHA1) and
 * MESSAGE-INTEGRITY-SHA256 through OpenSSL, FINGERPRINT (CRC-32 ^ 0x5354554e).
 *
 * Decoding reads through one bounded reader (np_rd.h) and never writes to
 * the input. A decoded message borrows the input buffer: copy what must
 * outlive it.
 */
#ifndef STUN_CODEC_H
#define STUN_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TID_LEN 12
/* RFC 8489 §14.7: "the FINGERPRINT attribute ... XOR'ed with 0x5354554e" */
#define STUN_FINGERPRINT_XOR 0x5354554eu
/* A cap on what one message may carry; real messages have under 20. */
#define STUN_MAX_ATTRS 48
/* Largest message we build or accept over UDP (RFC 8489 §6.1 asks for the
 * path MTU; PADDING tests go up to a full IPv4 datagram). */
#define STUN_MAX_MSG 65535

/* RFC 8489 §5: message classes, as two bits C1 C0. */
enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

/* Methods: RFC 8489 §18.2, RFC 8656 §17, RFC 6062 §6. */
enum stun_method {
	STUN_BINDING = 0x001,
	TURN_ALLOCATE = 0x003,
	TURN_REFRESH = 0x004,
	TURN_SEND = 0x006,
	TURN_DATA = 0x007,
	TURN_CREATE_PERMISSION = 0x008,
	TURN_CHANNEL_BIND = 0x009,
	TURN_CONNECT = 0x00a,
	TURN_CONNECTION_BIND = 0x00b,
	TURN_CONNECTION_ATTEMPT = 0x00c,
};

/* Attributes. 0x0000-0x7FFF are comprehension-required. */
enum stun_attr_type {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_RESPONSE_ADDRESS = 0x0002,      /* RFC 3489, obsolete */
	STUN_ATTR_CHANGE_REQUEST = 0x0003,        /* RFC 5780 §7.2 */
	STUN_ATTR_SOURCE_ADDRESS = 0x0004,        /* RFC 3489 */
	STUN_ATTR_CHANGED_ADDRESS = 0x0005,       /* RFC 3489 */
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_CHANNEL_NUMBER = 0x000C,        /* RFC 8656 */
	STUN_ATTR_LIFETIME = 0x000D,
	STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
	STUN_ATTR_DATA = 0x0013,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
	STUN_ATTR_EVEN_PORT = 0x0018,
	STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
	STUN_ATTR_DONT_FRAGMENT = 0x001A,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
	STUN_ATTR_USERHASH = 0x001E,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_RESERVATION_TOKEN = 0x0022,
	STUN_ATTR_PRIORITY = 0x0024,              /* RFC 8445 */
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_PADDING = 0x0026,               /* RFC 5780 §7.6 */
	STUN_ATTR_RESPONSE_PORT = 0x0027,         /* RFC 5780 §7.5 */
	STUN_ATTR_CONNECTION_ID = 0x002A,         /* RFC 6062 */
	STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
	STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
	STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	STUN_ATTR_ICMP = 0x8004,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	STUN_ATTR_TRANSACTION_TRANSMIT_COUNTER = 0x8025,
	STUN_ATTR_CACHE_TIMEOUT = 0x8027,         /* RFC 5780 §7.7 */
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802A,
	STUN_ATTR_RESPONSE_ORIGIN = 0x802B,       /* RFC 5780 §7.3 */
	STUN_ATTR_OTHER_ADDRESS = 0x802C,         /* RFC 5780 §7.4 */
};

/* RFC 5780 §7.2 CHANGE-REQUEST flags. */
#define STUN_CHANGE_IP 0x4u
#define STUN_CHANGE_PORT 0x2u

/* RFC 8489 §18.5 password algorithms. */
#define STUN_PWALG_MD5 0x0001
#define STUN_PWALG_SHA256 0x0002

struct stun_attr {
	uint16_t type;
	uint16_t len;          /* value length, without padding */
	const uint8_t *val;    /* borrowed from the decoded buffer */
	size_t off;            /* offset of the attribute header in the message */
};

struct stun_msg {
	uint16_t method;       /* 12-bit method */
	uint8_t cls;           /* enum stun_class */
	int classic;           /* 1: no magic cookie (RFC 3489 peer) */
	uint8_t tid[STUN_TID_LEN]; /* for classic messages: the last 12 of 16 */
	uint8_t tid3489[16];   /* classic: the full 128-bit id; else cookie+tid */
	uint16_t length;       /* header length field (bytes after the header) */
	const uint8_t *buf;    /* borrowed: the whole message */
	size_t len;            /* STUN_HEADER_LEN + length */
	size_t nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
	/* Unknown comprehension-required types seen (for a 420 response),
	 * each listed once; at most 8 are kept. */
	size_t nunknown;
	uint16_t unknown[8];
	/* Attributes after MESSAGE-INTEGRITY(-SHA256) that RFC 8489 §14.5 and
	 * §14.6 say to ignore: bounds-checked, counted here, not stored. */
	size_t nignored;
};

/*
 * Decode options. A server decoding requests wants unknown
 * comprehension-required attributes reported (it must answer 420), a
 * client wants them to reject the message: both see them in m->unknown.
 */
enum {
	STUN_DEC_ALLOW_UNKNOWN = 1 << 0, /* don't fail on unknown required attrs */
	STUN_DEC_ALLOW_CLASSIC = 1 << 1, /* accept RFC 3489 (no magic cookie) */
};

/*
 * Quick demultiplexing test (RFC 7983 §7: first byte 0..3, and for RFC 5389
 * messages the magic cookie). Returns 1 if buf looks like STUN.
 */
int stun_is_stun(const uint8_t *buf, size_t len);

/*
 * Decodes one message that must fill buf exactly (a datagram or a framed
 * TCP message). On failure returns a negative NP_ESTUN_* code naming the
 * reason and, when detail is not NULL, writes a sentence with the numbers
 * (e.g. "attribute 0x0020 at offset 28 claims 12 bytes, 8 remain"); m then
 * holds what was read before the failure (m->unknown in particular).
 * Known attributes must have their RFC's value length (and, for addresses,
 * family 0x01 or 0x02), else NP_ESTUN_BADATTR.
 */
int stun_decode(const uint8_t *buf, size_t len, unsigned flags,
		struct stun_msg *m, char *detail, size_t detail_len);

/* For TCP framing: given the first bytes of a stream, the total length of
 * the STUN message there (20 + length field), or 0 if fewer than 4 bytes. */
size_t stun_frame_len(const uint8_t *buf, size_t len);

/* First attribute of a type, or NULL. */
const struct stun_attr *stun_msg_find(const struct stun_msg *m, uint16_t type);

/*
 * Attribute readers. Each checks the value's length and form and returns
 * NP_ESTUN_BADATTR rather than reading past it. A NULL attribute returns
 * NP_ENOTFOUND, so stun_attr_u32(stun_msg_find(m, type), &v) reads an
 * optional attribute in one call.
 */
/* MAPPED-ADDRESS form (also RESPONSE-ORIGIN, OTHER-ADDRESS, ALTERNATE-SERVER,
 * CHANGED-ADDRESS, SOURCE-ADDRESS). */
int stun_attr_addr(const struct stun_attr *a, struct sockaddr_storage *out);
/* XOR-MAPPED-ADDRESS form (also XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS). */
int stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
		       struct sockaddr_storage *out);
int stun_attr_u32(const struct stun_attr *a, uint32_t *v);
int stun_attr_u64(const struct stun_attr *a, uint64_t *v);
/* ERROR-CODE: code 300..699 and the reason phrase (borrowed, not NUL-ended). */
int stun_attr_error(const struct stun_attr *a, int *code, const char **reason,
		    size_t *reason_len);
/* UNKNOWN-ATTRIBUTES: stores up to max types in *n; the rest are dropped. */
int stun_attr_unknown(const struct stun_attr *a, uint16_t *types, size_t max,
		      size_t *n);
/* CHANGE-REQUEST flags (STUN_CHANGE_IP | STUN_CHANGE_PORT). */
int stun_attr_change_request(const struct stun_attr *a, uint32_t *flags);
/* RESPONSE-PORT (RFC 5780 §7.5: 16-bit port, 16 bits padding). */
int stun_attr_response_port(const struct stun_attr *a, uint16_t *port);
/* PASSWORD-ALGORITHMS: up to max algorithm numbers in *n (every entry is
 * checked, even past max). */
int stun_attr_password_algorithms(const struct stun_attr *a, uint16_t *algs,
				  size_t max, size_t *n);

/*
 * Integrity (RFC 8489 §14.5, §14.6, §14.7). Checks never write to the
 * message: they hash a copy whose length field is patched.
 * stun_check_fingerprint: 0, NP_ENOTFOUND (absent) or NP_ESTUN_FINGERPRINT.
 * stun_check_integrity: checks MESSAGE-INTEGRITY-SHA256 when present, else
 * MESSAGE-INTEGRITY; 0, NP_ESTUN_NOINTEGRITY or NP_ESTUN_INTEGRITY.
 */
int stun_check_fingerprint(const struct stun_msg *m);
int stun_check_integrity(const struct stun_msg *m, const uint8_t *key,
			 size_t key_len);

/*
 * Keys (RFC 8489 §9.1.2, §9.2.2). Short-term: the OpaqueString-prepared
 * password (we take it as given, ASCII). Long-term: MD5(user ":" realm ":"
 * pass) for algorithm MD5 (16 bytes), SHA-256 of the same for SHA256 (32).
 * Return the key length, or a negative code.
 */
int stun_key_short(const char *password, uint8_t *key, size_t key_cap);
int stun_key_long(const char *user, const char *realm, const char *password,
		  uint16_t alg, uint8_t *key, size_t key_cap);

/*
 * Encoding. stun_enc_begin writes the header and sets w->pad to 0 (set it
 * afterwards for another padding byte); each stun_enc_* appends one
 * attribute, padded to 4 bytes with w->pad, and keeps the header length
 * current. The first failure sticks in w->err (NP_ENOSPACE, or NP_EINVAL
 * for an impossible value), so a run of appends may be checked once at the
 * end. Values are written as given, so a tester can build malformed ones.
 */
struct stun_enc {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	uint8_t pad;           /* padding byte; RFC 5769 samples use 0x20 */
	uint8_t tid[STUN_TID_LEN];
};

int stun_enc_begin(struct stun_enc *w, uint8_t *buf, size_t cap,
		   uint16_t method, uint8_t cls, const uint8_t tid[STUN_TID_LEN]);
int stun_enc_attr(struct stun_enc *w, uint16_t type, const void *val,
		  size_t len);
int stun_enc_u32(struct stun_enc *w, uint16_t type, uint32_t v);
int stun_enc_u64(struct stun_enc *w, uint16_t type, uint64_t v);
int stun_enc_str(struct stun_enc *w, uint16_t type, const char *s);
int stun_enc_addr(struct stun_enc *w, uint16_t type,
		  const struct sockaddr *sa);
int stun_enc_xor_addr(struct stun_enc *w, uint16_t type,
		      const struct sockaddr *sa);
int stun_enc_error(struct stun_enc *w, int code, const char *reason);
int stun_enc_unknown(struct stun_enc *w, const uint16_t *types, size_t n);
int stun_enc_change_request(struct stun_enc *w, uint32_t flags);
int stun_enc_response_port(struct stun_enc *w, uint16_t port);
/* MESSAGE-INTEGRITY (HMAC-SHA1, 20 bytes) over everything so far. */
int stun_enc_integrity(struct stun_enc *w, const uint8_t *key, size_t key_len);
/* MESSAGE-INTEGRITY-SHA256 (full 32 bytes). */
int stun_enc_integrity_sha256(struct stun_enc *w, const uint8_t *key,
			      size_t key_len);
int stun_enc_fingerprint(struct stun_enc *w);
/* Sets *len to the finished length and returns 0, or returns w->err when
 * something did not fit. */
int stun_enc_end(struct stun_enc *w, size_t *len);

/* Name of a method, class, attribute ("XOR-MAPPED-ADDRESS", "0x7f01"...).
 * The returned pointer is to static text or to buf. */
const char *stun_method_name(uint16_t method);
const char *stun_class_name(uint8_t cls);
const char *stun_attr_name(uint16_t type, char *buf, size_t len);

/* A fresh random transaction ID (OpenSSL RAND_bytes). */
int stun_tid_random(uint8_t tid[STUN_TID_LEN]);

#endif
