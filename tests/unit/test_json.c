/*
 * Suite for core/json.c and core/json_legacy.c: both renderings of real
 * snapshots (built through the collector with a manual clock), parsed back
 * with json-c and compared with the snapshot accessors, and checked against
 * the JSON Schemas by tests/support/validate_json.py.
 */
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include <tacho/collector.h>
#include <tacho/format.h>
#include <tacho/json.h>
#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "snapshot_internal.h"
#include "tacho_test.h"

#define MS 1000000ull
#define SEC 1000000000ll
/* 2026-11-28T10:49:33.123Z */
#define T0 1795862973123000000ll

#define VALIDATOR TACHO_TEST_SOURCE_DIR "/tests/support/validate_json.py"
#define SCHEMA_V1 TACHO_TEST_SOURCE_DIR "/docs/schema/tacho-snapshot-v1.json"
#define SCHEMA_LEGACY                                                          \
    TACHO_TEST_SOURCE_DIR "/docs/schema/tacho-legacy-metrics.json"

/* ---- building real snapshots ------------------------------------------ */

/* A collector on a manual clock whose start time is exactly T0. */
static tacho_collector_t *new_collector(const tacho_collector_options_t *opts)
{
    tacho_collector_options_t defaults = TACHO_COLLECTOR_OPTIONS_INIT;
    defaults.worker_id = "test-worker";
    tacho_collector_t *c = NULL;
    tacho_error_t err;
    int rc = tacho_collector_create(opts != NULL ? opts : &defaults, &c, &err);
    CU_ASSERT_FATAL(rc == 0);
    tacho__collector_use_manual_clock(c, T0); /* starts at T0 */
    return c;
}

static void record_at(tacho_collector_t *c, int64_t at, const char *name,
                      uint64_t duration_ns, bool ok)
{
    tacho__collector_set_time(c, at);
    CU_ASSERT_EQUAL_FATAL(tacho_record(c, name, duration_ns, ok), 0);
}

static tacho_snapshot_t *take(tacho_collector_t *c, int64_t at)
{
    tacho__collector_set_time(c, at);
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    return s;
}

/* The known runs most tests use: alpha 10/20/30 ms ok and 40 ms failed,
 * beta 1 s and 2 s ok, one second apart; the snapshot is taken 323.5 s
 * after the start ("5m 23s"). */
static tacho_snapshot_t *known_snapshot(void)
{
    tacho_collector_t *c = new_collector(NULL);
    record_at(c, T0 + 1 * SEC, "alpha", 10 * MS, true);
    record_at(c, T0 + 2 * SEC, "alpha", 20 * MS, true);
    record_at(c, T0 + 3 * SEC, "alpha", 30 * MS, true);
    record_at(c, T0 + 4 * SEC, "alpha", 40 * MS, false);
    record_at(c, T0 + 5 * SEC, "beta", 1000 * MS, true);
    record_at(c, T0 + 6 * SEC, "beta", 2000 * MS, true);
    tacho_snapshot_t *s = take(c, T0 + 323 * SEC + 500 * (int64_t)MS);
    tacho_collector_free(c);
    return s;
}

static tacho_snapshot_t *empty_snapshot(void)
{
    tacho_collector_t *c = new_collector(NULL);
    tacho_snapshot_t *s = take(c, T0 + 45 * SEC);
    tacho_collector_free(c);
    return s;
}

static char *render(const tacho_snapshot_t *s, unsigned flags)
{
    char *text = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(tacho_json_render(s, flags, &text, &len), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(len, strlen(text));
    return text;
}

static char *render_legacy(const tacho_snapshot_t *s, unsigned flags)
{
    char *text = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(tacho_json_render_legacy(s, flags, &text, &len), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(len, strlen(text));
    return text;
}

/* ---- reading the JSON back ------------------------------------------- */

static json_object *parse(const char *text)
{
    enum json_tokener_error jerr;
    json_object *o = json_tokener_parse_verbose(text, &jerr);
    if (o == NULL) {
        fprintf(stderr, "json-c: %s\n%s\n", json_tokener_error_desc(jerr),
                text);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    return o;
}

/* Member `key` of `o`, which must exist (a JSON null comes back as NULL). */
static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    bool found = json_object_object_get_ex(o, key, &v);
    if (!found) {
        fprintf(stderr, "missing key \"%s\"\n", key);
    }
    CU_ASSERT_FATAL(found);
    return v;
}

static void check_uint(json_object *o, const char *key, uint64_t want)
{
    json_object *v = member(o, key);
    CU_ASSERT(json_object_is_type(v, json_type_int));
    CU_ASSERT_EQUAL(json_object_get_uint64(v), want);
}

/* Numbers are written so they read back exactly: compare with ==. */
static void check_number(json_object *o, const char *key, double want)
{
    json_object *v = member(o, key);
    CU_ASSERT(json_object_is_type(v, json_type_double) ||
              json_object_is_type(v, json_type_int));
    if (json_object_get_double(v) != want) {
        fprintf(stderr, "%s: got %.17g, want %.17g\n", key,
                json_object_get_double(v), want);
        CU_FAIL("number differs");
    }
}

static void check_null(json_object *o, const char *key)
{
    CU_ASSERT_PTR_NULL(member(o, key));
}

static void check_optional(json_object *o, const char *key, bool has,
                           double want)
{
    if (has) {
        check_number(o, key, want);
    } else {
        check_null(o, key);
    }
}

static void check_string(json_object *o, const char *key, const char *want)
{
    json_object *v = member(o, key);
    CU_ASSERT_FATAL(json_object_is_type(v, json_type_string));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), want);
}

static void check_bool(json_object *o, const char *key, bool want)
{
    json_object *v = member(o, key);
    CU_ASSERT(json_object_is_type(v, json_type_boolean));
    CU_ASSERT_EQUAL(json_object_get_boolean(v) != 0, want);
}

static void check_time(json_object *o, const char *key, int64_t unix_ns)
{
    char want[TACHO_RFC3339_TEXT_MAX];
    CU_ASSERT_FATAL(tacho_format_rfc3339(unix_ns, want, sizeof want) > 0);
    check_string(o, key, want);
}

/* The keys of `o`, in order, must be exactly `keys` (NULL-terminated). */
static void check_keys(json_object *o, const char *const *keys)
{
    size_t i = 0;
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        CU_ASSERT_PTR_NOT_NULL_FATAL(keys[i]);
        CU_ASSERT_STRING_EQUAL(key, keys[i]);
        i++;
    }
    CU_ASSERT_PTR_NULL(keys[i]);
}

/* ---- comparing with the snapshot accessors ---------------------------- */

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static void compare_durations(json_object *d, const tacho_stats_t *st,
                              tacho_scope_t scope)
{
    static const struct {
        const char *key;
        double q;
    } qs[] = {{"p50", 0.5},
              {"p90", 0.9},
              {"p95", 0.95},
              {"p99", 0.99},
              {"p999", 0.999}};
    check_number(d, "sum", secs(tacho_stats_duration_sum_ns(st, scope)));
    uint64_t ns = 0;
    bool has = tacho_stats_min_ns(st, scope, &ns);
    check_optional(d, "min", has, secs(ns));
    has = tacho_stats_max_ns(st, scope, &ns);
    check_optional(d, "max", has, secs(ns));
    double v = 0;
    has = tacho_stats_avg_ns(st, scope, &v);
    check_optional(d, "avg", has, v / 1e9);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        has = tacho_stats_quantile_ns(st, scope, qs[i].q, &v);
        check_optional(d, qs[i].key, has, v / 1e9);
    }
}

static void compare_scope(json_object *o, const tacho_stats_t *st,
                          tacho_scope_t scope)
{
    json_object *runs = member(o, "runs");
    check_uint(runs, "total", tacho_stats_runs(st, scope));
    check_uint(runs, "succeeded", tacho_stats_succeeded(st, scope));
    check_uint(runs, "failed", tacho_stats_failed(st, scope));
    double v = 0;
    bool has = tacho_stats_success_ratio(st, scope, &v);
    check_optional(o, "successRatio", has, v);
    has = tacho_stats_error_ratio(st, scope, &v);
    check_optional(o, "errorRatio", has, v);
    has = tacho_stats_runs_per_hour(st, scope, &v);
    check_optional(o, "runsPerHour", has, v);
    compare_durations(member(o, "durations"), st, scope);
}

static void compare_buckets(json_object *arr, const tacho_stats_t *st)
{
    size_t n = tacho_stats_bucket_count(st);
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), n);
    for (size_t i = 0; i < n; i++) {
        json_object *b = json_object_array_get_idx(arr, i);
        check_number(b, "le", secs(tacho_stats_bucket_bound_ns(st, i)));
        check_uint(b, "count", tacho_stats_bucket_cumulative(st, i));
    }
}

static void compare_figures(json_object *o, const tacho_stats_t *st)
{
    int64_t last = 0;
    if (tacho_stats_last_run_ns(st, &last)) {
        check_time(o, "lastRunTime", last);
    } else {
        check_null(o, "lastRunTime");
    }
    compare_scope(o, st, TACHO_SCOPE_LIFETIME);
    compare_scope(member(o, "window"), st, TACHO_SCOPE_WINDOW);
    compare_buckets(member(o, "buckets"), st);
}

static void compare_recent(json_object *arr, const tacho_snapshot_t *s)
{
    size_t n = tacho_snapshot_recent_count(s);
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), n);
    for (size_t i = 0; i < n; i++) {
        tacho_execution_t e;
        CU_ASSERT_EQUAL_FATAL(tacho_snapshot_recent(s, i, &e), 0);
        json_object *r = json_object_array_get_idx(arr, i);
        check_time(r, "time", e.time_ns);
        check_string(r, "pipeline", e.pipeline);
        check_number(r, "durationSeconds", secs(e.duration_ns));
        check_bool(r, "ok", e.ok);
    }
}

/* Every figure of schema 1 against the accessors. */
static void compare_snapshot(json_object *root, const tacho_snapshot_t *s)
{
    check_uint(root, "schemaVersion", TACHO_JSON_SCHEMA_VERSION);
    check_string(root, "worker", tacho_snapshot_worker(s));
    check_time(root, "timestamp", tacho_snapshot_timestamp_ns(s));
    check_time(root, "startTime", tacho_snapshot_start_time_ns(s));
    check_number(root, "uptimeSeconds", secs(tacho_snapshot_uptime_ns(s)));
    char uptime[TACHO_UPTIME_TEXT_MAX];
    tacho_format_uptime(tacho_snapshot_uptime_ns(s) / SEC, uptime,
                        sizeof uptime);
    check_string(root, "uptime", uptime);
    check_uint(root, "windowSeconds", tacho_snapshot_window_seconds(s));
    compare_figures(root, tacho_snapshot_total(s));
    json_object *pipes = member(root, "pipelines");
    size_t n = tacho_snapshot_pipeline_count(s);
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(pipes), n);
    for (size_t i = 0; i < n; i++) {
        const tacho_stats_t *st = tacho_snapshot_pipeline(s, i);
        json_object *p = json_object_array_get_idx(pipes, i);
        check_string(p, "name", tacho_stats_name(st));
        check_bool(p, "overflow", tacho_stats_is_overflow(st));
        compare_figures(p, st);
    }
    compare_recent(member(root, "recent"), s);
    CU_ASSERT_EQUAL(json_object_array_length(member(root, "sinks")),
                    tacho_snapshot_sink_count(s));
}

/* ---- the schema validator ----------------------------------------------- */

/* Runs validate_json.py on `text` written to a temporary file and returns
 * its exit status (0 valid, 1 invalid), or -1 if it could not run. */
static int validate(const char *schema, const char *text)
{
    char *dir = tacho_test_tmpdir("json");
    char path[4096];
    snprintf(path, sizeof path, "%s/doc.json", dir);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(text, 1, strlen(text), f), strlen(text));
    CU_ASSERT_EQUAL(fclose(f), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", VALIDATOR, schema, path,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    int rc = -1;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
        rc = WEXITSTATUS(status);
    }
    tacho_test_rmtree(dir);
    free(dir);
    return rc;
}

/* Serialises an edited tree and expects the validator to refuse it. */
static void expect_invalid(const char *schema, json_object *doc)
{
    const char *text = json_object_to_json_string_ext(doc, 0);
    CU_ASSERT_EQUAL(validate(schema, text), 1);
}

/* Replaces the first occurrence of `from` in `text` by `to`: the result is
 * a malloc'd copy. */
static char *replace_text(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    size_t head = (size_t)(at - text);
    size_t size = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    snprintf(out, size, "%.*s%s%s", (int)head, text, to, at + strlen(from));
    return out;
}

/* True when `text` holds no spelling of NaN or Infinity in any case. */
static bool no_nan_or_inf(const char *text)
{
    return strcasestr(text, "nan") == NULL && strcasestr(text, "inf") == NULL;
}

static void compare_legacy(json_object *o, const tacho_snapshot_t *s);

/* ---- schema 1 ----------------------------------------------------------- */

static void json_render_matches_snapshot(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *text = render(s, 0);
    json_object *root = parse(text);
    compare_snapshot(root, s);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_known_values(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *text = render(s, 0);
    json_object *root = parse(text);
    check_string(root, "worker", "test-worker");
    check_string(root, "startTime", "2026-11-28T10:49:33.123Z");
    check_string(root, "timestamp", "2026-11-28T10:54:56.623Z");
    check_string(root, "lastRunTime", "2026-11-28T10:49:39.123Z");
    check_number(root, "uptimeSeconds", 323.5);
    check_string(root, "uptime", "5m 23s");
    check_uint(root, "windowSeconds", 3600);
    json_object *runs = member(root, "runs");
    check_uint(runs, "total", 6);
    check_uint(runs, "succeeded", 5);
    check_uint(runs, "failed", 1);
    check_number(root, "successRatio", 5.0 / 6.0);
    check_number(root, "errorRatio", 1.0 / 6.0);
    json_object *d = member(root, "durations");
    check_number(d, "sum", 3.1);
    check_number(d, "min", 0.01);
    check_number(d, "max", 2.0);
    json_object *pipes = member(root, "pipelines");
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(pipes), 2);
    json_object *alpha = json_object_array_get_idx(pipes, 0);
    check_string(alpha, "name", "alpha");
    check_bool(alpha, "overflow", false);
    check_string(alpha, "lastRunTime", "2026-11-28T10:49:37.123Z");
    check_number(member(alpha, "durations"), "sum", 0.1);
    check_number(member(alpha, "durations"), "max", 0.04);
    check_number(member(alpha, "window"), "errorRatio", 0.25);
    check_string(json_object_array_get_idx(pipes, 1), "name", "beta");
    json_object *recent = member(root, "recent");
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(recent), 6);
    json_object *newest = json_object_array_get_idx(recent, 0);
    check_string(newest, "pipeline", "beta");
    check_number(newest, "durationSeconds", 2.0);
    check_string(newest, "time", "2026-11-28T10:49:39.123Z");
    check_bool(json_object_array_get_idx(recent, 2), "ok", false);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_validates_against_schema(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *plain = render(s, 0);
    char *pretty = render(s, TACHO_JSON_PRETTY);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, plain), 0);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, pretty), 0);
    tacho_free(plain);
    tacho_free(pretty);
    tacho_snapshot_free(s);
}

/* Proves the schema check above can fail: edited copies are refused. */
static void json_schema_check_can_fail(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *text = render(s, 0);
    json_object *doc = parse(text);
    json_object_object_add(doc, "bogus", json_object_new_int(1));
    expect_invalid(SCHEMA_V1, doc);
    json_object_object_del(doc, "bogus");
    json_object_object_add(member(doc, "runs"), "total",
                           json_object_new_int(-1));
    expect_invalid(SCHEMA_V1, doc);
    json_object_put(doc);

    doc = parse(text);
    json_object_object_del(doc, "sinks");
    expect_invalid(SCHEMA_V1, doc);
    json_object_put(doc);

    doc = parse(text);
    json_object_object_add(doc, "successRatio", json_object_new_double(1.5));
    expect_invalid(SCHEMA_V1, doc);
    json_object_put(doc);

    /* Text edits: NaN and Infinity (which Python would read as floats
     * that pass `minimum`), a non-UTF-8 byte, a time that is not RFC 3339. */
    char *nan =
        replace_text(text, "\"uptimeSeconds\":323.5", "\"uptimeSeconds\":NaN");
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, nan), 1);
    char *inf = replace_text(text, "\"uptimeSeconds\":323.5",
                             "\"uptimeSeconds\":Infinity");
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, inf), 1);
    free(inf);
    char *bad = replace_text(text, "test-worker", "test-\xff-worker");
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, bad), 1);
    char *month =
        replace_text(text, "2026-11-28T10:49:33", "2026-13-28T10:49:33");
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, month), 1);
    free(nan);
    free(bad);
    free(month);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_empty_collector(void)
{
    tacho_snapshot_t *s = empty_snapshot();
    char *text = render(s, 0);
    CU_ASSERT(no_nan_or_inf(text));
    json_object *root = parse(text);
    compare_snapshot(root, s);
    check_string(root, "uptime", "45s");
    check_null(root, "lastRunTime");
    check_null(root, "successRatio");
    check_null(root, "errorRatio");
    check_uint(member(root, "runs"), "total", 0);
    json_object *d = member(root, "durations");
    check_number(d, "sum", 0.0);
    const char *optional[] = {"min", "max", "avg", "p50",
                              "p90", "p95", "p99", "p999"};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        check_null(d, optional[i]);
        check_null(member(member(root, "window"), "durations"), optional[i]);
    }
    check_null(member(root, "window"), "successRatio");
    CU_ASSERT_EQUAL(json_object_array_length(member(root, "pipelines")), 0);
    CU_ASSERT_EQUAL(json_object_array_length(member(root, "recent")), 0);
    CU_ASSERT_EQUAL(json_object_array_length(member(root, "sinks")), 0);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_zero_uptime(void)
{
    tacho_collector_t *c = new_collector(NULL);
    record_at(c, T0, "instant", 3 * MS, true);
    tacho_snapshot_t *s = take(c, T0);
    tacho_collector_free(c);
    char *text = render(s, 0);
    char *legacy = render_legacy(s, 0);
    json_object *root = parse(text);
    compare_snapshot(root, s);
    check_string(root, "uptime", "0s");
    check_number(root, "uptimeSeconds", 0.0);
    /* A rate over no time has no meaning: null here, 0 in legacy. */
    check_null(root, "runsPerHour");
    check_number(root, "successRatio", 1.0);
    json_object *old = parse(legacy);
    compare_legacy(old, s);
    check_number(old, "runsPerHour", 0.0);
    check_uint(old, "uptimeSeconds", 0);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    CU_ASSERT_EQUAL(validate(SCHEMA_LEGACY, legacy), 0);
    json_object_put(old);
    json_object_put(root);
    tacho_free(legacy);
    tacho_free(text);
    tacho_snapshot_free(s);
}

/* Names as recorded, and as they must read back. */
static const struct {
    const char *name;
    const char *want;
} odd_names[] = {
    {"quote\"d", "quote\"d"},
    {"back\\slash", "back\\slash"},
    {"new\nline\ttab\r", "new\nline\ttab\r"},
    {"ctl\x01\x1f\x7f", "ctl\x01\x1f\x7f"},
    {"path/with/slashes", "path/with/slashes"},
    {"\xc3\xbcnic\xc3\xb8"
     "de \xe2\x9c\x93 \xf0\x9f\x9a\x80",
     "\xc3\xbcnic\xc3\xb8"
     "de \xe2\x9c\x93 \xf0\x9f\x9a\x80"},
    /* Not UTF-8: each bad byte becomes U+FFFD (EF BF BD). */
    {"bad\xff"
     "byte",
     "bad\xef\xbf\xbd"
     "byte"},
    {"cut\xc3", "cut\xef\xbf\xbd"},
    {"overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"toobig\xf4\x90\x80\x80",
     "toobig\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
};

#define ODD_NAME_COUNT (sizeof odd_names / sizeof odd_names[0])

/* The pipeline called `name` in the parsed `pipelines` array, or NULL. */
static json_object *find_pipeline(json_object *pipes, const char *name)
{
    for (size_t i = 0; i < json_object_array_length(pipes); i++) {
        json_object *p = json_object_array_get_idx(pipes, i);
        if (strcmp(json_object_get_string(member(p, "name")), name) == 0) {
            return p;
        }
    }
    return NULL;
}

static void json_render_odd_names(void)
{
    tacho_collector_options_t opts = TACHO_COLLECTOR_OPTIONS_INIT;
    opts.worker_id = "worker \"\xff\" /";
    tacho_collector_t *c = new_collector(&opts);
    for (size_t i = 0; i < ODD_NAME_COUNT; i++) {
        record_at(c, T0 + (int64_t)(i + 1) * SEC, odd_names[i].name, MS, true);
    }
    tacho_snapshot_t *s = take(c, T0 + 60 * SEC);
    tacho_collector_free(c);
    char *text = render(s, 0);
    /* '/' is not escaped (JSON_C_TO_STRING_NOSLASHESCAPE). */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "path/with/slashes"));
    json_object *root = parse(text);
    check_string(root, "worker", "worker \"\xef\xbf\xbd\" /");
    json_object *pipes = member(root, "pipelines");
    CU_ASSERT_EQUAL(json_object_array_length(pipes), ODD_NAME_COUNT);
    for (size_t i = 0; i < ODD_NAME_COUNT; i++) {
        json_object *p = find_pipeline(pipes, odd_names[i].want);
        CU_ASSERT_PTR_NOT_NULL(p);
        if (p != NULL) {
            check_uint(member(p, "runs"), "total", 1);
        }
    }
    /* A strict parser (Python, strict UTF-8 decoding) accepts it. */
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_no_recent_flag(void)
{
    tacho_snapshot_t *s = known_snapshot();
    CU_ASSERT_EQUAL(tacho_snapshot_recent_count(s), 6);
    char *with = render(s, 0);
    char *without = render(s, TACHO_JSON_NO_RECENT);
    json_object *a = parse(with);
    json_object *b = parse(without);
    CU_ASSERT(json_object_object_get_ex(a, "recent", NULL));
    CU_ASSERT(!json_object_object_get_ex(b, "recent", NULL));
    /* Everything else is identical. */
    json_object_object_del(a, "recent");
    CU_ASSERT(json_object_equal(a, b));
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, without), 0);
    json_object_put(a);
    json_object_put(b);
    tacho_free(with);
    tacho_free(without);
    tacho_snapshot_free(s);
}

static void compare_sink(json_object *o, const tacho__sink_health_t *h)
{
    check_string(o, "name", h->name);
    check_string(o, "plugin", h->plugin);
    check_bool(o, "up", h->up);
    check_bool(o, "busy", h->busy);
    check_uint(o, "writes", h->writes);
    check_uint(o, "errors", h->errors);
    check_uint(o, "retries", h->retries);
    check_uint(o, "skipped", h->skipped);
}

static void json_render_sinks(void)
{
    const tacho__sink_health_t health[] = {
        {"fresh", "csv", 0, 0, 0, 0, 0, 0, "", false, true},
        {"web \"1\"", "http_json", 41, 2, 3, 7, 1500 * MS, T0 + 30 * SEC,
         "push: HTTP 500 \"bad\"\n\xff", true, false},
    };
    tacho_snapshot_t *s = known_snapshot();
    CU_ASSERT_EQUAL_FATAL(tacho__snapshot_set_sinks(s, health, 2), 0);
    char *text = render(s, 0);
    json_object *root = parse(text);
    compare_snapshot(root, s);
    json_object *sinks = member(root, "sinks");
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(sinks), 2);
    json_object *fresh = json_object_array_get_idx(sinks, 0);
    compare_sink(fresh, &health[0]);
    check_null(fresh, "lastWriteDurationSeconds");
    check_null(fresh, "lastSuccessTime");
    check_null(fresh, "lastError");
    json_object *web = json_object_array_get_idx(sinks, 1);
    compare_sink(web, &health[1]);
    check_number(web, "lastWriteDurationSeconds", 1.5);
    check_string(web, "lastSuccessTime", "2026-11-28T10:50:03.123Z");
    check_string(web, "lastError", "push: HTTP 500 \"bad\"\n\xef\xbf\xbd");
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_pretty_equals_plain(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *plain = render(s, 0);
    char *pretty = render(s, TACHO_JSON_PRETTY);
    /* The tRPC envelope is for the legacy shape only. */
    char *trpc = render(s, TACHO_JSON_TRPC_ENVELOPE);
    CU_ASSERT_STRING_EQUAL(trpc, plain);
    tacho_free(trpc);
    CU_ASSERT_PTR_NULL(strchr(plain, '\n'));
    CU_ASSERT_PTR_NOT_NULL(strstr(pretty, "\n  \"schemaVersion\": 1,\n"));
    json_object *a = parse(plain);
    json_object *b = parse(pretty);
    CU_ASSERT(json_object_equal(a, b));
    json_object_put(a);
    json_object_put(b);
    tacho_free(plain);
    tacho_free(pretty);
    tacho_snapshot_free(s);
}

static void json_render_numbers_stay_json(void)
{
    tacho_collector_t *c = new_collector(NULL);
    record_at(c, T0 + SEC, "tiny", 10000, true); /* 10 us = 1e-05 s */
    record_at(c, T0 + 2 * SEC, "tiny", 10000, true);
    tacho_snapshot_t *s = take(c, T0 + 3 * SEC);
    tacho_collector_free(c);
    char *text = render(s, 0);
    CU_ASSERT(no_nan_or_inf(text));
    /* Shortest exact form, not json-c's %.17g "1.0000000000000001e-05". */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"min\":1e-05,"));
    CU_ASSERT_PTR_NULL(strstr(text, "0000000000"));
    /* Counts are integers, not 2.0. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"runs\":{\"total\":2,"));
    json_object *root = parse(text);
    compare_snapshot(root, s);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_window_expires(void)
{
    tacho_collector_options_t opts = TACHO_COLLECTOR_OPTIONS_INIT;
    opts.window_seconds = 60;
    tacho_collector_t *c = new_collector(&opts);
    record_at(c, T0 + SEC, "job", 5 * MS, true);
    record_at(c, T0 + 2 * SEC, "job", 7 * MS, false);
    tacho_snapshot_t *s = take(c, T0 + 300 * SEC);
    tacho_collector_free(c);
    char *text = render(s, 0);
    json_object *root = parse(text);
    compare_snapshot(root, s);
    check_uint(root, "windowSeconds", 60);
    check_uint(member(root, "runs"), "total", 2);
    check_number(root, "errorRatio", 0.5);
    /* Lifetime figures stay; the window has emptied: nulls, zero rate. */
    json_object *window = member(root, "window");
    check_uint(member(window, "runs"), "total", 0);
    check_null(window, "successRatio");
    check_null(member(window, "durations"), "p99");
    check_number(window, "runsPerHour", 0.0);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_render_buckets_and_overflow(void)
{
    static const uint64_t bounds[] = {1 * MS, 10 * MS, 100 * MS, 1000 * MS};
    tacho_collector_options_t opts = TACHO_COLLECTOR_OPTIONS_INIT;
    opts.bucket_bounds_ns = bounds;
    opts.bucket_count = 4;
    opts.max_pipelines = 2; /* "a" and the overflow pipeline "other" */
    tacho_collector_t *c = new_collector(&opts);
    record_at(c, T0 + SEC, "a", 10 * MS, true); /* exactly on a bound */
    record_at(c, T0 + 2 * SEC, "b", 50 * MS, true);
    record_at(c, T0 + 3 * SEC, "c", 5000 * MS, false); /* above the last */
    tacho_snapshot_t *s = take(c, T0 + 4 * SEC);
    tacho_collector_free(c);
    char *text = render(s, 0);
    json_object *root = parse(text);
    compare_snapshot(root, s);
    json_object *buckets = member(root, "buckets");
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(buckets), 4);
    const double le[] = {0.001, 0.01, 0.1, 1.0};
    const uint64_t count[] = {0, 1, 2, 2};
    for (size_t i = 0; i < 4; i++) {
        check_number(json_object_array_get_idx(buckets, i), "le", le[i]);
        check_uint(json_object_array_get_idx(buckets, i), "count", count[i]);
    }
    json_object *pipes = member(root, "pipelines");
    json_object *other = find_pipeline(pipes, TACHO_OVERFLOW_PIPELINE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    check_bool(other, "overflow", true);
    check_uint(member(other, "runs"), "total", 2);
    check_bool(find_pipeline(pipes, "a"), "overflow", false);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_snapshot_free(s);
}

/* Compiles a locale whose decimal point is ',' into `dir` (localedef, from
 * the `locales` package) and makes it this process's LC_NUMERIC. */
static bool use_comma_locale(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1",
             dir);
    if (system(cmd) != 0 || setenv("LOCPATH", dir, 1) != 0) {
        return false;
    }
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

static void json_render_ignores_comma_locale(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *dir = tacho_test_tmpdir("locale");
    CU_ASSERT_FATAL(use_comma_locale(dir));
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    CU_ASSERT_STRING_EQUAL(probe, "0,5"); /* the locale is in force */
    char *text = render(s, 0);
    char *legacy = render_legacy(s, 0);
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    CU_ASSERT_STRING_EQUAL(probe, "0,5"); /* and restored afterwards */
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    json_object *root = parse(text);
    compare_snapshot(root, s);
    CU_ASSERT_EQUAL(validate(SCHEMA_V1, text), 0);
    CU_ASSERT_EQUAL(validate(SCHEMA_LEGACY, legacy), 0);
    json_object_put(root);
    tacho_free(text);
    tacho_free(legacy);
    tacho_test_rmtree(dir);
    free(dir);
    tacho_snapshot_free(s);
}

static void json_render_rejects_null_arguments(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *text = (char *)"untouched";
    CU_ASSERT_EQUAL(tacho_json_render(NULL, 0, &text, NULL), TACHO_EINVAL);
    CU_ASSERT_PTR_NULL(text);
    CU_ASSERT_EQUAL(tacho_json_render(s, 0, NULL, NULL), TACHO_EINVAL);
    text = (char *)"untouched";
    CU_ASSERT_EQUAL(tacho_json_render_legacy(NULL, 0, &text, NULL),
                    TACHO_EINVAL);
    CU_ASSERT_PTR_NULL(text);
    CU_ASSERT_EQUAL(tacho_json_render_legacy(s, 0, NULL, NULL), TACHO_EINVAL);
    /* `len` is optional. */
    CU_ASSERT_EQUAL(tacho_json_render(s, 0, &text, NULL), 0);
    tacho_free(text);
    tacho_snapshot_free(s);
}

/* Renders share nothing but the read-only snapshot (the "C" locale is set
 * per thread), so threads may render one snapshot at once. */
#define RENDER_THREADS 4
#define RENDERS_PER_THREAD 50

typedef struct render_job {
    const tacho_snapshot_t *s;
    const char *want;
    int mismatches;
} render_job_t;

static void *render_loop(void *arg)
{
    render_job_t *job = arg;
    for (int i = 0; i < RENDERS_PER_THREAD; i++) {
        char *text = NULL;
        if (tacho_json_render(job->s, 0, &text, NULL) != 0 ||
            strcmp(text, job->want) != 0) {
            job->mismatches++;
        }
        tacho_free(text);
    }
    return NULL;
}

static void json_render_from_many_threads(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *want = render(s, 0);
    pthread_t threads[RENDER_THREADS];
    render_job_t jobs[RENDER_THREADS];
    for (int i = 0; i < RENDER_THREADS; i++) {
        jobs[i] = (render_job_t){s, want, 0};
        CU_ASSERT_EQUAL_FATAL(
            pthread_create(&threads[i], NULL, render_loop, &jobs[i]), 0);
    }
    for (int i = 0; i < RENDER_THREADS; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT_EQUAL(jobs[i].mismatches, 0);
    }
    tacho_free(want);
    tacho_snapshot_free(s);
}

/* ---- out of memory ----------------------------------------------------- */

/* Fails every allocation of the test thread once `fail_after` more have
 * succeeded; other threads are never failed. */
static pthread_t oom_thread;
static long fail_after = -1;
static long failures;

static bool oom_now(void)
{
    if (fail_after < 0 || !pthread_equal(pthread_self(), oom_thread)) {
        return false;
    }
    if (fail_after == 0) {
        failures++;
        return true;
    }
    fail_after--;
    return false;
}

static void *oom_malloc(size_t n)
{
    return oom_now() ? NULL : malloc(n);
}

static void *oom_realloc(void *p, size_t n)
{
    return oom_now() ? NULL : realloc(p, n);
}

static void *oom_calloc(size_t k, size_t n)
{
    return oom_now() ? NULL : calloc(k, n);
}

typedef int (*render_fn)(const tacho_snapshot_t *s, unsigned flags, char **out,
                         size_t *len);

/* Fails the 1st, 2nd, ... allocation of a render until one succeeds: each
 * failure must be a clean TACHO_ENOMEM (ASan's leak check covers "clean").
 * Returns how many allocations a successful render made. */
static long render_under_oom(render_fn fn, const tacho_snapshot_t *s)
{
    oom_thread = pthread_self();
    CU_ASSERT_EQUAL_FATAL(
        tacho_replace_allocator(oom_malloc, oom_realloc, oom_calloc, free), 0);
    long n = 0;
    for (;; n++) {
        char *text = (char *)"untouched";
        fail_after = n;
        failures = 0;
        int rc = fn(s, TACHO_JSON_PRETTY, &text, NULL);
        fail_after = -1;
        if (failures == 0) {
            CU_ASSERT_EQUAL(rc, 0);
            tacho_free(text);
            break;
        }
        CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
        CU_ASSERT_PTR_NULL(text);
    }
    tacho_replace_allocator(malloc, realloc, calloc, free);
    return n;
}

static void json_render_oom_returns_enomem(void)
{
    /* The collector cleans pipeline names itself; a worker id that is not
     * UTF-8 still needs the renderer's own clean copy. */
    tacho_collector_options_t opts = TACHO_COLLECTOR_OPTIONS_INIT;
    opts.worker_id = "worker\xff";
    tacho_collector_t *c = new_collector(&opts);
    record_at(c, T0 + SEC, "good", MS, true);
    record_at(c, T0 + 2 * SEC, "good", MS, false);
    tacho_snapshot_t *s = take(c, T0 + 3 * SEC);
    tacho_collector_free(c);
    /* The worker id's clean copy and the output text. */
    CU_ASSERT(render_under_oom(tacho_json_render, s) >= 2);
    tacho_snapshot_free(s);
}

/* ---- legacy ---------------------------------------------------------- */

static const char *const legacy_keys[] = {
    "uptime",           "uptimeSeconds",    "totalRuns",
    "successRate",      "errorRate",        "runsPerHour",
    "avgExecutionTime", "minExecutionTime", "maxExecutionTime",
    "succeeded",        "failed",           "workerStartTime",
    "lastRunTime",      "timestamp",        NULL};

static void compare_legacy(json_object *o, const tacho_snapshot_t *s)
{
    const tacho_stats_t *t = tacho_snapshot_total(s);
    const tacho_scope_t life = TACHO_SCOPE_LIFETIME;
    check_keys(o, legacy_keys);
    check_uint(o, "uptimeSeconds", tacho_snapshot_uptime_ns(s) / SEC);
    check_uint(o, "totalRuns", tacho_stats_runs(t, life));
    check_uint(o, "succeeded", tacho_stats_succeeded(t, life));
    check_uint(o, "failed", tacho_stats_failed(t, life));
    double v = 0;
    check_number(o, "successRate",
                 tacho_stats_success_ratio(t, life, &v) ? v * 100.0 : 0.0);
    check_number(o, "errorRate",
                 tacho_stats_error_ratio(t, life, &v) ? v * 100.0 : 0.0);
    check_number(o, "runsPerHour",
                 tacho_stats_runs_per_hour(t, life, &v) ? v : 0.0);
    check_number(o, "avgExecutionTime",
                 tacho_stats_avg_ns(t, life, &v) ? v / 1e6 : 0.0);
    uint64_t ns = 0;
    check_number(o, "minExecutionTime",
                 tacho_stats_min_ns(t, life, &ns) ? (double)ns / 1e6 : 0.0);
    check_number(o, "maxExecutionTime",
                 tacho_stats_max_ns(t, life, &ns) ? (double)ns / 1e6 : 0.0);
    check_time(o, "workerStartTime", tacho_snapshot_start_time_ns(s));
    check_time(o, "timestamp", tacho_snapshot_timestamp_ns(s));
}

static void json_legacy_fields(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *text = render_legacy(s, 0);
    json_object *o = parse(text);
    compare_legacy(o, s);
    check_string(o, "uptime", "5m 23s");
    check_uint(o, "uptimeSeconds", 323);
    check_uint(o, "totalRuns", 6);
    check_number(o, "successRate", 5.0 / 6.0 * 100.0);
    check_number(o, "minExecutionTime", 10.0);
    check_number(o, "maxExecutionTime", 2000.0);
    check_string(o, "workerStartTime", "2026-11-28T10:49:33.123Z");
    check_string(o, "lastRunTime", "2026-11-28T10:49:39.123Z");
    check_string(o, "timestamp", "2026-11-28T10:54:56.623Z");
    CU_ASSERT_EQUAL(validate(SCHEMA_LEGACY, text), 0);
    /* Schema-1 flags that do not apply change nothing. */
    char *same = render_legacy(s, TACHO_JSON_NO_RECENT);
    CU_ASSERT_STRING_EQUAL(same, text);
    tacho_free(same);
    json_object_put(o);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_legacy_empty_collector(void)
{
    tacho_snapshot_t *s = empty_snapshot();
    char *text = render_legacy(s, 0);
    CU_ASSERT(no_nan_or_inf(text));
    json_object *o = parse(text);
    compare_legacy(o, s);
    check_string(o, "uptime", "45s");
    /* The old system's zeros, not nulls; only lastRunTime is null. */
    const char *zero[] = {"successRate",      "errorRate",
                          "runsPerHour",      "avgExecutionTime",
                          "minExecutionTime", "maxExecutionTime"};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
        check_number(o, zero[i], 0.0);
    }
    check_null(o, "lastRunTime");
    CU_ASSERT_EQUAL(validate(SCHEMA_LEGACY, text), 0);
    json_object_put(o);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_legacy_trpc_envelope(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *bare = render_legacy(s, 0);
    char *wrapped = render_legacy(s, TACHO_JSON_TRPC_ENVELOPE);
    CU_ASSERT_EQUAL(strncmp(wrapped, "{\"result\":{\"data\":{", 19), 0);
    json_object *root = parse(wrapped);
    CU_ASSERT_EQUAL(json_object_object_length(root), 1);
    json_object *result = member(root, "result");
    CU_ASSERT_EQUAL(json_object_object_length(result), 1);
    json_object *data = member(result, "data");
    json_object *expect = parse(bare);
    CU_ASSERT(json_object_equal(data, expect));
    compare_legacy(data, s);
    CU_ASSERT_EQUAL(
        validate(SCHEMA_LEGACY, json_object_to_json_string_ext(data, 0)), 0);
    /* The envelope itself is not the legacy object. */
    CU_ASSERT_EQUAL(validate(SCHEMA_LEGACY, wrapped), 1);
    json_object_put(expect);
    json_object_put(root);
    tacho_free(bare);
    tacho_free(wrapped);
    tacho_snapshot_free(s);
}

static void json_legacy_schema_check_can_fail(void)
{
    tacho_snapshot_t *s = known_snapshot();
    char *text = render_legacy(s, 0);
    json_object *doc = parse(text);
    json_object_object_add(doc, "successRate", json_object_new_double(100.5));
    expect_invalid(SCHEMA_LEGACY, doc);
    json_object_put(doc);
    doc = parse(text);
    json_object_object_del(doc, "lastRunTime");
    expect_invalid(SCHEMA_LEGACY, doc);
    json_object_put(doc);
    doc = parse(text);
    json_object_object_add(doc, "uptimeSeconds", json_object_new_double(1.5));
    expect_invalid(SCHEMA_LEGACY, doc);
    json_object_put(doc);
    tacho_free(text);
    tacho_snapshot_free(s);
}

static void json_legacy_oom_returns_enomem(void)
{
    tacho_snapshot_t *s = known_snapshot();
    CU_ASSERT(render_under_oom(tacho_json_render_legacy, s) >= 1);
    tacho_snapshot_free(s);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"json_render_matches_snapshot", json_render_matches_snapshot},
        {"json_render_known_values", json_render_known_values},
        {"json_render_validates_against_schema",
         json_render_validates_against_schema},
        {"json_schema_check_can_fail", json_schema_check_can_fail},
        {"json_render_empty_collector", json_render_empty_collector},
        {"json_render_zero_uptime", json_render_zero_uptime},
        {"json_render_odd_names", json_render_odd_names},
        {"json_render_no_recent_flag", json_render_no_recent_flag},
        {"json_render_sinks", json_render_sinks},
        {"json_render_pretty_equals_plain", json_render_pretty_equals_plain},
        {"json_render_numbers_stay_json", json_render_numbers_stay_json},
        {"json_render_window_expires", json_render_window_expires},
        {"json_render_buckets_and_overflow", json_render_buckets_and_overflow},
        {"json_render_ignores_comma_locale", json_render_ignores_comma_locale},
        {"json_render_rejects_null_arguments",
         json_render_rejects_null_arguments},
        {"json_render_from_many_threads", json_render_from_many_threads},
        {"json_render_oom_returns_enomem", json_render_oom_returns_enomem},
        {"json_legacy_fields", json_legacy_fields},
        {"json_legacy_empty_collector", json_legacy_empty_collector},
        {"json_legacy_trpc_envelope", json_legacy_trpc_envelope},
        {"json_legacy_schema_check_can_fail",
         json_legacy_schema_check_can_fail},
        {"json_legacy_oom_returns_enomem", json_legacy_oom_returns_enomem},
        {NULL, NULL}};
    return tacho_test_run("json", NULL, NULL, cases);
}
