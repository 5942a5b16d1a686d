/*
 * Private: the ring of recent executions each shard keeps.
 *
 * Only the shard's writer stores into its ring; readers copy it while the
 * writer goes on. Each entry carries the number of the record that wrote it
 * (0 while it is being written), so a reader detects an entry overwritten
 * under it and skips it. The fields are atomics stored with release order,
 * so the check is sound in the C11 model (and under ThreadSanitizer); on
 * x86-64 those stores are plain moves.
 */
#ifndef TACHO_RECENT_H
#define TACHO_RECENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tacho__recent_entry {
    _Atomic uint64_t rec; /* number of the record that wrote it; 0: busy */
    _Atomic int64_t time_ns;
    _Atomic uint64_t duration_ns;
    _Atomic uint32_t pipe_ok; /* pipeline index << 1 | ok */
} tacho__recent_entry_t;

typedef struct tacho__recent {
    tacho__recent_entry_t *e;
    uint32_t cap;
    uint32_t pos; /* writer-owned: next entry to write */
} tacho__recent_t;

/* One execution copied out of a ring. */
typedef struct tacho__recent_item {
    int64_t time_ns;
    uint64_t duration_ns;
    uint64_t rec;
    uint32_t pipeline;
    uint32_t shard; /* orders ties between shards deterministically */
    bool ok;
} tacho__recent_item_t;

/* Allocates a ring of `cap` entries. Returns 0 or TACHO_ENOMEM. */
int tacho__recent_init(tacho__recent_t *r, uint32_t cap);
void tacho__recent_destroy(tacho__recent_t *r);

/* Writer: stores record number `rec` (> 0, increasing). */
static inline void tacho__recent_put(tacho__recent_t *r, uint64_t rec,
                                     int64_t time_ns, uint64_t duration_ns,
                                     uint32_t pipeline, bool ok)
{
    tacho__recent_entry_t *e = &r->e[r->pos];
    if (++r->pos == r->cap) {
        r->pos = 0;
    }
    /* Mark busy first; each release store below publishes that mark to a
     * reader that sees the new field value. */
    atomic_store_explicit(&e->rec, 0, memory_order_relaxed);
    atomic_store_explicit(&e->time_ns, time_ns, memory_order_release);
    atomic_store_explicit(&e->duration_ns, duration_ns, memory_order_release);
    atomic_store_explicit(&e->pipe_ok, pipeline << 1 | (uint32_t)ok,
                          memory_order_release);
    atomic_store_explicit(&e->rec, rec, memory_order_release);
}

/*
 * Reader: copies the entries of records numbered in (floor, upto] into
 * `out` (room for r->cap items) and returns how many. Entries being
 * rewritten at that moment are skipped.
 */
size_t tacho__recent_collect(const tacho__recent_t *r, uint64_t floor,
                             uint64_t upto, uint32_t shard,
                             tacho__recent_item_t *out);

/* Sorts items newest first (time, then shard, then record number). */
void tacho__recent_sort(tacho__recent_item_t *items, size_t n);

#endif /* TACHO_RECENT_H */
