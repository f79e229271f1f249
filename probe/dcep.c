/*
 * dcep.c - DATA_CHANNEL_OPEN / DATA_CHANNEL_ACK (RFC 8832 §5) through the
 * bounded reader and writer of np_rd.h.
 */
#include "dcep.h"

#include "np_err.h"
#include "np_rd.h"

int dcep_channel_type_valid(uint8_t t)
{
	switch (t) {
	case DCEP_CHANNEL_RELIABLE:
	case DCEP_CHANNEL_RELIABLE_UNORDERED:
	case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT:
	case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED:
	case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED:
	case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED:
		return 1;
	}
	return 0;
}

const char *dcep_channel_type_name(uint8_t t)
{
	switch (t) {
	case DCEP_CHANNEL_RELIABLE:
		return "reliable";
	case DCEP_CHANNEL_RELIABLE_UNORDERED:
		return "reliable unordered";
	case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT:
		return "partial-rexmit";
	case DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED:
		return "partial-rexmit unordered";
	case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED:
		return "partial-timed";
	case DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED:
		return "partial-timed unordered";
	}
	return "unknown";
}

int dcep_type(const uint8_t *buf, size_t len, uint8_t *type)
{
	struct np_rd r;

	np_rd_init(&r, buf, len);
	return np_rd_u8(&r, type);
}

/*
 *  0                   1                   2                   3
 * | Message Type  | Channel Type  |            Priority           |
 * |                    Reliability Parameter                      |
 * |         Label Length          |       Protocol Length         |
 * \                            Label                              /
 * \                           Protocol                            /
 */
int dcep_open_parse(const uint8_t *buf, size_t len, struct dcep_open *o)
{
	struct np_rd r;
	uint8_t type;
	int err;

	np_rd_init(&r, buf, len);
	if ((err = np_rd_u8(&r, &type)) != 0)
		return err;
	if (type != DCEP_DATA_CHANNEL_OPEN)
		return NP_EINVAL;
	if ((err = np_rd_u8(&r, &o->channel_type)) != 0 ||
	    (err = np_rd_u16(&r, &o->priority)) != 0 ||
	    (err = np_rd_u32(&r, &o->reliability)) != 0 ||
	    (err = np_rd_u16(&r, &o->label_len)) != 0 ||
	    (err = np_rd_u16(&r, &o->protocol_len)) != 0)
		return err;
	if (!dcep_channel_type_valid(o->channel_type))
		return NP_EINVAL;
	if ((err = np_rd_slice(&r, &o->label, o->label_len)) != 0 ||
	    (err = np_rd_slice(&r, &o->protocol, o->protocol_len)) != 0)
		return err;
	/* The lengths must account for every byte of the message. */
	if (np_rd_left(&r) != 0)
		return NP_EINVAL;
	return 0;
}

int dcep_open_encode(const struct dcep_open *o, uint8_t *buf, size_t cap,
		     size_t *len)
{
	struct np_wr w;

	if (!dcep_channel_type_valid(o->channel_type))
		return NP_EINVAL;
	np_wr_init(&w, buf, cap);
	np_wr_u8(&w, DCEP_DATA_CHANNEL_OPEN);
	np_wr_u8(&w, o->channel_type);
	np_wr_u16(&w, o->priority);
	np_wr_u32(&w, o->reliability);
	np_wr_u16(&w, o->label_len);
	np_wr_u16(&w, o->protocol_len);
	np_wr_bytes(&w, o->label, o->label_len);
	np_wr_bytes(&w, o->protocol, o->protocol_len);
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

int dcep_ack_parse(const uint8_t *buf, size_t len)
{
	struct np_rd r;
	uint8_t type;
	int err;

	np_rd_init(&r, buf, len);
	if ((err = np_rd_u8(&r, &type)) != 0)
		return err;
	if (type != DCEP_DATA_CHANNEL_ACK || np_rd_left(&r) != 0)
		return NP_EINVAL;
	return 0;
}

int dcep_ack_encode(uint8_t *buf, size_t cap, size_t *len)
{
	struct np_wr w;

	np_wr_init(&w, buf, cap);
	if (np_wr_u8(&w, DCEP_DATA_CHANNEL_ACK) != 0)
		return w.err;
	*len = w.len;
	return 0;
}
