/*
 * Suite for core/histogram.c: bucket geometry, the exact `le` table, bound
 * checking, sparse histograms, and quantile accuracy end to end (through a
 * collector and its snapshots) against a sorted reference.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/collector.h>
#include <tacho/snapshot.h>

#include "histogram.h"
#include "tacho_test.h"

/* A small deterministic generator (xorshift64*), so failures repeat. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static double uniform01(void)
{
    return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    double u = uniform01(), v = uniform01();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void histogram_buckets_hold_their_values(void)
{
    unsigned prev = 0;
    for (uint64_t v = 0; v < 200000; v++) {
        unsigned i = tacho__hist_bucket(v);
        CU_ASSERT_TRUE(i >= prev);
        prev = i;
        if (tacho__hist_lower(i) > v || tacho__hist_upper(i) < v) {
            CU_FAIL("value outside its bucket");
            return;
        }
    }
    for (int n = 0; n < 200000; n++) {
        uint64_t v = rng() >> (rng() % 64);
        unsigned i = tacho__hist_bucket(v);
        CU_ASSERT_TRUE_FATAL(i < TACHO__HIST_BUCKETS);
        CU_ASSERT_TRUE_FATAL(tacho__hist_lower(i) <= v &&
                             v <= tacho__hist_upper(i));
    }
    CU_ASSERT_EQUAL(tacho__hist_bucket(63), 63);
    CU_ASSERT_EQUAL(tacho__hist_bucket(64), 64);
    CU_ASSERT_EQUAL(tacho__hist_bucket((1ull << 46) - 1), TACHO__HIST_LAST);
    CU_ASSERT_EQUAL(tacho__hist_bucket(1ull << 46), TACHO__HIST_LAST);
    CU_ASSERT_EQUAL(tacho__hist_bucket(UINT64_MAX), TACHO__HIST_LAST);
    CU_ASSERT_EQUAL(tacho__hist_upper(TACHO__HIST_LAST), UINT64_MAX);
    CU_ASSERT_EQUAL(TACHO__HIST_OCTAVES, 41); /* fits the 64-bit mask */
}

static void histogram_midpoint_within_1_percent(void)
{
    for (unsigned i = 1; i < TACHO__HIST_LAST; i++) {
        double mid = tacho__hist_mid(i);
        double lo = (double)tacho__hist_lower(i);
        double hi = (double)tacho__hist_upper(i);
        CU_ASSERT_TRUE_FATAL(lo <= mid && mid <= hi);
        /* Any value in the bucket is within 1/128 of the midpoint. */
        CU_ASSERT_TRUE_FATAL(mid - lo <= lo / 128.0);
        CU_ASSERT_TRUE_FATAL(hi - mid <= lo / 128.0);
    }
}

static unsigned brute_le(const tacho__bounds_t *b, uint64_t v)
{
    unsigned i = 0;
    while (i < b->count && v > b->ns[i]) {
        i++;
    }
    return i;
}

static void check_le_table(const uint64_t *ns, size_t n)
{
    static tacho__bounds_t b;
    CU_ASSERT_EQUAL_FATAL(tacho__bounds_check(ns, n, NULL), 0);
    tacho__bounds_init(&b, ns, n);
    for (size_t k = 0; k < n; k++) {
        for (int d = -2; d <= 2; d++) {
            uint64_t v = ns[k] + (uint64_t)(int64_t)d;
            unsigned want = brute_le(&b, v);
            if (tacho__bounds_le(&b, tacho__hist_bucket(v), v) != want) {
                CU_FAIL("le index differs next to a bound");
                return;
            }
        }
    }
    for (int r = 0; r < 100000; r++) {
        uint64_t v = rng() >> (rng() % 64);
        if (tacho__bounds_le(&b, tacho__hist_bucket(v), v) != brute_le(&b, v)) {
            CU_FAIL("le index differs for a random value");
            return;
        }
    }
}

static void histogram_le_table_exact(void)
{
    check_le_table(tacho__default_bounds_ns, tacho__default_bounds_count);
    uint64_t small[] = {1, 2, 3, 63, 64, 65, 127, 128, 129, 1000};
    check_le_table(small, sizeof small / sizeof small[0]);
    /* Several bounds inside one wide bucket, and bounds in the last. */
    uint64_t dense[] = {(1ull << 40) + 1, (1ull << 40) + 2, (1ull << 40) + 9,
                        (1ull << 47),     (1ull << 60),     UINT64_MAX - 1};
    check_le_table(dense, sizeof dense / sizeof dense[0]);
    for (int round = 0; round < 20; round++) {
        uint64_t ns[TACHO_MAX_BUCKETS];
        uint64_t v = 0;
        for (size_t i = 0; i < TACHO_MAX_BUCKETS; i++) {
            v += 1 + (rng() >> (20 + rng() % 44));
            ns[i] = v;
        }
        check_le_table(ns, TACHO_MAX_BUCKETS);
    }
}

static void histogram_bounds_check_errors(void)
{
    tacho_error_t err;
    uint64_t ok[] = {1, 2};
    CU_ASSERT_EQUAL(tacho__bounds_check(ok, 2, &err), 0);
    CU_ASSERT_EQUAL(tacho__bounds_check(NULL, 0, &err), 0);
    CU_ASSERT_EQUAL(tacho__bounds_check(ok, 33, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text,
                           "bucket_count 33 exceeds the maximum of 32 bucket "
                           "bounds");
    uint64_t down[] = {5, 4};
    CU_ASSERT_EQUAL(tacho__bounds_check(down, 2, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text,
                           "bucket bounds must be strictly increasing: bound "
                           "1 (4 ns) is not greater than bound 0 (5 ns)");
}

static void histogram_sparse_round_trip(void)
{
    static uint64_t dense[TACHO__HIST_BUCKETS];
    static uint64_t back[TACHO__HIST_BUCKETS];
    memset(dense, 0, sizeof dense);
    memset(back, 0, sizeof back);
    uint64_t mask = 0, total = 0;
    for (int i = 0; i < 500; i++) {
        unsigned b = (unsigned)(rng() % TACHO__HIST_BUCKETS);
        dense[b] += 1 + rng() % 5;
        mask |= 1ull << (b / TACHO__HIST_SUB);
    }
    for (unsigned b = 0; b < TACHO__HIST_BUCKETS; b++) {
        total += dense[b];
    }
    tacho__sparse_t s;
    CU_ASSERT_EQUAL_FATAL(tacho__sparse_from_dense(&s, dense, mask), 0);
    CU_ASSERT_EQUAL(tacho__sparse_total(&s), total);
    CU_ASSERT_EQUAL(tacho__sparse_add_to(&s, back), mask);
    CU_ASSERT_EQUAL(memcmp(dense, back, sizeof dense), 0);
    CU_ASSERT_EQUAL(tacho__sparse_rank_bucket(&s, 1), s.idx[0]);
    CU_ASSERT_EQUAL(tacho__sparse_rank_bucket(&s, total), s.idx[s.n - 1]);
    tacho__sparse_free(&s);
    tacho__sparse_t empty;
    CU_ASSERT_EQUAL(tacho__sparse_from_dense(&empty, back, 0), 0);
    CU_ASSERT_EQUAL(empty.n, 0);
    CU_ASSERT_EQUAL(tacho__sparse_total(&empty), 0);
    tacho__sparse_free(&empty);
}

/* ---- quantile accuracy -----------------------------------------------------
 */

#define SAMPLES 100000

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Records the samples, then checks each quantile (both scopes) against
 * the sorted samples' element of rank ceil(q * n). */
static void check_quantiles(uint64_t *v, const char *what)
{
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &c, NULL), 0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, what);
    for (size_t i = 0; i < SAMPLES; i++) {
        tacho_pipeline_record(p, v[i], true);
    }
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    const tacho_stats_t *st = tacho_snapshot_find(s, what);
    qsort(v, SAMPLES, sizeof v[0], cmp_u64);
    const double qs[] = {0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double want = (double)v[(size_t)ceil(qs[k] * SAMPLES) - 1];
        for (int sc = 0; sc < 2; sc++) {
            double got = 0;
            CU_ASSERT_TRUE_FATAL(
                tacho_stats_quantile_ns(st, (tacho_scope_t)sc, qs[k], &got));
            if (fabs(got - want) > 0.01 * want) {
                fprintf(stderr, "\n%s q=%g scope %d: got %.0f want %.0f\n",
                        what, qs[k], sc, got, want);
                CU_FAIL("quantile off by more than 1%");
            }
        }
    }
    uint64_t mn = 0, mx = 0;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &mn));
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_LIFETIME, &mx));
    CU_ASSERT_EQUAL(mn, v[0]);
    CU_ASSERT_EQUAL(mx, v[SAMPLES - 1]);
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_WINDOW, &mn));
    CU_ASSERT_TRUE(fabs((double)mn - (double)v[0]) <= 0.01 * (double)v[0]);
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_WINDOW, &mx));
    CU_ASSERT_TRUE(fabs((double)mx - (double)v[SAMPLES - 1]) <=
                   0.01 * (double)v[SAMPLES - 1]);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void histogram_quantiles_uniform(void)
{
    static uint64_t v[SAMPLES];
    for (size_t i = 0; i < SAMPLES; i++) {
        v[i] = 1000000 + rng() % 99000000; /* 1 ms .. 100 ms */
    }
    check_quantiles(v, "uniform");
}

static void histogram_quantiles_lognormal(void)
{
    static uint64_t v[SAMPLES];
    for (size_t i = 0; i < SAMPLES; i++) {
        v[i] = (uint64_t)exp(log(50e6) + 1.5 * normal()); /* median 50 ms */
    }
    check_quantiles(v, "lognormal");
}

static void histogram_quantiles_bimodal(void)
{
    static uint64_t v[SAMPLES];
    for (size_t i = 0; i < SAMPLES; i++) {
        double mode = (rng() % 10) < 7 ? 2e6 : 3e9; /* cache hit or miss */
        double x = mode * (1.0 + 0.1 * normal());
        v[i] = x < 1 ? 1 : (uint64_t)x;
    }
    check_quantiles(v, "bimodal");
}

static void histogram_quantiles_exponential(void)
{
    static uint64_t v[SAMPLES];
    for (size_t i = 0; i < SAMPLES; i++) {
        v[i] = (uint64_t)(-log(uniform01()) * 250e6); /* mean 250 ms */
    }
    check_quantiles(v, "exponential");
}

static void histogram_quantiles_small_values(void)
{
    static uint64_t v[SAMPLES];
    for (size_t i = 0; i < SAMPLES; i++) {
        v[i] = rng() % 300; /* exact buckets, then the first octaves */
    }
    check_quantiles(v, "small");
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"histogram_buckets_hold_their_values",
         histogram_buckets_hold_their_values},
        {"histogram_midpoint_within_1_percent",
         histogram_midpoint_within_1_percent},
        {"histogram_le_table_exact", histogram_le_table_exact},
        {"histogram_bounds_check_errors", histogram_bounds_check_errors},
        {"histogram_sparse_round_trip", histogram_sparse_round_trip},
        {"histogram_quantiles_uniform", histogram_quantiles_uniform},
        {"histogram_quantiles_lognormal", histogram_quantiles_lognormal},
        {"histogram_quantiles_bimodal", histogram_quantiles_bimodal},
        {"histogram_quantiles_exponential", histogram_quantiles_exponential},
        {"histogram_quantiles_small_values", histogram_quantiles_small_values},
        {NULL, NULL}};
    return tacho_test_run("histogram", NULL, NULL, cases);
}
