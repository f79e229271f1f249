/*
 * policy.c - the CI policy (see policy.h): --require LIST and --max-rtt
 * evaluated over what the analyzers concluded, never over raw
 * observations, so the policy and the reports cannot disagree.
 */
#include "policy.h"
#include "ice_summary.h"
#include "nat_classify.h"
#include "webrtc_summary.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const check_names[POLICY__COUNT] = {
	"udp", "tcp", "tls", "tls443", "eim", "eif", "hairpin", "ipv4", "ipv6",
	"nonat", "srflx", "relay", "p2p", "pair", "dtls", "srtp", "data", "loss", "rtt",
};

/* What would make each check pass, for its failure finding. */
static const char *const remedies[POLICY__COUNT] = {
	"Allow outbound UDP to the STUN/TURN server (port 3478 and the relay range), or plan for TURN over TCP/TLS on port 443.",
	"Allow outbound TCP to the server's port, or use TURN over TLS on port 443.",
	"Allow outbound TLS to the server (port 5349 or 443) and give it a certificate clients trust.",
	"Allow outbound TLS on port 443 to the TURN server: it is the last path through a strict firewall.",
	"Configure the NAT for endpoint-independent mapping (RFC 4787 REQ-1, e.g. nftables masquerade with persistent ports); otherwise direct paths fail and calls relay through TURN.",
	"Configure the NAT for endpoint-independent filtering (RFC 4787 REQ-8) so peers can reach the mapped address; otherwise more calls relay through TURN.",
	"Enable hairpinning (NAT loopback, RFC 4787 REQ-9) so hosts behind the same NAT reach each other's mapped addresses.",
	"Give an IPv4 STUN server and check that the host has an IPv4 address and route that let UDP out.",
	"Give an IPv6 STUN server and check that the host has an IPv6 address and route that let UDP out.",
	"The host is behind a NAT: give it a public address if the policy needs one.",
	"Let UDP reach the STUN server (port 3478) so the host learns its public address.",
	"Fix the TURN server or its credentials (see the turn-* findings); without a relay, calls behind strict NATs fail.",
	"Direct paths failed: make the NAT endpoint-independent (RFC 4787) or open UDP; until then calls relay through TURN.",
	"No path at all to the peer: add a TURN server reachable over TCP/TLS 443.",
	"The DTLS handshake failed: see the dtls findings (large datagrams dropped, certificate mismatch).",
	"SRTP packets were not authenticated both ways: check the keying (DTLS-SRTP profile) and that media is not blocked after the handshake.",
	"The data channel did not open: SCTP over DTLS was blocked or refused by the peer.",
	"Media lost more than the policy allows: look for congestion, Wi-Fi trouble or a policer on the path; a relay closer to either side may help.",
	"The path is slower than the policy allows: pick a closer server, or look for congestion or bufferbloat on the way.",
};

const char *policy_check_name(enum policy_check c)
{
	return (unsigned)c < POLICY__COUNT ? check_names[c] : "?";
}

#define ICE_CHECKS ((1u << POLICY_SRFLX) | (1u << POLICY_RELAY) | \
		    (1u << POLICY_P2P) | (1u << POLICY_PAIR) | (1u << POLICY_DTLS) | \
		    (1u << POLICY_SRTP) | (1u << POLICY_DATA) | (1u << POLICY_LOSS))

static unsigned allowed(const char *command)
{
	unsigned all = (1u << POLICY__COUNT) - 1;

	if (command && strcmp(command, "diagnose") == 0)
		return all;
	if (command && strcmp(command, "ice") == 0)
		return ICE_CHECKS;
	if (command && strcmp(command, "nat") == 0)
		return all & ~ICE_CHECKS;
	return (1u << POLICY_UDP) | (1u << POLICY_TCP) | (1u << POLICY_TLS) |
	       (1u << POLICY_IPV4) | (1u << POLICY_IPV6) | (1u << POLICY_RTT);
}

const char *policy_valid_checks(const char *command)
{
	if (command && strcmp(command, "diagnose") == 0)
		return "udp, tcp, tls, tls443, eim, eif, hairpin, ipv4, ipv6, nonat, srflx, relay, p2p, pair, dtls, srtp, data";
	if (command && strcmp(command, "ice") == 0)
		return "srflx, relay, p2p, pair, dtls, srtp, data";
	if (command && strcmp(command, "nat") == 0)
		return "udp, tcp, tls, tls443, eim, eif, hairpin, ipv4, ipv6, nonat";
	return "udp, tcp, tls, ipv4, ipv6";
}

int policy_parse(const char *list, const char *command, struct policy *p,
		 char *why, size_t len)
{
	const char *s = list;

	p->require_given = 1;
	for (;;) {
		size_t n = strcspn(s, ",");
		int found = -1;

		/* "rtt" comes from --max-rtt, which carries its limit. */
		/* "loss" and "rtt" come from --max-loss and --max-rtt, which
		 * carry their limits. */
		for (int c = 0; c < POLICY_LOSS; c++)
			if (strlen(check_names[c]) == n && strncmp(s, check_names[c], n) == 0 &&
			    (allowed(command) & (1u << c)))
				found = c;
		if (found < 0) {
			snprintf(why, len, "unknown check \"%.*s\" for %s (valid: %s)",
				 (int)(n > 32 ? 32 : n), s, command ? command : "?",
				 policy_valid_checks(command));
			return -EINVAL;
		}
		p->required |= 1u << found;
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

static const char *family_name(int fam)
{
	return fam == AF_INET ? "IPv4" : fam == AF_INET6 ? "IPv6" : "";
}

static struct policy_result *add_result(struct findings *fs, enum policy_check c,
					int fam)
{
	struct policy_result *r;

	if (fs->npolicy >= POLICY_RESULTS_MAX)
		return NULL;
	r = &fs->policy[fs->npolicy++];
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", check_names[c]);
	r->family = fam;
	r->finding = -1;
	return r;
}

static const char *tri_value(enum tristate t, const char *yes, const char *no)
{
	return t == TRI_YES ? yes : t == TRI_NO ? no : "not tested";
}

/* One check on one tested family of a nat run. */
static void nat_check(const struct policy *p, enum policy_check c,
		      const struct nat_family *nf, struct policy_result *r)
{
	const struct nat_verdict *v = NULL;
	enum nat_behavior want = NB_EI;
	enum tristate t = TRI_UNKNOWN;
	const char *detail = "";

	switch (c) {
	case POLICY_UDP: case POLICY_IPV4: case POLICY_IPV6:
		r->passed = nf->udp == TRI_YES;
		snprintf(r->value, sizeof(r->value), "%s",
			 tri_value(nf->udp, "ok", "blocked"));
		snprintf(r->reason, sizeof(r->reason), r->passed ?
			 "STUN over UDP to %s answered" :
			 "STUN over UDP to %s got no answer", nf->server);
		return;
	case POLICY_TCP: t = nf->tcp; detail = nf->tcp_detail; break;
	case POLICY_TLS: t = nf->tls; detail = nf->tls_detail; break;
	case POLICY_TLS443: t = nf->tls443; detail = nf->tls_detail; break;
	case POLICY_NONAT:
		r->passed = nf->nat == TRI_NO;
		snprintf(r->value, sizeof(r->value), "%s",
			 tri_value(nf->nat, "nat", "no-nat"));
		snprintf(r->reason, sizeof(r->reason), "%s", nf->nat == TRI_NO ?
			 "the mapped address is the local address" :
			 nf->nat == TRI_YES ? "the mapped address differs from the local address" :
			 "no mapped address was learned");
		return;
	case POLICY_SRFLX: case POLICY_RELAY: case POLICY_P2P: case POLICY_PAIR:
	case POLICY_DTLS: case POLICY_SRTP: case POLICY_DATA: case POLICY_LOSS:
		return;   /* ice_policy's */
	case POLICY_RTT:
		r->passed = nf->udp == TRI_YES && nf->rtt_us <= p->max_rtt_us;
		if (nf->udp == TRI_YES)
			snprintf(r->value, sizeof(r->value), "%.2f ms", nf->rtt_us / 1000.0);
		else
			snprintf(r->value, sizeof(r->value), "none");
		if (nf->udp == TRI_YES)
			snprintf(r->reason, sizeof(r->reason),
				 "RTT to %s is %.2f ms, the limit %.2f ms", nf->server,
				 nf->rtt_us / 1000.0, p->max_rtt_us / 1000.0);
		else
			snprintf(r->reason, sizeof(r->reason),
				 "no RTT to %s: UDP got no answer (limit %.2f ms)",
				 nf->server, p->max_rtt_us / 1000.0);
		return;
	case POLICY_EIM: v = &nf->mapping; break;
	case POLICY_EIF: v = &nf->filtering; break;
	case POLICY_HAIRPIN: v = &nf->hairpinning; want = NB_YES; break;
	case POLICY__COUNT: return;
	}
	if (v) {
		r->passed = nf->udp == TRI_YES && v->value == want;
		snprintf(r->value, sizeof(r->value), "%s", nf->udp == TRI_YES ?
			 nat_behavior_name(v->value) : "not tested");
		snprintf(r->reason, sizeof(r->reason), "%s", nf->udp == TRI_YES ?
			 v->reason : "UDP does not reach the server, so the NAT was not examined");
		return;
	}
	r->passed = t == TRI_YES;
	snprintf(r->value, sizeof(r->value), "%s", tri_value(t, "ok", "failed"));
	snprintf(r->reason, sizeof(r->reason), "%s", detail[0] ? detail :
		 t == TRI_UNKNOWN ? "not tested in this run" : tri_value(t, "works", "failed"));
}

static void nat_policy(const struct policy *p, unsigned req, struct findings *fs)
{
	const struct nat_report *nr = fs->nat;

	for (int c = 0; c < POLICY__COUNT; c++) {
		if (!(req & (1u << c)))
			continue;
		for (int fi = 0; fi < 2; fi++) {
			const struct nat_family *nf = &nr->fam[fi];
			int fam = fi ? AF_INET6 : AF_INET;
			struct policy_result *r;

			/* ipv4/ipv6 concern their own family, tested or not. */
			if ((c == POLICY_IPV4 && fi) || (c == POLICY_IPV6 && !fi))
				continue;
			if (!nf->tested && c != POLICY_IPV4 && c != POLICY_IPV6)
				continue;
			r = add_result(fs, (enum policy_check)c, fam);
			if (!r)
				return;
			if (nf->tested) {
				nat_check(p, (enum policy_check)c, nf, r);
			} else {
				snprintf(r->value, sizeof(r->value), "not tested");
				snprintf(r->reason, sizeof(r->reason),
					 "no %s server address was tested", family_name(fam));
			}
		}
	}
}

/* stun: a check passes when one leg of its transport or family worked;
 * rtt when every leg that worked is within the limit. */
static void stun_policy(const struct policy *p, unsigned req, struct findings *fs)
{
	for (int c = 0; c < POLICY__COUNT; c++) {
		unsigned legs = 0, ok = 0, slow = 0;
		const struct stun_result *worst = NULL;
		struct policy_result *r;

		if (!(req & (1u << c)))
			continue;
		for (size_t i = 0; i < fs->nstun; i++) {
			const struct stun_result *s = &fs->stun[i];
			int match = c == POLICY_UDP ? s->transport == NP_UDP :
				    c == POLICY_TCP ? s->transport == NP_TCP :
				    c == POLICY_TLS ? s->transport == NP_TLS :
				    c == POLICY_IPV4 ? s->family == AF_INET :
				    c == POLICY_IPV6 ? s->family == AF_INET6 : 1;

			if (!match)
				continue;
			legs++;
			if (s->status != LEG_OK)
				continue;
			ok++;
			if (c == POLICY_RTT && s->samples &&
			    (!worst || s->rtt_median_us > worst->rtt_median_us))
				worst = s;
			if (c == POLICY_RTT && s->samples && s->rtt_median_us > p->max_rtt_us)
				slow++;
		}
		r = add_result(fs, (enum policy_check)c, 0);
		if (!r)
			return;
		if (c == POLICY_RTT) {
			r->passed = worst && slow == 0;
			snprintf(r->value, sizeof(r->value), "%.2f ms",
				 worst ? worst->rtt_median_us / 1000.0 : 0.0);
			if (worst)
				snprintf(r->reason, sizeof(r->reason),
					 "%u of %u answering legs above %.2f ms; slowest median %.2f ms (%s over %s)",
					 slow, ok, p->max_rtt_us / 1000.0,
					 worst->rtt_median_us / 1000.0, worst->server,
					 np_transport_name(worst->transport));
			else
				snprintf(r->reason, sizeof(r->reason),
					 "no leg answered, so there is no RTT to hold to %.2f ms",
					 p->max_rtt_us / 1000.0);
			continue;
		}
		r->passed = ok > 0;
		snprintf(r->value, sizeof(r->value), "%u/%u legs ok", ok, legs);
		if (legs == 0)
			snprintf(r->reason, sizeof(r->reason), "no server was given %s",
				 c == POLICY_IPV4 ? "with an IPv4 address" :
				 c == POLICY_IPV6 ? "with an IPv6 address" :
				 c == POLICY_UDP ? "over UDP (stun:HOST)" : c == POLICY_TCP ?
				 "over TCP (stun:HOST?transport=tcp)" : "over TLS (stuns:HOST)");
		else
			snprintf(r->reason, sizeof(r->reason), "%u of %u legs answered", ok, legs);
	}
}

/* ICE and WebRTC checks, from the ICE and DTLS summaries. */
static void ice_policy(unsigned req, double max_loss, struct findings *fs)
{
	const struct ice_report *ir = fs->ice;
	const struct webrtc_report *wr = fs->webrtc;

	for (int c = POLICY_SRFLX; c <= POLICY_LOSS; c++) {
		struct policy_result *r;
		size_t n = 0;

		if (!(req & (1u << c)) || !(r = add_result(fs, (enum policy_check)c, 0)))
			continue;
		switch ((enum policy_check)c) {
		case POLICY_SRFLX:
		case POLICY_RELAY:
			for (size_t i = 0; ir && i < ir->ncands; i++)
				n += !ir->cands[i].remote &&
				     ir->cands[i].c.type == (c == POLICY_SRFLX ? ICE_SRFLX : ICE_RELAY);
			r->passed = n > 0;
			snprintf(r->value, sizeof(r->value), "%zu candidate(s)", n);
			snprintf(r->reason, sizeof(r->reason), "%zu local %s candidate(s) gathered",
				 n, c == POLICY_SRFLX ? "server-reflexive" : "relayed");
			break;
		case POLICY_P2P:
		case POLICY_PAIR: {
			int relay = ir && (!strcmp(ir->sel_ltype, "relay") ||
					   !strcmp(ir->sel_rtype, "relay"));

			r->passed = ir && ir->selected_ok && (c == POLICY_PAIR || !relay);
			snprintf(r->value, sizeof(r->value), "%s",
				 !ir || !ir->selected_ok ? "none" : relay ? "relayed" : "direct");
			snprintf(r->reason, sizeof(r->reason), "selected pair: %s",
				 !ir || !ir->selected_ok ? "none" : relay ? "relayed through TURN" : "direct");
			break;
		}
		case POLICY_DTLS:
			r->passed = wr && wr->connected;
			snprintf(r->value, sizeof(r->value), "%s",
				 !wr ? "not run" : wr->connected ? "connected" : wr->failed ? "failed" : "not done");
			if (wr && wr->failed)
				snprintf(r->reason, sizeof(r->reason), "%s", wr->reason);
			else
				memcpy(r->reason, r->value, sizeof(r->value));
			break;
		case POLICY_SRTP:
			r->passed = wr && wr->media && wr->m_auth_ok > 0 && wr->m_auth_fail == 0 &&
				    (wr->m_echo_back > 0 || wr->m_received > 0);
			snprintf(r->value, sizeof(r->value), "%u ok, %u failed",
				 wr ? wr->m_auth_ok : 0, wr ? wr->m_auth_fail : 0);
			snprintf(r->reason, sizeof(r->reason),
				 "SRTP packets authenticated: %u ok, %u failed",
				 wr ? wr->m_auth_ok : 0, wr ? wr->m_auth_fail : 0);
			break;
		case POLICY_DATA:
			r->passed = wr && wr->dc_opened;
			snprintf(r->value, sizeof(r->value), "%s", wr && wr->dc_opened ? "open" : "not open");
			snprintf(r->reason, sizeof(r->reason), "data channel %s",
				 wr && wr->dc_opened ? "open" : "not open");
			break;
		case POLICY_LOSS: {
			double loss = 0;

			if (wr && wr->media)
				loss = wr->m_loss_pct > wr->m_peer_loss_pct ? wr->m_loss_pct
									    : wr->m_peer_loss_pct;
			r->passed = wr && wr->media && loss <= max_loss;
			if (wr && wr->media)
				snprintf(r->value, sizeof(r->value), "%.1f %%", loss);
			else
				snprintf(r->value, sizeof(r->value), "no media");
			snprintf(r->reason, sizeof(r->reason),
				 wr && wr->media ? "media loss %.1f %% (received %.1f %%, the peer reports %.1f %%), the limit %.1f %%"
						 : "no media was measured (limit %.1f %%)",
				 wr && wr->media ? loss : max_loss,
				 wr ? wr->m_loss_pct : 0.0, wr ? wr->m_peer_loss_pct : 0.0, max_loss);
			break;
		}
		default:
			break;
		}
	}
}

void policy_apply(const struct policy *p, struct findings *fs)
{
	unsigned req = p->required;
	int failed = 0, is_nat = fs->nat != NULL;

	fs->npolicy = 0;
	fs->policy_explicit = req != 0;
	if (req == 0 && !is_nat)
		return;
	if (req == 0)
		req = 1u << POLICY_UDP;
	if (req & ICE_CHECKS)
		ice_policy(req & ICE_CHECKS, p->max_loss_pct, fs);
	req &= ~ICE_CHECKS;
	if (req && is_nat)
		nat_policy(p, req, fs);
	else if (req)
		stun_policy(p, req, fs);
	if (!fs->policy_explicit)
		return;
	for (size_t i = 0; i < fs->npolicy; i++) {
		struct policy_result *r = &fs->policy[i];
		enum policy_check c = POLICY_UDP;
		char id[48];
		struct finding *f;

		if (r->passed)
			continue;
		failed = 1;
		for (int k = 0; k < POLICY__COUNT; k++)
			if (strcmp(r->check, check_names[k]) == 0)
				c = (enum policy_check)k;
		snprintf(id, sizeof(id), "policy-%s", r->check);
		f = findings_add(fs, id, SEV_ERROR);
		if (!f)
			continue;
		r->finding = (int)(f - fs->f);
		snprintf(f->title, sizeof(f->title), "required check %s failed%s%s: %s",
			 r->check, r->family ? " on " : "", family_name(r->family), r->value);
		snprintf(f->detail, sizeof(f->detail), "%s", r->reason);
		snprintf(f->remedy, sizeof(f->remedy), "%s", remedies[c]);
	}
	if (p->require_given)
		fs->exit_code = failed;
	else if (failed)
		fs->exit_code = 1;
}
