/*
 * report_capture.h - rendering of `natprobe analyze`: the capture's packet
 * counts, flows, STUN transactions, ICE checks, TURN allocations, DTLS
 * handshakes and RTP streams, in text and as the JSON "capture" object.
 */
#ifndef REPORT_CAPTURE_H
#define REPORT_CAPTURE_H

#include <jansson.h>
#include <stdio.h>

struct capture_report;

/* Adds the "capture" member to root. */
void report_capture_json(const struct capture_report *cr, json_t *root);
void report_capture_text(const struct capture_report *cr, FILE *out);

#endif
