/*
 * evloop.c - epoll event loop with a timer heap (see evloop.h).
 *
 * Each iteration: read the clock once, fire expired timers in deadline and
 * insertion order, then wait for I/O no longer than the next deadline and
 * dispatch it. A timer callback may start or stop any timer, itself included.
 */
#include "evloop.h"
#include "np_err.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64
/* Timers a single loop can hold; far above what any run arms. */
#define MAX_TIMERS 65536

struct fd_watch {
	int fd;
	np_io_cb cb;
	void *arg;
};

struct np_loop {
	int epfd;
	int stop;
	uint64_t now;
	uint64_t seq;
	np_clock_fn clock;
	void *clock_arg;
	struct np_timer **heap;
	size_t nheap, capheap;
	struct fd_watch *watch;  /* indexed by fd */
	size_t capwatch;
	size_t nwatch;
};

uint64_t np_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t np_wallclock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t default_clock(void *arg)
{
	(void)arg;
	return np_monotonic_us();
}

int np_loop_new(struct np_loop **out)
{
	struct np_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NP_ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;
		free(l);
		return err;
	}
	l->clock = default_clock;
	l->now = l->clock(NULL);
	*out = l;
	return 0;
}

void np_loop_free(struct np_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->heap);
	free(l->watch);
	free(l);
}

void np_loop_set_clock(struct np_loop *l, np_clock_fn fn, void *arg)
{
	l->clock = fn ? fn : default_clock;
	l->clock_arg = arg;
	l->now = l->clock(l->clock_arg);
}

uint64_t np_loop_now(const struct np_loop *l)
{
	return l->now;
}

uint64_t np_loop_update_now(struct np_loop *l)
{
	l->now = l->clock(l->clock_arg);
	return l->now;
}

int np_loop_add_fd(struct np_loop *l, int fd, uint32_t events, np_io_cb cb,
		   void *arg)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0)
		return NP_EINVAL;
	if ((size_t)fd >= l->capwatch) {
		size_t cap = l->capwatch ? l->capwatch : 64;
		struct fd_watch *w;

		while (cap <= (size_t)fd)
			cap *= 2;
		w = realloc(l->watch, cap * sizeof(*w));
		if (!w)
			return NP_ENOMEM;
		for (size_t i = l->capwatch; i < cap; i++)
			w[i].fd = -1;
		l->watch = w;
		l->capwatch = cap;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->watch[fd] = (struct fd_watch){ fd, cb, arg };
	l->nwatch++;
	return 0;
}

int np_loop_mod_fd(struct np_loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void np_loop_del_fd(struct np_loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->capwatch || l->watch[fd].fd != fd)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->watch[fd].fd = -1;
	l->nwatch--;
}

/* Heap order: earlier deadline first; equal deadlines by insertion. */
static int before(const struct np_timer *a, const struct np_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void heap_swap(struct np_loop *l, size_t i, size_t j)
{
	struct np_timer *t = l->heap[i];

	l->heap[i] = l->heap[j];
	l->heap[j] = t;
	l->heap[i]->heap_idx = i;
	l->heap[j]->heap_idx = j;
}

static void sift_up(struct np_loop *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(l->heap[i], l->heap[parent]))
			break;
		heap_swap(l, i, parent);
		i = parent;
	}
}

static void sift_down(struct np_loop *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, best = i;

		if (left < l->nheap && before(l->heap[left], l->heap[best]))
			best = left;
		if (right < l->nheap && before(l->heap[right], l->heap[best]))
			best = right;
		if (best == i)
			return;
		heap_swap(l, i, best);
		i = best;
	}
}

void np_timer_init(struct np_timer *t, np_timer_cb cb, void *arg)
{
	t->deadline = 0;
	t->seq = 0;
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = SIZE_MAX;
}

int np_timer_active(const struct np_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

void np_timer_stop(struct np_loop *l, struct np_timer *t)
{
	size_t i = t->heap_idx;

	if (i == SIZE_MAX)
		return;
	t->heap_idx = SIZE_MAX;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->heap_idx = i;
	sift_up(l, i);
	sift_down(l, l->heap[i]->heap_idx);
}

int np_timer_start(struct np_loop *l, struct np_timer *t, uint64_t deadline)
{
	np_timer_stop(l, t);
	if (l->nheap == l->capheap) {
		size_t cap = l->capheap ? l->capheap * 2 : 64;
		struct np_timer **h;

		if (cap > MAX_TIMERS)
			return NP_EFULL;
		h = realloc(l->heap, cap * sizeof(*h));
		if (!h)
			return NP_ENOMEM;
		l->heap = h;
		l->capheap = cap;
	}
	t->deadline = deadline;
	t->seq = l->seq++;
	t->heap_idx = l->nheap;
	l->heap[l->nheap++] = t;
	sift_up(l, t->heap_idx);
	return 0;
}

void np_loop_stop(struct np_loop *l)
{
	l->stop = 1;
}

static void fire_timers(struct np_loop *l)
{
	/* Bounded by the number armed now: a timer re-armed for "now" fires
	 * on the next iteration, after I/O has had its turn. */
	uint64_t horizon = l->seq;

	while (l->nheap > 0 && l->heap[0]->seq < horizon &&
	       l->heap[0]->deadline <= l->now &&
	       !l->stop) {
		struct np_timer *t = l->heap[0];

		np_timer_stop(l, t);
		t->cb(l, t->arg);
	}
}

void np_loop_clear_stop(struct np_loop *l)
{
	l->stop = 0;
}

int np_loop_stopped(const struct np_loop *l)
{
	return l->stop;
}

int np_loop_run_once(struct np_loop *l, uint64_t max_wait_us)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t wait = max_wait_us;
	int n, timeout_ms;

	l->now = l->clock(l->clock_arg);
	fire_timers(l);
	if (l->stop || (l->nheap == 0 && l->nwatch == 0))
		return 0;
	if (l->nheap > 0) {
		uint64_t next = l->heap[0]->deadline;
		uint64_t until = next > l->now ? next - l->now : 0;

		if (until < wait)
			wait = until;
	}
	/* Round up so we never wake just before a deadline and spin. */
	timeout_ms = wait >= (uint64_t)INT32_MAX * 1000 ? -1 :
		     (int)((wait + 999) / 1000);
	n = epoll_wait(l->epfd, evs, MAX_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	l->now = l->clock(l->clock_arg);
	for (int i = 0; i < n && !l->stop; i++) {
		int fd = evs[i].data.fd;

		if ((size_t)fd < l->capwatch && l->watch[fd].fd == fd)
			l->watch[fd].cb(l, fd, evs[i].events, l->watch[fd].arg);
	}
	return 0;
}

int np_loop_run(struct np_loop *l)
{
	l->stop = 0;
	while (!l->stop && (l->nheap > 0 || l->nwatch > 0)) {
		int err = np_loop_run_once(l, UINT64_MAX);

		if (err < 0)
			return err;
	}
	return 0;
}
