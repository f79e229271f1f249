/*
 * dissect.h - offline dissection of captured packets, pure: bytes in,
 * plain data out, no allocation.
 *
 * Link layers: Ethernet (with 802.1Q/802.1ad tags), Linux cooked v1 and v2,
 * raw IP, BSD/OpenBSD loopback. IPv4 (options; non-first fragments are
 * counted, not reassembled) and IPv6 (extension headers skipped by their
 * lengths, bounded). UDP and TCP. Payloads are demultiplexed by their first
 * byte as RFC 7983 §7 does, then decoded: STUN/TURN (stun_codec.h), TURN
 * ChannelData (RFC 8656 §12.4), DTLS 1.2 records (RFC 6347 §4.1) and the
 * DTLS 1.3 unified header (RFC 9147 §4), RTP (RFC 3550 §5.1) and RTCP
 * (RFC 5761 §4: second byte 192..223). SRTP payloads stay encrypted.
 *
 * Everything reads through np_rd. When a packet was cut by the snapshot
 * length, the demux only classifies what its first bytes prove and never
 * calls a short packet malformed; with too few bytes to tell it declines.
 */
#ifndef DISSECT_H
#define DISSECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun_codec.h"

/* What a payload (or the packet carrying it) is. */
#define DISSECT_APP_MAP(X)                                                    \
	X(STUN, "stun")                                                       \
	X(CHANNELDATA, "turn_channeldata")                                    \
	X(DTLS, "dtls")                                                       \
	X(DTLS13, "dtls13")                                                   \
	X(RTP, "rtp")                                                         \
	X(RTCP, "rtcp")                                                       \
	X(ZRTP, "zrtp")                                                       \
	X(OTHER, "other")                                                     \
	X(MALFORMED, "malformed")

enum dissect_app {
#define DISSECT_APP_ENUM(name, text) DS_##name,
	DISSECT_APP_MAP(DISSECT_APP_ENUM)
#undef DISSECT_APP_ENUM
	DS__COUNT
};

const char *dissect_app_name(enum dissect_app a);

#define DTLS_MAX_RECORDS 16

struct dtls_rec {
	uint8_t content_type;   /* 20 ccs, 21 alert, 22 handshake, 23 data */
	uint16_t version;       /* 0xfeff DTLS 1.0, 0xfefd 1.2 */
	uint16_t epoch;
	uint64_t seq;           /* 48 bits */
	uint16_t length;
	int hs_type;            /* handshake type of the first fragment, -1 */
	int alert_level, alert_desc; /* -1 when encrypted or absent */
};

struct dissect_app_info {
	enum dissect_app app;
	int partial;            /* classified from a cut payload only */
	char why[128];          /* malformed: what was wrong, with numbers */
	/* STUN: decoded when the whole message is present. */
	int stun_ok;
	struct stun_msg stun;
	/* ChannelData */
	uint16_t channel, cd_len;
	/* DTLS records in the datagram (1.2 headers); dtls13: unified header */
	struct dtls_rec rec[DTLS_MAX_RECORDS];
	size_t nrec;
	/* RTP / RTCP */
	uint8_t pt;             /* RTP payload type, or RTCP packet type */
	int marker;
	uint16_t seq;
	uint32_t ts, ssrc;
};

/*
 * Demultiplexes and decodes one application payload: buf holds the
 * captured bytes, claimed what the packet said it carried (more when cut by
 * snaplen or a fragment). Returns the bytes of the first message (for TCP
 * streams carrying several), at least 1, or 0 when buf is empty.
 */
size_t dissect_app(const uint8_t *buf, size_t len, size_t claimed,
		   struct dissect_app_info *ai);

enum { DS_L4_NONE = 0, DS_L4_UDP = 17, DS_L4_TCP = 6 };

struct dissect_pkt {
	int linktype;
	uint32_t caplen, len;
	int truncated;          /* caplen < len: cut by the snapshot length */
	int family;             /* AF_INET, AF_INET6, 0: not IP */
	int fragment;           /* a non-first IP fragment */
	int l4;                 /* DS_L4_* */
	struct sockaddr_storage src, dst;
	const uint8_t *payload; /* borrowed: captured transport payload */
	size_t payload_len;     /* captured bytes of it */
	size_t payload_claimed; /* what the headers say it carries */
	int tcp_syn, tcp_fin, tcp_rst;
	uint32_t tcp_seq;
	int malformed;          /* a link/IP/transport header was bad */
	char why[128];
};

/* Dissects link, IP and transport headers. Returns 0; a packet that is not
 * IP, or whose headers are bad, is described in *d (d->malformed, d->why). */
int dissect_packet(int linktype, const uint8_t *data, uint32_t caplen,
		   uint32_t len, struct dissect_pkt *d);

#endif
