/*
 * Per-thread shards: finding the calling thread's shard, giving it back
 * when the thread exits, and the reader's flip (the protocol is explained
 * in shard.h).
 */
#include "shard.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tacho/common.h>

_Thread_local tacho__tls_cache_t tacho__tls
    __attribute__((tls_model("initial-exec")));
_Atomic int tacho__sync_fence;

/* Every live shard set, so a thread exiting after its collector was freed
 * finds nothing and touches nothing. Also serialises shard ownership. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static tacho__shard_set_t *registry;
static uint64_t next_set_id = 1; /* under registry_lock */
#ifndef TACHO_TSAN
static bool membarrier_ready; /* under registry_lock */
#endif

/* The shards a thread holds, one per collector it recorded into; handed
 * back by the pthread key's destructor. */
typedef struct held {
    size_t n, cap;
    struct {
        uint64_t id;
        tacho__shard_t *shard;
    } * v;
} held_t;

static pthread_key_t held_key;
static pthread_once_t held_once = PTHREAD_ONCE_INIT;
static bool held_key_ok;

static tacho__shard_set_t *registry_find(uint64_t id)
{
    for (tacho__shard_set_t *s = registry; s != NULL; s = s->reg_next) {
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

static void release_shards(void *arg)
{
    held_t *h = arg;
    /* A record made later by another key destructor must not hit the cache
     * and write into a shard some other thread may own by then. */
    tacho__tls.id = 0;
    tacho__tls.shard = NULL;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < h->n; i++) {
        tacho__shard_set_t *set = registry_find(h->v[i].id);
        if (set != NULL) {
            h->v[i].shard->next_free = set->free_list;
            set->free_list = h->v[i].shard;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    tacho_free(h->v);
    tacho_free(h);
}

static void make_held_key(void)
{
    held_key_ok = pthread_key_create(&held_key, release_shards) == 0;
}

/* Registering once per process is enough for every collector. Without it
 * (old kernel, seccomp) writers and readers fall back to fences. */
static void setup_membarrier_locked(void)
{
#ifndef TACHO_TSAN
    if (membarrier_ready ||
        atomic_load_explicit(&tacho__sync_fence, memory_order_relaxed)) {
        return;
    }
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
                0) == 0) {
        membarrier_ready = true;
    } else {
        atomic_store_explicit(&tacho__sync_fence, 1, memory_order_relaxed);
    }
#endif
}

int tacho__shard_set_init(tacho__shard_set_t *set, uint32_t max_pipelines,
                          uint32_t recent_capacity)
{
    pthread_once(&held_once, make_held_key);
    memset(set, 0, sizeof *set);
    set->max_pipelines = max_pipelines;
    set->recent_capacity = recent_capacity;
    atomic_init(&set->head, NULL);
    pthread_mutex_lock(&registry_lock);
    setup_membarrier_locked();
    set->id = next_set_id++;
#ifndef TACHO_TSAN
    set->fence = atomic_load_explicit(&tacho__sync_fence, memory_order_relaxed);
#endif
    set->fast_id = set->fence ? TACHO__NO_FAST_ID : set->id;
    set->reg_next = registry;
    if (registry != NULL) {
        registry->reg_prev = set;
    }
    registry = set;
    pthread_mutex_unlock(&registry_lock);
    return 0;
}

/* Zeroed memory for `size` bytes starting on a cache line; *raw gets the
 * allocation to free. */
static void *line_calloc(size_t size, void **raw)
{
    *raw = tacho_calloc(1, size + TACHO__LINE - 1);
    if (*raw == NULL) {
        return NULL;
    }
    uintptr_t p = (uintptr_t)*raw;
    return (void *)((p + TACHO__LINE - 1) & ~(uintptr_t)(TACHO__LINE - 1));
}

static void shard_free(tacho__shard_t *sh, uint32_t npipes)
{
    for (uint32_t i = 0; i < npipes; i++) {
        tacho__cell_t *cell =
            atomic_load_explicit(&sh->cells[i], memory_order_relaxed);
        if (cell != NULL) {
            tacho_free(cell->raw);
        }
    }
    tacho__recent_destroy(&sh->recent);
    tacho_free(sh->raw);
}

void tacho__shard_set_destroy(tacho__shard_set_t *set)
{
    pthread_mutex_lock(&registry_lock);
    if (set->reg_prev != NULL) {
        set->reg_prev->reg_next = set->reg_next;
    } else if (registry == set) {
        registry = set->reg_next;
    }
    if (set->reg_next != NULL) {
        set->reg_next->reg_prev = set->reg_prev;
    }
    pthread_mutex_unlock(&registry_lock);
    tacho__shard_t *sh = atomic_load_explicit(&set->head, memory_order_acquire);
    while (sh != NULL) {
        tacho__shard_t *next = sh->next;
        shard_free(sh, set->max_pipelines);
        sh = next;
    }
    atomic_store_explicit(&set->head, NULL, memory_order_relaxed);
}

static tacho__shard_t *shard_new(tacho__shard_set_t *set)
{
    void *raw;
    tacho__shard_t *sh = line_calloc(
        sizeof *sh + set->max_pipelines * sizeof sh->cells[0], &raw);
    if (sh == NULL) {
        return NULL;
    }
    sh->raw = raw;
    sh->now = set->now;
    sh->bounds = set->bounds;
    if (tacho__recent_init(&sh->recent, set->recent_capacity) != 0) {
        shard_free(sh, 0);
        return NULL;
    }
    sh->index = set->shard_count;
    return sh;
}

/* Records that this thread holds `sh`; prunes entries of freed
 * collectors on the way. Called under the registry lock. */
static int hold(uint64_t id, tacho__shard_t *sh)
{
    held_t *h = held_key_ok ? pthread_getspecific(held_key) : NULL;
    if (h == NULL) {
        h = tacho_calloc(1, sizeof *h);
        if (h == NULL || !held_key_ok ||
            pthread_setspecific(held_key, h) != 0) {
            tacho_free(h);
            return TACHO_ENOMEM;
        }
    }
    size_t keep = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (registry_find(h->v[i].id) != NULL) {
            h->v[keep++] = h->v[i];
        }
    }
    h->n = keep;
    if (h->n == h->cap) {
        size_t cap = h->cap == 0 ? 4 : 2 * h->cap;
        void *v = tacho_realloc(h->v, cap * sizeof h->v[0]);
        if (v == NULL) {
            return TACHO_ENOMEM;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n].id = id;
    h->v[h->n++].shard = sh;
    return 0;
}

static tacho__shard_t *held_lookup(uint64_t id)
{
    held_t *h = held_key_ok ? pthread_getspecific(held_key) : NULL;
    for (size_t i = 0; h != NULL && i < h->n; i++) {
        if (h->v[i].id == id) {
            return h->v[i].shard;
        }
    }
    return NULL;
}

/* Takes a released shard (its data is kept: counts are never lost) or
 * makes a new one. Called under the registry lock. */
static tacho__shard_t *take_shard(tacho__shard_set_t *set)
{
    tacho__shard_t *sh = set->free_list;
    if (sh != NULL) {
        if (hold(set->id, sh) != 0) {
            return NULL;
        }
        set->free_list = sh->next_free;
        return sh;
    }
    sh = shard_new(set);
    if (sh == NULL) {
        return NULL;
    }
    if (hold(set->id, sh) != 0) {
        shard_free(sh, 0);
        return NULL;
    }
    set->shard_count++;
    sh->next = atomic_load_explicit(&set->head, memory_order_relaxed);
    /* Readers walk the list without the lock: publish a complete shard. */
    atomic_store_explicit(&set->head, sh, memory_order_release);
    return sh;
}

tacho__shard_t *tacho__shard_acquire(tacho__shard_set_t *set)
{
    tacho__shard_t *sh = held_lookup(set->id);
    if (sh == NULL) {
        pthread_mutex_lock(&registry_lock);
        sh = take_shard(set);
        pthread_mutex_unlock(&registry_lock);
        if (sh == NULL) {
            return NULL;
        }
    }
    tacho__tls.id = set->id;
    tacho__tls.shard = sh;
    return sh;
}

tacho__cell_t *tacho__shard_add_cell(tacho__shard_t *sh, uint32_t pipe)
{
    void *raw;
    tacho__cell_t *cell = line_calloc(sizeof *cell, &raw);
    if (cell == NULL) {
        return NULL;
    }
    cell->raw = raw;
    cell->buf[0].min = UINT64_MAX;
    cell->buf[1].min = UINT64_MAX;
    /* The reader loads cells with acquire: it sees the initialised cell. */
    atomic_store_explicit(&sh->cells[pipe], cell, memory_order_release);
    return cell;
}

int tacho__sync_set_fence_mode(bool fence)
{
    pthread_mutex_lock(&registry_lock);
    int rc = registry != NULL ? TACHO_EBUSY : 0;
    if (rc == 0) {
        atomic_store_explicit(&tacho__sync_fence, fence ? 1 : 0,
                              memory_order_relaxed);
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

/* R2 of the protocol: after it, every writer either shows its odd seq or
 * reads the new `active`. */
static void reader_barrier(void)
{
#ifdef TACHO_TSAN
    /* The seq_cst accesses themselves order R1 before R3. */
#else
    if (atomic_load_explicit(&tacho__sync_fence, memory_order_relaxed)) {
        atomic_thread_fence(memory_order_seq_cst);
        return;
    }
    while (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) !=
           0) {
        /* Registered at collector creation, so it can only be interrupted;
         * a fence keeps us correct if the kernel ever refuses anyway. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&tacho__sync_fence, memory_order_relaxed)) {
            return;
        }
    }
#endif
}

/* How long a reader spins for a record in flight before it gives up on
 * the shard for this flip. A running writer ends a record within about a
 * hundred nanoseconds; one still inside after 64 pauses (from about 0.5 us
 * on bare metal to 5 us in a VM that traps them) has most likely been
 * descheduled, and waiting for it would tie the reader to the scheduler
 * (tens of milliseconds with more recording threads than CPUs). */
#define SPIN_LIMIT 64

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* The shard's seq once it differs from the odd `s`, or `s` itself if
 * `wait` is false and the record is still in flight after SPIN_LIMIT
 * spins. Acquire: a changed value makes the record's stores visible. */
static uint64_t await_seq(tacho__shard_t *sh, uint64_t s, bool wait)
{
    for (unsigned spins = 0;; spins++) {
        uint64_t now = atomic_load_explicit(&sh->seq, memory_order_acquire);
        if (now != s) {
            return now;
        }
        if (spins < SPIN_LIMIT) {
            cpu_relax();
        } else if (wait) {
            sched_yield();
        } else {
            return s;
        }
    }
}

/* R3: waits (or, without `wait`, spins a little) for the record in flight
 * on `sh`, if any. Returns true when the taken buffer is quiescent, with
 * the number of the last record that could have written it in
 * sh->merged_upto; false leaves the record's odd seq in sh->stalled. */
static bool settle(tacho__shard_t *sh, bool wait)
{
    uint64_t s = atomic_load_explicit(&sh->seq, TACHO__ORDER_ACTIVE);
    if ((s & 1) && await_seq(sh, s, wait) == s) {
        sh->stalled = s;
        return false;
    }
    sh->merged_upto = (s + 1) / 2;
    return true;
}

static void buf_clear(tacho__buf_t *b, size_t nle)
{
    uint64_t mask = b->octaves;
    while (mask != 0) {
        unsigned o = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        memset(b->hist + (size_t)o * TACHO__HIST_SUB, 0,
               TACHO__HIST_SUB * sizeof b->hist[0]);
    }
    memset(b->le, 0, nle * sizeof b->le[0]);
    b->succeeded = 0;
    b->failed = 0;
    b->sum = 0;
    b->min = UINT64_MAX;
    b->max = 0;
    b->last_ns = 0;
    b->octaves = 0;
}

static void merge_shard(tacho__shard_t *sh, uint32_t npipes, tacho__merge_fn fn,
                        void *arg)
{
    for (uint32_t i = 0; i < npipes; i++) {
        tacho__cell_t *cell =
            atomic_load_explicit(&sh->cells[i], memory_order_acquire);
        if (cell == NULL) {
            continue;
        }
        tacho__buf_t *b = (tacho__buf_t *)((char *)cell + sh->flipped);
        if (b->succeeded + b->failed != 0) {
            fn(arg, i, b);
            buf_clear(b, TACHO_MAX_BUCKETS + 1);
        }
    }
}

/* A shard left stalled by an earlier flip: its taken buffer can be merged
 * once the record that held it has ended (every later record of the
 * thread writes the other buffer: that record's odd seq was the latest the
 * reader saw after its barrier). Returns false while it is still inside. */
static bool unstall(tacho__shard_t *sh, uint32_t npipes, tacho__merge_fn fn,
                    void *arg, bool wait)
{
    if (await_seq(sh, sh->stalled, wait) == sh->stalled) {
        return false;
    }
    sh->merged_upto = (sh->stalled + 1) / 2;
    sh->stalled = 0;
    merge_shard(sh, npipes, fn, arg);
    return true;
}

void tacho__shards_flip(tacho__shard_set_t *set, uint32_t npipes,
                        tacho__merge_fn fn, void *arg, bool wait)
{
    /* Shards are pushed at the head, so this list is a stable set. */
    tacho__shard_t *head =
        atomic_load_explicit(&set->head, memory_order_acquire);
    for (tacho__shard_t *sh = head; sh != NULL; sh = sh->next) {
        /* A still stalled shard keeps writing its other buffer: no flip
         * until its taken one is merged and zeroed. */
        sh->flipping = sh->stalled == 0 || unstall(sh, npipes, fn, arg, wait);
        if (!sh->flipping) {
            continue;
        }
        size_t a = atomic_load_explicit(&sh->active, memory_order_relaxed);
        sh->flipped = a;
        atomic_store_explicit(&sh->active, a ^ sizeof(tacho__buf_t),
#ifdef TACHO_TSAN
                              memory_order_seq_cst
#else
                              memory_order_release
#endif
        );
    }
    reader_barrier();
    for (tacho__shard_t *sh = head; sh != NULL; sh = sh->next) {
        if (sh->flipping && settle(sh, wait)) {
            merge_shard(sh, npipes, fn, arg);
        }
    }
    /* The merges gave a descheduled writer time to run again. */
    for (tacho__shard_t *sh = head; sh != NULL; sh = sh->next) {
        if (sh->flipping && sh->stalled != 0) {
            (void)unstall(sh, npipes, fn, arg, false);
        }
    }
}

void tacho__shards_cut_recent(tacho__shard_set_t *set)
{
    tacho__shard_t *head =
        atomic_load_explicit(&set->head, memory_order_acquire);
    for (tacho__shard_t *sh = head; sh != NULL; sh = sh->next) {
        sh->recent_floor = sh->merged_upto;
    }
}

int tacho__shards_recent(tacho__shard_set_t *set, size_t keep,
                         tacho__recent_item_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    tacho__shard_t *head =
        atomic_load_explicit(&set->head, memory_order_acquire);
    size_t room = 0;
    for (tacho__shard_t *sh = head; sh != NULL; sh = sh->next) {
        room += sh->recent.cap;
    }
    if (room == 0) {
        return 0;
    }
    tacho__recent_item_t *items = tacho_malloc(room * sizeof items[0]);
    if (items == NULL) {
        return TACHO_ENOMEM;
    }
    size_t got = 0;
    for (tacho__shard_t *sh = head; sh != NULL; sh = sh->next) {
        /* Records newer than the flip are kept too: under a fast writer
         * the ring holds almost nothing older by the time it is read. */
        got += tacho__recent_collect(&sh->recent, &sh->seq, sh->recent_floor,
                                     sh->index, items + got);
    }
    tacho__recent_sort(items, got);
    *out = items;
    *n = got < keep ? got : keep;
    return 0;
}
