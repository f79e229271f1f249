/*
 * nat_details.h - the NAT report's other measurements (port allocation,
 * datagram sizes, hops, binding lifetime, TCP/TLS) and its findings.
 */
#ifndef NAT_DETAILS_H
#define NAT_DETAILS_H

#include "nat_classify.h"

#define NAT_MAX_SERVERS_VIEW 8

void nat_tcp_tls(const struct obs_log *log, struct nat_family *nf);
void nat_ports(const struct obs_log *log, struct nat_family *nf);
void nat_sizes(const struct obs_log *log, struct nat_family *nf);
void nat_hops(const struct obs_log *log, struct nat_family *nf);
void nat_lifetime(const struct obs_log *log, struct nat_family *nf);
/* Names, meaning, findings and the exit code. */
void nat_findings(const struct obs_log *log, struct nat_report *nr,
		  struct findings *fs);

#endif
