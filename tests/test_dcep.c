/*
 * test_dcep.c - the DCEP wire format (probe/dcep.c, RFC 8832 §5): an OPEN
 * built by hand from the RFC's layout parses field by field, encode and
 * parse agree, every truncation is refused, lengths that overrun or leave
 * bytes over are refused, unknown channel types are refused, and the
 * one-byte ACK is exact. The fixture seeds of the fuzzer parse as named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dcep.h"
#include "np_err.h"

/* RFC 8832 §5.1 by hand: partial-rexmit unordered, priority 256,
 * 3 retransmissions, label "np", protocol "natp". */
static const uint8_t open_rexmit[] = {
	0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03,
	0x00, 0x02, 0x00, 0x04, 'n', 'p', 'n', 'a', 't', 'p',
};

static void test_open_parses_field_by_field(void **state)
{
	struct dcep_open o;
	uint8_t t;

	assert_int_equal(dcep_type(open_rexmit, sizeof(open_rexmit), &t), 0);
	assert_int_equal(t, DCEP_DATA_CHANNEL_OPEN);
	assert_int_equal(dcep_open_parse(open_rexmit, sizeof(open_rexmit), &o),
			 0);
	assert_int_equal(o.channel_type,
			 DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED);
	assert_int_equal(o.priority, 256);
	assert_int_equal(o.reliability, 3);
	assert_int_equal(o.label_len, 2);
	assert_memory_equal(o.label, "np", 2);
	assert_int_equal(o.protocol_len, 4);
	assert_memory_equal(o.protocol, "natp", 4);
	/* Borrowed slices point into the input. */
	assert_ptr_equal(o.label, open_rexmit + DCEP_OPEN_HEADER);
	assert_string_equal(dcep_channel_type_name(o.channel_type),
			    "partial-rexmit unordered");
}

static void test_encode_then_parse_round_trips(void **state)
{
	static const uint8_t types[] = { 0x00, 0x80, 0x01, 0x81, 0x02, 0x82 };
	uint8_t buf[64];
	size_t n;

	for (size_t i = 0; i < sizeof(types); i++) {
		struct dcep_open in = {
			.channel_type = types[i], .priority = (uint16_t)i,
			.reliability = 1000 + (uint32_t)i,
			.label = (const uint8_t *)"chat", .label_len = 4,
			.protocol = (const uint8_t *)"", .protocol_len = 0,
		}, out;

		assert_int_equal(dcep_open_encode(&in, buf, sizeof(buf), &n), 0);
		assert_int_equal(n, DCEP_OPEN_HEADER + 4);
		assert_int_equal(dcep_open_parse(buf, n, &out), 0);
		assert_int_equal(out.channel_type, types[i]);
		assert_int_equal(out.priority, i);
		assert_int_equal(out.reliability, 1000 + i);
		assert_memory_equal(out.label, "chat", 4);
		assert_int_equal(out.protocol_len, 0);
	}
	/* The hand-built one encodes to the same bytes. */
	struct dcep_open o;

	assert_int_equal(dcep_open_parse(open_rexmit, sizeof(open_rexmit), &o),
			 0);
	assert_int_equal(dcep_open_encode(&o, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(open_rexmit));
	assert_memory_equal(buf, open_rexmit, n);
	/* Too small an output buffer is reported, at every size. */
	for (size_t cap = 0; cap < sizeof(open_rexmit); cap++)
		assert_int_equal(dcep_open_encode(&o, buf, cap, &n),
				 NP_ENOSPACE);
}

static void test_every_truncation_is_refused(void **state)
{
	struct dcep_open o;

	for (size_t n = 0; n < sizeof(open_rexmit); n++)
		assert_int_equal(dcep_open_parse(open_rexmit, n, &o),
				 NP_ETRUNCATED);
}

static void test_bad_lengths_and_types_are_refused(void **state)
{
	uint8_t b[sizeof(open_rexmit) + 1];
	struct dcep_open o;

	/* Label length past the end. */
	memcpy(b, open_rexmit, sizeof(open_rexmit));
	b[8] = 0xff;
	b[9] = 0xff;
	assert_int_equal(dcep_open_parse(b, sizeof(open_rexmit), &o),
			 NP_ETRUNCATED);
	/* Protocol length one too long. */
	memcpy(b, open_rexmit, sizeof(open_rexmit));
	b[11] = 5;
	assert_int_equal(dcep_open_parse(b, sizeof(open_rexmit), &o),
			 NP_ETRUNCATED);
	/* A byte beyond what the lengths account for. */
	memcpy(b, open_rexmit, sizeof(open_rexmit));
	b[sizeof(open_rexmit)] = 0;
	assert_int_equal(dcep_open_parse(b, sizeof(b), &o), NP_EINVAL);
	/* Unknown channel types (0x03, 0x7f, 0x83, 0xff). */
	static const uint8_t bad[] = { 0x03, 0x7f, 0x83, 0xff, 0x40 };

	for (size_t i = 0; i < sizeof(bad); i++) {
		memcpy(b, open_rexmit, sizeof(open_rexmit));
		b[1] = bad[i];
		assert_int_equal(dcep_open_parse(b, sizeof(open_rexmit), &o),
				 NP_EINVAL);
		struct dcep_open e = { .channel_type = bad[i] };
		size_t n;

		assert_int_equal(dcep_open_encode(&e, b, sizeof(b), &n),
				 NP_EINVAL);
	}
	/* Not an OPEN. */
	memcpy(b, open_rexmit, sizeof(open_rexmit));
	b[0] = DCEP_DATA_CHANNEL_ACK;
	assert_int_equal(dcep_open_parse(b, sizeof(open_rexmit), &o),
			 NP_EINVAL);
}

static void test_ack_is_exactly_one_byte(void **state)
{
	uint8_t b[4] = { 0 };
	size_t n = 0;
	uint8_t t;

	assert_int_equal(dcep_ack_encode(b, sizeof(b), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(b[0], 0x02);
	assert_int_equal(dcep_ack_parse(b, 1), 0);
	assert_int_equal(dcep_ack_parse(b, 2), NP_EINVAL);
	assert_int_equal(dcep_ack_parse(b, 0), NP_ETRUNCATED);
	assert_int_equal(dcep_type(b, 0, &t), NP_ETRUNCATED);
	b[0] = 0x03;
	assert_int_equal(dcep_ack_parse(b, 1), NP_EINVAL);
	assert_int_equal(dcep_ack_encode(b, 0, &n), NP_ENOSPACE);
}

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "fixtures/dcep/%s", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_fuzz_seeds_parse_as_named(void **state)
{
	uint8_t b[256];
	struct dcep_open o;
	size_t n;

	n = load("open-reliable.bin", b, sizeof(b));
	assert_int_equal(dcep_open_parse(b, n, &o), 0);
	assert_int_equal(o.channel_type, DCEP_CHANNEL_RELIABLE);
	assert_memory_equal(o.label, "chat", 4);
	n = load("open-rexmit-unordered.bin", b, sizeof(b));
	assert_int_equal(n, sizeof(open_rexmit));
	assert_memory_equal(b, open_rexmit, n);
	n = load("open-timed-empty.bin", b, sizeof(b));
	assert_int_equal(dcep_open_parse(b, n, &o), 0);
	assert_int_equal(o.reliability, 2000);
	assert_int_equal(o.label_len + o.protocol_len, 0);
	n = load("ack.bin", b, sizeof(b));
	assert_int_equal(dcep_ack_parse(b, n), 0);
	n = load("open-truncated-label.bin", b, sizeof(b));
	assert_int_equal(dcep_open_parse(b, n, &o), NP_ETRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_parses_field_by_field),
		cmocka_unit_test(test_encode_then_parse_round_trips),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_bad_lengths_and_types_are_refused),
		cmocka_unit_test(test_ack_is_exactly_one_byte),
		cmocka_unit_test(test_fuzz_seeds_parse_as_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
