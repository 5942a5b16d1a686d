/*
 * End-to-end suite: the real tacho-worker binary with all four sinks, on
 * free ports, running jobs that succeed, fail and time out. What the
 * worker logged, the scraped JSON and Prometheus text, the CSV file and
 * the log sink's final line must all agree; SIGTERM must deliver a final
 * snapshot holding every finished run; SIGHUP must reopen moved files.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tacho/version.h>

#include "e2e_support.h"
#include "tacho_test.h"

static char *tmp;

typedef struct counts {
    long runs, succeeded, failed;
} counts_t;

static bool has(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL) {
        return true;
    }
    fprintf(stderr, "\nmissing: %s\n", needle);
    return false;
}

/* The runs of job `name` in the worker's log ("job NAME finished in"). */
static counts_t logged(const char *log, const char *name)
{
    counts_t c = {0, 0, 0};
    char key[128];
    snprintf(key, sizeof key, "[worker] job %s finished in ", name);
    for (const char *p = log; p != NULL && (p = strstr(p, key)) != NULL; p++) {
        const char *eol = strchr(p, '\n');
        const char *ok = strstr(p, " s: ok");
        c.runs++;
        if (ok != NULL && (eol == NULL || ok < eol)) {
            c.succeeded++;
        } else {
            c.failed++;
        }
    }
    return c;
}

static char *read_text(const char *path)
{
    char *t = tacho_test_read_file(path, NULL);
    return t != NULL ? t : calloc(1, 1);
}

/* The last CSV row of `pipeline` ("" for the all-pipelines row). The test
 * uses plain names, so splitting at commas is enough. */
static bool csv_last(const char *path, const char *pipeline, counts_t *c)
{
    char *text = read_text(path);
    bool found = false;
    for (char *line = strtok(text, "\n"); line != NULL;
         line = strtok(NULL, "\n")) {
        char *f[7] = {0};
        char *p = line;
        for (int i = 0; i < 7 && p != NULL; i++) {
            f[i] = p;
            p = strchr(p, ',');
            if (p != NULL) {
                *p++ = '\0';
            }
        }
        if (f[6] != NULL && strcmp(f[2], pipeline) == 0 &&
            strcmp(f[0], "timestamp") != 0) {
            c->runs = atol(f[3]);
            c->succeeded = atol(f[4]);
            c->failed = atol(f[5]);
            found = true;
        }
    }
    free(text);
    return found;
}

/* The log sink's last "Worker Metrics Report {...}" line. */
static bool report_last(const char *path, counts_t *c)
{
    char *text = read_text(path);
    const char *line = NULL;
    for (const char *p = text;
         (p = strstr(p, "Worker Metrics Report {")) != NULL; p++) {
        line = p;
    }
    bool ok = false;
    if (line != NULL) {
        json_object *o = json_tokener_parse(line + strlen("Worker Metrics "
                                                          "Report "));
        json_object *v;
        ok = o != NULL;
        c->runs = ok && json_object_object_get_ex(o, "totalRuns", &v)
                      ? json_object_get_int64(v)
                      : -1;
        c->succeeded = ok && json_object_object_get_ex(o, "succeeded", &v)
                           ? json_object_get_int64(v)
                           : -1;
        c->failed = ok && json_object_object_get_ex(o, "failed", &v)
                        ? json_object_get_int64(v)
                        : -1;
        json_object_put(o);
    }
    free(text);
    return ok;
}

/* The figures of `pipeline` (NULL: the totals) in a schema-1 document. */
static bool json_counts(json_object *doc, const char *pipeline, counts_t *c)
{
    json_object *obj = doc, *list, *runs, *v;
    if (pipeline != NULL) {
        obj = NULL;
        if (!json_object_object_get_ex(doc, "pipelines", &list)) {
            return false;
        }
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *e = json_object_array_get_idx(list, i);
            if (json_object_object_get_ex(e, "name", &v) &&
                strcmp(json_object_get_string(v), pipeline) == 0) {
                obj = e;
            }
        }
    }
    if (obj == NULL || !json_object_object_get_ex(obj, "runs", &runs)) {
        return false;
    }
    json_object_object_get_ex(runs, "total", &v);
    c->runs = json_object_get_int64(v);
    json_object_object_get_ex(runs, "succeeded", &v);
    c->succeeded = json_object_get_int64(v);
    json_object_object_get_ex(runs, "failed", &v);
    c->failed = json_object_get_int64(v);
    return true;
}

/* A sample of the Prometheus text: `name{worker="e2e",pipeline="p"}`. */
static long prom_value(const char *text, const char *name, const char *pipeline)
{
    char key[256];
    snprintf(key, sizeof key, "\n%s{worker=\"e2e\",pipeline=\"%s\"} ", name,
             pipeline);
    const char *p = strstr(text, key);
    return p != NULL ? atol(p + strlen(key)) : -1;
}

static bool in_range(long v, long lo, long hi)
{
    if (v >= lo && v <= hi) {
        return true;
    }
    fprintf(stderr, "\n%ld not in [%ld, %ld]\n", v, lo, hi);
    return false;
}

typedef struct url_wait {
    char url[256];
} url_wait_t;

static bool url_up(void *arg)
{
    url_wait_t *u = arg;
    char *body = NULL;
    long status = e2e_http_get(u->url, &body);
    free(body);
    return status == 200;
}

/* ---- the whole worker -------------------------------------------------- */

typedef struct run {
    char conf[512], log[512], csv[512];
    int prom_port, json_port;
    e2e_proc_t proc;
} run_t;

static void write_config(run_t *r)
{
    snprintf(r->conf, sizeof r->conf, "%s/worker.conf", tmp);
    snprintf(r->log, sizeof r->log, "%s/worker.log", tmp);
    snprintf(r->csv, sizeof r->csv, "%s/worker.csv", tmp);
    r->prom_port = e2e_free_port(SOCK_STREAM);
    r->json_port = e2e_free_port(SOCK_STREAM);
    char text[4096];
    snprintf(text, sizeof text,
             "tacho = { worker = \"e2e\"; interval = 0.5; };\n"
             "sinks = (\n"
             "  { plugin = \"log\"; target = \"file\"; path = \"%s\"; },\n"
             "  { plugin = \"csv\"; path = \"%s\"; },\n"
             "  { plugin = \"prometheus\"; listen = \"127.0.0.1:%d\"; },\n"
             "  { plugin = \"http_json\"; listen = \"127.0.0.1:%d\"; }\n"
             ");\n"
             "runner = { workers = 3; shutdown_grace = 5; };\n"
             "jobs = (\n"
             "  { name = \"ok\"; command = \"echo tick\"; every = 0.25; },\n"
             "  { name = \"bad\"; argv = [\"/bin/sh\", \"-c\", \"echo oops "
             ">&2; exit 1\"]; every = 0.4; },\n"
             "  { name = \"slow\"; argv = [\"sleep\", \"30\"]; every = 100; "
             "timeout = 0.5; }\n"
             ");\n",
             r->log, r->csv, r->prom_port, r->json_port);
    e2e_write_file(r->conf, text);
}

static void start_worker(run_t *r)
{
    char *argv[] = {(char *)e2e_bin("tacho-worker"),
                    "-c",
                    r->conf,
                    "--log-level",
                    "debug",
                    NULL};
    CU_ASSERT_TRUE_FATAL(e2e_start(&r->proc, tmp, "worker", argv, NULL));
    url_wait_t u;
    snprintf(u.url, sizeof u.url, "http://127.0.0.1:%d/healthz", r->json_port);
    CU_ASSERT_TRUE_FATAL(e2e_wait_until(url_up, &u, 10));
}

/* Scrapes both endpoints; checks each figure against the runs the worker
 * had logged before the scrape and the final ones (known afterwards). */
typedef struct scraped {
    json_object *json;
    char *prom;
    counts_t before[3];
} scraped_t;

static const char *const jobs[3] = {"ok", "bad", "slow"};

static void scrape(run_t *r, scraped_t *s)
{
    char *log = read_text(r->proc.err_path);
    for (int i = 0; i < 3; i++) {
        s->before[i] = logged(log, jobs[i]);
    }
    free(log);
    char url[256], *body = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics.json", r->json_port);
    CU_ASSERT_EQUAL(e2e_http_get(url, &body), 200);
    s->json = json_tokener_parse(body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s->json);
    free(body);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", r->prom_port);
    CU_ASSERT_EQUAL(e2e_http_get(url, &s->prom), 200);
}

static void check_scraped(const scraped_t *s, const counts_t final[3])
{
    for (int i = 0; i < 3; i++) {
        counts_t j;
        CU_ASSERT_TRUE_FATAL(json_counts(s->json, jobs[i], &j));
        long pr = prom_value(s->prom, "tacho_runs_total", jobs[i]);
        long pf = prom_value(s->prom, "tacho_runs_failed_total", jobs[i]);
        /* JSON first, Prometheus after: both between what was logged
         * before the scrape and the final count. */
        CU_ASSERT_TRUE(in_range(j.runs, s->before[i].runs, final[i].runs));
        CU_ASSERT_TRUE(in_range(pr, j.runs, final[i].runs));
        CU_ASSERT_TRUE(
            in_range(j.failed, s->before[i].failed, final[i].failed));
        CU_ASSERT_TRUE(in_range(pf, j.failed, final[i].failed));
        CU_ASSERT_EQUAL(j.runs, j.succeeded + j.failed);
    }
    /* The timed-out job ran once, long before the scrape: exact. */
    counts_t slow;
    json_counts(s->json, "slow", &slow);
    CU_ASSERT_EQUAL(slow.runs, 1);
    CU_ASSERT_EQUAL(slow.failed, 1);
    CU_ASSERT_EQUAL(prom_value(s->prom, "tacho_runs_failed_total", "slow"), 1);
    counts_t total, sum = {0, 0, 0};
    CU_ASSERT_TRUE(json_counts(s->json, NULL, &total));
    for (int i = 0; i < 3; i++) {
        counts_t j;
        json_counts(s->json, jobs[i], &j);
        sum.runs += j.runs;
        sum.failed += j.failed;
    }
    CU_ASSERT_EQUAL(total.runs, sum.runs);
    CU_ASSERT_EQUAL(total.failed, sum.failed);
}

/* After SIGTERM: the CSV's last rows and the log sink's last line equal
 * what the worker logged, exactly. */
static void check_final(run_t *r, const char *log, const counts_t final[3])
{
    counts_t all = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        counts_t c;
        CU_ASSERT_TRUE(csv_last(r->csv, jobs[i], &c));
        CU_ASSERT_EQUAL(c.runs, final[i].runs);
        CU_ASSERT_EQUAL(c.succeeded, final[i].succeeded);
        CU_ASSERT_EQUAL(c.failed, final[i].failed);
        all.runs += final[i].runs;
        all.succeeded += final[i].succeeded;
        all.failed += final[i].failed;
    }
    counts_t c;
    CU_ASSERT_TRUE(csv_last(r->csv, "", &c));
    CU_ASSERT_EQUAL(c.runs, all.runs);
    CU_ASSERT_EQUAL(c.succeeded, all.succeeded);
    CU_ASSERT_EQUAL(c.failed, all.failed);
    CU_ASSERT_TRUE(report_last(r->log, &c));
    CU_ASSERT_EQUAL(c.runs, all.runs);
    CU_ASSERT_EQUAL(c.succeeded, all.succeeded);
    CU_ASSERT_EQUAL(c.failed, all.failed);
    char summary[256];
    snprintf(summary, sizeof summary, "stopping: %ld runs (%ld ok, %ld failed)",
             all.runs, all.succeeded, all.failed);
    CU_ASSERT_TRUE(has(log, summary));
}

static void worker_sinks_agree_with_logged_runs(void)
{
    run_t r;
    write_config(&r);
    start_worker(&r);
    e2e_sleep(2.5);
    scraped_t s;
    scrape(&r, &s);
    e2e_sleep(0.5);
    kill(r.proc.pid, SIGTERM);
    int status;
    CU_ASSERT_TRUE_FATAL(e2e_wait(&r.proc, 20, &status));
    CU_ASSERT_EQUAL(e2e_exit_code(status), 0);

    char *log = read_text(r.proc.err_path);
    counts_t final[3];
    for (int i = 0; i < 3; i++) {
        final[i] = logged(log, jobs[i]);
    }
    /* ok every 0.25 s for about 3 s; bad every 0.4 s; slow once. */
    CU_ASSERT_TRUE(in_range(final[0].runs, 8, 14));
    CU_ASSERT_EQUAL(final[0].failed, 0);
    CU_ASSERT_TRUE(in_range(final[1].runs, 5, 9));
    CU_ASSERT_EQUAL(final[1].succeeded, 0);
    CU_ASSERT_EQUAL(final[2].runs, 1);
    CU_ASSERT_EQUAL(final[2].failed, 1);
    CU_ASSERT_TRUE(has(log, "job slow finished in 0.5"));
    CU_ASSERT_TRUE(has(log, "s: failed (timeout after 0.5 s)"));
    /* Each run's output reached the log, tagged with the job. */
    CU_ASSERT_EQUAL((long)e2e_count(log, "info [job:ok] tick\n"),
                    final[0].runs);
    CU_ASSERT_EQUAL((long)e2e_count(log, "warning [job:bad] oops\n"),
                    final[1].runs);
    CU_ASSERT_TRUE(has(log, "SIGTERM: starting no more jobs"));

    check_scraped(&s, final);
    check_final(&r, log, final);
    json_object_put(s.json);
    free(s.prom);
    free(log);
}

/* ---- SIGHUP ------------------------------------------------------------ */

typedef struct file_wait {
    const char *path;
    const char *text;
} file_wait_t;

static bool file_has(void *arg)
{
    file_wait_t *w = arg;
    char *t = tacho_test_read_file(w->path, NULL);
    bool ok = t != NULL && strstr(t, w->text) != NULL;
    free(t);
    return ok;
}

static void worker_sighup_reopens_moved_files(void)
{
    char conf[512], log[512], csv[512], text[2048];
    snprintf(conf, sizeof conf, "%s/hup.conf", tmp);
    snprintf(log, sizeof log, "%s/hup.log", tmp);
    snprintf(csv, sizeof csv, "%s/hup.csv", tmp);
    snprintf(text, sizeof text,
             "tacho = { worker = \"e2e\"; interval = 0.2; };\n"
             "sinks = ({ plugin = \"log\"; target = \"file\"; path = \"%s\"; "
             "},\n"
             "         { plugin = \"csv\"; path = \"%s\"; });\n"
             "jobs = ({ name = \"q\"; argv = [\"true\"]; every = 0.1; });\n",
             log, csv);
    e2e_write_file(conf, text);
    char *argv[] = {(char *)e2e_bin("tacho-worker"), "-c", conf, NULL};
    e2e_proc_t p;
    CU_ASSERT_TRUE_FATAL(e2e_start(&p, tmp, "hup", argv, NULL));
    file_wait_t first = {log, "Worker Metrics Report"};
    CU_ASSERT_TRUE_FATAL(e2e_wait_until(file_has, &first, 10));

    /* Rotate both files as logrotate would, then SIGHUP. */
    char log1[600], csv1[600];
    snprintf(log1, sizeof log1, "%s.1", log);
    snprintf(csv1, sizeof csv1, "%s.1", csv);
    CU_ASSERT_EQUAL(rename(log, log1), 0);
    CU_ASSERT_EQUAL(rename(csv, csv1), 0);
    kill(p.pid, SIGHUP);
    file_wait_t again = {log, "Worker Metrics Report"};
    CU_ASSERT_TRUE(e2e_wait_until(file_has, &again, 10));
    file_wait_t header = {csv, "timestamp,worker,pipeline,runs"};
    CU_ASSERT_TRUE(e2e_wait_until(file_has, &header, 10));

    kill(p.pid, SIGTERM);
    int status;
    CU_ASSERT_TRUE_FATAL(e2e_wait(&p, 20, &status));
    CU_ASSERT_EQUAL(e2e_exit_code(status), 0);
    char *err = read_text(p.err_path);
    CU_ASSERT_TRUE(has(err, "SIGHUP: reopening the sinks' files"));
    /* The new files hold the final snapshot: runs keep counting across
     * the rotation, and the old files stopped before it. */
    counts_t before, after;
    CU_ASSERT_TRUE(report_last(log1, &before));
    CU_ASSERT_TRUE(report_last(log, &after));
    CU_ASSERT_TRUE(after.runs >= before.runs);
    CU_ASSERT_TRUE(csv_last(csv, "", &after));
    CU_ASSERT_EQUAL(after.runs, logged(err, "q").runs);
    free(err);
}

/* METRICS_INTERVAL (ms) overrides tacho.interval. */
static void worker_metrics_interval_override(void)
{
    char conf[512];
    snprintf(conf, sizeof conf, "%s/mi.conf", tmp);
    e2e_write_file(conf, "tacho = { interval = 60; };\njobs = ();\n");
    char *argv[] = {(char *)e2e_bin("tacho-worker"), "-c", conf, NULL};
    char *env[] = {"METRICS_INTERVAL=300", NULL};
    e2e_proc_t p;
    CU_ASSERT_TRUE_FATAL(e2e_start(&p, tmp, "mi", argv, env));
    file_wait_t started = {p.err_path,
                           "tacho-worker " TACHO_VERSION_STRING " started"};
    CU_ASSERT_TRUE(e2e_wait_until(file_has, &started, 10));
    kill(p.pid, SIGINT);
    int status;
    CU_ASSERT_TRUE_FATAL(e2e_wait(&p, 20, &status));
    CU_ASSERT_EQUAL(e2e_exit_code(status), 0);
    char *err = read_text(p.err_path);
    CU_ASSERT_TRUE(has(err, "interval 0.3 s, 0 jobs ()"));
    CU_ASSERT_TRUE(has(err, "SIGINT: starting no more jobs"));
    free(err);
}

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("worker");
    return 0;
}

static int suite_cleanup(void)
{
    tacho_test_rmtree(tmp);
    free(tmp);
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"worker_sinks_agree_with_logged_runs",
         worker_sinks_agree_with_logged_runs},
        {"worker_sighup_reopens_moved_files",
         worker_sighup_reopens_moved_files},
        {"worker_metrics_interval_override", worker_metrics_interval_override},
        {NULL, NULL}};
    return tacho_test_run("worker", suite_init, suite_cleanup, cases);
}
