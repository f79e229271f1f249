/*
 * capture_hold.c - the bounded FIFO behind --capture's userland host test
 * (see capture_hold.h).
 */
#include "capture_hold.h"
#include "np_err.h"

#include <stdlib.h>
#include <string.h>

int capture_hold_init(struct capture_hold *h, size_t max_pkts,
		      size_t max_bytes, uint64_t hold_us)
{
	memset(h, 0, sizeof(*h));
	if (max_pkts == 0 || max_bytes == 0)
		return NP_EINVAL;
	h->q = calloc(max_pkts, sizeof(*h->q));
	if (!h->q)
		return NP_ENOMEM;
	h->cap = max_pkts;
	h->max_bytes = max_bytes;
	h->hold_us = hold_us;
	return 0;
}

static int at_bound(const struct capture_hold *h)
{
	return h->n == h->cap || h->bytes >= h->max_bytes;
}

int capture_hold_push(struct capture_hold *h, uint64_t t, uint64_t at,
		      const unsigned char *data, uint32_t caplen, uint32_t len)
{
	struct capture_held *e;

	if (at_bound(h))
		return NP_EFULL;
	e = &h->q[(h->head + h->n) % h->cap];
	e->data = malloc(caplen ? caplen : 1);
	if (!e->data)
		return NP_ENOMEM;
	if (caplen)
		memcpy(e->data, data, caplen);
	e->t = t;
	e->at = at;
	e->caplen = caplen;
	e->len = len;
	h->n++;
	h->bytes += caplen;
	return 0;
}

const struct capture_held *capture_hold_due(const struct capture_hold *h,
					    uint64_t now, int all)
{
	const struct capture_held *e;

	if (h->n == 0)
		return NULL;
	e = &h->q[h->head];
	/* Subtract, never add: a stamp near the top cannot wrap. */
	if (all || at_bound(h) || (now >= e->at && now - e->at >= h->hold_us))
		return e;
	return NULL;
}

void capture_hold_pop(struct capture_hold *h)
{
	struct capture_held *e;

	if (h->n == 0)
		return;
	e = &h->q[h->head];
	h->bytes -= e->caplen;
	free(e->data);
	memset(e, 0, sizeof(*e));
	h->head = (h->head + 1) % h->cap;
	h->n--;
}

size_t capture_hold_count(const struct capture_hold *h)
{
	return h->n;
}

void capture_hold_free(struct capture_hold *h)
{
	while (h->n)
		capture_hold_pop(h);
	free(h->q);
	memset(h, 0, sizeof(*h));
}
