/*
 * rtp.c - RTP header and compound RTCP on the wire (RFC 3550 §5.1, §6.4,
 * §6.5, §6.6, A.2). See rtp.h.
 */
#include "rtp.h"
#include "np_err.h"

#include <string.h>

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	struct np_rd r;
	uint8_t b0, b1;
	int err;

	memset(h, 0, sizeof(*h));
	np_rd_init(&r, buf, len);
	/* V(2) P(1) X(1) CC(4) | M(1) PT(7) | sequence | timestamp | SSRC */
	if ((err = np_rd_u8(&r, &b0)) || (err = np_rd_u8(&r, &b1)) ||
	    (err = np_rd_u16(&r, &h->seq)) || (err = np_rd_u32(&r, &h->ts)) ||
	    (err = np_rd_u32(&r, &h->ssrc)))
		return err;
	if (b0 >> 6 != RTP_VERSION)
		return NP_EINVAL;
	h->padding = (b0 >> 5) & 1;
	h->extension = (b0 >> 4) & 1;
	h->csrc_count = b0 & 15;
	h->marker = b1 >> 7;
	h->pt = b1 & 0x7F;
	for (unsigned i = 0; i < h->csrc_count; i++)
		if ((err = np_rd_u32(&r, &h->csrc[i])))
			return err;
	if (h->extension) {
		uint16_t words;

		/* §5.3.1: profile-defined(16) length(16, in 32-bit words). */
		if ((err = np_rd_u16(&r, &h->ext_profile)) ||
		    (err = np_rd_u16(&r, &words)) ||
		    (err = np_rd_slice(&r, &h->ext, (size_t)words * 4)))
			return err;
		h->ext_len = (size_t)words * 4;
	}
	h->hdr_len = (size_t)(r.p - (const uint8_t *)buf);
	h->payload = r.p;
	h->payload_len = np_rd_left(&r);
	if (h->padding) {
		/* §5.1: the last octet counts the padding, itself included. */
		if (h->payload_len == 0)
			return NP_ETRUNCATED;
		h->pad_len = h->payload[h->payload_len - 1];
		if (h->pad_len == 0)
			return NP_EINVAL;
		if (h->pad_len > h->payload_len)
			return NP_ETRUNCATED;
		h->payload_len -= h->pad_len;
	}
	return 0;
}

int rtp_build(struct np_wr *w, const struct rtp_hdr *h,
	      const uint8_t *payload, size_t plen)
{
	unsigned cc = h->csrc_count > RTP_MAX_CSRC ? RTP_MAX_CSRC : h->csrc_count;
	int ext = h->extension && h->ext_len % 4 == 0 && h->ext_len / 4 <= 0xFFFF;

	np_wr_u8(w, (uint8_t)(RTP_VERSION << 6 | (ext ? 0x10 : 0) | cc));
	np_wr_u8(w, (uint8_t)((h->marker ? 0x80 : 0) | (h->pt & 0x7F)));
	np_wr_u16(w, h->seq);
	np_wr_u32(w, h->ts);
	np_wr_u32(w, h->ssrc);
	for (unsigned i = 0; i < cc; i++)
		np_wr_u32(w, h->csrc[i]);
	if (ext) {
		np_wr_u16(w, h->ext_profile);
		np_wr_u16(w, (uint16_t)(h->ext_len / 4));
		np_wr_bytes(w, h->ext, h->ext_len);
	}
	np_wr_bytes(w, payload, plen);
	return w->err;
}

/* RTCP --------------------------------------------------------------- */

static int read_block(struct np_rd *r, struct rtcp_block *b)
{
	uint32_t v;
	int err;

	if ((err = np_rd_u32(r, &b->ssrc)) || (err = np_rd_u32(r, &v)) ||
	    (err = np_rd_u32(r, &b->ext_high_seq)) ||
	    (err = np_rd_u32(r, &b->jitter)) || (err = np_rd_u32(r, &b->lsr)) ||
	    (err = np_rd_u32(r, &b->dlsr)))
		return err;
	b->fraction_lost = (uint8_t)(v >> 24);
	/* 24-bit two's complement. */
	b->cum_lost = (int32_t)(v & 0xFFFFFF);
	if (b->cum_lost & 0x800000)
		b->cum_lost -= 0x1000000;
	return 0;
}

static int read_blocks(struct np_rd *r, unsigned count,
		       struct rtcp_compound *c, int keep)
{
	for (unsigned i = 0; i < count; i++) {
		struct rtcp_block b;
		int err = read_block(r, &b);

		if (err)
			return err;
		if (keep && c->n_blocks < RTCP_MAX_BLOCKS)
			c->blocks[c->n_blocks++] = b;
	}
	return 0;
}

static int read_sdes(struct np_rd *r, unsigned count, struct rtcp_compound *c)
{
	const uint8_t *start = r->p;

	for (unsigned i = 0; i < count; i++) {
		uint32_t ssrc;
		int err;

		if ((err = np_rd_u32(r, &ssrc)))
			return err;
		/* §6.5: items until a null octet, then pad to 32 bits. */
		for (;;) {
			uint8_t type, len;
			const uint8_t *v;

			if ((err = np_rd_u8(r, &type)))
				return err;
			if (type == 0)
				break;
			if ((err = np_rd_u8(r, &len)) ||
			    (err = np_rd_slice(r, &v, len)))
				return err;
			if (type == RTCP_SDES_CNAME && !c->has_cname) {
				memcpy(c->cname, v, len);
				c->cname[len] = '\0';
				c->cname_ssrc = ssrc;
				c->has_cname = 1;
			}
		}
		while ((size_t)(r->p - start) % 4)
			if ((err = np_rd_skip(r, 1)))
				return err;
	}
	return 0;
}

int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_compound *c)
{
	struct np_rd r;
	int err;

	memset(c, 0, sizeof(*c));
	np_rd_init(&r, buf, len);
	if (len == 0)
		return NP_ETRUNCATED;
	while (np_rd_left(&r) > 0) {
		uint8_t b0, pt;
		uint16_t words;
		struct np_rd p;
		unsigned count;
		size_t plen;

		/* V(2) P(1) RC(5) | PT(8) | length in 32-bit words minus one */
		if ((err = np_rd_u8(&r, &b0)) || (err = np_rd_u8(&r, &pt)) ||
		    (err = np_rd_u16(&r, &words)))
			return err;
		if (b0 >> 6 != RTP_VERSION || pt < 192 || pt > 223)
			return NP_EINVAL;
		plen = (size_t)words * 4;
		if ((err = np_rd_child(&r, &p, plen)))
			return err;
		count = b0 & 31;
		if (b0 & 0x20) {
			/* A.2: only the last packet may be padded. */
			uint8_t pad;

			if (np_rd_left(&r) != 0 || plen == 0)
				return NP_EINVAL;
			pad = p.end[-1];
			if (pad == 0 || pad > plen)
				return NP_EINVAL;
			p.end -= pad;
		}
		if (c->n_packets == 0 && pt != RTCP_SR && pt != RTCP_RR)
			c->reduced_size = 1;
		if (c->n_packets < RTCP_MAX_PACKETS)
			c->types[c->n_packets] = pt;
		c->n_packets++;
		switch (pt) {
		case RTCP_SR: {
			struct rtcp_sr sr;
			uint32_t hi, lo;

			if ((err = np_rd_u32(&p, &sr.ssrc)) ||
			    (err = np_rd_u32(&p, &hi)) ||
			    (err = np_rd_u32(&p, &lo)) ||
			    (err = np_rd_u32(&p, &sr.rtp_ts)) ||
			    (err = np_rd_u32(&p, &sr.packets)) ||
			    (err = np_rd_u32(&p, &sr.octets)))
				return err;
			sr.ntp = (uint64_t)hi << 32 | lo;
			err = read_blocks(&p, count, c, !c->has_sr && !c->has_rr);
			if (err)
				return err;
			if (!c->has_sr) {
				c->sr = sr;
				c->has_sr = 1;
			}
			break;
		}
		case RTCP_RR: {
			uint32_t ssrc;

			if ((err = np_rd_u32(&p, &ssrc)))
				return err;
			err = read_blocks(&p, count, c, !c->has_sr && !c->has_rr);
			if (err)
				return err;
			if (!c->has_rr) {
				c->rr_ssrc = ssrc;
				c->has_rr = 1;
			}
			break;
		}
		case RTCP_SDES:
			if ((err = read_sdes(&p, count, c)))
				return err;
			break;
		case RTCP_BYE:
			if (count > 0 && !c->has_bye) {
				if ((err = np_rd_u32(&p, &c->bye_ssrc)))
					return err;
				c->has_bye = 1;
			}
			break;
		case RTCP_RTPFB:
		case RTCP_PSFB:
			c->feedback++;
			break;
		default:
			break;
		}
		/* Profile-specific extensions after the blocks are allowed
		 * (§6.4.1); the rest of p is skipped. */
	}
	return 0;
}

static void header(struct np_wr *w, unsigned count, uint8_t pt, size_t body)
{
	np_wr_u8(w, (uint8_t)(RTP_VERSION << 6 | (count & 31)));
	np_wr_u8(w, pt);
	np_wr_u16(w, (uint16_t)(body / 4));   /* words minus one: body
						 excludes the first word */
}

static void write_block(struct np_wr *w, const struct rtcp_block *b)
{
	int32_t cl = b->cum_lost;

	if (cl > 0x7FFFFF)
		cl = 0x7FFFFF;
	if (cl < -0x800000)
		cl = -0x800000;
	np_wr_u32(w, b->ssrc);
	np_wr_u32(w, (uint32_t)b->fraction_lost << 24 | ((uint32_t)cl & 0xFFFFFF));
	np_wr_u32(w, b->ext_high_seq);
	np_wr_u32(w, b->jitter);
	np_wr_u32(w, b->lsr);
	np_wr_u32(w, b->dlsr);
}

int rtcp_build_sr(struct np_wr *w, const struct rtcp_sr *sr,
		  const struct rtcp_block *b, unsigned n)
{
	if (n > RTCP_MAX_BLOCKS)
		return NP_EINVAL;
	header(w, n, RTCP_SR, 24 + 24 * (size_t)n);
	np_wr_u32(w, sr->ssrc);
	np_wr_u32(w, (uint32_t)(sr->ntp >> 32));
	np_wr_u32(w, (uint32_t)sr->ntp);
	np_wr_u32(w, sr->rtp_ts);
	np_wr_u32(w, sr->packets);
	np_wr_u32(w, sr->octets);
	for (unsigned i = 0; i < n; i++)
		write_block(w, &b[i]);
	return w->err;
}

int rtcp_build_rr(struct np_wr *w, uint32_t ssrc, const struct rtcp_block *b,
		  unsigned n)
{
	if (n > RTCP_MAX_BLOCKS)
		return NP_EINVAL;
	header(w, n, RTCP_RR, 4 + 24 * (size_t)n);
	np_wr_u32(w, ssrc);
	for (unsigned i = 0; i < n; i++)
		write_block(w, &b[i]);
	return w->err;
}

int rtcp_build_sdes_cname(struct np_wr *w, uint32_t ssrc, const char *cname)
{
	size_t n = strlen(cname);
	/* SSRC, type, length, text, then at least one null octet, padded
	 * to a multiple of 4 (§6.5). */
	size_t chunk = 4 + 2 + n + 1;

	if (n > 255)
		return NP_EINVAL;
	chunk = (chunk + 3) & ~(size_t)3;
	header(w, 1, RTCP_SDES, chunk);
	np_wr_u32(w, ssrc);
	np_wr_u8(w, RTCP_SDES_CNAME);
	np_wr_u8(w, (uint8_t)n);
	np_wr_bytes(w, cname, n);
	for (size_t i = 4 + 2 + n; i < chunk; i++)
		np_wr_u8(w, 0);
	return w->err;
}

int rtcp_build_bye(struct np_wr *w, uint32_t ssrc)
{
	header(w, 1, RTCP_BYE, 4);
	np_wr_u32(w, ssrc);
	return w->err;
}
