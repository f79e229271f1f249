/*
 * srtp_session.c - libsrtp2 keyed from DTLS-SRTP (see srtp_session.h).
 *
 * libsrtp allows one "any SSRC" template per srtp_t, so each direction has
 * its own: tx with ssrc_any_outbound and our key, rx with ssrc_any_inbound
 * and the peer's. libsrtp clones a stream for a new inbound SSRC only once
 * a packet of it authenticates, so spoofed SSRCs cost it nothing; our own
 * table is capped.
 */
#include "srtp_session.h"
#include "demux.h"
#include "np_err.h"
#include "np_rd.h"
#include "rtp.h"

#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

struct srtp_session {
	srtp_t tx, rx;
	int profile;
	struct srtp_ssrc_counts row[SRTP_SESSION_MAX_SSRC];
	size_t nrow;
	uint64_t overflow;
};

static int set_policy(srtp_policy_t *p, int profile)
{
	switch (profile) {
	case DTLS_SRTP_AES128_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return 0;
	case DTLS_SRTP_AES128_CM_SHA1_32:
		/* RFC 5764 §4.1.2: "SRTCP_AUTH_TAG_LENGTH=80" for both. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return 0;
	case DTLS_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		return 0;
	case DTLS_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		return 0;
	}
	return NP_EINVAL;
}

static int make(srtp_t *out, int profile, srtp_ssrc_type_t type,
		const uint8_t *key, const uint8_t *salt, size_t kl, size_t sl)
{
	/* libsrtp takes the master key followed by the master salt. */
	uint8_t ks[DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX];
	srtp_policy_t p;
	int err;

	memset(&p, 0, sizeof(p));
	if ((err = set_policy(&p, profile)))
		return err;
	memcpy(ks, key, kl);
	memcpy(ks + kl, salt, sl);
	p.ssrc.type = type;
	p.key = ks;
	/* Reordering up to 1024 packets is tolerated (RFC 3711 §3.3.2
	 * allows a larger window than 64). */
	p.window_size = 1024;
	p.allow_repeat_tx = 0;
	err = srtp_create(out, &p) == srtp_err_status_ok ? 0 : NP_EINTERNAL;
	memset(ks, 0, sizeof(ks));
	return err;
}

int srtp_session_new(const struct dtls_srtp_keys *k, struct srtp_session **out)
{
	struct srtp_session *s;
	const uint8_t *lk, *ls, *rk, *rs;
	int err;

	*out = NULL;
	if (k->key_len > DTLS_SRTP_KEY_MAX || k->salt_len > DTLS_SRTP_SALT_MAX)
		return NP_EINVAL;
	/* libsrtp's crypto kernel is process-wide: the first srtp_init sets
	 * it up, later calls return an error that means "already done" (2.5
	 * returns bad_param). A kernel that never came up makes srtp_create
	 * fail below, so the result is not needed here. */
	(void)srtp_init();
	s = calloc(1, sizeof(*s));
	if (!s)
		return NP_ENOMEM;
	s->profile = k->profile;
	lk = k->is_client ? k->client_key : k->server_key;
	ls = k->is_client ? k->client_salt : k->server_salt;
	rk = k->is_client ? k->server_key : k->client_key;
	rs = k->is_client ? k->server_salt : k->client_salt;
	err = make(&s->tx, k->profile, ssrc_any_outbound, lk, ls, k->key_len,
		   k->salt_len);
	if (!err)
		err = make(&s->rx, k->profile, ssrc_any_inbound, rk, rs,
			   k->key_len, k->salt_len);
	if (err) {
		srtp_session_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void srtp_session_free(struct srtp_session *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	free(s);
}

static struct srtp_ssrc_counts *row(struct srtp_session *s, uint32_t ssrc,
				    int rtcp)
{
	for (size_t i = 0; i < s->nrow; i++)
		if (s->row[i].ssrc == ssrc && s->row[i].rtcp == rtcp)
			return &s->row[i];
	if (s->nrow == SRTP_SESSION_MAX_SSRC)
		return NULL;
	s->row[s->nrow].ssrc = ssrc;
	s->row[s->nrow].rtcp = rtcp;
	return &s->row[s->nrow++];
}

static int check_room(size_t len, size_t cap)
{
	if (len > INT32_MAX || cap < len || cap - len < SRTP_SESSION_TRAILER)
		return NP_ENOSPACE;
	return 0;
}

int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf,
			     size_t *len, size_t cap)
{
	struct rtp_hdr h;
	int n = (int)*len, err;

	if ((err = check_room(*len, cap)))
		return err;
	if (rtp_parse(buf, *len, &h))
		return NP_EINVAL;
	if (srtp_protect(s->tx, buf, &n) != srtp_err_status_ok)
		return NP_EINTERNAL;
	*len = (size_t)n;
	return 0;
}

int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf,
			      size_t *len, size_t cap)
{
	int n = (int)*len, err;

	if ((err = check_room(*len, cap)))
		return err;
	if (*len < DEMUX_MIN_RTCP || buf[0] >> 6 != RTP_VERSION)
		return NP_EINVAL;
	if (srtp_protect_rtcp(s->tx, buf, &n) != srtp_err_status_ok)
		return NP_EINTERNAL;
	*len = (size_t)n;
	return 0;
}

static int count(struct srtp_session *s, uint32_t ssrc, int rtcp,
		 srtp_err_status_t st, size_t plain_len, int malformed)
{
	struct srtp_ssrc_counts *r = row(s, ssrc, rtcp);

	if (!r) {
		s->overflow++;
		return st == srtp_err_status_ok && !malformed ? 0 : NP_EINVAL;
	}
	if (malformed) {
		r->malformed++;
		return NP_EINVAL;
	}
	switch (st) {
	case srtp_err_status_ok:
		r->ok++;
		r->bytes += plain_len;
		return 0;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		r->replay++;
		return NP_EINVAL;
	case srtp_err_status_auth_fail:
		r->auth_fail++;
		return NP_EINVAL;
	default:
		r->malformed++;
		return NP_EINVAL;
	}
}

int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf,
			       size_t *len)
{
	struct rtp_hdr h;
	srtp_err_status_t st;
	int n = (int)*len;

	if (*len < RTP_HDR_MIN || *len > INT32_MAX)
		return NP_EINVAL;   /* no SSRC to count it under */
	/* libsrtp reads the header itself; we bound it first. */
	if (rtp_parse(buf, *len, &h))
		return count(s, np_get32(buf + 8), 0, srtp_err_status_ok, 0, 1);
	st = srtp_unprotect(s->rx, buf, &n);
	if (st == srtp_err_status_ok)
		*len = (size_t)n;
	return count(s, h.ssrc, 0, st, st == srtp_err_status_ok ?
		     *len - h.hdr_len : 0, 0);
}

int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf,
				size_t *len)
{
	srtp_err_status_t st;
	uint32_t ssrc;
	int n = (int)*len;

	if (*len < DEMUX_MIN_RTCP || *len > INT32_MAX)
		return NP_EINVAL;
	ssrc = np_get32(buf + 4);
	/* V=2 and an RTCP type, the index and a tag after the header. */
	if (buf[0] >> 6 != RTP_VERSION || buf[1] < 192 || buf[1] > 223 ||
	    *len < DEMUX_MIN_RTCP + 4 + 10)
		return count(s, ssrc, 1, srtp_err_status_ok, 0, 1);
	st = srtp_unprotect_rtcp(s->rx, buf, &n);
	if (st == srtp_err_status_ok)
		*len = (size_t)n;
	return count(s, ssrc, 1, st, st == srtp_err_status_ok ? *len : 0, 0);
}

const struct srtp_ssrc_counts *srtp_session_counts(const struct srtp_session *s,
						   size_t *n, uint64_t *overflow)
{
	*n = s->nrow;
	if (overflow)
		*overflow = s->overflow;
	return s->row;
}

const struct srtp_ssrc_counts *srtp_session_find(const struct srtp_session *s,
						 uint32_t ssrc, int rtcp)
{
	for (size_t i = 0; i < s->nrow; i++)
		if (s->row[i].ssrc == ssrc && s->row[i].rtcp == rtcp)
			return &s->row[i];
	return NULL;
}
