/*
 * report_capture.c - the capture analysis in text and JSON.
 *
 * JSON: "capture": {"file", "format", "link_types", "packets",
 * "duration_s", "counts": {stun, turn_channeldata, dtls, dtls13, rtp,
 * rtcp, zrtp, other, malformed, truncated, fragments, tcp_unframed},
 * "stun", "transactions", "ice", "turn", "flows", "rtp", "read_error"}.
 * Counts are packets; "truncated" (cut by the snapshot length) overlaps
 * the protocol counts, which classify such packets from their first bytes.
 */
#include "report_capture.h"
#include "capture_summary.h"

#include <string.h>

static json_t *addr(const struct sockaddr_storage *ss)
{
	char b[64];

	return ss->ss_family ? json_string(np_addr_str(ss, b, sizeof(b))) : json_null();
}

static const char *l4_name(int l4)
{
	return l4 == DS_L4_TCP ? "tcp" : "udp";
}

static json_t *codes_json(const struct cap_code_count *v, size_t n)
{
	json_t *j = json_object();

	for (size_t i = 0; i < n; i++) {
		char k[16];

		snprintf(k, sizeof(k), "%d", v[i].code);
		json_object_set_new(j, k, json_integer(v[i].count));
	}
	return j;
}

static json_t *counts_json(const struct capture_report *cr)
{
	json_t *j = json_object();

	for (int a = 0; a < DS__COUNT; a++)
		json_object_set_new(j, dissect_app_name((enum dissect_app)a),
				    json_integer(cr->by_app[a]));
	json_object_set_new(j, "truncated", json_integer(cr->truncated));
	json_object_set_new(j, "fragments", json_integer(cr->fragments));
	json_object_set_new(j, "tcp_unframed", json_integer(cr->tcp_unframed));
	json_object_set_new(j, "not_ip", json_integer(cr->not_ip));
	return j;
}

static json_t *tx_json(const struct capture_report *cr)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < cr->ntx; i++) {
		const struct cap_tx *t = &cr->tx[i];
		json_t *j = json_object();
		char tid[2 * STUN_TID_LEN + 1];

		for (int k = 0; k < STUN_TID_LEN; k++)
			snprintf(tid + 2 * k, 3, "%02x", t->tid[k]);
		json_object_set_new(j, "tid", json_string(tid));
		json_object_set_new(j, "method", json_string(stun_method_name(t->method)));
		json_object_set_new(j, "transport", json_string(l4_name(t->l4)));
		json_object_set_new(j, "client", addr(&t->client));
		json_object_set_new(j, "server", addr(&t->server));
		json_object_set_new(j, "tries", json_integer(t->tries));
		json_object_set_new(j, "outcome", json_string(
			t->answered == STUN_SUCCESS ? "success" :
			t->answered == STUN_ERROR ? "error" : "unanswered"));
		json_object_set_new(j, "error_code", t->error_code ?
				    json_integer(t->error_code) : json_null());
		json_object_set_new(j, "ice", json_boolean(t->ice));
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *ice_json(const struct capture_report *cr)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < cr->nice; i++) {
		const struct cap_ice_pair *p = &cr->ice[i];
		json_t *j = json_object();

		json_object_set_new(j, "from", addr(&p->from));
		json_object_set_new(j, "to", addr(&p->to));
		json_object_set_new(j, "username", json_string(p->username));
		json_object_set_new(j, "checks", json_integer(p->checks));
		json_object_set_new(j, "use_candidate", json_integer(p->use_candidate));
		json_object_set_new(j, "success", json_integer(p->success));
		json_object_set_new(j, "errors", json_integer(p->errors));
		json_object_set_new(j, "unanswered", json_integer(p->unanswered));
		json_object_set_new(j, "outcome", json_string(p->success ? "succeeded" :
				    p->errors ? "failed" : "no-response"));
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *turn_json(const struct capture_report *cr)
{
	json_t *j = json_object(), *relays = json_array();

	json_object_set_new(j, "allocate_requests", json_integer(cr->turn_allocate));
	json_object_set_new(j, "allocations", json_integer(cr->turn_alloc_ok));
	json_object_set_new(j, "allocate_errors", codes_json(cr->alloc_codes, cr->nalloc_codes));
	json_object_set_new(j, "refresh", json_integer(cr->turn_refresh));
	json_object_set_new(j, "create_permission", json_integer(cr->turn_perm));
	json_object_set_new(j, "channel_bind", json_integer(cr->turn_chanbind));
	json_object_set_new(j, "send_indications", json_integer(cr->turn_send));
	json_object_set_new(j, "data_indications", json_integer(cr->turn_data));
	for (size_t i = 0; i < cr->nrelays; i++)
		json_array_append_new(relays, addr(&cr->relays[i]));
	json_object_set_new(j, "relayed", relays);
	return j;
}

static json_t *dtls_dir_json(const struct cap_dtls_dir *s)
{
	json_t *j = json_object();
	char b[32];

	json_object_set_new(j, "records", json_integer(s->records));
	json_object_set_new(j, "highest_handshake", s->max_hs_type >= 0 ?
			    json_string(capture_dtls_hs_name(s->max_hs_type, b, sizeof(b))) :
			    json_null());
	json_object_set_new(j, "change_cipher_spec", json_integer(s->ccs));
	json_object_set_new(j, "encrypted_handshake", json_integer(s->encrypted_hs));
	json_object_set_new(j, "application_data", json_integer(s->appdata));
	json_object_set_new(j, "alerts", json_integer(s->alerts));
	json_object_set_new(j, "last_alert", s->alerts ?
			    json_string(capture_dtls_alert_name(s->last_alert_desc, b, sizeof(b))) :
			    json_null());
	return j;
}

static json_t *flows_json(const struct capture_report *cr)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < cr->nflows; i++) {
		const struct cap_flow *f = &cr->flows[i];
		json_t *j = json_object(), *pr = json_object();

		json_object_set_new(j, "transport", json_string(l4_name(f->l4)));
		json_object_set_new(j, "a", addr(&f->a));
		json_object_set_new(j, "b", addr(&f->b));
		json_object_set_new(j, "packets_ab", json_integer(f->pkts_ab));
		json_object_set_new(j, "packets_ba", json_integer(f->pkts_ba));
		json_object_set_new(j, "bytes_ab", json_integer((json_int_t)f->bytes_ab));
		json_object_set_new(j, "bytes_ba", json_integer((json_int_t)f->bytes_ba));
		json_object_set_new(j, "duration_s",
				    json_real((double)(f->last_us - f->first_us) / 1e6));
		for (int a = 0; a < DS__COUNT; a++)
			if (f->by_app[a])
				json_object_set_new(pr, dissect_app_name((enum dissect_app)a),
						    json_integer(f->by_app[a]));
		json_object_set_new(j, "protocols", pr);
		if (f->dtls[0].records || f->dtls[1].records || f->dtls13) {
			json_t *d = json_object();

			json_object_set_new(d, "ab", dtls_dir_json(&f->dtls[0]));
			json_object_set_new(d, "ba", dtls_dir_json(&f->dtls[1]));
			json_object_set_new(d, "dtls13_records", json_integer(f->dtls13));
			json_object_set_new(j, "dtls", d);
		} else {
			json_object_set_new(j, "dtls", json_null());
		}
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *rtp_json(const struct capture_report *cr)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < cr->nrtp; i++) {
		const struct cap_rtp *s = &cr->rtp[i];
		json_t *j = json_object();
		uint32_t exp = capture_rtp_expected(s), lost = capture_rtp_lost(s);

		json_object_set_new(j, "ssrc", json_integer(s->ssrc));
		json_object_set_new(j, "payload_type", json_integer(s->pt));
		json_object_set_new(j, "src", addr(&s->src));
		json_object_set_new(j, "dst", addr(&s->dst));
		json_object_set_new(j, "clock_rate", json_integer(s->clock));
		json_object_set_new(j, "packets", json_integer(s->packets));
		json_object_set_new(j, "expected", json_integer(exp));
		json_object_set_new(j, "lost", json_integer(lost));
		json_object_set_new(j, "loss_pct", json_real(exp ? 100.0 * lost / exp : 0));
		json_object_set_new(j, "late_or_duplicate", json_integer(s->reordered));
		json_object_set_new(j, "jitter_ms", json_real(capture_rtp_jitter_ms(s)));
		json_object_set_new(j, "duration_s",
				    json_real((double)(s->last_us - s->first_us) / 1e6));
		json_array_append_new(arr, j);
	}
	return arr;
}

void report_capture_json(const struct capture_report *cr, json_t *root)
{
	json_t *j = json_object(), *st = json_object();

	json_object_set_new(j, "file", json_string(cr->file));
	json_object_set_new(j, "format", json_string(cr->format ? cr->format : ""));
	json_object_set_new(j, "link_types", json_string(cr->linktypes));
	json_object_set_new(j, "packets", json_integer(cr->packets));
	json_object_set_new(j, "duration_s", json_real((double)(cr->last_us - cr->first_us) / 1e6));
	json_object_set_new(j, "counts", counts_json(cr));
	json_object_set_new(st, "requests", json_integer(cr->stun_requests));
	json_object_set_new(st, "retransmissions", json_integer(cr->stun_retransmits));
	json_object_set_new(st, "indications", json_integer(cr->stun_indications));
	json_object_set_new(st, "success", json_integer(cr->stun_success));
	json_object_set_new(st, "errors", json_integer(cr->stun_errors));
	json_object_set_new(st, "error_codes", codes_json(cr->codes, cr->ncodes));
	json_object_set_new(st, "unmatched", json_integer(cr->stun_unmatched));
	json_object_set_new(st, "unanswered", json_integer(cr->stun_unanswered));
	json_object_set_new(j, "stun", st);
	json_object_set_new(j, "transactions", tx_json(cr));
	json_object_set_new(j, "ice", ice_json(cr));
	json_object_set_new(j, "turn", turn_json(cr));
	json_object_set_new(j, "flows", flows_json(cr));
	json_object_set_new(j, "rtp", rtp_json(cr));
	json_object_set_new(j, "dropped", json_integer((json_int_t)(cr->flows_dropped +
			    cr->tx_dropped + cr->ice_dropped + cr->rtp_dropped)));
	json_object_set_new(j, "read_error", cr->read_error[0] ?
			    json_string(cr->read_error) : json_null());
	json_object_set_new(root, "capture", j);
}

static void dtls_text(const struct cap_flow *f, FILE *out)
{
	char b[32], c[32];

	for (int k = 0; k < 2; k++) {
		const struct cap_dtls_dir *s = &f->dtls[k];

		if (!s->records)
			continue;
		fprintf(out, "      dtls %s: %u records, up to %s%s%s, %u app data%s%s\n",
			k ? "<-" : "->", s->records,
			capture_dtls_hs_name(s->max_hs_type, b, sizeof(b)),
			s->ccs ? ", ChangeCipherSpec" : "",
			s->encrypted_hs ? ", Finished" : "", s->appdata,
			s->alerts ? ", alert " : "",
			s->alerts ? capture_dtls_alert_name(s->last_alert_desc, c, sizeof(c)) : "");
	}
	if (f->dtls13)
		fprintf(out, "      dtls 1.3 unified-header records: %u\n", f->dtls13);
}

void report_capture_text(const struct capture_report *cr, FILE *out)
{
	char a[64], b[64];

	fprintf(out, "Capture %s (%s, %s): %u packets over %.3f s\n", cr->file,
		cr->format ? cr->format : "?", cr->linktypes, cr->packets,
		(double)(cr->last_us - cr->first_us) / 1e6);
	fprintf(out, "  packets    ");
	for (int k = 0; k < DS__COUNT; k++)
		fprintf(out, " %s %u%s", dissect_app_name((enum dissect_app)k),
			cr->by_app[k], k + 1 < DS__COUNT ? "," : "\n");
	fprintf(out, "  capture     truncated by snaplen %u, IP fragments %u, "
		"TCP unframed %u, not IP %u\n", cr->truncated, cr->fragments,
		cr->tcp_unframed, cr->not_ip);
	if (cr->read_error[0])
		fprintf(out, "  read error  %s\n", cr->read_error);
	fprintf(out, "\nSTUN: %u requests (%u retransmissions), %u success, %u error "
		"responses, %u unanswered, %u unmatched, %u indications\n",
		cr->stun_requests, cr->stun_retransmits, cr->stun_success,
		cr->stun_errors, cr->stun_unanswered, cr->stun_unmatched,
		cr->stun_indications);
	for (size_t i = 0; i < cr->ncodes; i++)
		fprintf(out, "  error %d: %u\n", cr->codes[i].code, cr->codes[i].count);
	if (cr->turn_allocate || cr->turn_alloc_ok) {
		fprintf(out, "TURN: %u Allocate requests, %u allocations; %u Refresh, "
			"%u CreatePermission, %u ChannelBind, %u Send, %u Data\n",
			cr->turn_allocate, cr->turn_alloc_ok, cr->turn_refresh,
			cr->turn_perm, cr->turn_chanbind, cr->turn_send, cr->turn_data);
		for (size_t i = 0; i < cr->nalloc_codes; i++)
			fprintf(out, "  Allocate error %d: %u\n", cr->alloc_codes[i].code,
				cr->alloc_codes[i].count);
		for (size_t i = 0; i < cr->nrelays; i++)
			fprintf(out, "  relayed address %s\n",
				np_addr_str(&cr->relays[i], a, sizeof(a)));
	}
	if (cr->nice)
		fprintf(out, "ICE checks\n");
	for (size_t i = 0; i < cr->nice; i++) {
		const struct cap_ice_pair *p = &cr->ice[i];

		fprintf(out, "  %s -> %s: %u checks (%u USE-CANDIDATE), %u ok, %u errors, "
			"%u unanswered\n", np_addr_str(&p->from, a, sizeof(a)),
			np_addr_str(&p->to, b, sizeof(b)), p->checks, p->use_candidate,
			p->success, p->errors, p->unanswered);
	}
	if (cr->nflows)
		fprintf(out, "\nFlows (%zu%s)\n", cr->nflows,
			cr->flows_dropped ? ", more not tracked" : "");
	for (size_t i = 0; i < cr->nflows; i++) {
		const struct cap_flow *f = &cr->flows[i];
		int first = 1;

		fprintf(out, "  %s %s <-> %s: %u/%u packets:", f->l4 == DS_L4_TCP ? "TCP" : "UDP",
			np_addr_str(&f->a, a, sizeof(a)), np_addr_str(&f->b, b, sizeof(b)),
			f->pkts_ab, f->pkts_ba);
		for (int k = 0; k < DS__COUNT; k++)
			if (f->by_app[k]) {
				fprintf(out, "%s %s %u", first ? "" : ",",
					dissect_app_name((enum dissect_app)k), f->by_app[k]);
				first = 0;
			}
		fputc('\n', out);
		dtls_text(f, out);
	}
	if (cr->nrtp)
		fprintf(out, "\nRTP streams\n");
	for (size_t i = 0; i < cr->nrtp; i++) {
		const struct cap_rtp *s = &cr->rtp[i];
		uint32_t exp = capture_rtp_expected(s), lost = capture_rtp_lost(s);

		fprintf(out, "  SSRC 0x%08x PT %u %s -> %s: %u packets, lost %u of %u "
			"(%.1f %%), jitter %.2f ms at %u Hz\n", s->ssrc, s->pt,
			np_addr_str(&s->src, a, sizeof(a)), np_addr_str(&s->dst, b, sizeof(b)),
			s->packets, lost, exp, exp ? 100.0 * lost / exp : 0.0,
			capture_rtp_jitter_ms(s), s->clock);
	}
}
