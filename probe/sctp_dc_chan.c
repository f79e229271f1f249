/*
 * sctp_dc_chan.c - data channels on an sctp_dc association: DCEP open and
 * ACK (RFC 8832 §6), messages with the RFC 8831 §8 PPIDs, echo mode and
 * closing by stream reset (RFC 8831 §6.7).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <usrsctp.h>

#include "dcep.h"
#include "np_err.h"
#include "sctp_dc_impl.h"

struct sdc_chan *sdc_chan_find(struct sctp_dc *s, uint16_t stream)
{
	for (size_t i = 0; i < SCTP_DC_MAX_CHANNELS; i++)
		if (s->ch[i].state != SDC_CH_FREE && s->ch[i].stream == stream)
			return &s->ch[i];
	return NULL;
}

int sdc_sendv(struct sctp_dc *s, uint16_t stream, uint32_t ppid,
	      const uint8_t *buf, size_t len, int unordered, uint16_t pr_policy,
	      uint32_t pr_value)
{
	struct sctp_sendv_spa spa;

	memset(&spa, 0, sizeof(spa));
	spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
	spa.sendv_sndinfo.snd_sid = stream;
	spa.sendv_sndinfo.snd_ppid = htonl(ppid);
	spa.sendv_sndinfo.snd_flags = unordered ? SCTP_UNORDERED : 0;
	if (pr_policy) {
		spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
		spa.sendv_prinfo.pr_policy = pr_policy;
		spa.sendv_prinfo.pr_value = pr_value;
	}
	if (usrsctp_sendv(s->sock, buf, len, NULL, 0, &spa, sizeof(spa),
			  SCTP_SENDV_SPA, 0) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

int sdc_reset_stream(struct sctp_dc *s, uint16_t stream)
{
	uint8_t buf[sizeof(struct sctp_reset_streams) + sizeof(uint16_t)];
	struct sctp_reset_streams *r = (struct sctp_reset_streams *)buf;

	memset(buf, 0, sizeof(buf));
	r->srs_assoc_id = SCTP_ALL_ASSOC;
	r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	r->srs_number_streams = 1;
	r->srs_stream_list[0] = stream;
	return usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, buf,
				  sizeof(buf)) < 0 ? -errno : 0;
}

void sdc_record_peer(struct sctp_dc *s, struct obs *o)
{
	struct obs note;

	if (s->peer_obs < SCTP_DC_PEER_OBS) {
		s->peer_obs++;
		np_ctx_record(s->ctx, o);
		return;
	}
	if (s->peer_unrecorded++ == 0) {
		sdc_obs(s, &note, OBS_NOTE, "dc.budget");
		snprintf(note.text, sizeof(note.text), "%d observations caused "
			 "by the peer recorded; later ones are only counted",
			 SCTP_DC_PEER_OBS);
		np_ctx_record(s->ctx, &note);
	}
}

static struct sdc_chan *chan_alloc(struct sctp_dc *s)
{
	for (size_t i = 0; i < SCTP_DC_MAX_CHANNELS; i++)
		if (s->ch[i].state == SDC_CH_FREE) {
			memset(&s->ch[i], 0, sizeof(s->ch[i]));
			return &s->ch[i];
		}
	return NULL;
}

/* Label and protocol for observations and events: bytes as text, a
 * non-printable byte shown as '?' (the label is the peer's). */
static void copy_text(char *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] != 0x7f) ? (char)src[i] : '?';
	dst[n] = 0;
}

static void chan_event(struct sctp_dc *s, struct sdc_chan *c,
		       enum sctp_dc_event_kind k)
{
	struct sctp_dc_event ev = { 0 };

	ev.kind = k;
	ev.stream = c->stream;
	ev.remote = c->remote;
	ev.label = c->label;
	ev.protocol = c->protocol;
	sdc_emit(s, &ev);
}

static void chan_pr(const struct sdc_chan *c, int *unordered,
		    uint16_t *policy, uint32_t *value)
{
	*unordered = !!(c->type & DCEP_CHANNEL_UNORDERED);
	*policy = 0;
	*value = c->reliability;
	switch (c->type & 0x7f) {
	case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT:
		*policy = SCTP_PR_SCTP_RTX;
		break;
	case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED:
		*policy = SCTP_PR_SCTP_TTL;
		break;
	}
}

int sctp_dc_open(struct sctp_dc *s, const char *label, const char *protocol,
		 int ordered, int reliable, uint16_t *stream)
{
	uint8_t buf[DCEP_OPEN_HEADER + 2 * SCTP_DC_LABEL_MAX];
	struct dcep_open op = { 0 };
	struct sdc_chan *c;
	size_t len, ll, pl;
	uint16_t sid;
	struct obs o;
	int err;

	label = label ? label : "";
	protocol = protocol ? protocol : "";
	ll = strlen(label);
	pl = strlen(protocol);
	if (!s->up || ll > SCTP_DC_LABEL_MAX || pl > SCTP_DC_LABEL_MAX)
		return NP_EINVAL;
	/* RFC 8832 §6: the DTLS client takes even streams, the server odd. */
	for (sid = s->next_stream; sid < s->out_streams && sdc_chan_find(s, sid);
	     sid += 2)
		;
	if (sid >= s->out_streams)
		return NP_EFULL;
	if (!(c = chan_alloc(s)))
		return NP_EFULL;
	op.channel_type = (uint8_t)((reliable ? DCEP_CHANNEL_RELIABLE :
				     DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT) |
				    (ordered ? 0 : DCEP_CHANNEL_UNORDERED));
	op.reliability = 0;
	op.label = (const uint8_t *)label;
	op.label_len = (uint16_t)ll;
	op.protocol = (const uint8_t *)protocol;
	op.protocol_len = (uint16_t)pl;
	if ((err = dcep_open_encode(&op, buf, sizeof(buf), &len)) != 0)
		return err;
	/* DCEP goes reliable and ordered (RFC 8832 §6). */
	if ((err = sdc_sendv(s, sid, DCEP_PPID_CONTROL, buf, len, 0, 0, 0)))
		return err;
	c->state = SDC_CH_OPENING;
	c->stream = sid;
	c->type = op.channel_type;
	c->reliability = op.reliability;
	c->open_sent_us = np_loop_update_now(s->ctx->loop);
	snprintf(c->label, sizeof(c->label), "%s", label);
	snprintf(c->protocol, sizeof(c->protocol), "%s", protocol);
	s->next_stream = (uint16_t)(sid + 2);
	sdc_obs(s, &o, OBS_SENT, "dc.open");
	o.size = (uint32_t)len;
	snprintf(o.text, sizeof(o.text),
		 "DATA_CHANNEL_OPEN stream %u label \"%s\" protocol \"%s\" %s",
		 sid, c->label, c->protocol,
		 dcep_channel_type_name(c->type));
	np_ctx_record(s->ctx, &o);
	if (stream)
		*stream = sid;
	return 0;
}

static void chan_opened(struct sctp_dc *s, struct sdc_chan *c, int implicit)
{
	struct obs o;

	c->state = SDC_CH_OPEN;
	sdc_obs(s, &o, OBS_RESPONSE, "dc.open");
	o.has = OBS_HAS_RTT;
	o.rtt_us = (uint32_t)(np_loop_update_now(s->ctx->loop) -
			      c->open_sent_us);
	snprintf(o.text, sizeof(o.text),
		 "%s stream %u label \"%s\": channel open",
		 implicit ? "data before DATA_CHANNEL_ACK (implicit ACK)" :
		 "DATA_CHANNEL_ACK", c->stream, c->label);
	np_ctx_record(s->ctx, &o);
	chan_event(s, c, SCTP_DC_EV_CHANNEL_OPEN);
}

static void refuse(struct sctp_dc *s, uint16_t stream, enum obs_kind k,
		   const char *test, int err, const char *why, size_t len)
{
	struct obs o;

	sdc_obs(s, &o, k, test);
	o.err = err;
	o.size = (uint32_t)len;
	snprintf(o.text, sizeof(o.text), "stream %u: %s", stream, why);
	sdc_record_peer(s, &o);
}

static void peer_open(struct sctp_dc *s, uint16_t stream, const uint8_t *buf,
		      size_t len)
{
	struct dcep_open op;
	struct sdc_chan *c;
	uint8_t ack[1];
	size_t alen;
	struct obs o;
	int err;

	if ((err = dcep_open_parse(buf, len, &op)) != 0) {
		refuse(s, stream, OBS_MALFORMED, "dc.dcep", err,
		       "malformed DATA_CHANNEL_OPEN refused (stream reset)",
		       len);
		sdc_reset_stream(s, stream);
		return;
	}
	if (sdc_chan_find(s, stream)) {
		refuse(s, stream, OBS_MALFORMED, "dc.dcep", NP_EINVAL,
		       "DATA_CHANNEL_OPEN on a stream already in use ignored",
		       len);
		return;
	}
	if (op.label_len > SCTP_DC_LABEL_MAX ||
	    op.protocol_len > SCTP_DC_LABEL_MAX) {
		refuse(s, stream, OBS_ERROR, "dc.open", NP_EFULL,
		       "DATA_CHANNEL_OPEN label or protocol over 256 bytes "
		       "refused (stream reset)", len);
		sdc_reset_stream(s, stream);
		return;
	}
	if (!(c = chan_alloc(s))) {
		refuse(s, stream, OBS_ERROR, "dc.open", NP_EFULL,
		       "DATA_CHANNEL_OPEN over the channel cap refused "
		       "(stream reset)", len);
		sdc_reset_stream(s, stream);
		return;
	}
	c->state = SDC_CH_OPEN;
	c->stream = stream;
	c->remote = 1;
	c->type = op.channel_type;
	c->reliability = op.reliability;
	copy_text(c->label, op.label, op.label_len);
	copy_text(c->protocol, op.protocol, op.protocol_len);
	dcep_ack_encode(ack, sizeof(ack), &alen);
	err = sdc_sendv(s, stream, DCEP_PPID_CONTROL, ack, alen, 0, 0, 0);
	sdc_obs(s, &o, OBS_NOTE, "dc.open");
	o.size = (uint32_t)len;
	o.err = err;
	snprintf(o.text, sizeof(o.text),
		 "peer opened stream %u label \"%s\" protocol \"%s\" %s "
		 "(priority %u, reliability %u)%s%s", stream, c->label,
		 c->protocol, dcep_channel_type_name(c->type), op.priority,
		 op.reliability, (stream & 1) == (s->is_client ? 0 : 1) ?
		 ", on a stream of OUR parity (RFC 8832 §6)" : "",
		 err ? ", ACK not sent" : "");
	sdc_record_peer(s, &o);
	chan_event(s, c, SCTP_DC_EV_CHANNEL_OPEN);
}

static void on_dcep(struct sctp_dc *s, uint16_t stream, const uint8_t *buf,
		    size_t len)
{
	struct sdc_chan *c;
	uint8_t type;

	if (dcep_type(buf, len, &type) != 0) {
		refuse(s, stream, OBS_MALFORMED, "dc.dcep", NP_ETRUNCATED,
		       "empty DCEP message", len);
		return;
	}
	if (type == DCEP_DATA_CHANNEL_OPEN) {
		peer_open(s, stream, buf, len);
		return;
	}
	if (type == DCEP_DATA_CHANNEL_ACK) {
		c = sdc_chan_find(s, stream);
		if (dcep_ack_parse(buf, len) != 0 || !c ||
		    c->state != SDC_CH_OPENING) {
			refuse(s, stream, OBS_MALFORMED, "dc.dcep", NP_EINVAL,
			       "unexpected or malformed DATA_CHANNEL_ACK", len);
			return;
		}
		chan_opened(s, c, 0);
		return;
	}
	refuse(s, stream, OBS_MALFORMED, "dc.dcep", NP_EINVAL,
	       "unknown DCEP message type", len);
}

void sdc_on_oversize(struct sctp_dc *s, uint16_t stream, uint32_t ppid)
{
	refuse(s, stream, OBS_MALFORMED, "dc.msg", NP_EFULL,
	       "message over 256 KiB dropped", SCTP_DC_MSG_MAX);
}

void sdc_on_message(struct sctp_dc *s, uint16_t stream, uint32_t ppid,
		    const uint8_t *buf, size_t len)
{
	struct sctp_dc_event ev = { 0 };
	struct sdc_chan *c;
	struct obs o;

	if (ppid == DCEP_PPID_CONTROL) {
		on_dcep(s, stream, buf, len);
		return;
	}
	c = sdc_chan_find(s, stream);
	if (!c) {
		refuse(s, stream, OBS_MALFORMED, "dc.msg", NP_EINVAL,
		       "message on a stream with no channel dropped", len);
		return;
	}
	if (ppid != DCEP_PPID_STRING && ppid != DCEP_PPID_BINARY &&
	    ppid != DCEP_PPID_STRING_EMPTY && ppid != DCEP_PPID_BINARY_EMPTY) {
		refuse(s, stream, OBS_MALFORMED, "dc.msg", NP_EINVAL,
		       "message with an unknown PPID dropped", len);
		return;
	}
	if (c->state == SDC_CH_OPENING)
		chan_opened(s, c, 1);
	/* RFC 8831 §6.6: an empty message travels as one byte. */
	if (ppid == DCEP_PPID_STRING_EMPTY || ppid == DCEP_PPID_BINARY_EMPTY)
		len = 0;
	if (sdc_probe_on_message(s, stream, buf, len))
		return;
	if (s->msg_obs < SCTP_DC_MSG_OBS) {
		s->msg_obs++;
		sdc_obs(s, &o, OBS_RESPONSE, "dc.msg");
		o.size = (uint32_t)len;
		snprintf(o.text, sizeof(o.text), "stream %u: %s message, %zu "
			 "bytes (PPID %u)%s", stream,
			 ppid == DCEP_PPID_STRING ||
			 ppid == DCEP_PPID_STRING_EMPTY ? "string" : "binary",
			 len, ppid, s->msg_obs == SCTP_DC_MSG_OBS ?
			 "; further messages are counted, not recorded" : "");
		np_ctx_record(s->ctx, &o);
	}
	if (s->echo) {
		int bin = ppid == DCEP_PPID_BINARY ||
			  ppid == DCEP_PPID_BINARY_EMPTY;

		if (sctp_dc_send(s, stream, buf, len, bin) == 0)
			s->probe.st.echoed++;
	}
	ev.kind = SCTP_DC_EV_MESSAGE;
	ev.stream = stream;
	ev.remote = c->remote;
	ev.label = c->label;
	ev.protocol = c->protocol;
	ev.data = buf;
	ev.len = len;
	ev.ppid = ppid;
	ev.binary = ppid == DCEP_PPID_BINARY || ppid == DCEP_PPID_BINARY_EMPTY;
	sdc_emit(s, &ev);
}

int sctp_dc_send(struct sctp_dc *s, uint16_t stream, const uint8_t *msg,
		 size_t len, int binary)
{
	static const uint8_t zero[1] = { 0 };
	struct sdc_chan *c = sdc_chan_find(s, stream);
	uint16_t policy;
	uint32_t value, ppid;
	int unordered;

	if (!c || c->closing || len > SCTP_DC_MSG_MAX || (len && !msg))
		return NP_EINVAL;
	/* Before the ACK only an ordered channel may send: its data then
	 * follows the OPEN on the stream (RFC 8832 §6). */
	chan_pr(c, &unordered, &policy, &value);
	if (c->state == SDC_CH_OPENING && unordered)
		return NP_EINVAL;
	if (len == 0) {
		ppid = binary ? DCEP_PPID_BINARY_EMPTY : DCEP_PPID_STRING_EMPTY;
		msg = zero;
		len = 1;
	} else {
		ppid = binary ? DCEP_PPID_BINARY : DCEP_PPID_STRING;
	}
	return sdc_sendv(s, stream, ppid, msg, len, unordered, policy, value);
}

int sctp_dc_close(struct sctp_dc *s, uint16_t stream)
{
	struct sdc_chan *c = sdc_chan_find(s, stream);
	int err;

	if (!c || c->closing)
		return NP_EINVAL;
	if ((err = sdc_reset_stream(s, stream)) != 0)
		return err;
	c->closing = 1;
	return 0;
}

/* RFC 8831 §6.7: the peer reset its outgoing stream (incoming for us):
 * reset ours too, and the channel is closed. Our own reset completing
 * (outgoing) only waits for the peer's. */
void sdc_on_stream_reset(struct sctp_dc *s, uint16_t stream, int incoming)
{
	struct sdc_chan *c = sdc_chan_find(s, stream);
	struct obs o;

	if (!c || !incoming)
		return;
	if (!c->closing)
		sdc_reset_stream(s, stream);
	sdc_obs(s, &o, OBS_NOTE, "dc.close");
	snprintf(o.text, sizeof(o.text), "stream %u label \"%s\": channel "
		 "closed by %s", stream, c->label,
		 c->closing ? "us" : "the peer");
	sdc_record_peer(s, &o);
	chan_event(s, c, SCTP_DC_EV_CHANNEL_CLOSED);
	c->state = SDC_CH_FREE;
}
