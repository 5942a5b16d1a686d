/*
 * The csv sink's rows: RFC 4180 fields separated by commas, rows ended by
 * LF. Numbers are formatted with integer arithmetic, never printf's %f,
 * so a program that sets a locale with a decimal comma cannot break the
 * columns. docs/plugins/csv.md describes every column.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "csv_sink.h"

static const char header_line[] =
    "timestamp,worker,pipeline,runs,succeeded,failed,success_ratio,"
    "error_ratio,runs_per_hour,window_runs,window_succeeded,window_failed,"
    "window_runs_per_hour,duration_sum_seconds,duration_min_seconds,"
    "duration_avg_seconds,duration_max_seconds,p50_seconds,p90_seconds,"
    "p95_seconds,p99_seconds,p999_seconds,last_run_time\n";

/* The quantiles of the p*_seconds columns, in header order. */
static const double quantiles[] = {0.5, 0.9, 0.95, 0.99, 0.999};

const char *csv_header(void)
{
    return header_line;
}

size_t csv_header_len(void)
{
    return sizeof header_line - 1;
}

/* ---- the buffer ---------------------------------------------------------- */

void csv_buf_append(csv_buf_t *b, const char *s, size_t n)
{
    if (b->failed) {
        return;
    }
    if (b->cap - b->len < n) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        while (cap - b->len < n) {
            cap *= 2;
        }
        char *data = tacho_realloc(b->data, cap);
        if (data == NULL) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void csv_buf_free(csv_buf_t *b)
{
    tacho_free(b->data);
    memset(b, 0, sizeof *b);
}

static void put(csv_buf_t *b, const char *s)
{
    csv_buf_append(b, s, strlen(s));
}

/* ---- fields -------------------------------------------------------------- */

/* A free-text field (worker id, pipeline name). Quoted, with quotes
 * doubled, when it holds a comma, a quote, CR or LF (RFC 4180, 2.6-2.7);
 * other bytes, UTF-8 included, pass through untouched. */
static void put_text(csv_buf_t *b, const char *s)
{
    csv_buf_append(b, ",", 1);
    if (strpbrk(s, ",\"\r\n") == NULL) {
        put(b, s);
        return;
    }
    csv_buf_append(b, "\"", 1);
    for (const char *q = strchr(s, '"'); q != NULL; q = strchr(s, '"')) {
        csv_buf_append(b, s, (size_t)(q - s) + 1);
        csv_buf_append(b, "\"", 1);
        s = q + 1;
    }
    put(b, s);
    csv_buf_append(b, "\"", 1);
}

static void put_u64(csv_buf_t *b, uint64_t v)
{
    char text[32];
    snprintf(text, sizeof text, ",%" PRIu64, v);
    put(b, text);
}

/* Nanoseconds as seconds, exactly: up to nine decimals, trailing zeros
 * dropped ("0.25", "3"). */
static void put_seconds(csv_buf_t *b, uint64_t ns)
{
    char text[48];
    int n = snprintf(text, sizeof text, ",%" PRIu64 ".%09" PRIu64,
                     ns / 1000000000u, ns % 1000000000u);
    while (n > 0 && text[n - 1] == '0') {
        n--;
    }
    if (n > 0 && text[n - 1] == '.') {
        n--;
    }
    csv_buf_append(b, text, (size_t)n);
}

/* A non-negative value with a fixed number of decimals (at most 6). */
static void put_fixed(csv_buf_t *b, double v, unsigned decimals)
{
    static const uint64_t scales[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    uint64_t scale = scales[decimals];
    double scaled = v * (double)scale + 0.5;
    char text[64];
    if (!(scaled >= 0.0) || scaled >= 1.8e19) {
        /* Negative, NaN or beyond 64 bits: no meaning, so no value. */
        snprintf(text, sizeof text, ",");
    } else {
        uint64_t x = (uint64_t)scaled;
        snprintf(text, sizeof text, ",%" PRIu64 ".%0*" PRIu64, x / scale,
                 (int)decimals, x % scale);
    }
    put(b, text);
}

/* A duration given as double nanoseconds, rounded to whole nanoseconds. */
static void put_seconds_approx(csv_buf_t *b, double ns)
{
    if (!(ns >= 0.0) || ns >= 1.8e19) {
        csv_buf_append(b, ",", 1);
        return;
    }
    put_seconds(b, (uint64_t)(ns + 0.5));
}

static void put_time(csv_buf_t *b, int64_t unix_ns)
{
    char text[TACHO_RFC3339_TEXT_MAX];
    if (tacho_format_rfc3339(unix_ns, text, sizeof text) < 0) {
        text[0] = '\0';
    }
    put(b, text);
}

/* ---- rows ---------------------------------------------------------------- */

static void put_counts(csv_buf_t *b, const tacho_stats_t *st,
                       tacho_scope_t scope)
{
    put_u64(b, tacho_stats_runs(st, scope));
    put_u64(b, tacho_stats_succeeded(st, scope));
    put_u64(b, tacho_stats_failed(st, scope));
}

static void put_rate(csv_buf_t *b, const tacho_stats_t *st, tacho_scope_t scope)
{
    double v;
    if (tacho_stats_runs_per_hour(st, scope, &v)) {
        put_fixed(b, v, 3);
    } else {
        csv_buf_append(b, ",", 1);
    }
}

static void put_ratios(csv_buf_t *b, const tacho_stats_t *st)
{
    double v;
    if (tacho_stats_success_ratio(st, TACHO_SCOPE_LIFETIME, &v)) {
        put_fixed(b, v, 6);
    } else {
        csv_buf_append(b, ",", 1);
    }
    if (tacho_stats_error_ratio(st, TACHO_SCOPE_LIFETIME, &v)) {
        put_fixed(b, v, 6);
    } else {
        csv_buf_append(b, ",", 1);
    }
}

static void put_durations(csv_buf_t *b, const tacho_stats_t *st)
{
    const tacho_scope_t life = TACHO_SCOPE_LIFETIME;
    put_seconds(b, tacho_stats_duration_sum_ns(st, life));
    uint64_t ns;
    double v;
    if (tacho_stats_min_ns(st, life, &ns)) {
        put_seconds(b, ns);
    } else {
        csv_buf_append(b, ",", 1);
    }
    if (tacho_stats_avg_ns(st, life, &v)) {
        put_seconds_approx(b, v);
    } else {
        csv_buf_append(b, ",", 1);
    }
    if (tacho_stats_max_ns(st, life, &ns)) {
        put_seconds(b, ns);
    } else {
        csv_buf_append(b, ",", 1);
    }
    for (size_t i = 0; i < sizeof quantiles / sizeof quantiles[0]; i++) {
        if (tacho_stats_quantile_ns(st, life, quantiles[i], &v)) {
            put_seconds_approx(b, v);
        } else {
            csv_buf_append(b, ",", 1);
        }
    }
}

static void put_row(csv_buf_t *b, const tacho_snapshot_t *snap,
                    const tacho_stats_t *st)
{
    put_time(b, tacho_snapshot_timestamp_ns(snap));
    put_text(b, tacho_snapshot_worker(snap));
    put_text(b, tacho_stats_name(st));
    put_counts(b, st, TACHO_SCOPE_LIFETIME);
    put_ratios(b, st);
    put_rate(b, st, TACHO_SCOPE_LIFETIME);
    put_counts(b, st, TACHO_SCOPE_WINDOW);
    put_rate(b, st, TACHO_SCOPE_WINDOW);
    put_durations(b, st);
    int64_t last;
    csv_buf_append(b, ",", 1);
    if (tacho_stats_last_run_ns(st, &last)) {
        put_time(b, last);
    }
    csv_buf_append(b, "\n", 1);
}

int csv_format_rows(csv_buf_t *b, const tacho_snapshot_t *snap)
{
    put_row(b, snap, tacho_snapshot_total(snap));
    size_t n = tacho_snapshot_pipeline_count(snap);
    for (size_t i = 0; i < n; i++) {
        put_row(b, snap, tacho_snapshot_pipeline(snap, i));
    }
    return b->failed ? TACHO_ENOMEM : 0;
}
