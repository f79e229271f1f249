/*
 * srtp_session.h - SRTP and SRTCP (RFC 3711, RFC 7714 for AEAD) through
 * libsrtp2, keyed from DTLS-SRTP (RFC 5764 §4.2): our direction with our
 * role's key and salt, the peer's with the other.
 *
 * Profiles: SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32 (its SRTCP tag
 * stays 80 bits, RFC 5764 §4.1.2), SRTP_AEAD_AES_128_GCM and
 * SRTP_AEAD_AES_256_GCM (16-byte tags, RFC 7714 §14.2).
 *
 * Every packet the peer sends is counted per SSRC: authenticated, failed
 * authentication, replayed, malformed. The table is capped; SSRCs past the
 * cap are counted together. A failed packet is a count, never an error.
 */
#ifndef SRTP_SESSION_H
#define SRTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "dtls.h"

/* Room protect needs after the packet: tag (16 max) and the SRTCP index
 * (4); with margin for libsrtp's MKI bound. */
#define SRTP_SESSION_TRAILER 148
#define SRTP_SESSION_MAX_SSRC 32

struct srtp_ssrc_counts {
	uint32_t ssrc;
	int rtcp;                /* 1: these are SRTCP counts */
	uint64_t ok, auth_fail, replay, malformed;
	uint64_t bytes;          /* authenticated payload bytes */
};

struct srtp_session;

/* Keys from dtls_srtp_keys; k->is_client says which half is ours. */
int srtp_session_new(const struct dtls_srtp_keys *k, struct srtp_session **out);
void srtp_session_free(struct srtp_session *s);

/* In place: *len grows by the tag (and the SRTCP index); cap is the
 * buffer's size. NP_ENOSPACE without room, NP_EINVAL for a packet that is
 * not RTP/RTCP, NP_EINTERNAL for a libsrtp refusal (e.g. a repeated
 * sequence number). */
int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf,
			     size_t *len, size_t cap);
int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf,
			      size_t *len, size_t cap);
/* In place: on success *len shrinks to the plain packet and 0 is returned;
 * otherwise NP_EINVAL and the packet is counted as failed, replayed or
 * malformed under its SSRC. */
int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf,
			       size_t *len);
int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf,
				size_t *len);

/* The per-SSRC table (RTP and RTCP rows apart); overflow counts packets of
 * SSRCs that found no free row. */
const struct srtp_ssrc_counts *srtp_session_counts(const struct srtp_session *s,
						   size_t *n, uint64_t *overflow);
/* One row, or NULL. */
const struct srtp_ssrc_counts *srtp_session_find(const struct srtp_session *s,
						 uint32_t ssrc, int rtcp);

#endif
