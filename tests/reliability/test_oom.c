/*
 * Allocation failure suite: one whole life of a host with the four real
 * sinks (log to a file, csv, prometheus, http_json) is run again and again
 * with the Nth allocation failing, N = 1, 2, ... until a run sees no
 * failure: open (config, collector, loading, each sink's create), start
 * (files, sockets, threads), record, snapshot, render as JSON, deliver, a
 * scrape of each HTTP sink, reopen, close. Every step must succeed or fail
 * cleanly (TACHO_ENOMEM, a sink's create failing with "out of memory", a
 * scrape answered 500), the host must always close, and in the ASan build
 * LeakSanitizer checks at exit that no run leaked anything.
 */
#include <stdatomic.h>

#include "reliability.h"

/* ---- the failing allocator ----------------------------------------------- */

static atomic_long calls, fail_at, failures;

static bool should_fail(void)
{
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (n == atomic_load(&fail_at)) {
        atomic_fetch_add(&failures, 1);
        return true;
    }
    return false;
}

static void *f_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

static void *f_calloc(size_t c, size_t n)
{
    return should_fail() ? NULL : calloc(c, n);
}

static void *f_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

/* ---- one life of a host ---------------------------------------------------
 */

static char *dir;
static char config[4096];
static _Atomic int prom_port, json_port;

/* Keeps the ports the sinks report; everything else is expected noise. */
static void on_log(void *arg, tacho_log_level_t level, const char *origin,
                   const char *message)
{
    const char *at = strstr(message, "listening on http://127.0.0.1:");
    if (at != NULL) {
        int port = atoi(at + strlen("listening on http://127.0.0.1:"));
        atomic_store(strstr(origin, "prometheus") ? &prom_port : &json_port,
                     port);
    }
}

static bool ok_or_enomem(int rc)
{
    return rc == 0 || rc == TACHO_ENOMEM;
}

static void scrape(CURL *curl, int port, const char *path)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    rel_body_t b = {0};
    long status = rel_get(curl, url, 5, &b);
    CU_ASSERT_TRUE(status == 200 || status == 500);
    free(b.data);
}

static void use(tacho_host_t *h, CURL *curl)
{
    CU_ASSERT_TRUE(
        ok_or_enomem(tacho_record(tacho_host_collector(h), "job", 5, true)));
    tacho_snapshot_t *s = NULL;
    int rc = tacho_host_snapshot(h, &s);
    CU_ASSERT_TRUE(ok_or_enomem(rc));
    char *json = NULL;
    if (rc == 0) {
        CU_ASSERT_TRUE(ok_or_enomem(tacho_json_render(s, 0, &json, NULL)));
    }
    tacho_free(json);
    tacho_snapshot_free(s);
    CU_ASSERT_TRUE(ok_or_enomem(tacho_host_report_now(h)));
    scrape(curl, atomic_load(&prom_port), "/metrics");
    scrape(curl, atomic_load(&json_port), "/metrics.json");
    CU_ASSERT_TRUE(ok_or_enomem(tacho_host_reopen(h)));
}

static void life(CURL *curl)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    int rc = tacho_host_open_string(config, &h, &err);
    if (rc != 0) {
        CU_ASSERT_PTR_NULL(h);
        CU_ASSERT_TRUE(
            rc == TACHO_ENOMEM ||
            (rc == TACHO_ESINK && strstr(err.text, "out of memory")));
        return;
    }
    atomic_store(&prom_port, 0);
    atomic_store(&json_port, 0);
    rc = tacho_host_start(h, &err);
    CU_ASSERT_TRUE(rc == 0 || rc == TACHO_ENOMEM ||
                   (rc == TACHO_ESINK && strstr(err.text, "out of memory")));
    if (rc == 0) {
        use(h, curl);
    }
    tacho_host_close(h);
}

static void oom_every_allocation_of_a_host_life(void)
{
    CURL *curl = curl_easy_init();
    long n = 1;
    for (; n < 100000; n++) {
        atomic_store(&calls, 0);
        atomic_store(&failures, 0);
        atomic_store(&fail_at, n);
        CU_ASSERT_EQUAL_FATAL(
            tacho_replace_allocator(f_malloc, f_realloc, f_calloc, free), 0);
        life(curl);
        tacho_replace_allocator(malloc, realloc, calloc, free);
        if (atomic_load(&failures) == 0) {
            break;
        }
    }
    printf("\n  %ld runs, each failing one more allocation, all clean\n", n);
    CU_ASSERT_TRUE(n > 100 && n < 100000);
    curl_easy_cleanup(curl);
}

static int init(void)
{
    dir = tacho_test_tmpdir("oom");
    snprintf(config, sizeof config,
             "tacho = { worker = \"oom\"; interval = 3600.0; };\n"
             "sinks = (\n"
             "  { plugin = \"log\"; target = \"file\"; path = \"%s/log\"; "
             "format = \"json\"; recent = true; },\n"
             "  { plugin = \"csv\"; path = \"%s/runs.csv\"; },\n"
             "  { plugin = \"prometheus\"; listen = \"127.0.0.1:0\"; labels = "
             "{ region = \"eu\"; }; },\n"
             "  { plugin = \"http_json\"; listen = \"127.0.0.1:0\"; }\n"
             ");\n",
             dir, dir);
    tacho_log_set_handler(on_log, NULL);
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int cleanup(void)
{
    tacho_test_rmtree(dir);
    free(dir);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"oom_every_allocation_of_a_host_life",
         oom_every_allocation_of_a_host_life},
        {NULL, NULL},
    };
    return tacho_test_run("oom", init, cleanup, cases);
}
