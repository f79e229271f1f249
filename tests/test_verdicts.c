/*
 * test_verdicts.c - the transport matrix, call quality and peer
 * conformance (analyzers/verdicts.h) replayed from observation logs:
 *   real lab runs      ice_direct_offer, ice_relay_tcp_offer,
 *                      ice_turn_401_offer, nat_tcp443, nat_udpblocked,
 *                      stun_icmp, and three natprobe<->natprobe runs
 *                      recorded for this file (NATLAB_PREFIX=vd-):
 *                      ice_tcp443_turns_offer (case tcp443: STUN and TURN
 *                      over UDP time out, turns:...:443 gives the relayed
 *                      pair), ice_ipv6_offer (case ipv6: the IPv6 host pair
 *                      is selected, TURN over TLS to the IPv6 server),
 *                      ice_ipv6_blocked_offer (case ipv6 plus "iifname lan
 *                      meta nfproto ipv6 drop" on the client's NAT)
 *   hand-written       synthetic_ice_ipv6_broken (v4 host pair works, v6
 *                      pair and v6 STUN leg time out, TURN over TLS to
 *                      the v6 server: expired certificate),
 *                      synthetic_ice_turn_needed (direct pairs fail, relay
 *                      over TLS selected, UDP TURN answers 486),
 *                      synthetic_ice_unreachable (no answer on any pair),
 *                      synthetic_media_quality (media notes, send good,
 *                      recv 7.5 % loss), synthetic_peer_strays (checks
 *                      1 ms apart, no back-off, consent every 1 s then a
 *                      9 s gap, DTLS timer not doubling, DTLS timeout),
 *                      synthetic_peer_conformant (the same, by the RFCs:
 *                      Ta 5 ms with receive jitter, RTO doubling, consent
 *                      every 4.5-5.5 s, DTLS timer 1 s then 2 s),
 *                      synthetic_capture_backoff (`natprobe analyze`
 *                      records: one side doubles its RTO, one does not)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "findings.h"
#include "ice_summary.h"
#include "nat_classify.h"
#include "np_err.h"
#include "obs.h"
#include "report.h"
#include "stun_summary.h"
#include "verdicts.h"
#include "webrtc_summary.h"

static struct obs_log lg;
static struct findings fs;
static struct ice_report ir;
static struct nat_report nr;
static struct verdicts vd;
static struct webrtc_report wr;
static int with_webrtc;     /* run analyzers/webrtc_summary.c first */

static void replay(const char *name)
{
	char path[256], detail[256];
	FILE *f;

	snprintf(path, sizeof(path), "fixtures/obs/%s.jsonl", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	obs_log_dispose(&lg);
	obs_log_init(&lg, 0, 0);
	assert_int_equal(obs_log_read(&lg, f, detail, sizeof(detail)), 0);
	fclose(f);
	memset(&fs, 0, sizeof(fs));
	if (!strcmp(lg.command, "ice"))
		ice_analyze(&lg, &ir, &fs);
	else if (!strcmp(lg.command, "nat"))
		nat_classify(&lg, &nr, &fs);
	else
		stun_summarize(&lg, lg.family, &fs);
	if (with_webrtc)
		webrtc_analyze(&lg, &wr, &fs);
	verdicts_analyze(&lg, &vd, &fs);
	assert_ptr_equal(fs.verdicts, &vd);
}

static const struct finding *finding(const char *id)
{
	for (size_t i = 0; i < fs.nf; i++)
		if (!strcmp(fs.f[i].id, id))
			return &fs.f[i];
	return NULL;
}

/* The finding, or the test fails. */
static const struct finding *need(const char *id)
{
	const struct finding *f = finding(id);

	if (!f) {
		fail_msg("no finding %s", id);
		abort();
	}
	return f;
}

static int has_evidence(const uint64_t *ev, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i] == seq)
			return 1;
	return 0;
}

#define V4 0
#define V6 1
static const struct vm_cell *cell(int t, int f, enum vm_kind k)
{
	return &vd.matrix.cell[t][f][k];
}

static void test_direct_run_fills_udp_ipv4_cells(void **state)
{
	(void)state;
	replay("ice_direct_offer");
	assert_true(vd.matrix.present);
	/* pair 1 host->srflx and pair 6 srflx->srflx succeeded. */
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->status, VM_OK);
	assert_string_equal(cell(NP_UDP, V4, VM_HOST)->stage, "check");
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->status, VM_OK);
	assert_string_equal(cell(NP_UDP, V4, VM_SRFLX)->stage, "check");
	assert_true(has_evidence(cell(NP_UDP, V4, VM_SRFLX)->evidence,
				 cell(NP_UDP, V4, VM_SRFLX)->nevidence, 45));
	/* The UDP allocation worked; no check decided a relayed pair. */
	assert_int_equal(cell(NP_UDP, V4, VM_RELAY)->status, VM_OK);
	assert_string_equal(cell(NP_UDP, V4, VM_RELAY)->stage, "gather");
	/* Nothing over IPv6, TCP or TLS was tried: not guessed. */
	for (int k = 0; k < VM__KINDS; k++) {
		assert_int_not_equal(cell(NP_UDP, V6, (enum vm_kind)k)->status, VM_OK);
		assert_int_not_equal(cell(NP_UDP, V6, (enum vm_kind)k)->status, VM_FAILED);
		assert_int_not_equal(cell(NP_TLS, V4, (enum vm_kind)k)->status, VM_OK);
	}
	assert_int_equal(cell(NP_TCP, V4, VM_HOST)->status, VM_NA);
	assert_int_equal(cell(NP_UDP, V4, VM_ICETCP)->status, VM_NA);
	assert_int_equal(cell(NP_TCP, V4, VM_ICETCP)->status, VM_NOT_TRIED);
	assert_null(finding("ipv6-broken"));
	assert_null(finding("turn-needed"));
	assert_null(finding("peer-unreachable"));
}

static void test_relay_cell_keyed_by_transport_to_server(void **state)
{
	(void)state;
	replay("ice_relay_tcp_offer");
	/* The relayed candidate is UDP; its leg to coturn is TCP. */
	assert_int_equal(cell(NP_TCP, V4, VM_RELAY)->status, VM_OK);
	assert_string_equal(cell(NP_TCP, V4, VM_RELAY)->stage, "check");
	assert_int_equal(cell(NP_UDP, V4, VM_RELAY)->status, VM_NOT_TRIED);
	/* --relay-only: no direct pair was decided, so TURN was not proven
	 * needed. */
	assert_null(finding("turn-needed"));
}

static void test_wrong_turn_password_fails_cell_with_401(void **state)
{
	const struct vm_cell *c;

	(void)state;
	replay("ice_turn_401_offer");
	c = cell(NP_UDP, V4, VM_RELAY);
	assert_int_equal(c->status, VM_FAILED);
	assert_int_equal(c->code, 401);
	assert_string_equal(c->cause, "error");
	assert_string_equal(c->stage, "gather");
	assert_non_null(strstr(c->reason, "Unauthorized"));
	assert_non_null(strstr(c->remedy, "password"));
	/* seq 6 is coturn's second 401; seq 3, the challenge, is not a
	 * failure. */
	assert_true(has_evidence(c->evidence, c->nevidence, 6));
	assert_false(has_evidence(c->evidence, c->nevidence, 3));
	/* ice_summary already reports the credentials: no duplicate. */
	assert_non_null(finding("turn-credentials"));
}

static void test_nat_run_only_tls_443_works(void **state)
{
	const struct vm_cell *u, *t, *s;

	(void)state;
	replay("nat_tcp443");
	u = cell(NP_UDP, V4, VM_SRFLX);
	t = cell(NP_TCP, V4, VM_SRFLX);
	s = cell(NP_TLS, V4, VM_SRFLX);
	assert_int_equal(u->status, VM_FAILED);
	assert_int_equal(u->code, VM_CODE_UNREACHABLE);
	assert_string_equal(u->cause, "timeout");
	assert_non_null(strstr(u->remedy, "UDP"));
	assert_int_equal(t->status, VM_FAILED);
	assert_int_equal(s->status, VM_OK);
	assert_true(s->failed >= 1);      /* port 5349 timed out, 443 worked */
	assert_non_null(strstr(s->reason, "another leg failed"));
	/* No host column in a NAT run. */
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->status, VM_NOT_TRIED);
	/* Not an ICE run: no quality, no conformance. */
	assert_false(vd.quality.present);
	assert_false(vd.conformance.present);

	replay("nat_udpblocked");
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->status, VM_FAILED);
	assert_int_equal(cell(NP_TCP, V4, VM_SRFLX)->status, VM_OK);
	assert_int_equal(cell(NP_TLS, V4, VM_SRFLX)->status, VM_OK);
}

static void test_icmp_on_both_families_is_not_ipv6_broken(void **state)
{
	(void)state;
	replay("stun_icmp");
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->status, VM_FAILED);
	assert_string_equal(cell(NP_UDP, V4, VM_SRFLX)->cause, "icmp");
	assert_int_equal(cell(NP_UDP, V6, VM_SRFLX)->status, VM_FAILED);
	assert_string_equal(cell(NP_UDP, V6, VM_SRFLX)->cause, "icmp");
	assert_int_equal(cell(NP_UDP, V6, VM_SRFLX)->code, 701);
	assert_null(finding("ipv6-broken"));
}

static void test_real_udp_blocked_run_relays_over_tls_443(void **state)
{
	(void)state;
	replay("ice_tcp443_turns_offer");
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->status, VM_FAILED);
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->code, 701);
	assert_true(has_evidence(cell(NP_UDP, V4, VM_SRFLX)->evidence,
				 cell(NP_UDP, V4, VM_SRFLX)->nevidence, 24));
	assert_int_equal(cell(NP_UDP, V4, VM_RELAY)->status, VM_FAILED);
	assert_string_equal(cell(NP_UDP, V4, VM_RELAY)->cause, "timeout");
	assert_int_equal(cell(NP_TLS, V4, VM_RELAY)->status, VM_OK);
	assert_string_equal(cell(NP_TLS, V4, VM_RELAY)->stage, "check");
	/* Host pairs were still in progress when the relayed pair won:
	 * undecided, so neither failed nor "TURN needed". */
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->status, VM_NOT_TRIED);
	assert_non_null(strstr(cell(NP_UDP, V4, VM_HOST)->reason, "gathered"));
	assert_null(finding("turn-needed"));
	/* natprobe as the peer: consent after 4.97 s. */
	assert_int_equal(vd.conformance.item[VC_CONSENT].status, VC_OK);
	assert_int_equal(vd.conformance.item[VC_CONSENT].samples, 1);
}

static void test_real_ipv6_run_fills_ipv6_cells(void **state)
{
	(void)state;
	replay("ice_ipv6_offer");
	assert_int_equal(cell(NP_UDP, V6, VM_HOST)->status, VM_OK);
	assert_string_equal(cell(NP_UDP, V6, VM_HOST)->stage, "check");
	assert_int_equal(cell(NP_TLS, V6, VM_RELAY)->status, VM_OK);
	assert_int_equal(cell(NP_UDP, V4, VM_RELAY)->status, VM_OK);
	assert_null(finding("ipv6-broken"));

	replay("ice_ipv6_blocked_offer");
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->status, VM_OK);
	assert_int_equal(cell(NP_UDP, V6, VM_SRFLX)->status, VM_FAILED);
	assert_int_equal(cell(NP_TLS, V6, VM_RELAY)->status, VM_FAILED);
	assert_string_equal(cell(NP_TLS, V6, VM_RELAY)->cause, "connect");
	assert_non_null(need("ipv6-broken"));
	assert_true(has_evidence(need("ipv6-broken")->evidence,
				 need("ipv6-broken")->nevidence, 25));
}

static void test_ipv6_broken_while_ipv4_works(void **state)
{
	const struct finding *f;

	(void)state;
	replay("synthetic_ice_ipv6_broken");
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->status, VM_OK);
	assert_int_equal(cell(NP_UDP, V6, VM_HOST)->status, VM_FAILED);
	assert_string_equal(cell(NP_UDP, V6, VM_HOST)->cause, "timeout");
	assert_int_equal(cell(NP_UDP, V4, VM_SRFLX)->status, VM_OK);
	assert_int_equal(cell(NP_UDP, V6, VM_SRFLX)->status, VM_FAILED);
	assert_int_equal(cell(NP_UDP, V6, VM_SRFLX)->code, 701);
	f = need("ipv6-broken");
	assert_int_equal(f->severity, SEV_WARNING);
	assert_non_null(strstr(f->title, "udp host"));
	assert_non_null(strstr(f->title, "udp srflx"));
	/* seq 8: the IPv6 STUN leg's timeout; seq 20: pair 0's last try. */
	assert_true(has_evidence(f->evidence, f->nevidence, 8));
	assert_true(has_evidence(f->evidence, f->nevidence, 20));
	/* TURN over TLS to the IPv6 server: expired certificate (seq 10). */
	assert_int_equal(cell(NP_TLS, V6, VM_RELAY)->status, VM_FAILED);
	assert_string_equal(cell(NP_TLS, V6, VM_RELAY)->cause, "tls");
	assert_int_equal(cell(NP_TLS, V6, VM_RELAY)->code, 0);
	assert_non_null(strstr(cell(NP_TLS, V6, VM_RELAY)->reason, "expired"));
	assert_non_null(strstr(cell(NP_TLS, V6, VM_RELAY)->remedy, "certificate"));
	assert_true(has_evidence(cell(NP_TLS, V6, VM_RELAY)->evidence,
				 cell(NP_TLS, V6, VM_RELAY)->nevidence, 10));
}

static void test_turn_needed_when_direct_pairs_fail(void **state)
{
	const struct finding *f;

	(void)state;
	replay("synthetic_ice_turn_needed");
	f = need("turn-needed");
	assert_non_null(strstr(f->title, "all 2 direct pair(s) failed"));
	assert_true(f->nevidence >= 2);
	assert_int_equal(cell(NP_TLS, V4, VM_RELAY)->status, VM_OK);
	assert_string_equal(cell(NP_TLS, V4, VM_RELAY)->stage, "check");
	assert_int_equal(cell(NP_UDP, V4, VM_RELAY)->status, VM_FAILED);
	assert_int_equal(cell(NP_UDP, V4, VM_RELAY)->code, 486);
	assert_non_null(strstr(cell(NP_UDP, V4, VM_RELAY)->remedy, "quota"));
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->status, VM_FAILED);
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->failed, 2);
	/* The quota finding stays ice_summary's. */
	assert_non_null(finding("turn-quota"));
}

static void test_peer_unreachable_on_every_pair(void **state)
{
	const struct finding *f;

	(void)state;
	replay("synthetic_ice_unreachable");
	f = need("peer-unreachable");
	assert_int_equal(f->severity, SEV_ERROR);
	assert_non_null(strstr(f->detail, "14 check(s) sent, 0 response(s)"));
	assert_int_equal(f->nevidence, 2);  /* the last check of each pair */
	assert_int_equal(cell(NP_UDP, V4, VM_HOST)->status, VM_FAILED);
	assert_null(finding("turn-needed"));
	/* No call, no quality verdict. */
	assert_false(vd.quality.present);
	assert_null(finding("call-quality"));
}

static void test_quality_thresholds_are_the_published_ones(void **state)
{
	(void)state;
	assert_int_equal(vq_grade_of(1, 4.9, 1, 299.9), VQ_GOOD);
	assert_int_equal(vq_grade_of(1, 5.0, 1, 10), VQ_WARNING);
	assert_int_equal(vq_grade_of(1, 0, 1, 300.0), VQ_WARNING);
	assert_int_equal(vq_grade_of(1, 10.0, 1, 600.0), VQ_WARNING);
	assert_int_equal(vq_grade_of(1, 10.1, 1, 10), VQ_BAD);
	assert_int_equal(vq_grade_of(1, 0, 1, 600.1), VQ_BAD);
	assert_int_equal(vq_grade_of(0, 50, 1, 100), VQ_GOOD);  /* loss unmeasured */
	assert_int_equal(vq_grade_of(1, 12, 0, 0), VQ_BAD);
	assert_int_equal(vq_grade_of(0, 0, 0, 0), VQ_UNKNOWN);
}

static void test_media_note_parser(void **state)
{
	struct vq_sample s;

	(void)state;
	assert_int_equal(vq_parse_media("loss_pct=1.2 rtt_ms=23.4 jitter_ms=2.1 dir=send", &s), 0);
	assert_int_equal(s.dir, VQ_SEND);
	assert_true(s.has_loss && s.has_rtt && s.has_jitter && !s.has_packets);
	assert_true(s.loss_pct > 1.19 && s.loss_pct < 1.21);
	assert_int_equal(vq_parse_media("dir=recv rtt_ms=- extra=7 packets=10 word", &s), 0);
	assert_int_equal(s.dir, VQ_RECV);
	assert_false(s.has_rtt);
	assert_true(s.has_packets && s.packets == 10);
	assert_int_equal(vq_parse_media("loss_pct=1", &s), NP_EINVAL);
	assert_int_equal(vq_parse_media("dir=both loss_pct=1", &s), NP_EINVAL);
	assert_int_equal(vq_parse_media("dir=send loss_pct=101", &s), NP_EINVAL);
	assert_int_equal(vq_parse_media("dir=send rtt_ms=-3", &s), NP_EINVAL);
	assert_int_equal(vq_parse_media("dir=send rtt_ms=1e999", &s), NP_EINVAL);
	assert_int_equal(vq_parse_media("dir=send jitter_ms=4x", &s), NP_EINVAL);
	assert_int_equal(vq_parse_media("", &s), NP_EINVAL);
}

static void test_quality_from_media_notes(void **state)
{
	const struct vq_dir_result *snd, *rcv;
	const struct finding *f;

	(void)state;
	replay("synthetic_media_quality");
	assert_true(vd.quality.present);
	snd = &vd.quality.dir[VQ_SEND];
	rcv = &vd.quality.dir[VQ_RECV];
	assert_false(vd.quality.dir[VQ_PATH].present);  /* media beats check RTTs */
	assert_int_equal(snd->grade, VQ_GOOD);
	assert_int_equal(snd->rtt_samples, 3);
	assert_true(snd->rtt_ms > 41.9 && snd->rtt_ms < 42.1);  /* median */
	assert_true(snd->rtt_max_ms > 379.9);
	assert_int_equal(snd->jitter_samples, 2);              /* "-" skipped */
	assert_true(snd->loss_pct > 0.59 && snd->loss_pct < 0.61); /* last */
	assert_int_equal(rcv->grade, VQ_WARNING);
	assert_true(rcv->loss_pct > 7.49 && rcv->loss_pct < 7.51);
	assert_true(rcv->rtt_ms > 314.9 && rcv->rtt_ms < 315.1);
	assert_string_equal(rcv->source, "media");
	assert_non_null(strstr(rcv->explain, "loss 7.5 %"));
	assert_non_null(strstr(rcv->explain, "recv"));
	assert_int_equal(vd.quality.grade, VQ_WARNING);
	assert_int_equal(vd.quality.ignored, 3);
	f = need("call-quality");
	assert_int_equal(f->severity, SEV_WARNING);
	assert_true(has_evidence(f->evidence, f->nevidence, 11));  /* recv 7.5 % */
}

static void test_quality_from_ice_rtts_without_media(void **state)
{
	const struct vq_dir_result *p;

	(void)state;
	replay("ice_direct_offer");
	p = &vd.quality.dir[VQ_PATH];
	assert_true(p->present);
	assert_string_equal(p->source, "ice-checks");
	assert_false(p->has_loss);
	assert_int_equal(p->rtt_samples, 2);    /* seq 36 and 45: 386, 272 us */
	assert_true(p->rtt_ms > 0.328 && p->rtt_ms < 0.330);
	assert_int_equal(p->grade, VQ_GOOD);
	assert_non_null(strstr(p->explain, "loss not measured"));
	assert_int_equal(need("call-quality")->severity, SEV_INFO);
}

static void test_peer_that_strays_is_flagged_with_evidence(void **state)
{
	const struct vc_item *it = vd.conformance.item;
	const struct finding *f;

	(void)state;
	replay("synthetic_peer_strays");
	assert_true(vd.conformance.present);
	assert_int_equal(it[VC_CHECK_PACING].status, VC_STRAYS);
	assert_int_equal(it[VC_CHECK_PACING].violations, 3);
	assert_true(has_evidence(it[VC_CHECK_PACING].evidence,
				 it[VC_CHECK_PACING].nevidence, 7));
	assert_true(has_evidence(it[VC_CHECK_PACING].evidence,
				 it[VC_CHECK_PACING].nevidence, 10));
	/* Retransmissions (seq 11-13) are exempt from pacing, judged here. */
	assert_int_equal(it[VC_CHECK_BACKOFF].status, VC_STRAYS);
	assert_int_equal(it[VC_CHECK_BACKOFF].violations, 2);
	assert_true(has_evidence(it[VC_CHECK_BACKOFF].evidence,
				 it[VC_CHECK_BACKOFF].nevidence, 12));
	assert_int_equal(it[VC_CONSENT].status, VC_STRAYS);
	assert_int_equal(it[VC_CONSENT].samples, 3);
	assert_int_equal(it[VC_CONSENT].violations, 3);
	assert_true(it[VC_CONSENT].max_ms > 8999.0);
	assert_true(has_evidence(it[VC_CONSENT].evidence,
				 it[VC_CONSENT].nevidence, 30));
	assert_int_equal(it[VC_DTLS_RTX].status, VC_STRAYS);
	assert_int_equal(it[VC_DTLS_RTX].violations, 2);
	assert_true(has_evidence(it[VC_DTLS_RTX].evidence,
				 it[VC_DTLS_RTX].nevidence, 27));
	assert_non_null(finding("peer-check-pacing"));
	assert_non_null(finding("peer-check-backoff"));
	assert_non_null(finding("peer-consent-cadence"));
	assert_non_null(finding("peer-dtls-retransmit"));
	f = need("dtls-failed");
	assert_int_equal(f->severity, SEV_ERROR);
	assert_non_null(strstr(f->title, "flight 1"));
	assert_non_null(strstr(f->remedy, "MTU"));
	assert_true(has_evidence(f->evidence, f->nevidence, 29));
	assert_true(has_evidence(f->evidence, f->nevidence, 28));
}

static void test_dtls_failure_reported_once_with_webrtc_summary(void **state)
{
	size_t n = 0;

	(void)state;
	with_webrtc = 1;
	replay("synthetic_peer_strays");
	with_webrtc = 0;
	for (size_t i = 0; i < fs.nf; i++)
		n += !strcmp(fs.f[i].id, "dtls-failed");
	assert_int_equal(n, 1);
	/* webrtc_summary's finding, with the flights added as evidence. */
	assert_string_equal(need("dtls-failed")->title, "the DTLS handshake failed");
	assert_true(has_evidence(need("dtls-failed")->evidence,
				 need("dtls-failed")->nevidence, 29));
	assert_true(has_evidence(need("dtls-failed")->evidence,
				 need("dtls-failed")->nevidence, 28));
}

static void test_peer_that_follows_the_rfcs_is_not_flagged(void **state)
{
	const struct vc_item *it = vd.conformance.item;

	(void)state;
	replay("synthetic_peer_conformant");
	for (int i = 0; i < VC__ITEMS; i++)
		assert_int_equal(it[i].status, VC_OK);
	/* Four ordinary checks 5.0, 4.6, 5.4 ms apart (Ta 5 ms and receive
	 * jitter); the one after ours is triggered. */
	assert_int_equal(it[VC_CHECK_PACING].samples, 3);
	assert_true(it[VC_CHECK_PACING].min_ms > 4.5 && it[VC_CHECK_PACING].min_ms < 4.7);
	assert_int_equal(it[VC_CHECK_BACKOFF].samples, 3);
	assert_int_equal(it[VC_CONSENT].samples, 3);
	assert_int_equal(it[VC_DTLS_RTX].samples, 2);
	assert_null(finding("peer-check-pacing"));
	assert_null(finding("peer-check-backoff"));
	assert_null(finding("peer-consent-cadence"));
	assert_null(finding("peer-dtls-retransmit"));
	assert_null(finding("dtls-failed"));
}

static void test_backoff_not_derivable_without_transaction_ids(void **state)
{
	(void)state;
	replay("ice_direct_offer");
	assert_int_equal(vd.conformance.item[VC_CHECK_BACKOFF].status,
			 VC_UNDERIVABLE);
	assert_int_equal(vd.conformance.item[VC_CONSENT].status, VC_NOT_OBSERVED);
	assert_int_equal(vd.conformance.item[VC_DTLS_RTX].status, VC_NOT_OBSERVED);
}

static void test_backoff_from_a_capture_judges_each_sender(void **state)
{
	const struct vc_item *bo = &vd.conformance.item[VC_CHECK_BACKOFF];

	(void)state;
	replay("synthetic_capture_backoff");
	/* 192.0.2.1 doubles 500, 1000, 2000 ms; 192.0.2.2 repeats every
	 * 100 ms: its 2nd and 3rd repeats (seq 6, 7) stray. */
	assert_int_equal(bo->status, VC_STRAYS);
	assert_int_equal(bo->samples, 6);
	assert_int_equal(bo->violations, 2);
	assert_int_equal(bo->nevidence, 2);
	assert_true(has_evidence(bo->evidence, bo->nevidence, 6));
	assert_true(has_evidence(bo->evidence, bo->nevidence, 7));
	assert_non_null(strstr(bo->detail, "capture"));
	assert_non_null(need("peer-check-backoff"));
	assert_false(vd.matrix.present);
}

static char *json_of(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(report_write(&fs, REPORT_JSON, m), 0);
	fclose(m);
	return buf;
}

static void test_json_has_every_cell_and_is_deterministic(void **state)
{
	char *a, *b;
	json_t *root, *mx, *c;
	json_error_t err;

	(void)state;
	replay("synthetic_ice_turn_needed");
	a = json_of();
	replay("synthetic_ice_turn_needed");
	b = json_of();
	assert_string_equal(a, b);
	root = json_loads(a, 0, &err);
	assert_non_null(root);
	mx = json_object_get(root, "transport_matrix");
	assert_true(json_is_array(mx));
	assert_int_equal(json_array_size(mx), 24);
	/* Order: transport, family, candidate: udp/ipv4/relay is index 2. */
	c = json_array_get(mx, 2);
	assert_string_equal(json_string_value(json_object_get(c, "candidate")), "relay");
	assert_string_equal(json_string_value(json_object_get(c, "status")), "failed");
	assert_int_equal(json_integer_value(json_object_get(c, "code")), 486);
	assert_true(json_is_null(json_object_get(json_array_get(mx, 4), "code")));
	assert_true(json_is_object(json_object_get(root, "call_quality")));
	assert_int_equal(json_array_size(json_object_get(root, "conformance")), VC__ITEMS);
	json_decref(root);
	free(a);
	free(b);
}

static int teardown(void **state)
{
	(void)state;
	obs_log_dispose(&lg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_run_fills_udp_ipv4_cells),
		cmocka_unit_test(test_relay_cell_keyed_by_transport_to_server),
		cmocka_unit_test(test_wrong_turn_password_fails_cell_with_401),
		cmocka_unit_test(test_nat_run_only_tls_443_works),
		cmocka_unit_test(test_icmp_on_both_families_is_not_ipv6_broken),
		cmocka_unit_test(test_real_udp_blocked_run_relays_over_tls_443),
		cmocka_unit_test(test_real_ipv6_run_fills_ipv6_cells),
		cmocka_unit_test(test_ipv6_broken_while_ipv4_works),
		cmocka_unit_test(test_turn_needed_when_direct_pairs_fail),
		cmocka_unit_test(test_peer_unreachable_on_every_pair),
		cmocka_unit_test(test_quality_thresholds_are_the_published_ones),
		cmocka_unit_test(test_media_note_parser),
		cmocka_unit_test(test_quality_from_media_notes),
		cmocka_unit_test(test_quality_from_ice_rtts_without_media),
		cmocka_unit_test(test_peer_that_strays_is_flagged_with_evidence),
		cmocka_unit_test(test_dtls_failure_reported_once_with_webrtc_summary),
		cmocka_unit_test(test_peer_that_follows_the_rfcs_is_not_flagged),
		cmocka_unit_test(test_backoff_not_derivable_without_transaction_ids),
		cmocka_unit_test(test_backoff_from_a_capture_judges_each_sender),
		cmocka_unit_test(test_json_has_every_cell_and_is_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
