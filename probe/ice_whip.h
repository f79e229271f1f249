/*
 * ice_whip.h - WHIP (RFC 9725) as a signaling transport for `natprobe ice
 * --offer`: the offer goes out in a POST and the answer comes back in the
 * 201, instead of through signaling files. A thin layer over whip_post
 * (probe/whip.h) that also checks the answer is something the ICE agent
 * can use, so a wrong endpoint is named before any check is sent.
 */
#ifndef ICE_WHIP_H
#define ICE_WHIP_H

#include <stddef.h>
#include <stdint.h>

/*
 * POSTs offer[len] to url and waits at most timeout_ms. On success
 * *answer is the answer SDP (malloc'd, NUL-terminated; the caller frees),
 * *alen its length, and location the absolute session URL (for DELETE
 * with whip_delete when the run ends). Errors are whip_post's (a sentence
 * naming the URL in why), plus NP_EINVAL when the 201's body does not
 * parse as SDP or has no ice-ufrag/ice-pwd: the sentence quotes
 * sdp_parse's reason, and *answer is NULL.
 */
int ice_whip_offer(const char *url, const char *offer, size_t len,
		   uint32_t timeout_ms, char **answer, size_t *alen,
		   char *location, size_t loclen, char *etag, size_t etaglen,
		   char *why, size_t wlen);

struct sdp_media;
/*
 * Trickle ICE (RFC 9725 §4.3.1, RFC 8840 §9): PATCHes the candidates
 * m->cands[from..] of our first m-line (m: its ICE credentials, kind,
 * proto, format and mid) to the session URL loc, with
 * a=end-of-candidates when eoc. 0, or whip_patch's codes (NP_ENOTFOUND:
 * the endpoint takes no trickle).
 */
int ice_whip_trickle(const char *loc, const char *etag,
		     const struct sdp_media *m, size_t from, int eoc,
		     uint32_t timeout_ms, char *why, size_t wlen);

#endif
