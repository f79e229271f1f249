/*
 * report_openmetrics.c - the run as an OpenMetrics 1.0 text exposition,
 * for Prometheus (node_exporter's textfile collector, a pushgateway, or
 * a scrape of a file server). Every family is a gauge, so the text is
 * valid both as OpenMetrics and as the Prometheus text format 0.0.4 that
 * `promtool check metrics` reads; verdicts are "_info" gauges of value 1
 * carrying the verdict as a label. Families with no sample are left out,
 * and the exposition ends with "# EOF".
 */
#include "report.h"
#include "nat_classify.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

size_t report_utf8_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	unsigned cp;

	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A metric family; its HELP/TYPE/UNIT lines go out before its first
 * sample, so an empty family never appears. */
struct om_family {
	const char *name, *unit, *help;
	int started;
};

/* Label values escape \, " and newline (OpenMetrics §ABNF); bytes that
 * are not UTF-8 (a server's SOFTWARE attribute is untrusted) become
 * U+FFFD. */
static void om_escaped(FILE *out, const char *s)
{
	while (*s) {
		size_t n = report_utf8_len(s);

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			s++;
			continue;
		}
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fwrite(s, 1, n, out);
		s += n;
	}
}

/* One sample: labels as a NULL-terminated list of name, value pairs. */
static void om_sample(FILE *out, struct om_family *f, const char *const *labels,
		      double v)
{
	char num[64];
	size_t n = (size_t)snprintf(num, sizeof(num), "%.6f", v);

	if (!f->started) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", f->name, f->help, f->name);
		if (f->unit)
			fprintf(out, "# UNIT %s %s\n", f->name, f->unit);
		f->started = 1;
	}
	fputs(f->name, out);
	for (size_t i = 0; labels && labels[i]; i += 2) {
		fprintf(out, "%s%s=\"", i ? "," : "{", labels[i]);
		om_escaped(out, labels[i + 1]);
		fputc('"', out);
		if (!labels[i + 2])
			fputc('}', out);
	}
	/* Microsecond precision, without trailing zeros: 0.0123, 1, 0.5. */
	while (n > 1 && num[n - 1] == '0')
		num[--n] = '\0';
	if (n > 1 && num[n - 1] == '.')
		num[--n] = '\0';
	fprintf(out, " %s\n", num);
}

static const char *fam_label(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "";
}

static void stun_metrics(const struct findings *fs, FILE *out)
{
	struct om_family up = { "natprobe_stun_up", NULL,
		"1 when the STUN server answered over this transport and address", 0 };
	struct om_family rtt[3] = {
		{ "natprobe_stun_rtt_min_seconds", "seconds", "Smallest Binding round-trip time", 0 },
		{ "natprobe_stun_rtt_median_seconds", "seconds", "Median Binding round-trip time", 0 },
		{ "natprobe_stun_rtt_max_seconds", "seconds", "Largest Binding round-trip time", 0 },
	};
	struct om_family reach[3] = {
		{ "natprobe_udp_reachable", NULL, "1 when a STUN server answered over UDP", 0 },
		{ "natprobe_tcp_reachable", NULL, "1 when a STUN server answered over TCP", 0 },
		{ "natprobe_tls_reachable", NULL, "1 when a STUN server answered over TLS", 0 },
	};
	char addr[64];

	for (int m = -1; m < 3; m++) {
		for (size_t i = 0; i < fs->nstun; i++) {
			const struct stun_result *r = &fs->stun[i];
			const uint32_t us[3] = { r->rtt_min_us, r->rtt_median_us, r->rtt_max_us };
			const char *labels[] = {
				"server", r->server, "transport", np_transport_name(r->transport),
				"family", fam_label(r->family),
				"address", np_addr_str(&r->remote, addr, sizeof(addr)), NULL,
			};

			if (m < 0)
				om_sample(out, &up, labels, r->status == LEG_OK);
			else if (r->samples)
				om_sample(out, &rtt[m], labels, us[m] / 1e6);
		}
	}
	/* Reachability per transport and family, over all servers. */
	for (int t = 0; t < 3; t++) {
		for (int fi = 0; fi < 2; fi++) {
			int family = fi ? AF_INET6 : AF_INET, legs = 0, ok = 0;
			const char *labels[] = { "family", fam_label(family), NULL };

			for (size_t i = 0; i < fs->nstun; i++)
				if ((int)fs->stun[i].transport == t && fs->stun[i].family == family) {
					legs++;
					ok += fs->stun[i].status == LEG_OK;
				}
			if (legs)
				om_sample(out, &reach[t], labels, ok > 0);
		}
	}
}

static void tri_metric(FILE *out, struct om_family *f, const char *family,
		       enum tristate t)
{
	const char *labels[] = { "family", family, NULL };

	if (t != TRI_UNKNOWN)
		om_sample(out, f, labels, t == TRI_YES);
}

static void nat_metrics(const struct nat_report *nr, FILE *out)
{
	struct om_family reach[5] = {
		{ "natprobe_udp_reachable", NULL, "1 when STUN over UDP reached the server", 0 },
		{ "natprobe_tcp_reachable", NULL, "1 when STUN over TCP worked", 0 },
		{ "natprobe_tls_reachable", NULL, "1 when STUN over TLS worked", 0 },
		{ "natprobe_tls443_reachable", NULL, "1 when STUN over TLS on port 443 worked", 0 },
		{ "natprobe_nat_present", NULL, "1 when the mapped address differs from the local one", 0 },
	};
	struct om_family verdict[3] = {
		{ "natprobe_nat_mapping_info", NULL, "NAT mapping behaviour (RFC 4787), as the value label", 0 },
		{ "natprobe_nat_filtering_info", NULL, "NAT filtering behaviour (RFC 4787), as the value label", 0 },
		{ "natprobe_nat_hairpinning_info", NULL, "NAT hairpinning, as the value label", 0 },
	};
	struct om_family rtt = { "natprobe_nat_rtt_seconds", "seconds",
		"Smallest round-trip time to the primary STUN server", 0 };
	struct om_family loss = { "natprobe_nat_loss_ratio", "ratio",
		"Fraction of STUN tries left unanswered", 0 };
	struct om_family size = { "natprobe_max_datagram_bytes", "bytes",
		"Largest IP datagram that passed, per direction", 0 };

	for (int m = 0; m < 5; m++)
		for (int fi = 0; fi < 2; fi++) {
			const struct nat_family *nf = &nr->fam[fi];
			const enum tristate t[5] = { nf->udp, nf->tcp, nf->tls, nf->tls443, nf->nat };

			if (nf->tested)
				tri_metric(out, &reach[m], fam_label(nf->family), t[m]);
		}
	for (int m = 0; m < 3; m++)
		for (int fi = 0; fi < 2; fi++) {
			const struct nat_family *nf = &nr->fam[fi];
			const struct nat_verdict *v[3] = { &nf->mapping, &nf->filtering,
							   &nf->hairpinning };
			const char *labels[] = { "family", fam_label(nf->family), "value",
						 nat_behavior_name(v[m]->value), "confidence",
						 confidence_name(v[m]->confidence), NULL };

			if (nf->tested && nf->udp == TRI_YES)
				om_sample(out, &verdict[m], labels, 1);
		}
	for (int fi = 0; fi < 2; fi++) {
		const struct nat_family *nf = &nr->fam[fi];
		const char *labels[] = { "family", fam_label(nf->family), NULL };

		if (nf->tested && nf->udp == TRI_YES)
			om_sample(out, &rtt, labels, nf->rtt_us / 1e6);
	}
	for (int fi = 0; fi < 2; fi++) {
		const struct nat_family *nf = &nr->fam[fi];
		const char *labels[] = { "family", fam_label(nf->family), NULL };

		if (nf->tested && nf->udp == TRI_YES)
			om_sample(out, &loss, labels, nf->loss);
	}
	for (int fi = 0; fi < 2; fi++) {
		const struct nat_family *nf = &nr->fam[fi];
		const char *out_l[] = { "family", fam_label(nf->family), "direction", "out", NULL };
		const char *in_l[] = { "family", fam_label(nf->family), "direction", "in", NULL };

		if (nf->tested && nf->max_out)
			om_sample(out, &size, out_l, nf->max_out);
		if (nf->tested && nf->max_in)
			om_sample(out, &size, in_l, nf->max_in);
	}
}

int report_openmetrics(const struct findings *fs, FILE *out)
{
	struct om_family info = { "natprobe_run_info", NULL,
		"The natprobe version and command of this run", 0 };
	struct om_family start = { "natprobe_run_start_timestamp_seconds", "seconds",
		"When the run started, in seconds since the Unix epoch", 0 };
	struct om_family exitc = { "natprobe_exit_code", NULL,
		"Exit code: 0 every required check passed, 1 one failed", 0 };
	struct om_family nfind = { "natprobe_findings", NULL,
		"Findings of the run by severity", 0 };
	struct om_family check = { "natprobe_check_passed", NULL,
		"1 when a required check passed, per address family", 0 };
	const char *info_l[] = { "version", NATPROBE_VERSION, "command",
				 fs->command ? fs->command : "", NULL };
	static const char *const sev[3] = { "info", "warning", "error" };

	om_sample(out, &info, info_l, 1);
	if (fs->start_wall_us)
		om_sample(out, &start, NULL, (double)(fs->start_wall_us / 1000) / 1e3);
	om_sample(out, &exitc, NULL, fs->exit_code);
	for (int s = 0; s < 3; s++) {
		const char *labels[] = { "severity", sev[s], NULL };
		unsigned n = 0;

		for (size_t i = 0; i < fs->nf; i++)
			n += (int)fs->f[i].severity == s;
		om_sample(out, &nfind, labels, n);
	}
	for (size_t i = 0; i < fs->npolicy; i++) {
		const struct policy_result *r = &fs->policy[i];
		const char *labels[] = { "check", r->check, "family",
					 r->family ? fam_label(r->family) : "any", NULL };

		om_sample(out, &check, labels, r->passed);
	}
	if (fs->nat)
		nat_metrics(fs->nat, out);
	else
		stun_metrics(fs, out);
	fputs("# EOF\n", out);
	return ferror(out) ? -EIO : 0;
}
