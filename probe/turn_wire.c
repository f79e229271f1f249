/*
 * turn_wire.c - long-term credential state, TURN attribute encoders and
 * ChannelData framing for the TURN client (RFC 8656 §12, §18; RFC 8489
 * §9.2). Pure functions over buffers; see turn_wire.h.
 */
#include "turn_wire.h"
#include "np_err.h"
#include "np_rd.h"

#include <stdio.h>
#include <string.h>

int turn_channel_valid(uint16_t ch)
{
	return ch >= TURN_CHANNEL_MIN && ch <= TURN_CHANNEL_MAX;
}

int turn_chandata_encode(uint16_t ch, const uint8_t *data, size_t len,
			 int pad, uint8_t *buf, size_t cap, size_t *out_len)
{
	size_t total = TURN_CHANDATA_HDR + len;
	size_t padded = pad ? (total + 3) & ~(size_t)3 : total;

	if (!turn_channel_valid(ch) || len > 0xFFFF)
		return NP_EINVAL;
	if (padded > cap)
		return NP_ENOSPACE;
	np_put16(buf, ch);
	np_put16(buf + 2, (uint16_t)len);
	if (len)
		memcpy(buf + TURN_CHANDATA_HDR, data, len);
	memset(buf + total, 0, padded - total);
	*out_len = padded;
	return 0;
}

int turn_chandata_decode(const uint8_t *buf, size_t len, int stream,
			 uint16_t *ch, const uint8_t **data, size_t *dlen)
{
	struct np_rd r;
	uint16_t c, n;

	np_rd_init(&r, buf, len);
	/* Channel number, then the length of the application data. */
	if (np_rd_u16(&r, &c) < 0 || np_rd_u16(&r, &n) < 0)
		return NP_ETRUNCATED;
	if (!turn_channel_valid(c))
		return NP_EINVAL;
	if (n > np_rd_left(&r))
		return NP_ETRUNCATED;
	/* On a stream the framing took exactly the padded length; over UDP
	 * up to 3 bytes of padding may follow (§12.5), nothing more. */
	if (stream ? np_rd_left(&r) != (((size_t)n + 3) & ~(size_t)3) :
		     np_rd_left(&r) - n > 3)
		return NP_EINVAL;
	*ch = c;
	*data = r.p;
	*dlen = n;
	return 0;
}

int turn_enc_requested_transport(struct stun_enc *w, uint8_t proto)
{
	/* Protocol, then 3 bytes RFFU. */
	uint8_t v[4] = { proto, 0, 0, 0 };

	return stun_enc_attr(w, STUN_ATTR_REQUESTED_TRANSPORT, v, sizeof(v));
}

int turn_enc_requested_family(struct stun_enc *w, int family)
{
	/* Family, then 3 bytes reserved. */
	uint8_t v[4] = { family == AF_INET6 ? TURN_FAMILY_IPV6 : TURN_FAMILY_IPV4,
			 0, 0, 0 };

	return stun_enc_attr(w, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v, sizeof(v));
}

int turn_enc_channel_number(struct stun_enc *w, uint16_t ch)
{
	/* Channel number, then 16 bits RFFU. */
	uint8_t v[4];

	np_put16(v, ch);
	np_put16(v + 2, 0);
	return stun_enc_attr(w, STUN_ATTR_CHANNEL_NUMBER, v, sizeof(v));
}

void turn_auth_init(struct turn_auth *a, const char *user, const char *password)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->user, sizeof(a->user), "%s", user ? user : "");
	snprintf(a->password, sizeof(a->password), "%s", password ? password : "");
}

/* Copies a text attribute; fails on an empty one or one too long. */
static int copy_text(const struct stun_attr *at, char *out, size_t cap)
{
	if (!at || at->len == 0 || at->len >= cap)
		return NP_EINVAL;
	memcpy(out, at->val, at->len);
	out[at->len] = '\0';
	return 0;
}

static int learn_challenge(struct turn_auth *a, const struct stun_msg *m,
			   char *why, size_t why_len)
{
	const struct stun_attr *realm = stun_msg_find(m, STUN_ATTR_REALM);
	const struct stun_attr *nonce = stun_msg_find(m, STUN_ATTR_NONCE);
	const struct stun_attr *pa = stun_msg_find(m, STUN_ATTR_PASSWORD_ALGORITHMS);
	uint16_t algs[16];
	size_t n = 0;
	int klen;

	if (copy_text(nonce, a->nonce, sizeof(a->nonce)) < 0) {
		snprintf(why, why_len, "challenge without a usable NONCE");
		return NP_EINVAL;
	}
	/* A 438 may omit REALM; the one we have stays. */
	if (realm && copy_text(realm, a->realm, sizeof(a->realm)) < 0) {
		snprintf(why, why_len, "challenge with an unusable REALM");
		return NP_EINVAL;
	}
	if (!a->realm[0]) {
		snprintf(why, why_len, "challenge without REALM");
		return NP_EINVAL;
	}
	if (pa) {
		/* RFC 8489 §9.2.4: pick one we support; SHA-256 first. */
		if (stun_attr_password_algorithms(pa, algs, 16, &n) < 0 ||
		    pa->len > sizeof(a->algs)) {
			snprintf(why, why_len, "malformed PASSWORD-ALGORITHMS");
			return NP_EINVAL;
		}
		a->alg = 0;
		for (size_t i = 0; i < n; i++)
			if (algs[i] == STUN_PWALG_SHA256 ||
			    (algs[i] == STUN_PWALG_MD5 && !a->alg))
				a->alg = algs[i];
		if (!a->alg) {
			snprintf(why, why_len,
				 "PASSWORD-ALGORITHMS offers none we support");
			return NP_EINVAL;
		}
		memcpy(a->algs, pa->val, pa->len);
		a->algs_len = pa->len;
	}
	klen = stun_key_long(a->user, a->realm, a->password,
			     a->alg ? a->alg : STUN_PWALG_MD5, a->key,
			     sizeof(a->key));
	if (klen < 0) {
		snprintf(why, why_len, "key derivation failed: %s",
			 np_strerror(klen));
		return klen;
	}
	a->key_len = (size_t)klen;
	a->ready = 1;
	snprintf(why, why_len, "realm \"%s\", %s key", a->realm,
		 a->alg == STUN_PWALG_SHA256 ? "SHA-256" : "MD5");
	return 0;
}

enum turn_auth_verdict turn_auth_on_error(struct turn_auth *a,
					  const struct stun_msg *m,
					  int had_creds, int stale_tries,
					  char *why, size_t why_len)
{
	char scratch[8];
	const char *reason;
	size_t rlen;
	int code;

	if (!why) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = '\0';
	if (m->cls != STUN_ERROR ||
	    stun_attr_error(stun_msg_find(m, STUN_ATTR_ERROR_CODE), &code,
			    &reason, &rlen) < 0) {
		snprintf(why, why_len, "not an error response with ERROR-CODE");
		return TURN_AUTH_FAIL;
	}
	if (code == TURN_ERR_UNAUTHORIZED) {
		if (had_creds) {
			snprintf(why, why_len, "credentials refused");
			return TURN_AUTH_FAIL;
		}
		return learn_challenge(a, m, why, why_len) < 0 ?
		       TURN_AUTH_FAIL : TURN_AUTH_RETRY;
	}
	if (code == TURN_ERR_STALE_NONCE) {
		if (stale_tries > 0) {
			snprintf(why, why_len, "stale nonce again after a retry");
			return TURN_AUTH_FAIL;
		}
		return learn_challenge(a, m, why, why_len) < 0 ?
		       TURN_AUTH_FAIL : TURN_AUTH_RETRY;
	}
	return TURN_AUTH_FAIL;
}

int turn_auth_encode(const struct turn_auth *a, struct stun_enc *w)
{
	if (!a->ready)
		return NP_EINVAL;
	stun_enc_str(w, STUN_ATTR_USERNAME, a->user);
	stun_enc_str(w, STUN_ATTR_REALM, a->realm);
	stun_enc_str(w, STUN_ATTR_NONCE, a->nonce);
	if (a->algs_len) {
		/* PASSWORD-ALGORITHM: algorithm, parameters length 0. */
		uint8_t v[4];

		np_put16(v, a->alg);
		np_put16(v + 2, 0);
		stun_enc_attr(w, STUN_ATTR_PASSWORD_ALGORITHMS, a->algs,
			      a->algs_len);
		stun_enc_attr(w, STUN_ATTR_PASSWORD_ALGORITHM, v, sizeof(v));
	}
	return w->err;
}
