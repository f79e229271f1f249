/*
 * verdicts.c - runs the matrix, quality and conformance analyzers over one
 * log and turns what they found into findings (see verdicts.h).
 */
#include "verdicts.h"

#include "ice_summary.h"

#include <stdio.h>
#include <string.h>

static void cell_evidence(struct finding *f, const struct vm_cell *c)
{
	for (size_t i = 0; i < c->nevidence; i++)
		finding_evidence(f, c->evidence[i]);
}

static const char *tname(int t)
{
	return np_transport_name((enum np_transport)t);
}

/* A path that works over IPv4 and failed over IPv6, with no IPv6 cell
 * working at all. */
static void ipv6_broken(const struct verdict_matrix *m, struct findings *fs)
{
	struct finding *f = NULL;
	char list[200] = "";
	size_t off = 0;

	for (int t = 0; t < VM_TRANSPORTS; t++)
		for (int k = 0; k < VM__KINDS; k++)
			if (m->cell[t][1][k].status == VM_OK)
				return;
	for (int t = 0; t < VM_TRANSPORTS; t++) {
		for (int k = 0; k < VM__KINDS; k++) {
			const struct vm_cell *v4 = &m->cell[t][0][k], *v6 = &m->cell[t][1][k];
			int n;

			if (v4->status != VM_OK || v6->status != VM_FAILED)
				continue;
			if (!f) {
				f = findings_add(fs, "ipv6-broken", SEV_WARNING);
				if (!f)
					return;
				snprintf(f->detail, sizeof(f->detail), "IPv6: %s",
					 v6->reason);
				snprintf(f->remedy, sizeof(f->remedy),
					 "fix IPv6 on this network (firewall or route) or turn IPv6 off; IPv4 carries calls meanwhile. %.150s",
					 v6->remedy);
			}
			n = snprintf(list + off, sizeof(list) - off, "%s%s %s",
				     off ? ", " : "", tname(t), vm_kind_name((enum vm_kind)k));
			if (n > 0 && (size_t)n < sizeof(list) - off)
				off += (size_t)n;
			cell_evidence(f, v4);
			cell_evidence(f, v6);
		}
	}
	if (f)
		snprintf(f->title, sizeof(f->title),
			 "IPv6 broken while IPv4 works (%s)", list);
}

static int is_relay_pair(const struct ice_sum_pair *p)
{
	return !strcmp(p->ltype, "relay") || !strcmp(p->rtype, "relay");
}

static int pair_ok(const struct ice_sum_pair *p)
{
	if (!strcmp(p->state, "succeeded"))
		return 1;
	for (size_t k = 0; k < p->nchanges; k++)
		if (!strcmp(p->changes[k].state, "succeeded"))
			return 1;
	return 0;
}

static void pair_evidence(struct finding *f, const struct obs_log *log,
			  const struct ice_sum_pair *p)
{
	long k;

	for (size_t i = log->n; i-- > 0;)
		if (!strcmp(log->v[i].test, "ice.check") &&
		    sscanf(log->v[i].text, "pair %ld", &k) == 1 && k == p->index) {
			finding_evidence(f, log->v[i].seq);
			return;
		}
}

static void ice_findings(const struct obs_log *log, const struct ice_report *r,
			 struct findings *fs)
{
	unsigned direct_failed = 0, direct_ok = 0, sent = 0, answered = 0;
	struct finding *f;

	for (size_t i = 0; i < r->npairs; i++) {
		const struct ice_sum_pair *p = &r->pairs[i];

		sent += (unsigned)p->requests_sent;
		answered += (unsigned)p->responses_received;
		if (is_relay_pair(p))
			continue;
		if (pair_ok(p))
			direct_ok++;
		else if (!strcmp(p->state, "failed"))
			direct_failed++;
	}
	if (r->selected_ok && (!strcmp(r->sel_ltype, "relay") ||
			       !strcmp(r->sel_rtype, "relay")) &&
	    direct_failed && !direct_ok) {
		f = findings_add(fs, "turn-needed", SEV_WARNING);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title),
			 "TURN needed: all %u direct pair(s) failed, a relayed pair was selected",
			 direct_failed);
		snprintf(f->detail, sizeof(f->detail),
			 "selected %s -> %s; no pair without a relay on either side succeeded",
			 r->sel_ltype, r->sel_rtype);
		snprintf(f->remedy, sizeof(f->remedy),
			 "keep a TURN server (over TLS on 443 for the strictest networks) in the configuration; direct paths need the NAT/firewall to allow them (see the transport matrix)");
		for (size_t i = 0; i < r->npairs; i++)
			if (!is_relay_pair(&r->pairs[i]))
				pair_evidence(f, log, &r->pairs[i]);
	}
	if (!r->selected_ok && r->npairs && sent && !answered) {
		f = findings_add(fs, "peer-unreachable", SEV_ERROR);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title),
			 "the peer answered none of %zu pair(s): unreachable on every pair",
			 r->npairs);
		snprintf(f->detail, sizeof(f->detail),
			 "%u check(s) sent, 0 response(s); %u check(s) came from the peer",
			 sent, r->checks_in);
		snprintf(f->remedy, sizeof(f->remedy), "%s",
			 r->checks_in ? "the peer's checks reach us but ours do not reach it: its side filters inbound; a TURN server gives a relayed path"
				      : "nothing got through either way: check that the peer received our description, and add a TURN server over TCP/TLS 443");
		for (size_t i = 0; i < r->npairs; i++)
			pair_evidence(f, log, &r->pairs[i]);
	}
}

/* The failure at index at, and the last flights and alerts each way
 * before it. */
static void flights_evidence(struct finding *f, const struct obs_log *log,
			     size_t at)
{
	finding_evidence(f, log->v[at].seq);
	for (size_t j = at, got = 0; j-- > 0 && got < 4;) {
		const struct obs *p = &log->v[j];

		if (!strncmp(p->test, "dtls.flight", 11) ||
		    !strncmp(p->test, "dtls.recv", 9) ||
		    !strncmp(p->test, "dtls.alert", 10)) {
			finding_evidence(f, p->seq);
			got++;
		}
	}
}

static struct finding *find(struct findings *fs, const char *id)
{
	for (size_t i = 0; i < fs->nf; i++)
		if (!strcmp(fs->f[i].id, id))
			return &fs->f[i];
	return NULL;
}

/* "dtls" (or "<label>") TLS with an error, or its timeout. When the
 * webrtc analyzer (analyzers/webrtc_summary.c) already reported it, only
 * the flights it rests on are added to its finding. */
static void dtls_failed(const struct obs_log *log, struct findings *fs)
{
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];
		struct finding *f;

		if (strncmp(o->test, "dtls", 4) || strchr(o->test, '.') ||
		    !((o->kind == OBS_TLS && o->err) || o->kind == OBS_TIMEOUT))
			continue;
		f = find(fs, "dtls-failed");
		if (!f)
			f = find(fs, "dtls-mitm");
		if (f) {
			flights_evidence(f, log, i);
			continue;
		}
		f = findings_add(fs, "dtls-failed", SEV_ERROR);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title), "DTLS handshake failed%s: %.120s",
			 o->kind == OBS_TIMEOUT ? " (timed out)" : "", o->text);
		snprintf(f->detail, sizeof(f->detail), "%s (after %.1f ms)",
			 o->text, (double)o->rtt_us / 1000.0);
		snprintf(f->remedy, sizeof(f->remedy), "%s",
			 strstr(o->text, "man in the middle") ? "the certificate does not match the SDP fingerprint: check that nothing rewrites the description or the media path"
			 : strstr(o->text, "large datagrams") ? "lower the path MTU the peers use (smaller certificates, ECDSA) or fix the network dropping large UDP datagrams"
			 : strstr(o->text, "alert") ? "see the alert: version, cipher or SRTP profile mismatch, or a certificate the peer refused"
			 : "check that both sides run DTLS with opposite a=setup roles and that the path carries UDP both ways");
		flights_evidence(f, log, i);
	}
}

static void quality_finding(const struct call_quality *q, struct findings *fs)
{
	struct finding *f;
	size_t off = 0;

	if (!q->present || q->grade == VQ_UNKNOWN)
		return;
	f = findings_add(fs, "call-quality", q->grade == VQ_GOOD ? SEV_INFO :
				 q->grade == VQ_WARNING ? SEV_WARNING : SEV_ERROR);
	if (!f)
		return;
	snprintf(f->title, sizeof(f->title), "call quality %s",
		 vq_grade_name(q->grade));
	for (int d = 0; d < VQ__DIRS; d++) {
		const struct vq_dir_result *r = &q->dir[d];
		int n;

		if (!r->present)
			continue;
		n = snprintf(f->detail + off, sizeof(f->detail) - off, "%s%s",
			     off ? "; " : "", r->explain);
		if (n > 0 && (size_t)n < sizeof(f->detail) - off)
			off += (size_t)n;
		for (size_t k = 0; k < r->nevidence; k++)
			finding_evidence(f, r->evidence[k]);
	}
	if (q->grade != VQ_GOOD)
		snprintf(f->remedy, sizeof(f->remedy),
			 "high loss or delay: prefer a direct or nearer relay path, check Wi-Fi and uplink congestion, lower the bitrate");
}

static void conformance_findings(const struct conformance *c,
				 struct findings *fs)
{
	static const char *const ids[VC__ITEMS] = {
		"peer-check-pacing", "peer-check-backoff",
		"peer-consent-cadence", "peer-dtls-retransmit" };
	static const char *const what[VC__ITEMS] = {
		"paces its connectivity checks faster than Ta = 5 ms",
		"retransmits checks without backing off",
		"sends consent checks outside every 4..6 s",
		"retransmits DTLS flights without doubling its timer" };

	for (int i = 0; i < VC__ITEMS; i++) {
		const struct vc_item *it = &c->item[i];
		struct finding *f;

		if (it->status != VC_STRAYS)
			continue;
		f = findings_add(fs, ids[i], SEV_WARNING);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title), "the peer %s (%s)", what[i],
			 vc_item_rfc((enum vc_item_id)i));
		snprintf(f->detail, sizeof(f->detail), "%s", it->detail);
		snprintf(f->remedy, sizeof(f->remedy),
			 "the peer's ICE/DTLS stack strays from the RFC: report it to its vendor; it can cost bandwidth, NAT state or a dropped call");
		for (size_t k = 0; k < it->nevidence; k++)
			finding_evidence(f, it->evidence[k]);
	}
}

void verdicts_analyze(const struct obs_log *log, struct verdicts *v,
		      struct findings *fs)
{
	const struct ice_report *ice = fs->ice;

	verdict_matrix_build(log, ice, &v->matrix);
	verdict_quality_build(log, ice, &v->quality);
	verdict_conformance_build(log, ice, &v->conformance);
	fs->verdicts = v;
	if (v->matrix.present)
		ipv6_broken(&v->matrix, fs);
	if (ice && ice->present)
		ice_findings(log, ice, fs);
	dtls_failed(log, fs);
	quality_finding(&v->quality, fs);
	conformance_findings(&v->conformance, fs);
}
