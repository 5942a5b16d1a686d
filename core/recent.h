/*
 * Private: the ring of recent executions each shard keeps.
 *
 * Only the shard's writer stores into its ring; readers copy it while the
 * writer goes on. Record number r always goes to entry r & mask (the ring
 * has a power-of-two size), so an entry needs no record number and no busy
 * mark: a reader knows which record each entry holds from the shard's
 * sequence (shard.h), and which entries a record may have rewritten during
 * its copy from a second look at that sequence. The writer's three stores
 * are releases and the reader's loads acquires (plain moves on x86-64), so
 * a reader that sees any field of record r also sees r's start in the
 * sequence; that makes the check sound in the C11 model and under
 * ThreadSanitizer.
 */
#ifndef TACHO_RECENT_H
#define TACHO_RECENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tacho__recent_entry {
    _Atomic int64_t time_ns;
    _Atomic uint64_t duration_ns;
    _Atomic uint32_t pipe_ok; /* pipeline index << 1 | ok */
} tacho__recent_entry_t;

typedef struct tacho__recent {
    tacho__recent_entry_t *e; /* [mask + 1] */
    uint32_t mask;            /* ring size - 1; the size is a power of two */
    uint32_t cap;             /* entries a reader takes: the capacity asked */
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

/* Allocates a ring for at least `cap` entries. Returns 0 or TACHO_ENOMEM. */
int tacho__recent_init(tacho__recent_t *r, uint32_t cap);
void tacho__recent_destroy(tacho__recent_t *r);

/* Writer: stores record number `rec` (after the shard's sequence shows it
 * started). `pipe_ok` is the pipeline index << 1 | ok. */
static inline void tacho__recent_put(tacho__recent_t *r, uint64_t rec,
                                     int64_t time_ns, uint64_t duration_ns,
                                     uint32_t pipe_ok)
{
    tacho__recent_entry_t *e = &r->e[rec & r->mask];
    atomic_store_explicit(&e->time_ns, time_ns, memory_order_release);
    atomic_store_explicit(&e->duration_ns, duration_ns, memory_order_release);
    atomic_store_explicit(&e->pipe_ok, pipe_ok, memory_order_release);
}

/*
 * Reader: copies the newest entries (at most r->cap) of records numbered
 * above `floor` into `out` (room for r->cap items), newest first, and
 * returns how many. `seq` is the shard's sequence: 2r after record r, 2r-1
 * while record r is being written. Entries a record may have rewritten
 * during the copy are left out.
 */
size_t tacho__recent_collect(const tacho__recent_t *r,
                             const _Atomic uint64_t *seq, uint64_t floor,
                             uint32_t shard, tacho__recent_item_t *out);

/* Sorts items newest first (time, then shard, then record number). */
void tacho__recent_sort(tacho__recent_item_t *items, size_t n);

#endif /* TACHO_RECENT_H */
