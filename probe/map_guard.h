/*
 * map_guard.h - reading a mapped file that another process shrinks.
 *
 * `natprobe analyze` maps its capture. If the file is truncated while it
 * is read (a capture tool rotating it, a copy being rewritten), touching a
 * page past the new end raises SIGBUS, which would kill the run with no
 * word and no partial results. A guarded mapping instead gets a page of
 * zeros in place of the lost one (MAP_FIXED anonymous, from the signal
 * handler) and is marked hit; the reader checks the mark after each record
 * and stops with an error naming what happened. A SIGBUS outside every
 * guarded range goes to the handler that was there before.
 */
#ifndef MAP_GUARD_H
#define MAP_GUARD_H

#include <stddef.h>

#define MAP_GUARD_SLOTS 8

/* Guards [base, base + len) (a read-only file mapping); returns its
 * handle (> 0), or 0 when every slot is taken or the handler could not be
 * installed (the mapping then works unguarded). */
int map_guard_add(const void *base, size_t len);
/* 1 once a page of the mapping was replaced by zeros, else 0. */
int map_guard_hit(int handle);
/* Stops guarding (before munmap). handle 0 is ignored. */
void map_guard_del(int handle);

#endif
