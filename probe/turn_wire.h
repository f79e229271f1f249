/*
 * turn_wire.h - the pure parts of the TURN client (RFC 8656): long-term
 * credential state (RFC 8489 §9.2: the 401 challenge, 438 stale nonce,
 * PASSWORD-ALGORITHMS), TURN attribute encoders, and ChannelData framing
 * (RFC 8656 §12). No sockets, no clock: everything here is tested in
 * memory (tests/test_turn_client.c). The machine that sends requests is
 * turn_client.h.
 */
#ifndef TURN_WIRE_H
#define TURN_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun_codec.h"

/* RFC 8656 §12: "The channel number ... MUST be in the range 0x4000
 * through 0x4FFF (inclusive)". */
#define TURN_CHANNEL_MIN 0x4000
#define TURN_CHANNEL_MAX 0x4FFF
/* RFC 8656 §12.4: a 2-byte channel number and a 2-byte length. */
#define TURN_CHANDATA_HDR 4
/* RFC 8656 §18.7: REQUESTED-TRANSPORT carries an IANA protocol number;
 * "this specification only allows the use of codepoint 17 (User Datagram
 * Protocol)". */
#define TURN_PROTO_UDP 17
/* RFC 8656 §18.8 REQUESTED-ADDRESS-FAMILY: 0x01 IPv4, 0x02 IPv6. */
#define TURN_FAMILY_IPV4 0x01
#define TURN_FAMILY_IPV6 0x02
/* RFC 8656 §3.3: "the default lifetime of an allocation is 10 minutes". */
#define TURN_DEFAULT_LIFETIME 600
/* RFC 8656 §9: permissions last 300 s; §12: channel bindings 600 s. */
#define TURN_PERMISSION_LIFETIME 300
#define TURN_CHANNEL_LIFETIME 600

/* Error codes a TURN client meets (RFC 8489 §14.8, RFC 8656 §19). */
enum {
	TURN_ERR_UNAUTHORIZED = 401,
	TURN_ERR_FORBIDDEN = 403,
	TURN_ERR_ALLOCATION_MISMATCH = 437,
	TURN_ERR_STALE_NONCE = 438,
	/* "the server does not support the address family requested" */
	TURN_ERR_ADDRESS_FAMILY = 440,
	TURN_ERR_WRONG_CREDENTIALS = 441,
	TURN_ERR_UNSUPPORTED_TRANSPORT = 442,
	TURN_ERR_PEER_FAMILY_MISMATCH = 443,
	TURN_ERR_QUOTA = 486,
	TURN_ERR_INSUFFICIENT_CAPACITY = 508,
};

int turn_channel_valid(uint16_t ch);

/*
 * ChannelData (RFC 8656 §12.4, §12.5). Encoding writes the header and the
 * data, plus zero padding to 4 bytes when pad is set (required over TCP
 * and TLS, allowed over UDP). Decoding checks the channel range and that
 * the length fits: over a stream the message must be exactly the padded
 * length; over UDP trailing padding is allowed (§12.5: "the ChannelData
 * message length field MUST NOT include the padding bytes").
 */
int turn_chandata_encode(uint16_t ch, const uint8_t *data, size_t len,
			 int pad, uint8_t *buf, size_t cap, size_t *out_len);
int turn_chandata_decode(const uint8_t *buf, size_t len, int stream,
			 uint16_t *ch, const uint8_t **data, size_t *dlen);

/* TURN attributes onto a message being encoded (stun_codec.h). */
int turn_enc_requested_transport(struct stun_enc *w, uint8_t proto);
int turn_enc_requested_family(struct stun_enc *w, int family);
int turn_enc_channel_number(struct stun_enc *w, uint16_t ch);

/*
 * Long-term credentials (RFC 8489 §9.2). The first request goes without
 * them; the 401 gives REALM and NONCE (and maybe PASSWORD-ALGORITHMS:
 * SHA-256 is chosen when offered, MD5 otherwise, §9.2.4); the key is
 * derived and every later request carries USERNAME, REALM, NONCE and
 * MESSAGE-INTEGRITY (-SHA256 with the SHA-256 algorithm). A 438 gives a
 * new nonce, tried once per request.
 */
struct turn_auth {
	char user[128];
	char password[128];
	char realm[256];
	char nonce[256];
	int ready;                 /* realm and nonce known, key derived */
	uint16_t alg;              /* PASSWORD-ALGORITHM chosen, 0 if none */
	uint8_t algs[64];          /* PASSWORD-ALGORITHMS as received */
	size_t algs_len;
	uint8_t key[32];
	size_t key_len;
};

enum turn_auth_verdict {
	TURN_AUTH_FAIL = 0,        /* report the error as the server gave it */
	TURN_AUTH_RETRY = 1,       /* send the request again, with credentials */
};

void turn_auth_init(struct turn_auth *a, const char *user,
		    const char *password);
/*
 * Takes an error response to a request that was sent with (had_creds) or
 * without credentials, and the number of 438 retries it already had.
 * 401 without credentials: learns realm, nonce and algorithm, RETRY.
 * 401 with them: the credentials are wrong, FAIL. 438: takes the new
 * nonce, RETRY if stale_tries is 0. Anything else: FAIL. A 401 or 438
 * without REALM/NONCE is FAIL. why (may be NULL) gets a sentence.
 */
enum turn_auth_verdict turn_auth_on_error(struct turn_auth *a,
					  const struct stun_msg *m,
					  int had_creds, int stale_tries,
					  char *why, size_t why_len);
/* Appends USERNAME, REALM, NONCE (and PASSWORD-ALGORITHMS with
 * PASSWORD-ALGORITHM when the server offered them); integrity is added by
 * whoever finishes the message, with a->key. */
int turn_auth_encode(const struct turn_auth *a, struct stun_enc *w);

#endif
