/*
 * Private: a collector's clock thread.
 *
 * It keeps a cached wall-clock `now` (CLOCK_REALTIME, refreshed every
 * 10 ms) that the known-duration record path loads instead of calling a
 * clock, and calls a callback after each refresh so the collector can run
 * the window ticks that are due. A test may switch it to a manual clock:
 * time then moves only when the test says so.
 */
#ifndef TACHO_CLOCK_H
#define TACHO_CLOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TACHO__CLOCK_PERIOD_NS 10000000 /* 10 ms */

typedef void (*tacho__clock_fn)(void *arg, int64_t now_ns);

typedef struct tacho__clock {
    _Atomic int64_t now; /* Unix ns; loaded relaxed by the record path */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;           /* under lock */
    _Atomic bool manual; /* written under lock, read anywhere */
    bool running;
    pthread_t thread;
    tacho__clock_fn on_refresh;
    void *arg;
} tacho__clock_t;

/* Current CLOCK_REALTIME in Unix ns. */
int64_t tacho__wall_now(void);

/* Prepares the clock (now = the real time). Returns 0 or TACHO_ENOMEM. */
int tacho__clock_init(tacho__clock_t *k, tacho__clock_fn on_refresh, void *arg);
/* Starts the thread. Returns 0 or TACHO_ENOMEM (thread creation failed). */
int tacho__clock_start(tacho__clock_t *k);
/* Stops the thread promptly (it waits on a condition variable, not in a
 * sleep) and releases everything. Safe on a clock never started. */
void tacho__clock_destroy(tacho__clock_t *k);

/* The cached time: one relaxed load. */
static inline int64_t tacho__clock_cached(const tacho__clock_t *k)
{
    return atomic_load_explicit(&k->now, memory_order_relaxed);
}

/* The time for a snapshot: the real time, or the manual time. */
int64_t tacho__clock_precise(tacho__clock_t *k);

/* Switches to (or, once switched, moves) the manual clock; the thread
 * stops refreshing. The caller runs whatever is due itself. A refresh
 * already under way may still reach on_refresh once with the real time,
 * so on_refresh checks tacho__clock_is_manual() under its own lock. */
void tacho__clock_set_manual(tacho__clock_t *k, int64_t wall_ns);
bool tacho__clock_is_manual(tacho__clock_t *k);

#endif /* TACHO_CLOCK_H */
