/*
 * nice_sig.h - the signaling-file rules of `natprobe ice` (see the contract
 * in the ICE issue), for tests/peers/nice_peer.c:
 *  - a file is written atomically: to "OUT.tmp.<pid>", then rename() to OUT;
 *  - a file being read is taken once it exists AND its last non-empty line
 *    is "a=end-of-candidates" OR its size has not changed for 200 ms.
 * Test-only code (built by tests/it_ice.sh and tests/bench_ice.sh).
 */
#ifndef NICE_SIG_H
#define NICE_SIG_H

#include <stddef.h>
#include <stdint.h>

#define SIG_MAX_BYTES 65536     /* a signaling file larger than this is refused */
#define SIG_STABLE_US 200000    /* "stopped growing" = same size for 200 ms */

struct sig_reader {
	const char *path;
	long long last_size;    /* -1 until the file was seen */
	int64_t last_change_us; /* monotonic time of the last size change */
};

/* Write LEN bytes of DATA to PATH atomically. 0 or -errno. */
int sig_write(const char *path, const char *data, size_t len);

/* Poll PATH once at monotonic time NOW_US. Returns 1 and a malloc'd,
 * NUL-terminated copy in *OUT (length *LEN) when the file is complete by
 * the rules above, 0 when not yet, -errno on a read error or -EFBIG when
 * the file is larger than SIG_MAX_BYTES. */
int sig_poll(struct sig_reader *r, int64_t now_us, char **out, size_t *len);

/* Does the text end (ignoring blank lines and CR) with a=end-of-candidates? */
int sig_has_end(const char *text, size_t len);

#endif
