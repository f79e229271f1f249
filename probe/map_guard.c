/*
 * map_guard.c - zero pages instead of SIGBUS for a file that shrinks while
 * it is mapped (see map_guard.h).
 */
#include "map_guard.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct slot {
	volatile uintptr_t lo, hi;        /* hi == 0: free */
	volatile sig_atomic_t hit;
};

static struct slot slots[MAP_GUARD_SLOTS];
static struct sigaction prev;
static uintptr_t page_size;   /* taken before any handler can run */

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	/* A fault (si_code > 0) on a guarded mapping: a page of zeros in
	 * place of the lost one. mmap is a plain system call on Linux, safe
	 * here in practice though POSIX does not list it. */
	for (size_t i = 0; si->si_code > 0 && i < MAP_GUARD_SLOTS; i++) {
		if (slots[i].hi == 0 || a < slots[i].lo || a >= slots[i].hi)
			continue;
		/* The load is retried on return and reads zeros. */
		if (mmap((void *)(a & ~(page_size - 1)), page_size, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) != MAP_FAILED) {
			slots[i].hit = 1;
			return;
		}
		break;
	}
	/* Not ours: what was there before decides, and stays installed
	 * underneath for the other guarded mappings. */
	if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) {
		prev.sa_sigaction(sig, si, uctx);
	} else if (prev.sa_handler == SIG_IGN) {
		return;
	} else if (prev.sa_handler != SIG_DFL) {
		prev.sa_handler(sig);
	} else {
		/* The default: a retried load faults again and ends the
		 * process; a SIGBUS sent by kill() is raised again. */
		signal(SIGBUS, SIG_DFL);
		if (si->si_code <= 0)
			raise(SIGBUS);
	}
}

int map_guard_add(const void *base, size_t len)
{
	struct sigaction cur;

	if (!page_size)
		page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	/* Installed once, and again if someone has replaced it since. */
	if (sigaction(SIGBUS, NULL, &cur) < 0)
		return 0;
	if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != on_sigbus) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, &prev) < 0)
			return 0;
	}
	for (size_t i = 0; i < MAP_GUARD_SLOTS; i++)
		if (slots[i].hi == 0) {
			slots[i].hit = 0;
			slots[i].lo = (uintptr_t)base;
			slots[i].hi = (uintptr_t)base + len;
			return (int)i + 1;
		}
	return 0;
}

int map_guard_hit(int handle)
{
	if (handle <= 0 || handle > MAP_GUARD_SLOTS)
		return 0;
	return slots[handle - 1].hit != 0;
}

void map_guard_del(int handle)
{
	if (handle <= 0 || handle > MAP_GUARD_SLOTS)
		return;
	slots[handle - 1].hi = 0;
	slots[handle - 1].lo = 0;
	slots[handle - 1].hit = 0;
}
