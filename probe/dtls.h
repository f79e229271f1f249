/*
 * dtls.h - DTLS 1.2 with use_srtp (RFC 5764) over any datagram carrier.
 *
 * The machine owns no socket: it takes datagrams (dtls_feed), hands the
 * datagrams it wants sent to a callback, and arms its retransmission timer
 * on the caller's event loop. So the same object runs over a plain UDP
 * socket, ICE's selected pair or a TURN allocation. OpenSSL 3.0 does the
 * protocol through a memory BIO for input and a BIO that forwards each
 * flushed write as one datagram.
 *
 * Authentication is the WebRTC one (RFC 5763 §5, RFC 8122 §5): both sides
 * show a self-signed certificate and the peer's is accepted ONLY when its
 * digest equals the fingerprint from the remote SDP. A mismatch fails the
 * handshake and is reported as a possible man in the middle.
 *
 * Every step is an observation (obs.h) labelled cfg->label ("dtls"):
 *   sent       "dtls.flight"  our flight N: messages, datagrams, bytes
 *   retransmit "dtls.flight"  the same flight again (attempt = try number)
 *   response   "dtls.recv"    a peer datagram: messages, peer flight M,
 *                             whether it is a peer retransmission
 *   malformed  "dtls.recv"    bytes that are not DTLS records
 *   note       "dtls.alert"   an alert sent or received, with description
 *   note       "dtls.hello"   the versions the peer's ClientHello offers
 *   tls        "dtls"         connected (version, cipher, SRTP profile,
 *                             rtt_us = handshake time) or failed (err set,
 *                             text = where it stopped and the likely cause)
 *   timeout    "dtls"         the hard deadline passed
 */
#ifndef DTLS_H
#define DTLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stun_client.h"

/* IANA "DTLS-SRTP Protection Profiles" (RFC 5764 §4.1.2, RFC 7714 §14.2). */
enum dtls_srtp_profile {
	DTLS_SRTP_NONE = 0,
	DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001,
	DTLS_SRTP_AES128_CM_SHA1_32 = 0x0002,
	DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,
	DTLS_SRTP_AEAD_AES_256_GCM = 0x0008,
};

/* The four profiles, in OpenSSL's names and our order of preference. */
#define DTLS_SRTP_ALL "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:" \
	"SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"

/* OpenSSL's name ("SRTP_AES128_CM_SHA1_80"), or NULL when unknown. */
const char *dtls_srtp_profile_name(int profile);
/* Master key and salt lengths of a profile (RFC 5764 §4.1.2, RFC 7714
 * §12); NP_EINVAL for an unknown one. */
int dtls_srtp_profile_lengths(int profile, size_t *key_len, size_t *salt_len);

/* RFC 5764 §4.2: the exported material is client_write_SRTP_master_key,
 * server_write_SRTP_master_key, client_write_SRTP_master_salt,
 * server_write_SRTP_master_salt, in that order. */
#define DTLS_SRTP_KEY_MAX 32
#define DTLS_SRTP_SALT_MAX 14
struct dtls_srtp_keys {
	int profile;                    /* enum dtls_srtp_profile */
	size_t key_len, salt_len;
	uint8_t client_key[DTLS_SRTP_KEY_MAX], server_key[DTLS_SRTP_KEY_MAX];
	uint8_t client_salt[DTLS_SRTP_SALT_MAX];
	uint8_t server_salt[DTLS_SRTP_SALT_MAX];
	int is_client;                  /* our role: our keys are client_* */
	uint8_t material[2 * (DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX)];
	size_t material_len;            /* as exported, unsplit */
};

/* A per-run identity: ECDSA P-256 key and a self-signed certificate. */
struct dtls_cert;
int dtls_cert_new(struct dtls_cert **out);
void dtls_cert_free(struct dtls_cert *c);
/* SDP form, "AB:CD:...", of the sha-256 digest (RFC 8122 §5). */
const char *dtls_cert_fingerprint(const struct dtls_cert *c);

/* RFC 8122 hash names ("sha-256", "sha-1", "sha-384", "sha-512"). Parses
 * "AB:CD:.." (either case) into out; NP_EINVAL when it does not match
 * the hash's length. */
int dtls_fingerprint_parse(const char *alg, const char *text, uint8_t *out,
			   size_t cap, size_t *len);

enum dtls_role { DTLS_ROLE_CLIENT = 0, DTLS_ROLE_SERVER = 1 };

enum dtls_state {
	DTLS_STATE_NEW = 0,
	DTLS_STATE_HANDSHAKING,
	DTLS_STATE_CONNECTED,
	DTLS_STATE_FAILED,
	DTLS_STATE_CLOSED,        /* close_notify after connecting */
};

struct dtls_config {
	enum dtls_role role;          /* a=setup: active = client */
	const char *fp_alg;           /* remote a=fingerprint hash, "sha-256" */
	const char *fp;               /* remote a=fingerprint value */
	const char *profiles;         /* OpenSSL list; NULL = DTLS_SRTP_ALL */
	unsigned mtu;                 /* largest datagram; 0 = 1200 */
	uint32_t deadline_us;         /* whole handshake; 0 = 10 s */
	const char *label;            /* observation prefix; NULL = "dtls" */
	FILE *keylog;                 /* SSLKEYLOGFILE lines, borrowed */
	int require_srtp;             /* fail when use_srtp is not agreed */
};

/* What the owner hears. ev is valid during the call only; the callback
 * must not free d (do it from the loop afterwards). */
enum dtls_event_kind {
	DTLS_EV_CONNECTED,
	DTLS_EV_FAILED,               /* reason says where and why */
	DTLS_EV_DATA,                 /* application data (SCTP later) */
	DTLS_EV_CLOSED,
};
struct dtls_event {
	enum dtls_event_kind kind;
	int err;                      /* NP_ETLS, NP_ETIMEOUT on failure */
	int mitm;                     /* failure: fingerprint mismatch */
	const char *reason;
	const uint8_t *data;
	size_t len;
};

struct dtls;
/* Sends one datagram; returns 0 or a negative error (recorded, the
 * handshake goes on: the retransmission timer covers losses). */
typedef int (*dtls_send_fn)(void *arg, const uint8_t *buf, size_t len);
typedef void (*dtls_event_fn)(struct dtls *d, const struct dtls_event *ev,
			      void *arg);

/* Checks cfg (the fingerprint must parse) and sets up OpenSSL; nothing is
 * sent before dtls_start. cert and ctx are borrowed for d's lifetime. */
int dtls_new(struct np_ctx *ctx, const struct dtls_cert *cert,
	     const struct dtls_config *cfg, dtls_send_fn send,
	     dtls_event_fn on_event, void *arg, struct dtls **out);
/* Client: sends the ClientHello. Server: waits for one. Both arm the
 * hard deadline. */
int dtls_start(struct dtls *d);
/* One received datagram (RFC 7983: first byte 20-63). A server that was
 * not started yet starts on it; datagrams after the end are ignored. */
int dtls_feed(struct dtls *d, const uint8_t *buf, size_t len);
/* Application data once connected. */
int dtls_write(struct dtls *d, const uint8_t *buf, size_t len);
/* Sends close_notify and ends the session (the peer hears DTLS_EV_CLOSED
 * if it is natprobe). */
int dtls_close(struct dtls *d);
enum dtls_state dtls_state(const struct dtls *d);
/* NP_EINVAL unless connected with an SRTP profile agreed. */
int dtls_srtp_keys(const struct dtls *d, struct dtls_srtp_keys *k);
void dtls_free(struct dtls *d);

/* The run's figures, for the owner and the tests. */
struct dtls_info {
	char version[16];             /* "DTLSv1.2" */
	char cipher[64];
	int profile;                  /* enum dtls_srtp_profile */
	uint16_t peer_offered[8];     /* ClientHello supported_versions, or */
	unsigned n_peer_offered;      /* its legacy version alone */
	uint64_t handshake_us;
	unsigned flights_sent, flights_received;
	unsigned retransmits, peer_retransmits;
	unsigned datagrams_sent, datagrams_received, malformed;
	size_t largest_sent;
	unsigned alerts_sent, alerts_received;
	int mitm;
	char reason[384];             /* on failure */
};
const struct dtls_info *dtls_get_info(const struct dtls *d);

#endif
