/*
 * test_obs.c - the observation log (probe/obs.c): its JSON-lines form must
 * give back every field it was given, since `natprobe report --events`
 * replays an analysis from it; a bad line is refused with its number; the
 * log is capped at OBS_MAX; addresses print and parse in one form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "obs.h"

/* Every OBS_HAS_* flag the JSON form carries. */
#define HAS_ALL_WRITTEN                                                       \
	(OBS_HAS_TID | OBS_HAS_LOCAL | OBS_HAS_REMOTE | OBS_HAS_MAPPED |      \
	 OBS_HAS_XOR_MAPPED | OBS_HAS_ORIGIN | OBS_HAS_OTHER |                \
	 OBS_HAS_ERROR_CODE | OBS_HAS_RTT | OBS_HAS_SOURCE |                  \
	 OBS_HAS_ALTERNATE)

/* Text that JSON has to escape: quotes, backslash, newline, tab, a control
 * character, and UTF-8 ("Grüße, 東京 ✓"). */
static const char hard_text[] =
	"he said \"no\" \\ then\nleft\ttab \x01 Gr\xc3\xbc\xc3\x9f" "e, "
	"\xe6\x9d\xb1\xe4\xba\xac \xe2\x9c\x93";

static void addr(const char *s, struct sockaddr_storage *ss)
{
	if (np_addr_parse(s, ss) != 0)
		fail_msg("np_addr_parse(\"%s\") failed", s);
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	char buf[80];

	assert_string_equal(np_addr_str(ss, buf, sizeof(buf)), want);
}

/* An observation with every field set to something distinctive. */
static void full_obs(struct obs *o)
{
	static const uint8_t tid[12] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff,
					 0xa5, 0x5a, 0x10, 0x20, 0x30, 0x40 };

	memset(o, 0, sizeof(*o));
	o->seq = 42;
	o->t_us = 123456789012ull;
	o->kind = OBS_RESPONSE;
	o->has = HAS_ALL_WRITTEN;
	snprintf(o->test, sizeof(o->test), "nat.map.2");
	snprintf(o->server, sizeof(o->server), "stun:[2001:db8::1]:3478");
	o->transport = NP_TCP;
	addr("192.0.2.1:40000", &o->local);
	addr("[2001:db8::1]:3478", &o->remote);
	addr("[2001:db8::1]:3479", &o->source);
	addr("203.0.113.7:1", &o->mapped);
	addr("203.0.113.8:65535", &o->xor_mapped);
	addr("[2001:db8::2]:3478", &o->origin);
	addr("[2001:db8::3]:3479", &o->other);
	addr("198.51.100.9:443", &o->alternate);
	memcpy(o->tid, tid, sizeof(tid));
	o->method = 0x00b;
	o->cls = 3;
	o->attempt = 7;
	o->rto_us = 4000000000u;
	o->rtt_us = 3999999999u;
	o->rtt_last_us = 12345;
	o->size = 1500;
	o->change = 6;
	o->response_port = 40001;
	o->padding = 1200;
	o->error_code = 420;
	o->err = -ECONNREFUSED;
	snprintf(o->software, sizeof(o->software), "Coturn-4.6.1 'Gorst'");
	snprintf(o->text, sizeof(o->text), "%s", hard_text);
}

/* Writes log as JSON lines into a heap buffer (caller frees). */
static char *write_log(const struct obs_log *log)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(obs_log_write(log, f), 0);
	fclose(f);
	return buf;
}

/* Reads JSON lines from text into log; returns obs_log_read's result. */
static int read_text(const char *text, struct obs_log *log, char *detail,
		     size_t dlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	detail[0] = '\0';
	rc = obs_log_read(log, f, detail, dlen);
	fclose(f);
	return rc;
}

/* Writes one observation through a log and reads it back. */
static void round_trip(const struct obs *in, struct obs *out)
{
	struct obs_log log, back;
	char detail[200], *text;

	obs_log_init(&log, 0, 0);
	assert_non_null(obs_add(&log, in));
	log.v[0].seq = in->seq;
	text = write_log(&log);
	if (read_text(text, &back, detail, sizeof(detail)) != 0)
		fail_msg("read back failed: %s\n%s", detail, text);
	assert_int_equal(back.n, 1);
	*out = back.v[0];
	free(text);
	obs_log_dispose(&log);
	obs_log_dispose(&back);
}

/* Reads one bad log; it must fail with NP_EJSON and a detail that starts
 * with "line N: " and contains `mentions`. */
static void read_bad(const char *text, unsigned line, const char *mentions)
{
	struct obs_log log;
	char detail[256], prefix[32];
	int rc = read_text(text, &log, detail, sizeof(detail));

	obs_log_dispose(&log);
	if (rc != NP_EJSON)
		fail_msg("accepted (rc %d): %s", rc, text);
	snprintf(prefix, sizeof(prefix), "line %u: ", line);
	if (strncmp(detail, prefix, strlen(prefix)) != 0)
		fail_msg("detail \"%s\" does not start with \"%s\"", detail,
			 prefix);
	if (!strstr(detail, mentions))
		fail_msg("detail \"%s\" does not mention \"%s\"", detail, mentions);
}

#define HEADER "{\"natprobe_events\":1,\"command\":\"stun\",\"family\":0," \
	       "\"start_wall_us\":1}\n"
#define GOOD "{\"seq\":1,\"t_us\":5,\"kind\":\"sent\",\"transport\":\"udp\"}\n"

static void test_every_field_survives_a_json_round_trip(void **state)
{
	struct obs in, out;

	full_obs(&in);
	round_trip(&in, &out);
	assert_int_equal(out.seq, 42);
	assert_int_equal(out.t_us, 123456789012ull);
	assert_int_equal(out.kind, OBS_RESPONSE);
	assert_int_equal(out.has, HAS_ALL_WRITTEN);
	assert_string_equal(out.test, "nat.map.2");
	assert_string_equal(out.server, "stun:[2001:db8::1]:3478");
	assert_int_equal(out.transport, NP_TCP);
	assert_addr(&out.local, "192.0.2.1:40000");
	assert_addr(&out.remote, "[2001:db8::1]:3478");
	assert_addr(&out.source, "[2001:db8::1]:3479");
	assert_addr(&out.mapped, "203.0.113.7:1");
	assert_addr(&out.xor_mapped, "203.0.113.8:65535");
	assert_addr(&out.origin, "[2001:db8::2]:3478");
	assert_addr(&out.other, "[2001:db8::3]:3479");
	assert_addr(&out.alternate, "198.51.100.9:443");
	assert_memory_equal(out.tid, in.tid, sizeof(in.tid));
	assert_int_equal(out.method, 0x00b);
	assert_int_equal(out.cls, 3);
	assert_int_equal(out.attempt, 7);
	assert_int_equal(out.rto_us, 4000000000u);
	assert_int_equal(out.rtt_us, 3999999999u);
	assert_int_equal(out.rtt_last_us, 12345);
	assert_int_equal(out.size, 1500);
	assert_int_equal(out.change, 6);
	assert_int_equal(out.response_port, 40001);
	assert_int_equal(out.padding, 1200);
	assert_int_equal(out.error_code, 420);
	assert_int_equal(out.err, -ECONNREFUSED);
	assert_string_equal(out.software, "Coturn-4.6.1 'Gorst'");
	assert_string_equal(out.text, hard_text);
}

static void test_round_trip_gives_the_same_json_line(void **state)
{
	struct obs in, out;
	char a[2048], b[2048];

	full_obs(&in);
	round_trip(&in, &out);
	assert_int_equal(obs_to_json(&in, a, sizeof(a)), 0);
	assert_int_equal(obs_to_json(&out, b, sizeof(b)), 0);
	assert_string_equal(a, b);
	assert_null(strchr(a, '\n'));
}

static void test_icmp_type_and_code_survive_a_round_trip(void **state)
{
	struct obs in, out;

	memset(&in, 0, sizeof(in));
	in.kind = OBS_ICMP;
	in.icmp_type = 3;
	in.icmp_code = 3;
	in.err = -ECONNREFUSED;
	in.has = OBS_HAS_REMOTE;
	addr("127.0.0.1:9", &in.remote);
	round_trip(&in, &out);
	assert_int_equal(out.kind, OBS_ICMP);
	assert_int_equal(out.icmp_type, 3);
	assert_int_equal(out.icmp_code, 3);
	assert_int_equal(out.err, -ECONNREFUSED);

	in.icmp_type = 1;    /* ICMPv6 destination unreachable */
	in.icmp_code = 4;    /* port unreachable */
	round_trip(&in, &out);
	assert_int_equal(out.icmp_type, 1);
	assert_int_equal(out.icmp_code, 4);
}

static void test_own_error_codes_survive_a_round_trip(void **state)
{
	struct obs in, out;
	char line[512];

	memset(&in, 0, sizeof(in));
	in.kind = OBS_ERROR;
	in.err = NP_ERESOLVE;
	round_trip(&in, &out);
	assert_int_equal(out.err, NP_ERESOLVE);
	/* The name is written for people, the number for programs. */
	assert_int_equal(obs_to_json(&in, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "\"err\":\"NP_ERESOLVE\""));
}

static void test_changed_address_flag_survives_a_round_trip(void **state)
{
	struct obs in, out;

	/* Regression (was a bug): probe/obs.c writes no key for OBS_HAS_CHANGED, so an RFC 3489
	 * CHANGED-ADDRESS replays as an RFC 5780 OTHER-ADDRESS. */
	memset(&in, 0, sizeof(in));
	in.kind = OBS_RESPONSE;
	in.has = OBS_HAS_OTHER | OBS_HAS_CHANGED;
	addr("192.0.2.2:3479", &in.other);
	round_trip(&in, &out);
	assert_int_equal(out.has, OBS_HAS_OTHER | OBS_HAS_CHANGED);
}

static void test_every_kind_and_transport_survives_a_round_trip(void **state)
{
	for (int k = 0; k < OBS_KIND__COUNT; k++) {
		for (int t = NP_UDP; t <= NP_TLS; t++) {
			struct obs in, out;

			memset(&in, 0, sizeof(in));
			in.kind = (enum obs_kind)k;
			in.transport = (enum np_transport)t;
			round_trip(&in, &out);
			assert_int_equal(out.kind, k);
			assert_int_equal(out.transport, t);
		}
	}
}

static void test_kind_names_parse_back_and_unknown_names_do_not(void **state)
{
	enum obs_kind k;

	for (int i = 0; i < OBS_KIND__COUNT; i++) {
		assert_int_equal(obs_kind_parse(obs_kind_name((enum obs_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_string_equal(obs_kind_name(OBS_RETRANSMIT), "retransmit");
	assert_string_equal(obs_kind_name(OBS_KIND__COUNT), "?");
	assert_int_equal(obs_kind_parse("Sent", &k), NP_EINVAL);
	assert_int_equal(obs_kind_parse("", &k), NP_EINVAL);
	assert_string_equal(np_transport_name(NP_TLS), "tls");
	assert_string_equal(np_transport_name((enum np_transport)9), "?");
}

static void test_unset_fields_are_left_out_of_the_json(void **state)
{
	struct obs o;
	char line[512];

	memset(&o, 0, sizeof(o));
	o.seq = 1;
	o.kind = OBS_NOTE;
	assert_int_equal(obs_to_json(&o, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"seq\":1,\"t_us\":0,\"kind\":\"note\","
				  "\"transport\":\"udp\"}");
}

static void test_json_that_does_not_fit_is_refused(void **state)
{
	struct obs o;
	char line[64];

	full_obs(&o);
	assert_int_equal(obs_to_json(&o, line, sizeof(line)), NP_ENOSPACE);
}

static void test_header_line_carries_command_family_and_start(void **state)
{
	struct obs_log log, back;
	struct obs o;
	char detail[200], *text;

	obs_log_init(&log, 777, 1700000000123456ull);
	snprintf(log.command, sizeof(log.command), "nat");
	log.family = AF_INET6;
	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	obs_add(&log, &o);
	text = write_log(&log);
	assert_true(strncmp(text, "{\"natprobe_events\":1,", 21) == 0);
	assert_int_equal(read_text(text, &back, detail, sizeof(detail)), 0);
	assert_string_equal(back.command, "nat");
	assert_int_equal(back.family, AF_INET6);
	assert_int_equal(back.start_wall_us, 1700000000123456ull);
	assert_int_equal(back.n, 1);
	free(text);
	obs_log_dispose(&log);
	obs_log_dispose(&back);
}

static void test_streamed_header_and_records_read_back(void **state)
{
	struct obs_log log, back;
	struct obs o;
	char *buf = NULL, detail[200];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	obs_log_init(&log, 0, 99);
	snprintf(log.command, sizeof(log.command), "stun");
	log.family = AF_INET;
	obs_log_write_header(&log, f);
	log.stream = f;
	memset(&o, 0, sizeof(o));
	o.kind = OBS_SENT;
	obs_add(&log, &o);
	o.kind = OBS_TIMEOUT;
	obs_add(&log, &o);
	fclose(f);
	assert_int_equal(read_text(buf, &back, detail, sizeof(detail)), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[0].kind, OBS_SENT);
	assert_int_equal(back.v[1].kind, OBS_TIMEOUT);
	assert_int_equal(back.v[1].seq, 2);
	assert_int_equal(back.family, AF_INET);
	assert_int_equal(back.start_wall_us, 99);
	free(buf);
	obs_log_dispose(&log);
	obs_log_dispose(&back);
}

static void test_add_numbers_records_from_one(void **state)
{
	struct obs_log log;
	struct obs o;

	obs_log_init(&log, 0, 0);
	memset(&o, 0, sizeof(o));
	o.seq = 999;
	for (int i = 1; i <= 300; i++) {
		struct obs *r = obs_add(&log, &o);

		assert_non_null(r);
		assert_int_equal(r->seq, i);
	}
	assert_int_equal(log.n, 300);
	assert_int_equal(log.dropped, 0);
	obs_log_dispose(&log);
	assert_null(log.v);
	assert_int_equal(log.n, 0);
}

static void test_seq_from_the_file_is_kept_and_missing_seq_assigned(void **state)
{
	struct obs_log log;
	char detail[200];

	assert_int_equal(read_text(HEADER
				   "{\"seq\":10,\"kind\":\"sent\"}\n"
				   "{\"kind\":\"timeout\"}\n",
				   &log, detail, sizeof(detail)), 0);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.v[0].seq, 10);
	assert_int_equal(log.v[1].seq, 2);
	obs_log_dispose(&log);
}

static void test_log_is_capped_at_obs_max_and_counts_what_it_drops(void **state)
{
	struct obs_log log;
	struct obs o;
	struct obs *last = NULL;

	obs_log_init(&log, 0, 0);
	memset(&o, 0, sizeof(o));
	o.kind = OBS_UNMATCHED;
	for (size_t i = 0; i < OBS_MAX; i++)
		last = obs_add(&log, &o);
	assert_non_null(last);
	assert_int_equal(last->seq, OBS_MAX);
	assert_int_equal(log.dropped, 0);
	assert_null(obs_add(&log, &o));
	assert_null(obs_add(&log, &o));
	assert_int_equal(log.n, OBS_MAX);
	assert_int_equal(log.dropped, 2);
	obs_log_dispose(&log);
}

static void test_blank_lines_are_skipped_but_counted(void **state)
{
	read_bad(HEADER "\n" GOOD "\n" "nonsense\n", 5, "not a JSON object");
}

static void test_line_that_is_not_json_is_named(void **state)
{
	read_bad(HEADER GOOD "{\"kind\":\"sent\"\n", 3, "not a JSON object");
	read_bad("[1,2]\n", 1, "other JSON value");
}

static void test_line_without_kind_is_named(void **state)
{
	read_bad(HEADER GOOD "{\"seq\":3}\n", 3, "no \"kind\"");
	read_bad(HEADER "{\"kind\":7}\n", 2, "no \"kind\"");
}

static void test_line_with_unknown_kind_is_named(void **state)
{
	read_bad(HEADER GOOD GOOD "{\"kind\":\"teleport\"}\n", 4,
		 "unknown kind \"teleport\"");
}

static void test_line_with_unknown_transport_is_named(void **state)
{
	read_bad(GOOD "{\"kind\":\"sent\",\"transport\":\"sctp\"}\n", 2,
		 "unknown transport \"sctp\"");
}

static void test_line_with_bad_address_is_named(void **state)
{
	read_bad(HEADER GOOD "{\"kind\":\"sent\",\"remote\":\"1.2.3.4\"}\n", 3,
		 "field \"remote\" is not an address");
	read_bad("{\"kind\":\"response\",\"xor_mapped\":\"[::1]:99999\"}\n", 1,
		 "field \"xor_mapped\"");
	read_bad("{\"kind\":\"response\",\"mapped\":17}\n", 1, "field \"mapped\"");
}

static void test_line_with_tid_not_hex_is_named(void **state)
{
	read_bad(HEADER GOOD
		 "{\"kind\":\"sent\",\"tid\":\"zz0102030405060708090a0b\"}\n",
		 3, "tid is not hex");
	read_bad("{\"kind\":\"sent\",\"tid\":\"0102\"}\n", 1,
		 "tid is not 24 hex digits");
}

static void test_tid_with_sign_space_or_0x_is_not_hex(void **state)
{
	/* Regression (was a bug): probe/obs.c parses each pair with sscanf("%2x"), which takes
	 * "-1" as 0xff, " a" as 0x0a plus the next digit, and "0x" as 0. */
	read_bad("{\"kind\":\"sent\",\"tid\":\"-10102030405060708090a0b\"}\n", 1,
		 "tid is not hex");
	read_bad("{\"kind\":\"sent\",\"tid\":\"0x0102030405060708090a0b\"}\n", 1,
		 "tid is not hex");
	read_bad("{\"kind\":\"sent\",\"tid\":\" a0102030405060708090a0b\"}\n", 1,
		 "tid is not hex");
}

static void test_line_with_negative_count_is_named(void **state)
{
	read_bad(GOOD "{\"kind\":\"sent\",\"attempt\":-1}\n", 2,
		 "field \"attempt\" is not a count");
	read_bad(GOOD "{\"kind\":\"sent\",\"rto_us\":\"fast\"}\n", 2,
		 "field \"rto_us\" is not a count");
	read_bad(GOOD "{\"kind\":\"sent\",\"size\":4294967296}\n", 2,
		 "field \"size\" is not a count");
}

static void test_unknown_keys_are_ignored_for_newer_logs(void **state)
{
	struct obs_log log;
	char detail[200];

	assert_int_equal(read_text(HEADER
				   "{\"kind\":\"sent\",\"future\":{\"x\":[1]},"
				   "\"err\":\"NP_EWHATEVER\"}\n",
				   &log, detail, sizeof(detail)), 0);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.v[0].kind, OBS_SENT);
	assert_int_equal(log.v[0].err, 0);
	obs_log_dispose(&log);
}

static void test_text_longer_than_obs_text_is_cut(void **state)
{
	char line[1024];
	struct obs_log log;
	char detail[200];
	int n;

	n = snprintf(line, sizeof(line), "{\"kind\":\"note\",\"text\":\"");
	memset(line + n, 'x', 600);
	snprintf(line + n + 600, sizeof(line) - (size_t)n - 600, "\"}\n");
	assert_int_equal(read_text(line, &log, detail, sizeof(detail)), 0);
	assert_int_equal(strlen(log.v[0].text), OBS_TEXT - 1);
	obs_log_dispose(&log);
}

static void test_cut_utf8_text_still_writes_a_text_field(void **state)
{
	char line[2048], out[2048];
	struct obs_log log;
	char detail[200];
	int n, rc;

	/* Regression (was a bug): probe/obs.c copy_str() cuts text at OBS_TEXT - 1 bytes, which
	 * can split a UTF-8 sequence; json_string() then refuses the value
	 * and obs_json() silently drops the "text" key. */
	n = snprintf(line, sizeof(line), "{\"kind\":\"note\",\"text\":\"");
	for (int i = 0; i < 300; i++)     /* 300 x "é", 600 bytes */
		n += snprintf(line + n, sizeof(line) - (size_t)n, "\xc3\xa9");
	snprintf(line + n, sizeof(line) - (size_t)n, "\"}\n");
	assert_int_equal(read_text(line, &log, detail, sizeof(detail)), 0);
	rc = obs_to_json(&log.v[0], out, sizeof(out));
	obs_log_dispose(&log);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"text\":\"\xc3\xa9"));
}

static void test_address_strings_round_trip(void **state)
{
	static const char *const ok[] = {
		"192.0.2.1:3478", "0.0.0.0:0", "255.255.255.255:65535",
		"[2001:db8::1]:3478", "[::1]:1", "[::]:0",
		"[::ffff:192.0.2.1]:80", "[fe80::1:2:3:4]:5",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sockaddr_storage ss;

		addr(ok[i], &ss);
		assert_addr(&ss, ok[i]);
	}
}

static void test_address_parse_fills_family_address_and_port(void **state)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *s4 = (const void *)&ss;
	const struct sockaddr_in6 *s6 = (const void *)&ss;
	struct in6_addr want6;

	addr("192.0.2.1:3478", &ss);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohl(s4->sin_addr.s_addr), 0xc0000201);
	assert_int_equal(ntohs(s4->sin_port), 3478);
	assert_int_equal(np_addr_port(&ss), 3478);
	assert_int_equal(np_addr_len(&ss), sizeof(struct sockaddr_in));

	addr("[2001:db8::1]:5349", &ss);
	inet_pton(AF_INET6, "2001:db8::1", &want6);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_memory_equal(&s6->sin6_addr, &want6, 16);
	assert_int_equal(np_addr_port(&ss), 5349);
	assert_int_equal(np_addr_len(&ss), sizeof(struct sockaddr_in6));
}

static void test_address_parse_rejects_what_np_addr_str_never_writes(void **state)
{
	static const char *const bad[] = {
		"1.2.3.4", "[::1]", "[::1]:99999", "x:1", "", ":80", "[]:80",
		"1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:80x", "1.2.3.4:-1",
		"[::1]80", "[::1", "[zz::1]:80", "1.2.3:80", "1.2.3.4.5:80",
		"[1:2:3:4:5:6:7:8:9]:80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sockaddr_storage ss;

		if (np_addr_parse(bad[i], &ss) != NP_EINVAL)
			fail_msg("np_addr_parse accepted \"%s\"", bad[i]);
	}
}

static void test_unspecified_address_prints_as_empty(void **state)
{
	struct sockaddr_storage ss;
	char buf[16] = "junk";

	memset(&ss, 0, sizeof(ss));
	assert_string_equal(np_addr_str(&ss, buf, sizeof(buf)), "");
	assert_int_equal(np_addr_port(&ss), 0);
	assert_int_equal(np_addr_len(&ss), 0);
}

static void test_address_equality_compares_family_ip_and_port(void **state)
{
	struct sockaddr_storage a, b, c, d, e;

	addr("192.0.2.1:3478", &a);
	addr("192.0.2.1:3478", &b);
	addr("192.0.2.1:3479", &c);
	addr("192.0.2.2:3478", &d);
	addr("[::ffff:192.0.2.1]:3478", &e);
	assert_true(np_addr_equal(&a, &b));
	assert_false(np_addr_equal(&a, &c));
	assert_true(np_addr_ip_equal(&a, &c));
	assert_false(np_addr_ip_equal(&a, &d));
	/* A v4-mapped v6 address is another family, not the same socket. */
	assert_false(np_addr_ip_equal(&a, &e));
	addr("[2001:db8::1]:1", &a);
	addr("[2001:db8::1]:2", &b);
	addr("[2001:db8::2]:1", &c);
	assert_true(np_addr_ip_equal(&a, &b));
	assert_false(np_addr_equal(&a, &b));
	assert_false(np_addr_ip_equal(&a, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_survives_a_json_round_trip),
		cmocka_unit_test(test_round_trip_gives_the_same_json_line),
		cmocka_unit_test(test_icmp_type_and_code_survive_a_round_trip),
		cmocka_unit_test(test_own_error_codes_survive_a_round_trip),
		cmocka_unit_test(test_changed_address_flag_survives_a_round_trip),
		cmocka_unit_test(test_every_kind_and_transport_survives_a_round_trip),
		cmocka_unit_test(test_kind_names_parse_back_and_unknown_names_do_not),
		cmocka_unit_test(test_unset_fields_are_left_out_of_the_json),
		cmocka_unit_test(test_json_that_does_not_fit_is_refused),
		cmocka_unit_test(test_header_line_carries_command_family_and_start),
		cmocka_unit_test(test_streamed_header_and_records_read_back),
		cmocka_unit_test(test_add_numbers_records_from_one),
		cmocka_unit_test(test_seq_from_the_file_is_kept_and_missing_seq_assigned),
		cmocka_unit_test(test_log_is_capped_at_obs_max_and_counts_what_it_drops),
		cmocka_unit_test(test_blank_lines_are_skipped_but_counted),
		cmocka_unit_test(test_line_that_is_not_json_is_named),
		cmocka_unit_test(test_line_without_kind_is_named),
		cmocka_unit_test(test_line_with_unknown_kind_is_named),
		cmocka_unit_test(test_line_with_unknown_transport_is_named),
		cmocka_unit_test(test_line_with_bad_address_is_named),
		cmocka_unit_test(test_line_with_tid_not_hex_is_named),
		cmocka_unit_test(test_tid_with_sign_space_or_0x_is_not_hex),
		cmocka_unit_test(test_line_with_negative_count_is_named),
		cmocka_unit_test(test_unknown_keys_are_ignored_for_newer_logs),
		cmocka_unit_test(test_text_longer_than_obs_text_is_cut),
		cmocka_unit_test(test_cut_utf8_text_still_writes_a_text_field),
		cmocka_unit_test(test_address_strings_round_trip),
		cmocka_unit_test(test_address_parse_fills_family_address_and_port),
		cmocka_unit_test(test_address_parse_rejects_what_np_addr_str_never_writes),
		cmocka_unit_test(test_unspecified_address_prints_as_empty),
		cmocka_unit_test(test_address_equality_compares_family_ip_and_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
