/*
 * test_capture_hold.c - the hold queue behind --capture's userland host
 * test (probe/capture_hold.c): a packet is due only once newer packets are
 * hold_us later, or at a bound, or at the end; order and bytes are kept;
 * a full queue refuses rather than dropping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "capture_hold.h"
#include "np_err.h"

static void push(struct capture_hold *h, uint64_t t, unsigned char tag)
{
	unsigned char pkt[3] = { tag, (unsigned char)(tag + 1), 0xee };

	assert_int_equal(capture_hold_push(h, t, pkt, sizeof(pkt), 1500), 0);
}

static void test_a_packet_waits_for_the_hold(void **state)
{
	struct capture_hold h;
	const struct capture_held *e;

	(void)state;
	assert_int_equal(capture_hold_init(&h, 16, 1 << 20, 100), 0);
	assert_null(capture_hold_due(&h, 0));
	push(&h, 1000, 1);
	assert_null(capture_hold_due(&h, 0));
	push(&h, 1099, 2);
	assert_null(capture_hold_due(&h, 0));     /* 99 us newer: not yet */
	push(&h, 1100, 3);
	e = capture_hold_due(&h, 0);              /* 100 us newer: due */
	assert_non_null(e);
	assert_int_equal(e->t, 1000);
	assert_int_equal(e->caplen, 3);
	assert_int_equal(e->len, 1500);
	assert_int_equal(e->data[0], 1);
	assert_int_equal(e->data[1], 2);
	capture_hold_pop(&h);
	assert_null(capture_hold_due(&h, 0));     /* 1099 is 1 us old */
	assert_int_equal(capture_hold_count(&h), 2);
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
		push(&h, 10u * i, i);
	while ((e = capture_hold_due(&h, 1)) != NULL) {
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
			assert_int_equal(capture_hold_push(&h, 99, pkt, 3, 3),
					 NP_EFULL);
			e = capture_hold_due(&h, 0);
			assert_non_null(e);
			assert_int_equal(e->data[0], (unsigned char)(i - 3));
			capture_hold_pop(&h);
		}
		push(&h, i, i);
	}
	assert_int_equal(capture_hold_count(&h), 3);
	capture_hold_free(&h);

	/* A byte bound: 2 x 3 bytes reach 6, so the oldest is due. */
	assert_int_equal(capture_hold_init(&h, 100, 6, 1000000), 0);
	push(&h, 1, 7);
	assert_null(capture_hold_due(&h, 0));
	push(&h, 2, 8);
	e = capture_hold_due(&h, 0);
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
	/* A packet stamped after a later one (clock stepped back) waits for
	 * the newest stamp, never wraps into "long ago". */
	push(&h, UINT64_MAX - 5, 1);
	push(&h, 50, 2);
	assert_null(capture_hold_due(&h, 0));
	/* An empty packet is kept as such. */
	assert_int_equal(capture_hold_push(&h, 60, NULL, 0, 0), 0);
	assert_int_equal(capture_hold_count(&h), 3);
	capture_hold_free(&h);
	assert_int_equal(capture_hold_count(&h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_packet_waits_for_the_hold),
		cmocka_unit_test(test_the_end_releases_all_in_order),
		cmocka_unit_test(test_the_ring_wraps_and_bounds_make_packets_due),
		cmocka_unit_test(test_clock_steps_back_and_bad_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
