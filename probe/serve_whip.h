/*
 * serve_whip.h - `natprobe serve --whip`: a WHIP endpoint (RFC 9725) on
 * serve's event loop that answers every offer with its own ICE agent
 * (RFC 8445, controlled, JSEP §5.3), so a probe in another network can run
 * full ICE against the responder over plain HTTP signaling.
 *
 *   POST path (application/sdp offer) -> the agent gathers (bounded),
 *        takes the offer's candidates, and 201 carries the answer
 *   DELETE path/<id>                  -> 200, the session ends
 *
 * The HTTP side is non-blocking: every connection has a capped input
 * buffer, an idle timeout and a whole-request deadline (slowloris), and
 * the number of connections is capped; every byte goes through
 * http_min's parser and the request logic is whip_handle() (whip.h).
 * A session lives until DELETE, the session timeout, RFC 7675 consent
 * loss, or a peer that stops checking; sessions are capped at
 * WHIP_MAX_SESSIONS (503 beyond).
 *
 * Nothing here prints: what each session observes is handed, one line at
 * a time and labelled "whip#N", to the log callback (cli_serve.c prints).
 */
#ifndef SERVE_WHIP_H
#define SERVE_WHIP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"
#include "ice_servers.h"

/* HTTP connections at a time; more are accepted and closed at once. */
#define SERVE_WHIP_MAX_CONNS 32
/* Log lines per session (a peer must not flood serve's log). */
#define SERVE_WHIP_MAX_LINES 200

typedef void (*serve_whip_log_fn)(void *arg, const char *line);

struct serve_whip_opts {
	/* Where to listen; AF_UNSPEC: every address (IPv6 and IPv4) on port. */
	struct sockaddr_storage addr;
	uint16_t port;               /* 0: any (tests read it back) */
	const char *path;            /* NULL: "/whip" */
	const struct ice_server_list *servers; /* borrowed; NULL: host only */
	const char *tls_ca;          /* for turns: servers, borrowed */
	int family;                  /* host candidates: AF_INET/AF_INET6/0 */
	int loopback;                /* host candidates on loopback too */
	uint64_t gather_us;          /* 0: 2 s before the answer goes out */
	uint64_t session_us;         /* 0: 60 s session lifetime */
	uint64_t peer_idle_us;       /* 0: 30 s without a check from the peer */
	uint64_t idle_us;            /* 0: 5 s without a byte on a connection */
	uint64_t request_us;         /* 0: 10 s for a whole request */
	size_t max_conns;            /* 0: SERVE_WHIP_MAX_CONNS */
	uint64_t seed;               /* session ids and agent RNG; 0: random */
	serve_whip_log_fn log;       /* NULL: nothing is logged */
	void *log_arg;
};

struct serve_whip_counters {
	uint64_t conns;              /* accepted */
	uint64_t conns_rejected;     /* over the connection cap */
	uint64_t requests;           /* complete requests parsed */
	uint64_t created;            /* 201 */
	uint64_t deleted;            /* 200 for DELETE */
	uint64_t trickled;           /* 204 for a trickle ICE PATCH */
	uint64_t refused;            /* any 4xx/5xx sent */
	uint64_t too_large;          /* of which 413 */
	uint64_t busy;               /* of which 503 */
	uint64_t idle_closed;        /* connections closed for idleness */
	uint64_t selected;           /* sessions that selected a pair */
	uint64_t ended_timeout;      /* sessions ended by session/peer timeout */
	uint64_t ended_consent;      /* ... by consent loss */
	uint64_t freed;              /* sessions freed (every way) */
};

struct serve_whip;

/* Opens the listener. On failure a negative code and, in detail, what
 * failed ("0.0.0.0:8080/http: Address already in use"). */
int serve_whip_new(struct serve_whip **out, struct np_loop *loop,
		   const struct serve_whip_opts *o, char *detail, size_t dlen);
/* Frees every session and connection; NULL is a no-op. */
void serve_whip_free(struct serve_whip *w);

const struct serve_whip_counters *serve_whip_counters(const struct serve_whip *w);
/* The listening address (port filled), for the start-up line and tests. */
int serve_whip_local(const struct serve_whip *w, struct sockaddr_storage *ss);
/* Sessions alive (gathering, announced, or closing). */
size_t serve_whip_nsessions(const struct serve_whip *w);
size_t serve_whip_nconns(const struct serve_whip *w);

/* "[ADDR:]PORT": "8080", "203.0.113.10:8080", "[::1]:8080". 0 or
 * NP_EINVAL. ss gets AF_UNSPEC when only a port is given. */
int serve_whip_parse_listen(const char *s, struct sockaddr_storage *ss,
			    uint16_t *port);

#endif
