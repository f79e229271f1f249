/*
 * dissect_app.c - what a UDP payload or TCP message is (RFC 7983 §7) and
 * its headers.
 *
 * RFC 7983 §7: "If the value of this byte is in [0..3] ... STUN; [16..19]
 * ZRTP; [20..63] DTLS; [64..79] TURN Channel; [128..191] RTP/RTCP; else
 * drop", with channels up to 127 as RFC 5766 had them. RFC 9147 §4 moves DTLS 1.3 encrypted records into 32..63
 * ("0b001CSLEE"), leaving 20..26 for plaintext record types. RFC 5761 §4:
 * an RTP/RTCP second byte in 192..223 is RTCP.
 *
 * A payload cut by the snapshot length or a fragment is classified from
 * what its first bytes prove (STUN needs its magic cookie, RTP its version)
 * and otherwise declined as "other"; only a payload present in full can be
 * malformed.
 */
#include "dissect.h"
#include "np_rd.h"

#include <stdio.h>
#include <string.h>

static const char *const app_names[] = {
#define DISSECT_APP_NAME(name, text) text,
	DISSECT_APP_MAP(DISSECT_APP_NAME)
#undef DISSECT_APP_NAME
};

const char *dissect_app_name(enum dissect_app a)
{
	return (unsigned)a < DS__COUNT ? app_names[a] : "?";
}

static size_t malformed(struct dissect_app_info *ai, size_t len, const char *fmt,
			size_t a, size_t b)
{
	ai->app = DS_MALFORMED;
	snprintf(ai->why, sizeof(ai->why), fmt, a, b);
	return len;
}

static size_t stun(const uint8_t *buf, size_t len, int cut,
		   struct dissect_app_info *ai)
{
	size_t flen = stun_frame_len(buf, len);
	int cookie = len >= 8 && np_get32(buf + 4) == STUN_MAGIC_COOKIE;
	char detail[128] = "";

	if (cut && (flen == 0 || flen > len)) {
		/* Part of a message: say STUN only with the cookie to prove it. */
		if (!cookie)
			return ai->app = DS_OTHER, len;
		ai->app = DS_STUN;
		ai->partial = 1;
		return len;
	}
	if (len < STUN_HEADER_LEN)
		return malformed(ai, len, "STUN: %zu bytes, header needs %zu", len,
				 STUN_HEADER_LEN);
	/* One message per datagram (RFC 8489 §6.1); TCP callers pass one
	 * framed message. Without the magic cookie only an RFC 3489 Binding
	 * or Shared Secret message that fills the datagram exactly is STUN:
	 * application data starting with 0..3 is common. */
	if (!cookie && (flen != len || ((np_get16(buf) & 0x3eef) != STUN_BINDING &&
			     (np_get16(buf) & 0x3eef) != 2)))
		return ai->app = DS_OTHER, len;
	if (flen != len)
		return malformed(ai, len, "STUN: message claims %zu bytes, "
				 "the datagram has %zu", flen, len);
	ai->app = DS_STUN;
	if (stun_decode(buf, flen, STUN_DEC_ALLOW_UNKNOWN | STUN_DEC_ALLOW_CLASSIC,
			&ai->stun, detail, sizeof(detail)) < 0) {
		ai->app = DS_MALFORMED;
		snprintf(ai->why, sizeof(ai->why), "STUN: %s", detail);
		return flen;
	}
	ai->stun_ok = 1;
	return flen;
}

static size_t channeldata(const uint8_t *buf, size_t len, int cut,
			  struct dissect_app_info *ai)
{
	struct np_rd r;
	uint16_t ch, dlen;

	np_rd_init(&r, buf, len);
	if (np_rd_u16(&r, &ch) || np_rd_u16(&r, &dlen)) {
		if (cut)
			return ai->app = DS_OTHER, len;
		return malformed(ai, len, "ChannelData: %zu bytes, header needs %zu",
				 len, 4);
	}
	ai->channel = ch;
	ai->cd_len = dlen;
	ai->app = DS_CHANNELDATA;
	if (dlen > np_rd_left(&r)) {
		if (cut)
			return ai->partial = 1, len;
		return malformed(ai, len, "ChannelData: length %zu, %zu bytes follow",
				 dlen, np_rd_left(&r));
	}
	return len;
}

/* One DTLS 1.2 record header (RFC 6347 §4.1) and what its first bytes
 * say: the handshake type of the first fragment, a plaintext alert. */
static int dtls_record(struct np_rd *r, struct dtls_rec *rec)
{
	uint16_t seqhi;
	uint32_t seqlo;
	struct np_rd body;

	/* content type, version, epoch, sequence number (48), length */
	if (np_rd_u8(r, &rec->content_type) || np_rd_u16(r, &rec->version) ||
	    np_rd_u16(r, &rec->epoch) || np_rd_u16(r, &seqhi) ||
	    np_rd_u32(r, &seqlo) || np_rd_u16(r, &rec->length))
		return NP_ETRUNCATED;
	rec->seq = (uint64_t)seqhi << 32 | seqlo;
	rec->hs_type = rec->alert_level = rec->alert_desc = -1;
	if (np_rd_child(r, &body, rec->length))
		return NP_ETRUNCATED;
	if (rec->epoch == 0) {
		uint8_t a, b;

		if (rec->content_type == 22 && np_rd_u8(&body, &a) == 0)
			rec->hs_type = a;
		if (rec->content_type == 21 && np_rd_u8(&body, &a) == 0 &&
		    np_rd_u8(&body, &b) == 0) {
			rec->alert_level = a;
			rec->alert_desc = b;
		}
	}
	return 0;
}

static size_t dtls(const uint8_t *buf, size_t len, int cut,
		   struct dissect_app_info *ai)
{
	struct np_rd r;

	if (buf[0] >= 32) {
		/* RFC 9147 §4: unified header; its fields are encrypted or
		 * variable, so it is counted, not decoded. */
		ai->app = DS_DTLS13;
		return len;
	}
	if (buf[0] > 26)
		return ai->app = DS_OTHER, len;
	if (len >= 2 && buf[1] != 0xfe) {
		if (cut)
			return ai->app = DS_OTHER, len;
		return malformed(ai, len, "DTLS: version major 0x%02zx at offset %zu, "
				 "expected 0xfe", buf[1], 1);
	}
	np_rd_init(&r, buf, len);
	ai->app = DS_DTLS;
	while (np_rd_left(&r) > 0 && ai->nrec < DTLS_MAX_RECORDS) {
		const uint8_t *at = r.p;

		if (dtls_record(&r, &ai->rec[ai->nrec]) < 0) {
			if (cut) {
				ai->partial = 1;
				/* keep a header that arrived whole */
				if (r.end - at >= 13 && ai->nrec == 0)
					ai->rec[ai->nrec++].content_type = at[0];
				return len;
			}
			return malformed(ai, len, "DTLS: record at offset %zu runs past "
					 "the datagram (%zu bytes)",
					 (size_t)(at - buf), len);
		}
		ai->nrec++;
	}
	return len;
}

static size_t rtp_rtcp(const uint8_t *buf, size_t len, int cut,
		       struct dissect_app_info *ai)
{
	struct np_rd r;
	uint8_t b0, b1;
	uint16_t seq, rlen;
	uint32_t ts, ssrc;

	np_rd_init(&r, buf, len);
	if (np_rd_u8(&r, &b0) || np_rd_u8(&r, &b1)) {
		if (cut)
			return ai->app = DS_OTHER, len;
		return malformed(ai, len, "RTP/RTCP: %zu byte, header needs %zu",
				 len, 2);
	}
	if (b1 >= 192 && b1 <= 223) {
		/* RTCP: V P RC, PT, length in words minus one, SSRC */
		ai->app = DS_RTCP;
		ai->pt = b1;
		if (np_rd_u16(&r, &rlen) || np_rd_u32(&r, &ssrc)) {
			if (cut)
				return ai->partial = 1, len;
			return malformed(ai, len, "RTCP: %zu bytes, header needs %zu",
					 len, 8);
		}
		ai->ssrc = ssrc;
		return len;
	}
	/* RTP: V P X CC, M PT, sequence number, timestamp, SSRC */
	ai->app = DS_RTP;
	ai->pt = b1 & 0x7f;
	ai->marker = b1 >> 7;
	if (np_rd_u16(&r, &seq) || np_rd_u32(&r, &ts) || np_rd_u32(&r, &ssrc)) {
		if (cut)
			return ai->app = DS_OTHER, len;
		return malformed(ai, len, "RTP: %zu bytes, header needs %zu", len, 12);
	}
	ai->seq = seq;
	ai->ts = ts;
	ai->ssrc = ssrc;
	if (!cut && np_rd_skip(&r, (size_t)(b0 & 0x0f) * 4))
		return malformed(ai, len, "RTP: %zu CSRCs, %zu bytes left",
				 (size_t)(b0 & 0x0f), len - 12);
	return len;
}

size_t dissect_app(const uint8_t *buf, size_t len, size_t claimed,
		   struct dissect_app_info *ai)
{
	int cut = claimed > len;

	memset(ai, 0, sizeof(*ai));
	if (len == 0) {
		ai->app = DS_OTHER;
		return 0;
	}
	if (buf[0] <= 3)
		return stun(buf, len, cut, ai);
	/* ZRTP (RFC 6189 §5): the magic cookie "ZRTP" follows 4 bytes. */
	if (buf[0] >= 16 && buf[0] <= 19)
		return ai->app = (len >= 8 && np_get32(buf + 4) == 0x5a525450u) ?
				 DS_ZRTP : DS_OTHER, len;
	if (buf[0] >= 20 && buf[0] <= 63)
		return dtls(buf, len, cut, ai);
	/* RFC 7983 gives TURN channels 64..79 (RFC 8656's 0x4000-0x4FFF);
	 * RFC 5766 allowed up to 0x7FFF and coturn still hands those out. */
	if (buf[0] >= 64 && buf[0] <= 127)
		return channeldata(buf, len, cut, ai);
	if (buf[0] >= 128 && buf[0] <= 191)
		return rtp_rtcp(buf, len, cut, ai);
	ai->app = DS_OTHER;
	return len;
}
