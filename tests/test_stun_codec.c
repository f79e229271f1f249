/*
 * test_stun_codec.c - the STUN codec (probe/stun_codec.c,
 * probe/stun_integrity.c) against RFC 5769's test vectors and the
 * fixtures in fixtures/stun (made by tests/gen_stun_fixtures.py, whose
 * integrity values come from Python's hmac and zlib, not from this code).
 *
 * Run from the repository root: fixtures are read by relative path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "np_err.h"
#include "stun_codec.h"

#define FIXTURES "fixtures/stun"
#define SHORT_PW "VOkJxbRl1RmTxUk/WvJxBt"

/* RFC 5769 §2.1-2.3 transaction ID, and §2.4's. */
static const uint8_t rfc_tid[STUN_TID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};
static const uint8_t rfc_lt_tid[STUN_TID_LEN] = {
	0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
};
/* "マトリックス" in UTF-8: unchanged by SASLprep. */
static const char rfc_lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa"
				  "\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
/* MD5 and SHA-256 of rfc_lt_user ":example.org:TheMatrIX" (Python). */
static const uint8_t rfc_lt_md5[16] = {
	0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
	0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
};
static const uint8_t rfc_lt_sha256[32] = {
	0xdd, 0x29, 0x5a, 0x61, 0x3b, 0x90, 0x58, 0xc3, 0xc2, 0x3d, 0x6d,
	0xc7, 0x16, 0x5b, 0xda, 0x07, 0x23, 0x04, 0xd9, 0x89, 0xc9, 0xd0,
	0xaf, 0x3a, 0x8c, 0x7e, 0x18, 0x4b, 0x4f, 0x9b, 0xb4, 0xa1,
};
static const uint8_t tid_a0[STUN_TID_LEN] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};

/* Reads fixtures/stun/<name> into buf; fails the test if it is missing. */
static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	n = fread(buf, 1, cap, f);
	if (!feof(f))
		fail_msg("%s is larger than %zu bytes", path, cap);
	fclose(f);
	return n;
}

static void decode_ok(const uint8_t *buf, size_t len, unsigned flags,
		      struct stun_msg *m)
{
	char detail[200];
	int rc = stun_decode(buf, len, flags, m, detail, sizeof(detail));

	if (rc)
		fail_msg("decode: %s: %s", np_errname(rc), detail);
}

static int short_key(uint8_t key[64])
{
	int n = stun_key_short(SHORT_PW, key, 64);

	assert_int_equal(n, (int)strlen(SHORT_PW));
	return n;
}

static void assert_str_attr(const struct stun_msg *m, uint16_t type,
			    const char *want)
{
	const struct stun_attr *a = stun_msg_find(m, type);

	assert_non_null(a);
	assert_int_equal(a->len, strlen(want));
	assert_memory_equal(a->val, want, a->len);
}

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static void assert_addr(const struct sockaddr_storage *got, const char *ip,
			uint16_t port)
{
	struct sockaddr_storage want = addr(ip, port);

	assert_int_equal(got->ss_family, want.ss_family);
	if (want.ss_family == AF_INET)
		assert_memory_equal(got, &want, sizeof(struct sockaddr_in));
	else
		assert_memory_equal(got, &want, sizeof(struct sockaddr_in6));
}

/* ---- RFC 5769 vectors, decoded ---- */

static void test_rfc5769_request_decodes_and_verifies(void **state)
{
	uint8_t buf[512], key[64];
	size_t len = load("valid_rfc5769_request.bin", buf, sizeof(buf));
	struct stun_msg m;
	uint32_t prio;
	uint64_t tie;
	int klen = short_key(key);

	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_int_equal(m.classic, 0);
	assert_int_equal(m.length, 0x58);
	assert_memory_equal(m.tid, rfc_tid, STUN_TID_LEN);
	assert_int_equal(m.nattrs, 6);
	assert_str_attr(&m, STUN_ATTR_SOFTWARE, "STUN test client");
	assert_str_attr(&m, STUN_ATTR_USERNAME, "evtj:h6vY");
	assert_int_equal(stun_attr_u32(stun_msg_find(&m, STUN_ATTR_PRIORITY),
				       &prio), 0);
	assert_int_equal(prio, 0x6e0001ff);
	assert_int_equal(stun_attr_u64(stun_msg_find(&m,
						     STUN_ATTR_ICE_CONTROLLED),
				       &tie), 0);
	assert_true(tie == 0x932ff9b151263b36ull);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_rfc5769_ipv4_response_maps_192_0_2_1_port_32853(void **state)
{
	uint8_t buf[512], key[64];
	size_t len = load("valid_rfc5769_ipv4_response.bin", buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;
	int klen = short_key(key);

	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_str_attr(&m, STUN_ATTR_SOFTWARE, "test vector");
	assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m,
				STUN_ATTR_XOR_MAPPED_ADDRESS), &ss), 0);
	assert_addr(&ss, "192.0.2.1", 32853);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_rfc5769_ipv6_response_maps_2001_db8_port_32853(void **state)
{
	uint8_t buf[512], key[64];
	size_t len = load("valid_rfc5769_ipv6_response.bin", buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;
	int klen = short_key(key);

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m,
				STUN_ATTR_XOR_MAPPED_ADDRESS), &ss), 0);
	assert_addr(&ss, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_rfc5769_long_term_request_verifies_with_md5_key(void **state)
{
	uint8_t buf[512], key[64];
	size_t len = load("valid_rfc5769_long_term_request.bin", buf,
			  sizeof(buf));
	struct stun_msg m;
	int klen;

	decode_ok(buf, len, 0, &m);
	assert_memory_equal(m.tid, rfc_lt_tid, STUN_TID_LEN);
	assert_str_attr(&m, STUN_ATTR_USERNAME, rfc_lt_user);
	assert_str_attr(&m, STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
	assert_str_attr(&m, STUN_ATTR_REALM, "example.org");
	klen = stun_key_long(rfc_lt_user, "example.org", "TheMatrIX",
			     STUN_PWALG_MD5, key, sizeof(key));
	assert_int_equal(klen, 16);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_fingerprint(&m), NP_ENOTFOUND);
}

/* ---- RFC 5769 vectors, re-encoded ---- */

static void assert_encodes_to(struct stun_enc *w, const char *fixture)
{
	uint8_t want[512];
	size_t wlen = load(fixture, want, sizeof(want)), glen = 0;

	assert_int_equal(stun_enc_end(w, &glen), 0);
	assert_int_equal(glen, wlen);
	assert_memory_equal(w->buf, want, wlen);
}

static void test_rfc5769_request_reencodes_byte_for_byte(void **state)
{
	uint8_t out[512], key[64];
	int klen = short_key(key);
	struct stun_enc w;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, rfc_tid), 0);
	w.pad = 0x20; /* the RFC pads with spaces */
	stun_enc_str(&w, STUN_ATTR_SOFTWARE, "STUN test client");
	stun_enc_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_enc_u64(&w, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_enc_str(&w, STUN_ATTR_USERNAME, "evtj:h6vY");
	stun_enc_integrity(&w, key, (size_t)klen);
	stun_enc_fingerprint(&w);
	assert_encodes_to(&w, "valid_rfc5769_request.bin");
}

static void reencode_response(const char *ip, const char *fixture)
{
	uint8_t out[512], key[64];
	int klen = short_key(key);
	struct sockaddr_storage ss = addr(ip, 32853);
	struct stun_enc w;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_SUCCESS, rfc_tid), 0);
	w.pad = 0x20;
	stun_enc_str(&w, STUN_ATTR_SOFTWARE, "test vector");
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
			  (struct sockaddr *)&ss);
	stun_enc_integrity(&w, key, (size_t)klen);
	stun_enc_fingerprint(&w);
	assert_encodes_to(&w, fixture);
}

static void test_rfc5769_ipv4_response_reencodes_byte_for_byte(void **state)
{
	reencode_response("192.0.2.1", "valid_rfc5769_ipv4_response.bin");
}

static void test_rfc5769_ipv6_response_reencodes_byte_for_byte(void **state)
{
	reencode_response("2001:db8:1234:5678:11:2233:4455:6677",
			  "valid_rfc5769_ipv6_response.bin");
}

static void test_rfc5769_long_term_request_reencodes_byte_for_byte(
	void **state)
{
	uint8_t out[512], key[64];
	int klen = stun_key_long(rfc_lt_user, "example.org", "TheMatrIX",
				 STUN_PWALG_MD5, key, sizeof(key));
	struct stun_enc w;

	assert_int_equal(klen, 16);
	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, rfc_lt_tid), 0);
	stun_enc_str(&w, STUN_ATTR_USERNAME, rfc_lt_user);
	stun_enc_str(&w, STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
	stun_enc_str(&w, STUN_ATTR_REALM, "example.org");
	stun_enc_integrity(&w, key, (size_t)klen);
	assert_encodes_to(&w, "valid_rfc5769_long_term_request.bin");
}

/* ---- Integrity and fingerprint ---- */

static void test_wrong_password_fails_integrity(void **state)
{
	uint8_t buf[512];
	size_t len = load("valid_rfc5769_request.bin", buf, sizeof(buf));
	struct stun_msg m;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"wrong", 5),
			 NP_ESTUN_INTEGRITY);
	assert_int_equal(stun_check_integrity(&m, NULL, 0),
			 NP_ESTUN_INTEGRITY);
}

static void test_tampered_byte_fails_fingerprint_and_integrity(void **state)
{
	uint8_t buf[512], key[64];
	size_t len = load("valid_rfc5769_request.bin", buf, sizeof(buf));
	int klen = short_key(key);
	struct stun_msg m;

	buf[24] ^= 0x01; /* "STUN test client" becomes "RTUN test client" */
	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_check_fingerprint(&m), NP_ESTUN_FINGERPRINT);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen),
			 NP_ESTUN_INTEGRITY);
}

/* The checks run on a read-only page: any write to the input would fault. */
static void test_checks_never_write_to_the_input(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t buf[512], key[64], *ro;
	size_t len = load("valid_rfc5769_ipv6_response.bin", buf, sizeof(buf));
	int klen = short_key(key);
	struct stun_msg m;

	ro = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	memcpy(ro, buf, len);
	assert_int_equal(mprotect(ro, (size_t)page, PROT_READ), 0);
	decode_ok(ro, len, 0, &m);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_fingerprint(&m), 0);
	assert_memory_equal(ro, buf, len);
	munmap(ro, (size_t)page);
}

static void test_missing_integrity_and_fingerprint_are_reported(void **state)
{
	uint8_t buf[64];
	size_t len = load("edge_zero_attributes.bin", buf, sizeof(buf));
	struct stun_msg m;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.nattrs, 0);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"k", 1),
			 NP_ESTUN_NOINTEGRITY);
	assert_int_equal(stun_check_fingerprint(&m), NP_ENOTFOUND);
}

static void test_mi_sha256_round_trips(void **state)
{
	uint8_t out[256], key[64];
	int klen = short_key(key);
	struct stun_enc w;
	struct stun_msg m;
	size_t len;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, tid_a0), 0);
	stun_enc_str(&w, STUN_ATTR_USERNAME, "evtj:h6vY");
	stun_enc_integrity_sha256(&w, key, (size_t)klen);
	stun_enc_fingerprint(&w);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	decode_ok(out, len, 0, &m);
	assert_int_equal(stun_msg_find(&m, STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
				 ->len, 32);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen - 1),
			 NP_ESTUN_INTEGRITY);
	assert_int_equal(stun_check_fingerprint(&m), 0);
	/* Byte for byte what the Python generator computed independently. */
	assert_encodes_to(&w, "edge_mi_sha256.bin");
}

static void test_mi_sha256_truncated_to_16_bytes_verifies(void **state)
{
	uint8_t buf[256], key[64];
	size_t len = load("edge_mi_sha256_truncated_16.bin", buf, sizeof(buf));
	int klen = short_key(key);
	struct stun_msg m;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_msg_find(&m, STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
				 ->len, 16);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	assert_int_equal(stun_check_integrity(&m, (const uint8_t *)"x", 1),
			 NP_ESTUN_INTEGRITY);
}

static void test_mi_sha256_is_checked_in_preference_to_mi(void **state)
{
	uint8_t buf[256], key[64];
	size_t len = load("edge_mi_and_mi_sha256.bin", buf, sizeof(buf));
	int klen = short_key(key);
	struct stun_msg m, only_mi;
	const struct stun_attr *a;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
	/* Break the SHA-256 HMAC only: MESSAGE-INTEGRITY alone still holds,
	 * yet the check fails because it does not fall back. */
	a = stun_msg_find(&m, STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
	buf[a->off + 4 + 31] ^= 0x80;
	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen),
			 NP_ESTUN_INTEGRITY);
	only_mi = m;
	only_mi.nattrs = 2; /* USERNAME, MESSAGE-INTEGRITY */
	assert_int_equal(stun_check_integrity(&only_mi, key, (size_t)klen), 0);
}

static void test_attributes_after_integrity_are_ignored(void **state)
{
	uint8_t buf[256], key[64];
	size_t len = load("edge_attribute_after_integrity_ignored.bin", buf,
			  sizeof(buf));
	int klen = short_key(key);
	struct stun_msg m;

	/* Includes an unknown comprehension-required type after MI, which
	 * must not fail the decode: it is ignored, not unknown. */
	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.nattrs, 2);
	assert_int_equal(m.nignored, 2);
	assert_int_equal(m.nunknown, 0);
	assert_null(stun_msg_find(&m, STUN_ATTR_SOFTWARE));
	assert_int_equal(stun_check_integrity(&m, key, (size_t)klen), 0);
}

static void test_ignored_attributes_are_still_bounds_checked(void **state)
{
	uint8_t buf[256];
	size_t len = load("edge_attribute_after_integrity_ignored.bin", buf,
			  sizeof(buf));
	struct stun_msg m;
	char detail[200];

	/* The last attribute (0x7F01, 12 bytes at offset 72) claims 13. */
	assert_int_equal(buf[72], 0x7F);
	buf[75] = 13;
	assert_int_equal(stun_decode(buf, len, 0, &m, detail, sizeof(detail)),
			 NP_ESTUN_ATTRLEN);
	assert_non_null(strstr(detail, "claims 13 bytes, 12 remain"));
}

/* ---- Keys ---- */

static void test_long_term_key_md5_is_md5_of_user_realm_password(void **state)
{
	uint8_t key[16];

	assert_int_equal(stun_key_long(rfc_lt_user, "example.org", "TheMatrIX",
				       STUN_PWALG_MD5, key, sizeof(key)), 16);
	assert_memory_equal(key, rfc_lt_md5, 16);
}

static void test_long_term_key_sha256_is_sha256_of_user_realm_password(
	void **state)
{
	uint8_t key[32];

	assert_int_equal(stun_key_long(rfc_lt_user, "example.org", "TheMatrIX",
				       STUN_PWALG_SHA256, key, sizeof(key)),
			 32);
	assert_memory_equal(key, rfc_lt_sha256, 32);
}

static void test_long_term_key_rejects_unknown_algorithm_and_small_buffer(
	void **state)
{
	uint8_t key[32];

	assert_int_equal(stun_key_long("u", "r", "p", 0x0003, key, sizeof(key)),
			 NP_EINVAL);
	assert_int_equal(stun_key_long("u", "r", "p", STUN_PWALG_SHA256, key,
				       31), NP_ENOSPACE);
	assert_int_equal(stun_key_long("u", "r", "p", STUN_PWALG_MD5, key, 15),
			 NP_ENOSPACE);
}

static void test_short_term_key_is_the_password(void **state)
{
	uint8_t key[64];

	assert_int_equal(stun_key_short(SHORT_PW, key, sizeof(key)), 22);
	assert_memory_equal(key, SHORT_PW, 22);
	assert_int_equal(stun_key_short(SHORT_PW, key, 21), NP_ENOSPACE);
	assert_int_equal(stun_key_short("", key, 0), 0);
}

/* ---- Encoder ---- */

static void test_encoder_overflow_reports_nospace_and_sticks(void **state)
{
	uint8_t out[32];
	struct stun_enc w;
	size_t len = 99;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, tid_a0), 0);
	assert_int_equal(stun_enc_str(&w, STUN_ATTR_SOFTWARE,
				      "sixteen bytes..."), NP_ENOSPACE);
	/* This one would fit, but the first failure sticks. */
	assert_int_equal(stun_enc_u32(&w, STUN_ATTR_PRIORITY, 1), NP_ENOSPACE);
	assert_int_equal(stun_enc_integrity(&w, (const uint8_t *)"k", 1),
			 NP_ENOSPACE);
	assert_int_equal(stun_enc_fingerprint(&w), NP_ENOSPACE);
	assert_int_equal(stun_enc_end(&w, &len), NP_ENOSPACE);
	assert_int_equal(len, 99);
	assert_int_equal(out[2] << 8 | out[3], 0);
}

static void test_encoder_fills_buffer_exactly(void **state)
{
	uint8_t out[28];
	struct stun_enc w;
	size_t len;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, tid_a0), 0);
	assert_int_equal(stun_enc_fingerprint(&w), 0);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	assert_int_equal(len, 28);
	assert_int_equal(stun_enc_u32(&w, STUN_ATTR_PRIORITY, 1), NP_ENOSPACE);
}

static void test_encoder_needs_room_for_the_header(void **state)
{
	uint8_t out[19];
	struct stun_enc w;
	size_t len;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, tid_a0), NP_ENOSPACE);
	assert_int_equal(stun_enc_end(&w, &len), NP_ENOSPACE);
}

static void test_encoder_rejects_impossible_header_values(void **state)
{
	uint8_t out[64];
	struct stun_enc w;

	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), 0x1000,
					STUN_REQUEST, tid_a0), NP_EINVAL);
	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, 4,
					tid_a0), NP_EINVAL);
	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_REQUEST, NULL), NP_EINVAL);
}

static void test_encoder_keeps_header_length_current(void **state)
{
	uint8_t out[128];
	struct stun_enc w;

	stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST,
		       tid_a0);
	assert_int_equal(out[2] << 8 | out[3], 0);
	stun_enc_str(&w, STUN_ATTR_SOFTWARE, "abcde"); /* 4 + 5 + 3 */
	assert_int_equal(out[2] << 8 | out[3], 12);
	assert_int_equal(w.len, 32);
	stun_enc_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	assert_int_equal(out[2] << 8 | out[3], 16);
}

/* RFC 8489 §5: type bits are M11..M7 C1 M6..M4 C0 M3..M0. */
static void test_class_and_method_bits_interleave(void **state)
{
	static const struct {
		uint16_t method;
		uint8_t cls;
		uint16_t type;
	} cases[] = {
		{ STUN_BINDING, STUN_REQUEST, 0x0001 },
		{ STUN_BINDING, STUN_INDICATION, 0x0011 },
		{ STUN_BINDING, STUN_SUCCESS, 0x0101 },
		{ STUN_BINDING, STUN_ERROR, 0x0111 },
		{ TURN_ALLOCATE, STUN_ERROR, 0x0113 },
		{ TURN_SEND, STUN_INDICATION, 0x0016 },
		{ TURN_CONNECTION_ATTEMPT, STUN_REQUEST, 0x000c },
		{ 0x0FFF, STUN_ERROR, 0x3FFF },
		{ 0x0FFF, STUN_REQUEST, 0x3EEF },
		{ 0x0010, STUN_REQUEST, 0x0020 },
		{ 0x0080, STUN_SUCCESS, 0x0300 },
	};
	uint8_t out[64];
	struct stun_enc w;
	struct stun_msg m;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(stun_enc_begin(&w, out, sizeof(out),
						cases[i].method, cases[i].cls,
						tid_a0), 0);
		assert_int_equal(stun_enc_end(&w, &len), 0);
		assert_int_equal(out[0] << 8 | out[1], cases[i].type);
		decode_ok(out, len, 0, &m);
		assert_int_equal(m.method, cases[i].method);
		assert_int_equal(m.cls, cases[i].cls);
	}
}

/* ---- Attribute readers, round trips ---- */

/* Finishes what w wrote and decodes it into m, which must hold type. */
static void decode_written(struct stun_enc *w, struct stun_msg *m,
			   uint16_t type)
{
	size_t len;

	assert_int_equal(stun_enc_end(w, &len), 0);
	decode_ok(w->buf, len, 0, m);
	assert_non_null(stun_msg_find(m, type));
}

static void test_address_attributes_round_trip(void **state)
{
	static const struct {
		const char *ip;
		uint16_t port;
	} cases[] = {
		{ "203.0.113.77", 1 }, { "0.0.0.0", 65535 },
		{ "2001:db8::dead:beef", 3478 }, { "::1", 0x2112 },
	};
	uint8_t out[256];
	struct sockaddr_storage in, got;
	struct stun_enc w;
	struct stun_msg m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = addr(cases[i].ip, cases[i].port);
		stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_SUCCESS,
			       tid_a0);
		stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
				  (struct sockaddr *)&in);
		stun_enc_xor_addr(&w, STUN_ATTR_XOR_RELAYED_ADDRESS,
				  (struct sockaddr *)&in);
		stun_enc_addr(&w, STUN_ATTR_OTHER_ADDRESS,
			      (struct sockaddr *)&in);
		stun_enc_addr(&w, STUN_ATTR_MAPPED_ADDRESS,
			      (struct sockaddr *)&in);
		decode_written(&w, &m, STUN_ATTR_MAPPED_ADDRESS);
		assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m,
				STUN_ATTR_XOR_MAPPED_ADDRESS), &got), 0);
		assert_addr(&got, cases[i].ip, cases[i].port);
		assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m,
				STUN_ATTR_XOR_RELAYED_ADDRESS), &got), 0);
		assert_addr(&got, cases[i].ip, cases[i].port);
		assert_int_equal(stun_attr_addr(stun_msg_find(&m,
				STUN_ATTR_OTHER_ADDRESS), &got), 0);
		assert_addr(&got, cases[i].ip, cases[i].port);
		assert_int_equal(stun_attr_addr(stun_msg_find(&m,
				STUN_ATTR_MAPPED_ADDRESS), &got), 0);
		assert_addr(&got, cases[i].ip, cases[i].port);
	}
}

static void test_encoder_rejects_unknown_address_family(void **state)
{
	uint8_t out[64];
	struct sockaddr_storage ss;
	struct stun_enc w;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_SUCCESS,
		       tid_a0);
	assert_int_equal(stun_enc_addr(&w, STUN_ATTR_MAPPED_ADDRESS,
				       (struct sockaddr *)&ss), NP_EINVAL);
}

static void test_integer_attributes_round_trip(void **state)
{
	uint8_t out[128];
	struct stun_enc w;
	struct stun_msg m;
	uint32_t v32;
	uint64_t v64;

	stun_enc_begin(&w, out, sizeof(out), TURN_ALLOCATE, STUN_SUCCESS,
		       tid_a0);
	stun_enc_u32(&w, STUN_ATTR_LIFETIME, 600);
	stun_enc_u64(&w, STUN_ATTR_ICE_CONTROLLING, 0x0123456789abcdefull);
	decode_written(&w, &m, STUN_ATTR_LIFETIME);
	assert_int_equal(stun_attr_u32(stun_msg_find(&m, STUN_ATTR_LIFETIME),
				       &v32), 0);
	assert_int_equal(v32, 600);
	assert_int_equal(stun_attr_u64(stun_msg_find(&m,
				STUN_ATTR_ICE_CONTROLLING), &v64), 0);
	assert_true(v64 == 0x0123456789abcdefull);
	/* Each reader insists on its own size. */
	assert_int_equal(stun_attr_u32(stun_msg_find(&m,
				STUN_ATTR_ICE_CONTROLLING), &v32),
			 NP_ESTUN_BADATTR);
	assert_int_equal(stun_attr_u64(stun_msg_find(&m, STUN_ATTR_LIFETIME),
				       &v64), NP_ESTUN_BADATTR);
}

static void test_error_code_round_trips_with_reason(void **state)
{
	static const int codes[] = { 300, 401, 420, 438, 699 };
	uint8_t out[128];
	struct stun_enc w;
	struct stun_msg m;
	const char *reason;
	size_t i, rlen;
	int code;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_ERROR,
			       tid_a0);
		stun_enc_error(&w, codes[i], "Stale Nonce");
		decode_written(&w, &m, STUN_ATTR_ERROR_CODE);
		assert_int_equal(stun_attr_error(stun_msg_find(&m,
				STUN_ATTR_ERROR_CODE), &code, &reason, &rlen), 0);
		assert_int_equal(code, codes[i]);
		assert_int_equal(rlen, 11);
		assert_memory_equal(reason, "Stale Nonce", 11);
	}
	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_ERROR, tid_a0), 0);
	assert_int_equal(stun_enc_error(&w, 299, "x"), NP_EINVAL);
	assert_int_equal(stun_enc_begin(&w, out, sizeof(out), STUN_BINDING,
					STUN_ERROR, tid_a0), 0);
	assert_int_equal(stun_enc_error(&w, 700, "x"), NP_EINVAL);
}

static void test_error_reader_rejects_class_outside_3_to_6(void **state)
{
	static const uint8_t class2[] = { 0, 0, 2, 0 }, num100[] = { 0, 0, 4, 100 };
	static const uint8_t shortv[] = { 0, 0, 4 };
	struct stun_attr a = { STUN_ATTR_ERROR_CODE, 4, class2, 20 };
	const char *reason;
	size_t rlen;
	int code;

	assert_int_equal(stun_attr_error(&a, &code, &reason, &rlen),
			 NP_ESTUN_BADATTR);
	a.val = num100;
	assert_int_equal(stun_attr_error(&a, &code, &reason, &rlen),
			 NP_ESTUN_BADATTR);
	a.val = shortv;
	a.len = 3;
	assert_int_equal(stun_attr_error(&a, &code, &reason, &rlen),
			 NP_ESTUN_BADATTR);
}

static void test_unknown_attributes_round_trip_with_odd_count(void **state)
{
	static const uint16_t types[] = { 0x7f01, 0x0031, 0x0032 };
	uint8_t out[128];
	uint16_t got[8];
	struct stun_enc w;
	struct stun_msg m;
	size_t n;

	stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_ERROR, tid_a0);
	stun_enc_unknown(&w, types, 3);
	assert_int_equal(w.len, 20 + 4 + 8); /* 6 bytes, padded to 8 */
	decode_written(&w, &m, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	assert_int_equal(stun_attr_unknown(stun_msg_find(&m,
				STUN_ATTR_UNKNOWN_ATTRIBUTES), got, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(got, types, sizeof(types));
	/* A smaller array gets the first ones. */
	assert_int_equal(stun_attr_unknown(stun_msg_find(&m,
				STUN_ATTR_UNKNOWN_ATTRIBUTES), got, 2, &n), 0);
	assert_int_equal(n, 2);
}

static void test_change_request_and_response_port_round_trip(void **state)
{
	uint8_t out[128];
	struct stun_enc w;
	struct stun_msg m;
	uint32_t flags;
	uint16_t port;

	stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST,
		       tid_a0);
	stun_enc_change_request(&w, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	stun_enc_response_port(&w, 50000);
	decode_written(&w, &m, STUN_ATTR_CHANGE_REQUEST);
	assert_int_equal(stun_attr_change_request(stun_msg_find(&m,
				STUN_ATTR_CHANGE_REQUEST), &flags), 0);
	assert_int_equal(flags, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(stun_attr_response_port(stun_msg_find(&m,
				STUN_ATTR_RESPONSE_PORT), &port), 0);
	assert_int_equal(port, 50000);
}

static void test_rfc5780_fixture_reads_change_request_and_port(void **state)
{
	uint8_t buf[256];
	size_t len = load("edge_rfc5780_change_request.bin", buf, sizeof(buf));
	struct stun_msg m;
	uint32_t flags;
	uint16_t port;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_attr_change_request(stun_msg_find(&m,
				STUN_ATTR_CHANGE_REQUEST), &flags), 0);
	assert_int_equal(flags, 6);
	assert_int_equal(stun_attr_response_port(stun_msg_find(&m,
				STUN_ATTR_RESPONSE_PORT), &port), 0);
	assert_int_equal(port, 50000);
	assert_int_equal(stun_msg_find(&m, STUN_ATTR_PADDING)->len, 37);
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_password_algorithms_reads_every_entry(void **state)
{
	/* MD5 with no parameters, SHA-256 with 3 bytes of them (padded),
	 * then an entry whose parameters overrun the value. */
	static const uint8_t good[] = { 0, 1, 0, 0, 0, 2, 0, 3, 9, 9, 9, 0 };
	static const uint8_t bad[] = { 0, 1, 0, 0, 0, 2, 0, 9, 9, 9, 9, 0 };
	struct stun_attr a = { STUN_ATTR_PASSWORD_ALGORITHMS, sizeof(good),
			       good, 20 };
	uint8_t buf[256];
	uint16_t algs[4];
	struct stun_msg m;
	size_t n, len;

	assert_int_equal(stun_attr_password_algorithms(&a, algs, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(algs[0], STUN_PWALG_MD5);
	assert_int_equal(algs[1], STUN_PWALG_SHA256);
	a.val = bad;
	assert_int_equal(stun_attr_password_algorithms(&a, algs, 4, &n),
			 NP_ESTUN_BADATTR);

	len = load("edge_turn_401_password_algorithms.bin", buf, sizeof(buf));
	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.method, TURN_ALLOCATE);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(stun_attr_password_algorithms(stun_msg_find(&m,
				STUN_ATTR_PASSWORD_ALGORITHMS), algs, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(algs[0], STUN_PWALG_MD5);
}

static void test_string_attributes_round_trip(void **state)
{
	uint8_t out[256];
	struct stun_enc w;
	struct stun_msg m;

	stun_enc_begin(&w, out, sizeof(out), TURN_ALLOCATE, STUN_REQUEST,
		       tid_a0);
	stun_enc_str(&w, STUN_ATTR_USERNAME, "a");
	stun_enc_str(&w, STUN_ATTR_REALM, "ab");
	stun_enc_str(&w, STUN_ATTR_NONCE, "abc");
	stun_enc_str(&w, STUN_ATTR_SOFTWARE, "abcd");
	stun_enc_str(&w, STUN_ATTR_DATA, "");
	decode_written(&w, &m, STUN_ATTR_USERNAME);
	assert_str_attr(&m, STUN_ATTR_USERNAME, "a");
	assert_str_attr(&m, STUN_ATTR_REALM, "ab");
	assert_str_attr(&m, STUN_ATTR_NONCE, "abc");
	assert_str_attr(&m, STUN_ATTR_SOFTWARE, "abcd");
	assert_str_attr(&m, STUN_ATTR_DATA, "");
	assert_int_equal(w.len, 20 + 8 + 8 + 8 + 8 + 4);
}

static void test_readers_report_an_absent_attribute_as_notfound(void **state)
{
	uint8_t buf[64];
	size_t len = load("edge_zero_attributes.bin", buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;
	const char *reason;
	uint16_t types[2], port;
	size_t n;
	uint32_t v;
	uint64_t v64;
	int code;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m,
				STUN_ATTR_XOR_MAPPED_ADDRESS), &ss), NP_ENOTFOUND);
	assert_int_equal(stun_attr_addr(NULL, &ss), NP_ENOTFOUND);
	assert_int_equal(stun_attr_u32(NULL, &v), NP_ENOTFOUND);
	assert_int_equal(stun_attr_u64(NULL, &v64), NP_ENOTFOUND);
	assert_int_equal(stun_attr_error(NULL, &code, &reason, &n),
			 NP_ENOTFOUND);
	assert_int_equal(stun_attr_unknown(NULL, types, 2, &n), NP_ENOTFOUND);
	assert_int_equal(stun_attr_change_request(NULL, &v), NP_ENOTFOUND);
	assert_int_equal(stun_attr_response_port(NULL, &port), NP_ENOTFOUND);
	assert_int_equal(stun_attr_password_algorithms(NULL, types, 2, &n),
			 NP_ENOTFOUND);
}

static void test_readers_reject_malformed_addresses(void **state)
{
	static const uint8_t fam3[] = { 0, 3, 0, 1, 1, 2, 3, 4 };
	static const uint8_t v6short[] = { 0, 2, 0, 1, 1, 2, 3, 4 };
	static const uint8_t v4long[] = { 0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct stun_attr a = { STUN_ATTR_MAPPED_ADDRESS, 8, fam3, 20 };
	struct sockaddr_storage ss;

	assert_int_equal(stun_attr_addr(&a, &ss), NP_ESTUN_BADATTR);
	a.val = v6short;
	assert_int_equal(stun_attr_addr(&a, &ss), NP_ESTUN_BADATTR);
	a.val = v4long;
	a.len = sizeof(v4long);
	assert_int_equal(stun_attr_addr(&a, &ss), NP_ESTUN_BADATTR);
	a.len = 3;
	assert_int_equal(stun_attr_addr(&a, &ss), NP_ESTUN_BADATTR);
}

/* ---- Malformed fixtures: one code each ---- */

static const struct {
	const char *file;
	int code;           /* from stun_decode, or the fingerprint check */
	const char *detail; /* a piece of the sentence, with its numbers */
} malformed[] = {
	{ "malform_truncated_header.bin", NP_ESTUN_SHORT,
	  "12 bytes; a STUN header needs 20" },
	{ "malform_top_bits_set.bin", NP_ENOTSTUN, "first byte 0xc0" },
	{ "malform_length_exceeds_datagram.bin", NP_ESTUN_BADLEN,
	  "says 24 bytes follow the header, the datagram has 16" },
	{ "malform_length_not_multiple_of_4.bin", NP_ESTUN_UNALIGNED,
	  "length 6 is not a multiple of 4: 2 bytes at offset 24" },
	{ "malform_attribute_overruns_message.bin", NP_ESTUN_ATTRLEN,
	  "attribute 0x0020 at offset 20 claims 12 bytes, 4 remain" },
	{ "malform_missing_padding.bin", NP_ESTUN_BADPAD,
	  "has 11 bytes and needs 1 padding bytes, 0 remain" },
	{ "malform_bad_family.bin", NP_ESTUN_BADATTR,
	  "XOR-MAPPED-ADDRESS at offset 20 has address family 0x03" },
	{ "malform_ipv6_family_with_ipv4_length.bin", NP_ESTUN_BADATTR,
	  "MAPPED-ADDRESS at offset 20 has 8 bytes; family 0x02 needs 20" },
	{ "malform_attribute_after_fingerprint.bin", NP_ESTUN_AFTER_FP,
	  "attribute 0x8022 at offset 36 follows FINGERPRINT" },
	{ "malform_unknown_required.bin", NP_ESTUN_UNKNOWN_REQ,
	  "the first 0x7f01 at offset 20" },
	{ "malform_integrity_wrong_length.bin", NP_ESTUN_BADATTR,
	  "MESSAGE-INTEGRITY at offset 20 has 16 bytes; it must have 20" },
	{ "malform_too_many_attributes.bin", NP_ESTUN_TOOMANY,
	  "would be number 49; we keep at most 48" },
	{ "malform_bad_fingerprint.bin", NP_ESTUN_FINGERPRINT, "" },
};

/* Decodes a fixture; a message that decodes is held to its fingerprint. */
static int check_fixture(const char *file, char *detail, size_t cap)
{
	uint8_t buf[1024];
	size_t len = load(file, buf, sizeof(buf));
	struct stun_msg m;
	int rc;

	rc = stun_decode(buf, len, 0, &m, detail, cap);
	if (rc)
		return rc;
	return stun_check_fingerprint(&m);
}

static void expect_malformed(const char *file)
{
	char detail[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		if (strcmp(malformed[i].file, file))
			continue;
		rc = check_fixture(file, detail, sizeof(detail));
		if (rc != malformed[i].code)
			fail_msg("%s: got %s, want %s (%s)", file,
				 np_errname(rc),
				 np_errname(malformed[i].code), detail);
		if (!strstr(detail, malformed[i].detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", file, detail,
				 malformed[i].detail);
		return;
	}
	fail_msg("%s is not in the malformed[] table", file);
}

static void test_rejects_truncated_header(void **state)
{
	expect_malformed("malform_truncated_header.bin");
}

static void test_rejects_top_two_bits_set(void **state)
{
	expect_malformed("malform_top_bits_set.bin");
}

static void test_rejects_length_field_longer_than_datagram(void **state)
{
	expect_malformed("malform_length_exceeds_datagram.bin");
}

static void test_rejects_length_not_multiple_of_4(void **state)
{
	expect_malformed("malform_length_not_multiple_of_4.bin");
}

static void test_rejects_attribute_longer_than_message(void **state)
{
	expect_malformed("malform_attribute_overruns_message.bin");
}

static void test_rejects_missing_padding(void **state)
{
	expect_malformed("malform_missing_padding.bin");
}

static void test_rejects_unknown_address_family(void **state)
{
	expect_malformed("malform_bad_family.bin");
}

static void test_rejects_ipv6_family_with_ipv4_length(void **state)
{
	expect_malformed("malform_ipv6_family_with_ipv4_length.bin");
}

static void test_rejects_attribute_after_fingerprint(void **state)
{
	expect_malformed("malform_attribute_after_fingerprint.bin");
}

static void test_rejects_unknown_comprehension_required_attribute(
	void **state)
{
	uint8_t buf[256];
	size_t len = load("malform_unknown_required.bin", buf, sizeof(buf));
	struct stun_msg m;

	expect_malformed("malform_unknown_required.bin");
	/* Rejected or not, the type is reported for a 420. */
	assert_int_equal(stun_decode(buf, len, 0, &m, NULL, 0),
			 NP_ESTUN_UNKNOWN_REQ);
	assert_int_equal(m.nunknown, 1);
	assert_int_equal(m.unknown[0], 0x7f01);
	decode_ok(buf, len, STUN_DEC_ALLOW_UNKNOWN, &m);
	assert_int_equal(m.nunknown, 1);
	assert_int_equal(m.unknown[0], 0x7f01);
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_rejects_integrity_of_wrong_length(void **state)
{
	expect_malformed("malform_integrity_wrong_length.bin");
}

static void test_rejects_more_than_max_attributes(void **state)
{
	expect_malformed("malform_too_many_attributes.bin");
}

static void test_flipped_fingerprint_bit_decodes_but_fails_check(void **state)
{
	expect_malformed("malform_bad_fingerprint.bin");
}

/* Every malform_ file in the directory is in the table (and so fails with
 * its own code); every valid_ and edge_ file decodes and verifies. */
static void test_every_fixture_in_the_directory_is_accounted_for(void **state)
{
	DIR *d = opendir(FIXTURES);
	struct dirent *e;
	uint8_t buf[1024], key[64];
	int klen = short_key(key), nmal = 0, nok = 0;

	if (!d)
		fail_msg("cannot open %s (run from the repository root)",
			 FIXTURES);
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		struct stun_msg m;
		size_t len;

		if (!strncmp(n, "malform_", 8)) {
			expect_malformed(n);
			nmal++;
			continue;
		}
		if (strncmp(n, "valid_", 6) && strncmp(n, "edge_", 5))
			continue;
		len = load(n, buf, sizeof(buf));
		decode_ok(buf, len, STUN_DEC_ALLOW_CLASSIC, &m);
		nok++;
		if (stun_msg_find(&m, STUN_ATTR_FINGERPRINT))
			assert_int_equal(stun_check_fingerprint(&m), 0);
		if (!strcmp(n, "valid_rfc5769_long_term_request.bin") ||
		    !m.nattrs || (!stun_msg_find(&m, STUN_ATTR_MESSAGE_INTEGRITY) &&
				  !stun_msg_find(&m, STUN_ATTR_MESSAGE_INTEGRITY_SHA256)))
			continue;
		if (stun_check_integrity(&m, key, (size_t)klen))
			fail_msg("%s: integrity does not verify", n);
	}
	closedir(d);
	assert_int_equal(nmal, (int)(sizeof(malformed) / sizeof(malformed[0])));
	assert_true(nok >= 4);
}

/* ---- Edge fixtures ---- */

static void test_classic_rfc3489_response_needs_allow_classic(void **state)
{
	static const uint8_t id[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
					0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
					0x1c, 0x1d, 0x1e, 0x1f };
	uint8_t buf[256];
	size_t len = load("edge_classic_rfc3489_response.bin", buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;
	char detail[200];

	assert_int_equal(stun_decode(buf, len, 0, &m, detail, sizeof(detail)),
			 NP_ENOTSTUN);
	assert_non_null(strstr(detail, "magic cookie is 0x10111213"));
	decode_ok(buf, len, STUN_DEC_ALLOW_CLASSIC, &m);
	assert_int_equal(m.classic, 1);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_memory_equal(m.tid3489, id, 16);
	assert_memory_equal(m.tid, id + 4, STUN_TID_LEN);
	assert_int_equal(stun_attr_addr(stun_msg_find(&m,
				STUN_ATTR_MAPPED_ADDRESS), &ss), 0);
	assert_addr(&ss, "198.51.100.7", 40000);
	assert_int_equal(stun_attr_addr(stun_msg_find(&m,
				STUN_ATTR_CHANGED_ADDRESS), &ss), 0);
	assert_addr(&ss, "192.0.2.11", 3479);
	assert_int_equal(stun_is_stun(buf, len), 0);
}

static void test_max_attributes_message_decodes(void **state)
{
	uint8_t buf[1024];
	size_t len = load("edge_max_attributes.bin", buf, sizeof(buf));
	struct stun_msg m;
	uint32_t v;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.nattrs, STUN_MAX_ATTRS);
	assert_int_equal(stun_attr_u32(&m.attrs[46], &v), 0);
	assert_int_equal(v, 46);
	assert_int_equal(m.attrs[47].type, STUN_ATTR_FINGERPRINT);
	assert_int_equal(m.attrs[47].off, len - 8);
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_xor_mapped_ipv6_fixture_decodes(void **state)
{
	uint8_t buf[256];
	size_t len = load("edge_xor_mapped_ipv6.bin", buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m,
				STUN_ATTR_XOR_MAPPED_ADDRESS), &ss), 0);
	assert_addr(&ss, "2001:db8::1", 61000);
	assert_int_equal(stun_attr_addr(stun_msg_find(&m,
				STUN_ATTR_RESPONSE_ORIGIN), &ss), 0);
	assert_addr(&ss, "2001:db8::1", 3478);
	assert_int_equal(stun_attr_addr(stun_msg_find(&m,
				STUN_ATTR_OTHER_ADDRESS), &ss), 0);
	assert_addr(&ss, "203.0.113.2", 3479);
}

static void test_error_420_lists_unknown_attributes(void **state)
{
	uint8_t buf[256];
	size_t len = load("edge_error_420_unknown_attributes.bin", buf,
			  sizeof(buf));
	struct stun_msg m;
	const char *reason;
	size_t rlen, n;
	uint16_t types[8];
	int code;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(stun_attr_error(stun_msg_find(&m, STUN_ATTR_ERROR_CODE),
					 &code, &reason, &rlen), 0);
	assert_int_equal(code, 420);
	assert_int_equal(rlen, strlen("Unknown Attribute"));
	assert_memory_equal(reason, "Unknown Attribute", rlen);
	assert_int_equal(stun_attr_unknown(stun_msg_find(&m,
				STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(types[0], 0x7f01);
	assert_int_equal(types[2], 0x0032);
}

static void test_unknown_optional_attribute_is_accepted(void **state)
{
	uint8_t buf[256];
	size_t len = load("edge_unknown_optional.bin", buf, sizeof(buf));
	struct stun_msg m;

	decode_ok(buf, len, 0, &m);
	assert_int_equal(m.nunknown, 0);
	assert_non_null(stun_msg_find(&m, 0xC0DE));
}

static void test_unknown_required_types_are_listed_once(void **state)
{
	uint8_t out[256];
	struct stun_enc w;
	struct stun_msg m;
	size_t len;

	stun_enc_begin(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST,
		       tid_a0);
	stun_enc_u32(&w, 0x0031, 1);
	stun_enc_u32(&w, 0x0032, 2);
	stun_enc_u32(&w, 0x0031, 3);
	stun_enc_u32(&w, 0x0000, 4);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	assert_int_equal(stun_decode(out, len, 0, &m, NULL, 0),
			 NP_ESTUN_UNKNOWN_REQ);
	assert_int_equal(m.nunknown, 3);
	assert_int_equal(m.unknown[2], 0x0000);
}

/* ---- Demultiplexing, framing, names ---- */

static void test_is_stun_demultiplexes_by_first_byte_and_cookie(void **state)
{
	uint8_t buf[512];
	size_t len = load("valid_rfc5769_request.bin", buf, sizeof(buf));

	assert_int_equal(stun_is_stun(buf, len), 1);
	assert_int_equal(stun_is_stun(buf, 19), 0);
	buf[0] = 22; /* a DTLS handshake record (RFC 7983) */
	assert_int_equal(stun_is_stun(buf, len), 0);
	buf[0] = 0x80; /* RTP version 2 */
	assert_int_equal(stun_is_stun(buf, len), 0);
	assert_int_equal(stun_is_stun(NULL, 0), 0);
}

static void test_frame_len_reads_the_length_field(void **state)
{
	uint8_t buf[512];
	size_t len = load("valid_rfc5769_request.bin", buf, sizeof(buf));

	assert_int_equal(stun_frame_len(buf, len), 108);
	assert_int_equal(stun_frame_len(buf, 4), 108);
	assert_int_equal(stun_frame_len(buf, 3), 0);
}

static void test_names_come_from_the_rfcs(void **state)
{
	char buf[16];

	assert_string_equal(stun_method_name(STUN_BINDING), "Binding");
	assert_string_equal(stun_method_name(TURN_CREATE_PERMISSION),
			    "CreatePermission");
	assert_string_equal(stun_class_name(STUN_ERROR), "error response");
	assert_string_equal(stun_attr_name(STUN_ATTR_XOR_MAPPED_ADDRESS, buf,
					   sizeof(buf)), "XOR-MAPPED-ADDRESS");
	assert_string_equal(stun_attr_name(0x7f01, buf, sizeof(buf)), "0x7f01");
	assert_string_equal(stun_attr_name(STUN_ATTR_FINGERPRINT, NULL, 0),
			    "FINGERPRINT");
}

static void test_detail_is_terminated_even_in_a_tiny_buffer(void **state)
{
	uint8_t buf[16] = { 0 };
	struct stun_msg m;
	char detail[8];

	memset(detail, 'x', sizeof(detail));
	assert_int_equal(stun_decode(buf, sizeof(buf), 0, &m, detail,
				     sizeof(detail)), NP_ESTUN_SHORT);
	assert_int_equal(strlen(detail), sizeof(detail) - 1);
	assert_int_equal(stun_decode(NULL, 0, 0, &m, NULL, 0), NP_ESTUN_SHORT);
}

static void test_tid_random_gives_fresh_ids(void **state)
{
	uint8_t a[STUN_TID_LEN], b[STUN_TID_LEN];

	assert_int_equal(stun_tid_random(a), 0);
	assert_int_equal(stun_tid_random(b), 0);
	assert_memory_not_equal(a, b, STUN_TID_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request_decodes_and_verifies),
		cmocka_unit_test(test_rfc5769_ipv4_response_maps_192_0_2_1_port_32853),
		cmocka_unit_test(test_rfc5769_ipv6_response_maps_2001_db8_port_32853),
		cmocka_unit_test(test_rfc5769_long_term_request_verifies_with_md5_key),
		cmocka_unit_test(test_rfc5769_request_reencodes_byte_for_byte),
		cmocka_unit_test(test_rfc5769_ipv4_response_reencodes_byte_for_byte),
		cmocka_unit_test(test_rfc5769_ipv6_response_reencodes_byte_for_byte),
		cmocka_unit_test(test_rfc5769_long_term_request_reencodes_byte_for_byte),
		cmocka_unit_test(test_wrong_password_fails_integrity),
		cmocka_unit_test(test_tampered_byte_fails_fingerprint_and_integrity),
		cmocka_unit_test(test_checks_never_write_to_the_input),
		cmocka_unit_test(test_missing_integrity_and_fingerprint_are_reported),
		cmocka_unit_test(test_mi_sha256_round_trips),
		cmocka_unit_test(test_mi_sha256_truncated_to_16_bytes_verifies),
		cmocka_unit_test(test_mi_sha256_is_checked_in_preference_to_mi),
		cmocka_unit_test(test_attributes_after_integrity_are_ignored),
		cmocka_unit_test(test_ignored_attributes_are_still_bounds_checked),
		cmocka_unit_test(test_long_term_key_md5_is_md5_of_user_realm_password),
		cmocka_unit_test(test_long_term_key_sha256_is_sha256_of_user_realm_password),
		cmocka_unit_test(test_long_term_key_rejects_unknown_algorithm_and_small_buffer),
		cmocka_unit_test(test_short_term_key_is_the_password),
		cmocka_unit_test(test_encoder_overflow_reports_nospace_and_sticks),
		cmocka_unit_test(test_encoder_fills_buffer_exactly),
		cmocka_unit_test(test_encoder_needs_room_for_the_header),
		cmocka_unit_test(test_encoder_rejects_impossible_header_values),
		cmocka_unit_test(test_encoder_keeps_header_length_current),
		cmocka_unit_test(test_class_and_method_bits_interleave),
		cmocka_unit_test(test_address_attributes_round_trip),
		cmocka_unit_test(test_encoder_rejects_unknown_address_family),
		cmocka_unit_test(test_integer_attributes_round_trip),
		cmocka_unit_test(test_error_code_round_trips_with_reason),
		cmocka_unit_test(test_error_reader_rejects_class_outside_3_to_6),
		cmocka_unit_test(test_unknown_attributes_round_trip_with_odd_count),
		cmocka_unit_test(test_change_request_and_response_port_round_trip),
		cmocka_unit_test(test_rfc5780_fixture_reads_change_request_and_port),
		cmocka_unit_test(test_password_algorithms_reads_every_entry),
		cmocka_unit_test(test_string_attributes_round_trip),
		cmocka_unit_test(test_readers_report_an_absent_attribute_as_notfound),
		cmocka_unit_test(test_readers_reject_malformed_addresses),
		cmocka_unit_test(test_rejects_truncated_header),
		cmocka_unit_test(test_rejects_top_two_bits_set),
		cmocka_unit_test(test_rejects_length_field_longer_than_datagram),
		cmocka_unit_test(test_rejects_length_not_multiple_of_4),
		cmocka_unit_test(test_rejects_attribute_longer_than_message),
		cmocka_unit_test(test_rejects_missing_padding),
		cmocka_unit_test(test_rejects_unknown_address_family),
		cmocka_unit_test(test_rejects_ipv6_family_with_ipv4_length),
		cmocka_unit_test(test_rejects_attribute_after_fingerprint),
		cmocka_unit_test(test_rejects_unknown_comprehension_required_attribute),
		cmocka_unit_test(test_rejects_integrity_of_wrong_length),
		cmocka_unit_test(test_rejects_more_than_max_attributes),
		cmocka_unit_test(test_flipped_fingerprint_bit_decodes_but_fails_check),
		cmocka_unit_test(test_every_fixture_in_the_directory_is_accounted_for),
		cmocka_unit_test(test_classic_rfc3489_response_needs_allow_classic),
		cmocka_unit_test(test_max_attributes_message_decodes),
		cmocka_unit_test(test_xor_mapped_ipv6_fixture_decodes),
		cmocka_unit_test(test_error_420_lists_unknown_attributes),
		cmocka_unit_test(test_unknown_optional_attribute_is_accepted),
		cmocka_unit_test(test_unknown_required_types_are_listed_once),
		cmocka_unit_test(test_is_stun_demultiplexes_by_first_byte_and_cookie),
		cmocka_unit_test(test_frame_len_reads_the_length_field),
		cmocka_unit_test(test_names_come_from_the_rfcs),
		cmocka_unit_test(test_detail_is_terminated_even_in_a_tiny_buffer),
		cmocka_unit_test(test_tid_random_gives_fresh_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
