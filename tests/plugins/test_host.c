/*
 * Suite for core/host.c, core/default_host.c and core/signals.c through
 * the shared libtacho: opening with and without a config, METRICS_INTERVAL,
 * start failures (optional and not), the lifecycle log, the default host,
 * the signal helper and allocation failures on every path.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tacho/tacho.h>

#include "failing_alloc.h"
#include "host_test.h"

static void host_open_without_config(void)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_host_open(NULL, &h, NULL, NULL, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_sink_count(h), 0);
    CU_ASSERT_DOUBLE_EQUAL(tacho_host_interval(h), 60.0, 1e-9);
    CU_ASSERT_EQUAL(tacho_record(tacho_host_collector(h), "a", 5, true), 0);
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 0);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME), 1);
    tacho_snapshot_free(s);
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0); /* no sinks: nothing to do */
    tacho_host_close(h);
}

static void host_null_arguments(void)
{
    tacho_error_t err;
    tacho_host_close(NULL);
    CU_ASSERT_PTR_NULL(tacho_host_collector(NULL));
    CU_ASSERT_EQUAL(tacho_host_sink_count(NULL), 0);
    CU_ASSERT_PTR_NULL(tacho_host_sink_name(NULL, 0));
    CU_ASSERT_DOUBLE_EQUAL(tacho_host_interval(NULL), 0.0, 1e-9);
    CU_ASSERT_EQUAL(tacho_host_start(NULL, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "no host given");
    CU_ASSERT_EQUAL(tacho_host_report_now(NULL), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_host_reopen(NULL), TACHO_EINVAL);
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL(tacho_host_snapshot(NULL, &s), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_host_watch_signals(NULL, NULL, NULL, &err),
                    TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "no host given");
}

/* ---- METRICS_INTERVAL ----------------------------------------------- */

static void host_metrics_interval_overrides(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *sinks = fmt("{ plugin = \"recorder\"; path = \"%s/r.txt\"; }", dir);
    setenv(TACHO_ENV_METRICS_INTERVAL, "250", 1);
    tacho_host_t *h = open_host(60, 1, sinks);
    unsetenv(TACHO_ENV_METRICS_INTERVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_DOUBLE_EQUAL(tacho_host_interval(h), 0.25, 1e-9);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    char *file = fmt("%s/r.txt", dir);
    /* The sinks see it too, and the schedule follows it. */
    CU_ASSERT_TRUE(wait_lines(file, "write ", 2, 3));
    char line[1024];
    CU_ASSERT_TRUE(last_line(file, "start ", line, sizeof line));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, " interval=0.25"));
    tacho_host_close(h);
    free(file);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

static void host_metrics_interval_rejected(void)
{
    const char *bad[] = {"abc",  "0",  "-5",       "1.5",
                         "10ms", " 5", "86400001", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(TACHO_ENV_METRICS_INTERVAL, bad[i], 1);
        problems_t p = {0};
        tacho_host_t *h = NULL;
        tacho_error_t err;
        CU_ASSERT_EQUAL(tacho_host_open(NULL, &h, collect, &p, &err),
                        TACHO_ECONFIG);
        CU_ASSERT_PTR_NULL(h);
        char *want = fmt("METRICS_INTERVAL must be a whole number of "
                         "milliseconds from 1 to 86400000, not '%s'",
                         bad[i]);
        CU_ASSERT_STRING_EQUAL(err.text, want);
        CU_ASSERT_EQUAL(p.count, 1);
        free(want);
    }
    setenv(TACHO_ENV_METRICS_INTERVAL, "86400000", 1);
    tacho_host_t *h = NULL;
    CU_ASSERT_EQUAL(tacho_host_open(NULL, &h, NULL, NULL, NULL), 0);
    CU_ASSERT_DOUBLE_EQUAL(tacho_host_interval(h), 86400.0, 1e-9);
    tacho_host_close(h);
    unsetenv(TACHO_ENV_METRICS_INTERVAL);
}

/* ---- start --------------------------------------------------------------- */

static void host_start_twice_is_busy(void)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_host_open(NULL, &h, NULL, NULL, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), TACHO_EBUSY);
    CU_ASSERT_STRING_EQUAL(err.text, "the host is already started");
    tacho_host_close(h);
}

static void host_optional_start_failure_stays_down(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *sinks = fmt("{ plugin = \"startfail\"; optional = true; path = "
                      "\"%s/sf.txt\"; },"
                      "{ plugin = \"recorder\"; name = \"rec\"; path = "
                      "\"%s/r.txt\"; }",
                      dir, dir);
    capture_start();
    tacho_host_t *h = open_host(60, 1, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, &err), 0);
    CU_ASSERT_TRUE(logged("error [sink:startfail:startfail] start failed; the "
                          "sink is optional and stays down: cannot bind "
                          "192.0.2.1:9"));
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    const tacho_sink_stats_t *sf = sink_stats(s, "startfail");
    const tacho_sink_stats_t *rec = sink_stats(s, "rec");
    CU_ASSERT_FALSE(tacho_sink_stats_up(sf));
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_last_error(sf),
                           "start failed; the sink is optional and stays "
                           "down: cannot bind 192.0.2.1:9");
    CU_ASSERT_TRUE(tacho_sink_stats_up(rec));
    tacho_snapshot_free(s);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    char *rf = fmt("%s/r.txt", dir), *sff = fmt("%s/sf.txt", dir);
    CU_ASSERT_TRUE(wait_lines(rf, "write ", 1, 5));
    tacho_host_close(h);
    capture_stop();
    /* The down sink got no write and no stop, but was destroyed. */
    char *notes = tacho_test_read_file(sff, NULL);
    CU_ASSERT_STRING_EQUAL(notes, "create\nstart\ndestroy\n");
    free(notes);
    free(rf);
    free(sff);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

static void host_start_failure_names_sink(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *sinks = fmt("{ plugin = \"recorder\"; path = \"%s/r.txt\"; },"
                      "{ plugin = \"startfail\"; name = \"web\"; path = "
                      "\"%s/sf.txt\"; }",
                      dir, dir);
    tacho_host_t *h = open_host(60, 1, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), TACHO_ESINK);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'web' (plugin startfail) failed to "
                                     "start: cannot bind 192.0.2.1:9");
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    CU_ASSERT_FALSE(tacho_sink_stats_up(sink_stats(s, "recorder")));
    tacho_snapshot_free(s);
    tacho_host_close(h);
    char *rf = fmt("%s/r.txt", dir), *sff = fmt("%s/sf.txt", dir);
    /* The sink started before the failure was stopped again. */
    CU_ASSERT_EQUAL(count_lines(rf, "start "), 1);
    CU_ASSERT_EQUAL(count_lines(rf, "stop "), 1);
    CU_ASSERT_EQUAL(count_lines(rf, "write "), 0);
    CU_ASSERT_EQUAL(count_lines(rf, "destroy "), 1);
    char *notes = tacho_test_read_file(sff, NULL);
    CU_ASSERT_STRING_EQUAL(notes, "create\nstart\ndestroy\n");
    free(notes);
    free(rf);
    free(sff);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

static void host_lifecycle_logged(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *sinks = fmt("{ plugin = \"recorder\"; path = \"%s/r.txt\"; }", dir);
    capture_start();
    tacho_host_t *h = open_host(60, 1, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(tacho_host_start(h, NULL), 0);
    CU_ASSERT_TRUE(logged("info [host] started: worker 'test-worker', 1 "
                          "sinks, interval 60 s"));
    tacho_record(tacho_host_collector(h), "x", 1, false);
    tacho_record(tacho_host_collector(h), "x", 1, true);
    tacho_host_close(h);
    CU_ASSERT_TRUE(logged("info [host] shutdown: 2 runs recorded in total"));
    CU_ASSERT_TRUE(logged("info [host] sink 'recorder' (plugin recorder): 1 "
                          "writes, 0 errors, 0 retries, 0 skipped"));
    capture_stop();
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- the default host ---------------------------------------------------- */

static void host_default_calls(void)
{
    tacho_error_t err;
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_PTR_NULL(tacho_default_host());
    CU_ASSERT_EQUAL(tacho_record_run("a", 1, true), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_get_metrics(&s), TACHO_EINVAL);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(tacho_start_metrics_reporting(&err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "no default host is open: call "
                                     "tacho_default_open() first");
    CU_ASSERT_EQUAL_FATAL(tacho_default_open(NULL, &err), 0);
    CU_ASSERT_EQUAL(tacho_default_open(NULL, &err), TACHO_EBUSY);
    CU_ASSERT_STRING_EQUAL(err.text, "the default host is already open");
    CU_ASSERT_PTR_NOT_NULL(tacho_default_host());
    CU_ASSERT_EQUAL(tacho_record_run("a", 1000000, true), 0);
    CU_ASSERT_EQUAL(tacho_record_run("a", 3000000, false), 0);
    CU_ASSERT_EQUAL(tacho_record_run("", 1, true), TACHO_EINVAL);
    CU_ASSERT_EQUAL_FATAL(tacho_get_metrics(&s), 0);
    const tacho_stats_t *a = tacho_snapshot_find(s, "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(tacho_stats_runs(a, TACHO_SCOPE_LIFETIME), 2);
    CU_ASSERT_EQUAL(tacho_stats_failed(a, TACHO_SCOPE_LIFETIME), 1);
    tacho_snapshot_free(s);
    CU_ASSERT_EQUAL(tacho_start_metrics_reporting(&err), 0);
    tacho_default_close();
    CU_ASSERT_PTR_NULL(tacho_default_host());
    tacho_default_close(); /* closing twice is harmless */
}

static void host_default_from_file(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *group = tacho_group(60, 1);
    char *text = fmt("%ssinks = ( { plugin = \"recorder\"; path = "
                     "\"%s/r.txt\"; } );\n",
                     group, dir);
    char *conf = fmt("%s/tacho.conf", dir);
    write_file(conf, text);
    tacho_error_t err;
    char *missing = fmt("%s/missing.conf", dir);
    CU_ASSERT_EQUAL(tacho_default_open(missing, &err), TACHO_ENOENT);
    CU_ASSERT_PTR_NULL(tacho_default_host());
    CU_ASSERT_EQUAL_FATAL(tacho_default_open(conf, &err), 0);
    CU_ASSERT_EQUAL(tacho_start_metrics_reporting(&err), 0);
    for (int i = 0; i < 7; i++) {
        tacho_record_run("build", 1000, true);
    }
    tacho_default_close();
    char *rf = fmt("%s/r.txt", dir);
    char line[4096];
    CU_ASSERT_TRUE(last_line(rf, "write ", line, sizeof line));
    CU_ASSERT_EQUAL(field(line, "runs"), 7);
    free(rf);
    free(missing);
    free(conf);
    free(text);
    free(group);
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- signals ------------------------------------------------------------- */

static atomic_int stop_calls;

static void on_stop(void *arg)
{
    CU_ASSERT_PTR_EQUAL(arg, &stop_calls);
    atomic_fetch_add(&stop_calls, 1);
}

static bool blocked(int sig)
{
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, sig) == 1;
}

static void host_watch_signals(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *sinks = fmt("{ plugin = \"recorder\"; path = \"%s/r.txt\"; }", dir);
    tacho_host_t *h = open_host(60, 1, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    tacho_error_t err;
    CU_ASSERT_FALSE(blocked(SIGHUP));
    CU_ASSERT_EQUAL_FATAL(
        tacho_host_watch_signals(h, on_stop, &stop_calls, &err), 0);
    CU_ASSERT_TRUE(blocked(SIGHUP) && blocked(SIGTERM) && blocked(SIGINT));
    CU_ASSERT_EQUAL(tacho_host_watch_signals(h, on_stop, NULL, &err),
                    TACHO_EBUSY);
    CU_ASSERT_STRING_EQUAL(err.text, "this host already watches signals");
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    char *rf = fmt("%s/r.txt", dir);
    /* Process-directed, as `kill -HUP <pid>` would send them. */
    kill(getpid(), SIGHUP);
    CU_ASSERT_TRUE(wait_lines(rf, "reopen ", 1, 5));
    kill(getpid(), SIGTERM);
    kill(getpid(), SIGINT);
    double end = now_s() + 5;
    while (atomic_load(&stop_calls) < 2 && now_s() < end) {
        sleep_s(0.01);
    }
    CU_ASSERT_EQUAL(atomic_load(&stop_calls), 2);
    tacho_host_close(h);
    /* The watcher is gone and the caller's mask is back. */
    CU_ASSERT_FALSE(blocked(SIGHUP));
    free(rf);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- allocation failures ------------------------------------------------- */

/* One open/start/record/report/close cycle; returns the first failure. */
static int lifecycle(const tacho_config_t *cfg)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    int rc = tacho_host_open(cfg, &h, NULL, NULL, &err);
    if (rc != 0) {
        CU_ASSERT_PTR_NULL(h);
        /* A sink's create failing for lack of memory is reported as the
         * sink's failure, with the sink's own words. */
        CU_ASSERT_TRUE(
            rc == TACHO_ENOMEM ||
            (rc == TACHO_ESINK && strstr(err.text, "out of memory")));
        return rc;
    }
    rc = tacho_host_start(h, &err);
    CU_ASSERT_TRUE(rc == 0 || rc == TACHO_ENOMEM);
    int r2 = tacho_record(tacho_host_collector(h), "oom", 5, true);
    CU_ASSERT_TRUE(r2 == 0 || r2 == TACHO_ENOMEM);
    if (rc == 0) {
        r2 = tacho_host_report_now(h);
        CU_ASSERT_TRUE(r2 == 0 || r2 == TACHO_ENOMEM);
    }
    tacho_host_close(h);
    return rc;
}

/* Fails allocation N for N = 1, 2, ... until a whole cycle runs without
 * a failure; each failure must be clean (and, under ASan, leak nothing). */
static void host_oom_on_every_path(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *group = tacho_group(0.05, 1);
    char *text = fmt("%ssinks = ( { plugin = \"recorder\"; path = "
                     "\"%s/r.txt\"; }, { plugin = \"failing\"; } );\n",
                     group, dir);
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(
        tacho_config_load_string(text, &cfg, NULL, NULL, &err), 0);
    long n = 1;
    for (;; n++) {
        failing_alloc_nth(n);
        failing_alloc_install();
        lifecycle(cfg);
        long failures = failing_alloc_failures();
        failing_alloc_remove();
        if (failures == 0 || n > 20000) {
            break;
        }
    }
    CU_ASSERT_TRUE(n > 10 && n <= 20000);
    tacho_config_free(cfg);
    free(text);
    free(group);
    tacho_test_rmtree(dir);
    free(dir);
}

/* With no memory at all, scheduled and final snapshots fail, are logged,
 * and the host still shuts down cleanly. The allocator is replaced while
 * no host runs (as the hook requires); only the flag flips later. */
static void host_oom_snapshots_logged(void)
{
    char *dir = tacho_test_tmpdir("host");
    char *sinks = fmt("{ plugin = \"recorder\"; path = \"%s/r.txt\"; }", dir);
    failing_alloc_install(); /* nothing fails yet */
    tacho_host_t *h = start_test_host(0.05, 1, sinks);
    capture_start();
    failing_alloc_every(true);
    bool scheduled = wait_logged("error [host] cannot take the scheduled "
                                 "snapshot: out of memory",
                                 3);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), TACHO_ENOMEM);
    tacho_host_close(h);
    failing_alloc_remove();
    CU_ASSERT_TRUE(scheduled);
    CU_ASSERT_TRUE(
        logged("error [host] cannot take the final snapshot: out of memory"));
    capture_stop();
    char *rf = fmt("%s/r.txt", dir);
    CU_ASSERT_EQUAL(count_lines(rf, "destroy "), 1);
    free(rf);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

static void host_watch_signals_oom(void)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_host_open(NULL, &h, NULL, NULL, &err), 0);
    failing_alloc_nth(1);
    failing_alloc_install();
    int rc = tacho_host_watch_signals(h, on_stop, NULL, &err);
    failing_alloc_remove();
    CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
    CU_ASSERT_STRING_EQUAL(err.text, "out of memory");
    CU_ASSERT_FALSE(blocked(SIGHUP));
    tacho_host_close(h);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"host_open_without_config", host_open_without_config},
        {"host_null_arguments", host_null_arguments},
        {"host_metrics_interval_overrides", host_metrics_interval_overrides},
        {"host_metrics_interval_rejected", host_metrics_interval_rejected},
        {"host_start_twice_is_busy", host_start_twice_is_busy},
        {"host_optional_start_failure_stays_down",
         host_optional_start_failure_stays_down},
        {"host_start_failure_names_sink", host_start_failure_names_sink},
        {"host_lifecycle_logged", host_lifecycle_logged},
        {"host_default_calls", host_default_calls},
        {"host_default_from_file", host_default_from_file},
        {"host_watch_signals", host_watch_signals},
        {"host_oom_on_every_path", host_oom_on_every_path},
        {"host_oom_snapshots_logged", host_oom_snapshots_logged},
        {"host_watch_signals_oom", host_watch_signals_oom},
        {NULL, NULL}};
    return tacho_test_run("host", NULL, NULL, cases);
}
