/*
 * capture_read.c - pcap and pcapng files through the bounded reader.
 *
 * Classic pcap: a 24-byte global header (magic 0xa1b2c3d4 for µs or
 * 0xa1b23c4d for ns, in the writer's byte order), then records of 16 bytes
 * (ts_sec, ts_frac, incl_len, orig_len) and incl_len bytes.
 * pcapng: blocks of type, total length, body, total length again; the
 * Section Header Block's byte-order magic 0x1A2B3C4D sets the byte order,
 * Interface Description Blocks give each interface's link type and
 * if_tsresol, Enhanced/Simple/obsolete Packet Blocks carry packets.
 */
#include "capture_read.h"
#include "map_guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_PB 0x00000002u   /* obsolete Packet Block */
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_OPT_TSRESOL 9

static uint32_t swap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

static int rd32(struct capture_file *cf, struct np_rd *r, uint32_t *v)
{
	int err = np_rd_u32(r, v);

	if (!err && cf->le)
		*v = swap32(*v);
	return err;
}

static int rd16(struct capture_file *cf, struct np_rd *r, uint16_t *v)
{
	int err = np_rd_u16(r, v);

	if (!err && cf->le)
		*v = (uint16_t)(*v >> 8 | *v << 8);
	return err;
}

static size_t off(const struct capture_file *cf, const uint8_t *p)
{
	return (size_t)(p - cf->base);
}

const char *capture_linktype_name(int lt, char *buf, size_t len)
{
	switch (lt) {
	case CAP_LINKTYPE_NULL: return "NULL (BSD loopback)";
	case CAP_LINKTYPE_ETHERNET: return "EN10MB (Ethernet)";
	case CAP_LINKTYPE_RAW: case CAP_DLT_RAW_ALT1: case CAP_DLT_RAW_ALT2:
		return "RAW (raw IP)";
	case CAP_LINKTYPE_LOOP: return "LOOP (OpenBSD loopback)";
	case CAP_LINKTYPE_LINUX_SLL: return "LINUX_SLL (Linux cooked v1)";
	case CAP_LINKTYPE_IPV4: return "IPV4 (raw IPv4)";
	case CAP_LINKTYPE_IPV6: return "IPV6 (raw IPv6)";
	case CAP_LINKTYPE_LINUX_SLL2: return "LINUX_SLL2 (Linux cooked v2)";
	}
	snprintf(buf, len, "linktype %d", lt);
	return buf;
}

int capture_linktype_supported(int lt)
{
	switch (lt) {
	case CAP_LINKTYPE_NULL: case CAP_LINKTYPE_ETHERNET: case CAP_LINKTYPE_RAW:
	case CAP_DLT_RAW_ALT1: case CAP_DLT_RAW_ALT2: case CAP_LINKTYPE_LOOP:
	case CAP_LINKTYPE_LINUX_SLL: case CAP_LINKTYPE_IPV4: case CAP_LINKTYPE_IPV6:
	case CAP_LINKTYPE_LINUX_SLL2:
		return 1;
	}
	return 0;
}

static int unsupported(int lt, char *detail, size_t dlen)
{
	char b[32];

	snprintf(detail, dlen, "unsupported link type %s; natprobe reads "
		 "Ethernet, Linux cooked v1/v2, raw IP and loopback captures",
		 capture_linktype_name(lt, b, sizeof(b)));
	return NP_ENOTFOUND;
}

static int open_pcap(struct capture_file *cf, uint32_t magic, char *detail,
		     size_t dlen)
{
	uint32_t v32, snaplen, network;
	uint16_t major, minor;

	cf->le = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	cf->tsdiv = (magic == 0xa1b23c4du || magic == 0x4d3cb2a1u) ?
		    1000000000u : 1000000u;
	/* version major, minor, thiszone, sigfigs, snaplen, network */
	if (rd16(cf, &cf->rd, &major) || rd16(cf, &cf->rd, &minor) ||
	    rd32(cf, &cf->rd, &v32) || rd32(cf, &cf->rd, &v32) ||
	    rd32(cf, &cf->rd, &snaplen) || rd32(cf, &cf->rd, &network)) {
		snprintf(detail, dlen, "pcap global header cut short (%zu bytes)",
			 off(cf, cf->rd.end));
		return NP_ETRUNCATED;
	}
	if (major != 2) {
		snprintf(detail, dlen, "pcap version %u.%u, expected 2.x", major, minor);
		return NP_EINVAL;
	}
	/* The top bits may carry FCS information (pcap-linktype(7)). */
	cf->linktype = (int)(network & 0x03FFFFFFu);
	if (!capture_linktype_supported(cf->linktype))
		return unsupported(cf->linktype, detail, dlen);
	return 0;
}

int capture_open_mem(struct capture_file *cf, const uint8_t *buf, size_t len,
		     char *detail, size_t dlen)
{
	uint32_t magic;

	memset(cf, 0, sizeof(*cf));
	cf->fd = -1;
	np_rd_init(&cf->rd, buf, len);
	cf->base = buf;
	if (np_rd_u32(&cf->rd, &magic)) {
		snprintf(detail, dlen, "%zu bytes: too short for a capture header", len);
		return NP_ETRUNCATED;
	}
	switch (magic) {
	case 0xa1b2c3d4u: case 0xd4c3b2a1u: case 0xa1b23c4du: case 0x4d3cb2a1u:
		return open_pcap(cf, magic, detail, dlen);
	case PCAPNG_SHB:
		cf->pcapng = 1;
		cf->rd.p = buf;   /* the SHB is read as the first block */
		return 0;
	}
	snprintf(detail, dlen, "not a pcap or pcapng file (magic 0x%08x)", magic);
	return NP_EINVAL;
}

/* The file is mapped, not copied: the kernel pages it in as the walk
 * reaches it (read-ahead, MADV_SEQUENTIAL) and capture_next() drops what
 * lies behind the cursor, so memory stays flat whatever the file's size. */
#define CAP_WINDOW (4u << 20)
#define CAP_PREFETCH 2048

/* Maps a window's pages in one call instead of one fault at a time
 * (Linux 5.14); elsewhere, or when refused, the faults do it. */
static void populate(const struct capture_file *cf, size_t k)
{
#ifdef MADV_POPULATE_READ
	size_t len = (size_t)(cf->rd.end - cf->base), from = k * CAP_WINDOW;

	if (from < len)
		(void)madvise(cf->owned + from, len - from < CAP_WINDOW ?
			      len - from : CAP_WINDOW, MADV_POPULATE_READ);
#else
	(void)cf;
	(void)k;
#endif
}

int capture_open(struct capture_file *cf, const char *path, char *detail,
		 size_t dlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	memset(cf, 0, sizeof(*cf));
	if (fd < 0) {
		err = -errno;
		snprintf(detail, dlen, "cannot open %s: %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > CAP_MAX_FILE) {
		snprintf(detail, dlen, "%s: not a regular file under 1 GiB", path);
		err = NP_EINVAL;
		goto out;
	}
	len = (size_t)st.st_size;
	if (len == 0) {
		static const uint8_t empty[1];

		err = capture_open_mem(cf, empty, 0, detail, dlen);
		goto out;
	}
	buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (buf == MAP_FAILED) {
		err = -errno;
		snprintf(detail, dlen, "reading %s: %s", path, strerror(errno));
		buf = NULL;
		goto out;
	}
	(void)madvise(buf, len, MADV_SEQUENTIAL);
	err = capture_open_mem(cf, buf, len, detail, dlen);
	if (err == 0) {
		cf->owned = buf;
		cf->guard = map_guard_add(buf, len);
		cf->fd = fd;
		cf->maplen = len;
		fd = -1;
		buf = NULL;
		populate(cf, 0);
		populate(cf, 1);
	}
out:
	if (buf)
		munmap(buf, len);
	if (fd >= 0)
		close(fd);
	return err;
}

void capture_close(struct capture_file *cf)
{
	if (!cf)
		return;
	map_guard_del(cf->guard);
	cf->guard = 0;
	if (cf->fd >= 0)
		close(cf->fd);
	cf->fd = -1;
	if (cf->owned)
		munmap(cf->owned, (size_t)(cf->rd.end - cf->base));
	cf->owned = NULL;
}

/* Gives the mapped pages the walk has passed back to the kernel when the
 * cursor crosses into a new CAP_WINDOW (keeping the window before it), so
 * resident memory stays near two windows plus read-ahead. */
static void release_behind(struct capture_file *cf, const uint8_t *before)
{
	size_t k0 = (size_t)(before - cf->base) / CAP_WINDOW,
	       k1 = (size_t)(cf->rd.p - cf->base) / CAP_WINDOW;

	if (!cf->owned || k1 == k0)
		return;
	populate(cf, k1 + 1);
	if (k1 < 2)
		return;
	k0 = k0 ? k0 - 1 : 0;
	(void)madvise(cf->owned + k0 * CAP_WINDOW, (k1 - 1 - k0) * CAP_WINDOW,
		      MADV_DONTNEED);
}

static int next_pcap(struct capture_file *cf, struct capture_pkt *pkt,
		     char *detail, size_t dlen)
{
	const uint8_t *at = cf->rd.p;
	uint32_t sec, frac, incl, orig;

	if (np_rd_left(&cf->rd) == 0)
		return 0;
	if (rd32(cf, &cf->rd, &sec) || rd32(cf, &cf->rd, &frac) ||
	    rd32(cf, &cf->rd, &incl) || rd32(cf, &cf->rd, &orig)) {
		snprintf(detail, dlen, "record header at offset %zu cut short: "
			 "%zu of 16 bytes", off(cf, at), (size_t)(cf->rd.end - at));
		cf->rd.p = cf->rd.end;
		return NP_ETRUNCATED;
	}
	if (incl > CAP_MAX_RECORD) {
		snprintf(detail, dlen, "record at offset %zu claims %u bytes "
			 "(more than %u): corrupt", off(cf, at), incl, CAP_MAX_RECORD);
		cf->rd.p = cf->rd.end;
		return NP_EINVAL;
	}
	if (np_rd_slice(&cf->rd, &pkt->data, incl)) {
		snprintf(detail, dlen, "record at offset %zu claims %u bytes, "
			 "%zu remain in the file", off(cf, at), incl,
			 np_rd_left(&cf->rd));
		cf->rd.p = cf->rd.end;
		return NP_ETRUNCATED;
	}
	pkt->caplen = incl;
	pkt->len = orig < incl ? incl : orig;
	pkt->linktype = cf->linktype;
	pkt->t_us = (uint64_t)sec * 1000000u +
		    (cf->tsdiv == 1000000u ? frac : frac / 1000u);
	return 1;
}

/* SHB body after the block type and length: byte-order magic, version,
 * section length, options (ignored). */
static int read_shb(struct capture_file *cf, struct np_rd *body, char *detail,
		    size_t dlen)
{
	uint32_t bom;

	if (np_rd_u32(body, &bom) || (bom != PCAPNG_BOM && bom != swap32(PCAPNG_BOM))) {
		snprintf(detail, dlen, "pcapng section header without byte-order magic");
		return NP_EINVAL;
	}
	cf->nifaces = 0;   /* interface ids are per section */
	return 0;
}

static uint64_t tsresol_div(uint8_t v)
{
	uint64_t d = 1;
	unsigned e = v & 0x7f;

	if (e > 19)        /* beyond 64 bits: treat as 1e19-ish, clamp */
		e = 19;
	for (unsigned i = 0; i < e; i++)
		d *= (v & 0x80) ? 2 : 10;
	return d ? d : 1;
}

static int read_idb(struct capture_file *cf, struct np_rd *body, char *detail,
		    size_t dlen)
{
	uint16_t lt, reserved, code, olen;
	uint32_t snaplen;
	struct capture_iface *ifc;

	if (rd16(cf, body, &lt) || rd16(cf, body, &reserved) ||
	    rd32(cf, body, &snaplen)) {
		snprintf(detail, dlen, "pcapng interface block cut short");
		return NP_ETRUNCATED;
	}
	if (!capture_linktype_supported(lt))
		return unsupported(lt, detail, dlen);
	if (cf->nifaces == CAP_MAX_IFACES) {
		snprintf(detail, dlen, "more than %d interfaces", CAP_MAX_IFACES);
		return NP_EINVAL;
	}
	ifc = &cf->ifaces[cf->nifaces++];
	ifc->linktype = lt;
	ifc->tsdiv = 1000000u;
	/* Options: code, length, value padded to 4; a bad one ends the list. */
	while (rd16(cf, body, &code) == 0 && rd16(cf, body, &olen) == 0 && code) {
		struct np_rd val;
		uint8_t res;

		if (np_rd_child(body, &val, olen) || np_rd_skip(body, (4 - olen % 4) % 4))
			break;
		if (code == PCAPNG_OPT_TSRESOL && np_rd_u8(&val, &res) == 0)
			ifc->tsdiv = tsresol_div(res);
	}
	return 0;
}

static int read_pkt_block(struct capture_file *cf, uint32_t type,
			  struct np_rd *body, struct capture_pkt *pkt,
			  size_t block_off, char *detail, size_t dlen)
{
	uint32_t ifid = 0, hi = 0, lo = 0, caplen, len;
	uint16_t id16, drops;
	const struct capture_iface *ifc;
	int bad;

	if (type == PCAPNG_SPB) {
		bad = rd32(cf, body, &len);
		caplen = len < np_rd_left(body) ? len : (uint32_t)np_rd_left(body);
	} else if (type == PCAPNG_PB) {
		bad = rd16(cf, body, &id16) || rd16(cf, body, &drops) ||
		      rd32(cf, body, &hi) || rd32(cf, body, &lo) ||
		      rd32(cf, body, &caplen) || rd32(cf, body, &len);
		ifid = id16;
	} else {
		bad = rd32(cf, body, &ifid) || rd32(cf, body, &hi) ||
		      rd32(cf, body, &lo) || rd32(cf, body, &caplen) ||
		      rd32(cf, body, &len);
	}
	if (bad) {
		snprintf(detail, dlen, "packet block at offset %zu cut short", block_off);
		return NP_ETRUNCATED;
	}
	if (ifid >= cf->nifaces) {
		snprintf(detail, dlen, "packet block at offset %zu names interface %u, "
			 "%zu described", block_off, ifid, cf->nifaces);
		return NP_EINVAL;
	}
	if (caplen > CAP_MAX_RECORD || np_rd_slice(body, &pkt->data, caplen)) {
		snprintf(detail, dlen, "packet block at offset %zu claims %u captured "
			 "bytes, %zu in the block", block_off, caplen, np_rd_left(body));
		return NP_EINVAL;
	}
	ifc = &cf->ifaces[ifid];
	pkt->caplen = caplen;
	pkt->len = len < caplen ? caplen : len;
	pkt->linktype = ifc->linktype;
	/* ticks * 1e6 / ticks-per-second, in 128 bits: no overflow, and
	 * exact for binary resolutions too */
	pkt->t_us = (uint64_t)(((unsigned __int128)((uint64_t)hi << 32 | lo) *
				1000000u) / ifc->tsdiv);
	return 1;
}

static int next_pcapng(struct capture_file *cf, struct capture_pkt *pkt,
		       char *detail, size_t dlen)
{
	for (;;) {
		const uint8_t *at = cf->rd.p;
		uint32_t type, total, trailer;
		struct np_rd body;
		int err = 0;

		if (np_rd_left(&cf->rd) == 0)
			return 0;
		if (np_rd_u32(&cf->rd, &type)) {
			snprintf(detail, dlen, "block at offset %zu cut short", off(cf, at));
			cf->rd.p = cf->rd.end;
			return NP_ETRUNCATED;
		}
		if (type == PCAPNG_SHB) {
			uint32_t bom;
			struct np_rd peek = cf->rd;

			/* The byte order is the SHB's own: peek at its magic. */
			if (np_rd_skip(&peek, 4) || np_rd_u32(&peek, &bom)) {
				snprintf(detail, dlen, "section header at offset %zu cut short",
					 off(cf, at));
				cf->rd.p = cf->rd.end;
				return NP_ETRUNCATED;
			}
			cf->le = bom != PCAPNG_BOM;
		} else if (cf->le) {
			type = swap32(type);
		}
		if (rd32(cf, &cf->rd, &total) || total < 12 || total % 4 ||
		    np_rd_child(&cf->rd, &body, total - 12) ||
		    rd32(cf, &cf->rd, &trailer)) {
			snprintf(detail, dlen, "block at offset %zu claims %u bytes, "
				 "%zu remain in the file", off(cf, at), total,
				 (size_t)(cf->rd.end - at));
			cf->rd.p = cf->rd.end;
			return NP_ETRUNCATED;
		}
		if (trailer != total) {
			snprintf(detail, dlen, "block at offset %zu: length %u, trailing "
				 "length %u: corrupt", off(cf, at), total, trailer);
			cf->rd.p = cf->rd.end;
			return NP_EINVAL;
		}
		if (type == PCAPNG_SHB)
			err = read_shb(cf, &body, detail, dlen);
		else if (type == PCAPNG_IDB)
			err = read_idb(cf, &body, detail, dlen);
		else if (type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_PB)
			err = read_pkt_block(cf, type, &body, pkt, off(cf, at), detail, dlen);
		if (err < 0) {
			cf->rd.p = cf->rd.end;
			return err;
		}
		if (err == 1)
			return 1;
	}
}

/* The mapped file is now shorter than when it was mapped. */
static int shrank(const struct capture_file *cf)
{
	struct stat st;

	return cf->fd >= 0 && fstat(cf->fd, &st) == 0 &&
	       (uint64_t)st.st_size < (uint64_t)cf->maplen;
}

int capture_next(struct capture_file *cf, struct capture_pkt *pkt,
		 char *detail, size_t dlen)
{
	const uint8_t *before = cf->rd.p;
	int rc;

	memset(pkt, 0, sizeof(*pkt));
	rc = cf->pcapng ? next_pcapng(cf, pkt, detail, dlen) :
	     next_pcap(cf, pkt, detail, dlen);
	/* The file shrank under us: what lies past its new end reads as
	 * zeros (a page that went away, map_guard.h; the rest of the last
	 * page), not the capture; stop before this record. Noticed at once
	 * when a lost page is touched, and by fstat() at an error, the end,
	 * an empty record stamped 0 (zeros), and each new window. */
	if (map_guard_hit(cf->guard) ||
	    ((rc != 1 || (pkt->caplen == 0 && pkt->t_us == 0) ||
	      off(cf, before) / CAP_WINDOW != off(cf, cf->rd.p) / CAP_WINDOW) &&
	     shrank(cf))) {
		struct stat st;
		unsigned long long now = fstat(cf->fd, &st) == 0 ?
					 (unsigned long long)st.st_size : 0;

		snprintf(detail, dlen, "the file shrank while being read (another "
			 "process truncated or rewrote it; %zu bytes when opened, "
			 "%llu now): stopped at offset %zu, after %llu records",
			 cf->maplen, now, off(cf, before),
			 (unsigned long long)cf->records);
		memset(pkt, 0, sizeof(*pkt));
		cf->rd.p = cf->rd.end;
		return NP_ETRUNCATED;
	}
	if (rc == 1)
		cf->records++;
	/* The hardware prefetcher stops at page boundaries: ask for the
	 * bytes a few packets ahead, as many as this record took (a hint;
	 * it never faults). */
	if (np_rd_left(&cf->rd) > CAP_PREFETCH)
		for (const uint8_t *q = before + CAP_PREFETCH;
		     q < cf->rd.p + CAP_PREFETCH && q < cf->rd.end; q += 64)
			__builtin_prefetch(q);
	release_behind(cf, before);
	return rc;
}
