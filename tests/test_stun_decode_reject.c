/*
 * test_stun_decode_reject.c - every malform_* fixture rejected by the decoder with its own named
 * reason, and every fixture in fixtures/stun accounted for.
 *
 * Run from the repository root: fixtures are read by relative path.
 */
#include "stun_test_util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
