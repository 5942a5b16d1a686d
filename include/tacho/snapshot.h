/*
 * tacho: immutable snapshots and their accessors.
 *
 * A snapshot is a consistent picture of a collector at one moment: for each
 * pipeline and for all pipelines together, runs = succeeded + failed, the
 * histogram counts add up to the runs, and min <= avg <= max. All data is
 * reached through accessors, so fields can be added without an ABI break.
 * Every pointer an accessor returns is borrowed from the snapshot and valid
 * until tacho_snapshot_free(). Snapshots are read-only: any number of threads
 * may read one at once.
 */
#ifndef TACHO_SNAPSHOT_H
#define TACHO_SNAPSHOT_H

#include <tacho/collector.h>
#include <tacho/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Figures of one pipeline, or of all pipelines together. */
typedef struct tacho_stats tacho_stats_t;
/* Health of one sink instance (present when the snapshot came from a host). */
typedef struct tacho_sink_stats tacho_sink_stats_t;

/* Frees a snapshot. Accepts NULL. */
TACHO_EXTERN void tacho_snapshot_free(tacho_snapshot_t *s);

/* When the snapshot was taken, Unix time in nanoseconds. */
TACHO_EXTERN int64_t tacho_snapshot_timestamp_ns(const tacho_snapshot_t *s);
/* When the collector started (or was last reset), Unix ns. */
TACHO_EXTERN int64_t tacho_snapshot_start_time_ns(const tacho_snapshot_t *s);
/* Time between start and this snapshot, in nanoseconds. */
TACHO_EXTERN uint64_t tacho_snapshot_uptime_ns(const tacho_snapshot_t *s);
/* The worker id. */
TACHO_EXTERN const char *tacho_snapshot_worker(const tacho_snapshot_t *s);
/* The sliding window length in seconds. */
TACHO_EXTERN uint32_t tacho_snapshot_window_seconds(const tacho_snapshot_t *s);

/* All pipelines together; never NULL. Its name is "" */
TACHO_EXTERN const tacho_stats_t *tacho_snapshot_total(const tacho_snapshot_t *s);
/* Pipelines that have recorded at least one run, sorted by name. The
 * overflow pipeline, when used, is among them. */
TACHO_EXTERN size_t tacho_snapshot_pipeline_count(const tacho_snapshot_t *s);
/* The i-th pipeline, or NULL when i is out of range. */
TACHO_EXTERN const tacho_stats_t *tacho_snapshot_pipeline(const tacho_snapshot_t *s,
                                                          size_t i);
/* The pipeline called `name`, or NULL. */
TACHO_EXTERN const tacho_stats_t *tacho_snapshot_find(const tacho_snapshot_t *s,
                                                      const char *name);

/* ---- per-pipeline / total figures ------------------------------------ */

/* Duration scope: since start (lifetime) or over the sliding window. */
typedef enum tacho_scope {
    TACHO_SCOPE_LIFETIME = 0,
    TACHO_SCOPE_WINDOW = 1
} tacho_scope_t;

/* Pipeline name ("" for the total). */
TACHO_EXTERN const char *tacho_stats_name(const tacho_stats_t *st);
/* True for the overflow pipeline "other". */
TACHO_EXTERN bool tacho_stats_is_overflow(const tacho_stats_t *st);

TACHO_EXTERN uint64_t tacho_stats_runs(const tacho_stats_t *st, tacho_scope_t scope);
TACHO_EXTERN uint64_t tacho_stats_succeeded(const tacho_stats_t *st, tacho_scope_t scope);
TACHO_EXTERN uint64_t tacho_stats_failed(const tacho_stats_t *st, tacho_scope_t scope);

/* Sum of durations, ns. */
TACHO_EXTERN uint64_t tacho_stats_duration_sum_ns(const tacho_stats_t *st,
                                                  tacho_scope_t scope);

/*
 * Optional values: each returns false and leaves `*out` alone when the value
 * has no meaning yet (no runs, or zero uptime), so nobody ever sees NaN.
 */
/* Exact min / max duration, ns (lifetime; window min/max are within 1%). */
TACHO_EXTERN bool tacho_stats_min_ns(const tacho_stats_t *st, tacho_scope_t scope,
                                     uint64_t *out);
TACHO_EXTERN bool tacho_stats_max_ns(const tacho_stats_t *st, tacho_scope_t scope,
                                     uint64_t *out);
TACHO_EXTERN bool tacho_stats_avg_ns(const tacho_stats_t *st, tacho_scope_t scope,
                                     double *out);
/* Ratios in 0..1. */
TACHO_EXTERN bool tacho_stats_success_ratio(const tacho_stats_t *st,
                                            tacho_scope_t scope, double *out);
TACHO_EXTERN bool tacho_stats_error_ratio(const tacho_stats_t *st,
                                          tacho_scope_t scope, double *out);
/* Lifetime: runs / uptime in hours (false at zero uptime).
 * Window: runs in the window * 3600 / window seconds, so with the default
 * one-hour window it is exactly the runs of the last hour. */
TACHO_EXTERN bool tacho_stats_runs_per_hour(const tacho_stats_t *st,
                                            tacho_scope_t scope, double *out);
/* Duration quantile q in (0, 1], ns, within 1% of the exact value. */
TACHO_EXTERN bool tacho_stats_quantile_ns(const tacho_stats_t *st,
                                          tacho_scope_t scope, double q,
                                          double *out);
/* Wall-clock time of the last run, Unix ns (false if none). */
TACHO_EXTERN bool tacho_stats_last_run_ns(const tacho_stats_t *st, int64_t *out);

/* Histogram buckets (exact counts, lifetime): the collector's bounds. */
TACHO_EXTERN size_t tacho_stats_bucket_count(const tacho_stats_t *st);
/* Upper bound of bucket i in ns (i < bucket_count). */
TACHO_EXTERN uint64_t tacho_stats_bucket_bound_ns(const tacho_stats_t *st, size_t i);
/* Runs with duration <= bound i (cumulative, as Prometheus `le`). Runs above
 * the last bound count only in tacho_stats_runs(). */
TACHO_EXTERN uint64_t tacho_stats_bucket_cumulative(const tacho_stats_t *st,
                                                    size_t i);

/* ---- recent executions ------------------------------------------------ */

/* One execution from the recent ring. Fields only ever get added at the
 * end; `pipeline` is borrowed from the snapshot. */
typedef struct tacho_execution {
    int64_t time_ns;      /* Unix ns when it was recorded (its end) */
    const char *pipeline; /* borrowed */
    uint64_t duration_ns;
    bool ok;
} tacho_execution_t;

/* Number of recent executions held, at most recent_capacity. */
TACHO_EXTERN size_t tacho_snapshot_recent_count(const tacho_snapshot_t *s);
/* The i-th most recent execution (0 = newest). Returns 0 or TACHO_EINVAL. */
TACHO_EXTERN int tacho_snapshot_recent(const tacho_snapshot_t *s, size_t i,
                                       tacho_execution_t *out);

/* ---- sink health (snapshots taken through a host) --------------------- */

TACHO_EXTERN size_t tacho_snapshot_sink_count(const tacho_snapshot_t *s);
TACHO_EXTERN const tacho_sink_stats_t *tacho_snapshot_sink(const tacho_snapshot_t *s,
                                                           size_t i);

/* Instance name (config `name`, default the plugin name). */
TACHO_EXTERN const char *tacho_sink_stats_name(const tacho_sink_stats_t *ss);
/* Plugin name, e.g. "csv". */
TACHO_EXTERN const char *tacho_sink_stats_plugin(const tacho_sink_stats_t *ss);
/* Writes that returned OK / ERROR (RETRY attempts count in retries). */
TACHO_EXTERN uint64_t tacho_sink_stats_writes(const tacho_sink_stats_t *ss);
TACHO_EXTERN uint64_t tacho_sink_stats_errors(const tacho_sink_stats_t *ss);
TACHO_EXTERN uint64_t tacho_sink_stats_retries(const tacho_sink_stats_t *ss);
/* Snapshots replaced in the mailbox before the sink could take them. */
TACHO_EXTERN uint64_t tacho_sink_stats_skipped(const tacho_sink_stats_t *ss);
/* Duration of the last completed write, ns (0 if none). */
TACHO_EXTERN uint64_t tacho_sink_stats_last_write_duration_ns(const tacho_sink_stats_t *ss);
/* Unix ns of the last successful write (0 if none). */
TACHO_EXTERN int64_t tacho_sink_stats_last_success_ns(const tacho_sink_stats_t *ss);
/* Text of the last error, "" if none. */
TACHO_EXTERN const char *tacho_sink_stats_last_error(const tacho_sink_stats_t *ss);
/* True when a write has been running longer than the interval (stuck). */
TACHO_EXTERN bool tacho_sink_stats_busy(const tacho_sink_stats_t *ss);
/* True when the sink is running; false when it failed to start (optional
 * sinks) or has stopped. */
TACHO_EXTERN bool tacho_sink_stats_up(const tacho_sink_stats_t *ss);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_SNAPSHOT_H */
