/*
 * ice_whip.c - the offer/answer exchange of `natprobe ice --offer --whip
 * URL` (RFC 9725 §4.2): whip_post, then a check that the answer is ICE
 * SDP (RFC 8839) before the agent is given it; and, with --trickle, the
 * candidates gathered after the POST in PATCHes (§4.3.1).
 */
#include "ice_whip.h"
#include "ice_cand.h"
#include "np_err.h"
#include "sdp.h"
#include "whip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ice_whip_offer(const char *url, const char *offer, size_t len,
		   uint32_t timeout_ms, char **answer, size_t *alen,
		   char *location, size_t loclen, char *etag, size_t etaglen,
		   char *why, size_t wlen)
{
	struct sdp *s = NULL;
	struct sdp_error e;
	size_t mi = 0;
	int rc;

	rc = whip_post_etag(url, offer, len, timeout_ms, answer, alen,
			    location, loclen, etag, etaglen, why, wlen);
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

int ice_whip_trickle(const char *loc, const char *etag,
		     const struct sdp_media *m, size_t from, int eoc,
		     uint32_t timeout_ms, char *why, size_t wlen)
{
	size_t cap = 1024 + (m->ncands - from) * 256, n;
	char *frag = malloc(cap);
	int rc;

	if (!frag)
		return np_say(why, wlen, NP_ENOMEM, "out of memory");
	/* RFC 8840 §9.2: the credentials, then the m-line the candidates
	 * belong to (identified by its mid), then the candidates. */
	n = (size_t)snprintf(frag, cap, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
			     "m=%s 9 %s %s\r\na=mid:%s\r\n", m->ufrag, m->pwd,
			     m->kind[0] ? m->kind : "application",
			     m->proto[0] ? m->proto : "UDP/DTLS/SCTP",
			     m->fmt[0] ? m->fmt : "webrtc-datachannel",
			     m->mid[0] ? m->mid : "0");
	for (size_t i = from; i < m->ncands && n + 256 < cap; i++) {
		n += (size_t)snprintf(frag + n, cap - n, "a=");
		rc = ice_cand_format(&m->cands[i], frag + n, cap - n - 2);
		if (rc < 0) {
			free(frag);
			return np_say(why, wlen, rc, "cannot write a candidate");
		}
		n += strlen(frag + n);
		n += (size_t)snprintf(frag + n, cap - n, "\r\n");
	}
	if (eoc)
		n += (size_t)snprintf(frag + n, cap - n, "a=end-of-candidates\r\n");
	rc = whip_patch(loc, etag, frag, n, timeout_ms, why, wlen);
	free(frag);
	return rc;
}
