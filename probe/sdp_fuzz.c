/*
 * sdp_fuzz.c - libFuzzer target for the SDP parser and writer (sdp.c).
 *
 * Each input is parsed as a whole description. A rejection must name a
 * known error kind with a terminated sentence. Whatever parses is written
 * back, and the writer's output must parse and write again to the same
 * bytes (write(parse(write(parse(x)))) == write(parse(x))); every
 * candidate must also survive format -> sdp_parse_candidate -> format.
 * Each line is also offered to sdp_parse_candidate on its own, as a
 * trickled candidate would be. No randomness. Seeds: fixtures/sdp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"
#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "sdp_fuzz: %s: %s\n", what, detail ? detail : "");
	abort();
}

static void check_err(int rc, const struct sdp_error *err)
{
	if (rc == 0)
		return;
	if (rc != NP_EINVAL || err->kind <= SDP_ERR_NONE ||
	    err->kind >= SDP_ERR__COUNT || !memchr(err->text, 0,
						  sizeof(err->text)) ||
	    !err->text[0])
		die("rejection without a named error", err->text);
}

static void candidate_round_trip(const struct ice_cand *c)
{
	char a[SDP_MAX_LINE], b[SDP_MAX_LINE];
	struct ice_cand c2;
	struct sdp_error err;

	if (ice_cand_format(c, a, sizeof(a)))
		die("candidate does not format", c->foundation);
	if (sdp_parse_candidate(a, strlen(a), &c2, &err) != 1)
		die("formatted candidate does not parse", err.text);
	if (ice_cand_format(&c2, b, sizeof(b)) || strcmp(a, b))
		die("candidate round trip differs", b);
	if (c2.priority != c->priority || c2.component != c->component ||
	    c2.type != c->type || c2.tcptype != c->tcptype ||
	    c2.port != c->port || strcmp(c2.foundation, c->foundation))
		die("candidate fields differ", a);
	ice_cand_check_remote(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp *s, *s2;
	static char out1[SDP_MAX_SIZE * 4], out2[SDP_MAX_SIZE * 4];
	struct sdp_error err;
	struct ice_cand c;
	const char *text = (const char *)data, *p, *nl;
	size_t len1, len2, i, j;
	int rc;

	if (!s && (sdp_new(&s) || sdp_new(&s2)))
		die("sdp_new", NULL);
	/* Every line as a lone trickled candidate. */
	for (p = text; p < text + size; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + size - p));
		if (!nl)
			nl = text + size;
		rc = sdp_parse_candidate(p, (size_t)(nl - p), &c, &err);
		check_err(rc < 0 ? rc : 0, &err);
		if (rc == 1)
			candidate_round_trip(&c);
	}
	rc = sdp_parse(text, size, s, &err);
	check_err(rc, &err);
	if (rc)
		return 0;
	if (s->nmedia > SDP_MAX_MEDIA || s->nbundle > SDP_MAX_MEDIA)
		die("counts over their caps", NULL);
	for (i = 0; i < s->nmedia; i++) {
		if (s->media[i].ncands > SDP_MAX_CANDS)
			die("candidates over the cap", NULL);
		for (j = 0; j < s->media[i].ncands; j++)
			candidate_round_trip(&s->media[i].cands[j]);
	}
	if (sdp_write(s, out1, sizeof(out1), &len1))
		die("write", NULL);
	rc = sdp_parse(out1, len1, s2, &err);
	if (rc)
		die("written SDP does not parse", err.text);
	if (s2->nmedia != s->nmedia || s2->bare != s->bare)
		die("media count differs after round trip", NULL);
	if (sdp_write(s2, out2, sizeof(out2), &len2))
		die("second write", NULL);
	if (len1 != len2 || memcmp(out1, out2, len1))
		die("write(parse(write(x))) differs", out2);
	return 0;
}
