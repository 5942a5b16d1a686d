/*
 * Suite for the record path's data layout (core/shard.h, core/recent.h,
 * core/histogram.h as used by core/collector.c): the shard's record
 * sequence, the recent ring indexed by record number and its check for
 * entries rewritten during a copy, `le` counts derived from the histogram,
 * the fence mode's slow path and the cache-line layout.
 */
#include <stdint.h>
#include <string.h>

#include <tacho/collector.h>
#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "tacho_test.h"

static tacho_collector_t *make(uint32_t recent)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.recent_capacity = recent;
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, NULL), 0);
    return c;
}

static tacho__shard_t *my_shard(tacho_collector_t *c)
{
    return tacho__shard_get(&c->shards);
}

/* Writes records first..last into a bare ring as the writer would, the
 * duration of record r being 100 + r, and leaves seq showing `seq`. */
static void fill_ring(tacho__recent_t *r, _Atomic uint64_t *seq, uint64_t first,
                      uint64_t last, uint64_t seq_after)
{
    for (uint64_t rec = first; rec <= last; rec++) {
        tacho__recent_put(r, rec, (int64_t)rec * 1000, 100 + rec,
                          (uint32_t)(rec % 3) << 1 | (rec & 1));
    }
    atomic_store(seq, seq_after);
}

static void record_sequence_counts_records(void)
{
    tacho_collector_t *c = make(0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, "seq");
    for (int i = 0; i < 7; i++) {
        tacho_pipeline_record(p, 10, true);
    }
    tacho__shard_t *sh = my_shard(c);
    /* Even and twice the record count: no record is in flight. */
    CU_ASSERT_EQUAL(atomic_load(&sh->seq), 14);
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    CU_ASSERT_EQUAL(sh->merged_upto, 7);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void record_ring_size_is_power_of_two(void)
{
    tacho__recent_t r;
    CU_ASSERT_EQUAL_FATAL(tacho__recent_init(&r, 5), 0);
    CU_ASSERT_EQUAL(r.mask, 7);
    CU_ASSERT_EQUAL(r.cap, 5);
    tacho__recent_destroy(&r);
    CU_ASSERT_EQUAL_FATAL(tacho__recent_init(&r, 64), 0);
    CU_ASSERT_EQUAL(r.mask, 63);
    tacho__recent_destroy(&r);
    CU_ASSERT_EQUAL_FATAL(tacho__recent_init(&r, 1), 0);
    CU_ASSERT_EQUAL(r.mask, 0);
    tacho__recent_destroy(&r);
}

static void record_ring_collects_newest_cap_entries(void)
{
    tacho__recent_t r;
    _Atomic uint64_t seq = 0;
    CU_ASSERT_EQUAL_FATAL(tacho__recent_init(&r, 5), 0);
    fill_ring(&r, &seq, 1, 20, 40);
    tacho__recent_item_t out[5];
    size_t n = tacho__recent_collect(&r, &seq, 0, 9, out);
    CU_ASSERT_EQUAL_FATAL(n, 5);
    for (size_t i = 0; i < n; i++) {
        uint64_t rec = 20 - i;
        CU_ASSERT_EQUAL(out[i].rec, rec);
        CU_ASSERT_EQUAL(out[i].duration_ns, 100 + rec);
        CU_ASSERT_EQUAL(out[i].time_ns, (int64_t)rec * 1000);
        CU_ASSERT_EQUAL(out[i].pipeline, rec % 3);
        CU_ASSERT_EQUAL(out[i].ok, (rec & 1) != 0);
        CU_ASSERT_EQUAL(out[i].shard, 9);
    }
    /* A floor (a reset) hides records up to it. */
    CU_ASSERT_EQUAL(tacho__recent_collect(&r, &seq, 18, 9, out), 2);
    CU_ASSERT_EQUAL(out[1].rec, 19);
    CU_ASSERT_EQUAL(tacho__recent_collect(&r, &seq, 20, 9, out), 0);
    tacho__recent_destroy(&r);
}

static void record_ring_drops_entries_a_writer_may_rewrite(void)
{
    tacho__recent_t r;
    _Atomic uint64_t seq = 0;
    CU_ASSERT_EQUAL_FATAL(tacho__recent_init(&r, 4), 0);
    /* Records 1..6 ended, record 7 is being written: it goes to the entry
     * of record 3, which must not be shown. */
    fill_ring(&r, &seq, 1, 6, 13);
    tacho__recent_item_t out[4];
    size_t n = tacho__recent_collect(&r, &seq, 0, 0, out);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_EQUAL(out[0].rec, 6);
    CU_ASSERT_EQUAL(out[2].rec, 4);
    /* Fewer records than the ring holds: nothing is at risk. */
    tacho__recent_t small;
    _Atomic uint64_t seq2 = 0;
    CU_ASSERT_EQUAL_FATAL(tacho__recent_init(&small, 4), 0);
    fill_ring(&small, &seq2, 1, 2, 5);
    CU_ASSERT_EQUAL(tacho__recent_collect(&small, &seq2, 0, 0, out), 2);
    tacho__recent_destroy(&small);
    tacho__recent_destroy(&r);
}

static void record_le_counts_from_histogram(void)
{
    /* 100 has a bucket of its own; 1000 lies inside [1000, 1007]. */
    const uint64_t ns[] = {100, 1000, 1ull << 20};
    tacho__bounds_t b;
    tacho__bounds_init(&b, ns, 3);
    static uint64_t hist[TACHO__HIST_BUCKETS];
    memset(hist, 0, sizeof hist);
    size_t plain = tacho__hist_bucket(50);
    size_t mid = tacho__hist_bucket(5000);
    size_t top = tacho__hist_bucket(1ull << 30);
    size_t straddling = tacho__hist_bucket(1000);
    CU_ASSERT_FALSE(tacho__bounds_straddles(&b, plain));
    CU_ASSERT_TRUE(tacho__bounds_straddles(&b, straddling));
    hist[plain] = 3;
    hist[mid] = 4;
    hist[top] = 5;
    hist[straddling] = 7; /* counted one by one on the record path */
    uint64_t mask = 1ull << (plain / TACHO__HIST_SUB) |
                    1ull << (mid / TACHO__HIST_SUB) |
                    1ull << (top / TACHO__HIST_SUB) |
                    1ull << (straddling / TACHO__HIST_SUB);
    uint64_t le[TACHO_MAX_BUCKETS + 1] = {0};
    tacho__bounds_add_le(&b, le, hist, mask);
    CU_ASSERT_EQUAL(le[0], 3);
    CU_ASSERT_EQUAL(le[1], 0);
    CU_ASSERT_EQUAL(le[2], 4);
    CU_ASSERT_EQUAL(le[3], 5);
    /* Octaves outside the mask are not read. */
    memset(le, 0, sizeof le);
    tacho__bounds_add_le(&b, le, hist, 1ull << (top / TACHO__HIST_SUB));
    CU_ASSERT_EQUAL(le[0] + le[1] + le[2], 0);
    CU_ASSERT_EQUAL(le[3], 5);
}

static void record_straddling_values_counted_exactly(void)
{
    const uint64_t ns[] = {1000, 1001};
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.bucket_bounds_ns = ns;
    o.bucket_count = 2;
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(&o, &c, NULL), 0);
    tacho_pipeline_t *p = tacho_pipeline_get(c, "edge");
    /* 1000..1007 is one bucket holding both bounds; 995..999 are in
     * [992, 999], below both. */
    for (uint64_t d = 995; d <= 1005; d++) {
        tacho_pipeline_record(p, d, true);
    }
    tacho__shard_t *sh = my_shard(c);
    tacho__cell_t *cell = atomic_load(&sh->cells[p->index]);
    const tacho__buf_t *buf =
        (const tacho__buf_t *)((char *)cell + atomic_load(&sh->active));
    CU_ASSERT_EQUAL(buf->le[0], 1); /* 1000; 995..999 come from hist */
    CU_ASSERT_EQUAL(buf->le[1], 1); /* 1001 */
    CU_ASSERT_EQUAL(buf->le[2], 4); /* 1002..1005 */
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    const tacho_stats_t *st = tacho_snapshot_find(s, "edge");
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(st, 0), 6);
    CU_ASSERT_EQUAL(tacho_stats_bucket_cumulative(st, 1), 7);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void record_fence_mode_counts_on_slow_path(void)
{
    CU_ASSERT_EQUAL_FATAL(tacho__sync_set_fence_mode(true), 0);
    tacho_collector_t *c = make(8);
#ifdef TACHO_TSAN
    /* TSan builds use seq_cst accesses instead of either barrier. */
    CU_ASSERT_FALSE(c->shards.fence);
#else
    CU_ASSERT_TRUE(c->shards.fence);
    CU_ASSERT_EQUAL(c->shards.fast_id, TACHO__NO_FAST_ID);
#endif
    tacho_pipeline_t *p = tacho_pipeline_get(c, "fenced");
    for (int i = 0; i < 1000; i++) {
        tacho_pipeline_record(p, (uint64_t)i, i % 4 != 0);
    }
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    const tacho_stats_t *st = tacho_snapshot_find(s, "fenced");
    CU_ASSERT_EQUAL(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), 1000);
    CU_ASSERT_EQUAL(tacho_stats_failed(st, TACHO_SCOPE_LIFETIME), 250);
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 8);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
    CU_ASSERT_EQUAL(tacho__sync_set_fence_mode(false), 0);
    c = make(0);
    CU_ASSERT_FALSE(c->shards.fence);
    CU_ASSERT_EQUAL(c->shards.fast_id, c->shards.id);
    tacho_collector_free(c);
}

static void record_cells_and_shards_line_aligned(void)
{
    tacho_collector_t *c = make(0);
    tacho_pipeline_t *p[3] = {tacho_pipeline_get(c, "a"),
                              tacho_pipeline_get(c, "b"),
                              tacho_pipeline_get(c, "c")};
    for (int i = 0; i < 3; i++) {
        tacho_pipeline_record(p[i], 1, true);
    }
    tacho__shard_t *sh = my_shard(c);
    CU_ASSERT_EQUAL((uintptr_t)sh % TACHO__LINE, 0);
    CU_ASSERT_EQUAL(offsetof(tacho__shard_t, flipped), TACHO__LINE);
    for (int i = 0; i < 3; i++) {
        tacho__cell_t *cell = atomic_load(&sh->cells[p[i]->index]);
        CU_ASSERT_EQUAL((uintptr_t)cell % TACHO__LINE, 0);
        /* Both buffers' counters fit one line each. */
        CU_ASSERT_EQUAL((uintptr_t)&cell->buf[1] % TACHO__LINE, 0);
    }
    CU_ASSERT_TRUE(offsetof(tacho__buf_t, octaves) + sizeof(uint64_t) <=
                   TACHO__LINE);
    tacho_collector_free(c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"record_sequence_counts_records", record_sequence_counts_records},
        {"record_ring_size_is_power_of_two", record_ring_size_is_power_of_two},
        {"record_ring_collects_newest_cap_entries",
         record_ring_collects_newest_cap_entries},
        {"record_ring_drops_entries_a_writer_may_rewrite",
         record_ring_drops_entries_a_writer_may_rewrite},
        {"record_le_counts_from_histogram", record_le_counts_from_histogram},
        {"record_straddling_values_counted_exactly",
         record_straddling_values_counted_exactly},
        {"record_fence_mode_counts_on_slow_path",
         record_fence_mode_counts_on_slow_path},
        {"record_cells_and_shards_line_aligned",
         record_cells_and_shards_line_aligned},
        {NULL, NULL}};
    return tacho_test_run("record", NULL, NULL, cases);
}
