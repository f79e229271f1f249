/*
 * test_stun_rfc5769.c - the RFC 5769 sample messages decoded, verified and re-encoded byte
 * for byte.
 *
 * Run from the repository root: fixtures are read by relative path.
 */
#include "stun_test_util.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
