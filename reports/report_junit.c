/*
 * report_junit.c - the run as JUnit XML, the format CI systems (Jenkins,
 * GitLab, GitHub Actions reporters) show as test results. A testsuite per
 * address family of a `natprobe nat` run, one for the legs of a
 * `natprobe stun` run (a testcase per server × transport × address) and
 * one for the policy checks of a stun run; a failed check or leg carries
 * its finding's title as the message and its detail and remedy as text.
 * Verdicts are the suite's properties. Attributes follow the Ant/Jenkins
 * JUnit schema: testsuites > testsuite > properties, testcase > failure.
 */
#include "report.h"
#include "nat_classify.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* XML 1.0 text: the five entities, control characters other than tab and
 * newline dropped (XML cannot carry them), newline kept only in element
 * text, and bytes that are not UTF-8 replaced with U+FFFD. */
static void xml(FILE *out, const char *s, int attr)
{
	while (*s) {
		size_t n = report_utf8_len(s);
		unsigned char c = (unsigned char)*s;

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			s++;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '\n': fputs(attr ? "&#10;" : "\n", out); break;
		case '\t': fputs(attr ? "&#9;" : "\t", out); break;
		default:
			if (c >= 0x20)
				fwrite(s, 1, n, out);
		}
		s += n;
	}
}

static void property(FILE *out, const char *name, const char *value)
{
	fputs("      <property name=\"", out);
	xml(out, name, 1);
	fputs("\" value=\"", out);
	xml(out, value, 1);
	fputs("\"/>\n", out);
}

static void failure(FILE *out, const char *type, const char *message,
		    const struct finding *f)
{
	fputs("      <failure type=\"", out);
	xml(out, type, 1);
	fputs("\" message=\"", out);
	xml(out, f ? f->title : message, 1);
	fputs("\">", out);
	if (f) {
		xml(out, f->detail, 0);
		if (f->remedy[0]) {
			fputs("\nfix: ", out);
			xml(out, f->remedy, 0);
		}
	} else {
		xml(out, message, 0);
	}
	fputs("</failure>\n", out);
}

/* A suite's opening: counts are known before its testcases go out. */
static void suite_open(FILE *out, const struct findings *fs, const char *name,
		       unsigned tests, unsigned failures)
{
	char when[40] = "";
	time_t t = (time_t)(fs->start_wall_us / 1000000u);
	struct tm tm;

	if (fs->start_wall_us && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fputs("  <testsuite name=\"", out);
	xml(out, name, 1);
	fprintf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"0\" time=\"0\"",
		tests, failures);
	if (when[0])
		fprintf(out, " timestamp=\"%s\"", when);
	fputs(">\n", out);
}

static const char *fam_word(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "any";
}

/* The policy results of one family (-1: all of them) as testcases. */
static void policy_cases(FILE *out, const struct findings *fs, const char *cls,
			 int family)
{
	for (size_t i = 0; i < fs->npolicy; i++) {
		const struct policy_result *r = &fs->policy[i];
		char name[64];

		if (family >= 0 && r->family != family)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", r->check, family < 0 && r->family ?
			 " " : "", family < 0 && r->family ? fam_word(r->family) : "");
		fputs("    <testcase classname=\"", out);
		xml(out, cls, 1);
		fputs("\" name=\"", out);
		xml(out, name, 1);
		fputs("\" time=\"0\"", out);
		if (r->passed) {
			fputs("/>\n", out);
			continue;
		}
		fputs(">\n", out);
		failure(out, r->finding >= 0 ? fs->f[r->finding].id : "check-failed",
			r->reason, r->finding >= 0 ? &fs->f[r->finding] : NULL);
		fputs("    </testcase>\n", out);
	}
}

static void policy_counts(const struct findings *fs, int family, unsigned *tests,
			  unsigned *failures)
{
	for (size_t i = 0; i < fs->npolicy; i++)
		if (family < 0 || fs->policy[i].family == family) {
			(*tests)++;
			*failures += !fs->policy[i].passed;
		}
}

static void nat_properties(FILE *out, const struct nat_family *nf)
{
	static const char *const tri[3] = { "unknown", "no", "yes" };
	char a[64], num[32];

	fputs("    <properties>\n", out);
	property(out, "server", nf->server);
	property(out, "udp", nf->udp == TRI_YES ? "ok" : nf->udp == TRI_NO ? "blocked" : "unknown");
	property(out, "tcp", tri[nf->tcp + 1]);
	property(out, "tls", tri[nf->tls + 1]);
	property(out, "tls_443", tri[nf->tls443 + 1]);
	property(out, "nat_present", tri[nf->nat + 1]);
	if (nf->udp == TRI_YES) {
		property(out, "mapped", np_addr_str(&nf->mapped, a, sizeof(a)));
		property(out, "mapping", nat_behavior_name(nf->mapping.value));
		property(out, "filtering", nat_behavior_name(nf->filtering.value));
		property(out, "hairpinning", nat_behavior_name(nf->hairpinning.value));
		property(out, "nat_type", nf->rfc3489_name);
		snprintf(num, sizeof(num), "%.3f", nf->rtt_us / 1000.0);
		property(out, "rtt_ms", num);
	}
	if (nf->max_out) {
		snprintf(num, sizeof(num), "%u", nf->max_out);
		property(out, "max_datagram_out", num);
	}
	if (nf->max_in) {
		snprintf(num, sizeof(num), "%u", nf->max_in);
		property(out, "max_datagram_in", num);
	}
	fputs("    </properties>\n", out);
}

static void nat_suites(FILE *out, const struct findings *fs)
{
	for (int fi = 0; fi < 3; fi++) {
		int family = fi == 0 ? AF_INET : fi == 1 ? AF_INET6 : 0;
		const struct nat_family *nf = fi < 2 ? &fs->nat->fam[fi] : NULL;
		unsigned tests = 0, failures = 0;
		char name[32];

		policy_counts(fs, family, &tests, &failures);
		if (!(nf && nf->tested) && tests == 0)
			continue;
		snprintf(name, sizeof(name), "natprobe.nat.%s", fam_word(family));
		suite_open(out, fs, name, tests, failures);
		if (nf && nf->tested)
			nat_properties(out, nf);
		policy_cases(out, fs, name, family);
		fputs("  </testsuite>\n", out);
	}
}

/* The finding that cites a leg's observations, if one does. */
static const struct finding *leg_finding(const struct findings *fs,
					 const struct stun_result *r)
{
	for (size_t i = 0; i < fs->nf; i++)
		for (size_t k = 0; k < fs->f[i].nevidence; k++)
			for (size_t e = 0; e < r->nevidence; e++)
				if (fs->f[i].evidence[k] == r->evidence[e] &&
				    fs->f[i].severity == SEV_ERROR)
					return &fs->f[i];
	return NULL;
}

static void stun_suites(FILE *out, const struct findings *fs)
{
	unsigned failures = 0, tests = 0;

	for (size_t i = 0; i < fs->nstun; i++)
		failures += fs->stun[i].status != LEG_OK;
	suite_open(out, fs, "natprobe.stun", (unsigned)fs->nstun, failures);
	for (size_t i = 0; i < fs->nstun; i++) {
		const struct stun_result *r = &fs->stun[i];
		char name[OBS_NAME * 2 + 96], a[64];

		snprintf(name, sizeof(name), "%s %s %s", r->server,
			 np_transport_name(r->transport),
			 r->remote.ss_family ? np_addr_str(&r->remote, a, sizeof(a)) : "unresolved");
		fputs("    <testcase classname=\"natprobe.stun\" name=\"", out);
		xml(out, name, 1);
		fputs("\" time=\"0\">\n", out);
		if (r->status != LEG_OK)
			failure(out, leg_status_name(r->status), r->message[0] ? r->message :
				leg_status_name(r->status), leg_finding(fs, r));
		/* Every field of the leg, as the text report names them. */
		fputs("      <system-out>", out);
		for (size_t k = 0; k < report_stun_nfields; k++) {
			struct field_val v;
			char buf[300];

			memset(&v, 0, sizeof(v));
			report_stun_fields[k].get(r, &v);
			if (!v.present)
				continue;
			if (v.kind == FIELD_STR)
				snprintf(buf, sizeof(buf), "%s", v.str);
			else if (v.kind == FIELD_MS)
				snprintf(buf, sizeof(buf), "%.3f", v.num / 1000.0);
			else if (v.kind == FIELD_TRI)
				snprintf(buf, sizeof(buf), "%s", tristate_name(v.tri));
			else
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v.num);
			xml(out, report_stun_fields[k].key, 0);
			fputs("=", out);
			xml(out, buf, 0);
			fputs("\n", out);
		}
		fputs("</system-out>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n", out);
	if (fs->npolicy == 0)
		return;
	failures = 0;
	policy_counts(fs, -1, &tests, &failures);
	suite_open(out, fs, "natprobe.stun.policy", tests, failures);
	policy_cases(out, fs, "natprobe.stun.policy", -1);
	fputs("  </testsuite>\n", out);
}

int report_junit(const struct findings *fs, FILE *out)
{
	unsigned tests = 0, failures = 0;
	char name[32];

	policy_counts(fs, -1, &tests, &failures);
	if (!fs->nat) {
		tests += (unsigned)fs->nstun;
		for (size_t i = 0; i < fs->nstun; i++)
			failures += fs->stun[i].status != LEG_OK;
	}
	snprintf(name, sizeof(name), "natprobe %s", fs->command ? fs->command : "");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", out);
	xml(out, name, 1);
	fprintf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" time=\"0\">\n",
		tests, failures);
	if (fs->nat)
		nat_suites(out, fs);
	else
		stun_suites(out, fs);
	fputs("</testsuites>\n", out);
	return ferror(out) ? -EIO : 0;
}
