/*
 * Suite for core/window.c and core/clock.c: the sliding window driven by
 * the manual clock (no sleeping), runs per hour, and the clock thread.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "manual_clock_test.h"

static tacho_collector_t *make(uint32_t window_seconds)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.window_seconds = window_seconds;
    return make_manual(&o);
}

static uint64_t window_runs(tacho_collector_t *c, const char *name)
{
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st =
        name == NULL ? tacho_snapshot_total(s) : tacho_snapshot_find(s, name);
    uint64_t n = st == NULL ? 0 : tacho_stats_runs(st, TACHO_SCOPE_WINDOW);
    tacho_snapshot_free(s);
    return n;
}

static void window_runs_per_hour(void)
{
    tacho_collector_t *c = make(0);
    for (int i = 0; i < 30; i++) {
        tacho_record(c, "job", 5 * MS, true);
    }
    tacho__collector_set_time(c, T0 + 1800 * SEC);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_uptime_ns(s), 1800 * SEC);
    CU_ASSERT_EQUAL(tacho_snapshot_start_time_ns(s), T0);
    CU_ASSERT_EQUAL(tacho_snapshot_timestamp_ns(s), T0 + 1800 * SEC);
    const tacho_stats_t *st = tacho_snapshot_find(s, "job");
    double rph = 0;
    CU_ASSERT_TRUE(tacho_stats_runs_per_hour(st, TACHO_SCOPE_LIFETIME, &rph));
    CU_ASSERT_DOUBLE_EQUAL(rph, 60.0, 1e-9);
    CU_ASSERT_TRUE(tacho_stats_runs_per_hour(st, TACHO_SCOPE_WINDOW, &rph));
    CU_ASSERT_DOUBLE_EQUAL(rph, 30.0, 1e-9);
    int64_t last = 0;
    CU_ASSERT_TRUE(tacho_stats_last_run_ns(st, &last));
    CU_ASSERT_EQUAL(last, T0);
    tacho_snapshot_free(s);
    /* At zero uptime the lifetime rate has no meaning. */
    tacho_collector_reset(c);
    s = snap(c);
    CU_ASSERT_FALSE(tacho_stats_runs_per_hour(tacho_snapshot_total(s),
                                              TACHO_SCOPE_LIFETIME, &rph));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void window_short_window_rate(void)
{
    tacho_collector_t *c = make(120);
    for (int i = 0; i < 10; i++) {
        tacho_record(c, "job", 1, true);
    }
    tacho__collector_set_time(c, T0 + 30 * SEC);
    tacho_snapshot_t *s = snap(c);
    double rph = 0;
    CU_ASSERT_TRUE(tacho_stats_runs_per_hour(tacho_snapshot_total(s),
                                             TACHO_SCOPE_WINDOW, &rph));
    CU_ASSERT_DOUBLE_EQUAL(rph, 10.0 * 3600 / 120, 1e-9);
    CU_ASSERT_EQUAL(tacho_snapshot_window_seconds(s), 120);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void window_expiry(void)
{
    tacho_collector_t *c = make(0);
    tacho_record(c, "gone", 1 * MS, true);
    CU_ASSERT_EQUAL(window_runs(c, "gone"), 1);
    /* 59 slots later (a slot is 60 s) the run is still inside. */
    tacho__collector_set_time(c, T0 + 59 * 60 * SEC);
    CU_ASSERT_EQUAL(window_runs(c, "gone"), 1);
    tacho__collector_set_time(c, T0 + 3600 * SEC);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "gone");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st); /* still has a lifetime run */
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_WINDOW), 0);
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(st, TACHO_SCOPE_WINDOW), 0);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 1);
    uint64_t v;
    double d;
    CU_ASSERT_FALSE(tacho_stats_min_ns(st, TACHO_SCOPE_WINDOW, &v));
    CU_ASSERT_FALSE(tacho_stats_quantile_ns(st, TACHO_SCOPE_WINDOW, 0.5, &d));
    CU_ASSERT_FALSE(tacho_stats_success_ratio(st, TACHO_SCOPE_WINDOW, &d));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void window_partial_advance_exact(void)
{
    tacho_collector_t *c = make(60); /* 1 s slots */
    /* Slot s (s = 0..9) gets s + 1 runs, recorded mid-slot. */
    for (int slot = 0; slot < 10; slot++) {
        tacho__collector_set_time(c, T0 + slot * SEC + 500 * MS);
        for (int k = 0; k <= slot; k++) {
            tacho_record(c, "p", (uint64_t)(slot + 1) * MS, slot % 2 == 0);
        }
    }
    CU_ASSERT_EQUAL(window_runs(c, "p"), 55);
    /* At 62.5 s, 62 ticks are done: slots 3.. are the 59 full slots kept
     * plus the current one, so slots 0..2 (1 + 2 + 3 runs) are gone. */
    tacho__collector_set_time(c, T0 + 62 * SEC + 500 * MS);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "p");
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_WINDOW), 49);
    /* Kept: slots 4, 6, 8 succeeded (5 + 7 + 9 runs). */
    CU_ASSERT_EQUAL(tacho_stats_succeeded(st, TACHO_SCOPE_WINDOW), 21);
    uint64_t sum = 0;
    for (int slot = 3; slot < 10; slot++) {
        sum += (uint64_t)(slot + 1) * (uint64_t)(slot + 1) * MS;
    }
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(st, TACHO_SCOPE_WINDOW), sum);
    uint64_t mn = 0, mx = 0;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_WINDOW, &mn));
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_WINDOW, &mx));
    CU_ASSERT_TRUE(fabs((double)mn - 4e6) <= 0.01 * 4e6);
    CU_ASSERT_TRUE(fabs((double)mx - 10e6) <= 0.01 * 10e6);
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &mn));
    CU_ASSERT_EQUAL(mn, 1 * MS);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 55);
    tacho_snapshot_free(s);
    /* One more slot: slot 3 (4 runs) leaves. */
    tacho__collector_set_time(c, T0 + 63 * SEC + 500 * MS);
    CU_ASSERT_EQUAL(window_runs(c, "p"), 45);
    tacho__collector_set_time(c, T0 + 69 * SEC + 500 * MS);
    CU_ASSERT_EQUAL(window_runs(c, "p"), 0);
    tacho_collector_free(c);
}

static void window_long_gap_and_return(void)
{
    tacho_collector_t *c = make(60);
    tacho_record(c, "a", 1, true);
    /* A day of 1 s slots is 86400 ticks: must not take 86400 flips. */
    uint64_t t = tacho_now_ns();
    tacho__collector_set_time(c, T0 + 86400 * SEC);
    CU_ASSERT_TRUE(tacho_now_ns() - t < 2000 * (uint64_t)MS);
    CU_ASSERT_EQUAL(window_runs(c, "a"), 0);
    tacho_record(c, "a", 2, false);
    tacho__collector_set_time(c, T0 + 86410 * SEC);
    CU_ASSERT_EQUAL(window_runs(c, "a"), 1);
    tacho__collector_set_time(c, T0 + 86470 * SEC);
    CU_ASSERT_EQUAL(window_runs(c, "a"), 0);
    tacho_collector_free(c);
}

static void window_clock_going_back(void)
{
    tacho_collector_t *c = make(60);
    tacho__collector_set_time(c, T0 + 10 * SEC);
    tacho_record(c, "b", 1, true);
    tacho__collector_set_time(c, T0 - 100 * SEC);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_uptime_ns(s), 0); /* never negative */
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_WINDOW), 1);
    tacho_snapshot_free(s);
    /* Ticks resume where they left off once the clock catches up. */
    tacho__collector_set_time(c, T0 + 69 * SEC);
    CU_ASSERT_EQUAL(window_runs(c, NULL), 1);
    tacho__collector_set_time(c, T0 + 70 * SEC);
    CU_ASSERT_EQUAL(window_runs(c, NULL), 0);
    tacho_collector_free(c);
}

static void window_many_pipelines_slots(void)
{
    tacho_collector_t *c = make(60);
    char name[16];
    /* 40 pipelines, one slot each, with distinct durations. */
    for (int i = 0; i < 40; i++) {
        tacho__collector_set_time(c, T0 + i * SEC);
        snprintf(name, sizeof name, "p%02d", i);
        for (int k = 0; k < 3; k++) {
            tacho_record(c, name, (uint64_t)(i + 1) * 1000 + (uint64_t)k, true);
        }
    }
    /* Slot i leaves at tick i + 60. */
    tacho__collector_set_time(c, T0 + 79 * SEC);
    tacho_snapshot_t *s = snap(c);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "p%02d", i);
        const tacho_stats_t *st = tacho_snapshot_find(s, name);
        CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_WINDOW),
                        i >= 20 ? 3u : 0u);
        double q = 0;
        if (i >= 20) {
            CU_ASSERT_TRUE(
                tacho_stats_quantile_ns(st, TACHO_SCOPE_WINDOW, 0.5, &q));
            double want = (double)((i + 1) * 1000 + 1);
            CU_ASSERT_TRUE(fabs(q - want) <= 0.01 * want);
        }
    }
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_WINDOW), 60);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void window_clock_thread_runs_and_stops(void)
{
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &c, NULL), 0);
    int64_t first = tacho__clock_cached(&c->clock);
    int64_t now = tacho__wall_now();
    CU_ASSERT_TRUE(llabs(now - first) < 5 * SEC);
    struct timespec ts = {0, 60 * MS};
    nanosleep(&ts, NULL);
    CU_ASSERT_TRUE(tacho__clock_cached(&c->clock) > first);
    /* Stopping does not wait out a sleep. */
    uint64_t t = tacho_now_ns();
    tacho_collector_free(c);
    CU_ASSERT_TRUE(tacho_now_ns() - t < 200 * (uint64_t)MS);
}

static void window_manual_clock_freezes_time(void)
{
    tacho_collector_t *c = make(60);
    struct timespec ts = {0, 30 * MS};
    nanosleep(&ts, NULL);
    CU_ASSERT_EQUAL(tacho__clock_cached(&c->clock), T0);
    tacho_record(c, "m", 5, true);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_timestamp_ns(s), T0);
    tacho_execution_t e;
    CU_ASSERT_EQUAL(tacho_snapshot_recent(s, 0, &e), 0);
    CU_ASSERT_EQUAL(e.time_ns, T0);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"window_runs_per_hour", window_runs_per_hour},
        {"window_short_window_rate", window_short_window_rate},
        {"window_expiry", window_expiry},
        {"window_partial_advance_exact", window_partial_advance_exact},
        {"window_long_gap_and_return", window_long_gap_and_return},
        {"window_clock_going_back", window_clock_going_back},
        {"window_many_pipelines_slots", window_many_pipelines_slots},
        {"window_clock_thread_runs_and_stops",
         window_clock_thread_runs_and_stops},
        {"window_manual_clock_freezes_time", window_manual_clock_freezes_time},
        {NULL, NULL}};
    return tacho_test_run("window", NULL, NULL, cases);
}
