/*
 * dtls.c - the DTLS-SRTP machine (see dtls.h): OpenSSL 3.0 behind two BIOs,
 * the fingerprint check, the retransmission timer on natprobe's loop, the
 * hard deadline and keying material export (RFC 5764 §4.2).
 *
 * Datagram boundaries: OpenSSL buffers a flight's records and flushes them
 * in one write per datagram (it packs records up to the MTU), so the write
 * BIO hands each write to the send callback as one datagram. Input goes
 * through a memory BIO holding exactly one datagram at a time.
 *
 * Retransmission (RFC 6347 §4.2.4): OpenSSL keeps the flight and its timer
 * (on the real clock); DTLS_set_timer_cb gives it our first timeout, taken
 * from the run's RTT estimate, doubled per try and capped. Our loop timer
 * fires when OpenSSL's expires and calls DTLSv1_handle_timeout.
 */
#include "dtls.h"
#include "dtls_impl.h"
#include "np_err.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define DTLS_DEFAULT_MTU 1200
#define DTLS_DEFAULT_DEADLINE_US 10000000u
#define DTLS_RTO_MIN_US 50000u
#define DTLS_RTO_MAX_US 3000000u
#define DTLS_READ_MAX 16384

static void drive(struct dtls *d);

/* The write BIO ---------------------------------------------------------- */

static int bio_write(BIO *b, const char *buf, int len)
{
	struct dtls *d = BIO_get_data(b);
	int err;

	if (len <= 0)
		return 0;
	dtl_burst_add(d, (const uint8_t *)buf, (size_t)len);
	err = d->send(d->arg, (const uint8_t *)buf, (size_t)len);
	if (err < 0) {
		struct obs o;

		dtl_obs(d, &o, OBS_ERROR, "send");
		o.err = err;
		o.size = (uint32_t)len;
		snprintf(o.text, sizeof(o.text),
			 "sending a %d-byte DTLS datagram failed: %s", len,
			 np_strerror(err));
		np_ctx_record(d->ctx, &o);
	}
	/* A lost datagram is the retransmission timer's business. */
	return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	/* Flushing always succeeds (each write already left); nothing is
	 * pending; the MTU is never queried (SSL_OP_NO_QUERY_MTU) and every
	 * other control is unsupported. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* OpenSSL callbacks ------------------------------------------------------ */

static int verify_cert(X509_STORE_CTX *xs, void *arg)
{
	struct dtls *d = arg;
	X509 *peer = X509_STORE_CTX_get0_cert(xs);
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	/* RFC 8122 §5 / RFC 5763 §5: the certificate is trusted only by its
	 * digest matching the remote SDP's a=fingerprint; no chain, no CA. */
	if (!peer || !X509_digest(peer, d->md, dig, &dlen)) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	dtls_fp_format(dig, dlen, d->got_text, sizeof(d->got_text));
	if (dlen != d->expect_len ||
	    CRYPTO_memcmp(dig, d->expect, dlen) != 0) {
		d->info.mitm = 1;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct dtls *d = SSL_get_app_data(ssl);

	if (d && (where & SSL_CB_ALERT))
		dtl_alert(d, (where & SSL_CB_WRITE) != 0, ret);
}

static void keylog_cb(const SSL *ssl, const char *line)
{
	struct dtls *d = SSL_get_app_data(ssl);

	if (d && d->keylog) {
		fprintf(d->keylog, "%s\n", line);
		fflush(d->keylog);
	}
}

static unsigned timer_cb(SSL *ssl, unsigned timer_us)
{
	struct dtls *d = SSL_get_app_data(ssl);
	uint64_t next;

	if (timer_us == 0)
		return d->rto0_us;
	next = (uint64_t)timer_us * 2;
	return next > DTLS_RTO_MAX_US ? DTLS_RTO_MAX_US : (unsigned)next;
}

/* Failure and success ----------------------------------------------------- */

static void drain_ssl_errors(struct dtls *d)
{
	unsigned long e;

	while ((e = ERR_get_error()) != 0)
		if (!d->ssl_error[0])
			ERR_error_string_n(e, d->ssl_error,
					   sizeof(d->ssl_error));
}

static void stop_timers(struct dtls *d)
{
	np_timer_stop(d->ctx->loop, &d->rtx);
	np_timer_stop(d->ctx->loop, &d->deadline);
}

static void fail(struct dtls *d, int err, int timed_out)
{
	struct obs o;
	struct dtls_event ev = { .kind = DTLS_EV_FAILED, .err = err };

	if (d->state == DTLS_STATE_FAILED)
		return;
	d->state = DTLS_STATE_FAILED;
	stop_timers(d);
	drain_ssl_errors(d);
	dtl_burst_end(d);      /* an alert we just wrote */
	dtl_diagnose(d, timed_out);
	dtl_obs(d, &o, timed_out ? OBS_TIMEOUT : OBS_TLS, NULL);
	o.err = err;
	o.rtt_us = (uint32_t)(np_loop_update_now(d->ctx->loop) - d->start_us);
	o.has |= OBS_HAS_RTT;
	snprintf(o.text, sizeof(o.text), "%s", d->info.reason);
	np_ctx_record(d->ctx, &o);
	ev.mitm = d->info.mitm;
	ev.reason = d->info.reason;
	d->on_event(d, &ev, d->arg);
}

static void connected(struct dtls *d)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
	struct dtls_event ev = { .kind = DTLS_EV_CONNECTED };

	d->info.handshake_us = np_loop_update_now(d->ctx->loop) - d->start_us;
	snprintf(d->info.version, sizeof(d->info.version), "%s",
		 SSL_get_version(d->ssl));
	snprintf(d->info.cipher, sizeof(d->info.cipher), "%s",
		 SSL_get_cipher_name(d->ssl));
	d->info.profile = p ? (int)p->id : DTLS_SRTP_NONE;
	if (d->require_srtp && !p) {
		snprintf(d->ssl_error, sizeof(d->ssl_error),
			 "the peer did not agree to use_srtp (no common SRTP "
			 "profile? we offered %s)", d->profiles);
		fail(d, NP_ETLS, 0);
		return;
	}
	dtl_burst_end(d);      /* our last flight, if the handshake ends here */
	d->state = DTLS_STATE_CONNECTED;
	np_timer_stop(d->ctx->loop, &d->deadline);
	dtl_connected(d);
	d->on_event(d, &ev, d->arg);
}

/* Timers ------------------------------------------------------------------ */

static void rearm(struct dtls *d)
{
	struct timeval tv;

	if (d->state != DTLS_STATE_HANDSHAKING && d->state != DTLS_STATE_CONNECTED)
		return;
	if (DTLSv1_get_timeout(d->ssl, &tv) > 0) {
		/* +1 ms: OpenSSL's timer runs on its own clock reading; firing
		 * a hair early would only re-arm. */
		uint64_t us = (uint64_t)tv.tv_sec * 1000000u +
			      (uint64_t)tv.tv_usec + 1000;

		np_timer_start(d->ctx->loop, &d->rtx,
			       np_loop_update_now(d->ctx->loop) + us);
	} else {
		np_timer_stop(d->ctx->loop, &d->rtx);
	}
}

static void on_rtx(struct np_loop *loop, void *arg)
{
	struct dtls *d = arg;
	int r;

	if (d->state != DTLS_STATE_HANDSHAKING && d->state != DTLS_STATE_CONNECTED)
		return;
	ERR_clear_error();
	d->in_timeout = 1;
	r = DTLSv1_handle_timeout(d->ssl);
	if (r < 0) {
		d->in_timeout = 0;
		fail(d, NP_ETIMEOUT, 1);
		return;
	}
	dtl_burst_end(d);
	d->in_timeout = 0;
	rearm(d);
}

static void on_deadline(struct np_loop *loop, void *arg)
{
	struct dtls *d = arg;

	if (d->state == DTLS_STATE_HANDSHAKING || d->state == DTLS_STATE_NEW)
		fail(d, NP_ETIMEOUT, 1);
}

/* Driving OpenSSL --------------------------------------------------------- */

static void read_data(struct dtls *d)
{
	uint8_t buf[DTLS_READ_MAX];

	for (int i = 0; i < 64 && d->state == DTLS_STATE_CONNECTED; i++) {
		int n = SSL_read(d->ssl, buf, sizeof(buf));

		if (n > 0) {
			struct dtls_event ev = { .kind = DTLS_EV_DATA,
						 .data = buf, .len = (size_t)n };

			d->on_event(d, &ev, d->arg);
			continue;
		}
		switch (SSL_get_error(d->ssl, n)) {
		case SSL_ERROR_ZERO_RETURN: {
			struct dtls_event ev = { .kind = DTLS_EV_CLOSED };

			d->state = DTLS_STATE_CLOSED;
			stop_timers(d);
			d->on_event(d, &ev, d->arg);
			return;
		}
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			return;
		default:
			drain_ssl_errors(d);
			return;
		}
	}
}

static void drive(struct dtls *d)
{
	if (d->state == DTLS_STATE_HANDSHAKING) {
		int r;

		ERR_clear_error();
		r = SSL_do_handshake(d->ssl);
		if (r == 1) {
			connected(d);
		} else {
			int e = SSL_get_error(d->ssl, r);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				fail(d, NP_ETLS, 0);
				return;
			}
		}
	}
	if (d->state == DTLS_STATE_CONNECTED)
		read_data(d);
	dtl_burst_end(d);
	rearm(d);
}

/* Public API ------------------------------------------------------------- */

static int setup_ssl(struct dtls *d, const struct dtls_config *cfg)
{
	const char *profiles = cfg->profiles ? cfg->profiles : DTLS_SRTP_ALL;

	snprintf(d->profiles, sizeof(d->profiles), "%s", profiles);

	d->sctx = SSL_CTX_new(DTLS_method());
	if (!d->sctx)
		return NP_ETLS;
	/* OpenSSL 3.0 speaks DTLS 1.2 at most; we refuse 1.0 (RFC 8827 §6.5
	 * requires 1.2 or later for WebRTC). */
	if (!SSL_CTX_set_min_proto_version(d->sctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(d->sctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(d->sctx, d->cert->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(d->sctx, d->cert->key) != 1)
		return NP_ETLS;
	/* Returns 0 on success (sic). */
	if (SSL_CTX_set_tlsext_use_srtp(d->sctx, profiles) != 0)
		return NP_EINVAL;
	SSL_CTX_set_verify(d->sctx, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(d->sctx, verify_cert, d);
	SSL_CTX_set_info_callback(d->sctx, info_cb);
	if (d->keylog)
		SSL_CTX_set_keylog_callback(d->sctx, keylog_cb);
	SSL_CTX_set_read_ahead(d->sctx, 1);
	/* No session tickets: a WebRTC session is never resumed, and the
	 * ticket would make the server's last flight ~500 bytes larger. */
	SSL_CTX_set_options(d->sctx, SSL_OP_NO_TICKET);

	d->ssl = SSL_new(d->sctx);
	if (!d->ssl)
		return NP_ETLS;
	SSL_set_app_data(d->ssl, d);
	d->meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
			       "natprobe-dgram");
	if (!d->meth || !BIO_meth_set_write(d->meth, bio_write) ||
	    !BIO_meth_set_ctrl(d->meth, bio_ctrl) ||
	    !BIO_meth_set_create(d->meth, bio_create))
		return NP_ETLS;
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(d->meth);
	if (!d->rbio || !d->wbio) {
		BIO_free(d->rbio);
		BIO_free(d->wbio);
		d->rbio = d->wbio = NULL;
		return NP_ETLS;
	}
	BIO_set_mem_eof_return(d->rbio, -1);
	BIO_set_data(d->wbio, d);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);   /* ssl owns them now */
	/* The MTU is set, never queried (there is no socket to ask). */
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	if (!SSL_set_mtu(d->ssl, d->mtu))
		return NP_EINVAL;
	DTLS_set_timer_cb(d->ssl, timer_cb);
	if (d->role == DTLS_ROLE_CLIENT)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return 0;
}

int dtls_new(struct np_ctx *ctx, const struct dtls_cert *cert,
	     const struct dtls_config *cfg, dtls_send_fn send,
	     dtls_event_fn on_event, void *arg, struct dtls **out)
{
	struct dtls *d;
	uint32_t rto;
	int err;

	*out = NULL;
	if (!ctx || !cert || !cfg || !send || !on_event)
		return NP_EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NP_ENOMEM;
	d->ctx = ctx;
	d->cert = cert;
	d->role = cfg->role;
	snprintf(d->label, sizeof(d->label), "%s", cfg->label ? cfg->label : "dtls");
	d->mtu = cfg->mtu ? cfg->mtu : DTLS_DEFAULT_MTU;
	d->deadline_us = cfg->deadline_us ? cfg->deadline_us :
			 DTLS_DEFAULT_DEADLINE_US;
	d->require_srtp = cfg->require_srtp;
	d->keylog = cfg->keylog;
	d->send = send;
	d->on_event = on_event;
	d->arg = arg;
	d->peer_max_seq = -1;
	np_timer_init(&d->rtx, on_rtx, d);
	np_timer_init(&d->deadline, on_deadline, d);
	/* First timeout: the run's RTO (RTT-based once measured), within
	 * bounds that keep a lossy path from waiting a full second (RFC 6347
	 * §4.2.4.1 suggests 1 s; browsers start far lower). */
	rto = np_ctx_rto(ctx);
	d->rto0_us = rto < DTLS_RTO_MIN_US ? DTLS_RTO_MIN_US :
		     rto > DTLS_RTO_MAX_US ? DTLS_RTO_MAX_US : rto;

	d->md = dtls_fp_md(cfg->fp_alg);
	snprintf(d->fp_alg, sizeof(d->fp_alg), "%s",
		 cfg->fp_alg ? cfg->fp_alg : "sha-256");
	err = dtls_fingerprint_parse(cfg->fp_alg, cfg->fp, d->expect,
				     sizeof(d->expect), &d->expect_len);
	if (err)
		goto out;
	dtls_fp_format(d->expect, d->expect_len, d->expect_text,
		       sizeof(d->expect_text));
	err = setup_ssl(d, cfg);
out:
	if (err) {
		ERR_clear_error();
		dtls_free(d);
		return err;
	}
	*out = d;
	return 0;
}

int dtls_start(struct dtls *d)
{
	struct obs o;

	if (d->state != DTLS_STATE_NEW)
		return NP_EINVAL;
	d->state = DTLS_STATE_HANDSHAKING;
	d->start_us = np_loop_update_now(d->ctx->loop);
	np_timer_start(d->ctx->loop, &d->deadline, d->start_us + d->deadline_us);
	dtl_obs(d, &o, OBS_NOTE, NULL);
	snprintf(o.text, sizeof(o.text),
		 "DTLS %s starts: mtu %u, first timeout %u ms, deadline %u ms, "
		 "our fingerprint sha-256 %.40s..., expecting %.40s...",
		 d->role == DTLS_ROLE_CLIENT ? "client" : "server", d->mtu,
		 d->rto0_us / 1000, d->deadline_us / 1000,
		 dtls_cert_fingerprint(d->cert), d->expect_text);
	np_ctx_record(d->ctx, &o);
	if (d->role == DTLS_ROLE_CLIENT)
		drive(d);
	return 0;
}

int dtls_feed(struct dtls *d, const uint8_t *buf, size_t len)
{
	if (!len || len > INT32_MAX)
		return NP_EINVAL;
	/* A ClientHello may beat the owner's dtls_start (ICE has just
	 * selected the pair on the other side): a server starts on it. */
	if (d->state == DTLS_STATE_NEW && d->role == DTLS_ROLE_SERVER)
		dtls_start(d);
	if (d->state != DTLS_STATE_HANDSHAKING &&
	    d->state != DTLS_STATE_CONNECTED)
		return 0;   /* late datagrams after the end: ignored */
	if (d->state == DTLS_STATE_HANDSHAKING) {
		/* A server's handshake time counts from the first datagram,
		 * not from when it began to listen. */
		if (d->role == DTLS_ROLE_SERVER && d->info.datagrams_received == 0)
			d->start_us = np_loop_update_now(d->ctx->loop);
		dtl_recv(d, buf, len);
	}
	/* One datagram at a time: whatever OpenSSL left unread goes. */
	(void)BIO_reset(d->rbio);
	if (BIO_write(d->rbio, buf, (int)len) != (int)len)
		return NP_ENOMEM;
	drive(d);
	return 0;
}

int dtls_write(struct dtls *d, const uint8_t *buf, size_t len)
{
	int n;

	if (d->state != DTLS_STATE_CONNECTED || len > INT32_MAX)
		return NP_EINVAL;
	ERR_clear_error();
	n = SSL_write(d->ssl, buf, (int)len);
	if (n <= 0) {
		drain_ssl_errors(d);
		return NP_ETLS;
	}
	return 0;
}

int dtls_close(struct dtls *d)
{
	if (d->state != DTLS_STATE_CONNECTED)
		return NP_EINVAL;
	ERR_clear_error();
	/* Sends close_notify (RFC 5246 §7.2.1); we do not wait for the
	 * peer's, there is no stream to drain. */
	(void)SSL_shutdown(d->ssl);
	ERR_clear_error();
	d->state = DTLS_STATE_CLOSED;
	stop_timers(d);
	return 0;
}

enum dtls_state dtls_state(const struct dtls *d)
{
	return d->state;
}

const struct dtls_info *dtls_get_info(const struct dtls *d)
{
	return &d->info;
}

int dtls_srtp_keys(const struct dtls *d, struct dtls_srtp_keys *k)
{
	static const char label[] = "EXTRACTOR-dtls_srtp";
	size_t kl, sl, n;
	const uint8_t *m;

	memset(k, 0, sizeof(*k));
	if ((d->state != DTLS_STATE_CONNECTED && d->state != DTLS_STATE_CLOSED) ||
	    dtls_srtp_profile_lengths(d->info.profile, &kl, &sl))
		return NP_EINVAL;
	n = 2 * (kl + sl);
	/* RFC 5764 §4.2: no context value. */
	if (SSL_export_keying_material(d->ssl, k->material, n, label,
				       sizeof(label) - 1, NULL, 0, 0) != 1) {
		ERR_clear_error();
		return NP_ETLS;
	}
	k->profile = d->info.profile;
	k->key_len = kl;
	k->salt_len = sl;
	k->material_len = n;
	k->is_client = d->role == DTLS_ROLE_CLIENT;
	m = k->material;
	memcpy(k->client_key, m, kl);
	memcpy(k->server_key, m + kl, kl);
	memcpy(k->client_salt, m + 2 * kl, sl);
	memcpy(k->server_salt, m + 2 * kl + sl, sl);
	return 0;
}

void dtls_free(struct dtls *d)
{
	if (!d)
		return;
	stop_timers(d);
	SSL_free(d->ssl);       /* frees both BIOs */
	SSL_CTX_free(d->sctx);
	BIO_meth_free(d->meth);
	free(d);
}
