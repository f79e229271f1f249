/*
 * mdns_wire.c - the DNS messages of mDNS name resolution (RFC 1035 §4,
 * RFC 6762): a query for A and AAAA, and an answer search that follows
 * compression pointers (§4.1.4) with a hop limit and never reads past the
 * message.
 */
#include "mdns.h"
#include "np_err.h"
#include "np_rd.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define DNS_HEADER 12
#define TYPE_A 1
#define TYPE_AAAA 28
#define CLASS_IN 1
#define MAX_HOPS 16
#define MAX_RECORDS 64

static int put_name(struct np_wr *w, const char *name)
{
	const char *p = name;
	size_t total = 0;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n == 0 || n > 63)
			return NP_EINVAL;
		total += n + 1;
		if (total > MDNS_NAME_MAX + 1)
			return NP_EINVAL;
		if (np_wr_u8(w, (uint8_t)n) < 0 || np_wr_bytes(w, p, n) < 0)
			return NP_ENOSPACE;
		p += n;
		if (*p == '.')
			p++;
	}
	return np_wr_u8(w, 0) < 0 ? NP_ENOSPACE : 0;
}

int mdns_query_encode(uint8_t *buf, size_t cap, const char *name)
{
	struct np_wr w;
	int err;

	if (!name[0])
		return NP_EINVAL;
	np_wr_init(&w, buf, cap);
	/* ID 0, flags 0 (a query), 2 questions, no answers (§18). */
	if (np_wr_u16(&w, 0) < 0 || np_wr_u16(&w, 0) < 0 ||
	    np_wr_u16(&w, 2) < 0 || np_wr_u16(&w, 0) < 0 ||
	    np_wr_u16(&w, 0) < 0 || np_wr_u16(&w, 0) < 0)
		return NP_ENOSPACE;
	for (int q = 0; q < 2; q++) {
		err = put_name(&w, name);
		if (err < 0)
			return err;
		if (np_wr_u16(&w, q ? TYPE_AAAA : TYPE_A) < 0 ||
		    np_wr_u16(&w, CLASS_IN) < 0)
			return NP_ENOSPACE;
	}
	if (w.err)
		return NP_ENOSPACE;
	return (int)w.len;
}

/* Compares the (possibly compressed) name at off in msg with name, case
 * insensitively. Sets *next to the offset after the name as written at
 * off. Returns 1 equal, 0 different, NP_EINVAL malformed. */
static int name_at(const uint8_t *msg, size_t len, size_t off,
		   const char *name, size_t *next)
{
	const char *want = name;
	size_t pos = off, hops = 0;
	int equal = 1, jumped = 0;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return NP_EINVAL;
		l = msg[pos];
		if ((l & 0xC0) == 0xC0) {
			size_t to;

			if (pos + 1 >= len || ++hops > MAX_HOPS)
				return NP_EINVAL;
			to = ((size_t)(l & 0x3F) << 8) | msg[pos + 1];
			/* Pointers go back only: no loops through later
			 * data. */
			if (to >= pos)
				return NP_EINVAL;
			if (!jumped)
				*next = pos + 2;
			jumped = 1;
			pos = to;
			continue;
		}
		if (l & 0xC0)
			return NP_EINVAL;   /* 0x40/0x80 label types */
		if (l == 0) {
			if (!jumped)
				*next = pos + 1;
			return equal && *want == '\0';
		}
		if (l > len - pos - 1)
			return NP_EINVAL;
		if (equal) {
			size_t wl = strcspn(want, ".");

			if (wl != l || strncasecmp(want, (const char *)msg + pos + 1, l))
				equal = 0;
			else
				want += wl + (want[wl] == '.');
		}
		pos += 1 + (size_t)l;
	}
}

int mdns_answer_parse(const uint8_t *buf, size_t len, const char *name,
		      struct sockaddr_storage *addr, char *why, size_t wlen)
{
	size_t off = DNS_HEADER, next = 0;
	uint16_t flags, qd, an, ns, ar;
	unsigned total;
	int eq;

	if (len < DNS_HEADER) {
		snprintf(why, wlen, "%zu bytes: shorter than a DNS header", len);
		return NP_EINVAL;
	}
	flags = np_get16(buf + 2);
	qd = np_get16(buf + 4);
	an = np_get16(buf + 6);
	ns = np_get16(buf + 8);
	ar = np_get16(buf + 10);
	if (!(flags & 0x8000))
		return 0;               /* a query, not an answer */
	for (unsigned i = 0; i < qd; i++) {
		if (name_at(buf, len, off, "", &next) < 0 || next + 4 > len) {
			snprintf(why, wlen, "question %u runs past the message", i);
			return NP_EINVAL;
		}
		off = next + 4;
	}
	total = (unsigned)an + ns + ar;
	if (total > MAX_RECORDS)
		total = MAX_RECORDS;
	for (unsigned i = 0; i < total; i++) {
		uint16_t type, rdlen;

		eq = name_at(buf, len, off, name, &next);
		if (eq < 0 || next + 10 > len) {
			snprintf(why, wlen, "record %u: name or header runs past the message", i);
			return NP_EINVAL;
		}
		type = np_get16(buf + next);
		rdlen = np_get16(buf + next + 8);
		off = next + 10;
		if (rdlen > len - off) {
			snprintf(why, wlen, "record %u: RDLENGTH %u but %zu bytes left",
				 i, rdlen, len - off);
			return NP_EINVAL;
		}
		if (eq == 1 && (np_get16(buf + next + 2) & 0x7FFF) == CLASS_IN) {
			memset(addr, 0, sizeof(*addr));
			if (type == TYPE_A && rdlen == 4) {
				struct sockaddr_in *s4 = (struct sockaddr_in *)addr;

				s4->sin_family = AF_INET;
				memcpy(&s4->sin_addr, buf + off, 4);
				return 1;
			}
			if (type == TYPE_AAAA && rdlen == 16) {
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)addr;

				s6->sin6_family = AF_INET6;
				memcpy(&s6->sin6_addr, buf + off, 16);
				return 1;
			}
		}
		off += rdlen;
	}
	return 0;
}
