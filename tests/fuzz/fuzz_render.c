/*
 * Fuzz target: rendering snapshots whose names are arbitrary bytes.
 *
 * The input drives a real collector (on a manual clock, so a crash
 * reproduces): the worker id, pipeline names, durations and outcomes, the
 * bucket bounds, a constant label value and the sink health list (names,
 * plugin names, error texts) all come from it. Each snapshot is rendered by
 * the code the sinks run, and the output must stay valid:
 *   - Prometheus text 0.0.4 and OpenMetrics (the prometheus sink's
 *     formatter, prometheus_format.c): re-read by a strict parser
 *     (check_prom.c), every series once, histograms consistent, and each
 *     pipeline's label equal to its name with bad UTF-8 replaced;
 *   - JSON schema 1 and the legacy object (tacho_json_render*): parsed by
 *     json-c in strict mode with UTF-8 validation, names and totals equal
 *     to the snapshot's;
 *   - CSV (the csv sink's row formatter, csv_format.c): re-read by a strict
 *     RFC 4180 reader (check_csv.c), every row with the header's field
 *     count and the exact name bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <tacho/tacho.h>

#include "checks.h"
#include "collector_internal.h"
#include "csv_sink.h"
#include "fuzz.h"
#include "prometheus.h"
#include "snapshot_internal.h"

#define T0 1795862973123000000ll /* 2026-11-28T10:49:33.123Z */
#define MAX_RECORDS 64
#define MAX_SINKS 3

/* ---- the expected names ----------------------------------------------------
 */

/* Length of the well-formed UTF-8 sequence at p, or 0 (as the renderers
 * judge it: no overlong forms, surrogates or code points past U+10FFFF). */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF)) {
            return 0;
        }
    }
    return n;
}

/* `s` with each byte that is not part of valid UTF-8 replaced by U+FFFD,
 * as docs/METRICS.md promises for every text output. */
static char *shown(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        size_t n = utf8_seq(p);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        } else {
            memcpy(out + o, p, n);
            o += n;
            p += n;
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- building the snapshot from the input ---------------------------------
 */

typedef struct scene {
    char *worker;
    char *label; /* the constant label's value */
    tacho__sink_health_t sinks[MAX_SINKS];
    size_t nsinks;
    tacho_collector_t *c;
    tacho_snapshot_t *snap;
} scene_t;

static void read_sinks(scene_t *sc, fuzz_reader_t *r)
{
    sc->nsinks = fuzz_u8(r) % (MAX_SINKS + 1);
    for (size_t i = 0; i < sc->nsinks; i++) {
        tacho__sink_health_t *h = &sc->sinks[i];
        uint8_t bits = fuzz_u8(r);
        /* Instance names are unique in a host (config.c sees to it): a
         * distinct first byte keeps them so whatever follows. */
        char *name = fuzz_string(r, 40);
        char *unique = malloc(strlen(name) + 2);
        unique[0] = (char)('0' + i);
        strcpy(unique + 1, name);
        free(name);
        h->name = unique;
        h->plugin = fuzz_string(r, 40);
        h->last_error = fuzz_string(r, 80);
        h->writes = fuzz_u8(r);
        h->errors = bits & 0x0F;
        h->retries = bits >> 4;
        h->skipped = bits & 3;
        h->last_write_duration_ns = fuzz_u64(r);
        h->last_success_ns = (bits & 0x10) ? T0 : 0;
        h->busy = bits & 0x20;
        h->up = bits & 0x40;
    }
}

static void make_collector(scene_t *sc, fuzz_reader_t *r, uint8_t flags)
{
    tacho_collector_options_t o = {.struct_size = sizeof o};
    uint64_t bounds[TACHO_MAX_BUCKETS];
    o.worker_id = sc->worker;
    o.max_pipelines = 2 + (flags & 7);
    o.recent_capacity = 8;
    if (flags & 8) {
        o.bucket_count = fuzz_u8(r) % 6;
        for (size_t i = 0; i < o.bucket_count; i++) {
            bounds[i] = fuzz_u64(r) >> (fuzz_u8(r) % 64);
        }
        o.bucket_bounds_ns = bounds;
    }
    tacho_error_t err;
    int rc = tacho_collector_create(&o, &sc->c, &err);
    if (rc == TACHO_EINVAL && (flags & 8)) {
        o.bucket_bounds_ns = NULL; /* bounds not increasing: refused */
        o.bucket_count = 0;
        rc = tacho_collector_create(&o, &sc->c, &err);
    }
    FUZZ_CHECK(rc == 0, "collector: %s", err.text);
    tacho__collector_use_manual_clock(sc->c, T0);
}

static void record_all(scene_t *sc, fuzz_reader_t *r)
{
    for (int i = 0; i < MAX_RECORDS && r->left > 0; i++) {
        char *name = fuzz_string(r, 300);
        uint8_t bits = fuzz_u8(r);
        uint64_t d = fuzz_u64(r) >> (bits & 63);
        tacho__collector_set_time(sc->c, T0 + (int64_t)i * 1000000);
        int rc = tacho_record(sc->c, name, d, bits & 64);
        FUZZ_CHECK(rc == 0 || (name[0] == '\0' && rc == TACHO_EINVAL),
                   "record '%s' returned %d", name, rc);
        free(name);
    }
}

static void build(scene_t *sc, const uint8_t *data, size_t size)
{
    fuzz_reader_t r = {data, size};
    uint8_t flags = fuzz_u8(&r);
    sc->worker = fuzz_string(&r, 64);
    sc->label = fuzz_string(&r, 64);
    read_sinks(sc, &r);
    make_collector(sc, &r, flags);
    record_all(sc, &r);
    FUZZ_CHECK(tacho_snapshot_take(sc->c, &sc->snap) == 0, "snapshot");
    FUZZ_CHECK(tacho__snapshot_set_sinks(sc->snap, sc->sinks, sc->nsinks) == 0,
               "sinks");
}

static void scene_free(scene_t *sc)
{
    tacho_snapshot_free(sc->snap);
    tacho_collector_free(sc->c);
    for (size_t i = 0; i < sc->nsinks; i++) {
        free((char *)sc->sinks[i].name);
        free((char *)sc->sinks[i].plugin);
        free((char *)sc->sinks[i].last_error);
    }
    free(sc->worker);
    free(sc->label);
}

/* ---- Prometheus
 * -------------------------------------------------------------- */

static void check_prom_names(const prom_doc_t *doc, const tacho_snapshot_t *s)
{
    for (size_t i = 0; i < tacho_snapshot_pipeline_count(s); i++) {
        char *name = shown(tacho_stats_name(tacho_snapshot_pipeline(s, i)));
        double runs = -1;
        FUZZ_CHECK(prom_get(doc, "tacho_runs_total", "pipeline", name, &runs),
                   "no runs sample for pipeline '%s'", name);
        FUZZ_CHECK(runs ==
                       (double)tacho_stats_runs(tacho_snapshot_pipeline(s, i),
                                                TACHO_SCOPE_LIFETIME),
                   "runs of '%s': %g", name, runs);
        free(name);
    }
}

static void check_prometheus(const scene_t *sc, bool om)
{
    tacho__http_buf_t labels = {0}, out = {0};
    tacho__http_buf_puts(&labels, ",region=\"");
    tacho__prom_escape(&labels, sc->label);
    tacho__http_buf_puts(&labels, "\"");
    tacho__prom_format_t fmt = {"tacho_", labels.data, om};
    tacho__prom_scratch_t scratch = {0};
    tacho__prom_render(sc->snap, &fmt, &scratch, &out);
    FUZZ_CHECK(!out.failed && !labels.failed, "prometheus render failed");
    prom_doc_t doc;
    char why[1024];
    bool ok = prom_parse(out.data, out.len, om, &doc, why, sizeof why);
    FUZZ_CHECK(ok, "%s output invalid: %s\n%s", om ? "OpenMetrics" : "text",
               why, out.data);
    ok = prom_check_pipelines(&doc, "tacho_", om, why, sizeof why);
    FUZZ_CHECK(ok, "prometheus figures disagree: %s", why);
    check_prom_names(&doc, sc->snap);
    prom_doc_free(&doc);
    tacho__prom_scratch_free(&scratch);
    tacho__http_buf_free(&out);
    tacho__http_buf_free(&labels);
}

/* ---- JSON
 * ---------------------------------------------------------------------- */

static json_object *parse_strict(const char *text, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    FUZZ_CHECK(o != NULL && e == json_tokener_success && used == len,
               "JSON invalid (%s at %zu of %zu):\n%s",
               json_tokener_error_desc(e), used, len, text);
    return o;
}

static uint64_t runs_of(json_object *entry, const char *field)
{
    json_object *runs = NULL, *v = NULL;
    FUZZ_CHECK(json_object_object_get_ex(entry, "runs", &runs) &&
                   json_object_object_get_ex(runs, field, &v),
               "no runs.%s", field);
    return (uint64_t)json_object_get_int64(v);
}

static void check_json_pipelines(json_object *root, const tacho_snapshot_t *s)
{
    /* The figures of all pipelines together are the root's own. */
    json_object *arr = NULL, *total = root;
    FUZZ_CHECK(json_object_object_get_ex(root, "pipelines", &arr),
               "no pipelines");
    size_t n = json_object_array_length(arr);
    FUZZ_CHECK(n == tacho_snapshot_pipeline_count(s), "%zu pipelines", n);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(arr, i), *name = NULL;
        FUZZ_CHECK(json_object_object_get_ex(p, "name", &name), "no name");
        char *want = shown(tacho_stats_name(tacho_snapshot_pipeline(s, i)));
        FUZZ_CHECK(strcmp(json_object_get_string(name), want) == 0,
                   "JSON name '%s' for '%s'", json_object_get_string(name),
                   want);
        free(want);
        uint64_t runs = runs_of(p, "total");
        FUZZ_CHECK(runs == runs_of(p, "succeeded") + runs_of(p, "failed"),
                   "pipeline %zu: runs != succeeded + failed", i);
        sum += runs;
    }
    FUZZ_CHECK(sum == runs_of(total, "total"), "pipelines sum to %llu",
               (unsigned long long)sum);
}

static void check_json(const scene_t *sc)
{
    static const unsigned flags[] = {0, TACHO_JSON_PRETTY};
    for (size_t f = 0; f < 2; f++) {
        char *text = NULL;
        size_t len = 0;
        FUZZ_CHECK(tacho_json_render(sc->snap, flags[f], &text, &len) == 0,
                   "json render failed");
        json_object *root = parse_strict(text, len);
        check_json_pipelines(root, sc->snap);
        json_object_put(root);
        tacho_free(text);
        FUZZ_CHECK(tacho_json_render_legacy(sc->snap,
                                            flags[f] | TACHO_JSON_TRPC_ENVELOPE,
                                            &text, &len) == 0,
                   "legacy render failed");
        json_object_put(parse_strict(text, len));
        tacho_free(text);
    }
}

/* ---- CSV
 * ------------------------------------------------------------------------- */

static void check_csv(const scene_t *sc)
{
    csv_buf_t b = {0};
    csv_buf_append(&b, csv_header(), csv_header_len());
    FUZZ_CHECK(csv_format_rows(&b, sc->snap) == 0, "csv format failed");
    csv_doc_t doc;
    char why[512];
    bool ok = csv_read(b.data, b.len, 0, &doc, why, sizeof why);
    FUZZ_CHECK(ok, "CSV invalid: %s\n%.*s", why, (int)b.len, b.data);
    size_t n = tacho_snapshot_pipeline_count(sc->snap);
    FUZZ_CHECK(doc.count == n + 2, "%zu records for %zu pipelines", doc.count,
               n);
    const char *worker = tacho_snapshot_worker(sc->snap);
    for (size_t i = 1; i < doc.count; i++) {
        const char *name =
            i == 1 ? ""
                   : tacho_stats_name(tacho_snapshot_pipeline(sc->snap, i - 2));
        FUZZ_CHECK(strcmp(doc.records[i].fields[1], worker) == 0 &&
                       strcmp(doc.records[i].fields[2], name) == 0,
                   "row %zu holds '%s'/'%s'", i, doc.records[i].fields[1],
                   doc.records[i].fields[2]);
    }
    csv_doc_free(&doc);
    csv_buf_free(&b);
}

/* ---- the target
 * ------------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

void fuzz_cleanup(void)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scene_t sc = {0};
    build(&sc, data, size);
    check_prometheus(&sc, false);
    check_prometheus(&sc, true);
    check_json(&sc);
    check_csv(&sc);
    scene_free(&sc);
    return 0;
}
