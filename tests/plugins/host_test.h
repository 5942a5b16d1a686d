/*
 * Shared by the loader, dispatcher and host suites, on top of
 * plugin_test.h: configs that use the test sinks in <build>/test-sinks,
 * files the recorder sink writes, and problems reported through a
 * tacho_error_fn. Header-only (static inline
 * functions) so each suite stays one executable.
 */
#ifndef TACHO_HOST_TEST_H
#define TACHO_HOST_TEST_H

#include "plugin_test.h"

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

/* Opens a host as open_host() does and starts it; fails the test (fatally)
 * when either step fails. */
static inline tacho_host_t *start_test_host(double interval, double grace,
                                            const char *sinks)
{
    tacho_host_t *h = open_host(interval, grace, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
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

/* This thread's id as the recorder sink prints it. */
static inline unsigned long long self_tid(void)
{
    return (unsigned long long)(unsigned long)pthread_self();
}

#endif /* TACHO_HOST_TEST_H */
