/*
 * nat_classify.c - mapping, filtering and hairpinning verdicts for one
 * address family, from the observations of `natprobe nat`.
 *
 * RFC 5780 §4.3 (mapping): tests I, II, III from one socket to the primary,
 * the alternate IP with the primary port, and the alternate IP and port.
 * RFC 5780 §4.4 (filtering): change IP+port, then change port; each on a
 * fresh socket with a positive control. RFC 5780 §4.5 (hairpinning).
 * A verdict is never better than its evidence: silence without a control,
 * a reply from the wrong address or a refused CHANGE-REQUEST leaves the
 * verdict undetermined, with the reason.
 */
#include "nat_classify.h"
#include "nat_details.h"
#include "nat_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *nat_behavior_name(enum nat_behavior b)
{
	switch (b) {
	case NB_UNKNOWN: return "undetermined";
	case NB_EI: return "endpoint-independent";
	case NB_AD: return "address-dependent";
	case NB_APD: return "address-and-port-dependent";
	case NB_EI_OR_AD: return "endpoint-independent-or-address-dependent";
	case NB_DEPENDENT: return "endpoint-dependent";
	case NB_NONE: return "no";
	case NB_YES: return "yes";
	}
	return "?";
}

const char *confidence_name(enum confidence c)
{
	switch (c) {
	case CONF_NONE: return "none";
	case CONF_LOW: return "low";
	case CONF_MEDIUM: return "medium";
	case CONF_HIGH: return "high";
	}
	return "?";
}

const char *server_mode_name(enum server_mode m)
{
	switch (m) {
	case SERVER_UNKNOWN: return "unknown";
	case SERVER_FULL: return "rfc5780";
	case SERVER_PORT_ONLY: return "rfc5780-port-only";
	case SERVER_NO_5780: return "no-rfc5780";
	case SERVER_IGNORES_CHANGE: return "ignores-change-request";
	case SERVER_LIES: return "inconsistent";
	}
	return "?";
}

static void ev_add(struct nat_verdict *v, const struct test_view *t)
{
	nat_view_evidence(t, v->evidence, &v->nevidence);
	v->tries += t->tries;
}

/* Confidence in a negative answer: the chance that every try was lost by
 * chance, given the loss seen on this path. */
static enum confidence negative_confidence(double loss, unsigned tries)
{
	double p_false = pow(loss > 0.02 ? loss : 0.02, (double)tries);

	if (p_false < 0.01)
		return CONF_HIGH;
	if (p_false < 0.1)
		return CONF_MEDIUM;
	return CONF_LOW;
}

/* Per-try loss estimate: of the tries of every answered or abandoned
 * transaction, the fraction that went unanswered. */
static void estimate_loss(const struct obs_log *log, struct nat_family *nf)
{
	unsigned answered_tx = 0, tries_of_answered = 0;

	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if (nat_obs_family(o) != nf->family || o->transport != NP_UDP)
			continue;
		if (o->kind == OBS_SENT)
			nf->sent++;
		else if (o->kind == OBS_RETRANSMIT)
			nf->retransmits++;
		else if (o->kind == OBS_RESPONSE) {
			answered_tx++;
			tries_of_answered += o->attempt ? o->attempt : 1;
		}
	}
	/* Only answered transactions count: an unanswered one may be
	 * filtering, which is what we are measuring, not loss. */
	nf->loss = tries_of_answered ?
		   (double)(tries_of_answered - answered_tx) / tries_of_answered : 0;
}

static void server_check(const struct obs_log *log, struct nat_family *nf)
{
	struct test_view s, c0;
	char a[64], b[64];

	nat_view(log, nf->family, "server", &s);
	nat_view(log, nf->family, "server.change0", &c0);
	if (!s.end && !s.sent) {
		nf->udp = TRI_UNKNOWN;
		return;
	}
	if (!s.ok && !c0.ok) {
		nf->udp = TRI_NO;
		snprintf(nf->server_detail, sizeof(nf->server_detail),
			 "no answer over UDP: %s", s.end ? s.end->text : "no result");
		return;
	}
	nf->udp = TRI_YES;
	{
		const struct obs *r = s.ok ? s.end : c0.end;

		nf->rtt_us = r->rtt_us;
		nf->local = r->local;
		if (r->has & OBS_HAS_XOR_MAPPED) {
			nf->mapped = r->xor_mapped;
			nf->have_mapped = 1;
		} else if (r->has & OBS_HAS_MAPPED) {
			nf->mapped = r->mapped;
			nf->have_mapped = 1;
		}
		if (r->has & OBS_HAS_OTHER) {
			nf->other = r->other;
			nf->have_other = 1;
		}
		if (nf->have_mapped && (r->has & OBS_HAS_LOCAL))
			nf->nat = np_addr_equal(&nf->mapped, &r->local) ? TRI_NO : TRI_YES;
	}
	if (c0.error_code == 420) {
		nf->server_mode = SERVER_NO_5780;
		snprintf(nf->server_detail, sizeof(nf->server_detail),
			 "the server answered CHANGE-REQUEST with 420 (unknown attribute): RFC 5780 is switched off");
	} else if (!nf->have_other) {
		nf->server_mode = SERVER_NO_5780;
		snprintf(nf->server_detail, sizeof(nf->server_detail),
			 "the server's response has no OTHER-ADDRESS: it does not offer RFC 5780 tests");
	} else if (nf->other.ss_family != nf->family ||
		   np_addr_equal(&nf->other, &nf->primary) ||
		   np_addr_port(&nf->other) == np_addr_port(&nf->primary)) {
		nf->server_mode = SERVER_LIES;
		snprintf(nf->server_detail, sizeof(nf->server_detail),
			 "OTHER-ADDRESS %s cannot be an alternate of %s (it must differ in port, and in IP for the full test set)",
			 np_addr_str(&nf->other, a, sizeof(a)),
			 np_addr_str(&nf->primary, b, sizeof(b)));
	} else if (np_addr_ip_equal(&nf->other, &nf->primary)) {
		nf->server_mode = SERVER_PORT_ONLY;
		snprintf(nf->server_detail, sizeof(nf->server_detail),
			 "OTHER-ADDRESS %s has the same IP: one address, so only the port half of the RFC 5780 tests",
			 np_addr_str(&nf->other, a, sizeof(a)));
	} else {
		nf->server_mode = SERVER_FULL;
		snprintf(nf->server_detail, sizeof(nf->server_detail),
			 "RFC 5780 with two addresses: alternate %s",
			 np_addr_str(&nf->other, a, sizeof(a)));
	}
}

static const struct sockaddr_storage *mapped_of(const struct test_view *t)
{
	if (!t->ok)
		return NULL;
	if (t->end->has & OBS_HAS_XOR_MAPPED)
		return &t->end->xor_mapped;
	if (t->end->has & OBS_HAS_MAPPED)
		return &t->end->mapped;
	return NULL;
}

static void mapping(const struct obs_log *log, struct nat_family *nf)
{
	struct nat_verdict *v = &nf->mapping;
	struct test_view t1, t2, t3;
	const struct sockaddr_storage *m1, *m2, *m3;
	char a[64], b[64], c[64];

	nat_view(log, nf->family, "map.1", &t1);
	nat_view(log, nf->family, "map.2", &t2);
	nat_view(log, nf->family, "map.3", &t3);
	ev_add(v, &t1);
	ev_add(v, &t2);
	ev_add(v, &t3);
	m1 = mapped_of(&t1);
	m2 = mapped_of(&t2);
	m3 = mapped_of(&t3);
	if (!m1) {
		snprintf(v->reason, sizeof(v->reason),
			 "mapping test I got no answer (%u tries)", t1.tries);
		return;
	}
	if (nf->nat == TRI_NO && t1.end && (t1.end->has & OBS_HAS_LOCAL) &&
	    np_addr_equal(m1, &t1.end->local)) {
		v->value = NB_EI;
		v->confidence = CONF_HIGH;
		snprintf(v->reason, sizeof(v->reason),
			 "no NAT: the server sees our own address %s",
			 np_addr_str(m1, a, sizeof(a)));
		return;
	}
	if (nf->server_mode == SERVER_FULL) {
		if (!m2 || !m3) {
			snprintf(v->reason, sizeof(v->reason),
				 "mapping test %s got no answer from the alternate address (%u tries)",
				 !m2 ? "II" : "III", !m2 ? t2.tries : t3.tries);
			return;
		}
		v->confidence = CONF_HIGH;
		if (np_addr_equal(m1, m2)) {
			v->value = NB_EI;
			snprintf(v->reason, sizeof(v->reason),
				 "the same mapping %s toward both server addresses",
				 np_addr_str(m1, a, sizeof(a)));
		} else if (np_addr_equal(m2, m3)) {
			v->value = NB_AD;
			snprintf(v->reason, sizeof(v->reason),
				 "a new mapping per destination address (%s, then %s), the same across its ports",
				 np_addr_str(m1, a, sizeof(a)), np_addr_str(m2, b, sizeof(b)));
		} else {
			v->value = NB_APD;
			snprintf(v->reason, sizeof(v->reason),
				 "a new mapping per destination address and port: %s, %s, %s",
				 np_addr_str(m1, a, sizeof(a)), np_addr_str(m2, b, sizeof(b)),
				 np_addr_str(m3, c, sizeof(c)));
		}
		return;
	}
	if (nf->server_mode == SERVER_PORT_ONLY) {
		if (!m3) {
			snprintf(v->reason, sizeof(v->reason),
				 "the test to the server's other port got no answer (%u tries)",
				 t3.tries);
			return;
		}
		v->confidence = CONF_HIGH;
		if (np_addr_equal(m1, m3)) {
			v->value = NB_EI_OR_AD;
			snprintf(v->reason, sizeof(v->reason),
				 "the same mapping %s toward both server ports; a one-address server cannot tell endpoint-independent from address-dependent",
				 np_addr_str(m1, a, sizeof(a)));
		} else {
			v->value = NB_APD;
			snprintf(v->reason, sizeof(v->reason),
				 "a new mapping per destination port: %s, then %s",
				 np_addr_str(m1, a, sizeof(a)), np_addr_str(m3, b, sizeof(b)));
		}
		return;
	}
	/* No RFC 5780: compare what several servers saw from one socket. */
	{
		unsigned same = 0, differ = 0;

		for (int i = 1; i <= NAT_MAX_SERVERS_VIEW; i++) {
			struct test_view tm;
			char label[16];
			const struct sockaddr_storage *mm;

			snprintf(label, sizeof(label), "multi.%d", i);
			nat_view(log, nf->family, label, &tm);
			if (!tm.sent)
				break;
			ev_add(v, &tm);
			mm = mapped_of(&tm);
			if (!mm)
				continue;
			if (np_addr_equal(mm, m1))
				same++;
			else
				differ++;
		}
		if (differ) {
			v->value = NB_DEPENDENT;
			v->confidence = CONF_HIGH;
			snprintf(v->reason, sizeof(v->reason),
				 "different servers saw different mappings of one socket (%u of %u differ); telling address- from address-and-port-dependent needs an RFC 5780 server",
				 differ, same + differ);
		} else if (same) {
			v->value = NB_EI;
			v->confidence = CONF_MEDIUM;
			snprintf(v->reason, sizeof(v->reason),
				 "%u other server(s) saw the same mapping %s (servers on distinct IPs; an RFC 5780 server would also test ports)",
				 same, np_addr_str(m1, a, sizeof(a)));
		} else {
			snprintf(v->reason, sizeof(v->reason),
				 "the server has no RFC 5780 (%s) and no second server answered: give more with --server",
				 server_mode_name(nf->server_mode));
		}
	}
}

/* TCP mapping (RFC 5382 §4.1): the same comparison over connections from
 * one local port. TCP is reliable, so no answer means the connection
 * failed, not loss. */
static void tcp_mapping(const struct obs_log *log, struct nat_family *nf)
{
	struct nat_verdict *v = &nf->tcp_mapping;
	struct test_view t[3];
	const struct sockaddr_storage *m[3];
	char a[64], b[64];

	for (int i = 0; i < 3; i++) {
		char label[16];

		snprintf(label, sizeof(label), "tcpmap.%d", i + 1);
		nat_view(log, nf->family, label, &t[i]);
		ev_add(v, &t[i]);
		m[i] = mapped_of(&t[i]);
	}
	if (!t[0].sent && !t[0].end) {
		snprintf(v->reason, sizeof(v->reason),
			 nf->server_mode == SERVER_FULL || nf->server_mode == SERVER_PORT_ONLY ?
			 "not tested (--no-tcp)" :
			 "needs an RFC 5780 server listening on TCP at its alternate address");
		return;
	}
	if (!m[0] || !m[2] || (nf->server_mode == SERVER_FULL && !m[1])) {
		const struct test_view *bad = !m[0] ? &t[0] : !m[2] ? &t[2] : &t[1];

		snprintf(v->reason, sizeof(v->reason),
			 "a connection from the shared local port got no answer: %s",
			 bad->end ? bad->end->text : "no result");
		return;
	}
	v->confidence = CONF_HIGH;
	if (t[0].end && (t[0].end->has & OBS_HAS_LOCAL) &&
	    np_addr_equal(m[0], &t[0].end->local)) {
		v->value = NB_EI;
		snprintf(v->reason, sizeof(v->reason),
			 "no NAT for TCP: the server sees our own address %s",
			 np_addr_str(m[0], a, sizeof(a)));
	} else if (nf->server_mode == SERVER_FULL ? np_addr_equal(m[0], m[1]) &&
		   np_addr_equal(m[1], m[2]) : np_addr_equal(m[0], m[2])) {
		v->value = nf->server_mode == SERVER_FULL ? NB_EI : NB_EI_OR_AD;
		snprintf(v->reason, sizeof(v->reason),
			 "connections from one local port to every server address kept the mapping %s",
			 np_addr_str(m[0], a, sizeof(a)));
	} else if (nf->server_mode == SERVER_FULL && np_addr_equal(m[1], m[2])) {
		v->value = NB_AD;
		snprintf(v->reason, sizeof(v->reason),
			 "a new TCP mapping per destination address (%s, then %s)",
			 np_addr_str(m[0], a, sizeof(a)), np_addr_str(m[1], b, sizeof(b)));
	} else {
		v->value = NB_APD;
		snprintf(v->reason, sizeof(v->reason),
			 "a new TCP mapping per destination address and port (%s, then %s)",
			 np_addr_str(m[0], a, sizeof(a)), np_addr_str(m[2], b, sizeof(b)));
	}
}

/* The last round of a filtering test, with its control. */
static int filter_round(const struct obs_log *log, int fam, const char *base,
			struct test_view *chg, struct test_view *ctl)
{
	int last = 0;

	for (int r = 1; r <= 8; r++) {
		char label[48];
		struct test_view t;

		snprintf(label, sizeof(label), "%s#%d", base, r);
		nat_view(log, fam, label, &t);
		if (!t.sent)
			break;
		last = r;
		*chg = t;
		snprintf(label, sizeof(label), "%s.ctl#%d", base, r);
		nat_view(log, fam, label, ctl);
	}
	return last;
}

static void filtering(const struct obs_log *log, struct nat_family *nf)
{
	struct nat_verdict *v = &nf->filtering;
	struct test_view ipc = { 0 }, ipk = { 0 }, pc = { 0 }, pk = { 0 };
	int have_ip, have_port;
	char a[64];

	if (nf->server_mode != SERVER_FULL && nf->server_mode != SERVER_PORT_ONLY) {
		snprintf(v->reason, sizeof(v->reason),
			 "needs an RFC 5780 server: %s", nf->server_detail);
		return;
	}
	have_ip = filter_round(log, nf->family, "filter.ip_port", &ipc, &ipk);
	have_port = filter_round(log, nf->family, "filter.port", &pc, &pk);
	ev_add(v, &ipc);
	ev_add(v, &ipk);
	ev_add(v, &pc);
	ev_add(v, &pk);
	/* A reply to a change request from the primary address: the server
	 * ignores CHANGE-REQUEST, and any verdict would be a guess. */
	if ((have_ip && ipc.wrong_src && !ipc.ok) || (have_port && pc.wrong_src && !pc.ok)) {
		const struct obs *w = ipc.wrong_src ? ipc.wrong_src : pc.wrong_src;

		nf->server_mode = SERVER_IGNORES_CHANGE;
		snprintf(v->reason, sizeof(v->reason),
			 "the server answered a CHANGE-REQUEST from %s, the address asked not to answer: it ignores CHANGE-REQUEST, so filtering cannot be measured with it",
			 np_addr_str(&w->source, a, sizeof(a)));
		return;
	}
	if (ipc.error_code == 420 || pc.error_code == 420) {
		nf->server_mode = SERVER_NO_5780;
		snprintf(v->reason, sizeof(v->reason),
			 "the server refused CHANGE-REQUEST with 420: RFC 5780 is off");
		return;
	}
	if (have_ip && ipc.ok) {
		v->value = NB_EI;
		v->confidence = CONF_HIGH;
		snprintf(v->reason, sizeof(v->reason),
			 "a reply from the server's other address and port (%s) came in, though we never sent there",
			 np_addr_str(&ipc.end->source, a, sizeof(a)));
		return;
	}
	if (nf->server_mode == SERVER_FULL && !(have_ip && ipk.ok)) {
		snprintf(v->reason, sizeof(v->reason),
			 "the change-IP test got no answer and neither did its control (%u and %u tries): loss, not filtering, may explain it",
			 ipc.tries, ipk.tries);
		return;
	}
	if (!have_port) {
		snprintf(v->reason, sizeof(v->reason), "the change-port test did not run");
		return;
	}
	if (pc.ok) {
		v->value = nf->server_mode == SERVER_FULL ? NB_AD : NB_EI_OR_AD;
		v->confidence = nf->server_mode == SERVER_FULL ?
				negative_confidence(nf->loss, ipc.tries) : CONF_HIGH;
		snprintf(v->reason, sizeof(v->reason),
			 nf->server_mode == SERVER_FULL ?
			 "a reply from another port of the address we sent to came in; one from another address did not (%u tries, the control answered)" :
			 "a reply from another port of the address we sent to came in (a one-address server cannot test other addresses; %u)",
			 ipc.tries);
		return;
	}
	if (!pk.ok) {
		snprintf(v->reason, sizeof(v->reason),
			 "the change-port test got no answer and neither did its control (%u and %u tries)",
			 pc.tries, pk.tries);
		return;
	}
	v->value = NB_APD;
	v->confidence = negative_confidence(nf->loss, pc.tries);
	snprintf(v->reason, sizeof(v->reason),
		 "only replies from the exact address and port we sent to came in: other port %u tries, other address %u tries unanswered while the controls answered",
		 pc.tries, ipc.tries);
}

static int tid_in(const struct obs *o, const struct test_view *t)
{
	return t->sent && memcmp(o->tid, t->sent->tid, sizeof(o->tid)) == 0;
}

static void hairpinning(const struct obs_log *log, struct nat_family *nf)
{
	struct nat_verdict *v = &nf->hairpinning;
	struct test_view mb, a2b, b2a;

	nat_view(log, nf->family, "hairpin.map.b", &mb);
	nat_view(log, nf->family, "hairpin.a2b", &a2b);
	nat_view(log, nf->family, "hairpin.b2a", &b2a);
	if (!mb.sent) {
		snprintf(v->reason, sizeof(v->reason), "not tested (--no-hairpin)");
		return;
	}
	ev_add(v, &mb);
	if (!a2b.sent && !b2a.sent) {
		snprintf(v->reason, sizeof(v->reason),
			 "the second socket got no mapping (%u tries)", mb.tries);
		return;
	}
	ev_add(v, &a2b);
	ev_add(v, &b2a);
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if (o->kind == OBS_UNMATCHED && o->cls == 0 /* request */ &&
		    (tid_in(o, &a2b) || tid_in(o, &b2a))) {
			char a[64];

			v->value = NB_YES;
			v->confidence = CONF_HIGH;
			if (v->nevidence < FINDING_MAX_EVIDENCE)
				v->evidence[v->nevidence++] = o->seq;
			snprintf(v->reason, sizeof(v->reason),
				 "a probe sent to our own public address came back to us from %s",
				 np_addr_str(&o->source, a, sizeof(a)));
			return;
		}
	}
	v->value = NB_NONE;
	v->confidence = negative_confidence(nf->loss, a2b.tries + b2a.tries);
	snprintf(v->reason, sizeof(v->reason),
		 "probes between two of our own public mappings never arrived (%u tries each way) while the server answered both sockets",
		 a2b.tries);
}

static void classify_family(const struct obs_log *log, struct nat_family *nf)
{
	nf->udp = nf->tcp = nf->tls = nf->tls443 = nf->nat = TRI_UNKNOWN;
	nf->port_preserved = nf->parity_preserved = nf->alg = TRI_UNKNOWN;
	nf->double_nat = TRI_UNKNOWN;
	server_check(log, nf);
	estimate_loss(log, nf);
	nat_tcp_tls(log, nf);
	if (nf->udp != TRI_YES) {
		snprintf(nf->mapping.reason, sizeof(nf->mapping.reason),
			 "UDP does not reach the server");
		snprintf(nf->filtering.reason, sizeof(nf->filtering.reason),
			 "UDP does not reach the server");
		snprintf(nf->hairpinning.reason, sizeof(nf->hairpinning.reason),
			 "UDP does not reach the server");
		return;
	}
	mapping(log, nf);
	filtering(log, nf);
	hairpinning(log, nf);
	tcp_mapping(log, nf);
	nat_ports(log, nf);
	nat_sizes(log, nf);
	nat_hops(log, nf);
	nat_lifetime(log, nf);
}

void nat_classify(const struct obs_log *log, struct nat_report *nr,
		  struct findings *fs)
{
	memset(nr, 0, sizeof(*nr));
	memset(fs, 0, sizeof(*fs));
	fs->command = "nat";
	fs->start_wall_us = log->start_wall_us;
	fs->nat = nr;
	nr->fam[0].family = AF_INET;
	nr->fam[1].family = AF_INET6;
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if (o->kind == OBS_NOTE && strcmp(o->test, "family") == 0) {
			int fi = strcmp(o->text, "ipv6") == 0;

			nr->fam[fi].tested = 1;
			snprintf(nr->fam[fi].server, sizeof(nr->fam[fi].server),
				 "%s", o->server);
			nr->fam[fi].primary = o->remote;
		}
	}
	for (int fi = 0; fi < 2; fi++)
		if (nr->fam[fi].tested)
			classify_family(log, &nr->fam[fi]);
	nat_findings(log, nr, fs);
}
