/*
 * report_html_lanes.h - the HTML timeline's model: the observation log cut
 * into phases and lanes of requests, each with its outcome and times.
 * report_html_lanes.c builds it; report_html_timeline.c draws it.
 */
#ifndef REPORT_HTML_LANES_H
#define REPORT_HTML_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "obs.h"
#include "report_html.h"

enum tl_outcome {
	OUT_PENDING,     /* sent, nothing ended it */
	OUT_OK,          /* a response, or an event that succeeded */
	OUT_ERRRESP,     /* an error response */
	OUT_TIMEOUT,
	OUT_ICMP,
	OUT_ERROR,       /* a local error, or an event that failed */
	OUT_POINT_OK,    /* an instant event: connected, sent without a tid */
	OUT_POINT_FAIL,  /* a failed instant event, a stray or malformed datagram */
	OUT_NOTE,        /* context (an alert, a parameter): not counted */
	OUT__COUNT
};

/* One request from its first send to its end, or one event (a point, or
 * a span when the event says how long it took, e.g. a handshake). */
struct tl_mark {
	uint64_t t0, t1;             /* t1 == t0 for a point */
	const struct obs *start;     /* the first send, or the event */
	const struct obs *end;       /* what ended it, or NULL */
	uint16_t attempts;
	enum tl_outcome outcome;
};

#define TL_KEY 160

struct tl_lane {
	char key[TL_KEY];            /* label without numbering [+ address pair] */
	char label[OBS_NAME];        /* the label part alone */
	char pair[TL_KEY];           /* "→ remote" or "local → remote", or "" */
	char phase[OBS_NAME];        /* the label's first component */
	size_t order;                /* first appearance */
	size_t phase_order;          /* first appearance of its phase */
	uint64_t first, last;
	unsigned n, ok, failed, retx, notes;
	size_t nm;
	struct tl_mark m[HTML_MARKS_PER_LANE];
};

struct tl_slot;
struct tl_split;

struct tl {
	struct tl_lane *lanes;       /* sorted: by phase, then appearance */
	size_t nl;
	uint64_t tmax;
	int others;                  /* some labels went to "(other labels)" */
	struct tl_slot *hash;        /* transactions by tid */
	size_t hcap;
	struct tl_split *split;      /* labels used for several address pairs */
	size_t nsplit;
};

/* "size.rt.1500" -> "size.rt", "filter.port#1" -> "filter.port". */
void report_tl_label_key(const char *label, char *key, size_t len);
/* Builds t from log; 0, or -ENOMEM. tl_dispose in every case. */
int report_tl_build(struct tl *t, const struct obs_log *log);
void report_tl_dispose(struct tl *t);

#endif
