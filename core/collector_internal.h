/*
 * Private: the collector's and pipeline's bodies, shared by collector.c
 * and snapshot.c, and the manual-clock hooks the unit tests use.
 */
#ifndef TACHO_COLLECTOR_INTERNAL_H
#define TACHO_COLLECTOR_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <tacho/collector.h>

#include "clock.h"
#include "histogram.h"
#include "pipeline_table.h"
#include "shard.h"
#include "window.h"

/* Lifetime totals of one pipeline, owned by the reader side. */
typedef struct tacho__life {
    uint64_t succeeded;
    uint64_t failed;
    uint64_t sum;
    uint64_t min; /* UINT64_MAX while empty */
    uint64_t max;
    int64_t last_ns;
    uint64_t octaves;
    uint64_t le[TACHO_MAX_BUCKETS + 1];
    uint64_t *hist; /* [TACHO__HIST_BUCKETS] */
} tacho__life_t;

struct tacho_pipeline {
    tacho__pkey_t key; /* first: the table hands out &key */
    /* The record path's fields, on one cache line with the key. */
    uint64_t fast_id; /* c->shards.fast_id, so the cache test needs no c */
    tacho_collector_t *c;
    uint32_t index;
    uint32_t pipe_bits; /* index << 1: a recent entry's pipe_ok without ok */
    bool overflow;
    /* Reader side, under c->reader_lock. */
    tacho__life_t life;
    tacho__wpipe_t win;
};

struct tacho_collector {
    tacho__shard_set_t shards; /* first: the record path reads its id */
    tacho__bounds_t bounds;
    tacho__clock_t clock;
    tacho__ptable_t table;
    tacho_pipeline_t **pipes; /* [max_pipelines]; [0] is the overflow */
    _Atomic uint32_t npipes;  /* published with release after pipes[i] */
    char *worker;
    uint32_t max_pipelines;
    uint32_t window_seconds;
    uint32_t recent_capacity;
    /* Reader side: snapshots, ticks and resets take this lock. */
    pthread_mutex_t reader_lock;
    tacho__window_t window;
    int64_t start_ns;
    int64_t tick_anchor_ns; /* ticks fall at anchor + k * window / 60 */
    uint64_t ticks_done;
    bool clock_ready;
    bool lock_ready;
};

/*
 * Test hooks. use_manual_clock stops the clock thread's updates and makes
 * the collector behave as if created at `wall_ns` (start time and window
 * ticks restart there); call it before recording. From then on time moves
 * only with set_time, which also runs every window tick that falls due,
 * synchronously, exactly as the thread would.
 */
void tacho__collector_use_manual_clock(tacho_collector_t *c, int64_t wall_ns);
void tacho__collector_set_time(tacho_collector_t *c, int64_t wall_ns);

/* tacho_snapshot_take() for the sinks' periodic and on-demand snapshots:
 * it does not wait for a recording thread descheduled inside a record.
 * Such a thread's latest records (since the previous snapshot) then
 * appear in a later snapshot instead, whole; totals never go back. */
int tacho__snapshot_take_nowait(tacho_collector_t *c, tacho_snapshot_t **out);

/* Builds a snapshot from the reader-side totals. Called by
 * tacho_snapshot_take() under c->reader_lock, right after a flip. */
int tacho__snapshot_build(tacho_collector_t *c, int64_t now_ns,
                          tacho_snapshot_t **out);

#endif /* TACHO_COLLECTOR_INTERNAL_H */
