/*
 * Snapshots: built from the collector's reader-side totals under its
 * reader lock, then immutable and self-contained (every string and
 * histogram is copied), read through accessors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "snapshot_internal.h"
#include "snapshot_types.h"

/* ---- freeing ------------------------------------------------------------- */

static void stats_free(tacho_stats_t *st)
{
    tacho_free(st->name);
    tacho_free(st->le_cum);
    tacho__sparse_free(&st->fig[0].hist);
    tacho__sparse_free(&st->fig[1].hist);
}

static void sinks_free(tacho_sink_stats_t *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        tacho_free(v[i].name);
        tacho_free(v[i].plugin);
        tacho_free(v[i].last_error);
    }
    tacho_free(v);
}

void tacho_snapshot_free(tacho_snapshot_t *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; s->pipes != NULL && i < s->npipes; i++) {
        stats_free(&s->pipes[i]);
    }
    tacho_free(s->pipes);
    stats_free(&s->total);
    tacho_free(s->recent);
    sinks_free(s->sinks, s->nsinks);
    tacho_free(s->worker);
    tacho_free(s);
}

/* ---- building ------------------------------------------------------------ */

/* Window min and max come from the histogram: the middles of the lowest
 * and highest buckets, kept within the lifetime's exact range (which holds
 * every window value) and on either side of the exact average, so
 * min <= avg <= max holds and each stays within 1% of the exact value. */
static void window_extremes(figs_t *w, const figs_t *life)
{
    uint64_t runs = w->succeeded + w->failed;
    if (runs == 0 || w->hist.n == 0) {
        return;
    }
    double avg = (double)w->sum / (double)runs;
    double lo = tacho__hist_mid(w->hist.idx[0]);
    double hi = tacho__hist_mid(w->hist.idx[w->hist.n - 1]);
    lo = lo > avg ? floor(avg) : lo;
    hi = hi < avg ? ceil(avg) : hi;
    /* Compared as doubles: near 2^64 the average rounds up past
     * UINT64_MAX, and converting that back is undefined. */
    w->min = lo <= (double)life->min ? life->min : (uint64_t)lo;
    w->max = hi >= (double)life->max ? life->max : (uint64_t)hi;
}

static int le_cumulate(tacho_stats_t *st, const uint64_t *le, size_t n)
{
    st->le_cum = tacho_calloc(n == 0 ? 1 : n, sizeof st->le_cum[0]);
    if (st->le_cum == NULL) {
        return TACHO_ENOMEM;
    }
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += le[i];
        st->le_cum[i] = acc;
    }
    return 0;
}

static int stats_from_pipeline(tacho_stats_t *st, const tacho_pipeline_t *p,
                               const tacho_snapshot_t *snap)
{
    const tacho__life_t *l = &p->life;
    const tacho__wpipe_t *w = &p->win;
    st->snap = snap;
    st->pipe = p->index;
    st->overflow = p->overflow;
    st->last_ns = l->last_ns;
    st->fig[0] = (figs_t){.succeeded = l->succeeded,
                          .failed = l->failed,
                          .sum = l->sum,
                          .min = l->min,
                          .max = l->max};
    st->fig[1] = (figs_t){.succeeded = w->running.succeeded,
                          .failed = w->running.failed,
                          .sum = w->running.sum};
    st->name = tacho_strdup(p->key.name);
    if (st->name == NULL || le_cumulate(st, l->le, snap->bound_count) != 0 ||
        tacho__sparse_from_dense(&st->fig[0].hist, l->hist, l->octaves) != 0 ||
        tacho__sparse_from_dense(&st->fig[1].hist, w->running_hist,
                                 w->running_oct) != 0) {
        return TACHO_ENOMEM;
    }
    window_extremes(&st->fig[1], &st->fig[0]);
    tacho__figs_quantiles(&st->fig[0]);
    tacho__figs_quantiles(&st->fig[1]);
    return 0;
}

int tacho__stats_by_name(const void *a, const void *b)
{
    const tacho_stats_t *x = a;
    const tacho_stats_t *y = b;
    return strcmp(x->name, y->name);
}

static int add_pipelines(tacho_snapshot_t *s, tacho_collector_t *c)
{
    uint32_t n = atomic_load_explicit(&c->npipes, memory_order_acquire);
    size_t used = 0;
    for (uint32_t i = 0; i < n; i++) {
        used += c->pipes[i]->life.succeeded + c->pipes[i]->life.failed != 0;
    }
    s->pipes = tacho_calloc(used == 0 ? 1 : used, sizeof s->pipes[0]);
    if (s->pipes == NULL) {
        return TACHO_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        const tacho_pipeline_t *p = c->pipes[i];
        if (p->life.succeeded + p->life.failed == 0) {
            continue;
        }
        /* Counted before filling, so a failure frees what was filled. */
        s->npipes++;
        if (stats_from_pipeline(&s->pipes[s->npipes - 1], p, s) != 0) {
            return TACHO_ENOMEM;
        }
    }
    qsort(s->pipes, s->npipes, sizeof s->pipes[0], tacho__stats_by_name);
    return 0;
}

/* Adds one scope of every pipeline into the total's scope `k`. */
static int total_scope(tacho_snapshot_t *s, int k, uint64_t *dense)
{
    figs_t *t = &s->total.fig[k];
    t->min = UINT64_MAX;
    memset(dense, 0, TACHO__HIST_BUCKETS * sizeof dense[0]);
    uint64_t mask = 0;
    for (size_t i = 0; i < s->npipes; i++) {
        const figs_t *f = &s->pipes[i].fig[k];
        t->succeeded += f->succeeded;
        t->failed += f->failed;
        t->sum += f->sum;
        if (f->succeeded + f->failed != 0) {
            t->min = f->min < t->min ? f->min : t->min;
            t->max = f->max > t->max ? f->max : t->max;
        }
        mask |= tacho__sparse_add_to(&f->hist, dense);
    }
    return tacho__sparse_from_dense(&t->hist, dense, mask);
}

static int add_total(tacho_snapshot_t *s)
{
    tacho_stats_t *t = &s->total;
    t->snap = s;
    t->name = tacho_strdup("");
    uint64_t *dense = tacho_malloc(TACHO__HIST_BUCKETS * sizeof dense[0]);
    int rc = t->name == NULL || dense == NULL ? TACHO_ENOMEM : 0;
    if (rc == 0) {
        rc = total_scope(s, TACHO_SCOPE_LIFETIME, dense);
    }
    if (rc == 0) {
        rc = total_scope(s, TACHO_SCOPE_WINDOW, dense);
        window_extremes(&t->fig[1], &t->fig[0]);
        tacho__figs_quantiles(&t->fig[0]);
        tacho__figs_quantiles(&t->fig[1]);
    }
    tacho_free(dense);
    if (rc == 0) {
        t->le_cum = tacho_calloc(s->bound_count + 1, sizeof t->le_cum[0]);
        rc = t->le_cum == NULL ? TACHO_ENOMEM : 0;
    }
    /* Pipeline by pipeline, so each one's counts are read in order. */
    for (size_t p = 0; rc == 0 && p < s->npipes; p++) {
        const uint64_t *le = s->pipes[p].le_cum;
        for (size_t i = 0; i < s->bound_count; i++) {
            t->le_cum[i] += le[i];
        }
    }
    for (size_t i = 0; i < s->npipes; i++) {
        if (s->pipes[i].last_ns > t->last_ns || i == 0) {
            t->last_ns = s->pipes[i].last_ns;
        }
    }
    return rc;
}

/* The recent executions, newest first, naming the snapshot's own copies
 * of the pipeline names. */
static int add_recent(tacho_snapshot_t *s, tacho_collector_t *c)
{
    tacho__recent_item_t *items;
    size_t n;
    if (tacho__shards_recent(&c->shards, c->recent_capacity, &items, &n) != 0) {
        return TACHO_ENOMEM;
    }
    uint32_t npipes = atomic_load_explicit(&c->npipes, memory_order_acquire);
    const char **names = tacho_calloc(npipes, sizeof names[0]);
    s->recent = tacho_calloc(n == 0 ? 1 : n, sizeof s->recent[0]);
    int rc = names == NULL || s->recent == NULL ? TACHO_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < s->npipes; i++) {
        names[s->pipes[i].pipe] = s->pipes[i].name;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* Every merged record counts in its pipeline, so the name is
         * there; the check only guards against a broken invariant. */
        const char *name =
            items[i].pipeline < npipes ? names[items[i].pipeline] : NULL;
        if (name != NULL) {
            s->recent[s->nrecent++] = (tacho_execution_t){
                items[i].time_ns, name, items[i].duration_ns, items[i].ok};
        }
    }
    tacho_free(names);
    tacho_free(items);
    return rc;
}

int tacho__snapshot_build(tacho_collector_t *c, int64_t now_ns,
                          tacho_snapshot_t **out)
{
    tacho_snapshot_t *s = tacho_calloc(1, sizeof *s);
    if (s == NULL) {
        return TACHO_ENOMEM;
    }
    s->timestamp_ns = now_ns;
    s->start_ns = c->start_ns;
    s->uptime_ns = now_ns > c->start_ns ? (uint64_t)(now_ns - c->start_ns) : 0;
    s->window_seconds = c->window_seconds;
    s->bound_count = c->bounds.count;
    memcpy(s->bounds, c->bounds.ns, s->bound_count * sizeof s->bounds[0]);
    s->worker = tacho_strdup(c->worker);
    if (s->worker == NULL || add_pipelines(s, c) != 0 || add_total(s) != 0 ||
        add_recent(s, c) != 0) {
        tacho_snapshot_free(s);
        return TACHO_ENOMEM;
    }
    *out = s;
    return 0;
}

int tacho__snapshot_set_sinks(tacho_snapshot_t *s,
                              const tacho__sink_health_t *health, size_t n)
{
    tacho_sink_stats_t *v = tacho_calloc(n == 0 ? 1 : n, sizeof v[0]);
    if (v == NULL) {
        return TACHO_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const tacho__sink_health_t *h = &health[i];
        v[i] = (tacho_sink_stats_t){NULL,
                                    NULL,
                                    NULL,
                                    h->writes,
                                    h->errors,
                                    h->retries,
                                    h->skipped,
                                    h->last_write_duration_ns,
                                    h->last_success_ns,
                                    h->busy,
                                    h->up};
        v[i].name = tacho_strdup(h->name != NULL ? h->name : "");
        v[i].plugin = tacho_strdup(h->plugin != NULL ? h->plugin : "");
        v[i].last_error =
            tacho_strdup(h->last_error != NULL ? h->last_error : "");
        if (v[i].name == NULL || v[i].plugin == NULL ||
            v[i].last_error == NULL) {
            sinks_free(v, i + 1);
            return TACHO_ENOMEM;
        }
    }
    sinks_free(s->sinks, s->nsinks);
    s->sinks = v;
    s->nsinks = n;
    return 0;
}
