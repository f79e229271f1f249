/*
 * nice_sig.c - signaling files as `natprobe ice` exchanges them (nice_sig.h).
 */
#include "nice_sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sig_write(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	size_t off = 0;
	int fd, n, err = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int sig_has_end(const char *text, size_t len)
{
	static const char eoc[] = "a=end-of-candidates";
	size_t end = len, start;

	/* the last non-empty line, without its CR/LF and trailing blanks */
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' ||
			   text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	return end - start == sizeof(eoc) - 1 &&
	       memcmp(text + start, eoc, sizeof(eoc) - 1) == 0;
}

static int read_all(const char *path, char **out, size_t *len)
{
	char *buf;
	size_t cap = SIG_MAX_BYTES + 1, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < cap) {
		ssize_t r = read(fd, buf + got, cap - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			close(fd);
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got > SIG_MAX_BYTES) {
		free(buf);
		return -EFBIG;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int sig_poll(struct sig_reader *r, int64_t now_us, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int rc;

	if (stat(r->path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (st.st_size > SIG_MAX_BYTES)
		return -EFBIG;
	if ((long long)st.st_size != r->last_size) {
		r->last_size = (long long)st.st_size;
		r->last_change_us = now_us;
	}
	rc = read_all(r->path, &buf, &n);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (sig_has_end(buf, n) || now_us - r->last_change_us >= SIG_STABLE_US) {
		*out = buf;
		*len = n;
		return 1;
	}
	free(buf);
	return 0;
}
