/*
 * Suite for core/collector.c (with shard.c and pipeline_table.c): options,
 * pipelines, the record path, reset, threads and allocation failures.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tacho/collector.h>
#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "tacho_test.h"

#define MS 1000000ull
#define T0 1700000000000000000ll

static tacho_collector_t *make(uint32_t max_pipelines)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.max_pipelines = max_pipelines;
    tacho_collector_t *c = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, &err), 0);
    return c;
}

static tacho_snapshot_t *snap(tacho_collector_t *c)
{
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    return s;
}

static void collector_records_basic(void)
{
    tacho_collector_t *c = make(0);
    uint64_t d[] = {7 * MS, 3 * MS, 12 * MS, 5 * MS, 9 * MS};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(tacho_record(c, "build", d[i], i != 1 && i != 3), 0);
    }
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "build");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 5);
    CU_ASSERT_EQUAL(tacho_stats_succeeded(st, TACHO_SCOPE_LIFETIME), 3);
    CU_ASSERT_EQUAL(tacho_stats_failed(st, TACHO_SCOPE_LIFETIME), 2);
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME),
                    36 * MS);
    uint64_t v = 0;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 3 * MS);
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 12 * MS);
    double avg = 0;
    CU_ASSERT_TRUE(tacho_stats_avg_ns(st, TACHO_SCOPE_LIFETIME, &avg));
    CU_ASSERT_DOUBLE_EQUAL(avg, 7.2 * MS, 1e-6);
    double r = 0;
    CU_ASSERT_TRUE(tacho_stats_success_ratio(st, TACHO_SCOPE_LIFETIME, &r));
    CU_ASSERT_DOUBLE_EQUAL(r, 0.6, 1e-12);
    CU_ASSERT_TRUE(tacho_stats_error_ratio(st, TACHO_SCOPE_LIFETIME, &r));
    CU_ASSERT_DOUBLE_EQUAL(r, 0.4, 1e-12);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_WINDOW), 5);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME), 5);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_min_max_by_handle(void)
{
    tacho_collector_t *c = make(0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, "p");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_EQUAL(tacho_pipeline_get(c, "p"), p);
    CU_ASSERT_STRING_EQUAL(tacho_pipeline_name(p), "p");
    uint64_t vals[] = {500, 1, 999999999999ull, 42, 77};
    for (int i = 0; i < 5; i++) {
        tacho_pipeline_record(p, vals[i], true);
    }
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "p");
    uint64_t v = 0;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_TRUE(tacho_stats_max_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 999999999999ull);
    tacho_snapshot_free(s);
    /* Min and max keep their meaning across snapshots (buffers flip). */
    tacho_pipeline_record(p, 300, false);
    s = snap(c);
    st = tacho_snapshot_find(s, "p");
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &v));
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 6);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_options_defaults(void)
{
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &c, NULL), 0);
    CU_ASSERT_EQUAL(c->window_seconds, TACHO_DEFAULT_WINDOW_SECONDS);
    CU_ASSERT_EQUAL(c->max_pipelines, TACHO_DEFAULT_MAX_PIPELINES);
    CU_ASSERT_EQUAL(c->recent_capacity, TACHO_DEFAULT_RECENT_CAPACITY);
    CU_ASSERT_EQUAL(tacho_record(c, "x", 1, true), 0);
    tacho_snapshot_t *s = snap(c);
    char host[256] = "";
    gethostname(host, sizeof host);
    CU_ASSERT_STRING_EQUAL(tacho_snapshot_worker(s), host);
    const tacho_stats_t *st = tacho_snapshot_total(s);
    CU_ASSERT_EQUAL(tacho_stats_bucket_count(st), 16);
    CU_ASSERT_EQUAL(tacho_stats_bucket_bound_ns(st, 0), 5 * MS);
    CU_ASSERT_EQUAL(tacho_stats_bucket_bound_ns(st, 7), 1000 * MS);
    CU_ASSERT_EQUAL(tacho_stats_bucket_bound_ns(st, 15), 3600000 * MS);
    CU_ASSERT_EQUAL(tacho_snapshot_window_seconds(s), 3600);
    tacho_snapshot_free(s);
    tacho_collector_free(c);

    /* A caller's struct that ends after worker_id: the rest is default. */
    struct {
        tacho_collector_options_t o;
    } big;
    memset(&big, 0x7f, sizeof big);
    big.o.struct_size =
        offsetof(tacho_collector_options_t, worker_id) + sizeof(const char *);
    big.o.worker_id = "w-7";
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&big.o, &c, NULL), 0);
    CU_ASSERT_EQUAL(c->window_seconds, TACHO_DEFAULT_WINDOW_SECONDS);
    CU_ASSERT_STRING_EQUAL(c->worker, "w-7");
    tacho_collector_free(c);
    tacho_collector_free(NULL);
}

/* Creates with `o` and expects TACHO_EINVAL with exactly `text`. */
static void expect_error(const tacho_collector_options_t *o, const char *text)
{
    tacho_collector_t *c = (tacho_collector_t *)&c;
    tacho_error_t err;
    tacho_error_clear(&err);
    CU_ASSERT_EQUAL(tacho_collector_create(o, &c, &err), TACHO_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(err.code, TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, text);
}

static void collector_options_errors(void)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.window_seconds = 59;
    expect_error(&o, "window_seconds must be between 60 and 86400, not 59");
    o.window_seconds = 86401;
    expect_error(&o, "window_seconds must be between 60 and 86400, not 86401");
    o.window_seconds = 0;
    o.max_pipelines = 65537;
    expect_error(&o, "max_pipelines must be between 1 and 65536, not 65537");
    o.max_pipelines = 0;
    o.recent_capacity = 1000001;
    expect_error(&o,
                 "recent_capacity must be between 1 and 1000000, not 1000001");
    o.recent_capacity = 0;
    uint64_t bounds[40];
    for (int i = 0; i < 40; i++) {
        bounds[i] = (uint64_t)(i + 1) * MS;
    }
    o.bucket_bounds_ns = bounds;
    o.bucket_count = 33;
    expect_error(&o, "bucket_count 33 exceeds the maximum of 32 bucket bounds");
    o.bucket_count = 0;
    expect_error(&o, "bucket_bounds_ns is set but bucket_count is 0");
    o.bucket_bounds_ns = NULL;
    o.bucket_count = 3;
    expect_error(&o, "bucket_count is 3 but bucket_bounds_ns is NULL");
    o.bucket_bounds_ns = bounds;
    bounds[0] = 0;
    expect_error(&o, "bucket bound 0 is 0; bounds must be greater than 0 ns");
    bounds[0] = 1 * MS;
    bounds[2] = 2 * MS;
    expect_error(&o, "bucket bounds must be strictly increasing: bound 2 "
                     "(2000000 ns) is not greater than bound 1 (2000000 ns)");
    tacho_collector_options_t z = {0};
    expect_error(&z, "options.struct_size is 0; start from "
                     "TACHO_COLLECTOR_OPTIONS_INIT");
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_collector_create(NULL, NULL, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "tacho_collector_create: out is NULL");
}

static void collector_max_pipelines_edges(void)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.max_pipelines = 65536;
    o.window_seconds = 60;
    o.recent_capacity = 1;
    uint64_t one = 1;
    o.bucket_bounds_ns = &one;
    o.bucket_count = 1;
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, NULL), 0);
    tacho_collector_free(c);
    o.max_pipelines = 1; /* only the overflow pipeline */
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, NULL), 0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, "anything");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_STRING_EQUAL(tacho_pipeline_name(p), "other");
    tacho_collector_free(c);
}

static void collector_bad_arguments(void)
{
    tacho_collector_t *c = make(0);
    CU_ASSERT_PTR_NULL(tacho_pipeline_get(NULL, "a"));
    CU_ASSERT_PTR_NULL(tacho_pipeline_get(c, NULL));
    CU_ASSERT_PTR_NULL(tacho_pipeline_get(c, ""));
    CU_ASSERT_PTR_NULL(tacho_pipeline_name(NULL));
    CU_ASSERT_EQUAL(tacho_record(c, "", 1, true), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_record(c, NULL, 1, true), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_record(NULL, "a", 1, true), TACHO_EINVAL);
    tacho_snapshot_t *s = (tacho_snapshot_t *)&s;
    CU_ASSERT_EQUAL(tacho_snapshot_take(NULL, &s), TACHO_EINVAL);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(tacho_snapshot_take(c, NULL), TACHO_EINVAL);
    tacho_collector_reset(NULL);
    tacho_run_t run = tacho_run_begin(NULL);
    CU_ASSERT_TRUE(tacho_run_end(run, true) < 1000 * MS);
    tacho_collector_free(c);
}

static void collector_odd_names_kept(void)
{
    tacho_collector_t *c = make(0);
    const char *names[] = {"say \"hi\"", "back\\slash",
                           "new\nline",  "caf\xc3\xa9 \xe2\x9c\x93",
                           "tab\there",  " "};
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(tacho_record(c, names[i], (uint64_t)i + 1, true), 0);
    }
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_pipeline_count(s), 6);
    for (int i = 0; i < 6; i++) {
        const tacho_stats_t *st = tacho_snapshot_find(s, names[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(st);
        CU_ASSERT_STRING_EQUAL(tacho_stats_name(st), names[i]);
        CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME),
                        (uint64_t)i + 1);
    }
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_long_name_truncated_at_utf8(void)
{
    tacho_collector_t *c = make(0);
    /* 2-byte sequences (e acute): byte 255 is the middle of one. */
    char name[400];
    for (int i = 0; i + 1 < 399; i += 2) {
        name[i] = (char)0xc3;
        name[i + 1] = (char)0xa9;
    }
    name[398] = '\0';
    tacho_pipeline_t *p = tacho_pipeline_get(c, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(strlen(tacho_pipeline_name(p)), 254);
    CU_ASSERT_EQUAL(memcmp(tacho_pipeline_name(p), name, 254), 0);
    /* Names equal in their kept part are one pipeline. */
    name[300] = 'z';
    CU_ASSERT_PTR_EQUAL(tacho_pipeline_get(c, name), p);
    /* Plain ASCII is cut at exactly 255 bytes. */
    char ascii[300];
    memset(ascii, 'q', sizeof ascii - 1);
    ascii[299] = '\0';
    p = tacho_pipeline_get(c, ascii);
    CU_ASSERT_EQUAL(strlen(tacho_pipeline_name(p)), TACHO_MAX_PIPELINE_NAME);
    /* A 4-byte sequence straddling the limit is dropped whole. */
    memset(ascii, 'q', 253);
    memcpy(ascii + 253, "\xf0\x9f\x98\x80", 4);
    ascii[257] = '\0';
    p = tacho_pipeline_get(c, ascii);
    CU_ASSERT_EQUAL(strlen(tacho_pipeline_name(p)), 253);
    CU_ASSERT_EQUAL(tacho__name_keep_len(ascii), 253);
    tacho_collector_free(c);
}

/* Every sink shows a bad byte as U+FFFD, so names that differ only in bad
 * bytes would be shown alike (duplicate Prometheus series, found by
 * fuzz_render): they must be one pipeline, known by the name shown. */
static void collector_invalid_utf8_names_replaced(void)
{
    tacho_collector_t *c = make(0);
    CU_ASSERT_EQUAL(tacho_record(c,
                                 "a\xff"
                                 "b",
                                 1, true),
                    0);
    CU_ASSERT_EQUAL(tacho_record(c,
                                 "a\xfe"
                                 "b",
                                 2, false),
                    0);
    CU_ASSERT_EQUAL(tacho_record(c,
                                 "a\xed\xa0\x80"
                                 "b",
                                 3, true),
                    0);
    CU_ASSERT_EQUAL(tacho_record(c, "caf\xc3\xa9", 4, true), 0);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_pipeline_count(s), 3);
    const tacho_stats_t *one = tacho_snapshot_find(s, "a\xef\xbf\xbd"
                                                      "b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(one);
    CU_ASSERT_EQUAL(tacho_stats_runs(one, TACHO_SCOPE_LIFETIME), 2);
    CU_ASSERT_PTR_NOT_NULL(
        tacho_snapshot_find(s, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                               "b"));
    CU_ASSERT_PTR_NOT_NULL(tacho_snapshot_find(s, "caf\xc3\xa9"));
    tacho_snapshot_free(s);
    /* Replacing may triple the length: the result is cut again, whole
     * replacement characters only. */
    char bad[300];
    memset(bad, 0xff, sizeof bad - 1);
    bad[299] = '\0';
    tacho_pipeline_t *p = tacho_pipeline_get(c, bad);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(strlen(tacho_pipeline_name(p)), 255);
    CU_ASSERT_EQUAL(memcmp(tacho_pipeline_name(p) + 252, "\xef\xbf\xbd", 3), 0);
    tacho_collector_free(c);
}

static void collector_overflow_pipeline(void)
{
    tacho_collector_t *c = make(4);
    char name[16];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "p%d", i);
        for (int k = 0; k <= i; k++) {
            CU_ASSERT_EQUAL(tacho_record(c, name, 10, true), 0);
        }
    }
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_pipeline_count(s), 4);
    const tacho_stats_t *other = tacho_snapshot_find(s, "other");
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    CU_ASSERT_TRUE(tacho_stats_is_overflow(other));
    /* p0..p2 (1+2+3 runs) are named; p3..p9 (4+...+10) went to other. */
    CU_ASSERT_EQUAL(tacho_stats_runs(other, TACHO_SCOPE_LIFETIME), 49);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "p%d", i);
        const tacho_stats_t *st = tacho_snapshot_find(s, name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(st);
        CU_ASSERT_FALSE(tacho_stats_is_overflow(st));
        CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME),
                        (uint64_t)i + 1);
    }
    CU_ASSERT_PTR_NULL(tacho_snapshot_find(s, "p3"));
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME), 55);
    CU_ASSERT_PTR_EQUAL(tacho_pipeline_get(c, "other"),
                        tacho_pipeline_get(c, "p9"));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_run_begin_end_times(void)
{
    tacho_collector_t *c = make(0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, "timed");
    uint64_t t0 = tacho_now_ns();
    tacho_run_t run = tacho_run_begin(p);
    CU_ASSERT_PTR_EQUAL(run.pipeline, p);
    CU_ASSERT_TRUE(run.start_ns >= t0);
    struct timespec ts = {0, 3000000};
    nanosleep(&ts, NULL);
    uint64_t d = tacho_run_end(run, false);
    CU_ASSERT_TRUE(d >= 3 * MS);
    CU_ASSERT_TRUE(d <= tacho_now_ns() - t0);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "timed");
    CU_ASSERT_EQUAL(tacho_stats_failed(st, TACHO_SCOPE_LIFETIME), 1);
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME), d);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_reset_restarts(void)
{
    tacho_collector_t *c = make(0);
    tacho__collector_use_manual_clock(c, T0);
    for (int i = 0; i < 5; i++) {
        tacho_record(c, "a", 100, true);
    }
    tacho__collector_set_time(c, T0 + 5000 * (int64_t)MS);
    tacho_collector_reset(c);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(tacho_snapshot_pipeline_count(s), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_start_time_ns(s), T0 + 5000 * (int64_t)MS);
    CU_ASSERT_EQUAL(tacho_snapshot_uptime_ns(s), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 0);
    const tacho_stats_t *t = tacho_snapshot_total(s);
    CU_ASSERT_EQUAL(tacho_stats_runs(t, TACHO_SCOPE_WINDOW), 0);
    double v;
    CU_ASSERT_FALSE(tacho_stats_runs_per_hour(t, TACHO_SCOPE_LIFETIME, &v));
    tacho_snapshot_free(s);
    tacho_record(c, "a", 300, false);
    tacho__collector_set_time(c, T0 + 6000 * (int64_t)MS);
    s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "a");
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 1);
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_WINDOW), 1);
    uint64_t m;
    CU_ASSERT_TRUE(tacho_stats_min_ns(st, TACHO_SCOPE_LIFETIME, &m));
    CU_ASSERT_EQUAL(m, 300);
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(st, 0), 1);
    CU_ASSERT_EQUAL(tacho_snapshot_uptime_ns(s), 1000 * MS);
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 1);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_two_collectors_one_thread(void)
{
    tacho_collector_t *a = make(0);
    tacho_collector_t *b = make(0);
    tacho_pipeline_t *pa = tacho_pipeline_get(a, "x");
    tacho_pipeline_t *pb = tacho_pipeline_get(b, "x");
    for (int i = 0; i < 1000; i++) {
        tacho_pipeline_record(pa, 1, true);
        tacho_pipeline_record(pb, 2, true);
        tacho_pipeline_record(pb, 2, false);
    }
    tacho_snapshot_t *sa = snap(a);
    tacho_snapshot_t *sb = snap(b);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_find(sa, "x"), TACHO_SCOPE_LIFETIME),
        1000);
    CU_ASSERT_EQUAL(tacho_stats_duration_sum_ns(tacho_snapshot_find(sb, "x"),
                                                TACHO_SCOPE_LIFETIME),
                    4000);
    tacho_snapshot_free(sa);
    tacho_snapshot_free(sb);
    tacho_collector_free(a);
    tacho_collector_free(b);
}

static void *record_1000(void *arg)
{
    tacho_pipeline_t *p = arg;
    for (int i = 0; i < 1000; i++) {
        tacho_pipeline_record(p, 5, (i % 4) != 0);
    }
    return NULL;
}

static void collector_thread_exit_reuses_shard(void)
{
    tacho_collector_t *c = make(0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, "churn");
    for (int i = 0; i < 20; i++) {
        pthread_t t;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, record_1000, p), 0);
        pthread_join(t, NULL);
    }
    /* One thread at a time: each new thread adopted the last one's shard,
     * and its counts were kept. */
    CU_ASSERT_EQUAL(c->shards.shard_count, 1);
    tacho_snapshot_t *s = snap(c);
    const tacho_stats_t *st = tacho_snapshot_find(s, "churn");
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 20000);
    CU_ASSERT_EQUAL(tacho_stats_failed(st, TACHO_SCOPE_LIFETIME), 5000);
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 1000);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

typedef struct late {
    tacho_pipeline_t *p;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stage;
} late_t;

static void *record_then_wait(void *arg)
{
    late_t *l = arg;
    tacho_pipeline_record(l->p, 1, true);
    pthread_mutex_lock(&l->lock);
    l->stage = 1;
    pthread_cond_broadcast(&l->cond);
    while (l->stage != 2) {
        pthread_cond_wait(&l->cond, &l->lock);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL; /* exits after its collector was freed */
}

static void collector_thread_outlives_collector(void)
{
    late_t l = {NULL, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    tacho_collector_t *c = make(0);
    l.p = tacho_pipeline_get(c, "x");
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, record_then_wait, &l), 0);
    pthread_mutex_lock(&l.lock);
    while (l.stage != 1) {
        pthread_cond_wait(&l.cond, &l.lock);
    }
    tacho_collector_free(c);
    l.stage = 2;
    pthread_cond_broadcast(&l.cond);
    pthread_mutex_unlock(&l.lock);
    pthread_join(t, NULL);
    /* A new collector works as before. */
    c = make(0);
    CU_ASSERT_EQUAL(tacho_record(c, "x", 1, true), 0);
    tacho_collector_free(c);
}

static void collector_fence_mode_switch(void)
{
    tacho_collector_t *c = make(0);
    CU_ASSERT_EQUAL(tacho__sync_set_fence_mode(true), TACHO_EBUSY);
    tacho_collector_free(c);
    CU_ASSERT_EQUAL(tacho__sync_set_fence_mode(true), 0);
    c = make(0);
    for (int i = 0; i < 100; i++) {
        tacho_record(c, "f", 1, true);
    }
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME), 100);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
    CU_ASSERT_EQUAL(tacho__sync_set_fence_mode(false), 0);
}

/* ---- allocation failures --------------------------------------------------
 */

/* An allocator that fails the Nth allocation from now (0: never) and
 * counts live blocks, so a test sees a leak without waiting for ASan. */
static long fail_in;
static long live;

static bool should_fail(void)
{
    return fail_in > 0 && --fail_in == 0;
}

static void *t_malloc(size_t n)
{
    void *p = should_fail() ? NULL : malloc(n);
    live += p != NULL;
    return p;
}

static void *t_calloc(size_t k, size_t n)
{
    void *p = should_fail() ? NULL : calloc(k, n);
    live += p != NULL;
    return p;
}

static void *t_realloc(void *old, size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    void *p = realloc(old, n);
    live += old == NULL && p != NULL;
    return p;
}

static void t_free(void *p)
{
    live -= p != NULL;
    free(p);
}

static void collector_oom_create(void)
{
    tacho_replace_allocator(t_malloc, t_realloc, t_calloc, t_free);
    int failures = 0;
    for (long n = 1;; n++) {
        long before = live;
        fail_in = n;
        tacho_collector_t *c = (tacho_collector_t *)&c;
        tacho_error_t err;
        int rc = tacho_collector_create(NULL, &c, &err);
        fail_in = 0;
        if (rc == 0) {
            tacho_collector_free(c);
            CU_ASSERT_EQUAL(live, before);
            break;
        }
        failures++;
        CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
        CU_ASSERT_STRING_EQUAL(err.text,
                               "out of memory creating the collector");
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT_EQUAL(live, before);
    }
    CU_ASSERT_TRUE(failures >= 8);
    tacho_replace_allocator(malloc, realloc, calloc, free);
}

static void collector_oom_pipeline_get(void)
{
    tacho_collector_t *c = make(0);
    tacho_replace_allocator(t_malloc, t_realloc, t_calloc, t_free);
    int failures = 0;
    for (long n = 1;; n++) {
        long before = live;
        fail_in = n;
        tacho_pipeline_t *p = tacho_pipeline_get(c, "fresh");
        fail_in = 0;
        if (p != NULL) {
            break;
        }
        failures++;
        CU_ASSERT_EQUAL(live, before);
    }
    CU_ASSERT_TRUE(failures >= 3);
    /* By name, the first record of this thread also needs its shard and
     * cell: every failure is reported and leaves the counts unchanged. */
    failures = 0;
    for (long n = 1;; n++) {
        fail_in = n;
        int rc = tacho_record(c, "second", 9, true);
        fail_in = 0;
        if (rc == 0) {
            break;
        }
        failures++;
        CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
    }
    CU_ASSERT_TRUE(failures >= 4);
    tacho_replace_allocator(malloc, realloc, calloc, free);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME), 1);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void collector_oom_snapshot_take(void)
{
    tacho_collector_t *c = make(0);
    tacho_record(c, "a", 10 * MS, true);
    tacho_record(c, "b", 20 * MS, false);
    tacho_replace_allocator(t_malloc, t_realloc, t_calloc, t_free);
    int failures = 0;
    for (long n = 1;; n++) {
        long before = live;
        fail_in = n;
        tacho_snapshot_t *s = (tacho_snapshot_t *)&s;
        int rc = tacho_snapshot_take(c, &s);
        fail_in = 0;
        if (rc == 0) {
            CU_ASSERT_EQUAL(tacho_snapshot_pipeline_count(s), 2);
            CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 2);
            tacho_snapshot_free(s);
            CU_ASSERT_EQUAL(live, before);
            break;
        }
        failures++;
        CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_EQUAL(live, before);
    }
    CU_ASSERT_TRUE(failures >= 10);
    tacho_replace_allocator(malloc, realloc, calloc, free);
    tacho_collector_free(c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"collector_records_basic", collector_records_basic},
        {"collector_min_max_by_handle", collector_min_max_by_handle},
        {"collector_options_defaults", collector_options_defaults},
        {"collector_options_errors", collector_options_errors},
        {"collector_max_pipelines_edges", collector_max_pipelines_edges},
        {"collector_bad_arguments", collector_bad_arguments},
        {"collector_odd_names_kept", collector_odd_names_kept},
        {"collector_long_name_truncated_at_utf8",
         collector_long_name_truncated_at_utf8},
        {"collector_invalid_utf8_names_replaced",
         collector_invalid_utf8_names_replaced},
        {"collector_overflow_pipeline", collector_overflow_pipeline},
        {"collector_run_begin_end_times", collector_run_begin_end_times},
        {"collector_reset_restarts", collector_reset_restarts},
        {"collector_two_collectors_one_thread",
         collector_two_collectors_one_thread},
        {"collector_thread_exit_reuses_shard",
         collector_thread_exit_reuses_shard},
        {"collector_thread_outlives_collector",
         collector_thread_outlives_collector},
        {"collector_fence_mode_switch", collector_fence_mode_switch},
        {"collector_oom_create", collector_oom_create},
        {"collector_oom_pipeline_get", collector_oom_pipeline_get},
        {"collector_oom_snapshot_take", collector_oom_snapshot_take},
        {NULL, NULL}};
    return tacho_test_run("collector", NULL, NULL, cases);
}
