/*
 * nice_sdp_conv.c - passes a signaling file through natprobe's own SDP
 * code (probe/sdp.c): waits for IN by the `natprobe ice` reading rules
 * (nice_sig.h), parses it with sdp_parse(), turns a bare description (as
 * libnice's nice_agent_generate_local_sdp writes it: no v= line) into the
 * full JSEP shape natprobe writes (v=/o=/s=/t=, BUNDLE, one m-line with
 * mid, ice-options:trickle, end-of-candidates), writes it with
 * sdp_write() and puts it atomically at OUT. Between two nice_peer agents
 * (tests/it_ice.sh) it proves that libnice accepts, end to end (ICE
 * credentials included), the SDP that natprobe writes, and that natprobe
 * parses what libnice writes.
 *
 * nice_sdp_conv IN OUT [KIND] [TIMEOUT_S]   (KIND default "application")
 * Exit 0 when written, 1 when IN was refused (the sdp_parse error is
 * printed) or did not come in time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sdp.h"
#include "nice_sig.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void make_full(struct sdp *s, const char *kind)
{
	struct sdp_media *m = &s->media[0];

	if (!s->bare)
		return;
	s->bare = 0;
	s->sess_id = 4242;
	s->nmedia = 1;
	s->nbundle = 1;
	strcpy(s->bundle[0], "0");
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	m->port = 9;
	strcpy(m->proto, "UDP/DTLS/SCTP");
	strcpy(m->fmt, "webrtc-datachannel");
	strcpy(m->mid, "0");
	m->trickle = 1;
	m->end_of_candidates = 1;
}

int main(int argc, char **argv)
{
	static char out[SDP_MAX_SIZE];
	struct sig_reader rd = { 0 };
	const char *kind = argc > 3 ? argv[3] : "application";
	int64_t deadline;
	struct sdp_error err;
	struct sdp *s = NULL;
	char *in = NULL;
	size_t len = 0, olen;
	int rc;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: nice_sdp_conv IN OUT [KIND] [TIMEOUT_S]\n");
		return 2;
	}
	rd.path = argv[1];
	rd.last_size = -1;
	deadline = now_us() + (argc > 4 ? atoi(argv[4]) : 30) * 1000000LL;
	while ((rc = sig_poll(&rd, now_us(), &in, &len)) == 0) {
		if (now_us() > deadline) {
			fprintf(stderr, "nice_sdp_conv: %s did not come in time\n", argv[1]);
			return 1;
		}
		usleep(5000);
	}
	if (rc < 0) {
		fprintf(stderr, "nice_sdp_conv: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	if (sdp_new(&s)) {
		free(in);
		return 1;
	}
	rc = 1;
	if (sdp_parse(in, len, s, &err)) {
		fprintf(stderr, "nice_sdp_conv: natprobe's sdp_parse refuses %s: %s\n",
			argv[1], err.text);
		goto out;
	}
	fprintf(stderr, "nice_sdp_conv: %s parsed (%s, %zu candidates, %zu ignored)\n",
		argv[1], s->bare ? "bare" : "full", s->media[0].ncands,
		s->media[0].nignored);
	make_full(s, kind);
	if (sdp_write(s, out, sizeof(out), &olen)) {
		fprintf(stderr, "nice_sdp_conv: sdp_write failed\n");
		goto out;
	}
	if (sig_write(argv[2], out, olen)) {
		fprintf(stderr, "nice_sdp_conv: cannot write %s\n", argv[2]);
		goto out;
	}
	fprintf(stderr, "nice_sdp_conv: wrote %s:\n%s", argv[2], out);
	rc = 0;
out:
	sdp_free(s);
	free(in);
	return rc;
}
