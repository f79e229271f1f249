/*
 * stun_codec.c - STUN message decoding, attribute readers and encoding.
 *
 * RFC 8489 §5 (header: two zero bits, class and method interleaved, magic
 * cookie, transaction ID), §14 (attribute layout and 4-byte padding),
 * §14.1-14.2 (MAPPED- and XOR-MAPPED-ADDRESS), §14.5-14.7 (what may follow
 * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT), §14.8-14.9
 * (ERROR-CODE, UNKNOWN-ATTRIBUTES), §14.11 (PASSWORD-ALGORITHMS); RFC 3489
 * §11.1 classic headers without the cookie; RFC 5780 §7 (CHANGE-REQUEST,
 * RESPONSE-PORT); RFC 8656 §18 and RFC 8445 §16.1 attribute sizes.
 *
 * MESSAGE-INTEGRITY, FINGERPRINT and keys are in stun_integrity.c.
 */
#include "stun_codec.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "np_err.h"
#include "np_rd.h"

/*
 * What a known attribute's value must look like. Types not listed here are
 * unknown: below 0x8000 they are comprehension-required (RFC 8489 §14).
 * Lengths follow the RFC that defines each attribute; strings get no upper
 * bound here because a long SOFTWARE is a fact to report, not a reason to
 * drop the message.
 */
enum { LEN_ANY = 0xFFFF };

struct attr_rule {
	uint16_t type;
	uint8_t addr;          /* 1: (XOR-)MAPPED-ADDRESS form, by family */
	uint8_t step;          /* the length is a multiple of this */
	uint16_t min, max;
	const char *name;
};

static const struct attr_rule rules[] = {
	{ STUN_ATTR_MAPPED_ADDRESS, 1, 1, 8, 20, "MAPPED-ADDRESS" },
	{ STUN_ATTR_RESPONSE_ADDRESS, 1, 1, 8, 20, "RESPONSE-ADDRESS" },
	{ STUN_ATTR_CHANGE_REQUEST, 0, 1, 4, 4, "CHANGE-REQUEST" },
	{ STUN_ATTR_SOURCE_ADDRESS, 1, 1, 8, 20, "SOURCE-ADDRESS" },
	{ STUN_ATTR_CHANGED_ADDRESS, 1, 1, 8, 20, "CHANGED-ADDRESS" },
	{ STUN_ATTR_USERNAME, 0, 1, 0, LEN_ANY, "USERNAME" },
	{ STUN_ATTR_MESSAGE_INTEGRITY, 0, 1, 20, 20, "MESSAGE-INTEGRITY" },
	/* §14.8: 21 reserved bits, class, number, then the reason. */
	{ STUN_ATTR_ERROR_CODE, 0, 1, 4, LEN_ANY, "ERROR-CODE" },
	{ STUN_ATTR_UNKNOWN_ATTRIBUTES, 0, 2, 0, LEN_ANY, "UNKNOWN-ATTRIBUTES" },
	{ STUN_ATTR_CHANNEL_NUMBER, 0, 1, 4, 4, "CHANNEL-NUMBER" },
	{ STUN_ATTR_LIFETIME, 0, 1, 4, 4, "LIFETIME" },
	{ STUN_ATTR_XOR_PEER_ADDRESS, 1, 1, 8, 20, "XOR-PEER-ADDRESS" },
	{ STUN_ATTR_DATA, 0, 1, 0, LEN_ANY, "DATA" },
	{ STUN_ATTR_REALM, 0, 1, 0, LEN_ANY, "REALM" },
	{ STUN_ATTR_NONCE, 0, 1, 0, LEN_ANY, "NONCE" },
	{ STUN_ATTR_XOR_RELAYED_ADDRESS, 1, 1, 8, 20, "XOR-RELAYED-ADDRESS" },
	{ STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 0, 1, 4, 4,
	  "REQUESTED-ADDRESS-FAMILY" },
	{ STUN_ATTR_EVEN_PORT, 0, 1, 1, 1, "EVEN-PORT" },
	{ STUN_ATTR_REQUESTED_TRANSPORT, 0, 1, 4, 4, "REQUESTED-TRANSPORT" },
	{ STUN_ATTR_DONT_FRAGMENT, 0, 1, 0, 0, "DONT-FRAGMENT" },
	/* §14.6: "MUST be at least 16 bytes and a multiple of 4", up to 32. */
	{ STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 0, 4, 16, 32,
	  "MESSAGE-INTEGRITY-SHA256" },
	{ STUN_ATTR_PASSWORD_ALGORITHM, 0, 1, 4, LEN_ANY, "PASSWORD-ALGORITHM" },
	{ STUN_ATTR_USERHASH, 0, 1, 32, 32, "USERHASH" },
	{ STUN_ATTR_XOR_MAPPED_ADDRESS, 1, 1, 8, 20, "XOR-MAPPED-ADDRESS" },
	{ STUN_ATTR_RESERVATION_TOKEN, 0, 1, 8, 8, "RESERVATION-TOKEN" },
	{ STUN_ATTR_PRIORITY, 0, 1, 4, 4, "PRIORITY" },
	{ STUN_ATTR_USE_CANDIDATE, 0, 1, 0, 0, "USE-CANDIDATE" },
	{ STUN_ATTR_PADDING, 0, 1, 0, LEN_ANY, "PADDING" },
	{ STUN_ATTR_RESPONSE_PORT, 0, 1, 4, 4, "RESPONSE-PORT" },
	{ STUN_ATTR_CONNECTION_ID, 0, 1, 4, 4, "CONNECTION-ID" },
	{ STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0, 1, 4, 4,
	  "ADDITIONAL-ADDRESS-FAMILY" },
	{ STUN_ATTR_ADDRESS_ERROR_CODE, 0, 1, 4, LEN_ANY, "ADDRESS-ERROR-CODE" },
	/* §14.11: entries of 4 bytes plus parameters padded to 4. */
	{ STUN_ATTR_PASSWORD_ALGORITHMS, 0, 4, 0, LEN_ANY,
	  "PASSWORD-ALGORITHMS" },
	{ STUN_ATTR_ALTERNATE_DOMAIN, 0, 1, 0, LEN_ANY, "ALTERNATE-DOMAIN" },
	{ STUN_ATTR_ICMP, 0, 1, 8, 8, "ICMP" },
	{ STUN_ATTR_SOFTWARE, 0, 1, 0, LEN_ANY, "SOFTWARE" },
	{ STUN_ATTR_ALTERNATE_SERVER, 1, 1, 8, 20, "ALTERNATE-SERVER" },
	{ STUN_ATTR_TRANSACTION_TRANSMIT_COUNTER, 0, 1, 4, 4,
	  "TRANSACTION-TRANSMIT-COUNTER" },
	{ STUN_ATTR_CACHE_TIMEOUT, 0, 1, 4, 4, "CACHE-TIMEOUT" },
	{ STUN_ATTR_FINGERPRINT, 0, 1, 4, 4, "FINGERPRINT" },
	{ STUN_ATTR_ICE_CONTROLLED, 0, 1, 8, 8, "ICE-CONTROLLED" },
	{ STUN_ATTR_ICE_CONTROLLING, 0, 1, 8, 8, "ICE-CONTROLLING" },
	{ STUN_ATTR_RESPONSE_ORIGIN, 1, 1, 8, 20, "RESPONSE-ORIGIN" },
	{ STUN_ATTR_OTHER_ADDRESS, 1, 1, 8, 20, "OTHER-ADDRESS" },
};

/* RFC 8489 §14.1: "0x01:IPv4, 0x02:IPv6". */
enum { FAMILY_IPV4 = 0x01, FAMILY_IPV6 = 0x02 };

static const struct attr_rule *find_rule(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

static int fail(char *detail, size_t cap, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes the detail sentence (when asked for one) and returns err. */
static int fail(char *detail, size_t cap, int err, const char *fmt, ...)
{
	va_list ap;

	if (detail && cap) {
		va_start(ap, fmt);
		vsnprintf(detail, cap, fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * RFC 8489 §5: the 14 bits after the two zero bits are
 * M11..M7 C1 M6..M4 C0 M3..M0.
 */
static uint16_t type_of(uint16_t method, uint8_t cls)
{
	return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 |
			  (method & 0x0F80) << 2 | (cls & 1) << 4 |
			  (cls & 2) << 7);
}

static uint16_t method_of(uint16_t type)
{
	return (uint16_t)((type & 0x000F) | (type & 0x00E0) >> 1 |
			  (type & 0x3E00) >> 2);
}

static uint8_t class_of(uint16_t type)
{
	return (uint8_t)((type >> 4 & 1) | (type >> 7 & 2));
}

int stun_is_stun(const uint8_t *buf, size_t len)
{
	/* RFC 7983 §7: STUN's first byte is 0..3; the cookie tells it apart
	 * from a ZRTP or random payload in the same range. */
	return buf && len >= STUN_HEADER_LEN && buf[0] <= 3 &&
	       np_get32(buf + 4) == STUN_MAGIC_COOKIE;
}

size_t stun_frame_len(const uint8_t *buf, size_t len)
{
	if (!buf || len < 4)
		return 0;
	return STUN_HEADER_LEN + (size_t)np_get16(buf + 2);
}

/* Checks a known attribute's value against its rule. */
static int check_value(const struct attr_rule *rule, const uint8_t *val,
		       uint16_t len, size_t off, char *detail, size_t cap)
{
	if (rule->addr) {
		uint8_t family;

		if (len < 4)
			return fail(detail, cap, NP_ESTUN_BADATTR,
				    "%s at offset %zu has %u bytes; an address needs 8 (IPv4) or 20 (IPv6)",
				    rule->name, off, len);
		/* Reserved byte, then the family. */
		family = val[1];
		if (family != FAMILY_IPV4 && family != FAMILY_IPV6)
			return fail(detail, cap, NP_ESTUN_BADATTR,
				    "%s at offset %zu has address family 0x%02x; only 0x01 (IPv4) and 0x02 (IPv6) exist",
				    rule->name, off, family);
		if (len == (family == FAMILY_IPV4 ? 8 : 20))
			return 0;
		return fail(detail, cap, NP_ESTUN_BADATTR,
			    "%s at offset %zu has %u bytes; family 0x%02x needs %u",
			    rule->name, off, len, family,
			    family == FAMILY_IPV6 ? 20u : 8u);
	}
	if (len >= rule->min && len <= rule->max && len % rule->step == 0)
		return 0;
	if (rule->min == rule->max)
		return fail(detail, cap, NP_ESTUN_BADATTR,
			    "%s at offset %zu has %u bytes; it must have %u",
			    rule->name, off, len, rule->min);
	if (rule->max == LEN_ANY)
		return fail(detail, cap, NP_ESTUN_BADATTR,
			    "%s at offset %zu has %u bytes; it needs at least %u, in multiples of %u",
			    rule->name, off, len, rule->min, rule->step);
	return fail(detail, cap, NP_ESTUN_BADATTR,
		    "%s at offset %zu has %u bytes; it must have %u to %u, in multiples of %u",
		    rule->name, off, len, rule->min, rule->max, rule->step);
}

static void note_unknown(struct stun_msg *m, uint16_t type)
{
	size_t i;
	size_t cap = sizeof(m->unknown) / sizeof(m->unknown[0]);

	for (i = 0; i < m->nunknown; i++)
		if (m->unknown[i] == type)
			return;
	if (m->nunknown < cap)
		m->unknown[m->nunknown++] = type;
}

/*
 * The attribute walk. Each attribute is read through a child reader bounded
 * by its length; the parent then skips the padding, whose values RFC 8489
 * §14 tells receivers to ignore. Because every step consumes a multiple of
 * 4 bytes, a walk that ends cleanly proves the length is a multiple of 4;
 * when it is not, the walk names the defect (an attribute whose padding is
 * missing, or stray bytes too short for an attribute header).
 */
static int decode_attrs(struct np_rd *r, const uint8_t *buf, unsigned flags,
			struct stun_msg *m, char *detail, size_t cap)
{
	int seen_mi = 0, seen_mi256 = 0, seen_fp = 0;
	int unknown = 0;
	size_t unknown_at = 0;
	int rc;

	while (np_rd_left(r) > 0) {
		size_t off = (size_t)(r->p - buf);
		const struct attr_rule *rule;
		struct np_rd val;
		uint16_t type, len;
		size_t pad;

		/* Type and length. */
		if (np_rd_left(r) < 4 || np_rd_u16(r, &type) ||
		    np_rd_u16(r, &len))
			return fail(detail, cap, NP_ESTUN_UNALIGNED,
				    "length %u is not a multiple of 4: %zu bytes at offset %zu cannot hold an attribute header",
				    m->length, np_rd_left(r), off);
		/* Value, then padding to the next multiple of 4. */
		if (np_rd_child(r, &val, len))
			return fail(detail, cap, NP_ESTUN_ATTRLEN,
				    "attribute 0x%04x at offset %zu claims %u bytes, %zu remain",
				    type, off, len, np_rd_left(r));
		pad = (4 - len % 4) % 4;
		if (np_rd_skip(r, pad))
			return fail(detail, cap, NP_ESTUN_BADPAD,
				    "attribute 0x%04x at offset %zu has %u bytes and needs %zu padding bytes, %zu remain",
				    type, off, len, pad, np_rd_left(r));

		/* §14.7: FINGERPRINT is the last attribute. */
		if (seen_fp)
			return fail(detail, cap, NP_ESTUN_AFTER_FP,
				    "attribute 0x%04x at offset %zu follows FINGERPRINT, which must be last",
				    type, off);
		/*
		 * §14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256
		 * and FINGERPRINT count; §14.6: after MESSAGE-INTEGRITY-SHA256
		 * only FINGERPRINT. "Agents MUST ignore all other attributes"
		 * there: they were bounds-checked above and are not stored,
		 * checked or reported as unknown.
		 */
		if (type != STUN_ATTR_FINGERPRINT &&
		    (seen_mi256 ||
		     (seen_mi && type != STUN_ATTR_MESSAGE_INTEGRITY_SHA256))) {
			m->nignored++;
			continue;
		}

		rule = find_rule(type);
		if (rule) {
			rc = check_value(rule, val.p, len, off, detail, cap);
			if (rc)
				return rc;
		} else if (type < 0x8000) {
			if (!unknown++)
				unknown_at = off;
			note_unknown(m, type);
		}

		if (m->nattrs == STUN_MAX_ATTRS)
			return fail(detail, cap, NP_ESTUN_TOOMANY,
				    "attribute 0x%04x at offset %zu would be number %d; we keep at most %d",
				    type, off, STUN_MAX_ATTRS + 1, STUN_MAX_ATTRS);
		m->attrs[m->nattrs].type = type;
		m->attrs[m->nattrs].len = len;
		m->attrs[m->nattrs].val = val.p;
		m->attrs[m->nattrs].off = off;
		m->nattrs++;

		if (type == STUN_ATTR_MESSAGE_INTEGRITY)
			seen_mi = 1;
		else if (type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
			seen_mi256 = 1;
		else if (type == STUN_ATTR_FINGERPRINT)
			seen_fp = 1;
	}

	/* Reported after the walk, so m->unknown lists every one of them. */
	if (unknown && !(flags & STUN_DEC_ALLOW_UNKNOWN))
		return fail(detail, cap, NP_ESTUN_UNKNOWN_REQ,
			    "%zu unknown comprehension-required attribute type(s), the first 0x%04x at offset %zu",
			    m->nunknown, m->unknown[0], unknown_at);
	return 0;
}

int stun_decode(const uint8_t *buf, size_t len, unsigned flags,
		struct stun_msg *m, char *detail, size_t detail_len)
{
	struct np_rd r, attrs;
	uint16_t type, length;
	uint32_t cookie;

	memset(m, 0, sizeof(*m));
	if (detail && detail_len)
		detail[0] = '\0';
	if (!buf)
		len = 0;
	np_rd_init(&r, buf ? buf : (const uint8_t *)"", len);

	/*
	 * Message type (0b00, then class and method interleaved, §5), message
	 * length (the bytes after the header), magic cookie, transaction ID.
	 * RFC 3489 had one 128-bit ID where the cookie and ID are now.
	 */
	if (np_rd_u16(&r, &type) || np_rd_u16(&r, &length) ||
	    np_rd_u32(&r, &cookie) || np_rd_bytes(&r, m->tid, STUN_TID_LEN))
		return fail(detail, detail_len, NP_ESTUN_SHORT,
			    "%zu bytes; a STUN header needs %d", len,
			    STUN_HEADER_LEN);
	memcpy(m->tid3489, buf + 4, sizeof(m->tid3489));
	if (type & 0xC000)
		return fail(detail, detail_len, NP_ENOTSTUN,
			    "first byte 0x%02x has its top two bits set; STUN keeps them zero",
			    buf[0]);
	if (length != np_rd_left(&r))
		return fail(detail, detail_len, NP_ESTUN_BADLEN,
			    "length field says %u bytes follow the header, the datagram has %zu",
			    length, np_rd_left(&r));
	if (cookie != STUN_MAGIC_COOKIE) {
		if (!(flags & STUN_DEC_ALLOW_CLASSIC))
			return fail(detail, detail_len, NP_ENOTSTUN,
				    "magic cookie is 0x%08x, not 0x%08x (an RFC 3489 peer?)",
				    cookie, STUN_MAGIC_COOKIE);
		m->classic = 1;
	}
	m->method = method_of(type);
	m->cls = class_of(type);
	m->length = length;
	m->buf = buf;
	m->len = len;

	if (np_rd_child(&r, &attrs, length))
		return NP_EINTERNAL; /* the length was just compared */
	return decode_attrs(&attrs, buf, flags, m, detail, detail_len);
}

const struct stun_attr *stun_msg_find(const struct stun_msg *m, uint16_t type)
{
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

/*
 * Opens a reader over an attribute's value. A NULL attribute is an absent
 * one, so stun_attr_u32(stun_msg_find(m, type), &v) reads an optional
 * attribute; out is the caller's result pointer.
 */
static int open_value(const struct stun_attr *a, const void *out,
		      struct np_rd *r)
{
	static const uint8_t empty[1];

	if (!a)
		return NP_ENOTFOUND;
	if (!out || (a->len && !a->val))
		return NP_EINVAL;
	np_rd_init(r, a->len ? a->val : empty, a->len);
	return 0;
}

/*
 * MAPPED-ADDRESS (§14.1) and, with a mask, XOR-MAPPED-ADDRESS (§14.2):
 * the port is xored with the top 16 bits of the mask, the address with its
 * first 4 (IPv4) or all 16 (IPv6) bytes.
 */
static int read_addr(const struct stun_attr *a, const uint8_t mask[16],
		     struct sockaddr_storage *out)
{
	struct np_rd r;
	uint8_t reserved, family, ip[16];
	uint16_t port;
	size_t iplen, i;
	int rc = open_value(a, out, &r);

	if (rc)
		return rc;
	/* Reserved (ignored), family, port, address. */
	if (np_rd_u8(&r, &reserved) || np_rd_u8(&r, &family) ||
	    np_rd_u16(&r, &port))
		return NP_ESTUN_BADATTR;
	iplen = family == FAMILY_IPV4 ? 4 : family == FAMILY_IPV6 ? 16 : 0;
	if (!iplen || np_rd_bytes(&r, ip, iplen) || np_rd_left(&r))
		return NP_ESTUN_BADATTR;

	port ^= (uint16_t)(mask[0] << 8 | mask[1]);
	for (i = 0; i < iplen; i++)
		ip[i] ^= mask[i];
	memset(out, 0, sizeof(*out));
	if (family == FAMILY_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, ip, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, ip, 16);
	}
	return 0;
}

int stun_attr_addr(const struct stun_attr *a, struct sockaddr_storage *out)
{
	static const uint8_t zero[16];

	return read_addr(a, zero, out);
}

int stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
		       struct sockaddr_storage *out)
{
	/* tid3489 is cookie + transaction ID, or the whole classic ID. */
	if (!m)
		return a ? NP_EINVAL : NP_ENOTFOUND;
	return read_addr(a, m->tid3489, out);
}

int stun_attr_u32(const struct stun_attr *a, uint32_t *v)
{
	struct np_rd r;
	int rc = open_value(a, v, &r);

	if (rc)
		return rc;
	if (np_rd_u32(&r, v) || np_rd_left(&r))
		return NP_ESTUN_BADATTR;
	return 0;
}

int stun_attr_u64(const struct stun_attr *a, uint64_t *v)
{
	struct np_rd r;
	uint32_t hi, lo;
	int rc = open_value(a, v, &r);

	if (rc)
		return rc;
	if (np_rd_u32(&r, &hi) || np_rd_u32(&r, &lo) || np_rd_left(&r))
		return NP_ESTUN_BADATTR;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int stun_attr_error(const struct stun_attr *a, int *code, const char **reason,
		    size_t *reason_len)
{
	struct np_rd r;
	uint16_t reserved;
	uint8_t cls, number;
	int rc = open_value(a, code, &r);

	if (rc)
		return rc;
	if (!reason || !reason_len)
		return NP_EINVAL;
	/* Reserved (receivers ignore it), class (3 bits), number, reason. */
	if (np_rd_u16(&r, &reserved) || np_rd_u8(&r, &cls) ||
	    np_rd_u8(&r, &number))
		return NP_ESTUN_BADATTR;
	cls &= 0x07;
	/* §14.8: "the Class MUST be between 3 and 6", the number 0..99. */
	if (cls < 3 || cls > 6 || number > 99)
		return NP_ESTUN_BADATTR;
	*code = cls * 100 + number;
	*reason = (const char *)r.p;
	*reason_len = np_rd_left(&r);
	return 0;
}

int stun_attr_unknown(const struct stun_attr *a, uint16_t *types, size_t max,
		      size_t *n)
{
	struct np_rd r;
	uint16_t t;
	int rc = open_value(a, n, &r);

	if (rc)
		return rc;
	if (max && !types)
		return NP_EINVAL;
	*n = 0;
	if (np_rd_left(&r) % 2)
		return NP_ESTUN_BADATTR;
	while (np_rd_u16(&r, &t) == 0)
		if (*n < max)
			types[(*n)++] = t;
	return 0;
}

int stun_attr_change_request(const struct stun_attr *a, uint32_t *flags)
{
	return stun_attr_u32(a, flags);
}

int stun_attr_response_port(const struct stun_attr *a, uint16_t *port)
{
	struct np_rd r;
	uint16_t padding;
	int rc = open_value(a, port, &r);

	if (rc)
		return rc;
	/* Port, then 16 bits that RFC 5780 §7.5 calls padding. */
	if (np_rd_u16(&r, port) || np_rd_u16(&r, &padding) || np_rd_left(&r))
		return NP_ESTUN_BADATTR;
	return 0;
}

int stun_attr_password_algorithms(const struct stun_attr *a, uint16_t *algs,
				  size_t max, size_t *n)
{
	struct np_rd r, params;
	uint16_t alg, plen;
	int rc = open_value(a, n, &r);

	if (rc)
		return rc;
	if (max && !algs)
		return NP_EINVAL;
	*n = 0;
	/* §14.11: algorithm, parameters length, parameters padded to 4. The
	 * whole list is checked even past max. */
	while (np_rd_left(&r) > 0) {
		if (np_rd_u16(&r, &alg) || np_rd_u16(&r, &plen) ||
		    np_rd_child(&r, &params, plen) ||
		    np_rd_skip(&r, (4 - plen % 4) % 4))
			return NP_ESTUN_BADATTR;
		if (*n < max)
			algs[(*n)++] = alg;
	}
	return 0;
}

/*
 * Encoding. attr_open is the one place that checks room: it writes the
 * attribute header and padding, advances, keeps the header length current
 * and returns where the value goes.
 */
static uint8_t *attr_open(struct stun_enc *w, uint16_t type, size_t len)
{
	size_t pad = (4 - len % 4) % 4;
	uint8_t *v;

	if (w->err)
		return NULL;
	if (len > 0xFFFF) {
		w->err = NP_EINVAL;
		return NULL;
	}
	/* Room in the buffer, and in the 16-bit length field. */
	if (w->cap - w->len < 4 + len + pad ||
	    0xFFFF - (w->len - STUN_HEADER_LEN) < 4 + len + pad) {
		w->err = NP_ENOSPACE;
		return NULL;
	}
	np_put16(w->buf + w->len, type);
	np_put16(w->buf + w->len + 2, (uint16_t)len);
	v = w->buf + w->len + 4;
	memset(v + len, w->pad, pad);
	w->len += 4 + len + pad;
	np_put16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
	return v;
}

int stun_enc_begin(struct stun_enc *w, uint8_t *buf, size_t cap,
		   uint16_t method, uint8_t cls, const uint8_t tid[STUN_TID_LEN])
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = 0;
	w->pad = 0;
	if (method > 0x0FFF || cls > STUN_ERROR || !tid)
		return w->err = NP_EINVAL;
	memcpy(w->tid, tid, STUN_TID_LEN);
	if (w->cap < STUN_HEADER_LEN)
		return w->err = NP_ENOSPACE;
	np_put16(buf, type_of(method, cls));
	np_put16(buf + 2, 0);
	np_put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	w->len = STUN_HEADER_LEN;
	return 0;
}

int stun_enc_attr(struct stun_enc *w, uint16_t type, const void *val,
		  size_t len)
{
	uint8_t *v;

	if (len && !val && !w->err)
		w->err = NP_EINVAL;
	v = attr_open(w, type, len);
	if (!v)
		return w->err;
	if (len)
		memcpy(v, val, len);
	return 0;
}

int stun_enc_u32(struct stun_enc *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	np_put32(b, v);
	return stun_enc_attr(w, type, b, sizeof(b));
}

int stun_enc_u64(struct stun_enc *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	np_put32(b, (uint32_t)(v >> 32));
	np_put32(b + 4, (uint32_t)v);
	return stun_enc_attr(w, type, b, sizeof(b));
}

int stun_enc_str(struct stun_enc *w, uint16_t type, const char *s)
{
	if (!s && !w->err)
		w->err = NP_EINVAL;
	return stun_enc_attr(w, type, s, s ? strlen(s) : 0);
}

/* Writes the (XOR-)MAPPED-ADDRESS form with a mask, as read_addr reads it. */
static int enc_addr(struct stun_enc *w, uint16_t type,
		    const struct sockaddr *sa, const uint8_t mask[16])
{
	uint8_t ip[16], *v;
	uint16_t port;
	size_t iplen, i;

	if (!sa) {
		if (!w->err)
			w->err = NP_EINVAL;
		return w->err;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		iplen = 4;
		port = ntohs(sin->sin_port);
		memcpy(ip, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
			(const struct sockaddr_in6 *)sa;

		iplen = 16;
		port = ntohs(sin6->sin6_port);
		memcpy(ip, &sin6->sin6_addr, 16);
	} else {
		if (!w->err)
			w->err = NP_EINVAL;
		return w->err;
	}
	v = attr_open(w, type, 4 + iplen);
	if (!v)
		return w->err;
	v[0] = 0;
	v[1] = iplen == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
	np_put16(v + 2, (uint16_t)(port ^ (mask[0] << 8 | mask[1])));
	for (i = 0; i < iplen; i++)
		v[4 + i] = ip[i] ^ mask[i];
	return 0;
}

int stun_enc_addr(struct stun_enc *w, uint16_t type,
		  const struct sockaddr *sa)
{
	static const uint8_t zero[16];

	return enc_addr(w, type, sa, zero);
}

int stun_enc_xor_addr(struct stun_enc *w, uint16_t type,
		      const struct sockaddr *sa)
{
	uint8_t mask[16];

	np_put32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, w->tid, STUN_TID_LEN);
	return enc_addr(w, type, sa, mask);
}

int stun_enc_error(struct stun_enc *w, int code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	uint8_t *v;

	if ((code < 300 || code > 699) && !w->err)
		w->err = NP_EINVAL;
	v = attr_open(w, STUN_ATTR_ERROR_CODE, 4 + rlen);
	if (!v)
		return w->err;
	v[0] = 0;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	if (rlen)
		memcpy(v + 4, reason, rlen);
	return 0;
}

int stun_enc_unknown(struct stun_enc *w, const uint16_t *types, size_t n)
{
	uint8_t *v;
	size_t i;

	if (n && !types && !w->err)
		w->err = NP_EINVAL;
	if (n > 0xFFFF / 2 && !w->err)
		w->err = NP_ENOSPACE;
	v = attr_open(w, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
	if (!v)
		return w->err;
	for (i = 0; i < n; i++)
		np_put16(v + 2 * i, types[i]);
	return 0;
}

int stun_enc_change_request(struct stun_enc *w, uint32_t flags)
{
	return stun_enc_u32(w, STUN_ATTR_CHANGE_REQUEST, flags);
}

int stun_enc_response_port(struct stun_enc *w, uint16_t port)
{
	return stun_enc_u32(w, STUN_ATTR_RESPONSE_PORT, (uint32_t)port << 16);
}

int stun_enc_end(struct stun_enc *w, size_t *len)
{
	if (w->err)
		return w->err;
	if (len)
		*len = w->len;
	return 0;
}

const char *stun_method_name(uint16_t method)
{
	switch (method) {
	case STUN_BINDING: return "Binding";
	case TURN_ALLOCATE: return "Allocate";
	case TURN_REFRESH: return "Refresh";
	case TURN_SEND: return "Send";
	case TURN_DATA: return "Data";
	case TURN_CREATE_PERMISSION: return "CreatePermission";
	case TURN_CHANNEL_BIND: return "ChannelBind";
	case TURN_CONNECT: return "Connect";
	case TURN_CONNECTION_BIND: return "ConnectionBind";
	case TURN_CONNECTION_ATTEMPT: return "ConnectionAttempt";
	default: return "unknown method";
	}
}

const char *stun_class_name(uint8_t cls)
{
	switch (cls) {
	case STUN_REQUEST: return "request";
	case STUN_INDICATION: return "indication";
	case STUN_SUCCESS: return "success response";
	case STUN_ERROR: return "error response";
	default: return "unknown class";
	}
}

const char *stun_attr_name(uint16_t type, char *buf, size_t len)
{
	const struct attr_rule *rule = find_rule(type);

	if (rule)
		return rule->name;
	if (!buf || !len)
		return "unknown attribute";
	snprintf(buf, len, "0x%04x", type);
	return buf;
}
