/*
 * Push faults suite: the http_json sink pushing to a target that is down
 * (connection refused), slow (answers after 2 s, past push_timeout) or
 * answering 500, for several seconds at a 0.2 s interval, next to a csv
 * sink, while the test records runs. For each fault:
 *   - the push is retried, with the dispatcher's backoff, a bounded number
 *     of times per snapshot (newer snapshots supersede older ones), and
 *     every failure is counted in the sink's health;
 *   - the csv sink stays on schedule and recording is unaffected: its last
 *     row holds every recorded run;
 *   - closing the host still takes well under its grace period;
 *   - resident memory does not grow after warm-up (not in sanitizer
 *     builds).
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "checks.h"
#include "reliability.h"

#define INTERVAL 0.2
#define PUSH_TIMEOUT 0.3
#define RUN_SECONDS 6.0
#define RSS_SLACK (1024L * 1024)

typedef enum fault { DOWN, SLOW, FAIL_500 } fault_t;

static atomic_int requests;
static fault_t fault;

/* ---- the push target ------------------------------------------------------
 */

/* Reads the whole POST, then answers by the fault in force. */
static enum MHD_Result on_push(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    if (*req_cls == NULL) {
        *req_cls = conn;
        atomic_fetch_add(&requests, 1);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (fault == SLOW) {
        rel_sleep(2.0);
    }
    static const char body[] = "no\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(
        conn, fault == FAIL_500 ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_OK,
        r);
    MHD_destroy_response(r);
    return rc;
}

/* A port nobody listens on: bound, then closed again. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static struct MHD_Daemon *start_target(int *port)
{
    if (fault == DOWN) {
        *port = closed_port();
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, on_push, NULL, MHD_OPTION_END);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return d;
}

/* ---- the run --------------------------------------------------------------
 */

typedef struct outcome {
    unsigned long long recorded;
    long rss[64];
    size_t nrss;
    double close_seconds;
    unsigned long long writes, errors, retries, csv_writes, csv_errors;
    char last_error[256];
} outcome_t;

static tacho_host_t *open_host(const char *dir, int port)
{
    char text[2048];
    snprintf(text, sizeof text,
             "tacho = { worker = \"push\"; interval = %g; };\n"
             "sinks = ( { plugin = \"http_json\"; listen = \"\"; push_url = "
             "\"http://127.0.0.1:%d/push\"; push_timeout = %g; },\n"
             "          { plugin = \"csv\"; path = \"%s/rows.csv\"; } );\n",
             INTERVAL, port, PUSH_TIMEOUT, dir);
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_host_open_string(text, &h, &err), 0);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, &err), 0);
    return h;
}

static void read_health(tacho_host_t *h, outcome_t *o)
{
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    for (size_t i = 0; i < tacho_snapshot_sink_count(s); i++) {
        const tacho_sink_stats_t *ss = tacho_snapshot_sink(s, i);
        if (strcmp(tacho_sink_stats_name(ss), "http_json") == 0) {
            o->writes = tacho_sink_stats_writes(ss);
            o->errors = tacho_sink_stats_errors(ss);
            o->retries = tacho_sink_stats_retries(ss);
            snprintf(o->last_error, sizeof o->last_error, "%s",
                     tacho_sink_stats_last_error(ss));
        } else {
            o->csv_writes = tacho_sink_stats_writes(ss);
            o->csv_errors = tacho_sink_stats_errors(ss);
        }
    }
    tacho_snapshot_free(s);
}

static void run(tacho_host_t *h, outcome_t *o)
{
    tacho_pipeline_t *p = tacho_pipeline_get(tacho_host_collector(h), "job");
    double t0 = rel_now(), next_rss = t0 + 0.5;
    while (rel_now() - t0 < RUN_SECONDS) {
        for (int i = 0; i < 1000; i++) {
            tacho_pipeline_record(p, 1000 + (uint64_t)i, i % 7 != 0);
        }
        o->recorded += 1000;
        if (rel_now() >= next_rss && o->nrss < 64) {
            o->rss[o->nrss++] = rel_rss();
            next_rss += 0.5;
        }
        rel_sleep(0.005);
    }
    read_health(h, o);
    double c0 = rel_now();
    tacho_host_close(h);
    o->close_seconds = rel_now() - c0;
}

/* The runs column of the csv's last all-pipelines row. */
static unsigned long long csv_last_total(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    size_t len = 0;
    char *text = tacho_test_read_file(path, &len), why[256];
    csv_doc_t doc;
    CU_ASSERT_TRUE_FATAL(text != NULL &&
                         csv_read(text, len, 0, &doc, why, sizeof why));
    unsigned long long runs = 0;
    for (size_t i = 1; i < doc.count; i++) {
        if (doc.records[i].fields[2][0] == '\0') {
            runs = strtoull(doc.records[i].fields[3], NULL, 10);
        }
    }
    csv_doc_free(&doc);
    free(text);
    return runs;
}

static void check(const char *what, const outcome_t *o, int received)
{
    double snapshots = RUN_SECONDS / INTERVAL;
    printf("\n  %s: %d requests received, push writes %llu errors %llu "
           "retries %llu (\"%s\"); csv writes %llu; close %.2f s",
           what, received, o->writes, o->errors, o->retries, o->last_error,
           o->csv_writes, o->close_seconds);
    CU_ASSERT_EQUAL(o->writes, 0);
    CU_ASSERT_TRUE(o->errors + o->retries >= 5);
    /* The cause shows in the sink's health while the retries go on. */
    CU_ASSERT_TRUE(
        strncmp(o->last_error, "push failed: http://127.0.0.1:", 30) == 0);
    /* Bounded: at most a few attempts per snapshot, never a storm. */
    CU_ASSERT_TRUE(received <= 3 * snapshots);
    CU_ASSERT_TRUE(o->retries <= 4 * snapshots);
    /* The other sink kept its schedule (a busy machine may lose some). */
    CU_ASSERT_TRUE(o->csv_writes >= 0.6 * snapshots);
    CU_ASSERT_EQUAL(o->csv_errors, 0);
    /* The final delivery may retry too, but within the 5 s grace. */
    CU_ASSERT_TRUE(o->close_seconds < 5.5);
    long base = o->rss[3], peak = base; /* from 2 s on */
    for (size_t i = 4; i < o->nrss; i++) {
        peak = o->rss[i] > peak ? o->rss[i] : peak;
    }
    printf("; memory growth after 2 s: %.2f MiB%s\n",
           (double)(peak - base) / 1048576.0,
           REL_SANITIZED ? " (not checked: sanitizer build)" : "");
    CU_ASSERT_FATAL(o->nrss >= 8);
    if (!REL_SANITIZED) {
        CU_ASSERT_TRUE(peak - base < RSS_SLACK);
    }
}

static void run_fault(fault_t f, const char *what)
{
    fault = f;
    atomic_store(&requests, 0);
    char *dir = tacho_test_tmpdir("push");
    int port = 0;
    struct MHD_Daemon *target = start_target(&port);
    outcome_t o = {0};
    run(open_host(dir, port), &o);
    check(what, &o, atomic_load(&requests));
    CU_ASSERT_EQUAL(csv_last_total(dir), o.recorded);
    if (target != NULL) {
        MHD_stop_daemon(target);
    }
    tacho_test_rmtree(dir);
    free(dir);
}

static void push_faults_target_down(void)
{
    run_fault(DOWN, "target down");
}

static void push_faults_target_slow(void)
{
    run_fault(SLOW, "target slow");
}

static void push_faults_target_answers_500(void)
{
    run_fault(FAIL_500, "target answers 500");
}

static int init(void)
{
    /* Every failed push is logged; the health is what is checked. */
    tacho_log_set_handler(NULL, NULL);
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"push_faults_target_down", push_faults_target_down},
        {"push_faults_target_slow", push_faults_target_slow},
        {"push_faults_target_answers_500", push_faults_target_answers_500},
        {NULL, NULL},
    };
    return tacho_test_run("push_faults", init, NULL, cases);
}
