/*
 * stun_integrity.c - STUN FINGERPRINT, MESSAGE-INTEGRITY(-SHA256) and keys.
 *
 * RFC 8489 §14.5 (MESSAGE-INTEGRITY: HMAC-SHA1 over the message up to the
 * attribute, the header length counting up to the end of the attribute),
 * §14.6 (MESSAGE-INTEGRITY-SHA256, possibly truncated to 16..32 bytes),
 * §14.7 (FINGERPRINT: CRC-32 of ISO/IEC 13239 xored with 0x5354554e),
 * §9.1.2 and §9.2.2 (short- and long-term keys), §18.5 (password
 * algorithms). The encoder side is here too, since it shares the hashing.
 *
 * Checks never write to the message: they hash a copy of the 20-byte
 * header with its length patched, then the untouched bytes after it.
 */
#include "stun_codec.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "np_err.h"
#include "np_rd.h"

/*
 * CRC-32 (reflected, polynomial 0xEDB88320, the one zlib and ISO/IEC 13239
 * share), four bits at a time: crc_nibble[i] is i run through four shift
 * steps.
 */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

/* Continues a CRC; start with 0 and pass the previous result back in. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		crc = crc >> 4 ^ crc_nibble[crc & 0x0F];
		crc = crc >> 4 ^ crc_nibble[crc & 0x0F];
	}
	return ~crc;
}

/*
 * HMAC over two pieces (a patched header, then the rest), through the
 * OpenSSL 3 EVP_MAC interface. An empty key is passed as a zero-length
 * non-NULL buffer: a NULL key would mean "keep the previous key".
 */
static int hmac2(const char *digest, const uint8_t *key, size_t key_len,
		 const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		 uint8_t out[EVP_MAX_MD_SIZE], size_t *out_len)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	int rc = NP_EINTERNAL;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key_len ? key : empty, key_len, params))
		goto out;
	if (a_len && !EVP_MAC_update(ctx, a, a_len))
		goto out;
	if (b_len && !EVP_MAC_update(ctx, b, b_len))
		goto out;
	if (!EVP_MAC_final(ctx, out, out_len, EVP_MAX_MD_SIZE))
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/*
 * Where an attribute ends, if it lies inside the message (stun_decode
 * guarantees it; a hand-built stun_msg might not). 0 when it does not.
 */
static size_t attr_end(const struct stun_msg *m, const struct stun_attr *a)
{
	if (!m->buf || m->len < STUN_HEADER_LEN || m->len > 0xFFFF + 20 ||
	    a->off < STUN_HEADER_LEN || a->off > m->len ||
	    m->len - a->off < 4 + (size_t)a->len ||
	    a->val != m->buf + a->off + 4)
		return 0;
	return a->off + 4 + a->len;
}

/* The 20-byte header with its length ending at end (§14.5, §14.7). */
static void patched_header(const struct stun_msg *m, size_t end,
			   uint8_t hdr[STUN_HEADER_LEN])
{
	memcpy(hdr, m->buf, STUN_HEADER_LEN);
	np_put16(hdr + 2, (uint16_t)(end - STUN_HEADER_LEN));
}

int stun_check_fingerprint(const struct stun_msg *m)
{
	const struct stun_attr *a = stun_msg_find(m, STUN_ATTR_FINGERPRINT);
	uint8_t hdr[STUN_HEADER_LEN];
	uint32_t crc;
	size_t end;

	if (!a)
		return NP_ENOTFOUND;
	end = attr_end(m, a);
	if (!end || a->len != 4)
		return NP_ESTUN_FINGERPRINT;
	patched_header(m, end, hdr);
	crc = crc32_update(0, hdr, sizeof(hdr));
	crc = crc32_update(crc, m->buf + STUN_HEADER_LEN,
			   a->off - STUN_HEADER_LEN);
	return (crc ^ STUN_FINGERPRINT_XOR) == np_get32(a->val) ?
		       0 : NP_ESTUN_FINGERPRINT;
}

/* Verifies one integrity attribute; a->len bytes of the HMAC count. */
static int check_mac(const struct stun_msg *m, const struct stun_attr *a,
		     const char *digest, const uint8_t *key, size_t key_len)
{
	uint8_t hdr[STUN_HEADER_LEN], mac[EVP_MAX_MD_SIZE];
	size_t end = attr_end(m, a), mac_len = 0;
	int rc;

	if (!end)
		return NP_ESTUN_INTEGRITY;
	patched_header(m, end, hdr);
	rc = hmac2(digest, key, key_len, hdr, sizeof(hdr),
		   m->buf + STUN_HEADER_LEN, a->off - STUN_HEADER_LEN, mac,
		   &mac_len);
	if (rc)
		return rc;
	if (a->len > mac_len)
		return NP_ESTUN_INTEGRITY;
	return CRYPTO_memcmp(mac, a->val, a->len) ? NP_ESTUN_INTEGRITY : 0;
}

int stun_check_integrity(const struct stun_msg *m, const uint8_t *key,
			 size_t key_len)
{
	const struct stun_attr *a;

	if (!m || (key_len && !key))
		return NP_EINVAL;
	/* §14.6: 16 to 32 bytes, a multiple of 4 (a truncated HMAC). */
	a = stun_msg_find(m, STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
	if (a) {
		if (a->len < 16 || a->len > 32 || a->len % 4)
			return NP_ESTUN_INTEGRITY;
		return check_mac(m, a, "SHA256", key, key_len);
	}
	a = stun_msg_find(m, STUN_ATTR_MESSAGE_INTEGRITY);
	if (!a)
		return NP_ESTUN_NOINTEGRITY;
	if (a->len != 20)
		return NP_ESTUN_INTEGRITY;
	return check_mac(m, a, "SHA1", key, key_len);
}

int stun_key_short(const char *password, uint8_t *key, size_t key_cap)
{
	size_t n;

	if (!password || (key_cap && !key))
		return NP_EINVAL;
	n = strlen(password);
	if (n > key_cap)
		return NP_ENOSPACE;
	if (n > INT_MAX)
		return NP_EINVAL;
	if (n)
		memcpy(key, password, n);
	return (int)n;
}

int stun_key_long(const char *user, const char *realm, const char *password,
		  uint16_t alg, uint8_t *key, size_t key_cap)
{
	const EVP_MD *md = alg == STUN_PWALG_MD5    ? EVP_md5() :
			   alg == STUN_PWALG_SHA256 ? EVP_sha256() : NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned int n = 0;
	int rc = NP_EINTERNAL;

	if (!md || !user || !realm || !password || (key_cap && !key))
		return NP_EINVAL;
	if (key_cap < (size_t)EVP_MD_get_size(md))
		return NP_ENOSPACE;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return NP_ENOMEM;
	/* §9.2.2: key = H(username ":" OpaqueString(realm) ":" password). */
	if (!EVP_DigestInit_ex(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, user, strlen(user)) ||
	    !EVP_DigestUpdate(ctx, ":", 1) ||
	    !EVP_DigestUpdate(ctx, realm, strlen(realm)) ||
	    !EVP_DigestUpdate(ctx, ":", 1) ||
	    !EVP_DigestUpdate(ctx, password, strlen(password)) ||
	    !EVP_DigestFinal_ex(ctx, key, &n))
		goto out;
	rc = (int)n;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * Appends an integrity attribute of size bytes. The header length already
 * counts it when the HMAC is taken, as §14.5 asks, so the hash runs over
 * the buffer as it stands up to the attribute.
 */
static int enc_mac(struct stun_enc *w, uint16_t type, const char *digest,
		   size_t size, const uint8_t *key, size_t key_len)
{
	static const uint8_t zero[32];
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t off = w->len, mac_len = 0;
	int rc;

	if (key_len && !key && !w->err)
		w->err = NP_EINVAL;
	rc = stun_enc_attr(w, type, zero, size);
	if (rc)
		return rc;
	rc = hmac2(digest, key, key_len, w->buf, off, NULL, 0, mac, &mac_len);
	if (rc == 0 && mac_len < size)
		rc = NP_EINTERNAL;
	if (rc)
		return w->err = rc;
	memcpy(w->buf + off + 4, mac, size);
	return 0;
}

int stun_enc_integrity(struct stun_enc *w, const uint8_t *key, size_t key_len)
{
	return enc_mac(w, STUN_ATTR_MESSAGE_INTEGRITY, "SHA1", 20, key,
		       key_len);
}

int stun_enc_integrity_sha256(struct stun_enc *w, const uint8_t *key,
			      size_t key_len)
{
	return enc_mac(w, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "SHA256", 32,
		       key, key_len);
}

int stun_enc_fingerprint(struct stun_enc *w)
{
	static const uint8_t zero[4];
	size_t off = w->len;
	uint32_t crc;
	int rc;

	rc = stun_enc_attr(w, STUN_ATTR_FINGERPRINT, zero, sizeof(zero));
	if (rc)
		return rc;
	crc = crc32_update(0, w->buf, off);
	np_put32(w->buf + off + 4, crc ^ STUN_FINGERPRINT_XOR);
	return 0;
}

int stun_tid_random(uint8_t tid[STUN_TID_LEN])
{
	return RAND_bytes(tid, STUN_TID_LEN) == 1 ? 0 : NP_EINTERNAL;
}
