/*
 * test_capture_write.c - the pcapng writer (probe/capture_write.c): the
 * exact bytes of a tiny file (SHB with comment, IDB, EPB), padding of
 * packet data and option values to 32 bits, snaplen truncation, and errors
 * when the file cannot be created or written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_write.h"
#include "np_err.h"

/* A temporary file name; the file is removed by the test. */
static void tmp_path(char *buf, size_t len)
{
	int fd;

	snprintf(buf, len, "/tmp/test_capture_write.XXXXXX");
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* The expected bytes, built field by field in host order (pcapng's). */
struct exp {
	uint8_t b[512];
	size_t n;
};

static void e16(struct exp *e, uint16_t v)
{
	memcpy(e->b + e->n, &v, 2);
	e->n += 2;
}

static void e32(struct exp *e, uint32_t v)
{
	memcpy(e->b + e->n, &v, 4);
	e->n += 4;
}

static void ebytes(struct exp *e, const void *v, size_t n)
{
	memcpy(e->b + e->n, v, n);
	e->n += n;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_tiny_file_has_exact_block_layout(void **state)
{
	static const uint8_t pkt[5] = { 1, 2, 3, 4, 5 };
	struct capture_writer *w;
	char path[64];
	uint8_t got[512];
	struct exp e = { .n = 0 };
	uint32_t id = 99;
	size_t n;

	tmp_path(path, sizeof(path));
	assert_int_equal(capture_writer_open(path, "ab", &w), 0);
	assert_int_equal(capture_writer_add_iface(w, 276, 100, "lo", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(capture_writer_packet(w, 0, 0x0000000123456789ull, pkt,
					       5, 60), 0);
	assert_int_equal(capture_writer_count(w), 1);
	assert_int_equal(capture_writer_close(w), 0);

	/* SHB: 24 bytes of header, shb_userappl "natprobe" (4 + 8),
	 * opt_comment "ab" padded to 4 (4 + 4), opt_endofopt, length. */
	e32(&e, 0x0A0D0D0A); e32(&e, 52); e32(&e, 0x1A2B3C4D);
	e16(&e, 1); e16(&e, 0); e32(&e, 0xFFFFFFFF); e32(&e, 0xFFFFFFFF);
	e16(&e, 4); e16(&e, 8); ebytes(&e, "natprobe", 8);
	e16(&e, 1); e16(&e, 2); ebytes(&e, "ab\0\0", 4);
	e16(&e, 0); e16(&e, 0);
	e32(&e, 52);
	assert_int_equal(e.n, 52);
	/* IDB: linktype, reserved, snaplen, if_name "lo" padded, if_tsresol
	 * 6 padded, opt_endofopt, length. */
	e32(&e, 1); e32(&e, 40);
	e16(&e, 276); e16(&e, 0); e32(&e, 100);
	e16(&e, 2); e16(&e, 2); ebytes(&e, "lo\0\0", 4);
	e16(&e, 9); e16(&e, 1); ebytes(&e, "\x06\0\0\0", 4);
	e16(&e, 0); e16(&e, 0);
	e32(&e, 40);
	assert_int_equal(e.n, 92);
	/* EPB: interface 0, timestamp high/low, caplen 5, len 60, data
	 * padded to 8, length. */
	e32(&e, 6); e32(&e, 40);
	e32(&e, 0); e32(&e, 0x1); e32(&e, 0x23456789);
	e32(&e, 5); e32(&e, 60);
	ebytes(&e, "\x01\x02\x03\x04\x05\0\0\0", 8);
	e32(&e, 40);
	assert_int_equal(e.n, 132);

	n = slurp(path, got, sizeof(got));
	unlink(path);
	assert_int_equal(n, e.n);
	assert_memory_equal(got, e.b, e.n);
}

static void test_packet_data_is_padded_to_32_bits(void **state)
{
	static const uint8_t data[9] = { 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
					 0xAA, 0xAA, 0xAA };
	struct capture_writer *w;
	char path[64];
	uint8_t got[1024];
	uint32_t id;
	size_t n, off;

	tmp_path(path, sizeof(path));
	assert_int_equal(capture_writer_open(path, NULL, &w), 0);
	assert_int_equal(capture_writer_add_iface(w, 1, 65535, NULL, &id), 0);
	for (uint32_t len = 0; len <= 9; len++)
		assert_int_equal(capture_writer_packet(w, id, 1, data, len, len), 0);
	assert_int_equal(capture_writer_close(w), 0);
	n = slurp(path, got, sizeof(got));
	unlink(path);

	/* No comment: SHB is 44 bytes; IDB without a name is 32. */
	assert_int_equal(rd32(got + 4), 44);
	assert_int_equal(rd32(got + 44 + 4), 32);
	off = 44 + 32;
	for (uint32_t len = 0; len <= 9; len++) {
		uint32_t total = 32 + ((len + 3) & ~3u);

		assert_true(off + total <= n);
		assert_int_equal(rd32(got + off), 6);
		assert_int_equal(rd32(got + off + 4), total);
		assert_int_equal(rd32(got + off + total - 4), total);
		assert_int_equal(total % 4, 0);
		assert_int_equal(rd32(got + off + 20), len);
		for (uint32_t i = len; i < ((len + 3) & ~3u); i++)
			assert_int_equal(got[off + 28 + i], 0);
		off += total;
	}
	assert_int_equal(off, n);
}

static void test_caplen_is_cut_to_the_interface_snaplen(void **state)
{
	uint8_t data[64] = { 0 };
	struct capture_writer *w;
	char path[64];
	uint8_t got[256];
	uint32_t id;
	size_t n;

	tmp_path(path, sizeof(path));
	assert_int_equal(capture_writer_open(path, NULL, &w), 0);
	assert_int_equal(capture_writer_add_iface(w, 1, 10, NULL, &id), 0);
	assert_int_equal(capture_writer_packet(w, id, 1, data, 64, 1500), 0);
	assert_int_equal(capture_writer_close(w), 0);
	n = slurp(path, got, sizeof(got));
	unlink(path);
	assert_int_equal(n, 44 + 32 + 32 + 12);
	assert_int_equal(rd32(got + 76 + 20), 10);    /* captured */
	assert_int_equal(rd32(got + 76 + 24), 1500);  /* on the wire */
}

static void test_rejects_bad_packets_and_unknown_interfaces(void **state)
{
	uint8_t data[4] = { 0 };
	struct capture_writer *w;
	char path[64];
	uint32_t id;

	tmp_path(path, sizeof(path));
	assert_int_equal(capture_writer_open(path, NULL, &w), 0);
	assert_int_equal(capture_writer_packet(w, 0, 1, data, 4, 4), NP_EINVAL);
	assert_int_equal(capture_writer_add_iface(w, 1, 0, NULL, &id), NP_EINVAL);
	assert_int_equal(capture_writer_add_iface(w, 1, 100, NULL, &id), 0);
	assert_int_equal(capture_writer_packet(w, id, 1, data, 4, 3), NP_EINVAL);
	assert_int_equal(capture_writer_packet(w, id + 1, 1, data, 4, 4), NP_EINVAL);
	assert_int_equal(capture_writer_count(w), 0);
	assert_int_equal(capture_writer_close(w), 0);
	unlink(path);
}

static void test_open_fails_when_the_file_cannot_be_created(void **state)
{
	struct capture_writer *w = (void *)1;

	assert_int_equal(capture_writer_open("/nonexistent-dir/x.pcapng", NULL, &w),
			 -ENOENT);
	assert_null(w);
	assert_int_equal(capture_writer_close(NULL), 0);
}

/* /dev/full accepts the open and fails every write with ENOSPC. */
static void test_write_error_is_reported_and_kept(void **state)
{
	static uint8_t data[1500];
	struct capture_writer *w;
	uint32_t id;
	int err = 0;

	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(capture_writer_open("/dev/full", NULL, &w), 0);
	assert_int_equal(capture_writer_add_iface(w, 1, 2000, NULL, &id), 0);
	/* Enough to fill the buffer: the flush fails part way. */
	for (int i = 0; i < 200 && err == 0; i++)
		err = capture_writer_packet(w, id, 1, data, sizeof(data), sizeof(data));
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(capture_writer_packet(w, id, 1, data, 1, 1), -ENOSPC);
	assert_int_equal(capture_writer_flush(w), -ENOSPC);
	assert_int_equal(capture_writer_close(w), -ENOSPC);
}

static void test_small_file_to_dev_full_fails_at_close(void **state)
{
	struct capture_writer *w;

	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(capture_writer_open("/dev/full", "x", &w), 0);
	assert_int_equal(capture_writer_close(w), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiny_file_has_exact_block_layout),
		cmocka_unit_test(test_packet_data_is_padded_to_32_bits),
		cmocka_unit_test(test_caplen_is_cut_to_the_interface_snaplen),
		cmocka_unit_test(test_rejects_bad_packets_and_unknown_interfaces),
		cmocka_unit_test(test_open_fails_when_the_file_cannot_be_created),
		cmocka_unit_test(test_write_error_is_reported_and_kept),
		cmocka_unit_test(test_small_file_to_dev_full_fails_at_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
