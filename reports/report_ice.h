/*
 * report_ice.h - the ICE part of the reports (report_ice.c).
 */
#ifndef REPORT_ICE_H
#define REPORT_ICE_H

#include <jansson.h>
#include <stdio.h>

struct ice_report;

/* Adds the "ice" member to root. */
void report_ice_json(const struct ice_report *r, json_t *root);
void report_ice_text(const struct ice_report *r, FILE *out);
struct webrtc_report;
/* Adds the "dtls" member to root. */
void report_webrtc_json(const struct webrtc_report *r, json_t *root);
void report_webrtc_text(const struct webrtc_report *r, FILE *out);

#endif
