/*
 * Private: the body of a snapshot, shared by snapshot.c (building) and
 * snapshot_stats.c (accessors). Never seen outside core/.
 */
#ifndef TACHO_SNAPSHOT_TYPES_H
#define TACHO_SNAPSHOT_TYPES_H

#include <tacho/snapshot.h>

#include "histogram.h"

/* The quantiles every renderer asks for (p50, p90, p95, p99, p999):
 * tacho__snapshot_quantiles, in this order. */
#define TACHO__QUANTILES 5
extern const double tacho__snapshot_quantiles[TACHO__QUANTILES];

/* Figures of one scope (lifetime or window). */
typedef struct figs {
    uint64_t succeeded;
    uint64_t failed;
    uint64_t sum;
    uint64_t min; /* meaningful when runs > 0 */
    uint64_t max;
    tacho__sparse_t hist;
    /* The values of tacho__snapshot_quantiles, worked out once while the
     * snapshot is built (tacho__figs_quantiles), as every sink renders
     * them; meaningful when the histogram has counts. */
    double quantile[TACHO__QUANTILES];
} figs_t;

struct tacho_stats {
    const tacho_snapshot_t *snap;
    char *name;
    bool overflow;
    uint32_t pipe; /* collector index, while building */
    figs_t fig[2]; /* by tacho_scope_t */
    int64_t last_ns;
    uint64_t *le_cum; /* [snap->bound_count] */
};

struct tacho_sink_stats {
    char *name;
    char *plugin;
    char *last_error;
    uint64_t writes;
    uint64_t errors;
    uint64_t retries;
    uint64_t skipped;
    uint64_t last_write_duration_ns;
    int64_t last_success_ns;
    bool busy;
    bool up;
};

struct tacho_snapshot {
    int64_t timestamp_ns;
    int64_t start_ns;
    uint64_t uptime_ns;
    char *worker;
    uint32_t window_seconds;
    size_t bound_count;
    uint64_t bounds[TACHO_MAX_BUCKETS];
    tacho_stats_t total;
    tacho_stats_t *pipes;
    size_t npipes;
    tacho_execution_t *recent;
    size_t nrecent;
    tacho_sink_stats_t *sinks;
    size_t nsinks;
};

/* Fills f->quantile from the histogram, min and max of `f`, which must
 * be final. */
void tacho__figs_quantiles(figs_t *f);

/* Orders stats by name (byte order); used to sort and to search. */
int tacho__stats_by_name(const void *a, const void *b);

#endif /* TACHO_SNAPSHOT_TYPES_H */
