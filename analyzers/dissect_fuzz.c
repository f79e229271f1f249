/*
 * dissect_fuzz.c - libFuzzer target for capture reading and dissection
 * (probe/capture_read.c, analyzers/dissect*.c, capture_summary.c,
 * capture_findings.c).
 *
 * The first byte chooses what the rest is: below 0xF0, one captured frame
 * of the link type link_types[byte % N], with the claimed length taken as
 * the captured one or, when bit 0x40 is set, 100 bytes more (a snaplen
 * cut); from 0xF0, a whole pcap/pcapng file. Every frame goes through
 * dissect_packet, dissect_app and the summary, whose invariants are
 * checked: what a payload claims never reaches past the frame, counts add
 * up. The summary persists across inputs (so its tables fill and their
 * caps are exercised) and is reset every RESET_EVERY frames. No
 * randomness. Seeds: fixtures/dissect (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_read.h"
#include "capture_summary.h"
#include "dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESET_EVERY 2000
#define MAX_FILE_PACKETS 2000

static const int link_types[] = {
	CAP_LINKTYPE_ETHERNET, CAP_LINKTYPE_LINUX_SLL, CAP_LINKTYPE_LINUX_SLL2,
	CAP_LINKTYPE_RAW, CAP_LINKTYPE_IPV4, CAP_LINKTYPE_IPV6,
	CAP_LINKTYPE_NULL, CAP_LINKTYPE_LOOP,
};
#define N_LINK (sizeof(link_types) / sizeof(link_types[0]))

static struct capture_report *cr;
static struct findings *fs;
static struct obs_log log_;
static unsigned frames;

static void reset(void)
{
	if (!cr) {
		cr = calloc(1, sizeof(*cr));
		fs = calloc(1, sizeof(*fs));
		if (!cr || !fs)
			abort();
	} else {
		/* finish must cope with whatever the tables hold */
		memset(fs, 0, sizeof(*fs));
		capture_summary_finish(cr, &log_, fs);
		if (fs->nf > FINDINGS_MAX || fs->capture != cr)
			abort();
		obs_log_dispose(&log_);
	}
	obs_log_init(&log_, 0, 0);
	capture_summary_init(cr, &log_);
	frames = 0;
}

static void one(int lt, const uint8_t *p, uint32_t caplen, uint32_t len, uint64_t t)
{
	struct dissect_pkt d;
	struct dissect_app_info ai;
	unsigned before = cr->packets, sum = 0;

	dissect_packet(lt, p, caplen, len, &d);
	if (d.payload_len > d.payload_claimed ||
	    (d.payload && (d.payload < p || d.payload + d.payload_len > p + caplen)))
		abort();
	if (d.payload && !d.malformed) {
		size_t used = dissect_app(d.payload, d.payload_len, d.payload_claimed, &ai);

		if (used > d.payload_len || ai.nrec > DTLS_MAX_RECORDS ||
		    (unsigned)ai.app >= DS__COUNT)
			abort();
		if (ai.app == DS_MALFORMED && !ai.why[0])
			abort();
	}
	capture_summary_packet(cr, &log_, &d, t);
	for (int a = 0; a < DS__COUNT; a++)
		sum += cr->by_app[a];
	if (cr->packets != before + 1 || sum != cr->packets ||
	    cr->nflows > CAP_FLOWS_MAX || cr->ntx > CAP_TX_MAX ||
	    cr->nrtp > CAP_RTP_MAX || cr->nice > CAP_ICE_MAX)
		abort();
	if (++frames >= RESET_EVERY)
		reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cr)
		reset();
	if (size < 1)
		return 0;
	if (data[0] < 0xF0) {
		uint32_t n = (uint32_t)(size - 1);

		one(link_types[(data[0] & 0x3f) % N_LINK], data + 1, n,
		    data[0] & 0x40 ? n + 100 : n, 1000000u * frames);
	} else {
		struct capture_file cf;
		struct capture_pkt pkt;
		char why[256];
		int rc, k = 0;

		if (capture_open_mem(&cf, data + 1, size - 1, why, sizeof(why)) < 0)
			return 0;
		while (k++ < MAX_FILE_PACKETS &&
		       (rc = capture_next(&cf, &pkt, why, sizeof(why))) == 1) {
			if (pkt.caplen > CAP_MAX_RECORD || pkt.len < pkt.caplen ||
			    pkt.data < data || pkt.data + pkt.caplen > data + size)
				abort();
			one(pkt.linktype, pkt.data, pkt.caplen, pkt.len, pkt.t_us);
		}
		capture_close(&cf);
	}
	return 0;
}
