/*
 * test_map_guard.c - a capture that shrinks while natprobe reads it
 * (probe/map_guard.c through probe/capture_read.c): the reader stops with
 * an error naming what happened instead of dying of SIGBUS, and keeps the
 * records before the cut; a SIGBUS outside every guarded mapping is not
 * swallowed; handles are bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture_read.h"
#include "capture_write.h"
#include "map_guard.h"
#include "np_err.h"

#define NPKT 2000
#define PKTLEN 1000

/* A pcapng file of NPKT raw-IP packets of PKTLEN bytes. */
static void write_capture(char *path, size_t plen)
{
	struct capture_writer *w;
	uint8_t pkt[PKTLEN];
	uint32_t id;
	int fd;

	snprintf(path, plen, "/tmp/test_map_guard.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	memset(pkt, 0x45, sizeof(pkt));
	assert_int_equal(capture_writer_open(path, "map_guard", &w), 0);
	assert_int_equal(capture_writer_add_iface(w, 101, 65535, "raw", &id), 0);
	for (uint32_t i = 0; i < NPKT; i++)
		assert_int_equal(capture_writer_packet(w, id, 1000000u + i, pkt,
						       PKTLEN, PKTLEN), 0);
	assert_int_equal(capture_writer_close(w), 0);
}

/* Writes the capture, maps it, cuts the file to cut bytes (0: leaves it)
 * as another process would, and reads every record; returns the last
 * capture_next code with the records read in *n and the hit mark. */
static int read_cut(off_t cut, uint64_t *n, int *hit, char *detail,
		    size_t dlen)
{
	struct capture_file cf;
	struct capture_pkt pkt;
	char path[64];
	int rc;

	write_capture(path, sizeof(path));
	assert_int_equal(capture_open(&cf, path, detail, dlen), 0);
	assert_true(cf.guard > 0);
	if (cut)
		assert_int_equal(truncate(path, cut), 0);
	*n = 0;
	while ((rc = capture_next(&cf, &pkt, detail, dlen)) == 1) {
		assert_int_equal(pkt.caplen, PKTLEN);
		assert_int_equal(pkt.data[0], 0x45);
		(*n)++;
	}
	*hit = map_guard_hit(cf.guard);
	capture_close(&cf);
	unlink(path);
	return rc;
}

static void test_a_file_cut_while_mapped_stops_with_a_named_error(void **state)
{
	char detail[256] = "";
	uint64_t n;
	int hit;

	(void)state;
	/* The pages past 64 KiB are gone from under the mapping. */
	assert_int_equal(read_cut(65536, &n, &hit, detail, sizeof(detail)),
			 NP_ETRUNCATED);
	assert_non_null(strstr(detail, "shrank while being read"));
	/* The records wholly inside the first 64 KiB were kept. */
	assert_true(n > 50 && n < 66);
	assert_int_equal(hit, 1);
}

/* A cut inside a page: the rest of that page reads as zeros without a
 * fault; the reader still names the shrink rather than a corrupt block. */
static void test_a_cut_inside_a_page_is_named_too(void **state)
{
	char detail[256] = "";
	uint64_t n;
	int hit;

	(void)state;
	assert_int_equal(read_cut(65536 + 100, &n, &hit, detail,
				  sizeof(detail)), NP_ETRUNCATED);
	assert_non_null(strstr(detail, "shrank while being read"));
	assert_non_null(strstr(detail, "65636 now"));
	assert_true(n > 50 && n < 66);
}

static void test_an_intact_file_reads_to_the_end(void **state)
{
	char detail[256] = "";
	uint64_t n;
	int hit;

	(void)state;
	assert_int_equal(read_cut(0, &n, &hit, detail, sizeof(detail)), 0);
	assert_int_equal(n, NPKT);
	assert_int_equal(hit, 0);
}

static void test_handles_are_bounded(void **state)
{
	static const char area[64];
	int h[MAP_GUARD_SLOTS];

	(void)state;
	for (size_t i = 0; i < MAP_GUARD_SLOTS; i++) {
		h[i] = map_guard_add(area, sizeof(area));
		assert_true(h[i] > 0);
	}
	assert_int_equal(map_guard_add(area, sizeof(area)), 0);
	for (size_t i = 0; i < MAP_GUARD_SLOTS; i++) {
		assert_int_equal(map_guard_hit(h[i]), 0);
		map_guard_del(h[i]);
	}
	assert_int_equal(map_guard_hit(0), 0);
	assert_int_equal(map_guard_hit(MAP_GUARD_SLOTS + 1), 0);
	map_guard_del(0);
	map_guard_del(-3);
}

/* A SIGBUS on a mapping nobody guards still ends the process. */
static void test_an_unguarded_sigbus_is_not_swallowed(void **state)
{
	static const char area[64];
	char path[64];
	pid_t pid;
	int st, fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_map_guard.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile const char *p;

		/* Not cmocka's handler underneath but the default, and the
		 * guard installed over it. */
		signal(SIGBUS, SIG_DFL);
		if (map_guard_add(area, sizeof(area)) <= 0)
			_exit(3);
		p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0) != 0)
			_exit(2);
		(void)p[4096];      /* past the end: SIGBUS */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(fd);
	unlink(path);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);

	/* Nor one sent with kill(): not a fault of ours either. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		if (map_guard_add(area, sizeof(area)) <= 0)
			_exit(3);
		kill(getpid(), SIGBUS);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_file_cut_while_mapped_stops_with_a_named_error),
		cmocka_unit_test(test_a_cut_inside_a_page_is_named_too),
		cmocka_unit_test(test_an_intact_file_reads_to_the_end),
		cmocka_unit_test(test_handles_are_bounded),
		cmocka_unit_test(test_an_unguarded_sigbus_is_not_swallowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
