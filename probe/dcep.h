/*
 * dcep.h - the Data Channel Establishment Protocol wire format (RFC 8832).
 *
 * DCEP messages travel on the data channel's own SCTP stream with PPID 50
 * (RFC 8832 §8.1). Two messages exist: DATA_CHANNEL_OPEN (§5.1) and
 * DATA_CHANNEL_ACK (§5.2). The parser reads through np_rd and borrows the
 * label and protocol from the input; it never writes to the input.
 */
#ifndef DCEP_H
#define DCEP_H

#include <stddef.h>
#include <stdint.h>

/* RFC 8831 §8 / RFC 8832 §8.1: SCTP payload protocol identifiers. */
#define DCEP_PPID_CONTROL 50
#define DCEP_PPID_STRING 51
#define DCEP_PPID_BINARY 53
#define DCEP_PPID_STRING_EMPTY 56
#define DCEP_PPID_BINARY_EMPTY 57

/* RFC 8832 §8.2.1: Message Type. */
#define DCEP_DATA_CHANNEL_ACK 0x02
#define DCEP_DATA_CHANNEL_OPEN 0x03

/* RFC 8832 §5.1: Channel Type. The high bit means unordered. */
#define DCEP_CHANNEL_RELIABLE 0x00
#define DCEP_CHANNEL_RELIABLE_UNORDERED 0x80
#define DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT 0x01
#define DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED 0x81
#define DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED 0x02
#define DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED 0x82
#define DCEP_CHANNEL_UNORDERED 0x80

/* The fixed part of DATA_CHANNEL_OPEN, before label and protocol. */
#define DCEP_OPEN_HEADER 12

/* A parsed DATA_CHANNEL_OPEN; label and protocol borrow the input. */
struct dcep_open {
	uint8_t channel_type;
	uint16_t priority;
	uint32_t reliability;     /* retransmissions or lifetime in ms */
	const uint8_t *label;
	uint16_t label_len;
	const uint8_t *protocol;
	uint16_t protocol_len;
};

/* The Message Type of a DCEP message, or NP_ETRUNCATED when empty. */
int dcep_type(const uint8_t *buf, size_t len, uint8_t *type);

/* Parses a DATA_CHANNEL_OPEN. NP_ETRUNCATED when a field or the label or
 * protocol runs past the end, NP_EINVAL for another message type, an
 * unknown channel type or bytes after the protocol. */
int dcep_open_parse(const uint8_t *buf, size_t len, struct dcep_open *o);

/* Encodes o into buf (cap bytes); *len gets the size. NP_ENOSPACE when it
 * does not fit, NP_EINVAL for an unknown channel type. */
int dcep_open_encode(const struct dcep_open *o, uint8_t *buf, size_t cap,
		     size_t *len);

/* Parses a DATA_CHANNEL_ACK: exactly one byte, 0x02 (RFC 8832 §5.2). */
int dcep_ack_parse(const uint8_t *buf, size_t len);
/* Writes the one-byte ACK. */
int dcep_ack_encode(uint8_t *buf, size_t cap, size_t *len);

/* 1 when the channel type is one of the six RFC 8832 §5.1 values. */
int dcep_channel_type_valid(uint8_t t);
/* "reliable", "partial-rexmit unordered", ...; "unknown" otherwise. */
const char *dcep_channel_type_name(uint8_t t);

#endif
