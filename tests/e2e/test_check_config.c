/*
 * Suite for tacho-worker's command line, driving the real binary:
 * --check-config on good and bad files (exit 0/78, every problem with its
 * file:line), the exit statuses of a bad start (64, 66, 78) before any
 * job runs, --list-plugins, --plugin-doc (and that
 * docs/plugins/<name>-options.md match what it generates), --once and
 * --run-once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tacho/version.h>

#include "e2e_support.h"
#include "tacho_test.h"

static char *tmp;

/* Runs tacho-worker with `args` (NULL-terminated) and `env`. */
static int worker(const char *const *args, char *const *env, char **out,
                  char **err)
{
    char *argv[32];
    size_t n = 0;
    argv[n++] = (char *)e2e_bin("tacho-worker");
    for (; args[n - 1] != NULL && n < 31; n++) {
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    return e2e_run(tmp, "worker", argv, env, 30, out, err);
}

/* Writes `text` to tmp/name and returns the path (static buffer). */
static const char *conf(const char *name, const char *text)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    e2e_write_file(path, text);
    return path;
}

static bool has(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL) {
        return true;
    }
    fprintf(stderr, "\nmissing: %s\nin:\n%s\n", needle,
            hay != NULL ? hay : "(null)");
    return false;
}

static void check_shipped_configs_ok(void)
{
    const char *files[] = {"conf/tacho.conf", "conf/examples/log-only.conf",
                           "conf/examples/prometheus-only.conf",
                           "conf/examples/json-push.conf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024], want[1100];
        snprintf(path, sizeof path, "%s/%s", TACHO_TEST_SOURCE_DIR, files[i]);
        snprintf(want, sizeof want, "%s: OK\n", path);
        char *out, *err;
        const char *args[] = {"--check-config", path, NULL};
        CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 0);
        CU_ASSERT_STRING_EQUAL(out, want);
        CU_ASSERT_STRING_EQUAL(err, "");
        free(out);
        free(err);
    }
}

/* Runs --check-config on `path` and expects exit 78, nothing on stdout and
 * each of `wants` (the text after the path) on stderr. */
static void expect_problems(const char *path, const char *const *wants,
                            size_t n)
{
    char *out, *err;
    const char *args[] = {"--check-config", path, NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 78);
    CU_ASSERT_STRING_EQUAL(out, "");
    for (size_t i = 0; i < n; i++) {
        char want[1200];
        snprintf(want, sizeof want, "%s%s", path, wants[i]);
        CU_ASSERT_TRUE(has(err, want));
    }
    free(out);
    free(err);
}

/* One file with problems in two sinks, the runner and two jobs: all are
 * listed, each with its file:line, and then the count. */
static void check_lists_every_problem(void)
{
    const char *path =
        conf("bad.conf", "tacho = { interval = 5.0; };\n"
                         "sinks = (\n"
                         "  { plugin = \"csv\"; path = \"x.csv\";\n"
                         "    colour = \"red\"; },\n"
                         "  { plugin = \"nosuchsink\"; }\n"
                         ");\n"
                         "runner = { threads = 2; };\n"
                         "jobs = (\n"
                         "  { name = \"a\"; command = \"true\"; },\n"
                         "  { name = \"b c\"; argv = [\"true\"]; every = 1; "
                         "}\n"
                         ");\n");
    const char *wants[] = {":4: sink 'csv' (plugin csv): unknown key 'colour'",
                           ":5: sink 'nosuchsink' not found",
                           ":7: unknown key 'threads' in runner",
                           ":9: job 'a' has no every",
                           ":10: job name 'b c' is invalid",
                           ": 5 problems\n"};
    expect_problems(path, wants, sizeof wants / sizeof wants[0]);
}

/* Bad values in the tacho group do not hide the problems of the sinks and
 * the jobs: one run lists them all, and a sink with a bad plugin name is
 * reported once and not loaded. */
static void check_tacho_problems_do_not_hide_others(void)
{
    const char *path =
        conf("bad-all.conf", "tacho = { intervall = 5.0; };\n"
                             "sinks = (\n"
                             "  { plugin = \"csv\"; pth = \"x.csv\"; },\n"
                             "  { plugin = \"bad/name\"; }\n"
                             ");\n"
                             "jobs = ( { name = \"a\"; command = \"true\"; } "
                             ");\n");
    const char *wants[] = {":1: unknown key 'intervall' in tacho",
                           ":3: sink 'csv' (plugin csv): unknown key 'pth'",
                           ":3: sink 'csv' (plugin csv): missing required "
                           "key 'path'",
                           ":4: sinks[1].plugin 'bad/name' is not a valid "
                           "plugin name",
                           ":6: job 'a' has no every",
                           ": 5 problems\n"};
    expect_problems(path, wants, sizeof wants / sizeof wants[0]);
}

/* Problems in the tacho group are all listed too. */
static void check_lists_tacho_group_problems(void)
{
    const char *path = conf("bad-tacho.conf", "tacho = {\n  intervall = 5.0;\n"
                                              "  window = 10;\n};\n");
    const char *wants[] = {":2: unknown key 'intervall' in tacho",
                           ":3: ", ": 2 problems\n"};
    expect_problems(path, wants, sizeof wants / sizeof wants[0]);
}

static void check_syntax_error_has_place(void)
{
    const char *path = conf("syntax.conf", "tacho = {\n  interval = ;\n};\n");
    char *out, *err;
    const char *args[] = {"--check-config", path, NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 78);
    char want[1100];
    snprintf(want, sizeof want, "%s:2: ", path);
    CU_ASSERT_TRUE(has(err, want));
    snprintf(want, sizeof want, "%s: 1 problem\n", path);
    CU_ASSERT_TRUE(has(err, want));
    free(out);
    free(err);
}

static void check_missing_file_is_noinput(void)
{
    char *out, *err;
    const char *args[] = {"--check-config", "/nonexistent/tacho.conf", NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 66);
    CU_ASSERT_TRUE(has(err, "tacho-worker: /nonexistent/tacho.conf: No such "
                            "file or directory"));
    free(out);
    free(err);
    const char *run[] = {"-c", "/nonexistent/tacho.conf", NULL};
    CU_ASSERT_EQUAL(worker(run, NULL, &out, &err), 66);
    CU_ASSERT_TRUE(has(err, "/nonexistent/tacho.conf"));
    free(out);
    free(err);
}

/* ---- the command line ------------------------------------------------------
 */

static void expect_usage(const char *const *args, const char *text)
{
    char *out, *err;
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 64);
    CU_ASSERT_TRUE(has(err, text));
    free(out);
    free(err);
}

static void cli_usage_errors_exit_64(void)
{
    const char *none[] = {NULL};
    expect_usage(none, "Usage: tacho-worker -c FILE");
    const char *unknown[] = {"--frobnicate", NULL};
    expect_usage(unknown, "Try 'tacho-worker --help'.");
    const char *two[] = {"--list-plugins", "--check-config", "x", NULL};
    expect_usage(two, "choose one of --check-config, --once, --run-once, "
                      "--list-plugins, --plugin-doc");
    const char *once[] = {"--once", "a", NULL};
    expect_usage(once, "--once needs -c FILE");
    const char *run[] = {"--run-once", NULL};
    expect_usage(run, "--run-once needs a command after --");
    const char *extra[] = {"-c", "x.conf", "stray", NULL};
    expect_usage(extra, "unexpected argument 'stray'");
    const char *timeout[] = {"--run-once", "--timeout", "0",
                             "--",         "true",      NULL};
    expect_usage(timeout, "--timeout '0': use seconds > 0");
    const char *level[] = {"--log-level", "loud", "-c", "x", NULL};
    expect_usage(level, "--log-level 'loud': use error, warning, notice, "
                        "info or debug");
    const char *name[] = {"--name", "x", "-c", "x", NULL};
    expect_usage(name, "--name and --timeout go with --run-once");
}

static void cli_version_and_help(void)
{
    char *out, *err;
    const char *v[] = {"--version", NULL};
    CU_ASSERT_EQUAL(worker(v, NULL, &out, &err), 0);
    CU_ASSERT_STRING_EQUAL(out, "tacho-worker " TACHO_VERSION_STRING
                                " (libtacho " TACHO_VERSION_STRING
                                ", sink ABI 1.0)\n");
    free(out);
    free(err);
    const char *h[] = {"--help", NULL};
    CU_ASSERT_EQUAL(worker(h, NULL, &out, &err), 0);
    CU_ASSERT_TRUE(has(out, "--check-config FILE"));
    CU_ASSERT_TRUE(has(out, "66 config file missing"));
    CU_ASSERT_TRUE(has(out, "POLL_INTERVAL"));
    free(out);
    free(err);
}

/* A bad config at start: 78, and no job ran (the job would leave a file). */
static void start_bad_config_runs_nothing(void)
{
    char marker[1024], text[2048];
    snprintf(marker, sizeof marker, "%s/ran", tmp);
    snprintf(text, sizeof text,
             "runner = { workers = 0; };\n"
             "jobs = ({ name = \"t\"; argv = [\"/usr/bin/touch\", \"%s\"]; "
             "every = 1; });\n",
             marker);
    const char *path = conf("start-bad.conf", text);
    char *out, *err;
    const char *args[] = {"-c", path, NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 78);
    char want[1100];
    snprintf(want, sizeof want,
             "error [worker] %s:1: runner.workers must be an integer", path);
    CU_ASSERT_TRUE(has(err, want));
    CU_ASSERT_NOT_EQUAL(access(marker, F_OK), 0);
    free(out);
    free(err);
}

static void start_bad_poll_interval_exits_78(void)
{
    const char *path = conf("poll.conf", "jobs = ();\n");
    const char *values[] = {"POLL_INTERVAL=abc", "POLL_INTERVAL=0",
                            "POLL_INTERVAL=-3", "POLL_INTERVAL=99999999"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *env[] = {(char *)values[i], NULL};
        char *out, *err;
        const char *args[] = {"-c", path, NULL};
        CU_ASSERT_EQUAL(worker(args, env, &out, &err), 78);
        char quoted[300];
        snprintf(quoted, sizeof quoted, "POLL_INTERVAL='%s",
                 strchr(values[i], '=') + 1);
        CU_ASSERT_TRUE(has(err, quoted));
        CU_ASSERT_TRUE(has(err, "is invalid: use whole milliseconds from 1 to "
                                "60000 (default 100)"));
        free(out);
        free(err);
    }
}

/* A sink that cannot start (its port is taken) is a config problem, as
 * issue 6 wants: 78, named, and the job that would run first never did. */
static void start_sink_failure_exits_78(void)
{
    int port = e2e_free_port(SOCK_STREAM);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    CU_ASSERT_EQUAL_FATAL(listen(fd, 1), 0);
    char marker[1024], text[2048];
    snprintf(marker, sizeof marker, "%s/ran-taken", tmp);
    snprintf(text, sizeof text,
             "sinks = ({ plugin = \"prometheus\"; listen = \"127.0.0.1:%d\"; "
             "});\njobs = ({ name = \"t\"; argv = [\"/usr/bin/touch\", "
             "\"%s\"]; every = 1; });\n",
             port, marker);
    const char *path = conf("taken.conf", text);
    char *out, *err;
    const char *args[] = {"-c", path, NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 78);
    CU_ASSERT_NOT_EQUAL(access(marker, F_OK), 0);
    CU_ASSERT_TRUE(has(err, "cannot start the sinks: sink 'prometheus'"));
    CU_ASSERT_TRUE(has(err, "address already in use"));
    close(fd);
    free(out);
    free(err);
}

/* ---- --list-plugins and --plugin-doc ------------------------------------- */

static void plugins_list_shows_the_four_sinks(void)
{
    char *out, *err;
    const char *args[] = {"--list-plugins", NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 0);
    const char *sinks[] = {"csv", "http_json", "log", "prometheus"};
    for (size_t i = 0; i < 4; i++) {
        char want[1024];
        snprintf(want, sizeof want, "%-12s 1.0   %s/tacho_sink_%s.so\n",
                 sinks[i], TACHO_TEST_SINK_DIR, sinks[i]);
        CU_ASSERT_TRUE(has(out, want));
    }
    CU_ASSERT_TRUE(has(out, "(version 1.0.0)"));
    free(out);
    free(err);
}

/* A sink that cannot be used is listed with its problem, and has no doc. */
static void plugins_problems_shown(void)
{
    char env_path[1200];
    snprintf(env_path, sizeof env_path, "TACHO_PLUGIN_PATH=%s",
             TACHO_TEST_EXTRA_SINK_DIR);
    char *env[] = {env_path, NULL};
    char *out, *err;
    const char *list[] = {"--list-plugins", NULL};
    CU_ASSERT_EQUAL(worker(list, env, &out, &err), 0);
    CU_ASSERT_TRUE(has(out, "badabi       -     "));
    CU_ASSERT_TRUE(has(out, "problem: sink 'badabi' was built for ABI 2.0"));
    CU_ASSERT_TRUE(has(out, "recorder     1.0"));
    free(out);
    free(err);
    const char *doc[] = {"--plugin-doc", "badabi", NULL};
    CU_ASSERT_EQUAL(worker(doc, env, &out, &err), 69);
    CU_ASSERT_TRUE(has(err, "tacho-worker: sink 'badabi' ("));
    CU_ASSERT_TRUE(has(err, "was built for ABI 2.0"));
    free(out);
    free(err);
}

static void plugins_doc_unknown_sink(void)
{
    char *out, *err;
    const char *args[] = {"--plugin-doc", "nosuch", NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 69);
    CU_ASSERT_TRUE(has(err, "tacho-worker: no sink named 'nosuch' on the "
                            "search path (see --list-plugins)"));
    free(out);
    free(err);
}

/* A relative TACHO_PLUGIN_PATH entry makes the search path itself wrong. */
static void plugins_bad_search_path(void)
{
    char *env[] = {"TACHO_PLUGIN_PATH=relative/dir", NULL};
    char *out, *err;
    const char *args[] = {"--list-plugins", NULL};
    CU_ASSERT_EQUAL(worker(args, env, &out, &err), 78);
    CU_ASSERT_TRUE(has(err, "tacho-worker: listing sinks: "));
    CU_ASSERT_TRUE(has(err, "(TACHO_PLUGIN_PATH and plugin_path take absolute "
                            "directories)"));
    free(out);
    free(err);
}

/* The option tables of the four sinks, as generated now, are exactly the
 * committed docs/plugins/<name>-options.md (scripts/gen-plugin-docs.sh
 * regenerates them). */
static void plugins_committed_docs_match_generated(void)
{
    const char *sinks[] = {"csv", "http_json", "log", "prometheus"};
    for (size_t i = 0; i < 4; i++) {
        char *out, *err;
        const char *args[] = {"--plugin-doc", sinks[i], NULL};
        CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 0);
        char path[1024];
        snprintf(path, sizeof path, "%s/docs/plugins/%s-options.md",
                 TACHO_TEST_SOURCE_DIR, sinks[i]);
        char *committed = tacho_test_read_file(path, NULL);
        CU_ASSERT_PTR_NOT_NULL(committed);
        if (committed != NULL && strcmp(committed, out) != 0) {
            fprintf(stderr,
                    "\n%s differs from `tacho-worker --plugin-doc "
                    "%s`: run scripts/gen-plugin-docs.sh\n",
                    path, sinks[i]);
            CU_FAIL("generated doc differs");
        }
        CU_ASSERT_TRUE(has(out, "| Option | Type | Default | Required | "
                                "Description |"));
        free(committed);
        free(out);
        free(err);
    }
}

/* ---- --once and --run-once ------------------------------------------------
 */

/* The last "Worker Metrics Report" line of a log file: totalRuns, failed. */
static bool last_report(const char *path, long *runs, long *failed)
{
    char *text = tacho_test_read_file(path, NULL);
    const char *line = NULL;
    for (const char *p = text; p != NULL && (p = strstr(p, "Worker Metrics "
                                                           "Report {")) != NULL;
         p++) {
        line = p;
    }
    bool ok =
        line != NULL &&
        sscanf(strstr(line, "\"totalRuns\":"), "\"totalRuns\":%ld", runs) ==
            1 &&
        sscanf(strstr(line, "\"failed\":"), "\"failed\":%ld", failed) == 1;
    free(text);
    return ok;
}

static void once_runs_a_config_job(void)
{
    char text[2048], log[1024];
    snprintf(log, sizeof log, "%s/once.log", tmp);
    remove(log);
    snprintf(text, sizeof text,
             "sinks = ({ plugin = \"log\"; target = \"file\"; path = "
             "\"%s\"; });\n"
             "jobs = ({ name = \"t\"; command = \"echo hello; exit 3\"; "
             "every = 60; },\n"
             "        { name = \"other\"; argv = [\"true\"]; every = 1; "
             "});\n",
             log);
    const char *path = conf("once.conf", text);
    char *out, *err;
    const char *args[] = {"-c", path, "--once", "t", NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 3);
    CU_ASSERT_TRUE(has(err, "info [job:t] hello"));
    CU_ASSERT_TRUE(has(err, "job t finished in "));
    CU_ASSERT_EQUAL(e2e_count(err, "job other"), 0);
    long runs = -1, failed = -1;
    CU_ASSERT_TRUE(last_report(log, &runs, &failed));
    CU_ASSERT_EQUAL(runs, 1);
    CU_ASSERT_EQUAL(failed, 1);
    free(out);
    free(err);

    const char *bad[] = {"-c", path, "--once", "zz", NULL};
    CU_ASSERT_EQUAL(worker(bad, NULL, &out, &err), 64);
    char want[1200];
    snprintf(want, sizeof want,
             "--once: no job named 'zz' in %s (jobs: t, "
             "other)",
             path);
    CU_ASSERT_TRUE(has(err, want));
    free(out);
    free(err);
}

static void once_runs_a_command(void)
{
    char text[2048], log[1024];
    snprintf(log, sizeof log, "%s/run-once.log", tmp);
    remove(log);
    snprintf(text, sizeof text,
             "sinks = ({ plugin = \"log\"; target = \"file\"; path = "
             "\"%s\"; });\n",
             log);
    const char *path = conf("run-once.conf", text);
    char *out, *err;
    const char *ok[] = {"-c",
                        path,
                        "--run-once",
                        "--",
                        "/bin/sh",
                        "-c",
                        "echo from $TACHO_E2E_MARK",
                        NULL};
    char *env[] = {"TACHO_E2E_MARK=caller", NULL};
    CU_ASSERT_EQUAL(worker(ok, env, &out, &err), 0);
    /* The default name is the command's base name; the caller's
     * environment is kept. */
    CU_ASSERT_TRUE(has(err, "info [job:sh] from caller"));
    CU_ASSERT_TRUE(has(err, "job sh finished in "));
    free(out);
    free(err);

    const char *slow[] = {"-c",         path,        "--run-once", "--name",
                          "nap",        "--timeout", "0.3",        "--",
                          "/bin/sleep", "5",         NULL};
    CU_ASSERT_EQUAL(worker(slow, NULL, &out, &err), 124);
    CU_ASSERT_TRUE(has(err, "job nap finished in "));
    CU_ASSERT_TRUE(has(err, "failed (timeout after 0.3 s)"));
    free(out);
    free(err);
    long runs = -1, failed = -1;
    CU_ASSERT_TRUE(last_report(log, &runs, &failed));
    CU_ASSERT_EQUAL(runs, 1);
    CU_ASSERT_EQUAL(failed, 1);
}

/* Without a config nothing is reported, and the status still comes back;
 * the command's exec failure and a bad --name are reported. */
static void once_without_config(void)
{
    char *out, *err;
    const char *bare[] = {"--run-once", "--", "/bin/sh", "-c", "exit 5", NULL};
    CU_ASSERT_EQUAL(worker(bare, NULL, &out, &err), 5);
    free(out);
    free(err);

    const char *missing[] = {"--run-once", "--", "/nonexistent/x", NULL};
    CU_ASSERT_EQUAL(worker(missing, NULL, &out, &err), 127);
    CU_ASSERT_TRUE(has(err, "cannot execute /nonexistent/x"));
    free(out);
    free(err);

    const char *odd[] = {"--run-once", "--", "/bin/true", NULL};
    const char *badname[] = {"--run-once", "--name",    "a b",
                             "--",         "/bin/true", NULL};
    CU_ASSERT_EQUAL(worker(odd, NULL, &out, &err), 0);
    free(out);
    free(err);
    CU_ASSERT_EQUAL(worker(badname, NULL, &out, &err), 64);
    CU_ASSERT_TRUE(has(err, "--run-once: job name 'a b' is invalid"));
    free(out);
    free(err);
}

/* A command whose base name is no valid pipeline name needs --name. */
static void once_invalid_default_name(void)
{
    char script[1024];
    snprintf(script, sizeof script, "%s/odd name!", tmp);
    e2e_write_file(script, "#!/bin/sh\nexit 0\n");
    chmod(script, 0755);
    char *out, *err;
    const char *args[] = {"--run-once", "--", script, NULL};
    CU_ASSERT_EQUAL(worker(args, NULL, &out, &err), 64);
    CU_ASSERT_TRUE(has(err, "--run-once: job name 'odd name!' is invalid"));
    CU_ASSERT_TRUE(has(err, "(choose one with --name)"));
    free(out);
    free(err);
}

/* A parent that ignores SIGCHLD (inherited across exec) must not make
 * the worker lose its jobs' exit statuses. */
static void once_sigchld_ignored_by_parent(void)
{
    char *argv[] = {"/usr/bin/env",
                    "--ignore-signal=CHLD",
                    (char *)e2e_bin("tacho-worker"),
                    "--run-once",
                    "--",
                    "/bin/sh",
                    "-c",
                    "exit 3",
                    NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(e2e_run(tmp, "chld", argv, NULL, 20, &out, &err), 3);
    CU_ASSERT_TRUE(has(err, "failed (exit status 3)"));
    free(out);
    free(err);
}

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("cli");
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
        {"check_shipped_configs_ok", check_shipped_configs_ok},
        {"check_lists_every_problem", check_lists_every_problem},
        {"check_lists_tacho_group_problems", check_lists_tacho_group_problems},
        {"check_tacho_problems_do_not_hide_others",
         check_tacho_problems_do_not_hide_others},
        {"check_syntax_error_has_place", check_syntax_error_has_place},
        {"check_missing_file_is_noinput", check_missing_file_is_noinput},
        {"cli_usage_errors_exit_64", cli_usage_errors_exit_64},
        {"cli_version_and_help", cli_version_and_help},
        {"start_bad_config_runs_nothing", start_bad_config_runs_nothing},
        {"start_bad_poll_interval_exits_78", start_bad_poll_interval_exits_78},
        {"start_sink_failure_exits_78", start_sink_failure_exits_78},
        {"plugins_list_shows_the_four_sinks",
         plugins_list_shows_the_four_sinks},
        {"plugins_problems_shown", plugins_problems_shown},
        {"plugins_doc_unknown_sink", plugins_doc_unknown_sink},
        {"plugins_bad_search_path", plugins_bad_search_path},
        {"plugins_committed_docs_match_generated",
         plugins_committed_docs_match_generated},
        {"once_runs_a_config_job", once_runs_a_config_job},
        {"once_runs_a_command", once_runs_a_command},
        {"once_without_config", once_without_config},
        {"once_sigchld_ignored_by_parent", once_sigchld_ignored_by_parent},
        {"once_invalid_default_name", once_invalid_default_name},
        {NULL, NULL}};
    return tacho_test_run("check_config", suite_init, suite_cleanup, cases);
}
