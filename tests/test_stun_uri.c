/*
 * test_stun_uri.c - STUN/TURN server URIs (probe/stun_uri.c) per RFC 7064
 * §3.1 (stun:, stuns:, default ports 3478 and 5349) and RFC 7065 §3.1
 * (turn:, turns:, ?transport=udp|tcp), plus natprobe's conveniences: a
 * bare host[:port] is stun:, and stun: also takes ?transport=.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "np_err.h"
#include "stun_uri.h"

/* Parses s, failing the test with the parser's sentence if it refuses. */
static void parse_ok(const char *s, struct stun_uri *u)
{
	char why[256] = "";
	int rc = stun_uri_parse(s, u, why, sizeof(why));

	if (rc != 0)
		fail_msg("\"%s\" rejected: %s (%s)", s, why, np_errname(rc));
}

/* Parses s, which must be refused with NP_EBADURI and a sentence that
 * quotes the input and contains `mentions`. */
static void parse_bad(const char *s, const char *mentions)
{
	struct stun_uri u;
	char why[1024] = "";
	int rc = stun_uri_parse(s, &u, why, sizeof(why));

	if (rc != NP_EBADURI)
		fail_msg("\"%s\" was accepted (rc %d, host \"%s\" port %u)", s,
			 rc, u.host, u.port);
	if (!strstr(why, s))
		fail_msg("\"%s\": reason does not quote the input: %s", s, why);
	if (!strstr(why, mentions))
		fail_msg("\"%s\": reason \"%s\" does not mention \"%s\"", s, why,
			 mentions);
}

/* Parses s and compares its canonical form with want. */
static void canonical(const char *s, const char *want)
{
	struct stun_uri u;
	char buf[300];

	parse_ok(s, &u);
	assert_string_equal(stun_uri_str(&u, buf, sizeof(buf)), want);
}

static void test_stun_defaults_to_port_3478_over_udp(void **state)
{
	struct stun_uri u;

	parse_ok("stun:stun.example.org", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_STUN);
	assert_string_equal(u.host, "stun.example.org");
	assert_int_equal(u.port, 3478);
	assert_false(u.port_given);
	assert_int_equal(u.transport, NP_UDP);
	assert_false(u.transport_given);
}

static void test_stuns_defaults_to_port_5349_over_tls(void **state)
{
	struct stun_uri u;

	parse_ok("stuns:stun.example.org", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_STUNS);
	assert_int_equal(u.port, 5349);
	assert_int_equal(u.transport, NP_TLS);
}

static void test_turn_and_turns_take_the_same_defaults(void **state)
{
	struct stun_uri u;

	parse_ok("turn:turn.example.org", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_TURN);
	assert_int_equal(u.port, 3478);
	assert_int_equal(u.transport, NP_UDP);
	parse_ok("turns:turn.example.org", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_TURNS);
	assert_int_equal(u.port, 5349);
	assert_int_equal(u.transport, NP_TLS);
}

static void test_explicit_port_is_kept_and_marked_given(void **state)
{
	struct stun_uri u;

	parse_ok("stun:203.0.113.10:19302", &u);
	assert_string_equal(u.host, "203.0.113.10");
	assert_int_equal(u.port, 19302);
	assert_true(u.port_given);
	parse_ok("stuns:203.0.113.10:443", &u);
	assert_int_equal(u.port, 443);
	assert_int_equal(u.transport, NP_TLS);
	parse_ok("stun:h:1", &u);
	assert_int_equal(u.port, 1);
	parse_ok("stun:h:65535", &u);
	assert_int_equal(u.port, 65535);
}

static void test_scheme_is_case_insensitive(void **state)
{
	struct stun_uri u;

	parse_ok("STUN:host", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_STUN);
	parse_ok("TuRnS:host", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_TURNS);
}

static void test_bracketed_ipv6_host_with_and_without_port(void **state)
{
	struct stun_uri u;

	parse_ok("stun:[2001:db8::1]:3479", &u);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 3479);
	parse_ok("stun:[::1]", &u);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 3478);
	parse_ok("turn:[2001:db8::2]?transport=tcp", &u);
	assert_string_equal(u.host, "2001:db8::2");
	assert_int_equal(u.port, 3478);
	assert_int_equal(u.transport, NP_TCP);
}

static void test_bad_ipv6_brackets_are_rejected(void **state)
{
	parse_bad("stun:[2001:db8::1", "unterminated");
	parse_bad("stun:[2001:db8::1]x", "junk after ]");
	parse_bad("stun:[example.org]:3478", "not an IPv6 address");
	parse_bad("stun:[]:3478", "not an IPv6 address");
}

static void test_transport_query_selects_tcp_or_udp(void **state)
{
	struct stun_uri u;

	parse_ok("turn:turn.example.org?transport=tcp", &u);
	assert_int_equal(u.transport, NP_TCP);
	assert_true(u.transport_given);
	assert_int_equal(u.port, 3478);
	parse_ok("turn:turn.example.org:3479?transport=udp", &u);
	assert_int_equal(u.transport, NP_UDP);
	assert_int_equal(u.port, 3479);
	parse_ok("stun:stun.example.org?transport=TCP", &u);
	assert_int_equal(u.transport, NP_TCP);
}

static void test_tls_scheme_with_transport_tcp_stays_tls(void **state)
{
	struct stun_uri u;

	parse_ok("turns:turn.example.org?transport=tcp", &u);
	assert_int_equal(u.transport, NP_TLS);
	assert_true(u.transport_given);
	assert_int_equal(u.port, 5349);
}

static void test_turns_with_transport_udp_is_rejected(void **state)
{
	parse_bad("turns:turn.example.org?transport=udp", "transport=udp");
	parse_bad("stuns:stun.example.org:443?transport=udp", "DTLS");
}

static void test_unknown_transport_or_query_is_rejected(void **state)
{
	parse_bad("turn:h?transport=sctp", "udp or tcp");
	parse_bad("turn:h?transport=", "udp or tcp");
	parse_bad("turn:h?proto=tcp", "?transport=udp|tcp");
	parse_bad("turn:h?transport=tcp&x=1", "udp or tcp");
}

static void test_ports_out_of_range_or_not_numbers_are_rejected(void **state)
{
	parse_bad("stun:host:0", "1..65535");
	parse_bad("stun:host:65536", "1..65535");
	parse_bad("stun:host:99999999999999999999999", "1..65535");
	parse_bad("stun:host:abc", "1..65535");
	parse_bad("stun:host:", "1..65535");
	parse_bad("stun:host:34x", "1..65535");
	parse_bad("stun:host:-1", "1..65535");
	parse_bad("stun:host:+80", "1..65535");
	parse_bad("stun:[::1]:0", "1..65535");
	parse_bad("stun:[::1]:", "1..65535");
	parse_bad("turn:host:0?transport=tcp", "1..65535");
}

static void test_double_slash_is_rejected_with_the_right_form(void **state)
{
	/* People write stun://host:port; say what RFC 7064 wants instead. */
	parse_bad("stun://stun.example.org:3478", "no \"//\"");
	parse_bad("stun://stun.example.org:3478", "stun:host:port");
	parse_bad("turns://turn.example.org", "no \"//\"");
}

static void test_unknown_scheme_is_rejected(void **state)
{
	parse_bad("http://stun.example.org", "scheme must be");
	parse_bad("sip:alice@example.org", "scheme must be");
	parse_bad("stunx:host", "scheme must be");
	parse_bad("udp:host:3478", "scheme must be");
}

static void test_bare_host_and_port_is_taken_as_stun(void **state)
{
	struct stun_uri u;

	parse_ok("stun.example.org", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_STUN);
	assert_int_equal(u.port, 3478);
	parse_ok("stun.example.org:19302", &u);
	assert_int_equal(u.scheme, STUN_SCHEME_STUN);
	assert_string_equal(u.host, "stun.example.org");
	assert_int_equal(u.port, 19302);
	parse_ok("198.51.100.7:3478", &u);
	assert_string_equal(u.host, "198.51.100.7");
	parse_ok("[2001:db8::7]:3478", &u);
	assert_string_equal(u.host, "2001:db8::7");
}

static void test_host_characters_outside_a_name_are_rejected(void **state)
{
	parse_bad("stun:exa mple.org", "characters");
	parse_bad("stun:user@example.org", "characters");
	parse_bad("stun:example.org/path", "characters");
	parse_bad("stun:exa%41mple.org", "characters");
	parse_bad("stun:", "no host");
	parse_bad("stun::3478", "no host");
	parse_bad("", "no host");
}

static void test_unbracketed_ipv6_is_not_taken_for_host_and_port(void **state)
{
	struct stun_uri u;
	char why[256];

	/* "2001" with port "db8::1" would be a silent misreading. */
	assert_int_equal(stun_uri_parse("stun:2001:db8::1", &u, why, sizeof(why)),
			 NP_EBADURI);
	assert_int_equal(stun_uri_parse("stun:::1", &u, why, sizeof(why)),
			 NP_EBADURI);
	assert_int_equal(stun_uri_parse("2001:db8::1:3478", &u, why, sizeof(why)),
			 NP_EBADURI);
}

static void test_host_of_255_bytes_fits_and_256_does_not(void **state)
{
	char s[300];
	struct stun_uri u;

	memcpy(s, "stun:", 5);
	memset(s + 5, 'a', 255);
	s[5 + 255] = '\0';
	parse_ok(s, &u);
	assert_int_equal(strlen(u.host), 255);
	memset(s + 5, 'a', 256);
	s[5 + 256] = '\0';
	parse_bad(s, "too long");
}

static void test_canonical_form_names_scheme_host_and_port(void **state)
{
	canonical("stun:203.0.113.10", "stun:203.0.113.10:3478");
	canonical("STUN:203.0.113.10:3479", "stun:203.0.113.10:3479");
	canonical("stuns:stun.example.org", "stuns:stun.example.org:5349");
	canonical("turn:t.example.org:80?transport=tcp",
		  "turn:t.example.org:80?transport=tcp");
	canonical("stun:203.0.113.10:3478?transport=tcp",
		  "stun:203.0.113.10:3478?transport=tcp");
	canonical("turns:t.example.org?transport=tcp", "turns:t.example.org:5349");
	canonical("turn:t.example.org?transport=udp", "turn:t.example.org:3478");
	canonical("stun:[2001:db8::1]", "stun:[2001:db8::1]:3478");
	canonical("example.org:7", "stun:example.org:7");
}

static void test_canonical_form_parses_back_to_the_same_uri(void **state)
{
	static const char *const in[] = {
		"stun:203.0.113.10", "stuns:[2001:db8::1]:443",
		"turn:t.example.org?transport=tcp", "turns:t.example.org:5350",
		"t.example.org", "turn:[::1]:3478?transport=udp",
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct stun_uri a, b;
		char buf[300];

		parse_ok(in[i], &a);
		parse_ok(stun_uri_str(&a, buf, sizeof(buf)), &b);
		assert_int_equal(a.scheme, b.scheme);
		assert_string_equal(a.host, b.host);
		assert_int_equal(a.port, b.port);
		assert_int_equal(a.transport, b.transport);
	}
}

static void test_canonical_form_is_truncated_to_the_buffer(void **state)
{
	struct stun_uri u;
	char buf[8];

	parse_ok("stun:stun.example.org", &u);
	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(stun_uri_str(&u, buf, sizeof(buf)), buf);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf, "stun:st");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stun_defaults_to_port_3478_over_udp),
		cmocka_unit_test(test_stuns_defaults_to_port_5349_over_tls),
		cmocka_unit_test(test_turn_and_turns_take_the_same_defaults),
		cmocka_unit_test(test_explicit_port_is_kept_and_marked_given),
		cmocka_unit_test(test_scheme_is_case_insensitive),
		cmocka_unit_test(test_bracketed_ipv6_host_with_and_without_port),
		cmocka_unit_test(test_bad_ipv6_brackets_are_rejected),
		cmocka_unit_test(test_transport_query_selects_tcp_or_udp),
		cmocka_unit_test(test_tls_scheme_with_transport_tcp_stays_tls),
		cmocka_unit_test(test_turns_with_transport_udp_is_rejected),
		cmocka_unit_test(test_unknown_transport_or_query_is_rejected),
		cmocka_unit_test(test_ports_out_of_range_or_not_numbers_are_rejected),
		cmocka_unit_test(test_double_slash_is_rejected_with_the_right_form),
		cmocka_unit_test(test_unknown_scheme_is_rejected),
		cmocka_unit_test(test_bare_host_and_port_is_taken_as_stun),
		cmocka_unit_test(test_host_characters_outside_a_name_are_rejected),
		cmocka_unit_test(test_unbracketed_ipv6_is_not_taken_for_host_and_port),
		cmocka_unit_test(test_host_of_255_bytes_fits_and_256_does_not),
		cmocka_unit_test(test_canonical_form_names_scheme_host_and_port),
		cmocka_unit_test(test_canonical_form_parses_back_to_the_same_uri),
		cmocka_unit_test(test_canonical_form_is_truncated_to_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
