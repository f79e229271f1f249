/*
 * dtls_cert.c - the per-run DTLS identity and certificate fingerprints.
 *
 * WebRTC endpoints use self-signed certificates whose only trust anchor is
 * the a=fingerprint line of the SDP (RFC 8122 §5, RFC 8827 §6.5). We make
 * one ECDSA P-256 key and certificate per run, as browsers do.
 */
#include "dtls.h"
#include "dtls_impl.h"
#include "np_err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

static const struct {
	int id;
	const char *name;
	size_t key, salt;
} profiles[] = {
	/* RFC 5764 §4.1.2: AES-CM 128-bit key, 112-bit salt. */
	{ DTLS_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14 },
	{ DTLS_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 16, 14 },
	/* RFC 7714 §12: AEAD profiles use a 96-bit salt. */
	{ DTLS_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12 },
	{ DTLS_SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", 32, 12 },
};

const char *dtls_srtp_profile_name(int profile)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].id == profile)
			return profiles[i].name;
	return NULL;
}

int dtls_srtp_profile_lengths(int profile, size_t *key_len, size_t *salt_len)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (profiles[i].id == profile) {
			*key_len = profiles[i].key;
			*salt_len = profiles[i].salt;
			return 0;
		}
	}
	return NP_EINVAL;
}

const EVP_MD *dtls_fp_md(const char *alg)
{
	if (!alg || strcasecmp(alg, "sha-256") == 0)
		return EVP_sha256();
	if (strcasecmp(alg, "sha-1") == 0)
		return EVP_sha1();
	if (strcasecmp(alg, "sha-384") == 0)
		return EVP_sha384();
	if (strcasecmp(alg, "sha-512") == 0)
		return EVP_sha512();
	return NULL;
}

void dtls_fp_format(const uint8_t *d, size_t n, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 3 < cap; i++) {
		if (i)
			buf[o++] = ':';
		buf[o++] = hex[d[i] >> 4];
		buf[o++] = hex[d[i] & 15];
	}
	if (cap)
		buf[o < cap ? o : cap - 1] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int dtls_fingerprint_parse(const char *alg, const char *text, uint8_t *out,
			   size_t cap, size_t *len)
{
	const EVP_MD *md = dtls_fp_md(alg);
	size_t n = 0;
	const char *p = text;

	if (!md || !text)
		return NP_EINVAL;
	/* RFC 8122 §5: fingerprint = 2UHEX *(":" 2UHEX); we accept lower
	 * case too, as browsers do. */
	while (*p) {
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);

		if (hi < 0 || lo < 0 || n >= cap)
			return NP_EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (*p == ':' && p[1])
			p++;
		else if (*p)
			return NP_EINVAL;
	}
	if (n != (size_t)EVP_MD_get_size(md))
		return NP_EINVAL;
	*len = n;
	return 0;
}

int dtls_cert_new(struct dtls_cert **out)
{
	struct dtls_cert *c = calloc(1, sizeof(*c));
	X509_NAME *name;
	uint8_t serial[8];
	BIGNUM *bn = NULL;
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int err = NP_ETLS;

	*out = NULL;
	if (!c)
		return NP_ENOMEM;
	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	if (!c->key || !c->x509)
		goto out;
	/* A random positive serial: browsers compare certificates, and two
	 * runs must not present the same one. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7F;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->x509)))
		goto out;
	if (!X509_set_version(c->x509, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400) ||
	    !X509_set_pubkey(c->x509, c->key))
		goto out;
	name = X509_get_subject_name(c->x509);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"natprobe", -1,
					-1, 0) ||
	    !X509_set_issuer_name(c->x509, name) ||
	    !X509_sign(c->x509, c->key, EVP_sha256()))
		goto out;
	if (!X509_digest(c->x509, EVP_sha256(), dig, &dlen))
		goto out;
	dtls_fp_format(dig, dlen, c->fp, sizeof(c->fp));
	err = 0;
out:
	BN_free(bn);
	if (err) {
		dtls_cert_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void dtls_cert_free(struct dtls_cert *c)
{
	if (!c)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const char *dtls_cert_fingerprint(const struct dtls_cert *c)
{
	return c->fp;
}
