/*
 * demux_fuzz.c - libFuzzer target for the RFC 7983 demultiplexer
 * (demux.c) and the parsers it hands datagrams to: the DTLS record reader
 * of the handshake timeline (dtls_wire.c) and RTP/RTCP (rtp.c).
 *
 * The class must agree with the first byte's RFC range and with the
 * minimal header lengths; a datagram classed as DTLS is read record by
 * record and described; RTP and RTCP are parsed. No randomness. Seeds:
 * fixtures/demux (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demux.h"
#include "dtls_wire.h"
#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "demux_fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum demux_kind k = demux_classify(data, size);
	struct dtls_dgram g;
	struct rtp_hdr h;
	struct rtcp_compound c;
	char desc[256];

	check(demux_kind_name(k)[0] != '?', "unnamed class");
	if (size == 0) {
		check(k == DEMUX_SHORT, "empty datagram classed");
		return 0;
	}
	switch (k) {
	case DEMUX_STUN:
		check(data[0] <= 3 && size >= DEMUX_MIN_STUN, "stun range");
		break;
	case DEMUX_ZRTP:
		check(data[0] >= 16 && data[0] <= 19, "zrtp range");
		break;
	case DEMUX_DTLS:
		check(data[0] >= 20 && data[0] <= 63 && size >= DEMUX_MIN_DTLS,
		      "dtls range");
		if (dtls_wire_parse(data, size, &g) != 0)
			check(g.bad != 0 && g.bad_at < size, "dtls error position");
		check(g.nfrag <= DTLS_DGRAM_MAX_FRAGS, "fragment cap");
		check(g.n_hello_versions <= DTLS_MAX_VERSIONS, "versions cap");
		dtls_wire_describe(&g, desc, sizeof(desc));
		check(strlen(desc) < sizeof(desc), "description");
		break;
	case DEMUX_TURN_CHANNEL:
		check(data[0] >= 64 && data[0] <= 79, "channel range");
		break;
	case DEMUX_RTP:
		check(data[0] >= 128 && data[0] <= 191 && size >= DEMUX_MIN_RTP &&
		      (data[1] < 192 || data[1] > 223), "rtp range");
		rtp_parse(data, size, &h);
		break;
	case DEMUX_RTCP:
		check(data[1] >= 192 && data[1] <= 223, "rtcp range");
		rtcp_parse(data, size, &c);
		break;
	case DEMUX_SHORT:
		break;
	case DEMUX_UNKNOWN:
		check((data[0] >= 4 && data[0] <= 15) ||
		      (data[0] >= 80 && data[0] <= 127) || data[0] >= 192,
		      "unknown but assigned");
		break;
	}
	return 0;
}
