/*
 * capture_summary.c - folds dissected packets into a capture report and
 * the observation log.
 *
 * STUN requests become OBS_SENT (a repeated transaction ID OBS_RETRANSMIT),
 * responses matched by transaction ID OBS_RESPONSE with the RTT from the
 * first request, responses matching nothing OBS_UNMATCHED and undecodable
 * STUN OBS_MALFORMED: the records a live run makes, with the packet times.
 * The side that sent the request is "local", as it is for the prober.
 * TCP segments are read as STUN framed by its own length (RFC 8489 §6.2.2)
 * or RFC 4571 framing; a segment starting mid-message is counted as
 * unframed, since streams are not reassembled.
 */
#include "capture_summary.h"
#include "np_rd.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* A TCP segment rarely carries more messages than this. */
#define TCP_MAX_MSGS 64

void capture_summary_init(struct capture_report *cr, struct obs_log *log)
{
	memset(cr, 0, sizeof(*cr));
	snprintf(log->command, sizeof(log->command), "analyze");
}

static int same_ep(const struct sockaddr_storage *a,
		   const struct sockaddr_storage *b)
{
	return np_addr_equal(a, b);
}

/* Hashing for the lookup indexes (struct capture_report *_ix): a 64-bit
 * multiplicative mix; slots are probed linearly. The tables are capped, the
 * indexes at least twice their size, so a probe always ends at an empty
 * slot. */
#define FLOW_IX_LEN (CAP_FLOWS_MAX * 4)
#define TX_IX_LEN (CAP_TX_MAX * 2)
#define RTP_IX_LEN (CAP_RTP_MAX * 4)

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static uint64_t ep_hash(const struct sockaddr_storage *ss)
{
	const uint8_t *ip = NULL;
	uint64_t h = (uint64_t)ss->ss_family << 16 | np_addr_port(ss);
	size_t n = 0;

	if (ss->ss_family == AF_INET) {
		ip = (const uint8_t *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		n = 4;
	} else if (ss->ss_family == AF_INET6) {
		ip = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i += 4)
		h = mix(h ^ ((uint64_t)np_get32(ip + i) << 20));
	return mix(h);
}

static size_t flow_slot(int l4, const struct sockaddr_storage *x,
			const struct sockaddr_storage *y)
{
	/* The sum is the same both ways round: one slot per flow. */
	return (size_t)(mix(ep_hash(x) + ep_hash(y) + (uint64_t)l4) % FLOW_IX_LEN);
}

static struct cap_flow *flow_get(struct capture_report *cr,
				 const struct dissect_pkt *d, int *dir)
{
	size_t i = flow_slot(d->l4, &d->src, &d->dst);
	struct cap_flow *f;

	for (; cr->flow_ix[i]; i = (i + 1) % FLOW_IX_LEN) {
		f = &cr->flows[cr->flow_ix[i] - 1];
		if (f->l4 != d->l4)
			continue;
		if (same_ep(&f->a, &d->src) && same_ep(&f->b, &d->dst))
			return *dir = 0, f;
		if (same_ep(&f->a, &d->dst) && same_ep(&f->b, &d->src))
			return *dir = 1, f;
	}
	if (cr->nflows == CAP_FLOWS_MAX) {
		cr->flows_dropped++;
		return NULL;
	}
	f = &cr->flows[cr->nflows++];
	cr->flow_ix[i] = (uint16_t)cr->nflows;
	memset(f, 0, sizeof(*f));
	f->l4 = d->l4;
	f->a = d->src;
	f->b = d->dst;
	for (int k = 0; k < 2; k++)
		f->dtls[k].max_hs_type = f->dtls[k].last_alert_level =
			f->dtls[k].last_alert_desc = -1;
	*dir = 0;
	return f;
}

static void count_code(struct cap_code_count *v, size_t *n, int code)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].code == code) {
			v[i].count++;
			return;
		}
	if (*n < CAP_CODES_MAX) {
		v[*n].code = code;
		v[(*n)++].count = 1;
	}
}

static uint64_t rel_us(const struct obs_log *log, uint64_t t_us)
{
	return t_us > log->start_wall_us ? t_us - log->start_wall_us : 0;
}

static void obs_base(struct obs *o, const struct obs_log *log, enum obs_kind k,
		     const struct dissect_pkt *d, uint64_t t_us)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->t_us = rel_us(log, t_us);
	o->transport = d->l4 == DS_L4_TCP ? NP_TCP : NP_UDP;
	memcpy(o->test, "capture", sizeof("capture"));
}

static size_t tx_slot(const uint8_t *tid)
{
	return (size_t)(mix((uint64_t)np_get32(tid) << 32 ^ np_get32(tid + 4)) ^
			mix(np_get32(tid + 8))) % TX_IX_LEN;
}

static struct cap_tx *tx_find(struct capture_report *cr, const uint8_t *tid)
{
	/* The index keeps the newest transaction of an ID: a reused ID
	 * belongs to the latest one. */
	for (size_t i = tx_slot(tid); cr->tx_ix[i]; i = (i + 1) % TX_IX_LEN)
		if (!memcmp(cr->tx[cr->tx_ix[i] - 1].tid, tid, STUN_TID_LEN))
			return &cr->tx[cr->tx_ix[i] - 1];
	return NULL;
}

static void tx_index(struct capture_report *cr, size_t idx)
{
	size_t i = tx_slot(cr->tx[idx].tid);

	for (; cr->tx_ix[i]; i = (i + 1) % TX_IX_LEN)
		if (!memcmp(cr->tx[cr->tx_ix[i] - 1].tid, cr->tx[idx].tid, STUN_TID_LEN))
			break;
	cr->tx_ix[i] = (uint16_t)(idx + 1);
}

static struct cap_ice_pair *ice_pair(struct capture_report *cr,
				     const struct sockaddr_storage *from,
				     const struct sockaddr_storage *to)
{
	for (size_t i = 0; i < cr->nice; i++)
		if (same_ep(&cr->ice[i].from, from) && same_ep(&cr->ice[i].to, to))
			return &cr->ice[i];
	if (cr->nice == CAP_ICE_MAX) {
		cr->ice_dropped++;
		return NULL;
	}
	memset(&cr->ice[cr->nice], 0, sizeof(cr->ice[0]));
	cr->ice[cr->nice].from = *from;
	cr->ice[cr->nice].to = *to;
	return &cr->ice[cr->nice++];
}

static void copy_text(char *dst, size_t cap, const struct stun_attr *a)
{
	size_t n;

	if (!a)
		return;
	n = a->len < cap - 1 ? a->len : cap - 1;
	for (size_t i = 0; i < n; i++)   /* printable ASCII only */
		dst[i] = (a->val[i] >= 0x20 && a->val[i] < 0x7f) ? (char)a->val[i] : '?';
	dst[n] = '\0';
}

static void stun_request(struct capture_report *cr, struct obs_log *log,
			 const struct dissect_pkt *d, const struct stun_msg *m,
			 uint64_t t_us)
{
	struct cap_tx *tx = tx_find(cr, m->tid);
	const struct stun_attr *user = stun_msg_find(m, STUN_ATTR_USERNAME);
	struct obs o;

	obs_base(&o, log, OBS_SENT, d, t_us);
	o.has = OBS_HAS_TID | OBS_HAS_LOCAL | OBS_HAS_REMOTE;
	memcpy(o.tid, m->tid, STUN_TID_LEN);
	o.local = d->src;
	o.remote = d->dst;
	o.method = m->method;
	o.cls = m->cls;
	o.size = (uint32_t)m->len;
	np_addr_str(&d->dst, o.server, sizeof(o.server));
	if (tx && tx->method == m->method && same_ep(&tx->client, &d->src)) {
		tx->tries++;
		cr->stun_retransmits++;
		o.kind = OBS_RETRANSMIT;
		o.attempt = (uint16_t)tx->tries;
		obs_add(log, &o);
		return;
	}
	cr->stun_requests++;
	switch (m->method) {
	case TURN_ALLOCATE: cr->turn_allocate++; break;
	case TURN_REFRESH: cr->turn_refresh++; break;
	case TURN_CREATE_PERMISSION: cr->turn_perm++; break;
	case TURN_CHANNEL_BIND: cr->turn_chanbind++; break;
	}
	o.attempt = 1;
	{
		const struct obs *rec = obs_add(log, &o);

		if (cr->ntx == CAP_TX_MAX) {
			cr->tx_dropped++;
			return;
		}
		tx = &cr->tx[cr->ntx++];
		memset(tx, 0, sizeof(*tx));
		memcpy(tx->tid, m->tid, STUN_TID_LEN);
		tx->method = m->method;
		tx->l4 = d->l4;
		tx->client = d->src;
		tx->server = d->dst;
		tx->sent_us = t_us;
		tx->sent_seq = rec ? rec->seq : 0;
		tx->tries = 1;
		tx->ice_idx = -1;
		tx_index(cr, cr->ntx - 1);
	}
	if (m->method == STUN_BINDING &&
	    (user || stun_msg_find(m, STUN_ATTR_PRIORITY) ||
	     stun_msg_find(m, STUN_ATTR_USE_CANDIDATE))) {
		struct cap_ice_pair *p = ice_pair(cr, &d->src, &d->dst);

		tx->ice = 1;
		tx->use_candidate = stun_msg_find(m, STUN_ATTR_USE_CANDIDATE) != NULL;
		if (p) {
			p->checks++;
			p->use_candidate += (unsigned)tx->use_candidate;
			if (!p->username[0])
				copy_text(p->username, sizeof(p->username), user);
			tx->ice_idx = (int)(p - cr->ice);
		}
	}
}

static void stun_response(struct capture_report *cr, struct obs_log *log,
			  const struct dissect_pkt *d, const struct stun_msg *m,
			  uint64_t t_us)
{
	struct cap_tx *tx = tx_find(cr, m->tid);
	struct obs o;
	const char *reason = NULL;
	size_t rlen = 0;
	int code = 0;

	if (m->cls == STUN_ERROR) {
		cr->stun_errors++;
		if (stun_attr_error(stun_msg_find(m, STUN_ATTR_ERROR_CODE), &code,
				    &reason, &rlen) == 0)
			count_code(cr->codes, &cr->ncodes, code);
	} else {
		cr->stun_success++;
	}
	obs_base(&o, log, OBS_RESPONSE, d, t_us);
	o.has = OBS_HAS_TID | OBS_HAS_LOCAL | OBS_HAS_REMOTE | OBS_HAS_SOURCE;
	memcpy(o.tid, m->tid, STUN_TID_LEN);
	o.local = d->dst;
	o.remote = d->src;
	o.source = d->src;
	o.method = m->method;
	o.cls = m->cls;
	o.size = (uint32_t)m->len;
	np_addr_str(&d->src, o.server, sizeof(o.server));
	if (stun_attr_xor_addr(m, stun_msg_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS),
			       &o.xor_mapped) == 0)
		o.has |= OBS_HAS_XOR_MAPPED;
	if (stun_attr_addr(stun_msg_find(m, STUN_ATTR_MAPPED_ADDRESS), &o.mapped) == 0)
		o.has |= OBS_HAS_MAPPED;
	if (stun_attr_addr(stun_msg_find(m, STUN_ATTR_RESPONSE_ORIGIN), &o.origin) == 0)
		o.has |= OBS_HAS_ORIGIN;
	if (stun_attr_addr(stun_msg_find(m, STUN_ATTR_OTHER_ADDRESS), &o.other) == 0)
		o.has |= OBS_HAS_OTHER;
	copy_text(o.software, sizeof(o.software), stun_msg_find(m, STUN_ATTR_SOFTWARE));
	if (code) {
		o.has |= OBS_HAS_ERROR_CODE;
		o.error_code = code;
		if (reason) {
			size_t n = rlen < sizeof(o.text) - 1 ? rlen : sizeof(o.text) - 1;

			for (size_t i = 0; i < n; i++)
				o.text[i] = (reason[i] >= 0x20 && reason[i] < 0x7f) ?
					    reason[i] : '?';
		}
	}
	if (!tx || tx->answered || !same_ep(&tx->client, &d->dst)) {
		cr->stun_unmatched++;
		o.kind = OBS_UNMATCHED;
		obs_add(log, &o);
		return;
	}
	tx->answered = m->cls;
	tx->error_code = code;
	o.has |= OBS_HAS_RTT;
	o.rtt_us = o.rtt_last_us = (uint32_t)(t_us > tx->sent_us ?
			(t_us - tx->sent_us > UINT32_MAX ? UINT32_MAX :
			 t_us - tx->sent_us) : 0);
	o.attempt = (uint16_t)tx->tries;
	obs_add(log, &o);
	if (tx->method == TURN_ALLOCATE) {
		struct sockaddr_storage relay;

		if (code) {
			count_code(cr->alloc_codes, &cr->nalloc_codes, code);
		} else {
			cr->turn_alloc_ok++;
			if (cr->nrelays < CAP_RELAYS_MAX &&
			    stun_attr_xor_addr(m, stun_msg_find(m, STUN_ATTR_XOR_RELAYED_ADDRESS),
					       &relay) == 0)
				cr->relays[cr->nrelays++] = relay;
		}
	}
	if (tx->ice_idx >= 0) {
		struct cap_ice_pair *p = &cr->ice[tx->ice_idx];

		if (code) {
			p->errors++;
			p->last_error = code;
		} else {
			p->success++;
		}
	}
}

static void on_stun(struct capture_report *cr, struct obs_log *log,
		    const struct dissect_pkt *d, const struct dissect_app_info *ai,
		    uint64_t t_us)
{
	const struct stun_msg *m = &ai->stun;

	if (!ai->stun_ok)
		return;
	if (m->cls == STUN_REQUEST) {
		stun_request(cr, log, d, m, t_us);
	} else if (m->cls == STUN_INDICATION) {
		cr->stun_indications++;
		cr->turn_send += m->method == TURN_SEND;
		cr->turn_data += m->method == TURN_DATA;
	} else {
		stun_response(cr, log, d, m, t_us);
	}
}

static void on_malformed(struct obs_log *log, const struct dissect_pkt *d,
			 const struct dissect_app_info *ai, uint64_t t_us)
{
	struct obs o;

	obs_base(&o, log, OBS_MALFORMED, d, t_us);
	o.has = OBS_HAS_LOCAL | OBS_HAS_REMOTE | OBS_HAS_SOURCE;
	o.local = d->dst;
	o.remote = o.source = d->src;
	o.size = (uint32_t)d->payload_claimed;
	np_addr_str(&d->src, o.server, sizeof(o.server));
	snprintf(o.text, sizeof(o.text), "%s", ai->why);
	obs_add(log, &o);
}

static void on_dtls(struct cap_flow *f, int dir, const struct dissect_app_info *ai)
{
	struct cap_dtls_dir *s;

	if (!f)
		return;
	s = &f->dtls[dir];
	for (size_t i = 0; i < ai->nrec; i++) {
		const struct dtls_rec *r = &ai->rec[i];

		s->records++;
		switch (r->content_type) {
		case 20: s->ccs++; break;
		case 21:
			s->alerts++;
			s->last_alert_level = r->alert_level;
			s->last_alert_desc = r->alert_desc;
			break;
		case 22:
			s->handshake++;
			if (r->epoch > 0)
				s->encrypted_hs++;   /* Finished and later */
			else if (r->hs_type > s->max_hs_type)
				s->max_hs_type = r->hs_type;
			break;
		case 23: s->appdata++; break;
		}
	}
}

static void on_rtp(struct capture_report *cr, const struct dissect_pkt *d,
		   const struct dissect_app_info *ai, uint64_t t_us)
{
	size_t i = (size_t)(mix(ep_hash(&d->src) ^ ai->ssrc) % RTP_IX_LEN);
	struct cap_rtp *s = NULL;

	for (; cr->rtp_ix[i]; i = (i + 1) % RTP_IX_LEN) {
		struct cap_rtp *c = &cr->rtp[cr->rtp_ix[i] - 1];

		if (c->ssrc == ai->ssrc && same_ep(&c->src, &d->src)) {
			s = c;
			break;
		}
	}
	if (!s) {
		if (cr->nrtp == CAP_RTP_MAX) {
			cr->rtp_dropped++;
			return;
		}
		s = &cr->rtp[cr->nrtp++];
		cr->rtp_ix[i] = (uint16_t)cr->nrtp;
		memset(s, 0, sizeof(*s));
		s->ssrc = ai->ssrc;
		s->pt = ai->pt;
		s->src = d->src;
		s->dst = d->dst;
		s->clock = capture_rtp_clock(ai->pt);
	}
	capture_rtp_update(s, ai->seq, ai->ts, t_us);
}

/* One message: its observations and per-flow state. */
static void on_message(struct capture_report *cr, struct obs_log *log,
		       const struct dissect_pkt *d, struct cap_flow *f, int dir,
		       const struct dissect_app_info *ai, uint64_t t_us)
{
	switch (ai->app) {
	case DS_STUN: on_stun(cr, log, d, ai, t_us); break;
	case DS_DTLS: on_dtls(f, dir, ai); break;
	case DS_DTLS13: if (f) f->dtls13++; break;
	case DS_RTP: if (!ai->partial) on_rtp(cr, d, ai, t_us); break;
	case DS_MALFORMED: on_malformed(log, d, ai, t_us); break;
	default: break;
	}
}

/* RFC 4571 framing: a 2-byte length, then a message whose first byte
 * RFC 7983 recognises. */
static int framed_4571(const uint8_t *p, size_t len)
{
	size_t n;

	if (len < 3)
		return 0;
	n = np_get16(p);
	if (n == 0)
		return 0;
	return p[2] <= 3 || (p[2] >= 20 && p[2] <= 63) || (p[2] >= 128 && p[2] <= 191);
}

static enum dissect_app tcp_payload(struct capture_report *cr,
				    struct obs_log *log,
				    const struct dissect_pkt *d, struct cap_flow *f,
				    int dir, uint64_t t_us)
{
	struct dissect_app_info ai;
	const uint8_t *p = d->payload;
	size_t left = d->payload_len, claimed = d->payload_claimed;
	enum dissect_app first = DS__COUNT;

	for (int i = 0; i < TCP_MAX_MSGS && left > 0; i++) {
		size_t used, hdr = 0;
		int direct = (p[0] <= 3 && left >= 8 &&
			      np_get32(p + 4) == STUN_MAGIC_COOKIE) ||
			     (p[0] >= 64 && p[0] <= 127);

		if (!direct && framed_4571(p, left))
			hdr = 2;
		else if (!direct) {
			if (i == 0)
				cr->tcp_unframed++;
			break;
		}
		if (hdr) {
			size_t n = np_get16(p);

			used = dissect_app(p + 2, n < left - 2 ? n : left - 2,
					   n <= claimed - 2 ? n : claimed - 2, &ai);
			used = n < left - 2 ? n : left - 2;
		} else if (p[0] >= 64 && p[0] <= 127) {
			/* ChannelData over TCP is padded to 4 (RFC 8656 §12.5). */
			size_t n = left >= 4 ? 4 + (((size_t)np_get16(p + 2) + 3) & ~(size_t)3) : left;

			dissect_app(p, n < left ? n : left, n < claimed ? n : claimed, &ai);
			used = n < left ? n : left;
		} else {
			size_t n = stun_frame_len(p, left);

			dissect_app(p, n < left ? n : left, n < claimed ? n : claimed, &ai);
			used = n < left ? n : left;
		}
		if (first == DS__COUNT)
			first = ai.app;
		on_message(cr, log, d, f, dir, &ai, t_us);
		used += hdr;
		if (used == 0 || used > left)
			break;
		p += used;
		left -= used;
		claimed -= used;
	}
	return first == DS__COUNT ? DS_OTHER : first;
}

void capture_summary_packet(struct capture_report *cr, struct obs_log *log,
			    const struct dissect_pkt *d, uint64_t t_us)
{
	struct dissect_app_info ai;
	enum dissect_app app = DS_OTHER;
	struct cap_flow *f = NULL;
	int dir = 0;

	if (cr->packets == 0) {
		cr->first_us = t_us;
		log->start_wall_us = t_us;
	}
	cr->packets++;
	if (t_us > cr->last_us)
		cr->last_us = t_us;
	cr->truncated += (unsigned)d->truncated;
	cr->fragments += (unsigned)d->fragment;
	if (!d->family)
		cr->not_ip++;
	if (d->malformed) {
		cr->by_app[DS_MALFORMED]++;
		return;
	}
	if (d->l4 == DS_L4_UDP || d->l4 == DS_L4_TCP) {
		f = flow_get(cr, d, &dir);
		if (d->l4 == DS_L4_UDP)
			cr->udp++;
		else
			cr->tcp++;
	}
	if (d->l4 == DS_L4_UDP && !d->fragment) {
		dissect_app(d->payload, d->payload_len, d->payload_claimed, &ai);
		app = ai.app;
		on_message(cr, log, d, f, dir, &ai, t_us);
	} else if (d->l4 == DS_L4_TCP && d->payload_len > 0) {
		app = tcp_payload(cr, log, d, f, dir, t_us);
	}
	cr->by_app[app]++;
	if (f) {
		f->by_app[app]++;
		if (!f->first_us)
			f->first_us = t_us;
		f->last_us = t_us;
		if (dir == 0) {
			f->pkts_ab++;
			f->bytes_ab += d->payload_claimed;
		} else {
			f->pkts_ba++;
			f->bytes_ba += d->payload_claimed;
		}
	}
}
