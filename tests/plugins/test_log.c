/*
 * The `log` sink, loaded as the real tacho_sink_log.so through the real
 * loader and driven by a real host: every line it writes is parsed back
 * (json-c) and compared with the runs recorded and with host snapshots.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sink_test.h"

static tacho_host_t *start_log(const char *options)
{
    return start_sink("log", options);
}

/* ---- reading back ----------------------------------------------------------
 */

#define LINES_MAX 256
typedef struct lines {
    char *text; /* the file, cut at each '\n' */
    char *line[LINES_MAX];
    size_t count;
} lines_t;

/* Reads a file as lines; every line must end in '\n'. */
static void read_lines(const char *path, lines_t *out)
{
    size_t len = 0;
    memset(out, 0, sizeof *out);
    out->text = tacho_test_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out->text);
    CU_ASSERT(len == 0 || out->text[len - 1] == '\n');
    char *p = out->text;
    while (*p != '\0' && out->count < LINES_MAX) {
        char *nl = strchr(p, '\n');
        CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
        *nl = '\0';
        out->line[out->count++] = p;
        p = nl + 1;
    }
}

static json_object *parse_json(const char *text)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
    bool whole = json_tokener_get_error(tok) == json_tokener_success &&
                 (size_t)json_tokener_get_parse_end(tok) == strlen(text);
    json_tokener_free(tok);
    CU_ASSERT(whole);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    return o;
}

static double num(json_object *o, const char *path)
{
    json_object *m = json_member(o, path);
    CU_ASSERT_PTR_NOT_NULL(m);
    return m == NULL ? -1.0 : json_object_get_double(m);
}

static const char *str(json_object *o, const char *path)
{
    json_object *m = json_member(o, path);
    CU_ASSERT(json_object_is_type(m, json_type_string));
    return json_object_is_type(m, json_type_string) ? json_object_get_string(m)
                                                    : "";
}

static bool near(double a, double b)
{
    double d = a > b ? a - b : b - a;
    double scale = (a > 0 ? a : -a) + (b > 0 ? b : -b);
    return d <= 1e-9 * scale + 1e-12;
}

/* ---- comparisons with a snapshot -------------------------------------------
 */

/* A text line: the prefix, then the legacy fields of `s`'s figures. No run
 * was recorded between `s` and the line's own snapshot, which was taken
 * before `s` when `older`, else after it (the final one, at close). */
static void check_legacy_line(const char *line, const tacho_snapshot_t *s,
                              bool older)
{
    const char *prefix = "Worker Metrics Report {";
    CU_ASSERT_FATAL(strncmp(line, prefix, strlen(prefix)) == 0);
    json_object *o = parse_json(line + strlen(prefix) - 1);
    const tacho_stats_t *t = tacho_snapshot_total(s);
    const tacho_scope_t life = TACHO_SCOPE_LIFETIME;
    CU_ASSERT_EQUAL(num(o, "totalRuns"), (double)tacho_stats_runs(t, life));
    CU_ASSERT_EQUAL(num(o, "succeeded"),
                    (double)tacho_stats_succeeded(t, life));
    CU_ASSERT_EQUAL(num(o, "failed"), (double)tacho_stats_failed(t, life));
    double avg = 0, ratio = 0, rate = 0;
    uint64_t min = 0, max = 0;
    CU_ASSERT(tacho_stats_avg_ns(t, life, &avg));
    CU_ASSERT(tacho_stats_min_ns(t, life, &min));
    CU_ASSERT(tacho_stats_max_ns(t, life, &max));
    CU_ASSERT(near(num(o, "avgExecutionTime"), avg / 1e6));
    CU_ASSERT(near(num(o, "minExecutionTime"), (double)min / 1e6));
    CU_ASSERT(near(num(o, "maxExecutionTime"), (double)max / 1e6));
    CU_ASSERT(tacho_stats_success_ratio(t, life, &ratio));
    CU_ASSERT(near(num(o, "successRate"), ratio * 100));
    CU_ASSERT(tacho_stats_error_ratio(t, life, &ratio));
    CU_ASSERT(near(num(o, "errorRate"), ratio * 100));
    /* The older snapshot has the shorter uptime, so the higher rate. */
    CU_ASSERT(tacho_stats_runs_per_hour(t, life, &rate));
    if (older) {
        CU_ASSERT(num(o, "runsPerHour") >= rate * (1 - 1e-9));
    } else {
        CU_ASSERT(num(o, "runsPerHour") <= rate * (1 + 1e-9));
    }
    char want[TACHO_RFC3339_TEXT_MAX];
    time_text(tacho_snapshot_start_time_ns(s), want);
    CU_ASSERT_STRING_EQUAL(str(o, "workerStartTime"), want);
    int64_t last = 0;
    CU_ASSERT(tacho_stats_last_run_ns(t, &last));
    time_text(last, want);
    CU_ASSERT_STRING_EQUAL(str(o, "lastRunTime"), want);
    time_text(tacho_snapshot_timestamp_ns(s), want);
    int order = strcmp(str(o, "timestamp"), want);
    CU_ASSERT(older ? order <= 0 : order >= 0);
    char uptime[TACHO_UPTIME_TEXT_MAX];
    tacho_format_uptime((uint64_t)num(o, "uptimeSeconds"), uptime,
                        sizeof uptime);
    CU_ASSERT_STRING_EQUAL(str(o, "uptime"), uptime);
    json_object_put(o);
    assert_schema("tacho-legacy-metrics.json", line + strlen(prefix) - 1);
}

/* Lifetime runs and durations of one schema-1 figures object. */
static void check_figures(json_object *o, const tacho_stats_t *st)
{
    const tacho_scope_t life = TACHO_SCOPE_LIFETIME;
    CU_ASSERT_EQUAL(num(o, "runs.total"), (double)tacho_stats_runs(st, life));
    CU_ASSERT_EQUAL(num(o, "runs.succeeded"),
                    (double)tacho_stats_succeeded(st, life));
    CU_ASSERT_EQUAL(num(o, "runs.failed"),
                    (double)tacho_stats_failed(st, life));
    CU_ASSERT_EQUAL(num(o, "window.runs.total"),
                    (double)tacho_stats_runs(st, TACHO_SCOPE_WINDOW));
    CU_ASSERT(near(num(o, "durations.sum"),
                   (double)tacho_stats_duration_sum_ns(st, life) / 1e9));
    uint64_t ns = 0;
    CU_ASSERT(tacho_stats_max_ns(st, life, &ns));
    CU_ASSERT(near(num(o, "durations.max"), (double)ns / 1e9));
    double q = 0;
    CU_ASSERT(tacho_stats_quantile_ns(st, life, 0.99, &q));
    CU_ASSERT(near(num(o, "durations.p99"), q / 1e9));
}

/* A json line: schema 1, equal to `s` in every recorded figure. */
static void check_json_line(const char *line, const tacho_snapshot_t *s)
{
    json_object *o = parse_json(line);
    CU_ASSERT_EQUAL(num(o, "schemaVersion"), 1);
    CU_ASSERT_STRING_EQUAL(str(o, "worker"), "w1");
    check_figures(o, tacho_snapshot_total(s));
    json_object *arr = json_member(o, "pipelines");
    CU_ASSERT_FATAL(json_object_is_type(arr, json_type_array));
    size_t n = json_object_array_length(arr);
    CU_ASSERT_EQUAL(n, tacho_snapshot_pipeline_count(s));
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(arr, i);
        const tacho_stats_t *st = tacho_snapshot_find(s, str(p, "name"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(st);
        check_figures(p, st);
    }
    /* Without `recent = true` the recent executions stay out. */
    CU_ASSERT_PTR_NULL(json_member(o, "recent"));
    json_object_put(o);
    assert_schema("tacho-snapshot-v1.json", line);
}

/* ---- formats ------------------------------------------------------------- */

static void test_log_text_lines_match_snapshots(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "metrics.log");
    snprintf(opts, sizeof opts, "  target = \"file\";\n  path = \"%s\";\n",
             file);
    tacho_host_t *h = start_log(opts);
    record_known(h);
    report(h, "log");
    tacho_snapshot_t *s1 = NULL, *s2 = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s1), 0);
    tacho_record(tacho_host_collector(h), "gamma", 40 * MS, true);
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s2), 0);
    tacho_host_close(h); /* the final snapshot: the second line */

    lines_t l;
    read_lines(file, &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 2);
    check_legacy_line(l.line[0], s1, true);
    check_legacy_line(l.line[1], s2, false);
    /* And against the runs themselves, not only the snapshot. */
    json_object *o = parse_json(strchr(l.line[0], '{'));
    CU_ASSERT_EQUAL(num(o, "totalRuns"), 4);
    CU_ASSERT_EQUAL(num(o, "failed"), 1);
    CU_ASSERT(near(num(o, "avgExecutionTime"), 16.25));
    CU_ASSERT(near(num(o, "minExecutionTime"), 5));
    CU_ASSERT(near(num(o, "successRate"), 75));
    json_object_put(o);
    free(l.text);
    tacho_snapshot_free(s1);
    tacho_snapshot_free(s2);
}

static void test_log_json_lines_match_snapshots(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "metrics.jsonl");
    snprintf(opts, sizeof opts,
             "  target = \"file\";\n  path = \"%s\";\n  format = \"json\";\n",
             file);
    tacho_host_t *h = start_log(opts);
    record_known(h);
    report(h, "log");
    tacho_snapshot_t *s1 = NULL, *s2 = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s1), 0);
    tacho_record(tacho_host_collector(h), "alpha", 40 * MS, true);
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s2), 0);
    tacho_host_close(h);

    lines_t l;
    read_lines(file, &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 2);
    check_json_line(l.line[0], s1);
    check_json_line(l.line[1], s2);
    json_object *o = parse_json(l.line[1]);
    CU_ASSERT_EQUAL(num(o, "runs.total"), 5);
    CU_ASSERT(near(num(o, "durations.sum"), 0.105));
    json_object_put(o);
    free(l.text);
    tacho_snapshot_free(s1);
    tacho_snapshot_free(s2);
}

static void test_log_json_recent_option(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "recent.jsonl");
    snprintf(opts, sizeof opts,
             "  target = \"file\";\n  path = \"%s\";\n  format = \"json\";\n"
             "  recent = true;\n",
             file);
    tacho_host_t *h = start_log(opts);
    record_known(h);
    tacho_host_close(h);

    lines_t l;
    read_lines(file, &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 1);
    json_object *o = parse_json(l.line[0]);
    json_object *recent = json_member(o, "recent");
    CU_ASSERT_FATAL(json_object_is_type(recent, json_type_array));
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(recent), 4);
    /* Newest first: beta was recorded last. */
    CU_ASSERT_STRING_EQUAL(
        str(json_object_array_get_idx(recent, 0), "pipeline"), "beta");
    CU_ASSERT(near(num(json_object_array_get_idx(recent, 0), "durationSeconds"),
                   0.005));
    json_object_put(o);
    assert_schema("tacho-snapshot-v1.json", l.line[0]);
    free(l.text);
}

/* Runs the host with stdout or stderr redirected into a file. */
static void run_redirected(int fd_to_catch, const char *options,
                           const char *file)
{
    fflush(stdout);
    fflush(stderr);
    int saved = dup(fd_to_catch);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    dup2(fd, fd_to_catch);
    close(fd);
    tacho_host_t *h = start_log(options);
    record_known(h);
    tacho_host_close(h);
    dup2(saved, fd_to_catch);
    close(saved);
}

static void test_log_stdout_target(void)
{
    const char *file = tmp_path(0, "stdout.txt");
    run_redirected(STDOUT_FILENO, "  target = \"stdout\";\n", file);
    lines_t l;
    read_lines(file, &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 1);
    json_object *o = parse_json(strchr(l.line[0], '{'));
    CU_ASSERT(strncmp(l.line[0], "Worker Metrics Report {", 23) == 0);
    CU_ASSERT_EQUAL(num(o, "totalRuns"), 4);
    json_object_put(o);
    free(l.text);
}

static void test_log_stderr_is_default(void)
{
    const char *file = tmp_path(0, "stderr.txt");
    run_redirected(STDERR_FILENO, "  format = \"json\";\n", file);
    lines_t l;
    read_lines(file, &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 1);
    json_object *o = parse_json(l.line[0]);
    CU_ASSERT_EQUAL(num(o, "runs.total"), 4);
    CU_ASSERT_EQUAL(num(o, "runs.failed"), 1);
    json_object_put(o);
    free(l.text);
}

/* ---- syslog -----------------------------------------------------------------
 */

/* True when /dev/log is a socket left by a run that crashed: it exists but
 * nobody receives on it. */
static bool stale_dev_log(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool stale = fd >= 0 &&
                 connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 &&
                 errno == ECONNREFUSED;
    if (fd >= 0) {
        close(fd);
    }
    return stale;
}

/* Binds a datagram socket at /dev/log, standing in for syslogd, when the
 * system has none; returns -1 (the test is then skipped) otherwise. */
static int fake_syslogd(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "/dev/log");
    if (access("/dev/log", F_OK) == 0) {
        if (!stale_dev_log(&sa)) {
            return -1;
        }
        unlink("/dev/log");
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* One syslog message: "<PRI>Mmm dd hh:mm:ss IDENT[PID]: TEXT". */
static void check_syslog(const char *options, int pri, const char *ident)
{
    int fd = fake_syslogd();
    if (fd < 0) {
        CU_PASS("skipped: /dev/log exists or cannot be bound");
        fprintf(stderr, "(skipped: /dev/log exists or cannot be bound) ");
        return;
    }
    tacho_host_t *h = start_log(options);
    record_known(h);
    tacho_host_close(h);
    char msg[65536];
    ssize_t n = recv(fd, msg, sizeof msg - 1, 0);
    close(fd);
    unlink("/dev/log");
    CU_ASSERT_FATAL(n > 0);
    msg[n] = '\0';
    char want[64];
    snprintf(want, sizeof want, "<%d>", pri);
    CU_ASSERT(strncmp(msg, want, strlen(want)) == 0);
    char *tag = strstr(msg, ident);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tag);
    char *body = strstr(tag, ": ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    json_object *o = parse_json(body + 2);
    CU_ASSERT_EQUAL(num(o, "runs.total"), 4);
    json_object_put(o);
}

static void test_log_syslog_ident_and_facility(void)
{
    char ident[64];
    snprintf(ident, sizeof ident, "tacho-test[%d]", (int)getpid());
    check_syslog("  target = \"syslog\";\n  format = \"json\";\n"
                 "  syslog_ident = \"tacho-test\";\n"
                 "  syslog_facility = \"local3\";\n",
                 19 * 8 + 6, ident); /* local3.info */
}

static void test_log_syslog_defaults(void)
{
    /* No openlog(): glibc tags with the program name, facility user. */
    check_syslog("  target = \"syslog\";\n  format = \"json\";\n", 1 * 8 + 6,
                 "test_log");
}

/* ---- files: rotation, modes, errors
 * ------------------------------------------ */

static void test_log_reopen_after_move_keeps_every_line(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "rotate.log");
    const char *moved = tmp_path(1, "rotate.log.1");
    snprintf(opts, sizeof opts,
             "  target = \"file\";\n  path = \"%s\";\n  format = \"json\";\n",
             file);
    tacho_host_t *h = start_log(opts);
    tacho_collector_t *c = tacho_host_collector(h);
    tacho_record(c, "alpha", 10 * MS, true);
    report(h, "log");
    tacho_record(c, "alpha", 10 * MS, true);
    report(h, "log");
    CU_ASSERT_EQUAL_FATAL(rename(file, moved), 0);
    CU_ASSERT_EQUAL(tacho_host_reopen(h), 0);
    /* The reopen runs on the sink's thread; it creates the new file. */
    for (int i = 0; i < 2000 && access(file, F_OK) != 0; i++) {
        sleep_ms(5);
    }
    CU_ASSERT_EQUAL_FATAL(access(file, F_OK), 0);
    tacho_record(c, "alpha", 10 * MS, true);
    report(h, "log");
    tacho_record(c, "alpha", 10 * MS, true);
    tacho_host_close(h);

    lines_t old_lines, new_lines;
    read_lines(moved, &old_lines);
    read_lines(file, &new_lines);
    CU_ASSERT_EQUAL(old_lines.count, 2);
    CU_ASSERT_EQUAL(new_lines.count, 2);
    /* Every snapshot is there once, in order: 1, 2 | 3, 4 runs. */
    double want = 1;
    for (size_t i = 0; i < old_lines.count + new_lines.count; i++) {
        const char *line = i < old_lines.count
                               ? old_lines.line[i]
                               : new_lines.line[i - old_lines.count];
        json_object *o = parse_json(line);
        CU_ASSERT_EQUAL(num(o, "runs.total"), want);
        want++;
        json_object_put(o);
    }
    free(old_lines.text);
    free(new_lines.text);
}

static void test_log_reopen_failure_keeps_old_file(void)
{
    char opts[4400], dir[4200];
    snprintf(dir, sizeof dir, "%s/logs", tmp);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    const char *file = tmp_path(0, "logs/app.log");
    const char *moved = tmp_path(1, "app.log.moved");
    snprintf(opts, sizeof opts,
             "  target = \"file\";\n  path = \"%s\";\n  format = \"json\";\n",
             file);
    tacho_host_t *h = start_log(opts);
    tacho_record(tacho_host_collector(h), "alpha", 10 * MS, true);
    report(h, "log");
    CU_ASSERT_EQUAL_FATAL(rename(file, moved), 0);
    CU_ASSERT_EQUAL_FATAL(rmdir(dir), 0);
    capture_reset();
    CU_ASSERT_EQUAL(tacho_host_reopen(h), 0);
    wait_logged("cannot reopen", 10);
    CU_ASSERT(logged_all("error [sink:log:log] cannot reopen", file,
                         "No such file or directory",
                         "still writing to the old file", NULL));
    tacho_record(tacho_host_collector(h), "alpha", 10 * MS, true);
    tacho_host_close(h);
    lines_t l;
    read_lines(moved, &l);
    CU_ASSERT_EQUAL(l.count, 2);
    free(l.text);
}

static void test_log_mode_applied_to_new_file(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "mode.log");
    snprintf(opts, sizeof opts,
             "  target = \"file\";\n  path = \"%s\";\n  mode = \"0604\";\n",
             file);
    mode_t old_umask = umask(027); /* would narrow 0604 to 0600 */
    tacho_host_t *h = start_log(opts);
    tacho_host_close(h);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(file, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0604);

    /* An existing file keeps its own mode. */
    CU_ASSERT_EQUAL(chmod(file, 0660), 0);
    h = start_log(opts);
    tacho_host_close(h);
    CU_ASSERT_EQUAL_FATAL(stat(file, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
    umask(old_umask);

    /* Without the option: 0640. */
    const char *plain = tmp_path(1, "plain.log");
    snprintf(opts, sizeof opts, "  target = \"file\";\n  path = \"%s\";\n",
             plain);
    h = start_log(opts);
    tacho_host_close(h);
    CU_ASSERT_EQUAL_FATAL(stat(plain, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
}

static void test_log_open_failure_names_path(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "missing/dir/app.log");
    snprintf(opts, sizeof opts, "  target = \"file\";\n  path = \"%s\";\n",
             file);
    tacho_error_t err;
    expect_start_fails("log", opts, &err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "log: cannot open"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, file));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "No such file or directory"));
}

static void test_log_write_error_counted(void)
{
    capture_reset();
    tacho_host_t *h =
        start_log("  target = \"file\";\n  path = \"/dev/full\";\n");
    record_known(h);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    wait_done(h, "log", 1);
    CU_ASSERT_EQUAL(sink_figure(h, "log", tacho_sink_stats_errors), 1);
    CU_ASSERT(logged_all("error [sink:log:log] cannot write to /dev/full: "
                         "No space left on device",
                         NULL));
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        tacho_sink_stats_last_error(tacho_snapshot_sink(s, 0)), "/dev/full"));
    tacho_snapshot_free(s);
    tacho_host_close(h);
}

static void test_log_render_failure_counted(void)
{
    char opts[4400];
    const char *file = tmp_path(0, "oom.log");
    snprintf(opts, sizeof opts, "  target = \"file\";\n  path = \"%s\";\n",
             file);
    tacho_host_t *h = start_log(opts);
    record_known(h);
    capture_reset();
    failing_alloc_every(true);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    wait_done(h, "log", 1);
    failing_alloc_every(false);
    CU_ASSERT_EQUAL(sink_figure(h, "log", tacho_sink_stats_errors), 1);
    CU_ASSERT(logged_all("error [sink:log:log] cannot render the snapshot: "
                         "out of memory",
                         NULL));
    tacho_host_close(h);
    /* Only the final snapshot's line: nothing of the failed one. */
    lines_t l;
    read_lines(file, &l);
    CU_ASSERT_EQUAL(l.count, 1);
    free(l.text);
}

/* Two instances append to one file from their own threads, flat out, with
 * long lines: every line must still parse whole. */
static void test_log_lines_never_interleave(void)
{
    const char *file = tmp_path(0, "shared.jsonl");
    char *text = NULL;
    int n = asprintf(&text,
                     "tacho: { worker = \"w1\"; interval = 3600; };\n"
                     "sinks = (\n"
                     "  { plugin = \"log\"; name = \"a\"; target = \"file\";"
                     " path = \"%s\"; format = \"json\"; recent = true; },\n"
                     "  { plugin = \"log\"; name = \"b\"; target = \"file\";"
                     " path = \"%s\"; format = \"json\"; recent = true; }\n"
                     ");\n",
                     file, file);
    CU_ASSERT_FATAL(n > 0);
    tacho_host_t *h = start_host_text(text);
    free(text);
    tacho_collector_t *c = tacho_host_collector(h);
    for (int i = 0; i < 60; i++) {
        for (int j = 0; j < 20; j++) {
            tacho_record(c, j % 2 ? "alpha" : "beta", (uint64_t)j * MS, true);
        }
        tacho_host_report_now(h);
        if (i % 10 == 0) {
            wait_done(h, "a", 1);
        }
    }
    tacho_host_close(h);
    lines_t l;
    read_lines(file, &l);
    CU_ASSERT(l.count >= 2); /* each instance's final line at least */
    for (size_t i = 0; i < l.count; i++) {
        json_object *o = parse_json(l.line[i]);
        CU_ASSERT(json_object_array_length(json_member(o, "recent")) > 0);
        json_object_put(o);
    }
    free(l.text);
}

/* ---- option errors
 * ----------------------------------------------------------- */

static void test_log_bad_target_lists_valid_values(void)
{
    expect_config_error("log", "  format = \"json\";\n  target = \"stdrr\";\n",
                        5,
                        "log: target must be one of \"stderr\", \"stdout\", "
                        "\"file\" or \"syslog\", not \"stdrr\"");
}

static void test_log_file_target_needs_path(void)
{
    /* No path line to point at: the sink group's own line. */
    expect_config_error("log", "  target = \"file\";\n", 2,
                        "log: target = \"file\" needs a path");
}

static void test_log_path_needs_file_target(void)
{
    expect_config_error("log", "  path = \"/tmp/x.log\";\n", 4,
                        "log: path is only used with target = \"file\" "
                        "(target is \"stderr\")");
}

static void test_log_syslog_options_need_syslog_target(void)
{
    expect_config_error("log",
                        "  target = \"stdout\";\n"
                        "  syslog_ident = \"x\";\n",
                        5,
                        "log: syslog_ident is only used with target = "
                        "\"syslog\" (target is \"stdout\")");
}

static void test_log_empty_path_refused(void)
{
    expect_config_error("log", "  target = \"file\";\n  path = \"\";\n", 5,
                        "log: path must not be empty");
}

static void test_log_bad_format_refused(void)
{
    expect_config_error("log", "  format = \"xml\";\n", 4,
                        "log: format must be \"text\" or \"json\", not "
                        "\"xml\"");
}

static void test_log_bad_mode_refused(void)
{
    expect_config_error("log",
                        "  target = \"file\";\n  path = \"/tmp/m.log\";\n"
                        "  mode = \"0986\";\n",
                        6,
                        "log: mode must be an octal file mode such as "
                        "\"0640\", not \"0986\"");
    expect_config_error("log", "  mode = \"rw-r-----\";\n", 4,
                        "not \"rw-r-----\"");
    expect_config_error("log", "  mode = \"17777\";\n", 4, "not \"17777\"");
}

static void test_log_bad_facility_refused(void)
{
    expect_config_error("log",
                        "  target = \"syslog\";\n"
                        "  syslog_facility = \"kern\";\n",
                        5,
                        "log: syslog_facility must be one of \"user\", "
                        "\"daemon\", \"local0\" ... \"local7\", not "
                        "\"kern\"");
}

static void test_log_unknown_key_refused(void)
{
    /* The core checks keys against the sink's table, which it lists. */
    expect_config_error("log", "  paht = \"/tmp/x.log\";\n", 4, "target");
}

/* ---- suite -----------------------------------------------------------------
 */

static int suite_init(void)
{
    return sink_suite_init("log");
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"log_text_lines_match_snapshots", test_log_text_lines_match_snapshots},
        {"log_json_lines_match_snapshots", test_log_json_lines_match_snapshots},
        {"log_json_recent_option", test_log_json_recent_option},
        {"log_stdout_target", test_log_stdout_target},
        {"log_stderr_is_default", test_log_stderr_is_default},
        {"log_syslog_ident_and_facility", test_log_syslog_ident_and_facility},
        {"log_syslog_defaults", test_log_syslog_defaults},
        {"log_reopen_after_move_keeps_every_line",
         test_log_reopen_after_move_keeps_every_line},
        {"log_reopen_failure_keeps_old_file",
         test_log_reopen_failure_keeps_old_file},
        {"log_mode_applied_to_new_file", test_log_mode_applied_to_new_file},
        {"log_open_failure_names_path", test_log_open_failure_names_path},
        {"log_write_error_counted", test_log_write_error_counted},
        {"log_render_failure_counted", test_log_render_failure_counted},
        {"log_lines_never_interleave", test_log_lines_never_interleave},
        {"log_bad_target_lists_valid_values",
         test_log_bad_target_lists_valid_values},
        {"log_file_target_needs_path", test_log_file_target_needs_path},
        {"log_path_needs_file_target", test_log_path_needs_file_target},
        {"log_syslog_options_need_syslog_target",
         test_log_syslog_options_need_syslog_target},
        {"log_empty_path_refused", test_log_empty_path_refused},
        {"log_bad_format_refused", test_log_bad_format_refused},
        {"log_bad_mode_refused", test_log_bad_mode_refused},
        {"log_bad_facility_refused", test_log_bad_facility_refused},
        {"log_unknown_key_refused", test_log_unknown_key_refused},
        {NULL, NULL},
    };
    return tacho_test_run("log_sink", suite_init, sink_suite_cleanup, cases);
}
