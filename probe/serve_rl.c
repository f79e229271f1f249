/*
 * serve_rl.c - per-source-IP token buckets for the responder.
 *
 * DESIGN.md: the responder "bounds per-source work". A fixed table of
 * SERVE_RL_SETS x SERVE_RL_WAYS buckets: a source hashes (with a secret
 * seed) to one set; a new source takes a free way or evicts the way seen
 * longest ago. An evicted source comes back with a full bucket, so eviction
 * can only make the limit more lenient, never deny a legitimate client.
 * Time comes from the caller, in microseconds.
 */
#include "serve.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "np_err.h"

#define MICRO 1000000u
/* Longest gap we account for: enough to refill any bucket, small enough
 * that gap * rate cannot overflow. */
#define MAX_GAP_US (100u * MICRO)
#define MAX_RATE 10000000u

int serve_rl_init(struct serve_rl *rl, uint32_t rate, uint32_t burst,
		  uint64_t seed)
{
	memset(rl, 0, sizeof(*rl));
	if (rate > MAX_RATE || burst > MAX_RATE)
		return NP_EINVAL;
	rl->rate = rate;
	rl->burst = burst ? burst : (rate > MAX_RATE / 2 ? MAX_RATE : 2 * rate);
	if (rl->burst == 0)
		rl->burst = 1;
	rl->seed = seed | 1;
	if (rate == 0)
		return 0;
	rl->e = calloc((size_t)SERVE_RL_SETS * SERVE_RL_WAYS, sizeof(*rl->e));
	return rl->e ? 0 : NP_ENOMEM;
}

void serve_rl_dispose(struct serve_rl *rl)
{
	free(rl->e);
	rl->e = NULL;
}

static void make_key(const struct sockaddr *sa, uint8_t key[17])
{
	memset(key, 0, 17);
	if (sa->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		       16);
	} else {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
	}
}

/* A keyed multiply-xorshift over the key bytes; not cryptographic, but a
 * sender that does not know the seed cannot pick colliding sources. */
static uint64_t hash_key(const uint8_t key[17], uint64_t seed)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

int serve_rl_allow(struct serve_rl *rl, const struct sockaddr *src,
		   uint64_t now_us)
{
	uint8_t key[17];
	struct serve_rl_entry *set, *e = NULL, *oldest = NULL;
	uint64_t cap, gap;

	if (rl->rate == 0 || !rl->e)
		return 1;
	make_key(src, key);
	set = rl->e + (hash_key(key, rl->seed) % SERVE_RL_SETS) * SERVE_RL_WAYS;
	cap = (uint64_t)rl->burst * MICRO;
	for (size_t i = 0; i < SERVE_RL_WAYS; i++) {
		if (set[i].key[0] && memcmp(set[i].key, key, 17) == 0) {
			e = &set[i];
			break;
		}
		if (!oldest || !set[i].key[0] ||
		    (oldest->key[0] && set[i].last_us < oldest->last_us))
			oldest = &set[i];
	}
	if (!e) {
		if (oldest->key[0])
			rl->evictions++;
		e = oldest;
		memcpy(e->key, key, 17);
		e->tokens = cap;
		e->last_us = now_us;
	}
	if (now_us > e->last_us) {
		gap = now_us - e->last_us;
		if (gap > MAX_GAP_US)
			gap = MAX_GAP_US;
		e->tokens += gap * rl->rate;
		if (e->tokens > cap)
			e->tokens = cap;
	}
	/* A clock that went backwards just refills nothing. */
	e->last_us = now_us > e->last_us ? now_us : e->last_us;
	if (e->tokens < MICRO)
		return 0;
	e->tokens -= MICRO;
	return 1;
}
