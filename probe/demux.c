/*
 * demux.c - RFC 7983 §7 demultiplexing of one 5-tuple (see demux.h).
 */
#include "demux.h"

static enum demux_kind need(enum demux_kind k, size_t len, size_t min)
{
	return len < min ? DEMUX_SHORT : k;
}

enum demux_kind demux_classify(const uint8_t *buf, size_t len)
{
	uint8_t b;

	if (len == 0)
		return DEMUX_SHORT;
	b = buf[0];
	/* RFC 7983 §7: "if the value of the first byte is ..." */
	if (b <= 3)
		return need(DEMUX_STUN, len, DEMUX_MIN_STUN);
	if (b >= 16 && b <= 19)
		return need(DEMUX_ZRTP, len, DEMUX_MIN_ZRTP);
	if (b >= 20 && b <= 63)
		return need(DEMUX_DTLS, len, DEMUX_MIN_DTLS);
	if (b >= 64 && b <= 79)
		return need(DEMUX_TURN_CHANNEL, len, DEMUX_MIN_CHANNEL);
	if (b >= 128 && b <= 191) {
		/* RFC 5761 §4: RTCP packet types 192-223 occupy the whole
		 * second byte (marker bit and payload type of RTP). */
		if (len < 2)
			return DEMUX_SHORT;
		if (buf[1] >= 192 && buf[1] <= 223)
			return need(DEMUX_RTCP, len, DEMUX_MIN_RTCP);
		return need(DEMUX_RTP, len, DEMUX_MIN_RTP);
	}
	return DEMUX_UNKNOWN;
}

const char *demux_kind_name(enum demux_kind k)
{
	switch (k) {
	case DEMUX_UNKNOWN: return "unknown";
	case DEMUX_SHORT: return "short";
	case DEMUX_STUN: return "stun";
	case DEMUX_ZRTP: return "zrtp";
	case DEMUX_DTLS: return "dtls";
	case DEMUX_TURN_CHANNEL: return "turn-channel";
	case DEMUX_RTP: return "rtp";
	case DEMUX_RTCP: return "rtcp";
	}
	return "?";
}
