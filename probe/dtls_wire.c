/*
 * dtls_wire.c - DTLS records and handshake headers read from outside, for
 * the timeline (see dtls_wire.h). Every field goes through np_rd.
 */
#include "dtls_wire.h"
#include "np_err.h"
#include "np_rd.h"

#include <stdio.h>
#include <string.h>

static const struct {
	uint8_t t;
	const char *name;
} hs_names[] = {
	{ DTLS_HS_CLIENT_HELLO, "ClientHello" },
	{ DTLS_HS_SERVER_HELLO, "ServerHello" },
	{ DTLS_HS_HELLO_VERIFY_REQUEST, "HelloVerifyRequest" },
	{ DTLS_HS_NEW_SESSION_TICKET, "NewSessionTicket" },
	{ DTLS_HS_CERTIFICATE, "Certificate" },
	{ DTLS_HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange" },
	{ DTLS_HS_CERTIFICATE_REQUEST, "CertificateRequest" },
	{ DTLS_HS_SERVER_HELLO_DONE, "ServerHelloDone" },
	{ DTLS_HS_CERTIFICATE_VERIFY, "CertificateVerify" },
	{ DTLS_HS_CLIENT_KEY_EXCHANGE, "ClientKeyExchange" },
	{ DTLS_HS_FINISHED, "Finished" },
};

const char *dtls_wire_hs_name(uint8_t t, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(hs_names) / sizeof(hs_names[0]); i++)
		if (hs_names[i].t == t)
			return hs_names[i].name;
	snprintf(buf, len, "handshake type %u", t);
	return buf;
}

const char *dtls_wire_version_name(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case DTLS_VERSION_1_0: return "DTLS 1.0";
	case DTLS_VERSION_1_2: return "DTLS 1.2";
	case DTLS_VERSION_1_3: return "DTLS 1.3";
	}
	snprintf(buf, len, "0x%04x", v);
	return buf;
}

int dtls_wire_hello_versions(const uint8_t *body, size_t len,
			     uint16_t *legacy, uint16_t *versions, size_t max,
			     size_t *n)
{
	struct np_rd r, ext;
	uint8_t l8;
	uint16_t l16;
	int err;

	*n = 0;
	np_rd_init(&r, body, len);
	/* client_version, random[32] */
	if ((err = np_rd_u16(&r, legacy)) || (err = np_rd_skip(&r, 32)))
		return err;
	/* session_id<0..32>, cookie<0..2^8-1> (RFC 6347 §4.2.1) */
	if ((err = np_rd_u8(&r, &l8)) || (err = np_rd_skip(&r, l8)))
		return err;
	if ((err = np_rd_u8(&r, &l8)) || (err = np_rd_skip(&r, l8)))
		return err;
	/* cipher_suites<2..2^16-2>, compression_methods<1..2^8-1> */
	if ((err = np_rd_u16(&r, &l16)) || (err = np_rd_skip(&r, l16)))
		return err;
	if ((err = np_rd_u8(&r, &l8)) || (err = np_rd_skip(&r, l8)))
		return err;
	if (np_rd_left(&r) == 0)
		return 0;       /* no extensions at all */
	if ((err = np_rd_u16(&r, &l16)) || (err = np_rd_child(&r, &ext, l16)))
		return err;
	if (np_rd_left(&r) != 0)
		return NP_EINVAL;
	while (np_rd_left(&ext) > 0) {
		uint16_t type, elen;
		struct np_rd e, list;

		if ((err = np_rd_u16(&ext, &type)) ||
		    (err = np_rd_u16(&ext, &elen)) ||
		    (err = np_rd_child(&ext, &e, elen)))
			return err;
		if (type != TLS_EXT_SUPPORTED_VERSIONS)
			continue;
		/* RFC 8446 §4.2.1: ProtocolVersion versions<2..254> */
		if ((err = np_rd_u8(&e, &l8)) ||
		    (err = np_rd_child(&e, &list, l8)))
			return err;
		if (np_rd_left(&e) != 0 || l8 < 2 || l8 % 2)
			return NP_EINVAL;
		while (np_rd_left(&list) >= 2) {
			uint16_t v = 0;

			np_rd_u16(&list, &v);
			if (*n < max)
				versions[(*n)++] = v;
		}
	}
	return 0;
}

static int parse_handshake(struct dtls_dgram *d, struct np_rd *body)
{
	while (np_rd_left(body) > 0) {
		struct dtls_frag f;
		uint8_t t;
		uint16_t seq;
		const uint8_t *frag;
		int err;

		if ((err = np_rd_u8(body, &t)) ||
		    (err = np_rd_u24(body, &f.length)) ||
		    (err = np_rd_u16(body, &seq)) ||
		    (err = np_rd_u24(body, &f.frag_off)) ||
		    (err = np_rd_u24(body, &f.frag_len)) ||
		    (err = np_rd_slice(body, &frag, f.frag_len)))
			return err;
		if (f.frag_len > f.length || f.frag_off > f.length - f.frag_len)
			return NP_EINVAL;
		f.msg_type = t;
		f.msg_seq = seq;
		f.body = frag;
		if (d->nfrag < DTLS_DGRAM_MAX_FRAGS)
			d->frag[d->nfrag++] = f;
		if (t == DTLS_HS_CLIENT_HELLO && f.frag_off == 0 &&
		    f.frag_len == f.length && !d->has_hello_versions) {
			size_t n = 0;

			if (dtls_wire_hello_versions(frag, f.frag_len,
						     &d->hello_legacy,
						     d->hello_versions,
						     DTLS_MAX_VERSIONS, &n) == 0) {
				d->has_hello_versions = 1;
				d->n_hello_versions = (unsigned)n;
			}
		}
	}
	return 0;
}

int dtls_wire_parse(const uint8_t *buf, size_t len, struct dtls_dgram *d)
{
	struct np_rd r;
	int err = 0;

	memset(d, 0, sizeof(*d));
	np_rd_init(&r, buf, len);
	if (len == 0)
		err = NP_ETRUNCATED;
	while (!err && np_rd_left(&r) > 0) {
		size_t at = (size_t)(r.p - buf);
		uint8_t type;
		uint16_t version, epoch, rlen;
		struct np_rd body;

		if (r.p[0] >= 0x20 && r.p[0] <= 0x3F) {
			/* RFC 9147 §4: a unified header (encrypted DTLS 1.3);
			 * its length is optional, so it ends what we read. */
			d->unified++;
			d->records++;
			break;
		}
		if ((err = np_rd_u8(&r, &type)) ||
		    (err = np_rd_u16(&r, &version)) ||
		    (err = np_rd_u16(&r, &epoch)) ||
		    (err = np_rd_skip(&r, 6)) ||
		    (err = np_rd_u16(&r, &rlen)) ||
		    (err = np_rd_child(&r, &body, rlen))) {
			d->bad_at = at;
			break;
		}
		/* RFC 6347 §4.1: versions are 0xFExx; 1.3 keeps 0xFEFD here. */
		if ((version >> 8) != 0xFE || type < 20 || type > 63) {
			err = NP_EINVAL;
			d->bad_at = at;
			break;
		}
		if (d->records++ == 0)
			d->record_version = version;
		if (epoch != 0 && type != DTLS_CT_CHANGE_CIPHER_SPEC) {
			if (type == DTLS_CT_HANDSHAKE)
				d->encrypted_hs++;
			else if (type == DTLS_CT_APPLICATION_DATA)
				d->appdata++;
			else
				d->other++;
			continue;
		}
		switch (type) {
		case DTLS_CT_HANDSHAKE:
			if ((err = parse_handshake(d, &body)))
				d->bad_at = at;
			break;
		case DTLS_CT_CHANGE_CIPHER_SPEC:
			d->ccs++;
			break;
		case DTLS_CT_ALERT: {
			uint8_t level, desc;

			if ((err = np_rd_u8(&body, &level)) ||
			    (err = np_rd_u8(&body, &desc))) {
				d->bad_at = at;
				break;
			}
			d->has_alert = 1;
			d->alert = level << 8 | desc;
			break;
		}
		case DTLS_CT_APPLICATION_DATA:
			d->appdata++;
			break;
		default:
			d->other++;
		}
	}
	d->bad = err;
	return err;
}

static void add(char *buf, size_t len, size_t *off, const char *s)
{
	int n;

	if (*off >= len)
		return;
	n = snprintf(buf + *off, len - *off, "%s%s", *off ? ", " : "", s);
	if (n > 0)
		*off += (size_t)n;
}

void dtls_wire_describe(const struct dtls_dgram *d, char *buf, size_t len)
{
	size_t off = 0;
	char item[96], tmp[32];

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < d->nfrag; i++) {
		const struct dtls_frag *f = &d->frag[i];
		const char *name = dtls_wire_hs_name(f->msg_type, tmp,
						     sizeof(tmp));

		if (f->frag_off == 0 && f->frag_len == f->length)
			snprintf(item, sizeof(item), "%s", name);
		else
			snprintf(item, sizeof(item), "%s(frag %u-%u/%u)", name,
				 f->frag_off, f->frag_off + f->frag_len,
				 f->length);
		add(buf, len, &off, item);
	}
	if (d->ccs)
		add(buf, len, &off, "ChangeCipherSpec");
	if (d->encrypted_hs)
		add(buf, len, &off, "encrypted handshake (Finished)");
	if (d->has_alert) {
		snprintf(item, sizeof(item), "Alert(level %d, %d)",
			 d->alert >> 8, d->alert & 0xFF);
		add(buf, len, &off, item);
	}
	if (d->appdata)
		add(buf, len, &off, "application data");
	if (d->unified)
		add(buf, len, &off, "DTLS 1.3 encrypted record");
	if (d->other)
		add(buf, len, &off, "other records");
}
