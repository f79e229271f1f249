/*
 * dissect.c - link, IP and transport headers of a captured packet.
 *
 * Ethernet II (IEEE 802.3, with 802.1Q/802.1ad tags), Linux cooked capture
 * v1 (16-byte header) and v2 (20-byte header), raw IP, loopback (a 4-byte
 * address family, host order for NULL, network order for LOOP); IPv4 (RFC
 * 791: IHL, total length, fragment offset) and IPv6 (RFC 8200 §4: extension
 * headers walked by their own lengths, at most 8); UDP (RFC 768) and TCP
 * (RFC 9293 §3.1: data offset). Every header is read through np_rd; the IP
 * total length bounds the payload, so Ethernet padding is not payload.
 */
#include "dissect.h"
#include "capture_read.h"
#include "np_rd.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPV6_MAX_EXT 8

static int bad(struct dissect_pkt *d, const char *what)
{
	/* A header cut by the snapshot length is not malformed. */
	if (d->truncated)
		return 0;
	d->malformed = 1;
	snprintf(d->why, sizeof(d->why), "%s", what);
	return 0;
}

/* Payload: bounded by the transport/IP length, and by what was captured. */
static void set_payload(struct dissect_pkt *d, struct np_rd *r, size_t claimed)
{
	size_t have = np_rd_left(r);

	d->payload = r->p;
	d->payload_claimed = claimed;
	d->payload_len = have < claimed ? have : claimed;
}

static int udp(struct np_rd *r, size_t ip_claimed, struct dissect_pkt *d)
{
	uint16_t sport, dport, len, csum;

	if (np_rd_u16(r, &sport) || np_rd_u16(r, &dport) || np_rd_u16(r, &len) ||
	    np_rd_u16(r, &csum))
		return bad(d, "UDP header cut short");
	d->l4 = DS_L4_UDP;
	/* sin_port and sin6_port share their offset */
	((struct sockaddr_in *)&d->src)->sin_port = htons(sport);
	((struct sockaddr_in *)&d->dst)->sin_port = htons(dport);
	if (ip_claimed < 8)
		return bad(d, "UDP header beyond the IP length");
	if (len < 8 || len > ip_claimed) {
		/* RFC 768: length covers header and data. A fragment's first
		 * part claims more than it carries; trust IP then. */
		if (len < 8)
			return bad(d, "UDP length below 8");
		len = (uint16_t)ip_claimed;
	}
	set_payload(d, r, (size_t)len - 8);
	return 0;
}

static int tcp(struct np_rd *r, size_t ip_claimed, struct dissect_pkt *d)
{
	uint16_t sport, dport, flags, win;
	uint32_t seq, ack;
	size_t hl;

	if (np_rd_u16(r, &sport) || np_rd_u16(r, &dport) || np_rd_u32(r, &seq) ||
	    np_rd_u32(r, &ack) || np_rd_u16(r, &flags) || np_rd_u16(r, &win))
		return bad(d, "TCP header cut short");
	d->l4 = DS_L4_TCP;
	((struct sockaddr_in *)&d->src)->sin_port = htons(sport);
	((struct sockaddr_in *)&d->dst)->sin_port = htons(dport);
	d->tcp_seq = seq;
	d->tcp_syn = !!(flags & 0x02);
	d->tcp_fin = !!(flags & 0x01);
	d->tcp_rst = !!(flags & 0x04);
	hl = (size_t)(flags >> 12) * 4;
	if (hl < 20 || hl > ip_claimed)
		return bad(d, "TCP data offset out of range");
	/* checksum, urgent pointer, options */
	if (np_rd_skip(r, hl - 16))
		return bad(d, "TCP options cut short");
	set_payload(d, r, ip_claimed - hl);
	return 0;
}

static int transport(int proto, struct np_rd *r, size_t claimed,
		     struct dissect_pkt *d)
{
	if (proto == IPPROTO_UDP)
		return udp(r, claimed, d);
	if (proto == IPPROTO_TCP)
		return tcp(r, claimed, d);
	return 0;
}

static int ipv4(struct np_rd *r, struct dissect_pkt *d)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&d->src,
			   *t = (struct sockaddr_in *)&d->dst;
	uint8_t vihl, tos, ttl, proto;
	uint16_t total, id, frag, csum;
	size_t hl;

	if (np_rd_u8(r, &vihl) || np_rd_u8(r, &tos) || np_rd_u16(r, &total) ||
	    np_rd_u16(r, &id) || np_rd_u16(r, &frag) || np_rd_u8(r, &ttl) ||
	    np_rd_u8(r, &proto) || np_rd_u16(r, &csum) ||
	    np_rd_bytes(r, &s->sin_addr, 4) || np_rd_bytes(r, &t->sin_addr, 4))
		return bad(d, "IPv4 header cut short");
	if (vihl >> 4 != 4)
		return bad(d, "IP version is not 4");
	d->family = AF_INET;
	s->sin_family = t->sin_family = AF_INET;
	hl = (size_t)(vihl & 0x0f) * 4;
	if (hl < 20 || total < hl)
		return bad(d, "IPv4 header length or total length out of range");
	if (np_rd_skip(r, hl - 20))
		return bad(d, "IPv4 options cut short");
	if ((frag & 0x1fff) != 0) {
		d->fragment = 1;   /* counted, not reassembled */
		return 0;
	}
	return transport(proto, r, (size_t)total - hl, d);
}

static int ipv6(struct np_rd *r, struct dissect_pkt *d)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&d->src,
			    *t = (struct sockaddr_in6 *)&d->dst;
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh, hlim;
	size_t claimed;

	if (np_rd_u32(r, &vtcfl) || np_rd_u16(r, &plen) || np_rd_u8(r, &nh) ||
	    np_rd_u8(r, &hlim) || np_rd_bytes(r, &s->sin6_addr, 16) ||
	    np_rd_bytes(r, &t->sin6_addr, 16))
		return bad(d, "IPv6 header cut short");
	if (vtcfl >> 28 != 6)
		return bad(d, "IP version is not 6");
	d->family = AF_INET6;
	s->sin6_family = t->sin6_family = AF_INET6;
	claimed = plen;
	for (int i = 0; i < IPV6_MAX_EXT; i++) {
		uint8_t next, hlen;
		size_t elen;

		switch (nh) {
		case 0: case 43: case 60:   /* hop-by-hop, routing, dest opts */
		case 51:                    /* AH: length in 4-byte units */
		case 44:                    /* fragment: 8 bytes */
			break;
		default:
			return transport(nh, r, claimed, d);
		}
		if (np_rd_u8(r, &next) || np_rd_u8(r, &hlen))
			return bad(d, "IPv6 extension header cut short");
		elen = nh == 44 ? 8 : nh == 51 ? ((size_t)hlen + 2) * 4 :
		       ((size_t)hlen + 1) * 8;
		if (elen > claimed)
			return bad(d, "IPv6 extension header longer than the payload");
		if (nh == 44) {
			uint16_t offflags;

			if (np_rd_u16(r, &offflags))
				return bad(d, "IPv6 fragment header cut short");
			if (offflags >> 3) {
				d->fragment = 1;
				return 0;
			}
			if (np_rd_skip(r, 4))
				return bad(d, "IPv6 fragment header cut short");
		} else if (np_rd_skip(r, elen - 2)) {
			return bad(d, "IPv6 extension header cut short");
		}
		claimed -= elen;
		nh = next;
	}
	return bad(d, "more than 8 IPv6 extension headers");
}

static int ip_any(struct np_rd *r, struct dissect_pkt *d)
{
	if (np_rd_left(r) < 1)
		return bad(d, "no IP header");
	return (r->p[0] >> 4) == 6 ? ipv6(r, d) : ipv4(r, d);
}

static int by_ethertype(uint16_t type, struct np_rd *r, struct dissect_pkt *d)
{
	if (type == ETH_P_IPV4)
		return ipv4(r, d);
	if (type == ETH_P_IPV6)
		return ipv6(r, d);
	return 0;   /* ARP and the like: not IP, not malformed */
}

static int ethernet(struct np_rd *r, struct dissect_pkt *d)
{
	uint16_t type;

	if (np_rd_skip(r, 12) || np_rd_u16(r, &type))
		return bad(d, "Ethernet header cut short");
	for (int tags = 0; (type == ETH_P_8021Q || type == ETH_P_8021AD) &&
	     tags < 2; tags++)
		if (np_rd_skip(r, 2) || np_rd_u16(r, &type))
			return bad(d, "802.1Q tag cut short");
	return by_ethertype(type, r, d);
}

static int loopback(struct np_rd *r, int network_order, struct dissect_pkt *d)
{
	uint8_t b[4];
	uint32_t fam;

	if (np_rd_bytes(r, b, 4))
		return bad(d, "loopback header cut short");
	fam = network_order ? np_get32(b) :
	      (b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
	/* The family may have been written on either byte order. */
	if (!network_order && fam > 0xffff)
		fam = np_get32(b);
	if (fam == 2)
		return ipv4(r, d);
	if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
		return ipv6(r, d);
	return 0;
}

int dissect_packet(int linktype, const uint8_t *data, uint32_t caplen,
		   uint32_t len, struct dissect_pkt *d)
{
	struct np_rd r;
	uint16_t type;

	memset(d, 0, sizeof(*d));
	d->linktype = linktype;
	d->caplen = caplen;
	d->len = len < caplen ? caplen : len;
	d->truncated = caplen < len;
	np_rd_init(&r, data, caplen);
	switch (linktype) {
	case CAP_LINKTYPE_ETHERNET:
		return ethernet(&r, d);
	case CAP_LINKTYPE_LINUX_SLL:
		/* packet type, ARPHRD, address length, 8 address bytes */
		if (np_rd_skip(&r, 14) || np_rd_u16(&r, &type))
			return bad(d, "Linux cooked header cut short");
		return by_ethertype(type, &r, d);
	case CAP_LINKTYPE_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, type, addr len, addr */
		if (np_rd_u16(&r, &type) || np_rd_skip(&r, 18))
			return bad(d, "Linux cooked v2 header cut short");
		return by_ethertype(type, &r, d);
	case CAP_LINKTYPE_RAW: case CAP_DLT_RAW_ALT1: case CAP_DLT_RAW_ALT2:
		return ip_any(&r, d);
	case CAP_LINKTYPE_IPV4:
		return ipv4(&r, d);
	case CAP_LINKTYPE_IPV6:
		return ipv6(&r, d);
	case CAP_LINKTYPE_NULL:
		return loopback(&r, 0, d);
	case CAP_LINKTYPE_LOOP:
		return loopback(&r, 1, d);
	}
	return bad(d, "unsupported link type");
}
