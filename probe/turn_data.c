/*
 * turn_data.c - the TURN client's data path (RFC 8656 §11, §12): Send
 * indications out and Data indications in, ChannelData both ways (padded
 * to 4 bytes over TCP and TLS, §12.5). Over UDP, data is accepted only
 * from the server's address. Each packet leaves an observation.
 */
#include "turn_client_impl.h"
#include "np_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void data_in(struct turn_client *t, const struct sockaddr_storage *peer,
		    uint16_t ch, const uint8_t *data, size_t len)
{
	struct turn_event ev;
	struct obs o;
	char a[64];

	turnc_obs_base(t, &o, OBS_NOTE, "data");
	o.source = *peer;
	o.has |= OBS_HAS_SOURCE;
	o.size = (uint32_t)len;
	if (ch)
		snprintf(o.text, sizeof(o.text), "ChannelData 0x%04x from %s, %zu bytes",
			 ch, np_addr_str(peer, a, sizeof(a)), len);
	else
		snprintf(o.text, sizeof(o.text), "Data indication from %s, %zu bytes",
			 np_addr_str(peer, a, sizeof(a)), len);
	np_ctx_record(t->ctx, &o);
	memset(&ev, 0, sizeof(ev));
	ev.kind = TURN_EV_DATA;
	ev.ok = 1;
	ev.peer = peer;
	ev.channel = ch;
	ev.data = data;
	ev.len = len;
	if (t->cb)
		t->cb(t, &ev, t->arg);
}

static void bad_in(struct turn_client *t, const struct sockaddr_storage *src,
		   size_t len, const char *why)
{
	struct obs o;

	turnc_obs_base(t, &o, OBS_MALFORMED, "data");
	o.source = *src;
	o.has |= OBS_HAS_SOURCE;
	o.size = (uint32_t)len;
	snprintf(o.text, sizeof(o.text), "%s", why);
	np_ctx_record(t->ctx, &o);
}

void turnc_on_raw(struct stun_sock *s, const uint8_t *buf, size_t len,
		  const struct sockaddr_storage *src, void *arg)
{
	struct turn_client *t = arg;
	int stream = stun_sock_transport(s) != NP_UDP;
	struct sockaddr_storage peer;
	const uint8_t *data;
	size_t dlen;
	uint16_t ch;

	/* Over UDP only the server may relay to us (§11.6, §12.6). */
	if (!stream && !np_addr_equal(src, &t->server)) {
		bad_in(t, src, len, "TURN data from an address that is not the server");
		return;
	}
	if (buf[0] >= 0x40 && buf[0] <= 0x4F) {
		struct peer *p = NULL;

		if (turn_chandata_decode(buf, len, stream, &ch, &data, &dlen) < 0) {
			bad_in(t, src, len, "malformed ChannelData");
			return;
		}
		for (size_t i = 0; i < TURN_MAX_PEERS && !p; i++)
			if (t->peers[i].in_use && t->peers[i].channel == ch)
				p = &t->peers[i];
		if (!p) {
			bad_in(t, src, len, "ChannelData on a channel we did not bind");
			return;
		}
		peer = p->addr;
		data_in(t, &peer, ch, data, dlen);
		return;
	}
	{
		struct stun_msg m;
		const struct stun_attr *d;

		if (stun_decode(buf, len, 0, &m, NULL, 0) < 0 ||
		    m.method != TURN_DATA || m.cls != STUN_INDICATION)
			return;  /* recorded by stun_client already */
		d = stun_msg_find(&m, STUN_ATTR_DATA);
		if (!d || stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_ATTR_XOR_PEER_ADDRESS),
					     &peer) < 0) {
			bad_in(t, src, len, "Data indication without XOR-PEER-ADDRESS or DATA");
			return;
		}
		data_in(t, &peer, 0, d->val, d->len);
	}
}

int turn_send_indication(struct turn_client *t,
			 const struct sockaddr_storage *peer,
			 const uint8_t *data, size_t len)
{
	uint8_t tid[STUN_TID_LEN], *buf;
	struct stun_enc w;
	struct obs o;
	size_t n;
	int err;

	if (len > 0xFFFF - 64)
		return NP_EINVAL;
	buf = malloc(len + 64);
	if (!buf)
		return NP_ENOMEM;
	stun_tid_random(tid);
	stun_enc_begin(&w, buf, len + 64, TURN_SEND, STUN_INDICATION, tid);
	stun_enc_xor_addr(&w, STUN_ATTR_XOR_PEER_ADDRESS, (const struct sockaddr *)peer);
	stun_enc_attr(&w, STUN_ATTR_DATA, data, len);
	err = stun_enc_end(&w, &n);
	if (err == 0)
		err = stun_sock_send_raw(t->sock, buf, n, &t->server);
	free(buf);
	turnc_obs_base(t, &o, OBS_SENT, "send");
	o.method = TURN_SEND;
	o.cls = STUN_INDICATION;
	o.has |= OBS_HAS_TID;
	memcpy(o.tid, tid, STUN_TID_LEN);
	o.size = (uint32_t)n;
	o.err = err;
	{
		char a[64];

		snprintf(o.text, sizeof(o.text), "Send indication to %s, %zu bytes",
			 np_addr_str(peer, a, sizeof(a)), len);
	}
	np_ctx_record(t->ctx, &o);
	return err;
}

int turn_send_channel(struct turn_client *t, uint16_t ch, const uint8_t *data,
		      size_t len)
{
	int stream = stun_sock_transport(t->sock) != NP_UDP;
	uint8_t *buf;
	size_t n;
	int err;

	if (!turn_channel_valid(ch) || len > 0xFFFF)
		return NP_EINVAL;
	{
		int bound = 0;

		for (size_t i = 0; i < TURN_MAX_PEERS; i++)
			bound |= t->peers[i].in_use && t->peers[i].channel == ch;
		if (!bound)
			return NP_ENOTFOUND;
	}
	buf = malloc(len + 8);
	if (!buf)
		return NP_ENOMEM;
	err = turn_chandata_encode(ch, data, len, stream, buf, len + 8, &n);
	if (err == 0)
		err = stun_sock_send_raw(t->sock, buf, n, &t->server);
	free(buf);
	{
		struct obs o;

		turnc_obs_base(t, &o, OBS_NOTE, "send");
		o.size = (uint32_t)n;
		o.err = err;
		snprintf(o.text, sizeof(o.text), "ChannelData 0x%04x sent, %zu bytes",
			 ch, len);
		np_ctx_record(t->ctx, &o);
	}
	return err;
}

