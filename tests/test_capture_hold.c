/*
 * test_capture_hold.c - the hold queue behind --capture's userland host
 * test (probe/capture_hold.c): a packet is due only once it has been held
 * hold_us by the reader's clock (whatever its capture stamp), or at a
 * bound, or at the end; order and bytes are kept; a full queue refuses
 * rather than dropping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "capture_hold.h"
#include "np_err.h"

/* A 3-byte packet tagged tag, stamped t, read at time at. */
static void push(struct capture_hold *h, uint64_t t, uint64_t at,
		 unsigned char tag)
{
	unsigned char pkt[3] = { tag, (unsigned char)(tag + 1), 0xee };

	assert_int_equal(capture_hold_push(h, t, at, pkt, sizeof(pkt), 1500),
			 0);
}

static void test_a_packet_waits_for_the_hold(void **state)
{
	struct capture_hold h;
	const struct capture_held *e;

	(void)state;
	assert_int_equal(capture_hold_init(&h, 16, 1 << 20, 100), 0);
	assert_null(capture_hold_due(&h, 5000, 0));
	push(&h, 7, 1000, 1);
	push(&h, 8, 1050, 2);
	assert_null(capture_hold_due(&h, 1099, 0));    /* held 99 us */
	e = capture_hold_due(&h, 1100, 0);             /* held 100 us */
	assert_non_null(e);
	assert_int_equal(e->t, 7);
	assert_int_equal(e->at, 1000);
	assert_int_equal(e->caplen, 3);
	assert_int_equal(e->len, 1500);
	assert_int_equal(e->data[0], 1);
	assert_int_equal(e->data[1], 2);
	capture_hold_pop(&h);
	assert_null(capture_hold_due(&h, 1100, 0));    /* the next: 50 us */
	assert_int_equal(capture_hold_count(&h), 1);
	capture_hold_free(&h);
}

/* After a stall a burst of old packets is read at once: their capture
 * stamps are long past, but they wait the hold from when they were read
 * (time for the observations that name their hosts). */
static void test_old_packets_read_late_still_wait(void **state)
{
	struct capture_hold h;

	(void)state;
	assert_int_equal(capture_hold_init(&h, 16, 1 << 20, 250000), 0);
	push(&h, 1000, 3000000, 1);            /* stamped 3 s before */
	push(&h, 2000000, 3000001, 2);
	assert_null(capture_hold_due(&h, 3000001, 0));
	assert_null(capture_hold_due(&h, 3249999, 0));
	assert_non_null(capture_hold_due(&h, 3250000, 0));
	capture_hold_free(&h);
}

static void test_the_end_releases_all_in_order(void **state)
{
	struct capture_hold h;
	const struct capture_held *e;
	unsigned char want = 1;

	(void)state;
	assert_int_equal(capture_hold_init(&h, 4, 1 << 20, 1000000), 0);
	for (unsigned char i = 1; i <= 3; i++)
		push(&h, 10u * i, 10u * i, i);
	while ((e = capture_hold_due(&h, 40, 1)) != NULL) {
		assert_int_equal(e->data[0], want);
		want++;
		capture_hold_pop(&h);
	}
	assert_int_equal(want, 4);
	assert_int_equal(capture_hold_count(&h), 0);
	capture_hold_pop(&h);                     /* empty: harmless */
	capture_hold_free(&h);
}

static void test_the_ring_wraps_and_bounds_make_packets_due(void **state)
{
	struct capture_hold h;
	const struct capture_held *e;
	unsigned char pkt[3] = { 0 };

	(void)state;
	assert_int_equal(capture_hold_init(&h, 3, 1 << 20, 1000000), 0);
	for (unsigned char i = 0; i < 10; i++) {
		if (capture_hold_count(&h) == 3) {
			/* Full: the oldest is due now, and a push refuses. */
			assert_int_equal(capture_hold_push(&h, 99, i, pkt, 3, 3),
					 NP_EFULL);
			e = capture_hold_due(&h, i, 0);
			assert_non_null(e);
			assert_int_equal(e->data[0], (unsigned char)(i - 3));
			capture_hold_pop(&h);
		}
		push(&h, i, i, i);
	}
	assert_int_equal(capture_hold_count(&h), 3);
	capture_hold_free(&h);

	/* A byte bound: 2 x 3 bytes reach 6, so the oldest is due. */
	assert_int_equal(capture_hold_init(&h, 100, 6, 1000000), 0);
	push(&h, 1, 1, 7);
	assert_null(capture_hold_due(&h, 2, 0));
	push(&h, 2, 2, 8);
	e = capture_hold_due(&h, 2, 0);
	assert_non_null(e);
	assert_int_equal(e->data[0], 7);
	capture_hold_free(&h);
}

static void test_clock_steps_back_and_bad_bounds(void **state)
{
	struct capture_hold h;

	(void)state;
	assert_int_equal(capture_hold_init(&h, 0, 10, 1), NP_EINVAL);
	assert_int_equal(capture_hold_init(&h, 10, 0, 1), NP_EINVAL);
	assert_int_equal(capture_hold_init(&h, 4, 1 << 20, 100), 0);
	/* A "now" before the packet was read never wraps into "long ago". */
	push(&h, 1, UINT64_MAX - 5, 1);
	assert_null(capture_hold_due(&h, 50, 0));
	/* An empty packet is kept as such. */
	assert_int_equal(capture_hold_push(&h, 60, 60, NULL, 0, 0), 0);
	assert_int_equal(capture_hold_count(&h), 2);
	capture_hold_free(&h);
	assert_int_equal(capture_hold_count(&h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_packet_waits_for_the_hold),
		cmocka_unit_test(test_old_packets_read_late_still_wait),
		cmocka_unit_test(test_the_end_releases_all_in_order),
		cmocka_unit_test(test_the_ring_wraps_and_bounds_make_packets_due),
		cmocka_unit_test(test_clock_steps_back_and_bad_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
