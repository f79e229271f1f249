/*
 * stun_summary.h - results of `natprobe stun` from its observations: one
 * row per server address and transport, with mapped address, RTT, server
 * software, RFC 5780 support and ALG rewriting, and findings for what
 * failed. Pure: observations in, findings out.
 */
#ifndef STUN_SUMMARY_H
#define STUN_SUMMARY_H

#include "findings.h"
#include "obs.h"

/* required_family: AF_UNSPEC means one working leg is enough; AF_INET or
 * AF_INET6 means every leg of that family must work. */
void stun_summarize(const struct obs_log *log, int required_family,
		    struct findings *out);

#endif
