/*
 * dashboard.h - the live full-screen view of a `natprobe nat`,
 * `natprobe stun` or `natprobe ice` run, and of the full diagnosis
 * (ncurses).
 *
 * It renders, it does not probe: observations reach it through the log's
 * on_add hook, and every ~100 ms it re-runs the pure analyzers
 * (nat_classify, stun_summarize, ice_analyze, webrtc_analyze) on the
 * log so far. Its redraw timer,
 * stdin (keys) and a signalfd for SIGWINCH, SIGINT and SIGTERM live in
 * the run's own event loop: no threads, no sleeps. q, Ctrl-C or SIGTERM
 * stop the loop, so the probe returns with what it has seen.
 */
#ifndef DASHBOARD_H
#define DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "evloop.h"
#include "obs.h"

enum dash_end {
	DASH_RAN = 0,       /* the run ended by itself */
	DASH_QUIT_KEY,      /* the user pressed q */
	DASH_QUIT_SIGNAL,   /* Ctrl-C (SIGINT) or SIGTERM */
};

struct dashboard;

/*
 * Takes over the terminal on stdout (keys from stdin) and hooks into log
 * and loop, both borrowed until dashboard_free. command is "nat",
 * "stun" or "ice" (an ICE session in a "nat" run is shown too, once it
 * starts); server names the target in the header; family is the family
 * the user required (stun_summarize's required_family). Returns 0, or a
 * negative NP_E / -errno code with the terminal untouched and why set.
 */
int dashboard_open(struct np_loop *loop, struct obs_log *log,
		   const char *command, const char *server, int family,
		   struct dashboard **out, char *why, size_t wlen);
/* Gives the terminal back (endwin), unhooks from log and loop, and
 * restores the signal mask after taking any pending SIGINT/SIGTERM as a
 * stop. Safe to call twice; dashboard_free calls it. */
void dashboard_close(struct dashboard *d);
void dashboard_free(struct dashboard *d);
/* How the run ended, as far as the dashboard knows. */
enum dash_end dashboard_end(const struct dashboard *d);
/* Run time when the dashboard stopped it (µs), 0 if it did not. */
uint64_t dashboard_stopped_at(const struct dashboard *d);

#endif
