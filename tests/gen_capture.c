/*
 * gen_capture.c - writes a large pcapng for tests/bench_analyze.sh by
 * replaying the real fixture captures' UDP packets (fixtures/pcap, recorded
 * by record.sh from coturn, openssl and rtp_send.py) many times over, each
 * replay on its own addresses, interleaved with long RTP/RTCP streams built
 * from the fixture's RTP and RTCP packets and TURN Send/Data indications.
 *
 *   gen_capture FIXTURE_DIR OUT.pcapng SIZE_MB [STREAMS]
 *
 * Output: Ethernet, IPv4 (and IPv6 for the IPv6 fixture's STUN), UDP; one
 * Section Header, one Interface Description, Enhanced Packet Blocks with
 * microsecond times, as many 20 ms ticks as fit in SIZE_MB MiB. Per 20 ms tick: one RTP
 * packet per stream (stream k: its own 5-tuple and SSRC, PT 111 at 48 kHz
 * or PT 0 at 8 kHz, sequence numbers starting near the 16-bit wrap), an
 * RTCP sender report per stream every 250 ticks on the same 5-tuple
 * (rtcp-mux), and one replayed conversation: the ICE checks of
 * rtp_ice_lo.pcapng, the TURN session of turn_channeldata_lo.pcapng
 * (Allocate, 401, ChannelBind, ChannelData, relayed UDP), the DTLS
 * handshakes of dtls_lo.pcapng and dtls_alert_lo.pcapng, the STUN of
 * stun_coturn_lo.pcapng and stun_ipv6_lo.pcapng, or 4 Send + 4 Data
 * indications. Each replay maps every endpoint of the fixture to a fresh
 * address (10.0.0.0/8, 2001:db8:1::/48) with the port kept, so each is a
 * conversation of its own for both tools.
 *
 * Loss: stream k drops packet n (n counted from 0) when
 * n % 100 == 1 + k % 7 and k % 3 != 0, never the first packet. On stdout,
 * the ground truth as "key value" lines: packets, rtp, rtcp, streams,
 * lost (per stream, between first and last received packet), bytes.
 *
 * This is a test tool: the fixtures it reads are ours, but they are still
 * read through natprobe's own bounded capture reader (capture_read.h).
 */
#include "capture_read.h"
#include "dissect.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PKTS 512
#define MAX_EPS 16
#define MAX_STREAMS 64
#define TICK_US 20000u
#define RTCP_EVERY 250

struct tpkt {
	int family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	int sep, dep;              /* endpoint indexes */
	uint16_t len;
	uint8_t data[1500];
};

struct script {
	const char *file;
	struct tpkt *p;
	size_t n;
	int neps;
	uint8_t epaddr[MAX_EPS][16];
	uint16_t epport[MAX_EPS];
	int epfam[MAX_EPS];
};

struct out {
	FILE *f;
	uint64_t bytes, packets, limit;
	uint8_t buf[2048];
};

static void put16le(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32le(uint8_t *p, uint32_t v) { put16le(p, v); put16le(p + 2, v >> 16); }
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

static void emit_block(struct out *o, uint32_t type, const uint8_t *body, size_t blen)
{
	uint8_t h[8], t[4];
	size_t pad = (4 - blen % 4) % 4;
	uint32_t total = (uint32_t)(12 + blen + pad);
	static const uint8_t zero[4];

	put32le(h, type);
	put32le(h + 4, total);
	put32le(t, total);
	fwrite(h, 1, 8, o->f);
	fwrite(body, 1, blen, o->f);
	fwrite(zero, 1, pad, o->f);
	fwrite(t, 1, 4, o->f);
	o->bytes += total;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* One UDP datagram in Ethernet/IP at time t_us. */
static void emit_udp(struct out *o, uint64_t t_us, int family,
		     const uint8_t *sa, uint16_t sp, const uint8_t *da, uint16_t dp,
		     const uint8_t *payload, size_t plen)
{
	uint8_t *b = o->buf, *f = b + 20;   /* EPB header, then the frame */
	size_t iphl = family == AF_INET ? 20 : 40, flen = 14 + iphl + 8 + plen;
	uint8_t *ip = f + 14, *udp = ip + iphl;

	if (flen + 20 > sizeof(o->buf))
		return;
	memset(f, 0, 14 + iphl + 8);
	f[0] = 0x02; f[5] = 0x01; f[6] = 0x02; f[11] = 0x02;   /* local MACs */
	put16(f + 12, family == AF_INET ? 0x0800 : 0x86dd);
	if (family == AF_INET) {
		ip[0] = 0x45;
		put16(ip + 2, (uint32_t)(20 + 8 + plen));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, sa, 4);
		memcpy(ip + 16, da, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint32_t)(8 + plen));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, sa, 16);
		memcpy(ip + 24, da, 16);
	}
	put16(udp, sp);
	put16(udp + 2, dp);
	put16(udp + 4, (uint32_t)(8 + plen));
	memcpy(udp + 8, payload, plen);
	if (family == AF_INET6) {   /* mandatory over IPv6 (RFC 8200 §8.1) */
		uint32_t s = csum_add(0, ip + 8, 32) + 17 + (uint32_t)(8 + plen);
		uint16_t c = csum_fold(csum_add(s, udp, 8 + plen));

		put16(udp + 6, c ? c : 0xffff);
	}
	/* EPB: interface 0, timestamp high/low (µs), captured, original */
	put32le(b, 0);
	put32le(b + 4, (uint32_t)(t_us >> 32));
	put32le(b + 8, (uint32_t)t_us);
	put32le(b + 12, (uint32_t)flen);
	put32le(b + 16, (uint32_t)flen);
	emit_block(o, 6, b, 20 + flen);
	o->packets++;
}

/* Bytes emit_udp() writes for a payload of plen: the EPB with its padding. */
static uint64_t block_len(int family, size_t plen)
{
	size_t flen = 14 + (family == AF_INET ? 20 : 40) + 8 + plen;

	return 12 + 20 + ((flen + 3) & ~(size_t)3);
}

static int ep_index(struct script *s, int fam, const uint8_t *a, uint16_t port)
{
	size_t alen = fam == AF_INET ? 4 : 16;

	for (int i = 0; i < s->neps; i++)
		if (s->epfam[i] == fam && s->epport[i] == port &&
		    !memcmp(s->epaddr[i], a, alen))
			return i;
	if (s->neps == MAX_EPS)
		return -1;
	s->epfam[s->neps] = fam;
	s->epport[s->neps] = port;
	memcpy(s->epaddr[s->neps], a, alen);
	return s->neps++;
}

/* The UDP packets of a fixture whose payload the filter accepts. */
static int load(const char *dir, const char *name, int (*keep)(const struct dissect_pkt *),
		struct script *s)
{
	char path[512], detail[256];
	struct capture_file cf;
	struct capture_pkt pkt;
	int rc;

	memset(s, 0, sizeof(*s));
	s->file = name;
	s->p = calloc(MAX_PKTS, sizeof(*s->p));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!s->p || capture_open(&cf, path, detail, sizeof(detail)) < 0) {
		fprintf(stderr, "gen_capture: %s: %s\n", path, detail);
		return -1;
	}
	while ((rc = capture_next(&cf, &pkt, detail, sizeof(detail))) == 1 && s->n < MAX_PKTS) {
		struct dissect_pkt d;
		struct tpkt *t = &s->p[s->n];

		dissect_packet(pkt.linktype, pkt.data, pkt.caplen, pkt.len, &d);
		if (d.l4 != DS_L4_UDP || d.fragment || d.truncated || d.malformed ||
		    d.payload_len != d.payload_claimed || d.payload_len > sizeof(t->data) ||
		    d.payload_len == 0 || (keep && !keep(&d)))
			continue;
		t->family = d.family;
		if (d.family == AF_INET) {
			memcpy(t->saddr, &((struct sockaddr_in *)&d.src)->sin_addr, 4);
			memcpy(t->daddr, &((struct sockaddr_in *)&d.dst)->sin_addr, 4);
		} else {
			memcpy(t->saddr, &((struct sockaddr_in6 *)&d.src)->sin6_addr, 16);
			memcpy(t->daddr, &((struct sockaddr_in6 *)&d.dst)->sin6_addr, 16);
		}
		t->sport = ntohs(((struct sockaddr_in *)&d.src)->sin_port);
		t->dport = ntohs(((struct sockaddr_in *)&d.dst)->sin_port);
		t->sep = ep_index(s, t->family, t->saddr, t->sport);
		t->dep = ep_index(s, t->family, t->daddr, t->dport);
		if (t->sep < 0 || t->dep < 0)
			continue;
		t->len = (uint16_t)d.payload_len;
		memcpy(t->data, d.payload, d.payload_len);
		s->n++;
	}
	capture_close(&cf);
	if (s->n == 0) {
		fprintf(stderr, "gen_capture: %s: no UDP packets to replay\n", path);
		return -1;
	}
	return 0;
}

static int is_stun(const struct dissect_pkt *d) { return d->payload[0] <= 3; }
static int is_rtp(const struct dissect_pkt *d)
{
	return d->payload[0] >= 128 && d->payload[0] <= 191 && d->payload_len >= 12;
}

/* Endpoint e of replay number i: 10.0.0.0/8 or 2001:db8:1::/48. */
static void ep_addr(int fam, uint64_t i, int e, uint8_t *a)
{
	uint32_t v = (uint32_t)((i * MAX_EPS + (uint64_t)e + 1) & 0xffffffu);

	if (fam == AF_INET) {
		a[0] = 10; a[1] = (uint8_t)(v >> 16); a[2] = (uint8_t)(v >> 8); a[3] = (uint8_t)v;
		return;
	}
	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[5] = 1;
	a[13] = (uint8_t)(v >> 16); a[14] = (uint8_t)(v >> 8); a[15] = (uint8_t)v;
}

static uint64_t replay(struct out *o, const struct script *s, uint64_t i, uint64_t t_us)
{
	for (size_t j = 0; j < s->n; j++) {
		const struct tpkt *p = &s->p[j];
		uint8_t sa[16], da[16];

		ep_addr(p->family, i, p->sep, sa);
		ep_addr(p->family, i, p->dep, da);
		emit_udp(o, t_us + j * 5, p->family, sa, p->sport, da, p->dport,
			 p->data, p->len);
	}
	return s->n;
}

/* RFC 8656 §11: Send (client to server) and Data (server to client)
 * indications, XOR-PEER-ADDRESS and DATA; the data are not RTP-like. */
static void send_data(struct out *o, uint64_t i, uint64_t t_us)
{
	uint8_t c[4], srv[4], m[20 + 12 + 4 + 100];
	uint32_t peer = 0xc6336401u;   /* 198.51.100.1 */

	ep_addr(AF_INET, i, 0, c);
	ep_addr(AF_INET, i, 1, srv);
	for (int k = 0; k < 8; k++) {
		int data = k & 1;

		memset(m, 0, sizeof(m));
		put16(m, data ? 0x0017 : 0x0016);
		put16(m + 2, 12 + 4 + 100);
		put32(m + 4, 0x2112A442u);
		put32(m + 8, (uint32_t)i);
		put32(m + 12, (uint32_t)k);
		put32(m + 16, 0x5eed0000u);
		put16(m + 20, 0x0012);          /* XOR-PEER-ADDRESS */
		put16(m + 22, 8);
		m[25] = 0x01;
		put16(m + 26, 40000 ^ 0x2112);
		put32(m + 28, peer ^ 0x2112A442u);
		put16(m + 32, 0x0013);          /* DATA */
		put16(m + 34, 100);
		for (int b = 0; b < 100; b++)
			m[36 + b] = (uint8_t)(0xf0 | (b & 0x0f));
		if (data)
			emit_udp(o, t_us + (uint64_t)k * 5, AF_INET, srv, 3478, c, 50000,
				 m, sizeof(m));
		else
			emit_udp(o, t_us + (uint64_t)k * 5, AF_INET, c, 50000, srv, 3478,
				 m, sizeof(m));
	}
}

struct stream {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts, tsstep;
	const struct tpkt *tmpl;
	uint64_t n, sent, dropped, trailing;
};

int main(int argc, char **argv)
{
	struct script scr[6], rtp_t;
	static const char *files[6] = {
		"rtp_ice_lo.pcapng", "turn_channeldata_lo.pcapng", "dtls_lo.pcapng",
		"dtls_alert_lo.pcapng", "stun_coturn_lo.pcapng", "stun_ipv6_lo.pcapng",
	};
	struct stream st[MAX_STREAMS];
	struct out o = { 0 };
	uint8_t shb[16 + 4], idb[8 + 4], pkt[1500];
	uint64_t t_us = 1764979200000000ull, tick = 0, rtp = 0, rtcp = 0, lost = 0;
	uint64_t replays = 0, sd = 0, tick_max = 0;
	int nstreams = argc > 4 ? atoi(argv[4]) : 40;
	const struct tpkt *pt111 = NULL, *pt0 = NULL, *sr = NULL;

	if (argc < 4 || atoi(argv[3]) <= 0 || nstreams < 1 || nstreams > MAX_STREAMS) {
		fprintf(stderr, "usage: gen_capture FIXTURE_DIR OUT.pcapng SIZE_MB [STREAMS<=%d]\n",
			MAX_STREAMS);
		return 2;
	}
	o.limit = (uint64_t)atoi(argv[3]) << 20;
	for (int k = 0; k < 6; k++)
		if (load(argv[1], files[k], k == 0 ? is_stun : NULL, &scr[k]) < 0)
			return 1;
	if (load(argv[1], "rtp_ice_lo.pcapng", is_rtp, &rtp_t) < 0)
		return 1;
	for (size_t j = 0; j < rtp_t.n; j++) {
		const struct tpkt *p = &rtp_t.p[j];

		if (p->data[1] >= 192 && p->data[1] <= 223)
			sr = sr ? sr : p;
		else if ((p->data[1] & 0x7f) == 111)
			pt111 = pt111 ? pt111 : p;
		else if ((p->data[1] & 0x7f) == 0)
			pt0 = pt0 ? pt0 : p;
	}
	if (!pt111 || !pt0 || !sr) {
		fprintf(stderr, "gen_capture: rtp_ice_lo.pcapng lacks PT 111, PT 0 or RTCP\n");
		return 1;
	}
	/* The most one tick can write: the file never exceeds SIZE_MB. */
	for (int k = 0; k < 6; k++) {
		uint64_t b = 0;

		for (size_t j = 0; j < scr[k].n; j++)
			b += block_len(scr[k].p[j].family, scr[k].p[j].len);
		tick_max = b > tick_max ? b : tick_max;
	}
	tick_max = tick_max > 8 * block_len(AF_INET, 136) ? tick_max : 8 * block_len(AF_INET, 136);
	tick_max += (uint64_t)nstreams * (block_len(AF_INET, pt111->len > pt0->len ?
					   pt111->len : pt0->len) + block_len(AF_INET, sr->len));
	o.f = fopen(argv[2], "wb");
	if (!o.f) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(o.f, NULL, _IOFBF, 1 << 20);
	/* SHB: byte-order magic, version 1.0, section length unknown (-1) */
	put32le(shb, 0x1A2B3C4Du);
	put16le(shb + 4, 1);
	put16le(shb + 6, 0);
	memset(shb + 8, 0xff, 8);
	memset(shb + 16, 0, 4);            /* opt_endofopt */
	emit_block(&o, 0x0A0D0D0Au, shb, 20);
	put16le(idb, 1);                   /* LINKTYPE_ETHERNET */
	put16le(idb + 2, 0);
	put32le(idb + 4, 262144);
	memset(idb + 8, 0, 4);
	emit_block(&o, 1, idb, 12);
	for (int k = 0; k < nstreams; k++) {
		st[k] = (struct stream){ 0 };
		st[k].ssrc = 0x5000a000u + (uint32_t)k * 0x01010101u;
		st[k].seq = (uint16_t)(65000 - k * 100);
		st[k].ts = 1000u * (uint32_t)k;
		st[k].tmpl = k & 1 ? pt0 : pt111;
		st[k].tsstep = k & 1 ? 160 : 960;
	}
	while (o.bytes + tick_max <= o.limit) {
		for (int k = 0; k < nstreams; k++) {
			struct stream *s = &st[k];
			uint8_t sa[4] = { 172, 16, (uint8_t)k, 1 }, da[4] = { 172, 17, (uint8_t)k, 1 };
			uint16_t sp = (uint16_t)(20000 + 2 * k), dp = (uint16_t)(30000 + 2 * k);
			int drop = s->n > 0 && s->n % 100 == 1 + (uint64_t)k % 7 && k % 3 != 0;

			if (drop) {
				s->dropped++;
				s->trailing++;
			} else {
				memcpy(pkt, s->tmpl->data, s->tmpl->len);
				put16(pkt + 2, s->seq);
				put32(pkt + 4, s->ts);
				put32(pkt + 8, s->ssrc);
				emit_udp(&o, t_us + (uint64_t)k * 10, AF_INET, sa, sp, da, dp,
					 pkt, s->tmpl->len);
				s->sent++;
				s->trailing = 0;
				rtp++;
			}
			s->n++;
			s->seq++;
			s->ts += s->tsstep;
			if (tick % RTCP_EVERY == RTCP_EVERY - 1) {
				memcpy(pkt, sr->data, sr->len);
				put32(pkt + 4, s->ssrc);
				emit_udp(&o, t_us + (uint64_t)k * 10 + 5, AF_INET, sa, sp, da, dp,
					 pkt, sr->len);
				rtcp++;
			}
		}
		/* one conversation per tick, after the media of the tick */
		if (tick % 7 == 6) {
			send_data(&o, replays++, t_us + 1000);
			sd += 8;
		} else {
			replay(&o, &scr[tick % 7], replays++, t_us + 1000);
		}
		tick++;
		t_us += TICK_US;
	}
	for (int k = 0; k < nstreams; k++)
		lost += st[k].dropped - st[k].trailing;
	if (fclose(o.f) != 0) {
		perror(argv[2]);
		return 1;
	}
	printf("bytes %llu\npackets %llu\nrtp %llu\nrtcp %llu\nstreams %d\nlost %llu\n"
	       "replays %llu\nsend_data %llu\nseconds %.1f\n",
	       (unsigned long long)o.bytes, (unsigned long long)o.packets,
	       (unsigned long long)rtp, (unsigned long long)rtcp, nstreams,
	       (unsigned long long)lost, (unsigned long long)replays,
	       (unsigned long long)sd, (double)tick * TICK_US / 1e6);
	return 0;
}
