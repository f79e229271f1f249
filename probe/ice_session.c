/*
 * ice_session.c - one ICE (and, with a WebRTC peer, DTLS, media and data
 * channel) session driven to its end on the event loop, signalled through
 * files or WHIP: the engine of `natprobe ice` and of the full diagnosis.
 *
 * The offerer gathers, writes its offer and waits for the answer; the
 * answerer gathers while it waits for the offer, starts checking as soon
 * as it has it, and writes its answer once gathering is done. Every phase
 * has a deadline: a silent peer ends in a finding.
 */
#include "ice_session.h"
#include "cli.h"
#include "ice_whip.h"
#include "np_err.h"
#include "sdp.h"
#include "sig_file.h"
#include "whip.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define POLL_US 2000          /* how often the remote file is looked at */
#define CLOSE_WAIT_US 1000000 /* deallocations answered within this */
#define LINGER_QUIET_US 200000 /* after selection: the peer quiet this long */
#define LINGER_MAX_US 1500000  /* ... or this long at most */
#define WHIP_TIMEOUT_MS 10000  /* POST and DELETE, each */
#define PATCH_TIMEOUT_MS 2000  /* a trickle PATCH blocks the loop: briefly */

struct ice_run {
	struct np_loop *loop;
	struct np_ctx *ctx;
	struct ice_agent *agent;
	int offer;
	const char *local_path, *remote_path;
	const char *whip_url;        /* --whip: signaling by RFC 9725 */
	char whip_loc[HTTP_MAX_URL]; /* the session URL, for DELETE */
	char etag[256];              /* the ICE session's entity-tag */
	int trickle, trickle_done;   /* --trickle; end-of-candidates sent */
	size_t sent;                 /* our candidates the endpoint has */
	struct sdp_media *tm;        /* scratch: our candidates now */
	struct sig_reader *reader;
	struct sdp *sdp;             /* ours */
	struct sdp *rsdp;            /* theirs */
	struct webrtc *webrtc;
	int wrote, have_remote, failed_remote, done;
	uint64_t deadline, gather_deadline, hold_us, hold_until, linger_until;
	struct np_timer poll, stop;
	char why[256], why2[256];
	int rc;                      /* an exit code set on a local failure */
};

static void finish(struct ice_run *r)
{
	r->done = 1;
	np_loop_stop(r->loop);
}

static void note(struct np_ctx *ctx, const char *test, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct np_ctx *ctx, const char *test, const char *fmt, ...)
{
	struct obs o;
	va_list ap;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	snprintf(o.test, sizeof(o.test), "%s", test);
	va_start(ap, fmt);
	vsnprintf(o.text, sizeof(o.text), fmt, ap);
	va_end(ap);
	np_ctx_record(ctx, &o);
}

static void take_remote(struct ice_run *r, const char *buf, size_t len);

static int write_local(struct ice_run *r)
{
	static char buf[SDP_MAX_SIZE];
	size_t len = 0;
	int err;

	/* What was not gathered by the deadline is not offered: the file is
	 * written once, so end-of-candidates is always true here. */
	err = webrtc_local_sdp(r->webrtc, r->offer ? NULL : r->rsdp, r->sdp);
	if (err < 0) {
		snprintf(r->why, sizeof(r->why),
			 "nothing in the offer we can answer (no ICE-capable m-line)");
		r->failed_remote = 1;
		return 0;
	}
	/* Trickling: what is gathered so far, end-of-candidates only if
	 * that is all (the rest follows in PATCHes). */
	if (r->trickle) {
		int done = ice_agent_gathering_done(r->agent);

		for (size_t i = 0; i < r->sdp->nmedia; i++)
			r->sdp->media[i].end_of_candidates = done;
		r->sent = r->sdp->media[0].ncands;
		r->trickle_done = done;
	}
	err = sdp_write(r->sdp, buf, sizeof(buf), &len);
	if (err < 0) {
		snprintf(r->why, sizeof(r->why), "cannot write our description: %s",
			 np_strerror(err));
		return err;
	}
	if (r->local_path) {
		err = sig_file_write(r->local_path, buf, len, r->why,
				     sizeof(r->why));
		if (err < 0)
			return err;
		note(r->ctx, "ice.signal", "wrote our %s (%zu bytes, %zu candidates) to %s",
		     r->offer ? "offer" : "answer", len,
		     r->sdp->media[0].ncands, r->local_path);
	}
	r->wrote = 1;
	if (r->whip_url) {
		char *answer = NULL;
		size_t alen = 0;

		/* Blocking, bounded: checks wait for the answer anyway. A
		 * refusal is the endpoint's doing: a finding, not exit 2. */
		if (ice_whip_offer(r->whip_url, buf, len, WHIP_TIMEOUT_MS,
				   &answer, &alen, r->whip_loc,
				   sizeof(r->whip_loc), r->etag,
				   sizeof(r->etag), r->why,
				   sizeof(r->why)) < 0) {
			r->failed_remote = r->have_remote = 1;
			return 0;
		}
		note(r->ctx, "ice.signal", "POSTed our offer (%zu bytes, %zu candidates%s) to %s: 201, session %s",
		     len, r->sdp->media[0].ncands,
		     r->trickle && !r->trickle_done ? ", the rest to be trickled" : "",
		     r->whip_url, r->whip_loc);
		take_remote(r, answer, alen);
		free(answer);
	}
	return 0;
}

static void take_remote(struct ice_run *r, const char *buf, size_t len)
{
	struct sdp_error e;
	size_t mi = 0;
	int err;

	r->have_remote = 1;
	note(r->ctx, "ice.signal", "read the peer's %s (%zu bytes) from %s",
	     r->offer ? "answer" : "offer", len, r->remote_path);
	err = sdp_parse(buf, len, r->rsdp, &e);
	if (err < 0) {
		snprintf(r->why, sizeof(r->why), "%s: the peer's description is malformed: %s",
			 r->remote_path, e.text);
		r->failed_remote = 1;
		return;
	}
	/* With BUNDLE every m-line shares the first accepted one's
	 * transport. */
	while (mi + 1 < r->rsdp->nmedia && (!r->rsdp->media[mi].ufrag[0] ||
					     (!r->rsdp->bare && !r->rsdp->media[mi].port)))
		mi++;
	webrtc_set_remote(r->webrtc, r->rsdp);
	if (r->rsdp->nmedia == 0 ||
	    ice_agent_set_remote(r->agent, &r->rsdp->media[mi]) < 0) {
		snprintf(r->why, sizeof(r->why),
			 "%s: the peer's description has no ice-ufrag/ice-pwd",
			 r->remote_path);
		r->failed_remote = 1;
	}
}

/* --trickle with --local: the copy is rewritten, complete, once the
 * last candidate has gone out, so it shows what the endpoint was given. */
static void copy_local(struct ice_run *r)
{
	static char buf[SDP_MAX_SIZE];
	size_t len = 0;

	r->why2[0] = '\0';
	if (webrtc_local_sdp(r->webrtc, NULL, r->sdp) < 0 ||
	    sdp_write(r->sdp, buf, sizeof(buf), &len) < 0 ||
	    sig_file_write(r->local_path, buf, len, r->why2,
			   sizeof(r->why2)) < 0)
		note(r->ctx, "ice.signal", "cannot rewrite %s: %s", r->local_path,
		     r->why2[0] ? r->why2 : "no description");
}

/* --trickle: the candidates gathered since the POST go in a PATCH, the
 * last with end-of-candidates (RFC 9725 §4.3.1, RFC 8838 §9). */
static void trickle_more(struct ice_run *r, uint64_t now)
{
	struct sdp_media *m = r->tm, *first = &r->sdp->media[0];
	int eoc = ice_agent_gathering_done(r->agent) ||
		  ice_agent_gathering_enough(r->agent) ||
		  now >= r->gather_deadline;
	int err;

	ice_agent_local_media(r->agent, m);
	if (m->ncands <= r->sent && !eoc)
		return;
	memcpy(m->kind, first->kind, sizeof(m->kind));
	memcpy(m->proto, first->proto, sizeof(m->proto));
	memcpy(m->fmt, first->fmt, sizeof(m->fmt));
	memcpy(m->mid, first->mid, sizeof(m->mid));
	err = ice_whip_trickle(r->whip_loc, r->etag, m, r->sent, eoc,
			       PATCH_TIMEOUT_MS, r->why2, sizeof(r->why2));
	if (err == 0) {
		note(r->ctx, "ice.signal", "trickled %zu candidate(s)%s to %s: 204",
		     m->ncands - r->sent, eoc ? " and end-of-candidates" : "",
		     r->whip_loc);
		r->sent = m->ncands;
		r->trickle_done = eoc;
		if (eoc && r->local_path)
			copy_local(r);
		return;
	}
	/* Checks go on with what the endpoint has (the POST's candidates
	 * and what it learns from our checks). */
	note(r->ctx, "ice.signal", "%s; %zu candidate(s) gathered after the POST did not reach the endpoint",
	     r->why2, m->ncands - r->sent);
	r->trickle_done = 1;
}

static void on_poll(struct np_loop *loop, void *arg)
{
	struct ice_run *r = arg;
	uint64_t now = np_loop_now(loop);
	enum ice_agent_state st = ice_agent_state(r->agent);
	enum webrtc_state ws;

	if (!r->wrote && (r->trickle || ice_agent_gathering_done(r->agent) ||
			  ice_agent_gathering_enough(r->agent) ||
			  now >= r->gather_deadline) &&
	    (r->offer || r->have_remote)) {
		if (write_local(r) < 0) {
			r->rc = EXIT_USAGE;
			finish(r);
			return;
		}
	}
	if (r->trickle && r->whip_loc[0] && !r->trickle_done)
		trickle_more(r, now);
	if (!r->have_remote && r->reader && (r->wrote || !r->offer)) {
		const char *buf;
		size_t len;
		int got = sig_reader_poll(r->reader, now, &buf, &len);

		if (got < 0) {
			snprintf(r->why, sizeof(r->why), "%s",
				 sig_reader_error(r->reader));
			r->failed_remote = 1;
			r->have_remote = 1;
		} else if (got == 1) {
			take_remote(r, buf, len);
		}
	}
	if (r->failed_remote) {
		finish(r);
		return;
	}
	if (st == ICE_AGENT_FAILED || st == ICE_AGENT_CONSENT_LOST) {
		/* The answer must still reach the offerer. */
		if (r->wrote || r->offer) {
			finish(r);
			return;
		}
	}
	if (st == ICE_AGENT_CONNECTED && r->wrote)
		webrtc_ice_connected(r->webrtc);
	ws = webrtc_state(r->webrtc);
	if (ws == WEBRTC_FAILED) {
		snprintf(r->why, sizeof(r->why), "%s", webrtc_reason(r->webrtc));
		finish(r);
		return;
	}
	if (st == ICE_AGENT_CONNECTED && r->wrote && webrtc_done(r->webrtc)) {
		uint64_t last = ice_agent_last_peer_check(r->agent);

		if (!r->hold_until) {
			r->hold_until = now + r->hold_us;
			r->linger_until = now + LINGER_MAX_US;
		}
		/* The peer may still be finishing its own checks (its
		 * triggered check of the nominated pair): keep answering
		 * until it has been quiet a while, briefly. */
		if (now >= r->hold_until &&
		    (now >= r->linger_until || now - last >= LINGER_QUIET_US)) {
			finish(r);
			return;
		}
	}
	if (now >= r->deadline) {
		snprintf(r->why, sizeof(r->why), "%s",
			 !r->have_remote ? "no description from the peer before the deadline"
					 : "no pair selected before the deadline");
		finish(r);
		return;
	}
	np_timer_start(loop, &r->poll, now + POLL_US);
}


int ice_session_run(struct np_ctx *ctx, const struct ice_session_opts *o,
		    int *local_failure, char *why, size_t wlen)
{
	struct ice_agent_cfg cfg = *o->cfg;
	struct webrtc_cfg wcfg = *o->wcfg;
	struct ice_run rs, *r = &rs;
	int err, rc = 0;

	memset(r, 0, sizeof(*r));
	*local_failure = 0;
	r->loop = ctx->loop;
	r->ctx = ctx;
	r->offer = o->offer;
	r->local_path = o->local_path;
	r->remote_path = o->remote_path;
	r->whip_url = o->whip_url;
	/* Trickle is for the WHIP offerer; a file is written once. */
	r->trickle = o->trickle && o->whip_url && o->offer;
	cfg.controlling = o->offer;
	err = sdp_new(&r->sdp);
	if (err == 0)
		err = sdp_new(&r->rsdp);
	if (err == 0 && !r->whip_url)
		err = sig_reader_new(r->remote_path, 0, SDP_MAX_SIZE, &r->reader);
	if (r->whip_url)
		r->remote_path = r->whip_url; /* names the peer in messages */
	if (err == 0 && r->trickle && !(r->tm = calloc(1, sizeof(*r->tm))))
		err = NP_ENOMEM;
	if (err == 0)
		err = ice_agent_new(ctx, &cfg, &r->agent);
	if (err == 0) {
		wcfg.offerer = o->offer;
		/* The answerer echoes media and the data channel, so two
		 * natprobes measure them end to end. */
		wcfg.echo = !o->offer;
		err = webrtc_new(ctx, r->agent, &wcfg, &r->webrtc);
	}
	if (err < 0) {
		snprintf(why, wlen, "internal error: %s", np_strerror(err));
		*local_failure = EXIT_INTERNAL;
		rc = err;
		goto out;
	}
	np_timer_init(&r->poll, on_poll, r);
	/* An earlier phase of the run (NAT discovery) may have stopped the
	 * loop; run_once would then return at once, forever. */
	np_loop_clear_stop(r->loop);
	ice_agent_gather(r->agent);
	{
		uint64_t now = np_loop_update_now(r->loop);

		r->deadline = now + (uint64_t)(o->timeout_s * 1e6);
		/* A dead server must not hold the description back for long. */
		r->gather_deadline = now + 3000000;
		r->hold_us = (uint64_t)(o->hold_s * 1e6);
		np_timer_start(r->loop, &r->poll, now);
	}
	/* The user's q or Ctrl-C on the dashboard stops the loop: the
	 * session ends as at its deadline, with what it has seen. */
	while (!r->done && !np_loop_stopped(r->loop) &&
	       np_loop_run_once(r->loop, 100000) >= 0)
		;
	np_timer_stop(r->loop, &r->poll);
	np_loop_clear_stop(r->loop);
	/* The media stream's last RTCP (BYE) and summary. */
	webrtc_stop(r->webrtc);
	/* RFC 9725 §4.3: the session ends with DELETE on its URL. */
	if (r->whip_loc[0] &&
	    whip_delete(r->whip_loc, WHIP_TIMEOUT_MS, r->why2, sizeof(r->why2)) < 0)
		note(ctx, "ice.signal", "%s (the endpoint keeps the session until it times out)",
		     r->why2);
	/* Deallocate TURN allocations and wait, briefly, for the answers. */
	ice_agent_close(r->agent);
	{
		uint64_t until = np_loop_update_now(r->loop) + CLOSE_WAIT_US;

		while (!ice_agent_closed(r->agent) &&
		       np_loop_update_now(r->loop) < until &&
		       np_loop_run_once(r->loop, 20000) >= 0)
			;
	}
	if (r->rc) {
		snprintf(why, wlen, "%s", r->why);
		*local_failure = r->rc;
		rc = NP_EINVAL;
		goto out;
	}
	if (r->why[0] && ice_agent_state(r->agent) != ICE_AGENT_CONNECTED)
		note(ctx, "ice.failed", "%s", r->why);
	if (ice_agent_state(r->agent) == ICE_AGENT_CONNECTED &&
	    webrtc_state(r->webrtc) == WEBRTC_DTLS)
		note(ctx, "webrtc", "stopped before DTLS finished: %s",
		     r->why[0] ? r->why : "deadline");
out:
	webrtc_free(r->webrtc);
	ice_agent_free(r->agent);
	sig_reader_free(r->reader);
	sdp_free(r->sdp);
	sdp_free(r->rsdp);
	free(r->tm);
	return rc;
}
