/*
 * cli_analyze.c - `natprobe analyze FILE.pcap|FILE.pcapng`: offline
 * diagnosis of a capture. The packets are dissected into the observations
 * a live run records (--events writes them) and a capture summary, and
 * reported like any other run.
 *
 * An unknown link type or a file that is not a capture is a usage error
 * (exit 2); a capture that ends early or turns corrupt keeps the packets
 * read so far, says where it stopped, and is reported.
 */
#include "capture_read.h"
#include "capture_summary.h"
#include "cli.h"
#include "dissect.h"
#include "np_err.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: natprobe analyze [options] FILE.pcap|FILE.pcapng\n"
		"  reads Ethernet, Linux cooked (v1, v2), raw IP and loopback captures\n"
		"  --format text|json, -o FILE\n"
		"  --events FILE      write the derived observations (JSON lines)\n");
}

/* A capture can yield millions of observations. --events streams every
 * one; the log keeps the first LOG_KEEP (for the HTML timeline and the
 * findings' evidence) and then a rolling LOG_WINDOW, so memory stays flat
 * on any capture. seq_base keeps the numbers counting on over what was let
 * go: 1, 2, ... for the whole run, in the log and in --events. */
#define LOG_KEEP 1024
#define LOG_WINDOW 1024

static void renumber(const struct obs *o, void *arg)
{
	/* Called on the record just stored in the log's own array (not
	 * const there), before --events writes it. */
	((struct obs *)(uintptr_t)o)->seq += *(const uint64_t *)arg;
}

static void log_trim(struct obs_log *log, uint64_t *seq_base)
{
	if (log->n < LOG_KEEP + LOG_WINDOW)
		return;
	*seq_base += log->n - LOG_KEEP;
	log->n = LOG_KEEP;
}

static void note_linktype(struct capture_report *cr, int lt)
{
	char b[32];
	const char *name = capture_linktype_name(lt, b, sizeof(b));
	size_t n = strlen(cr->linktypes);

	if (strstr(cr->linktypes, name))
		return;
	snprintf(cr->linktypes + n, sizeof(cr->linktypes) - n, "%s%s", n ? ", " : "", name);
}

int cli_analyze(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "events", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { .format = REPORT_TEXT };
	struct capture_file cf;
	struct capture_report *cr = NULL;
	struct findings *fs = NULL;
	struct obs_log log;
	char detail[256] = "";
	const char *path;
	int opt, err, rc, events_open = 0;
	uint64_t seq_base = 0;
	int last_lt = -1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &c.format) < 0) {
				cli_error("--format must be text or json, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': c.output = optarg; break;
		case 'e': c.events = optarg; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_error("analyze: give one capture file (pcap or pcapng)");
		usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];
	err = capture_open(&cf, path, detail, sizeof(detail));
	if (err < 0) {
		cli_error("%s: %s", path, detail[0] ? detail : np_strerror(err));
		return EXIT_USAGE;
	}
	obs_log_init(&log, 0, 0);
	log.on_add = renumber;
	log.on_add_arg = &seq_base;
	cr = calloc(1, sizeof(*cr));
	fs = calloc(1, sizeof(*fs));
	if (!cr || !fs) {
		cli_error("out of memory");
		rc = EXIT_INTERNAL;
		goto out;
	}
	capture_summary_init(cr, &log);
	snprintf(cr->file, sizeof(cr->file), "%s", path);
	cr->format = cf.pcapng ? "pcapng" : "pcap";
	for (;;) {
		struct capture_pkt pkt;
		struct dissect_pkt d;

		err = capture_next(&cf, &pkt, detail, sizeof(detail));
		if (err <= 0)
			break;
		/* Times in the log count from the first packet, so the log
		 * header (written on opening) needs it. */
		if (!events_open) {
			log.start_wall_us = pkt.t_us;
			if (cli_events_open(&c, &log) < 0) {
				rc = EXIT_USAGE;
				goto out;
			}
			events_open = 1;
		}
		if (pkt.linktype != last_lt) {
			note_linktype(cr, pkt.linktype);
			last_lt = pkt.linktype;
		}
		dissect_packet(pkt.linktype, pkt.data, pkt.caplen, pkt.len, &d);
		capture_summary_packet(cr, &log, &d, pkt.t_us);
		log_trim(&log, &seq_base);
	}
	if (!events_open && cli_events_open(&c, &log) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (err == NP_ENOTFOUND) {
		/* A pcapng interface with a link type we cannot read. */
		cli_events_close(&c, &log);
		cli_error("%s: %s", path, detail);
		rc = EXIT_USAGE;
		goto out;
	}
	if (err < 0) {
		snprintf(cr->read_error, sizeof(cr->read_error), "%s", detail);
		cli_error("%s: %s; reporting the %u packets before it", path, detail,
			  cr->packets);
	}
	capture_summary_finish(cr, &log, fs);
	cli_events_close(&c, &log);
	fs->log = &log;
	rc = cli_report(&c, fs);
out:
	obs_log_dispose(&log);
	capture_close(&cf);
	free(cr);
	free(fs);
	return rc;
}
