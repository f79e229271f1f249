/*
 * report_nat.h - rendering of the NAT behaviour report (natprobe nat).
 */
#ifndef REPORT_NAT_H
#define REPORT_NAT_H

#include <jansson.h>
#include <stdio.h>

#include "findings.h"

struct nat_report;

/* Adds the "nat" member (and top-level verdict keys) to root. */
void report_nat_json(const struct nat_report *nr, json_t *root);
void report_nat_text(const struct nat_report *nr, FILE *out);
json_t *report_findings_json(const struct findings *fs);
void report_findings_text(const struct findings *fs, FILE *out);

#endif
