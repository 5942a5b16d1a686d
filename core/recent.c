/*
 * Reading the recent-execution rings: a consistent copy of each entry,
 * and the merge of all shards newest first.
 */
#include "recent.h"

#include <stdlib.h>

#include <tacho/common.h>

int tacho__recent_init(tacho__recent_t *r, uint32_t cap)
{
    r->e = tacho_calloc(cap, sizeof r->e[0]);
    r->cap = cap;
    r->pos = 0;
    return r->e == NULL ? TACHO_ENOMEM : 0;
}

void tacho__recent_destroy(tacho__recent_t *r)
{
    tacho_free(r->e);
    r->e = NULL;
}

/* Copies one entry; false when it is empty, busy or changed meanwhile.
 * The field loads are acquires, so the second load of `rec` cannot be
 * satisfied before them: a field rewritten under us makes it differ. */
static bool read_entry(tacho__recent_entry_t *e, tacho__recent_item_t *it)
{
    uint64_t rec = atomic_load_explicit(&e->rec, memory_order_acquire);
    if (rec == 0) {
        return false;
    }
    it->time_ns = atomic_load_explicit(&e->time_ns, memory_order_acquire);
    it->duration_ns =
        atomic_load_explicit(&e->duration_ns, memory_order_acquire);
    uint32_t po = atomic_load_explicit(&e->pipe_ok, memory_order_acquire);
    if (atomic_load_explicit(&e->rec, memory_order_relaxed) != rec) {
        return false;
    }
    it->rec = rec;
    it->pipeline = po >> 1;
    it->ok = (po & 1u) != 0;
    return true;
}

size_t tacho__recent_collect(const tacho__recent_t *r, uint64_t floor,
                             uint64_t upto, uint32_t shard,
                             tacho__recent_item_t *out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->cap; i++) {
        tacho__recent_item_t it;
        if (read_entry(&r->e[i], &it) && it.rec > floor && it.rec <= upto) {
            it.shard = shard;
            out[n++] = it;
        }
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
