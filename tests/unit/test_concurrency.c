/*
 * Suite for the concurrent parts of the collector (core/shard.c's flip,
 * reset and thread churn): many writers, readers that never see a torn
 * snapshot, and exact totals. Run it under ThreadSanitizer too.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

#include <tacho/collector.h>
#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "snapshot_types.h"
#include "tacho_test.h"

#ifdef TACHO_TSAN
#define RECORDS 100000 /* TSan is about 20 times slower */
#else
#define RECORDS 1000000
#endif
#define WRITERS 8

typedef struct writer {
    tacho_collector_t *c;
    tacho_pipeline_t *shared;
    tacho_pipeline_t *own;
    int id;
    long records;
} writer_t;

/* Writer i alternates between the shared pipeline and its own; writer 0
 * records by name, to cover the lookup path under contention too. */
static void *write_many(void *arg)
{
    writer_t *w = arg;
    char name[16];
    snprintf(name, sizeof name, "own-%d", w->id);
    for (long i = 0; i < w->records; i++) {
        uint64_t d = (uint64_t)(i % 1000) * 1000 + 1;
        bool ok = i % 7 != 0;
        if (w->id == 0) {
            tacho_record(w->c, (i & 1) ? "shared" : name, d, ok);
        } else {
            tacho_pipeline_record((i & 1) ? w->shared : w->own, d, ok);
        }
    }
    return NULL;
}

/* Every invariant a reader may rely on; returns the number broken. */
static int torn(const tacho_stats_t *st)
{
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        tacho_scope_t sc = (tacho_scope_t)k;
        uint64_t runs = tacho_stats_runs(st, sc);
        bad +=
            runs != tacho_stats_succeeded(st, sc) + tacho_stats_failed(st, sc);
        bad += tacho__sparse_total(&st->fig[k].hist) != runs;
        uint64_t mn, mx;
        double avg;
        if (tacho_stats_min_ns(st, sc, &mn) &&
            tacho_stats_max_ns(st, sc, &mx) &&
            tacho_stats_avg_ns(st, sc, &avg)) {
            bad += !((double)mn <= avg && avg <= (double)mx);
        }
    }
    uint64_t prev = 0;
    for (size_t i = 0; i < tacho_stats_bucket_count(st); i++) {
        uint64_t cum = tacho_stats_bucket_cumulative(st, i);
        bad += cum < prev;
        prev = cum;
    }
    bad += prev > tacho_stats_runs(st, TACHO_SCOPE_LIFETIME);
    return bad;
}

typedef struct reader {
    tacho_collector_t *c;
    atomic_bool stop;
    long snapshots;
    long broken;
    bool reset; /* also reset now and then */
} reader_t;

static void *read_until_stopped(void *arg)
{
    reader_t *r = arg;
    uint64_t last_total = 0;
    while (!atomic_load(&r->stop)) {
        tacho_snapshot_t *s = NULL;
        if (tacho_snapshot_take(r->c, &s) != 0) {
            r->broken++;
            continue;
        }
        const tacho_stats_t *t = tacho_snapshot_total(s);
        r->broken += torn(t);
        for (size_t i = 0; i < tacho_snapshot_pipeline_count(s); i++) {
            r->broken += torn(tacho_snapshot_pipeline(s, i));
        }
        uint64_t total = tacho_stats_runs(t, TACHO_SCOPE_LIFETIME);
        /* Without resets, totals only grow. */
        r->broken += !r->reset && total < last_total;
        last_total = total;
        tacho_snapshot_free(s);
        if (r->reset && ++r->snapshots % 16 == 0) {
            tacho_collector_reset(r->c);
        }
        r->snapshots += !r->reset;
    }
    return NULL;
}

/* Runs the writers with a reader alongside and checks the final totals. */
static void run_writers(long per_writer, bool with_reset)
{
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &c, NULL), 0);
    writer_t w[WRITERS];
    char name[16];
    for (int i = 0; i < WRITERS; i++) {
        snprintf(name, sizeof name, "own-%d", i);
        w[i] = (writer_t){c, tacho_pipeline_get(c, "shared"),
                          tacho_pipeline_get(c, name), i, per_writer};
    }
    reader_t r = {c, false, 0, 0, with_reset};
    pthread_t rt, wt[WRITERS];
    CU_ASSERT_EQUAL_FATAL(pthread_create(&rt, NULL, read_until_stopped, &r), 0);
    for (int i = 0; i < WRITERS; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&wt[i], NULL, write_many, &w[i]),
                              0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(wt[i], NULL);
    }
    atomic_store(&r.stop, true);
    pthread_join(rt, NULL);
    CU_ASSERT_EQUAL(r.broken, 0);
    CU_ASSERT_TRUE(r.snapshots > 0);
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    const tacho_stats_t *t = tacho_snapshot_total(s);
    uint64_t total = (uint64_t)(WRITERS * per_writer);
    if (with_reset) {
        CU_ASSERT_TRUE(tacho_stats_runs(t, TACHO_SCOPE_LIFETIME) <= total);
    } else {
        CU_ASSERT_EQUAL(tacho_stats_runs(t, TACHO_SCOPE_LIFETIME), total);
        CU_ASSERT_EQUAL(tacho_stats_runs(t, TACHO_SCOPE_WINDOW), total);
        uint64_t failed = (uint64_t)((per_writer + 6) / 7) * WRITERS;
        CU_ASSERT_EQUAL(tacho_stats_failed(t, TACHO_SCOPE_LIFETIME), failed);
        const tacho_stats_t *sh = tacho_snapshot_find(s, "shared");
        CU_ASSERT_EQUAL(tacho_stats_runs(sh, TACHO_SCOPE_LIFETIME),
                        (uint64_t)(per_writer / 2) * WRITERS);
        const tacho_stats_t *own = tacho_snapshot_find(s, "own-3");
        CU_ASSERT_EQUAL(tacho_stats_runs(own, TACHO_SCOPE_LIFETIME),
                        (uint64_t)(per_writer - per_writer / 2));
        uint64_t mx = 0;
        CU_ASSERT_TRUE(tacho_stats_max_ns(t, TACHO_SCOPE_LIFETIME, &mx));
        CU_ASSERT_EQUAL(mx, 999001);
    }
    CU_ASSERT_EQUAL(torn(t), 0);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void concurrency_exact_totals_untorn(void)
{
    run_writers(RECORDS, false);
}

static void concurrency_fence_fallback(void)
{
    CU_ASSERT_EQUAL_FATAL(tacho__sync_set_fence_mode(true), 0);
    run_writers(RECORDS / 4, false);
    CU_ASSERT_EQUAL(tacho__sync_set_fence_mode(false), 0);
}

static void concurrency_reset_while_recording(void)
{
    run_writers(RECORDS / 4, true);
}

typedef struct churn {
    tacho_pipeline_t *p;
    atomic_int *next;
    int threads;
} churn_t;

static void *record_short(void *arg)
{
    churn_t *ch = arg;
    for (int i = 0; i < 1000; i++) {
        tacho_pipeline_record(ch->p, 10, true);
    }
    return NULL;
}

/* Starts `threads` short-lived threads, at most 4 alive at once. */
static void *spawn_waves(void *arg)
{
    churn_t *ch = arg;
    for (int wave = 0; wave < ch->threads / 4; wave++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            pthread_create(&t[i], NULL, record_short, ch);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
        }
    }
    return NULL;
}

static void concurrency_thread_churn_keeps_counts(void)
{
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &c, NULL), 0);
    churn_t ch = {tacho_pipeline_get(c, "churn"), NULL, 200};
    pthread_t spawner;
    pthread_create(&spawner, NULL, spawn_waves, &ch);
    long snapshots = 0;
    void *done = NULL;
    /* Snapshot while threads come and go. */
    while (pthread_tryjoin_np(spawner, &done) != 0) {
        tacho_snapshot_t *s = NULL;
        CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
        CU_ASSERT_EQUAL(torn(tacho_snapshot_total(s)), 0);
        tacho_snapshot_free(s);
        snapshots++;
        sched_yield();
    }
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME),
        200 * 1000);
    tacho_snapshot_free(s);
    /* Shards are reused: never more than the threads alive at once (plus
     * the few whose exit had not been processed yet). */
    CU_ASSERT_TRUE(c->shards.shard_count <= 8);
    CU_ASSERT_TRUE(snapshots > 0);
    tacho_collector_free(c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"concurrency_exact_totals_untorn", concurrency_exact_totals_untorn},
        {"concurrency_fence_fallback", concurrency_fence_fallback},
        {"concurrency_reset_while_recording",
         concurrency_reset_while_recording},
        {"concurrency_thread_churn_keeps_counts",
         concurrency_thread_churn_keeps_counts},
        {NULL, NULL}};
    return tacho_test_run("concurrency", NULL, NULL, cases);
}
