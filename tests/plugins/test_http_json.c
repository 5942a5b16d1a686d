/*
 * The `http_json` sink, loaded as the real tacho_sink_http_json.so by a
 * real host: each path is fetched over loopback with libcurl, parsed with
 * json-c, validated against the JSON Schemas and compared with the runs
 * recorded; the push mode is checked against a loopback receiver that
 * fails first.
 */
#include <json-c/json.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_test.h"

#define SCHEMA_V1 "tacho-snapshot-v1.json"
#define SCHEMA_LEGACY "tacho-legacy-metrics.json"

static tacho_host_t *start_json(const char *options, char *base, size_t size)
{
    return start_listening("http_json", "127.0.0.1:0", options, base, size);
}

/* Fetches base+path, expecting 200 and `type`; returns the body. */
static char *fetch(const char *base, const char *path, const char *type)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    http_reply_t r;
    http_get(url, &r);
    CU_ASSERT_EQUAL(r.status, 200);
    char got[256] = "";
    CU_ASSERT(http_header(&r, "Content-Type", got, sizeof got));
    CU_ASSERT_STRING_EQUAL(got, type);
    return r.body;
}

static int64_t get_int(json_object *o, const char *dotted)
{
    json_object *v = json_member(o, dotted);
    CU_ASSERT_PTR_NOT_NULL(v);
    return v != NULL ? json_object_get_int64(v) : -1;
}

/* The schema-1 document holds exactly the runs recorded. */
static void check_v1(json_object *doc)
{
    CU_ASSERT_EQUAL(get_int(doc, "schemaVersion"), 1);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(json_member(doc, "worker")),
                           "w1");
    CU_ASSERT_EQUAL(get_int(doc, "runs.total"), 4);
    CU_ASSERT_EQUAL(get_int(doc, "runs.failed"), 1);
    json_object *pipelines = json_member(doc, "pipelines");
    CU_ASSERT_FATAL(json_object_array_length(pipelines) == 2);
    json_object *alpha = json_object_array_get_idx(pipelines, 0);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(json_member(alpha, "name")),
                           "alpha");
    CU_ASSERT_EQUAL(get_int(alpha, "runs.total"), 3);
    CU_ASSERT_EQUAL(get_int(alpha, "runs.succeeded"), 2);
    CU_ASSERT_DOUBLE_EQUAL(
        json_object_get_double(json_member(alpha, "durations.sum")), 0.06,
        1e-12);
    CU_ASSERT_EQUAL(json_object_array_length(json_member(doc, "recent")), 4);
}

static void http_json_serves_schema_v1(void)
{
    char base[256];
    tacho_host_t *h = start_json("", base, sizeof base);
    record_known(h);
    char *body = fetch(base, "/metrics.json", "application/json");
    CU_ASSERT(strchr(body, '\n') == NULL);
    json_object *doc = json_tokener_parse(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    check_v1(doc);
    assert_schema(SCHEMA_V1, body);
    json_object_put(doc);
    free(body);
    /* Indented for people on request; the same figures. */
    body = fetch(base, "/metrics.json?pretty=1", "application/json");
    CU_ASSERT(strstr(body, "\n  \"") != NULL);
    doc = json_tokener_parse(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    check_v1(doc);
    json_object_put(doc);
    free(body);
    tacho_host_close(h);
}

static void http_json_serves_legacy(void)
{
    char base[256];
    tacho_host_t *h = start_json("", base, sizeof base);
    record_known(h);
    char *body = fetch(base, "/worker.metrics", "application/json");
    json_object *doc = json_tokener_parse(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_EQUAL(get_int(doc, "totalRuns"), 4);
    CU_ASSERT_EQUAL(get_int(doc, "failed"), 1);
    CU_ASSERT_EQUAL(get_int(doc, "succeeded"), 3);
    CU_ASSERT_DOUBLE_EQUAL(
        json_object_get_double(json_member(doc, "maxExecutionTime")), 30.0,
        1e-9);
    assert_schema(SCHEMA_LEGACY, body);
    json_object_put(doc);
    free(body);
    body = fetch(base, "/trpc/worker.metrics", "application/json");
    doc = json_tokener_parse(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_EQUAL(get_int(doc, "result.data.totalRuns"), 4);
    CU_ASSERT_EQUAL(get_int(doc, "result.data.failed"), 1);
    json_object_put(doc);
    free(body);
    tacho_host_close(h);
}

/* /healthz answers without credentials; everything else needs them;
 * other paths are 404. */
static void http_json_healthz_and_paths(void)
{
    char dir[] = "/tmp/tacho_http_jsonXXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char token[300];
    snprintf(token, sizeof token, "%s/token", dir);
    write_file(token, "s3cret\n");
    char opts[512];
    snprintf(opts, sizeof opts, "  auth_token_file = \"%s\";\n", token);
    char base[256];
    tacho_host_t *h = start_json(opts, base, sizeof base);
    char *body = fetch(base, "/healthz", "text/plain; charset=utf-8");
    CU_ASSERT_STRING_EQUAL(body, "ok\n");
    free(body);
    char url[512];
    snprintf(url, sizeof url, "%s/metrics.json", base);
    http_reply_t r;
    http_get(url, &r);
    CU_ASSERT_EQUAL(r.status, 401);
    http_free(&r);
    http_opts_t auth = {.headers = "Authorization: Bearer s3cret"};
    http_do(url, &auth, &r);
    CU_ASSERT_EQUAL(r.status, 200);
    http_free(&r);
    const char *missing[] = {"/index.html", "/metrics", "/healthz/",
                             "/worker.metrics/x", "/dashboard.js/x"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        snprintf(url, sizeof url, "%s%s", base, missing[i]);
        http_do(url, &auth, &r);
        CU_ASSERT_EQUAL(r.status, 404);
        http_free(&r);
    }
    tacho_host_close(h);
    unlink(token);
    rmdir(dir);
}

/* ---- the dashboard --------------------------------------------------------
 */

#define DASHBOARD_DIR TACHO_TEST_SOURCE_DIR "/plugins/http_json/dashboard/"
#define DASHBOARD_CSP                                                          \
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "           \
    "style-src 'self'; script-src 'self'"

static const struct {
    const char *path;
    const char *file;
    const char *type;
} dashboard_files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/dashboard.css", "dashboard.css", "text/css; charset=utf-8"},
    {"/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"},
};
#define DASHBOARD_FILES (sizeof dashboard_files / sizeof dashboard_files[0])

static char *dashboard_source(size_t i, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", DASHBOARD_DIR, dashboard_files[i].file);
    char *text = tacho_test_read_file(path, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    return text;
}

/* A dashboard answer: `type`, the page's security headers, and (for GET)
 * exactly the bytes of the file in the source tree. */
static void check_dashboard_reply(const http_reply_t *r, size_t i, bool head)
{
    char got[512] = "";
    CU_ASSERT_EQUAL(r->status, 200);
    CU_ASSERT(http_header(r, "Content-Type", got, sizeof got));
    CU_ASSERT_STRING_EQUAL(got, dashboard_files[i].type);
    CU_ASSERT(http_header(r, "Content-Security-Policy", got, sizeof got));
    CU_ASSERT_STRING_EQUAL(got, DASHBOARD_CSP);
    CU_ASSERT(http_header(r, "X-Content-Type-Options", got, sizeof got));
    CU_ASSERT_STRING_EQUAL(got, "nosniff");
    size_t len = 0;
    char *want = dashboard_source(i, &len);
    CU_ASSERT(len > 0);
    if (head) {
        CU_ASSERT_EQUAL(r->len, 0);
    } else {
        CU_ASSERT_EQUAL(r->len, len);
        CU_ASSERT(r->len == len && memcmp(r->body, want, len) == 0);
    }
    free(want);
}

/* The page, its style and its script are served from the sink itself,
 * byte for byte as written, by GET and HEAD, gzipped when asked. */
static void http_json_serves_dashboard(void)
{
    char base[256];
    tacho_host_t *h = start_json("", base, sizeof base);
    for (size_t i = 0; i < DASHBOARD_FILES; i++) {
        char url[512];
        snprintf(url, sizeof url, "%s%s", base, dashboard_files[i].path);
        http_reply_t r;
        http_get(url, &r);
        check_dashboard_reply(&r, i, false);
        http_free(&r);
        http_opts_t head = {.method = "HEAD"};
        http_do(url, &head, &r);
        check_dashboard_reply(&r, i, true);
        char got[64] = "";
        size_t len = 0;
        free(dashboard_source(i, &len));
        CU_ASSERT(http_header(&r, "Content-Length", got, sizeof got));
        CU_ASSERT_EQUAL(strtoul(got, NULL, 10), len);
        http_free(&r);
        http_opts_t gz = {.encoding = "gzip"};
        http_do(url, &gz, &r);
        check_dashboard_reply(&r, i, false);
        CU_ASSERT(http_header(&r, "Content-Encoding", got, sizeof got));
        CU_ASSERT_STRING_EQUAL(got, "gzip");
        http_free(&r);
    }
    /* The page's headers are its own: the JSON does not carry them. */
    char url[512];
    snprintf(url, sizeof url, "%s/metrics.json", base);
    http_reply_t r;
    http_get(url, &r);
    CU_ASSERT_EQUAL(http_header_count(&r, "Content-Security-Policy"), 0);
    http_free(&r);
    tacho_host_close(h);
}

/* Every relative address the page names (href="..." and src="...") is
 * served, and the script reads metrics.json: the page needs nothing from
 * anywhere else. */
static void http_json_dashboard_links_resolve(void)
{
    char base[256];
    tacho_host_t *h = start_json("", base, sizeof base);
    char *html = dashboard_source(0, NULL);
    int links = 0;
    for (const char *p = html; (p = strpbrk(p, "hs")) != NULL; p++) {
        size_t skip = strncmp(p, "href=\"", 6) == 0  ? 6
                      : strncmp(p, "src=\"", 5) == 0 ? 5
                                                     : 0;
        if (skip == 0 || (p > html && p[-1] != ' ')) {
            continue;
        }
        const char *v = p + skip;
        size_t n = strcspn(v, "\"?#");
        if (strncmp(v, "data:", 5) == 0) {
            continue;
        }
        /* Relative to "/", never to another origin. */
        CU_ASSERT(strncmp(v, "//", 2) != 0 && strstr(v, "://") != v + n &&
                  memchr(v, ':', n) == NULL);
        char url[512];
        snprintf(url, sizeof url, "%s/%.*s", base, (int)n, v);
        http_reply_t r;
        http_get(url, &r);
        if (r.status != 200) {
            fprintf(stderr, "\n%s answered %ld\n", url, r.status);
        }
        CU_ASSERT_EQUAL(r.status, 200);
        http_free(&r);
        links++;
    }
    CU_ASSERT(links >= 3); /* dashboard.css, dashboard.js, metrics.json */
    free(html);
    char *js = dashboard_source(2, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "fetch('metrics.json'"));
    free(js);
    tacho_host_close(h);
}

/* With credentials configured the dashboard needs them too (a browser
 * asks for basic credentials once and sends them with every request). */
static void http_json_dashboard_needs_credentials(void)
{
    char *dir = tacho_test_tmpdir("http_json");
    char file[600];
    snprintf(file, sizeof file, "%s/basic", dir);
    write_file(file, "ops:pa55word\n");
    char opts[800];
    snprintf(opts, sizeof opts, "  auth_basic_file = \"%s\";\n", file);
    char base[256];
    tacho_host_t *h = start_json(opts, base, sizeof base);
    for (size_t i = 0; i < DASHBOARD_FILES; i++) {
        char url[512];
        snprintf(url, sizeof url, "%s%s", base, dashboard_files[i].path);
        http_reply_t r;
        http_get(url, &r);
        CU_ASSERT_EQUAL(r.status, 401);
        char got[256] = "";
        CU_ASSERT(http_header(&r, "WWW-Authenticate", got, sizeof got));
        CU_ASSERT_PTR_NOT_NULL(strstr(got, "Basic realm=\"tacho\""));
        CU_ASSERT_PTR_NULL(strstr(r.body, "<html"));
        http_free(&r);
        /* "ops:wrong", then "ops:pa55word", in base64. */
        http_opts_t bad = {.headers = "Authorization: Basic b3BzOndyb25n"};
        http_do(url, &bad, &r);
        CU_ASSERT_EQUAL(r.status, 401);
        http_free(&r);
        http_opts_t good = {.headers = "Authorization: Basic b3BzOnBhNTV3b3Jk"};
        http_do(url, &good, &r);
        check_dashboard_reply(&r, i, false);
        http_free(&r);
    }
    tacho_host_close(h);
    tacho_test_rmtree(dir);
    free(dir);
}

/* Each allocation of a dashboard request fails in turn: a 500 "out of
 * memory" (never a cut page), and the next request is whole. */
static void http_json_dashboard_out_of_memory(void)
{
    char base[256];
    tacho_host_t *h = start_json("", base, sizeof base);
    char url[300];
    snprintf(url, sizeof url, "%s/dashboard.js", base);
    int failures = 0;
    for (int n = 1; n < 100; n++) {
        failing_alloc_nth(n);
        http_opts_t gz = {.encoding = "gzip"};
        http_reply_t r;
        http_do(url, &gz, &r);
        bool hit = failing_alloc_failures() > 0;
        failing_alloc_nth(0);
        if (r.status == 500) {
            failures++;
            CU_ASSERT_STRING_EQUAL(r.body, "out of memory\n");
        } else {
            check_dashboard_reply(&r, 2, false);
        }
        http_free(&r);
        http_get(url, &r);
        check_dashboard_reply(&r, 2, false);
        http_free(&r);
        if (!hit) {
            break;
        }
    }
    CU_ASSERT(failures > 0);
    tacho_host_close(h);
}

/* ---- push --------------------------------------------------------------- */

/* The receiver answers 500, then 200: the dispatcher retries, the second
 * attempt delivers, and the body is the schema-1 document of the runs. */
static void http_json_push_retries_then_delivers(void)
{
    receiver_t rc;
    const unsigned statuses[] = {500, 200};
    receiver_start(&rc, statuses, 2);
    tacho_host_t *h = start_pusher("http_json", &rc, "/in", "");
    record_known(h);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "http_json", tacho_sink_stats_writes, 1, 20000));
    CU_ASSERT_EQUAL(sink_figure(h, "http_json", tacho_sink_stats_retries), 1);
    CU_ASSERT_EQUAL(sink_figure(h, "http_json", tacho_sink_stats_errors), 0);
    CU_ASSERT_EQUAL(receiver_requests(&rc), 2);
    CU_ASSERT_STRING_EQUAL(rc.method, "POST");
    CU_ASSERT_STRING_EQUAL(rc.path, "/in");
    CU_ASSERT_STRING_EQUAL(rc.content_type, "application/json");
    CU_ASSERT(logged("push failed: ") && logged("answered HTTP 500"));
    json_object *doc = json_tokener_parse(rc.body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    check_v1(doc);
    assert_schema(SCHEMA_V1, rc.body);
    json_object_put(doc);
    tacho_host_close(h);
    receiver_stop(&rc);
}

/* A 4xx answer will not get better by trying again: an error. */
static void http_json_push_4xx_is_error(void)
{
    receiver_t rc;
    const unsigned statuses[] = {422};
    receiver_start(&rc, statuses, 1);
    tacho_host_t *h = start_pusher("http_json", &rc, "", "");
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "http_json", tacho_sink_stats_errors, 1, 10000));
    CU_ASSERT_EQUAL(sink_figure(h, "http_json", tacho_sink_stats_retries), 0);
    CU_ASSERT_EQUAL(receiver_requests(&rc), 1);
    CU_ASSERT(logged("answered HTTP 422"));
    tacho_host_close(h);
    receiver_stop(&rc);
}

/* Nobody listening: a transient failure, so a retry. */
static void http_json_push_unreachable_is_retry(void)
{
    receiver_t rc;
    const unsigned statuses[] = {200};
    receiver_start(&rc, statuses, 1);
    receiver_stop(&rc); /* the port is now closed; rc.url stays */
    tacho_host_t *h =
        start_pusher("http_json", &rc, "", "  push_timeout = 2;\n");
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, "http_json", tacho_sink_stats_retries, 1, 10000));
    CU_ASSERT(logged("push failed: http://127.0.0.1:"));
    tacho_host_close(h);
}

/* An option error leads with the option's own file:line, then names the
 * sink that could not be created. */
#define NOT_CREATED "sink 'http_json' (plugin http_json) could not be created: "

static void http_json_rejects_bad_options(void)
{
    static const bad_case_t cases[] = {
        {"  push_url = \"file:///etc/passwd\";\n",
         "<string>:4: " NOT_CREATED "push_url 'file:///etc/passwd' is not an "
         "http:// or https:// URL"},
        {"  push_url = \"http://x\";\n  push_timeout = -1.0;\n",
         "<string>:5: " NOT_CREATED "push_timeout must be more than 0 and at "
         "most 3600 seconds, not -1"},
        {"  push_url = \"http://x\";\n  push_timeout = 7200;\n",
         "push_timeout must be more than 0 and at most 3600 seconds, not 7200"},
    };
    expect_refused("http_json", cases, sizeof cases / sizeof cases[0]);
}

/* Each allocation of a /metrics.json request fails in turn: a 500 with
 * the reason, and the next request is whole. */
static void http_json_out_of_memory(void)
{
    int failures = 0;
    for (int n = 1; n < 2000; n++) {
        char base[256];
        tacho_host_t *h = start_json("", base, sizeof base);
        record_known(h);
        char url[300];
        snprintf(url, sizeof url, "%s/metrics.json", base);
        failing_alloc_nth(n);
        http_reply_t r;
        http_get(url, &r);
        bool hit = failing_alloc_failures() > 0;
        failing_alloc_nth(0);
        if (r.status == 500) {
            failures++;
            CU_ASSERT(strcmp(r.body, "out of memory\n") == 0 ||
                      strcmp(r.body, "cannot render the metrics: out of "
                                     "memory\n") == 0);
        } else {
            CU_ASSERT_EQUAL(r.status, 200);
        }
        http_free(&r);
        char *body = fetch(base, "/metrics.json", "application/json");
        json_object *doc = json_tokener_parse(body);
        CU_ASSERT_PTR_NOT_NULL(doc);
        if (doc != NULL) {
            check_v1(doc);
        }
        json_object_put(doc);
        free(body);
        tacho_host_close(h);
        if (!hit) {
            break; /* the request made fewer than n allocations */
        }
    }
    CU_ASSERT(failures > 0);
}

/* A push whose rendering runs out of memory is an error, logged. */
static void http_json_push_out_of_memory(void)
{
    receiver_t rc;
    const unsigned statuses[] = {200};
    receiver_start(&rc, statuses, 1);
    tacho_host_t *h = start_pusher("http_json", &rc, "", "");
    expect_push_out_of_memory(h, "http_json", &rc);
    tacho_host_close(h);
    receiver_stop(&rc);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"http_json_serves_schema_v1", http_json_serves_schema_v1},
        {"http_json_serves_legacy", http_json_serves_legacy},
        {"http_json_healthz_and_paths", http_json_healthz_and_paths},
        {"http_json_serves_dashboard", http_json_serves_dashboard},
        {"http_json_dashboard_links_resolve",
         http_json_dashboard_links_resolve},
        {"http_json_dashboard_needs_credentials",
         http_json_dashboard_needs_credentials},
        {"http_json_dashboard_out_of_memory",
         http_json_dashboard_out_of_memory},
        {"http_json_push_retries_then_delivers",
         http_json_push_retries_then_delivers},
        {"http_json_push_4xx_is_error", http_json_push_4xx_is_error},
        {"http_json_push_unreachable_is_retry",
         http_json_push_unreachable_is_retry},
        {"http_json_rejects_bad_options", http_json_rejects_bad_options},
        {"http_json_out_of_memory", http_json_out_of_memory},
        {"http_json_push_out_of_memory", http_json_push_out_of_memory},
        {NULL, NULL},
    };
    /* Before any other tacho call, as tacho_replace_allocator() asks. */
    if (sink_alloc_install() != 0) {
        return 1;
    }
    return tacho_test_run("http_json", capture_init, capture_cleanup, cases);
}
