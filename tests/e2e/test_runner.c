/*
 * Suite for the worker's job runner (core/worker/child.c, output.c): real
 * children through fork/exec, their exit, timeouts, process groups, and
 * their output turned into whole log lines.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner_support.h"
#include "tacho_test.h"

static char *tmp;

/* Loads one job from config text and runs it once. */
static bool run_text(const char *text, jobs_config_t *jc, child_t *c,
                     double seconds)
{
    char problems[2048];
    int rc = load_jobs(text, jc, problems, sizeof problems);
    if (rc != 0) {
        fprintf(stderr, "config problems:\n%s", problems);
        return false;
    }
    return run_child(&jc->jobs[0], c, seconds);
}

/* Runs `command` with /bin/sh -c as job "t". */
static bool run_command(const char *command, double timeout, child_t *c,
                        jobs_config_t *jc)
{
    char text[8192];
    snprintf(text, sizeof text,
             "jobs = ({ name = \"t\"; command = \"%s\"; every = 1.0; %s });",
             command, timeout > 0 ? "timeout = TIMEOUT;" : "");
    char *p = strstr(text, "TIMEOUT");
    if (p != NULL) {
        char num[32];
        snprintf(num, sizeof num, "%-7g", timeout);
        memcpy(p, num, 7);
    }
    return run_text(text, jc, c, 20.0);
}

static double seconds_of(const child_t *c)
{
    return (double)(c->end_ns - c->start_ns) / 1e9;
}

static void runner_exit_zero_is_ok(void)
{
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_text("jobs = ({ name = \"t\"; argv = "
                                  "[\"/bin/true\"]; every = 1; });",
                                  &jc, &c, 10));
    char why[128];
    child_describe(&c, why, sizeof why);
    CU_ASSERT_TRUE(child_ok(&c));
    CU_ASSERT_STRING_EQUAL(why, "ok");
    CU_ASSERT_EQUAL(child_exit_code(&c), 0);
    CU_ASSERT_TRUE(c.end_ns >= c.start_ns);
    child_release(&c);
    jobs_config_free(&jc);
}

static void runner_nonzero_exit_fails(void)
{
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command("exit 3", 0, &c, &jc));
    char why[128];
    child_describe(&c, why, sizeof why);
    CU_ASSERT_FALSE(child_ok(&c));
    CU_ASSERT_STRING_EQUAL(why, "exit status 3");
    CU_ASSERT_EQUAL(child_exit_code(&c), 3);
    child_release(&c);
    jobs_config_free(&jc);
}

static void runner_killed_by_signal_fails(void)
{
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command("kill -KILL $$", 0, &c, &jc));
    char why[128];
    child_describe(&c, why, sizeof why);
    CU_ASSERT_FALSE(child_ok(&c));
    CU_ASSERT_STRING_EQUAL(why, "killed by signal 9 (SIGKILL)");
    CU_ASSERT_EQUAL(child_exit_code(&c), 128 + 9);
    child_release(&c);
    jobs_config_free(&jc);
}

/* The timeout reaches the whole process group: the shell's background
 * child holds the output pipe open and must die too. */
static void runner_timeout_ends_process_group(void)
{
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(
        run_command("sleep 30 & sleep 30; wait", 0.3, &c, &jc));
    char why[128];
    child_describe(&c, why, sizeof why);
    CU_ASSERT_FALSE(child_ok(&c));
    CU_ASSERT_STRING_EQUAL(why, "timeout after 0.3 s");
    CU_ASSERT_EQUAL(child_exit_code(&c), 124);
    CU_ASSERT_TRUE(seconds_of(&c) >= 0.3);
    CU_ASSERT_TRUE(seconds_of(&c) < 1.5);
    child_release(&c);
    jobs_config_free(&jc);
}

/* A job that ignores SIGTERM is killed 2 s later. */
static void runner_timeout_kills_after_grace(void)
{
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command("trap '' TERM; sleep 30", 0.2, &c, &jc));
    char why[128];
    child_describe(&c, why, sizeof why);
    CU_ASSERT_STRING_EQUAL(why, "timeout after 0.2 s");
    CU_ASSERT_TRUE(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL);
    CU_ASSERT_TRUE(seconds_of(&c) >= 2.2);
    CU_ASSERT_TRUE(seconds_of(&c) < 4.0);
    child_release(&c);
    jobs_config_free(&jc);
}

static void runner_output_lines_logged(void)
{
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command(
        "echo out one; echo err one >&2; echo out two; printf partial", 0, &c,
        &jc));
    size_t outs = 0, errs = 0;
    const char *want_out[] = {"out one", "out two", "partial"};
    for (size_t i = 0; i < capture_count(); i++) {
        const captured_t *e = capture_get(i);
        if (strcmp(e->origin, "job:t") != 0) {
            continue;
        }
        if (e->level == TACHO_LOG_INFO) {
            CU_ASSERT_TRUE_FATAL(outs < 3);
            CU_ASSERT_STRING_EQUAL(e->message, want_out[outs]);
            outs++;
        } else {
            CU_ASSERT_EQUAL(e->level, TACHO_LOG_WARNING);
            CU_ASSERT_STRING_EQUAL(e->message, "err one");
            errs++;
        }
    }
    CU_ASSERT_EQUAL(outs, 3);
    CU_ASSERT_EQUAL(errs, 1);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* Collects job:t's stdout messages into one text, newline-separated. */
static char *joined_output(size_t *pieces)
{
    size_t total = 1;
    for (size_t i = 0; i < capture_count(); i++) {
        total += strlen(capture_get(i)->message) + 1;
    }
    char *all = calloc(1, total);
    *pieces = 0;
    for (size_t i = 0; i < capture_count(); i++) {
        const captured_t *e = capture_get(i);
        if (strcmp(e->origin, "job:t") == 0 && e->level == TACHO_LOG_INFO) {
            strcat(all, e->message);
            strcat(all, "\n");
            (*pieces)++;
        }
    }
    return all;
}

/* A 10000-byte line comes out in OUTPUT_LINE_MAX pieces, each but the
 * last marked, and nothing is lost. */
static void runner_long_line_split_with_marker(void)
{
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(
        run_command("head -c 10000 /dev/zero | tr '\\\\0' x; echo; echo after",
                    0, &c, &jc));
    size_t pieces = 0;
    char *all = joined_output(&pieces);
    CU_ASSERT_EQUAL(pieces, 4);
    size_t want = 10000;
    const char *p = all;
    for (int i = 0; i < 3; i++) {
        const char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p);
        size_t body = len;
        if (i < 2) {
            CU_ASSERT_EQUAL(len, OUTPUT_LINE_MAX + strlen(OUTPUT_CONTINUED));
            CU_ASSERT_EQUAL(strncmp(p + OUTPUT_LINE_MAX, OUTPUT_CONTINUED,
                                    strlen(OUTPUT_CONTINUED)),
                            0);
            body = OUTPUT_LINE_MAX;
        }
        CU_ASSERT_EQUAL(strspn(p, "x"), body);
        want -= body;
        p = nl + 1;
    }
    CU_ASSERT_EQUAL(want, 0);
    CU_ASSERT_STRING_EQUAL(p, "after\n");
    free(all);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* A line of exactly OUTPUT_LINE_MAX bytes is not split. */
static void runner_line_at_limit_is_whole(void)
{
    capture_start();
    jobs_config_t jc;
    child_t c;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "head -c %d /dev/zero | tr '\\\\0' y; echo",
             OUTPUT_LINE_MAX);
    CU_ASSERT_TRUE_FATAL(run_command(cmd, 0, &c, &jc));
    size_t pieces = 0;
    char *all = joined_output(&pieces);
    CU_ASSERT_EQUAL(pieces, 1);
    CU_ASSERT_EQUAL(strlen(all), OUTPUT_LINE_MAX + 1);
    free(all);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* The cut never splits a UTF-8 character: a two-byte character straddling
 * the limit moves whole to the next piece. */
static void runner_split_keeps_utf8_whole(void)
{
    capture_start();
    char *script = NULL;
    if (asprintf(&script, "%s/utf8.sh", tmp) < 0) {
        CU_FAIL_FATAL("asprintf");
    }
    char text[256];
    snprintf(text, sizeof text,
             "head -c %d /dev/zero | tr '\\0' a\nprintf '\\303\\251b\\n'\n",
             OUTPUT_LINE_MAX - 1);
    FILE *f = fopen(script, "w");
    fputs(text, f);
    fclose(f);
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "jobs = ({ name = \"t\"; argv = [\"/bin/sh\", \"%s\"]; "
             "every = 1; });",
             script);
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_text(cfg, &jc, &c, 10));
    size_t pieces = 0;
    char *all = joined_output(&pieces);
    CU_ASSERT_EQUAL(pieces, 2);
    const char *nl = strchr(all, '\n');
    CU_ASSERT_EQUAL((size_t)(nl - all),
                    OUTPUT_LINE_MAX - 1 + strlen(OUTPUT_CONTINUED));
    CU_ASSERT_STRING_EQUAL(nl + 1, "\xc3\xa9"
                                   "b\n");
    free(all);
    free(script);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

static void runner_crlf_and_nul_cleaned(void)
{
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(
        run_command("printf 'a\\\\r\\\\nb\\\\000c\\\\n'", 0, &c, &jc));
    size_t pieces = 0;
    char *all = joined_output(&pieces);
    CU_ASSERT_STRING_EQUAL(all, "a\nb?c\n");
    free(all);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* 20000 lines arrive complete and in order (the pipe fills many times). */
static void runner_large_output_nothing_lost(void)
{
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command("seq 1 20000", 0, &c, &jc));
    size_t pieces = 0;
    char *all = joined_output(&pieces);
    CU_ASSERT_EQUAL(pieces, 20000);
    char expect[32];
    const char *p = all;
    bool in_order = true;
    for (int i = 1; i <= 20000 && p != NULL; i++) {
        snprintf(expect, sizeof expect, "%d\n", i);
        in_order = in_order && strncmp(p, expect, strlen(expect)) == 0;
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    CU_ASSERT_TRUE(in_order);
    free(all);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* The child's environment is exactly the base plus the job's env. */
static void runner_environment_is_exact(void)
{
    setenv("TACHO_TEST_MUST_NOT_LEAK", "1", 1);
    setenv("HOME", "/home/tester", 1);
    unsetenv("LANG");
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_text("jobs = ({ name = \"t\"; argv = [\"env\"]; "
                                  "every = 1; env = { FOO = \"bar baz\"; "
                                  "EMPTY = \"\"; }; });",
                                  &jc, &c, 10));
    size_t pieces = 0;
    char *all = joined_output(&pieces);
    CU_ASSERT_EQUAL(pieces, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(all, "PATH=" WORKER_BASE_PATH "\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(all, "HOME=/home/tester\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(all, "FOO=bar baz\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(all, "EMPTY=\n"));
    CU_ASSERT_PTR_NULL(strstr(all, "TACHO_TEST_MUST_NOT_LEAK"));
    free(all);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* A job's env may replace PATH, and a bare program name is looked up in
 * that PATH. */
static void runner_path_lookup_uses_job_path(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/mytool", tmp);
    FILE *f = fopen(path, "w");
    fputs("#!/bin/sh\necho found me\n", f);
    fclose(f);
    chmod(path, 0755);
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "jobs = ({ name = \"t\"; argv = [\"mytool\"]; every = 1; "
             "env = { PATH = \"/nonexistent:%s\"; }; });",
             tmp);
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_text(cfg, &jc, &c, 10));
    CU_ASSERT_TRUE(child_ok(&c));
    CU_ASSERT_EQUAL(capture_find("job:t", "found me"), 1);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

static void runner_cwd_applied(void)
{
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "jobs = ({ name = \"t\"; argv = [\"/bin/pwd\"]; every = 1; "
             "cwd = \"%s\"; });",
             tmp);
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_text(cfg, &jc, &c, 10));
    CU_ASSERT_EQUAL(capture_find("job:t", tmp), 1);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* stdin is /dev/null: `cat` ends at once instead of waiting. */
static void runner_stdin_is_dev_null(void)
{
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command("cat", 0, &c, &jc));
    CU_ASSERT_TRUE(child_ok(&c));
    child_release(&c);
    jobs_config_free(&jc);
}

/* Descriptors the worker holds (sockets, files) do not reach jobs. */
static void runner_descriptors_not_inherited(void)
{
    int fd = open("/dev/null", O_RDONLY);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_TRUE_FATAL(dup2(fd, 57) == 57);
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_command("test -e /proc/self/fd/57 && echo "
                                     "leaked || echo clean",
                                     0, &c, &jc));
    CU_ASSERT_EQUAL(capture_find("job:t", "clean"), 1);
    CU_ASSERT_EQUAL(capture_find("job:t", "leaked"), 0);
    close(57);
    close(fd);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* A program that vanished after the config was read: exit 127 and the
 * reason on the job's stderr. */
static void runner_exec_failure_reported(void)
{
    char *argv[] = {"/nonexistent/prog", NULL};
    job_t job;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(job_make_adhoc(&job, "t", argv, 0, &err), 0);
    capture_start();
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_child(&job, &c, 10));
    CU_ASSERT_EQUAL(child_exit_code(&c), 127);
    CU_ASSERT_EQUAL(capture_find("job:t", "tacho-worker: cannot execute "
                                          "/nonexistent/prog: no such file "
                                          "or directory"),
                    1);
    child_release(&c);

    /* A file without execute permission: 126. */
    char path[1024];
    snprintf(path, sizeof path, "%s/noexec", tmp);
    fclose(fopen(path, "w"));
    chmod(path, 0644);
    job_free(&job);
    argv[0] = path;
    CU_ASSERT_EQUAL_FATAL(job_make_adhoc(&job, "t", argv, 0, &err), 0);
    CU_ASSERT_TRUE_FATAL(run_child(&job, &c, 10));
    CU_ASSERT_EQUAL(child_exit_code(&c), 126);
    CU_ASSERT_EQUAL(capture_find("job:t", "permission denied"), 1);
    child_release(&c);
    job_free(&job);
    capture_stop();
}

/* The cwd was removed after the config was read. */
static void runner_cwd_failure_reported(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/gone", tmp);
    mkdir(dir, 0755);
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "jobs = ({ name = \"t\"; argv = [\"/bin/true\"]; every = 1; "
             "cwd = \"%s\"; });",
             dir);
    jobs_config_t jc;
    CU_ASSERT_EQUAL_FATAL(load_jobs(cfg, &jc, NULL, 0), 0);
    rmdir(dir);
    capture_start();
    child_t c;
    CU_ASSERT_TRUE_FATAL(run_child(&jc.jobs[0], &c, 10));
    CU_ASSERT_EQUAL(child_exit_code(&c), 127);
    CU_ASSERT_EQUAL(capture_find("job:t", "cannot change to directory"), 1);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* Output still held open by a background process long after the job
 * exited: the run ends after the drain time, with a warning. */
static void runner_lingering_output_abandoned(void)
{
    char *argv[] = {"/bin/sh", "-c", "(setsid sleep 5 &) ; echo bye", NULL};
    job_t job;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(job_make_adhoc(&job, "t", argv, 0, &err), 0);
    capture_start();
    child_t c;
    uint64_t t0 = tacho_now_ns();
    CU_ASSERT_TRUE_FATAL(run_child(&job, &c, 10));
    double took = (double)(tacho_now_ns() - t0) / 1e9;
    CU_ASSERT_TRUE(child_ok(&c));
    CU_ASSERT_TRUE(took >= 2.0 && took < 4.5);
    CU_ASSERT_EQUAL(capture_find("job:t", "bye"), 1);
    CU_ASSERT_EQUAL(capture_find("worker", "output still open"), 1);
    child_release(&c);
    job_free(&job);
    capture_stop();
}

/* Spawns `command` (/bin/sh -c) as job "t" of `jc` without waiting. */
static bool spawn_command(const char *command, jobs_config_t *jc, child_t *c)
{
    char text[1024];
    snprintf(text, sizeof text,
             "jobs = ({ name = \"t\"; command = \"%s\"; every = 1.0; });",
             command);
    tacho_error_t err;
    return load_jobs(text, jc, NULL, 0) == 0 &&
           child_spawn(c, &jc->jobs[0], &err) == 0;
}

/* Whether poll() reports the end of `fd` (no writer left) right now. */
static bool pipe_hung_up(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

/* The pipes end only when the worker reaps the child: a child that has
 * exited (waited for without reaping it) has not hung them up, and the
 * child_poll() that reaps it also reads what is left, so the run is done
 * in that one turn of the scheduler's loop. */
static void runner_output_ends_when_reaped(void)
{
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(spawn_command(
        "echo out line; echo err line >&2; printf partial", &jc, &c));
    siginfo_t info;
    CU_ASSERT_EQUAL_FATAL(waitid(P_PID, (id_t)c.pid, &info, WEXITED | WNOWAIT),
                          0);
    CU_ASSERT_FALSE(pipe_hung_up(c.out.fd));
    CU_ASSERT_FALSE(pipe_hung_up(c.err.fd));
    child_poll(&c);
    CU_ASSERT_TRUE(c.exited);
    CU_ASSERT_TRUE(child_done(&c, tacho_now_ns()));
    CU_ASSERT_EQUAL(c.out.fd, -1);
    CU_ASSERT_EQUAL(c.err.fd, -1);
    CU_ASSERT_EQUAL(c.hold[0], -1);
    CU_ASSERT_EQUAL(c.hold[1], -1);
    CU_ASSERT_EQUAL(capture_find("job:t", "out line"), 1);
    CU_ASSERT_EQUAL(capture_find("job:t", "err line"), 1);
    CU_ASSERT_EQUAL(capture_find("job:t", "partial"), 1);
    child_release(&c);
    jobs_config_free(&jc);
    capture_stop();
}

/* The write ends the worker holds for one run do not reach a run started
 * while it goes on: the first run's output ends when it exits, not when
 * the second one does. */
static void runner_held_pipes_not_inherited(void)
{
    jobs_config_t first_jc, second_jc;
    child_t first, second;
    CU_ASSERT_TRUE_FATAL(spawn_command("sleep 0.2", &first_jc, &first));
    CU_ASSERT_TRUE_FATAL(spawn_command("sleep 5", &second_jc, &second));
    uint64_t t0 = tacho_now_ns();
    while (!child_done(&first, tacho_now_ns()) &&
           tacho_now_ns() - t0 < 4000000000ull) {
        child_poll(&first);
        struct pollfd p[2] = {{first.out.fd, POLLIN, 0},
                              {first.err.fd, POLLIN, 0}};
        poll(p, 2, 10);
        output_read(&first.out);
        output_read(&first.err);
    }
    double took = (double)(tacho_now_ns() - t0) / 1e9;
    CU_ASSERT_TRUE(first.exited);
    CU_ASSERT_TRUE(took < 1.5);
    child_release(&first);
    child_kill(&second, CHILD_REASON_SHUTDOWN);
    while (!child_done(&second, tacho_now_ns())) {
        child_poll(&second);
        poll(NULL, 0, 5);
    }
    child_release(&second);
    jobs_config_free(&first_jc);
    jobs_config_free(&second_jc);
}

/* Runs a spawned child to its end, reading its output as the scheduler
 * does; false if it took more than 10 s. */
static bool wait_done(child_t *c)
{
    uint64_t end = tacho_now_ns() + 10000000000ull;
    while (!child_done(c, tacho_now_ns())) {
        if (tacho_now_ns() >= end) {
            return false;
        }
        child_poll(c);
        struct pollfd p[2] = {{c->out.fd, POLLIN, 0}, {c->err.fd, POLLIN, 0}};
        poll(p, 2, 10);
        output_read(&c->out);
        output_read(&c->err);
    }
    return true;
}

/* Near the descriptor limit the worker keeps no write ends, so a run
 * needs two descriptors as before; the run still ends and its output is
 * read to the end. Below the line it keeps them. */
static void runner_no_held_pipes_near_fd_limit(void)
{
    struct rlimit old;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &old), 0);
    /* The line falls at descriptor 64. */
    struct rlimit low = {2 * WORKER_MAX_WORKERS + 32 + 64, old.rlim_max};
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
    capture_start();
    jobs_config_t jc;
    child_t c;
    CU_ASSERT_TRUE_FATAL(spawn_command("echo below", &jc, &c));
    CU_ASSERT_TRUE(c.hold[0] >= 0 && c.hold[1] >= 0);
    CU_ASSERT_TRUE(wait_done(&c));
    child_release(&c);
    jobs_config_free(&jc);

    int fill[80];
    size_t filled = 0;
    while (filled < 80 && (fill[filled] = dup(STDIN_FILENO)) >= 0) {
        if (fill[filled++] >= 64) {
            break;
        }
    }
    CU_ASSERT_TRUE_FATAL(spawn_command("echo above", &jc, &c));
    CU_ASSERT_TRUE(c.out.fd >= 64);
    CU_ASSERT_EQUAL(c.hold[0], -1);
    CU_ASSERT_EQUAL(c.hold[1], -1);
    CU_ASSERT_TRUE(wait_done(&c));
    CU_ASSERT_TRUE(child_ok(&c));
    CU_ASSERT_EQUAL(capture_find("job:t", "below"), 1);
    CU_ASSERT_EQUAL(capture_find("job:t", "above"), 1);
    child_release(&c);
    for (size_t i = 0; i < filled; i++) {
        close(fill[i]);
    }
    setrlimit(RLIMIT_NOFILE, &old);
    jobs_config_free(&jc);
    capture_stop();
}

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("runner");
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
        {"runner_exit_zero_is_ok", runner_exit_zero_is_ok},
        {"runner_nonzero_exit_fails", runner_nonzero_exit_fails},
        {"runner_killed_by_signal_fails", runner_killed_by_signal_fails},
        {"runner_timeout_ends_process_group",
         runner_timeout_ends_process_group},
        {"runner_timeout_kills_after_grace", runner_timeout_kills_after_grace},
        {"runner_output_lines_logged", runner_output_lines_logged},
        {"runner_long_line_split_with_marker",
         runner_long_line_split_with_marker},
        {"runner_line_at_limit_is_whole", runner_line_at_limit_is_whole},
        {"runner_split_keeps_utf8_whole", runner_split_keeps_utf8_whole},
        {"runner_crlf_and_nul_cleaned", runner_crlf_and_nul_cleaned},
        {"runner_large_output_nothing_lost", runner_large_output_nothing_lost},
        {"runner_environment_is_exact", runner_environment_is_exact},
        {"runner_path_lookup_uses_job_path", runner_path_lookup_uses_job_path},
        {"runner_cwd_applied", runner_cwd_applied},
        {"runner_stdin_is_dev_null", runner_stdin_is_dev_null},
        {"runner_descriptors_not_inherited", runner_descriptors_not_inherited},
        {"runner_exec_failure_reported", runner_exec_failure_reported},
        {"runner_cwd_failure_reported", runner_cwd_failure_reported},
        {"runner_lingering_output_abandoned",
         runner_lingering_output_abandoned},
        {"runner_output_ends_when_reaped", runner_output_ends_when_reaped},
        {"runner_held_pipes_not_inherited", runner_held_pipes_not_inherited},
        {"runner_no_held_pipes_near_fd_limit",
         runner_no_held_pipes_near_fd_limit},
        {NULL, NULL}};
    return tacho_test_run("runner", suite_init, suite_cleanup, cases);
}
