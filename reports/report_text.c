/*
 * report_text.c - the plain text report: one block per leg, then findings
 * with their remedies. Reads the same field table as the JSON report.
 */
#include "report.h"
#include "report_capture.h"
#include "report_nat.h"
#include "report_ice.h"
#include "report_verdicts.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static void field_text(const struct field_val *v, char *buf, size_t len)
{
	switch (v->kind) {
	case FIELD_STR:
		snprintf(buf, len, "%s", v->str);
		break;
	case FIELD_UINT:
		snprintf(buf, len, "%llu", (unsigned long long)v->num);
		break;
	case FIELD_MS:
		snprintf(buf, len, "%.2f ms", (double)v->num / 1000.0);
		break;
	case FIELD_TRI:
		snprintf(buf, len, "%s", tristate_name(v->tri));
		break;
	}
}

/* Fields that make the heading line rather than a row of their own. */
static int in_heading(const char *key)
{
	return !strcmp(key, "server") || !strcmp(key, "transport") ||
	       !strcmp(key, "family") || !strcmp(key, "remote") ||
	       !strcmp(key, "rtt_max_ms") || !strcmp(key, "rtt_samples") ||
	       !strcmp(key, "requests") || !strcmp(key, "retransmissions") ||
	       !strcmp(key, "responses");
}

static void leg_text(const struct stun_result *r, FILE *out)
{
	char a[64];

	fprintf(out, "%s over %s%s%s%s\n", r->server,
		r->transport == NP_UDP ? "UDP" : r->transport == NP_TCP ? "TCP" : "TLS",
		r->remote.ss_family ? " (" : "",
		r->remote.ss_family ? np_addr_str(&r->remote, a, sizeof(a)) : "",
		r->remote.ss_family ? ")" : "");
	for (size_t k = 0; k < report_stun_nfields; k++) {
		struct field_val v;
		char buf[300];

		if (in_heading(report_stun_fields[k].key))
			continue;
		memset(&v, 0, sizeof(v));
		report_stun_fields[k].get(r, &v);
		if (!v.present)
			continue;
		field_text(&v, buf, sizeof(buf));
		if (!strcmp(report_stun_fields[k].key, "rtt_median_ms") && r->samples)
			fprintf(out, "  %-17s %s (max %.2f ms, %u samples)\n",
				report_stun_fields[k].label, buf,
				r->rtt_max_us / 1000.0, r->samples);
		else
			fprintf(out, "  %-17s %s\n", report_stun_fields[k].label, buf);
	}
	fprintf(out, "  %-17s %u sent, %u retransmitted, %u answered\n", "requests",
		r->requests, r->retransmits, r->responses);
}

void report_findings_text(const struct findings *fs, FILE *out)
{
	if (fs->nf == 0)
		return;
	fprintf(out, "\nFindings\n");
	for (size_t i = 0; i < fs->nf; i++) {
		const struct finding *f = &fs->f[i];

		fprintf(out, "  [%s] %s\n", severity_name(f->severity), f->title);
		if (f->detail[0])
			fprintf(out, "      %s\n", f->detail);
		if (f->remedy[0])
			fprintf(out, "      fix: %s\n", f->remedy);
	}
}

int report_text(const struct findings *fs, FILE *out)
{
	if (fs->nat) {
		report_nat_text(fs->nat, out);
		/* The full diagnosis: the session with the peer follows. */
		if (fs->ice) {
			fputc('\n', out);
			report_ice_text(fs->ice, out);
			if (fs->webrtc)
				report_webrtc_text(fs->webrtc, out);
		}
	} else if (fs->capture) {
		report_capture_text(fs->capture, out);
	} else if (fs->ice) {
		report_ice_text(fs->ice, out);
		if (fs->webrtc)
			report_webrtc_text(fs->webrtc, out);
	} else {
		for (size_t i = 0; i < fs->nstun; i++) {
			if (i)
				fputc('\n', out);
			leg_text(&fs->stun[i], out);
		}
	}
	report_verdicts_text(fs->verdicts, out);
	report_findings_text(fs, out);
	if (fs->policy_explicit) {
		fprintf(out, "\nRequired checks\n");
		for (size_t i = 0; i < fs->npolicy; i++) {
			const struct policy_result *r = &fs->policy[i];
			char name[32];

			snprintf(name, sizeof(name), "%s%s", r->check,
				 r->family == AF_INET ? " IPv4" :
				 r->family == AF_INET6 ? " IPv6" : "");
			fprintf(out, "  %-4s %-13s %s\n", r->passed ? "ok" : "FAIL", name,
				r->value);
		}
	}
	return ferror(out) ? -EIO : 0;
}

int report_format_parse(const char *s, enum report_format *f)
{
	if (!strcmp(s, "text"))
		*f = REPORT_TEXT;
	else if (!strcmp(s, "json"))
		*f = REPORT_JSON;
	else if (!strcmp(s, "junit"))
		*f = REPORT_JUNIT;
	else if (!strcmp(s, "openmetrics"))
		*f = REPORT_OPENMETRICS;
	else if (!strcmp(s, "html"))
		*f = REPORT_HTML;
	else
		return -EINVAL;
	return 0;
}

int report_write(const struct findings *fs, enum report_format f, FILE *out)
{
	switch (f) {
	case REPORT_JSON: return report_json(fs, out);
	case REPORT_JUNIT: return report_junit(fs, out);
	case REPORT_OPENMETRICS: return report_openmetrics(fs, out);
	case REPORT_HTML: return report_html(fs, out);
	case REPORT_TEXT: break;
	}
	return report_text(fs, out);
}
