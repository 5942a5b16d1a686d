/*
 * The replaced system's `worker.metrics` fields, kept exact so its clients
 * can switch to tacho without a change (docs/METRICS.md, "Legacy fields";
 * docs/schema/tacho-legacy-metrics.json).
 *
 * Where a figure has no meaning yet (no runs, zero uptime) the old system
 * answered 0 rather than null, and so does this shape; schema 1 answers
 * null.
 */
#include <tacho/json.h>

#include "json_internal.h"

#define NS_PER_MS 1e6
#define NS_PER_SECOND 1000000000u

/* An optional ratio in 0..1 as a percentage, 0 when it has no meaning. */
static double percent_or_zero(bool has, double ratio)
{
    return has ? ratio * 100.0 : 0.0;
}

/* min, avg and max in milliseconds, each 0 when there are no runs. */
static void add_execution_times(tacho__jb_t *b, json_object *obj,
                                const tacho_stats_t *total)
{
    double avg = 0;
    uint64_t min = 0;
    uint64_t max = 0;
    bool has_avg = tacho_stats_avg_ns(total, TACHO_SCOPE_LIFETIME, &avg);
    bool has_min = tacho_stats_min_ns(total, TACHO_SCOPE_LIFETIME, &min);
    bool has_max = tacho_stats_max_ns(total, TACHO_SCOPE_LIFETIME, &max);
    tacho__jb_number(b, obj, "avgExecutionTime",
                     has_avg ? avg / NS_PER_MS : 0.0);
    tacho__jb_number(b, obj, "minExecutionTime",
                     has_min ? (double)min / NS_PER_MS : 0.0);
    tacho__jb_number(b, obj, "maxExecutionTime",
                     has_max ? (double)max / NS_PER_MS : 0.0);
}

static void add_rates(tacho__jb_t *b, json_object *obj,
                      const tacho_stats_t *total)
{
    double ratio = 0;
    bool has = tacho_stats_success_ratio(total, TACHO_SCOPE_LIFETIME, &ratio);
    tacho__jb_number(b, obj, "successRate", percent_or_zero(has, ratio));
    has = tacho_stats_error_ratio(total, TACHO_SCOPE_LIFETIME, &ratio);
    tacho__jb_number(b, obj, "errorRate", percent_or_zero(has, ratio));
    double per_hour = 0;
    has = tacho_stats_runs_per_hour(total, TACHO_SCOPE_LIFETIME, &per_hour);
    tacho__jb_number(b, obj, "runsPerHour", has ? per_hour : 0.0);
}

/* The fields, in the order the old system wrote them. */
static void add_legacy(tacho__jb_t *b, json_object *obj,
                       const tacho_snapshot_t *s)
{
    const tacho_stats_t *total = tacho_snapshot_total(s);
    tacho__jb_uptime_text(b, obj, "uptime", s);
    tacho__jb_uint(b, obj, "uptimeSeconds",
                   tacho_snapshot_uptime_ns(s) / NS_PER_SECOND);
    tacho__jb_uint(b, obj, "totalRuns",
                   tacho_stats_runs(total, TACHO_SCOPE_LIFETIME));
    add_rates(b, obj, total);
    add_execution_times(b, obj, total);
    tacho__jb_uint(b, obj, "succeeded",
                   tacho_stats_succeeded(total, TACHO_SCOPE_LIFETIME));
    tacho__jb_uint(b, obj, "failed",
                   tacho_stats_failed(total, TACHO_SCOPE_LIFETIME));
    tacho__jb_time(b, obj, "workerStartTime", tacho_snapshot_start_time_ns(s));
    int64_t last = 0;
    if (tacho_stats_last_run_ns(total, &last)) {
        tacho__jb_time(b, obj, "lastRunTime", last);
    } else {
        tacho__jb_null(b, obj, "lastRunTime");
    }
    tacho__jb_time(b, obj, "timestamp", tacho_snapshot_timestamp_ns(s));
}

int tacho_json_render_legacy(const tacho_snapshot_t *s, unsigned flags,
                             char **out, size_t *len)
{
    if (out == NULL) {
        return TACHO_EINVAL;
    }
    *out = NULL;
    if (s == NULL) {
        return TACHO_EINVAL;
    }
    tacho__jb_t b;
    json_object *root = tacho__jb_begin(&b);
    json_object *data = root;
    if (flags & TACHO_JSON_TRPC_ENVELOPE) {
        /* The tRPC response shape the old endpoint was served in. */
        json_object *result = tacho__jb_object(&b, root, "result");
        data = tacho__jb_object(&b, result, "data");
    }
    add_legacy(&b, data, s);
    return tacho__jb_finish(&b, root, flags, out, len);
}
