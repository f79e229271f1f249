/*
 * capture_read.h - reading pcap and pcapng capture files.
 *
 * The file is read into memory and walked through the bounded reader
 * (np_rd.h): a capture is untrusted bytes like any datagram. Classic pcap
 * (microsecond and nanosecond magic, either byte order) and pcapng (RFC
 * draft-ietf-opsawg-pcapng: SHB, IDB, EPB, SPB and the obsolete PB; other
 * blocks are skipped by their length; if_tsresol honoured) are understood.
 *
 * Each packet keeps two lengths: what was captured and what was on the
 * wire. caplen < len is truncation by the snapshot length, a fact about the
 * capture, not a malformed packet. A record that claims more bytes than the
 * file holds ends the walk with NP_ETRUNCATED and a sentence with the
 * numbers; the packets before it remain valid.
 */
#ifndef CAPTURE_READ_H
#define CAPTURE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "np_rd.h"

/* Link-layer header types (tcpdump.org linktypes). */
#define CAP_LINKTYPE_NULL 0         /* BSD loopback, host-order family */
#define CAP_LINKTYPE_ETHERNET 1
#define CAP_LINKTYPE_RAW 101
#define CAP_LINKTYPE_LOOP 108       /* OpenBSD loopback, network order */
#define CAP_LINKTYPE_LINUX_SLL 113
#define CAP_LINKTYPE_IPV4 228
#define CAP_LINKTYPE_IPV6 229
#define CAP_LINKTYPE_LINUX_SLL2 276
/* DLT_RAW as some platforms number it in files written natively. */
#define CAP_DLT_RAW_ALT1 12
#define CAP_DLT_RAW_ALT2 14

#define CAP_MAX_IFACES 64
/* A record larger than this is corruption, not a packet (libpcap's
 * MAXIMUM_SNAPLEN is 262144). */
#define CAP_MAX_RECORD 262144u
/* Files larger than this are refused rather than read into memory. */
#define CAP_MAX_FILE (1024u * 1024u * 1024u)

struct capture_pkt {
	uint64_t t_us;          /* packet time, µs since the Unix epoch */
	uint32_t caplen;        /* bytes captured (data holds these) */
	uint32_t len;           /* bytes on the wire */
	int linktype;
	const uint8_t *data;    /* borrowed from the capture buffer */
};

struct capture_iface {
	int linktype;
	uint64_t tsdiv;         /* ticks per second from if_tsresol */
};

struct capture_file {
	uint8_t *owned;         /* the file's bytes when capture_open read it */
	struct np_rd rd;
	int pcapng;
	int le;                 /* little-endian fields */
	uint64_t tsdiv;         /* classic pcap: 1e6 or 1e9 */
	int linktype;           /* classic pcap */
	struct capture_iface ifaces[CAP_MAX_IFACES];
	size_t nifaces;
	const uint8_t *base;    /* start of the file, for offsets in messages */
	uint64_t records;       /* packets returned so far */
	int guard;              /* map_guard handle of owned, 0 when none */
	int fd;                 /* the mapped file, to notice it shrink; -1 */
	size_t maplen;          /* its size when mapped */
};

/* Names a link type ("EN10MB", "LINUX_SLL2", "linktype 147"). */
const char *capture_linktype_name(int linktype, char *buf, size_t len);
/* 1 if the dissector knows this link type. */
int capture_linktype_supported(int linktype);

/* Opens a capture held in memory (borrowed). Returns 0, or a negative code
 * with a sentence in detail: NP_EINVAL for an unknown format,
 * NP_ETRUNCATED for a header cut short, NP_ENOTFOUND for an unsupported
 * link type (detail names it). */
int capture_open_mem(struct capture_file *cf, const uint8_t *buf, size_t len,
		     char *detail, size_t dlen);
/* Reads a file and opens it; -errno when it cannot be read. */
int capture_open(struct capture_file *cf, const char *path, char *detail,
		 size_t dlen);
void capture_close(struct capture_file *cf);

/* Next packet: 1 and *pkt filled, 0 at the end, or a negative code with a
 * sentence in detail (a corrupt or truncated record; stop there). */
int capture_next(struct capture_file *cf, struct capture_pkt *pkt,
		 char *detail, size_t dlen);

#endif
