/*
 * dtls_timeline.c - the DTLS handshake as observations, and the diagnosis
 * of where and why it stopped (see dtls.h for the labels).
 *
 * A flight (RFC 6347 §4.2.4) is what one side sends before it waits: here,
 * the datagrams written during one entry into the machine. Written from a
 * timer, the same flight again is a retransmission. On the peer's side a
 * new flight begins with the first datagram after one of ours; a datagram
 * whose every handshake fragment was already seen is a peer
 * retransmission.
 */
#include "dtls.h"
#include "dtls_impl.h"
#include "np_err.h"

#include <string.h>

#include <openssl/ssl.h>

void dtl_obs(struct dtls *d, struct obs *o, enum obs_kind k,
	     const char *suffix)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->transport = NP_UDP;
	if (suffix)
		snprintf(o->test, sizeof(o->test), "%s.%s", d->label, suffix);
	else
		snprintf(o->test, sizeof(o->test), "%s", d->label);
}

static int seen_before(struct dtls_seen *t, const struct dtls_frag *f)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->v[i].seq == f->msg_seq && t->v[i].off == f->frag_off)
			return 1;
	if (t->n < DTLS_MAX_SEEN) {
		t->v[t->n].seq = f->msg_seq;
		t->v[t->n].off = f->frag_off;
		t->n++;
	}
	return 0;
}

void dtl_burst_add(struct dtls *d, const uint8_t *buf, size_t len)
{
	struct dtls_dgram g;
	char desc[160];

	dtls_wire_parse(buf, len, &g);
	d->burst_n++;
	d->burst_bytes += len;
	if (len > d->burst_largest)
		d->burst_largest = len;
	d->burst_hs += g.nfrag + g.encrypted_hs + g.ccs;
	d->burst_alerts += g.has_alert;
	d->burst_frags += g.nfrag;
	for (unsigned i = 0; i < g.nfrag; i++)
		if (!seen_before(&d->sent, &g.frag[i]))
			d->burst_new++;
	d->info.datagrams_sent++;
	if (len > d->info.largest_sent)
		d->info.largest_sent = len;
	/* Keep the message list of the flight, without repeating the names
	 * of a message split over several datagrams. */
	dtls_wire_describe(&g, desc, sizeof(desc));
	if (desc[0] && !strstr(d->burst_desc, desc)) {
		size_t off = strlen(d->burst_desc);

		snprintf(d->burst_desc + off, sizeof(d->burst_desc) - off,
			 "%s%s", off ? "; " : "", desc);
	}
}

void dtl_burst_end(struct dtls *d)
{
	struct obs o;
	int rtx;

	if (d->burst_n == 0)
		return;
	/* From the timer, or OpenSSL answering a peer's retransmission with
	 * ours: nothing new in it. A flight without plaintext fragments
	 * (ChangeCipherSpec and Finished alone) is new unless it repeats. */
	rtx = d->in_timeout ||
	      (d->burst_frags > 0 && d->burst_new == 0) ||
	      (d->burst_frags == 0 && d->flight > 0 &&
	       strcmp(d->burst_desc, d->flight_desc) == 0);
	if (d->burst_hs == 0) {
		/* An alert alone, or application data: not a flight (alerts
		 * have their own observation). */
		goto reset;
	}
	if (rtx) {
		d->flight_tries++;
		d->info.retransmits++;
	} else {
		d->flight++;
		d->flight_tries = 1;
		d->info.flights_sent++;
		d->flight_bytes = d->burst_bytes;
		d->flight_largest = d->burst_largest;
		d->flight_dgrams = d->burst_n;
		snprintf(d->flight_desc, sizeof(d->flight_desc), "%s",
			 d->burst_desc);
		d->sent_since_recv = 1;
	}
	dtl_obs(d, &o, rtx ? OBS_RETRANSMIT : OBS_SENT, "flight");
	o.attempt = (uint16_t)d->flight_tries;
	o.size = (uint32_t)d->burst_bytes;
	snprintf(o.text, sizeof(o.text),
		 "%sflight %u: %s (%u datagram%s, %zu bytes, largest %zu)",
		 rtx ? "retransmitted " : "", d->flight, d->burst_desc,
		 d->burst_n, d->burst_n == 1 ? "" : "s", d->burst_bytes,
		 d->burst_largest);
	np_ctx_record(d->ctx, &o);
reset:
	d->burst_n = 0;
	d->burst_bytes = d->burst_largest = 0;
	d->burst_hs = d->burst_alerts = 0;
	d->burst_frags = d->burst_new = 0;
	d->burst_desc[0] = '\0';
}

static void hello_versions(struct dtls *d, uint16_t legacy,
			   const uint16_t *v, unsigned n, int fragmented)
{
	struct obs o;
	char list[96] = "", tmp[16];
	size_t off = 0;

	if (d->info.n_peer_offered)
		return;
	if (n) {
		for (unsigned i = 0; i < n && i < 8; i++)
			d->info.peer_offered[i] = v[i];
		d->info.n_peer_offered = n < 8 ? n : 8;
	} else {
		/* No supported_versions: the legacy field is the offer. */
		d->info.peer_offered[0] = legacy;
		d->info.n_peer_offered = 1;
	}
	for (unsigned i = 0; i < d->info.n_peer_offered && off < sizeof(list); i++) {
		int k = snprintf(list + off, sizeof(list) - off, "%s%s",
				 i ? ", " : "",
				 dtls_wire_version_name(d->info.peer_offered[i],
							tmp, sizeof(tmp)));
		if (k > 0)
			off += (size_t)k;
	}
	dtl_obs(d, &o, OBS_NOTE, "hello");
	snprintf(o.text, sizeof(o.text), "peer ClientHello%s offers %s%s",
		 fragmented ? " (reassembled from fragments)" : "", list,
		 n ? " (supported_versions)" :
		 " (legacy version field, no supported_versions)");
	np_ctx_record(d->ctx, &o);
}

/* Puts a fragmented ClientHello back together (RFC 6347 §4.2.3), bounded
 * by DTLS_HELLO_MAX, and reads its versions once it is whole. */
static void hello_fragment(struct dtls *d, const struct dtls_frag *f)
{
	uint16_t legacy = 0, v[DTLS_MAX_VERSIONS];
	size_t n = 0;

	if (f->length == 0 || f->length > DTLS_HELLO_MAX)
		return;
	if (d->hello_len != f->length) {
		/* A new hello (or another length): start again. */
		d->hello_len = f->length;
		d->hello_missing = f->length;
		memset(d->hello_have, 0, sizeof(d->hello_have));
	}
	for (uint32_t i = 0; i < f->frag_len; i++) {
		uint32_t at = f->frag_off + i;

		d->hello[at] = f->body[i];
		if (!(d->hello_have[at / 8] & (1u << (at % 8)))) {
			d->hello_have[at / 8] |= (uint8_t)(1u << (at % 8));
			d->hello_missing--;
		}
	}
	if (d->hello_missing == 0 &&
	    dtls_wire_hello_versions(d->hello, d->hello_len, &legacy, v,
				     DTLS_MAX_VERSIONS, &n) == 0)
		hello_versions(d, legacy, v, (unsigned)n, 1);
}

void dtl_recv(struct dtls *d, const uint8_t *buf, size_t len)
{
	struct dtls_dgram g;
	struct obs o;
	char desc[160];
	int again = 1;

	d->info.datagrams_received++;
	if (dtls_wire_parse(buf, len, &g) != 0 && g.records == 0) {
		d->info.malformed++;
		if (d->recv_obs++ >= DTLS_MAX_RECV_OBS)
			return;
		dtl_obs(d, &o, OBS_MALFORMED, "recv");
		o.size = (uint32_t)len;
		o.err = g.bad;
		snprintf(o.text, sizeof(o.text),
			 "%zu bytes that are not DTLS records (%s at byte %zu, "
			 "first byte 0x%02x)", len, np_strerror(g.bad),
			 g.bad_at, buf[0]);
		np_ctx_record(d->ctx, &o);
		return;
	}
	if (g.nfrag == 0)
		again = 0;
	for (unsigned i = 0; i < g.nfrag; i++) {
		const struct dtls_frag *f = &g.frag[i];

		if (seen_before(&d->seen, f))
			continue;
		again = 0;
		if (f->msg_seq < DTLS_MAX_SEEN) {
			d->peer_len[f->msg_seq] = f->length;
			d->peer_got[f->msg_seq] += f->frag_len;
			d->peer_seen_seq |= 1ull << f->msg_seq;
			if ((int)f->msg_seq > d->peer_max_seq)
				d->peer_max_seq = f->msg_seq;
		}
	}
	if (again)
		d->info.peer_retransmits++;
	else if (d->sent_since_recv || d->peer_flight == 0) {
		d->peer_flight++;
		d->info.flights_received++;
		d->sent_since_recv = 0;
	}
	if (g.has_hello_versions)
		hello_versions(d, g.hello_legacy, g.hello_versions,
			       g.n_hello_versions, 0);
	else if (d->role == DTLS_ROLE_SERVER && !d->info.n_peer_offered)
		for (unsigned i = 0; i < g.nfrag; i++)
			if (g.frag[i].msg_type == DTLS_HS_CLIENT_HELLO)
				hello_fragment(d, &g.frag[i]);
	if (d->recv_obs++ >= DTLS_MAX_RECV_OBS)
		return;
	dtls_wire_describe(&g, desc, sizeof(desc));
	dtl_obs(d, &o, g.bad ? OBS_MALFORMED : OBS_RESPONSE, "recv");
	o.size = (uint32_t)len;
	o.err = g.bad;
	snprintf(o.text, sizeof(o.text), "%speer flight %u: %s (%zu bytes)%s",
		 again ? "peer retransmission, " : "", d->peer_flight,
		 desc[0] ? desc : "no records", len,
		 g.bad ? ", then bytes that are not DTLS records" : "");
	np_ctx_record(d->ctx, &o);
}

void dtl_alert(struct dtls *d, int sent, int value)
{
	struct obs o;
	char *dst = sent ? d->last_alert_sent : d->last_alert_recv;

	if (sent)
		d->info.alerts_sent++;
	else
		d->info.alerts_received++;
	snprintf(dst, 64, "%s %s (%d)", SSL_alert_type_string_long(value),
		 SSL_alert_desc_string_long(value), value & 0xFF);
	if (d->info.alerts_sent + d->info.alerts_received > 16)
		return;    /* a peer cannot flood the log with alerts */
	dtl_obs(d, &o, OBS_NOTE, "alert");
	snprintf(o.text, sizeof(o.text), "%s alert %s, after our flight %u "
		 "and peer flight %u", sent ? "sent" : "received", dst,
		 d->flight, d->peer_flight);
	np_ctx_record(d->ctx, &o);
}

void dtl_connected(struct dtls *d)
{
	struct obs o;
	char offered[64] = "", tmp[16];
	size_t off = 0;
	const char *pname = dtls_srtp_profile_name(d->info.profile);

	for (unsigned i = 0; i < d->info.n_peer_offered && off < sizeof(offered); i++) {
		int n = snprintf(offered + off, sizeof(offered) - off, "%s%s",
				 i ? "+" : "",
				 dtls_wire_version_name(d->info.peer_offered[i],
							tmp, sizeof(tmp)));
		if (n > 0)
			off += (size_t)n;
	}
	dtl_obs(d, &o, OBS_TLS, NULL);
	o.rtt_us = (uint32_t)d->info.handshake_us;
	o.has |= OBS_HAS_RTT;
	snprintf(o.text, sizeof(o.text),
		 "connected as %s: %s %s, SRTP %s; we offered DTLS 1.2%s%s; "
		 "%u flights sent, %u received, %u retransmissions, %.1f ms",
		 d->role == DTLS_ROLE_CLIENT ? "client" : "server",
		 d->info.version, d->info.cipher, pname ? pname : "none",
		 offered[0] ? ", peer offered " : "", offered,
		 d->info.flights_sent, d->info.flights_received,
		 d->info.retransmits, d->info.handshake_us / 1000.0);
	np_ctx_record(d->ctx, &o);
}

/* A peer message below the highest one seen that never arrived whole. */
static int incomplete(const struct dtls *d, int *seq)
{
	for (int i = 0; i < d->peer_max_seq && i < DTLS_MAX_SEEN; i++) {
		if (!(d->peer_seen_seq & (1ull << i)) ||
		    d->peer_got[i] < d->peer_len[i]) {
			*seq = i;
			return 1;
		}
	}
	return 0;
}

void dtl_diagnose(struct dtls *d, int timed_out)
{
	char *r = d->info.reason;
	size_t n = sizeof(d->info.reason);
	int seq = 0;

	if (d->info.mitm) {
		snprintf(r, n, "possible man in the middle: the peer's "
			 "certificate does not match the fingerprint in its SDP,"
			 " refused at peer flight %u (%s %s, expected %s)",
			 d->peer_flight, d->fp_alg, d->got_text,
			 d->expect_text);
	} else if (d->last_alert_recv[0]) {
		snprintf(r, n, "the peer sent alert %s after our flight %u "
			 "(%s)", d->last_alert_recv, d->flight,
			 d->flight_desc[0] ? d->flight_desc : "nothing sent");
	} else if (!timed_out) {
		snprintf(r, n, "%s, after our flight %u and peer flight %u%s%s",
			 d->ssl_error[0] ? d->ssl_error : "handshake error",
			 d->flight, d->peer_flight,
			 d->last_alert_sent[0] ? "; we sent alert " : "",
			 d->last_alert_sent);
	} else if (d->flight == 0) {
		snprintf(r, n, "no ClientHello from the peer in %u ms%s: is it "
			 "also waiting as the DTLS server (a=setup), or is the "
			 "path blocked?", d->deadline_us / 1000,
			 d->info.malformed ? " (only garbage received)" : "");
	} else if (d->info.datagrams_received == d->info.malformed) {
		snprintf(r, n, "no DTLS answer to our flight %u (%s, %zu bytes"
			 ", %u tries)%s: peer not running DTLS, path blocked, "
			 "both sides in the client role, or the peer's answer "
			 "(its certificate flight) dropped for its size?", d->flight,
			 d->flight_desc, d->flight_bytes, d->flight_tries,
			 d->info.malformed ? ", only garbage received" : "");
	} else if (incomplete(d, &seq)) {
		snprintf(r, n, "peer flight %u arrived incomplete: handshake "
			 "message %d %s (%u of %u bytes) while later ones came; "
			 "its datagram was likely the largest: large datagrams "
			 "dropped? (our flight %u, %u tries)", d->peer_flight,
			 seq, d->peer_seen_seq & (1ull << seq) ? "partly missing" :
			 "missing",
			 d->peer_got[seq], d->peer_len[seq], d->flight,
			 d->flight_tries);
	} else {
		snprintf(r, n, "no response after our flight %u of %zu bytes "
			 "(%u datagram%s, largest %zu, %u tries; %s) though the "
			 "peer answered %u flight%s before: large datagrams "
			 "dropped? try a smaller MTU", d->flight,
			 d->flight_bytes, d->flight_dgrams,
			 d->flight_dgrams == 1 ? "" : "s", d->flight_largest,
			 d->flight_tries, d->flight_desc, d->peer_flight,
			 d->peer_flight == 1 ? "" : "s");
	}
}
