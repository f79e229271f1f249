/*
 * np_rd.h - the one bounded reader for untrusted bytes.
 *
 * Every getter checks what remains before it reads and advances only on
 * success (the shape of picotls's ptls_decode16). A length-prefixed part is
 * read through a child reader bounded by that length, checked against what
 * remains in the parent. Lengths are compared with what remains, never with
 * a total, and by subtraction, so no addition can overflow.
 */
#ifndef NP_RD_H
#define NP_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "np_err.h"

struct np_rd {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void np_rd_init(struct np_rd *r, const void *buf, size_t len)
{
	r->p = buf;
	r->end = r->p + len;
}

static inline size_t np_rd_left(const struct np_rd *r)
{
	return (size_t)(r->end - r->p);
}

static inline int np_rd_u8(struct np_rd *r, uint8_t *v)
{
	if (r->end - r->p < 1)
		return NP_ETRUNCATED;
	*v = r->p[0];
	r->p += 1;
	return 0;
}

static inline int np_rd_u16(struct np_rd *r, uint16_t *v)
{
	if (r->end - r->p < 2)
		return NP_ETRUNCATED;
	*v = (uint16_t)((uint16_t)r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return 0;
}

static inline int np_rd_u24(struct np_rd *r, uint32_t *v)
{
	if (r->end - r->p < 3)
		return NP_ETRUNCATED;
	*v = (uint32_t)r->p[0] << 16 | (uint32_t)r->p[1] << 8 | r->p[2];
	r->p += 3;
	return 0;
}

static inline int np_rd_u32(struct np_rd *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return NP_ETRUNCATED;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return 0;
}

/* Copies n bytes out. */
static inline int np_rd_bytes(struct np_rd *r, void *out, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return NP_ETRUNCATED;
	memcpy(out, r->p, n);
	r->p += n;
	return 0;
}

/* Borrows n bytes: *out points into the input. */
static inline int np_rd_slice(struct np_rd *r, const uint8_t **out, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return NP_ETRUNCATED;
	*out = r->p;
	r->p += n;
	return 0;
}

static inline int np_rd_skip(struct np_rd *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return NP_ETRUNCATED;
	r->p += n;
	return 0;
}

/* Opens a child reader over the next n bytes and advances the parent past
 * them. The caller must use the child up exactly. */
static inline int np_rd_child(struct np_rd *r, struct np_rd *child, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return NP_ETRUNCATED;
	child->p = r->p;
	child->end = r->p + n;
	r->p += n;
	return 0;
}

/*
 * The writer mirrors the reader: every put checks the room left and the
 * first failure sticks, so a chain of puts can be checked once at the end.
 */
struct np_wr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

static inline void np_wr_init(struct np_wr *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

static inline int np_wr_bytes(struct np_wr *w, const void *v, size_t n)
{
	if (w->err)
		return w->err;
	if (w->cap - w->len < n)
		return w->err = NP_ENOSPACE;
	if (n)
		memcpy(w->buf + w->len, v, n);
	w->len += n;
	return 0;
}

static inline int np_wr_u8(struct np_wr *w, uint8_t v)
{
	return np_wr_bytes(w, &v, 1);
}

static inline int np_wr_u16(struct np_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return np_wr_bytes(w, b, 2);
}

static inline int np_wr_u32(struct np_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };
	return np_wr_bytes(w, b, 4);
}

static inline void np_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void np_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t np_get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t np_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

#endif
