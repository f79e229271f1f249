/*
 * capture_hold.h - a short, bounded FIFO of captured packets waiting for
 * their verdict.
 *
 * --capture keeps only traffic of the hosts the run talks to, and learns
 * hosts while it runs (a response's OTHER-ADDRESS, the address a hairpin
 * probe goes to). Changing the kernel's filter mid-run would lose packets:
 * libpcap swaps filters through a drop-everything filter, and whatever
 * arrives in that instant is gone. So the kernel filter stays fixed and the
 * host test is made here, in userland, after a short hold: a packet is
 * decided only once it has been held hold_us by the reader's own clock
 * (or the queue is full, or the run ends), by which time the observation
 * that names its host has been recorded - also after a stall of the event
 * loop, when a burst of old packets is read at once. Order is kept, so the
 * file stays in time order.
 */
#ifndef CAPTURE_HOLD_H
#define CAPTURE_HOLD_H

#include <stddef.h>
#include <stdint.h>

struct capture_held {
	uint64_t t;                /* microseconds, as the capture stamps */
	uint64_t at;               /* when it was read (the reader's clock) */
	uint32_t caplen, len;      /* captured and wire length */
	unsigned char *data;       /* caplen bytes, owned by the queue */
};

struct capture_hold {
	struct capture_held *q;    /* ring of cap slots */
	size_t cap, head, n;
	size_t bytes, max_bytes;
	uint64_t hold_us;
};

/* A queue of at most max_pkts packets and max_bytes bytes of data, each
 * held hold_us. NP_EINVAL (zero bounds) or NP_ENOMEM. */
int capture_hold_init(struct capture_hold *h, size_t max_pkts,
		      size_t max_bytes, uint64_t hold_us);
/* Copies a packet (stamped t) in, read at time at. The caller pops what
 * is due first: a full queue refuses with NP_EFULL rather than dropping
 * silently. */
int capture_hold_push(struct capture_hold *h, uint64_t t, uint64_t at,
		      const unsigned char *data, uint32_t caplen, uint32_t len);
/* The oldest packet if it is due at time now: held hold_us, or the queue
 * is at a bound, or all is set (the end of the run). NULL otherwise. */
const struct capture_held *capture_hold_due(const struct capture_hold *h,
					    uint64_t now, int all);
/* Drops the oldest packet (after the caller has decided on it). */
void capture_hold_pop(struct capture_hold *h);
/* Packets held now. */
size_t capture_hold_count(const struct capture_hold *h);
void capture_hold_free(struct capture_hold *h);

#endif
