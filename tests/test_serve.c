/*
 * test_serve.c - the responder's request -> response function and its
 * per-source rate limiter (probe/serve_respond.c, probe/serve_rl.c), with
 * no sockets and no clock: requests are built with the codec, responses
 * decoded with it, and time is a number the test chooses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "serve.h"
#include "stun_codec.h"

#define BUF 70000

static const uint8_t tid[STUN_TID_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};

static uint8_t reqbuf[BUF], outbuf[BUF];

static struct sockaddr_storage sa4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage sa6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	return ss;
}

static int same_addr(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	{
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
}

/* One IPv4 address (192.0.2.1), or two (192.0.2.1, 192.0.2.2) plus two
 * IPv6 (2001:db8::1, 2001:db8::2); ports 3478/3479, TLS 5349/5350. */
static struct serve_cfg cfg_make(int two)
{
	struct serve_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ip[0].addr = sa4("192.0.2.1", 0);
	cfg.nip = 1;
	if (two == 2) {
		cfg.ip[1].addr = sa4("192.0.2.2", 0);
		cfg.ip[2].addr = sa6("2001:db8::1", 0);
		cfg.ip[3].addr = sa6("2001:db8::2", 0);
		cfg.nip = 4;
	}
	serve_cfg_pair(&cfg);
	for (int tr = 0; tr < 3; tr++) {
		cfg.port[tr][0] = tr == SERVE_TLS ? 5349 : 3478;
		cfg.port[tr][1] = tr == SERVE_TLS ? 5350 : 3479;
	}
	cfg.software = SERVE_SOFTWARE;
	cfg.max_growth = SERVE_MAX_GROWTH;
	return cfg;
}

/* Request options. */
struct rq {
	uint16_t method;
	uint8_t cls;
	int change;          /* -1: none, else the flags */
	int resp_port;       /* 0: none */
	size_t padding;      /* 0: none; else PADDING of this length */
	int pad_present;     /* PADDING even with length 0 */
	int fingerprint;
	uint16_t extra_type; /* an extra attribute, 0: none */
};

static size_t build(const struct rq *o)
{
	struct stun_enc w;
	size_t len = 0;
	static uint8_t zeros[BUF];

	assert_int_equal(stun_enc_begin(&w, reqbuf, sizeof(reqbuf),
					o->method ? o->method : STUN_BINDING,
					o->cls, tid),
			 0);
	if (o->change >= 0)
		stun_enc_change_request(&w, (uint32_t)o->change);
	if (o->resp_port)
		stun_enc_response_port(&w, (uint16_t)o->resp_port);
	if (o->padding || o->pad_present)
		stun_enc_attr(&w, STUN_ATTR_PADDING, zeros, o->padding);
	if (o->extra_type)
		stun_enc_u32(&w, o->extra_type, 0);
	if (o->fingerprint)
		stun_enc_fingerprint(&w);
	assert_int_equal(stun_enc_end(&w, &len), 0);
	return len;
}

static const struct rq plain = { .change = -1 };

static int respond(const struct serve_cfg *cfg, size_t len,
		   const struct sockaddr_storage *src, int local_idx, int tr,
		   struct serve_out *out, struct serve_counters *c)
{
	struct serve_req req = {
		.buf = reqbuf,
		.len = len,
		.src = (const struct sockaddr *)src,
		.local_idx = local_idx,
		.transport = tr,
	};

	memset(out, 0, sizeof(*out));
	out->buf = outbuf;
	out->cap = sizeof(outbuf);
	return serve_respond(cfg, &req, out, c);
}

static void decode_ok(const struct serve_out *out, struct stun_msg *m,
		      uint8_t cls)
{
	assert_int_equal(stun_decode(out->buf, out->len, STUN_DEC_ALLOW_CLASSIC,
				     m, NULL, 0),
			 0);
	assert_int_equal(m->method, STUN_BINDING);
	assert_int_equal(m->cls, cls);
}

static struct sockaddr_storage attr_addr(const struct stun_msg *m,
					 uint16_t type)
{
	struct sockaddr_storage ss;

	assert_int_equal(stun_attr_addr(stun_msg_find(m, type), &ss), 0);
	return ss;
}

static int error_code(const struct stun_msg *m)
{
	const char *reason;
	size_t rlen;
	int code = 0;

	assert_int_equal(stun_attr_error(stun_msg_find(m, STUN_ATTR_ERROR_CODE),
					 &code, &reason, &rlen),
			 0);
	return code;
}

static void test_xor_mapped_address_equals_source(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct sockaddr_storage srcs[2] = { sa4("198.51.100.7", 40000),
					    sa6("2001:db8::77", 50000) };
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;

	cfg = cfg_make(1);
	cfg.ip[1].addr = sa6("2001:db8::1", 0);
	cfg.nip = 2;
	serve_cfg_pair(&cfg);
	for (int i = 0; i < 2; i++) {
		struct sockaddr_storage x;
		size_t len = build(&plain);

		assert_int_equal(respond(&cfg, len, &srcs[i], 2 * i, SERVE_UDP,
					 &out, &c),
				 1);
		decode_ok(&out, &m, STUN_SUCCESS);
		assert_memory_equal(m.tid, tid, STUN_TID_LEN);
		assert_int_equal(stun_attr_xor_addr(&m,
				stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS),
				&x),
				 0);
		assert_true(same_addr(&x, &srcs[i]));
		/* RFC 5780 §6.1: MAPPED-ADDRESS too. */
		x = attr_addr(&m, STUN_ATTR_MAPPED_ADDRESS);
		assert_true(same_addr(&x, &srcs[i]));
		assert_true(same_addr(&out.dst, &srcs[i]));
		assert_int_equal(out.send_idx, 2 * i);
	}
	assert_int_equal(c.requests, 2);
	assert_int_equal(c.responses, 2);
}

static void test_one_address_has_origin_and_no_other_address(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000), o;
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;

	/* On the alternate port: RESPONSE-ORIGIN names it. */
	assert_int_equal(respond(&cfg, build(&plain), &src, 1, SERVE_UDP, &out,
				 &c),
			 1);
	decode_ok(&out, &m, STUN_SUCCESS);
	o = attr_addr(&m, STUN_ATTR_RESPONSE_ORIGIN);
	assert_true(same_addr(&o, &(struct sockaddr_storage){ 0 }) == 0);
	{
		struct sockaddr_storage want = sa4("192.0.2.1", 3479);

		assert_true(same_addr(&o, &want));
	}
	/* RFC 5780 §6, §7.4: no second IP address, no OTHER-ADDRESS. */
	assert_null(stun_msg_find(&m, STUN_ATTR_OTHER_ADDRESS));
	assert_non_null(stun_msg_find(&m, STUN_ATTR_SOFTWARE));
}

static void test_two_addresses_give_origin_and_other_address(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	struct {
		int local;
		struct sockaddr_storage src, origin, other;
	} cases[4];

	cfg = cfg_make(1);
	cfg = cfg_make(2);
	cases[0].local = 0;
	cases[0].src = sa4("198.51.100.7", 40000);
	cases[0].origin = sa4("192.0.2.1", 3478);
	cases[0].other = sa4("192.0.2.2", 3479);
	cases[1].local = 3;
	cases[1].src = sa4("198.51.100.7", 40000);
	cases[1].origin = sa4("192.0.2.2", 3479);
	cases[1].other = sa4("192.0.2.1", 3478);
	cases[2].local = 5;
	cases[2].src = sa6("2001:db8:9::1", 40000);
	cases[2].origin = sa6("2001:db8::1", 3479);
	cases[2].other = sa6("2001:db8::2", 3478);
	cases[3].local = 6;
	cases[3].src = sa6("2001:db8:9::1", 40000);
	cases[3].origin = sa6("2001:db8::2", 3478);
	cases[3].other = sa6("2001:db8::1", 3479);
	for (size_t i = 0; i < 4; i++) {
		struct sockaddr_storage x;

		assert_int_equal(respond(&cfg, build(&plain), &cases[i].src,
					 cases[i].local, SERVE_UDP, &out, &c),
				 1);
		decode_ok(&out, &m, STUN_SUCCESS);
		x = attr_addr(&m, STUN_ATTR_RESPONSE_ORIGIN);
		assert_true(same_addr(&x, &cases[i].origin));
		x = attr_addr(&m, STUN_ATTR_OTHER_ADDRESS);
		assert_true(same_addr(&x, &cases[i].other));
	}
	/* Over TLS the ports are the TLS pair. */
	assert_int_equal(respond(&cfg, build(&plain), &cases[0].src, 0,
				 SERVE_TLS, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_SUCCESS);
	{
		struct sockaddr_storage x = attr_addr(&m, STUN_ATTR_OTHER_ADDRESS),
					want = sa4("192.0.2.2", 5350);

		assert_true(same_addr(&x, &want));
	}
}

static void test_change_request_picks_the_socket_of_table_1(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	/* RFC 5780 §6.1 Table 1, for each socket the request arrives on:
	 * none -> Da:Dp, IP -> Ca:Dp, port -> Da:Cp, both -> Ca:Cp. */
	static const int want[4][4] = {
		/* local:  0  1  2  3 */
		{ 0, 1, 2, 3 }, /* none */
		{ 2, 3, 0, 1 }, /* change IP */
		{ 1, 0, 3, 2 }, /* change port */
		{ 3, 2, 1, 0 }, /* both */
	};
	static const int flags[4] = { 0, STUN_CHANGE_IP, STUN_CHANGE_PORT,
				      STUN_CHANGE_IP | STUN_CHANGE_PORT };

	for (int f = 0; f < 4; f++) {
		for (int local = 0; local < 4; local++) {
			struct rq o = plain;
			struct sockaddr_storage x, origin;

			o.change = flags[f];
			assert_int_equal(respond(&cfg, build(&o), &src, local,
						 SERVE_UDP, &out, &c),
					 1);
			decode_ok(&out, &m, STUN_SUCCESS);
			assert_int_equal(out.send_idx, want[f][local]);
			/* The response still goes to the source. */
			assert_true(same_addr(&out.dst, &src));
			/* RESPONSE-ORIGIN is the socket it leaves from. */
			origin = sa4(want[f][local] / 2 ? "192.0.2.2" :
							  "192.0.2.1",
				     want[f][local] % 2 ? 3479 : 3478);
			x = attr_addr(&m, STUN_ATTR_RESPONSE_ORIGIN);
			assert_true(same_addr(&x, &origin));
		}
	}
	assert_int_equal(c.change_ip, 4);
	assert_int_equal(c.change_port, 4);
	assert_int_equal(c.change_both, 4);
}

static void test_change_request_without_second_address_gets_420(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	uint16_t types[8];
	size_t n = 0;

	/* RFC 5780 §6: 420 to "any Request with a CHANGE-REQUEST attribute",
	 * even one asking only for the other port, or for nothing. */
	for (int f = 0; f <= 6; f += 2) {
		struct rq o = plain;

		o.change = f;
		assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_UDP,
					 &out, &c),
				 1);
		decode_ok(&out, &m, STUN_ERROR);
		assert_int_equal(error_code(&m), 420);
		assert_int_equal(stun_attr_unknown(stun_msg_find(&m,
					STUN_ATTR_UNKNOWN_ATTRIBUTES),
					types, 8, &n),
				 0);
		assert_int_equal(n, 1);
		assert_int_equal(types[0], STUN_ATTR_CHANGE_REQUEST);
		assert_int_equal(out.send_idx, 0);
		assert_true(same_addr(&out.dst, &src));
	}
	assert_int_equal(c.err420, 4);
}

static void test_change_request_over_tcp_gets_420(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	struct rq o = plain;

	o.change = STUN_CHANGE_PORT;
	assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_TCP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_ERROR);
	assert_int_equal(error_code(&m), 420);
	/* No change asked for: fine on a stream. */
	o.change = 0;
	assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_TCP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_SUCCESS);
}

static void test_response_port_changes_only_the_destination_port(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa6("2001:db8:9::1", 40000), want;
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	struct rq o = plain;
	struct sockaddr_storage x;

	o.resp_port = 5555;
	assert_int_equal(respond(&cfg, build(&o), &src, 6, SERVE_UDP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_SUCCESS);
	want = sa6("2001:db8:9::1", 5555);
	assert_true(same_addr(&out.dst, &want));
	assert_int_equal(out.send_idx, 6);
	/* XOR-MAPPED-ADDRESS is still the request's source. */
	assert_int_equal(stun_attr_xor_addr(&m,
			stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &x),
			 0);
	assert_true(same_addr(&x, &src));
	assert_int_equal(c.response_port, 1);

	/* With CHANGE-REQUEST both apply. */
	o.change = STUN_CHANGE_IP;
	assert_int_equal(respond(&cfg, build(&o), &src, 6, SERVE_UDP, &out, &c),
			 1);
	assert_true(same_addr(&out.dst, &want));
	assert_int_equal(out.send_idx, 4);

	/* Only on UDP: a stream answers 420 (RFC 5780 §5: support is
	 * optional and clients expect 420). */
	o.change = -1;
	assert_int_equal(respond(&cfg, build(&o), &src, 6, SERVE_TCP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_ERROR);
	assert_int_equal(error_code(&m), 420);

	/* RFC 5780 §6.1: with PADDING, 400, sent to the source port. */
	o.padding = 64;
	assert_int_equal(respond(&cfg, build(&o), &src, 6, SERVE_UDP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_ERROR);
	assert_int_equal(error_code(&m), 400);
	assert_true(same_addr(&out.dst, &src));

	/* Port 0 is not a destination. */
	o.padding = 0;
	o.resp_port = 0;
	{
		struct stun_enc w;
		size_t len;

		stun_enc_begin(&w, reqbuf, sizeof(reqbuf), STUN_BINDING,
			       STUN_REQUEST, tid);
		stun_enc_response_port(&w, 0);
		stun_enc_end(&w, &len);
		assert_int_equal(respond(&cfg, len, &src, 6, SERVE_UDP, &out,
					 &c),
				 1);
		decode_ok(&out, &m, STUN_ERROR);
		assert_int_equal(error_code(&m), 400);
	}
}

/* The property: for every PADDING size, family, FINGERPRINT or not and
 * configuration, the response is at most the request plus max_growth, and
 * a padded request is never answered by anything larger than itself
 * (beyond the unpadded answer's size). */
static void test_no_padding_size_amplifies(void **state)
{
	struct sockaddr_storage srcs[2] = { sa4("198.51.100.7", 40000),
					    sa6("2001:db8:9::1", 40000) };
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	size_t sizes[600], nsizes = 0;

	for (size_t p = 0; p <= 1600; p += 4)
		sizes[nsizes++] = p;
	for (size_t p = 1601; p < 1700; p += 7)
		sizes[nsizes++] = p; /* unaligned lengths too */
	sizes[nsizes++] = 9000;
	sizes[nsizes++] = 65000;
	sizes[nsizes++] = 65476; /* the largest that fits a message */

	for (int two = 1; two <= 2; two++) {
		struct serve_cfg cfg = cfg_make(two);

		for (int f = 0; f < 2; f++) {
			for (int fp = 0; fp < 2; fp++) {
				for (size_t i = 0; i < nsizes; i++) {
					struct rq o = plain;
					size_t len;
					int local = f ? 4 : 0;
					const struct stun_attr *pad;

					if (f && two == 1)
						continue;
					o.padding = sizes[i];
					o.pad_present = 1;
					o.fingerprint = fp;
					len = build(&o);
					assert_int_equal(respond(&cfg, len,
								 &srcs[f], local,
								 SERVE_UDP, &out,
								 &c),
							 1);
					assert_true(out.len <=
						    len + SERVE_MAX_GROWTH);
					/* Larger requests: never more than
					 * the request itself. */
					if (len >= 200)
						assert_true(out.len <= len);
					decode_ok(&out, &m, STUN_SUCCESS);
					pad = stun_msg_find(&m,
							    STUN_ATTR_PADDING);
					assert_non_null(pad);
					assert_true(pad->len <= sizes[i]);
					if (fp)
						assert_int_equal(
							stun_check_fingerprint(
								&m),
							0);
				}
			}
		}
	}
	/* And the smallest requests, every family and kind. */
	for (int two = 1; two <= 2; two++) {
		struct serve_cfg cfg = cfg_make(two);

		for (int f = 0; f < 2; f++) {
			size_t len = build(&plain);

			if (f && two == 1)
				continue;
			assert_int_equal(respond(&cfg, len, &srcs[f], f ? 4 : 0,
						 SERVE_UDP, &out, &c),
					 1);
			assert_true(out.len <= len + SERVE_MAX_GROWTH);
			decode_ok(&out, &m, STUN_SUCCESS);
			/* The essentials always fit. */
			assert_non_null(stun_msg_find(
				&m, STUN_ATTR_XOR_MAPPED_ADDRESS));
			assert_non_null(stun_msg_find(&m,
						      STUN_ATTR_RESPONSE_ORIGIN));
			if (two == 2)
				assert_non_null(stun_msg_find(
					&m, STUN_ATTR_OTHER_ADDRESS));
		}
	}
}

static void test_padding_fills_up_to_the_request_size(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	struct rq o = plain;
	size_t len;

	o.padding = 1500;
	len = build(&o);
	assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out, &c), 1);
	decode_ok(&out, &m, STUN_SUCCESS);
	/* Within 3 bytes of the request (PADDING is a multiple of 4). */
	assert_true(out.len <= len && out.len + 4 > len);
	assert_int_equal(c.padding, 1);
}

static void test_unknown_required_attribute_gets_420(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	struct rq o = plain;
	uint16_t types[8];
	size_t n = 0;

	o.extra_type = 0x7F01;
	o.fingerprint = 1;
	assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_UDP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_ERROR);
	assert_int_equal(error_code(&m), 420);
	assert_int_equal(stun_attr_unknown(stun_msg_find(&m,
				STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 8, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(types[0], 0x7F01);
	/* The request had FINGERPRINT, so the answer does. */
	assert_int_equal(stun_check_fingerprint(&m), 0);
	assert_int_equal(c.err420, 1);

	/* RFC 3489's RESPONSE-ADDRESS would reflect anywhere: 420 too. */
	o.extra_type = STUN_ATTR_RESPONSE_ADDRESS;
	o.fingerprint = 0;
	{
		struct stun_enc w;
		struct sockaddr_storage victim = sa4("203.0.113.99", 53);
		size_t len;

		stun_enc_begin(&w, reqbuf, sizeof(reqbuf), STUN_BINDING,
			       STUN_REQUEST, tid);
		stun_enc_addr(&w, STUN_ATTR_RESPONSE_ADDRESS,
			      (struct sockaddr *)&victim);
		stun_enc_end(&w, &len);
		assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out,
					 &c),
				 1);
		decode_ok(&out, &m, STUN_ERROR);
		assert_int_equal(error_code(&m), 420);
		assert_true(same_addr(&out.dst, &src));
	}

	/* Unknown comprehension-optional: ignored. */
	o.extra_type = 0xC001;
	assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_UDP, &out, &c),
			 1);
	decode_ok(&out, &m, STUN_SUCCESS);
}

static void test_malformed_messages_are_dropped(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	size_t len = build(&plain), cases = 0;
	uint32_t rng = 12345;

	/* Short, a length that disagrees, top bits set. */
	assert_int_equal(respond(&cfg, 19, &src, 0, SERVE_UDP, &out, &c), 0);
	cases++;
	reqbuf[3] = 4;
	assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out, &c), 0);
	cases++;
	len = build(&plain);
	reqbuf[0] |= 0x80;
	assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out, &c), 0);
	cases++;
	/* A FINGERPRINT that does not match. */
	{
		struct rq o = plain;

		o.fingerprint = 1;
		len = build(&o);
		reqbuf[len - 1] ^= 1;
		assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out,
					 &c),
				 0);
		cases++;
	}
	/* A CHANGE-REQUEST of the wrong size. */
	{
		struct stun_enc w;
		uint8_t v[8] = { 0 };

		stun_enc_begin(&w, reqbuf, sizeof(reqbuf), STUN_BINDING,
			       STUN_REQUEST, tid);
		stun_enc_attr(&w, STUN_ATTR_CHANGE_REQUEST, v, 8);
		stun_enc_end(&w, &len);
		assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out,
					 &c),
				 0);
		cases++;
	}
	assert_int_equal(c.malformed, cases);
	assert_int_equal(c.responses, 0);

	/* Random bytes with a plausible header: never a crash, and anything
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
		if (i & 1) {
			reqbuf[4] = 0x21;
			reqbuf[5] = 0x12;
			reqbuf[6] = 0xA4;
			reqbuf[7] = 0x42;
		}
		r = respond(&cfg, n, &src, i % 4, SERVE_UDP, &out, &c);
		assert_true(r == 0 || r == 1);
		if (r == 1)
			assert_true(out.len <= n + SERVE_MAX_GROWTH);
	}
}

static void test_responses_and_indications_are_never_answered(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_out out;
	static const uint8_t classes[3] = { STUN_INDICATION, STUN_SUCCESS,
					    STUN_ERROR };

	for (int i = 0; i < 3; i++) {
		struct rq o = plain;

		o.cls = classes[i];
		o.change = STUN_CHANGE_IP;
		assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_UDP,
					 &out, &c),
				 0);
	}
	assert_int_equal(c.ignored, 3);
	/* Other methods: dropped (RFC 8489 §6.3). */
	{
		struct rq o = plain;

		o.method = TURN_ALLOCATE;
		assert_int_equal(respond(&cfg, build(&o), &src, 0, SERVE_UDP,
					 &out, &c),
				 0);
	}
	assert_int_equal(c.unsupported, 1);
	assert_int_equal(c.responses, 0);
}

static void test_source_port_zero_is_not_answered(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct sockaddr_storage src = sa4("198.51.100.7", 0);
	struct serve_counters c = { 0 };
	struct serve_out out;

	assert_int_equal(respond(&cfg, build(&plain), &src, 0, SERVE_UDP, &out,
				 &c),
			 0);
}

static void test_classic_request_gets_mapped_address_and_its_id(void **state)
{
	struct serve_cfg cfg = cfg_make(2);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000), x;
	struct serve_counters c = { 0 };
	struct serve_out out;
	struct stun_msg m;
	size_t len = build(&plain);

	/* An RFC 3489 request: a 128-bit ID where the cookie was. */
	memcpy(reqbuf + 4, "\x11\x22\x33\x44", 4);
	assert_int_equal(respond(&cfg, len, &src, 0, SERVE_UDP, &out, &c), 1);
	decode_ok(&out, &m, STUN_SUCCESS);
	assert_true(m.classic);
	assert_memory_equal(out.buf + 4, reqbuf + 4, 16);
	assert_null(stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS));
	x = attr_addr(&m, STUN_ATTR_MAPPED_ADDRESS);
	assert_true(same_addr(&x, &src));
	/* RFC 3489's names for RESPONSE-ORIGIN and OTHER-ADDRESS. */
	x = attr_addr(&m, STUN_ATTR_SOURCE_ADDRESS);
	{
		struct sockaddr_storage want = sa4("192.0.2.1", 3478);

		assert_true(same_addr(&x, &want));
		want = sa4("192.0.2.2", 3479);
		x = attr_addr(&m, STUN_ATTR_CHANGED_ADDRESS);
		assert_true(same_addr(&x, &want));
	}
}

static void test_small_output_buffer_is_our_error(void **state)
{
	struct serve_cfg cfg = cfg_make(1);
	struct sockaddr_storage src = sa4("198.51.100.7", 40000);
	struct serve_counters c = { 0 };
	struct serve_req req = { .buf = reqbuf, .len = build(&plain),
				 .src = (struct sockaddr *)&src,
				 .local_idx = 0, .transport = SERVE_UDP };
	struct serve_out out = { .buf = outbuf, .cap = 10 };

	assert_true(serve_respond(&cfg, &req, &out, &c) < 0);
	req.local_idx = 7; /* no such socket */
	out.cap = sizeof(outbuf);
	assert_int_equal(serve_respond(&cfg, &req, &out, &c), NP_EINVAL);
}

static void test_rate_limiter_drops_beyond_the_bucket_and_recovers(void **state)
{
	struct serve_rl rl;
	struct sockaddr_storage a = sa4("198.51.100.7", 1),
				b = sa6("2001:db8::7", 1);
	uint64_t t = 1000000;
	int allowed = 0;

	/* 10/s, burst 20. */
	assert_int_equal(serve_rl_init(&rl, 10, 20, 42), 0);
	for (int i = 0; i < 100; i++)
		allowed += serve_rl_allow(&rl, (struct sockaddr *)&a, t);
	assert_int_equal(allowed, 20);
	/* Another source has its own bucket. */
	assert_true(serve_rl_allow(&rl, (struct sockaddr *)&b, t));
	/* 100 ms later: exactly one more token. */
	t += 100000;
	assert_true(serve_rl_allow(&rl, (struct sockaddr *)&a, t));
	assert_false(serve_rl_allow(&rl, (struct sockaddr *)&a, t));
	/* Half a token is not a token. */
	t += 50000;
	assert_false(serve_rl_allow(&rl, (struct sockaddr *)&a, t));
	/* A long silence refills to the burst, not beyond. */
	t += 3600u * 1000000u;
	allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += serve_rl_allow(&rl, (struct sockaddr *)&a, t);
	assert_int_equal(allowed, 20);
	/* A clock going backwards refills nothing and breaks nothing. */
	assert_false(serve_rl_allow(&rl, (struct sockaddr *)&a, t - 5000000));
	serve_rl_dispose(&rl);

	/* Rate 0: unlimited. */
	assert_int_equal(serve_rl_init(&rl, 0, 0, 1), 0);
	for (int i = 0; i < 1000; i++)
		assert_true(serve_rl_allow(&rl, (struct sockaddr *)&a, t));
	serve_rl_dispose(&rl);
}

static void test_rate_limiter_table_is_fixed_and_evicts_oldest(void **state)
{
	struct serve_rl rl;
	uint64_t t = 0;
	size_t n = (size_t)SERVE_RL_SETS * SERVE_RL_WAYS * 4;

	assert_int_equal(serve_rl_init(&rl, 1, 1, 7), 0);
	/* Four times as many sources as entries: each is let through once
	 * (a new bucket is full), the table does not grow, and evictions
	 * account for the overflow. */
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_storage s;
		struct sockaddr_in *s4 = (struct sockaddr_in *)&s;

		memset(&s, 0, sizeof(s));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(0x0A000000u + (uint32_t)i);
		t += 1;
		assert_true(serve_rl_allow(&rl, (struct sockaddr *)&s, t));
	}
	assert_true(rl.evictions >= n - (size_t)SERVE_RL_SETS * SERVE_RL_WAYS);
	/* The most recent source is still remembered: its bucket is empty. */
	{
		struct sockaddr_storage s;
		struct sockaddr_in *s4 = (struct sockaddr_in *)&s;

		memset(&s, 0, sizeof(s));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(0x0A000000u + (uint32_t)(n - 1));
		assert_false(serve_rl_allow(&rl, (struct sockaddr *)&s, t));
	}
	serve_rl_dispose(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xor_mapped_address_equals_source),
		cmocka_unit_test(test_one_address_has_origin_and_no_other_address),
		cmocka_unit_test(test_two_addresses_give_origin_and_other_address),
		cmocka_unit_test(test_change_request_picks_the_socket_of_table_1),
		cmocka_unit_test(test_change_request_without_second_address_gets_420),
		cmocka_unit_test(test_change_request_over_tcp_gets_420),
		cmocka_unit_test(test_response_port_changes_only_the_destination_port),
		cmocka_unit_test(test_no_padding_size_amplifies),
		cmocka_unit_test(test_padding_fills_up_to_the_request_size),
		cmocka_unit_test(test_unknown_required_attribute_gets_420),
		cmocka_unit_test(test_malformed_messages_are_dropped),
		cmocka_unit_test(test_responses_and_indications_are_never_answered),
		cmocka_unit_test(test_source_port_zero_is_not_answered),
		cmocka_unit_test(test_classic_request_gets_mapped_address_and_its_id),
		cmocka_unit_test(test_small_output_buffer_is_our_error),
		cmocka_unit_test(test_rate_limiter_drops_beyond_the_bucket_and_recovers),
		cmocka_unit_test(test_rate_limiter_table_is_fixed_and_evicts_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
