/* findings.c - names and helpers for analyzer results (see findings.h). */
#include "findings.h"

#include <stdio.h>
#include <string.h>

const char *leg_status_name(enum leg_status s)
{
	static const char *const names[LEG__COUNT] = {
		"ok", "error-response", "timeout", "refused", "unreachable",
		"malformed", "resolve-failed", "tls-failed", "error",
	};

	return (unsigned)s < LEG__COUNT ? names[s] : "?";
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_INFO: return "info";
	case SEV_WARNING: return "warning";
	case SEV_ERROR: return "error";
	}
	return "?";
}

const char *tristate_name(enum tristate t)
{
	return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "unknown";
}

struct finding *findings_add(struct findings *fs, const char *id,
			     enum severity sev)
{
	struct finding *f;

	if (fs->nf >= FINDINGS_MAX)
		return NULL;
	f = &fs->f[fs->nf++];
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->severity = sev;
	return f;
}

void finding_evidence(struct finding *f, uint64_t seq)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i] == seq)
			return;
	if (f->nevidence < FINDING_MAX_EVIDENCE)
		f->evidence[f->nevidence++] = seq;
}
