/*
 * sctp_dc.h - WebRTC data channels: SCTP over DTLS (RFC 8261) with
 * usrsctp, channels opened with DCEP (RFC 8832) as RFC 8831 describes,
 * plus a probe channel that measures message RTT and throughput against
 * an echoing peer (natprobe serve, Janus EchoTest).
 *
 * Transport-independent: SCTP packets go out through the send callback
 * (the owner hands them to dtls_write) and come in through sctp_dc_input
 * (the owner passes DTLS_EV_DATA payloads). Unit tests wire two endpoints
 * back to back in memory.
 *
 * usrsctp is one library per process. We run it WITHOUT its timer and
 * raw-socket threads (usrsctp_init_nothreads, RFC 8261 only needs AF_CONN):
 * a 10 ms loop timer drives usrsctp_handle_timers, so no raw SCTP socket is
 * opened even as root. usrsctp may still call its output callback from a
 * thread of its own (it keeps one iterator thread), so every packet it
 * produces goes into a mutex-protected queue (capped) and wakes the loop
 * through an eventfd registered with np_loop_add_fd; packets are sent,
 * messages read and observations recorded only on the loop's thread, never
 * inside a usrsctp call. The address usrsctp knows an association by is an
 * id (slot + generation) looked up under a lock, never our pointer, so a
 * late callback after sctp_dc_free finds nothing instead of freed memory.
 * The last sctp_dc_free calls usrsctp_finish; the next sctp_dc_new
 * initializes usrsctp again.
 *
 * Roles: both sides send INIT, as WebRTC stacks do (the collision is
 * resolved by SCTP, RFC 4960 §5.2.1); is_client only picks stream parity:
 * the DTLS client opens channels on even stream ids, the DTLS server on
 * odd ones (RFC 8832 §6). Ports are the a=sctp-port values (RFC 8841).
 *
 * Observations (obs.h), test label / kind:
 *   sctp.assoc  connect    association up (streams in/out)
 *   sctp.assoc  timeout    could not start, or lost (retransmissions ran out)
 *   sctp.assoc  note       aborted or shut down by the peer, restarted
 *   sctp.queue  error      output queue full: packets dropped (first time)
 *   dc.open     sent       our DATA_CHANNEL_OPEN (label, type, stream)
 *   dc.open     response   its ACK (rtt_us since the OPEN)
 *   dc.open     note       the peer opened a channel (we ACKed)
 *   dc.dcep     malformed  a DCEP message refused (why, which stream)
 *   dc.open     error      a peer OPEN refused by a cap (channels, label)
 *   dc.msg      response   a message received (first SCTP_DC_MSG_OBS ones)
 *   dc.msg      malformed  a message over SCTP_DC_MSG_MAX, or on a stream
 *                          with no channel, or with an unknown PPID
 *   dc.close    note       a channel closed (stream reset, RFC 8831 §6.7)
 *   dc.probe    response   the probe's summary (sent, received, RTT, rate)
 *   dc.probe    timeout    the probe ended with echoes missing
 *   dc.budget   note       SCTP_DC_PEER_OBS observations caused by the
 *                          peer (opens, closes, refusals, restarts) were
 *                          recorded: later ones are only counted
 */
#ifndef SCTP_DC_H
#define SCTP_DC_H

#include <stddef.h>
#include <stdint.h>

#include "stun_client.h"

#define SCTP_DC_PORT 5000             /* a=sctp-port default (RFC 8841) */
#define SCTP_DC_STREAMS 1024          /* OS / MIS we offer */
#define SCTP_DC_MAX_CHANNELS 64       /* open channels per association */
#define SCTP_DC_MSG_MAX (256 * 1024)  /* largest message sent or accepted */
#define SCTP_DC_QUEUE_MAX 512         /* packets waiting for the loop */
#define SCTP_DC_PACKET_MAX 65536      /* largest SCTP packet we carry */
#define SCTP_DC_LABEL_MAX 256         /* label / protocol bytes accepted */
#define SCTP_DC_MSG_OBS 16            /* messages recorded one by one */
#define SCTP_DC_PEER_OBS 256          /* observations a peer can cause */
#define SCTP_DC_MAX_ASSOCS 64         /* sctp_dc objects per process */
#define SCTP_DC_PROBE_MAX 65536       /* probe messages per run */
#define SCTP_DC_PROBE_HDR 16          /* "NPDC", seq, send time (µs) */

enum sctp_dc_event_kind {
	SCTP_DC_EV_UP,             /* association established */
	SCTP_DC_EV_FAILED,         /* could not start, lost or aborted */
	SCTP_DC_EV_CHANNEL_OPEN,   /* OPEN+ACK done (either side opened) */
	SCTP_DC_EV_MESSAGE,        /* a whole message on an open channel */
	SCTP_DC_EV_CHANNEL_CLOSED, /* both directions of the stream reset */
	SCTP_DC_EV_PROBE_DONE,     /* sctp_dc_probe_stats says how it went */
};

/* Valid during the callback only. */
struct sctp_dc_event {
	enum sctp_dc_event_kind kind;
	uint16_t stream;
	int remote;                /* channel opened by the peer */
	const char *label;         /* CHANNEL_OPEN/CLOSED */
	const char *protocol;
	const uint8_t *data;       /* MESSAGE: the bytes (empty variants: 0) */
	size_t len;
	uint32_t ppid;             /* MESSAGE: 51, 53, 56 or 57 */
	int binary;
	int err;                   /* FAILED: NP_ETIMEOUT, NP_ETLS... */
	const char *reason;        /* FAILED: what happened */
};

struct sctp_dc;
/* One SCTP packet for the peer (through dtls_write); 0 or negative. */
typedef int (*sctp_dc_send_fn)(void *arg, const uint8_t *buf, size_t len);
/* Must not call sctp_dc_free(s) (free it from the loop afterwards). */
typedef void (*sctp_dc_event_fn)(struct sctp_dc *s,
				 const struct sctp_dc_event *ev, void *arg);

/* Creates the association and starts it (INIT goes out from the loop).
 * ctx (loop and log) is borrowed for s's lifetime. NP_EFULL when
 * SCTP_DC_MAX_ASSOCS are alive. */
int sctp_dc_new(struct np_ctx *ctx, int is_client, uint16_t local_port,
		uint16_t remote_port, sctp_dc_send_fn send, sctp_dc_event_fn cb,
		void *arg, struct sctp_dc **out);
/* Names this endpoint in its observations' server field (tests, serve).
 * Copied. */
void sctp_dc_set_name(struct sctp_dc *s, const char *name);
/* One SCTP packet from the peer (a DTLS_EV_DATA payload). */
int sctp_dc_input(struct sctp_dc *s, const uint8_t *buf, size_t len);
/* Sends DATA_CHANNEL_OPEN on the next free stream of our parity.
 * reliable: 1 = reliable; 0 = no retransmissions (partial-rexmit 0).
 * NP_EINVAL before the association is up, NP_EFULL at the channel cap
 * or when no stream is left. */
int sctp_dc_open(struct sctp_dc *s, const char *label, const char *protocol,
		 int ordered, int reliable, uint16_t *stream);
/* Sends one message on an open channel (ours once ACKed, or the peer's):
 * PPID 51 string / 53 binary, and for len 0 the empty variants 56/57 with
 * one byte on the wire (RFC 8831 §6.6). -EAGAIN when SCTP's send buffer
 * is full, NP_EINVAL over SCTP_DC_MSG_MAX or on a stream with no channel. */
int sctp_dc_send(struct sctp_dc *s, uint16_t stream, const uint8_t *msg,
		 size_t len, int binary);
/* Closes a channel: resets our outgoing stream (RFC 8831 §6.7). */
int sctp_dc_close(struct sctp_dc *s, uint16_t stream);
/* Echo mode (natprobe serve): every message is sent back on its stream
 * with its PPID. */
void sctp_dc_set_echo(struct sctp_dc *s, int on);
int sctp_dc_is_up(const struct sctp_dc *s);
/* Closes the association (ABORT to the peer), frees everything. NULL ok. */
void sctp_dc_free(struct sctp_dc *s);

/* The probe: count binary messages of size bytes (at least
 * SCTP_DC_PROBE_HDR: "NPDC", sequence number, send time), one every
 * interval_us, on an open channel; echoes that come back are matched by
 * sequence number. Done (SCTP_DC_EV_PROBE_DONE) when all came back, or 2 s
 * (or 4 RTTs, whichever is longer) after the last was sent. */
struct sctp_dc_probe_stats {
	uint16_t stream;
	unsigned count;            /* asked for */
	size_t size;
	unsigned sent, received;   /* received: distinct echoes */
	unsigned duplicates, bogus; /* repeated / unknown sequence numbers */
	unsigned echoed;           /* messages we echoed (echo mode) */
	uint32_t rtt_min_us, rtt_avg_us, rtt_max_us;
	uint64_t bytes_sent, bytes_received;
	uint64_t first_send_us, last_recv_us;
	double bytes_per_s;        /* echoed bytes / (last echo - first send) */
	int running, done;
};
int sctp_dc_probe_start(struct sctp_dc *s, uint16_t stream, unsigned count,
			size_t size, uint32_t interval_us);
void sctp_dc_probe_stats(const struct sctp_dc *s,
			 struct sctp_dc_probe_stats *st);

#endif
