/*
 * Suite for core/snapshot.c and core/snapshot_stats.c: what a snapshot
 * holds, its invariants, edge values and the sink health list.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/collector.h>
#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "snapshot_internal.h"
#include "snapshot_types.h"
#include "tacho_test.h"

#define MS 1000000ull
#define HOUR (3600000ull * MS)

static tacho_collector_t *make_with(const uint64_t *bounds, size_t n)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.worker_id = "snap-worker";
    o.bucket_bounds_ns = bounds;
    o.bucket_count = n;
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, NULL), 0);
    return c;
}

static tacho_snapshot_t *snap(tacho_collector_t *c)
{
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    return s;
}

/* The invariants every stats object keeps, in both scopes. */
static void check_invariants(const tacho_stats_t *st)
{
    for (int k = 0; k < 2; k++) {
        tacho_scope_t sc = (tacho_scope_t)k;
        uint64_t runs = tacho_stats_runs(st, sc);
        CU_ASSERT_EQUAL(runs, tacho_stats_succeeded(st, sc) +
                                  tacho_stats_failed(st, sc));
        uint64_t mn = 0, mx = 0;
        double avg = 0;
        bool has = tacho_stats_min_ns(st, sc, &mn);
        CU_ASSERT_EQUAL(has, runs > 0);
        CU_ASSERT_EQUAL(tacho_stats_max_ns(st, sc, &mx), runs > 0);
        CU_ASSERT_EQUAL(tacho_stats_avg_ns(st, sc, &avg), runs > 0);
        if (has) {
            CU_ASSERT_TRUE((double)mn <= avg && avg <= (double)mx);
        }
        /* The histogram holds every run. */
        CU_ASSERT_EQUAL(tacho__sparse_total(&st->fig[k].hist), runs);
    }
    uint64_t prev = 0;
    for (size_t i = 0; i < tacho_stats_bucket_count(st); i++) {
        uint64_t cum = tacho_stats_bucket_cumulative(st, i);
        CU_ASSERT_TRUE(cum >= prev);
        prev = cum;
    }
    CU_ASSERT_TRUE(prev <= tacho_stats_runs(st, TACHO_SCOPE_LIFETIME));
}

static void snapshot_empty_has_no_values(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_pipeline_count(s), 0);
    CU_ASSERT_PTR_NULL(tacho_snapshot_pipeline(s, 0));
    CU_ASSERT_PTR_NULL(tacho_snapshot_find(s, "x"));
    CU_ASSERT_PTR_NULL(tacho_snapshot_find(s, NULL));
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 0);
    CU_ASSERT_STRING_EQUAL(tacho_snapshot_worker(s), "snap-worker");
    const tacho_stats_t *t = tacho_snapshot_total(s);
    CU_ASSERT_STRING_EQUAL(tacho_stats_name(t), "");
    CU_ASSERT_FALSE(tacho_stats_is_overflow(t));
    double d = -1;
    uint64_t u = 7;
    int64_t i = 7;
    for (int k = 0; k < 2; k++) {
        tacho_scope_t sc = (tacho_scope_t)k;
        CU_ASSERT_EQUAL(tacho_stats_runs(t, sc), 0);
        CU_ASSERT_FALSE(tacho_stats_min_ns(t, sc, &u));
        CU_ASSERT_FALSE(tacho_stats_max_ns(t, sc, &u));
        CU_ASSERT_FALSE(tacho_stats_avg_ns(t, sc, &d));
        CU_ASSERT_FALSE(tacho_stats_success_ratio(t, sc, &d));
        CU_ASSERT_FALSE(tacho_stats_error_ratio(t, sc, &d));
        CU_ASSERT_FALSE(tacho_stats_quantile_ns(t, sc, 0.5, &d));
    }
    CU_ASSERT_FALSE(tacho_stats_last_run_ns(t, &i));
    CU_ASSERT_EQUAL(u, 7);
    CU_ASSERT_EQUAL(i, 7);
    CU_ASSERT_DOUBLE_EQUAL(d, -1, 0);
    CU_ASSERT_TRUE(tacho_stats_runs_per_hour(t, TACHO_SCOPE_WINDOW, &d));
    CU_ASSERT_DOUBLE_EQUAL(d, 0, 0);
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(t, 3), 0);
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(t, 99), 0);
    CU_ASSERT_EQUAL(tacho_stats_bucket_bound_ns(t, 99), 0);
    tacho_execution_t e;
    CU_ASSERT_EQUAL(tacho_snapshot_recent(s, 0, &e), TACHO_EINVAL);
    CU_ASSERT_TRUE(tacho_snapshot_timestamp_ns(s) >=
                   tacho_snapshot_start_time_ns(s));
    check_invariants(t);
    tacho_snapshot_free(s);
    tacho_snapshot_free(NULL);
    tacho_collector_free(c);
}

static void snapshot_zero_duration(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    tacho_record(c, "zero", 0, true);
    tacho_record(c, "zero", 0, true);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "zero");
    uint64_t v = 9;
    double d = 9;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_WINDOW, &v));
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_TRUE(tacho_stats_avg_ns(st, TACHO_SCOPE_LIFETIME, &d));
    CU_ASSERT_DOUBLE_EQUAL(d, 0, 0);
    CU_ASSERT_TRUE(tacho_stats_quantile_ns(st, TACHO_SCOPE_WINDOW, 0.99, &d));
    CU_ASSERT_DOUBLE_EQUAL(d, 0, 0);
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(st, 0), 2);
    check_invariants(st);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void snapshot_hours_and_huge_durations(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    uint64_t huge = (1ull << 50) + 12345; /* beyond the last octave */
    tacho_record(c, "long", 5 * HOUR, true);
    tacho_record(c, "long", huge, false);
    tacho_record(c, "long", UINT64_MAX / 4, true);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "long");
    uint64_t v = 0;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 5 * HOUR);
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, UINT64_MAX / 4);
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME),
                    5 * HOUR + huge + UINT64_MAX / 4);
    double q = 0;
    CU_ASSERT_TRUE(tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, 0.3, &q));
    CU_ASSERT_TRUE(fabs(q - (double)(5 * HOUR)) <= 0.01 * (double)(5 * HOUR));
    CU_ASSERT_TRUE(tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, 1.0, &q));
    /* The open last bucket reports its lowest value. */
    CU_ASSERT_DOUBLE_EQUAL(q, (double)tacho__hist_lower(TACHO__HIST_LAST), 0);
    /* Everything is above the last bound (1 h): only runs counts them. */
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(st, 15), 0);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 3);
    check_invariants(st);
    check_invariants(tacho_snapshot_total(s));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

/* A duration of UINT64_MAX: the window average rounds up to 2^64 as a
 * double, and the window maximum was converted back from it (undefined
 * behaviour, 0 on x86-64; found by fuzz_render under UBSan). */
static void snapshot_window_extremes_near_uint64_max(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    tacho_record(c, "edge", UINT64_MAX, true);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "edge");
    uint64_t lo = 0, hi = 0;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_WINDOW, &lo));
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_WINDOW, &hi));
    CU_ASSERT_EQUAL(lo, UINT64_MAX);
    CU_ASSERT_EQUAL(hi, UINT64_MAX);
    check_invariants(st);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void snapshot_failures_only(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    for (int i = 0; i < 4; i++) {
        tacho_record(c, "bad", 10 * MS, false);
    }
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "bad");
    double r = -1;
    CU_ASSERT_EQUAL(tacho_stats_succeeded(st, TACHO_SCOPE_LIFETIME), 0);
    CU_ASSERT_TRUE(tacho_stats_success_ratio(st, TACHO_SCOPE_LIFETIME, &r));
    CU_ASSERT_DOUBLE_EQUAL(r, 0, 0);
    CU_ASSERT_TRUE(tacho_stats_error_ratio(st, TACHO_SCOPE_WINDOW, &r));
    CU_ASSERT_DOUBLE_EQUAL(r, 1, 0);
    check_invariants(st);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void snapshot_sorted_total_and_self_contained(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    const char *names[] = {"zeta", "alpha", "Mid", "beta", "alpha2"};
    for (int i = 0; i < 5; i++) {
        for (int k = 0; k <= i; k++) {
            tacho_record(c, names[i], (uint64_t)(k + 1) * MS, k % 2 == 0);
        }
    }
    tacho_pipeline_get(c, "never-run");
    tacho_snapshot_t *s = snap(c);
    tacho_collector_free(c); /* the snapshot outlives the collector */
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_pipeline_count(s), 5);
    const char *sorted[] = {"Mid", "alpha", "alpha2", "beta", "zeta"};
    uint64_t runs = 0, succ = 0, sum = 0, le = 0;
    for (size_t i = 0; i < 5; i++) {
        const tacho_stats_t *st = tacho_snapshot_pipeline(s, i);
        CU_ASSERT_STRING_EQUAL(tacho_stats_name(st), sorted[i]);
        CU_ASSERT_PTR_EQUAL(tacho_snapshot_find(s, sorted[i]), st);
        runs += tacho_stats_runs(st, TACHO_SCOPE_LIFETIME);
        succ += tacho_stats_succeeded(st, TACHO_SCOPE_WINDOW);
        sum += tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME);
        le += tacho_stats_bucket_cumulative(st, 0);
        check_invariants(st);
    }
    CU_ASSERT_PTR_NULL(tacho_snapshot_find(s, "never-run"));
    const tacho_stats_t *t = tacho_snapshot_total(s);
    CU_ASSERT_EQUAL(runs, 15);
    CU_ASSERT_EQUAL(tacho_stats_runs(t, TACHO_SCOPE_LIFETIME), runs);
    CU_ASSERT_EQUAL(tacho_stats_succeeded(t, TACHO_SCOPE_WINDOW), succ);
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(t, TACHO_SCOPE_LIFETIME), sum);
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(t, 0), le);
    uint64_t v = 0;
    CU_ASSERT_TRUE(tacho_stats_max_ns(t, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 5 * MS);
    CU_ASSERT_TRUE(tacho_stats_min_ns(t, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 1 * MS);
    double q = 0;
    CU_ASSERT_TRUE(tacho_stats_quantile_ns(t, TACHO_SCOPE_WINDOW, 1.0, &q));
    CU_ASSERT_TRUE(fabs(q - 5e6) <= 5e4);
    check_invariants(t);
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 15);
    tacho_execution_t e;
    CU_ASSERT_EQUAL(tacho_snapshot_recent(s, 0, &e), 0);
    CU_ASSERT_STRING_EQUAL(e.pipeline, "alpha2"); /* recorded last */
    CU_ASSERT_EQUAL(tacho_snapshot_recent(s, 0, NULL), TACHO_EINVAL);
    tacho_snapshot_free(s);
}

static void snapshot_quantile_arguments(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    tacho_record(c, "q", 1000, true);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "q");
    double v = -1;
    CU_ASSERT_FALSE(tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, 0, &v));
    CU_ASSERT_FALSE(
        tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, 1.01, &v));
    CU_ASSERT_FALSE(tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, NAN, &v));
    CU_ASSERT_DOUBLE_EQUAL(v, -1, 0);
    CU_ASSERT_TRUE(tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, 1e-9, &v));
    CU_ASSERT_DOUBLE_EQUAL(v, 1000, 0); /* clamped to the exact min/max */
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

/* Runs with duration <= bound, counted the slow, obvious way. */
static uint64_t brute_le(const uint64_t *vals, size_t n, uint64_t bound)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += vals[i] <= bound;
    }
    return k;
}

static void snapshot_le_counts_exact_on_bounds(void)
{
    /* Small bounds fall inside exact buckets, big ones inside wide
     * buckets, and 2^50 inside the open last bucket. */
    uint64_t bounds[] = {
        1,         63,        64,        100,        1000,
        5 * MS,    123456789, 1000 * MS, 1ull << 40, (1ull << 46) + 5,
        1ull << 50};
    size_t nb = sizeof bounds / sizeof bounds[0];
    tacho_collector_t *c = make_with(bounds, nb);
    uint64_t vals[200];
    size_t n = 0;
    for (size_t i = 0; i < nb; i++) {
        vals[n++] = bounds[i] - 1;
        vals[n++] = bounds[i];
        vals[n++] = bounds[i] + 1;
    }
    srand(7);
    while (n < 200) {
        vals[n++] =
            ((uint64_t)rand() << 20 ^ (uint64_t)rand()) >> (rand() % 40);
    }
    for (size_t i = 0; i < n; i++) {
        tacho_record(c, "le", vals[i], true);
    }
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "le");
    CU_ASSERT_EQUAL_FATAL(tacho_stats_bucket_count(st), nb);
    for (size_t i = 0; i < nb; i++) {
        CU_ASSERT_EQUAL(tacho_stats_bucket_bound_ns(st, i), bounds[i]);
        CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(st, i),
                        brute_le(vals, n, bounds[i]));
    }
    check_invariants(st);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void snapshot_sink_health_list(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    tacho_snapshot_t *s = snap(c);
    tacho_collector_free(c);
    char name[] = "daily";
    tacho__sink_health_t h[2] = {
        {name, "csv", 3, 1, 2, 4, 1500, 1700000000000000000ll, "", false, true},
        {"prom", "prometheus", 0, 0, 0, 0, 0, 0, "listen failed", true, false}};
    CU_ASSERT_EQUAL_FATAL(tacho__snapshot_set_sinks(s, h, 2), 0);
    name[0] = 'X'; /* copied, not borrowed */
    CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 2);
    const tacho_sink_stats_t *a = tacho_snapshot_sink(s, 0);
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_name(a), "daily");
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_plugin(a), "csv");
    CU_ASSERT_EQUAL(tacho_sink_stats_writes(a), 3);
    CU_ASSERT_EQUAL(tacho_sink_stats_errors(a), 1);
    CU_ASSERT_EQUAL(tacho_sink_stats_retries(a), 2);
    CU_ASSERT_EQUAL(tacho_sink_stats_skipped(a), 4);
    CU_ASSERT_EQUAL(tacho_sink_stats_last_write_duration_ns(a), 1500);
    CU_ASSERT_EQUAL(tacho_sink_stats_last_success_ns(a), 1700000000000000000ll);
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_last_error(a), "");
    CU_ASSERT_FALSE(tacho_sink_stats_busy(a));
    CU_ASSERT_TRUE(tacho_sink_stats_up(a));
    const tacho_sink_stats_t *b = tacho_snapshot_sink(s, 1);
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_last_error(b), "listen failed");
    CU_ASSERT_TRUE(tacho_sink_stats_busy(b));
    CU_ASSERT_FALSE(tacho_sink_stats_up(b));
    CU_ASSERT_PTR_NULL(tacho_snapshot_sink(s, 2));
    /* Replacing keeps nothing of the old list. */
    CU_ASSERT_EQUAL(tacho__snapshot_set_sinks(s, h + 1, 1), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 1);
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_name(tacho_snapshot_sink(s, 0)),
                           "prom");
    CU_ASSERT_EQUAL(tacho__snapshot_set_sinks(s, NULL, 0), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 0);
    tacho_snapshot_free(s);
}

static int fail_after;

static void *fail_malloc(size_t n)
{
    return fail_after-- == 0 ? NULL : malloc(n);
}

static void *fail_calloc(size_t k, size_t n)
{
    return fail_after-- == 0 ? NULL : calloc(k, n);
}

static void snapshot_sink_list_oom_leaves_it(void)
{
    tacho_collector_t *c = make_with(NULL, 0);
    tacho_snapshot_t *s = snap(c);
    tacho_collector_free(c);
    tacho__sink_health_t h[2] = {
        {"a", "csv", 1, 0, 0, 0, 0, 0, "", false, true},
        {"b", "log", 2, 0, 0, 0, 0, 0, NULL, false, true}};
    CU_ASSERT_EQUAL_FATAL(tacho__snapshot_set_sinks(s, h, 1), 0);
    for (int n = 0; n < 7; n++) {
        fail_after = n;
        tacho_replace_allocator(fail_malloc, realloc, fail_calloc, free);
        int rc = tacho__snapshot_set_sinks(s, h, 2);
        tacho_replace_allocator(malloc, realloc, calloc, free);
        CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
        CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 1);
        CU_ASSERT_STRING_EQUAL(tacho_sink_stats_name(tacho_snapshot_sink(s, 0)),
                               "a");
    }
    CU_ASSERT_EQUAL(tacho__snapshot_set_sinks(s, h, 2), 0);
    CU_ASSERT_STRING_EQUAL(
        tacho_sink_stats_last_error(tacho_snapshot_sink(s, 1)), "");
    tacho_snapshot_free(s);
}

/* The five quantiles renderers ask for are worked out while the snapshot
 * is built; each must be what the accessor finds for any other q of the
 * same rank (q just below it), in both scopes, for the total and every
 * pipeline, with window extremes clamped as for any q. Seven runs: no
 * q * 7 is whole, so the neighbouring q has the same rank. */
static void snapshot_standard_quantiles_match_any_q(void)
{
    static const double standard[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    tacho_collector_t *c = make_with(NULL, 0);
    for (uint64_t k = 0; k < 7; k++) {
        tacho_record(c, "a", 1000 + k * k * 7919 * MS, true);
        tacho_record(c, "b", 3 * MS + k * 17, k % 2 == 0);
    }
    tacho_snapshot_t *s = snap(c);
    size_t n = tacho_snapshot_pipeline_count(s);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    for (size_t i = 0; i <= n; i++) {
        const tacho_stats_t *st =
            i < n ? tacho_snapshot_pipeline(s, i) : tacho_snapshot_total(s);
        for (int k = 0; k < 2; k++) {
            tacho_scope_t sc = (tacho_scope_t)k;
            for (size_t q = 0; q < 5; q++) {
                double got = -1, want = -2;
                double near = nextafter(standard[q], 0);
                CU_ASSERT_TRUE(
                    tacho_stats_quantile_ns(st, sc, standard[q], &got));
                CU_ASSERT_TRUE(tacho_stats_quantile_ns(st, sc, near, &want));
                CU_ASSERT_EQUAL(got, want);
            }
        }
    }
    /* The largest run: p99 of "a" is its maximum, k = 6. */
    double p99 = 0;
    const tacho_stats_t *a = tacho_snapshot_find(s, "a");
    CU_ASSERT_TRUE(
        tacho_stats_quantile_ns(a, TACHO_SCOPE_LIFETIME, 0.99, &p99));
    CU_ASSERT_EQUAL(p99, (double)(1000 + 36 * 7919 * MS));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"snapshot_empty_has_no_values", snapshot_empty_has_no_values},
        {"snapshot_zero_duration", snapshot_zero_duration},
        {"snapshot_hours_and_huge_durations",
         snapshot_hours_and_huge_durations},
        {"snapshot_window_extremes_near_uint64_max",
         snapshot_window_extremes_near_uint64_max},
        {"snapshot_failures_only", snapshot_failures_only},
        {"snapshot_sorted_total_and_self_contained",
         snapshot_sorted_total_and_self_contained},
        {"snapshot_quantile_arguments", snapshot_quantile_arguments},
        {"snapshot_standard_quantiles_match_any_q",
         snapshot_standard_quantiles_match_any_q},
        {"snapshot_le_counts_exact_on_bounds",
         snapshot_le_counts_exact_on_bounds},
        {"snapshot_sink_health_list", snapshot_sink_health_list},
        {"snapshot_sink_list_oom_leaves_it", snapshot_sink_list_oom_leaves_it},
        {NULL, NULL}};
    return tacho_test_run("snapshot", NULL, NULL, cases);
}
