/*
 * report_nat.c - the NAT behaviour report in text and JSON.
 *
 * JSON: top-level "mapping", "filtering", "hairpinning" (RFC 4787 words,
 * of IPv4 when it was tested, else IPv6) so scripts read the verdict
 * plainly, and "nat": {"ipv4": {...}, "ipv6": {...}} with every verdict's
 * confidence, tries, reason and evidence (observation seq numbers).
 */
#include "report_nat.h"
#include "nat_classify.h"
#include "report.h"

#include <string.h>

static json_t *tri_json(enum tristate t)
{
	return t == TRI_UNKNOWN ? json_null() : json_boolean(t == TRI_YES);
}

static json_t *addr_json(const struct sockaddr_storage *ss, int have)
{
	char b[64];

	return have && ss->ss_family ? json_string(np_addr_str(ss, b, sizeof(b))) :
	       json_null();
}

static json_t *verdict_json(const struct nat_verdict *v)
{
	json_t *j = json_object(), *ev = json_array();

	json_object_set_new(j, "value", json_string(nat_behavior_name(v->value)));
	json_object_set_new(j, "confidence", json_string(confidence_name(v->confidence)));
	json_object_set_new(j, "tries", json_integer(v->tries));
	json_object_set_new(j, "reason", json_string(v->reason));
	for (size_t i = 0; i < v->nevidence; i++)
		json_array_append_new(ev, json_integer((json_int_t)v->evidence[i]));
	json_object_set_new(j, "evidence", ev);
	return j;
}

static json_t *uint_or_null(unsigned v)
{
	return v ? json_integer(v) : json_null();
}

static json_t *family_json(const struct nat_family *nf)
{
	json_t *j = json_object(), *pa = json_object(), *sz = json_object(),
	       *lt = json_object(), *dn = json_object();

	json_object_set_new(j, "server", json_string(nf->server));
	json_object_set_new(j, "udp", nf->udp == TRI_YES ? json_string("ok") :
			    nf->udp == TRI_NO ? json_string("blocked") : json_null());
	json_object_set_new(j, "tcp", tri_json(nf->tcp));
	json_object_set_new(j, "tls", tri_json(nf->tls));
	json_object_set_new(j, "tls_443", tri_json(nf->tls443));
	json_object_set_new(j, "nat_present", tri_json(nf->nat));
	json_object_set_new(j, "local", addr_json(&nf->local, nf->local.ss_family));
	json_object_set_new(j, "mapped", addr_json(&nf->mapped, nf->have_mapped));
	json_object_set_new(j, "server_mode", json_string(server_mode_name(nf->server_mode)));
	json_object_set_new(j, "server_detail", json_string(nf->server_detail));
	json_object_set_new(j, "other_address", addr_json(&nf->other, nf->have_other));
	json_object_set_new(j, "rtt_ms", nf->udp == TRI_YES ?
			    json_real(nf->rtt_us / 1000.0) : json_null());
	json_object_set_new(j, "loss", json_real(nf->loss));
	json_object_set_new(j, "mapping", verdict_json(&nf->mapping));
	json_object_set_new(j, "filtering", verdict_json(&nf->filtering));
	json_object_set_new(j, "hairpinning", verdict_json(&nf->hairpinning));
	json_object_set_new(j, "tcp_mapping", verdict_json(&nf->tcp_mapping));
	json_object_set_new(j, "rfc3489_name", json_string(nf->rfc3489_name));
	json_object_set_new(j, "meaning", json_string(nf->meaning));
	json_object_set_new(pa, "preservation", tri_json(nf->port_preserved));
	json_object_set_new(pa, "parity", tri_json(nf->parity_preserved));
	json_object_set_new(pa, "delta_sockets", nf->delta_sockets_valid ?
			    json_integer(nf->delta_sockets) : json_null());
	json_object_set_new(pa, "delta_destinations", nf->delta_dest_valid ?
			    json_integer(nf->delta_dest) : json_null());
	json_object_set_new(pa, "samples", json_integer(nf->port_samples));
	json_object_set_new(j, "port_allocation", pa);
	json_object_set_new(j, "alg_rewrite", tri_json(nf->alg));
	json_object_set_new(sz, "out_max", uint_or_null(nf->max_out));
	json_object_set_new(sz, "out_lost", uint_or_null(nf->fail_out));
	json_object_set_new(sz, "in_max", uint_or_null(nf->max_in));
	json_object_set_new(sz, "in_lost", uint_or_null(nf->fail_in));
	json_object_set_new(j, "max_datagram", sz);
	json_object_set_new(lt, "tested", json_boolean(nf->lifetime_tested != 0));
	json_object_set_new(lt, "alive_s", nf->lifetime_tested == 1 ?
			    json_integer(nf->lifetime_low_s) : json_null());
	json_object_set_new(lt, "expired_s", nf->lifetime_tested == 1 ?
			    uint_or_null(nf->lifetime_high_s) : json_null());
	json_object_set_new(j, "binding_lifetime", lt);
	json_object_set_new(dn, "value", tri_json(nf->double_nat));
	json_object_set_new(dn, "detail", json_string(nf->double_nat_detail));
	json_object_set_new(j, "double_nat", dn);
	return j;
}

void report_nat_json(const struct nat_report *nr, json_t *root)
{
	const struct nat_family *main_f = nr->fam[0].tested ? &nr->fam[0] :
					  nr->fam[1].tested ? &nr->fam[1] : NULL;
	json_t *nat = json_object();

	/* The plain verdict keys scripts read first. */
	json_object_set_new(root, "udp", main_f && main_f->udp != TRI_UNKNOWN ?
			    json_string(main_f->udp == TRI_YES ? "ok" : "blocked") :
			    json_null());
	json_object_set_new(root, "mapping", main_f && main_f->udp == TRI_YES ?
			    json_string(nat_behavior_name(main_f->mapping.value)) : json_null());
	json_object_set_new(root, "filtering", main_f && main_f->udp == TRI_YES ?
			    json_string(nat_behavior_name(main_f->filtering.value)) : json_null());
	json_object_set_new(root, "hairpinning", main_f && main_f->udp == TRI_YES ?
			    json_string(nat_behavior_name(main_f->hairpinning.value)) : json_null());
	json_object_set_new(root, "nat_type", main_f ?
			    json_string(main_f->rfc3489_name) : json_null());
	for (int fi = 0; fi < 2; fi++)
		json_object_set_new(nat, fi ? "ipv6" : "ipv4", nr->fam[fi].tested ?
				    family_json(&nr->fam[fi]) : json_null());
	json_object_set_new(root, "nat", nat);
}

static void verdict_text(const char *label, const struct nat_verdict *v,
			 FILE *out)
{
	fprintf(out, "  %-12s %s", label, nat_behavior_name(v->value));
	if (v->value != NB_UNKNOWN)
		fprintf(out, " (confidence %s, %u tries)",
			confidence_name(v->confidence), v->tries);
	fprintf(out, "\n      %s\n", v->reason);
}

static const char *tri_word(enum tristate t, const char *yes, const char *no)
{
	return t == TRI_YES ? yes : t == TRI_NO ? no : "not tested";
}

static void family_text(const struct nat_family *nf, FILE *out)
{
	char a[64], b[64];

	fprintf(out, "%s via %s\n", nf->family == AF_INET6 ? "IPv6" : "IPv4",
		nf->server);
	fprintf(out, "  %-12s %s\n", "type", nf->rfc3489_name);
	fprintf(out, "  %-12s %s\n", "meaning", nf->meaning);
	fprintf(out, "  %-12s UDP %s, TCP %s, TLS %s, TLS on 443 %s\n", "reachable",
		tri_word(nf->udp, "yes", "BLOCKED"), tri_word(nf->tcp, "yes", "no"),
		tri_word(nf->tls, "yes", "no"), tri_word(nf->tls443, "yes", "no"));
	if (nf->udp != TRI_YES)
		return;
	fprintf(out, "  %-12s %s -> %s (%s), RTT %.2f ms\n", "address",
		np_addr_str(&nf->local, a, sizeof(a)),
		np_addr_str(&nf->mapped, b, sizeof(b)),
		nf->nat == TRI_NO ? "no NAT" : "NAT", nf->rtt_us / 1000.0);
	fprintf(out, "  %-12s %s\n", "server", nf->server_detail);
	verdict_text("mapping", &nf->mapping, out);
	verdict_text("filtering", &nf->filtering, out);
	verdict_text("hairpinning", &nf->hairpinning, out);
	verdict_text("TCP mapping", &nf->tcp_mapping, out);
	fprintf(out, "  %-12s preservation %s, parity %s", "ports",
		tri_word(nf->port_preserved, "yes", "no"),
		tri_word(nf->parity_preserved, "yes", "no"));
	if (nf->delta_sockets_valid)
		fprintf(out, ", delta %+d per new socket", nf->delta_sockets);
	else
		fprintf(out, ", no constant delta between sockets");
	if (nf->delta_dest_valid)
		fprintf(out, ", %+d per new destination", nf->delta_dest);
	fputc('\n', out);
	fprintf(out, "  %-12s %s\n", "ALG", tri_word(nf->alg, "rewrites STUN addresses",
						   "none seen"));
	if (nf->max_out || nf->fail_out)
		fprintf(out, "  %-12s out: %u passes%s%.0u; in: %u passes%s%.0u (IP bytes)\n",
			"datagrams", nf->max_out, nf->fail_out ? ", lost at " : "",
			nf->fail_out, nf->max_in, nf->fail_in ? ", lost at " : "",
			nf->fail_in);
	if (nf->lifetime_tested == 1)
		fprintf(out, nf->lifetime_high_s ?
			"  %-12s idle binding alive after %u s, gone after %u s\n" :
			"  %-12s idle binding alive after %u s (outlived the test)%.0u\n",
			"lifetime", nf->lifetime_low_s, nf->lifetime_high_s);
	else if (nf->lifetime_tested == -1)
		fprintf(out, "  %-12s undetermined: the server does not honour RESPONSE-PORT\n",
			"lifetime");
	fprintf(out, "  %-12s %s: %s\n", "double NAT",
		nf->double_nat == TRI_UNKNOWN ? "unknown" :
		tri_word(nf->double_nat, "likely", "no sign"), nf->double_nat_detail);
	fprintf(out, "  %-12s %.1f %% of tries unanswered\n", "loss", nf->loss * 100);
}

void report_nat_text(const struct nat_report *nr, FILE *out)
{
	int first = 1;

	for (int fi = 0; fi < 2; fi++) {
		if (!nr->fam[fi].tested)
			continue;
		if (!first)
			fputc('\n', out);
		first = 0;
		family_text(&nr->fam[fi], out);
	}
}
