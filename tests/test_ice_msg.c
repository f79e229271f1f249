/*
 * test_ice_msg.c - the STUN messages of ICE checks (probe/ice_msg.c):
 * what we send decodes to what we meant, and a request is accepted only
 * with our ufrag first in USERNAME and MESSAGE-INTEGRITY under our
 * password (RFC 8445 §7.3, RFC 8489 §9.1.3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ice_agent_impl.h"
#include "np_err.h"
#include "stun_codec.h"

static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static size_t key_of(const char *pwd, uint8_t *key)
{
	int n = stun_key_short(pwd, key, 64);

	assert_true(n > 0);
	return (size_t)n;
}

static void check_ok(const uint8_t *buf, int n, struct stun_msg *m)
{
	char why[128];

	assert_true(n > 0);
	assert_int_equal(stun_decode(buf, (size_t)n, 0, m, why, sizeof(why)), 0);
}

static void test_check_round_trips(void **state)
{
	uint8_t buf[512], key[64];
	size_t kl = key_of("ThePasswordOfTheAnswerer", key);
	struct ice_cl_request req;
	struct stun_msg m;
	char why[160];
	int n;

	/* The offerer (ufrag "offr") checks the answerer (ufrag "answ"):
	 * USERNAME "answ:offr", signed with the answerer's password. */
	n = ice_msg_check(buf, sizeof(buf), tid, "answ", "offr", key, kl,
			  1853824767u, 1, 0x1122334455667788ull, 1);
	check_ok(buf, n, &m);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(stun_check_fingerprint(&m), 0);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)), ICE_REQ_OK);
	assert_int_equal(req.priority, 1853824767u);
	assert_true(req.use_candidate);
	assert_true(req.controlling);
	assert_false(req.controlled);
	assert_true(req.tiebreaker == 0x1122334455667788ull);
}

static void test_wrong_credentials_are_unauthorized(void **state)
{
	uint8_t buf[512], key[64], other[64];
	size_t kl = key_of("ThePasswordOfTheAnswerer", key);
	size_t ol = key_of("SomeOtherPasswordEntirely", other);
	struct ice_cl_request req;
	struct stun_msg m;
	char why[160];
	int n;

	n = ice_msg_check(buf, sizeof(buf), tid, "answ", "offr", other, ol,
			  100, 0, 7, 0);
	check_ok(buf, n, &m);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)),
			 ICE_REQ_UNAUTHORIZED);
	assert_non_null(strstr(why, "MESSAGE-INTEGRITY"));
	/* Right password, but for another ufrag (an old session). */
	n = ice_msg_check(buf, sizeof(buf), tid, "answX", "offr", key, kl, 100,
			  0, 7, 0);
	check_ok(buf, n, &m);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)),
			 ICE_REQ_UNAUTHORIZED);
	assert_non_null(strstr(why, "answX:offr"));
	/* Our ufrag as a prefix of theirs is not ours. */
	n = ice_msg_check(buf, sizeof(buf), tid, "ans", "offr", key, kl, 100,
			  0, 7, 0);
	check_ok(buf, n, &m);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)),
			 ICE_REQ_UNAUTHORIZED);
}

static void test_missing_attributes_are_bad_requests(void **state)
{
	uint8_t buf[512], key[64];
	size_t kl = key_of("ThePasswordOfTheAnswerer", key), len;
	struct ice_cl_request req;
	struct stun_enc w;
	struct stun_msg m;
	char why[160];

	/* No MESSAGE-INTEGRITY at all. */
	stun_enc_begin(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_enc_str(&w, STUN_ATTR_USERNAME, "answ:offr");
	stun_enc_u32(&w, STUN_ATTR_PRIORITY, 5);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	check_ok(buf, (int)len, &m);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)),
			 ICE_REQ_BAD_REQUEST);
	/* Signed, but no PRIORITY (RFC 8445 §7.1.1 requires it). */
	stun_enc_begin(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_enc_str(&w, STUN_ATTR_USERNAME, "answ:offr");
	stun_enc_u64(&w, STUN_ATTR_ICE_CONTROLLED, 9);
	stun_enc_integrity(&w, key, kl);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	check_ok(buf, (int)len, &m);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)),
			 ICE_REQ_BAD_REQUEST);
	assert_non_null(strstr(why, "PRIORITY"));
}

static void test_corrupt_fingerprint_is_refused(void **state)
{
	uint8_t buf[512], key[64];
	size_t kl = key_of("ThePasswordOfTheAnswerer", key);
	struct ice_cl_request req;
	struct stun_msg m;
	char why[160];
	int n;

	n = ice_msg_check(buf, sizeof(buf), tid, "answ", "offr", key, kl, 100,
			  1, 7, 0);
	assert_true(n > 8);
	buf[n - 1] ^= 0x01;   /* the CRC's last byte */
	check_ok(buf, n, &m);
	assert_int_equal(ice_msg_parse_request(&m, "answ", key, kl, &req, why,
					       sizeof(why)),
			 ICE_REQ_BAD_REQUEST);
	assert_non_null(strstr(why, "FINGERPRINT"));
}

static void test_responses_are_signed_as_the_rfc_says(void **state)
{
	uint8_t buf[512], key[64];
	size_t kl = key_of("ThePasswordOfTheAnswerer", key);
	struct sockaddr_storage mapped, got;
	const struct stun_attr *a;
	struct stun_msg m;
	int n, code;
	const char *reason;
	size_t rl;

	assert_int_equal(np_addr_parse("198.51.100.2:40000", &mapped), 0);
	n = ice_msg_success(buf, sizeof(buf), tid, &mapped, key, kl);
	check_ok(buf, n, &m);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_int_equal(stun_check_integrity(&m, key, kl), 0);
	a = stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	assert_non_null(a);
	assert_int_equal(stun_attr_xor_addr(&m, a, &got), 0);
	assert_true(np_addr_equal(&got, &mapped));
	/* 487 is signed (the peer must trust it to switch roles)... */
	n = ice_msg_error(buf, sizeof(buf), tid, 487, "Role Conflict", key, kl);
	check_ok(buf, n, &m);
	assert_int_equal(stun_check_integrity(&m, key, kl), 0);
	assert_int_equal(stun_attr_error(stun_msg_find(&m, STUN_ATTR_ERROR_CODE),
					 &code, &reason, &rl), 0);
	assert_int_equal(code, 487);
	/* ...401 is not: we could not verify who asked (§9.1.3). */
	n = ice_msg_error(buf, sizeof(buf), tid, 401, "Unauthorized", NULL, 0);
	check_ok(buf, n, &m);
	assert_null(stun_msg_find(&m, STUN_ATTR_MESSAGE_INTEGRITY));
	assert_int_equal(stun_check_fingerprint(&m), 0);
}

static void test_small_buffers_fail_cleanly(void **state)
{
	uint8_t buf[40], key[64];
	size_t kl = key_of("ThePasswordOfTheAnswerer", key);

	assert_true(ice_msg_check(buf, sizeof(buf), tid, "answ", "offr", key,
				  kl, 100, 1, 7, 1) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_round_trips),
		cmocka_unit_test(test_wrong_credentials_are_unauthorized),
		cmocka_unit_test(test_missing_attributes_are_bad_requests),
		cmocka_unit_test(test_corrupt_fingerprint_is_refused),
		cmocka_unit_test(test_responses_are_signed_as_the_rfc_says),
		cmocka_unit_test(test_small_buffers_fail_cleanly),
	};

	return cmocka_run_group_tests_name("ice_msg", tests, NULL, NULL);
}
