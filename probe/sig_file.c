/*
 * sig_file.c - signaling files: atomic writes and a polled, non-blocking
 * reader that decides when the peer's description is complete (the rules
 * are in sig_file.h and the `natprobe ice` contract).
 *
 * The reader keeps the file's identity (device, inode, size, mtime, ctime)
 * from the last read; any difference means the file changed, and it is
 * read again from the start, so in-place rewrites, truncation and
 * rename()-replacement all end in the text that is there now. A file
 * without "a=end-of-candidates" is taken after the quiet period, and only
 * if one last read still gives the same bytes (file times are coarse, so
 * an unchanged identity alone does not prove unchanged bytes).
 */
#include "sig_file.h"
#include "np_err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 8840 §4.1: the attribute that ends a trickled candidate list. */
#define EOC_LINE "a=end-of-candidates"
/* Reads per poll of a stream, so one poll does bounded work. */
#define STREAM_READS_PER_POLL 16

struct sig_reader {
	char *path;
	int is_stdin;
	int stream;        /* stdin, FIFO or device: read as it comes */
	int fd;            /* the stream's fd, -1 when not open */
	uint64_t quiet_us;
	size_t max_len;
	char *buf;         /* max_len + 1 bytes, text NUL-terminated */
	size_t len;
	int state;         /* 0 waiting, 1 complete, <0 error */
	char err[512];
	/* Regular file: identity of what buf holds. */
	int seen;
	struct stat st;
	uint64_t changed_us;
};

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int sig_file_write(const char *path, const char *buf, size_t len, char *why,
		   size_t wlen)
{
	char *tmp = NULL;
	size_t tlen;
	int fd = -1, rc = 0;

	if (!path || (!buf && len))
		return np_say(why, wlen, NP_EINVAL, "no signaling file given");
	if (strcmp(path, "-") == 0) {
		errno = 0;
		if ((len && fwrite(buf, 1, len, stdout) != len) ||
		    fflush(stdout) != 0) {
			rc = errno ? -errno : -EIO;
			return np_say(why, wlen, rc, "stdout: %s", strerror(-rc));
		}
		return 0;
	}
	tlen = strlen(path) + 32;
	tmp = malloc(tlen);
	if (!tmp)
		return np_say(why, wlen, NP_ENOMEM, "%s: out of memory", path);
	snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = np_say(why, wlen, -errno, "%s: cannot create %s: %s", path,
			  tmp, strerror(errno));
		goto out;
	}
	rc = write_all(fd, buf, len);
	if (rc) {
		np_say(why, wlen, rc, "%s: writing %s: %s", path, tmp,
		     strerror(-rc));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = np_say(why, wlen, -errno, "%s: closing %s: %s", path, tmp,
			  strerror(errno));
		goto out;
	}
	fd = -1;
	/* rename() is atomic: a reader sees the old file or the whole new
	 * one, never a partial write. */
	if (rename(tmp, path) != 0)
		rc = np_say(why, wlen, -errno, "%s: renaming %s into place: %s",
			  path, tmp, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

int sig_reader_new(const char *path, uint64_t quiet_us, size_t max_len,
		   struct sig_reader **out)
{
	struct sig_reader *r;

	*out = NULL;
	if (!path || !*path)
		return NP_EINVAL;
	if (max_len == 0)
		max_len = SIG_MAX_LEN_DEFAULT;
	if (max_len > SIZE_MAX / 2)
		return NP_EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NP_ENOMEM;
	r->path = strdup(path);
	r->buf = malloc(max_len + 1);
	if (!r->path || !r->buf) {
		sig_reader_free(r);
		return NP_ENOMEM;
	}
	r->buf[0] = '\0';
	r->fd = -1;
	r->is_stdin = strcmp(path, "-") == 0;
	r->stream = r->is_stdin;
	r->quiet_us = quiet_us ? quiet_us : SIG_QUIET_US_DEFAULT;
	r->max_len = max_len;
	*out = r;
	return 0;
}

void sig_reader_free(struct sig_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0 && !r->is_stdin)
		close(r->fd);
	free(r->path);
	free(r->buf);
	free(r);
}

const char *sig_reader_error(const struct sig_reader *r)
{
	return r && r->state < 0 ? r->err : "";
}

static const char *name(const struct sig_reader *r)
{
	return r->is_stdin ? "stdin" : r->path;
}

static int fail(struct sig_reader *r, int rc, const char *what)
{
	r->state = rc;
	if (rc == NP_EFULL)
		snprintf(r->err, sizeof(r->err),
			 "%s: larger than %zu bytes; not a session description?",
			 name(r), r->max_len);
	else
		snprintf(r->err, sizeof(r->err), "%s: %s", name(r), what);
	return rc;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is [b, e) "a=end-of-candidates", ignoring surrounding blanks and CR? */
static int is_eoc(const char *b, const char *e)
{
	while (b < e && is_space(*b))
		b++;
	while (e > b && is_space(e[-1]))
		e--;
	return (size_t)(e - b) == strlen(EOC_LINE) &&
	       memcmp(b, EOC_LINE, strlen(EOC_LINE)) == 0;
}

/* File rule: the last non-empty line, terminated or not. */
static int last_line_is_eoc(const char *buf, size_t len)
{
	const char *e = buf + len, *b;

	while (e > buf && is_space(e[-1]))
		e--;
	b = e;
	while (b > buf && b[-1] != '\n')
		b--;
	return e > buf && is_eoc(b, e);
}

/* Stream rule: the first complete line that is a=end-of-candidates,
 * looking at lines that end in [from, len). Returns the length up to and
 * including that line's '\n', or 0. */
static size_t stream_eoc_end(const char *buf, size_t from, size_t len)
{
	size_t i, start;

	start = from;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	for (i = from; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (is_eoc(buf + start, buf + i))
			return i + 1;
		start = i + 1;
	}
	return 0;
}

static int complete(struct sig_reader *r)
{
	r->buf[r->len] = '\0';
	r->state = 1;
	if (r->fd >= 0 && !r->is_stdin) {
		close(r->fd);
		r->fd = -1;
	}
	return 1;
}

static int poll_stream(struct sig_reader *r)
{
	int i;

	if (r->fd < 0) {
		r->fd = r->is_stdin ? STDIN_FILENO
				    : open(r->path, O_RDONLY | O_NONBLOCK |
							O_CLOEXEC);
		if (r->fd < 0)
			return fail(r, -errno, strerror(errno));
	}
	for (i = 0; i < STREAM_READS_PER_POLL; i++) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		size_t room = r->max_len + 1 - r->len, end;
		ssize_t n;
		int pr;

		/* poll() first, so stdin need not be made O_NONBLOCK (that
		 * flag would be shared with whoever else holds the tty). */
		pr = poll(&p, 1, 0);
		if (pr < 0 && errno != EINTR)
			return fail(r, -errno, strerror(errno));
		if (pr <= 0)
			return 0;
		n = read(r->fd, r->buf + r->len, room > 4096 ? 4096 : room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return fail(r, -errno, strerror(errno));
		}
		if (n == 0) {
			if (r->len)
				return complete(r);
			if (r->is_stdin)
				return fail(r, NP_ETRUNCATED,
					    "closed before any session description was read");
			/* A FIFO without a writer yet: reopen next time. */
			close(r->fd);
			r->fd = -1;
			return 0;
		}
		end = stream_eoc_end(r->buf, r->len, r->len + (size_t)n);
		r->len += (size_t)n;
		if (end && end <= r->max_len) {
			/* Whatever follows the end of the description is
			 * not ours to take. */
			r->len = end;
			return complete(r);
		}
		if (r->len > r->max_len)
			return fail(r, NP_EFULL, NULL);
	}
	return 0;
}

static int same_identity(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Reads the whole regular file into dst (max_len + 1 bytes of room) and
 * its identity into st. 0 or a negative code (already reported). */
static int read_whole(struct sig_reader *r, char *dst, size_t *len,
		      struct stat *st)
{
	int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc = 0;
	size_t got = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT; /* gone between stat and open */
		return fail(r, -errno, strerror(errno));
	}
	if (fstat(fd, st) != 0) {
		rc = fail(r, -errno, strerror(errno));
		goto out;
	}
	if (st->st_size > 0 && (uint64_t)st->st_size > r->max_len) {
		rc = fail(r, NP_EFULL, NULL);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, dst + got, r->max_len + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(r, -errno, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > r->max_len) {
			rc = fail(r, NP_EFULL, NULL);
			goto out;
		}
	}
	dst[got] = '\0';
	*len = got;
out:
	close(fd);
	return rc;
}

static int poll_file(struct sig_reader *r, uint64_t now_us)
{
	struct stat st;
	int rc;

	if (stat(r->path, &st) != 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return fail(r, -errno, strerror(errno));
		r->seen = 0; /* not there (yet, or any more) */
		r->len = 0;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return fail(r, -EISDIR, strerror(EISDIR));
	if (!S_ISREG(st.st_mode)) {
		r->stream = 1; /* FIFO or device: read it as it comes */
		return poll_stream(r);
	}
	if (!r->seen || !same_identity(&st, &r->st)) {
		rc = read_whole(r, r->buf, &r->len, &r->st);
		if (rc == -ENOENT) {
			r->seen = 0;
			r->len = 0;
			return 0;
		}
		if (rc)
			return rc;
		r->seen = 1;
		r->changed_us = now_us;
	}
	if (last_line_is_eoc(r->buf, r->len))
		return complete(r);
	if (r->len == 0 || now_us - r->changed_us < r->quiet_us)
		return 0;
	/* Quiet long enough: take it if one more read gives the same. */
	{
		char *again = malloc(r->max_len + 1);
		size_t len2 = 0;

		if (!again)
			return fail(r, NP_ENOMEM, "out of memory");
		rc = read_whole(r, again, &len2, &st);
		if (rc == 0 && len2 == r->len && !memcmp(again, r->buf, len2)) {
			free(again);
			return complete(r);
		}
		if (rc == 0) {
			memcpy(r->buf, again, len2 + 1);
			r->len = len2;
			r->st = st;
			r->changed_us = now_us;
		} else if (rc == -ENOENT) {
			r->seen = 0;
			r->len = 0;
			rc = 0;
		}
		free(again);
		return rc;
	}
}

int sig_reader_poll(struct sig_reader *r, uint64_t now_us, const char **buf,
		    size_t *len)
{
	int rc;

	if (!r)
		return NP_EINVAL;
	if (r->state == 0)
		rc = r->stream ? poll_stream(r) : poll_file(r, now_us);
	else
		rc = r->state;
	if (rc == 1) {
		if (buf)
			*buf = r->buf;
		if (len)
			*len = r->len;
	}
	return rc;
}
