/*
 * nat_view.h - looking up one test of a `natprobe nat` run in the
 * observation log: how it ended, how many tries it took, what came back.
 * Shared by the NAT analyzers.
 */
#ifndef NAT_VIEW_H
#define NAT_VIEW_H

#include "findings.h"
#include "obs.h"

struct test_view {
	const struct obs *sent;      /* first transmission */
	const struct obs *end;       /* response/timeout/icmp/error, or NULL */
	unsigned tries;
	int ok;                      /* a success response from the right place */
	int error_code;              /* an error response's code */
	const struct obs *wrong_src; /* our tid, from somewhere else */
};

/* The test labelled exactly test, in family fam (AF_INET/AF_INET6). */
void nat_view(const struct obs_log *log, int fam, const char *test,
	      struct test_view *v);
/* The family an observation concerns, or 0. */
int nat_obs_family(const struct obs *o);
/* Appends the view's sequence numbers to an evidence list. */
void nat_view_evidence(const struct test_view *v, uint64_t *ev, size_t *n);

#endif
