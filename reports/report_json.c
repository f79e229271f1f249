/*
 * report_json.c - the JSON report (schema: reports/report.schema.json).
 * Stable keys; a field that could not be measured is null, never omitted,
 * so scripts can rely on the shape.
 */
#include "report.h"
#include "report_capture.h"
#include "report_ice.h"
#include "report_nat.h"
#include "report_verdicts.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

static json_t *field_json(const struct field_val *v)
{
	if (!v->present)
		return json_null();
	switch (v->kind) {
	case FIELD_STR:
		return json_string(v->str);
	case FIELD_UINT:
		return json_integer((json_int_t)v->num);
	case FIELD_MS:
		return json_real((double)v->num / 1000.0);
	case FIELD_TRI:
		return json_boolean(v->tri == TRI_YES);
	}
	return json_null();
}

json_t *report_findings_json(const struct findings *fs)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < fs->nf; i++) {
		const struct finding *f = &fs->f[i];
		json_t *j = json_object(), *ev = json_array();

		json_object_set_new(j, "id", json_string(f->id));
		json_object_set_new(j, "severity", json_string(severity_name(f->severity)));
		json_object_set_new(j, "title", json_string(f->title));
		json_object_set_new(j, "detail", json_string(f->detail));
		json_object_set_new(j, "remedy", f->remedy[0] ? json_string(f->remedy) :
				    json_null());
		for (size_t k = 0; k < f->nevidence; k++)
			json_array_append_new(ev, json_integer((json_int_t)f->evidence[k]));
		json_object_set_new(j, "evidence", ev);
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *results_json(const struct findings *fs)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < fs->nstun; i++) {
		json_t *j = json_object(), *ev = json_array();

		for (size_t k = 0; k < report_stun_nfields; k++) {
			struct field_val v;

			memset(&v, 0, sizeof(v));
			report_stun_fields[k].get(&fs->stun[i], &v);
			json_object_set_new(j, report_stun_fields[k].key, field_json(&v));
		}
		for (size_t k = 0; k < fs->stun[i].nevidence; k++)
			json_array_append_new(ev, json_integer((json_int_t)fs->stun[i].evidence[k]));
		json_object_set_new(j, "evidence", ev);
		json_array_append_new(arr, j);
	}
	return arr;
}

int report_json(const struct findings *fs, FILE *out)
{
	json_t *root = json_object();
	char when[40] = "";
	time_t t = (time_t)(fs->start_wall_us / 1000000u);
	struct tm tm;
	int err = 0;

	if (fs->start_wall_us && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(root, "natprobe", json_string(NATPROBE_VERSION));
	json_object_set_new(root, "schema_version", json_integer(REPORT_SCHEMA_VERSION));
	json_object_set_new(root, "command", json_string(fs->command ? fs->command : ""));
	json_object_set_new(root, "started", when[0] ? json_string(when) : json_null());
	json_object_set_new(root, "exit_code", json_integer(fs->exit_code));
	json_object_set_new(root, "results", results_json(fs));
	if (fs->nat)
		report_nat_json(fs->nat, root);
	if (fs->capture)
		report_capture_json(fs->capture, root);
	if (fs->ice)
		report_ice_json(fs->ice, root);
	report_verdicts_json(fs->verdicts, root);
	if (fs->webrtc)
		report_webrtc_json(fs->webrtc, root);
	json_object_set_new(root, "findings", report_findings_json(fs));
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) < 0)
		err = -EIO;
	fputc('\n', out);
	json_decref(root);
	return err ? err : (ferror(out) ? -EIO : 0);
}
