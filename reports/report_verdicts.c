/*
 * report_verdicts.c - renders struct verdicts (analyzers/verdicts.h) as
 * JSON members and as text. Stable shape: every cell and item is always
 * present; a figure that was not measured is null.
 */
#include "report_verdicts.h"

#include "verdicts.h"

#include <string.h>

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *evidence_json(const uint64_t *ev, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)ev[i]));
	return a;
}

static json_t *matrix_json(const struct verdict_matrix *m)
{
	json_t *arr = json_array();

	for (int t = 0; t < VM_TRANSPORTS; t++)
		for (int f = 0; f < VM_FAMILIES; f++)
			for (int k = 0; k < VM__KINDS; k++) {
				const struct vm_cell *c = &m->cell[t][f][k];
				json_t *o = json_object();

				json_object_set_new(o, "transport",
						    json_string(np_transport_name((enum np_transport)t)));
				json_object_set_new(o, "family", json_string(f ? "ipv6" : "ipv4"));
				json_object_set_new(o, "candidate",
						    json_string(vm_kind_name((enum vm_kind)k)));
				json_object_set_new(o, "status", json_string(vm_status_name(c->status)));
				json_object_set_new(o, "stage", str_or_null(c->stage));
				json_object_set_new(o, "code", c->code ? json_integer(c->code) : json_null());
				json_object_set_new(o, "cause", str_or_null(c->cause));
				json_object_set_new(o, "reason", str_or_null(c->reason));
				json_object_set_new(o, "remedy", str_or_null(c->remedy));
				json_object_set_new(o, "ok", json_integer(c->ok));
				json_object_set_new(o, "failed", json_integer(c->failed));
				json_object_set_new(o, "rtt_min_ms", c->rtt_samples ?
						    json_real((double)c->rtt_min_us / 1000.0) : json_null());
				json_object_set_new(o, "evidence", evidence_json(c->evidence, c->nevidence));
				json_array_append_new(arr, o);
			}
	return arr;
}

static json_t *num_or_null(int has, double v)
{
	return has ? json_real(v) : json_null();
}

static json_t *quality_json(const struct call_quality *q)
{
	json_t *o = json_object(), *th = json_object(), *dirs = json_array();

	json_object_set_new(o, "grade", json_string(vq_grade_name(q->grade)));
	json_object_set_new(th, "good_loss_pct", json_real(VQ_GOOD_LOSS_PCT));
	json_object_set_new(th, "good_rtt_ms", json_real(VQ_GOOD_RTT_MS));
	json_object_set_new(th, "warning_loss_pct", json_real(VQ_WARN_LOSS_PCT));
	json_object_set_new(th, "warning_rtt_ms", json_real(VQ_WARN_RTT_MS));
	json_object_set_new(o, "thresholds", th);
	for (int d = 0; d < VQ__DIRS; d++) {
		const struct vq_dir_result *r = &q->dir[d];
		json_t *j;

		if (!r->present)
			continue;
		j = json_object();
		json_object_set_new(j, "direction", json_string(vq_dir_name((enum vq_dir)d)));
		json_object_set_new(j, "source", json_string(r->source));
		json_object_set_new(j, "grade", json_string(vq_grade_name(r->grade)));
		json_object_set_new(j, "loss_pct", num_or_null(r->has_loss, r->loss_pct));
		json_object_set_new(j, "rtt_ms", num_or_null(r->has_rtt, r->rtt_ms));
		json_object_set_new(j, "rtt_max_ms", num_or_null(r->has_rtt, r->rtt_max_ms));
		json_object_set_new(j, "jitter_ms", num_or_null(r->has_jitter, r->jitter_ms));
		json_object_set_new(j, "jitter_max_ms",
				    num_or_null(r->has_jitter, r->jitter_max_ms));
		json_object_set_new(j, "rtt_samples", json_integer(r->rtt_samples));
		json_object_set_new(j, "jitter_samples", json_integer(r->jitter_samples));
		json_object_set_new(j, "packets", r->packets ?
				    json_integer((json_int_t)r->packets) : json_null());
		json_object_set_new(j, "explain", json_string(r->explain));
		json_object_set_new(j, "evidence", evidence_json(r->evidence, r->nevidence));
		json_array_append_new(dirs, j);
	}
	json_object_set_new(o, "directions", dirs);
	json_object_set_new(o, "ignored_notes", json_integer((json_int_t)q->ignored));
	return o;
}

static json_t *conformance_json(const struct conformance *c)
{
	json_t *arr = json_array();

	for (int i = 0; i < VC__ITEMS; i++) {
		const struct vc_item *it = &c->item[i];
		json_t *o = json_object();

		json_object_set_new(o, "check", json_string(vc_item_name((enum vc_item_id)i)));
		json_object_set_new(o, "rfc", json_string(vc_item_rfc((enum vc_item_id)i)));
		json_object_set_new(o, "status", json_string(vc_status_name(it->status)));
		json_object_set_new(o, "samples", json_integer(it->samples));
		json_object_set_new(o, "violations", json_integer(it->violations));
		json_object_set_new(o, "min_ms", num_or_null(it->samples > 0, it->min_ms));
		json_object_set_new(o, "max_ms", num_or_null(it->samples > 0, it->max_ms));
		json_object_set_new(o, "detail", str_or_null(it->detail));
		json_object_set_new(o, "evidence", evidence_json(it->evidence, it->nevidence));
		json_array_append_new(arr, o);
	}
	return arr;
}

void report_verdicts_json(const struct verdicts *v, json_t *root)
{
	if (!v)
		return;
	json_object_set_new(root, "transport_matrix", matrix_json(&v->matrix));
	json_object_set_new(root, "call_quality", quality_json(&v->quality));
	json_object_set_new(root, "conformance", conformance_json(&v->conformance));
}

static void cell_text(const struct vm_cell *c, char *b, size_t n)
{
	switch (c->status) {
	case VM_OK:
		snprintf(b, n, "ok");
		break;
	case VM_FAILED:
		if (c->code)
			snprintf(b, n, "FAIL %d", c->code);
		else
			snprintf(b, n, "FAIL %s", c->cause);
		break;
	case VM_NA:
		snprintf(b, n, "n/a");
		break;
	default:
		snprintf(b, n, "-");
		break;
	}
}

static void matrix_text(const struct verdict_matrix *m, FILE *out)
{
	fprintf(out, "\nTransport matrix (ok, FAIL code, - not tried, n/a)\n");
	fprintf(out, "  %-10s", "");
	for (int k = 0; k < VM__KINDS; k++)
		fprintf(out, " %-12s", vm_kind_name((enum vm_kind)k));
	fputc('\n', out);
	for (int t = 0; t < VM_TRANSPORTS; t++)
		for (int f = 0; f < VM_FAMILIES; f++) {
			char row[16];

			snprintf(row, sizeof(row), "%s %s",
				 np_transport_name((enum np_transport)t), f ? "IPv6" : "IPv4");
			fprintf(out, "  %-10s", row);
			for (int k = 0; k < VM__KINDS; k++) {
				char b[24];

				cell_text(&m->cell[t][f][k], b, sizeof(b));
				fprintf(out, " %-12s", b);
			}
			fputc('\n', out);
		}
	for (int t = 0; t < VM_TRANSPORTS; t++)
		for (int f = 0; f < VM_FAMILIES; f++)
			for (int k = 0; k < VM__KINDS; k++) {
				const struct vm_cell *c = &m->cell[t][f][k];

				if (c->status != VM_FAILED)
					continue;
				fprintf(out, "  %s %s %s: %s\n      fix: %s\n",
					np_transport_name((enum np_transport)t),
					f ? "IPv6" : "IPv4", vm_kind_name((enum vm_kind)k),
					c->reason, c->remedy);
			}
}

void report_verdicts_text(const struct verdicts *v, FILE *out)
{
	if (!v)
		return;
	if (v->matrix.present)
		matrix_text(&v->matrix, out);
	if (v->quality.present) {
		fprintf(out, "\nCall quality: %s\n", vq_grade_name(v->quality.grade));
		for (int d = 0; d < VQ__DIRS; d++)
			if (v->quality.dir[d].present)
				fprintf(out, "  %s\n", v->quality.dir[d].explain);
	}
	if (v->conformance.present) {
		fprintf(out, "\nPeer conformance\n");
		for (int i = 0; i < VC__ITEMS; i++) {
			const struct vc_item *it = &v->conformance.item[i];

			fprintf(out, "  %-16s %-13s %s%s%s\n",
				vc_item_name((enum vc_item_id)i), vc_status_name(it->status),
				vc_item_rfc((enum vc_item_id)i), it->detail[0] ? ": " : "",
				it->detail);
		}
	}
}
