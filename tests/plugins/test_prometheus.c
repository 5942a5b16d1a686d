/*
 * The `prometheus` sink, loaded as the real tacho_sink_prometheus.so by a
 * real host: scraped over loopback with libcurl, checked by promtool and by
 * the prometheus_client OpenMetrics parser, parsed back and compared with
 * the runs recorded; its push mode is checked against a loopback receiver.
 */
#include <math.h>
#include <sys/wait.h>

#include "http_test.h"

#define PROMTOOL "promtool"
#define PYTHON "/usr/bin/python3"
#define PROM_ACCEPT                                                            \
    "application/openmetrics-text;version=1.0.0,application/"                  \
    "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"    \
    "*/*;q=0.1"

/* ---- parsing the exposition --------------------------------------------- */

#define SAMPLES_MAX 1024
#define LABELS_MAX 8

typedef struct sample {
    char name[128];
    size_t label_count;
    char key[LABELS_MAX][64];
    char value[LABELS_MAX][1024]; /* unescaped */
    double v;
} sample_t;

typedef struct exposition {
    sample_t *s;
    size_t count;
} exposition_t;

/* Reads one quoted label value, undoing the escapes; returns the end. */
static const char *read_value(const char *p, char *out, size_t size)
{
    size_t n = 0;
    for (p++; *p != '"' && *p != '\0'; p++) {
        char c = *p;
        if (c == '\\') {
            p++;
            c = *p == 'n' ? '\n' : *p;
        }
        if (n + 1 < size) {
            out[n++] = c;
        }
    }
    out[n] = '\0';
    return *p == '"' ? p + 1 : p;
}

static void parse_line(const char *line, sample_t *s)
{
    memset(s, 0, sizeof *s);
    size_t n = strcspn(line, "{ ");
    snprintf(s->name, sizeof s->name, "%.*s", (int)n, line);
    const char *p = line + n;
    if (*p == '{') {
        p++;
        while (*p != '}' && *p != '\0' && s->label_count < LABELS_MAX) {
            size_t k = strcspn(p, "=");
            snprintf(s->key[s->label_count], sizeof s->key[0], "%.*s", (int)k,
                     p);
            p = read_value(p + k + 1, s->value[s->label_count],
                           sizeof s->value[0]);
            s->label_count++;
            p += *p == ',';
        }
        p += *p == '}';
    }
    s->v = strtod(p, NULL);
}

static void parse(const char *text, exposition_t *e)
{
    e->s = calloc(SAMPLES_MAX, sizeof *e->s);
    e->count = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(e->s);
    const char *p = text;
    while (*p != '\0' && e->count < SAMPLES_MAX) {
        size_t n = strcspn(p, "\n");
        if (p[0] != '#' && n > 0) {
            char *line = strndup(p, n);
            parse_line(line, &e->s[e->count++]);
            free(line);
        }
        p += n + (p[n] == '\n');
    }
}

/* The sample `name` whose labels include the NULL-ended key/value pairs. */
static const sample_t *find(const exposition_t *e, const char *name, ...)
{
    for (size_t i = 0; i < e->count; i++) {
        const sample_t *s = &e->s[i];
        if (strcmp(s->name, name) != 0) {
            continue;
        }
        va_list ap;
        va_start(ap, name);
        bool all = true;
        for (const char *k = va_arg(ap, const char *); k != NULL && all;
             k = va_arg(ap, const char *)) {
            const char *v = va_arg(ap, const char *);
            bool found = false;
            for (size_t j = 0; j < s->label_count; j++) {
                found |=
                    strcmp(s->key[j], k) == 0 && strcmp(s->value[j], v) == 0;
            }
            all = found;
        }
        va_end(ap);
        if (all) {
            return s;
        }
    }
    return NULL;
}

/* The value of a sample, or NAN when it is missing. */
static double value(const exposition_t *e, const char *name,
                    const char *pipeline)
{
    const sample_t *s = pipeline != NULL
                            ? find(e, name, "pipeline", pipeline, NULL)
                            : find(e, name, NULL);
    return s != NULL ? s->v : NAN;
}

/* ---- external checkers -------------------------------------------------- */

/* Feeds `text` to `cmd` on stdin; returns its exit status and its output
 * (stdout and stderr) in `out`. */
static int run_checker(const char *cmd, const char *text, char *out,
                       size_t size)
{
    char outfile[] = "/tmp/tacho_prom_checkXXXXXX";
    int fd = mkstemp(outfile);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char *full = NULL;
    CU_ASSERT_FATAL(asprintf(&full, "%s >%s 2>&1", cmd, outfile) > 0);
    FILE *p = popen(full, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    fwrite(text, 1, strlen(text), p);
    int status = pclose(p);
    free(full);
    size_t len = 0;
    char *got = tacho_test_read_file(outfile, &len);
    snprintf(out, size, "%s", got != NULL ? got : "");
    free(got);
    unlink(outfile);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void assert_promtool_clean(const char *text)
{
    char out[4096];
    int rc = run_checker(PROMTOOL " check metrics", text, out, sizeof out);
    if (rc != 0 || out[0] != '\0') {
        fprintf(stderr, "\npromtool (%d): %s\n", rc, out);
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(out, "");
}

/* The prometheus_client parser is strict about OpenMetrics: names, types,
 * suffixes, bucket order, +Inf, canonical numbers and the final # EOF. */
static void assert_openmetrics_valid(const char *text)
{
    char out[4096];
    int rc =
        run_checker(PYTHON " -c 'import sys\n"
                           "from prometheus_client.openmetrics.parser import "
                           "text_string_to_metric_families as p\n"
                           "fams = list(p(sys.stdin.read()))\n"
                           "assert len(fams) > 5, len(fams)'",
                    text, out, sizeof out);
    if (rc != 0) {
        fprintf(stderr, "\nOpenMetrics parser (%d): %s\n", rc, out);
    }
    CU_ASSERT_EQUAL(rc, 0);
}

/* ---- fixtures ----------------------------------------------------------- */

/* alpha: 3 ms ok, 7 ms ok, 20 ms failed; beta: 1.5 s ok. */
static const struct {
    const char *pipeline;
    uint64_t ns;
    bool ok;
} known[] = {
    {"alpha", 3 * MS, true},
    {"alpha", 7 * MS, true},
    {"alpha", 20 * MS, false},
    {"beta", 1500 * MS, true},
};
#define KNOWN_COUNT (sizeof known / sizeof known[0])

static void record_fixtures(tacho_host_t *h)
{
    for (size_t i = 0; i < KNOWN_COUNT; i++) {
        CU_ASSERT_EQUAL(tacho_record(tacho_host_collector(h), known[i].pipeline,
                                     known[i].ns, known[i].ok),
                        0);
    }
}

static tacho_host_t *start_prom(const char *options, char *url, size_t size)
{
    char base[256];
    tacho_host_t *h = start_listening("prometheus", "127.0.0.1:0", options,
                                      base, sizeof base);
    snprintf(url, size, "%s/metrics", base);
    return h;
}

static char *scrape(const char *url, const char *accept, char *type,
                    size_t type_size)
{
    char hdr[512] = "";
    if (accept != NULL) {
        snprintf(hdr, sizeof hdr, "Accept: %s", accept);
    }
    http_opts_t o = {.headers = accept != NULL ? hdr : NULL};
    http_reply_t r;
    http_do(url, &o, &r);
    CU_ASSERT_EQUAL(r.rc, CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    if (type != NULL) {
        CU_ASSERT(http_header(&r, "Content-Type", type, type_size));
    }
    return r.body;
}

/* ---- tests -------------------------------------------------------------- */

static void check_counts(const exposition_t *e)
{
    CU_ASSERT_EQUAL(value(e, "tacho_runs_total", "alpha"), 3);
    CU_ASSERT_EQUAL(value(e, "tacho_runs_succeeded_total", "alpha"), 2);
    CU_ASSERT_EQUAL(value(e, "tacho_runs_failed_total", "alpha"), 1);
    CU_ASSERT_EQUAL(value(e, "tacho_runs_total", "beta"), 1);
    CU_ASSERT_EQUAL(value(e, "tacho_runs_failed_total", "beta"), 0);
    CU_ASSERT_EQUAL(value(e, "tacho_window_runs", "alpha"), 3);
    CU_ASSERT_EQUAL(value(e, "tacho_window_runs_failed", "alpha"), 1);
    CU_ASSERT_EQUAL(value(e, "tacho_pipelines", NULL), 2);
    CU_ASSERT_EQUAL(value(e, "tacho_pipeline_overflow_runs_total", NULL), 0);
    CU_ASSERT_EQUAL(value(e, "tacho_window_seconds", NULL), 3600);
    CU_ASSERT_DOUBLE_EQUAL(value(e, "tacho_run_duration_seconds_sum", "alpha"),
                           0.030, 1e-12);
    CU_ASSERT_EQUAL(value(e, "tacho_run_duration_seconds_count", "alpha"), 3);
    CU_ASSERT_DOUBLE_EQUAL(
        value(e, "tacho_run_duration_window_seconds_sum", "beta"), 1.5, 1e-12);
    CU_ASSERT_EQUAL(value(e, "tacho_run_duration_window_seconds_count", "beta"),
                    1);
    const sample_t *b =
        find(e, "tacho_build_info", "version", tacho_version_string(), NULL);
    CU_ASSERT(b != NULL && b->v == 1);
    CU_ASSERT(find(e, "tacho_runs_total", "worker", "w1", NULL) != NULL);
}

/* Every bucket the collector has appears with the exact cumulative count of
 * the known durations at or under its bound; +Inf holds all runs. */
static void check_buckets(tacho_host_t *h, const exposition_t *e,
                          const char *pipeline)
{
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    const tacho_stats_t *st = tacho_snapshot_find(s, pipeline);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    size_t seen = 0;
    for (size_t i = 0; i < e->count; i++) {
        const sample_t *x = &e->s[i];
        if (strcmp(x->name, "tacho_run_duration_seconds_bucket") != 0 ||
            strcmp(x->value[1], pipeline) != 0 ||
            strcmp(x->value[2], "+Inf") == 0) {
            continue;
        }
        CU_ASSERT_FATAL(seen < tacho_stats_bucket_count(st));
        uint64_t bound = tacho_stats_bucket_bound_ns(st, seen);
        CU_ASSERT_DOUBLE_EQUAL(strtod(x->value[2], NULL), bound / 1e9,
                               bound / 1e9 * 1e-15);
        uint64_t expect = 0;
        for (size_t k = 0; k < KNOWN_COUNT; k++) {
            expect += strcmp(known[k].pipeline, pipeline) == 0 &&
                      known[k].ns <= bound;
        }
        CU_ASSERT_EQUAL(x->v, (double)expect);
        seen++;
    }
    CU_ASSERT(seen > 0);
    CU_ASSERT_EQUAL(seen, tacho_stats_bucket_count(st));
    const sample_t *inf = find(e, "tacho_run_duration_seconds_bucket",
                               "pipeline", pipeline, "le", "+Inf", NULL);
    CU_ASSERT(inf != NULL &&
              inf->v == (double)tacho_stats_runs(st, TACHO_SCOPE_LIFETIME));
    tacho_snapshot_free(s);
}

static void prometheus_text_matches_runs(void)
{
    char url[300];
    tacho_host_t *h = start_prom("", url, sizeof url);
    record_fixtures(h);
    char type[256] = "";
    char *body = scrape(url, NULL, type, sizeof type);
    CU_ASSERT_STRING_EQUAL(type, "text/plain; version=0.0.4; charset=utf-8");
    exposition_t e;
    parse(body, &e);
    check_counts(&e);
    check_buckets(h, &e, "alpha");
    check_buckets(h, &e, "beta");
    /* Window quantiles of a single 1.5 s run sit within 1% of it. */
    const sample_t *q = find(&e, "tacho_run_duration_window_seconds",
                             "pipeline", "beta", "quantile", "0.99", NULL);
    CU_ASSERT(q != NULL && fabs(q->v - 1.5) <= 0.015);
    CU_ASSERT(strstr(body, "# TYPE tacho_runs_total counter\n") != NULL);
    CU_ASSERT(strstr(body, "# EOF") == NULL);
    assert_promtool_clean(body);
    free(e.s);
    free(body);
    tacho_host_close(h);
}

static void prometheus_openmetrics_on_request(void)
{
    char url[300];
    tacho_host_t *h = start_prom("", url, sizeof url);
    record_fixtures(h);
    char type[256] = "";
    char *body = scrape(url, PROM_ACCEPT, type, sizeof type);
    CU_ASSERT_STRING_EQUAL(
        type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    size_t n = strlen(body);
    CU_ASSERT(n > 6 && strcmp(body + n - 6, "# EOF\n") == 0);
    CU_ASSERT(strstr(body, "# TYPE tacho_runs counter\n") != NULL);
    CU_ASSERT(strstr(body, "# TYPE tacho_build info\n") != NULL);
    exposition_t e;
    parse(body, &e);
    check_counts(&e);
    check_buckets(h, &e, "alpha");
    assert_openmetrics_valid(body);
    free(e.s);
    free(body);
    /* A scraper preferring the text format gets it. */
    body = scrape(url, "application/openmetrics-text;q=0.3,text/plain", type,
                  sizeof type);
    CU_ASSERT_STRING_EQUAL(type, "text/plain; version=0.0.4; charset=utf-8");
    free(body);
    tacho_host_close(h);
}

/* Pipeline names are arbitrary bytes: quotes, backslashes and line feeds
 * are escaped, and bytes that are not UTF-8 become U+FFFD. */
static void prometheus_escapes_label_values(void)
{
    char url[300];
    tacho_host_t *h =
        start_prom("  labels = { team = \"a\\\"b\"; };\n", url, sizeof url);
    tacho_collector_t *c = tacho_host_collector(h);
    CU_ASSERT_EQUAL(tacho_record(c, "q\"b\\s\nl", 1 * MS, true), 0);
    CU_ASSERT_EQUAL(tacho_record(c, "bad\xff\xc3(", 1 * MS, true), 0);
    CU_ASSERT_EQUAL(tacho_record(c, "caf\xc3\xa9", 1 * MS, true), 0);
    char *body = scrape(url, NULL, NULL, 0);
    CU_ASSERT(strstr(body, "pipeline=\"q\\\"b\\\\s\\nl\"") != NULL);
    CU_ASSERT(strstr(body, "pipeline=\"bad\xef\xbf\xbd\xef\xbf\xbd(\"") !=
              NULL);
    CU_ASSERT(strstr(body, "pipeline=\"caf\xc3\xa9\"") != NULL);
    CU_ASSERT(strstr(body, "team=\"a\\\"b\"") != NULL);
    exposition_t e;
    parse(body, &e);
    CU_ASSERT_EQUAL(value(&e, "tacho_runs_total", "q\"b\\s\nl"), 1);
    assert_promtool_clean(body);
    free(e.s);
    free(body);
    body = scrape(url, PROM_ACCEPT, NULL, 0);
    assert_openmetrics_valid(body);
    free(body);
    tacho_host_close(h);
}

static void prometheus_prefix_and_constant_labels(void)
{
    char url[300];
    tacho_host_t *h =
        start_prom("  prefix = \"app:\";\n"
                   "  labels = { region = \"eu\"; zone = \"b\"; };\n",
                   url, sizeof url);
    record_fixtures(h);
    char *body = scrape(url, NULL, NULL, 0);
    exposition_t e;
    parse(body, &e);
    CU_ASSERT(e.count > 20);
    for (size_t i = 0; i < e.count; i++) {
        CU_ASSERT(strncmp(e.s[i].name, "app:", 4) == 0);
        CU_ASSERT(find(&e, e.s[i].name, "region", "eu", "zone", "b", "worker",
                       "w1", NULL) != NULL);
    }
    CU_ASSERT(find(&e, "app:runs_total", "pipeline", "alpha", "region", "eu",
                   NULL) != NULL);
    free(e.s);
    free(body);
    tacho_host_close(h);
}

/* Sample lines are put together from pieces copied in 32-byte blocks:
 * names, heads and labels shorter than, as long as and longer than one
 * or two blocks must all come out whole, each line with its own value. */
static void prometheus_long_names_and_labels(void)
{
    static const char prefix[] = "a_prefix_long_enough_that_every_head_"
                                 "spans_three_blocks_";
    static const size_t lengths[] = {1, 31, 32, 33, 63, 64, 65, 200};
    char url[300];
    char options[512];
    snprintf(options, sizeof options,
             "  prefix = \"%s\";\n"
             "  labels = { team = \"%s\"; };\n",
             prefix, "t-0123456789012345678901234567890123456789");
    tacho_host_t *h = start_prom(options, url, sizeof url);
    char names[8][201];
    for (size_t i = 0; i < 8; i++) {
        memset(names[i], 'a' + (int)i, lengths[i]);
        names[i][lengths[i]] = '\0';
        for (size_t k = 0; k <= i; k++) {
            CU_ASSERT_EQUAL(tacho_record(tacho_host_collector(h), names[i],
                                         (k + 1) * 7 * MS, k % 2 == 0),
                            0);
        }
    }
    char *body = scrape(url, NULL, NULL, 0);
    exposition_t e;
    parse(body, &e);
    char runs[160], bucket[160], quantile[160];
    snprintf(runs, sizeof runs, "%sruns_total", prefix);
    snprintf(bucket, sizeof bucket, "%srun_duration_seconds_bucket", prefix);
    snprintf(quantile, sizeof quantile, "%srun_duration_window_seconds",
             prefix);
    for (size_t i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(value(&e, runs, names[i]), (double)(i + 1));
        const sample_t *inf =
            find(&e, bucket, "pipeline", names[i], "le", "+Inf", "team",
                 "t-0123456789012345678901234567890123456789", NULL);
        CU_ASSERT(inf != NULL && inf->v == (double)(i + 1));
        /* The largest run is (i + 1) * 7 ms: p999 within 1% of it. */
        const sample_t *q =
            find(&e, quantile, "pipeline", names[i], "quantile", "0.999", NULL);
        CU_ASSERT(q != NULL && fabs(q->v - (double)(i + 1) * 0.007) <=
                                   (double)(i + 1) * 0.007 * 0.01);
    }
    assert_promtool_clean(body);
    free(e.s);
    free(body);
    tacho_host_close(h);
}

/* A scrape takes its own snapshot: no report is needed to see new runs. */
static void prometheus_scrape_is_fresh(void)
{
    char url[300];
    tacho_host_t *h = start_prom("", url, sizeof url);
    record_fixtures(h);
    char *body = scrape(url, NULL, NULL, 0);
    exposition_t e;
    parse(body, &e);
    CU_ASSERT_EQUAL(value(&e, "tacho_runs_total", "alpha"), 3);
    free(e.s);
    free(body);
    CU_ASSERT_EQUAL(tacho_record(tacho_host_collector(h), "alpha", MS, true),
                    0);
    body = scrape(url, NULL, NULL, 0);
    parse(body, &e);
    CU_ASSERT_EQUAL(value(&e, "tacho_runs_total", "alpha"), 4);
    const sample_t *up = find(&e, "tacho_sink_up", "sink", "prometheus",
                              "plugin", "prometheus", NULL);
    CU_ASSERT(up != NULL && up->v == 1);
    CU_ASSERT(find(&e, "tacho_sink_writes_total", "sink", "prometheus", NULL) !=
              NULL);
    free(e.s);
    free(body);
    tacho_host_close(h);
}

static void prometheus_gzip_head_404_405(void)
{
    char url[300];
    tacho_host_t *h = start_prom("", url, sizeof url);
    record_fixtures(h);
    http_opts_t gz = {.encoding = "gzip", .raw = true};
    http_reply_t r;
    http_do(url, &gz, &r);
    char v[256];
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT(http_header(&r, "Content-Encoding", v, sizeof v) &&
              strcmp(v, "gzip") == 0);
    CU_ASSERT(http_header(&r, "Vary", v, sizeof v) &&
              strcmp(v, "Accept-Encoding") == 0);
    CU_ASSERT(r.len > 2 && (unsigned char)r.body[0] == 0x1f &&
              (unsigned char)r.body[1] == 0x8b);
    http_free(&r);
    gz.raw = false; /* curl inflates it: the text must be intact */
    http_do(url, &gz, &r);
    exposition_t e;
    parse(r.body, &e);
    check_counts(&e);
    assert_promtool_clean(r.body);
    free(e.s);
    http_free(&r);
    http_opts_t no = {.headers = "Accept-Encoding: gzip;q=0, identity"};
    http_do(url, &no, &r);
    CU_ASSERT(!http_header(&r, "Content-Encoding", v, sizeof v));
    CU_ASSERT(strncmp(r.body, "# HELP", 6) == 0);
    http_free(&r);
    http_opts_t head = {.method = "HEAD"};
    http_do(url, &head, &r);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.len, 0);
    CU_ASSERT(http_header(&r, "Content-Length", v, sizeof v) && atol(v) > 0);
    http_free(&r);
    char other[400];
    snprintf(other, sizeof other, "%s/other", url);
    http_get(other, &r);
    CU_ASSERT_EQUAL(r.status, 404);
    http_free(&r);
    http_opts_t post = {.method = "POST"};
    http_do(url, &post, &r);
    CU_ASSERT_EQUAL(r.status, 405);
    CU_ASSERT(http_header(&r, "Allow", v, sizeof v) &&
              strcmp(v, "GET, HEAD") == 0);
    http_free(&r);
    tacho_host_close(h);
}

/* Each bad option is refused by create() with the option's line. */
/* What an option error reads like after its place: the option's own
 * file:line leads, then the sink that could not be created. */
#define NOT_CREATED                                                            \
    "sink 'prometheus' (plugin prometheus) could not be created: "

static void prometheus_rejects_bad_options(void)
{
    static const bad_case_t cases[] = {
        {"  prefix = \"9x\";\n",
         "<string>:4: " NOT_CREATED "prefix '9x' is not a metric"},
        {"  prefix = \"a-b\";\n", "prefix 'a-b' is not"},
        {"  path = \"metrics\";\n",
         "<string>:4: " NOT_CREATED "path 'metrics' must start"},
        {"  path = \"/m?x=1\";\n", "path '/m?x=1' must start"},
        {"  labels = { worker = \"x\"; };\n",
         "<string>:4: " NOT_CREATED
         "labels: 'worker' is not a usable label name"},
        {"  labels = { le = \"x\"; };\n", "labels: 'le' is not a usable"},
        {"  labels = { bad-name = \"x\"; };\n",
         "labels: 'bad-name' is not a usable"},
        {"  push_url = \"ftp://x/\";\n",
         "<string>:4: " NOT_CREATED
         "push_url 'ftp://x/' is not an http:// or https:// URL"},
        {"  push_url = \"not a url\";\n", "push_url 'not a url' is not"},
        {"  push_url = \"http://x\";\n  push_format = \"xml\";\n",
         "<string>:5: " NOT_CREATED
         "push_format must be \"pushgateway\" or \"import\", not "
         "\"xml\""},
        {"  push_url = \"http://x\";\n  push_timeout = 0;\n",
         "<string>:5: " NOT_CREATED
         "push_timeout must be more than 0 and at most 3600 "
         "seconds, not 0"},
        {"  push_url = \"http://x\";\n  push_job = \"\";\n",
         "<string>:5: " NOT_CREATED "push_job must not be empty"},
    };
    expect_refused("prometheus", cases, sizeof cases / sizeof cases[0]);
}

/* ---- push --------------------------------------------------------------- */

/* A Pushgateway that fails once: the write is retried, then the group
 * /metrics/job/<job>/instance/<worker> gets the full text with PUT. */
static void prometheus_pushes_to_pushgateway(void)
{
    receiver_t rc;
    const unsigned statuses[] = {500, 200};
    receiver_start(&rc, statuses, 2);
    tacho_host_t *h =
        start_pusher("prometheus", &rc, "/", "  push_job = \"batch\";\n");
    record_fixtures(h);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "prometheus", tacho_sink_stats_writes, 1, 20000));
    CU_ASSERT(sink_figure(h, "prometheus", tacho_sink_stats_retries) >= 1);
    CU_ASSERT_EQUAL(receiver_requests(&rc), 2);
    CU_ASSERT_STRING_EQUAL(rc.method, "PUT");
    CU_ASSERT_STRING_EQUAL(rc.path, "/metrics/job/batch/instance/w1");
    CU_ASSERT_STRING_EQUAL(rc.content_type,
                           "text/plain; version=0.0.4; charset=utf-8");
    CU_ASSERT(logged("push failed: ") && logged("answered HTTP 500"));
    exposition_t e;
    parse(rc.body, &e);
    check_counts(&e);
    assert_promtool_clean(rc.body);
    free(e.s);
    tacho_host_close(h);
    receiver_stop(&rc);
}

/* A worker id that is not URL-safe goes into the path in base64; a 4xx
 * answer is an error, not a retry. */
static void prometheus_push_encodes_grouping(void)
{
    receiver_t rc;
    const unsigned statuses[] = {400};
    receiver_start(&rc, statuses, 1);
    test_worker = "w/1";
    tacho_host_t *h = start_pusher("prometheus", &rc, "", "");
    test_worker = "w1";
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "prometheus", tacho_sink_stats_errors, 1, 10000));
    CU_ASSERT_EQUAL(sink_figure(h, "prometheus", tacho_sink_stats_retries), 0);
    CU_ASSERT_STRING_EQUAL(rc.path, "/metrics/job/tacho/instance@base64/dy8x");
    tacho_host_close(h);
    receiver_stop(&rc);
}

/* VictoriaMetrics: POST to /api/v1/import/prometheus with the job label. */
static void prometheus_push_import_format(void)
{
    receiver_t rc;
    const unsigned statuses[] = {204};
    receiver_start(&rc, statuses, 1);
    tacho_host_t *h =
        start_pusher("prometheus", &rc, "", "  push_format = \"import\";\n");
    record_fixtures(h);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "prometheus", tacho_sink_stats_writes, 1, 10000));
    CU_ASSERT_STRING_EQUAL(rc.method, "POST");
    CU_ASSERT_STRING_EQUAL(rc.path, "/api/v1/import/prometheus");
    CU_ASSERT_STRING_EQUAL(rc.extra_label, "job=tacho");
    exposition_t e;
    parse(rc.body, &e);
    check_counts(&e);
    free(e.s);
    tacho_host_close(h);
    receiver_stop(&rc);
}

/* The final snapshot at close is pushed too. */
static void prometheus_pushes_at_close(void)
{
    receiver_t rc;
    const unsigned statuses[] = {200};
    receiver_start(&rc, statuses, 1);
    tacho_host_t *h = start_pusher("prometheus", &rc, "", "");
    record_fixtures(h);
    tacho_host_close(h);
    CU_ASSERT(receiver_requests(&rc) >= 1);
    exposition_t e;
    parse(rc.body, &e);
    check_counts(&e);
    free(e.s);
    receiver_stop(&rc);
}

/* Each allocation a scrape makes (snapshot, render buffers, gzip) fails
 * in turn: the scraper gets a 500 with the reason, nothing leaks, and the
 * next scrape is whole again. */
static void prometheus_scrape_out_of_memory(void)
{
    int failures = 0;
    for (int n = 1; n < 500; n++) {
        char url[300];
        tacho_host_t *h = start_prom("", url, sizeof url);
        record_fixtures(h);
        failing_alloc_nth(n);
        http_opts_t gz = {.encoding = "gzip"};
        http_reply_t r;
        http_do(url, &gz, &r);
        bool hit = failing_alloc_failures() > 0;
        failing_alloc_nth(0);
        CU_ASSERT_EQUAL(r.rc, CURLE_OK);
        if (r.status == 500) {
            failures++;
            CU_ASSERT(strcmp(r.body, "out of memory\n") == 0 ||
                      strncmp(r.body, "cannot take a snapshot: ", 24) == 0);
        } else {
            CU_ASSERT_EQUAL(r.status, 200);
            CU_ASSERT(strncmp(r.body, "# HELP", 6) == 0);
        }
        http_free(&r);
        char *body = scrape(url, NULL, NULL, 0);
        CU_ASSERT(strstr(body, "tacho_runs_total{worker=\"w1\",pipeline="
                               "\"alpha\"} 3\n") != NULL);
        free(body);
        tacho_host_close(h);
        if (!hit) {
            break; /* the scrape made fewer than n allocations */
        }
    }
    CU_ASSERT(failures > 0);
}

/* A push whose rendering runs out of memory is an error, logged. */
static void prometheus_push_out_of_memory(void)
{
    receiver_t rc;
    const unsigned statuses[] = {200};
    receiver_start(&rc, statuses, 1);
    tacho_host_t *h = start_pusher("prometheus", &rc, "", "");
    record_fixtures(h);
    expect_push_out_of_memory(h, "prometheus", &rc);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "prometheus", tacho_sink_stats_writes, 1, 10000));
    CU_ASSERT_EQUAL(receiver_requests(&rc), 1);
    tacho_host_close(h);
    receiver_stop(&rc);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"prometheus_text_matches_runs", prometheus_text_matches_runs},
        {"prometheus_openmetrics_on_request",
         prometheus_openmetrics_on_request},
        {"prometheus_escapes_label_values", prometheus_escapes_label_values},
        {"prometheus_long_names_and_labels", prometheus_long_names_and_labels},
        {"prometheus_prefix_and_constant_labels",
         prometheus_prefix_and_constant_labels},
        {"prometheus_scrape_is_fresh", prometheus_scrape_is_fresh},
        {"prometheus_gzip_head_404_405", prometheus_gzip_head_404_405},
        {"prometheus_rejects_bad_options", prometheus_rejects_bad_options},
        {"prometheus_pushes_to_pushgateway", prometheus_pushes_to_pushgateway},
        {"prometheus_push_encodes_grouping", prometheus_push_encodes_grouping},
        {"prometheus_push_import_format", prometheus_push_import_format},
        {"prometheus_pushes_at_close", prometheus_pushes_at_close},
        {"prometheus_scrape_out_of_memory", prometheus_scrape_out_of_memory},
        {"prometheus_push_out_of_memory", prometheus_push_out_of_memory},
        {NULL, NULL},
    };
    /* Before any other tacho call, as tacho_replace_allocator() asks. */
    if (sink_alloc_install() != 0) {
        return 1;
    }
    return tacho_test_run("prometheus", capture_init, capture_cleanup, cases);
}
