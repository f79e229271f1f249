/*
 * report_fields.c - the one table of per-leg fields every format reads
 * (the idea of mtr's data_fields[]).
 */
#include "report.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static void str(struct field_val *v, const char *s)
{
	v->kind = FIELD_STR;
	v->present = s && s[0];
	snprintf(v->str, sizeof(v->str), "%s", s ? s : "");
}

static void addr(struct field_val *v, const struct sockaddr_storage *ss,
		 int have)
{
	char b[64];

	str(v, have && ss->ss_family ? np_addr_str(ss, b, sizeof(b)) : "");
}

static void get_server(const struct stun_result *r, struct field_val *v)
{
	str(v, r->server);
}

static void get_transport(const struct stun_result *r, struct field_val *v)
{
	str(v, np_transport_name(r->transport));
}

static void get_family(const struct stun_result *r, struct field_val *v)
{
	str(v, r->family == AF_INET ? "ipv4" : r->family == AF_INET6 ? "ipv6" : "");
}

static void get_remote(const struct stun_result *r, struct field_val *v)
{
	addr(v, &r->remote, 1);
}

static void get_local(const struct stun_result *r, struct field_val *v)
{
	addr(v, &r->local, 1);
}

static void get_status(const struct stun_result *r, struct field_val *v)
{
	str(v, leg_status_name(r->status));
}

static void get_mapped(const struct stun_result *r, struct field_val *v)
{
	addr(v, &r->mapped, r->have_mapped);
}

static void ms(struct field_val *v, uint64_t us, int present)
{
	v->kind = FIELD_MS;
	v->present = present;
	v->num = us;
}

static void get_rtt_min(const struct stun_result *r, struct field_val *v)
{
	ms(v, r->rtt_min_us, r->samples > 0);
}

static void get_rtt_median(const struct stun_result *r, struct field_val *v)
{
	ms(v, r->rtt_median_us, r->samples > 0);
}

static void get_rtt_max(const struct stun_result *r, struct field_val *v)
{
	ms(v, r->rtt_max_us, r->samples > 0);
}

static void uint_(struct field_val *v, uint64_t n)
{
	v->kind = FIELD_UINT;
	v->present = 1;
	v->num = n;
}

static void get_samples(const struct stun_result *r, struct field_val *v)
{
	uint_(v, r->samples);
}

static void get_software(const struct stun_result *r, struct field_val *v)
{
	str(v, r->software);
}

static void get_origin(const struct stun_result *r, struct field_val *v)
{
	addr(v, &r->origin, r->have_origin);
}

static void get_other(const struct stun_result *r, struct field_val *v)
{
	addr(v, &r->other, r->have_other);
}

static void tri(struct field_val *v, enum tristate t)
{
	v->kind = FIELD_TRI;
	v->present = t != TRI_UNKNOWN;
	v->tri = t;
}

static void get_rfc5780(const struct stun_result *r, struct field_val *v)
{
	tri(v, r->rfc5780);
}

static void get_alg(const struct stun_result *r, struct field_val *v)
{
	tri(v, r->alg_rewrite);
}

static void get_requests(const struct stun_result *r, struct field_val *v)
{
	uint_(v, r->requests);
}

static void get_retransmits(const struct stun_result *r, struct field_val *v)
{
	uint_(v, r->retransmits);
}

static void get_responses(const struct stun_result *r, struct field_val *v)
{
	uint_(v, r->responses);
}

static void get_error_code(const struct stun_result *r, struct field_val *v)
{
	uint_(v, (uint64_t)r->error_code);
	v->present = r->error_code != 0;
}

static void get_message(const struct stun_result *r, struct field_val *v)
{
	str(v, r->message);
}

static void get_tls(const struct stun_result *r, struct field_val *v)
{
	str(v, r->tls);
}

const struct report_field report_stun_fields[] = {
	{ "server", "server", get_server },
	{ "transport", "transport", get_transport },
	{ "family", "family", get_family },
	{ "remote", "address", get_remote },
	{ "local", "local", get_local },
	{ "status", "status", get_status },
	{ "mapped", "mapped address", get_mapped },
	{ "rtt_min_ms", "RTT min", get_rtt_min },
	{ "rtt_median_ms", "RTT median", get_rtt_median },
	{ "rtt_max_ms", "RTT max", get_rtt_max },
	{ "rtt_samples", "samples", get_samples },
	{ "software", "software", get_software },
	{ "response_origin", "response origin", get_origin },
	{ "other_address", "other address", get_other },
	{ "rfc5780", "RFC 5780", get_rfc5780 },
	{ "alg_rewrite", "ALG rewriting", get_alg },
	{ "requests", "requests", get_requests },
	{ "retransmissions", "retransmissions", get_retransmits },
	{ "responses", "responses", get_responses },
	{ "error_code", "error code", get_error_code },
	{ "message", "message", get_message },
	{ "tls", "TLS", get_tls },
};
const size_t report_stun_nfields =
	sizeof(report_stun_fields) / sizeof(report_stun_fields[0]);
