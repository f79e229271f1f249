/*
 * evloop.h - the one event loop: epoll for file descriptors, a binary heap
 * of timers ordered by deadline then insertion (so ties fire in a fixed
 * order, as libuv's timers do). The clock is read once per iteration and
 * can be replaced by a fake one in tests.
 *
 * Protocol machines own no sockets: they take input, report their next
 * deadline and act on it; the loop only dispatches.
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <stddef.h>
#include <stdint.h>

struct np_loop;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR...). */
typedef void (*np_io_cb)(struct np_loop *loop, int fd, uint32_t events,
			 void *arg);
typedef void (*np_timer_cb)(struct np_loop *loop, void *arg);
/* Microseconds on a monotonic clock. */
typedef uint64_t (*np_clock_fn)(void *arg);

/* Embedded in its owner; the loop never allocates or frees timers. */
struct np_timer {
	uint64_t deadline;  /* µs */
	uint64_t seq;       /* insertion order, for ties */
	np_timer_cb cb;
	void *arg;
	size_t heap_idx;    /* position in the heap, or SIZE_MAX if idle */
};

int np_loop_new(struct np_loop **out);
void np_loop_free(struct np_loop *loop);

/* Replaces the monotonic clock (tests). */
void np_loop_set_clock(struct np_loop *loop, np_clock_fn fn, void *arg);

int np_loop_add_fd(struct np_loop *loop, int fd, uint32_t events, np_io_cb cb,
		   void *arg);
int np_loop_mod_fd(struct np_loop *loop, int fd, uint32_t events);
/* Removes fd from the loop (does not close it). */
void np_loop_del_fd(struct np_loop *loop, int fd);

void np_timer_init(struct np_timer *t, np_timer_cb cb, void *arg);
/* (Re)arms t to fire at deadline (µs, same clock as np_loop_now). */
int np_timer_start(struct np_loop *loop, struct np_timer *t,
		   uint64_t deadline);
void np_timer_stop(struct np_loop *loop, struct np_timer *t);
int np_timer_active(const struct np_timer *t);

/* The time read at the start of this iteration. */
uint64_t np_loop_now(const struct np_loop *loop);
/* Reads the clock again (for timestamps inside long callbacks). */
uint64_t np_loop_update_now(struct np_loop *loop);
/* Wall-clock microseconds since the epoch, for observation timestamps. */
uint64_t np_wallclock_us(void);
uint64_t np_monotonic_us(void);

/* Runs until np_loop_stop, or until no timer is armed and no fd watched.
 * Returns 0 or a negative error from epoll. */
int np_loop_run(struct np_loop *loop);
void np_loop_stop(struct np_loop *loop);
/* Forgets an earlier np_loop_stop, for a caller that drives the loop with
 * np_loop_run_once after another part of the run stopped it. */
void np_loop_clear_stop(struct np_loop *loop);
/* Whether np_loop_stop was called (and not cleared): a caller driving
 * the loop with np_loop_run_once ends its own run on it. */
int np_loop_stopped(const struct np_loop *loop);
/* One iteration, waiting at most max_wait_us (tests drive this). */
int np_loop_run_once(struct np_loop *loop, uint64_t max_wait_us);

#endif
