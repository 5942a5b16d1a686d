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

#include "dtoa.h"
#include "json_internal.h"
#include "json_writer.h"
#include "snapshot_types.h"

/* ---- strings: always valid UTF-8 ------------------------------------- */

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        size_t n = tacho__utf8_sequence_length(p);
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
        size_t n = tacho__utf8_sequence_length(p);
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

/*
 * Schema 1 is written straight into text by the writer in json_writer.h:
 * a scrape of /metrics.json renders it, and building a json-c tree of
 * every figure first cost about 40 times as much. The writer writes what
 * json-c's plain serialiser would; the pretty form is json-c's, from
 * parsing that text (numbers keep their text through json-c's parser).
 */

#define LIT TACHO__JW_LIT

/* Each pipeline's figures are written through a cursor (json_writer.h)
 * into room reserved once for all of them: the literal text between the
 * values is copied whole, keys and punctuation together. */

/* Room for one `buckets` entry's text before its count (a slot of
 * le_texts_t), copied whole: ',{"le":<number>,"count":' fits. */
#define LE_SLOT 64

/* Room for a pipeline's or the total's figures, all but the name: about
 * 700 bytes of text and 30 numbers per scope, and the buckets. */
#define FIGURES_MAX                                                            \
    (2048 + TACHO_MAX_BUCKETS * (LE_SLOT + TACHO__JW_NUMBER_MAX + 2))

/* Each bucket's text before its count, made once per rendering: every
 * pipeline has the snapshot's bounds. */
typedef struct le_texts {
    size_t n;
    char slot[TACHO_MAX_BUCKETS][LE_SLOT];
    size_t len[TACHO_MAX_BUCKETS];
} le_texts_t;

static void le_texts_init(le_texts_t *t, const tacho_snapshot_t *s)
{
    memset(t, 0, sizeof *t);
    t->n =
        s->bound_count < TACHO_MAX_BUCKETS ? s->bound_count : TACHO_MAX_BUCKETS;
    for (size_t i = 0; i < t->n; i++) {
        char *p = t->slot[i];
        if (i > 0) {
            *p++ = ',';
        }
        p = LIT(p, "{\"le\":");
        p += tacho__dtoa_ns((double)s->bounds[i], p);
        p = LIT(p, ",\"count\":");
        t->len[i] = (size_t)(p - t->slot[i]);
    }
}

/* An optional value from an accessor, or null. */
static char *put_optional(char *p, bool has, double v)
{
    return has ? tacho__jw_put_number(p, v) : LIT(p, "null");
}

/* An optional duration in ns, in seconds or as null. */
static char *put_optional_ns(char *p, bool has, double ns)
{
    return has ? tacho__jw_put_seconds(p, ns) : LIT(p, "null");
}

/* The same for whole nanoseconds. */
static char *put_optional_u64_ns(char *p, bool has, uint64_t ns)
{
    return has ? tacho__jw_put_ns(p, ns) : LIT(p, "null");
}

/* The `durations` object of one scope. Its quantiles are the snapshot's
 * precomputed ones, in the order of tacho__snapshot_quantiles. */
static char *put_durations(char *p, const tacho_stats_t *st,
                           tacho_scope_t scope)
{
    const figs_t *f = &st->fig[scope];
    bool has = f->succeeded + f->failed > 0;
    p = LIT(p, "{\"sum\":");
    p = tacho__jw_put_ns(p, f->sum);
    p = LIT(p, ",\"min\":");
    p = put_optional_u64_ns(p, has, f->min);
    p = LIT(p, ",\"max\":");
    p = put_optional_u64_ns(p, has, f->max);
    p = LIT(p, ",\"avg\":");
    double avg = 0;
    has = tacho_stats_avg_ns(st, scope, &avg);
    p = put_optional_ns(p, has, avg);
    bool q = tacho__sparse_total(&f->hist) > 0;
    p = LIT(p, ",\"p50\":");
    p = put_optional_ns(p, q, f->quantile[0]);
    p = LIT(p, ",\"p90\":");
    p = put_optional_ns(p, q, f->quantile[1]);
    p = LIT(p, ",\"p95\":");
    p = put_optional_ns(p, q, f->quantile[2]);
    p = LIT(p, ",\"p99\":");
    p = put_optional_ns(p, q, f->quantile[3]);
    p = LIT(p, ",\"p999\":");
    p = put_optional_ns(p, q, f->quantile[4]);
    return LIT(p, "}");
}

/* runs, successRatio, errorRatio, runsPerHour and durations of one scope;
 * the lifetime figures and the `window` object share this shape. */
static char *put_scope(char *p, const tacho_stats_t *st, tacho_scope_t scope)
{
    const figs_t *f = &st->fig[scope];
    p = LIT(p, "\"runs\":{\"total\":");
    p = tacho__jw_put_uint(p, f->succeeded + f->failed);
    p = LIT(p, ",\"succeeded\":");
    p = tacho__jw_put_uint(p, f->succeeded);
    p = LIT(p, ",\"failed\":");
    p = tacho__jw_put_uint(p, f->failed);
    double v = 0;
    bool has = tacho_stats_success_ratio(st, scope, &v);
    p = LIT(p, "},\"successRatio\":");
    p = put_optional(p, has, v);
    has = tacho_stats_error_ratio(st, scope, &v);
    p = LIT(p, ",\"errorRatio\":");
    p = put_optional(p, has, v);
    has = tacho_stats_runs_per_hour(st, scope, &v);
    p = LIT(p, ",\"runsPerHour\":");
    p = put_optional(p, has, v);
    p = LIT(p, ",\"durations\":");
    return put_durations(p, st, scope);
}

static char *put_buckets(char *p, const tacho_stats_t *st, const le_texts_t *le)
{
    p = LIT(p, "\"buckets\":[");
    for (size_t i = 0; i < le->n; i++) {
        /* The whole slot, a copy of known size; only its text counts. */
        memcpy(p, le->slot[i], LE_SLOT);
        p = tacho__jw_put_uint(p + le->len[i], st->le_cum[i]);
        *p++ = '}';
    }
    return LIT(p, "]");
}

/* Everything the total and each pipeline have in common. */
static char *put_figures(tacho__jw_t *w, char *p, const tacho_stats_t *st,
                         const le_texts_t *le)
{
    p = LIT(p, "\"lastRunTime\":");
    int64_t last = 0;
    if (tacho_stats_last_run_ns(st, &last)) {
        p = tacho__jw_put_time(w, p, last);
    } else {
        p = LIT(p, "null");
    }
    *p++ = ',';
    p = put_scope(p, st, TACHO_SCOPE_LIFETIME);
    p = LIT(p, ",\"window\":{");
    p = put_scope(p, st, TACHO_SCOPE_WINDOW);
    p = LIT(p, "},");
    return put_buckets(p, st, le);
}

static void add_total(tacho__jw_t *w, const tacho_snapshot_t *s,
                      const le_texts_t *le)
{
    char *p = tacho__jw_reserve(w, FIGURES_MAX);
    if (p != NULL) {
        *p++ = ',';
        tacho__jw_commit(w, put_figures(w, p, &s->total, le));
    }
}

static void add_pipelines(tacho__jw_t *w, const tacho_snapshot_t *s,
                          const le_texts_t *le)
{
    tacho__jw_array_begin(w, "pipelines");
    for (size_t i = 0; i < s->npipes && w->rc == 0; i++) {
        const tacho_stats_t *st = &s->pipes[i];
        char *p = tacho__jw_reserve(w, FIGURES_MAX + 6 * strlen(st->name));
        if (p == NULL) {
            break;
        }
        if (i > 0) {
            *p++ = ',';
        }
        p = LIT(p, "{\"name\":");
        p = tacho__jw_put_string(p, st->name);
        p = st->overflow ? LIT(p, ",\"overflow\":true,")
                         : LIT(p, ",\"overflow\":false,");
        p = put_figures(w, p, st, le);
        tacho__jw_commit(w, LIT(p, "}"));
    }
    tacho__jw_array_end(w);
}

/* Room for one recent execution besides its pipeline's name. */
#define RECENT_MAX (128 + TACHO__JW_TIME_MAX + TACHO__JW_NUMBER_MAX)

static void add_recent(tacho__jw_t *w, const tacho_snapshot_t *s)
{
    tacho__jw_array_begin(w, "recent");
    for (size_t i = 0; i < s->nrecent && w->rc == 0; i++) {
        const tacho_execution_t *e = &s->recent[i];
        char *p = tacho__jw_reserve(w, RECENT_MAX + 6 * strlen(e->pipeline));
        if (p == NULL) {
            break;
        }
        if (i > 0) {
            *p++ = ',';
        }
        p = LIT(p, "{\"time\":");
        p = tacho__jw_put_time(w, p, e->time_ns);
        p = LIT(p, ",\"pipeline\":");
        p = tacho__jw_put_string(p, e->pipeline);
        p = LIT(p, ",\"durationSeconds\":");
        p = tacho__jw_put_ns(p, e->duration_ns);
        p = e->ok ? LIT(p, ",\"ok\":true}") : LIT(p, ",\"ok\":false}");
        tacho__jw_commit(w, p);
    }
    tacho__jw_array_end(w);
}

/* An optional duration in ns, written in seconds or as null. */
static void add_optional_ns(tacho__jw_t *w, const char *key, bool has,
                            uint64_t ns)
{
    if (has) {
        tacho__jw_seconds(w, key, (double)ns);
    } else {
        tacho__jw_null(w, key);
    }
}

static void add_sink(tacho__jw_t *w, const tacho_sink_stats_t *ss)
{
    tacho__jw_string(w, "name", tacho_sink_stats_name(ss));
    tacho__jw_string(w, "plugin", tacho_sink_stats_plugin(ss));
    tacho__jw_bool(w, "up", tacho_sink_stats_up(ss));
    tacho__jw_bool(w, "busy", tacho_sink_stats_busy(ss));
    uint64_t writes = tacho_sink_stats_writes(ss);
    uint64_t errors = tacho_sink_stats_errors(ss);
    uint64_t retries = tacho_sink_stats_retries(ss);
    tacho__jw_uint(w, "writes", writes);
    tacho__jw_uint(w, "errors", errors);
    tacho__jw_uint(w, "retries", retries);
    tacho__jw_uint(w, "skipped", tacho_sink_stats_skipped(ss));
    /* Every completed write ends as OK, ERROR or RETRY; with none of them
     * there is no last write to give a duration of. */
    bool wrote = writes + errors + retries > 0;
    add_optional_ns(w, "lastWriteDurationSeconds", wrote,
                    tacho_sink_stats_last_write_duration_ns(ss));
    int64_t success = tacho_sink_stats_last_success_ns(ss);
    if (success != 0) {
        tacho__jw_time(w, "lastSuccessTime", success);
    } else {
        tacho__jw_null(w, "lastSuccessTime");
    }
    const char *error = tacho_sink_stats_last_error(ss);
    tacho__jw_string(w, "lastError",
                     error != NULL && error[0] != '\0' ? error : NULL);
}

static void add_sinks(tacho__jw_t *w, const tacho_snapshot_t *s)
{
    tacho__jw_array_begin(w, "sinks");
    size_t n = tacho_snapshot_sink_count(s);
    for (size_t i = 0; i < n && w->rc == 0; i++) {
        tacho__jw_object_begin(w, NULL);
        add_sink(w, tacho_snapshot_sink(s, i));
        tacho__jw_object_end(w);
    }
    tacho__jw_array_end(w);
}

static void add_header(tacho__jw_t *w, const tacho_snapshot_t *s)
{
    tacho__jw_uint(w, "schemaVersion", TACHO_JSON_SCHEMA_VERSION);
    tacho__jw_string(w, "worker", tacho_snapshot_worker(s));
    tacho__jw_time(w, "timestamp", tacho_snapshot_timestamp_ns(s));
    tacho__jw_time(w, "startTime", tacho_snapshot_start_time_ns(s));
    tacho__jw_seconds(w, "uptimeSeconds", (double)tacho_snapshot_uptime_ns(s));
    char text[TACHO_UPTIME_TEXT_MAX];
    tacho_format_uptime(tacho_snapshot_uptime_ns(s) / 1000000000u, text,
                        sizeof text);
    tacho__jw_string(w, "uptime", text);
    tacho__jw_uint(w, "windowSeconds", tacho_snapshot_window_seconds(s));
}

/* A first guess at the text's size, so the buffer seldom grows. */
static size_t size_hint(const tacho_snapshot_t *s, unsigned flags)
{
    size_t n = 4096 + 2048 * tacho_snapshot_pipeline_count(s) +
               256 * tacho_snapshot_sink_count(s);
    if (!(flags & TACHO_JSON_NO_RECENT)) {
        n += 128 * tacho_snapshot_recent_count(s);
    }
    return n;
}

/* json-c's pretty form of the plain `text`; takes `text` (freed). */
static int prettify(char *text, char **out, size_t *len)
{
    tacho__jb_t b;
    json_object *root = tacho__jb_begin(&b);
    json_object_put(root);
    json_object *parsed = b.rc == 0 ? json_tokener_parse(text) : NULL;
    tacho_free(text);
    if (b.rc == 0 && parsed == NULL) {
        b.rc = TACHO_ENOMEM; /* our own text always parses */
    }
    return tacho__jb_finish(&b, parsed, TACHO_JSON_PRETTY, out, len);
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
    tacho__jw_t w;
    tacho__jw_init(&w, size_hint(s, flags));
    tacho__jw_object_begin(&w, NULL);
    le_texts_t le;
    le_texts_init(&le, s);
    add_header(&w, s);
    add_total(&w, s, &le);
    add_pipelines(&w, s, &le);
    if (!(flags & TACHO_JSON_NO_RECENT)) {
        add_recent(&w, s);
    }
    add_sinks(&w, s);
    tacho__jw_object_end(&w);
    char *text = NULL;
    int rc = tacho__jw_finish(&w, &text, len);
    if (rc != 0 || !(flags & TACHO_JSON_PRETTY)) {
        *out = text;
        return rc;
    }
    return prettify(text, out, len);
}
