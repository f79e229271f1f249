/*
 * ice_agent_impl.h - the ICE agent's inside, shared by ice_agent.c
 * (checks, selection, consent), ice_gather.c (candidates) and ice_msg.c
 * (the STUN messages of checks). Not a public interface.
 */
#ifndef ICE_AGENT_IMPL_H
#define ICE_AGENT_IMPL_H

#include "ice_agent.h"
#include "mdns.h"
#include "portmap.h"
#include "turn_client.h"

#define ICE_MAX_HOST 12           /* host sockets (interface addresses) */
#define ICE_MAX_RELAY 8           /* TURN allocations */
#define ICE_MAX_TCP 32            /* ICE-TCP connections (RFC 6544) */
#define ICE_UFRAG_LEN 8
#define ICE_PWD_LEN 24

/* A place checks are sent from: a host socket or a TURN allocation. */
struct ice_base {
	struct ice_agent *a;
	int relay;
	int tcp;                      /* an ICE-TCP connection (RFC 6544) */
	int listen_fd;                /* a passive candidate's listener, or -1 */
	struct sockaddr_storage peer; /* tcp: the remote end */
	struct stun_sock *sock;       /* host socket, or the one to the TURN server */
	struct turn_client *turn;     /* relay only */
	struct sockaddr_storage addr; /* host address, or the relayed address */
	size_t server;                /* index in the server list (relay) */
	struct sockaddr_storage srv_addr; /* the TURN server's address */
	int family;
	int ready;                    /* relay: allocated */
	int done;                     /* relay: allocation answered or failed */
	int closed;                   /* relay: deallocation answered */
	uint16_t next_channel;
	/* Peers with a channel (or a pending ChannelBind), for data. */
	struct sockaddr_storage chan_peer[TURN_MAX_PEERS];
	uint16_t chan[TURN_MAX_PEERS];
	int chan_ok[TURN_MAX_PEERS];
	size_t nchan;
	/* Peers a permission was asked for. */
	struct sockaddr_storage perm[TURN_MAX_PEERS];
	size_t nperm;
};

struct ice_agent {
	struct np_ctx *ctx;
	struct ice_agent_cfg cfg;
	struct ice_server_list servers;
	enum ice_agent_state state;
	uint64_t rng;
	uint64_t t0;                  /* when gathering started */
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
	char rufrag[SDP_CRED_MAX + 1], rpwd[SDP_CRED_MAX + 1];
	uint8_t lkey[64], rkey[64];   /* short-term keys (RFC 8489 §9.1.1) */
	size_t lkey_len, rkey_len;
	int remote_set;
	struct ice_checklist *cl;
	struct np_timer timer;        /* checks: the checklist's deadline */
	struct np_timer consent_timer;
	struct ice_base host[ICE_MAX_HOST];
	size_t nhost;
	struct ice_base relay[ICE_MAX_RELAY];
	size_t nrelay;
	struct ice_base listen[ICE_MAX_HOST]; /* ICE-TCP passive listeners */
	size_t nlisten;
	struct ice_base tcp[ICE_MAX_TCP];     /* ICE-TCP connections */
	size_t ntcp;
	/* Port mappings (PCP, NAT-PMP, UPnP IGD) of host sockets. */
	struct portmap *pm[ICE_MAX_HOST];
	size_t pm_host[ICE_MAX_HOST];
	int pm_mapped[ICE_MAX_HOST];
	size_t npm;
	/* Remote ".local" host candidates waiting for mDNS (RFC 6762). */
	struct mdns *mdns;
	struct ice_cand mdns_cand[MDNS_MAX_PENDING];
	size_t nmdns;
	int remote_eoc;               /* end-of-candidates once names resolve */
	unsigned srflx_pending;       /* Binding requests not yet answered */
	/* Gathered candidates, in order (the checklist keeps its own copy,
	 * plus peer-reflexive ones). */
	struct ice_cand local[ICE_CL_MAX_LOCAL];
	size_t nlocal;
	/* Last pair states seen, to record changes. */
	enum ice_pair_state seen[ICE_CL_MAX_PAIRS];
	size_t nseen;
	/* Phase times (µs since t0; 0 = not yet). */
	uint64_t t_host, t_srflx, t_relay, t_check, t_valid, t_nominated,
		t_selected;
	/* Consent freshness (RFC 7675). */
	uint64_t consent_last_us;     /* the last response on the selected pair */
	uint8_t consent_tid[12];
	int consent_pending;
	int closing;
	uint64_t last_check_in_us;
	/* Data that came before selection on a valid pair: where to answer. */
	struct ice_base *early_base;
	struct sockaddr_storage early_peer;    /* the last authenticated check from the peer */
	ice_data_cb data_cb;
	void *data_arg;
	ice_state_cb state_cb;
	void *state_arg;
};

/* ice_agent.c */
uint64_t ice_rand(struct ice_agent *a);
uint64_t ice_now(const struct ice_agent *a);
void ice_note(struct ice_agent *a, const char *test, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ice_set_state(struct ice_agent *a, enum ice_agent_state s);
/* A NOTE labelled test with a transport and addresses (either NULL). */
void ice_note_obs(struct ice_agent *a, const char *test, enum np_transport t,
		  const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote, const char *text);
/* Records a phase time ("first-valid ...") once. */
void ice_phase(struct ice_agent *a, uint64_t *t, const char *name);
/* A candidate's base (its own address for host and relay). */
const struct sockaddr_storage *ice_cand_base(const struct ice_cand *c);
/* Runs the checklist: timeouts, due checks, state changes, selection. */
void ice_service(struct ice_agent *a);
/* A candidate was gathered (recorded and added to the checklist). */
void ice_local_candidate(struct ice_agent *a, const struct ice_cand *c);
/* A gathering step ended; checks whether all are done. */
void ice_gather_progress(struct ice_agent *a);
/* A STUN message for the agent arrived on base from src. */
void ice_on_stun(struct ice_agent *a, struct ice_base *b, const uint8_t *buf,
		 size_t len, const struct stun_msg *m,
		 const struct sockaddr_storage *src);
/* Non-STUN data arrived on base from src. */
void ice_on_data(struct ice_agent *a, struct ice_base *b, const uint8_t *buf,
		 size_t len, const struct sockaddr_storage *src);
/* Sends bytes from base b to dst (through the relay for a relay base). */
int ice_base_send(struct ice_agent *a, struct ice_base *b, const uint8_t *buf,
		  size_t len, const struct sockaddr_storage *dst);

/* ice_tcp.c: ICE-TCP (RFC 6544) host candidates and connections. */
void ice_tcp_gather(struct ice_agent *a, const struct ice_base *host,
		    size_t idx);
/* The base a check or data for (local, remote) goes through: a UDP host
 * socket, a relay, or an ICE-TCP connection (opened when create and the
 * local candidate is active). NULL when there is none. */
struct ice_base *ice_base_for(struct ice_agent *a, const struct ice_cand *local,
			      const struct sockaddr_storage *remote, int create);
void ice_tcp_free(struct ice_agent *a);

/* ice_portmap.c: port-mapped candidates from the gateway. */
void ice_portmap_start(struct ice_agent *a);
int ice_portmap_pending(const struct ice_agent *a);
void ice_portmap_release(struct ice_agent *a);
void ice_portmap_free(struct ice_agent *a);

/* ice_gather.c */
int ice_gather_start(struct ice_agent *a);
void ice_gather_close(struct ice_agent *a);
void ice_gather_free(struct ice_agent *a);
/* Binds a TURN channel to dst on a relay base (data then goes as
 * ChannelData). */
void ice_base_bind_channel(struct ice_base *b,
			   const struct sockaddr_storage *dst);
/* The base whose address is addr, or NULL. */
struct ice_base *ice_base_find(struct ice_agent *a,
			       const struct sockaddr_storage *addr);

/* ice_msg.c: the STUN messages of connectivity checks (RFC 8445 §7.1,
 * §7.3). Each returns the encoded length or a negative NP_E*. */
int ice_msg_check(uint8_t *buf, size_t cap, const uint8_t tid[12],
		  const char *rufrag, const char *lufrag, const uint8_t *key,
		  size_t key_len, uint32_t priority, int controlling,
		  uint64_t tiebreaker, int use_candidate);
int ice_msg_success(uint8_t *buf, size_t cap, const uint8_t tid[12],
		    const struct sockaddr_storage *mapped, const uint8_t *key,
		    size_t key_len);
/* An error response; key may be NULL (401 and 400 are not signed). */
int ice_msg_error(uint8_t *buf, size_t cap, const uint8_t tid[12], int code,
		  const char *reason, const uint8_t *key, size_t key_len);

/* What a received Binding request asks, once its credentials checked. */
enum ice_req_verdict { ICE_REQ_OK, ICE_REQ_BAD_REQUEST, ICE_REQ_UNAUTHORIZED };
/* Checks USERNAME ("ours:theirs") and MESSAGE-INTEGRITY against our
 * password, reads PRIORITY, USE-CANDIDATE, ICE-CONTROLLING/CONTROLLED
 * (RFC 8445 §7.3); why names what was wrong. */
enum ice_req_verdict ice_msg_parse_request(const struct stun_msg *m,
					   const char *lufrag,
					   const uint8_t *key, size_t key_len,
					   struct ice_cl_request *out,
					   char *why, size_t wlen);

#endif
