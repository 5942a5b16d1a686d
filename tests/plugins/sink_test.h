/*
 * Shared by the suites of the shipped sinks (test_log, test_csv, and the
 * HTTP ones through http_test.h): one real sink in a real host built from
 * config text, known runs, waiting for the sink's writes, allocations that
 * fail off the main thread, and paths in the suite's temporary directory.
 * Header-only (static inline functions) so each suite stays one executable.
 */
#ifndef TACHO_SINK_TEST_H
#define TACHO_SINK_TEST_H

#include <json-c/json.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failing_alloc.h"
#include "plugin_test.h"

#define MS 1000000ull /* nanoseconds */

/* ---- allocations that fail on demand ------------------------------------- */

/* The failing allocator (failing_alloc.h) as the sink suites use it: only
 * allocations off the main thread fail (sink threads, HTTP handlers), since
 * the test's own host calls, snapshots included, run on it. Call on the
 * main thread before any other tacho call. Returns the install's code. */
static inline int sink_alloc_install(void)
{
    failing_alloc_spare_this_thread();
    return failing_alloc_install();
}

/* ---- paths --------------------------------------------------------------- */

static char *tmp;              /* the suite's directory */
static char path_buf[4][4200]; /* paths under it */

/* <tmp>/<name>, in one of four slots (reused by the next call with the
 * same slot). */
static inline const char *tmp_path(int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", tmp, name);
    return path_buf[slot];
}

/* ---- the suite ----------------------------------------------------------- */

/* A sink suite's set-up: the failing allocator (first, before any other
 * tacho call), no interval from the environment, every message captured,
 * and a fresh `tmp` named after `tag`. Returns 0, or 1 when it failed. */
static inline int sink_suite_init(const char *tag)
{
    if (sink_alloc_install() != 0) {
        return 1;
    }
    unsetenv(TACHO_ENV_METRICS_INTERVAL);
    capture_start();
    tmp = tacho_test_tmpdir(tag);
    return 0;
}

static inline int sink_suite_cleanup(void)
{
    tacho_test_rmtree(tmp);
    free(tmp);
    return 0;
}

/* ---- hosts --------------------------------------------------------------- */

/* The worker id of the configs below. */
static const char *test_worker = "w1";

/* One sink of `plugin`: the group starts on line 2 and each option takes
 * one line after "plugin" (line 3), so an option given first is on line 4
 * and messages can be checked for the exact place. */
static inline char *config_text(const char *plugin, const char *options)
{
    char *text = NULL;
    int n = asprintf(&text,
                     "tacho: { worker = \"%s\"; interval = 3600; };\n"
                     "sinks = ( {\n"
                     "  plugin = \"%s\";\n"
                     "%s"
                     "} );\n",
                     test_worker, plugin, options);
    CU_ASSERT_FATAL(n > 0);
    return text;
}

/* Opens a host on config_text(plugin, options); returns its code, the host
 * in `*out`. */
static inline int open_host(const char *plugin, const char *options,
                            tacho_host_t **out, tacho_error_t *err)
{
    char *text = config_text(plugin, options);
    tacho_error_clear(err);
    *out = NULL;
    int rc = tacho_host_open_string(text, out, err);
    free(text);
    return rc;
}

/* Opens and starts a host on config `text`; fails the test on error. */
static inline tacho_host_t *start_host_text(const char *text)
{
    tacho_error_t err;
    tacho_error_clear(&err);
    tacho_host_t *h = NULL;
    int rc = tacho_host_open_string(text, &h, &err);
    if (rc != 0) {
        fprintf(stderr, "\nopen: %s\n", err.text);
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    rc = tacho_host_start(h, &err);
    if (rc != 0) {
        fprintf(stderr, "\nstart: %s\n", err.text);
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return h;
}

/* Opens and starts a host on config_text(plugin, options). */
static inline tacho_host_t *start_sink(const char *plugin, const char *options)
{
    char *text = config_text(plugin, options);
    tacho_host_t *h = start_host_text(text);
    free(text);
    return h;
}

/* 4 runs: alpha 10 ms ok, 20 ms ok, 30 ms failed; beta 5 ms ok. */
static inline void record_known(tacho_host_t *h)
{
    tacho_collector_t *c = tacho_host_collector(h);
    CU_ASSERT_EQUAL(tacho_record(c, "alpha", 10 * MS, true), 0);
    CU_ASSERT_EQUAL(tacho_record(c, "alpha", 20 * MS, true), 0);
    CU_ASSERT_EQUAL(tacho_record(c, "alpha", 30 * MS, false), 0);
    CU_ASSERT_EQUAL(tacho_record(c, "beta", 5 * MS, true), 0);
}

/*
 * Opening a host on config_text(plugin, options) must fail with `want` in
 * the message, which must also name the place "<string>:LINE:" when
 * `line` is above 0.
 */
static inline void expect_config_error(const char *plugin, const char *options,
                                       int line, const char *want)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_NOT_EQUAL(open_host(plugin, options, &h, &err), 0);
    CU_ASSERT_PTR_NULL(h);
    char place[64] = "";
    if (line > 0) {
        snprintf(place, sizeof place, "<string>:%d:", line);
    }
    if (strstr(err.text, place) == NULL || strstr(err.text, want) == NULL) {
        fprintf(stderr, "\nwanted \"%s%s\"\n   got \"%s\"\n", place, want,
                err.text);
    }
    if (line > 0) {
        CU_ASSERT_PTR_NOT_NULL(strstr(err.text, place));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, want));
    tacho_host_close(h);
}

/* Opens a host on config_text(plugin, options), which must succeed, and
 * starts it, which must fail; `err` gets the start's message. */
static inline void expect_start_fails(const char *plugin, const char *options,
                                      tacho_error_t *err)
{
    tacho_host_t *h = NULL;
    CU_ASSERT_EQUAL_FATAL(open_host(plugin, options, &h, err), 0);
    CU_ASSERT_NOT_EQUAL(tacho_host_start(h, err), 0);
    tacho_host_close(h);
}

/* ---- values read back ---------------------------------------------------- */

/* RFC 3339 text of a time, as the sinks write it. */
static inline void time_text(int64_t ns, char *buf)
{
    CU_ASSERT(tacho_format_rfc3339(ns, buf, TACHO_RFC3339_TEXT_MAX) > 0);
}

/* ---- JSON read back ------------------------------------------------------ */

/* The member of `o` at a dotted path ("runs.total"), or NULL. */
static inline json_object *json_member(json_object *o, const char *path)
{
    char key[128];
    while (o != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        json_object *next = NULL;
        if (!json_object_object_get_ex(o, key, &next)) {
            return NULL;
        }
        o = next;
        path += n + (path[n] == '.');
    }
    return o;
}

/* Validates the JSON `text` against docs/schema/<schema> with the
 * project's validator (tests/support/validate_json.py). */
static inline void assert_schema(const char *schema, const char *text)
{
    char path[] = "/tmp/tacho_schemaXXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *cmd = NULL;
    CU_ASSERT_FATAL(
        asprintf(&cmd,
                 "/usr/bin/python3 %s/tests/support/validate_json.py"
                 " %s/docs/schema/%s %s",
                 TACHO_TEST_SOURCE_DIR, TACHO_TEST_SOURCE_DIR, schema,
                 path) > 0);
    int status = system(cmd);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(cmd);
    unlink(path);
}

/* ---- waiting for the sink ------------------------------------------------ */

/* Waits (up to 10 s) until sink `name` has finished `n` writes, good or
 * failed. */
static inline void wait_done(tacho_host_t *h, const char *name, uint64_t n)
{
    CU_ASSERT_FATAL(wait_figure(h, name, sink_handled, n, 10000));
}

/* Delivers one snapshot now and waits until sink `name` has handled it. */
static inline void report(tacho_host_t *h, const char *name)
{
    uint64_t before = sink_figure(h, name, sink_handled);
    CU_ASSERT_EQUAL_FATAL(tacho_host_report_now(h), 0);
    wait_done(h, name, before + 1);
}

#endif /* TACHO_SINK_TEST_H */
