/*
 * turn_client.h - a TURN client (RFC 8656) over one stun_sock (UDP, TCP or
 * TLS, stun_client.h): Allocate with long-term credentials (401 challenge,
 * 438 stale nonce retried once), CreatePermission, ChannelBind, Send and
 * Data indications, ChannelData, Refresh before expiry on a loop timer,
 * and deallocation (Refresh with LIFETIME 0) on close.
 *
 * Every request is one stun_client transaction, so each step leaves sent,
 * response (with the server's own error code and reason) or timeout
 * observations; the client adds notes for what the response meant
 * (challenge, relayed address, lifetime, a response not trusted because
 * its MESSAGE-INTEGRITY did not verify). Errors are never guessed: an
 * event carries the code and reason phrase the server sent.
 */
#ifndef TURN_CLIENT_H
#define TURN_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun_client.h"
#include "turn_wire.h"

/* Peers one allocation tracks (permissions and channels). */
#define TURN_MAX_PEERS 32
/* Requests in flight at once on one client. */
#define TURN_MAX_OPS 16

struct turn_client;

struct turn_cfg {
	const char *user;          /* borrowed during turn_client_new */
	const char *password;
	/* Relay family: AF_INET (default, 0 too) or AF_INET6, which adds
	 * REQUESTED-ADDRESS-FAMILY; a server without IPv6 relays answers
	 * 440 Address Family not Supported. */
	int family;
	uint32_t lifetime_s;       /* LIFETIME asked for; 0: server's default */
	/* Label prefix for observations ("turn" when empty): requests are
	 * labelled "<prefix>.allocate", "<prefix>.permission"... */
	char label[24];
};

enum turn_event_kind {
	TURN_EV_ALLOCATE,          /* ok: relayed/mapped/lifetime are set */
	TURN_EV_PERMISSION,
	TURN_EV_CHANNEL,
	TURN_EV_REFRESH,
	TURN_EV_DATA,              /* data from a peer (indication or channel) */
	TURN_EV_CLOSED,            /* deallocation answered (or gave up) */
};

struct turn_event {
	enum turn_event_kind kind;
	int ok;                    /* the step succeeded */
	int code;                  /* the server's ERROR-CODE, or 0 */
	const char *reason;        /* its reason phrase, or what went wrong */
	int err;                   /* local: NP_ETIMEOUT, NP_ESTUN_INTEGRITY.. */
	const struct sockaddr_storage *peer;  /* permission/channel/data */
	uint16_t channel;          /* TURN_EV_CHANNEL, or data via a channel */
	const uint8_t *data;       /* TURN_EV_DATA, borrowed for the call */
	size_t len;
};

typedef void (*turn_cb)(struct turn_client *t, const struct turn_event *ev,
			void *arg);

/*
 * Creates a client on sock (borrowed; it must outlive the client, and the
 * client takes its raw callback). server is where requests go over UDP.
 */
int turn_client_new(struct np_ctx *ctx, struct stun_sock *sock,
		    const struct sockaddr_storage *server,
		    const struct turn_cfg *cfg, turn_cb cb, void *arg,
		    struct turn_client **out);
/* Stops timers and forgets pending requests without deallocating;
 * turn_client_free(NULL) does nothing. */
void turn_client_free(struct turn_client *t);

/* Starts the Allocate (unauthenticated first, RFC 8656 §7.1). */
int turn_allocate(struct turn_client *t);
/* Installs (or refreshes) a permission for peer's IP (§9). */
int turn_create_permission(struct turn_client *t,
			   const struct sockaddr_storage *peer);
/* Binds ch (0x4000-0x4FFF, else NP_EINVAL) to peer (§12.1). */
int turn_channel_bind(struct turn_client *t,
		      const struct sockaddr_storage *peer, uint16_t ch);
/* Sends data to peer in a Send indication (§11). */
int turn_send_indication(struct turn_client *t,
			 const struct sockaddr_storage *peer,
			 const uint8_t *data, size_t len);
/* Sends data on a bound channel as ChannelData (§12.4), padded to 4 bytes
 * over TCP and TLS. NP_ENOTFOUND when the channel is not bound yet. */
int turn_send_channel(struct turn_client *t, uint16_t ch,
		      const uint8_t *data, size_t len);
/* Refreshes the allocation now (the timer does it before expiry). */
int turn_refresh(struct turn_client *t);
/* Deallocates: Refresh with LIFETIME 0; TURN_EV_CLOSED follows. */
int turn_close(struct turn_client *t);

int turn_allocated(const struct turn_client *t);
const struct sockaddr_storage *turn_relayed(const struct turn_client *t);
const struct sockaddr_storage *turn_mapped(const struct turn_client *t);
uint32_t turn_lifetime(const struct turn_client *t);
/* The credential state (realm, nonce, algorithm), for reports and tests. */
const struct turn_auth *turn_client_auth(const struct turn_client *t);

#endif
