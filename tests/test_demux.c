/*
 * test_demux.c - RFC 7983 §7 demultiplexing (probe/demux.c): every value
 * of the first byte lands in the range the RFC gives it, RTP and RTCP are
 * told apart by the whole second byte (RFC 5761 §4), and a datagram too
 * short for its class is reported as short, not guessed at.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "demux.h"

static void test_every_first_byte_lands_in_its_rfc7983_range(void **state)
{
	uint8_t buf[64];

	memset(buf, 0, sizeof(buf));
	buf[1] = 96;                       /* an RTP payload type */
	for (int b = 0; b < 256; b++) {
		enum demux_kind want;

		buf[0] = (uint8_t)b;
		if (b <= 3)
			want = DEMUX_STUN;
		else if (b >= 16 && b <= 19)
			want = DEMUX_ZRTP;
		else if (b >= 20 && b <= 63)
			want = DEMUX_DTLS;
		else if (b >= 64 && b <= 79)
			want = DEMUX_TURN_CHANNEL;
		else if (b >= 128 && b <= 191)
			want = DEMUX_RTP;
		else
			want = DEMUX_UNKNOWN;
		assert_int_equal(demux_classify(buf, sizeof(buf)), want);
	}
}

static void test_rtcp_by_payload_type_byte(void **state)
{
	uint8_t buf[32] = { 0x80 };

	for (int pt = 0; pt < 256; pt++) {
		buf[1] = (uint8_t)pt;
		assert_int_equal(demux_classify(buf, sizeof(buf)),
				 pt >= 192 && pt <= 223 ? DEMUX_RTCP : DEMUX_RTP);
	}
	/* SR (200) and a marked RTP packet of PT 72 share the byte: RFC 5761
	 * §4 says RTP must avoid 64-95 with the marker; RTCP wins. */
	buf[1] = 200;
	assert_int_equal(demux_classify(buf, 8), DEMUX_RTCP);
}

static void test_short_datagrams_are_not_guessed(void **state)
{
	uint8_t buf[32] = { 0 };

	assert_int_equal(demux_classify(buf, 0), DEMUX_SHORT);
	assert_int_equal(demux_classify(buf, 19), DEMUX_SHORT);     /* STUN */
	assert_int_equal(demux_classify(buf, 20), DEMUX_STUN);
	buf[0] = 22;
	assert_int_equal(demux_classify(buf, 12), DEMUX_SHORT);     /* DTLS */
	assert_int_equal(demux_classify(buf, 13), DEMUX_DTLS);
	buf[0] = 0x40;
	assert_int_equal(demux_classify(buf, 3), DEMUX_SHORT);
	assert_int_equal(demux_classify(buf, 4), DEMUX_TURN_CHANNEL);
	buf[0] = 0x80;
	assert_int_equal(demux_classify(buf, 1), DEMUX_SHORT);      /* RTP? */
	buf[1] = 96;
	assert_int_equal(demux_classify(buf, 11), DEMUX_SHORT);
	assert_int_equal(demux_classify(buf, 12), DEMUX_RTP);
	buf[1] = 201;
	assert_int_equal(demux_classify(buf, 7), DEMUX_SHORT);
	assert_int_equal(demux_classify(buf, 8), DEMUX_RTCP);
	/* Unassigned first bytes stay unknown whatever their length. */
	buf[0] = 100;
	assert_int_equal(demux_classify(buf, 1), DEMUX_UNKNOWN);
	assert_string_equal(demux_kind_name(DEMUX_TURN_CHANNEL), "turn-channel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_first_byte_lands_in_its_rfc7983_range),
		cmocka_unit_test(test_rtcp_by_payload_type_byte),
		cmocka_unit_test(test_short_datagrams_are_not_guessed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
