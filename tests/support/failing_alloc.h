/*
 * Allocations that fail on demand, for the out-of-memory tests: an
 * allocator for tacho_replace_allocator() that fails the n-th allocation
 * after arming, or every allocation while asked to, and can spare one
 * thread (a suite's own calls) from both. Safe to arm from any thread while
 * tacho threads allocate. Header-only (static state and functions), so
 * every suite has its own.
 *
 * tacho's allocator may only be replaced while tacho is idle: suites whose
 * hosts run threads install once, before their first tacho call, and then
 * only arm and disarm.
 */
#ifndef TACHO_TEST_FAILING_ALLOC_H
#define TACHO_TEST_FAILING_ALLOC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include <tacho/common.h>

static atomic_long failing_alloc_countdown; /* the one that takes it to 0 */
static atomic_bool failing_alloc_all;
static atomic_long failing_alloc_failed;
static atomic_bool failing_alloc_spare;
static pthread_t failing_alloc_spared;

static inline bool failing_alloc_now(void)
{
    if (atomic_load(&failing_alloc_spare) &&
        pthread_equal(pthread_self(), failing_alloc_spared)) {
        return false;
    }
    bool fail = atomic_load(&failing_alloc_all) ||
                (atomic_load(&failing_alloc_countdown) > 0 &&
                 atomic_fetch_sub(&failing_alloc_countdown, 1) == 1);
    if (fail) {
        atomic_fetch_add(&failing_alloc_failed, 1);
    }
    return fail;
}

static inline void *failing_malloc(size_t n)
{
    return failing_alloc_now() ? NULL : malloc(n);
}

static inline void *failing_realloc(void *p, size_t n)
{
    return failing_alloc_now() ? NULL : realloc(p, n);
}

static inline void *failing_calloc(size_t count, size_t n)
{
    return failing_alloc_now() ? NULL : calloc(count, n);
}

/* Makes tacho allocate through the functions above; nothing fails until
 * armed. Returns tacho_replace_allocator()'s code. */
static inline int failing_alloc_install(void)
{
    return tacho_replace_allocator(failing_malloc, failing_realloc,
                                   failing_calloc, free);
}

/* Puts malloc and friends back, and disarms. */
static inline int failing_alloc_remove(void)
{
    atomic_store(&failing_alloc_countdown, 0);
    atomic_store(&failing_alloc_all, false);
    return tacho_replace_allocator(malloc, realloc, calloc, free);
}

/* Fails the n-th allocation from now, once (0: none), and restarts the
 * count of failed allocations. */
static inline void failing_alloc_nth(long n)
{
    atomic_store(&failing_alloc_failed, 0);
    atomic_store(&failing_alloc_countdown, n);
}

/* Fails every allocation while `on`. */
static inline void failing_alloc_every(bool on)
{
    atomic_store(&failing_alloc_all, on);
}

/* How many allocations failed since the last failing_alloc_nth(). */
static inline long failing_alloc_failures(void)
{
    return atomic_load(&failing_alloc_failed);
}

/* Allocations made by the calling thread never fail from now on. */
static inline void failing_alloc_spare_this_thread(void)
{
    failing_alloc_spared = pthread_self();
    atomic_store(&failing_alloc_spare, true);
}

#endif /* TACHO_TEST_FAILING_ALLOC_H */
