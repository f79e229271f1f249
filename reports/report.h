/*
 * report.h - renderers of a const struct findings *. Each format reads the
 * same field tables (report_fields.c), so text and JSON cannot disagree.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "findings.h"

#define REPORT_SCHEMA_VERSION 1
#define NATPROBE_VERSION "0.1.0"

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_JUNIT, REPORT_OPENMETRICS,
		     REPORT_HTML };

int report_format_parse(const char *s, enum report_format *f);
/* Writes fs in the format to out; returns 0 or -errno on a write error. */
int report_write(const struct findings *fs, enum report_format f, FILE *out);

int report_text(const struct findings *fs, FILE *out);
int report_json(const struct findings *fs, FILE *out);
/* JUnit XML: a testcase per leg (stun) and per policy check. */
int report_junit(const struct findings *fs, FILE *out);
/* OpenMetrics 1.0 text exposition, ending in "# EOF". */
int report_openmetrics(const struct findings *fs, FILE *out);
/* One self-contained HTML page (no script, no external resource) with an
 * SVG timeline of fs->log (report_html.c). */
int report_html(const struct findings *fs, FILE *out);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s does not
 * start one; reports replace such bytes with U+FFFD. */
size_t report_utf8_len(const char *s);

/* One field of a per-leg result: its JSON key, its label in text, and how
 * to read it. */
enum field_kind { FIELD_STR, FIELD_UINT, FIELD_MS, FIELD_TRI };

struct field_val {
	enum field_kind kind;
	int present;             /* 0: JSON null, text omits it */
	char str[256];
	uint64_t num;            /* FIELD_UINT, FIELD_MS (µs) */
	enum tristate tri;
};

struct report_field {
	const char *key;
	const char *label;
	void (*get)(const struct stun_result *r, struct field_val *v);
};

extern const struct report_field report_stun_fields[];
extern const size_t report_stun_nfields;

#endif
