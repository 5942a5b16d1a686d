/*
 * Suite for the concurrent parts of the collector (core/shard.c's flip,
 * reset and thread churn): many writers, readers that never see a torn
 * snapshot, and exact totals; and a writer stopped in the middle of a
 * record (by a signal whose handler waits), which a snapshot that must not
 * wait leaves for later and a reset waits for. Run it under ThreadSanitizer
 * too.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

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

/* Alternates snapshots that wait for every record in flight with those
 * the sinks take, which leave a descheduled writer's shard for later. */
static void *read_until_stopped(void *arg)
{
    reader_t *r = arg;
    uint64_t last_total = 0;
    for (unsigned n = 0; !atomic_load(&r->stop); n++) {
        tacho_snapshot_t *s = NULL;
        int rc = n % 2 ? tacho__snapshot_take_nowait(r->c, &s)
                       : tacho_snapshot_take(r->c, &s);
        if (rc != 0) {
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

/* ---- a writer stopped inside a record ------------------------------------ */

/* The writer records until told to stop; SIGUSR1 interrupts it, and when
 * the interrupted point lies inside a record (its shard's seq is odd) the
 * handler holds the thread there until released, as a scheduler may. */
typedef struct stalled_writer {
    tacho_collector_t *c;
    tacho_pipeline_t *p;
    pthread_t thread;
    atomic_bool stop;
    atomic_ulong completed; /* records whose call returned */
} stalled_writer_t;

static atomic_int caught; /* 0 waiting, 1 inside a record, 2 outside */
static atomic_bool released;

static void hold_if_inside_record(int sig)
{
    (void)sig;
    uint64_t seq =
        atomic_load_explicit(&tacho__tls.shard->seq, memory_order_relaxed);
    if ((seq & 1) == 0) {
        atomic_store(&caught, 2);
        return;
    }
    atomic_store(&caught, 1);
    struct timespec ms = {0, 1000000};
    while (!atomic_load(&released)) {
        nanosleep(&ms, NULL);
    }
}

static void *record_until_stopped(void *arg)
{
    stalled_writer_t *w = arg;
    for (uint64_t i = 0; !atomic_load_explicit(&w->stop, memory_order_relaxed);
         i++) {
        tacho_pipeline_record(w->p, 1000 + i % 5000, i % 3 != 0);
        atomic_store_explicit(&w->completed, i + 1, memory_order_relaxed);
    }
    return NULL;
}

/* Lets the writer finish the record it was stopped in, and no more. */
static void release_writer(stalled_writer_t *w)
{
    atomic_store(&w->stop, true);
    atomic_store(&released, true);
    pthread_join(w->thread, NULL);
}

/* Starts the writer and stops it inside a record. If no signal lands
 * inside one within 200000 tries, fails the test (ThreadSanitizer, which
 * delivers signals only at calls, never inside the inline record: skipped
 * there), cleans up and returns false. */
static bool stall_writer(stalled_writer_t *w, const char *test)
{
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &w->c, NULL), 0);
    w->p = tacho_pipeline_get(w->c, "stalled");
    atomic_init(&w->stop, false);
    atomic_init(&w->completed, 0);
    atomic_store(&released, false);
    struct sigaction sa = {.sa_handler = hold_if_inside_record};
    sigemptyset(&sa.sa_mask);
    CU_ASSERT_EQUAL_FATAL(sigaction(SIGUSR1, &sa, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(
        pthread_create(&w->thread, NULL, record_until_stopped, w), 0);
    while (atomic_load(&w->completed) < 1000) {
        sched_yield();
    }
    for (int tries = 0; tries < 200000; tries++) {
        atomic_store(&caught, 0);
        pthread_kill(w->thread, SIGUSR1);
        while (atomic_load(&caught) == 0) {
            sched_yield();
        }
        if (atomic_load(&caught) == 1) {
            return true;
        }
    }
#ifdef TACHO_TSAN
    printf("\n  %s: skipped, no signal landed inside a record "
           "(ThreadSanitizer defers signals)\n",
           test);
#else
    (void)test;
    CU_FAIL("no signal landed inside a record");
#endif
    release_writer(w);
    tacho_collector_free(w->c);
    return false;
}

static uint64_t runs_of(tacho_snapshot_t *s)
{
    const tacho_stats_t *t = tacho_snapshot_total(s);
    CU_ASSERT_EQUAL(torn(t), 0);
    return tacho_stats_runs(t, TACHO_SCOPE_LIFETIME);
}

typedef struct waiter {
    tacho_collector_t *c;
    bool reset; /* tacho_collector_reset instead of a snapshot */
    tacho_snapshot_t *snap;
    atomic_bool done;
} waiter_t;

static void *wait_in_reader(void *arg)
{
    waiter_t *wt = arg;
    if (wt->reset) {
        tacho_collector_reset(wt->c);
    } else {
        CU_ASSERT_EQUAL(tacho_snapshot_take(wt->c, &wt->snap), 0);
    }
    atomic_store(&wt->done, true);
    return NULL;
}

/* Starts a waiting reader, checks it is still waiting 200 ms later, then
 * releases the writer; the reader must then finish. */
static void release_under_waiting_reader(stalled_writer_t *w, waiter_t *wt)
{
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, wait_in_reader, wt), 0);
    struct timespec ms200 = {0, 200000000};
    nanosleep(&ms200, NULL);
    CU_ASSERT_FALSE(atomic_load(&wt->done));
    release_writer(w);
    pthread_join(t, NULL);
    CU_ASSERT_TRUE(atomic_load(&wt->done));
}

/* A sink's snapshot neither waits for the stopped writer nor reads its
 * half-written buffer, and a later one has every record, once. */
static void concurrency_stalled_writer_not_awaited(void)
{
    stalled_writer_t w;
    if (!stall_writer(&w, __func__)) {
        return;
    }
    uint64_t before = atomic_load(&w.completed);
    tacho_snapshot_t *s1 = NULL, *s2 = NULL, *s3 = NULL;
    CU_ASSERT_EQUAL(tacho__snapshot_take_nowait(w.c, &s1), 0);
    /* Still stopped: the shard is neither merged nor flipped again. */
    CU_ASSERT_EQUAL(tacho__snapshot_take_nowait(w.c, &s2), 0);
    uint64_t r1 = runs_of(s1), r2 = runs_of(s2);
    CU_ASSERT_TRUE(r1 <= before);
    CU_ASSERT_EQUAL(r2, r1);
    release_writer(&w);
    CU_ASSERT_EQUAL(tacho__snapshot_take_nowait(w.c, &s3), 0);
    CU_ASSERT_EQUAL(runs_of(s3), atomic_load(&w.completed));
    CU_ASSERT_TRUE(atomic_load(&w.completed) > r1);
    tacho_snapshot_free(s1);
    tacho_snapshot_free(s2);
    tacho_snapshot_free(s3);
    tacho_collector_free(w.c);
}

/* Stops the writer inside a record, lets a sink snapshot leave its shard
 * stalled, then runs a waiting reader (a snapshot, or a reset) across the
 * writer's release. False if the writer could not be stopped (skipped). */
static bool stall_then_wait(stalled_writer_t *w, waiter_t *wt, const char *test)
{
    if (!stall_writer(w, test)) {
        return false;
    }
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL(tacho__snapshot_take_nowait(w->c, &s), 0);
    tacho_snapshot_free(s);
    wt->c = w->c;
    release_under_waiting_reader(w, wt);
    return true;
}

/* tacho_snapshot_take() is exact: it waits for the record in flight, even
 * when an earlier sink snapshot left the shard stalled. */
static void concurrency_stalled_writer_awaited_by_take(void)
{
    stalled_writer_t w;
    waiter_t wt = {NULL, false, NULL, false};
    if (!stall_then_wait(&w, &wt, __func__)) {
        return;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(wt.snap);
    CU_ASSERT_EQUAL(runs_of(wt.snap), atomic_load(&w.completed));
    tacho_snapshot_free(wt.snap);
    tacho_collector_free(w.c);
}

/* A reset waits too, so records made before it never reappear after it
 * from a buffer a sink snapshot had left stalled. */
static void concurrency_stalled_writer_awaited_by_reset(void)
{
    stalled_writer_t w;
    waiter_t wt = {NULL, true, NULL, false};
    if (!stall_then_wait(&w, &wt, __func__)) {
        return;
    }
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL(tacho__snapshot_take_nowait(w.c, &s), 0);
    CU_ASSERT_EQUAL(runs_of(s), 0);
    tacho_snapshot_free(s);
    tacho_collector_free(w.c);
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
        {"concurrency_stalled_writer_not_awaited",
         concurrency_stalled_writer_not_awaited},
        {"concurrency_stalled_writer_awaited_by_take",
         concurrency_stalled_writer_awaited_by_take},
        {"concurrency_stalled_writer_awaited_by_reset",
         concurrency_stalled_writer_awaited_by_reset},
        {NULL, NULL}};
    return tacho_test_run("concurrency", NULL, NULL, cases);
}
