/*
 * ice_whip.c - the offer/answer exchange of `natprobe ice --offer --whip
 * URL` (RFC 9725 §4.2): whip_post, then a check that the answer is ICE
 * SDP (RFC 8839) before the agent is given it.
 */
#include "ice_whip.h"
#include "np_err.h"
#include "sdp.h"
#include "whip.h"

#include <stdio.h>
#include <stdlib.h>

int ice_whip_offer(const char *url, const char *offer, size_t len,
		   uint32_t timeout_ms, char **answer, size_t *alen,
		   char *location, size_t loclen, char *why, size_t wlen)
{
	struct sdp *s = NULL;
	struct sdp_error e;
	size_t mi = 0;
	int rc;

	rc = whip_post(url, offer, len, timeout_ms, answer, alen, location,
		       loclen, why, wlen);
	if (rc < 0)
		return rc;
	rc = sdp_new(&s);
	if (rc < 0) {
		snprintf(why, wlen, "out of memory");
		goto fail;
	}
	if (sdp_parse(*answer, *alen, s, &e) < 0) {
		snprintf(why, wlen, "%s: the answer in the 201 is not SDP: %s",
			 url, e.text);
		rc = NP_EINVAL;
		goto fail;
	}
	while (mi + 1 < s->nmedia && !s->media[mi].ufrag[0])
		mi++;
	if (s->nmedia == 0 || !s->media[mi].ufrag[0] || !s->media[mi].pwd[0]) {
		snprintf(why, wlen, "%s: the answer in the 201 has no ice-ufrag/ice-pwd",
			 url);
		rc = NP_EINVAL;
		goto fail;
	}
	sdp_free(s);
	return 0;
fail:
	sdp_free(s);
	free(*answer);
	*answer = NULL;
	*alen = 0;
	return rc;
}
