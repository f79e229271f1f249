/*
 * test_stun_integrity.c - MESSAGE-INTEGRITY(-SHA256), FINGERPRINT and the
 * short- and long-term keys (probe/stun_integrity.c).
 *
 * Run from the repository root: fixtures are read by relative path.
 */
#include "stun_test_util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
