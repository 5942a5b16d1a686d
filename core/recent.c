/*
 * Reading the recent-execution rings: a consistent copy of each entry,
 * and the merge of all shards newest first.
 */
#include "recent.h"

#include <stdlib.h>

#include <tacho/common.h>

int tacho__recent_init(tacho__recent_t *r, uint32_t cap)
{
    uint32_t size = 1;
    while (size < cap) {
        size *= 2;
    }
    r->e = tacho_calloc(size, sizeof r->e[0]);
    r->mask = size - 1;
    r->cap = cap;
    return r->e == NULL ? TACHO_ENOMEM : 0;
}

void tacho__recent_destroy(tacho__recent_t *r)
{
    tacho_free(r->e);
    r->e = NULL;
}

/* Copies the entries of records (lo, hi], newest first. */
static size_t copy_range(const tacho__recent_t *r, uint64_t lo, uint64_t hi,
                         uint32_t shard, tacho__recent_item_t *out)
{
    size_t n = 0;
    for (uint64_t rec = hi; rec > lo; rec--) {
        tacho__recent_entry_t *e = &r->e[rec & r->mask];
        uint32_t po = atomic_load_explicit(&e->pipe_ok, memory_order_acquire);
        out[n++] = (tacho__recent_item_t){
            .time_ns = atomic_load_explicit(&e->time_ns, memory_order_acquire),
            .duration_ns =
                atomic_load_explicit(&e->duration_ns, memory_order_acquire),
            .rec = rec,
            .pipeline = po >> 1,
            .shard = shard,
            .ok = (po & 1u) != 0,
        };
    }
    return n;
}

/* Attempts before a reader settles for a copy that lost entries to a
 * writer outpacing it. */
#define COLLECT_ATTEMPTS 3

size_t tacho__recent_collect(const tacho__recent_t *r,
                             const _Atomic uint64_t *seq, uint64_t floor,
                             uint32_t shard, tacho__recent_item_t *out)
{
    uint64_t size = (uint64_t)r->mask + 1;
    size_t n = 0;
    for (int attempt = 0; attempt < COLLECT_ATTEMPTS; attempt++) {
        /* Records up to `done` had ended: their entries are visible. */
        uint64_t done = atomic_load_explicit(seq, memory_order_acquire) / 2;
        uint64_t lo = done > r->cap ? done - r->cap : 0;
        lo = lo > floor ? lo : floor;
        n = copy_range(r, lo, done, shard, out);
        /* A record the copy saw a field of has started by now, so records
         * after `started` wrote nothing we read. A record s <= started
         * rewrote the entry of s - size: those entries may be torn. */
        uint64_t started =
            (atomic_load_explicit(seq, memory_order_acquire) + 1) / 2;
        if (started < size || started - size <= lo) {
            return n;
        }
        uint64_t torn = started - size - lo; /* the oldest entries copied */
        n = torn >= n ? 0 : n - (size_t)torn;
    }
    return n;
}

static int newest_first(const void *a, const void *b)
{
    const tacho__recent_item_t *x = a;
    const tacho__recent_item_t *y = b;
    if (x->time_ns != y->time_ns) {
        return x->time_ns > y->time_ns ? -1 : 1;
    }
    if (x->shard != y->shard) {
        return x->shard > y->shard ? -1 : 1;
    }
    if (x->rec != y->rec) {
        return x->rec > y->rec ? -1 : 1;
    }
    return 0;
}

void tacho__recent_sort(tacho__recent_item_t *items, size_t n)
{
    qsort(items, n, sizeof items[0], newest_first);
}
