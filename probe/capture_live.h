/*
 * capture_live.h - `--capture FILE.pcapng`: the run's own packets, captured
 * with libpcap on the "any" device and written with capture_write.
 *
 * Only traffic to or from the servers the user named is kept, by a BPF
 * program ("host A or host B ...") run in userland on each packet after a
 * short hold (capture_hold.h); the kernel's filter (IP only) is never
 * changed mid-run, as changing it loses packets. Servers learned during
 * the run (a response's OTHER-ADDRESS, RESPONSE-ORIGIN, ALTERNATE-SERVER,
 * the mapped address hairpin probes go to) are added to the program as
 * their observations are recorded, within the hold of their packets.
 *
 * The handle's fd is one more fd in the one event loop; each wakeup reads
 * a bounded number of packets. Open (privileged) -> np_priv_drop ->
 * capture_live_start: no packet is read before the drop.
 */
#ifndef CAPTURE_LIVE_H
#define CAPTURE_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "evloop.h"
#include "obs.h"

#define CAPTURE_MAX_HOSTS 32
/* Enough for a jumbo frame and any STUN/TURN/DTLS datagram on an
 * Ethernet path; larger loopback packets are kept truncated (their wire
 * length is recorded). In immediate mode libpcap gives each packet a
 * ring frame of about this size, so a smaller snaplen means more frames
 * in the kernel buffer for the bursts a run sends. */
#define CAPTURE_SNAPLEN 9216
/* The kernel ring (bytes): about 1700 frames of the snaplen above. */
#define CAPTURE_BUFFER (16 * 1024 * 1024)
/* Packets read per wakeup, and in total when draining at the end. */
#define CAPTURE_BATCH 64
#define CAPTURE_DRAIN_MAX 100000
/* How long a packet waits, from when it is read, for its host to become
 * known (microseconds), and the hold's bounds: a run's bursts fit. */
#define CAPTURE_HOLD_US 250000
#define CAPTURE_HOLD_PKTS 4096
#define CAPTURE_HOLD_BYTES (8u * 1024 * 1024)

struct capture_live;

/* Opens the handle (needs privilege), sets the filter for hosts and
 * creates path with comment in its SHB. NP_EINVAL / -EPERM / -errno with
 * a sentence in why. */
int capture_live_open(const char *path, const char *comment,
		      const struct sockaddr_storage *hosts, size_t nhosts,
		      struct capture_live **out, char *why, size_t wlen);
/* Registers the fd in loop and starts following log (chaining any
 * on_add hook already set). */
int capture_live_start(struct capture_live *c, struct np_loop *loop,
		       struct obs_log *log);
/* Adds the address's host to the filter (no-op if known or full). */
void capture_live_learn(struct capture_live *c,
			const struct sockaddr_storage *addr);
/* Reads what remains (bounded), stops following log, closes the file and
 * frees c. Returns 0 or the first error (why says what), with the packets
 * written in *count and those the kernel dropped (ring full) in *dropped. */
int capture_live_finish(struct capture_live *c, struct obs_log *log,
			uint64_t *count, uint64_t *dropped, char *why,
			size_t wlen);

#endif
