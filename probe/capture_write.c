/*
 * capture_write.c - the pcapng writer (draft-ietf-opsawg-pcapng §4.1 SHB,
 * §4.2 IDB, §4.3 EPB). See capture_write.h.
 *
 * Every block is: block type (32), block total length (32), body padded to
 * 32 bits, block total length again. Options are code (16), length (16),
 * value padded to 32 bits, and a list ends with opt_endofopt.
 */
#include "capture_write.h"
#include "np_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct capture_writer {
	int fd;
	int err;                 /* first error, sticky */
	uint64_t count;
	uint32_t nifaces;
	uint32_t snaplen[CAPTURE_WRITE_MAX_IFACES];
	size_t used;
	uint8_t buf[CAPTURE_WRITE_BUF];
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Bytes an option with an n-byte value takes. */
static size_t opt_size(size_t n)
{
	return 4 + pad4(n);
}

static void put16(uint8_t **p, uint16_t v)
{
	memcpy(*p, &v, 2);
	*p += 2;
}

static void put32(uint8_t **p, uint32_t v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

static void put_bytes(uint8_t **p, const void *v, size_t n)
{
	size_t padded = pad4(n);

	if (n)
		memcpy(*p, v, n);
	memset(*p + n, 0, padded - n);
	*p += padded;
}

static void put_opt(uint8_t **p, uint16_t code, const void *v, size_t n)
{
	put16(p, code);
	put16(p, (uint16_t)n);
	put_bytes(p, v, n);
}

static int flush_buf(struct capture_writer *w)
{
	size_t off = 0;

	while (off < w->used) {
		ssize_t r = write(w->fd, w->buf + off, w->used - off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->err = -errno;
			return w->err;
		}
		off += (size_t)r;
	}
	w->used = 0;
	return 0;
}

/* Room for a block of n bytes at the end of the buffer, flushing first if
 * needed; NULL (with w->err set) when it cannot be had. */
static uint8_t *reserve(struct capture_writer *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > sizeof(w->buf)) {
		w->err = NP_ENOSPACE;
		return NULL;
	}
	if (n > sizeof(w->buf) - w->used && flush_buf(w) < 0)
		return NULL;
	return w->buf + w->used;
}

/* Options are text values; a length field is 16 bits. */
static size_t text_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0xFFF0 ? 0xFFF0 : n;
}

int capture_writer_open(const char *path, const char *comment,
			struct capture_writer **out)
{
	static const char appl[] = "natprobe";
	struct capture_writer *w;
	size_t clen = text_len(comment), total;
	uint8_t *p;
	int err;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NP_ENOMEM;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = -errno;
		free(w);
		return err;
	}
	/* SHB: type, length, byte-order magic, version 1.0, section length
	 * -1 (not known in advance), options, length. */
	total = 4 + 4 + 4 + 2 + 2 + 8 + opt_size(sizeof(appl) - 1) +
		(clen ? opt_size(clen) : 0) + 4 + 4;
	p = reserve(w, total);
	if (!p) {
		err = w->err;
		goto fail;
	}
	put32(&p, PCAPNG_BT_SHB);
	put32(&p, (uint32_t)total);
	put32(&p, PCAPNG_BYTE_ORDER_MAGIC);
	put16(&p, 1);
	put16(&p, 0);
	put32(&p, 0xFFFFFFFFu);
	put32(&p, 0xFFFFFFFFu);
	put_opt(&p, PCAPNG_SHB_USERAPPL, appl, sizeof(appl) - 1);
	if (clen)
		put_opt(&p, PCAPNG_OPT_COMMENT, comment, clen);
	put_opt(&p, PCAPNG_OPT_ENDOFOPT, NULL, 0);
	put32(&p, (uint32_t)total);
	w->used += total;
	*out = w;
	return 0;
fail:
	close(w->fd);
	free(w);
	return err;
}

int capture_writer_add_iface(struct capture_writer *w, int linktype,
			     uint32_t snaplen, const char *name,
			     uint32_t *if_id)
{
	/* if_tsresol: 6 means 10^-6 s, the timestamps we write. */
	static const uint8_t tsresol = 6;
	size_t nlen = text_len(name), total;
	uint8_t *p;

	if (w->nifaces == CAPTURE_WRITE_MAX_IFACES)
		return NP_EFULL;
	if (linktype < 0 || linktype > 0xFFFF || snaplen == 0)
		return NP_EINVAL;
	total = 4 + 4 + 2 + 2 + 4 + (nlen ? opt_size(nlen) : 0) +
		opt_size(1) + 4 + 4;
	p = reserve(w, total);
	if (!p)
		return w->err;
	put32(&p, PCAPNG_BT_IDB);
	put32(&p, (uint32_t)total);
	put16(&p, (uint16_t)linktype);
	put16(&p, 0);
	put32(&p, snaplen);
	if (nlen)
		put_opt(&p, PCAPNG_IF_NAME, name, nlen);
	put_opt(&p, PCAPNG_IF_TSRESOL, &tsresol, 1);
	put_opt(&p, PCAPNG_OPT_ENDOFOPT, NULL, 0);
	put32(&p, (uint32_t)total);
	w->used += total;
	w->snaplen[w->nifaces] = snaplen;
	*if_id = w->nifaces++;
	return 0;
}

int capture_writer_packet(struct capture_writer *w, uint32_t if_id,
			  uint64_t t_us, const uint8_t *data, uint32_t caplen,
			  uint32_t len)
{
	size_t total;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (if_id >= w->nifaces || caplen > len)
		return NP_EINVAL;
	if (caplen > w->snaplen[if_id])
		caplen = w->snaplen[if_id];
	/* EPB: interface id, timestamp high and low 32 bits, captured and
	 * original lengths, data padded to 32 bits, no options. */
	total = 4 + 4 + 4 + 4 + 4 + 4 + 4 + pad4(caplen) + 4;
	p = reserve(w, total);
	if (!p)
		return w->err;
	put32(&p, PCAPNG_BT_EPB);
	put32(&p, (uint32_t)total);
	put32(&p, if_id);
	put32(&p, (uint32_t)(t_us >> 32));
	put32(&p, (uint32_t)t_us);
	put32(&p, caplen);
	put32(&p, len);
	put_bytes(&p, data, caplen);
	put32(&p, (uint32_t)total);
	w->used += total;
	w->count++;
	return 0;
}

int capture_writer_flush(struct capture_writer *w)
{
	if (w->err)
		return w->err;
	return flush_buf(w);
}

uint64_t capture_writer_count(const struct capture_writer *w)
{
	return w->count;
}

int capture_writer_close(struct capture_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = capture_writer_flush(w);
	if (close(w->fd) < 0 && err == 0)
		err = -errno;
	free(w);
	return err;
}
