/*
 * serve_whip_impl.h - what the WHIP endpoint's two halves share:
 * serve_whip.c (the HTTP listener and connections) and
 * serve_whip_sess.c (one ICE agent per WHIP session).
 */
#ifndef SERVE_WHIP_IMPL_H
#define SERVE_WHIP_IMPL_H

#include "http_min.h"
#include "ice_agent.h"
#include "webrtc.h"
#include "obs.h"
#include "sdp.h"
#include "serve_whip.h"
#include "stun_client.h"
#include "whip.h"

/* A session's own observation log is only a window for the log lines:
 * it restarts after this many records, so a flood cannot grow it. */
#define WHIP_SESS_LOG_WINDOW 512
/* How often a session looks at its agent (gathering, timeouts). */
#define WHIP_SESS_TICK_US 10000
/* TURN deallocations are awaited at most this long before the free. */
#define WHIP_SESS_CLOSE_US 1000000
/* The largest answer we write (ICE_CL_MAX_LOCAL candidate lines fit). */
#define WHIP_ANSWER_MAX (32 * 1024)

struct whip_conn;

enum whip_sess_state { WS_GATHERING, WS_LIVE, WS_CLOSING };

struct whip_sess {
	struct serve_whip *w;          /* borrowed: the owner */
	unsigned serial;               /* the "whip#N" label */
	char id[WHIP_ID_LEN + 1];      /* "" until the 201 names it */
	enum whip_sess_state state;
	struct whip_conn *conn;        /* the POST waiting for the answer */
	struct obs_log log;
	struct np_ctx ctx;
	struct ice_agent *agent;
	struct webrtc *webrtc;         /* DTLS (and echo) after ICE */
	struct sdp *offer;             /* the offer, kept for the answer */
	/* What the answer mirrors from the offer's m-line (JSEP §5.3.1). */
	char kind[16], proto[32], fmt[64], mid[SDP_MID_MAX + 1];
	int bare, bundle;
	uint64_t t_post, t_answer, t_selected, gather_until, end_at,
		 close_until;
	unsigned lines;                /* log lines so far */
	struct np_timer timer;
	char peer[64];                 /* the HTTP client, for the log */
};

struct serve_whip {
	struct np_loop *loop;          /* borrowed */
	struct serve_whip_opts o;
	char path[256];
	int lfd;
	struct sockaddr_storage local;
	struct whip_endpoint ep;
	struct serve_whip_counters c;
	struct sdp *scratch;           /* the offer, then the answer */
	struct whip_conn *conns[SERVE_WHIP_MAX_CONNS];
	struct whip_sess *sess[WHIP_MAX_SESSIONS];
	unsigned next_serial;
	uint64_t rng;
};

/* serve_whip.c */
/* A new connection in slot (the fd is registered with the loop). */
int whip_conn_new(struct serve_whip *w, int fd,
		  const struct sockaddr_storage *peer, size_t slot);
/* Frees at once (serve_whip_free). */
void whip_conn_free(struct whip_conn *c);
/* Sessions alive, however far along. */
size_t whip_live_sessions(const struct serve_whip *w);
void whip_logf(struct serve_whip *w, struct whip_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The session's answer is ready (or it failed: err < 0, why): the
 * connection waiting on it sends its response. */
void whip_conn_answer_ready(struct whip_conn *c);

/* serve_whip_sess.c */
/* Parses the offer, creates the agent, starts gathering and checks.
 * 0, or NP_EINVAL with a sentence in why (the 400 body). */
int whip_sess_new(struct serve_whip *w, struct whip_conn *c,
		  const char *peer, const char *offer, size_t len,
		  struct whip_sess **out, char *why, size_t wlen);
/* whip_answer_fn: names the session id and writes the answer. */
int whip_sess_answer(void *arg, const char *id, const char *offer,
		     size_t len, char *answer, size_t cap, size_t *alen,
		     char *why, size_t wlen);
/* whip_trickle_fn (arg: the serve_whip): a PATCH's candidates to the
 * session's agent. */
int whip_sess_trickle(void *arg, const char *id, const char *frag,
		      size_t len, char *why, size_t wlen);
/* Ends the session (reason for the log); the free follows on its timer. */
void whip_sess_end(struct whip_sess *s, const char *reason);
struct whip_sess *whip_sess_find(struct serve_whip *w, const char *id);
/* Frees at once (serve_whip_free). */
void whip_sess_free(struct whip_sess *s);

#endif
