/*
 * report_verdicts.h - the transport matrix, call quality and conformance
 * parts of the reports (analyzers/verdicts.h).
 */
#ifndef REPORT_VERDICTS_H
#define REPORT_VERDICTS_H

#include <jansson.h>
#include <stdio.h>

struct verdicts;

/* Adds "transport_matrix", "call_quality" and "conformance" to root
 * (schema: reports/report.schema.json); nothing when v is NULL. */
void report_verdicts_json(const struct verdicts *v, json_t *root);
/* The matrix as a table, the quality verdicts and the conformance items
 * that were observed; nothing when v is NULL or nothing was observed. */
void report_verdicts_text(const struct verdicts *v, FILE *out);

#endif
