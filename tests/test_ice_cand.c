/*
 * test_ice_cand.c - candidate and pair arithmetic (probe/ice_cand.c)
 * against values computed by hand from RFC 8445: priorities (§5.1.2.1),
 * foundations (§5.1.1.3), pair priorities (§6.1.2.3), formation, srflx
 * replacement, pruning and the cap (§6.1.2.4-5), RFC 6544 TCP pairing,
 * and the sanity checks on remote candidates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ice_cand.h"
#include "np_err.h"

static struct ice_cand cand(enum ice_cand_type t, const char *addr,
			    uint16_t lp)
{
	struct ice_cand c;

	memset(&c, 0, sizeof(c));
	c.type = t;
	c.component = 1;
	c.transport = NP_UDP;
	c.priority = ice_priority(t, lp, 1);
	if (np_addr_parse(addr, &c.addr))
		fail_msg("bad address %s", addr);
	c.port = np_addr_port(&c.addr);
	return c;
}

static void test_priority_follows_the_rfc_formula(void **state)
{
	/* 2^24*126 + 2^8*65535 + (256-1): libnice's familiar host value */
	assert_int_equal(ice_priority(ICE_HOST, 65535, 1), 2130706431u);
	assert_int_equal(ice_priority(ICE_HOST, 65535, 2), 2130706430u);
	assert_int_equal(ice_priority(ICE_PRFLX, 65535, 1), 1862270975u);
	assert_int_equal(ice_priority(ICE_SRFLX, 65535, 1), 1694498815u);
	assert_int_equal(ice_priority(ICE_RELAY, 65535, 1), 16777215u);
	/* Chromium's 2122260223 is host with local preference 32542 */
	assert_int_equal(ice_priority(ICE_HOST, 32542, 1), 2122260223u);
	assert_int_equal(ice_type_pref(ICE_PRFLX), 110);
	/* A component beyond 256 cannot borrow from the local preference */
	assert_int_equal(ice_priority(ICE_RELAY, 0, 300), 0u);
}

static void test_pair_priority_uses_64_bits_and_breaks_ties(void **state)
{
	uint32_t g = 2130706431u, d = 1694498815u, m = 0x7fffffffu;

	assert_true(ice_pair_priority(g, d) == 7277816997797167103ull);
	assert_true(ice_pair_priority(d, g) == 7277816997797167102ull);
	assert_true(ice_pair_priority(m, m) == 9223372036854775806ull);
	assert_true(ice_pair_priority(1, 1) == (1ull << 32) + 2);
}

static void test_foundation_is_shared_by_type_base_server_transport(void **state)
{
	struct ice_cand c[7];

	c[0] = cand(ICE_HOST, "10.0.0.1:5000", 65535);
	c[1] = cand(ICE_HOST, "10.0.0.2:5000", 65534);
	c[2] = cand(ICE_SRFLX, "203.0.113.1:6000", 65535);
	np_addr_parse("10.0.0.1:5000", &c[2].base);
	np_addr_parse("198.51.100.1:3478", &c[2].server);
	c[3] = c[2]; /* another port on the same base, same server */
	np_addr_parse("203.0.113.1:6001", &c[3].addr);
	np_addr_parse("10.0.0.1:5002", &c[3].base);
	c[4] = c[2]; /* same base, another STUN server */
	np_addr_parse("198.51.100.2:3478", &c[4].server);
	c[5] = c[0]; /* same base, TCP */
	c[5].transport = NP_TCP;
	c[6] = cand(ICE_RELAY, "198.51.100.9:50000", 0);
	ice_foundations_assign(c, 7);
	assert_string_equal(c[0].foundation, "1");
	assert_string_equal(c[1].foundation, "2");
	assert_string_equal(c[2].foundation, "3");
	assert_string_equal(c[3].foundation, "3");
	assert_string_equal(c[4].foundation, "4");
	assert_string_equal(c[5].foundation, "5");
	assert_string_equal(c[6].foundation, "6");
}

static void test_remote_candidates_are_rejected_with_reasons(void **state)
{
	static const struct {
		const char *addr;
		enum ice_reject want;
	} v[] = {
		{ "198.51.100.1:0", ICE_REJECT_PORT_ZERO },
		{ "0.0.0.0:5000", ICE_REJECT_UNSPECIFIED },
		{ "[::]:5000", ICE_REJECT_UNSPECIFIED },
		{ "224.0.0.251:5353", ICE_REJECT_MULTICAST },
		{ "255.255.255.255:5000", ICE_REJECT_MULTICAST },
		{ "[ff02::1]:5000", ICE_REJECT_MULTICAST },
		{ "127.0.0.1:5000", ICE_REJECT_LOOPBACK },
		{ "[::1]:5000", ICE_REJECT_LOOPBACK },
		{ "[::ffff:192.0.2.1]:5000", ICE_REJECT_FAMILY },
		{ "198.51.100.1:5000", ICE_REJECT_OK },
		{ "[2001:db8::1]:5000", ICE_REJECT_OK },
	};
	struct ice_cand c;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c = cand(ICE_HOST, v[i].addr, 1);
		if (ice_cand_check_remote(&c) != v[i].want)
			fail_msg("%s: got \"%s\", want \"%s\"", v[i].addr,
				 ice_reject_text(ice_cand_check_remote(&c)),
				 ice_reject_text(v[i].want));
	}
	c = cand(ICE_SRFLX, "203.0.113.5:6000", 1);
	np_addr_parse("[2001:db8::5]:6000", &c.related);
	assert_int_equal(ice_cand_check_remote(&c), ICE_REJECT_FAMILY);
	c = cand(ICE_HOST, "203.0.113.5:6000", 1);
	c.addr.ss_family = AF_UNSPEC;
	strcpy(c.hostname, "f00d.local");
	assert_int_equal(ice_cand_check_remote(&c), ICE_REJECT_UNRESOLVED);
	c = cand(ICE_HOST, "203.0.113.5:6000", 1);
	c.component = 0;
	assert_int_equal(ice_cand_check_remote(&c), ICE_REJECT_COMPONENT);
	c.component = 1;
	c.transport = NP_TCP;
	assert_int_equal(ice_cand_check_remote(&c), ICE_REJECT_TCPTYPE);
	/* An active TCP candidate's port is a placeholder: 0 or 9 is fine. */
	c.tcptype = ICE_TCP_ACTIVE;
	np_addr_parse("203.0.113.5:0", &c.addr);
	c.port = 0;
	assert_int_equal(ice_cand_check_remote(&c), ICE_REJECT_OK);
}

static void test_srflx_is_replaced_by_its_base_and_pruned(void **state)
{
	struct ice_cand l[2], r[4];
	struct ice_pair_ref p[ICE_MAX_PAIRS];
	size_t n;

	l[0] = cand(ICE_HOST, "10.0.0.1:5000", 65535);
	l[1] = cand(ICE_SRFLX, "203.0.113.1:6000", 65535);
	l[1].base = l[0].addr;
	r[0] = cand(ICE_HOST, "198.51.100.1:7000", 65535);
	r[1] = cand(ICE_SRFLX, "198.51.100.2:8000", 65535);
	r[2] = cand(ICE_HOST, "[2001:db8::1]:7000", 65535); /* other family */
	r[3] = cand(ICE_HOST, "198.51.100.3:0", 65535);     /* port 0 */
	ice_pairs_form(l, 2, r, 4, 1, p, ICE_MAX_PAIRS, &n);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].local, 0);
	assert_int_equal(p[0].remote, 0);
	assert_true(p[0].priority ==
		    ice_pair_priority(l[0].priority, r[0].priority));
	assert_int_equal(p[1].local, 0);
	assert_int_equal(p[1].remote, 1);
	/* controlled: G is the remote's priority */
	ice_pairs_form(l, 2, r, 2, 0, p, ICE_MAX_PAIRS, &n);
	assert_true(p[1].priority ==
		    ice_pair_priority(r[1].priority, l[0].priority));
	/* a srflx whose base is not among the host candidates is dropped */
	ice_pairs_form(&l[1], 1, r, 2, 1, p, ICE_MAX_PAIRS, &n);
	assert_int_equal(n, 0);
}

static void test_pairs_are_sorted_highest_priority_first(void **state)
{
	struct ice_cand l[2], r[3];
	struct ice_pair_ref p[ICE_MAX_PAIRS];
	size_t n, i;

	l[0] = cand(ICE_RELAY, "198.51.100.9:50000", 65535);
	l[1] = cand(ICE_HOST, "10.0.0.1:5000", 65535);
	r[0] = cand(ICE_RELAY, "198.51.100.20:50000", 65535);
	r[1] = cand(ICE_HOST, "192.0.2.1:5000", 65535);
	r[2] = cand(ICE_SRFLX, "192.0.2.2:5000", 65535);
	ice_pairs_form(l, 2, r, 3, 1, p, ICE_MAX_PAIRS, &n);
	assert_int_equal(n, 6);
	for (i = 1; i < n; i++)
		assert_true(p[i - 1].priority > p[i].priority);
	assert_int_equal(p[0].local, 1); /* host-host first */
	assert_int_equal(p[0].remote, 1);
	assert_int_equal(p[5].local, 0); /* relay-relay last */
	assert_int_equal(p[5].remote, 0);
}

static void test_tcp_pairs_active_with_passive_and_so_with_so(void **state)
{
	struct ice_cand l = cand(ICE_HOST, "10.0.0.1:9", 1);
	struct ice_cand r = cand(ICE_HOST, "192.0.2.1:5000", 1);

	l.transport = r.transport = NP_TCP;
	l.tcptype = ICE_TCP_ACTIVE;
	r.tcptype = ICE_TCP_PASSIVE;
	assert_true(ice_cand_pairable(&l, &r));
	r.tcptype = ICE_TCP_ACTIVE;
	assert_false(ice_cand_pairable(&l, &r));
	l.tcptype = r.tcptype = ICE_TCP_SO;
	assert_true(ice_cand_pairable(&l, &r));
	l.tcptype = ICE_TCP_PASSIVE;
	assert_false(ice_cand_pairable(&l, &r));
	r.transport = NP_UDP;
	assert_false(ice_cand_pairable(&l, &r));
	l = cand(ICE_HOST, "10.0.0.1:5000", 1);
	r = cand(ICE_HOST, "192.0.2.1:5000", 1);
	r.component = 2;
	assert_false(ice_cand_pairable(&l, &r));
}

static void test_pair_list_is_capped_keeping_the_best(void **state)
{
	struct ice_cand l[12], r[12];
	struct ice_pair_ref p[ICE_MAX_PAIRS];
	char a[32];
	size_t n, i;

	for (i = 0; i < 12; i++) {
		snprintf(a, sizeof(a), "10.0.0.%zu:5000", i + 1);
		l[i] = cand(ICE_HOST, a, (uint16_t)(1000 + i));
		snprintf(a, sizeof(a), "192.0.2.%zu:5000", i + 1);
		r[i] = cand(ICE_HOST, a, (uint16_t)(1000 + i));
	}
	ice_pairs_form(l, 12, r, 12, 1, p, 1000, &n);
	assert_int_equal(n, ICE_MAX_PAIRS);
	assert_int_equal(p[0].local, 11);
	assert_int_equal(p[0].remote, 11);
	/* every dropped pair ranks below every kept one: the 44 dropped
	 * involve the lowest preferences, so (0,0) cannot be kept */
	for (i = 0; i < n; i++)
		assert_false(p[i].local == 0 && p[i].remote == 0);
	ice_pairs_form(l, 12, r, 12, 1, p, 5, &n);
	assert_int_equal(n, 5);
}

static void test_prflx_candidates_inherit_component_and_flip_tcptype(void **state)
{
	struct ice_cand like = cand(ICE_HOST, "10.0.0.1:5000", 65535), c;
	struct sockaddr_storage a;

	np_addr_parse("203.0.113.77:40000", &a);
	like.component = 2;
	like.transport = NP_TCP;
	like.tcptype = ICE_TCP_PASSIVE;
	ice_cand_prflx(&c, &like, &a, 12345, 1);
	assert_int_equal(c.type, ICE_PRFLX);
	assert_int_equal(c.component, 2);
	assert_int_equal(c.priority, 12345);
	assert_int_equal(c.port, 40000);
	assert_int_equal(c.tcptype, ICE_TCP_ACTIVE);
	ice_cand_prflx(&c, &like, &a, 12345, 0);
	assert_int_equal(c.tcptype, ICE_TCP_PASSIVE);
}

static void test_candidate_text_names_the_bad_field(void **state)
{
	static const char s[] = "1 1 udp 100 192.0.2.1 5000 typ host raddr";
	struct ice_cand c;
	enum ice_cand_err why;
	size_t at, len;

	assert_int_equal(ice_cand_parse(s, strlen(s), &c, &why, &at, &len),
			 NP_EINVAL);
	assert_int_equal(why, ICE_CAND_ERR_RADDR);
	assert_int_equal(at, strlen(s) - 5);
	assert_int_equal(len, 5);
	assert_true(ice_chars_ok("a+/9", 4, 4, 4));
	assert_false(ice_chars_ok("a-b9", 4, 1, 8));
	assert_string_equal(ice_cand_type_name(ICE_SRFLX), "srflx");
	assert_string_equal(ice_tcptype_name(ICE_TCP_SO), "so");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_follows_the_rfc_formula),
		cmocka_unit_test(test_pair_priority_uses_64_bits_and_breaks_ties),
		cmocka_unit_test(test_foundation_is_shared_by_type_base_server_transport),
		cmocka_unit_test(test_remote_candidates_are_rejected_with_reasons),
		cmocka_unit_test(test_srflx_is_replaced_by_its_base_and_pruned),
		cmocka_unit_test(test_pairs_are_sorted_highest_priority_first),
		cmocka_unit_test(test_tcp_pairs_active_with_passive_and_so_with_so),
		cmocka_unit_test(test_pair_list_is_capped_keeping_the_best),
		cmocka_unit_test(test_prflx_candidates_inherit_component_and_flip_tcptype),
		cmocka_unit_test(test_candidate_text_names_the_bad_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
