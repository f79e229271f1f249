/*
 * dashboard_ice_view.c - the ICE/WebRTC panels of the dashboard (see
 * dashboard_ice.h): candidates and pairs on the left, the session's
 * status (selected pair, DTLS, media, data channel) on the right. Every
 * row is clipped to its panel, and rows that do not fit are left out,
 * pairs first, so 80x24 keeps the parts a person looks for.
 */
#include "dashboard_ice.h"
#include "dashboard_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[DASH_ICE_TYPES] = { "host", "srflx",
							"prflx", "relay" };

/* Selected, then checks in flight, then succeeded, waiting, frozen,
 * failed; the most recently changed first within each. */
static int rank(const struct dash_ice_pair *p)
{
	static const char *const order[] = { "in-progress", "succeeded",
					     "waiting", "frozen", "failed" };

	if (p->selected)
		return 0;
	for (int i = 0; i < 5; i++)
		if (!strcmp(p->state, order[i]))
			return i + 1;
	return 6;
}

static int cmp_pairs(const void *a, const void *b)
{
	const struct dash_ice_pair *x = *(const struct dash_ice_pair *const *)a;
	const struct dash_ice_pair *y = *(const struct dash_ice_pair *const *)b;

	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	return x->touched < y->touched ? 1 : x->touched > y->touched ? -1 : 0;
}

static uint8_t pair_attr(const struct dash_ice_pair *p)
{
	if (!strcmp(p->state, "succeeded"))
		return DA_GREEN;
	if (!strcmp(p->state, "failed"))
		return DA_RED;
	if (!strcmp(p->state, "in-progress"))
		return DA_YELLOW;
	return DA_DIM;
}

static uint8_t agent_attr(const char *state)
{
	if (!strcmp(state, "connected"))
		return DA_GREEN;
	if (!strcmp(state, "failed") || !strcmp(state, "consent-lost"))
		return DA_RED;
	return DA_YELLOW;
}

void dash_ice_draw_pairs(const struct dash_ice *d, struct dash_screen *s,
			 const struct dash_box *b)
{
	const struct dash_ice_pair *ord[DASH_ICE_PAIRS];
	int y = b->y, end = b->y + b->h, x, nrecent;
	unsigned ok = 0, fail = 0, busy = 0, tcp = 0;
	char a[64], r[64];

	x = b->x + dash_put(s, y, b->x, b->w, DA_BOLD, "ICE %s  ",
			    d->role[0] ? d->role : "agent");
	dash_put(s, y++, x, b->w - (x - b->x), DA_BOLD | agent_attr(d->state),
		 "%s", d->state[0] ? d->state : "starting");
	dash_put(s, y++, b->x, b->w, DA_BOLD, "Candidates  %zu local%s, %zu remote",
		 d->nlocal_all, d->gathered ? "" : "...", d->nremote_all);
	dash_put(s, y++, b->x, b->w, DA_DIM, "      host srflx prflx relay");
	for (int t = 0; t < DASH_ICE_TYPES; t++)
		tcp += d->nlocal[t][1];
	for (int tr = 0; tr < 2 && y < end; tr++) {
		if (tr == 1 && tcp == 0)
			break;  /* no ICE-TCP: the row says nothing */
		dash_put(s, y++, b->x, b->w, 0, " %s  %4u %5u %5u %5u",
			 tr ? "tcp" : "udp", d->nlocal[0][tr], d->nlocal[1][tr],
			 d->nlocal[2][tr], d->nlocal[3][tr]);
	}
	/* The latest few, as many as leave room for a handful of pairs. */
	nrecent = b->h >= 20 ? 3 : b->h >= 14 ? 2 : 1;
	for (int i = 0; i < nrecent && (size_t)i < d->nrecent && y < end; i++) {
		const struct dash_ice_cand *c = &d->recent[i];

		dash_put(s, y++, b->x, b->w, 0, " + %-5s %s %s",
			 type_names[c->type], np_transport_name(c->transport),
			 c->addr);
	}
	for (size_t i = 0; i < d->npairs; i++) {
		ord[i] = &d->pairs[i];
		ok += !strcmp(d->pairs[i].state, "succeeded");
		fail += !strcmp(d->pairs[i].state, "failed");
		busy += !strcmp(d->pairs[i].state, "in-progress");
	}
	if (y >= end)
		return;
	dash_put(s, y++, b->x, b->w, DA_BOLD, "Pairs %zu%s: %u ok, %u checking, %u failed",
		 d->npairs, d->pairs_overflow ? "+" : "", ok, busy, fail);
	if (y >= end)
		return;
	if (d->npairs == 0) {
		dash_put(s, y, b->x, b->w, DA_DIM, "%s",
			 d->nremote_all ? "forming..." : "waiting for the peer's candidates...");
		return;
	}
	dash_put(s, y++, b->x, b->w, DA_DIM, "%3s %-12s %-11s %7s", "#",
		 "local->rem", "state", "RTT ms");
	qsort(ord, d->npairs, sizeof(ord[0]), cmp_pairs);
	for (size_t i = 0; i < d->npairs && y < end; i++, y++) {
		const struct dash_ice_pair *p = ord[i];
		char types[20];
		int px = b->x;

		snprintf(types, sizeof(types), "%s->%s", p->ltype, p->rtype);
		px += dash_put(s, y, px, b->w, p->selected ? DA_BOLD : 0,
			       "%3ld %-12s ", p->index, types);
		px += dash_put(s, y, px, b->w - (px - b->x), pair_attr(p),
			       "%-11s", p->state);
		px += dash_put(s, y, px, b->w - (px - b->x), DA_BOLD, "%c",
			       p->selected ? '*' : p->nominated ? 'n' : ' ');
		if (p->rtt_us)
			px += dash_put(s, y, px, b->w - (px - b->x), 0, "%7.2f",
				       p->rtt_us / 1000.0);
		else
			px += dash_put(s, y, px, b->w - (px - b->x), 0, "%7s", "");
		/* Wide screens: the addresses too. */
		if (b->w - (px - b->x) >= 40)
			dash_put(s, y, px, b->w - (px - b->x), DA_DIM, "  %s %s -> %s",
				 np_transport_name(p->transport),
				 np_addr_str(&p->local, a, sizeof(a)),
				 np_addr_str(&p->remote, r, sizeof(r)));
	}
}

static int row(struct dash_screen *s, const struct dash_box *b, int y,
	       const char *label, uint8_t attr, const char *text)
{
	int x = b->x + dash_put(s, y, b->x, b->w, DA_BOLD, "%-10s", label);

	dash_put(s, y, x, b->w - (x - b->x), attr, "%s", text);
	return y + 1;
}

static void sums(const struct dash_ice *d, struct dash_ssrc *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < d->ntx; i++) {
		t->sent += d->tx[i].sent;
		if (d->tx[i].peer_loss_pct > t->peer_loss_pct)
			t->peer_loss_pct = d->tx[i].peer_loss_pct;
		if (d->tx[i].rtt_rtcp_us > t->rtt_rtcp_us)
			t->rtt_rtcp_us = d->tx[i].rtt_rtcp_us;
		if (d->tx[i].rtt_echo_us > t->rtt_echo_us)
			t->rtt_echo_us = d->tx[i].rtt_echo_us;
	}
	for (size_t i = 0; i < d->nrx; i++) {
		t->received += d->rx[i].received;
		t->lost += d->rx[i].lost;
		if (d->rx[i].jitter_us > t->jitter_us)
			t->jitter_us = d->rx[i].jitter_us;
	}
}

static int draw_media(const struct dash_ice *d, int finished,
		      struct dash_screen *s, const struct dash_box *b, int y)
{
	int end = b->y + b->h;
	struct dash_ssrc t;
	char buf[96];

	if (!d->media) {
		return row(s, b, y, "Media", DA_DIM,
			   d->dtls == DD_CONNECTED && !finished ? "starting..." :
			   d->dtls == DD_ICE_ONLY ? "none (plain ICE)" : "-");
	}
	sums(d, &t);
	snprintf(buf, sizeof(buf), "sent %u  peer loss %.1f %%", t.sent,
		 t.peer_loss_pct);
	y = row(s, b, y, "Media", t.peer_loss_pct >= 5 ? DA_YELLOW : 0, buf);
	if (y < end) {
		if (t.rtt_rtcp_us)
			snprintf(buf, sizeof(buf), "RTT %.2f ms (RTCP), echo %.2f",
				 t.rtt_rtcp_us / 1000.0, t.rtt_echo_us / 1000.0);
		else if (t.rtt_echo_us)
			snprintf(buf, sizeof(buf), "RTT %.2f ms (echo)",
				 t.rtt_echo_us / 1000.0);
		else
			snprintf(buf, sizeof(buf), "RTT measuring...");
		y = row(s, b, y, "", 0, buf);
	}
	if (y < end) {
		snprintf(buf, sizeof(buf), "recv %u  lost %u  jitter %.2f ms",
			 t.received, t.lost, t.jitter_us / 1000.0);
		y = row(s, b, y, "", t.lost ? DA_YELLOW : 0, buf);
	}
	return y;
}

static int draw_dc(const struct dash_ice *d, int finished,
		   struct dash_screen *s, const struct dash_box *b, int y)
{
	char buf[OBS_TEXT + 32];

	switch (d->dc) {
	case DC_NONE:
		return row(s, b, y, "Data", DA_DIM,
			   d->sctp_up ? "SCTP up, opening..." :
			   d->dtls == DD_CONNECTED && !finished ? "waiting for SCTP..." : "-");
	case DC_OPENING:
		snprintf(buf, sizeof(buf), "opening \"%s\"...", d->dc_label);
		return row(s, b, y, "Data", DA_YELLOW, buf);
	case DC_FAILED:
		snprintf(buf, sizeof(buf), "failed: %s", d->dc_why);
		return row(s, b, y, "Data", DA_RED, buf);
	default:
		break;
	}
	if (!d->dc_probe) {
		snprintf(buf, sizeof(buf), "%s \"%s\", probing...",
			 d->dc == DC_OPEN ? "open" : "closed", d->dc_label);
		return row(s, b, y, "Data", DA_GREEN, buf);
	}
	snprintf(buf, sizeof(buf), "%u/%u echoed  RTT %.2f ms", d->dc_echoed,
		 d->dc_sent, d->dc_rtt_ms);
	return row(s, b, y, "Data", d->dc_echoed == d->dc_sent ? DA_GREEN :
		   DA_YELLOW, buf);
}

int dash_ice_draw_session(const struct dash_ice *d, int finished,
			  struct dash_screen *s, const struct dash_box *b,
			  int y)
{
	int end = b->y + b->h;
	char buf[OBS_TEXT + 32];

	if (y >= end)
		return y;
	if (d->have_selected) {
		snprintf(buf, sizeof(buf), "%s  RTT %.2f ms",
			 np_transport_name(d->sel_transport), d->sel_rtt_us / 1000.0);
		y = row(s, b, y, "Selected", DA_GREEN, buf);
		if (y < end)
			dash_put(s, y++, b->x, b->w, 0, "  %s %s", d->sel_ltype,
				 d->sel_local);
		if (y < end)
			dash_put(s, y++, b->x, b->w, 0, "  -> %s %s", d->sel_rtype,
				 d->sel_remote);
	} else if (!strcmp(d->state, "failed") || finished) {
		y = row(s, b, y, "Selected", DA_RED, "none: ICE failed");
	} else {
		y = row(s, b, y, "Selected", DA_DIM, "none yet");
	}
	if (y >= end)
		return y;
	switch (d->dtls) {
	case DD_NONE:
		y = row(s, b, y, "DTLS", DA_DIM,
			d->have_selected && !finished ? "starting..." : "-");
		break;
	case DD_ICE_ONLY:
		y = row(s, b, y, "DTLS", DA_DIM, "none: the peer is plain ICE");
		break;
	case DD_HANDSHAKE:
		y = row(s, b, y, "DTLS", DA_YELLOW, "handshaking...");
		break;
	case DD_FAILED:
		snprintf(buf, sizeof(buf), "failed: %s", d->dtls_why[0] ?
			 d->dtls_why : "see the report");
		y = row(s, b, y, "DTLS", DA_RED, buf);
		break;
	case DD_CONNECTED:
		if (d->dtls_role[0])
			snprintf(buf, sizeof(buf), "connected (%s) %.1f ms",
				 d->dtls_role, d->dtls_us / 1000.0);
		else
			snprintf(buf, sizeof(buf), "connected");
		y = row(s, b, y, "DTLS", DA_GREEN, buf);
		if (y < end && d->dtls_version[0]) {
			snprintf(buf, sizeof(buf), "%s %s", d->dtls_version,
				 d->dtls_profile);
			y = row(s, b, y, "", 0, buf);
		}
		break;
	}
	if (y < end && d->dtls != DD_ICE_ONLY)
		y = draw_media(d, finished, s, b, y);
	if (y < end && d->dtls != DD_ICE_ONLY)
		y = draw_dc(d, finished, s, b, y);
	return y;
}
