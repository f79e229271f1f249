/*
 * portmap_wire.c - the NAT-PMP (RFC 6886 §3) and PCP (RFC 6887 §7, §11)
 * messages a port-mapping client sends and reads, their result codes, and
 * the default gateway from /proc/net/route. Everything read from the
 * gateway goes through the bounded reader (np_rd.h).
 */
#include "portmap.h"
#include "np_err.h"
#include "np_rd.h"
#include "np_tok.h"

#include <netinet/in.h>
#include <string.h>

/* NAT-PMP ------------------------------------------------------------------ */

int natpmp_enc_public(uint8_t *buf, size_t cap, size_t *len)
{
	struct np_wr w;

	np_wr_init(&w, buf, cap);
	np_wr_u8(&w, NATPMP_VERSION);
	np_wr_u8(&w, NATPMP_OP_PUBLIC);
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

/* §3.3: version, opcode, reserved (16), internal port, suggested external
 * port, requested lifetime. */
int natpmp_enc_map(uint8_t *buf, size_t cap, size_t *len, uint8_t opcode,
		   uint16_t internal_port, uint16_t suggested_port,
		   uint32_t lifetime)
{
	struct np_wr w;

	if (opcode != NATPMP_OP_MAP_UDP && opcode != NATPMP_OP_MAP_TCP)
		return NP_EINVAL;
	np_wr_init(&w, buf, cap);
	np_wr_u8(&w, NATPMP_VERSION);
	np_wr_u8(&w, opcode);
	np_wr_u16(&w, 0);
	np_wr_u16(&w, internal_port);
	np_wr_u16(&w, suggested_port);
	np_wr_u32(&w, lifetime);
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

/* §3.2 / §3.3 responses: version, opcode (128 + request), result code,
 * seconds since start of epoch, then the opcode's fields. §3.5: a client
 * must check the version and opcode; longer responses are allowed (future
 * fields), shorter ones are not. An error response may stop after the
 * epoch (RFC 6886 §3.5 says the rest of the reply is then undefined). */
int natpmp_parse(const uint8_t *buf, size_t len, struct natpmp_resp *r)
{
	struct np_rd rd;
	uint8_t ver, op;
	int err;

	memset(r, 0, sizeof(*r));
	np_rd_init(&rd, buf, len);
	if ((err = np_rd_u8(&rd, &ver)) || (err = np_rd_u8(&rd, &op)))
		return err;
	if (ver != NATPMP_VERSION || !(op & NATPMP_OP_RESPONSE))
		return NP_EINVAL;
	r->opcode = (uint8_t)(op & 0x7f);
	if (r->opcode > NATPMP_OP_MAP_TCP)
		return NP_EINVAL;
	if ((err = np_rd_u16(&rd, &r->result)))
		return err;
	if (np_rd_left(&rd) < 4 && r->result != 0)
		return 0;  /* an error with no epoch: still an answer */
	if ((err = np_rd_u32(&rd, &r->epoch)))
		return err;
	if (r->result != 0 && np_rd_left(&rd) == 0)
		return 0;
	if (r->opcode == NATPMP_OP_PUBLIC)
		return np_rd_bytes(&rd, r->public_ip, 4);
	if ((err = np_rd_u16(&rd, &r->internal_port)) ||
	    (err = np_rd_u16(&rd, &r->external_port)) ||
	    (err = np_rd_u32(&rd, &r->lifetime)))
		return err;
	return 0;
}

/* RFC 6886 §3.5. */
const char *natpmp_result_name(unsigned code)
{
	switch (code) {
	case 0: return "Success";
	case 1: return "Unsupported Version";
	case 2: return "Not Authorized/Refused";
	case 3: return "Network Failure";
	case 4: return "Out of resources";
	case 5: return "Unsupported opcode";
	default: return "unknown result code";
	}
}

/* PCP ------------------------------------------------------------------------ */

/* §5: addresses are 128 bits; IPv4 ones as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
static void put_addr(struct np_wr *w, const struct sockaddr_storage *ss)
{
	uint8_t a[16] = { 0 };

	if (ss && ss->ss_family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	} else if (ss && ss->ss_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
	}
	np_wr_bytes(w, a, 16);
}

static int get_addr(struct np_rd *rd, uint16_t port, struct sockaddr_storage *ss)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t a[16];
	int err = np_rd_bytes(rd, a, 16);

	if (err)
		return err;
	memset(ss, 0, sizeof(*ss));
	if (memcmp(a, v4mapped, 12) == 0) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a + 12, 4);
		s4->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		s6->sin6_port = htons(port);
	}
	return 0;
}

/* §7.1 request header, then §11.1 MAP: nonce, protocol, 24 reserved bits,
 * internal port, suggested external port, suggested external address. */
int pcp_enc_map(uint8_t *buf, size_t cap, size_t *len,
		const struct sockaddr_storage *client, uint32_t lifetime,
		const struct pcp_map *m)
{
	struct np_wr w;

	if (!client || (client->ss_family != AF_INET && client->ss_family != AF_INET6))
		return NP_EINVAL;
	np_wr_init(&w, buf, cap);
	np_wr_u8(&w, PCP_VERSION);
	np_wr_u8(&w, PCP_OP_MAP);        /* R = 0: a request */
	np_wr_u16(&w, 0);
	np_wr_u32(&w, lifetime);
	put_addr(&w, client);
	np_wr_bytes(&w, m->nonce, PCP_NONCE_LEN);
	np_wr_u8(&w, m->protocol);
	np_wr_u8(&w, 0);
	np_wr_u16(&w, 0);
	np_wr_u16(&w, m->internal_port);
	np_wr_u16(&w, m->external_port);
	/* §11.1: all zeros (IPv4-mapped 0.0.0.0 for IPv4) = no preference */
	if (m->external.ss_family) {
		put_addr(&w, &m->external);
	} else {
		struct sockaddr_storage any;

		memset(&any, 0, sizeof(any));
		any.ss_family = client->ss_family;
		put_addr(&w, &any);
	}
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

/* §7.2 response header: version, R + opcode, reserved, result code,
 * lifetime, epoch time, 96 reserved bits; §11.1 MAP; §7.3 options. */
int pcp_parse(const uint8_t *buf, size_t len, struct pcp_resp *r)
{
	struct np_rd rd;
	uint8_t ver, op, rsv, result;
	int err;

	memset(r, 0, sizeof(*r));
	/* §8.3: longer than 1100 octets, not a multiple of 4, or shorter
	 * than the header: silently dropped. */
	if (len < 4)
		return NP_ETRUNCATED;
	np_rd_init(&rd, buf, len);
	if ((err = np_rd_u8(&rd, &ver)) || (err = np_rd_u8(&rd, &op)) ||
	    (err = np_rd_u8(&rd, &rsv)) || (err = np_rd_u8(&rd, &result)))
		return err;
	if (ver != PCP_VERSION || !(op & 0x80))
		return NP_EINVAL;
	r->opcode = (uint8_t)(op & 0x7f);
	r->result = result;
	if (len > PCP_MAX_LEN || len % 4)
		return NP_EINVAL;
	if ((err = np_rd_u32(&rd, &r->lifetime)) || (err = np_rd_u32(&rd, &r->epoch)) ||
	    (err = np_rd_skip(&rd, 12)))
		return err;
	if (r->opcode != PCP_OP_MAP)
		return 0;  /* the caller decides; we asked only for MAP */
	if (np_rd_left(&rd) == 0 && r->result != 0)
		return 0;  /* an error with the header only */
	{
		uint8_t proto, pad[3];
		uint16_t iport, eport;

		if ((err = np_rd_bytes(&rd, r->map.nonce, PCP_NONCE_LEN)) ||
		    (err = np_rd_u8(&rd, &proto)) || (err = np_rd_bytes(&rd, pad, 3)) ||
		    (err = np_rd_u16(&rd, &iport)) || (err = np_rd_u16(&rd, &eport)) ||
		    (err = get_addr(&rd, eport, &r->map.external)))
			return err;
		r->map.protocol = proto;
		r->map.internal_port = iport;
		r->map.external_port = eport;
		r->has_map = 1;
	}
	/* §7.3 options: code, reserved, length, data padded to 4. */
	while (np_rd_left(&rd) > 0) {
		uint8_t code, res;
		uint16_t olen;

		if ((err = np_rd_u8(&rd, &code)) || (err = np_rd_u8(&rd, &res)) ||
		    (err = np_rd_u16(&rd, &olen)))
			return err;
		if ((err = np_rd_skip(&rd, ((size_t)olen + 3) & ~(size_t)3)))
			return err;
		r->noptions++;
	}
	return 0;
}

/* RFC 6887 §7.4. */
const char *pcp_result_name(unsigned code)
{
	static const char *const names[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED",
		"MALFORMED_REQUEST", "UNSUPP_OPCODE", "UNSUPP_OPTION",
		"MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES",
		"UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] :
	       "unknown result code";
}

/* /proc/net/route ------------------------------------------------------------- */

/* 1..maxdig hex digits (the kernel prints %08X and %04X). */
static int hexn(struct np_tok t, size_t maxdig, uint32_t *v)
{
	*v = 0;
	if (np_tok_len(t) < 1 || np_tok_len(t) > maxdig)
		return 0;
	for (const char *p = t.p; p < t.end; p++) {
		int d = (*p >= '0' && *p <= '9') ? *p - '0' :
			(*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 :
			(*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;

		if (d < 0)
			return 0;
		*v = *v << 4 | (uint32_t)d;
	}
	return 1;
}

/* Lines "Iface Destination Gateway Flags ..." with the addresses as the
 * kernel's %08X of the network-order word: written back into s_addr on
 * the same host, they are the address again. The first default route
 * (destination and mask 0) that is up and has a gateway wins. */
int portmap_route_gateway(const char *text, size_t len,
			  struct sockaddr_storage *gw)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct np_tok line = { p, nl ? nl : end }, f[8];
		uint32_t dst, gwa, flags, mask;
		int n = 0;

		p = nl ? nl + 1 : end;
		while (n < 8 && np_tok_next(&line, &f[n]))
			n++;
		if (n < 8 || !hexn(f[1], 8, &dst) || !hexn(f[2], 8, &gwa) ||
		    !hexn(f[3], 4, &flags) || !hexn(f[7], 8, &mask))
			continue;
		/* RTF_UP 0x1, RTF_GATEWAY 0x2 */
		if (dst != 0 || mask != 0 || gwa == 0 || (flags & 3) != 3)
			continue;
		memset(gw, 0, sizeof(*gw));
		{
			struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)gw;

			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = gwa;
			s4->sin_port = htons(PORTMAP_SERVER_PORT);
		}
		return 0;
	}
	return NP_ENOTFOUND;
}
