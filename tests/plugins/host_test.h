/*
 * Shared by the loader, dispatcher and host suites: configs that use the
 * test sinks in <build>/test-sinks, captured log messages, files the
 * recorder sink writes, and small waits. Header-only (static inline
 * functions) so each suite stays one executable.
 */
#ifndef TACHO_HOST_TEST_H
#define TACHO_HOST_TEST_H

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

/* ---- text ---------------------------------------------------------------- */

/* A malloc'd formatted string; aborts the run on failure. */
static inline char *fmt(const char *f, ...) TACHO_PRINTF(1, 2);
static inline char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0) {
        abort();
    }
    va_end(ap);
    return s;
}

/* Number of lines of `path` that start with `prefix` (0 if unreadable). */
static inline size_t count_lines(const char *path, const char *prefix)
{
    char *text = tacho_test_read_file(path, NULL);
    size_t n = 0, len = strlen(prefix);
    for (char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, prefix, len) == 0) {
            n++;
        }
        char *nl = strchr(line, '\n');
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
    return n;
}

/* Copies the last line of `path` starting with `prefix` into `out`. */
static inline bool last_line(const char *path, const char *prefix, char *out,
                             size_t size)
{
    char *text = tacho_test_read_file(path, NULL);
    bool found = false;
    size_t len = strlen(prefix);
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (strncmp(line, prefix, len) == 0 && n < size) {
            memcpy(out, line, n);
            out[n] = '\0';
            found = true;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
    return found;
}

/* Waits up to `timeout` seconds for `path` to hold `want` lines starting
 * with `prefix`. */
static inline bool wait_lines(const char *path, const char *prefix, size_t want,
                              double timeout)
{
    double end = now_s() + timeout;
    while (count_lines(path, prefix) < want) {
        if (now_s() > end) {
            return false;
        }
        sleep_s(0.01);
    }
    return true;
}

/* The unsigned number after "key=" in `line`; ~0 when absent. */
static inline unsigned long long field(const char *line, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *p = strstr(line, pat);
    return p != NULL ? strtoull(p + strlen(pat), NULL, 10) : ~0ull;
}

/* ---- log messages, captured ---------------------------------------------- */

#define CAPTURE_MAX 256
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static char captured[CAPTURE_MAX][1200];
static size_t captured_count;

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

static inline void capture_start(void)
{
    pthread_mutex_lock(&capture_lock);
    captured_count = 0;
    pthread_mutex_unlock(&capture_lock);
    tacho_log_set_level(TACHO_LOG_DEBUG);
    tacho_log_set_handler(capture, NULL);
}

static inline void capture_stop(void)
{
    tacho_log_set_handler(NULL, NULL);
    tacho_log_set_level(TACHO_LOG_INFO);
}

/* True when a captured message ("level [origin] text") contains `needle`. */
static inline bool logged(const char *needle)
{
    bool found = false;
    pthread_mutex_lock(&capture_lock);
    size_t n = captured_count < CAPTURE_MAX ? captured_count : CAPTURE_MAX;
    for (size_t i = 0; i < n && !found; i++) {
        found = strstr(captured[i], needle) != NULL;
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

/* ---- problems reported through a tacho_error_fn ------------------------- */

typedef struct problems {
    size_t count;
    char text[16][TACHO_ERROR_TEXT_MAX];
} problems_t;

static inline void collect(void *arg, const tacho_error_t *err)
{
    problems_t *p = arg;
    if (p->count < 16) {
        snprintf(p->text[p->count], sizeof p->text[0], "%s", err->text);
    }
    p->count++;
}

/* ---- hosts over the test sinks ------------------------------------------- */

/* The `tacho` group every test config starts from: the test sinks on the
 * plugin path, the given interval and grace. */
static inline char *tacho_group(double interval, double grace)
{
    return fmt("tacho = { worker = \"test-worker\"; interval = %g; "
               "shutdown_grace = %g; plugin_path = [\"%s\"]; };\n",
               interval, grace, TACHO_TEST_EXTRA_SINK_DIR);
}

/* Opens a host from `tacho_group(interval, grace)` plus `sinks` (the text
 * inside `sinks = ( ... );`). Fails the test on error. */
static inline tacho_host_t *open_host(double interval, double grace,
                                      const char *sinks)
{
    char *group = tacho_group(interval, grace);
    char *text = fmt("%ssinks = ( %s );\n", group, sinks);
    tacho_host_t *h = NULL;
    tacho_error_t err;
    int rc = tacho_host_open_string(text, &h, &err);
    if (rc != 0) {
        fprintf(stderr, "host open failed: %s\n", err.text);
    }
    CU_ASSERT_EQUAL(rc, 0);
    free(group);
    free(text);
    return h;
}

/* As open_host(), expecting failure: returns the code, text in `err`. */
static inline int open_host_fails(const char *sinks, tacho_error_t *err)
{
    char *group = tacho_group(60, 1);
    char *text = fmt("%ssinks = ( %s );\n", group, sinks);
    tacho_host_t *h = NULL;
    int rc = tacho_host_open_string(text, &h, err);
    CU_ASSERT_PTR_NULL(h);
    tacho_host_close(h);
    free(group);
    free(text);
    return rc;
}

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

/* This thread's id as the recorder sink prints it. */
static inline unsigned long long self_tid(void)
{
    return (unsigned long long)(unsigned long)pthread_self();
}

#endif /* TACHO_HOST_TEST_H */
