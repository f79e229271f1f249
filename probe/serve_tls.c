/*
 * serve_tls.c - the responder's TLS server context (STUN over TLS-over-TCP,
 * RFC 8489 §6.2.3; ports 5349/5350 by default, as RFC 5780 §6 asks for a
 * pair per transport).
 *
 * With --cert/--key the context uses those PEM files. Without, it makes an
 * ephemeral self-signed ECDSA P-256 certificate in memory, valid for a day:
 * a STUN client over TLS learns nothing from the certificate that it needs,
 * and a probe checks reachability, not identity.
 */
#include "serve_impl.h"

#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "np_err.h"

static int tls_fail(char *detail, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(detail, len, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
	return NP_ETLS;
}

/* A self-signed certificate for key pk, CN=natprobe, valid now +/- 1 h
 * to now + 24 h. */
static X509 *self_signed(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();
	int ok = 0;

	if (!x || !bn)
		goto out;
	if (!BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	if (!X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) ||
	    !X509_set_pubkey(x, pk))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"natprobe", -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_sign(x, pk, EVP_sha256()))
		goto out;
	ok = 1;
out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int serve_tls_ctx_new(SSL_CTX **out, const char *cert, const char *key,
		      char *detail, size_t detail_len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int err = 0;

	*out = NULL;
	if (!ctx)
		return tls_fail(detail, detail_len, "TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* conn_flush may resume a write from a moved buffer position. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cert) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
			char what[300];

			snprintf(what, sizeof(what), "certificate %s", cert);
			err = tls_fail(detail, detail_len, what);
			goto out;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			char what[300];

			snprintf(what, sizeof(what), "key %s",
				 key ? key : cert);
			err = tls_fail(detail, detail_len, what);
			goto out;
		}
	} else {
		pk = EVP_EC_gen("P-256");
		if (!pk) {
			err = tls_fail(detail, detail_len, "ECDSA P-256 key");
			goto out;
		}
		x = self_signed(pk);
		if (!x) {
			err = tls_fail(detail, detail_len,
				       "self-signed certificate");
			goto out;
		}
		if (SSL_CTX_use_certificate(ctx, x) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, pk) != 1) {
			err = tls_fail(detail, detail_len,
				       "ephemeral certificate");
			goto out;
		}
	}
	*out = ctx;
	ctx = NULL;
out:
	X509_free(x);
	EVP_PKEY_free(pk);
	SSL_CTX_free(ctx);
	return err;
}
