/*
 * test_sig_file.c - signaling files (probe/sig_file.c): atomic writes and
 * the polled reader's completion rules from the `natprobe ice` contract,
 * with real files in a fresh temp directory and a fake clock (every
 * now_us is passed by hand, so nothing depends on real time).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_err.h"
#include "sig_file.h"

#define MS 1000ull
#define T0 (1000000ull * 1000)

static const char sdp_lf[] =
	"v=0\n"
	"a=ice-ufrag:abcd\n"
	"a=ice-pwd:0123456789abcdef012345\n"
	"a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\n"
	"a=end-of-candidates\n";

struct tmpdir {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/test_sig_file.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/remote.sdp", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmpdir *t = *state;
	struct dirent *e;
	DIR *d = opendir(t->dir);
	char p[512];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Plain, non-atomic file writes, as another tool might do them. */
static void put(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_write_is_atomic_and_leaves_no_temp_file(void **state)
{
	struct tmpdir *t = *state;
	char why[256] = "", got[512] = "";
	FILE *f;

	put(t->path, "old contents\n", "w");
	assert_int_equal(sig_file_write(t->path, sdp_lf, strlen(sdp_lf), why,
					sizeof(why)), 0);
	f = fopen(t->path, "r");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got) - 1, f), strlen(sdp_lf));
	fclose(f);
	assert_string_equal(got, sdp_lf);
	assert_int_equal(files_in(t->dir), 1); /* no OUT.tmp.<pid> left */
}

static void test_write_failure_names_the_path_and_cleans_up(void **state)
{
	struct tmpdir *t = *state;
	char why[256] = "", bad[200];

	snprintf(bad, sizeof(bad), "%s/no/such/dir/out.sdp", t->dir);
	assert_int_equal(sig_file_write(bad, "x", 1, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, bad));
	assert_non_null(strstr(why, strerror(ENOENT)));
	/* The target is a directory: the temp file is made, rename fails,
	 * and the temp file must not stay behind. */
	snprintf(bad, sizeof(bad), "%s/adir", t->dir);
	assert_int_equal(mkdir(bad, 0755), 0);
	assert_int_equal(sig_file_write(bad, "x", 1, why, sizeof(why)),
			 -EISDIR);
	assert_non_null(strstr(why, "renaming"));
	assert_int_equal(files_in(t->dir), 1);
	rmdir(bad);
}

static void test_write_dash_goes_to_stdout(void **state)
{
	struct tmpdir *t = *state;
	char why[256] = "", got[512] = "";
	int saved = dup(STDOUT_FILENO), fd;
	FILE *f;

	fflush(stdout);
	fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	assert_int_equal(sig_file_write("-", sdp_lf, strlen(sdp_lf), why,
					sizeof(why)), 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fopen(t->path, "r");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got) - 1, f), strlen(sdp_lf));
	fclose(f);
	assert_string_equal(got, sdp_lf);
}

static void test_missing_file_is_not_yet_then_end_line_completes(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf = NULL;
	size_t len = 0;
	char why[128];

	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 10000 * MS, &buf, &len), 0);
	assert_int_equal(sig_file_write(t->path, sdp_lf, strlen(sdp_lf), why,
					sizeof(why)), 0);
	/* Complete at once: no quiet period needed with the end line. */
	assert_int_equal(sig_reader_poll(r, T0 + 10005 * MS, &buf, &len), 1);
	assert_int_equal(len, strlen(sdp_lf));
	assert_string_equal(buf, sdp_lf);
	/* Sticky: later polls give the same text. */
	assert_int_equal(sig_reader_poll(r, T0 + 20000 * MS, &buf, &len), 1);
	assert_string_equal(buf, sdp_lf);
	sig_reader_free(r);
}

static void test_crlf_end_line_with_trailing_blank_lines_completes(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "v=0\r\na=ice-ufrag:abcd\r\na=end-of-candidates\r\n\r\n",
	    "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 1);
	assert_int_equal(len, 46);
	sig_reader_free(r);
}

static void test_without_end_line_waits_for_the_quiet_period(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "a=ice-ufrag:abcd\na=ice-pwd:0123456789abcdef012345\n",
	    "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 199 * MS, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 200 * MS, &buf, &len), 1);
	assert_string_equal(buf,
		"a=ice-ufrag:abcd\na=ice-pwd:0123456789abcdef012345\n");
	sig_reader_free(r);
}

static void test_growth_restarts_the_quiet_period(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "a=ice-ufrag:abcd\n", "w");
	assert_int_equal(sig_reader_new(t->path, 50 * MS, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	put(t->path, "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\n", "a");
	assert_int_equal(sig_reader_poll(r, T0 + 40 * MS, &buf, &len), 0);
	/* 60 ms after the start but only 20 ms after the growth. */
	assert_int_equal(sig_reader_poll(r, T0 + 60 * MS, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 90 * MS, &buf, &len), 1);
	assert_string_equal(buf, "a=ice-ufrag:abcd\n"
				 "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\n");
	sig_reader_free(r);
}

static void test_empty_file_never_completes(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "", "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 60000 * MS, &buf, &len), 0);
	assert_string_equal(sig_reader_error(r), "");
	sig_reader_free(r);
}

static void test_end_line_must_be_last_and_exact(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "a=end-of-candidates\na=candidate:1 1 udp 1 192.0.2.1 9 typ host\n",
	    "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	sig_reader_free(r);
	put(t->path, "a=ice-ufrag:abcd\na=end-of-candidatesX\n", "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	sig_reader_free(r);
}

static void test_replaced_file_is_read_again_from_the_start(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;
	char why[128];

	put(t->path, "a=ice-ufrag:OLDOLDOLD\na=candidate:stale one\n", "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	/* Replaced by rename(), shorter, with the end line. */
	assert_int_equal(sig_file_write(t->path, "a=ice-ufrag:new1\na=end-of-candidates\n",
					37, why, sizeof(why)), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 5 * MS, &buf, &len), 1);
	assert_string_equal(buf, "a=ice-ufrag:new1\na=end-of-candidates\n");
	sig_reader_free(r);
}

static void test_truncated_in_place_is_read_again(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "a=ice-ufrag:OLDOLDOLD\na=ice-pwd:stale-stale-stale-stale\n",
	    "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(truncate(t->path, 0), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 5 * MS, &buf, &len), 0);
	put(t->path, "a=ice-ufrag:new2\n", "a");
	assert_int_equal(sig_reader_poll(r, T0 + 10 * MS, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 300 * MS, &buf, &len), 1);
	assert_string_equal(buf, "a=ice-ufrag:new2\n");
	sig_reader_free(r);
}

static void test_deleted_file_is_waited_for_again(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	put(t->path, "a=ice-ufrag:gone\n", "w");
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	unlink(t->path);
	assert_int_equal(sig_reader_poll(r, T0 + 500 * MS, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 900 * MS, &buf, &len), 0);
	sig_reader_free(r);
}

static void test_too_large_is_a_sticky_error_naming_the_cap(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;
	char big[102];

	memset(big, 'a', 101);
	big[101] = '\0';
	put(t->path, big, "w");
	assert_int_equal(sig_reader_new(t->path, 0, 100, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), NP_EFULL);
	assert_non_null(strstr(sig_reader_error(r), t->path));
	assert_non_null(strstr(sig_reader_error(r), "larger than 100 bytes"));
	big[100] = '\0';
	put(t->path, big, "w"); /* fits now, but the error stays */
	assert_int_equal(sig_reader_poll(r, T0 + 1000 * MS, &buf, &len),
			 NP_EFULL);
	sig_reader_free(r);
	/* Exactly the cap is fine. */
	assert_int_equal(sig_reader_new(t->path, 0, 100, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 200 * MS, &buf, &len), 1);
	assert_int_equal(len, 100);
	sig_reader_free(r);
}

static void test_directory_is_an_error_with_errno_text(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;

	assert_int_equal(sig_reader_new(t->dir, 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, NULL, NULL), -EISDIR);
	assert_non_null(strstr(sig_reader_error(r), t->dir));
	assert_non_null(strstr(sig_reader_error(r), strerror(EISDIR)));
	sig_reader_free(r);
}

/* Runs fn with fd 0 replaced by the read end of a fresh pipe. */
struct stdin_pipe {
	int saved;
	int wr;
};

static void stdin_pipe_open(struct stdin_pipe *p)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	p->saved = dup(STDIN_FILENO);
	assert_true(p->saved >= 0);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	p->wr = fds[1];
}

static void stdin_pipe_close(struct stdin_pipe *p)
{
	if (p->wr >= 0)
		close(p->wr);
	dup2(p->saved, STDIN_FILENO);
	close(p->saved);
}

static void test_stdin_stops_at_end_line_without_eof(void **state)
{
	struct stdin_pipe p;
	struct sig_reader *r;
	const char *buf;
	size_t len;
	static const char part2[] =
		"idates\r\nv=0 (the next description)\n";

	stdin_pipe_open(&p);
	assert_int_equal(sig_reader_new("-", 0, 0, &r), 0);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(write(p.wr, "v=0\r\na=ice-ufrag:abcd\r\na=end-of-cand", 36),
			 36);
	assert_int_equal(sig_reader_poll(r, T0 + 5 * MS, &buf, &len), 0);
	/* No quiet period on streams: only EOF or the end line. */
	assert_int_equal(sig_reader_poll(r, T0 + 5000 * MS, &buf, &len), 0);
	assert_int_equal(write(p.wr, part2, strlen(part2)),
			 (ssize_t)strlen(part2));
	assert_int_equal(sig_reader_poll(r, T0 + 5005 * MS, &buf, &len), 1);
	assert_string_equal(buf,
		"v=0\r\na=ice-ufrag:abcd\r\na=end-of-candidates\r\n");
	sig_reader_free(r);
	stdin_pipe_close(&p);
}

static void test_stdin_eof_completes_and_empty_eof_is_an_error(void **state)
{
	struct stdin_pipe p;
	struct sig_reader *r;
	const char *buf;
	size_t len;

	stdin_pipe_open(&p);
	assert_int_equal(sig_reader_new("-", 0, 0, &r), 0);
	assert_int_equal(write(p.wr, "a=ice-ufrag:abcd\n", 17), 17);
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	close(p.wr);
	p.wr = -1;
	assert_int_equal(sig_reader_poll(r, T0 + 5 * MS, &buf, &len), 1);
	assert_string_equal(buf, "a=ice-ufrag:abcd\n");
	sig_reader_free(r);
	stdin_pipe_close(&p);

	stdin_pipe_open(&p);
	assert_int_equal(sig_reader_new("-", 0, 0, &r), 0);
	close(p.wr);
	p.wr = -1;
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), NP_ETRUNCATED);
	assert_non_null(strstr(sig_reader_error(r), "stdin"));
	assert_non_null(strstr(sig_reader_error(r), "closed"));
	sig_reader_free(r);
	stdin_pipe_close(&p);
}

static void test_stdin_over_the_cap_is_an_error(void **state)
{
	struct stdin_pipe p;
	struct sig_reader *r;
	char junk[300];

	memset(junk, 'x', sizeof(junk));
	stdin_pipe_open(&p);
	assert_int_equal(sig_reader_new("-", 0, 256, &r), 0);
	assert_int_equal(write(p.wr, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	assert_int_equal(sig_reader_poll(r, T0, NULL, NULL), NP_EFULL);
	assert_non_null(strstr(sig_reader_error(r), "stdin: larger than 256"));
	sig_reader_free(r);
	stdin_pipe_close(&p);
}

static void test_fifo_is_read_as_a_stream(void **state)
{
	struct tmpdir *t = *state;
	struct sig_reader *r;
	const char *buf;
	size_t len;
	int wr;

	assert_int_equal(mkfifo(t->path, 0600), 0);
	assert_int_equal(sig_reader_new(t->path, 0, 0, &r), 0);
	/* No writer yet: EOF here is not the end. */
	assert_int_equal(sig_reader_poll(r, T0, &buf, &len), 0);
	assert_int_equal(sig_reader_poll(r, T0 + 5 * MS, &buf, &len), 0);
	wr = open(t->path, O_WRONLY | O_NONBLOCK);
	assert_true(wr >= 0);
	assert_int_equal(write(wr, "a=ice-ufrag:fifo\n", 17), 17);
	assert_int_equal(sig_reader_poll(r, T0 + 10 * MS, &buf, &len), 0);
	close(wr);
	assert_int_equal(sig_reader_poll(r, T0 + 15 * MS, &buf, &len), 1);
	assert_string_equal(buf, "a=ice-ufrag:fifo\n");
	sig_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_write_is_atomic_and_leaves_no_temp_file),
		T(test_write_failure_names_the_path_and_cleans_up),
		T(test_write_dash_goes_to_stdout),
		T(test_missing_file_is_not_yet_then_end_line_completes),
		T(test_crlf_end_line_with_trailing_blank_lines_completes),
		T(test_without_end_line_waits_for_the_quiet_period),
		T(test_growth_restarts_the_quiet_period),
		T(test_empty_file_never_completes),
		T(test_end_line_must_be_last_and_exact),
		T(test_replaced_file_is_read_again_from_the_start),
		T(test_truncated_in_place_is_read_again),
		T(test_deleted_file_is_waited_for_again),
		T(test_too_large_is_a_sticky_error_naming_the_cap),
		T(test_directory_is_an_error_with_errno_text),
		T(test_stdin_stops_at_end_line_without_eof),
		T(test_stdin_eof_completes_and_empty_eof_is_an_error),
		T(test_stdin_over_the_cap_is_an_error),
		T(test_fifo_is_read_as_a_stream),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
