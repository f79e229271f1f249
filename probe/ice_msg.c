/*
 * ice_msg.c - the STUN messages of ICE connectivity checks (RFC 8445
 * §7.1.1, §7.3), signed with short-term credentials (RFC 8489 §9.1).
 */
#include "ice_agent_impl.h"
#include "np_err.h"
#include "stun_codec.h"

#include <stdio.h>
#include <string.h>

#define SOFTWARE "natprobe"

int ice_msg_check(uint8_t *buf, size_t cap, const uint8_t tid[12],
		  const char *rufrag, const char *lufrag, const uint8_t *key,
		  size_t key_len, uint32_t priority, int controlling,
		  uint64_t tiebreaker, int use_candidate)
{
	struct stun_enc w;
	char user[2 * SDP_CRED_MAX + 2];
	size_t len;
	int err;

	/* §7.2.2: USERNAME is "<remote ufrag>:<local ufrag>". */
	snprintf(user, sizeof(user), "%s:%s", rufrag, lufrag);
	stun_enc_begin(&w, buf, cap, STUN_BINDING, STUN_REQUEST, tid);
	stun_enc_str(&w, STUN_ATTR_USERNAME, user);
	stun_enc_u32(&w, STUN_ATTR_PRIORITY, priority);
	stun_enc_u64(&w, controlling ? STUN_ATTR_ICE_CONTROLLING
				     : STUN_ATTR_ICE_CONTROLLED, tiebreaker);
	if (use_candidate)
		stun_enc_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_enc_integrity(&w, key, key_len);
	stun_enc_fingerprint(&w);
	err = stun_enc_end(&w, &len);
	return err < 0 ? err : (int)len;
}

int ice_msg_success(uint8_t *buf, size_t cap, const uint8_t tid[12],
		    const struct sockaddr_storage *mapped, const uint8_t *key,
		    size_t key_len)
{
	struct stun_enc w;
	size_t len;
	int err;

	stun_enc_begin(&w, buf, cap, STUN_BINDING, STUN_SUCCESS, tid);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
			  (const struct sockaddr *)mapped);
	stun_enc_integrity(&w, key, key_len);
	stun_enc_fingerprint(&w);
	err = stun_enc_end(&w, &len);
	return err < 0 ? err : (int)len;
}

int ice_msg_error(uint8_t *buf, size_t cap, const uint8_t tid[12], int code,
		  const char *reason, const uint8_t *key, size_t key_len)
{
	struct stun_enc w;
	size_t len;
	int err;

	stun_enc_begin(&w, buf, cap, STUN_BINDING, STUN_ERROR, tid);
	stun_enc_error(&w, code, reason);
	if (key)
		stun_enc_integrity(&w, key, key_len);
	stun_enc_fingerprint(&w);
	err = stun_enc_end(&w, &len);
	return err < 0 ? err : (int)len;
}

enum ice_req_verdict ice_msg_parse_request(const struct stun_msg *m,
					   const char *lufrag,
					   const uint8_t *key, size_t key_len,
					   struct ice_cl_request *out,
					   char *why, size_t wlen)
{
	const struct stun_attr *user, *prio, *ctl, *ctd;
	size_t ul = strlen(lufrag);
	uint32_t p;
	int rc;

	memset(out, 0, sizeof(*out));
	user = stun_msg_find(m, STUN_ATTR_USERNAME);
	prio = stun_msg_find(m, STUN_ATTR_PRIORITY);
	/* RFC 8489 §9.1.3: no USERNAME or MESSAGE-INTEGRITY is a 400. */
	if (!user || !stun_msg_find(m, STUN_ATTR_MESSAGE_INTEGRITY)) {
		snprintf(why, wlen, "check without %s",
			 user ? "MESSAGE-INTEGRITY" : "USERNAME");
		return ICE_REQ_BAD_REQUEST;
	}
	/* RFC 8445 §7.3: the part before the colon must be our ufrag. */
	if (user->len <= ul || memcmp(user->val, lufrag, ul) != 0 ||
	    user->val[ul] != ':') {
		snprintf(why, wlen, "USERNAME \"%.*s\" is not for our ufrag %s",
			 user->len > 64 ? 64 : (int)user->len,
			 (const char *)user->val, lufrag);
		return ICE_REQ_UNAUTHORIZED;
	}
	if (stun_check_fingerprint(m) == NP_ESTUN_FINGERPRINT) {
		snprintf(why, wlen, "FINGERPRINT does not match");
		return ICE_REQ_BAD_REQUEST;
	}
	rc = stun_check_integrity(m, key, key_len);
	if (rc < 0) {
		snprintf(why, wlen, "MESSAGE-INTEGRITY does not verify with our ice-pwd");
		return ICE_REQ_UNAUTHORIZED;
	}
	if (!prio || stun_attr_u32(prio, &p) < 0 || p == 0) {
		snprintf(why, wlen, "check without a valid PRIORITY");
		return ICE_REQ_BAD_REQUEST;
	}
	out->priority = p;
	out->use_candidate = stun_msg_find(m, STUN_ATTR_USE_CANDIDATE) != NULL;
	ctl = stun_msg_find(m, STUN_ATTR_ICE_CONTROLLING);
	ctd = stun_msg_find(m, STUN_ATTR_ICE_CONTROLLED);
	if ((ctl && stun_attr_u64(ctl, &out->tiebreaker) < 0) ||
	    (ctd && stun_attr_u64(ctd, &out->tiebreaker) < 0)) {
		snprintf(why, wlen, "ICE-CONTROLLING/CONTROLLED is not 8 bytes");
		return ICE_REQ_BAD_REQUEST;
	}
	out->controlling = ctl != NULL;
	out->controlled = ctd != NULL;
	return ICE_REQ_OK;
}
