/* nat_view.c - find one test's observations (see nat_view.h). */
#include "nat_view.h"

#include <string.h>

int nat_obs_family(const struct obs *o)
{
	if (o->has & OBS_HAS_REMOTE)
		return o->remote.ss_family;
	if (o->has & OBS_HAS_SOURCE)
		return o->source.ss_family;
	if (o->has & OBS_HAS_LOCAL)
		return o->local.ss_family;
	return 0;
}

void nat_view(const struct obs_log *log, int fam, const char *test,
	      struct test_view *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < log->n; i++) {
		const struct obs *o = &log->v[i];

		if (strcmp(o->test, test) != 0 || nat_obs_family(o) != fam)
			continue;
		switch (o->kind) {
		case OBS_SENT:
			if (!v->sent)
				v->sent = o;
			v->tries++;
			break;
		case OBS_RETRANSMIT:
			v->tries++;
			break;
		case OBS_RESPONSE:
			v->end = o;
			if (o->has & OBS_HAS_ERROR_CODE)
				v->error_code = o->error_code;
			else
				v->ok = 1;
			break;
		case OBS_TIMEOUT:
		case OBS_ICMP:
		case OBS_ERROR:
			if (!v->end)
				v->end = o;
			break;
		case OBS_UNMATCHED:
			if (!v->wrong_src)
				v->wrong_src = o;
			break;
		default:
			break;
		}
	}
}

void nat_view_evidence(const struct test_view *v, uint64_t *ev, size_t *n)
{
	const struct obs *list[3] = { v->sent, v->end, v->wrong_src };

	for (int i = 0; i < 3; i++) {
		if (!list[i] || *n >= FINDING_MAX_EVIDENCE)
			continue;
		ev[(*n)++] = list[i]->seq;
	}
}
