/*
 * webrtc.c - offer/answer shaped as JSEP (RFC 8829) writes them, DTLS on
 * the ICE-selected pair with roles from a=setup (RFC 8842 §5: the offer
 * says actpass, the answerer picks active), and RFC 7983 demultiplexing.
 */
#include "webrtc.h"
#include "demux.h"
#include "media_probe.h"
#include "sctp_dc.h"
#include "np_err.h"
#include "stun_codec.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCTP_PORT 5000
#define MAX_MESSAGE_SIZE 262144
/* An echoing side waits this long for a channel, and ends this long
 * after the last message. */
#define ECHO_WAIT_US 3000000
#define ECHO_QUIET_US 700000
#define EARLY_MAX 4

struct webrtc {
	struct np_ctx *ctx;
	struct ice_agent *agent;
	struct webrtc_cfg cfg;
	struct dtls_cert *cert;
	struct dtls *dtls;
	enum webrtc_state state;
	int remote_fp;             /* the peer sent a fingerprint */
	enum dtls_role role;
	char fp_alg[16];
	char fp_text[3 * SDP_FP_MAX + 1];
	char reason[256];
	uint32_t ssrc;
	struct dtls_srtp_keys keys;
	int have_keys;
	webrtc_media_fn media_fn, app_fn;
	void *media_arg, *app_arg;
	webrtc_state_fn state_fn;
	void *state_arg;
	/* The data channel (RFC 8831) when both sides have an SCTP m-line. */
	uint16_t remote_sctp_port;   /* 0: no data channel */
	struct sctp_dc *dc;
	struct media_probe *mp;
	int audio;                   /* an audio m-line both sides accepted */
	uint8_t audio_pt;
	uint32_t audio_rate;
	/* The first DTLS datagrams, when they came before we could start
	 * DTLS (a fragmented ClientHello is a few). */
	uint8_t early[EARLY_MAX][1500];
	size_t early_len[EARLY_MAX], nearly;
	int dc_done, dc_opened;
	unsigned dc_rx;
	int dc_summary, media_summary;
	uint64_t dc_rx_bytes;
	uint64_t dc_last_us, connected_us, media_last_us;
};

const char *webrtc_state_name(enum webrtc_state s)
{
	static const char *const n[] = { "waiting", "ice-only", "dtls",
					 "connected", "failed" };

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

static void note(struct webrtc *w, const char *text)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	snprintf(o.test, sizeof(o.test), "webrtc");
	snprintf(o.text, sizeof(o.text), "%s", text);
	np_ctx_record(w->ctx, &o);
}

static void dc_note(struct webrtc *w, const char *text)
{
	struct obs o;

	memset(&o, 0, sizeof(o));
	o.kind = OBS_NOTE;
	snprintf(o.test, sizeof(o.test), "dc.summary");
	snprintf(o.text, sizeof(o.text), "%s", text);
	np_ctx_record(w->ctx, &o);
}

static void set_state(struct webrtc *w, enum webrtc_state s)
{
	char t[64];

	if (w->state == s)
		return;
	snprintf(t, sizeof(t), "%s->%s", webrtc_state_name(w->state),
		 webrtc_state_name(s));
	note(w, t);
	w->state = s;
	if (w->state_fn && (s == WEBRTC_CONNECTED || s == WEBRTC_FAILED ||
			    s == WEBRTC_ICE_ONLY))
		w->state_fn(w->state_arg, s);
}

static void cache_early(struct webrtc *w, const uint8_t *buf, size_t len)
{
	if (w->nearly == EARLY_MAX || len > sizeof(w->early[0]))
		return;
	memcpy(w->early[w->nearly], buf, len);
	w->early_len[w->nearly++] = len;
}

static void feed_early(struct webrtc *w)
{
	for (size_t i = 0; w->dtls && i < w->nearly; i++)
		dtls_feed(w->dtls, w->early[i], w->early_len[i]);
	w->nearly = 0;
}

static void on_ice_data(struct ice_agent *a, const uint8_t *buf, size_t len,
			void *arg)
{
	struct webrtc *w = arg;

	switch (demux_classify(buf, len)) {
	case DEMUX_DTLS:
		/* The peer's ClientHello may come before our own ICE has
		 * selected the pair, or even before we have its description
		 * (a browser answering sends it as soon as its own checks
		 * succeed): start DTLS now, or keep the first flight for
		 * when we can (as libwebrtc caches an early ClientHello). */
		if (!w->dtls && w->state == WEBRTC_WAITING && w->remote_fp &&
		    ice_agent_can_send(w->agent))
			webrtc_ice_connected(w);
		if (w->dtls)
			dtls_feed(w->dtls, buf, len);
		else
			cache_early(w, buf, len);
		break;
	case DEMUX_RTP:
	case DEMUX_RTCP:
		if (w->mp && media_probe_wants(w->mp, buf, len)) {
			w->media_last_us = np_loop_now(w->ctx->loop);
			media_probe_input(w->mp, buf, len);
		}
		else if (w->media_fn && w->state == WEBRTC_CONNECTED)
			w->media_fn(w->media_arg, buf, len);
		break;
	default:
		break;   /* ZRTP, unknown: not ours */
	}
}

int webrtc_new(struct np_ctx *ctx, struct ice_agent *agent,
	       const struct webrtc_cfg *cfg, struct webrtc **out)
{
	struct webrtc *w = calloc(1, sizeof(*w));
	uint8_t r[12];
	int err;

	if (!w)
		return NP_ENOMEM;
	w->ctx = ctx;
	w->agent = agent;
	w->cfg = *cfg;
	if (!cfg->no_media) {
		err = dtls_cert_new(&w->cert);
		if (err < 0) {
			free(w);
			return err;
		}
	}
	stun_tid_random(r);
	memcpy(&w->ssrc, r, sizeof(w->ssrc));
	ice_agent_set_data_cb(agent, on_ice_data, w);
	*out = w;
	return 0;
}

void webrtc_free(struct webrtc *w)
{
	if (!w)
		return;
	/* The association's ABORT goes out through DTLS: free it first. */
	sctp_dc_free(w->dc);
	media_probe_free(w->mp);
	dtls_free(w->dtls);
	dtls_cert_free(w->cert);
	free(w);
}

/* Our identity on an m-line: ICE credentials, fingerprint and setup. */
static void identity(struct webrtc *w, struct sdp_media *m, int first)
{
	ice_agent_local_media(w->agent, m);
	if (!first)
		m->ncands = 0;     /* BUNDLE: candidates once, on the first */
	m->end_of_candidates = 1;
	if (w->cert) {
		snprintf(m->fp_alg, sizeof(m->fp_alg), "sha-256");
		dtls_fingerprint_parse("sha-256", dtls_cert_fingerprint(w->cert),
				       m->fp, sizeof(m->fp), &m->fp_len);
		m->setup = w->cfg.offerer ? SDP_SETUP_ACTPASS : SDP_SETUP_ACTIVE;
	}
}

static void add_rtpmap(struct sdp_media *m, uint8_t pt, const char *name,
		       uint32_t rate, uint8_t ch)
{
	struct sdp_rtpmap *r;

	if (m->nrtpmap == SDP_MAX_RTPMAP)
		return;
	r = &m->rtpmap[m->nrtpmap++];
	r->pt = pt;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->rate = rate;
	r->channels = ch;
}

static void media_line(struct webrtc *w, struct sdp_media *m, const char *kind,
		       const char *mid)
{
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	snprintf(m->mid, sizeof(m->mid), "%s", mid);
	m->port = 9;
	if (!strcmp(kind, "application")) {
		snprintf(m->proto, sizeof(m->proto), "UDP/DTLS/SCTP");
		snprintf(m->fmt, sizeof(m->fmt), "webrtc-datachannel");
		m->sctp_port = SCTP_PORT;
		snprintf(m->extra, sizeof(m->extra), "a=max-message-size:%d\r\n",
			 MAX_MESSAGE_SIZE);
		return;
	}
	snprintf(m->proto, sizeof(m->proto), "UDP/TLS/RTP/SAVPF");
	snprintf(m->direction, sizeof(m->direction), "sendrecv");
	m->rtcp_mux = 1;
	snprintf(m->extra, sizeof(m->extra),
		 "a=ssrc:%u cname:natprobe\r\na=msid:natprobe %s\r\n",
		 !strcmp(kind, "audio") ? w->ssrc : w->ssrc + 1, kind);
}

static int offer(struct webrtc *w, struct sdp *out)
{
	static const char *const kinds[] = { "audio", "video", "application" };
	size_t n = 0;

	for (size_t k = 0; k < 3; k++) {
		struct sdp_media *m = &out->media[n];
		char mid[4];

		if (k == 1 && !w->cfg.video)
			continue;
		snprintf(mid, sizeof(mid), "%zu", n);
		media_line(w, m, kinds[k], mid);
		if (k == 0) {
			snprintf(m->fmt, sizeof(m->fmt), "111 0");
			add_rtpmap(m, 111, "opus", 48000, 2);
			add_rtpmap(m, 0, "PCMU", 8000, 0);
		} else if (k == 1) {
			snprintf(m->fmt, sizeof(m->fmt), "96");
			add_rtpmap(m, 96, "VP8", 90000, 0);
		}
		identity(w, m, n == 0);
		memcpy(out->bundle[n], mid, sizeof(mid));
		n++;
	}
	out->nmedia = n;
	out->nbundle = n;
	return 0;
}

/* The first codec we can probe with: whatever the peer offered first
 * among the audio/video codecs we know. */
static int pick_codec(const struct sdp_media *rm, struct sdp_media *m)
{
	static const char *const ok[] = { "opus", "PCMU", "PCMA", "G722", "VP8",
					   "VP9", "H264", "AV1" };

	for (size_t i = 0; i < rm->nrtpmap; i++)
		for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
			if (!strcasecmp(rm->rtpmap[i].name, ok[k])) {
				m->rtpmap[0] = rm->rtpmap[i];
				m->nrtpmap = 1;
				snprintf(m->fmt, sizeof(m->fmt), "%u", rm->rtpmap[i].pt);
				return 1;
			}
	/* Static payload types need no rtpmap (RFC 3551): PCMU is 0. */
	if (!strcmp(rm->kind, "audio") && strstr(rm->fmt, "0")) {
		snprintf(m->fmt, sizeof(m->fmt), "0");
		return 1;
	}
	return 0;
}

static int answer(struct webrtc *w, const struct sdp *rs, struct sdp *out)
{
	int first = 1;

	out->nmedia = rs->nmedia;
	for (size_t i = 0; i < rs->nmedia; i++) {
		const struct sdp_media *rm = &rs->media[i];
		struct sdp_media *m = &out->media[i];
		int accept = 0;

		snprintf(m->kind, sizeof(m->kind), "%s", rm->kind);
		snprintf(m->proto, sizeof(m->proto), "%s", rm->proto);
		snprintf(m->fmt, sizeof(m->fmt), "%s", rm->fmt);
		snprintf(m->mid, sizeof(m->mid), "%s", rm->mid);
		if (!strcmp(rm->kind, "application") && strstr(rm->proto, "SCTP")) {
			media_line(w, m, "application", rm->mid);
			accept = rm->port != 0;
		} else if ((!strcmp(rm->kind, "audio") || !strcmp(rm->kind, "video")) &&
			   strstr(rm->proto, "SAVPF")) {
			media_line(w, m, rm->kind, rm->mid);
			accept = rm->port != 0 && pick_codec(rm, m);
		}
		if (!accept) {
			/* RFC 8866 §5.14: a rejected m-line has port 0. */
			m->port = 0;
			m->nrtpmap = 0;
			m->sctp_port = 0;
			m->extra[0] = 0;
			m->direction[0] = 0;
			snprintf(m->fmt, sizeof(m->fmt), "%s", rm->fmt[0] ? rm->fmt : "0");
			continue;
		}
		identity(w, m, first);
		first = 0;
		if (out->nbundle < SDP_MAX_MEDIA && rs->nbundle) {
			memcpy(out->bundle[out->nbundle], rm->mid, sizeof(rm->mid));
			out->nbundle++;
		}
	}
	return first ? NP_EINVAL : 0;
}

int webrtc_local_sdp(struct webrtc *w, const struct sdp *remote,
		     struct sdp *out)
{
	memset(out, 0, sizeof(*out));
	out->sess_id = np_wallclock_us();
	if (w->cfg.no_media || (remote && !w->remote_fp)) {
		/* Plain ICE: one m-line, mirroring the offer's first. */
		struct sdp_media *m = &out->media[0];

		out->nmedia = 1;
		if (remote && remote->nmedia) {
			snprintf(m->kind, sizeof(m->kind), "%s", remote->media[0].kind[0]
					 ? remote->media[0].kind : "application");
			snprintf(m->proto, sizeof(m->proto), "%s",
				 remote->media[0].proto[0] ? remote->media[0].proto
							    : "UDP/DTLS/SCTP");
			snprintf(m->fmt, sizeof(m->fmt), "%s", remote->media[0].fmt);
			snprintf(m->mid, sizeof(m->mid), "%s",
				 remote->media[0].mid[0] ? remote->media[0].mid : "0");
		} else {
			snprintf(m->kind, sizeof(m->kind), "application");
			snprintf(m->proto, sizeof(m->proto), "UDP/DTLS/SCTP");
			snprintf(m->fmt, sizeof(m->fmt), "webrtc-datachannel");
			snprintf(m->mid, sizeof(m->mid), "0");
		}
		m->port = 9;
		ice_agent_local_media(w->agent, m);
		m->end_of_candidates = 1;
		memcpy(out->bundle[0], m->mid, sizeof(m->mid));
		out->nbundle = 1;
		return 0;
	}
	return remote ? answer(w, remote, out) : offer(w, out);
}

static void hex_fp(const struct sdp_media *m, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < m->fp_len && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%02X", i ? ":" : "", m->fp[i]);
}

int webrtc_set_remote(struct webrtc *w, const struct sdp *remote)
{
	const struct sdp_media *m = NULL;

	for (size_t i = 0; i < remote->nmedia; i++)
		if (remote->media[i].port && remote->media[i].fp_len) {
			m = &remote->media[i];
			break;
		}
	if (!m || w->cfg.no_media) {
		w->remote_fp = 0;
		if (!w->cfg.no_media)
			note(w, "the peer's description has no a=fingerprint: a plain ICE peer, nothing after ICE");
		return 0;
	}
	w->remote_fp = 1;
	for (size_t i = 0; i < remote->nmedia && !w->audio; i++) {
		struct sdp_media tmp;

		if (!remote->media[i].port || strcmp(remote->media[i].kind, "audio") ||
		    !strstr(remote->media[i].proto, "SAVPF"))
			continue;
		memset(&tmp, 0, sizeof(tmp));
		snprintf(tmp.kind, sizeof(tmp.kind), "audio");
		/* The answer's first codec, or the first we know in an
		 * offer: the same choice the answer made. */
		if (pick_codec(&remote->media[i], &tmp)) {
			w->audio = 1;
			w->audio_pt = tmp.nrtpmap ? tmp.rtpmap[0].pt : 0;
			w->audio_rate = tmp.nrtpmap ? tmp.rtpmap[0].rate : 8000;
		}
	}
	for (size_t i = 0; i < remote->nmedia; i++)
		if (remote->media[i].port && !strcmp(remote->media[i].kind, "application") &&
		    strstr(remote->media[i].proto, "SCTP"))
			w->remote_sctp_port = remote->media[i].sctp_port
						      ? remote->media[i].sctp_port
						      : SCTP_DC_PORT;
	snprintf(w->fp_alg, sizeof(w->fp_alg), "%s", m->fp_alg);
	hex_fp(m, w->fp_text, sizeof(w->fp_text));
	/* RFC 8842 §5.3: the answerer's setup decides; actpass is not an
	 * answer. As the answerer we said active: we are the client. */
	if (!w->cfg.offerer) {
		w->role = DTLS_ROLE_CLIENT;
	} else if (m->setup == SDP_SETUP_ACTIVE) {
		w->role = DTLS_ROLE_SERVER;
	} else if (m->setup == SDP_SETUP_PASSIVE) {
		w->role = DTLS_ROLE_CLIENT;
	} else {
		snprintf(w->reason, sizeof(w->reason),
			 "the answer's a=setup is %s; an answer must say active or passive (RFC 8842 §5.3)",
			 m->setup == SDP_SETUP_NONE ? "missing" : sdp_setup_name(m->setup));
		note(w, w->reason);
		/* Be lenient as browsers are: take the client role. */
		w->role = DTLS_ROLE_CLIENT;
	}
	return 0;
}

static int dtls_send(void *arg, const uint8_t *buf, size_t len)
{
	struct webrtc *w = arg;

	return ice_agent_send(w->agent, buf, len);
}

/* SCTP packets go in DTLS records (RFC 8261). */
static int sctp_send(void *arg, const uint8_t *buf, size_t len)
{
	struct webrtc *w = arg;

	return w->dtls ? dtls_write(w->dtls, buf, len) : NP_ENOTFOUND;
}

static void on_dc(struct sctp_dc *s, const struct sctp_dc_event *ev,
		  void *arg)
{
	struct webrtc *w = arg;
	uint16_t stream;

	switch (ev->kind) {
	case SCTP_DC_EV_UP:
		/* The offerer opens the probe channel (RFC 8832 §6: either
		 * side may; one is enough). An echoing peer (natprobe serve,
		 * Janus's EchoTest) returns it, which gives the RTT. */
		if (w->cfg.offerer && !w->cfg.echo &&
		    sctp_dc_open(s, "natprobe-probe", "", 1, 1, &stream) < 0)
			w->dc_done = 1;
		break;
	case SCTP_DC_EV_MESSAGE:
		w->dc_last_us = np_loop_now(w->ctx->loop);
		w->dc_rx++;
		w->dc_rx_bytes += ev->len;
		break;
	case SCTP_DC_EV_CHANNEL_CLOSED:
		if (ev->remote || w->cfg.echo)
			w->dc_done = 1;   /* the prober is finished with us */
		break;
	case SCTP_DC_EV_CHANNEL_OPEN:
		w->dc_last_us = np_loop_now(w->ctx->loop);
		w->dc_opened = 1;
		if (!ev->remote && !w->cfg.echo &&
		    sctp_dc_probe_start(s, ev->stream, w->cfg.dc_count ? w->cfg.dc_count : 20,
					w->cfg.dc_size ? w->cfg.dc_size : 1000, 10000) < 0)
			w->dc_done = 1;
		break;
	case SCTP_DC_EV_PROBE_DONE:
		/* Closing the channel tells an echoing peer we are done. */
		sctp_dc_close(s, ev->stream);
		w->dc_done = 1;
		break;
	case SCTP_DC_EV_FAILED:
		w->dc_done = 1;
		break;
	default:
		break;
	}
}

static int media_send(void *arg, const uint8_t *buf, size_t len)
{
	struct webrtc *w = arg;

	return ice_agent_send(w->agent, buf, len);
}

static void start_media(struct webrtc *w)
{
	struct media_probe_cfg mc;

	if (!w->audio || !w->have_keys)
		return;
	memset(&mc, 0, sizeof(mc));
	mc.kind = MEDIA_AUDIO;
	mc.pt = w->audio_pt;
	mc.clock_rate = w->audio_rate;
	mc.payload_len = w->cfg.media_size;
	mc.pps = w->cfg.media_pps;
	mc.duration_us = w->cfg.echo ? 0 : (w->cfg.media_us ? w->cfg.media_us : 2000000);
	mc.ssrc = w->ssrc;    /* the a=ssrc we signalled */
	mc.cname = "natprobe";
	mc.echo = w->cfg.echo;
	mc.linger_us = 500000;   /* the last RTCP, then done */
	if (media_probe_new(w->ctx, &w->keys, &mc, media_send, w, &w->mp) < 0 ||
	    media_probe_start(w->mp) < 0) {
		note(w, "no media: the SRTP probe stream could not start");
		media_probe_free(w->mp);
		w->mp = NULL;
	}
}

void webrtc_stop(struct webrtc *w)
{
	char t[128];

	if (!w)
		return;
	if (w->mp)
		media_probe_stop(w->mp);
	if (w->mp && !w->media_summary) {
		struct media_stats st;
		uint32_t rtt;
		struct obs o;

		w->media_summary = 1;
		media_probe_stats(w->mp, &st);
		rtt = st.rtt_rtcp_n ? st.rtt_rtcp_last_us : st.rtt_echo_avg_us;
		/* The call-quality figures per direction, in the form
		 * analyzers/verdict_quality.h reads. */
		memset(&o, 0, sizeof(o));
		o.kind = OBS_NOTE;
		snprintf(o.test, sizeof(o.test), "media.quality");
		if (!st.echo) {
			snprintf(o.text, sizeof(o.text),
				 "dir=send loss_pct=%.2f rtt_ms=%.3f jitter_ms=%.3f packets=%llu",
				 st.peer_loss_pct, rtt / 1000.0, st.peer_jitter_us / 1000.0,
				 (unsigned long long)st.sent_packets);
			np_ctx_record(w->ctx, &o);
		}
		if (st.n_rx) {
			snprintf(o.text, sizeof(o.text),
				 "dir=recv loss_pct=%.2f rtt_ms=%.3f jitter_ms=%.3f packets=%llu",
				 st.rx[0].loss_pct, rtt / 1000.0, st.rx[0].jitter_us / 1000.0,
				 (unsigned long long)st.rx[0].received);
			np_ctx_record(w->ctx, &o);
		}
	}
	if (w->dc && !w->dc_summary) {
		w->dc_summary = 1;
		snprintf(t, sizeof(t), "messages_received=%u bytes_received=%llu",
			 w->dc_rx, (unsigned long long)w->dc_rx_bytes);
		dc_note(w, t);
	}
}

static void start_dc(struct webrtc *w)
{
	if (!w->remote_sctp_port) {
		w->dc_done = 1;
		return;
	}
	if (sctp_dc_new(w->ctx, w->role == DTLS_ROLE_CLIENT, SCTP_DC_PORT,
			w->remote_sctp_port, sctp_send, on_dc, w, &w->dc) < 0) {
		note(w, "no data channel: SCTP could not start");
		w->dc_done = 1;
		return;
	}
	sctp_dc_set_echo(w->dc, w->cfg.echo);
}

int webrtc_done(const struct webrtc *w)
{
	uint64_t now = np_loop_now(w->ctx->loop);

	if (w->state == WEBRTC_ICE_ONLY || w->state == WEBRTC_FAILED)
		return 1;
	if (w->state != WEBRTC_CONNECTED)
		return 0;
	/* An echoing side is done when the peer closed its channel, or
	 * went quiet after using it, or never opened one. */
	if (w->mp && !w->cfg.echo && !media_probe_done(w->mp))
		return 0;
	if (w->cfg.echo) {
		/* Echoing: done when the peer's media and data went quiet
		 * after being used, or never came. */
		int media = !w->mp || (w->media_last_us ? now - w->media_last_us > ECHO_QUIET_US
						       : now - w->connected_us > ECHO_WAIT_US);
		int data = !w->dc || w->dc_done ||
			   (w->dc_opened ? now - w->dc_last_us > ECHO_QUIET_US
					 : now - w->connected_us > ECHO_WAIT_US);

		/* A browser streams until hung up: the echo lasts as long
		 * as our own probe would, then we are done. */
		if (!w->cfg.serve_forever &&
		    now - w->connected_us > (w->cfg.media_us ? w->cfg.media_us : 2000000) +
						   ECHO_QUIET_US)
			return 1;
		return media && data;
	}
	return w->dc_done;
}

static void on_dtls(struct dtls *d, const struct dtls_event *ev, void *arg)
{
	struct webrtc *w = arg;

	switch (ev->kind) {
	case DTLS_EV_CONNECTED:
		if (dtls_srtp_keys(d, &w->keys) == 0)
			w->have_keys = 1;
		w->connected_us = np_loop_now(w->ctx->loop);
		start_dc(w);
		start_media(w);
		set_state(w, WEBRTC_CONNECTED);
		break;
	case DTLS_EV_FAILED:
		snprintf(w->reason, sizeof(w->reason), "%s",
			 ev->reason ? ev->reason : "DTLS failed");
		set_state(w, WEBRTC_FAILED);
		break;
	case DTLS_EV_DATA:
		if (w->dc)
			sctp_dc_input(w->dc, ev->data, ev->len);
		else if (w->app_fn)
			w->app_fn(w->app_arg, ev->data, ev->len);
		break;
	default:
		break;
	}
}

void webrtc_ice_connected(struct webrtc *w)
{
	struct dtls_config dc;
	int err;

	if (w->state != WEBRTC_WAITING)
		return;
	if (!w->remote_fp || !w->cert) {
		set_state(w, WEBRTC_ICE_ONLY);
		return;
	}
	memset(&dc, 0, sizeof(dc));
	dc.role = w->role;
	dc.fp_alg = w->fp_alg;
	dc.fp = w->fp_text;
	dc.keylog = w->cfg.keylog;
	dc.deadline_us = w->cfg.dtls_deadline_us;
	dc.require_srtp = 1;
	err = dtls_new(w->ctx, w->cert, &dc, dtls_send, on_dtls, w, &w->dtls);
	if (err == 0)
		err = dtls_start(w->dtls);
	if (err == 0)
		feed_early(w);
	if (err < 0) {
		snprintf(w->reason, sizeof(w->reason), "cannot start DTLS: %s",
			 np_strerror(err));
		set_state(w, WEBRTC_FAILED);
		return;
	}
	set_state(w, WEBRTC_DTLS);
}

enum webrtc_state webrtc_state(const struct webrtc *w)
{
	return w->state;
}

const char *webrtc_reason(const struct webrtc *w)
{
	return w->reason;
}

int webrtc_mitm(const struct webrtc *w)
{
	const struct dtls_info *i = w->dtls ? dtls_get_info(w->dtls) : NULL;

	return i ? i->mitm : 0;
}

const struct dtls_srtp_keys *webrtc_keys(const struct webrtc *w)
{
	return w->have_keys ? &w->keys : NULL;
}

struct dtls *webrtc_dtls(struct webrtc *w)
{
	return w->dtls;
}

void webrtc_set_media_cb(struct webrtc *w, webrtc_media_fn fn, void *arg)
{
	w->media_fn = fn;
	w->media_arg = arg;
}

void webrtc_set_app_cb(struct webrtc *w, webrtc_media_fn fn, void *arg)
{
	w->app_fn = fn;
	w->app_arg = arg;
}

void webrtc_set_state_cb(struct webrtc *w, webrtc_state_fn fn, void *arg)
{
	w->state_fn = fn;
	w->state_arg = arg;
}
