/*
 * Suite for core/recent.c: the per-shard rings of recent executions, their
 * merge across threads, reset, and reads racing with a writer.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "manual_clock_test.h"

static tacho_collector_t *make(uint32_t capacity)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.recent_capacity = capacity;
    return make_manual(&o);
}

static void recent_ring_wraps_newest_first(void)
{
    tacho_collector_t *c = make(10);
    const char *names[] = {"even", "odd"};
    for (int i = 0; i < 25; i++) {
        tacho__collector_set_time(c, T0 + i * MS);
        tacho_record(c, names[i % 2], 1000 + (uint64_t)i, i % 3 != 0);
    }
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_recent_count(s), 10);
    for (size_t k = 0; k < 10; k++) {
        int i = 24 - (int)k; /* newest first: records 24 .. 15 */
        tacho_execution_t e;
        CU_ASSERT_EQUAL_FATAL(tacho_snapshot_recent(s, k, &e), 0);
        CU_ASSERT_EQUAL(e.time_ns, T0 + i * MS);
        CU_ASSERT_STRING_EQUAL(e.pipeline, names[i % 2]);
        CU_ASSERT_EQUAL(e.duration_ns, 1000 + (uint64_t)i);
        CU_ASSERT_EQUAL(e.ok, i % 3 != 0);
    }
    tacho_execution_t e;
    CU_ASSERT_EQUAL(tacho_snapshot_recent(s, 10, &e), TACHO_EINVAL);
    /* The name is the snapshot's own copy of its pipeline's name. */
    CU_ASSERT_EQUAL(tacho_snapshot_recent(s, 0, &e), 0);
    CU_ASSERT_PTR_EQUAL(e.pipeline,
                        tacho_stats_name(tacho_snapshot_find(s, "even")));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void recent_same_time_in_record_order(void)
{
    tacho_collector_t *c = make(0);
    for (int i = 0; i < 5; i++) {
        tacho_record(c, "x", (uint64_t)i, true);
    }
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_recent_count(s), 5);
    for (size_t k = 0; k < 5; k++) {
        tacho_execution_t e;
        tacho_snapshot_recent(s, k, &e);
        CU_ASSERT_EQUAL(e.duration_ns, 4 - k);
    }
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

typedef struct burst {
    tacho_collector_t *c;
    const char *name;
    int n;
    uint64_t base;
} burst_t;

static void *record_burst(void *arg)
{
    burst_t *b = arg;
    for (int i = 0; i < b->n; i++) {
        tacho_record(b->c, b->name, b->base + (uint64_t)i, true);
    }
    return NULL;
}

static void recent_threads_merged_by_time(void)
{
    tacho_collector_t *c = make(6);
    burst_t a = {c, "a", 5, 100};
    burst_t b = {c, "b", 5, 200};
    pthread_t t;
    /* Thread a records at T0 + 1 ms, thread b later, at T0 + 2 ms, and the
     * main thread last, at T0 + 3 ms. */
    tacho__collector_set_time(c, T0 + 1 * MS);
    pthread_create(&t, NULL, record_burst, &a);
    pthread_join(t, NULL);
    tacho__collector_set_time(c, T0 + 2 * MS);
    pthread_create(&t, NULL, record_burst, &b);
    pthread_join(t, NULL);
    tacho__collector_set_time(c, T0 + 3 * MS);
    tacho_record(c, "main", 300, false);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_recent_count(s), 6);
    tacho_execution_t e;
    tacho_snapshot_recent(s, 0, &e);
    CU_ASSERT_STRING_EQUAL(e.pipeline, "main");
    CU_ASSERT_FALSE(e.ok);
    for (size_t k = 1; k < 6; k++) {
        tacho_snapshot_recent(s, k, &e);
        CU_ASSERT_STRING_EQUAL(e.pipeline, "b");
        CU_ASSERT_EQUAL(e.duration_ns, 204 - (k - 1));
        CU_ASSERT_EQUAL(e.time_ns, T0 + 2 * MS);
    }
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void recent_reset_hides_earlier_runs(void)
{
    tacho_collector_t *c = make(10);
    for (int i = 0; i < 5; i++) {
        tacho_record(c, "before", 1, true);
    }
    tacho_collector_reset(c);
    tacho_record(c, "after", 2, true);
    tacho_record(c, "after", 3, true);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_recent_count(s), 2);
    tacho_execution_t e;
    tacho_snapshot_recent(s, 0, &e);
    CU_ASSERT_EQUAL(e.duration_ns, 3);
    tacho_snapshot_recent(s, 1, &e);
    CU_ASSERT_STRING_EQUAL(e.pipeline, "after");
    CU_ASSERT_PTR_NULL(tacho_snapshot_find(s, "before"));
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

typedef struct racer {
    tacho_pipeline_t *p[3];
    atomic_bool stop;
    atomic_long done;
} racer_t;

/* Durations encode their pipeline and outcome, so a torn entry (fields of
 * two different records) shows up as a mismatch. */
static void *race_writer(void *arg)
{
    racer_t *r = arg;
    uint64_t i = 0;
    while (!atomic_load(&r->stop)) {
        unsigned k = (unsigned)(i % 3);
        tacho_pipeline_record(r->p[k], i * 3 + k, k != 1);
        i++;
        atomic_store_explicit(&r->done, (long)i, memory_order_relaxed);
    }
    return NULL;
}

static void recent_reader_skips_torn_entries(void)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.recent_capacity = 64;
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, NULL), 0);
    racer_t r = {{tacho_pipeline_get(c, "p0"), tacho_pipeline_get(c, "p1"),
                  tacho_pipeline_get(c, "p2")},
                 false,
                 0};
    pthread_t t;
    pthread_create(&t, NULL, race_writer, &r);
    const char *names[] = {"p0", "p1", "p2"};
    long bad = 0, seen = 0;
    while (atomic_load(&r.done) < 1000) {
        sched_yield();
    }
    for (int round = 0; round < 300; round++) {
        tacho_snapshot_t *s = snap(c);
        uint64_t prev = UINT64_MAX;
        for (size_t k = 0; k < tacho_snapshot_recent_count(s); k++) {
            tacho_execution_t e;
            tacho_snapshot_recent(s, k, &e);
            unsigned kind = (unsigned)(e.duration_ns % 3);
            bad += strcmp(e.pipeline, names[kind]) != 0;
            bad += e.ok != (kind != 1);
            /* Same thread: the newest-first order is the record order
             * whenever the cached time ties. */
            bad += e.duration_ns >= prev;
            prev = e.duration_ns;
            seen++;
        }
        CU_ASSERT_TRUE(tacho_snapshot_recent_count(s) <= 64);
        tacho_snapshot_free(s);
    }
    atomic_store(&r.stop, true);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_TRUE(seen > 0);
    tacho_snapshot_t *s = snap(c);
    CU_ASSERT_EQUAL(
        tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME),
        (uint64_t)atomic_load(&r.done));
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), (size_t)64);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"recent_ring_wraps_newest_first", recent_ring_wraps_newest_first},
        {"recent_same_time_in_record_order", recent_same_time_in_record_order},
        {"recent_threads_merged_by_time", recent_threads_merged_by_time},
        {"recent_reset_hides_earlier_runs", recent_reset_hides_earlier_runs},
        {"recent_reader_skips_torn_entries", recent_reader_skips_torn_entries},
        {NULL, NULL}};
    return tacho_test_run("recent", NULL, NULL, cases);
}
