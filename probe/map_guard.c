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

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	long page = sysconf(_SC_PAGESIZE);

	(void)sig;
	(void)uctx;
	for (size_t i = 0; i < MAP_GUARD_SLOTS; i++) {
		if (slots[i].hi == 0 || a < slots[i].lo || a >= slots[i].hi)
			continue;
		/* The load is retried on return and reads zeros. */
		if (mmap((void *)(a & ~((uintptr_t)page - 1)), (size_t)page,
			 PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != MAP_FAILED) {
			slots[i].hit = 1;
			return;
		}
		break;
	}
	/* Not ours (or no page to give): what was there before decides;
	 * with the default action the retried load ends the process. */
	sigaction(SIGBUS, &prev, NULL);
}

int map_guard_add(const void *base, size_t len)
{
	struct sigaction cur;

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
