/*
 * Shared by every suite in tests/plugins: small waits, captured log
 * messages and sink health read from host snapshots. sink_test.h (a real
 * sink driven by a host), http_test.h (the HTTP sinks) and host_test.h (the
 * test sinks) build on it. Header-only (static inline functions) so each
 * suite stays one executable.
 */
#ifndef TACHO_PLUGIN_TEST_H
#define TACHO_PLUGIN_TEST_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tacho/tacho.h>

#include "tacho_test.h"

/* ---- time ---------------------------------------------------------------- */

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
        continue;
    }
}

static inline void sleep_ms(long ms)
{
    sleep_s((double)ms / 1000.0);
}

/* ---- files --------------------------------------------------------------- */

/* Writes `text` to `path`, replacing it; fails the test if it cannot. */
static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* ---- log messages, captured ---------------------------------------------- */

#define CAPTURE_MAX 256
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static char captured[CAPTURE_MAX][1200];
static size_t captured_count;

/* A tacho_log_fn keeping each message as "level [origin] text". */
static inline void capture(void *arg, tacho_log_level_t level,
                           const char *origin, const char *message)
{
    (void)arg;
    pthread_mutex_lock(&capture_lock);
    snprintf(captured[captured_count % CAPTURE_MAX], sizeof captured[0],
             "%s [%s] %s", tacho_log_level_name(level), origin, message);
    captured_count++;
    pthread_mutex_unlock(&capture_lock);
}

/* Forgets the messages captured so far. */
static inline void capture_reset(void)
{
    pthread_mutex_lock(&capture_lock);
    captured_count = 0;
    pthread_mutex_unlock(&capture_lock);
}

/* Captures every message, debug ones included, from now on. */
static inline void capture_start(void)
{
    capture_reset();
    tacho_log_set_level(TACHO_LOG_DEBUG);
    tacho_log_set_handler(capture, NULL);
}

static inline void capture_stop(void)
{
    tacho_log_set_handler(NULL, NULL);
    tacho_log_set_level(TACHO_LOG_INFO);
}

/* Copies the newest captured message containing `needle` into `out` (may
 * be NULL); false when there is none. */
static inline bool logged_find(const char *needle, char *out, size_t size)
{
    bool found = false;
    pthread_mutex_lock(&capture_lock);
    size_t n = captured_count < CAPTURE_MAX ? captured_count : CAPTURE_MAX;
    for (size_t i = n; i-- > 0 && !found;) {
        if (strstr(captured[i], needle) != NULL) {
            if (out != NULL) {
                snprintf(out, size, "%s", captured[i]);
            }
            found = true;
        }
    }
    pthread_mutex_unlock(&capture_lock);
    return found;
}

/* True when a captured message contains `needle`. */
static inline bool logged(const char *needle)
{
    return logged_find(needle, NULL, 0);
}

/* True when one captured message contains every one of the NULL-ended
 * strings given. */
static inline bool logged_all(const char *first, ...)
{
    bool found = false;
    pthread_mutex_lock(&capture_lock);
    size_t n = captured_count < CAPTURE_MAX ? captured_count : CAPTURE_MAX;
    for (size_t i = 0; i < n && !found; i++) {
        va_list ap;
        va_start(ap, first);
        found = true;
        for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
            found = found && strstr(captured[i], s) != NULL;
        }
        va_end(ap);
    }
    pthread_mutex_unlock(&capture_lock);
    return found;
}

/* Waits up to `timeout` seconds for logged(needle). */
static inline bool wait_logged(const char *needle, double timeout)
{
    double end = now_s() + timeout;
    while (!logged(needle)) {
        if (now_s() > end) {
            return false;
        }
        sleep_s(0.01);
    }
    return true;
}

/* ---- sink health --------------------------------------------------------- */

/* The health of sink instance `name` in `s`, or NULL. */
static inline const tacho_sink_stats_t *sink_stats(const tacho_snapshot_t *s,
                                                   const char *name)
{
    for (size_t i = 0; i < tacho_snapshot_sink_count(s); i++) {
        const tacho_sink_stats_t *ss = tacho_snapshot_sink(s, i);
        if (strcmp(tacho_sink_stats_name(ss), name) == 0) {
            return ss;
        }
    }
    return NULL;
}

/* The named sink's health in a fresh host snapshot, through `fn`
 * (tacho_sink_stats_writes ...). The sink must exist. */
static inline uint64_t sink_figure(tacho_host_t *h, const char *name,
                                   uint64_t (*fn)(const tacho_sink_stats_t *))
{
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    const tacho_sink_stats_t *ss = sink_stats(s, name);
    if (ss == NULL) {
        tacho_snapshot_free(s);
        CU_FAIL_FATAL("no such sink");
    }
    uint64_t v = fn(ss);
    tacho_snapshot_free(s);
    return v;
}

/* Waits up to `ms` for fn(sink) to reach `n`. */
static inline bool wait_figure(tacho_host_t *h, const char *name,
                               uint64_t (*fn)(const tacho_sink_stats_t *),
                               uint64_t n, long ms)
{
    for (long t = 0; t < ms && sink_figure(h, name, fn) < n; t += 5) {
        sleep_ms(5);
    }
    return sink_figure(h, name, fn) >= n;
}

/* Writes and errors together: the snapshots a sink has finished with. */
static inline uint64_t sink_handled(const tacho_sink_stats_t *ss)
{
    return tacho_sink_stats_writes(ss) + tacho_sink_stats_errors(ss);
}

#endif /* TACHO_PLUGIN_TEST_H */
