/*
 * ice_agent.h - a full ICE agent (RFC 8445) on natprobe's event loop:
 * gathering (host on every interface, server-reflexive from STUN servers,
 * relayed from TURN servers over UDP, TCP and TLS), connectivity checks
 * driven by the checklist machine (ice_checklist.h) with short-term
 * credentials (RFC 8445 §7.2.2), triggered checks, peer-reflexive
 * candidates, regular nomination, and consent freshness (RFC 7675) once a
 * pair is selected.
 *
 * Gathering and checking overlap: checks start as soon as the remote
 * description is known and every candidate gathered later joins the
 * checklist at once, so a slow TURN server delays only its own pairs.
 *
 * Everything the agent sees becomes an observation (test labels "ice.*"):
 *   ice.gather      NOTE per candidate (text: its candidate line) and per
 *                   server outcome; the STUN/TURN transactions themselves
 *                   are labelled "ice.srflx" and "ice.turn"
 *   ice.remote      NOTE per remote candidate, and what was rejected
 *   ice.check       SENT/RETRANSMIT/RESPONSE/TIMEOUT of our checks
 *                   (local = the local candidate's base, remote = the
 *                   remote candidate)
 *   ice.check.in    NOTE for each check the peer sent us, and how it was
 *                   answered (401 when its credentials were wrong)
 *   ice.pair        NOTE per pair state change ("2 waiting->in-progress")
 *   ice.selected    NOTE when a pair is selected; ice.consent for RFC 7675
 *   ice.phase       NOTE for first host/srflx/relay candidate, first check,
 *                   first valid pair, nomination, selection
 * so analyzers/ice_summary.c rebuilds candidates, pairs and their
 * statistics from the log alone.
 */
#ifndef ICE_AGENT_H
#define ICE_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "ice_checklist.h"
#include "ice_servers.h"
#include "sdp.h"
#include "stun_client.h"

struct ice_agent;

struct ice_agent_cfg {
	int controlling;
	uint64_t ta_us;             /* pacing; 0: the agent's fast default */
	const struct ice_server_list *servers; /* borrowed */
	int relay_only;             /* gather (and offer) relay candidates only */
	int family;                 /* AF_INET, AF_INET6, or 0 for both */
	int loopback;               /* also gather on loopback */
	int link_local;             /* also gather on IPv6 link-local */
	int no_tcp;                 /* no ICE-TCP host candidates (RFC 6544) */
	/* Ask the gateway for port mappings (PCP, NAT-PMP, UPnP IGD): only
	 * when the user asks, since the gateway is not a server they named.
	 * AF_UNSPEC: the default IPv4 gateway. */
	int portmap;
	struct sockaddr_storage gateway;
	uint64_t gather_timeout_us; /* per server; 0: 3 s */
	uint64_t nominate_after_us; /* 0: 100 ms after the first valid pair */
	uint64_t seed;              /* RNG: tie-breaker, ufrag/pwd, tids */
};

enum ice_agent_state { ICE_AGENT_GATHERING, ICE_AGENT_CHECKING,
		       ICE_AGENT_CONNECTED, ICE_AGENT_FAILED,
		       ICE_AGENT_CONSENT_LOST };

int ice_agent_new(struct np_ctx *ctx, const struct ice_agent_cfg *cfg,
		  struct ice_agent **out);
/* Releases TURN allocations (deallocation is sent, not awaited) and
 * sockets; NULL is a no-op. */
void ice_agent_free(struct ice_agent *a);

/* Starts gathering on every server at once. */
int ice_agent_gather(struct ice_agent *a);
/* 1 once every server has answered or given up. */
int ice_agent_gathering_done(const struct ice_agent *a);
/* 1 when what is still pending is only STUN Binding requests that have
 * gone unanswered for several RTOs (UDP blocked): not worth waiting for
 * before a description that is written once. */
int ice_agent_gathering_enough(const struct ice_agent *a);
/* Deallocates TURN allocations and waits for the answers (bounded by the
 * loop's own timers); call before ice_agent_free when the loop still runs. */
void ice_agent_close(struct ice_agent *a);
int ice_agent_closed(const struct ice_agent *a);

/* Fills m with our credentials, the candidates gathered so far and, when
 * gathering is done, end-of-candidates. */
void ice_agent_local_media(const struct ice_agent *a, struct sdp_media *m);
/* Takes the peer's credentials and candidates (rejected ones are
 * recorded with the reason) and starts checks. NP_EINVAL when the media
 * has no credentials. */
int ice_agent_set_remote(struct ice_agent *a, const struct sdp_media *m);
/* Trickle ICE (RFC 8838): more candidates of the same remote session
 * (and perhaps its end-of-candidates), e.g. from a WHIP PATCH. NP_EINVAL
 * before ice_agent_set_remote; NP_ERESTART when m's ice-ufrag/ice-pwd
 * are not the session's (an ICE restart, which natprobe does not do). */
int ice_agent_add_remote(struct ice_agent *a, const struct sdp_media *m);

enum ice_agent_state ice_agent_state(const struct ice_agent *a);
const char *ice_agent_state_name(enum ice_agent_state s);
/* The selected pair, or NULL. */
const struct ice_pair *ice_agent_selected(const struct ice_agent *a,
					  const struct ice_cand **local,
					  const struct ice_cand **remote);
/* When the peer's last authenticated check arrived (loop time), 0 if never:
 * a controlling agent lingers after selection while the peer still checks. */
uint64_t ice_agent_last_peer_check(const struct ice_agent *a);
/* 1 when ice_agent_send has a validated pair to send on. */
int ice_agent_can_send(const struct ice_agent *a);
/* Sends non-STUN data on the selected pair (DTLS, RTP); NP_ENOTFOUND
 * when none is selected. */
int ice_agent_send(struct ice_agent *a, const uint8_t *buf, size_t len);
/* What arrives on the selected pair that is not STUN. */
typedef void (*ice_data_cb)(struct ice_agent *a, const uint8_t *buf,
			    size_t len, void *arg);
void ice_agent_set_data_cb(struct ice_agent *a, ice_data_cb cb, void *arg);
/* Called on every state change. */
typedef void (*ice_state_cb)(struct ice_agent *a, enum ice_agent_state s,
			     void *arg);
void ice_agent_set_state_cb(struct ice_agent *a, ice_state_cb cb, void *arg);

#endif
