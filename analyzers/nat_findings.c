/*
 * nat_findings.c - from NAT verdicts to words: the RFC 3489 name beside
 * the RFC 4787 terms, what it means for real-time traffic, and findings
 * with remedies.
 */
#include "nat_details.h"
#include "nat_view.h"

#include <stdio.h>
#include <string.h>

static void names(struct nat_family *nf)
{
	enum nat_behavior m = nf->mapping.value, f = nf->filtering.value;
	const char *n = "Undetermined", *meaning;

	if (nf->udp == TRI_NO) {
		n = "UDP Blocked";
		meaning = nf->tcp == TRI_YES || nf->tls == TRI_YES || nf->tls443 == TRI_YES ?
			"UDP does not get through: calls can only use TURN over TCP or TLS (a relay), with higher latency." :
			"Neither UDP nor TCP reach the server: no real-time traffic will get through from here.";
	} else if (nf->nat == TRI_NO) {
		n = f == NB_EI ? "Open Internet" :
		    f == NB_UNKNOWN || f == NB_EI_OR_AD ? "No NAT" :
		    "Symmetric UDP Firewall";
		meaning = f == NB_EI ?
			"No NAT and no inbound filtering: direct connections work both ways." :
			f == NB_UNKNOWN || f == NB_EI_OR_AD ?
			"No NAT: our address is public; inbound filtering was not fully determined." :
			"No NAT, but a stateful firewall admits only replies: direct paths work when this side sends first (ICE does); peers cannot reach us unsolicited.";
	} else if (m == NB_APD || m == NB_AD || m == NB_DEPENDENT) {
		n = "Symmetric";
		meaning = "Each destination gets its own mapping: direct paths fail against symmetric or port-restricted peers; TURN is needed for those calls.";
	} else if (m == NB_EI || m == NB_EI_OR_AD) {
		if (f == NB_EI)
			n = "Full Cone";
		else if (f == NB_AD)
			n = "Restricted Cone";
		else if (f == NB_APD)
			n = "Port Restricted Cone";
		else if (f == NB_EI_OR_AD)
			n = "Full or Restricted Cone";
		meaning = f == NB_EI ?
			"One mapping for all destinations and no inbound filtering: direct paths work with almost any peer." :
			"One mapping for all destinations: direct paths work with ICE against most peers (both sides send checks); a symmetric peer needs TURN.";
	} else {
		meaning = "The NAT's behaviour could not be determined; see the reasons.";
	}
	snprintf(nf->rfc3489_name, sizeof(nf->rfc3489_name), "%s", n);
	snprintf(nf->meaning, sizeof(nf->meaning), "%s", meaning);
}

static void copy_ev(struct finding *f, const struct nat_verdict *v)
{
	for (size_t i = 0; i < v->nevidence; i++)
		finding_evidence(f, v->evidence[i]);
}

static void family_findings(const struct obs_log *log, struct nat_family *nf,
			    struct findings *fs)
{
	const char *fam = nf->family == AF_INET6 ? "IPv6" : "IPv4";
	struct finding *f;
	struct test_view sv;

	nat_view(log, nf->family, "server", &sv);
	if (nf->udp == TRI_NO) {
		int other = nf->tcp == TRI_YES || nf->tls == TRI_YES ||
			    nf->tls443 == TRI_YES;

		f = findings_add(fs, other ? "udp-blocked" : "server-unreachable", SEV_ERROR);
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title), other ?
			 "%s: UDP to %s is blocked; %s" :
			 "%s: %s does not answer over UDP%s",
			 fam, nf->server,
			 other ? (nf->tcp == TRI_YES && nf->tls == TRI_YES ? "STUN over TCP and TLS works" :
				  nf->tcp == TRI_YES ? "STUN over TCP works" :
				  nf->tls == TRI_YES ? "STUN over TLS works" :
				  "only STUN over TLS on port 443 works") :
			 (nf->tcp == TRI_NO ? ", TCP or TLS" : ""));
		snprintf(f->detail, sizeof(f->detail), "%s%s%s%s%s", nf->server_detail,
			 nf->tcp_detail[0] ? "; TCP: " : "", nf->tcp_detail,
			 nf->tls_detail[0] ? "; TLS: " : "", nf->tls_detail);
		snprintf(f->remedy, sizeof(f->remedy), other ?
			 "Allow outbound UDP (at least to your TURN/STUN servers and ports 3478, 49152-65535), or configure TURN over TCP/TLS on 443 so calls can relay." :
			 "Check the server address and that it runs; check outbound firewall rules.");
		nat_view_evidence(&sv, f->evidence, &f->nevidence);
		return;
	}
	if (nf->udp != TRI_YES)
		return;
	if (nf->mapping.value == NB_APD || nf->mapping.value == NB_AD ||
	    nf->mapping.value == NB_DEPENDENT) {
		f = findings_add(fs, "symmetric-nat", SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s: symmetric NAT (%s mapping)", fam,
				 nat_behavior_name(nf->mapping.value));
			snprintf(f->detail, sizeof(f->detail), "%s", nf->mapping.reason);
			snprintf(f->remedy, sizeof(f->remedy),
				 "Provide a TURN server; or make the NAT endpoint-independent (RFC 4787 REQ-1), e.g. disable randomised source ports / enable full-cone NAT for UDP.");
			copy_ev(f, &nf->mapping);
		}
	}
	if (nf->server_mode == SERVER_NO_5780 || nf->server_mode == SERVER_IGNORES_CHANGE ||
	    nf->server_mode == SERVER_LIES || nf->server_mode == SERVER_PORT_ONLY) {
		f = findings_add(fs, nf->server_mode == SERVER_LIES ? "server-inconsistent" :
			nf->server_mode == SERVER_IGNORES_CHANGE ? "server-ignores-change" :
			nf->server_mode == SERVER_PORT_ONLY ? "server-one-address" :
			"server-no-rfc5780", nf->server_mode == SERVER_PORT_ONLY ?
			SEV_INFO : SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s: %s cannot run every RFC 5780 test", fam, nf->server);
			snprintf(f->detail, sizeof(f->detail), "%s%s%s", nf->server_detail,
				 nf->filtering.value == NB_UNKNOWN ? "; filtering: " : "",
				 nf->filtering.value == NB_UNKNOWN ? nf->filtering.reason : "");
			snprintf(f->remedy, sizeof(f->remedy),
				 "Use a server with RFC 5780 on two addresses (coturn with two -L and RFC 5780 on, or natprobe serve --listen A --listen B), or add servers with --server for the mapping test.");
			copy_ev(f, &nf->filtering);
		}
	}
	if (nf->hairpinning.value == NB_NONE) {
		f = findings_add(fs, "no-hairpinning", SEV_INFO);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s: the NAT does not hairpin", fam);
			snprintf(f->detail, sizeof(f->detail), "%s", nf->hairpinning.reason);
			snprintf(f->remedy, sizeof(f->remedy),
				 "Two devices behind this NAT reach each other only by host candidates or through TURN; enable NAT loopback/hairpinning (RFC 4787 REQ-9) if they are on different subnets.");
			copy_ev(f, &nf->hairpinning);
		}
	}
	if (nf->alg == TRI_YES) {
		f = findings_add(fs, "alg-rewrite", SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s: a middlebox rewrites addresses inside STUN (ALG)", fam);
			snprintf(f->detail, sizeof(f->detail),
				 "MAPPED-ADDRESS disagreed with XOR-MAPPED-ADDRESS");
			snprintf(f->remedy, sizeof(f->remedy),
				 "Disable the SIP/STUN application-level gateway on the router.");
		}
	}
	if ((nf->fail_out && nf->fail_out <= 1500) || (nf->fail_in && nf->fail_in <= 1500)) {
		f = findings_add(fs, "large-datagrams-dropped", SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s: UDP datagrams above %u bytes are dropped", fam,
				 nf->fail_out ? nf->max_out : nf->max_in);
			snprintf(f->detail, sizeof(f->detail),
				 "outbound: largest passed %u, smallest lost %u; inbound: largest passed %u, smallest lost %u (IP datagram bytes)",
				 nf->max_out, nf->fail_out, nf->max_in, nf->fail_in);
			snprintf(f->remedy, sizeof(f->remedy),
				 "DTLS handshakes with large certificate flights will stall: keep certificates small (ECDSA), let DTLS fragment to this MTU, or fix the path MTU / tunnel.");
		}
	}
	if (nf->lifetime_tested == 1 && nf->lifetime_high_s && nf->lifetime_high_s < 60) {
		f = findings_add(fs, "short-binding-lifetime", SEV_WARNING);
		if (f) {
			unsigned keep = nf->lifetime_low_s > 1 ? nf->lifetime_low_s / 2 : 1;

			snprintf(f->title, sizeof(f->title),
				 "%s: idle UDP bindings expire after %u-%u s", fam,
				 nf->lifetime_low_s, nf->lifetime_high_s);
			snprintf(f->detail, sizeof(f->detail),
				 "an inbound probe still arrived after %u s idle, not after %u s",
				 nf->lifetime_low_s, nf->lifetime_high_s);
			snprintf(f->remedy, sizeof(f->remedy),
				 "Send keepalives at least every %u s (ICE consent checks every 5 s suffice if %u >= 5), or raise the NAT's UDP timeout.",
				 keep, keep);
		}
	}
	if (nf->double_nat == TRI_YES) {
		f = findings_add(fs, "double-nat", SEV_WARNING);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "%s: more than one NAT on the path (carrier-grade or double NAT)", fam);
			snprintf(f->detail, sizeof(f->detail), "%s", nf->double_nat_detail);
			snprintf(f->remedy, sizeof(f->remedy),
				 "Port mapping on the home router (UPnP/PCP) will not open the outer NAT; rely on ICE with TURN, or ask the provider for a public address or IPv6.");
		}
	}
	if (nf->family == AF_INET6 && nf->nat == TRI_NO &&
	    (nf->filtering.value == NB_APD || nf->filtering.value == NB_AD)) {
		f = findings_add(fs, "ipv6-firewall", SEV_INFO);
		if (f) {
			snprintf(f->title, sizeof(f->title),
				 "IPv6: no NAT, but a stateful firewall filters %s",
				 nat_behavior_name(nf->filtering.value));
			snprintf(f->detail, sizeof(f->detail), "%s", nf->filtering.reason);
			snprintf(f->remedy, sizeof(f->remedy),
				 "Direct IPv6 paths need both sides to send (ICE does); unsolicited inbound IPv6 is filtered.");
			copy_ev(f, &nf->filtering);
		}
	}
}

void nat_findings(const struct obs_log *log, struct nat_report *nr,
		  struct findings *fs)
{
	int any_udp = 0, any_tested = 0;

	for (int fi = 0; fi < 2; fi++) {
		struct nat_family *nf = &nr->fam[fi];

		if (!nf->tested)
			continue;
		any_tested = 1;
		names(nf);
		family_findings(log, nf, fs);
		if (nf->udp == TRI_YES)
			any_udp = 1;
	}
	if (!any_tested) {
		struct finding *f = findings_add(fs, "no-server", SEV_ERROR);

		if (f) {
			snprintf(f->title, sizeof(f->title), "no server could be used");
			for (size_t i = 0; i < log->n; i++)
				if (log->v[i].kind == OBS_ERROR) {
					snprintf(f->detail, sizeof(f->detail), "%s",
						 log->v[i].text);
					finding_evidence(f, log->v[i].seq);
				}
		}
	}
	/* The run's check is "UDP reaches a server and the NAT could be
	 * examined"; a blocked or unreachable path fails it. */
	fs->exit_code = any_udp ? 0 : 1;
}
