/*
 * capture_write.h - writing pcapng files (draft-ietf-opsawg-pcapng).
 *
 * libpcap 1.10 can read pcapng but only write classic pcap, so natprobe
 * writes pcapng itself: one Section Header Block (with natprobe's command
 * line as a comment), one Interface Description Block per link type (with
 * its snaplen and if_tsresol = microseconds), then an Enhanced Packet Block
 * per packet. Blocks are written in host byte order, as the format allows:
 * the SHB's byte-order magic tells readers which.
 *
 * Output goes through a fixed buffer flushed with write(2); the buffer
 * never grows, and a block larger than it is refused with NP_ENOSPACE.
 * The first write error is kept: every later call returns it, so the
 * caller may report once at the end.
 */
#ifndef CAPTURE_WRITE_H
#define CAPTURE_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* Block types and options (pcapng §4, §3.5). */
#define PCAPNG_BT_SHB 0x0A0D0D0Au
#define PCAPNG_BT_IDB 0x00000001u
#define PCAPNG_BT_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAPNG_OPT_ENDOFOPT 0
#define PCAPNG_OPT_COMMENT 1
#define PCAPNG_SHB_USERAPPL 4
#define PCAPNG_IF_NAME 2
#define PCAPNG_IF_TSRESOL 9

/* The writer's buffer: every block must fit (a 64 KiB snaplen packet does). */
#define CAPTURE_WRITE_BUF (128u * 1024u)
#define CAPTURE_WRITE_MAX_IFACES 8

struct capture_writer;

/* Creates path (truncating it) and writes the SHB; comment (may be NULL)
 * becomes its opt_comment. Returns 0 or -errno / NP_E*. */
int capture_writer_open(const char *path, const char *comment,
			struct capture_writer **out);
/* Writes an IDB and returns its interface id in *if_id. name may be NULL. */
int capture_writer_add_iface(struct capture_writer *w, int linktype,
			     uint32_t snaplen, const char *name,
			     uint32_t *if_id);
/* One EPB: t_us is µs since the epoch; caplen bytes of data, len on the
 * wire (caplen <= len; caplen is cut to the interface's snaplen). */
int capture_writer_packet(struct capture_writer *w, uint32_t if_id,
			  uint64_t t_us, const uint8_t *data, uint32_t caplen,
			  uint32_t len);
/* Flushes what is buffered to the file (0 or the first error). */
int capture_writer_flush(struct capture_writer *w);
/* Packets accepted so far. */
uint64_t capture_writer_count(const struct capture_writer *w);
/* Flushes, closes and frees w; returns the first error seen, or 0.
 * capture_writer_close(NULL) does nothing. */
int capture_writer_close(struct capture_writer *w);

#endif
