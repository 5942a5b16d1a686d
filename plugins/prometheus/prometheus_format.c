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

/* Bytes from `p` that need no escaping: printable ASCII other than the
 * backslash and the double quote. */
static size_t plain_run(const unsigned char *p)
{
    size_t n = 0;
    while (p[n] >= 0x20 && p[n] < 0x80 && p[n] != '\\' && p[n] != '"') {
        n++;
    }
    return n;
}

void tacho__prom_escape(tacho__http_buf_t *out, const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    while (*p != '\0') {
        /* Copied in runs: most names are plain ASCII. */
        size_t run = plain_run(p);
        if (run > 0) {
            tacho__http_buf_add(out, p, run);
            p += run;
            continue;
        }
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

#define DOUBLE_TEXT_MAX 40

/* The shortest text that reads back as the same double. */
static void double_text(char *text, double v)
{
    if (isinf(v)) {
        strcpy(text, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    snprintf(text, DOUBLE_TEXT_MAX, "%.15g", v);
    if (strtod(text, NULL) != v) {
        snprintf(text, DOUBLE_TEXT_MAX, "%.17g", v);
    }
}

static void put_double(tacho__http_buf_t *out, double v)
{
    char text[DOUBLE_TEXT_MAX];
    double_text(text, v);
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

/* Room a number written by the functions below may take. */
#define NUMBER_MAX 48

/* "00" .. "99": two digits per division. */
static const char pairs[201] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/* 10^1 .. 10^19: the length of a number by comparisons. */
static const uint64_t pow10_u64[] = {10ull,
                                     100ull,
                                     1000ull,
                                     10000ull,
                                     100000ull,
                                     1000000ull,
                                     10000000ull,
                                     100000000ull,
                                     1000000000ull,
                                     10000000000ull,
                                     100000000000ull,
                                     1000000000000ull,
                                     10000000000000ull,
                                     100000000000000ull,
                                     1000000000000000ull,
                                     10000000000000000ull,
                                     100000000000000000ull,
                                     1000000000000000000ull,
                                     10000000000000000000ull};

/* Writes `v` in decimal at `w` and returns the end: the length first
 * (most values are small), then two digits per division from the end. */
static char *put_digits(char *w, uint64_t v)
{
    size_t n = 1;
    while (n < 20 && v >= pow10_u64[n - 1]) {
        n++;
    }
    char *end = w + n;
    char *p = end;
    while (v >= 100) {
        p -= 2;
        memcpy(p, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        memcpy(p - 2, pairs + 2 * v, 2);
    } else {
        p[-1] = (char)('0' + v);
    }
    return end;
}

/* Writes the eight digits of v < 10^8 (zero-padded) at `w`, in 32-bit
 * arithmetic. */
static void eight_digits(char *w, uint32_t v)
{
    uint32_t hi = v / 10000;
    uint32_t lo = v % 10000;
    memcpy(w, pairs + 2 * (hi / 100), 2);
    memcpy(w + 2, pairs + 2 * (hi % 100), 2);
    memcpy(w + 4, pairs + 2 * (lo / 100), 2);
    memcpy(w + 6, pairs + 2 * (lo % 100), 2);
}

/* Writes the fraction frac / 10^scale (scale 9 or 10) at `w` as '.' and
 * its digits without trailing zeros, or nothing when it is 0; returns the
 * end. */
static char *put_frac(char *w, uint64_t frac, int scale)
{
    if (frac == 0) {
        return w;
    }
    *w++ = '.';
    uint32_t hi = (uint32_t)(frac / 100000000);
    if (scale == 10) {
        memcpy(w, pairs + 2 * hi, 2);
        w += 2;
    } else {
        *w++ = (char)('0' + hi);
    }
    eight_digits(w, (uint32_t)(frac % 100000000));
    w += 8;
    while (w[-1] == '0') {
        w--;
    }
    return w;
}

/* Nanoseconds as exact decimal seconds at `w`; returns the end. */
static char *put_ns_at(char *w, int64_t ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0) {
        *w++ = '-';
    }
    w = put_digits(w, mag / 1000000000u);
    return put_frac(w, mag % 1000000000u, 9);
}

/* A duration in ns (a double) as seconds at `w`. Quantiles are bucket
 * midpoints or exact extremes, so their ns are whole or half: then the
 * exact decimal of ns / 1e9 is written, which a reader turns into the same
 * double as that division (both are correctly rounded); anything else
 * takes the general path. */
static char *put_ns_double_at(char *w, double ns)
{
    double twice = ns * 2;
    if (ns >= 0 && twice < 0x1p60 && twice == (double)(uint64_t)twice) {
        /* ns / 1e9 = 5 * twice / 1e10 */
        uint64_t tenths = (uint64_t)twice * 5;
        w = put_digits(w, tenths / 10000000000u);
        return put_frac(w, tenths % 10000000000u, 10);
    }
    char text[DOUBLE_TEXT_MAX];
    double_text(text, ns / 1e9);
    size_t n = strlen(text);
    memcpy(w, text, n);
    return w + n;
}

/* Nanoseconds as exact decimal seconds: "1.5", "0.000001", "3". */
static void put_ns(tacho__http_buf_t *out, int64_t ns)
{
    if (tacho__http_buf_reserve(out, NUMBER_MAX) != 0) {
        return;
    }
    char *w = put_ns_at(out->data + out->len, ns);
    *w = '\0';
    out->len = (size_t)(w - out->data);
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

/* ---- pipeline samples: one reserve and a few copies per line ---------- */

/* Every piece a sample line is made of (heads, pipeline labels, trailing
 * labels) is kept with this many readable bytes past its end, and a line
 * is given as many spare bytes, so pieces are copied in whole 32-byte
 * blocks: most take one, a few moves instead of a call to memcpy. */
#define SLACK 32

/* Copies the `n` bytes at `s` to `w` in 32-byte blocks (see SLACK);
 * returns the end of the `n`. */
static char *copy_blocks(char *w, const char *s, size_t n)
{
    memcpy(w, s, 32);
    for (size_t k = 32; k < n; k += 32) {
        memcpy(w + k, s + k, 32);
    }
    return w + n;
}

/* Indices of the trailing labels in scratch->le (see prometheus.h). */
#define LABEL_INF(sc) ((sc)->le_count)
#define LABEL_QUANTILE(sc, q) ((sc)->le_count + 1 + (q))
#define LABEL_NONE(sc) ((sc)->le_count + 6)

/* Keeps SLACK readable bytes past the text of `b`. */
static void keep_slack(render_t *r, tacho__http_buf_t *b)
{
    if (tacho__http_buf_reserve(b, SLACK) != 0) {
        r->out->failed = true;
    }
}

/* Prepares head `h` of the family's samples: "<prefix><name><suffix>{"
 * and the worker and constant labels. */
static void set_head(render_t *r, int h, const char *name, const char *suffix)
{
    tacho__http_buf_t *b = &r->scratch->heads[h];
    tacho__http_buf_reset(b);
    tacho__http_buf_puts(b, r->fmt->prefix);
    tacho__http_buf_puts(b, name);
    tacho__http_buf_puts(b, suffix);
    tacho__http_buf_add(b, "{", 1);
    tacho__http_buf_add(b, r->scratch->base.data, r->scratch->base.len);
    keep_slack(r, b);
}

/* Starts a line of pipeline i's sample with head `h` and the trailing
 * label `x` (an index into scratch->le); returns where its value goes, or
 * NULL when the buffer cannot grow (out->failed is set). */
static char *line_open(render_t *r, int h, size_t i, size_t x)
{
    const tacho__prom_scratch_t *sc = r->scratch;
    const tacho__http_buf_t *head = &sc->heads[h];
    size_t label = sc->offsets[i];
    size_t label_len = sc->offsets[i + 1] - label;
    size_t extra = sc->le_offsets[x];
    size_t extra_len = sc->le_offsets[x + 1] - extra;
    size_t need =
        head->len + label_len + extra_len + 2 + NUMBER_MAX + 1 + SLACK;
    /* The call only when the buffer must grow: most lines fit. */
    if (r->out->failed || (r->out->cap - r->out->len <= need &&
                           tacho__http_buf_reserve(r->out, need) != 0)) {
        return NULL;
    }
    char *w = r->out->data + r->out->len;
    w = copy_blocks(w, head->data, head->len);
    w = copy_blocks(w, sc->names.data + label, label_len);
    w = copy_blocks(w, sc->le.data + extra, extra_len);
    *w++ = '}';
    *w++ = ' ';
    return w;
}

/* Ends a line whose value ends at `w`. */
static void line_close(render_t *r, char *w)
{
    *w++ = '\n';
    *w = '\0';
    r->out->len = (size_t)(w - r->out->data);
}

static void line_u64(render_t *r, int h, size_t i, size_t x, uint64_t v)
{
    char *w = line_open(r, h, i, x);
    if (w != NULL) {
        line_close(r, put_digits(w, v));
    }
}

static void line_ns(render_t *r, int h, size_t i, int64_t ns)
{
    char *w = line_open(r, h, i, LABEL_NONE(r->scratch));
    if (w != NULL) {
        line_close(r, put_ns_at(w, ns));
    }
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
    set_head(r, 0, name, kind == COUNTER ? "_total" : "");
    for (size_t i = 0; i < n; i++) {
        line_u64(r, 0, i, LABEL_NONE(r->scratch),
                 fn(tacho_snapshot_pipeline(r->snap, i), sc));
    }
}

/* Heads of the histogram's and the summary's samples. */
enum { HEAD_VALUE, HEAD_SUM, HEAD_COUNT };

static void histogram_one(render_t *r, size_t i)
{
    const tacho_stats_t *st = tacho_snapshot_pipeline(r->snap, i);
    const tacho__prom_scratch_t *sc = r->scratch;
    uint64_t runs = tacho_stats_runs(st, TACHO_SCOPE_LIFETIME);
    /* Every pipeline has the snapshot's bounds, prepared in le_texts(). */
    size_t nb = tacho_stats_bucket_count(st);
    for (size_t b = 0; b < nb && b < sc->le_count; b++) {
        line_u64(r, HEAD_VALUE, i, b, tacho_stats_bucket_cumulative(st, b));
    }
    line_u64(r, HEAD_VALUE, i, LABEL_INF(sc), runs);
    line_ns(r, HEAD_SUM, i,
            (int64_t)tacho_stats_duration_sum_ns(st, TACHO_SCOPE_LIFETIME));
    line_u64(r, HEAD_COUNT, i, LABEL_NONE(sc), runs);
}

/* Quantiles that have no value yet (an empty window) are left out rather
 * than shown as NaN. */
static void summary_one(render_t *r, size_t i)
{
    const tacho_stats_t *st = tacho_snapshot_pipeline(r->snap, i);
    for (size_t q = 0; q < sizeof(quantiles) / sizeof(quantiles[0]); q++) {
        double ns = 0;
        if (!tacho_stats_quantile_ns(st, TACHO_SCOPE_WINDOW, quantiles[q],
                                     &ns)) {
            continue;
        }
        char *w = line_open(r, HEAD_VALUE, i, LABEL_QUANTILE(r->scratch, q));
        if (w != NULL) {
            line_close(r, put_ns_double_at(w, ns));
        }
    }
    line_ns(r, HEAD_SUM, i,
            (int64_t)tacho_stats_duration_sum_ns(st, TACHO_SCOPE_WINDOW));
    line_u64(r, HEAD_COUNT, i, LABEL_NONE(r->scratch),
             tacho_stats_runs(st, TACHO_SCOPE_WINDOW));
}

/* Heads for the samples of a histogram or summary family. */
static void set_heads(render_t *r, const char *name, const char *value)
{
    set_head(r, HEAD_VALUE, name, value);
    set_head(r, HEAD_SUM, name, "_sum");
    set_head(r, HEAD_COUNT, name, "_count");
}

static void duration_families(render_t *r)
{
    size_t n = tacho_snapshot_pipeline_count(r->snap);
    if (n == 0) {
        return;
    }
    family(r, "run_duration_seconds", HISTOGRAM,
           "Run durations since start, in the collector's buckets.");
    set_heads(r, "run_duration_seconds", "_bucket");
    for (size_t i = 0; i < n; i++) {
        histogram_one(r, i);
    }
    family(r, "run_duration_window_seconds", SUMMARY,
           "Run durations over the sliding window (quantiles within 1%).");
    set_heads(r, "run_duration_window_seconds", "");
    for (size_t i = 0; i < n; i++) {
        summary_one(r, i);
    }
    family(r, "last_run_timestamp_seconds", GAUGE,
           "Unix time the pipeline's last run was recorded.");
    set_head(r, HEAD_VALUE, "last_run_timestamp_seconds", "");
    for (size_t i = 0; i < n; i++) {
        int64_t last = 0;
        if (tacho_stats_last_run_ns(tacho_snapshot_pipeline(r->snap, i),
                                    &last)) {
            line_ns(r, HEAD_VALUE, i, last);
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

/* The labels sample lines end with (see prometheus.h): the `le` label
 * of each of the snapshot's bounds, in OpenMetrics' canonical form, and
 * the constant ones, written once per render. */
static void le_texts(render_t *r)
{
    static const char *const fixed[] = {",le=\"+Inf\"",
                                        ",quantile=\"0.5\"",
                                        ",quantile=\"0.9\"",
                                        ",quantile=\"0.95\"",
                                        ",quantile=\"0.99\"",
                                        ",quantile=\"0.999\"",
                                        ""};
    tacho__prom_scratch_t *sc = r->scratch;
    tacho__http_buf_reset(&sc->le);
    const tacho_stats_t *total = tacho_snapshot_total(r->snap);
    size_t nb = tacho_stats_bucket_count(total);
    sc->le_count = nb < TACHO_MAX_BUCKETS ? nb : TACHO_MAX_BUCKETS;
    for (size_t b = 0; b < sc->le_count; b++) {
        sc->le_offsets[b] = sc->le.len;
        tacho__http_buf_puts(&sc->le, ",le=\"");
        put_canonical(&sc->le,
                      (double)tacho_stats_bucket_bound_ns(total, b) / 1e9);
        tacho__http_buf_add(&sc->le, "\"", 1);
    }
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        sc->le_offsets[sc->le_count + k] = sc->le.len;
        tacho__http_buf_puts(&sc->le, fixed[k]);
    }
    sc->le_offsets[LABEL_NONE(sc) + 1] = sc->le.len;
    keep_slack(r, &sc->le);
}

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
    if (n + 1 > sc->offsets_cap) {
        size_t *p = tacho_realloc(sc->offsets, (n + 1) * sizeof(*p));
        if (p == NULL) {
            r->out->failed = true;
            return;
        }
        sc->offsets = p;
        sc->offsets_cap = n + 1;
    }
    tacho__http_buf_reset(&sc->names);
    for (size_t i = 0; i < n; i++) {
        sc->offsets[i] = sc->names.len;
        tacho__http_buf_puts(&sc->names, ",pipeline=\"");
        tacho__prom_escape(
            &sc->names, tacho_stats_name(tacho_snapshot_pipeline(r->snap, i)));
        tacho__http_buf_add(&sc->names, "\"", 1);
    }
    sc->offsets[n] = sc->names.len;
    keep_slack(r, &sc->names);
    le_texts(r);
    if (sc->base.failed || sc->names.failed || sc->le.failed) {
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
    tacho__http_buf_free(&scratch->le);
    for (int h = 0; h < TACHO__PROM_HEADS; h++) {
        tacho__http_buf_free(&scratch->heads[h]);
    }
    tacho_free(scratch->offsets);
    *scratch = (tacho__prom_scratch_t){0};
}
