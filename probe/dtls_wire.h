/*
 * dtls_wire.h - reading DTLS records from the outside, for the handshake
 * timeline: which handshake messages a datagram carries, which alert, and
 * which versions a ClientHello offers. OpenSSL does the real work; this is
 * what lets natprobe say "peer flight 2: ServerHello, Certificate..." and
 * "peer offered DTLS 1.3 and 1.2" without trusting a byte it has not
 * bounded. Pure functions over bytes (np_rd.h).
 *
 * RFC 6347 §4.1 (record layer), §4.2.2 (handshake header), RFC 5246 §7.4.1.2
 * and RFC 8446 §4.2.1 (ClientHello, supported_versions), RFC 9147 §4 (the
 * DTLS 1.3 unified header, recognised but not opened).
 */
#ifndef DTLS_WIRE_H
#define DTLS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 6347 §4.1: type(1) version(2) epoch(2) sequence_number(6) length(2). */
#define DTLS_RECORD_HDR 13
/* RFC 6347 §4.2.2: msg_type(1) length(3) message_seq(2)
 * fragment_offset(3) fragment_length(3). */
#define DTLS_HS_HDR 12

enum {
	DTLS_CT_CHANGE_CIPHER_SPEC = 20,
	DTLS_CT_ALERT = 21,
	DTLS_CT_HANDSHAKE = 22,
	DTLS_CT_APPLICATION_DATA = 23,
	DTLS_CT_HEARTBEAT = 24,
	DTLS_CT_ACK = 26,          /* RFC 9147 §7 */
};

enum {
	DTLS_HS_CLIENT_HELLO = 1,
	DTLS_HS_SERVER_HELLO = 2,
	DTLS_HS_HELLO_VERIFY_REQUEST = 3,
	DTLS_HS_NEW_SESSION_TICKET = 4,
	DTLS_HS_CERTIFICATE = 11,
	DTLS_HS_SERVER_KEY_EXCHANGE = 12,
	DTLS_HS_CERTIFICATE_REQUEST = 13,
	DTLS_HS_SERVER_HELLO_DONE = 14,
	DTLS_HS_CERTIFICATE_VERIFY = 15,
	DTLS_HS_CLIENT_KEY_EXCHANGE = 16,
	DTLS_HS_FINISHED = 20,
};

#define DTLS_VERSION_1_0 0xFEFF
#define DTLS_VERSION_1_2 0xFEFD
#define DTLS_VERSION_1_3 0xFEFC
/* RFC 8446 §4.2.1 */
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define DTLS_MAX_VERSIONS 8

/* One handshake fragment seen in a datagram (plaintext, epoch 0). */
struct dtls_frag {
	uint8_t msg_type;
	uint16_t msg_seq;
	uint32_t length, frag_off, frag_len;
	const uint8_t *body;       /* frag_len bytes, borrowed from the input */
};

#define DTLS_DGRAM_MAX_FRAGS 16

/* What one datagram holds, as far as an observer can tell. */
struct dtls_dgram {
	unsigned records;
	struct dtls_frag frag[DTLS_DGRAM_MAX_FRAGS];
	unsigned nfrag;
	unsigned encrypted_hs;     /* handshake records at epoch >= 1 */
	unsigned ccs, appdata, other, unified;
	int alert;                 /* plaintext alert: level << 8 | desc */
	int has_alert;
	uint16_t record_version;   /* of the first record */
	/* A ClientHello carried whole in this datagram: its versions. */
	int has_hello_versions;
	uint16_t hello_legacy;
	uint16_t hello_versions[DTLS_MAX_VERSIONS];
	unsigned n_hello_versions; /* 0: no supported_versions extension */
	int bad;                   /* NP_E*: where parsing stopped, or 0 */
	size_t bad_at;             /* byte offset of that failure */
};

/* Parses every record of a datagram. Returns 0, or the NP_E* of the first
 * malformed record (d->bad, d->bad_at say where; what came before stays
 * filled in). */
int dtls_wire_parse(const uint8_t *buf, size_t len, struct dtls_dgram *d);

/* ClientHello body (after the 12-byte handshake header): legacy version
 * and, when present, the supported_versions list (at most max kept). */
int dtls_wire_hello_versions(const uint8_t *body, size_t len,
			     uint16_t *legacy, uint16_t *versions, size_t max,
			     size_t *n);

/* "ClientHello", "Finished", "type 99". buf for the unknown case. */
const char *dtls_wire_hs_name(uint8_t t, char *buf, size_t len);
/* "DTLS 1.2", "DTLS 1.3", "0x0304". */
const char *dtls_wire_version_name(uint16_t v, char *buf, size_t len);
/* Comma-separated summary of a datagram: "ServerHello, Certificate(frag
 * 0-1000/1300), ChangeCipherSpec, encrypted handshake". */
void dtls_wire_describe(const struct dtls_dgram *d, char *buf, size_t len);

#endif
