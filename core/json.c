/*
 * JSON renderings of a snapshot: the json-c tree builder both shapes share,
 * and the tacho schema, version 1 (docs/schema/tacho-snapshot-v1.json,
 * documented field by field in docs/METRICS.md). The legacy shape is in
 * json_legacy.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/format.h>
#include <tacho/json.h>

#include "json_internal.h"

#define NS_PER_SECOND 1e9

/* ---- strings: always valid UTF-8 ------------------------------------- */

/* Length of the well-formed UTF-8 sequence at `p` (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
 * Stops at the first bad byte, so it never reads past the terminator. */
static size_t utf8_sequence_length(const unsigned char *p)
{
    unsigned lead = p[0];
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    size_t n;
    if (lead < 0x80) {
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        n = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        n = 3;
        lo = lead == 0xE0 ? 0xA0 : lo; /* overlong */
        hi = lead == 0xED ? 0x9F : hi; /* surrogates */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        n = 4;
        lo = lead == 0xF0 ? 0x90 : lo; /* overlong */
        hi = lead == 0xF4 ? 0x8F : hi; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        size_t n = utf8_sequence_length(p);
        if (n == 0) {
            return false;
        }
        p += n;
    }
    return true;
}

/* json-c copies string bytes through unchecked, so a name holding a stray
 * byte would make the whole document unreadable to a strict parser. Each
 * byte that does not start a well-formed sequence becomes U+FFFD.
 * Returns a tacho_malloc'd copy, or NULL on allocation failure. */
static char *utf8_sanitize(const char *s)
{
    size_t len = strlen(s);
    char *copy = tacho_malloc(3 * len + 1);
    if (copy == NULL) {
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)s;
    char *w = copy;
    while (*p != '\0') {
        size_t n = utf8_sequence_length(p);
        if (n == 0) {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
            p++;
        } else {
            memcpy(w, p, n);
            w += n;
            p += n;
        }
    }
    *w = '\0';
    return copy;
}

/* ---- numbers ----------------------------------------------------------- */

/* The shortest "%.Ng" text (N = 15..17) that reads back as exactly `d`.
 * Fifteen digits suffice for most values, 17 for all. The "C" numeric
 * locale is in force (tacho__jb_begin), so the point is always '.'. %g
 * text of a finite double ("1e-05", "3", "-0.25") is valid JSON. */
static void format_double(double d, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            return;
        }
    }
}

/* ---- the builder --------------------------------------------------------- */

/* Stores `val` under `key`. A NULL `val` means its creation failed, except
 * when `is_null` asks for JSON null. Takes `val` in every case. */
static json_object *add_member(tacho__jb_t *b, json_object *obj,
                               const char *key, json_object *val, bool is_null)
{
    if (b->rc == 0 && val == NULL && !is_null) {
        b->rc = TACHO_ENOMEM;
    }
    if (b->rc != 0) {
        json_object_put(val);
        return NULL;
    }
    unsigned opts =
        JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY;
    if (json_object_object_add_ex(obj, key, val, opts) != 0) {
        json_object_put(val);
        b->rc = TACHO_ENOMEM;
        return NULL;
    }
    return val;
}

json_object *tacho__jb_begin(tacho__jb_t *b)
{
    b->rc = 0;
    b->saved = (locale_t)0;
    b->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (b->c_locale == (locale_t)0) {
        b->rc = TACHO_ENOMEM;
        return NULL;
    }
    b->saved = uselocale(b->c_locale);
    json_object *root = json_object_new_object();
    if (root == NULL) {
        b->rc = TACHO_ENOMEM;
    }
    return root;
}

/* Copies the serialised text of `root` into tacho_malloc'd memory. */
static int serialise(json_object *root, unsigned flags, char **out, size_t *len)
{
    int jflags = JSON_C_TO_STRING_NOSLASHESCAPE;
    if (flags & TACHO_JSON_PRETTY) {
        jflags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
    }
    size_t n = 0;
    const char *text = json_object_to_json_string_length(root, jflags, &n);
    if (text == NULL) {
        return TACHO_ENOMEM;
    }
    char *copy = tacho_malloc(n + 1);
    if (copy == NULL) {
        return TACHO_ENOMEM;
    }
    memcpy(copy, text, n + 1);
    *out = copy;
    if (len != NULL) {
        *len = n;
    }
    return 0;
}

int tacho__jb_finish(tacho__jb_t *b, json_object *root, unsigned flags,
                     char **out, size_t *len)
{
    *out = NULL;
    int rc = b->rc;
    if (rc == 0) {
        rc = serialise(root, flags, out, len);
    }
    json_object_put(root);
    if (b->c_locale != (locale_t)0) {
        uselocale(b->saved);
        freelocale(b->c_locale);
    }
    return rc;
}

json_object *tacho__jb_object(tacho__jb_t *b, json_object *obj, const char *key)
{
    return add_member(b, obj, key, json_object_new_object(), false);
}

json_object *tacho__jb_array(tacho__jb_t *b, json_object *obj, const char *key)
{
    return add_member(b, obj, key, json_object_new_array(), false);
}

json_object *tacho__jb_append_object(tacho__jb_t *b, json_object *arr)
{
    if (b->rc != 0) {
        return NULL;
    }
    json_object *val = json_object_new_object();
    if (val == NULL || json_object_array_add(arr, val) != 0) {
        json_object_put(val);
        b->rc = TACHO_ENOMEM;
        return NULL;
    }
    return val;
}

void tacho__jb_null(tacho__jb_t *b, json_object *obj, const char *key)
{
    add_member(b, obj, key, NULL, true);
}

void tacho__jb_bool(tacho__jb_t *b, json_object *obj, const char *key, bool v)
{
    add_member(b, obj, key, json_object_new_boolean(v), false);
}

void tacho__jb_uint(tacho__jb_t *b, json_object *obj, const char *key,
                    uint64_t v)
{
    add_member(b, obj, key, json_object_new_uint64(v), false);
}

void tacho__jb_number(tacho__jb_t *b, json_object *obj, const char *key,
                      double v)
{
    if (!isfinite(v)) {
        tacho__jb_null(b, obj, key);
        return;
    }
    char text[64];
    format_double(v, text, sizeof text);
    add_member(b, obj, key, json_object_new_double_s(v, text), false);
}

void tacho__jb_string(tacho__jb_t *b, json_object *obj, const char *key,
                      const char *s)
{
    if (b->rc != 0) {
        return;
    }
    if (s == NULL) {
        tacho__jb_null(b, obj, key);
        return;
    }
    if (utf8_valid(s)) {
        add_member(b, obj, key, json_object_new_string(s), false);
        return;
    }
    char *clean = utf8_sanitize(s);
    json_object *val = clean != NULL ? json_object_new_string(clean) : NULL;
    tacho_free(clean);
    add_member(b, obj, key, val, false);
}

void tacho__jb_time(tacho__jb_t *b, json_object *obj, const char *key,
                    int64_t unix_ns)
{
    char text[TACHO_RFC3339_TEXT_MAX];
    if (tacho_format_rfc3339(unix_ns, text, sizeof text) < 0) {
        /* Unreachable with a 64-bit time_t: every int64 time formats. */
        b->rc = b->rc != 0 ? b->rc : TACHO_EINVAL;
        return;
    }
    add_member(b, obj, key, json_object_new_string(text), false);
}

void tacho__jb_uptime_text(tacho__jb_t *b, json_object *obj, const char *key,
                           const tacho_snapshot_t *s)
{
    char text[TACHO_UPTIME_TEXT_MAX];
    uint64_t seconds = tacho_snapshot_uptime_ns(s) / 1000000000u;
    tacho_format_uptime(seconds, text, sizeof text);
    add_member(b, obj, key, json_object_new_string(text), false);
}

/* ---- schema 1 ------------------------------------------------------------ */

static double seconds_of(uint64_t ns)
{
    return (double)ns / NS_PER_SECOND;
}

/* The optional-value accessors that answer a plain double. */
typedef bool (*optional_fn)(const tacho_stats_t *st, tacho_scope_t scope,
                            double *out);

static void add_optional(tacho__jb_t *b, json_object *obj, const char *key,
                         optional_fn fn, const tacho_stats_t *st,
                         tacho_scope_t scope)
{
    double v = 0;
    if (fn(st, scope, &v)) {
        tacho__jb_number(b, obj, key, v);
    } else {
        tacho__jb_null(b, obj, key);
    }
}

/* An optional duration in ns, written in seconds or as null. */
static void add_optional_ns(tacho__jb_t *b, json_object *obj, const char *key,
                            bool has, uint64_t ns)
{
    if (has) {
        tacho__jb_number(b, obj, key, seconds_of(ns));
    } else {
        tacho__jb_null(b, obj, key);
    }
}

static const struct {
    const char *key;
    double q;
} quantiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};

static void add_durations(tacho__jb_t *b, json_object *obj,
                          const tacho_stats_t *st, tacho_scope_t scope)
{
    json_object *d = tacho__jb_object(b, obj, "durations");
    tacho__jb_number(b, d, "sum",
                     seconds_of(tacho_stats_duration_sum_ns(st, scope)));
    uint64_t ns = 0;
    bool has = tacho_stats_min_ns(st, scope, &ns);
    add_optional_ns(b, d, "min", has, ns);
    has = tacho_stats_max_ns(st, scope, &ns);
    add_optional_ns(b, d, "max", has, ns);
    double avg = 0;
    has = tacho_stats_avg_ns(st, scope, &avg);
    tacho__jb_number(b, d, "avg", has ? avg / NS_PER_SECOND : NAN);
    for (size_t i = 0; i < sizeof quantiles / sizeof quantiles[0]; i++) {
        double v = 0;
        has = tacho_stats_quantile_ns(st, scope, quantiles[i].q, &v);
        tacho__jb_number(b, d, quantiles[i].key, has ? v / NS_PER_SECOND : NAN);
    }
}

/* runs, successRatio, errorRatio, runsPerHour and durations of one scope;
 * the lifetime figures and the `window` object share this shape. */
static void add_scope(tacho__jb_t *b, json_object *obj, const tacho_stats_t *st,
                      tacho_scope_t scope)
{
    json_object *runs = tacho__jb_object(b, obj, "runs");
    tacho__jb_uint(b, runs, "total", tacho_stats_runs(st, scope));
    tacho__jb_uint(b, runs, "succeeded", tacho_stats_succeeded(st, scope));
    tacho__jb_uint(b, runs, "failed", tacho_stats_failed(st, scope));
    add_optional(b, obj, "successRatio", tacho_stats_success_ratio, st, scope);
    add_optional(b, obj, "errorRatio", tacho_stats_error_ratio, st, scope);
    add_optional(b, obj, "runsPerHour", tacho_stats_runs_per_hour, st, scope);
    add_durations(b, obj, st, scope);
}

static void add_buckets(tacho__jb_t *b, json_object *obj,
                        const tacho_stats_t *st)
{
    json_object *arr = tacho__jb_array(b, obj, "buckets");
    size_t n = tacho_stats_bucket_count(st);
    for (size_t i = 0; i < n && b->rc == 0; i++) {
        json_object *e = tacho__jb_append_object(b, arr);
        tacho__jb_number(b, e, "le",
                         seconds_of(tacho_stats_bucket_bound_ns(st, i)));
        tacho__jb_uint(b, e, "count", tacho_stats_bucket_cumulative(st, i));
    }
}

/* Everything the total and each pipeline have in common. */
static void add_figures(tacho__jb_t *b, json_object *obj,
                        const tacho_stats_t *st)
{
    int64_t last = 0;
    if (tacho_stats_last_run_ns(st, &last)) {
        tacho__jb_time(b, obj, "lastRunTime", last);
    } else {
        tacho__jb_null(b, obj, "lastRunTime");
    }
    add_scope(b, obj, st, TACHO_SCOPE_LIFETIME);
    json_object *window = tacho__jb_object(b, obj, "window");
    add_scope(b, window, st, TACHO_SCOPE_WINDOW);
    add_buckets(b, obj, st);
}

static void add_pipelines(tacho__jb_t *b, json_object *obj,
                          const tacho_snapshot_t *s)
{
    json_object *arr = tacho__jb_array(b, obj, "pipelines");
    size_t n = tacho_snapshot_pipeline_count(s);
    for (size_t i = 0; i < n && b->rc == 0; i++) {
        const tacho_stats_t *st = tacho_snapshot_pipeline(s, i);
        json_object *p = tacho__jb_append_object(b, arr);
        tacho__jb_string(b, p, "name", tacho_stats_name(st));
        tacho__jb_bool(b, p, "overflow", tacho_stats_is_overflow(st));
        add_figures(b, p, st);
    }
}

static void add_recent(tacho__jb_t *b, json_object *obj,
                       const tacho_snapshot_t *s)
{
    json_object *arr = tacho__jb_array(b, obj, "recent");
    size_t n = tacho_snapshot_recent_count(s);
    for (size_t i = 0; i < n && b->rc == 0; i++) {
        tacho_execution_t e;
        if (tacho_snapshot_recent(s, i, &e) != 0) {
            continue;
        }
        json_object *r = tacho__jb_append_object(b, arr);
        tacho__jb_time(b, r, "time", e.time_ns);
        tacho__jb_string(b, r, "pipeline", e.pipeline);
        tacho__jb_number(b, r, "durationSeconds", seconds_of(e.duration_ns));
        tacho__jb_bool(b, r, "ok", e.ok);
    }
}

static void add_sink(tacho__jb_t *b, json_object *obj,
                     const tacho_sink_stats_t *ss)
{
    tacho__jb_string(b, obj, "name", tacho_sink_stats_name(ss));
    tacho__jb_string(b, obj, "plugin", tacho_sink_stats_plugin(ss));
    tacho__jb_bool(b, obj, "up", tacho_sink_stats_up(ss));
    tacho__jb_bool(b, obj, "busy", tacho_sink_stats_busy(ss));
    uint64_t writes = tacho_sink_stats_writes(ss);
    uint64_t errors = tacho_sink_stats_errors(ss);
    uint64_t retries = tacho_sink_stats_retries(ss);
    tacho__jb_uint(b, obj, "writes", writes);
    tacho__jb_uint(b, obj, "errors", errors);
    tacho__jb_uint(b, obj, "retries", retries);
    tacho__jb_uint(b, obj, "skipped", tacho_sink_stats_skipped(ss));
    /* Every completed write ends as OK, ERROR or RETRY; with none of them
     * there is no last write to give a duration of. */
    bool wrote = writes + errors + retries > 0;
    add_optional_ns(b, obj, "lastWriteDurationSeconds", wrote,
                    tacho_sink_stats_last_write_duration_ns(ss));
    int64_t success = tacho_sink_stats_last_success_ns(ss);
    if (success != 0) {
        tacho__jb_time(b, obj, "lastSuccessTime", success);
    } else {
        tacho__jb_null(b, obj, "lastSuccessTime");
    }
    const char *error = tacho_sink_stats_last_error(ss);
    tacho__jb_string(b, obj, "lastError",
                     error != NULL && error[0] != '\0' ? error : NULL);
}

static void add_sinks(tacho__jb_t *b, json_object *obj,
                      const tacho_snapshot_t *s)
{
    json_object *arr = tacho__jb_array(b, obj, "sinks");
    size_t n = tacho_snapshot_sink_count(s);
    for (size_t i = 0; i < n && b->rc == 0; i++) {
        json_object *e = tacho__jb_append_object(b, arr);
        add_sink(b, e, tacho_snapshot_sink(s, i));
    }
}

static void add_header(tacho__jb_t *b, json_object *obj,
                       const tacho_snapshot_t *s)
{
    tacho__jb_uint(b, obj, "schemaVersion", TACHO_JSON_SCHEMA_VERSION);
    tacho__jb_string(b, obj, "worker", tacho_snapshot_worker(s));
    tacho__jb_time(b, obj, "timestamp", tacho_snapshot_timestamp_ns(s));
    tacho__jb_time(b, obj, "startTime", tacho_snapshot_start_time_ns(s));
    tacho__jb_number(b, obj, "uptimeSeconds",
                     seconds_of(tacho_snapshot_uptime_ns(s)));
    tacho__jb_uptime_text(b, obj, "uptime", s);
    tacho__jb_uint(b, obj, "windowSeconds", tacho_snapshot_window_seconds(s));
}

int tacho_json_render(const tacho_snapshot_t *s, unsigned flags, char **out,
                      size_t *len)
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
    add_header(&b, root, s);
    add_figures(&b, root, tacho_snapshot_total(s));
    add_pipelines(&b, root, s);
    if (!(flags & TACHO_JSON_NO_RECENT)) {
        add_recent(&b, root, s);
    }
    add_sinks(&b, root, s);
    return tacho__jb_finish(&b, root, flags, out, len);
}
