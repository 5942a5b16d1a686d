/*
 * The clock thread: a cached wall-clock time for the record path, and the
 * heartbeat that drives the sliding window's ticks.
 */
#include "clock.h"

#include <errno.h>
#include <time.h>

#include <tacho/common.h>

int64_t tacho__wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int tacho__clock_init(tacho__clock_t *k, tacho__clock_fn on_refresh, void *arg)
{
    atomic_init(&k->now, tacho__wall_now());
    k->stop = false;
    atomic_init(&k->manual, false);
    k->running = false;
    k->on_refresh = on_refresh;
    k->arg = arg;
    if (pthread_mutex_init(&k->lock, NULL) != 0) {
        return TACHO_ENOMEM;
    }
    /* The wait is measured on CLOCK_MONOTONIC so a wall-clock jump can
     * neither stall the thread nor make it spin. */
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc == 0) {
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        rc = pthread_cond_init(&k->wake, &attr);
        pthread_condattr_destroy(&attr);
    }
    if (rc != 0) {
        pthread_mutex_destroy(&k->lock);
        return TACHO_ENOMEM;
    }
    return 0;
}

static void deadline_after(struct timespec *ts, long ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += ns;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000;
    }
}

static void *clock_main(void *arg)
{
    tacho__clock_t *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        /* The store happens under the lock so it cannot overwrite a manual
         * time set at the same moment. */
        if (!atomic_load_explicit(&k->manual, memory_order_relaxed)) {
            int64_t now = tacho__wall_now();
            atomic_store_explicit(&k->now, now, memory_order_relaxed);
            pthread_mutex_unlock(&k->lock);
            k->on_refresh(k->arg, now);
            pthread_mutex_lock(&k->lock);
        }
        struct timespec until;
        deadline_after(&until, TACHO__CLOCK_PERIOD_NS);
        while (!k->stop &&
               pthread_cond_timedwait(&k->wake, &k->lock, &until) == 0) {
            /* Woken without a timeout: only stop matters. */
        }
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int tacho__clock_start(tacho__clock_t *k)
{
    if (pthread_create(&k->thread, NULL, clock_main, k) != 0) {
        return TACHO_ENOMEM;
    }
    k->running = true;
    return 0;
}

void tacho__clock_destroy(tacho__clock_t *k)
{
    if (k->running) {
        pthread_mutex_lock(&k->lock);
        k->stop = true;
        pthread_cond_signal(&k->wake);
        pthread_mutex_unlock(&k->lock);
        pthread_join(k->thread, NULL);
        k->running = false;
    }
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
}

int64_t tacho__clock_precise(tacho__clock_t *k)
{
    if (tacho__clock_is_manual(k)) {
        return tacho__clock_cached(k);
    }
    return tacho__wall_now();
}

void tacho__clock_set_manual(tacho__clock_t *k, int64_t wall_ns)
{
    pthread_mutex_lock(&k->lock);
    atomic_store_explicit(&k->manual, true, memory_order_relaxed);
    atomic_store_explicit(&k->now, wall_ns, memory_order_relaxed);
    pthread_mutex_unlock(&k->lock);
}

bool tacho__clock_is_manual(tacho__clock_t *k)
{
    return atomic_load_explicit(&k->manual, memory_order_relaxed);
}
