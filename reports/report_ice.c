/*
 * report_ice.c - the "ice" part of the JSON and text reports: candidates,
 * pairs with RTCIceCandidatePairStats-shaped statistics, the selected
 * pair, per-phase times and every server leg.
 */
#include "report_ice.h"
#include "ice_summary.h"
#include "webrtc_summary.h"

#include <string.h>

static json_t *ms_or_null(uint64_t us)
{
	return us ? json_real((double)us / 1000.0) : json_null();
}

static json_t *addr_or_null(const struct sockaddr_storage *ss)
{
	char b[64];

	return ss->ss_family ? json_string(np_addr_str(ss, b, sizeof(b))) : json_null();
}

static json_t *ip_json(const struct sockaddr_storage *ss)
{
	char b[64], *colon;

	if (!ss->ss_family)
		return json_null();
	np_addr_str(ss, b, sizeof(b));
	/* "[2001:db8::1]:5000" or "192.0.2.1:5000": the address part. */
	if (b[0] == '[') {
		colon = strchr(b, ']');
		if (colon)
			*colon = '\0';
		return json_string(b + 1);
	}
	colon = strrchr(b, ':');
	if (colon)
		*colon = '\0';
	return json_string(b);
}

static json_t *endpoint_json(const char *type, const struct sockaddr_storage *a,
			     enum np_transport t, int relay_transport)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "address", ip_json(a));
	json_object_set_new(o, "port", a->ss_family ? json_integer(np_addr_port(a))
						    : json_null());
	json_object_set_new(o, "protocol", json_string(np_transport_name(t)));
	json_object_set_new(o, "relay_protocol",
			    relay_transport >= 0
				    ? json_string(np_transport_name(relay_transport))
				    : json_null());
	return o;
}

static json_t *cand_json(const struct ice_sum_cand *c)
{
	json_t *o = endpoint_json(ice_cand_type_name(c->c.type), &c->c.addr,
				  c->c.transport, c->relay_transport);

	json_object_set_new(o, "tcptype", c->c.transport == NP_TCP
						  ? json_string(ice_tcptype_name(c->c.tcptype))
						  : json_null());

	json_object_set_new(o, "hostname", c->c.hostname[0] ? json_string(c->c.hostname)
							   : json_null());
	json_object_set_new(o, "foundation", json_string(c->c.foundation));
	json_object_set_new(o, "priority", json_integer(c->c.priority));
	json_object_set_new(o, "related_address", addr_or_null(&c->c.related));
	json_object_set_new(o, "time_ms", json_real((double)c->t_us / 1000.0));
	return o;
}

static json_t *pair_json(const struct ice_sum_pair *p)
{
	json_t *o = json_object(), *ch = json_array();

	json_object_set_new(o, "id", json_integer(p->index));
	json_object_set_new(o, "local", addr_or_null(&p->local));
	json_object_set_new(o, "remote", addr_or_null(&p->remote));
	json_object_set_new(o, "protocol", json_string(np_transport_name(p->transport)));
	json_object_set_new(o, "local_type", json_string(p->ltype));
	json_object_set_new(o, "remote_type", json_string(p->rtype));
	json_object_set_new(o, "priority", json_integer((json_int_t)p->priority));
	json_object_set_new(o, "state", json_string(p->state));
	json_object_set_new(o, "nominated", json_boolean(p->nominated));
	json_object_set_new(o, "selected", json_boolean(p->selected));
	json_object_set_new(o, "requestsSent", json_integer((json_int_t)p->requests_sent));
	json_object_set_new(o, "retransmissionsSent",
			    json_integer((json_int_t)p->retransmissions_sent));
	json_object_set_new(o, "responsesReceived",
			    json_integer((json_int_t)p->responses_received));
	json_object_set_new(o, "requestsReceived",
			    json_integer((json_int_t)p->requests_received));
	json_object_set_new(o, "responsesSent", json_integer((json_int_t)p->responses_sent));
	json_object_set_new(o, "currentRoundTripTime",
			    p->rtt_samples ? json_real((double)p->current_rtt_us / 1e6)
					   : json_null());
	json_object_set_new(o, "totalRoundTripTime",
			    json_real((double)p->total_rtt_us / 1e6));
	json_object_set_new(o, "lastErrorCode",
			    p->last_error ? json_integer(p->last_error) : json_null());
	for (size_t i = 0; i < p->nchanges; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "state", json_string(p->changes[i].state));
		json_object_set_new(c, "time_ms",
				    json_real((double)p->changes[i].t_us / 1000.0));
		json_array_append_new(ch, c);
	}
	json_object_set_new(o, "states", ch);
	return o;
}

static json_t *leg_json(const struct ice_sum_leg *l)
{
	json_t *o = json_object();

	json_object_set_new(o, "server", json_string(l->server));
	json_object_set_new(o, "kind", json_string(l->kind));
	json_object_set_new(o, "transport", json_string(np_transport_name(l->transport)));
	json_object_set_new(o, "family", json_string(l->family == AF_INET6 ? "ipv6" : "ipv4"));
	json_object_set_new(o, "ok", json_boolean(l->ok));
	json_object_set_new(o, "requests", json_integer(l->requests));
	json_object_set_new(o, "responses", json_integer(l->responses));
	json_object_set_new(o, "timeouts", json_integer(l->timeouts));
	json_object_set_new(o, "error_code", l->error_code ? json_integer(l->error_code)
							   : json_null());
	json_object_set_new(o, "reason", l->reason[0] ? json_string(l->reason) : json_null());
	json_object_set_new(o, "rtt_ms", ms_or_null(l->rtt_us));
	return o;
}

void report_ice_json(const struct ice_report *r, json_t *root)
{
	json_t *ice = json_object(), *loc = json_array(), *rem = json_array(),
	       *pairs = json_array(), *legs = json_array(), *t = json_object(),
	       *cands = json_object();

	json_object_set_new(ice, "role", json_string(r->controlling ? "controlling"
								    : "controlled"));
	json_object_set_new(ice, "state", json_string(r->state));
	if (r->selected_ok) {
		json_t *s = json_object();

		json_t *l = endpoint_json(r->sel_ltype, &r->sel_local_cand,
					  r->sel_transport, r->sel_relay_transport);

		json_object_set_new(l, "base", addr_or_null(&r->sel_local));
		json_object_set_new(s, "local", l);
		json_object_set_new(s, "remote", endpoint_json(r->sel_rtype, &r->sel_remote,
							       r->sel_transport, -1));
		json_object_set_new(s, "rtt_ms", json_real((double)r->sel_rtt_us / 1000.0));
		json_object_set_new(ice, "selected", s);
	} else {
		json_object_set_new(ice, "selected", json_null());
	}
	for (size_t i = 0; i < r->ncands; i++)
		json_array_append_new(r->cands[i].remote ? rem : loc,
				      cand_json(&r->cands[i]));
	json_object_set_new(cands, "local", loc);
	json_object_set_new(cands, "remote", rem);
	json_object_set_new(ice, "candidates", cands);
	json_object_set_new(ice, "remote_rejected", json_integer((json_int_t)r->nrejected));
	for (size_t i = 0; i < r->npairs; i++)
		json_array_append_new(pairs, pair_json(&r->pairs[i]));
	json_object_set_new(ice, "pairs", pairs);
	for (size_t i = 0; i < r->nlegs; i++)
		json_array_append_new(legs, leg_json(&r->legs[i]));
	json_object_set_new(ice, "servers", legs);
	json_object_set_new(t, "first_host", ms_or_null(r->t_first_host));
	json_object_set_new(t, "first_srflx", ms_or_null(r->t_first_srflx));
	json_object_set_new(t, "first_relay", ms_or_null(r->t_first_relay));
	json_object_set_new(t, "gathered", ms_or_null(r->t_gathered));
	json_object_set_new(t, "first_check", ms_or_null(r->t_first_check));
	json_object_set_new(t, "first_valid", ms_or_null(r->t_first_valid));
	json_object_set_new(t, "nominated", ms_or_null(r->t_nominated));
	json_object_set_new(t, "selected", ms_or_null(r->t_selected));
	json_object_set_new(ice, "times_ms", t);
	json_object_set_new(ice, "checks_received", json_integer(r->checks_in));
	json_object_set_new(ice, "checks_received_unauthorized",
			    json_integer(r->checks_in_unauthorized));
	json_object_set_new(ice, "consent_checks", json_integer(r->consent_sent));
	json_object_set_new(ice, "consent_responses", json_integer(r->consent_ok));
	json_object_set_new(ice, "failure", r->failure[0] ? json_string(r->failure)
							  : json_null());
	json_object_set_new(root, "ice", ice);
}

void report_ice_text(const struct ice_report *r, FILE *out)
{
	char a[64], b[64];

	fprintf(out, "ICE (%s): %s\n", r->controlling ? "controlling" : "controlled",
		r->state);
	if (r->selected_ok)
		fprintf(out, "  selected   %s %s %s -> %s %s, rtt %.2f ms\n",
			np_transport_name(r->sel_transport), r->sel_ltype,
			np_addr_str(&r->sel_local_cand, a, sizeof(a)), r->sel_rtype,
			np_addr_str(&r->sel_remote, b, sizeof(b)),
			(double)r->sel_rtt_us / 1000.0);
	fprintf(out, "  times      host %.1f  srflx %.1f  relay %.1f  first check %.1f  "
		     "first valid %.1f  selected %.1f ms\n",
		(double)r->t_first_host / 1000.0, (double)r->t_first_srflx / 1000.0,
		(double)r->t_first_relay / 1000.0, (double)r->t_first_check / 1000.0,
		(double)r->t_first_valid / 1000.0, (double)r->t_selected / 1000.0);
	fprintf(out, "  candidates\n");
	for (size_t i = 0; i < r->ncands; i++) {
		const struct ice_sum_cand *c = &r->cands[i];

		fprintf(out, "    %-6s %-5s %-3s %s%s%s\n", c->remote ? "remote" : "local",
			ice_cand_type_name(c->c.type), np_transport_name(c->c.transport),
			np_addr_str(&c->c.addr, a, sizeof(a)),
			c->relay_transport >= 0 ? " via " : "",
			c->relay_transport >= 0 ? np_transport_name(c->relay_transport) : "");
	}
	fprintf(out, "  servers\n");
	for (size_t i = 0; i < r->nlegs; i++) {
		const struct ice_sum_leg *l = &r->legs[i];

		fprintf(out, "    %-5s %-40s %-3s %s", l->kind, l->server,
			np_transport_name(l->transport), l->ok ? "ok" : "FAILED");
		if (!l->ok && l->error_code)
			fprintf(out, " %d %s", l->error_code, l->reason);
		else if (!l->ok && l->reason[0])
			fprintf(out, " %s", l->reason);
		fputc('\n', out);
	}
	fprintf(out, "  pairs (%zu)\n", r->npairs);
	for (size_t i = 0; i < r->npairs && i < 24; i++) {
		const struct ice_sum_pair *p = &r->pairs[i];

		fprintf(out, "    %3ld %-5s %-22s -> %-5s %-22s %-11s sent %llu recv %llu%s\n",
			p->index, p->ltype, np_addr_str(&p->local, a, sizeof(a)), p->rtype,
			np_addr_str(&p->remote, b, sizeof(b)), p->state,
			(unsigned long long)p->requests_sent,
			(unsigned long long)p->responses_received,
			p->selected ? "  <- selected" : "");
	}
	if (r->npairs > 24)
		fprintf(out, "    ... %zu more in the JSON report\n", r->npairs - 24);
}

void report_webrtc_json(const struct webrtc_report *r, json_t *root)
{
	json_t *d = json_object();

	json_object_set_new(d, "state", json_string(r->connected ? "connected"
						    : r->failed  ? "failed"
						    : r->ice_only ? "not-offered"
								  : "not-started"));
	json_object_set_new(d, "role", r->role[0] ? json_string(r->role) : json_null());
	json_object_set_new(d, "version", r->version[0] ? json_string(r->version) : json_null());
	json_object_set_new(d, "cipher", r->cipher[0] ? json_string(r->cipher) : json_null());
	json_object_set_new(d, "srtp_profile", r->profile[0] ? json_string(r->profile) : json_null());
	json_object_set_new(d, "peer_offered", r->peer_offered[0] ? json_string(r->peer_offered)
								   : json_null());
	json_object_set_new(d, "handshake_ms", r->handshake_us ? json_real((double)r->handshake_us / 1000.0)
							       : json_null());
	json_object_set_new(d, "flights_sent", json_integer(r->flights_sent));
	json_object_set_new(d, "flights_received", json_integer(r->flights_received));
	json_object_set_new(d, "retransmissions", json_integer(r->retransmits));
	json_object_set_new(d, "mitm", json_boolean(r->mitm));
	json_object_set_new(d, "failure", r->failed ? json_string(r->reason) : json_null());
	json_object_set_new(root, "dtls", d);
	d = json_object();
	json_object_set_new(d, "state", json_string(r->dc_opened ? "open"
						    : r->sctp_failed ? "failed"
						    : r->sctp_up ? "sctp-only" : "none"));
	json_object_set_new(d, "probe_sent", json_integer(r->dc_sent));
	json_object_set_new(d, "probe_echoed", json_integer(r->dc_echoed));
	json_object_set_new(d, "messages_received", json_integer(r->dc_received));
	json_object_set_new(d, "rtt_min_ms", r->dc_echoed ? json_real(r->dc_rtt_min_ms) : json_null());
	json_object_set_new(d, "rtt_avg_ms", r->dc_echoed ? json_real(r->dc_rtt_avg_ms) : json_null());
	json_object_set_new(d, "rtt_max_ms", r->dc_echoed ? json_real(r->dc_rtt_max_ms) : json_null());
	json_object_set_new(d, "echo_bytes_per_s", r->dc_echoed ? json_real(r->dc_bytes_per_s)
							     : json_null());
	json_object_set_new(d, "failure", r->dc_failure[0] ? json_string(r->dc_failure)
							   : json_null());
	json_object_set_new(root, "datachannel", d);
	if (!r->media)
		return;
	d = json_object();
	json_object_set_new(d, "packets_sent", json_integer(r->m_sent));
	json_object_set_new(d, "packets_echoed_back", json_integer(r->m_echo_back));
	json_object_set_new(d, "peer_reported_loss_pct", json_real(r->m_peer_loss_pct));
	json_object_set_new(d, "peer_reported_jitter_ms", json_real(r->m_peer_jitter_ms));
	json_object_set_new(d, "packets_received", json_integer(r->m_received));
	json_object_set_new(d, "packets_lost", json_integer(r->m_lost));
	json_object_set_new(d, "loss_pct", json_real(r->m_loss_pct));
	json_object_set_new(d, "jitter_ms", json_real(r->m_jitter_ms));
	json_object_set_new(d, "reordered", json_integer(r->m_reordered));
	json_object_set_new(d, "srtp_authenticated", json_integer(r->m_auth_ok));
	json_object_set_new(d, "srtp_failed", json_integer(r->m_auth_fail));
	json_object_set_new(d, "rtt_ms", r->m_rtt_ms > 0 ? json_real(r->m_rtt_ms) : json_null());
	json_object_set_new(d, "send_bps", json_real(r->m_send_bps));
	json_object_set_new(d, "receive_bps", json_real(r->m_recv_bps));
	json_object_set_new(root, "media", d);
}

void report_webrtc_text(const struct webrtc_report *r, FILE *out)
{
	if (r->connected)
		fprintf(out, "DTLS: connected as %s in %.1f ms, %s %s, SRTP %s\n", r->role,
			(double)r->handshake_us / 1000.0, r->version, r->cipher, r->profile);
	else if (r->failed)
		fprintf(out, "DTLS: FAILED%s: %s\n", r->mitm ? " (possible man in the middle)" : "",
			r->reason);
	else if (r->ice_only)
		fprintf(out, "DTLS: not offered (the peer is plain ICE)\n");
	if (r->media)
		fprintf(out, "Media (SRTP): sent %u, %u echoed back, peer reports %.1f %% loss; "
			"received %u (%u lost, %.1f %%), %u authenticated, %u failed; "
			"RTT %.2f ms, jitter %.2f ms\n",
			r->m_sent, r->m_echo_back, r->m_peer_loss_pct, r->m_received,
			r->m_lost, r->m_loss_pct, r->m_auth_ok, r->m_auth_fail, r->m_rtt_ms,
			r->m_jitter_ms);
	if (r->dc_probe)
		fprintf(out, "Data channel: %u of %u probe messages echoed, RTT min/avg/max %.2f/%.2f/%.2f ms\n",
			r->dc_echoed, r->dc_sent, r->dc_rtt_min_ms, r->dc_rtt_avg_ms,
			r->dc_rtt_max_ms);
	else if (r->dc_opened)
		fprintf(out, "Data channel: open\n");
}
