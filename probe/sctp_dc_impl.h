/*
 * sctp_dc_impl.h - what sctp_dc.c (usrsctp glue), sctp_dc_chan.c (DCEP
 * channels and messages) and sctp_dc_probe.c (the probe) share.
 */
#ifndef SCTP_DC_IMPL_H
#define SCTP_DC_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "evloop.h"
#include "obs.h"
#include "sctp_dc.h"

/* Room left for DTLS record overhead (header, explicit IV, MAC or tag,
 * padding) under a 1200-byte datagram. */
#define SCTP_DC_MTU 1100

struct socket;

struct sdc_pkt {
	struct sdc_pkt *next;
	size_t len;
	uint8_t data[];
};

enum sdc_chan_state { SDC_CH_FREE = 0, SDC_CH_OPENING, SDC_CH_OPEN };

struct sdc_chan {
	enum sdc_chan_state state;
	uint16_t stream;
	int remote;                 /* opened by the peer */
	uint8_t type;               /* DCEP channel type */
	uint32_t reliability;
	int closing;                /* we reset our outgoing stream */
	uint64_t open_sent_us;
	char label[SCTP_DC_LABEL_MAX + 1];
	char protocol[SCTP_DC_LABEL_MAX + 1];
};

struct sdc_probe {
	struct np_timer timer;
	uint32_t interval_us;
	uint64_t *sent_at;          /* per sequence number, µs */
	uint8_t *seen;
	uint8_t *buf;               /* one message */
	int draining;               /* all sent, waiting for echoes */
	uint64_t rtt_sum;
	struct sctp_dc_probe_stats st;
};

struct sctp_dc {
	struct np_ctx *ctx;
	int is_client;
	uint16_t local_port, remote_port;
	sctp_dc_send_fn send;
	sctp_dc_event_fn cb;
	void *arg;
	char name[OBS_NAME * 2];
	uintptr_t id;               /* what usrsctp knows us by */
	unsigned slot;
	struct socket *sock;
	int efd;                    /* eventfd: usrsctp has something */
	struct np_timer tick;
	/* Output queue, guarded by the library-wide lock in sctp_dc.c. */
	struct sdc_pkt *q_head, *q_tail;
	size_t q_n;
	unsigned q_dropped;
	int q_noted;
	int up, failed, echo;
	uint16_t out_streams;       /* negotiated */
	uint16_t next_stream;
	struct sdc_chan ch[SCTP_DC_MAX_CHANNELS];
	uint8_t *rbuf;              /* one message being reassembled */
	size_t rlen;
	int rdiscard;               /* dropping the rest of an oversize one */
	unsigned msg_obs;
	unsigned peer_obs;          /* recorded by sdc_record_peer */
	unsigned peer_unrecorded;   /* over the budget */
	struct sdc_probe probe;
};

/* sctp_dc.c */
void sdc_obs(struct sctp_dc *s, struct obs *o, enum obs_kind k,
	     const char *test);
/* Sends one message; ppid in host order. 0, -EAGAIN or another error. */
int sdc_sendv(struct sctp_dc *s, uint16_t stream, uint32_t ppid,
	      const uint8_t *buf, size_t len, int unordered, uint16_t pr_policy,
	      uint32_t pr_value);
int sdc_reset_stream(struct sctp_dc *s, uint16_t stream);
void sdc_emit(struct sctp_dc *s, struct sctp_dc_event *ev);

/* sctp_dc_chan.c */
/* Records an observation the peer caused, within SCTP_DC_PEER_OBS. */
void sdc_record_peer(struct sctp_dc *s, struct obs *o);
struct sdc_chan *sdc_chan_find(struct sctp_dc *s, uint16_t stream);
void sdc_on_message(struct sctp_dc *s, uint16_t stream, uint32_t ppid,
		    const uint8_t *buf, size_t len);
void sdc_on_oversize(struct sctp_dc *s, uint16_t stream, uint32_t ppid);
void sdc_on_stream_reset(struct sctp_dc *s, uint16_t stream, int incoming);

/* sctp_dc_probe.c */
/* 1 when the message was a probe echo (consumed). */
int sdc_probe_on_message(struct sctp_dc *s, uint16_t stream,
			 const uint8_t *buf, size_t len);
void sdc_probe_dispose(struct sctp_dc *s);

#endif
