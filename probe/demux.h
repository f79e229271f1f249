/*
 * demux.h - what a datagram on a WebRTC 5-tuple is, by its first byte
 * (RFC 7983 §7), with RTP told from RTCP by the payload type byte
 * (RFC 5761 §4):
 *
 *   0-3      STUN          16-19   ZRTP           20-63   DTLS
 *   64-79    TURN channel  128-191 RTP or RTCP (second byte 192-223: RTCP)
 *
 * Everything else (4-15, 80-127, 192-255) "MUST be dropped" (§7). A
 * datagram too short to hold the minimal header of its class is reported
 * as short, not guessed at (the tcpdump print-wg.c habit).
 */
#ifndef DEMUX_H
#define DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum demux_kind {
	DEMUX_UNKNOWN = 0,   /* a first byte RFC 7983 assigns to nothing */
	DEMUX_SHORT,         /* too few bytes to tell, or for its header */
	DEMUX_STUN,
	DEMUX_ZRTP,
	DEMUX_DTLS,
	DEMUX_TURN_CHANNEL,
	DEMUX_RTP,
	DEMUX_RTCP,
};

/* Minimal headers: STUN 20 (RFC 8489 §5), ZRTP 12 (RFC 6189 §5), DTLS 13
 * (RFC 6347 §4.1), ChannelData 4 (RFC 8656 §12.4), RTP 12 and RTCP 8
 * (RFC 3550 §5.1, §6.4). */
#define DEMUX_MIN_STUN 20
#define DEMUX_MIN_ZRTP 12
#define DEMUX_MIN_DTLS 13
#define DEMUX_MIN_CHANNEL 4
#define DEMUX_MIN_RTP 12
#define DEMUX_MIN_RTCP 8

enum demux_kind demux_classify(const uint8_t *buf, size_t len);
/* "stun", "dtls", "rtcp", ... */
const char *demux_kind_name(enum demux_kind k);

#endif
