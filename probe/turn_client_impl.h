/*
 * turn_client_impl.h - what the two halves of the TURN client share:
 * turn_client.c (requests: allocation, permissions, channels, refresh) and
 * turn_data.c (the data path: Send/Data indications, ChannelData). Not
 * part of the public surface; shared names carry the turnc_ prefix.
 */
#ifndef TURN_CLIENT_IMPL_H
#define TURN_CLIENT_IMPL_H

#include "turn_client.h"

enum op_kind { OP_ALLOCATE, OP_PERMISSION, OP_CHANNEL, OP_REFRESH, OP_CLOSE };

/* One request until its final answer, across 401/438 retries. */
struct op {
	struct turn_client *t;
	int in_use;
	enum op_kind kind;
	struct sockaddr_storage peer;
	uint16_t channel;
	int had_creds, stale_tries;
	/* What on_msg read from the response. */
	int got, cls, code, integrity;
	enum turn_auth_verdict verdict;
	char reason[OBS_TEXT];
	char why[OBS_TEXT];
	struct sockaddr_storage relayed, mapped;
	uint32_t lifetime;
	int has_relayed, has_mapped, has_lifetime;
};

struct peer {
	int in_use;
	struct sockaddr_storage addr;
	uint16_t channel;          /* bound channel, or 0 */
	uint64_t perm_refresh_at;  /* µs, 0: nothing scheduled */
	uint64_t chan_refresh_at;
};

struct turn_client {
	struct np_ctx *ctx;
	struct stun_sock *sock;    /* borrowed */
	struct sockaddr_storage server;
	struct turn_cfg cfg;
	struct turn_auth auth;
	turn_cb cb;
	void *arg;
	int allocated;
	struct sockaddr_storage relayed, mapped;
	uint32_t lifetime;
	uint64_t alloc_refresh_at;
	struct np_timer timer;
	struct peer peers[TURN_MAX_PEERS];
	struct op ops[TURN_MAX_OPS];
	int freeing;
};

void turnc_obs_base(struct turn_client *t, struct obs *o, enum obs_kind k,
		    const char *what);
void turnc_on_raw(struct stun_sock *s, const uint8_t *buf, size_t len,
		  const struct sockaddr_storage *src, void *arg);

#endif
