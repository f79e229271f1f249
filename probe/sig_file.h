/*
 * sig_file.h - signaling through files (or stdin/stdout), the transport
 * of `natprobe ice --local OUT --remote IN`.
 *
 * Writing is atomic: the SDP goes to "OUT.tmp.<pid>" and is then
 * rename()d to OUT, so a reader never sees half a description. "-" means
 * stdout.
 *
 * Reading is polled from the event loop (every few ms), never blocks, and
 * takes the file once it exists and either its last non-empty line is
 * "a=end-of-candidates" (RFC 8840 §4.1; CRLF or LF) or its size is
 * non-zero and has not changed for the quiet period (200 ms by default),
 * which covers writers that are not atomic and SDPs without the line. A
 * file that shrinks or is replaced midway is read again from the start.
 * "-" means stdin, read until EOF or an a=end-of-candidates line; a FIFO
 * is read the same way (an EOF before any writer came is not the end).
 */
#ifndef SIG_FILE_H
#define SIG_FILE_H

#include <stddef.h>
#include <stdint.h>

#define SIG_QUIET_US_DEFAULT 200000
#define SIG_MAX_LEN_DEFAULT (256 * 1024)

/* Writes buf to path atomically (or all of it to stdout for "-", then
 * fflush). 0, or -errno with a sentence naming the path in why. */
int sig_file_write(const char *path, const char *buf, size_t len, char *why,
		   size_t wlen);

struct sig_reader;

/* quiet_us 0 = SIG_QUIET_US_DEFAULT; max_len 0 = SIG_MAX_LEN_DEFAULT.
 * Opens nothing yet (the file may not exist). 0 or NP_ENOMEM/NP_EINVAL. */
int sig_reader_new(const char *path, uint64_t quiet_us, size_t max_len,
		   struct sig_reader **out);
/*
 * One non-blocking look, at time now_us (any monotonic clock; the quiet
 * period is measured with it). Returns
 *   0  not complete yet
 *   1  complete: *buf / *len are the whole text (NUL-terminated, borrowed
 *      until sig_reader_free); later calls return 1 and the same text
 *  <0  error, sticky, with sig_reader_error() a sentence naming the path:
 *      NP_EFULL over max_len, -errno unreadable, NP_ETRUNCATED stdin/EOF
 *      with nothing read.
 */
int sig_reader_poll(struct sig_reader *r, uint64_t now_us, const char **buf,
		    size_t *len);
/* The error sentence after a negative poll; "" otherwise. */
const char *sig_reader_error(const struct sig_reader *r);
/* NULL is a no-op. */
void sig_reader_free(struct sig_reader *r);

#endif
