/*
 * Renders a snapshot as Prometheus text format 0.0.4 or OpenMetrics 1.0.
 *
 * The two differ in a few places only: OpenMetrics names a counter family
 * without its `_total` suffix, has an `info` type, `# UNIT` lines and ends
 * with `# EOF`. Every sample carries the worker label and the constant
 * labels; pipeline names (arbitrary bytes) are escaped once per render and
 * reused by every family.
 */
#include "prometheus.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tacho/version.h>

typedef enum kind { GAUGE, COUNTER, HISTOGRAM, SUMMARY, INFO } kind_t;

typedef struct render {
    const tacho_snapshot_t *snap;
    const tacho__prom_format_t *fmt;
    tacho__prom_scratch_t *scratch;
    tacho__http_buf_t *out;
} render_t;

static const double quantiles[] = {0.5, 0.9, 0.95, 0.99, 0.999};

/* ---- escaping and names ------------------------------------------------- */

/* Length of the valid UTF-8 sequence at `p`, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    /* The second byte's range rules out overlong forms, surrogates and
     * code points past U+10FFFF. */
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    for (size_t i = 1; i < n; i++) {
        unsigned char b = p[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
            return 0;
        }
    }
    return n;
}

void tacho__prom_escape(tacho__http_buf_t *out, const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    while (*p != '\0') {
        size_t n = utf8_len(p);
        if (n == 0) {
            tacho__http_buf_add(out, "\xEF\xBF\xBD", 3);
            p++;
        } else if (*p == '\\' || *p == '"') {
            char esc[2] = {'\\', (char)*p};
            tacho__http_buf_add(out, esc, 2);
            p++;
        } else if (*p == '\n') {
            tacho__http_buf_add(out, "\\n", 2);
            p++;
        } else {
            tacho__http_buf_add(out, p, n);
            p += n;
        }
    }
}

static bool name_char(char c, bool first, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

bool tacho__prom_valid_prefix(const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!name_char(s[i], i == 0, true)) {
            return false;
        }
    }
    return true;
}

bool tacho__prom_valid_label(const char *s)
{
    if (s[0] == '\0' || strncmp(s, "__", 2) == 0) {
        return false;
    }
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!name_char(s[i], i == 0, false)) {
            return false;
        }
    }
    return true;
}

/* ---- numbers ------------------------------------------------------------ */

/* The shortest text that reads back as the same double. */
static void put_double(tacho__http_buf_t *out, double v)
{
    if (isinf(v)) {
        tacho__http_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char text[40];
    snprintf(text, sizeof(text), "%.15g", v);
    if (strtod(text, NULL) != v) {
        snprintf(text, sizeof(text), "%.17g", v);
    }
    tacho__http_buf_puts(out, text);
}

/* Label values `le` and `quantile` in OpenMetrics' canonical form, which
 * always shows a fraction ("1.0", not "1"). */
static void put_canonical(tacho__http_buf_t *out, double v)
{
    size_t start = out->len;
    put_double(out, v);
    if (!out->failed && strpbrk(out->data + start, ".eI") == NULL) {
        tacho__http_buf_puts(out, ".0");
    }
}

/* Nanoseconds as exact decimal seconds: "1.5", "0.000001", "3". */
static void put_ns(tacho__http_buf_t *out, int64_t ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char frac[16];
    snprintf(frac, sizeof(frac), "%09" PRIu64, mag % 1000000000u);
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0') {
        frac[--n] = '\0';
    }
    tacho__http_buf_printf(out, "%s%" PRIu64 "%s%s", ns < 0 ? "-" : "",
                           mag / 1000000000u, n > 0 ? "." : "", frac);
}

/* ---- families and samples ----------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Writes the HELP/TYPE (and UNIT) lines of a family. `name` has no
 * `_total` for counters and no `_info` for info. */
static void family(render_t *r, const char *name, kind_t kind, const char *help)
{
    static const char *const types[] = {"gauge", "counter", "histogram",
                                        "summary", "info"};
    const char *prefix = r->fmt->prefix;
    const char *suffix = "";
    const char *type = types[kind];
    if (!r->fmt->openmetrics) {
        suffix = kind == COUNTER ? "_total" : kind == INFO ? "_info" : "";
        type = kind == INFO ? "gauge" : type;
    }
    tacho__http_buf_printf(r->out, "# HELP %s%s%s %s\n# TYPE %s%s%s %s\n",
                           prefix, name, suffix, help, prefix, name, suffix,
                           type);
    if (r->fmt->openmetrics && ends_with(name, "_seconds")) {
        tacho__http_buf_printf(r->out, "# UNIT %s%s seconds\n", prefix, name);
    }
}

/* Starts a sample: name{worker="...",constant labels. */
static void open_sample(render_t *r, const char *name, const char *suffix)
{
    tacho__http_buf_printf(r->out, "%s%s%s{", r->fmt->prefix, name, suffix);
    tacho__http_buf_add(r->out, r->scratch->base.data, r->scratch->base.len);
}

/* Adds a label whose value is already escaped. */
static void label(render_t *r, const char *name, const char *escaped)
{
    tacho__http_buf_printf(r->out, ",%s=\"%s\"", name, escaped);
}

static void close_u64(render_t *r, uint64_t v)
{
    tacho__http_buf_printf(r->out, "} %" PRIu64 "\n", v);
}

static void close_ns(render_t *r, int64_t ns)
{
    tacho__http_buf_puts(r->out, "} ");
    put_ns(r->out, ns);
    tacho__http_buf_puts(r->out, "\n");
}

static void close_double(render_t *r, double v)
{
    tacho__http_buf_puts(r->out, "} ");
    put_double(r->out, v);
    tacho__http_buf_puts(r->out, "\n");
}

/* The escaped name of pipeline i, prepared by escape_names(). */
static const char *pipeline_label(const render_t *r, size_t i)
{
    return r->scratch->names.data + r->scratch->offsets[i];
}

/* ---- the families ------------------------------------------------------- */

static void process_families(render_t *r)
{
    const tacho_snapshot_t *s = r->snap;
    family(r, "build", INFO, "The tacho library serving these metrics.");
    open_sample(r, "build", "_info");
    label(r, "version", tacho_version_string());
    close_u64(r, 1);
    family(r, "start_time_seconds", GAUGE,
           "Unix time the collector started or was last reset.");
    open_sample(r, "start_time_seconds", "");
    close_ns(r, tacho_snapshot_start_time_ns(s));
    family(r, "uptime_seconds", GAUGE, "Seconds since the start time.");
    open_sample(r, "uptime_seconds", "");
    close_ns(r, (int64_t)tacho_snapshot_uptime_ns(s));
    family(r, "window_seconds", GAUGE,
           "Length of the sliding window behind the window_* metrics.");
    open_sample(r, "window_seconds", "");
    close_u64(r, tacho_snapshot_window_seconds(s));
    family(r, "pipelines", GAUGE, "Pipelines that have recorded runs.");
    open_sample(r, "pipelines", "");
    close_u64(r, tacho_snapshot_pipeline_count(s));
}

static void overflow_family(render_t *r)
{
    const tacho_snapshot_t *s = r->snap;
    uint64_t runs = 0;
    for (size_t i = 0; i < tacho_snapshot_pipeline_count(s); i++) {
        const tacho_stats_t *st = tacho_snapshot_pipeline(s, i);
        if (tacho_stats_is_overflow(st)) {
            runs += tacho_stats_runs(st, TACHO_SCOPE_LIFETIME);
        }
    }
    family(r, "pipeline_overflow_runs", COUNTER,
           "Runs counted in the pipeline \"other\" because max_pipelines "
           "names were already in use.");
    open_sample(r, "pipeline_overflow_runs", "_total");
    close_u64(r, runs);
}

typedef uint64_t (*count_fn)(const tacho_stats_t *st, tacho_scope_t scope);

/* One sample per pipeline of a count in one scope. */
static void pipeline_counts(render_t *r, const char *name, kind_t kind,
                            const char *help, count_fn fn, tacho_scope_t sc)
{
    size_t n = tacho_snapshot_pipeline_count(r->snap);
    if (n == 0) {
        return;
    }
    family(r, name, kind, help);
    for (size_t i = 0; i < n; i++) {
        open_sample(r, name, kind == COUNTER ? "_total" : "");
        label(r, "pipeline", pipeline_label(r, i));
        close_u64(r, fn(tacho_snapshot_pipeline(r->snap, i), sc));
    }
}

static void histogram_one(render_t *r, const char *name, size_t i)
{
    const tacho_stats_t *st = tacho_snapshot_pipeline(r->snap, i);
    const char *pipeline = pipeline_label(r, i);
    uint64_t runs = tacho_stats_runs(st, TACHO_SCOPE_LIFETIME);
    for (size_t b = 0; b < tacho_stats_bucket_count(st); b++) {
        open_sample(r, name, "_bucket");
        label(r, "pipeline", pipeline);
        tacho__http_buf_puts(r->out, ",le=\"");
        put_canonical(r->out, (double)tacho_stats_bucket_bound_ns(st, b) / 1e9);
        tacho__http_buf_puts(r->out, "\"");
        close_u64(r, tacho_stats_bucket_cumulative(st, b));
    }
    open_sample(r, name, "_bucket");
    label(r, "pipeline", pipeline);
    label(r, "le", "+Inf");
    close_u64(r, runs);
    open_sample(r, name, "_sum");
    label(r, "pipeline", pipeline);
    close_ns(r, (int64_t)tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME));
    open_sample(r, name, "_count");
    label(r, "pipeline", pipeline);
    close_u64(r, runs);
}

/* Quantiles that have no value yet (an empty window) are left out rather
 * than shown as NaN. */
static void summary_one(render_t *r, const char *name, size_t i)
{
    const tacho_stats_t *st = tacho_snapshot_pipeline(r->snap, i);
    const char *pipeline = pipeline_label(r, i);
    for (size_t q = 0; q < sizeof(quantiles) / sizeof(quantiles[0]); q++) {
        double ns = 0;
        if (!tacho_stats_quantile_ns(st, TACHO_SCOPE_WINDOW, quantiles[q],
                                     &ns)) {
            continue;
        }
        open_sample(r, name, "");
        label(r, "pipeline", pipeline);
        tacho__http_buf_puts(r->out, ",quantile=\"");
        put_canonical(r->out, quantiles[q]);
        tacho__http_buf_puts(r->out, "\"");
        close_double(r, ns / 1e9);
    }
    open_sample(r, name, "_sum");
    label(r, "pipeline", pipeline);
    close_ns(r, (int64_t)tacho_stats_duration_sum_ns(st, TACHO_SCOPE_WINDOW));
    open_sample(r, name, "_count");
    label(r, "pipeline", pipeline);
    close_u64(r, tacho_stats_runs(st, TACHO_SCOPE_WINDOW));
}

static void duration_families(render_t *r)
{
    size_t n = tacho_snapshot_pipeline_count(r->snap);
    if (n == 0) {
        return;
    }
    family(r, "run_duration_seconds", HISTOGRAM,
           "Run durations since start, in the collector's buckets.");
    for (size_t i = 0; i < n; i++) {
        histogram_one(r, "run_duration_seconds", i);
    }
    family(r, "run_duration_window_seconds", SUMMARY,
           "Run durations over the sliding window (quantiles within 1%).");
    for (size_t i = 0; i < n; i++) {
        summary_one(r, "run_duration_window_seconds", i);
    }
    family(r, "last_run_timestamp_seconds", GAUGE,
           "Unix time the pipeline's last run was recorded.");
    for (size_t i = 0; i < n; i++) {
        int64_t last = 0;
        if (tacho_stats_last_run_ns(tacho_snapshot_pipeline(r->snap, i),
                                    &last)) {
            open_sample(r, "last_run_timestamp_seconds", "");
            label(r, "pipeline", pipeline_label(r, i));
            close_ns(r, last);
        }
    }
}

static void pipeline_families(render_t *r)
{
    pipeline_counts(r, "runs", COUNTER, "Runs recorded since start.",
                    tacho_stats_runs, TACHO_SCOPE_LIFETIME);
    pipeline_counts(r, "runs_succeeded", COUNTER,
                    "Runs that succeeded since start.", tacho_stats_succeeded,
                    TACHO_SCOPE_LIFETIME);
    pipeline_counts(r, "runs_failed", COUNTER, "Runs that failed since start.",
                    tacho_stats_failed, TACHO_SCOPE_LIFETIME);
    pipeline_counts(r, "window_runs", GAUGE, "Runs in the sliding window.",
                    tacho_stats_runs, TACHO_SCOPE_WINDOW);
    pipeline_counts(r, "window_runs_failed", GAUGE,
                    "Failed runs in the sliding window.", tacho_stats_failed,
                    TACHO_SCOPE_WINDOW);
    duration_families(r);
}

/* ---- sink health -------------------------------------------------------- */

typedef enum sink_value {
    SINK_WRITES,
    SINK_ERRORS,
    SINK_RETRIES,
    SINK_SKIPPED,
    SINK_DURATION,
    SINK_SUCCESS,
    SINK_UP,
    SINK_BUSY
} sink_value_t;

static const struct {
    const char *name;
    kind_t kind;
    const char *help;
} sink_families[] = {
    {"sink_writes", COUNTER, "Snapshots a sink delivered."},
    {"sink_errors", COUNTER, "Snapshots a sink failed to deliver."},
    {"sink_retries", COUNTER, "Deliveries a sink asked to retry."},
    {"sink_skipped", COUNTER,
     "Snapshots replaced before a busy sink could take them."},
    {"sink_last_write_duration_seconds", GAUGE,
     "Duration of a sink's last completed write."},
    {"sink_last_success_timestamp_seconds", GAUGE,
     "Unix time of a sink's last successful write."},
    {"sink_up", GAUGE, "1 while a sink runs, 0 when it failed or stopped."},
    {"sink_busy", GAUGE, "1 while a sink's write has run past the interval."},
};

/* Writes the value that closes a sink sample. */
static void sink_value(render_t *r, const tacho_sink_stats_t *ss,
                       sink_value_t v)
{
    switch (v) {
    case SINK_WRITES:
        close_u64(r, tacho_sink_stats_writes(ss));
        break;
    case SINK_ERRORS:
        close_u64(r, tacho_sink_stats_errors(ss));
        break;
    case SINK_RETRIES:
        close_u64(r, tacho_sink_stats_retries(ss));
        break;
    case SINK_SKIPPED:
        close_u64(r, tacho_sink_stats_skipped(ss));
        break;
    case SINK_DURATION:
        close_ns(r, (int64_t)tacho_sink_stats_last_write_duration_ns(ss));
        break;
    case SINK_SUCCESS:
        close_ns(r, tacho_sink_stats_last_success_ns(ss));
        break;
    case SINK_UP:
        close_u64(r, tacho_sink_stats_up(ss));
        break;
    case SINK_BUSY:
        close_u64(r, tacho_sink_stats_busy(ss));
        break;
    }
}

static void sink_sample(render_t *r, const tacho_sink_stats_t *ss,
                        sink_value_t v)
{
    const char *name = sink_families[v].name;
    open_sample(r, name, sink_families[v].kind == COUNTER ? "_total" : "");
    tacho__http_buf_puts(r->out, ",sink=\"");
    tacho__prom_escape(r->out, tacho_sink_stats_name(ss));
    tacho__http_buf_puts(r->out, "\",plugin=\"");
    tacho__prom_escape(r->out, tacho_sink_stats_plugin(ss));
    tacho__http_buf_puts(r->out, "\"");
    sink_value(r, ss, v);
}

/* A sink that never succeeded has no last-success sample (rather than a
 * timestamp of 1970). */
static void sink_families_render(render_t *r)
{
    size_t n = tacho_snapshot_sink_count(r->snap);
    if (n == 0) {
        return;
    }
    for (int v = SINK_WRITES; v <= SINK_BUSY; v++) {
        family(r, sink_families[v].name, sink_families[v].kind,
               sink_families[v].help);
        for (size_t i = 0; i < n; i++) {
            const tacho_sink_stats_t *ss = tacho_snapshot_sink(r->snap, i);
            if (v != SINK_SUCCESS || tacho_sink_stats_last_success_ns(ss) > 0) {
                sink_sample(r, ss, (sink_value_t)v);
            }
        }
    }
}

/* ---- the render ---------------------------------------------------------- */

/* Escapes the worker label and every pipeline name once per render. */
static void prepare(render_t *r)
{
    tacho__prom_scratch_t *sc = r->scratch;
    tacho__http_buf_reset(&sc->base);
    tacho__http_buf_puts(&sc->base, "worker=\"");
    tacho__prom_escape(&sc->base, tacho_snapshot_worker(r->snap));
    tacho__http_buf_puts(&sc->base, "\"");
    tacho__http_buf_puts(&sc->base, r->fmt->const_labels);
    size_t n = tacho_snapshot_pipeline_count(r->snap);
    if (n > sc->offsets_cap) {
        size_t *p = tacho_realloc(sc->offsets, n * sizeof(*p));
        if (p == NULL) {
            r->out->failed = true;
            return;
        }
        sc->offsets = p;
        sc->offsets_cap = n;
    }
    tacho__http_buf_reset(&sc->names);
    for (size_t i = 0; i < n; i++) {
        sc->offsets[i] = sc->names.len;
        tacho__prom_escape(
            &sc->names, tacho_stats_name(tacho_snapshot_pipeline(r->snap, i)));
        tacho__http_buf_add(&sc->names, "", 1);
    }
    if (sc->base.failed || sc->names.failed) {
        r->out->failed = true;
    }
}

void tacho__prom_render(const tacho_snapshot_t *s,
                        const tacho__prom_format_t *fmt,
                        tacho__prom_scratch_t *scratch, tacho__http_buf_t *out)
{
    render_t r = {s, fmt, scratch, out};
    prepare(&r);
    if (out->failed) {
        return;
    }
    process_families(&r);
    overflow_family(&r);
    pipeline_families(&r);
    sink_families_render(&r);
    if (fmt->openmetrics) {
        tacho__http_buf_puts(out, "# EOF\n");
    }
}

void tacho__prom_scratch_free(tacho__prom_scratch_t *scratch)
{
    tacho__http_buf_free(&scratch->base);
    tacho__http_buf_free(&scratch->names);
    tacho_free(scratch->offsets);
    *scratch = (tacho__prom_scratch_t){0};
}
