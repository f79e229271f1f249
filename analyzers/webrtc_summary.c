/*
 * webrtc_summary.c - the DTLS part of a session rebuilt from its
 * observations, with findings for a failed handshake (where it stopped,
 * from the timeline's diagnosis) and a fingerprint mismatch.
 */
#include "webrtc_summary.h"

#include <stdio.h>
#include <string.h>

static void connected(struct webrtc_report *r, const struct obs *o)
{
	const char *p;
	double ms = 0;

	r->connected = 1;
	r->evidence = o->seq;
	/* "connected as client: DTLSv1.2 ECDHE-..., SRTP SRTP_AEAD_AES_128_GCM;
	 * we offered DTLS 1.2, peer offered DTLSv1.3+DTLSv1.2; 3 flights
	 * sent, 2 received, 0 retransmissions, 4.2 ms" */
	sscanf(o->text, "connected as %7[a-z]: %15s %63[^,], SRTP %39[^;]", r->role,
	       r->version, r->cipher, r->profile);
	p = strstr(o->text, "peer offered ");
	if (p)
		sscanf(p + 13, "%63[^;]", r->peer_offered);
	p = strstr(o->text, " flights sent");
	while (p && p > o->text && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p)
		sscanf(p, "%u flights sent, %u received, %u retransmissions, %lf ms",
		       &r->flights_sent, &r->flights_received, &r->retransmits, &ms);
	r->handshake_us = (o->has & OBS_HAS_RTT) ? o->rtt_us : (uint64_t)(ms * 1000.0);
}

/* The value of " key=" in text (key=value lines of probe/media_probe.c). */
static int kv(const char *text, const char *key, double *v)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(text, pat);
	if (!p && !strncmp(text, pat + 1, strlen(pat + 1)))
		p = text - 1;
	if (!p)
		return 0;
	return sscanf(p + strlen(pat), "%lf", v) == 1;
}

static void media_summary(struct webrtc_report *r, const struct obs *o, int rx)
{
	double v;

	r->media = 1;
	if (!rx) {
		if (kv(o->text, "sent", &v)) r->m_sent = (unsigned)v;
		if (kv(o->text, "echo_back", &v)) r->m_echo_back = (unsigned)v;
		if (kv(o->text, "peer_loss", &v)) r->m_peer_loss_pct = v;
		if (kv(o->text, "peer_jitter_us", &v)) r->m_peer_jitter_ms = v / 1000.0;
		if (kv(o->text, "bps", &v)) r->m_send_bps = v;
		if (o->has & OBS_HAS_RTT)
			r->m_rtt_ms = o->rtt_us / 1000.0;
		return;
	}
	/* One media.rx summary per peer SSRC: sum them. */
	if (kv(o->text, "received", &v)) r->m_received += (unsigned)v;
	if (kv(o->text, "lost", &v)) r->m_lost += (unsigned)v;
	if (kv(o->text, "reordered", &v)) r->m_reordered += (unsigned)v;
	if (kv(o->text, "auth_ok", &v)) r->m_auth_ok += (unsigned)v;
	if (kv(o->text, "auth_fail", &v)) r->m_auth_fail += (unsigned)v;
	if (kv(o->text, "jitter_us", &v) && v / 1000.0 > r->m_jitter_ms) r->m_jitter_ms = v / 1000.0;
	if (kv(o->text, "bps", &v)) r->m_recv_bps += v;
	if (r->m_received + r->m_lost)
		r->m_loss_pct = 100.0 * r->m_lost / (r->m_received + r->m_lost);
}

void webrtc_analyze(const struct obs_log *log, struct webrtc_report *r,
		    struct findings *fs)
{
	struct finding *f;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if ((!strcmp(o->test, "media") || !strcmp(o->test, "media.rx")) &&
		    !strncmp(o->text, "summary ", 8)) {
			media_summary(r, o, !strcmp(o->test, "media.rx"));
		} else if (!strcmp(o->test, "sctp.assoc")) {
			if (o->kind == OBS_CONNECT && !o->err)
				r->sctp_up = 1;
			else if (o->kind == OBS_TIMEOUT || o->kind == OBS_ERROR || o->err) {
				r->sctp_failed = 1;
				snprintf(r->dc_failure, sizeof(r->dc_failure), "%s", o->text);
			}
		} else if (!strcmp(o->test, "dc.open") && o->kind == OBS_RESPONSE) {
			r->dc_opened = 1;
		} else if (!strcmp(o->test, "dc.open") && o->kind == OBS_NOTE &&
			   strstr(o->text, "open")) {
			r->dc_opened = 1;
		} else if (!strcmp(o->test, "dc.probe") &&
			   (o->kind == OBS_RESPONSE || o->kind == OBS_TIMEOUT)) {
			unsigned st;
			size_t sz;

			r->dc_probe = 1;
			sscanf(o->text, "stream %u: %u of %u messages (%zu bytes) sent, %u echoed back",
			       &st, &r->dc_sent, &r->dc_count, &sz, &r->dc_echoed);
			{
				const char *p = strstr(o->text, "RTT min/avg/max ");

				if (p)
					sscanf(p + 16, "%lf/%lf/%lf ms; %lf bytes/s",
					       &r->dc_rtt_min_ms, &r->dc_rtt_avg_ms,
					       &r->dc_rtt_max_ms, &r->dc_bytes_per_s);
			}
		} else if (!strcmp(o->test, "dc.summary")) {
			sscanf(o->text, "messages_received=%u", &r->dc_received);
		} else if (!strcmp(o->test, "webrtc")) {
			r->present = 1;
			if (strstr(o->text, "->ice-only"))
				r->ice_only = 1;
		} else if (!strcmp(o->test, "dtls") &&
			   (o->kind == OBS_TLS || o->kind == OBS_TIMEOUT)) {
			r->present = 1;
			if (o->kind == OBS_TLS && !o->err &&
			    !strncmp(o->text, "connected as", 12)) {
				connected(r, o);
			} else {
				r->failed = 1;
				r->evidence = o->seq;
				snprintf(r->reason, sizeof(r->reason), "%s", o->text);
				if (strstr(o->text, "man in the middle"))
					r->mitm = 1;
				if (o->has & OBS_HAS_RTT)
					r->handshake_us = o->rtt_us;
			}
		}
	}
	if (!r->present)
		return;
	fs->webrtc = r;
	if (r->failed) {
		f = findings_add(fs, r->mitm ? "dtls-mitm" : "dtls-failed", SEV_ERROR);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title), "%s",
			 r->mitm ? "DTLS refused: the peer's certificate does not match its a=fingerprint (possible man in the middle)"
				 : "the DTLS handshake failed");
		snprintf(f->detail, sizeof(f->detail), "%s", r->reason);
		snprintf(f->remedy, sizeof(f->remedy), "%s",
			 r->mitm ? "the description was altered on its way, or the peer answered with another certificate: check the signaling path; do not trust this session"
			 : strstr(r->reason, "large") || strstr(r->reason, "no response after")
				 ? "large UDP datagrams may be dropped on the path: lower the MTU or check firewalls for fragmented/large UDP"
				 : "see the handshake timeline (dtls observations) for the flight where it stopped");
		finding_evidence(f, r->evidence);
	} else if (r->connected) {
		f = findings_add(fs, "dtls-connected", SEV_INFO);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title), "DTLS connected as %s in %.1f ms: %s, SRTP %s",
			 r->role, (double)r->handshake_us / 1000.0, r->version, r->profile);
		snprintf(f->detail, sizeof(f->detail),
			 "cipher %s; %u flights sent, %u received, %u retransmissions%s%s",
			 r->cipher, r->flights_sent, r->flights_received, r->retransmits,
			 r->peer_offered[0] ? "; the peer offered " : "", r->peer_offered);
		finding_evidence(f, r->evidence);
	}
}
