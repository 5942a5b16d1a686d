/*
 * Private: per-thread shards, their double-buffered cells and the flip
 * protocol that lets a reader take the cells' contents without ever making
 * a writer wait.
 *
 * A shard's `seq` counts its records: 2r once record r has ended, 2r-1
 * while record r is being written. It is the only counter the writer
 * keeps: the record number, the recent ring's position (recent.h) and the
 * reader's wait all derive from it. Memory ordering (see also
 * docs/ARCHITECTURE.md, "Record path"):
 *
 *   writer (owns the shard)            reader (under the collector's lock)
 *   W1 seq = 2r-1          (relaxed)   R1 active = 1-a for every shard
 *   W2 barrier                          R2 barrier
 *   W3 b = active          (acquire)    R3 s = seq (acquire); if odd, wait
 *   W4 plain stores into buf[b]            until seq != s (acquire)
 *   W5 seq = 2r            (release)    R4 read and zero buf[a]
 *
 * In the default mode W2 is only a compiler barrier and R2 is one
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a full barrier
 * on every CPU running a thread of the process. So for each writer either
 * W1 is visible to R3 (the reader then waits for W5, whose release makes
 * W4 visible), or W3 comes after the barrier and reads the new `active`, so
 * the writer no longer touches buf[a]. Where membarrier is unavailable, W2
 * and R2 are seq_cst fences (a store-load Dekker pair); such a collector's
 * pipelines never match the thread cache (tacho__shard_set_t.fast_id), so
 * every record takes the out-of-line path that has the fence and the
 * inline fast path has no mode test. Under ThreadSanitizer, which
 * understands neither, W1/W3 and R1/R3 are seq_cst accesses instead, which
 * gives the same guarantee in terms TSan checks. The reader zeroes buf[a]
 * before it ever makes `a` active again with a release store, and W3 is an
 * acquire, so a writer never adds to stale counts. No step of the writer is
 * a read-modify-write atomic, and W1 and W5 are its only stores outside
 * the cell and the recent ring.
 *
 * A writer descheduled between W1 and W5 would hold R3 for as long as the
 * scheduler keeps it off a CPU. A reader that must not wait (a scrape)
 * spins briefly and then leaves such a shard *stalled*: its taken buffer
 * is not merged, and the shard is not flipped again until the record
 * (odd seq s) has ended. That is safe because R3 read s after the barrier:
 * the writer's next W1 came later, so its next W3 reads the new `active`
 * and only the stalled record can still write the taken buffer. A later
 * flip that sees seq != s merges the buffer whole, zeroes it and flips
 * again. Resets and window ticks wait instead, so they cut exactly.
 */
#ifndef TACHO_SHARD_H
#define TACHO_SHARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"
#include "recent.h"

#if defined(__SANITIZE_THREAD__)
#define TACHO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TACHO_TSAN 1
#endif
#endif

#ifdef TACHO_TSAN
#define TACHO__ORDER_ENTER memory_order_seq_cst
#define TACHO__ORDER_ACTIVE memory_order_seq_cst
#else
#define TACHO__ORDER_ENTER memory_order_relaxed
#define TACHO__ORDER_ACTIVE memory_order_acquire
#endif

#define TACHO__HIDDEN __attribute__((visibility("hidden")))

/* Cache line size assumed for layout (x86-64, arm64). */
#define TACHO__LINE 64

/* One half of a cell: what one thread recorded into one pipeline since the
 * last flip. A record touches the first 56 bytes (one cache line, as cells
 * are line-aligned), one histogram count and, rarely, one `le` count. */
typedef struct tacho__buf {
    union {
        struct {
            uint64_t failed;
            uint64_t succeeded;
        };
        uint64_t outcome[2]; /* [ok]: one indexed add per record */
    };
    uint64_t sum;
    uint64_t min; /* UINT64_MAX when empty */
    uint64_t max;
    int64_t last_ns; /* wall time of the latest record */
    uint64_t octaves;
    /* Per `le` index, only the values in histogram buckets that contain a
     * bound; the reader derives the rest from the histogram
     * (tacho__bounds_add_le), so most records skip this array. */
    uint64_t le[TACHO_MAX_BUCKETS + 1];
    uint64_t hist[TACHO__HIST_BUCKETS];
} tacho__buf_t;

typedef struct tacho__cell {
    tacho__buf_t buf[2];
    void *raw; /* the allocation this line-aligned cell was cut from */
} tacho__cell_t;

typedef struct tacho__shard tacho__shard_t;
struct tacho__shard {
    /* The writer's line: seq is stored by the writer, active by the reader
     * only at a flip; the ring's fields never change. */
    union {
        struct {
            _Atomic uint64_t seq;
            /* The writers' buffer as a byte offset into a cell (0 or
             * sizeof(tacho__buf_t)), which saves a multiply. */
            _Atomic size_t active;
            tacho__recent_t recent;
            /* The collector's cached clock and bounds, copied from the
             * set, so a record needs nothing but the shard and the cell. */
            const _Atomic int64_t *now;
            const tacho__bounds_t *bounds;
        };
        char writer_line[TACHO__LINE];
    };
    /* Reader-owned (under the collector's reader lock). */
    size_t flipped;            /* the buffer taken at the last flip */
    uint64_t stalled;          /* odd seq that kept it unmerged, or 0 */
    bool flipping;             /* flipped in the flip under way */
    uint64_t merged_upto;      /* last record number merged */
    uint64_t recent_floor;     /* records up to here predate a reset */
    uint32_t index;            /* creation order, for stable tie-breaks */
    tacho__shard_t *next;      /* all shards; immutable once published */
    tacho__shard_t *next_free; /* released shards, under the registry lock */
    void *raw;                 /* the allocation the shard was cut from */
    /* [max_pipelines], filled by the writer: inline, so finding a cell is
     * one load. */
    _Atomic(tacho__cell_t *) cells[];
};

/* The shards of one collector. */
typedef struct tacho__shard_set {
    uint64_t id; /* never reused, so a stale thread cache never matches */
    /* What pipelines compare the thread cache with: `id`, or
     * TACHO__NO_FAST_ID when the process uses fences (the fast path then
     * never runs; see the comment at the top). */
    uint64_t fast_id;
    bool fence; /* W2/R2 are fences: fixed for the set's life */
    /* Set by the collector before any record; every shard copies them. */
    const _Atomic int64_t *now;
    const tacho__bounds_t *bounds;
    uint32_t max_pipelines;
    uint32_t recent_capacity;
    _Atomic(tacho__shard_t *) head;
    tacho__shard_t *free_list; /* under the registry lock */
    uint32_t shard_count;      /* under the registry lock */
    struct tacho__shard_set *reg_prev, *reg_next;
} tacho__shard_set_t;

#define TACHO__NO_FAST_ID UINT64_MAX

/* The calling thread's last used shard. */
typedef struct tacho__tls_cache {
    uint64_t id;
    tacho__shard_t *shard;
} tacho__tls_cache_t;

extern _Thread_local tacho__tls_cache_t tacho__tls TACHO__HIDDEN
    __attribute__((tls_model("initial-exec")));
/* Nonzero when the process uses fences instead of membarrier. */
extern _Atomic int tacho__sync_fence TACHO__HIDDEN;

/* Registers `set` (id assigned here) so exiting threads can give their
 * shards back. Returns 0. */
int tacho__shard_set_init(tacho__shard_set_t *set, uint32_t max_pipelines,
                          uint32_t recent_capacity);
/* Unregisters `set` and frees all its shards and cells. No thread may be
 * recording into it. */
void tacho__shard_set_destroy(tacho__shard_set_t *set);

/* Slow path: the calling thread's shard of `set`, adopting a released one
 * or creating one. NULL on allocation failure. */
tacho__shard_t *tacho__shard_acquire(tacho__shard_set_t *set);

/* The calling thread's shard of `set`. */
static inline tacho__shard_t *tacho__shard_get(tacho__shard_set_t *set)
{
    if (tacho__tls.id == set->id) {
        return tacho__tls.shard;
    }
    return tacho__shard_acquire(set);
}

/* Slow path: allocates the calling thread's cell for `pipe`. */
tacho__cell_t *tacho__shard_add_cell(tacho__shard_t *sh, uint32_t pipe);

/* Writer: starts the shard's next record (its number is returned in
 * *rec); returns the buffer of `cell` to write. `fence` is the set's mode,
 * a constant at each call site. */
static inline tacho__buf_t *tacho__shard_enter(tacho__shard_t *sh,
                                               tacho__cell_t *cell, bool fence,
                                               uint64_t *rec)
{
    /* Only this thread stores seq, so a relaxed load reads its own last
     * store. */
    uint64_t s = atomic_load_explicit(&sh->seq, memory_order_relaxed) + 1;
    *rec = (s + 1) / 2;
    atomic_store_explicit(&sh->seq, s, TACHO__ORDER_ENTER);
#ifndef TACHO_TSAN
    if (fence) {
        atomic_thread_fence(memory_order_seq_cst);
    } else {
        atomic_signal_fence(memory_order_seq_cst);
    }
#else
    (void)fence;
#endif
    size_t off = atomic_load_explicit(&sh->active, TACHO__ORDER_ACTIVE);
    return (tacho__buf_t *)((char *)cell + off);
}

/* Writer: ends record number `rec`, publishing its stores. */
static inline void tacho__shard_leave(tacho__shard_t *sh, uint64_t rec)
{
    atomic_store_explicit(&sh->seq, 2 * rec, memory_order_release);
}

/* Reader callback: merge `buf` (recorded into pipeline `pipe`). The flip
 * clears the buffer afterwards. */
typedef void (*tacho__merge_fn)(void *arg, uint32_t pipe,
                                const tacho__buf_t *buf);

/* Reader (serialised by the caller): flips every shard, waits out records
 * in flight, then hands each non-empty taken buffer of pipelines
 * [0, npipes) to `fn` and clears it. Without `wait`, a shard whose record
 * is still in flight after a brief spin is left stalled (see the top):
 * its buffer is merged by a later flip, whole. */
void tacho__shards_flip(tacho__shard_set_t *set, uint32_t npipes,
                        tacho__merge_fn fn, void *arg, bool wait);

/* Reader: makes every record merged so far invisible in the recent rings
 * (used by reset). */
void tacho__shards_cut_recent(tacho__shard_set_t *set);

/* Reader: copies the recent rings (records newer than the last reset)
 * into a new array sorted newest first and keeps at most `keep`. Returns 0 or
 * TACHO_ENOMEM; free *out with tacho_free(). */
int tacho__shards_recent(tacho__shard_set_t *set, size_t keep,
                         tacho__recent_item_t **out, size_t *n);

/* Test hook: uses seq_cst fences instead of membarrier (or back). Returns
 * TACHO_EBUSY while any collector exists. */
int tacho__sync_set_fence_mode(bool fence);

#endif /* TACHO_SHARD_H */
