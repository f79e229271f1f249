/*
 * test_evloop.c - the event loop (probe/evloop.c) under a fake clock:
 * timers fire by deadline then insertion order (as libuv's do), callbacks
 * may stop and restart any timer, a timer re-armed for "now" waits for the
 * next iteration, np_loop_run ends when nothing is left, and descriptors
 * are dispatched through a socketpair.
 *
 * No test reads the real clock; waits on descriptors are only made when
 * the descriptor is already ready, or bounded by loop iterations, and a
 * watchdog alarm turns a loop that never returns into a failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "np_err.h"

/* Time stands still unless a test moves it. */
struct fake_clock {
	uint64_t now;
	unsigned reads;
};

static uint64_t fake_now(void *arg)
{
	struct fake_clock *c = arg;

	c->reads++;
	return c->now;
}

#define MAX_FIRED 2048

/* What fired, in order. */
struct trace {
	int fired[MAX_FIRED];
	size_t n;
};

/* A timer that appends its id to a trace and may do one thing more. */
struct tt {
	struct np_timer t;
	int id;
	struct trace *trace;
	struct np_loop *loop;
	void (*then)(struct tt *self);
	struct tt *other;      /* the timer `then` acts on */
	uint64_t when;         /* a deadline `then` may use */
	int count;             /* how many times this one fired */
	int limit;
	uint64_t seen_now;
	uint64_t seen_update;
	int active_in_cb;
};

static void tt_fire(struct np_loop *loop, void *arg)
{
	struct tt *x = arg;

	x->count++;
	x->active_in_cb = np_timer_active(&x->t);
	x->seen_now = np_loop_now(loop);
	if (x->trace->n < MAX_FIRED)
		x->trace->fired[x->trace->n++] = x->id;
	if (x->then)
		x->then(x);
}

static void tt_init(struct tt *x, int id, struct trace *tr,
		    struct np_loop *loop)
{
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->trace = tr;
	x->loop = loop;
	np_timer_init(&x->t, tt_fire, x);
}

static void tt_start(struct tt *x, uint64_t deadline)
{
	assert_int_equal(np_timer_start(x->loop, &x->t, deadline), 0);
}

struct fixture {
	struct np_loop *loop;
	struct fake_clock clock;
	struct trace trace;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (np_loop_new(&f.loop) != 0)
		return -1;
	f.clock.now = 1000;
	np_loop_set_clock(f.loop, fake_now, &f.clock);
	*state = &f;
	/* Watchdog: a loop that blocks when it should return kills the run
	 * (SIGALRM) instead of hanging it. Not a timing assertion. */
	alarm(30);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	alarm(0);
	np_loop_free(f->loop);
	return 0;
}

static void assert_trace(const struct trace *tr, const int *want, size_t n)
{
	if (tr->n != n)
		fail_msg("%zu timers fired, expected %zu", tr->n, n);
	for (size_t i = 0; i < n; i++)
		if (tr->fired[i] != want[i])
			fail_msg("firing %zu was timer %d, expected %d", i,
				 tr->fired[i], want[i]);
}

/* One iteration that never blocks. */
static void step(struct fixture *f)
{
	assert_int_equal(np_loop_run_once(f->loop, 0), 0);
}

static void test_set_clock_reads_the_fake_clock_at_once(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(np_loop_now(f->loop), 1000);
	f->clock.now = 2500;
	assert_int_equal(np_loop_now(f->loop), 1000);
	assert_int_equal(np_loop_update_now(f->loop), 2500);
	assert_int_equal(np_loop_now(f->loop), 2500);
}

static void test_timers_fire_in_deadline_order(void **state)
{
	struct fixture *f = *state;
	struct tt a, b, c, d;
	static const int want[] = { 2, 3, 1, 4 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	tt_init(&c, 3, &f->trace, f->loop);
	tt_init(&d, 4, &f->trace, f->loop);
	tt_start(&a, 900);
	tt_start(&b, 100);
	tt_start(&c, 500);
	tt_start(&d, 1000);
	step(f);
	assert_trace(&f->trace, want, 4);
}

static void test_timers_with_equal_deadlines_fire_in_insertion_order(void **state)
{
	struct fixture *f = *state;
	struct tt x[6];
	static const int order[] = { 3, 1, 4, 0, 5, 2 };

	for (int i = 0; i < 6; i++)
		tt_init(&x[i], i, &f->trace, f->loop);
	for (int i = 0; i < 6; i++)
		tt_start(&x[order[i]], 700);
	step(f);
	assert_trace(&f->trace, order, 6);
}

static void test_rearming_moves_a_timer_behind_its_ties(void **state)
{
	struct fixture *f = *state;
	struct tt a, b, c;
	static const int want[] = { 2, 3, 1 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	tt_init(&c, 3, &f->trace, f->loop);
	tt_start(&a, 100);
	tt_start(&b, 100);
	tt_start(&c, 100);
	tt_start(&a, 100);
	step(f);
	assert_trace(&f->trace, want, 3);
}

static void test_timers_not_yet_due_wait_for_the_clock(void **state)
{
	struct fixture *f = *state;
	struct tt a, b;
	static const int want1[] = { 1 }, want2[] = { 1, 2 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	tt_start(&a, 1000);
	tt_start(&b, 1001);
	step(f);
	assert_trace(&f->trace, want1, 1);
	assert_false(np_timer_active(&a.t));
	assert_true(np_timer_active(&b.t));
	for (int i = 0; i < 5; i++)
		step(f);
	assert_trace(&f->trace, want1, 1);
	f->clock.now = 1001;
	step(f);
	assert_trace(&f->trace, want2, 2);
	assert_false(np_timer_active(&b.t));
}

static void test_timer_is_inactive_in_its_own_callback_and_after_stop(void **state)
{
	struct fixture *f = *state;
	struct tt a;

	tt_init(&a, 1, &f->trace, f->loop);
	assert_false(np_timer_active(&a.t));
	tt_start(&a, 5000);
	assert_true(np_timer_active(&a.t));
	np_timer_stop(f->loop, &a.t);
	assert_false(np_timer_active(&a.t));
	np_timer_stop(f->loop, &a.t);     /* twice is harmless */
	f->clock.now = 9000;
	step(f);
	assert_int_equal(a.count, 0);
	tt_start(&a, 9000);
	step(f);
	assert_int_equal(a.count, 1);
	assert_false(a.active_in_cb);
}

/* Deterministic pseudo-random numbers (a 32-bit LCG). */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void test_many_timers_with_stops_fire_sorted_by_deadline_then_arming(void **state)
{
	enum { N = 1000 };
	struct fixture *f = *state;
	static struct tt x[N];
	uint64_t deadline[N];
	int armed_order[N], stopped[N];
	uint32_t seed = 12345;
	size_t expected = 0;

	memset(stopped, 0, sizeof(stopped));
	for (int i = 0; i < N; i++) {
		tt_init(&x[i], i, &f->trace, f->loop);
		deadline[i] = 100 + lcg(&seed) % 50;   /* many ties */
		tt_start(&x[i], deadline[i]);
		armed_order[i] = i;
	}
	/* Stop a third, from anywhere in the heap. */
	for (int i = 0; i < N; i++) {
		if (lcg(&seed) % 3 == 0) {
			np_timer_stop(f->loop, &x[i].t);
			stopped[i] = 1;
		} else {
			expected++;
		}
	}
	step(f);
	assert_int_equal(f->trace.n, expected);
	for (size_t k = 0; k < f->trace.n; k++) {
		int id = f->trace.fired[k];

		assert_false(stopped[id]);
		if (k > 0) {
			int prev = f->trace.fired[k - 1];

			assert_true(deadline[prev] < deadline[id] ||
				    (deadline[prev] == deadline[id] &&
				     armed_order[prev] < armed_order[id]));
		}
	}
}

static void stop_other(struct tt *self)
{
	np_timer_stop(self->loop, &self->other->t);
}

static void test_callback_can_stop_a_timer_due_in_the_same_iteration(void **state)
{
	struct fixture *f = *state;
	struct tt a, b, c;
	static const int want[] = { 1, 3 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	tt_init(&c, 3, &f->trace, f->loop);
	a.then = stop_other;
	a.other = &b;
	tt_start(&a, 100);
	tt_start(&b, 100);
	tt_start(&c, 200);
	step(f);
	assert_trace(&f->trace, want, 2);
	assert_false(np_timer_active(&b.t));
}

static void restart_other(struct tt *self)
{
	tt_start(self->other, self->when);
}

static void test_callback_can_push_a_due_timer_later(void **state)
{
	struct fixture *f = *state;
	struct tt a, b;
	static const int want1[] = { 1 }, want2[] = { 1, 2 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	a.then = restart_other;
	a.other = &b;
	a.when = 5000;
	tt_start(&a, 100);
	tt_start(&b, 200);
	step(f);
	assert_trace(&f->trace, want1, 1);
	assert_true(np_timer_active(&b.t));
	f->clock.now = 4999;
	step(f);
	assert_trace(&f->trace, want1, 1);
	f->clock.now = 5000;
	step(f);
	assert_trace(&f->trace, want2, 2);
}

static void test_callback_can_pull_another_timer_into_this_iteration(void **state)
{
	struct fixture *f = *state;
	struct tt a, b;
	static const int want[] = { 1, 2 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	a.then = restart_other;
	a.other = &b;
	a.when = 999;
	tt_start(&a, 100);
	tt_start(&b, 90000);
	/* b becomes due while the pass is running; it was armed before the
	 * pass began, so it may fire now or next time, but exactly once. */
	step(f);
	step(f);
	assert_trace(&f->trace, want, 2);
}

static void rearm_now(struct tt *self)
{
	if (self->count < self->limit)
		tt_start(self, np_loop_now(self->loop));
}

static void test_timer_rearmed_for_now_fires_on_the_next_iteration(void **state)
{
	struct fixture *f = *state;
	struct tt a;

	tt_init(&a, 1, &f->trace, f->loop);
	a.then = rearm_now;
	a.limit = 1000;
	tt_start(&a, 1000);
	step(f);
	assert_int_equal(a.count, 1);
	assert_true(np_timer_active(&a.t));
	step(f);
	assert_int_equal(a.count, 2);
	step(f);
	assert_int_equal(a.count, 3);
}

static void test_timer_rearmed_for_now_waits_even_beside_other_timers(void **state)
{
	struct fixture *f = *state;
	struct tt a, later[3];

	/* Regression (was a bug): probe/evloop.c fire_timers() bounds a pass by the number of
	 * timers armed (budget = nheap), not by which were armed before the
	 * pass; with three other timers pending, a timer that re-arms itself
	 * for "now" fires four times in one iteration, starving I/O. */
	tt_init(&a, 1, &f->trace, f->loop);
	a.then = rearm_now;
	a.limit = 1000;
	for (int i = 0; i < 3; i++) {
		tt_init(&later[i], 10 + i, &f->trace, f->loop);
		tt_start(&later[i], 50000);
	}
	tt_start(&a, 1000);
	step(f);
	assert_int_equal(a.count, 1);
	step(f);
	assert_int_equal(a.count, 2);
}

static void test_run_returns_at_once_when_nothing_is_armed_or_watched(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(np_loop_run(f->loop), 0);
	assert_int_equal(f->trace.n, 0);
	np_loop_free(NULL);     /* x_free(NULL) does nothing */
}

static void test_run_returns_after_the_last_timer_fires(void **state)
{
	struct fixture *f = *state;
	struct tt a, b;

	/* Regression (was a bug): probe/evloop.c np_loop_run_once() waits in epoll_wait with no
	 * timeout (-1) after firing the last timer when no fd is watched, so
	 * np_loop_run never gets to re-check its "nothing armed" condition
	 * and blocks forever instead of returning. */
	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	a.then = rearm_now;
	a.limit = 5;
	tt_start(&a, 0);
	tt_start(&b, 1000);
	assert_int_equal(np_loop_run(f->loop), 0);
	assert_int_equal(a.count, 5);
	assert_int_equal(b.count, 1);
	assert_false(np_timer_active(&a.t));
}

static void stop_loop(struct tt *self)
{
	np_loop_stop(self->loop);
}

static void test_stop_in_a_callback_ends_run_before_the_next_timer(void **state)
{
	struct fixture *f = *state;
	struct tt a, b;
	static const int want1[] = { 1 }, want2[] = { 1, 2 };

	tt_init(&a, 1, &f->trace, f->loop);
	tt_init(&b, 2, &f->trace, f->loop);
	a.then = stop_loop;
	b.then = stop_loop;
	tt_start(&a, 100);
	tt_start(&b, 100);
	assert_int_equal(np_loop_run(f->loop), 0);
	assert_trace(&f->trace, want1, 1);
	assert_true(np_timer_active(&b.t));
	/* A new run clears the stop and goes on where the last one ended. */
	assert_int_equal(np_loop_run(f->loop), 0);
	assert_trace(&f->trace, want2, 2);
}

static void test_loop_now_is_read_once_per_iteration(void **state)
{
	struct fixture *f = *state;
	struct tt a;
	unsigned before;

	tt_init(&a, 1, &f->trace, f->loop);
	tt_start(&a, 1000);
	f->clock.now = 1200;
	before = f->clock.reads;
	step(f);
	assert_int_equal(a.seen_now, 1200);
	/* Once before the timers, once after the (empty) wait. */
	assert_true(f->clock.reads - before <= 2);
}

/* Descriptors ------------------------------------------------------------ */

struct io_seen {
	int calls;
	int fd;
	uint32_t events;
	void *arg;
	struct np_loop *loop;
	int del_self;
	int del_other;
	int other_fd;
	int *shared_calls;
};

static void on_io(struct np_loop *loop, int fd, uint32_t events, void *arg)
{
	struct io_seen *s = arg;
	char buf[16];

	s->calls++;
	s->fd = fd;
	s->events = events;
	s->arg = arg;
	if (s->shared_calls)
		(*s->shared_calls)++;
	if (events & EPOLLIN)
		(void)!read(fd, buf, sizeof(buf));
	if (s->del_self)
		np_loop_del_fd(loop, fd);
	if (s->del_other)
		np_loop_del_fd(loop, s->other_fd);
}

static void make_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void test_fd_callback_gets_fd_events_and_arg_when_readable(void **state)
{
	struct fixture *f = *state;
	struct io_seen s = { 0 };
	int sv[2];

	make_pair(sv);
	assert_int_equal(np_loop_add_fd(f->loop, sv[0], EPOLLIN, on_io, &s), 0);
	step(f);
	assert_int_equal(s.calls, 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	/* Readable already: the wait returns at once. */
	assert_int_equal(np_loop_run_once(f->loop, 1000000), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.fd, sv[0]);
	assert_true(s.events & EPOLLIN);
	assert_ptr_equal(s.arg, &s);
	step(f);
	assert_int_equal(s.calls, 1);     /* drained: no second call */
	np_loop_del_fd(f->loop, sv[0]);
	close(sv[0]);
	close(sv[1]);
}

static void test_mod_fd_switches_the_events_watched(void **state)
{
	struct fixture *f = *state;
	struct io_seen s = { 0 };
	int sv[2];

	make_pair(sv);
	assert_int_equal(np_loop_add_fd(f->loop, sv[0], EPOLLIN, on_io, &s), 0);
	step(f);
	assert_int_equal(s.calls, 0);
	assert_int_equal(np_loop_mod_fd(f->loop, sv[0], EPOLLOUT), 0);
	step(f);
	assert_int_equal(s.calls, 1);
	assert_true(s.events & EPOLLOUT);
	assert_false(s.events & EPOLLIN);
	np_loop_del_fd(f->loop, sv[0]);
	s.calls = 0;
	step(f);
	assert_int_equal(s.calls, 0);
	assert_true(np_loop_mod_fd(f->loop, sv[0], EPOLLIN) < 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_run_returns_once_the_last_fd_is_removed(void **state)
{
	struct fixture *f = *state;
	struct io_seen s = { 0 };
	int sv[2];

	make_pair(sv);
	s.del_self = 1;
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(np_loop_add_fd(f->loop, sv[0], EPOLLIN, on_io, &s), 0);
	assert_int_equal(np_loop_run(f->loop), 0);
	assert_int_equal(s.calls, 1);
	close(sv[0]);
	close(sv[1]);
}

static void test_fd_removed_by_another_callback_is_not_dispatched(void **state)
{
	struct fixture *f = *state;
	struct io_seen a = { 0 }, b = { 0 };
	int p[2], q[2], total = 0;

	make_pair(p);
	make_pair(q);
	/* Whichever runs first removes the other, whose event is already in
	 * the batch epoll returned. */
	a.del_other = 1;
	a.other_fd = q[0];
	a.shared_calls = &total;
	b.del_other = 1;
	b.other_fd = p[0];
	b.shared_calls = &total;
	assert_int_equal(np_loop_add_fd(f->loop, p[0], EPOLLIN, on_io, &a), 0);
	assert_int_equal(np_loop_add_fd(f->loop, q[0], EPOLLIN, on_io, &b), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(np_loop_run_once(f->loop, 1000000), 0);
	assert_int_equal(total, 1);
	np_loop_del_fd(f->loop, p[0]);
	np_loop_del_fd(f->loop, q[0]);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void test_adding_an_fd_twice_fails_without_counting_it_twice(void **state)
{
	struct fixture *f = *state;
	struct io_seen s = { 0 };
	int sv[2];

	make_pair(sv);
	assert_int_equal(np_loop_add_fd(f->loop, sv[0], EPOLLIN, on_io, &s), 0);
	assert_int_equal(np_loop_add_fd(f->loop, sv[0], EPOLLIN, on_io, &s),
			 -EEXIST);
	assert_int_equal(np_loop_add_fd(f->loop, -1, EPOLLIN, on_io, &s),
			 NP_EINVAL);
	np_loop_del_fd(f->loop, sv[0]);
	np_loop_del_fd(f->loop, sv[0]);   /* twice is harmless */
	/* Nothing is watched now: a loop that still counted the failed add
	 * would block here (the watchdog in setup() ends that). */
	assert_int_equal(np_loop_run(f->loop), 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_high_numbered_fd_is_watched(void **state)
{
	struct fixture *f = *state;
	struct io_seen s = { 0 };
	int sv[2], hi;

	make_pair(sv);
	hi = dup2(sv[0], 300);
	assert_int_equal(hi, 300);
	assert_int_equal(np_loop_add_fd(f->loop, hi, EPOLLIN, on_io, &s), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(np_loop_run_once(f->loop, 1000000), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.fd, 300);
	np_loop_del_fd(f->loop, hi);
	close(hi);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_set_clock_reads_the_fake_clock_at_once),
		T(test_timers_fire_in_deadline_order),
		T(test_timers_with_equal_deadlines_fire_in_insertion_order),
		T(test_rearming_moves_a_timer_behind_its_ties),
		T(test_timers_not_yet_due_wait_for_the_clock),
		T(test_timer_is_inactive_in_its_own_callback_and_after_stop),
		T(test_many_timers_with_stops_fire_sorted_by_deadline_then_arming),
		T(test_callback_can_stop_a_timer_due_in_the_same_iteration),
		T(test_callback_can_push_a_due_timer_later),
		T(test_callback_can_pull_another_timer_into_this_iteration),
		T(test_timer_rearmed_for_now_fires_on_the_next_iteration),
		T(test_timer_rearmed_for_now_waits_even_beside_other_timers),
		T(test_run_returns_at_once_when_nothing_is_armed_or_watched),
		T(test_run_returns_after_the_last_timer_fires),
		T(test_stop_in_a_callback_ends_run_before_the_next_timer),
		T(test_loop_now_is_read_once_per_iteration),
		T(test_fd_callback_gets_fd_events_and_arg_when_readable),
		T(test_mod_fd_switches_the_events_watched),
		T(test_run_returns_once_the_last_fd_is_removed),
		T(test_fd_removed_by_another_callback_is_not_dispatched),
		T(test_adding_an_fd_twice_fails_without_counting_it_twice),
		T(test_high_numbered_fd_is_watched),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
