/*
 * The sliding window: current slot accumulators, the ring of sparse full
 * slots and the running totals.
 */
#include "window.h"

#include <string.h>

#include <tacho/common.h>

int tacho__window_init(tacho__window_t *w, uint32_t max_pipelines)
{
    memset(w, 0, sizeof *w);
    w->pipes = tacho_calloc(max_pipelines, sizeof w->pipes[0]);
    w->max = max_pipelines;
    return w->pipes == NULL ? TACHO_ENOMEM : 0;
}

void tacho__window_destroy(tacho__window_t *w)
{
    for (size_t i = 0; i < TACHO__WINDOW_SLOTS - 1; i++) {
        tacho_free(w->ring[i].pipes);
        tacho_free(w->ring[i].bidx);
        tacho_free(w->ring[i].bcnt);
    }
    tacho_free(w->pipes);
    memset(w, 0, sizeof *w);
}

int tacho__wpipe_init(tacho__wpipe_t *wp)
{
    memset(wp, 0, sizeof *wp);
    wp->running_hist = tacho_calloc(TACHO__HIST_BUCKETS, sizeof(uint64_t));
    wp->current_hist = tacho_calloc(TACHO__HIST_BUCKETS, sizeof(uint64_t));
    if (wp->running_hist == NULL || wp->current_hist == NULL) {
        tacho__wpipe_destroy(wp);
        return TACHO_ENOMEM;
    }
    return 0;
}

void tacho__wpipe_destroy(tacho__wpipe_t *wp)
{
    tacho_free(wp->running_hist);
    tacho_free(wp->current_hist);
    wp->running_hist = NULL;
    wp->current_hist = NULL;
}

void tacho__window_attach(tacho__window_t *w, uint32_t idx, tacho__wpipe_t *wp)
{
    w->pipes[idx] = wp;
}

static void sums_add(tacho__wsums_t *d, const tacho__wsums_t *s)
{
    d->succeeded += s->succeeded;
    d->failed += s->failed;
    d->sum += s->sum;
}

static void sums_sub(tacho__wsums_t *d, const tacho__wsums_t *s)
{
    d->succeeded -= s->succeeded;
    d->failed -= s->failed;
    d->sum -= s->sum;
}

void tacho__wpipe_add(tacho__wpipe_t *wp, const tacho__buf_t *b)
{
    tacho__wsums_t s = {b->succeeded, b->failed, b->sum};
    sums_add(&wp->current, &s);
    sums_add(&wp->running, &s);
    tacho__hist_add(wp->current_hist, b->hist, b->octaves);
    tacho__hist_add(wp->running_hist, b->hist, b->octaves);
    wp->current_oct |= b->octaves;
    wp->running_oct |= b->octaves;
}

static size_t nonzero(const uint64_t *h, uint64_t mask)
{
    size_t n = 0;
    while (mask != 0) {
        unsigned o = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        for (unsigned k = 0; k < TACHO__HIST_SUB; k++) {
            n += h[o * TACHO__HIST_SUB + k] != 0;
        }
    }
    return n;
}

/* Grows the slot's arrays to hold `np` pipelines and `nb` buckets. */
static int slot_reserve(tacho__wslot_t *s, size_t np, size_t nb)
{
    if (np > s->cap_pipes) {
        void *p = tacho_realloc(s->pipes, np * sizeof s->pipes[0]);
        if (p == NULL) {
            return TACHO_ENOMEM;
        }
        s->pipes = p;
        s->cap_pipes = np;
    }
    if (nb > s->cap_b) {
        void *i = tacho_realloc(s->bidx, nb * sizeof s->bidx[0]);
        if (i == NULL) {
            return TACHO_ENOMEM;
        }
        s->bidx = i;
        void *c = tacho_realloc(s->bcnt, nb * sizeof s->bcnt[0]);
        if (c == NULL) {
            return TACHO_ENOMEM;
        }
        s->bcnt = c;
        s->cap_b = nb;
    }
    return 0;
}

/* Subtracts a full slot from the running totals and empties it. */
static void slot_evict(tacho__window_t *w, tacho__wslot_t *s)
{
    for (size_t i = 0; i < s->npipes; i++) {
        const tacho__wslot_pipe_t *sp = &s->pipes[i];
        tacho__wpipe_t *wp = w->pipes[sp->pipe];
        sums_sub(&wp->running, &sp->sums);
        for (uint32_t k = sp->first; k < sp->first + sp->n; k++) {
            wp->running_hist[s->bidx[k]] -= s->bcnt[k];
        }
    }
    s->npipes = 0;
    s->nb = 0;
}

/* Moves one pipeline's current accumulator into slot `s`. */
static void slot_take(tacho__wslot_t *s, uint32_t idx, tacho__wpipe_t *wp)
{
    tacho__wslot_pipe_t *sp = &s->pipes[s->npipes++];
    sp->pipe = idx;
    sp->first = (uint32_t)s->nb;
    sp->sums = wp->current;
    uint64_t mask = wp->current_oct;
    while (mask != 0) {
        unsigned o = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        uint64_t *h = wp->current_hist + (size_t)o * TACHO__HIST_SUB;
        for (unsigned k = 0; k < TACHO__HIST_SUB; k++) {
            if (h[k] != 0) {
                s->bidx[s->nb] = (uint16_t)(o * TACHO__HIST_SUB + k);
                s->bcnt[s->nb++] = h[k];
            }
        }
        memset(h, 0, TACHO__HIST_SUB * sizeof h[0]);
    }
    sp->n = (uint32_t)(s->nb - sp->first);
    memset(&wp->current, 0, sizeof wp->current);
    wp->current_oct = 0;
}

int tacho__window_tick(tacho__window_t *w, uint32_t npipes)
{
    size_t np = 0;
    size_t nb = 0;
    for (uint32_t i = 0; i < npipes; i++) {
        tacho__wpipe_t *wp = w->pipes[i];
        if (wp != NULL && wp->current.succeeded + wp->current.failed != 0) {
            np++;
            nb += nonzero(wp->current_hist, wp->current_oct);
        }
    }
    tacho__wslot_t *s = &w->ring[w->next];
    if (slot_reserve(s, np, nb) != 0) {
        return TACHO_ENOMEM;
    }
    slot_evict(w, s); /* empty unless the ring is full */
    for (uint32_t i = 0; i < npipes; i++) {
        tacho__wpipe_t *wp = w->pipes[i];
        if (wp != NULL && wp->current.succeeded + wp->current.failed != 0) {
            slot_take(s, i, wp);
        }
    }
    w->next = (w->next + 1) % (TACHO__WINDOW_SLOTS - 1);
    if (w->filled < TACHO__WINDOW_SLOTS - 1) {
        w->filled++;
    }
    return 0;
}

void tacho__window_reset(tacho__window_t *w, uint32_t npipes)
{
    for (size_t i = 0; i < TACHO__WINDOW_SLOTS - 1; i++) {
        w->ring[i].npipes = 0;
        w->ring[i].nb = 0;
    }
    w->next = 0;
    w->filled = 0;
    for (uint32_t i = 0; i < npipes; i++) {
        tacho__wpipe_t *wp = w->pipes[i];
        if (wp != NULL) {
            memset(wp->running_hist, 0,
                   TACHO__HIST_BUCKETS * sizeof wp->running_hist[0]);
            memset(wp->current_hist, 0,
                   TACHO__HIST_BUCKETS * sizeof wp->current_hist[0]);
            memset(&wp->running, 0, sizeof wp->running);
            memset(&wp->current, 0, sizeof wp->current);
            wp->running_oct = 0;
            wp->current_oct = 0;
        }
    }
}
