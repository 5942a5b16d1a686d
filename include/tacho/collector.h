/*
 * tacho: the core collector.
 *
 * A collector records every execution of a worker's jobs (pipeline name,
 * duration, outcome) and turns the records into immutable snapshots
 * (snapshot.h). Recording is lock-free and allocation-free in the steady
 * state, and may be called from any number of threads at once.
 */
#ifndef TACHO_COLLECTOR_H
#define TACHO_COLLECTOR_H

#include <tacho/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tacho_collector tacho_collector_t;
/* A pipeline handle: looked up once, recorded into many times. Owned by its
 * collector and valid until tacho_collector_free(). */
typedef struct tacho_pipeline tacho_pipeline_t;
typedef struct tacho_snapshot tacho_snapshot_t;

/* Name of the pipeline that counts executions beyond max_pipelines. */
#define TACHO_OVERFLOW_PIPELINE "other"

/* Limits and defaults of the options below. */
#define TACHO_DEFAULT_MAX_PIPELINES 256
#define TACHO_MAX_MAX_PIPELINES 65536
#define TACHO_DEFAULT_WINDOW_SECONDS 3600
#define TACHO_MIN_WINDOW_SECONDS 60
#define TACHO_MAX_WINDOW_SECONDS 86400
#define TACHO_DEFAULT_RECENT_CAPACITY 1000
#define TACHO_MAX_RECENT_CAPACITY 1000000
#define TACHO_MAX_PIPELINE_NAME 255 /* longer names are truncated */
#define TACHO_MAX_BUCKETS 32        /* histogram bucket bounds */

/*
 * Collector options. Start from TACHO_COLLECTOR_OPTIONS_INIT: it stores the
 * struct's size (so the library never reads past what the caller has) and
 * leaves every other field zero, and zero always means "the default".
 * The struct only grows at the end.
 */
typedef struct tacho_collector_options {
    size_t struct_size;
    /* Worker id shown in snapshots; copied. NULL/"" means the host name. */
    const char *worker_id;
    /* Distinct pipelines kept, the overflow pipeline included. Default 256. */
    uint32_t max_pipelines;
    /* Sliding window length in seconds, 60..86400. Default 3600. */
    uint32_t window_seconds;
    /* Recent executions kept. Default 1000. */
    uint32_t recent_capacity;
    /* Histogram bucket upper bounds in nanoseconds, strictly increasing,
     * at most TACHO_MAX_BUCKETS; copied. NULL means the defaults
     * (5 ms .. 1 h, see docs/METRICS.md). Counts per bucket are exact. */
    const uint64_t *bucket_bounds_ns;
    size_t bucket_count;
} tacho_collector_options_t;

#define TACHO_COLLECTOR_OPTIONS_INIT                                           \
    {.struct_size = sizeof(tacho_collector_options_t)}

/*
 * Creates a collector. `opts` may be NULL for all defaults.
 * Returns 0, or TACHO_EINVAL (bad option, explained in `err`) or
 * TACHO_ENOMEM. On failure `*out` is NULL and nothing is left behind.
 * Ownership: `*out` is the caller's; free it with tacho_collector_free().
 * Thread-safety: any thread. The collector starts one small clock thread.
 */
TACHO_EXTERN int tacho_collector_create(const tacho_collector_options_t *opts,
                                        tacho_collector_t **out,
                                        tacho_error_t *err);

/* Frees the collector and every pipeline handle. Accepts NULL. No thread
 * may be recording into it or hold one of its snapshots' borrowed data
 * (snapshots themselves are self-contained and stay valid). */
TACHO_EXTERN void tacho_collector_free(tacho_collector_t *c);

/*
 * Looks up (creating on first use) the pipeline `name`. Past max_pipelines
 * distinct names this returns the overflow pipeline "other". A byte of
 * `name` that is not part of well-formed UTF-8 counts as U+FFFD, as every
 * sink shows it, and the name is kept to TACHO_MAX_PIPELINE_NAME bytes.
 * Returns NULL only on allocation failure or a NULL/empty name.
 * Ownership: borrows `name` (copied on first use); the handle is owned by
 * the collector. Thread-safety: any thread; lock-free for known names.
 */
TACHO_EXTERN tacho_pipeline_t *tacho_pipeline_get(tacho_collector_t *c,
                                                  const char *name);

/* The pipeline's name; owned by the collector. */
TACHO_EXTERN const char *tacho_pipeline_name(const tacho_pipeline_t *p);

/*
 * Records one execution of a known duration. The hot path: no lock, no
 * system call, no allocation once this thread has recorded into this
 * pipeline before. Thread-safety: any thread.
 */
TACHO_EXTERN void tacho_pipeline_record(tacho_pipeline_t *p,
                                        uint64_t duration_ns, bool ok);

/*
 * Records by name: tacho_pipeline_get() then tacho_pipeline_record().
 * Returns 0, TACHO_EINVAL (NULL/empty name) or TACHO_ENOMEM.
 * Thread-safety: any thread.
 */
TACHO_EXTERN int tacho_record(tacho_collector_t *c, const char *pipeline,
                              uint64_t duration_ns, bool ok);

/* A run being timed: returned by tacho_run_begin(), passed to
 * tacho_run_end(). A plain value; copy it freely. */
typedef struct tacho_run {
    tacho_pipeline_t *pipeline;
    uint64_t start_ns; /* CLOCK_MONOTONIC */
} tacho_run_t;

/* Starts timing a run of `p` with CLOCK_MONOTONIC. */
TACHO_EXTERN tacho_run_t tacho_run_begin(tacho_pipeline_t *p);

/* Ends a run: records it with the elapsed time and returns that time in
 * nanoseconds. */
TACHO_EXTERN uint64_t tacho_run_end(tacho_run_t run, bool ok);

/* Current CLOCK_MONOTONIC time in nanoseconds. */
TACHO_EXTERN uint64_t tacho_now_ns(void);

/*
 * Sets every counter, histogram, window and the recent ring back to zero and
 * restarts the collector's start time (so uptime and runs per hour describe
 * the period since the reset). Pipelines stay known; handles stay valid.
 * Records racing with the reset land on one side of it, never lost half.
 * Thread-safety: any thread.
 */
TACHO_EXTERN void tacho_collector_reset(tacho_collector_t *c);

/*
 * Takes an immutable, self-contained snapshot of everything recorded so far:
 * every record whose call has returned is in it. It waits for records in
 * flight on other threads (a few nanoseconds, unless such a thread is
 * descheduled mid-record). Returns 0 or TACHO_ENOMEM. Ownership: `*out` is the caller's; free it
 * with tacho_snapshot_free(). It does not refer to the collector and may
 * outlive it. Thread-safety: any thread, while others record.
 */
TACHO_EXTERN int tacho_snapshot_take(tacho_collector_t *c,
                                     tacho_snapshot_t **out);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_COLLECTOR_H */
