/*
 * dashboard_ice.c - the ICE/WebRTC model of the live dashboard (see
 * dashboard_ice.h): each observation updates it as it is recorded, so
 * candidates, pair states (RFC 8445 §6.1.2.6), the selected pair, the
 * DTLS handshake (RFC 5764), the SRTP probe stream's figures and the data
 * channel (RFC 8831/8832) appear while the session runs. The texts read
 * here are the ones probe/ writes; a text that does not parse is skipped.
 */
#include "dashboard_ice.h"
#include "ice_cand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dash_ice_init(struct dash_ice *d)
{
	memset(d, 0, sizeof(*d));
}

/* "candidate:1 1 udp 2126512127 127.0.0.1 40911 typ host" */
static int parse_cand(const struct obs *o, struct ice_cand *c)
{
	enum ice_cand_err why;
	size_t at, alen;

	if (strncmp(o->text, "candidate:", 10) != 0)
		return 0;
	if (ice_cand_parse(o->text + 10, strlen(o->text + 10), c, &why, &at,
			   &alen) != 1)
		return 0;
	if ((unsigned)c->type >= DASH_ICE_TYPES)
		return 0;
	/* A ".local" name resolved by mDNS: the note carries the address. */
	if (c->addr.ss_family == AF_UNSPEC && (o->has & OBS_HAS_REMOTE))
		c->addr = o->remote;
	return 1;
}

static void gathered(struct dash_ice *d, const struct obs *o)
{
	struct ice_cand c;
	struct dash_ice_cand *r;

	if (!strncmp(o->text, "gathering complete", 18)) {
		d->gathered = 1;
		return;
	}
	if (!parse_cand(o, &c))
		return;
	d->nlocal[c.type][c.transport == NP_UDP ? 0 : 1]++;
	d->nlocal_all++;
	memmove(&d->recent[1], &d->recent[0],
		sizeof(d->recent[0]) * (DASH_ICE_RECENT - 1));
	r = &d->recent[0];
	r->type = (int)c.type;
	r->transport = c.transport;
	if (c.addr.ss_family != AF_UNSPEC)
		np_addr_str(&c.addr, r->addr, sizeof(r->addr));
	else
		snprintf(r->addr, sizeof(r->addr), "%.50s:%u", c.hostname,
			 (unsigned)c.port);
	if (d->nrecent < DASH_ICE_RECENT)
		d->nrecent++;
}

static struct dash_ice_pair *pair_for(struct dash_ice *d, long index)
{
	for (size_t i = 0; i < d->npairs; i++)
		if (d->pairs[i].index == index)
			return &d->pairs[i];
	if (d->npairs == DASH_ICE_PAIRS) {
		d->pairs_overflow++;
		return NULL;
	}
	memset(&d->pairs[d->npairs], 0, sizeof(d->pairs[0]));
	d->pairs[d->npairs].index = index;
	return &d->pairs[d->npairs++];
}

const struct dash_ice_pair *dash_ice_pair(const struct dash_ice *d, long index)
{
	for (size_t i = 0; i < d->npairs; i++)
		if (d->pairs[i].index == index)
			return &d->pairs[i];
	return NULL;
}

/* "pair 6 succeeded (was in-progress) srflx->srflx prio 7259... nominated" */
static void pair_note(struct dash_ice *d, const struct obs *o)
{
	char state[16], was[16], lt[8], rt[8];
	struct dash_ice_pair *p;
	long index;

	if (sscanf(o->text, "pair %ld %15s (was %15[^)]) %7[a-z]->%7[a-z]",
		   &index, state, was, lt, rt) != 5 || index < 0)
		return;
	p = pair_for(d, index);
	if (!p)
		return;
	snprintf(p->state, sizeof(p->state), "%s", state);
	snprintf(p->ltype, sizeof(p->ltype), "%s", lt);
	snprintf(p->rtype, sizeof(p->rtype), "%s", rt);
	p->transport = o->transport;
	if (o->has & OBS_HAS_LOCAL)
		p->local = o->local;
	if (o->has & OBS_HAS_REMOTE)
		p->remote = o->remote;
	if (strstr(o->text, " nominated"))
		p->nominated = 1;
	p->touched = ++d->clock;
}

/* A check's response: "pair 1 succeeded", with its round trip. */
static void check_response(struct dash_ice *d, const struct obs *o)
{
	struct dash_ice_pair *p;
	long index;

	if (sscanf(o->text, "pair %ld", &index) != 1 || index < 0)
		return;
	p = pair_for(d, index);
	if (!p)
		return;
	if (o->rtt_us)
		p->rtt_us = o->rtt_us;
	p->touched = ++d->clock;
}

/* "srflx 198.51.100.2:56378 -> srflx 198.51.100.3:53966, rtt 0.272 ms" */
static void selected(struct dash_ice *d, const struct obs *o)
{
	double ms = 0;

	if (sscanf(o->text, "%7s %63s -> %7s %63[^,], rtt %lf ms", d->sel_ltype,
		   d->sel_local, d->sel_rtype, d->sel_remote, &ms) < 4)
		return;
	d->have_selected = 1;
	d->sel_transport = o->transport;
	d->sel_rtt_us = (uint32_t)(ms * 1000.0 + 0.5);
	for (size_t i = 0; i < d->npairs; i++) {
		struct dash_ice_pair *p = &d->pairs[i];

		p->selected = 0;
		if ((o->has & OBS_HAS_LOCAL) && (o->has & OBS_HAS_REMOTE) &&
		    np_addr_equal(&p->local, &o->local) &&
		    np_addr_equal(&p->remote, &o->remote) && p->nominated)
			p->selected = 1;
	}
}

/* "a->b": the new state. */
static const char *new_state(const char *text)
{
	const char *p = strstr(text, "->");

	return p ? p + 2 : "";
}

static void dtls_done(struct dash_ice *d, const struct obs *o)
{
	/* "connected as server: DTLSv1.2 ECDHE-..., SRTP SRTP_AEAD_...; ..." */
	if (o->kind == OBS_TLS && !o->err &&
	    !strncmp(o->text, "connected as", 12)) {
		d->dtls = DD_CONNECTED;
		sscanf(o->text, "connected as %7[a-z]: %15s %*[^,], SRTP %39[^;]",
		       d->dtls_role, d->dtls_version, d->dtls_profile);
		if (o->has & OBS_HAS_RTT || o->rtt_us)
			d->dtls_us = o->rtt_us;
		return;
	}
	d->dtls = DD_FAILED;
	snprintf(d->dtls_why, sizeof(d->dtls_why), "%s", o->text);
}

/* The number after " key=" (or at the start) in key=value text. */
static int kv(const char *text, const char *key, double *v)
{
	char pat[32];
	const char *p;
	size_t n;

	n = (size_t)snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(text, pat);
	if (!p && !strncmp(text, pat + 1, n - 1))
		p = text - 1;
	if (!p)
		return 0;
	return sscanf(p + n, "%lf", v) == 1;
}

static struct dash_ssrc *ssrc_for(struct dash_ssrc *v, size_t *n,
				  const char *text)
{
	const char *p = strstr(text, "ssrc=");
	unsigned long id;

	if (!p)
		return NULL;
	id = strtoul(p + 5, NULL, 16);
	for (size_t i = 0; i < *n; i++)
		if (v[i].ssrc == (uint32_t)id)
			return &v[i];
	if (*n == DASH_ICE_SSRC)
		return NULL;
	memset(&v[*n], 0, sizeof(v[0]));
	v[*n].ssrc = (uint32_t)id;
	return &v[(*n)++];
}

/* media.stats (and the final "media" summary): what we sent and what
 * the peer's receiver reports say; rtt_echo_us is min/avg/max. */
static void media_tx(struct dash_ice *d, const struct obs *o)
{
	struct dash_ssrc *s = ssrc_for(d->tx, &d->ntx, o->text);
	const char *p;
	double v;

	d->media = 1;
	if (!s)
		return;
	if (kv(o->text, "sent", &v)) s->sent = (unsigned)v;
	if (kv(o->text, "peer_loss", &v)) s->peer_loss_pct = v;
	if (kv(o->text, "rtt_rtcp_us", &v)) s->rtt_rtcp_us = (uint32_t)v;
	p = strstr(o->text, " rtt_echo_us=");
	if (p) {
		double mn, avg;

		if (sscanf(p + 13, "%lf/%lf", &mn, &avg) == 2)
			s->rtt_echo_us = (uint32_t)avg;
	}
}

static void media_rx(struct dash_ice *d, const struct obs *o)
{
	struct dash_ssrc *s;
	double v;

	if (!strstr(o->text, "received="))
		return;
	d->media = 1;
	s = ssrc_for(d->rx, &d->nrx, o->text);
	if (!s)
		return;
	if (kv(o->text, "received", &v)) s->received = (unsigned)v;
	if (kv(o->text, "lost", &v)) s->lost = (unsigned)v;
	if (kv(o->text, "jitter_us", &v)) s->jitter_us = (uint32_t)v;
}

static void data_channel(struct dash_ice *d, const struct obs *o)
{
	if (!strcmp(o->test, "sctp.assoc")) {
		if (o->kind == OBS_CONNECT && !o->err) {
			d->sctp_up = 1;
		} else if ((o->kind == OBS_TIMEOUT || o->kind == OBS_ERROR ||
			    o->err) && d->dc != DC_OPEN && d->dc != DC_CLOSED) {
			d->dc = DC_FAILED;
			snprintf(d->dc_why, sizeof(d->dc_why), "%s", o->text);
		}
	} else if (!strcmp(o->test, "dc.open")) {
		const char *l = strstr(o->text, "label \"");

		if (l)
			sscanf(l + 7, "%39[^\"]", d->dc_label);
		if (o->kind == OBS_SENT && d->dc == DC_NONE)
			d->dc = DC_OPENING;
		else if (o->kind == OBS_RESPONSE ||
			 (o->kind == OBS_NOTE && strstr(o->text, "open")))
			d->dc = DC_OPEN;
		else if (o->kind == OBS_TIMEOUT || o->kind == OBS_ERROR) {
			d->dc = DC_FAILED;
			snprintf(d->dc_why, sizeof(d->dc_why), "%s", o->text);
		}
	} else if (!strcmp(o->test, "dc.probe") &&
		   (o->kind == OBS_RESPONSE || o->kind == OBS_TIMEOUT)) {
		/* "stream 1: 20 of 20 messages (1000 bytes) sent, 20 echoed
		 * back ...; RTT min/avg/max 0.199/0.540/2.490 ms; ..." */
		unsigned st, count;
		const char *p = strstr(o->text, "RTT min/avg/max ");
		double mn;

		if (sscanf(o->text, "stream %u: %u of %u messages (%*u bytes) sent, %u echoed back",
			   &st, &d->dc_sent, &count, &d->dc_echoed) == 4)
			d->dc_probe = 1;
		if (p)
			sscanf(p + 16, "%lf/%lf", &mn, &d->dc_rtt_ms);
	} else if (!strcmp(o->test, "dc.close") && d->dc == DC_OPEN) {
		d->dc = DC_CLOSED;
	}
}

void dash_ice_observe(struct dash_ice *d, const struct obs *o)
{
	const char *t = o->test;

	if (!strcmp(t, "ice.start")) {
		d->active = 1;
		sscanf(o->text, "role %15[a-z]", d->role);
		snprintf(d->state, sizeof(d->state), "gathering");
	} else if (!strcmp(t, "ice.gather") && o->kind == OBS_NOTE) {
		d->active = 1;
		gathered(d, o);
	} else if (!strcmp(t, "ice.remote") && o->kind == OBS_NOTE) {
		struct ice_cand c;

		if (parse_cand(o, &c)) {
			d->nremote[c.type]++;
			d->nremote_all++;
		}
	} else if (!strcmp(t, "ice.state")) {
		snprintf(d->state, sizeof(d->state), "%s", new_state(o->text));
	} else if (!strcmp(t, "ice.pair") && o->kind == OBS_NOTE) {
		pair_note(d, o);
	} else if (!strcmp(t, "ice.check") && o->kind == OBS_RESPONSE) {
		check_response(d, o);
	} else if (!strcmp(t, "ice.selected")) {
		selected(d, o);
	} else if (!strcmp(t, "webrtc")) {
		const char *s = new_state(o->text);

		if (!strcmp(s, "dtls") && d->dtls == DD_NONE)
			d->dtls = DD_HANDSHAKE;
		else if (!strcmp(s, "ice-only"))
			d->dtls = DD_ICE_ONLY;
		else if (!strcmp(s, "failed") && d->dtls != DD_CONNECTED)
			d->dtls = DD_FAILED;
		else if (!strcmp(s, "connected") && d->dtls != DD_FAILED)
			d->dtls = DD_CONNECTED;
	} else if (!strcmp(t, "dtls") &&
		   (o->kind == OBS_TLS || o->kind == OBS_TIMEOUT)) {
		dtls_done(d, o);
	} else if (!strcmp(t, "media.stats") ||
		   (!strcmp(t, "media") && !strncmp(o->text, "summary ", 8))) {
		media_tx(d, o);
	} else if (!strcmp(t, "media.rx")) {
		media_rx(d, o);
	} else if (!strncmp(t, "dc.", 3) || !strcmp(t, "sctp.assoc")) {
		data_channel(d, o);
	}
}

int dash_ice_decided(const struct dash_ice *d)
{
	return d->have_selected || !strcmp(d->state, "failed");
}
