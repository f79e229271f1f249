/*
 * test_serve.c - the responder's request -> response function
 * (probe/serve_respond.c) with no sockets: requests are built with the
 * codec, answers decoded with it. The rate limiter has its own file,
 * tests/test_serve_rl.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "np_err.h"
#include "serve.h"
#include "stun_codec.h"

#define BUF 70000

static const uint8_t tid[STUN_TID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
static uint8_t reqbuf[BUF], outbuf[BUF], zeros[BUF];

/* Each test's world: the server's configuration, its counters and the
 * last answer, decoded. */
static struct serve_cfg cfg;
static struct serve_counters cnt;
static struct serve_out out;
static struct stun_msg msg;

/* An address from text; the family follows the text. */
static struct sockaddr_storage sa(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return ss;
}

static int same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* One IPv4 address (192.0.2.1), or with two: 192.0.2.1, 192.0.2.2,
 * 2001:db8::1, 2001:db8::2 (local indexes 0-1, 2-3, 4-5, 6-7). UDP and TCP
 * on 3478/3479, TLS on 5349/5350. */
static void cfg_make(int two)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(&cnt, 0, sizeof(cnt));
	cfg.ip[0].addr = sa("192.0.2.1", 0);
	cfg.nip = 1;
	if (two) {
		cfg.ip[1].addr = sa("192.0.2.2", 0);
		cfg.ip[2].addr = sa("2001:db8::1", 0);
		cfg.ip[3].addr = sa("2001:db8::2", 0);
		cfg.nip = 4;
	}
	serve_cfg_pair(&cfg);
	for (int tr = 0; tr < 3; tr++) {
		cfg.port[tr][0] = tr == SERVE_TLS ? 5349 : 3478;
		cfg.port[tr][1] = tr == SERVE_TLS ? 5350 : 3479;
	}
	cfg.software = SERVE_SOFTWARE;
	cfg.max_growth = SERVE_MAX_GROWTH;
}

/* What a request carries; zero is "absent" for every field, so the
 * optional attributes are set through CR(), RP() and PAD(). */
struct rq {
	int unused;          /* lets RQ() take no arguments */
	uint16_t method;     /* 0: Binding */
	uint8_t cls;
	unsigned change;     /* CR(flags) for a CHANGE-REQUEST */
	unsigned resp_port;  /* RP(port) for a RESPONSE-PORT */
	size_t padding;      /* PAD(n) for a PADDING of n bytes */
	int fingerprint;
	uint16_t extra_type; /* one more 4-byte attribute */
};

#define RQ(...) ((struct rq){ .unused = 0, __VA_ARGS__ })
#define CR(flags) (0x10000u | (unsigned)(flags))
#define RP(port) (0x10000u | (unsigned)(port))
#define PAD(n) ((size_t)(n) + 1)

static size_t build(struct rq o)
{
	struct stun_enc w;
	size_t len = 0;

	assert_int_equal(stun_enc_begin(&w, reqbuf, sizeof(reqbuf),
					o.method ? o.method : STUN_BINDING,
					o.cls, tid), 0);
	if (o.change)
		stun_enc_change_request(&w, o.change & 0xFFFFu);
	if (o.resp_port)
		stun_enc_response_port(&w, (uint16_t)o.resp_port);
	if (o.padding)
		stun_enc_attr(&w, STUN_ATTR_PADDING, zeros, o.padding - 1);
	if (o.extra_type)
		stun_enc_u32(&w, o.extra_type, 0);
	if (o.fingerprint)
		stun_enc_fingerprint(&w);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	return len;
}

/* Hands reqbuf[0..len) to serve_respond as arriving from src on socket
 * local over transport tr; an answer is decoded into msg. */
static int ask(size_t len, struct sockaddr_storage src, int local, int tr)
{
	struct serve_req req = { .buf = reqbuf, .len = len,
				 .src = (const struct sockaddr *)&src,
				 .local_idx = local, .transport = tr };
	int r;

	memset(&out, 0, sizeof(out));
	out.buf = outbuf;
	out.cap = sizeof(outbuf);
	r = serve_respond(&cfg, &req, &out, &cnt);
	if (r == 1) {
		assert_int_equal(stun_decode(out.buf, out.len,
					     STUN_DEC_ALLOW_CLASSIC, &msg, NULL, 0), 0);
		assert_int_equal(msg.method, STUN_BINDING);
	}
	return r;
}

static void want_success(void)
{
	assert_int_equal(msg.cls, STUN_SUCCESS);
}

static void want_error(int code)
{
	const char *reason;
	size_t rlen;
	int got = 0;

	assert_int_equal(msg.cls, STUN_ERROR);
	assert_int_equal(stun_attr_error(stun_msg_find(&msg, STUN_ATTR_ERROR_CODE),
					 &got, &reason, &rlen), 0);
	assert_int_equal(got, code);
}

/* The attribute of this type (MAPPED-ADDRESS form) is ip:port. */
static void want_addr(uint16_t type, const char *ip, uint16_t port)
{
	struct sockaddr_storage got, want = sa(ip, port);

	assert_int_equal(stun_attr_addr(stun_msg_find(&msg, type), &got), 0);
	assert_true(same(&got, &want));
}

static void want_unknown(uint16_t type)
{
	uint16_t types[8];
	size_t n = 0;

	assert_int_equal(stun_attr_unknown(stun_msg_find(&msg, STUN_ATTR_UNKNOWN_ATTRIBUTES),
					   types, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(types[0], type);
}

static void test_xor_mapped_address_equals_source(void **state)
{
	const char *ips[2] = { "198.51.100.7", "2001:db8:9::77" };

	cfg_make(1);
	for (int i = 0; i < 2; i++) {
		struct sockaddr_storage src = sa(ips[i], 40000 + i), x;

		assert_int_equal(ask(build(RQ()), src, 4 * i, SERVE_UDP), 1);
		want_success();
		assert_memory_equal(msg.tid, tid, STUN_TID_LEN);
		assert_int_equal(stun_attr_xor_addr(&msg,
				stun_msg_find(&msg, STUN_ATTR_XOR_MAPPED_ADDRESS), &x), 0);
		assert_true(same(&x, &src));
		/* RFC 5780 §6.1: MAPPED-ADDRESS as well. */
		want_addr(STUN_ATTR_MAPPED_ADDRESS, ips[i], (uint16_t)(40000 + i));
		/* Back to the source, from the socket it came in on. */
		assert_true(same(&out.dst, &src));
		assert_int_equal(out.send_idx, 4 * i);
	}
	assert_int_equal(cnt.requests, 2);
	assert_int_equal(cnt.responses, 2);
}

static void test_one_address_names_its_other_port_as_other_address(void **state)
{
	cfg_make(0);
	assert_int_equal(ask(build(RQ()), sa("198.51.100.7", 40000), 1, SERVE_UDP), 1);
	want_success();
	want_addr(STUN_ATTR_RESPONSE_ORIGIN, "192.0.2.1", 3479);
	/* One address: the port half, as coturn serves it (the issue's
	 * contract; RFC 5780 §6 would send no OTHER-ADDRESS). */
	want_addr(STUN_ATTR_OTHER_ADDRESS, "192.0.2.1", 3478);
	assert_non_null(stun_msg_find(&msg, STUN_ATTR_SOFTWARE));
}

static void test_two_addresses_give_origin_and_other_address(void **state)
{
	static const struct {
		int local;
		const char *src, *origin, *other;
		uint16_t oport, xport;
	} cases[] = {
		{ 0, "198.51.100.7", "192.0.2.1", "192.0.2.2", 3478, 3479 },
		{ 3, "198.51.100.7", "192.0.2.2", "192.0.2.1", 3479, 3478 },
		{ 5, "2001:db8:9::1", "2001:db8::1", "2001:db8::2", 3479, 3478 },
		{ 6, "2001:db8:9::1", "2001:db8::2", "2001:db8::1", 3478, 3479 },
	};

	cfg_make(1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ask(build(RQ()), sa(cases[i].src, 40000),
				     cases[i].local, SERVE_UDP), 1);
		want_success();
		want_addr(STUN_ATTR_RESPONSE_ORIGIN, cases[i].origin, cases[i].oport);
		want_addr(STUN_ATTR_OTHER_ADDRESS, cases[i].other, cases[i].xport);
	}
	/* Over TLS the ports are the TLS pair. */
	assert_int_equal(ask(build(RQ()), sa("198.51.100.7", 40000), 0, SERVE_TLS), 1);
	want_addr(STUN_ATTR_RESPONSE_ORIGIN, "192.0.2.1", 5349);
	want_addr(STUN_ATTR_OTHER_ADDRESS, "192.0.2.2", 5350);
}

static void test_change_request_picks_the_socket_of_table_1(void **state)
{
	/* RFC 5780 §6.1 Table 1 for a request arriving on each socket:
	 * none -> Da:Dp, IP -> Ca:Dp, port -> Da:Cp, both -> Ca:Cp. */
	static const int flags[4] = { 0, STUN_CHANGE_IP, STUN_CHANGE_PORT,
				      STUN_CHANGE_IP | STUN_CHANGE_PORT };
	static const int want[4][4] = {
		{ 0, 1, 2, 3 }, { 2, 3, 0, 1 }, { 1, 0, 3, 2 }, { 3, 2, 1, 0 },
	};
	struct sockaddr_storage src = sa("198.51.100.7", 40000);

	cfg_make(1);
	for (int f = 0; f < 4; f++) {
		for (int local = 0; local < 4; local++) {
			int to = want[f][local];

			assert_int_equal(ask(build(RQ(.change = CR(flags[f]))), src,
					     local, SERVE_UDP), 1);
			want_success();
			assert_int_equal(out.send_idx, to);
			/* Still to the source; RESPONSE-ORIGIN is the socket
			 * it leaves from. */
			assert_true(same(&out.dst, &src));
			want_addr(STUN_ATTR_RESPONSE_ORIGIN,
				  to / 2 ? "192.0.2.2" : "192.0.2.1",
				  to % 2 ? 3479 : 3478);
		}
	}
	assert_int_equal(cnt.change_ip, 4);
	assert_int_equal(cnt.change_port, 4);
	assert_int_equal(cnt.change_both, 4);
	/* Bits other than A and B mean nothing (§7.2). */
	assert_int_equal(ask(build(RQ(.change = CR(0x1 | STUN_CHANGE_PORT))), src, 0,
			     SERVE_UDP), 1);
	assert_int_equal(out.send_idx, 1);
}

static void test_one_address_changes_port_and_refuses_change_ip(void **state)
{
	struct sockaddr_storage src = sa("198.51.100.7", 40000);

	cfg_make(0);
	/* Nothing or the port asked for: answered, from the other port. */
	assert_int_equal(ask(build(RQ(.change = CR(0))), src, 1, SERVE_UDP), 1);
	want_success();
	assert_int_equal(out.send_idx, 1);
	assert_int_equal(ask(build(RQ(.change = CR(STUN_CHANGE_PORT))), src, 1,
			     SERVE_UDP), 1);
	want_success();
	assert_int_equal(out.send_idx, 0);
	want_addr(STUN_ATTR_RESPONSE_ORIGIN, "192.0.2.1", 3478);
	/* A change of IP it cannot do: 420, from where it arrived. */
	for (int f = STUN_CHANGE_IP; f <= 6; f += 2) {
		assert_int_equal(ask(build(RQ(.change = CR(f))), src, 1, SERVE_UDP), 1);
		want_error(420);
		want_unknown(STUN_ATTR_CHANGE_REQUEST);
		assert_int_equal(out.send_idx, 1);
		assert_true(same(&out.dst, &src));
	}
	assert_int_equal(cnt.err420, 2);
}

static void test_change_request_over_tcp_gets_420(void **state)
{
	cfg_make(1);
	assert_int_equal(ask(build(RQ(.change = CR(STUN_CHANGE_PORT))),
			     sa("198.51.100.7", 40000), 0, SERVE_TCP), 1);
	want_error(420);
	/* No change asked for: fine on a stream. */
	assert_int_equal(ask(build(RQ(.change = CR(0))), sa("198.51.100.7", 40000), 0,
			     SERVE_TLS), 1);
	want_success();
}

static void test_response_port_changes_only_the_destination_port(void **state)
{
	struct sockaddr_storage src = sa("2001:db8:9::1", 40000), x,
				to = sa("2001:db8:9::1", 5555);

	cfg_make(1);
	assert_int_equal(ask(build(RQ(.resp_port = RP(5555))), src, 6, SERVE_UDP), 1);
	want_success();
	assert_true(same(&out.dst, &to));
	assert_int_equal(out.send_idx, 6);
	/* XOR-MAPPED-ADDRESS is still the request's source. */
	assert_int_equal(stun_attr_xor_addr(&msg,
			stun_msg_find(&msg, STUN_ATTR_XOR_MAPPED_ADDRESS), &x), 0);
	assert_true(same(&x, &src));
	assert_int_equal(cnt.response_port, 1);

	/* With CHANGE-REQUEST both apply. */
	assert_int_equal(ask(build(RQ(.resp_port = RP(5555), .change = CR(STUN_CHANGE_IP))),
			     src, 6, SERVE_UDP), 1);
	assert_true(same(&out.dst, &to));
	assert_int_equal(out.send_idx, 4);

	/* Only on UDP: a stream answers 420 (RFC 5780 §5: support is optional
	 * and clients must expect 420). */
	assert_int_equal(ask(build(RQ(.resp_port = RP(5555))), src, 6, SERVE_TCP), 1);
	want_error(420);
	want_unknown(STUN_ATTR_RESPONSE_PORT);

	/* RFC 5780 §6.1: with PADDING, 400, sent to the source port. */
	assert_int_equal(ask(build(RQ(.resp_port = RP(5555), .padding = PAD(64))), src, 6,
			     SERVE_UDP), 1);
	want_error(400);
	assert_true(same(&out.dst, &src));

	/* Port 0 is no destination. */
	assert_int_equal(ask(build(RQ(.resp_port = RP(0))), src, 6, SERVE_UDP), 1);
	want_error(400);
}

/*
 * The property: for every PADDING size, both families, with and without
 * FINGERPRINT, with one address and two, the answer is at most the request
 * plus SERVE_MAX_GROWTH, and a request of 200 bytes or more gets nothing
 * larger than itself. PADDING is always there (RFC 5780 §6.1 MUST).
 */
static void test_no_padding_size_amplifies(void **state)
{
	static const char *ips[2] = { "198.51.100.7", "2001:db8:9::1" };
	size_t sizes[600];
	size_t nsizes = 0;

	for (size_t p = 0; p <= 1600; p += 4)
		sizes[nsizes++] = p;
	for (size_t p = 1601; p < 1700; p += 7)
		sizes[nsizes++] = p; /* unaligned lengths too */
	sizes[nsizes++] = 9000;
	sizes[nsizes++] = 65000;
	sizes[nsizes++] = 65476; /* the largest a message can carry */

	for (int two = 0; two < 2; two++) {
		for (int f = 0; f < 1 + two; f++) {
			for (int fp = 0; fp < 2; fp++) {
				for (size_t i = 0; i < nsizes; i++) {
					size_t len = build(RQ(.padding = PAD(sizes[i]),
							      .fingerprint = fp));
					const struct stun_attr *pad;

					cfg_make(two);
					assert_int_equal(ask(len, sa(ips[f], 40000),
							     4 * f, SERVE_UDP), 1);
					want_success();
					assert_true(out.len <= len + SERVE_MAX_GROWTH);
					if (len >= 200)
						assert_true(out.len <= len);
					pad = stun_msg_find(&msg, STUN_ATTR_PADDING);
					assert_non_null(pad);
					assert_true(pad->len <= sizes[i]);
					if (fp)
						assert_int_equal(stun_check_fingerprint(&msg), 0);
				}
			}
		}
	}
	/* The smallest requests: the essentials always fit. */
	for (int two = 0; two < 2; two++) {
		for (int f = 0; f < 1 + two; f++) {
			size_t len = build(RQ());

			cfg_make(two);
			assert_int_equal(ask(len, sa(ips[f], 40000), 4 * f, SERVE_UDP), 1);
			assert_true(out.len <= len + SERVE_MAX_GROWTH);
			assert_non_null(stun_msg_find(&msg, STUN_ATTR_XOR_MAPPED_ADDRESS));
			assert_non_null(stun_msg_find(&msg, STUN_ATTR_MAPPED_ADDRESS));
			assert_non_null(stun_msg_find(&msg, STUN_ATTR_RESPONSE_ORIGIN));
			if (two)
				assert_non_null(stun_msg_find(&msg, STUN_ATTR_OTHER_ADDRESS));
		}
	}
}

static void test_padding_fills_up_to_the_request_size(void **state)
{
	size_t len = build(RQ(.padding = PAD(1500)));

	cfg_make(1);
	assert_int_equal(ask(len, sa("198.51.100.7", 40000), 0, SERVE_UDP), 1);
	/* Within 3 bytes of the request (PADDING is a multiple of 4). */
	assert_true(out.len <= len && out.len + 4 > len);
	assert_int_equal(cnt.padding, 1);
}

static void test_unknown_required_attribute_gets_420(void **state)
{
	struct sockaddr_storage src = sa("198.51.100.7", 40000),
				victim = sa("203.0.113.99", 53);
	struct stun_enc w;
	size_t len;

	cfg_make(0);
	assert_int_equal(ask(build(RQ(.extra_type = 0x7F01, .fingerprint = 1)), src,
			     0, SERVE_UDP), 1);
	want_error(420);
	want_unknown(0x7F01);
	/* The request had FINGERPRINT, so the answer has one. */
	assert_int_equal(stun_check_fingerprint(&msg), 0);
	assert_int_equal(cnt.err420, 1);

	/* RFC 3489's RESPONSE-ADDRESS would reflect anywhere: 420 too, and
	 * the answer goes to the source. */
	stun_enc_begin(&w, reqbuf, sizeof(reqbuf), STUN_BINDING, STUN_REQUEST, tid);
	stun_enc_addr(&w, STUN_ATTR_RESPONSE_ADDRESS, (struct sockaddr *)&victim);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	assert_int_equal(ask(len, src, 0, SERVE_UDP), 1);
	want_error(420);
	want_unknown(STUN_ATTR_RESPONSE_ADDRESS);
	assert_true(same(&out.dst, &src));

	/* An unknown comprehension-optional attribute is ignored. */
	assert_int_equal(ask(build(RQ(.extra_type = 0xC001)), src, 0, SERVE_UDP), 1);
	want_success();
}

static void test_malformed_messages_are_dropped(void **state)
{
	struct sockaddr_storage src = sa("198.51.100.7", 40000);
	size_t len = build(RQ());
	uint8_t eight[8] = { 0 };
	struct stun_enc w;
	uint32_t rng = 12345;

	cfg_make(1);
	/* Short; a length that disagrees; the top bits set. */
	assert_int_equal(ask(19, src, 0, SERVE_UDP), 0);
	reqbuf[3] = 4;
	assert_int_equal(ask(len, src, 0, SERVE_UDP), 0);
	len = build(RQ());
	reqbuf[0] |= 0x80;
	assert_int_equal(ask(len, src, 0, SERVE_UDP), 0);
	/* A FINGERPRINT that does not match. */
	len = build(RQ(.fingerprint = 1));
	reqbuf[len - 1] ^= 1;
	assert_int_equal(ask(len, src, 0, SERVE_UDP), 0);
	/* A CHANGE-REQUEST of the wrong size. */
	stun_enc_begin(&w, reqbuf, sizeof(reqbuf), STUN_BINDING, STUN_REQUEST, tid);
	stun_enc_attr(&w, STUN_ATTR_CHANGE_REQUEST, eight, 8);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	assert_int_equal(ask(len, src, 0, SERVE_UDP), 0);
	assert_int_equal(cnt.malformed, 5);
	assert_int_equal(cnt.responses, 0);

	/* Random bytes behind a plausible header: never a crash, and what is
	 * answered stays within the growth bound. */
	for (int i = 0; i < 20000; i++) {
		size_t n = 20 + (rng % 200);
		int r;

		for (size_t k = 0; k < n; k++) {
			rng = rng * 1103515245u + 12345u;
			reqbuf[k] = (uint8_t)(rng >> 16);
		}
		reqbuf[0] &= 0x01;
		reqbuf[1] = 0x01;
		reqbuf[2] = (uint8_t)((n - 20) >> 8);
		reqbuf[3] = (uint8_t)(n - 20);
		if (i & 1)
			memcpy(reqbuf + 4, "\x21\x12\xA4\x42", 4);
		r = ask(n, src, i % 4, SERVE_UDP);
		assert_true(r == 0 || r == 1);
		if (r == 1)
			assert_true(out.len <= n + SERVE_MAX_GROWTH);
	}
}

static void test_responses_and_indications_are_never_answered(void **state)
{
	static const uint8_t classes[3] = { STUN_INDICATION, STUN_SUCCESS, STUN_ERROR };
	struct sockaddr_storage src = sa("198.51.100.7", 40000);

	cfg_make(1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ask(build(RQ(.cls = classes[i], .change = CR(STUN_CHANGE_IP))),
				     src, 0, SERVE_UDP), 0);
	assert_int_equal(cnt.ignored, 3);
	/* Other methods are dropped (RFC 8489 §6.3). */
	assert_int_equal(ask(build(RQ(.method = TURN_ALLOCATE)), src, 0, SERVE_UDP), 0);
	assert_int_equal(cnt.unsupported, 1);
	/* And nothing goes to port 0. */
	assert_int_equal(ask(build(RQ()), sa("198.51.100.7", 0), 0, SERVE_UDP), 0);
	assert_int_equal(cnt.responses, 0);
}

static void test_classic_request_gets_mapped_address_and_its_id(void **state)
{
	size_t len = build(RQ());

	cfg_make(1);
	/* An RFC 3489 request: a 128-bit ID where the cookie is now. */
	memcpy(reqbuf + 4, "\x11\x22\x33\x44", 4);
	assert_int_equal(ask(len, sa("198.51.100.7", 40000), 0, SERVE_UDP), 1);
	want_success();
	assert_true(msg.classic);
	assert_memory_equal(out.buf + 4, reqbuf + 4, 16);
	assert_null(stun_msg_find(&msg, STUN_ATTR_XOR_MAPPED_ADDRESS));
	want_addr(STUN_ATTR_MAPPED_ADDRESS, "198.51.100.7", 40000);
	/* RFC 3489's names for RESPONSE-ORIGIN and OTHER-ADDRESS. */
	want_addr(STUN_ATTR_SOURCE_ADDRESS, "192.0.2.1", 3478);
	want_addr(STUN_ATTR_CHANGED_ADDRESS, "192.0.2.2", 3479);
}

static void test_small_output_buffer_and_bad_socket_are_our_errors(void **state)
{
	struct sockaddr_storage src = sa("198.51.100.7", 40000);
	struct serve_req req = { .buf = reqbuf, .len = build(RQ()),
				 .src = (struct sockaddr *)&src,
				 .local_idx = 0, .transport = SERVE_UDP };
	struct serve_out small = { .buf = outbuf, .cap = 10 };

	cfg_make(0);
	assert_int_equal(serve_respond(&cfg, &req, &small, &cnt), NP_ENOSPACE);
	req.local_idx = 2; /* one address: sockets 0 and 1 only */
	small.cap = sizeof(outbuf);
	assert_int_equal(serve_respond(&cfg, &req, &small, &cnt), NP_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xor_mapped_address_equals_source),
		cmocka_unit_test(test_one_address_names_its_other_port_as_other_address),
		cmocka_unit_test(test_two_addresses_give_origin_and_other_address),
		cmocka_unit_test(test_change_request_picks_the_socket_of_table_1),
		cmocka_unit_test(test_one_address_changes_port_and_refuses_change_ip),
		cmocka_unit_test(test_change_request_over_tcp_gets_420),
		cmocka_unit_test(test_response_port_changes_only_the_destination_port),
		cmocka_unit_test(test_no_padding_size_amplifies),
		cmocka_unit_test(test_padding_fills_up_to_the_request_size),
		cmocka_unit_test(test_unknown_required_attribute_gets_420),
		cmocka_unit_test(test_malformed_messages_are_dropped),
		cmocka_unit_test(test_responses_and_indications_are_never_answered),
		cmocka_unit_test(test_classic_request_gets_mapped_address_and_its_id),
		cmocka_unit_test(test_small_output_buffer_and_bad_socket_are_our_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
