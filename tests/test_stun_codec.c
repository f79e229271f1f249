/*
 * test_stun_codec.c - the encoder, the attribute readers and the decoder's edge cases
 * (probe/stun_codec.c), from fixtures/stun and round trips.
 *
 * Run from the repository root: fixtures are read by relative path.
 */
#include "stun_test_util.h"

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
