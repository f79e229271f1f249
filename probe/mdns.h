/*
 * mdns.h - resolving the ".local" names browsers put in host candidates
 * instead of their addresses (draft-ietf-mmusic-mdns-ice-candidates,
 * RFC 6762 multicast DNS): one query for A and AAAA to 224.0.0.251:5353
 * and ff02::fb, answers taken from any responder on the link.
 *
 * The wire part (mdns_query_encode, mdns_answer_parse) is pure and bounded:
 * names are compared label by label through compression pointers with a
 * hop limit, every length is checked against what remains.
 */
#ifndef MDNS_H
#define MDNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun_client.h"

#define MDNS_PORT 5353
#define MDNS_NAME_MAX 253
#define MDNS_MAX_PENDING 16

/* A one-question query (QTYPE A and AAAA as two questions), ID 0 as RFC
 * 6762 §18.1 asks. Returns the length or NP_ENOSPACE / NP_EINVAL (a name
 * that is not dot-separated labels of 1..63 bytes). */
int mdns_query_encode(uint8_t *buf, size_t cap, const char *name);

/* Looks in a DNS response for an A or AAAA record of name. Returns 1 and
 * sets *addr (port 0) when found, 0 when the message is well formed but
 * has no such record, NP_EINVAL with why when malformed. */
int mdns_answer_parse(const uint8_t *buf, size_t len, const char *name,
		      struct sockaddr_storage *addr, char *why, size_t wlen);

struct mdns;
/* Called once per name: resolved (addr set) or not (addr NULL). */
typedef void (*mdns_cb)(void *arg, const char *name,
			const struct sockaddr_storage *addr);

int mdns_new(struct np_ctx *ctx, mdns_cb cb, void *arg, struct mdns **out);
/* Asks for name (sent three times, 0/250/750 ms, then given up at
 * timeout_us). NP_EFULL over MDNS_MAX_PENDING. */
int mdns_resolve(struct mdns *m, const char *name, uint64_t timeout_us);
size_t mdns_pending(const struct mdns *m);
void mdns_free(struct mdns *m);

#endif
