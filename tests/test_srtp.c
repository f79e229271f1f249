/*
 * test_srtp.c - the SRTP session (probe/srtp_session.c) keyed from a real
 * DTLS-SRTP handshake between two machines in memory, for each of the four
 * profiles: what one side protects the other authenticates and decrypts,
 * in both directions, for RTP and RTCP, with the tag sizes each profile
 * defines (RFC 3711, RFC 5764 §4.1.2, RFC 7714); a flipped bit, a replay,
 * a packet from other keys and a truncated packet are each counted under
 * their SSRC, never accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dtls.h"
#include "dtls_test_util.h"
#include "np_err.h"
#include "np_rd.h"
#include "rtp.h"
#include "srtp_session.h"

struct keys {
	struct dtls_srtp_keys c, s;
};

static void handshake(int profile, struct keys *k)
{
	struct tpair p;
	struct dtls_config cc = { .profiles = dtls_srtp_profile_name(profile) };

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, &cc, NULL, NULL, NULL), 0);
	assert_true(tpair_run(&p));
	assert_int_equal(dtls_srtp_keys(p.c.d, &k->c), 0);
	assert_int_equal(dtls_srtp_keys(p.s.d, &k->s), 0);
	tpair_dispose(&p);
}

static size_t make_rtp(uint8_t *buf, size_t cap, uint32_t ssrc, uint16_t seq)
{
	struct np_wr w;
	struct rtp_hdr h = { .pt = 111, .seq = seq, .ts = seq * 960u,
			     .ssrc = ssrc };
	uint8_t payload[100];

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i + seq);
	np_wr_init(&w, buf, cap);
	assert_int_equal(rtp_build(&w, &h, payload, sizeof(payload)), 0);
	return w.len;
}

static size_t make_rtcp(uint8_t *buf, size_t cap, uint32_t ssrc)
{
	struct np_wr w;
	struct rtcp_sr sr = { .ssrc = ssrc, .ntp = 0x1122334455667788ull,
			      .rtp_ts = 1234, .packets = 5, .octets = 500 };

	np_wr_init(&w, buf, cap);
	assert_int_equal(rtcp_build_sr(&w, &sr, NULL, 0), 0);
	assert_int_equal(rtcp_build_sdes_cname(&w, ssrc, "natprobe"), 0);
	return w.len;
}

static void one_profile(int profile, size_t rtp_tag, size_t rtcp_tag)
{
	struct keys k;
	struct srtp_session *a, *b;
	uint8_t buf[1500], plain[1500], copy[1500];
	size_t n, pn, cn;
	const struct srtp_ssrc_counts *row;

	handshake(profile, &k);
	assert_int_equal(srtp_session_new(&k.c, &a), 0);
	assert_int_equal(srtp_session_new(&k.s, &b), 0);

	/* Client to server, three packets. */
	for (uint16_t seq = 1; seq <= 3; seq++) {
		pn = n = make_rtp(buf, sizeof(buf), 0xA1A1A1A1, seq);
		memcpy(plain, buf, n);
		assert_int_equal(srtp_session_protect_rtp(a, buf, &n, sizeof(buf)), 0);
		assert_int_equal(n, pn + rtp_tag);
		/* Encrypted: the payload changed, the header did not. */
		assert_memory_equal(buf, plain, 12);
		assert_memory_not_equal(buf + 12, plain + 12, pn - 12);
		memcpy(copy, buf, n);
		cn = n;
		assert_int_equal(srtp_session_unprotect_rtp(b, buf, &n), 0);
		assert_int_equal(n, pn);
		assert_memory_equal(buf, plain, pn);
	}
	/* The last one again: a replay. */
	assert_int_equal(srtp_session_unprotect_rtp(b, copy, &cn), NP_EINVAL);
	/* One bit flipped in the payload of a fresh packet. */
	n = make_rtp(buf, sizeof(buf), 0xA1A1A1A1, 4);
	assert_int_equal(srtp_session_protect_rtp(a, buf, &n, sizeof(buf)), 0);
	buf[20] ^= 0x01;
	assert_int_equal(srtp_session_unprotect_rtp(b, buf, &n), NP_EINVAL);
	row = srtp_session_find(b, 0xA1A1A1A1, 0);
	assert_non_null(row);
	assert_int_equal(row->ok, 3);
	assert_int_equal(row->replay, 1);
	assert_int_equal(row->auth_fail, 1);
	assert_int_equal(row->bytes, 3 * 100);

	/* Server to client: the other half of the keys. */
	pn = n = make_rtp(buf, sizeof(buf), 0xB2B2B2B2, 7);
	assert_int_equal(srtp_session_protect_rtp(b, buf, &n, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(a, buf, &n), 0);
	assert_int_equal(n, pn);
	/* A packet we protected ourselves does not authenticate as the
	 * peer's (the directions have different keys). */
	n = make_rtp(buf, sizeof(buf), 0xC3C3C3C3, 1);
	assert_int_equal(srtp_session_protect_rtp(a, buf, &n, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(a, buf, &n), NP_EINVAL);
	assert_int_equal(srtp_session_find(a, 0xC3C3C3C3, 0)->auth_fail, 1);

	/* RTCP both ways. */
	pn = n = make_rtcp(buf, sizeof(buf), 0xA1A1A1A1);
	memcpy(plain, buf, n);
	assert_int_equal(srtp_session_protect_rtcp(a, buf, &n, sizeof(buf)), 0);
	assert_int_equal(n, pn + rtcp_tag);
	assert_int_equal(srtp_session_unprotect_rtcp(b, buf, &n), 0);
	assert_int_equal(n, pn);
	assert_memory_equal(buf, plain, pn);
	assert_int_equal(srtp_session_find(b, 0xA1A1A1A1, 1)->ok, 1);
	/* Truncated SRTCP: counted as malformed. */
	n = 10;
	assert_int_equal(srtp_session_unprotect_rtcp(b, buf, &n), NP_EINVAL);
	assert_int_equal(srtp_session_find(b, 0xA1A1A1A1, 1)->malformed, 1);
	/* No room for the tag. */
	n = make_rtp(buf, sizeof(buf), 0xA1A1A1A1, 9);
	assert_int_equal(srtp_session_protect_rtp(a, buf, &n, n + 4), NP_ENOSPACE);

	srtp_session_free(a);
	srtp_session_free(b);
}

static void test_aes128_cm_sha1_80_round_trip(void **state)
{
	one_profile(DTLS_SRTP_AES128_CM_SHA1_80, 10, 4 + 10);
}

static void test_aes128_cm_sha1_32_round_trip_with_80_bit_rtcp_tag(void **state)
{
	one_profile(DTLS_SRTP_AES128_CM_SHA1_32, 4, 4 + 10);
}

static void test_aead_aes_128_gcm_round_trip(void **state)
{
	one_profile(DTLS_SRTP_AEAD_AES_128_GCM, 16, 4 + 16);
}

static void test_aead_aes_256_gcm_round_trip(void **state)
{
	one_profile(DTLS_SRTP_AEAD_AES_256_GCM, 16, 4 + 16);
}

static void test_other_handshake_keys_do_not_authenticate(void **state)
{
	struct keys k1, k2;
	struct srtp_session *a, *b;
	uint8_t buf[1500];
	size_t n;

	handshake(DTLS_SRTP_AES128_CM_SHA1_80, &k1);
	handshake(DTLS_SRTP_AES128_CM_SHA1_80, &k2);
	assert_memory_not_equal(k1.c.material, k2.c.material, k1.c.material_len);
	assert_int_equal(srtp_session_new(&k1.c, &a), 0);
	assert_int_equal(srtp_session_new(&k2.s, &b), 0);
	n = make_rtp(buf, sizeof(buf), 0x01020304, 1);
	assert_int_equal(srtp_session_protect_rtp(a, buf, &n, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(b, buf, &n), NP_EINVAL);
	assert_int_equal(srtp_session_find(b, 0x01020304, 0)->auth_fail, 1);
	assert_int_equal(srtp_session_find(b, 0x01020304, 0)->ok, 0);
	srtp_session_free(a);
	srtp_session_free(b);
}

static void test_ssrc_table_is_capped(void **state)
{
	struct keys k;
	struct srtp_session *b;
	uint8_t buf[1500];
	size_t n, rows;
	uint64_t overflow;

	handshake(DTLS_SRTP_AES128_CM_SHA1_80, &k);
	assert_int_equal(srtp_session_new(&k.s, &b), 0);
	/* Garbage under 100 SSRCs: every one fails, the table stops at its
	 * cap and the rest are counted together. */
	for (uint32_t i = 0; i < 100; i++) {
		n = make_rtp(buf, sizeof(buf), 0x1000 + i, 1);
		n += 10;
		assert_int_equal(srtp_session_unprotect_rtp(b, buf, &n), NP_EINVAL);
	}
	srtp_session_counts(b, &rows, &overflow);
	assert_int_equal(rows, SRTP_SESSION_MAX_SSRC);
	assert_int_equal(overflow, 100 - SRTP_SESSION_MAX_SSRC);
	srtp_session_free(b);
	srtp_session_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aes128_cm_sha1_80_round_trip),
		cmocka_unit_test(test_aes128_cm_sha1_32_round_trip_with_80_bit_rtcp_tag),
		cmocka_unit_test(test_aead_aes_128_gcm_round_trip),
		cmocka_unit_test(test_aead_aes_256_gcm_round_trip),
		cmocka_unit_test(test_other_handshake_keys_do_not_authenticate),
		cmocka_unit_test(test_ssrc_table_is_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
