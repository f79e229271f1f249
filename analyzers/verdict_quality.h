/*
 * verdict_quality.h - call quality against published thresholds:
 *   good     loss below 5 % and RTT below 300 ms
 *   warning  loss up to 10 % and RTT up to 600 ms
 *   bad      beyond either
 * Jitter is reported with the figures but does not move the verdict (no
 * threshold for it is published here). Each verdict says which figures it
 * rests on, their direction and how many samples.
 *
 * Inputs, in order of preference:
 *  1. media observations: NOTE records whose test starts with "media."
 *     and whose text is a list of key=value tokens separated by spaces:
 *        dir=send|recv     required: which direction the figures are for
 *        loss_pct=F        packets lost, percent, cumulative since the
 *                          stream started (so the last note of a direction
 *                          is the call's figure)
 *        rtt_ms=F          round-trip time of this interval (RTCP or
 *                          data-channel echo)
 *        jitter_ms=F       interarrival jitter (RFC 3550 §6.4.1) of this
 *                          interval, in milliseconds
 *        packets=N         packets the figures rest on (optional)
 *     e.g. "dir=recv loss_pct=1.2 rtt_ms=23.4 jitter_ms=2.1 packets=500".
 *     A figure may be absent or "-" when not measured; unknown keys are
 *     ignored; a note without dir= is ignored.
 *  2. when no media ran and ICE selected a pair: the RTTs of successful
 *     ICE check and consent responses ("ice.check"/"ice.consent", rtt_us)
 *     on the selected pair (else on any pair); loss is then "not
 *     measured". A run with no selected pair gets no quality verdict.
 * RTT and jitter verdicts use the median of the samples.
 */
#ifndef VERDICT_QUALITY_H
#define VERDICT_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "obs.h"

struct ice_report;

#define VQ_GOOD_LOSS_PCT 5.0
#define VQ_GOOD_RTT_MS 300.0
#define VQ_WARN_LOSS_PCT 10.0
#define VQ_WARN_RTT_MS 600.0
#define VQ_MAX_SAMPLES 256     /* per direction; later ones are dropped */
#define VQ_EVIDENCE 8

enum vq_grade { VQ_UNKNOWN = 0, VQ_GOOD, VQ_WARNING, VQ_BAD };
enum vq_dir { VQ_SEND, VQ_RECV, VQ_PATH, VQ__DIRS }; /* path: ICE RTT only */

/* One parsed media note. has_* is 0 when the figure was absent or "-". */
struct vq_sample {
	enum vq_dir dir;
	int has_loss, has_rtt, has_jitter, has_packets;
	double loss_pct, rtt_ms, jitter_ms;
	unsigned long long packets;
};

struct vq_dir_result {
	int present;
	enum vq_grade grade;
	char source[16];            /* "media", "ice-checks" */
	int has_loss, has_rtt, has_jitter;
	double loss_pct;            /* the last cumulative figure */
	double rtt_ms, rtt_max_ms;  /* median, max */
	double jitter_ms, jitter_max_ms;
	unsigned rtt_samples, jitter_samples, notes;
	unsigned long long packets;
	char explain[320];          /* the figures and the threshold crossed */
	uint64_t evidence[VQ_EVIDENCE];
	size_t nevidence;
};

struct call_quality {
	int present;
	enum vq_grade grade;        /* the worst direction */
	struct vq_dir_result dir[VQ__DIRS];
	size_t ignored;             /* media notes that did not parse */
};

/* Parses one media note text; 0, or NP_EINVAL without dir= or with a
 * figure that is not a finite non-negative number. */
int vq_parse_media(const char *text, struct vq_sample *s);

/* Fills q from the log (and the ICE summary of it, or NULL). Pure. */
void verdict_quality_build(const struct obs_log *log,
			   const struct ice_report *ice,
			   struct call_quality *q);

/* Grades figures against the thresholds; has_* 0 leaves that one out. */
enum vq_grade vq_grade_of(int has_loss, double loss_pct, int has_rtt,
			  double rtt_ms);
const char *vq_grade_name(enum vq_grade g);  /* "good", ..., "unknown" */
const char *vq_dir_name(enum vq_dir d);      /* "send", "recv", "path" */

#endif
