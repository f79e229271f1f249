/*
 * test_dtls.c - the DTLS-SRTP machine (probe/dtls.c, dtls_cert.c,
 * dtls_timeline.c, dtls_wire.c): two machines wired in memory
 * (tests/dtls_test_util.h).
 *
 * Handshakes agree on each of the four SRTP profiles and export the same
 * keying material on both sides (RFC 5764 §4.2); a fingerprint with any one
 * of its 256 bits flipped is refused in either role and reported as a
 * possible man in the middle (RFC 8122 §5, RFC 5763 §5); the first
 * retransmission timeout follows the run's measured RTT; a lost flight is
 * retransmitted; the MTU bounds every datagram; a path dropping large
 * datagrams ends in a diagnosis naming the flight (the sender's: no
 * response after it; the receiver's: the peer's flight arrived without one
 * message); garbage is observed and
 * survived; a fatal alert mid-handshake fails it with the alert named; a
 * silent peer meets the hard deadline; a ClientHello offering DTLS 1.3
 * (as Chromium's does) is answered in 1.2 and the offer recorded, also
 * when the hello comes in fragments; keylog lines are written. Then the
 * record reader on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dtls.h"
#include "dtls_test_util.h"
#include "dtls_wire.h"
#include "np_err.h"
#include "np_rd.h"

static const int all_profiles[] = {
	DTLS_SRTP_AES128_CM_SHA1_80, DTLS_SRTP_AES128_CM_SHA1_32,
	DTLS_SRTP_AEAD_AES_128_GCM, DTLS_SRTP_AEAD_AES_256_GCM,
};

static void test_cert_fingerprint_is_sdp_form_and_per_run(void **state)
{
	struct dtls_cert *a, *b;
	const char *fa;
	uint8_t raw[64];
	size_t n;

	assert_int_equal(dtls_cert_new(&a), 0);
	assert_int_equal(dtls_cert_new(&b), 0);
	fa = dtls_cert_fingerprint(a);
	/* 32 bytes: 64 hex digits and 31 colons, upper case. */
	assert_int_equal(strlen(fa), 95);
	for (size_t i = 0; i < 95; i++) {
		if (i % 3 == 2)
			assert_int_equal(fa[i], ':');
		else
			assert_true((fa[i] >= '0' && fa[i] <= '9') ||
				    (fa[i] >= 'A' && fa[i] <= 'F'));
	}
	assert_string_not_equal(fa, dtls_cert_fingerprint(b));
	assert_int_equal(dtls_fingerprint_parse("sha-256", fa, raw, sizeof(raw), &n), 0);
	assert_int_equal(n, 32);
	dtls_cert_free(a);
	dtls_cert_free(b);
	dtls_cert_free(NULL);
}

static void test_rejects_malformed_fingerprints(void **state)
{
	uint8_t raw[64];
	size_t n;
	struct tpair p;
	struct dtls *d = NULL;
	struct dtls_config c = { .role = DTLS_ROLE_CLIENT, .fp_alg = "sha-256" };

	/* Too short for sha-256, odd digit, bad separator, unknown hash. */
	assert_int_equal(dtls_fingerprint_parse("sha-256", "AB:CD", raw, sizeof(raw), &n), NP_EINVAL);
	assert_int_equal(dtls_fingerprint_parse("sha-1", "AB:C", raw, sizeof(raw), &n), NP_EINVAL);
	assert_int_equal(dtls_fingerprint_parse("sha-1",
		"AB-CD:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
		raw, sizeof(raw), &n), NP_EINVAL);
	assert_int_equal(dtls_fingerprint_parse("md5", "AB", raw, sizeof(raw), &n), NP_EINVAL);
	/* sha-1 of the right length, lower case accepted. */
	assert_int_equal(dtls_fingerprint_parse("SHA-1",
		"ab:cd:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:ff",
		raw, sizeof(raw), &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(raw[19], 0xFF);

	tpair_init(&p);
	c.fp = "AB:CD";
	assert_int_equal(dtls_new(&p.ctx, p.c.cert, &c, tsend, tevent, &p.c, &d),
			 NP_EINVAL);
	assert_null(d);
	tpair_dispose(&p);
}

static void test_handshake_agrees_on_each_profile(void **state)
{
	struct tpair p;

	tpair_init(&p);
	for (size_t i = 0; i < 4; i++) {
		struct dtls_config cc = {
			.profiles = dtls_srtp_profile_name(all_profiles[i]) };
		struct dtls_srtp_keys kc, ks;
		size_t kl, sl;

		assert_int_equal(tpair_new(&p, &cc, NULL, NULL, NULL), 0);
		assert_true(tpair_run(&p));
		assert_int_equal(dtls_get_info(p.c.d)->profile, all_profiles[i]);
		assert_int_equal(dtls_get_info(p.s.d)->profile, all_profiles[i]);
		assert_string_equal(dtls_get_info(p.c.d)->version, "DTLSv1.2");
		assert_int_equal(dtls_srtp_keys(p.c.d, &kc), 0);
		assert_int_equal(dtls_srtp_keys(p.s.d, &ks), 0);
		assert_int_equal(dtls_srtp_profile_lengths(all_profiles[i], &kl, &sl), 0);
		assert_int_equal(kc.material_len, 2 * (kl + sl));
		assert_int_equal(kc.key_len, kl);
		assert_int_equal(kc.salt_len, sl);
		assert_memory_equal(kc.material, ks.material, kc.material_len);
		assert_memory_equal(kc.server_key, kc.material + kl, kl);
		assert_memory_equal(kc.server_salt, kc.material + 2 * kl + sl, sl);
		assert_true(kc.is_client);
		assert_false(ks.is_client);
		/* The server saw the client's offer: DTLS 1.2 (legacy field). */
		assert_int_equal(dtls_get_info(p.s.d)->n_peer_offered, 1);
		assert_int_equal(dtls_get_info(p.s.d)->peer_offered[0], DTLS_VERSION_1_2);
		/* The timeline: both flights of the client, and the end. */
		assert_non_null(tfind(&p, OBS_SENT, "dtls.c.flight", "flight 1: ClientHello"));
		assert_non_null(tfind(&p, OBS_RESPONSE, "dtls.c.recv", "ServerHello"));
		assert_non_null(tfind(&p, OBS_TLS, "dtls.c", dtls_srtp_profile_name(all_profiles[i])));
		/* Data both ways once connected. */
		assert_int_equal(dtls_write(p.c.d, (const uint8_t *)"ping", 4), 0);
		tpair_pump(&p);
		assert_int_equal(p.s.data_len, 4);
		assert_memory_equal(p.s.data, "ping", 4);
		/* close_notify reaches the other side. */
		assert_int_equal(dtls_close(p.s.d), 0);
		tpair_pump(&p);
		assert_true(p.c.closed);
		assert_int_equal(dtls_state(p.c.d), DTLS_STATE_CLOSED);
		assert_int_equal(dtls_write(p.s.d, (const uint8_t *)"x", 1), NP_EINVAL);
		tpair_reset(&p);
	}
	tpair_dispose(&p);
}

/* Flips bit `bit` of a fingerprint in SDP form. */
static void flip(char *fp, unsigned bit)
{
	static const char hex[] = "0123456789ABCDEF";
	char *c = &fp[(bit / 8) * 3 + ((bit % 8) < 4 ? 0 : 1)];
	int v = *c <= '9' ? *c - '0' : *c - 'A' + 10;

	v ^= 1 << (3 - (bit % 4));
	*c = hex[v];
}

static void test_one_bit_flipped_fingerprint_is_refused_in_either_role(void **state)
{
	struct tpair p;

	tpair_init(&p);
	for (int role = 0; role < 2; role++) {
		for (unsigned bit = 0; bit < 256; bit++) {
			char fp[128];
			struct tside *victim = role == 0 ? &p.c : &p.s;
			struct tside *peer = role == 0 ? &p.s : &p.c;

			snprintf(fp, sizeof(fp), "%s", dtls_cert_fingerprint(peer->cert));
			flip(fp, bit);
			assert_string_not_equal(fp, dtls_cert_fingerprint(peer->cert));
			assert_int_equal(tpair_new(&p, NULL, NULL, role == 0 ? fp : NULL,
						   role == 1 ? fp : NULL), 0);
			assert_false(tpair_run(&p));
			assert_true(victim->failed);
			assert_true(victim->mitm);
			if (!strstr(victim->reason, "man in the middle"))
				print_message("role %d bit %u: %s / peer: %s\n", role,
					      bit, victim->reason, peer->reason);
			assert_non_null(strstr(victim->reason, "man in the middle"));
			/* The other side never completes either. */
			assert_false(peer->connected);
			if (bit == 0)
				assert_non_null(tfind(&p, OBS_TLS, role == 0 ? "dtls.c" : "dtls.s",
						      "possible man in the middle"));
			tpair_reset(&p);
		}
	}
	tpair_dispose(&p);
}

static void test_first_timeout_follows_the_measured_rtt(void **state)
{
	struct tpair p;

	tpair_init(&p);
	/* 100 ms measured (STUN, ICE): RTO = 100 + 4 * 50 = 300 ms. */
	np_ctx_rtt_sample(&p.ctx, 100000);
	assert_int_equal(tpair_new(&p, NULL, NULL, NULL, NULL), 0);
	dtls_start(p.c.d);
	assert_non_null(tfind(&p, OBS_NOTE, "dtls.c", "first timeout 300 ms"));
	tpair_reset(&p);
	/* 1 ms: held at the 50 ms floor, not a storm of retransmissions. */
	np_ctx_init(&p.ctx, p.loop, &p.log);
	np_ctx_rtt_sample(&p.ctx, 1000);
	assert_int_equal(tpair_new(&p, NULL, NULL, NULL, NULL), 0);
	dtls_start(p.c.d);
	assert_non_null(tfind(&p, OBS_NOTE, "dtls.c", "first timeout 50 ms"));
	tpair_dispose(&p);
}

static int drop_first(struct tside *s, const uint8_t *buf, size_t len)
{
	return s->sent == 1;
}

static void test_lost_flight_is_retransmitted(void **state)
{
	struct tpair p;

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, NULL, NULL, NULL, NULL), 0);
	p.s.filter = drop_first;       /* the server's whole first flight */
	assert_true(tpair_run(&p));
	assert_int_equal(p.s.dropped, 1);
	/* The client, hearing nothing, sent its ClientHello again. */
	assert_true(dtls_get_info(p.c.d)->retransmits >= 1);
	assert_non_null(tfind(&p, OBS_RETRANSMIT, "dtls.c.flight", "ClientHello"));
	tpair_dispose(&p);
}

static void test_mtu_bounds_every_datagram(void **state)
{
	struct tpair p;
	struct dtls_config cfg = { .mtu = 300 };
	const struct obs *o;

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, &cfg, &cfg, NULL, NULL), 0);
	assert_true(tpair_run(&p));
	assert_true(p.c.largest <= 300);
	assert_true(p.s.largest <= 300);
	/* The client's certificate flight no longer fits one datagram. */
	o = tfind(&p, OBS_SENT, "dtls.c.flight", "flight 2:");
	assert_non_null(o);
	assert_null(strstr(o->text, "(1 datagram,"));
	assert_non_null(strstr(o->text, "Certificate(frag 0-"));
	tpair_dispose(&p);
}

static int drop_large(struct tside *s, const uint8_t *buf, size_t len)
{
	return len > 250;
}

static void test_dropped_large_datagrams_end_in_a_diagnosis(void **state)
{
	struct tpair p;
	struct dtls_config cfg = { .deadline_us = 1000000 };

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, &cfg, &cfg, NULL, NULL), 0);
	p.c.filter = drop_large;   /* the client's certificate flight */
	assert_false(tpair_run(&p));
	assert_true(p.c.failed);
	assert_int_equal(p.c.fail_err, NP_ETIMEOUT);
	if (!strstr(p.c.reason, "no response after our flight 2"))
		print_message("reason: %s\n", p.c.reason);
	assert_non_null(strstr(p.c.reason, "no response after our flight 2"));
	assert_non_null(strstr(p.c.reason, "large datagrams dropped"));
	assert_non_null(tfind(&p, OBS_TIMEOUT, "dtls.c", "flight 2"));
	assert_true(dtls_get_info(p.c.d)->retransmits >= 1);
	/* The server got the rest of that flight, not its certificate. */
	assert_true(p.s.failed);
	if (!strstr(p.s.reason, "peer flight 2 arrived incomplete: "
		    "handshake message 1 missing"))
		print_message("server reason: %s\n", p.s.reason);
	assert_non_null(strstr(p.s.reason, "peer flight 2 arrived incomplete: "
			       "handshake message 1 missing"));
	assert_non_null(strstr(p.s.reason, "large datagrams dropped"));
	tpair_dispose(&p);
}

static void test_garbage_mid_handshake_is_observed_and_survived(void **state)
{
	struct tpair p;
	uint8_t junk[64];

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, NULL, NULL, NULL, NULL), 0);
	dtls_start(p.s.d);
	dtls_start(p.c.d);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	junk[0] = 0xFF;
	assert_int_equal(dtls_feed(p.s.d, junk, sizeof(junk)), 0);
	junk[0] = 22;              /* looks like a record, length runs over */
	junk[11] = 0xFF;
	assert_int_equal(dtls_feed(p.c.d, junk, sizeof(junk)), 0);
	tpair_pump(&p);
	assert_true(p.c.connected && p.s.connected);
	assert_non_null(tfind(&p, OBS_MALFORMED, "dtls.s.recv", "not DTLS records"));
	assert_non_null(tfind(&p, OBS_MALFORMED, "dtls.c.recv", NULL));
	assert_int_equal(dtls_get_info(p.s.d)->malformed, 1);
	tpair_dispose(&p);
}

static void test_fatal_alert_mid_handshake_fails_with_the_alert_named(void **state)
{
	/* RFC 6347 §4.1 record, epoch 0, seq 0: alert fatal(2)
	 * handshake_failure(40). */
	static const uint8_t alert[] = { 21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0,
					 0, 2, 2, 40 };
	struct tpair p;

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, NULL, NULL, NULL, NULL), 0);
	dtls_start(p.c.d);
	assert_int_equal(p.to_server.n, 1);   /* the ClientHello */
	assert_int_equal(dtls_feed(p.c.d, alert, sizeof(alert)), 0);
	assert_true(p.c.failed);
	assert_int_equal(p.c.fail_err, NP_ETLS);
	assert_non_null(strstr(p.c.reason, "handshake failure"));
	assert_non_null(strstr(p.c.reason, "after our flight 1"));
	assert_non_null(tfind(&p, OBS_NOTE, "dtls.c.alert", "received alert fatal handshake failure"));
	assert_int_equal(dtls_state(p.c.d), DTLS_STATE_FAILED);
	/* Later datagrams are ignored, not a crash. */
	assert_int_equal(dtls_feed(p.c.d, alert, sizeof(alert)), 0);
	tpair_dispose(&p);
}

static void test_silent_peer_meets_the_deadline(void **state)
{
	struct tpair p;
	struct dtls_config cfg = { .deadline_us = 400000 };

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, &cfg, &cfg, NULL, NULL), 0);
	dtls_start(p.c.d);
	/* Nothing is ever delivered. */
	for (int i = 0; i < 2000 && !p.c.failed; i++) {
		p.to_server.n = 0;
		np_loop_run_once(p.loop, 10000);
	}
	assert_true(p.c.failed);
	assert_int_equal(p.c.fail_err, NP_ETIMEOUT);
	assert_non_null(strstr(p.c.reason, "no DTLS answer to our flight 1 (ClientHello"));
	assert_true(dtls_get_info(p.c.d)->retransmits >= 1);
	assert_non_null(tfind(&p, OBS_TIMEOUT, "dtls.c", NULL));
	tpair_dispose(&p);
}

/* A ClientHello like current Chromium's: supported_versions offers DTLS
 * 1.3 and 1.2, everything else is what a 1.2 server needs. */
static size_t chromium_like_hello(uint8_t *buf, size_t cap)
{
	static const uint8_t ext[] = {
		0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, /* groups */
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,             /* points */
		0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03, /* sigalgs */
		0x00, 0x0e, 0x00, 0x05, 0x00, 0x02, 0x00, 0x01, 0x00, /* srtp */
		0x00, 0x17, 0x00, 0x00,                         /* EMS */
		0x00, 0x2b, 0x00, 0x05, 0x04, 0xFE, 0xFC, 0xFE, 0xFD,
	};
	uint8_t body[256];
	struct np_wr w, r;

	np_wr_init(&w, body, sizeof(body));
	np_wr_u16(&w, DTLS_VERSION_1_2);
	for (int i = 0; i < 32; i++)
		np_wr_u8(&w, (uint8_t)i);
	np_wr_u8(&w, 0);                        /* session_id */
	np_wr_u8(&w, 0);                        /* cookie */
	np_wr_u16(&w, 4);
	np_wr_u16(&w, 0xC02B);                  /* ECDHE-ECDSA-AES128-GCM */
	np_wr_u16(&w, 0xC009);
	np_wr_u8(&w, 1);
	np_wr_u8(&w, 0);
	np_wr_u16(&w, sizeof(ext));
	np_wr_bytes(&w, ext, sizeof(ext));
	assert_int_equal(w.err, 0);

	np_wr_init(&r, buf, cap);
	np_wr_u8(&r, DTLS_CT_HANDSHAKE);
	np_wr_u16(&r, DTLS_VERSION_1_0);
	np_wr_u16(&r, 0);
	np_wr_u16(&r, 0);
	np_wr_u32(&r, 0);
	np_wr_u16(&r, (uint16_t)(w.len + DTLS_HS_HDR));
	np_wr_u8(&r, DTLS_HS_CLIENT_HELLO);
	np_wr_u8(&r, 0);
	np_wr_u16(&r, (uint16_t)w.len);
	np_wr_u16(&r, 0);                       /* message_seq */
	np_wr_u8(&r, 0);
	np_wr_u16(&r, 0);                       /* fragment_offset */
	np_wr_u8(&r, 0);
	np_wr_u16(&r, (uint16_t)w.len);
	np_wr_bytes(&r, body, w.len);
	assert_int_equal(r.err, 0);
	return r.len;
}

static void test_server_answers_a_dtls13_offer_in_12_and_records_it(void **state)
{
	struct tpair p;
	struct dtls_config cfg = { .deadline_us = 300000 };
	uint8_t ch[512];
	size_t n = chromium_like_hello(ch, sizeof(ch));
	const struct dtls_info *in;

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, NULL, &cfg, NULL, NULL), 0);
	dtls_start(p.s.d);
	assert_int_equal(dtls_feed(p.s.d, ch, n), 0);
	in = dtls_get_info(p.s.d);
	assert_int_equal(in->n_peer_offered, 2);
	assert_int_equal(in->peer_offered[0], DTLS_VERSION_1_3);
	assert_int_equal(in->peer_offered[1], DTLS_VERSION_1_2);
	assert_non_null(tfind(&p, OBS_NOTE, "dtls.s.hello",
			      "offers DTLS 1.3, DTLS 1.2 (supported_versions)"));
	/* OpenSSL answered with a DTLS 1.2 ServerHello. */
	assert_non_null(tfind(&p, OBS_SENT, "dtls.s.flight", "flight 1: ServerHello"));
	assert_true(p.to_client.n >= 1);
	assert_int_equal(np_get16(p.to_client.buf[0] + 1), DTLS_VERSION_1_2);
	tpair_dispose(&p);
}

/* One record carrying bytes [off, off + n) of a ClientHello body. */
static size_t hello_fragment(uint8_t *out, size_t cap, const uint8_t *body,
			     size_t total, size_t off, size_t n, uint16_t rseq)
{
	struct np_wr w;

	np_wr_init(&w, out, cap);
	np_wr_u8(&w, DTLS_CT_HANDSHAKE);
	np_wr_u16(&w, DTLS_VERSION_1_0);
	np_wr_u16(&w, 0);
	np_wr_u16(&w, 0);
	np_wr_u32(&w, rseq);
	np_wr_u16(&w, (uint16_t)(n + DTLS_HS_HDR));
	np_wr_u8(&w, DTLS_HS_CLIENT_HELLO);
	np_wr_u8(&w, 0);
	np_wr_u16(&w, (uint16_t)total);
	np_wr_u16(&w, 0);
	np_wr_u8(&w, 0);
	np_wr_u16(&w, (uint16_t)off);
	np_wr_u8(&w, 0);
	np_wr_u16(&w, (uint16_t)n);
	np_wr_bytes(&w, body + off, n);
	assert_int_equal(w.err, 0);
	return w.len;
}

static void test_fragmented_hello_is_reassembled_for_its_versions(void **state)
{
	struct tpair p;
	struct dtls_config cfg = { .deadline_us = 300000 };
	uint8_t ch[512], d1[512], d2[512];
	size_t n = chromium_like_hello(ch, sizeof(ch));
	const uint8_t *body = ch + DTLS_RECORD_HDR + DTLS_HS_HDR;
	size_t total = n - DTLS_RECORD_HDR - DTLS_HS_HDR;
	/* The second half first: arrival order must not matter. */
	size_t n2 = hello_fragment(d2, sizeof(d2), body, total, 50, total - 50, 1);
	size_t n1 = hello_fragment(d1, sizeof(d1), body, total, 0, 50, 0);

	tpair_init(&p);
	assert_int_equal(tpair_new(&p, NULL, &cfg, NULL, NULL), 0);
	dtls_start(p.s.d);
	assert_int_equal(dtls_feed(p.s.d, d2, n2), 0);
	assert_int_equal(dtls_get_info(p.s.d)->n_peer_offered, 0);
	assert_int_equal(dtls_feed(p.s.d, d1, n1), 0);
	assert_int_equal(dtls_get_info(p.s.d)->n_peer_offered, 2);
	assert_int_equal(dtls_get_info(p.s.d)->peer_offered[0], DTLS_VERSION_1_3);
	assert_non_null(tfind(&p, OBS_NOTE, "dtls.s.hello",
			      "(reassembled from fragments) offers DTLS 1.3, DTLS 1.2"));
	/* OpenSSL put it together too and answered. */
	assert_non_null(tfind(&p, OBS_SENT, "dtls.s.flight", "flight 1: ServerHello"));
	tpair_dispose(&p);
}

static void test_keylog_lines_are_written(void **state)
{
	struct tpair p;
	FILE *f = tmpfile();
	struct dtls_config cfg = { 0 };
	char line[512];

	assert_non_null(f);
	cfg.keylog = f;
	tpair_init(&p);
	assert_int_equal(tpair_new(&p, &cfg, NULL, NULL, NULL), 0);
	assert_true(tpair_run(&p));
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	/* NSS key log format for TLS 1.2: label, client random, master. */
	assert_int_equal(strncmp(line, "CLIENT_RANDOM ", 14), 0);
	assert_int_equal(strlen(line), 14 + 64 + 1 + 96 + 1);
	fclose(f);
	tpair_dispose(&p);
}

static void test_wire_rejects_what_does_not_fit(void **state)
{
	struct dtls_dgram g;
	/* A record whose length runs past the datagram. */
	static const uint8_t over[] = { 22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0,
					0, 20, 1 };
	/* A fragment beyond its message's length: length 1, offset 1,
	 * fragment length 1. */
	static const uint8_t frag[] = { 22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0,
					0, 13, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0,
					0, 1, 0x55 };
	static const uint8_t notdtls[] = { 22, 0x03, 0x03, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 0 };
	static const uint8_t alert[] = { 21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0,
					 0, 0, 2, 1, 0 };

	assert_int_equal(dtls_wire_parse(over, sizeof(over), &g), NP_ETRUNCATED);
	assert_int_equal(g.records, 0);
	assert_int_equal(dtls_wire_parse(frag, sizeof(frag), &g), NP_EINVAL);
	assert_int_equal(dtls_wire_parse(notdtls, sizeof(notdtls), &g), NP_EINVAL);
	assert_int_equal(dtls_wire_parse(over, 0, &g), NP_ETRUNCATED);
	assert_int_equal(dtls_wire_parse(alert, sizeof(alert), &g), 0);
	assert_true(g.has_alert);
	assert_int_equal(g.alert, 0x0100);   /* warning close_notify */
}

static void test_wire_reads_hello_versions(void **state)
{
	uint8_t ch[512];
	size_t n = chromium_like_hello(ch, sizeof(ch));
	struct dtls_dgram g;
	char desc[128];

	assert_int_equal(dtls_wire_parse(ch, n, &g), 0);
	assert_int_equal(g.nfrag, 1);
	assert_true(g.has_hello_versions);
	assert_int_equal(g.n_hello_versions, 2);
	assert_int_equal(g.hello_versions[0], DTLS_VERSION_1_3);
	dtls_wire_describe(&g, desc, sizeof(desc));
	assert_string_equal(desc, "ClientHello");
	/* Cut anywhere inside, the hello is never read past its end. */
	for (size_t cut = 1; cut < n; cut++) {
		dtls_wire_parse(ch, cut, &g);
		assert_false(g.has_hello_versions);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_fingerprint_is_sdp_form_and_per_run),
		cmocka_unit_test(test_rejects_malformed_fingerprints),
		cmocka_unit_test(test_handshake_agrees_on_each_profile),
		cmocka_unit_test(test_one_bit_flipped_fingerprint_is_refused_in_either_role),
		cmocka_unit_test(test_first_timeout_follows_the_measured_rtt),
		cmocka_unit_test(test_lost_flight_is_retransmitted),
		cmocka_unit_test(test_mtu_bounds_every_datagram),
		cmocka_unit_test(test_dropped_large_datagrams_end_in_a_diagnosis),
		cmocka_unit_test(test_garbage_mid_handshake_is_observed_and_survived),
		cmocka_unit_test(test_fatal_alert_mid_handshake_fails_with_the_alert_named),
		cmocka_unit_test(test_silent_peer_meets_the_deadline),
		cmocka_unit_test(test_server_answers_a_dtls13_offer_in_12_and_records_it),
		cmocka_unit_test(test_fragmented_hello_is_reassembled_for_its_versions),
		cmocka_unit_test(test_keylog_lines_are_written),
		cmocka_unit_test(test_wire_rejects_what_does_not_fit),
		cmocka_unit_test(test_wire_reads_hello_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
