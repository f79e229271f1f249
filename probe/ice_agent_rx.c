/*
 * ice_agent_rx.c - what the agent receives (RFC 8445 §7.2.5, §7.3): the
 * peer's checks answered (or refused with 400/401, 487 on a role
 * conflict), responses to our checks and consent checks verified and fed
 * to the checklist, and data passed up from validated pairs only.
 */
#include "ice_agent_impl.h"
#include "np_err.h"
#include "stun_codec.h"

#include <stdio.h>
#include <string.h>

static void answer(struct ice_agent *a, struct ice_base *b,
		   const struct stun_msg *m, const struct sockaddr_storage *src,
		   int code, const char *reason, const char *why,
		   const struct ice_cl_request *req)
{
	uint8_t buf[256];
	char t[OBS_TEXT];
	int n;

	if (code == 0)
		n = ice_msg_success(buf, sizeof(buf), m->tid, src, a->lkey,
				    a->lkey_len);
	else
		n = ice_msg_error(buf, sizeof(buf), m->tid, code, reason,
				  code == 487 ? a->lkey : NULL, a->lkey_len);
	if (n > 0)
		ice_base_send(a, b, buf, (size_t)n, src);
	if (code == 0)
		snprintf(t, sizeof(t), "check from peer answered%s%s, priority %u",
			 req && req->use_candidate ? ", use-candidate" : "",
			 req && req->controlling ? ", peer controlling" : "",
			 req ? req->priority : 0);
	else
		snprintf(t, sizeof(t), "check from peer answered %d %s: %s", code,
			 reason, why);
	{
		/* With the transaction ID, so a retransmitted check can be
		 * told from a new one (analyzers/verdict_conformance.c). */
		struct obs o;

		memset(&o, 0, sizeof(o));
		o.kind = OBS_NOTE;
		o.transport = b->tcp ? NP_TCP : NP_UDP;
		snprintf(o.test, sizeof(o.test), "ice.check.in");
		snprintf(o.text, sizeof(o.text), "%s", t);
		o.local = b->addr;
		o.remote = *src;
		o.has = OBS_HAS_LOCAL | OBS_HAS_REMOTE | OBS_HAS_TID;
		memcpy(o.tid, m->tid, sizeof(o.tid));
		np_ctx_record(a->ctx, &o);
	}
}

static void on_request(struct ice_agent *a, struct ice_base *b,
		       const struct stun_msg *m,
		       const struct sockaddr_storage *src)
{
	struct ice_cl_request req;
	struct ice_cl_reply reply;
	enum ice_req_verdict v;
	char why[160];
	int err;

	v = ice_msg_parse_request(m, a->ufrag, a->lkey, a->lkey_len, &req, why,
				  sizeof(why));
	if (v == ICE_REQ_BAD_REQUEST) {
		answer(a, b, m, src, 400, "Bad Request", why, NULL);
		return;
	}
	if (v == ICE_REQ_UNAUTHORIZED) {
		answer(a, b, m, src, 401, "Unauthorized", why, NULL);
		return;
	}
	a->last_check_in_us = ice_now(a);
	req.from = *src;
	req.to = b->addr;
	req.transport = b->tcp ? NP_TCP : NP_UDP;
	err = ice_cl_on_request(a->cl, ice_now(a), &req, &reply);
	if (err == NP_ENOTFOUND) {
		answer(a, b, m, src, 0, "", "", &req);
		return;
	}
	if (reply.error_code == 487) {
		answer(a, b, m, src, 487, "Role Conflict",
		       "both agents claim the same role (RFC 8445 §7.3.1.1)", &req);
		return;
	}
	answer(a, b, m, src, 0, "", "", &req);
	if (a->remote_set)
		ice_service(a);
}

static long pair_by_tid(const struct ice_checklist *cl, const uint8_t tid[12])
{
	for (size_t i = 0; i < cl->npairs; i++)
		if ((cl->pairs[i].state == ICE_PAIR_IN_PROGRESS &&
		     memcmp(cl->pairs[i].tid, tid, 12) == 0) ||
		    (cl->pairs[i].old_tid_set &&
		     memcmp(cl->pairs[i].old_tid, tid, 12) == 0))
			return (long)i;
	return -1;
}

static const char *outcome_name(enum ice_resp_outcome o)
{
	static const char *const n[] = { "unmatched", "succeeded", "succeeded (prflx)",
					 "succeeded, nominated", "non-symmetric",
					 "role conflict", "failed" };

	return (unsigned)o < sizeof(n) / sizeof(n[0]) ? n[o] : "?";
}

static void on_response(struct ice_agent *a, struct ice_base *b,
			const struct stun_msg *m,
			const struct sockaddr_storage *src)
{
	struct ice_cl_response r;
	const struct stun_attr *at;
	enum ice_resp_outcome out;
	struct obs o;
	long pi;
	int integrity;

	memset(&r, 0, sizeof(r));
	memcpy(r.tid, m->tid, 12);
	r.from = *src;
	r.to = b->addr;
	integrity = stun_check_integrity(m, a->rkey, a->rkey_len);
	memset(&o, 0, sizeof(o));
	o.kind = OBS_RESPONSE;
	o.transport = b->tcp ? NP_TCP : NP_UDP;
	snprintf(o.test, sizeof(o.test), "ice.check");
	o.local = b->addr;
	o.source = *src;
	o.remote = *src;
	o.has = OBS_HAS_LOCAL | OBS_HAS_REMOTE | OBS_HAS_SOURCE | OBS_HAS_TID;
	memcpy(o.tid, m->tid, 12);
	o.method = m->method;
	o.cls = m->cls;
	o.size = (uint32_t)m->len;
	if (m->cls == STUN_ERROR) {
		const char *reason;
		size_t rl;

		at = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
		if (at && stun_attr_error(at, &r.error_code, &reason, &rl) == 0) {
			o.error_code = r.error_code;
			o.has |= OBS_HAS_ERROR_CODE;
		} else {
			r.error_code = 400;
		}
	}
	at = stun_msg_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (at && stun_attr_xor_addr(m, at, &r.mapped) == 0) {
		o.xor_mapped = r.mapped;
		o.has |= OBS_HAS_XOR_MAPPED;
	}
	/* RFC 8445 §7.2.5.1 / RFC 8489 §9.1.4: a response whose integrity
	 * does not verify is discarded (401s are not signed). */
	if (integrity < 0 && r.error_code != 401) {
		o.kind = OBS_UNMATCHED;
		o.err = integrity;
		snprintf(o.text, sizeof(o.text),
			 "check response dropped: MESSAGE-INTEGRITY does not verify with the peer's ice-pwd");
		np_ctx_record(a->ctx, &o);
		return;
	}
	if (a->consent_pending && memcmp(m->tid, a->consent_tid, 12) == 0) {
		a->consent_pending = 0;
		if (m->cls == STUN_SUCCESS)
			a->consent_last_us = ice_now(a);
		snprintf(o.test, sizeof(o.test), "ice.consent");
		snprintf(o.text, sizeof(o.text), "consent %s",
			 m->cls == STUN_SUCCESS ? "refreshed" : "refused");
		np_ctx_record(a->ctx, &o);
		return;
	}
	pi = pair_by_tid(a->cl, m->tid);
	out = ice_cl_on_response(a->cl, ice_now(a), &r);
	if (pi >= 0) {
		const struct ice_pair *p = &a->cl->pairs[pi];

		o.rtt_us = (uint32_t)p->stats.current_rtt_us;
		o.has |= OBS_HAS_RTT;
		o.attempt = (uint16_t)p->tries;
		if (p->tries == 1 && out != ICE_RESP_UNMATCHED && o.rtt_us)
			np_ctx_rtt_sample(a->ctx, o.rtt_us);
		snprintf(o.text, sizeof(o.text), "pair %ld %s", pi,
			 outcome_name(out));
		ice_phase(a, &a->t_valid, "first-valid");
	} else {
		o.kind = OBS_UNMATCHED;
		snprintf(o.text, sizeof(o.text), "check response %s", outcome_name(out));
	}
	if (r.error_code && out != ICE_RESP_UNMATCHED) {
		char t[OBS_TEXT];

		snprintf(t, sizeof(t), "%s (error %d)", o.text, r.error_code);
		snprintf(o.text, sizeof(o.text), "%s", t);
	}
	np_ctx_record(a->ctx, &o);
	if (a->state == ICE_AGENT_CONNECTED && m->cls == STUN_SUCCESS)
		a->consent_last_us = ice_now(a);
	ice_service(a);
}

void ice_on_stun(struct ice_agent *a, struct ice_base *b, const uint8_t *buf,
		 size_t len, const struct stun_msg *m,
		 const struct sockaddr_storage *src)
{
	if (a->closing)
		return;
	if (m->cls == STUN_REQUEST)
		on_request(a, b, m, src);
	else if (m->cls == STUN_SUCCESS || m->cls == STUN_ERROR)
		on_response(a, b, m, src);
	/* Binding indications are keepalives (§11): nothing to do. */
}

void ice_on_data(struct ice_agent *a, struct ice_base *b, const uint8_t *buf,
		 size_t len, const struct sockaddr_storage *src)
{
	const struct ice_cand *l, *r;

	if (!a->data_cb)
		return;
	if (ice_agent_selected(a, &l, &r)) {
		/* Only what comes over the selected pair is the session's
		 * (RFC 7675 §6: data from elsewhere is not consented). */
		if (!np_addr_equal(src, &r->addr) ||
		    !np_addr_equal(ice_cand_base(l), &b->addr))
			return;
	} else {
		/* Before selection: only on a pair that a check validated
		 * (§12.1), never from an unknown source. */
		const struct ice_checklist *cl = a->cl;
		size_t i;

		for (i = 0; i < cl->npairs; i++)
			/* valid: also while the pair is being re-checked with
			 * USE-CANDIDATE (In-Progress again), when a browser's
			 * ClientHello typically arrives. */
			if ((cl->pairs[i].state == ICE_PAIR_SUCCEEDED || cl->pairs[i].valid) &&
			    np_addr_equal(&cl->remote[cl->pairs[i].remote].addr, src) &&
			    np_addr_equal(ice_cand_base(&cl->local[cl->pairs[i].local]),
					  &b->addr))
				break;
		if (i == cl->npairs) {
			/* Not validated yet, but from an address the peer
			 * has proved it holds (its authenticated check made
			 * it a remote candidate): hand it up, never answer
			 * it there (nothing is sent before validation). */
			for (i = 0; i < cl->nremote; i++)
				if (np_addr_equal(&cl->remote[i].addr, src))
					break;
			if (i == cl->nremote)
				return;
			a->data_cb(a, buf, len, a->data_arg);
			return;
		}
		a->early_base = b;
		a->early_peer = *src;
	}
	a->data_cb(a, buf, len, a->data_arg);
}
