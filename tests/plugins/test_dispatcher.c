/*
 * Suite for core/dispatcher.c and core/sink_ctx.c, through a host and the
 * real test sinks: the schedule, slow and stuck sinks, skips, errors and
 * retries in sink health, reopen and flush on the sink thread, the final
 * snapshot at shutdown and the services a sink calls.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/tacho.h>

#include "host_test.h"

/* The newest health of sink `name`, copied out of a fresh snapshot. */
typedef struct health {
    unsigned long long writes, errors, retries, skipped;
    bool busy, up;
    char last_error[512];
} health_t;

static health_t health_of(tacho_host_t *h, const char *name)
{
    health_t out = {0};
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    const tacho_sink_stats_t *ss = sink_stats(s, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ss);
    out.writes = tacho_sink_stats_writes(ss);
    out.errors = tacho_sink_stats_errors(ss);
    out.retries = tacho_sink_stats_retries(ss);
    out.skipped = tacho_sink_stats_skipped(ss);
    out.busy = tacho_sink_stats_busy(ss);
    out.up = tacho_sink_stats_up(ss);
    snprintf(out.last_error, sizeof out.last_error, "%s",
             tacho_sink_stats_last_error(ss));
    tacho_snapshot_free(s);
    return out;
}

/* Waits up to `timeout` s for sink `name` to reach `writes` + `errors`. */
static health_t wait_health(tacho_host_t *h, const char *name,
                            unsigned long long writes,
                            unsigned long long errors, double timeout)
{
    double end = now_s() + timeout;
    health_t x = health_of(h, name);
    while ((x.writes < writes || x.errors < errors) && now_s() < end) {
        sleep_s(0.01);
        x = health_of(h, name);
    }
    return x;
}

/* ---- the schedule and slow sinks ----------------------------------------- */

/* A sink sleeping six intervals per write neither delays the recorder's
 * scheduled writes nor recording; its mailbox skips to the newest. */
static void dispatcher_slow_sink_leaves_others_on_schedule(void)
{
    char *dir = tacho_test_tmpdir("disp");
    char *sinks = fmt("{ plugin = \"sleepy\"; seconds = 0.6; },"
                      "{ plugin = \"recorder\"; name = \"rec\"; path = "
                      "\"%s/rec.txt\"; }",
                      dir);
    tacho_host_t *h = start_test_host(0.1, 3, sinks);
    double t0 = now_s();
    unsigned long long recorded = 0;
    bool saw_busy = false;
    tacho_pipeline_t *p = tacho_pipeline_get(tacho_host_collector(h), "job");
    while (now_s() - t0 < 1.05) {
        for (int i = 0; i < 1000; i++) {
            tacho_pipeline_record(p, 1000, true);
        }
        recorded += 1000;
        saw_busy = saw_busy || health_of(h, "sleepy").busy;
        sleep_s(0.005);
    }
    char *file = fmt("%s/rec.txt", dir);
    size_t writes = count_lines(file, "write ");
    /* Ten ticks in 1.05 s; a loaded machine may lose a few, never gain. */
    CU_ASSERT_TRUE(writes >= 6 && writes <= 10);
    health_t slow = health_of(h, "sleepy"), rec = health_of(h, "rec");
    CU_ASSERT_TRUE(saw_busy);
    CU_ASSERT_TRUE(slow.skipped >= 3);
    CU_ASSERT_TRUE(slow.writes <= 2);
    CU_ASSERT_EQUAL(rec.skipped, 0);
    CU_ASSERT_FALSE(rec.busy);
    tacho_host_close(h);
    char line[8192];
    CU_ASSERT_TRUE(last_line(file, "write ", line, sizeof line));
    CU_ASSERT_EQUAL(field(line, "runs"), recorded);
    free(file);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- errors and retries -------------------------------------------------- */

static void dispatcher_errors_counted_and_visible(void)
{
    char *dir = tacho_test_tmpdir("disp");
    char *sinks = fmt("{ plugin = \"failing\"; message = \"disk full\"; },"
                      "{ plugin = \"failing\"; name = \"plain\"; },"
                      "{ plugin = \"failing\"; name = \"odd\"; result = "
                      "\"unknown\"; },"
                      "{ plugin = \"recorder\"; name = \"rec\"; path = "
                      "\"%s/rec.txt\"; }",
                      dir);
    capture_start();
    tacho_host_t *h = start_test_host(0.1, 2, sinks);
    health_t f = wait_health(h, "failing", 0, 3, 3);
    health_t plain = wait_health(h, "plain", 0, 3, 3);
    health_t odd = wait_health(h, "odd", 0, 3, 3);
    CU_ASSERT_TRUE(f.errors >= 3);
    CU_ASSERT_EQUAL(f.writes, 0);
    CU_ASSERT_EQUAL(f.retries, 0);
    CU_ASSERT_TRUE(f.up);
    CU_ASSERT_STRING_EQUAL(f.last_error, "disk full");
    CU_ASSERT_STRING_EQUAL(plain.last_error, "write returned ERROR");
    CU_ASSERT_STRING_EQUAL(odd.last_error,
                           "write returned an unknown result 7");
    CU_ASSERT_TRUE(logged("error [sink:failing:failing] disk full"));
    /* The snapshots dispatched to sinks carry the same health. */
    char *file = fmt("%s/rec.txt", dir);
    CU_ASSERT_TRUE(wait_lines(file, "write ", 3, 3));
    char line[8192];
    CU_ASSERT_TRUE(last_line(file, "write ", line, sizeof line));
    unsigned long long w = 9, e = 0;
    const char *at = strstr(line, " s.failing=");
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    CU_ASSERT_EQUAL(sscanf(at, " s.failing=%llu,%llu", &w, &e), 2);
    CU_ASSERT_EQUAL(w, 0);
    CU_ASSERT_TRUE(e >= 1);
    tacho_host_close(h);
    capture_stop();
    free(file);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* RETRY twice, then OK: retried after 0.5 s and 1 s, delivered once. */
static void dispatcher_retry_then_success(void)
{
    tacho_host_t *h = open_host(
        2, 0.5,
        "{ plugin = \"failing\"; result = \"retry\"; succeed_after = 2; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    double t0 = now_s();
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    health_t x = wait_health(h, "failing", 1, 0, 3);
    double took = now_s() - t0;
    CU_ASSERT_EQUAL(x.writes, 1);
    CU_ASSERT_EQUAL(x.retries, 2);
    CU_ASSERT_EQUAL(x.errors, 0);
    CU_ASSERT_EQUAL(x.skipped, 0);
    CU_ASSERT_STRING_EQUAL(x.last_error, "");
    CU_ASSERT_TRUE(took >= 1.4 && took < 1.95);
    tacho_host_close(h);
}

/* Always RETRY: four attempts (0, 0.5, 1.5, 3.5 s), then one error. */
static void dispatcher_retry_gives_up(void)
{
    tacho_host_t *h =
        open_host(4, 0.2, "{ plugin = \"failing\"; result = \"retry\"; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    health_t x = wait_health(h, "failing", 0, 1, 3.9);
    CU_ASSERT_EQUAL(x.errors, 1);
    CU_ASSERT_EQUAL(x.retries, 4);
    CU_ASSERT_EQUAL(x.writes, 0);
    CU_ASSERT_STRING_EQUAL(x.last_error,
                           "write returned RETRY 4 times; snapshot dropped");
    /* The final snapshot is retried too, until the grace ends the retries:
     * the thread is then waiting, not writing, so it is joined. */
    double t0 = now_s();
    tacho_host_close(h);
    CU_ASSERT_TRUE(now_s() - t0 < 1.0);
}

/* A newer snapshot ends the retries of an older one, counted as a skip. */
static void dispatcher_retry_superseded(void)
{
    tacho_host_t *h =
        open_host(10, 0.2, "{ plugin = \"failing\"; result = \"retry\"; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    sleep_s(0.2); /* inside the first 0.5 s backoff */
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    sleep_s(0.2);
    health_t x = health_of(h, "failing");
    CU_ASSERT_EQUAL(x.skipped, 1);
    CU_ASSERT_EQUAL(x.retries, 2);
    CU_ASSERT_EQUAL(x.errors, 0);
    tacho_host_close(h);
}

/* ---- reopen, flush and shutdown ------------------------------------------ */

static void dispatcher_reopen_runs_on_sink_thread(void)
{
    char *dir = tacho_test_tmpdir("disp");
    char *sinks = fmt("{ plugin = \"recorder\"; name = \"rec\"; path = "
                      "\"%s/rec.txt\"; }",
                      dir);
    tacho_host_t *h = open_host(60, 2, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(tacho_host_reopen(h), TACHO_EINVAL); /* not started */
    CU_ASSERT_EQUAL(tacho_host_report_now(h), TACHO_EINVAL);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    char *file = fmt("%s/rec.txt", dir), *moved = fmt("%s/rec.txt.1", dir);
    CU_ASSERT_TRUE_FATAL(wait_lines(file, "write ", 1, 5));
    CU_ASSERT_EQUAL(rename(file, moved), 0);
    CU_ASSERT_EQUAL(tacho_host_reopen(h), 0);
    CU_ASSERT_TRUE(wait_lines(file, "reopen ", 1, 5));
    char start[4096], write[4096], reopen[4096];
    CU_ASSERT_TRUE(last_line(moved, "start ", start, sizeof start));
    CU_ASSERT_TRUE(last_line(moved, "write ", write, sizeof write));
    CU_ASSERT_TRUE(last_line(file, "reopen ", reopen, sizeof reopen));
    /* create and start on the control thread; write and reopen on the
     * sink's own thread. */
    CU_ASSERT_EQUAL(field(start, "tid"), self_tid());
    CU_ASSERT_EQUAL(field(start, "create_tid"), self_tid());
    CU_ASSERT_EQUAL(field(reopen, "tid"), field(write, "tid"));
    CU_ASSERT_NOT_EQUAL(field(write, "tid"), self_tid());
    /* The ctx services as the sink saw them. */
    CU_ASSERT_PTR_NOT_NULL(strstr(start, " name=rec worker=test-worker "
                                         "interval=60"));
    tacho_host_close(h);
    free(file);
    free(moved);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

static void dispatcher_reopen_and_flush_failures_logged(void)
{
    capture_start();
    tacho_host_t *h = open_host(
        60, 2, "{ plugin = \"failing\"; reopen_code = -5; flush_code = -5; }");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, NULL), 0);
    CU_ASSERT_EQUAL(tacho_host_reopen(h), 0);
    CU_ASSERT_TRUE(wait_logged(
        "error [sink:failing:failing] reopen failed: input/output error", 5));
    CU_ASSERT_STRING_EQUAL(health_of(h, "failing").last_error,
                           "reopen failed: input/output error");
    tacho_host_close(h);
    CU_ASSERT_TRUE(logged(
        "error [sink:failing:failing] flush failed: input/output error"));
    capture_stop();
}

enum { RECORDERS = 4, RECORDS = 2500 };

static void *record_many(void *arg)
{
    tacho_collector_t *c = arg;
    for (int i = 0; i < RECORDS; i++) {
        tacho_record(c, i % 2 ? "odd" : "even", 100 + (uint64_t)i, i % 5 != 0);
    }
    return NULL;
}

/* The final snapshot holds every run recorded before close, then the
 * sink is flushed (sink thread), stopped and destroyed (control thread). */
static void dispatcher_final_snapshot_has_every_record(void)
{
    char *dir = tacho_test_tmpdir("disp");
    char *sinks = fmt("{ plugin = \"recorder\"; path = \"%s/rec.txt\"; }", dir);
    capture_start();
    tacho_host_t *h = start_test_host(60, 2, sinks);
    pthread_t t[RECORDERS];
    for (int i = 0; i < RECORDERS; i++) {
        pthread_create(&t[i], NULL, record_many, tacho_host_collector(h));
    }
    for (int i = 0; i < RECORDERS; i++) {
        pthread_join(t[i], NULL);
    }
    tacho_host_close(h);
    char *file = fmt("%s/rec.txt", dir);
    char *text = tacho_test_read_file(file, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    char write[8192], flush[256], stop[256], destroy[256];
    CU_ASSERT_TRUE(last_line(file, "write ", write, sizeof write));
    CU_ASSERT_EQUAL(count_lines(file, "write "), 1);
    CU_ASSERT_EQUAL(field(write, "runs"), RECORDERS * RECORDS);
    CU_ASSERT_EQUAL(field(write, "failed"), RECORDERS * RECORDS / 5);
    CU_ASSERT_EQUAL(field(write, "p.even"), RECORDERS * RECORDS / 2);
    CU_ASSERT_TRUE(last_line(file, "flush ", flush, sizeof flush));
    CU_ASSERT_TRUE(last_line(file, "stop ", stop, sizeof stop));
    CU_ASSERT_TRUE(last_line(file, "destroy ", destroy, sizeof destroy));
    CU_ASSERT_EQUAL(field(flush, "tid"), field(write, "tid"));
    CU_ASSERT_EQUAL(field(stop, "tid"), self_tid());
    CU_ASSERT_EQUAL(field(destroy, "tid"), self_tid());
    /* Order: write, flush, stop, destroy. */
    char *w = strstr(text, "write "), *f = strstr(text, "flush "),
         *s = strstr(text, "stop "), *d = strstr(text, "destroy ");
    CU_ASSERT_TRUE(w != NULL && w < f && f < s && s < d);
    char *summary = fmt("info [host] shutdown: %d runs recorded in total",
                        RECORDERS * RECORDS);
    CU_ASSERT_TRUE(logged(summary));
    CU_ASSERT_TRUE(logged("info [host] sink 'recorder' (plugin recorder): 1 "
                          "writes, 0 errors, 0 retries, 0 skipped"));
    capture_stop();
    free(summary);
    free(text);
    free(file);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* A sink stuck in write is abandoned after the grace: close returns in
 * time, the others still get their final snapshot, and the stuck thread,
 * once it wakes, finds the host gone but its own state intact. */
static void dispatcher_stuck_sink_abandoned_within_grace(void)
{
    char *dir = tacho_test_tmpdir("disp");
    char *sinks = fmt("{ plugin = \"sleepy\"; seconds = 2.0; path = "
                      "\"%s/sleepy.txt\"; },"
                      "{ plugin = \"recorder\"; path = \"%s/rec.txt\"; }",
                      dir, dir);
    capture_start();
    tacho_host_t *h = start_test_host(0.1, 0.3, sinks);
    char *sleepy = fmt("%s/sleepy.txt", dir), *rec = fmt("%s/rec.txt", dir);
    CU_ASSERT_TRUE_FATAL(wait_lines(sleepy, "begin ", 1, 2));
    double t0 = now_s();
    tacho_host_close(h);
    double took = now_s() - t0;
    CU_ASSERT_TRUE(took >= 0.25 && took < 1.0);
    CU_ASSERT_TRUE(logged("warning [host] sink 'sleepy' (plugin sleepy) is "
                          "still busy after the 0.3 s shutdown grace: "
                          "abandoning its thread; its state and module are "
                          "deliberately leaked (no stop, no destroy)"));
    CU_ASSERT_EQUAL(count_lines(rec, "flush "), 1);
    CU_ASSERT_EQUAL(count_lines(rec, "destroy "), 1);
    /* tacho_sink_snapshot() after the host let go answers EINVAL. */
    CU_ASSERT_TRUE(wait_lines(sleepy, "end rc=-22", 1, 3));
    capture_stop();
    free(sleepy);
    free(rec);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- services a sink calls ----------------------------------------------- */

static void dispatcher_sink_services(void)
{
    char *dir = tacho_test_tmpdir("disp");
    char *sinks = fmt("{ plugin = \"recorder\"; name = \"r1\"; path = "
                      "\"%s/rec.txt\"; pull = true; log_message = \"hello "
                      "from the sink\"; }",
                      dir);
    capture_start();
    tacho_host_t *h = start_test_host(60, 2, sinks);
    for (int i = 0; i < 3; i++) {
        tacho_record(tacho_host_collector(h), "p", 10, true);
    }
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    char *file = fmt("%s/rec.txt", dir);
    CU_ASSERT_TRUE(wait_lines(file, "pull ", 1, 5));
    char line[4096];
    CU_ASSERT_TRUE(last_line(file, "pull ", line, sizeof line));
    CU_ASSERT_STRING_EQUAL(line, "pull rc=0 runs=3 sinks=1");
    CU_ASSERT_TRUE(
        wait_logged("info [sink:recorder:r1] hello from the sink", 5));
    tacho_host_close(h);
    capture_stop();
    free(file);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"dispatcher_slow_sink_leaves_others_on_schedule",
         dispatcher_slow_sink_leaves_others_on_schedule},
        {"dispatcher_errors_counted_and_visible",
         dispatcher_errors_counted_and_visible},
        {"dispatcher_retry_then_success", dispatcher_retry_then_success},
        {"dispatcher_retry_gives_up", dispatcher_retry_gives_up},
        {"dispatcher_retry_superseded", dispatcher_retry_superseded},
        {"dispatcher_reopen_runs_on_sink_thread",
         dispatcher_reopen_runs_on_sink_thread},
        {"dispatcher_reopen_and_flush_failures_logged",
         dispatcher_reopen_and_flush_failures_logged},
        {"dispatcher_final_snapshot_has_every_record",
         dispatcher_final_snapshot_has_every_record},
        {"dispatcher_sink_services", dispatcher_sink_services},
        /* Last: it leaves a sleeping thread behind on purpose. */
        {"dispatcher_stuck_sink_abandoned_within_grace",
         dispatcher_stuck_sink_abandoned_within_grace},
        {NULL, NULL}};
    return tacho_test_run("dispatcher", NULL, NULL, cases);
}
