/*
 * Snapshot accessors: the figures of a snapshot, its pipelines, recent
 * executions and sink health. Optional values return false rather than a
 * NaN when they have no meaning.
 */
#include <math.h>
#include <stdlib.h>

#include <tacho/snapshot.h>

#include "snapshot_types.h"

#define NS_PER_HOUR 3600e9

/* ---- snapshot accessors -------------------------------------------------- */

int64_t tacho_snapshot_timestamp_ns(const tacho_snapshot_t *s)
{
    return s->timestamp_ns;
}

int64_t tacho_snapshot_start_time_ns(const tacho_snapshot_t *s)
{
    return s->start_ns;
}

uint64_t tacho_snapshot_uptime_ns(const tacho_snapshot_t *s)
{
    return s->uptime_ns;
}

const char *tacho_snapshot_worker(const tacho_snapshot_t *s)
{
    return s->worker;
}

uint32_t tacho_snapshot_window_seconds(const tacho_snapshot_t *s)
{
    return s->window_seconds;
}

const tacho_stats_t *tacho_snapshot_total(const tacho_snapshot_t *s)
{
    return &s->total;
}

size_t tacho_snapshot_pipeline_count(const tacho_snapshot_t *s)
{
    return s->npipes;
}

const tacho_stats_t *tacho_snapshot_pipeline(const tacho_snapshot_t *s,
                                             size_t i)
{
    return i < s->npipes ? &s->pipes[i] : NULL;
}

const tacho_stats_t *tacho_snapshot_find(const tacho_snapshot_t *s,
                                         const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    tacho_stats_t key = {.name = (char *)name};
    return bsearch(&key, s->pipes, s->npipes, sizeof s->pipes[0],
                   tacho__stats_by_name);
}

size_t tacho_snapshot_recent_count(const tacho_snapshot_t *s)
{
    return s->nrecent;
}

int tacho_snapshot_recent(const tacho_snapshot_t *s, size_t i,
                          tacho_execution_t *out)
{
    if (i >= s->nrecent || out == NULL) {
        return TACHO_EINVAL;
    }
    *out = s->recent[i];
    return 0;
}

size_t tacho_snapshot_sink_count(const tacho_snapshot_t *s)
{
    return s->nsinks;
}

const tacho_sink_stats_t *tacho_snapshot_sink(const tacho_snapshot_t *s,
                                              size_t i)
{
    return i < s->nsinks ? &s->sinks[i] : NULL;
}

/* ---- sink health accessors ----------------------------------------------- */

const char *tacho_sink_stats_name(const tacho_sink_stats_t *ss)
{
    return ss->name;
}

const char *tacho_sink_stats_plugin(const tacho_sink_stats_t *ss)
{
    return ss->plugin;
}

uint64_t tacho_sink_stats_writes(const tacho_sink_stats_t *ss)
{
    return ss->writes;
}

uint64_t tacho_sink_stats_errors(const tacho_sink_stats_t *ss)
{
    return ss->errors;
}

uint64_t tacho_sink_stats_retries(const tacho_sink_stats_t *ss)
{
    return ss->retries;
}

uint64_t tacho_sink_stats_skipped(const tacho_sink_stats_t *ss)
{
    return ss->skipped;
}

uint64_t tacho_sink_stats_last_write_duration_ns(const tacho_sink_stats_t *ss)
{
    return ss->last_write_duration_ns;
}

int64_t tacho_sink_stats_last_success_ns(const tacho_sink_stats_t *ss)
{
    return ss->last_success_ns;
}

const char *tacho_sink_stats_last_error(const tacho_sink_stats_t *ss)
{
    return ss->last_error;
}

bool tacho_sink_stats_busy(const tacho_sink_stats_t *ss)
{
    return ss->busy;
}

bool tacho_sink_stats_up(const tacho_sink_stats_t *ss)
{
    return ss->up;
}

/* ---- stats accessors ----------------------------------------------------- */

/* The scope's figures; an unknown scope reads as the lifetime. */
static const figs_t *scope_figs(const tacho_stats_t *st, tacho_scope_t scope)
{
    return &st->fig[scope == TACHO_SCOPE_WINDOW ? 1 : 0];
}

static uint64_t runs_of(const figs_t *f)
{
    return f->succeeded + f->failed;
}

const char *tacho_stats_name(const tacho_stats_t *st)
{
    return st->name;
}

bool tacho_stats_is_overflow(const tacho_stats_t *st)
{
    return st->overflow;
}

uint64_t tacho_stats_runs(const tacho_stats_t *st, tacho_scope_t scope)
{
    return runs_of(scope_figs(st, scope));
}

uint64_t tacho_stats_succeeded(const tacho_stats_t *st, tacho_scope_t scope)
{
    return scope_figs(st, scope)->succeeded;
}

uint64_t tacho_stats_failed(const tacho_stats_t *st, tacho_scope_t scope)
{
    return scope_figs(st, scope)->failed;
}

uint64_t tacho_stats_duration_sum_ns(const tacho_stats_t *st,
                                     tacho_scope_t scope)
{
    return scope_figs(st, scope)->sum;
}

bool tacho_stats_min_ns(const tacho_stats_t *st, tacho_scope_t scope,
                        uint64_t *out)
{
    const figs_t *f = scope_figs(st, scope);
    if (runs_of(f) == 0) {
        return false;
    }
    *out = f->min;
    return true;
}

bool tacho_stats_max_ns(const tacho_stats_t *st, tacho_scope_t scope,
                        uint64_t *out)
{
    const figs_t *f = scope_figs(st, scope);
    if (runs_of(f) == 0) {
        return false;
    }
    *out = f->max;
    return true;
}

bool tacho_stats_avg_ns(const tacho_stats_t *st, tacho_scope_t scope,
                        double *out)
{
    const figs_t *f = scope_figs(st, scope);
    if (runs_of(f) == 0) {
        return false;
    }
    *out = (double)f->sum / (double)runs_of(f);
    return true;
}

bool tacho_stats_success_ratio(const tacho_stats_t *st, tacho_scope_t scope,
                               double *out)
{
    const figs_t *f = scope_figs(st, scope);
    if (runs_of(f) == 0) {
        return false;
    }
    *out = (double)f->succeeded / (double)runs_of(f);
    return true;
}

bool tacho_stats_error_ratio(const tacho_stats_t *st, tacho_scope_t scope,
                             double *out)
{
    const figs_t *f = scope_figs(st, scope);
    if (runs_of(f) == 0) {
        return false;
    }
    *out = (double)f->failed / (double)runs_of(f);
    return true;
}

bool tacho_stats_runs_per_hour(const tacho_stats_t *st, tacho_scope_t scope,
                               double *out)
{
    double runs = (double)runs_of(scope_figs(st, scope));
    if (scope == TACHO_SCOPE_WINDOW) {
        *out = runs * 3600.0 / (double)st->snap->window_seconds;
        return true;
    }
    if (st->snap->uptime_ns == 0) {
        return false;
    }
    *out = runs * NS_PER_HOUR / (double)st->snap->uptime_ns;
    return true;
}

const double tacho__snapshot_quantiles[TACHO__QUANTILES] = {0.5, 0.9, 0.95,
                                                            0.99, 0.999};

/* The value of rank `rank` (1..n) of one scope's figures: its bucket's
 * middle, kept within the exact min and max. */
static double rank_value(const figs_t *f, uint64_t rank)
{
    double v = tacho__hist_mid(tacho__sparse_rank_bucket(&f->hist, rank));
    v = v < (double)f->min ? (double)f->min : v;
    return v > (double)f->max ? (double)f->max : v;
}

/* The rank of quantile q in (0, 1] of n values: ceil(q * n), as a sorted
 * array's element [ceil(q * n) - 1] would be. */
static uint64_t rank_of(double q, uint64_t n)
{
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    return rank < 1 ? 1 : (rank > n ? n : rank);
}

/* Quantile q of one scope's figures; false when it has no value. */
static bool figs_quantile(const figs_t *f, double q, double *out)
{
    uint64_t n = tacho__sparse_total(&f->hist);
    /* The negated test also turns a NaN q away. */
    if (n == 0 || !(q > 0.0 && q <= 1.0)) {
        return false;
    }
    *out = rank_value(f, rank_of(q, n));
    return true;
}

void tacho__figs_quantiles(figs_t *f)
{
    uint64_t n = tacho__sparse_total(&f->hist);
    uint64_t last = 0;
    for (size_t i = 0; i < TACHO__QUANTILES; i++) {
        /* Neighbouring quantiles often share a rank (p99 and p999 of a
         * few runs): look each rank up once. */
        uint64_t rank = n == 0 ? 0 : rank_of(tacho__snapshot_quantiles[i], n);
        if (rank == 0) {
            f->quantile[i] = 0;
        } else if (i > 0 && rank == last) {
            f->quantile[i] = f->quantile[i - 1];
        } else {
            f->quantile[i] = rank_value(f, rank);
        }
        last = rank;
    }
}

bool tacho_stats_quantile_ns(const tacho_stats_t *st, tacho_scope_t scope,
                             double q, double *out)
{
    const figs_t *f = scope_figs(st, scope);
    /* The quantiles renderers ask for were found while building. */
    for (size_t i = 0; i < TACHO__QUANTILES; i++) {
        if (q == tacho__snapshot_quantiles[i]) {
            if (tacho__sparse_total(&f->hist) == 0) {
                return false;
            }
            *out = f->quantile[i];
            return true;
        }
    }
    return figs_quantile(f, q, out);
}

bool tacho_stats_last_run_ns(const tacho_stats_t *st, int64_t *out)
{
    if (runs_of(&st->fig[0]) == 0) {
        return false;
    }
    *out = st->last_ns;
    return true;
}

size_t tacho_stats_bucket_count(const tacho_stats_t *st)
{
    return st->snap->bound_count;
}

uint64_t tacho_stats_bucket_bound_ns(const tacho_stats_t *st, size_t i)
{
    return i < st->snap->bound_count ? st->snap->bounds[i] : 0;
}

uint64_t tacho_stats_bucket_cumulative(const tacho_stats_t *st, size_t i)
{
    return i < st->snap->bound_count ? st->le_cum[i] : 0;
}
