/*
 * test_sdp.c - SDP offers and answers (probe/sdp.c): the Chromium and
 * Firefox samples in fixtures/sdp parse to the expected candidates and
 * attributes, the bare ICE form parses, each fixtures/sdp/malform_* file
 * is refused with its named error and line number, and what sdp_write
 * produces parses back to the same description.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "sdp.h"

static char text[SDP_MAX_SIZE + 2];
static char out[64 * 1024], out2[64 * 1024];

static size_t load(const char *name)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "fixtures/sdp/%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	return n;
}

static struct sdp *parse_file(const char *name)
{
	struct sdp_error err;
	struct sdp *s;
	size_t n = load(name);

	assert_int_equal(sdp_new(&s), 0);
	if (sdp_parse(text, n, s, &err))
		fail_msg("%s rejected: %s (%s)", name, err.text,
			 sdp_errname(err.kind));
	return s;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *ip,
			unsigned port)
{
	char buf[64];
	const void *a = ss->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;

	assert_true(ss->ss_family == AF_INET || ss->ss_family == AF_INET6);
	assert_non_null(inet_ntop(ss->ss_family, a, buf, sizeof(buf)));
	assert_string_equal(buf, ip);
	assert_int_equal(np_addr_port(ss), port);
}

static void test_chromium_offer_gives_three_bundled_media(void **state)
{
	struct sdp *s = parse_file("valid_chromium_offer.sdp");
	const struct sdp_media *a = &s->media[0];
	const struct ice_cand *c = a->cands;

	assert_false(s->bare);
	assert_int_equal(s->sess_id, 4611731400430051336ull);
	assert_int_equal(s->nbundle, 3);
	assert_string_equal(s->bundle[2], "2");
	assert_int_equal(s->nmedia, 3);
	assert_string_equal(a->kind, "audio");
	assert_int_equal(a->port, 54400);
	assert_string_equal(a->proto, "UDP/TLS/RTP/SAVPF");
	assert_string_equal(a->mid, "0");
	assert_string_equal(a->ufrag, "Vx3q");
	assert_string_equal(a->pwd, "Lt7pB9e2NvqyXrZfS0m1kQaJ");
	assert_true(a->trickle);
	assert_true(a->rtcp_mux);
	assert_false(a->end_of_candidates);
	assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
	assert_string_equal(a->fp_alg, "sha-256");
	assert_int_equal(a->fp_len, 32);
	assert_int_equal(a->fp[0], 0xD2);
	assert_int_equal(a->fp[31], 0x0F);
	assert_int_equal(a->ncands, 5);
	/* host UDP IPv4, with generation/network-id/network-cost skipped */
	assert_string_equal(c[0].foundation, "1467250027");
	assert_int_equal(c[0].component, 1);
	assert_int_equal(c[0].transport, NP_UDP);
	assert_int_equal(c[0].priority, 2122260223u);
	assert_int_equal(c[0].type, ICE_HOST);
	assert_addr(&c[0].addr, "192.168.1.20", 54400);
	assert_int_equal(c[0].related.ss_family, AF_UNSPEC);
	assert_addr(&c[1].addr, "2001:db8:1::20", 54401);
	/* TCP active with the discard port 9 */
	assert_int_equal(c[2].transport, NP_TCP);
	assert_int_equal(c[2].tcptype, ICE_TCP_ACTIVE);
	assert_int_equal(c[2].port, 9);
	assert_int_equal(c[3].type, ICE_SRFLX);
	assert_addr(&c[3].related, "192.168.1.20", 54400);
	assert_int_equal(c[4].type, ICE_RELAY);
	assert_addr(&c[4].addr, "198.51.100.9", 61234);
	assert_string_equal(s->media[1].kind, "video");
	assert_string_equal(s->media[1].mid, "1");
	assert_int_equal(s->media[1].ncands, 0);
	assert_string_equal(s->media[2].kind, "application");
	assert_string_equal(s->media[2].fmt, "webrtc-datachannel");
	sdp_free(s);
}

static void test_firefox_answer_gives_mdns_hosts_and_tcp_types(void **state)
{
	struct sdp *s = parse_file("valid_firefox_answer.sdp");
	const struct sdp_media *a = &s->media[0];
	const struct ice_cand *c = a->cands;

	assert_int_equal(s->nmedia, 2);
	assert_int_equal(a->ncands, 6);
	assert_string_equal(c[0].hostname,
			    "0f3c9a1e-5b2d-4c7a-9e41-8d6f2b0a3c51.local");
	assert_int_equal(c[0].addr.ss_family, AF_UNSPEC);
	assert_int_equal(c[0].port, 50731);
	assert_int_equal(c[0].transport, NP_UDP); /* written "UDP" */
	assert_int_equal(c[1].tcptype, ICE_TCP_ACTIVE);
	assert_int_equal(c[2].tcptype, ICE_TCP_PASSIVE);
	assert_int_equal(c[3].tcptype, ICE_TCP_SO);
	/* Firefox hides the related address of srflx behind 0.0.0.0:0 */
	assert_addr(&c[4].related, "0.0.0.0", 0);
	assert_true(a->end_of_candidates);
	assert_string_equal(a->ufrag, "4f1a9c2e");
	assert_int_equal(a->setup, SDP_SETUP_ACTIVE);
	/* session-level fingerprint and ice-options reach every m-line */
	assert_int_equal(s->media[1].fp_len, 32);
	assert_int_equal(s->media[1].fp[0], 0x5B);
	assert_true(s->media[1].trickle);
	sdp_free(s);
}

static void test_bare_form_parses_with_and_without_a_prefix(void **state)
{
	struct sdp *s = parse_file("valid_bare_libnice.sdp");

	assert_true(s->bare);
	assert_int_equal(s->nmedia, 1);
	assert_string_equal(s->media[0].ufrag, "Qm8s");
	assert_int_equal(s->media[0].ncands, 3);
	assert_addr(&s->media[0].cands[2].addr, "2001:db8:7::2", 40002);
	sdp_free(s);
	s = parse_file("valid_bare_noprefix.sdp");
	assert_true(s->bare);
	assert_int_equal(s->media[0].ncands, 2);
	assert_int_equal(s->media[0].cands[1].tcptype, ICE_TCP_PASSIVE);
	sdp_free(s);
}

static void test_session_attributes_are_inherited_by_media(void **state)
{
	struct sdp *s = parse_file("edge_session_level_inherit_lf.sdp");

	assert_int_equal(s->nmedia, 2);
	assert_string_equal(s->media[1].ufrag, "sessU");
	assert_string_equal(s->media[0].fp_alg, "sha-1");
	assert_int_equal(s->media[0].fp_len, 20);
	assert_int_equal(s->media[1].setup, SDP_SETUP_PASSIVE);
	assert_int_equal(s->media[1].port, 0);
	sdp_free(s);
}

static void test_unknown_transport_is_skipped_not_refused(void **state)
{
	struct sdp *s = parse_file("edge_ext_unknown_transport_no_final_crlf.sdp");

	assert_int_equal(s->media[0].ncands, 2);
	assert_int_equal(s->media[0].nignored, 1);
	assert_addr(&s->media[0].cands[0].addr, "fe80::1", 5000);
	assert_int_equal(s->media[0].cands[1].component, 2);
	assert_true(s->media[0].end_of_candidates);
	sdp_free(s);
}

static const struct {
	const char *file;
	enum sdp_err kind;
	unsigned line;
} malformed[] = {
	{ "malform_cand_port.sdp", SDP_ERR_CAND_PORT, 9 },
	{ "malform_cand_component.sdp", SDP_ERR_CAND_COMPONENT, 9 },
	{ "malform_cand_priority.sdp", SDP_ERR_CAND_PRIORITY, 9 },
	{ "malform_cand_foundation.sdp", SDP_ERR_CAND_FOUNDATION, 9 },
	{ "malform_cand_address.sdp", SDP_ERR_CAND_ADDRESS, 9 },
	{ "malform_cand_type.sdp", SDP_ERR_CAND_TYPE, 9 },
	{ "malform_cand_truncated.sdp", SDP_ERR_CAND_SYNTAX, 9 },
	{ "malform_cand_raddr.sdp", SDP_ERR_CAND_RADDR, 9 },
	{ "malform_cand_rport.sdp", SDP_ERR_CAND_RPORT, 9 },
	{ "malform_cand_tcptype.sdp", SDP_ERR_CAND_TCPTYPE, 9 },
	{ "malform_cand_tcp_no_tcptype.sdp", SDP_ERR_CAND_TCPTYPE, 9 },
	{ "malform_cand_extension.sdp", SDP_ERR_CAND_EXTENSION, 9 },
	{ "malform_ufrag_short.sdp", SDP_ERR_BAD_UFRAG, 9 },
	{ "malform_pwd_bad_char.sdp", SDP_ERR_BAD_PWD, 9 },
	{ "malform_fingerprint.sdp", SDP_ERR_BAD_FINGERPRINT, 9 },
	{ "malform_setup.sdp", SDP_ERR_BAD_SETUP, 9 },
	{ "malform_mid_long.sdp", SDP_ERR_BAD_MID, 9 },
	{ "malform_media.sdp", SDP_ERR_BAD_MEDIA, 9 },
	{ "malform_bad_line.sdp", SDP_ERR_BAD_LINE, 9 },
	{ "malform_control_char.sdp", SDP_ERR_BAD_BYTE, 9 },
	{ "malform_line_too_long.sdp", SDP_ERR_LINE_TOO_LONG, 9 },
	{ "malform_no_version.sdp", SDP_ERR_NO_VERSION, 1 },
	{ "malform_no_credentials.sdp", SDP_ERR_NO_CREDENTIALS, 5 },
	{ "malform_too_many_media.sdp", SDP_ERR_TOO_MANY_MEDIA, 51 },
	{ "malform_too_many_cands.sdp", SDP_ERR_TOO_MANY_CANDS, 109 },
};

static void test_each_malformed_sample_names_its_error_and_line(void **state)
{
	struct sdp_error err;
	struct sdp *s;
	size_t i, n;
	char want[32];

	assert_int_equal(sdp_new(&s), 0);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		n = load(malformed[i].file);
		if (sdp_parse(text, n, s, &err) != NP_EINVAL)
			fail_msg("%s was accepted", malformed[i].file);
		if (err.kind != malformed[i].kind ||
		    err.line != malformed[i].line)
			fail_msg("%s: got %s at line %u (%s), want %s at %u",
				 malformed[i].file, sdp_errname(err.kind),
				 err.line, err.text,
				 sdp_errname(malformed[i].kind),
				 malformed[i].line);
		snprintf(want, sizeof(want), "line %u: ", err.line);
		assert_non_null(strstr(err.text, want));
	}
	sdp_free(s);
}

static void test_error_quotes_the_offending_token(void **state)
{
	struct sdp_error err;
	struct sdp *s;
	size_t n = load("malform_cand_port.sdp");

	assert_int_equal(sdp_new(&s), 0);
	assert_int_equal(sdp_parse(text, n, s, &err), NP_EINVAL);
	assert_non_null(strstr(err.text, "\"70000\""));
	assert_non_null(strstr(err.text, "port"));
	sdp_free(s);
}

static void test_rejects_description_over_the_size_limit(void **state)
{
	struct sdp_error err;
	struct sdp *s;

	memset(text, 'a', SDP_MAX_SIZE + 1);
	assert_int_equal(sdp_new(&s), 0);
	assert_int_equal(sdp_parse(text, SDP_MAX_SIZE + 1, s, &err), NP_EINVAL);
	assert_int_equal(err.kind, SDP_ERR_TOO_LARGE);
	sdp_free(s);
}

static void test_trickled_candidate_parses_on_its_own(void **state)
{
	static const char a[] = "candidate:842163049 1 udp 1686052607 "
		"203.0.113.7 54400 typ srflx raddr 192.168.1.20 rport 54400 "
		"generation 0 ufrag Vx3q network-id 1";
	static const char b[] = "1 1 UDP 2130706431 10.0.0.1 4000 typ host";
	static const char c[] = "1 1 dccp 2130706431 10.0.0.1 4000 typ host";
	struct sdp_error err;
	struct ice_cand cand;
	char buf[256];

	assert_int_equal(sdp_parse_candidate(a, strlen(a), &cand, &err), 1);
	assert_int_equal(cand.type, ICE_SRFLX);
	assert_addr(&cand.related, "192.168.1.20", 54400);
	assert_int_equal(ice_cand_format(&cand, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "candidate:842163049 1 udp 1686052607 "
			    "203.0.113.7 54400 typ srflx raddr 192.168.1.20 "
			    "rport 54400");
	assert_int_equal(sdp_parse_candidate(b, strlen(b), &cand, &err), 1);
	assert_int_equal(sdp_parse_candidate(c, strlen(c), &cand, &err), 0);
	assert_int_equal(ice_cand_format(&cand, buf, 10), NP_ENOSPACE);
}

/* Two descriptions agree on everything the writer writes. */
static void assert_same(const struct sdp *a, const struct sdp *b)
{
	size_t i, j;
	char ca[256], cb[256];

	assert_int_equal(a->bare, b->bare);
	assert_int_equal(a->nmedia, b->nmedia);
	assert_int_equal(a->nbundle, b->nbundle);
	for (i = 0; i < a->nmedia; i++) {
		const struct sdp_media *x = &a->media[i], *y = &b->media[i];

		assert_string_equal(x->kind, y->kind);
		assert_string_equal(x->mid, y->mid);
		assert_string_equal(x->ufrag, y->ufrag);
		assert_string_equal(x->pwd, y->pwd);
		assert_int_equal(x->setup, y->setup);
		assert_int_equal(x->fp_len, y->fp_len);
		assert_memory_equal(x->fp, y->fp, x->fp_len);
		assert_int_equal(x->trickle, y->trickle);
		assert_int_equal(x->end_of_candidates, y->end_of_candidates);
		assert_int_equal(x->ncands, y->ncands);
		for (j = 0; j < x->ncands; j++) {
			assert_int_equal(ice_cand_format(&x->cands[j], ca,
							 sizeof(ca)), 0);
			assert_int_equal(ice_cand_format(&y->cands[j], cb,
							 sizeof(cb)), 0);
			assert_string_equal(ca, cb);
		}
	}
}

static void round_trip(const struct sdp *s)
{
	struct sdp_error err;
	struct sdp *back;
	size_t len, len2;

	assert_int_equal(sdp_write(s, out, sizeof(out), &len), 0);
	assert_int_equal(strlen(out), len);
	assert_int_equal(sdp_new(&back), 0);
	if (sdp_parse(out, len, back, &err))
		fail_msg("written SDP rejected: %s\n%s", err.text, out);
	assert_same(s, back);
	assert_int_equal(sdp_write(back, out2, sizeof(out2), &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(out, out2, len);
	sdp_free(back);
}

static void test_browser_samples_survive_write_and_parse(void **state)
{
	static const char *const files[] = {
		"valid_chromium_offer.sdp", "valid_firefox_answer.sdp",
		"valid_bare_libnice.sdp", "valid_bare_noprefix.sdp",
		"edge_session_level_inherit_lf.sdp",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sdp *s = parse_file(files[i]);

		round_trip(s);
		sdp_free(s);
	}
}

static void test_our_offer_is_written_in_jsep_shape(void **state)
{
	struct sdp *s;
	struct sdp_error err;
	struct ice_cand *c;
	size_t len, i;

	assert_int_equal(sdp_new(&s), 0);
	s->sess_id = 42;
	s->nmedia = 2;
	s->nbundle = 2;
	strcpy(s->bundle[0], "0");
	strcpy(s->bundle[1], "1");
	for (i = 0; i < 2; i++) {
		struct sdp_media *m = &s->media[i];

		strcpy(m->kind, i ? "application" : "audio");
		strcpy(m->proto, i ? "UDP/DTLS/SCTP" : "UDP/TLS/RTP/SAVPF");
		strcpy(m->fmt, i ? "webrtc-datachannel" : "111");
		m->port = 9;
		snprintf(m->mid, sizeof(m->mid), "%zu", i);
		strcpy(m->ufrag, "npUf");
		strcpy(m->pwd, "natprobe+pwd/0123456789");
		m->trickle = 1;
		m->rtcp_mux = !i;
		m->setup = SDP_SETUP_ACTPASS;
		strcpy(m->fp_alg, "sha-256");
		m->fp_len = 32;
		memset(m->fp, 0xab, 32);
		m->end_of_candidates = 1;
	}
	c = &s->media[0].cands[0];
	s->media[0].ncands = 2;
	strcpy(c[0].foundation, "1");
	c[0].component = 1;
	c[0].priority = ice_priority(ICE_HOST, 65535, 1);
	assert_int_equal(np_addr_parse("198.18.0.2:40000", &c[0].addr), 0);
	c[0].port = 40000;
	c[1] = c[0];
	strcpy(c[1].foundation, "2");
	c[1].type = ICE_SRFLX;
	c[1].priority = ice_priority(ICE_SRFLX, 65535, 1);
	assert_int_equal(np_addr_parse("203.0.113.10:41000", &c[1].addr), 0);
	c[1].port = 41000;
	c[1].related = c[0].addr;
	assert_int_equal(sdp_write(s, out, sizeof(out), &len), 0);
	assert_non_null(strstr(out, "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n"));
	assert_non_null(strstr(out, "a=group:BUNDLE 0 1\r\n"));
	assert_non_null(strstr(out, "a=candidate:2 1 udp 1694498815 "
				    "203.0.113.10 41000 typ srflx raddr "
				    "198.18.0.2 rport 40000\r\n"));
	assert_non_null(strstr(out, "a=setup:actpass\r\n"));
	assert_non_null(strstr(out, "a=end-of-candidates\r\n"));
	round_trip(s);
	/* A buffer too small is reported, not overrun. */
	assert_int_equal(sdp_write(s, out, len, &len), NP_ENOSPACE);
	s->media[0].port = 0;
	assert_int_equal(sdp_parse(out, 0, s, &err), NP_EINVAL);
	assert_int_equal(err.kind, SDP_ERR_NO_VERSION);
	sdp_free(s);
	sdp_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chromium_offer_gives_three_bundled_media),
		cmocka_unit_test(test_firefox_answer_gives_mdns_hosts_and_tcp_types),
		cmocka_unit_test(test_bare_form_parses_with_and_without_a_prefix),
		cmocka_unit_test(test_session_attributes_are_inherited_by_media),
		cmocka_unit_test(test_unknown_transport_is_skipped_not_refused),
		cmocka_unit_test(test_each_malformed_sample_names_its_error_and_line),
		cmocka_unit_test(test_error_quotes_the_offending_token),
		cmocka_unit_test(test_rejects_description_over_the_size_limit),
		cmocka_unit_test(test_trickled_candidate_parses_on_its_own),
		cmocka_unit_test(test_browser_samples_survive_write_and_parse),
		cmocka_unit_test(test_our_offer_is_written_in_jsep_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
