/*
 * report_html.h - what the HTML report's files share: the escaper every
 * string from an observation goes through, and the SVG timeline.
 */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "obs.h"

/* Caps, so a huge log still gives a page a browser can open: lanes past
 * HTML_LANES_MAX share one "other" lane, and each lane draws at most
 * HTML_MARKS_PER_LANE requests (the page says how many it left out). */
#define HTML_LANES_MAX 48
#define HTML_MARKS_PER_LANE 250

/* Writes s as HTML text that is also safe inside a quoted attribute: the
 * five markup characters as entities, control characters dropped, bytes
 * that are not UTF-8 as U+FFFD, and "://" written as ":&#47;&#47;" so the
 * page's source holds no URL a peer chose. */
void report_html_esc(FILE *out, const char *s);
/* "850 µs", "12.3 ms", "1.42 s". */
void report_html_dur(char *buf, size_t len, uint64_t us);
/* The run's timeline as an inline <svg> (with a legend and a note on
 * what the caps left out); a paragraph saying so when log is NULL/empty. */
void report_html_timeline(const struct obs_log *log, FILE *out);

#endif
