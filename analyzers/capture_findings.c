/*
 * capture_findings.c - the end of a capture: requests never answered
 * become OBS_TIMEOUT (as a live run's give-up), and the report's figures
 * become findings: unanswered STUN, error responses, failed TURN
 * allocations, ICE pairs that never succeeded, DTLS alerts and stalled
 * handshakes, RTP loss and jitter, and facts about the capture itself.
 */
#include "capture_summary.h"

#include <stdio.h>
#include <string.h>

/* Thresholds for media findings (ITU-T G.114-style rules of thumb). */
#define RTP_LOSS_WARN_PCT 1.0
#define RTP_LOSS_ERROR_PCT 5.0
#define RTP_JITTER_WARN_MS 30.0

const char *capture_dtls_hs_name(int type, char *buf, size_t len)
{
	switch (type) {
	case -1: return "none";
	case 0: return "HelloRequest";
	case 1: return "ClientHello";
	case 2: return "ServerHello";
	case 3: return "HelloVerifyRequest";
	case 4: return "NewSessionTicket";
	case 11: return "Certificate";
	case 12: return "ServerKeyExchange";
	case 13: return "CertificateRequest";
	case 14: return "ServerHelloDone";
	case 15: return "CertificateVerify";
	case 16: return "ClientKeyExchange";
	case 20: return "Finished";
	}
	snprintf(buf, len, "handshake type %d", type);
	return buf;
}

const char *capture_dtls_alert_name(int desc, char *buf, size_t len)
{
	switch (desc) {
	case -1: return "encrypted";
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 90: return "user_canceled";
	case 110: return "unsupported_extension";
	}
	snprintf(buf, len, "alert %d", desc);
	return buf;
}

static void timeouts(struct capture_report *cr, struct obs_log *log)
{
	for (size_t i = 0; i < cr->ntx; i++) {
		struct cap_tx *tx = &cr->tx[i];
		struct obs o;

		if (tx->answered)
			continue;
		cr->stun_unanswered++;
		if (tx->ice_idx >= 0)
			cr->ice[tx->ice_idx].unanswered++;
		memset(&o, 0, sizeof(o));
		o.kind = OBS_TIMEOUT;
		o.t_us = cr->last_us > log->start_wall_us ?
			 cr->last_us - log->start_wall_us : 0;
		o.transport = tx->l4 == DS_L4_TCP ? NP_TCP : NP_UDP;
		snprintf(o.test, sizeof(o.test), "capture");
		np_addr_str(&tx->server, o.server, sizeof(o.server));
		o.has = OBS_HAS_TID | OBS_HAS_LOCAL | OBS_HAS_REMOTE;
		memcpy(o.tid, tx->tid, STUN_TID_LEN);
		o.local = tx->client;
		o.remote = tx->server;
		o.method = tx->method;
		o.attempt = (uint16_t)tx->tries;
		snprintf(o.text, sizeof(o.text), "no response in the capture "
			 "(%u tries, %.3f s to the end of the capture)", tx->tries,
			 (double)(cr->last_us - tx->sent_us) / 1e6);
		obs_add(log, &o);
	}
}

static void unanswered(const struct capture_report *cr, struct findings *fs)
{
	struct finding *f;
	char a[64];
	size_t shown = 0;

	if (!cr->stun_unanswered)
		return;
	f = findings_add(fs, "capture-stun-unanswered", SEV_WARNING);
	if (!f)
		return;
	snprintf(f->title, sizeof(f->title), "STUN requests without responses: %u of %u",
		 cr->stun_unanswered, cr->stun_requests);
	for (size_t i = 0; i < cr->ntx; i++) {
		const struct cap_tx *tx = &cr->tx[i];
		size_t n = strlen(f->detail);

		if (tx->answered)
			continue;
		finding_evidence(f, tx->sent_seq);
		if (shown++ < 4 && n < sizeof(f->detail) - 1)
			snprintf(f->detail + n, sizeof(f->detail) - n, "%s%s to %s (%u tries)",
				 n ? "; " : "", stun_method_name(tx->method),
				 np_addr_str(&tx->server, a, sizeof(a)), tx->tries);
	}
	snprintf(f->remedy, sizeof(f->remedy), "check that the server is reachable "
		 "and that UDP to it is allowed; a capture taken on one side only "
		 "shows responses that arrived there");
}

static void errors(const struct capture_report *cr, struct findings *fs)
{
	for (size_t i = 0; i < cr->ncodes; i++) {
		const struct cap_code_count *c = &cr->codes[i];
		struct finding *f;

		/* 401 is the normal first answer of long-term credentials. */
		if (c->code == 401 && cr->turn_alloc_ok)
			continue;
		f = findings_add(fs, "capture-stun-error", c->code == 401 || c->code == 438 ?
				 SEV_INFO : SEV_WARNING);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title), "STUN error %d in %u response%s",
			 c->code, c->count, c->count == 1 ? "" : "s");
		snprintf(f->detail, sizeof(f->detail), "%s",
			 c->code == 401 ? "Unauthorized: credentials missing or wrong" :
			 c->code == 438 ? "Stale Nonce: the client must retry with the new nonce" :
			 c->code == 441 ? "Wrong Credentials (TURN)" :
			 c->code == 437 ? "Allocation Mismatch (TURN)" :
			 c->code == 486 ? "Allocation Quota Reached (TURN)" :
			 c->code == 508 ? "Insufficient Capacity (TURN)" :
			 c->code == 487 ? "Role Conflict (ICE)" :
			 c->code == 420 ? "Unknown Attribute" : "see RFC 8489 §14.8");
	}
	if (cr->turn_allocate && !cr->turn_alloc_ok) {
		struct finding *f = findings_add(fs, "capture-turn-no-allocation", SEV_ERROR);

		if (f) {
			snprintf(f->title, sizeof(f->title), "TURN: %u Allocate request%s, "
				 "no allocation succeeded", cr->turn_allocate,
				 cr->turn_allocate == 1 ? "" : "s");
			snprintf(f->remedy, sizeof(f->remedy), "check the TURN credentials, "
				 "realm and that the server is reachable");
		}
	}
}

static void ice(const struct capture_report *cr, struct findings *fs)
{
	unsigned failed = 0, ok = 0;
	char a[64], b[64];
	struct finding *f;

	for (size_t i = 0; i < cr->nice; i++)
		cr->ice[i].success ? ok++ : failed++;
	if (!cr->nice || ok)
		return;
	f = findings_add(fs, "capture-ice-failed", SEV_ERROR);
	if (!f)
		return;
	snprintf(f->title, sizeof(f->title), "ICE: no connectivity check succeeded "
		 "(%u pair%s checked)", failed, failed == 1 ? "" : "s");
	snprintf(f->detail, sizeof(f->detail), "first pair %s -> %s: %u checks, %u "
		 "unanswered, last error %d", np_addr_str(&cr->ice[0].from, a, sizeof(a)),
		 np_addr_str(&cr->ice[0].to, b, sizeof(b)), cr->ice[0].checks,
		 cr->ice[0].unanswered, cr->ice[0].last_error);
	snprintf(f->remedy, sizeof(f->remedy), "direct paths are blocked: add a TURN "
		 "server (relay candidates)");
}

static void dtls(const struct capture_report *cr, struct findings *fs)
{
	char a[64], b[64], n1[32], n2[32];

	for (size_t i = 0; i < cr->nflows; i++) {
		const struct cap_flow *fl = &cr->flows[i];

		for (int k = 0; k < 2; k++) {
			const struct cap_dtls_dir *s = &fl->dtls[k];
			struct finding *f;
			int fatal = s->last_alert_level == 2;

			/* close_notify is the normal end; so, most likely, is
			 * an encrypted alert once both Finished went by. */
			if (!s->alerts || (s->last_alert_desc == 0 && !fatal) ||
			    (s->last_alert_level < 0 && fl->dtls[0].encrypted_hs &&
			     fl->dtls[1].encrypted_hs))
				continue;
			f = findings_add(fs, "capture-dtls-alert", fatal ||
					 s->last_alert_level < 0 ? SEV_WARNING : SEV_INFO);
			if (!f)
				return;
			snprintf(f->title, sizeof(f->title), "DTLS alert from %s: %s",
				 np_addr_str(k ? &fl->b : &fl->a, a, sizeof(a)),
				 capture_dtls_alert_name(s->last_alert_desc, n1, sizeof(n1)));
			snprintf(f->detail, sizeof(f->detail), "%u alert record%s on %s <-> %s; "
				 "level %d (2 is fatal, -1 encrypted)", s->alerts,
				 s->alerts == 1 ? "" : "s", a,
				 np_addr_str(k ? &fl->a : &fl->b, b, sizeof(b)),
				 s->last_alert_level);
		}
		if (fl->dtls[0].max_hs_type == 1 && fl->dtls[1].records == 0) {
			struct finding *f = findings_add(fs, "capture-dtls-unanswered", SEV_WARNING);

			if (!f)
				return;
			snprintf(f->title, sizeof(f->title), "DTLS ClientHello from %s never "
				 "answered", np_addr_str(&fl->a, a, sizeof(a)));
			snprintf(f->detail, sizeof(f->detail), "%u handshake records to %s, "
				 "none back; highest handshake message %s",
				 fl->dtls[0].handshake, np_addr_str(&fl->b, b, sizeof(b)),
				 capture_dtls_hs_name(fl->dtls[0].max_hs_type, n2, sizeof(n2)));
			snprintf(f->remedy, sizeof(f->remedy), "large DTLS flights may be "
				 "dropped: check the path MTU and UDP filtering");
		}
	}
}

static void rtp(const struct capture_report *cr, struct findings *fs)
{
	for (size_t i = 0; i < cr->nrtp; i++) {
		const struct cap_rtp *s = &cr->rtp[i];
		uint32_t exp = capture_rtp_expected(s), lost = capture_rtp_lost(s);
		double pct = exp ? 100.0 * lost / exp : 0, jit = capture_rtp_jitter_ms(s);
		struct finding *f;

		if (pct >= RTP_LOSS_WARN_PCT) {
			f = findings_add(fs, "capture-rtp-loss", pct >= RTP_LOSS_ERROR_PCT ?
					 SEV_ERROR : SEV_WARNING);
			if (!f)
				return;
			snprintf(f->title, sizeof(f->title), "RTP loss %.1f %% on SSRC 0x%08x",
				 pct, s->ssrc);
			snprintf(f->detail, sizeof(f->detail), "%u of %u expected packets "
				 "missing (payload type %u)", lost, exp, s->pt);
		}
		if (jit >= RTP_JITTER_WARN_MS) {
			f = findings_add(fs, "capture-rtp-jitter", SEV_WARNING);
			if (!f)
				return;
			snprintf(f->title, sizeof(f->title), "RTP jitter %.1f ms on SSRC 0x%08x",
				 jit, s->ssrc);
			snprintf(f->detail, sizeof(f->detail), "RFC 3550 interarrival jitter "
				 "at an assumed %u Hz clock (payload type %u)", s->clock, s->pt);
		}
	}
}

static void capture_facts(const struct capture_report *cr, struct findings *fs)
{
	struct finding *f;

	if (cr->read_error[0] && (f = findings_add(fs, "capture-incomplete", SEV_WARNING))) {
		snprintf(f->title, sizeof(f->title), "the capture file ends early or is "
			 "corrupt; %u packets read before that", cr->packets);
		snprintf(f->detail, sizeof(f->detail), "%s", cr->read_error);
	}
	if (cr->truncated && (f = findings_add(fs, "capture-snaplen", SEV_INFO))) {
		snprintf(f->title, sizeof(f->title), "%u packet%s cut by the snapshot length",
			 cr->truncated, cr->truncated == 1 ? "" : "s");
		snprintf(f->detail, sizeof(f->detail), "their payloads were classified "
			 "from the bytes captured, not decoded");
		snprintf(f->remedy, sizeof(f->remedy), "capture with a larger snapshot "
			 "length (tcpdump -s 0)");
	}
	/* Memory is bounded: past a table's cap, packets are still counted
	 * per protocol but not tracked per flow, transaction, pair or stream. */
	if ((cr->flows_dropped || cr->tx_dropped || cr->ice_dropped || cr->rtp_dropped) &&
	    (f = findings_add(fs, "capture-limits", SEV_INFO))) {
		snprintf(f->title, sizeof(f->title), "the capture has more than natprobe "
			 "tracks; the packet counts cover everything");
		snprintf(f->detail, sizeof(f->detail), "not tracked beyond the first %d "
			 "flows: %zu packets; %d STUN transactions: %zu requests (their "
			 "responses count as unmatched); %d ICE pairs: %zu checks; %d RTP "
			 "streams: %zu packets", CAP_FLOWS_MAX, cr->flows_dropped, CAP_TX_MAX,
			 cr->tx_dropped, CAP_ICE_MAX, cr->ice_dropped, CAP_RTP_MAX,
			 cr->rtp_dropped);
		snprintf(f->remedy, sizeof(f->remedy), "filter the capture to the call of "
			 "interest (tshark -Y or editcap) for per-flow detail");
	}
	if (cr->by_app[DS_MALFORMED] &&
	    (f = findings_add(fs, "capture-malformed", SEV_WARNING))) {
		snprintf(f->title, sizeof(f->title), "%u malformed packet%s",
			 cr->by_app[DS_MALFORMED], cr->by_app[DS_MALFORMED] == 1 ? "" : "s");
		snprintf(f->detail, sizeof(f->detail), "see the \"malformed\" "
			 "observations for what was wrong with each");
	}
}

void capture_summary_finish(struct capture_report *cr, struct obs_log *log,
			    struct findings *fs)
{
	timeouts(cr, log);
	capture_facts(cr, fs);
	unanswered(cr, fs);
	errors(cr, fs);
	ice(cr, fs);
	dtls(cr, fs);
	rtp(cr, fs);
	fs->command = "analyze";
	fs->start_wall_us = cr->first_us;
	fs->capture = cr;
	fs->exit_code = 0;
	for (size_t i = 0; i < fs->nf; i++)
		if (fs->f[i].severity == SEV_ERROR)
			fs->exit_code = 1;
}
