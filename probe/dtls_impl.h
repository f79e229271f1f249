/*
 * dtls_impl.h - what dtls.c (the machine), dtls_timeline.c (observations
 * and diagnosis) and dtls_cert.c share. Not a public header.
 */
#ifndef DTLS_IMPL_H
#define DTLS_IMPL_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dtls.h"
#include "dtls_wire.h"
#include "evloop.h"

struct dtls_cert {
	EVP_PKEY *key;
	X509 *x509;
	char fp[EVP_MAX_MD_SIZE * 3 + 1];
};

const EVP_MD *dtls_fp_md(const char *alg);
void dtls_fp_format(const uint8_t *d, size_t n, char *buf, size_t cap);

/* Caps on what a peer can make us record. */
#define DTLS_MAX_RECV_OBS 48
#define DTLS_MAX_SEEN 64
/* A ClientHello split over datagrams (a large key share) is put back
 * together up to this size to read its versions. */
#define DTLS_HELLO_MAX 4096

/* Handshake fragments already seen, to tell a retransmission. */
struct dtls_seen {
	struct { uint16_t seq; uint32_t off; } v[DTLS_MAX_SEEN];
	unsigned n;
};

struct dtls {
	struct np_ctx *ctx;                 /* borrowed */
	const struct dtls_cert *cert;       /* borrowed */
	enum dtls_role role;
	char label[OBS_NAME / 2];
	unsigned mtu;
	uint32_t deadline_us;
	int require_srtp;
	FILE *keylog;                       /* borrowed */
	dtls_send_fn send;
	dtls_event_fn on_event;
	void *arg;

	SSL_CTX *sctx;
	SSL *ssl;
	BIO *rbio;                          /* memory BIO: one datagram in */
	BIO *wbio;                          /* each write is one datagram out */
	BIO_METHOD *meth;

	const EVP_MD *md;                   /* of the expected fingerprint */
	char fp_alg[16];                    /* its RFC 8122 name */
	char profiles[128];                 /* what we offer */
	uint8_t expect[EVP_MAX_MD_SIZE];
	size_t expect_len;
	char expect_text[EVP_MAX_MD_SIZE * 3 + 1];
	char got_text[EVP_MAX_MD_SIZE * 3 + 1];

	enum dtls_state state;
	struct np_timer rtx, deadline;
	uint64_t start_us;
	uint32_t rto0_us;                   /* first retransmission timeout */

	/* The burst of datagrams written during one entry (start, feed,
	 * timer): one flight, or one retransmission of it. */
	int in_timeout;
	unsigned burst_n;
	size_t burst_bytes, burst_largest;
	unsigned burst_hs, burst_alerts;
	unsigned burst_frags, burst_new;    /* plaintext fragments, unseen */
	char burst_desc[160];

	/* Our last flight, for the diagnosis. */
	unsigned flight;                    /* number of our last flight */
	unsigned flight_tries;
	size_t flight_bytes, flight_largest;
	unsigned flight_dgrams;
	char flight_desc[160];

	/* The peer's side. */
	unsigned peer_flight;
	int sent_since_recv;
	struct dtls_seen seen;              /* peer fragments */
	struct dtls_seen sent;              /* ours */
	unsigned recv_obs;
	/* Peer handshake messages by message_seq (< DTLS_MAX_SEEN): length
	 * and bytes received, to tell an incomplete flight at the end. */
	uint32_t peer_len[DTLS_MAX_SEEN], peer_got[DTLS_MAX_SEEN];
	uint64_t peer_seen_seq;             /* bit i: message i seen */
	int peer_max_seq;                   /* -1: none yet */
	uint8_t hello[DTLS_HELLO_MAX];
	uint8_t hello_have[DTLS_HELLO_MAX / 8];
	uint32_t hello_len, hello_missing;
	char last_alert_recv[64], last_alert_sent[64];
	char ssl_error[256];

	struct dtls_info info;
};

/* dtls_timeline.c */
void dtl_obs(struct dtls *d, struct obs *o, enum obs_kind k,
	     const char *suffix);
void dtl_burst_add(struct dtls *d, const uint8_t *buf, size_t len);
void dtl_burst_end(struct dtls *d);
void dtl_recv(struct dtls *d, const uint8_t *buf, size_t len);
void dtl_alert(struct dtls *d, int sent, int value);
/* Where the handshake stopped and the likely cause, into d->info.reason. */
void dtl_diagnose(struct dtls *d, int timed_out);
void dtl_connected(struct dtls *d);

#endif
