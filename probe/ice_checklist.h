/*
 * ice_checklist.h - one ICE checklist (RFC 8445 §6.1.2, §6.1.4, §7.2.5,
 * §7.3.1, §8.1) as a machine with no sockets and no clock, in the quicly
 * style: it takes inputs (a response, a request, the passage of time),
 * hands out the next connectivity check to send and says when it next
 * needs to be called.
 *
 *   ice_cl_start()        forms and prunes pairs, unfreezes one pair per
 *                         foundation (§6.1.2.6)
 *   ice_cl_next()         the next check: a due retransmission, else, paced
 *                         by Ta (§14.2, never below 5 ms), the head of the
 *                         triggered queue, else the best Waiting pair,
 *                         unfreezing by foundation when none waits (§6.1.4.2)
 *   ice_cl_on_response()  success (valid pair, maybe a peer-reflexive local
 *                         candidate, §7.2.5.3), failure, 487 role conflict
 *                         (switch role and retry, §7.2.5.1)
 *   ice_cl_on_request()   role conflict (§7.3.1.1), peer-reflexive remote
 *                         candidates (§7.3.1.3), triggered checks
 *                         (§7.3.1.4), USE-CANDIDATE as controlled (§7.3.1.5)
 *   ice_cl_on_timeout()   retransmission and transaction timeouts
 *   ice_cl_deadline()     when to call ice_cl_next() again
 *
 * Regular nomination (§8.1.1) as the controlling agent: once the best
 * valid pair is known (no better pair is still pending, or
 * nominate_after_us has passed since the first valid pair), it is checked
 * again with USE-CANDIDATE. One component, one data stream: a checklist
 * per m-line (or one for a BUNDLE) is the caller's to multiply. STUN
 * encoding, credentials and MESSAGE-INTEGRITY are the caller's too; the
 * machine sees only what they decoded to.
 */
#ifndef ICE_CHECKLIST_H
#define ICE_CHECKLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ice_cand.h"

/* RFC 8445 §14.2: "Ta ... SHOULD NOT be configured to a value less than
 * 5 ms". */
#define ICE_TA_MIN_US 5000
#define ICE_TA_DEFAULT_US 50000
/* RFC 8489 §6.2.1: initial RTO 500 ms, Rc = 7 requests. */
#define ICE_RTO_DEFAULT_US 500000
#define ICE_TRIES_DEFAULT 7
#define ICE_CL_MAX_LOCAL 40
/* Signalled candidates plus room for peer-reflexive ones. */
#define ICE_CL_MAX_REMOTE 120
/* ICE_MAX_PAIRS formed pairs plus pairs made by triggered checks and
 * valid pairs of a new local candidate. */
#define ICE_CL_MAX_PAIRS 150

/* "pair states": RFC 8445 §6.1.2.6. */
enum ice_pair_state { ICE_PAIR_FROZEN, ICE_PAIR_WAITING, ICE_PAIR_IN_PROGRESS,
		      ICE_PAIR_SUCCEEDED, ICE_PAIR_FAILED, ICE_PAIR__NSTATES };

enum ice_cl_state { ICE_CL_RUNNING, ICE_CL_COMPLETED, ICE_CL_FAILED };

/* Shaped like W3C RTCIceCandidatePairStats. */
struct ice_pair_stats {
	uint64_t requests_sent;          /* every transmission */
	uint64_t retransmissions_sent;
	uint64_t requests_received;
	uint64_t responses_sent;
	uint64_t responses_received;
	uint64_t current_rtt_us;
	uint64_t total_rtt_us;           /* sum over responses_received */
	uint64_t last_request_sent_us;
	uint64_t last_response_received_us;
	uint64_t entered_us[ICE_PAIR__NSTATES]; /* when it last entered each */
	unsigned entered_mask;           /* 1 << state for states seen */
};

struct ice_pair {
	uint16_t local, remote;    /* indices into cl->local, cl->remote */
	uint64_t priority;
	enum ice_pair_state state;
	int valid;                 /* in the valid list */
	int nominated;
	int nominating;            /* controlling: checking with USE-CANDIDATE */
	int use_candidate_rx;      /* controlled: peer nominated, awaiting
				    * our own check's success */
	int queued;                /* in the triggered queue */
	long valid_pair;           /* the valid pair its check made, or -1 */
	/* The transaction in flight. */
	uint8_t tid[12];
	/* A transaction cancelled by a triggered check (§7.3.1.4): its
	 * response is still taken. */
	uint8_t old_tid[12];
	int old_tid_set;
	int sent_controlling;
	int sent_use_candidate;
	unsigned tries;
	uint64_t last_sent_us, rto_us, next_us;
	struct ice_pair_stats stats;
};

struct ice_cl_config {
	int controlling;
	uint64_t tiebreaker;
	uint64_t ta_us;             /* 0: default; below 5 ms: 5 ms */
	uint64_t rto_us;            /* 0: default */
	unsigned max_tries;         /* 0: default */
	uint64_t nominate_after_us; /* 0: only when no better pair pends */
	uint64_t seed;              /* the RNG of transaction IDs */
	int trickle;                /* fail only after ice_cl_end_of_candidates */
	int rto_from_rtt;           /* first RTO is rto_us, not §14.3's
				     * MAX(rto_us, Ta * (Waiting + In-Progress)) */
	int allow_loopback;         /* accept remote loopback candidates (tests
				     * of two agents on one host) */
};

/* A check to send: a STUN Binding request from local's base to
 * remote->addr carrying these values. Pointers borrow from cl. */
struct ice_check {
	size_t pair;
	const struct ice_cand *local;
	const struct ice_cand *remote;
	struct sockaddr_storage from;   /* local's base */
	struct sockaddr_storage to;     /* remote->addr */
	uint8_t tid[12];
	uint32_t priority;          /* PRIORITY: as prflx (§7.1.1) */
	int use_candidate;
	int controlling;            /* ICE-CONTROLLING, else ICE-CONTROLLED */
	uint64_t tiebreaker;
	unsigned attempt;           /* 1 for the first transmission */
};

/* A decoded Binding response (integrity already checked by the caller). */
struct ice_cl_response {
	uint8_t tid[12];
	struct sockaddr_storage from;   /* its source */
	struct sockaddr_storage to;     /* our address it arrived at */
	int error_code;                 /* 0 for a success response */
	struct sockaddr_storage mapped; /* XOR-MAPPED-ADDRESS */
};

enum ice_resp_outcome {
	ICE_RESP_UNMATCHED,     /* no transaction: late, spoofed, cancelled */
	ICE_RESP_SUCCEEDED,     /* valid pair found */
	ICE_RESP_PRFLX,         /* succeeded with a new prflx local candidate */
	ICE_RESP_NOMINATED,     /* succeeded and the valid pair is nominated */
	ICE_RESP_NONSYMMETRIC,  /* addresses not symmetric: pair failed */
	ICE_RESP_ROLE_CONFLICT, /* 487: role switched, check queued again */
	ICE_RESP_FAILED,        /* another error response: pair failed */
};

/* A decoded Binding request (integrity already checked by the caller). */
struct ice_cl_request {
	struct sockaddr_storage from;
	struct sockaddr_storage to;
	enum np_transport transport;
	uint32_t priority;          /* PRIORITY */
	int use_candidate;
	int controlling;            /* ICE-CONTROLLING present */
	int controlled;             /* ICE-CONTROLLED present */
	uint64_t tiebreaker;
};

/* What to answer: a success with XOR-MAPPED-ADDRESS = mapped, or an
 * error response with error_code 487. */
struct ice_cl_reply {
	int error_code;
	struct sockaddr_storage mapped;
};

struct ice_checklist {
	struct ice_cl_config cfg;
	int controlling;
	enum ice_cl_state state;
	int started, remote_done;
	uint64_t rng;
	uint64_t now;               /* the latest time given to any input */
	uint64_t next_check_us;     /* pacing: no new check before */
	uint64_t first_valid_us;    /* 0 until a valid pair */
	long selected;              /* the nominated pair, or -1 */
	unsigned role_switches;
	size_t nlocal, nremote, npairs;
	struct ice_cand local[ICE_CL_MAX_LOCAL];
	struct ice_cand remote[ICE_CL_MAX_REMOTE];
	struct ice_pair pairs[ICE_CL_MAX_PAIRS];
	size_t trig_head, trig_n;   /* FIFO of pair indices */
	uint16_t trig[ICE_CL_MAX_PAIRS];
};

const char *ice_pair_state_name(enum ice_pair_state s); /* "in-progress" */
const char *ice_cl_state_name(enum ice_cl_state s);

/* ice_cl_new allocates (the struct is large); ice_cl_free(NULL) is a no-op. */
int ice_cl_new(const struct ice_cl_config *cfg, struct ice_checklist **out);
void ice_cl_free(struct ice_checklist *cl);

/* A local candidate with its base (AF_UNSPEC base: its own address); an
 * empty foundation is computed (§5.1.1.3). NP_EFULL over the cap. */
int ice_cl_add_local(struct ice_checklist *cl, const struct ice_cand *c);
/* A signalled remote candidate; before or after ice_cl_start (trickle).
 * 0 when added (or when it names a peer-reflexive one learnt earlier), 1
 * when it is already known (signalled twice), NP_EINVAL with the reason in
 * *why when unusable, NP_EFULL over the cap. */
int ice_cl_add_remote(struct ice_checklist *cl, const struct ice_cand *c,
		      enum ice_reject *why);
void ice_cl_end_of_candidates(struct ice_checklist *cl);
void ice_cl_start(struct ice_checklist *cl, uint64_t now);

/* Returns 1 and fills out when a check is due at now, else 0. */
int ice_cl_next(struct ice_checklist *cl, uint64_t now, struct ice_check *out);
/* The next time ice_cl_next has something, UINT64_MAX for never. */
uint64_t ice_cl_deadline(const struct ice_checklist *cl);
void ice_cl_on_timeout(struct ice_checklist *cl, uint64_t now);
enum ice_resp_outcome ice_cl_on_response(struct ice_checklist *cl,
					 uint64_t now,
					 const struct ice_cl_response *r);
/* Returns 0 with *reply filled, NP_ENOTFOUND when r->to is none of our
 * bases (drop it), NP_EFULL when a new prflx candidate or pair does not
 * fit (reply is still filled: answer it, it just is not checked). */
int ice_cl_on_request(struct ice_checklist *cl, uint64_t now,
		      const struct ice_cl_request *r,
		      struct ice_cl_reply *reply);

/* The nominated pair, or NULL. */
const struct ice_pair *ice_cl_selected(const struct ice_checklist *cl);

#endif
