/*
 * The `csv` sink, loaded as the real tacho_sink_csv.so through the real
 * loader and driven by a real host: every file it writes is read back with
 * a strict RFC 4180 reader (and, for the odd cases, Python's csv module)
 * and compared with the runs recorded and with host snapshots.
 */
#include <inttypes.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_reader.h"
#include "sink_test.h"

static char mounted[4200]; /* a tmpfs to unmount at the end, or "" */

static char *path_option(const char *path, const char *more)
{
    char *text = NULL;
    CU_ASSERT_FATAL(asprintf(&text, "  path = \"%s\";\n%s", path, more) > 0);
    return text;
}

/* A host with one csv sink on `path` (plus `more` options). */
static tacho_host_t *start_csv(const char *path, const char *more)
{
    char *opts = path_option(path, more);
    tacho_host_t *h = start_sink("csv", opts);
    free(opts);
    return h;
}

/* ---- comparing a row with a snapshot
 * ----------------------------------------- */

static void check_optional_ns(const char *field, bool has, double ns)
{
    if (!has) {
        CU_ASSERT_STRING_EQUAL(field, "");
        return;
    }
    double got = (double)ns_of(field);
    CU_ASSERT(got >= ns - 1 && got <= ns + 1); /* rounded to 1 ns */
}

static void check_durations(const row_t *r, const tacho_stats_t *st)
{
    const tacho_scope_t life = TACHO_SCOPE_LIFETIME;
    CU_ASSERT_EQUAL(ns_of(r->f[C_SUM]), tacho_stats_duration_sum_ns(st, life));
    uint64_t ns = 0;
    bool has = tacho_stats_min_ns(st, life, &ns);
    check_optional_ns(r->f[C_MIN], has, (double)ns);
    has = tacho_stats_max_ns(st, life, &ns);
    check_optional_ns(r->f[C_MAX], has, (double)ns);
    double v = 0;
    has = tacho_stats_avg_ns(st, life, &v);
    check_optional_ns(r->f[C_AVG], has, v);
    static const double q[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (size_t i = 0; i < 5; i++) {
        has = tacho_stats_quantile_ns(st, life, q[i], &v);
        check_optional_ns(r->f[C_P50 + i], has, v);
    }
}

static void check_ratio(const char *field, bool has, double want)
{
    if (!has) {
        CU_ASSERT_STRING_EQUAL(field, "");
        return;
    }
    double got = num_of(field);
    CU_ASSERT(got >= want - 5e-7 && got <= want + 5e-7);
}

static void check_counts(const row_t *r, const tacho_stats_t *st, bool older)
{
    const tacho_scope_t life = TACHO_SCOPE_LIFETIME, win = TACHO_SCOPE_WINDOW;
    CU_ASSERT_EQUAL(u64_of(r->f[C_RUNS]), tacho_stats_runs(st, life));
    CU_ASSERT_EQUAL(u64_of(r->f[C_SUCCEEDED]), tacho_stats_succeeded(st, life));
    CU_ASSERT_EQUAL(u64_of(r->f[C_FAILED]), tacho_stats_failed(st, life));
    CU_ASSERT_EQUAL(u64_of(r->f[C_WINDOW_RUNS]), tacho_stats_runs(st, win));
    CU_ASSERT_EQUAL(u64_of(r->f[C_WINDOW_SUCCEEDED]),
                    tacho_stats_succeeded(st, win));
    CU_ASSERT_EQUAL(u64_of(r->f[C_WINDOW_FAILED]), tacho_stats_failed(st, win));
    double v = 0;
    bool has = tacho_stats_success_ratio(st, life, &v);
    check_ratio(r->f[C_SUCCESS_RATIO], has, v);
    has = tacho_stats_error_ratio(st, life, &v);
    check_ratio(r->f[C_ERROR_RATIO], has, v);
    /* The window rate does not depend on time: runs * 3600 / window. */
    has = tacho_stats_runs_per_hour(st, win, &v);
    CU_ASSERT(has);
    CU_ASSERT(num_of(r->f[C_WINDOW_RUNS_PER_HOUR]) >= v - 5e-4 &&
              num_of(r->f[C_WINDOW_RUNS_PER_HOUR]) <= v + 5e-4);
    /* The older snapshot has the shorter uptime, so the higher rate. */
    has = tacho_stats_runs_per_hour(st, life, &v);
    CU_ASSERT(has);
    if (older) {
        CU_ASSERT(num_of(r->f[C_RUNS_PER_HOUR]) >= v - 5e-4);
    } else {
        CU_ASSERT(num_of(r->f[C_RUNS_PER_HOUR]) <= v + 5e-4);
    }
}

/* A row against `st` of snapshot `s`. No run was recorded between `s` and
 * the row's own snapshot, which was taken before `s` when `older`, else
 * after it (the final one, at close). */
static void check_row(const row_t *r, const tacho_snapshot_t *s,
                      const tacho_stats_t *st, bool older)
{
    char want[TACHO_RFC3339_TEXT_MAX];
    time_text(tacho_snapshot_timestamp_ns(s), want);
    int order = strcmp(r->f[C_TIMESTAMP], want);
    CU_ASSERT(older ? order <= 0 : order >= 0);
    CU_ASSERT_EQUAL(strlen(r->f[C_TIMESTAMP]), strlen(want));
    CU_ASSERT_STRING_EQUAL(r->f[C_WORKER], tacho_snapshot_worker(s));
    CU_ASSERT_STRING_EQUAL(r->f[C_PIPELINE], tacho_stats_name(st));
    check_counts(r, st, older);
    check_durations(r, st);
    int64_t last = 0;
    if (tacho_stats_last_run_ns(st, &last)) {
        time_text(last, want);
        CU_ASSERT_STRING_EQUAL(r->f[C_LAST_RUN], want);
    } else {
        CU_ASSERT_STRING_EQUAL(r->f[C_LAST_RUN], "");
    }
}

/* The rows of one snapshot start at `first`: all pipelines (empty pipeline
 * column), then one per pipeline of `s`, by name. */
static void check_snapshot_rows(const table_t *t, size_t first,
                                const tacho_snapshot_t *s, bool older)
{
    size_t n = tacho_snapshot_pipeline_count(s);
    CU_ASSERT_FATAL(first + n + 1 <= t->count);
    check_row(&t->row[first], s, tacho_snapshot_total(s), older);
    for (size_t i = 0; i < n; i++) {
        check_row(&t->row[first + 1 + i], s, tacho_snapshot_pipeline(s, i),
                  older);
    }
}

/* ---- Python's csv module as a second reader
 * ------------------------------------ */

/* Reads `path` with Python's csv module (strict) and checks that it sees
 * the same rows, field counts and pipeline names as `t`. */
static void check_with_python(const char *path, const table_t *t)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import csv, sys\n"
             "with open(sys.argv[1], newline=\"\", encoding=\"utf-8\") as f:\n"
             "    for r in csv.reader(f, strict=True):\n"
             "        print(len(r), \"x\" + r[2].encode().hex())' %s",
             path);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char line[4096];
    size_t i = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        CU_ASSERT_FATAL(i < t->count);
        size_t fields = 0;
        char hex[2048];
        CU_ASSERT_EQUAL(sscanf(line, "%zu x%2047s", &fields, hex) >= 1, 1);
        CU_ASSERT_EQUAL(fields, C_COUNT);
        char want[2048] = "";
        for (const unsigned char *c = (const unsigned char *)t->row[i].f[2];
             *c != '\0'; c++) {
            snprintf(want + strlen(want), sizeof want - strlen(want), "%02x",
                     *c);
        }
        CU_ASSERT_STRING_EQUAL(want[0] == '\0' ? "" : hex, want);
        i++;
    }
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT_EQUAL(i, t->count);
}

/* ---- rows
 * ---------------------------------------------------------------------- */

static void test_csv_rows_match_snapshots(void)
{
    const char *file = tmp_path(0, "rows.csv");
    tacho_host_t *h = start_csv(file, "");
    record_known(h);
    report(h, "csv");
    tacho_snapshot_t *s1 = NULL, *s2 = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s1), 0);
    tacho_record(tacho_host_collector(h), "gamma", 40 * MS, true);
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s2), 0);
    tacho_host_close(h); /* the final snapshot */

    char *text = tacho_test_read_file(file, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT(strncmp(text, header, strlen(header)) == 0);
    free(text);
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    /* header, 3 rows (all, alpha, beta), 4 rows (all, alpha, beta, gamma) */
    CU_ASSERT_EQUAL_FATAL(t->count, 1 + 3 + 4);
    CU_ASSERT_EQUAL(header_rows(t), 1);
    check_snapshot_rows(t, 1, s1, true);
    check_snapshot_rows(t, 4, s2, false);
    /* And against the runs themselves. */
    const row_t *alpha = &t->row[2];
    CU_ASSERT_STRING_EQUAL(alpha->f[C_PIPELINE], "alpha");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_RUNS], "3");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_FAILED], "1");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_SUCCESS_RATIO], "0.666667");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_ERROR_RATIO], "0.333333");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_SUM], "0.06");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_MIN], "0.01");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_AVG], "0.02");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_MAX], "0.03");
    CU_ASSERT_STRING_EQUAL(alpha->f[C_WINDOW_RUNS_PER_HOUR], "3.000");
    CU_ASSERT_STRING_EQUAL(t->row[1].f[C_PIPELINE], "");
    CU_ASSERT_STRING_EQUAL(t->row[1].f[C_RUNS], "4");
    CU_ASSERT_STRING_EQUAL(t->row[1].f[C_MIN], "0.005");
    check_with_python(file, t);
    free_table(t);
    free(t);
    tacho_snapshot_free(s1);
    tacho_snapshot_free(s2);
}

static void test_csv_empty_values_without_runs(void)
{
    const char *file = tmp_path(0, "empty.csv");
    tacho_host_t *h = start_csv(file, "");
    tacho_host_close(h);
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL_FATAL(t->count, 2); /* header, the all-pipelines row */
    const row_t *r = &t->row[1];
    CU_ASSERT_STRING_EQUAL(r->f[C_RUNS], "0");
    CU_ASSERT_STRING_EQUAL(r->f[C_SUM], "0");
    CU_ASSERT_STRING_EQUAL(r->f[C_RUNS_PER_HOUR], "0.000");
    static const int empty[] = {C_SUCCESS_RATIO, C_ERROR_RATIO, C_MIN,
                                C_AVG,           C_MAX,         C_P50,
                                C_P999,          C_LAST_RUN};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        CU_ASSERT_STRING_EQUAL(r->f[empty[i]], "");
    }
    free_table(t);
    free(t);
}

static void test_csv_odd_names_round_trip(void)
{
    static const char *const names[] = {
        "comma,name",   "say \"hi\"", "two\nlines", "cr\rlf",
        "naïve ✓ 日本", "\"",         ",",          " spaced "};
    const size_t n = sizeof names / sizeof names[0];
    const char *file = tmp_path(0, "odd.csv");
    char *opts = path_option(file, "");
    /* The worker id is free text too: libconfig's escapes give it a quote
     * and a comma. */
    test_worker = "w,\\\"1\\\"";
    tacho_host_t *h = start_sink("csv", opts);
    test_worker = "w1";
    free(opts);
    for (size_t i = 0; i < n; i++) {
        tacho_record(tacho_host_collector(h), names[i], (i + 1) * MS, true);
    }
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    tacho_host_close(h);

    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL_FATAL(t->count, 1 + 1 + n);
    CU_ASSERT_STRING_EQUAL(t->row[1].f[C_WORKER], "w,\"1\"");
    check_snapshot_rows(t, 1, s, false);
    /* Every name came back, byte for byte. */
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 2; j < t->count; j++) {
            found = found || strcmp(t->row[j].f[C_PIPELINE], names[i]) == 0;
        }
        CU_ASSERT(found);
    }
    check_with_python(file, t);
    free_table(t);
    free(t);
    tacho_snapshot_free(s);
}

/* ---- the file across runs
 * ------------------------------------------------------- */

static void test_csv_header_once_across_restarts(void)
{
    const char *file = tmp_path(0, "restarts.csv");
    for (int run = 0; run < 3; run++) {
        tacho_host_t *h = start_csv(file, "");
        record_known(h);
        if (run == 1) {
            report(h, "csv");
        }
        tacho_host_close(h);
    }
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    /* One header; runs 0 and 2 wrote once, run 1 twice: 4 x 3 rows. */
    CU_ASSERT_EQUAL(header_rows(t), 1);
    CU_ASSERT_STRING_EQUAL(t->row[0].f[0], "timestamp");
    CU_ASSERT_EQUAL(t->count, 1 + 4 * 3);
    for (size_t i = 1; i < t->count; i += 3) {
        CU_ASSERT_STRING_EQUAL(t->row[i].f[C_RUNS], "4");
    }
    free_table(t);
    free(t);
}

static void test_csv_header_mismatch_refused(void)
{
    const char *file = tmp_path(0, "other.csv");
    const char *before = "time,value\n1,2\n";
    write_file(file, before);
    char *opts = path_option(file, "");
    tacho_error_t err;
    expect_start_fails("csv", opts, &err);
    free(opts);
    char want[4400];
    snprintf(want, sizeof want,
             "csv: %s has a different header; move it away or choose "
             "another path",
             file);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, want));
    char *after = tacho_test_read_file(file, NULL);
    CU_ASSERT_STRING_EQUAL(after, before);
    free(after);
}

static void test_csv_header_false(void)
{
    /* Without a header the file is the rows alone, and any first line is
     * accepted. */
    const char *file = tmp_path(0, "noheader.csv");
    tacho_host_t *h = start_csv(file, "  header = false;\n");
    record_known(h);
    tacho_host_close(h);
    h = start_csv(file, "  header = false;\n");
    tacho_host_close(h);
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL(header_rows(t), 0);
    CU_ASSERT_EQUAL_FATAL(t->count, 3 + 1); /* the second run has no runs */
    CU_ASSERT_STRING_EQUAL(t->row[0].f[C_RUNS], "4");
    CU_ASSERT_STRING_EQUAL(t->row[3].f[C_RUNS], "0");
    free_table(t);
    free(t);
}

/* Appends `tail` to a file holding one run's rows, starts a host on it and
 * checks that the tail is gone, with a warning, and the new rows follow. */
static void check_repair(const char *name, const char *tail, size_t rows)
{
    const char *file = tmp_path(0, name);
    tacho_host_t *h = NULL;
    if (rows > 0) {
        h = start_csv(file, "");
        record_known(h);
        tacho_host_close(h);
    }
    size_t good_len = 0;
    char *good = tacho_test_read_file(file, &good_len);
    FILE *f = fopen(file, "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(tail, f);
    fclose(f);
    capture_reset();
    h = start_csv(file, "");
    char *text = tacho_test_read_file(file, NULL);
    CU_ASSERT_STRING_EQUAL(text, good != NULL ? good : "");
    free(text);
    CU_ASSERT(logged_all("warning [sink:csv:csv]", file, "partial row", NULL));
    record_known(h);
    tacho_host_close(h);
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL(header_rows(t), 1);
    CU_ASSERT_EQUAL(t->count, 1 + rows + 3);
    free_table(t);
    free(t);
    free(good);
}

static void test_csv_torn_tail_repaired(void)
{
    check_repair("torn.csv", "2026-01-01T00:00:00.000Z,w1,alp", 3);
}

static void test_csv_torn_quoted_tail_repaired(void)
{
    /* Ends in a line feed, but inside a quoted name: still partial. */
    check_repair("torn-quoted.csv", "2026-01-01T00:00:00.000Z,w1,\"two\n", 3);
}

static void test_csv_torn_header_repaired(void)
{
    check_repair("torn-header.csv", "timestamp,worker,pipel", 0);
}

/* ---- instances, options
 * ------------------------------------------------------- */

static void test_csv_two_instances_side_by_side(void)
{
    const char *a = tmp_path(0, "a.csv");
    const char *b = tmp_path(1, "b.csv");
    char *text = NULL;
    CU_ASSERT_FATAL(
        asprintf(&text,
                 "tacho: { worker = \"w1\"; interval = 3600; };\n"
                 "sinks = (\n"
                 "  { plugin = \"csv\"; name = \"a\"; path = \"%s\"; },\n"
                 "  { plugin = \"csv\"; name = \"b\"; path = \"%s\"; "
                 "header = false; }\n"
                 ");\n",
                 a, b) > 0);
    tacho_host_t *h = start_host_text(text);
    free(text);
    record_known(h);
    report(h, "a");
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    tacho_host_close(h);
    table_t *ta = malloc(sizeof *ta), *tb = malloc(sizeof *tb);
    load_table(a, ta);
    load_table(b, tb);
    /* a: header and two snapshots; b: only its own option, no header. */
    CU_ASSERT_EQUAL(header_rows(ta), 1);
    CU_ASSERT_EQUAL(header_rows(tb), 0);
    CU_ASSERT_EQUAL(ta->count, 1 + 3 + 3);
    CU_ASSERT(tb->count == 3 || tb->count == 6);
    check_snapshot_rows(ta, 4, s, false);
    check_snapshot_rows(tb, tb->count - 3, s, false);
    free_table(ta);
    free_table(tb);
    free(ta);
    free(tb);
    tacho_snapshot_free(s);
}

static void test_csv_fsync_option_accepted(void)
{
    const char *file = tmp_path(0, "fsync.csv");
    tacho_host_t *h = start_csv(file, "  fsync = true;\n");
    record_known(h);
    report(h, "csv");
    CU_ASSERT_EQUAL(sink_figure(h, "csv", tacho_sink_stats_errors), 0);
    tacho_host_close(h);
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL(t->count, 1 + 3 + 3);
    free_table(t);
    free(t);
}

static void test_csv_mode_applied_to_new_file(void)
{
    const char *file = tmp_path(0, "mode.csv");
    mode_t old_umask = umask(077); /* would make 0604 into 0600 */
    tacho_host_t *h = start_csv(file, "  mode = \"604\";\n");
    tacho_host_close(h);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(file, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0604);
    CU_ASSERT_EQUAL(chmod(file, 0600), 0);
    h = start_csv(file, "  mode = \"0666\";\n");
    tacho_host_close(h);
    CU_ASSERT_EQUAL_FATAL(stat(file, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600); /* existing: kept */
    umask(old_umask);
    const char *plain = tmp_path(1, "plain.csv");
    h = start_csv(plain, "");
    tacho_host_close(h);
    CU_ASSERT_EQUAL_FATAL(stat(plain, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
}

/* ---- errors
 * ------------------------------------------------------------------- */

/* Starting must fail with `want` in the message. */
static void expect_start_error(const char *path, const char *want)
{
    char *opts = path_option(path, "");
    tacho_error_t err;
    expect_start_fails("csv", opts, &err);
    free(opts);
    if (strstr(err.text, want) == NULL) {
        fprintf(stderr, "\nunexpected error: %s\n", err.text);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, want));
}

static void test_csv_missing_directory_named(void)
{
    const char *file = tmp_path(0, "no/such/dir/m.csv");
    char want[4400];
    snprintf(want, sizeof want,
             "csv: directory %s/no/such/dir does not exist (path %s)", tmp,
             file);
    expect_start_error(file, want);
    CU_ASSERT_NOT_EQUAL(access(tmp_path(1, "no"), F_OK), 0); /* not made */
}

static void test_csv_not_regular_file_refused(void)
{
    const char *fifo = tmp_path(0, "fifo.csv");
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    char want[4400];
    snprintf(want, sizeof want, "csv: %s is not a regular file", fifo);
    expect_start_error(fifo, want);
}

static void test_csv_cannot_open_names_path(void)
{
    char want[4400];
    snprintf(want, sizeof want, "csv: cannot open %s: Is a directory", tmp);
    expect_start_error(tmp, want);
}

static void test_csv_format_failure_counted(void)
{
    const char *file = tmp_path(0, "oom.csv");
    tacho_host_t *h = start_csv(file, "");
    record_known(h);
    capture_reset();
    failing_alloc_every(true);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    wait_figure(h, "csv", sink_handled, 1, 10000);
    failing_alloc_every(false);
    CU_ASSERT_EQUAL(sink_figure(h, "csv", sink_handled), 1);
    CU_ASSERT_EQUAL(sink_figure(h, "csv", tacho_sink_stats_errors), 1);
    CU_ASSERT(logged_all("error [sink:csv:csv] cannot format the rows for",
                         file, "Cannot allocate memory", NULL));
    tacho_host_close(h);
    /* The header and the final snapshot only. */
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL(t->count, 1 + 3);
    free_table(t);
    free(t);
}

static void test_csv_option_errors(void)
{
    expect_config_error("csv", "  path = \"\";\n", 4,
                        "csv: path must not be empty");
    expect_config_error("csv", "  path = \"/tmp/x.csv\";\n  mode = \"08\";\n",
                        5,
                        "csv: mode must be an octal file mode such as "
                        "\"0640\", not \"08\"");
    /* The core enforces the required key, naming it. */
    expect_config_error("csv", "  fsync = true;\n", 2, "path");
}

/* ---- rotation
 * ------------------------------------------------------------------ */

static void wait_for_file(const char *path)
{
    for (int i = 0; i < 2000 && access(path, F_OK) != 0; i++) {
        sleep_ms(5);
    }
    CU_ASSERT_EQUAL_FATAL(access(path, F_OK), 0);
}

static void test_csv_reopen_after_move(void)
{
    const char *file = tmp_path(0, "rotate.csv");
    const char *moved = tmp_path(1, "rotate.csv.1");
    tacho_host_t *h = start_csv(file, "");
    record_known(h);
    report(h, "csv");
    CU_ASSERT_EQUAL_FATAL(rename(file, moved), 0);
    CU_ASSERT_EQUAL(tacho_host_reopen(h), 0);
    wait_for_file(file); /* the reopen ran on the sink's thread */
    report(h, "csv");
    tacho_host_close(h);
    table_t *t1 = malloc(sizeof *t1), *t2 = malloc(sizeof *t2);
    load_table(moved, t1);
    load_table(file, t2);
    /* Each file has its header; 3 snapshots of 3 rows, none lost. */
    CU_ASSERT_EQUAL(header_rows(t1), 1);
    CU_ASSERT_EQUAL(header_rows(t2), 1);
    CU_ASSERT_EQUAL(t1->count, 1 + 3);
    CU_ASSERT_EQUAL(t2->count, 1 + 3 + 3);
    free_table(t1);
    free_table(t2);
    free(t1);
    free(t2);
}

static void test_csv_reopen_failure_keeps_old_file(void)
{
    const char *file = tmp_path(0, "keep.csv");
    const char *moved = tmp_path(1, "keep.csv.1");
    tacho_host_t *h = start_csv(file, "");
    record_known(h);
    report(h, "csv");
    /* What now sits at `path` is not ours: the reopen must refuse it. */
    CU_ASSERT_EQUAL_FATAL(rename(file, moved), 0);
    write_file(file, "a,b\n");
    capture_reset();
    CU_ASSERT_EQUAL(tacho_host_reopen(h), 0);
    wait_logged("reopen failed", 10);
    CU_ASSERT(logged_all("error [sink:csv:csv] reopen failed: csv: ", file,
                         "has a different header",
                         "still writing to the old file", NULL));
    report(h, "csv");
    tacho_host_close(h);
    table_t *t = malloc(sizeof *t);
    load_table(moved, t);
    CU_ASSERT_EQUAL(t->count, 1 + 3 * 3);
    free_table(t);
    free(t);
    char *other = tacho_test_read_file(file, NULL);
    CU_ASSERT_STRING_EQUAL(other, "a,b\n");
    free(other);
}

/* ---- a full disk
 * ------------------------------------------------------------- */

/* Fills the file system holding `dir` with a file `filler`. */
static void fill_up(const char *filler)
{
    FILE *f = fopen(filler, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    setvbuf(f, NULL, _IONBF, 0);
    char block[512];
    memset(block, 'x', sizeof block);
    while (fwrite(block, 1, sizeof block, f) == sizeof block) {
    }
    while (fwrite(block, 1, 1, f) == 1) {
    }
    fclose(f);
}

static void test_csv_full_disk_leaves_no_partial_row(void)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/small", tmp);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
        CU_PASS("skipped: cannot mount a small tmpfs");
        fprintf(stderr, "(skipped: cannot mount a small tmpfs: %s) ",
                strerror(errno));
        return;
    }
    snprintf(mounted, sizeof mounted, "%s", dir);
    const char *file = tmp_path(0, "small/m.csv");
    const char *filler = tmp_path(1, "small/filler");
    tacho_host_t *h = start_csv(file, "");
    /* 40 long names: each snapshot is about 12 KiB, three pages. */
    for (int i = 0; i < 40; i++) {
        char name[256];
        snprintf(name, sizeof name, "pipeline-%02d-%0200d", i, 0);
        tacho_record(tacho_host_collector(h), name, MS, true);
    }
    report(h, "csv");
    fill_up(filler);
    struct stat before, after;
    CU_ASSERT_EQUAL_FATAL(stat(file, &before), 0);
    capture_reset();
    report(h, "csv");
    CU_ASSERT_EQUAL(sink_figure(h, "csv", tacho_sink_stats_errors), 1);
    CU_ASSERT(logged_all("error [sink:csv:csv] cannot write to", file,
                         "No space left on device", NULL));
    CU_ASSERT_EQUAL_FATAL(stat(file, &after), 0);
    CU_ASSERT_EQUAL(after.st_size, before.st_size); /* cut back */
    CU_ASSERT_EQUAL(unlink(filler), 0);
    report(h, "csv");
    tacho_host_close(h);
    table_t *t = malloc(sizeof *t);
    load_table(file, t);
    CU_ASSERT_EQUAL(t->count, 1 + 3 * 41); /* 3 good snapshots, no part */
    free_table(t);
    free(t);
    CU_ASSERT_EQUAL(umount(dir), 0);
    mounted[0] = '\0';
}

/* ---- suite ------------------------------------------------------------------
 */

static int suite_init(void)
{
    return sink_suite_init("csv");
}

static int suite_cleanup(void)
{
    if (mounted[0] != '\0') {
        umount2(mounted, MNT_DETACH);
    }
    return sink_suite_cleanup();
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"csv_rows_match_snapshots", test_csv_rows_match_snapshots},
        {"csv_empty_values_without_runs", test_csv_empty_values_without_runs},
        {"csv_odd_names_round_trip", test_csv_odd_names_round_trip},
        {"csv_header_once_across_restarts",
         test_csv_header_once_across_restarts},
        {"csv_header_mismatch_refused", test_csv_header_mismatch_refused},
        {"csv_header_false", test_csv_header_false},
        {"csv_torn_tail_repaired", test_csv_torn_tail_repaired},
        {"csv_torn_quoted_tail_repaired", test_csv_torn_quoted_tail_repaired},
        {"csv_torn_header_repaired", test_csv_torn_header_repaired},
        {"csv_two_instances_side_by_side", test_csv_two_instances_side_by_side},
        {"csv_fsync_option_accepted", test_csv_fsync_option_accepted},
        {"csv_mode_applied_to_new_file", test_csv_mode_applied_to_new_file},
        {"csv_missing_directory_named", test_csv_missing_directory_named},
        {"csv_not_regular_file_refused", test_csv_not_regular_file_refused},
        {"csv_cannot_open_names_path", test_csv_cannot_open_names_path},
        {"csv_option_errors", test_csv_option_errors},
        {"csv_format_failure_counted", test_csv_format_failure_counted},
        {"csv_reopen_after_move", test_csv_reopen_after_move},
        {"csv_reopen_failure_keeps_old_file",
         test_csv_reopen_failure_keeps_old_file},
        {"csv_full_disk_leaves_no_partial_row",
         test_csv_full_disk_leaves_no_partial_row},
        {NULL, NULL},
    };
    return tacho_test_run("csv_sink", suite_init, suite_cleanup, cases);
}
