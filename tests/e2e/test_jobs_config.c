/*
 * Suite for the worker's jobs reader (core/worker/jobs_config.c, job.c):
 * good configs give the right jobs and defaults; every error message is
 * triggered, with its place, and all problems are reported at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failing_alloc.h"
#include "runner_support.h"
#include "tacho_test.h"

static char problems[16384];

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

/* Loads `text`, expects failure, and checks that the problems contain
 * `want` (which should include the "<string>:LINE: " place). */
static void expect_problem(const char *text, const char *want)
{
    jobs_config_t jc;
    int rc = load_jobs(text, &jc, problems, sizeof problems);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    if (strstr(problems, want) == NULL) {
        fprintf(stderr, "\nwanted: %s\ngot:\n%s", want, problems);
        CU_FAIL("problem text");
    }
}

static void jobs_good_config_read(void)
{
    jobs_config_t jc;
    int rc = load_jobs(
        "runner = { workers = 3; shutdown_grace = 2.5; };\n"
        "jobs = (\n"
        "  { name = \"quick\"; command = \"sleep 0.1\"; every = 2.0;\n"
        "    timeout = 10; env = { KEY = \"v\"; }; cwd = \"/tmp\"; },\n"
        "  { name = \"build.x-1\"; argv = [\"/bin/echo\", \"hi\"]; every = 5; "
        "}\n"
        ");\n",
        &jc, problems, sizeof problems);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(jc.workers, 3);
    CU_ASSERT_DOUBLE_EQUAL(jc.shutdown_grace, 2.5, 1e-9);
    CU_ASSERT_EQUAL_FATAL(jc.count, 2);
    const job_t *q = &jc.jobs[0], *b = &jc.jobs[1];
    CU_ASSERT_STRING_EQUAL(q->name, "quick");
    CU_ASSERT_STRING_EQUAL(q->origin, "job:quick");
    CU_ASSERT_STRING_EQUAL(q->argv[0], "/bin/sh");
    CU_ASSERT_STRING_EQUAL(q->argv[1], "-c");
    CU_ASSERT_STRING_EQUAL(q->argv[2], "sleep 0.1");
    CU_ASSERT_PTR_NULL(q->argv[3]);
    CU_ASSERT_DOUBLE_EQUAL(q->every, 2.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(q->timeout, 10.0, 1e-9);
    CU_ASSERT_STRING_EQUAL(q->cwd, "/tmp");
    CU_ASSERT_EQUAL(q->line, 3);
    bool key = false;
    for (char **e = q->envp; *e != NULL; e++) {
        key = key || strcmp(*e, "KEY=v") == 0;
    }
    CU_ASSERT_TRUE(key);
    CU_ASSERT_STRING_EQUAL(b->name, "build.x-1");
    CU_ASSERT_STRING_EQUAL(b->argv[0], "/bin/echo");
    CU_ASSERT_STRING_EQUAL(b->argv[1], "hi");
    CU_ASSERT_STRING_EQUAL(b->exec_paths[0], "/bin/echo");
    CU_ASSERT_PTR_NULL(b->exec_paths[1]);
    CU_ASSERT_DOUBLE_EQUAL(b->timeout, 0.0, 1e-9);
    CU_ASSERT_PTR_NULL(b->cwd);
    jobs_config_free(&jc);
}

static void jobs_defaults_without_sections(void)
{
    jobs_config_t jc;
    CU_ASSERT_EQUAL_FATAL(load_jobs("tacho = { interval = 5.0; };", &jc,
                                    problems, sizeof problems),
                          0);
    CU_ASSERT_EQUAL(jc.count, 0);
    CU_ASSERT_EQUAL(jc.workers, WORKER_DEFAULT_WORKERS);
    CU_ASSERT_DOUBLE_EQUAL(jc.shutdown_grace, WORKER_DEFAULT_SHUTDOWN_GRACE,
                           1e-9);
    jobs_config_free(&jc);
    CU_ASSERT_EQUAL_FATAL(
        load_jobs("jobs = ();", &jc, problems, sizeof problems), 0);
    CU_ASSERT_EQUAL(jc.count, 0);
    jobs_config_free(&jc);
}

/* A bare program name becomes one candidate per PATH entry. */
static void jobs_exec_candidates_follow_path(void)
{
    jobs_config_t jc;
    CU_ASSERT_EQUAL_FATAL(
        load_jobs("jobs = ({ name = \"t\"; argv = [\"sh\"]; every = 1; "
                  "env = { PATH = \"/usr/bin::/bin\"; }; });",
                  &jc, problems, sizeof problems),
        0);
    char **c = jc.jobs[0].exec_paths;
    CU_ASSERT_STRING_EQUAL(c[0], "/usr/bin/sh");
    CU_ASSERT_STRING_EQUAL(c[1], "./sh");
    CU_ASSERT_STRING_EQUAL(c[2], "/bin/sh");
    CU_ASSERT_PTR_NULL(c[3]);
    jobs_config_free(&jc);
}

static void jobs_unknown_key_lists_valid_keys(void)
{
    expect_problem("jobs = ({ name = \"q\"; command = \"true\";\n"
                   "  evry = 2; every = 1; });",
                   "<string>:2: unknown key 'evry' in job 'q' (valid keys: "
                   "name, command, argv, every, timeout, env, cwd)");
}

static void jobs_name_problems(void)
{
    expect_problem("jobs = ({ command = \"true\"; every = 1; });",
                   "<string>:1: job #1 has no name (name = \"...\"; is "
                   "required)");
    expect_problem("jobs = ({ name = 5; command = \"true\"; every = 1; });",
                   "<string>:1: job #1: name must be a string, not an integer");
    expect_problem("jobs = ({ name = \"a b\"; command = \"true\"; every = "
                   "1; });",
                   "<string>:1: job name 'a b' is invalid: use 1 to 255 "
                   "letters, digits, '_', '.' or '-'");
    expect_problem("jobs = ({ name = \"\"; command = \"true\"; every = 1; "
                   "});",
                   "job name '' is invalid");
    expect_problem("jobs = (\n { name = \"x\"; command = \"true\"; every = "
                   "1; },\n { name = \"x\"; command = \"false\"; every = 1; "
                   "});",
                   "<string>:3: duplicate job name 'x' (first defined at "
                   "line 2)");
}

static void jobs_program_problems(void)
{
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; argv = "
                   "[\"/bin/true\"]; every = 1; });",
                   "<string>:1: job 'x' has both command and argv: use "
                   "exactly one");
    expect_problem("jobs = ({ name = \"x\"; every = 1; });",
                   "<string>:1: job 'x' needs command (run by /bin/sh -c) "
                   "or argv (run directly)");
    expect_problem("jobs = ({ name = \"x\"; command = 1; every = 1; });",
                   "job 'x': command must be a string, not an integer");
    expect_problem("jobs = ({ name = \"x\"; command = \"\"; every = 1; });",
                   "job 'x': command is empty");
    expect_problem("jobs = ({ name = \"x\"; argv = \"/bin/true\"; every = "
                   "1; });",
                   "job 'x': argv must be a list of strings [\"prog\", "
                   "\"arg\", ...], not a string");
    expect_problem("jobs = ({ name = \"x\"; argv = []; every = 1; });",
                   "job 'x': argv must not be empty");
    expect_problem("jobs = ({ name = \"x\"; argv = (\"/bin/echo\", 3); "
                   "every = 1; });",
                   "job 'x': argv[1] must be a string, not an integer");
    expect_problem("jobs = ({ name = \"x\"; argv = [\"\"]; every = 1; });",
                   "job 'x': argv[0] (the program) is empty");
    expect_problem("jobs = ({ name = \"x\"; argv = [\"no-such-prog-tacho\"]; "
                   "every = 1; });",
                   "job 'x': program 'no-such-prog-tacho' not found in PATH "
                   "(" WORKER_BASE_PATH ")");
    /* A file without any execute bit (even root may not run it). */
    char *dir = tacho_test_tmpdir("jobs");
    char path[1024], text[2048], want[2048];
    snprintf(path, sizeof path, "%s/data.txt", dir);
    fclose(fopen(path, "w"));
    snprintf(text, sizeof text,
             "jobs = ({ name = \"x\"; argv = [\"%s\"]; every = 1; });", path);
    snprintf(want, sizeof want,
             "job 'x': program '%s' is not an executable file", path);
    expect_problem(text, want);
    tacho_test_rmtree(dir);
    free(dir);
}

static void jobs_schedule_problems(void)
{
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; });",
                   "<string>:1: job 'x' has no every (seconds between "
                   "runs; required)");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = "
                   "\"5\"; });",
                   "job 'x': every must be a number of seconds, not a "
                   "string");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 0; "
                   "});",
                   "job 'x': every must be > 0 and at most 31536000 "
                   "seconds, not 0");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "timeout = -1.5; });",
                   "job 'x': timeout must be > 0 and at most 31536000 "
                   "seconds, not -1.5");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "timeout = 4e7; });",
                   "job 'x': timeout must be > 0 and at most 31536000 "
                   "seconds, not 4e+07");
}

static void jobs_env_and_cwd_problems(void)
{
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "env = [\"A=b\"]; });",
                   "job 'x': env must be a group { NAME = \"value\"; ... "
                   "}, not an array");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "env = { a-b = \"v\"; }; });",
                   "job 'x': env name 'a-b' is not a valid variable name "
                   "([A-Za-z_][A-Za-z0-9_]*)");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "env = { N = 3; }; });",
                   "job 'x': env.N must be a string, not an integer");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "cwd = 7; });",
                   "job 'x': cwd must be a string, not an integer");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "cwd = \"/nonexistent/dir\"; });",
                   "job 'x': cwd '/nonexistent/dir': No such file or "
                   "directory");
    expect_problem("jobs = ({ name = \"x\"; command = \"true\"; every = 1; "
                   "cwd = \"/etc/passwd\"; });",
                   "job 'x': cwd '/etc/passwd' is not a directory");
}

static void jobs_shape_problems(void)
{
    expect_problem("jobs = { name = \"x\"; };",
                   "<string>:1: jobs must be a list of groups ( { name = "
                   "...; }, ... ), not a group");
    expect_problem("jobs = ( \"x\" );",
                   "<string>:1: job #1 must be a group { name = ...; }, not "
                   "a string");
}

static void jobs_runner_problems(void)
{
    expect_problem("runner = ( 1 );",
                   "<string>:1: runner must be a group { workers = ...; }, "
                   "not a list");
    expect_problem("runner = { workers = 0; };",
                   "<string>:1: runner.workers must be an integer from 1 to "
                   "256");
    expect_problem("runner = { workers = 257; };",
                   "runner.workers must be an integer from 1 to 256");
    expect_problem("runner = { workers = 2.0; };",
                   "runner.workers must be an integer from 1 to 256");
    expect_problem("runner = { shutdown_grace = -1; };",
                   "runner.shutdown_grace must be a number of seconds from "
                   "0 to 3600");
    expect_problem("runner = {\n workers = 2;\n threads = 4; };",
                   "<string>:3: unknown key 'threads' in runner (valid keys: "
                   "workers, shutdown_grace)");
}

/* Every problem is reported, each once, not just the first. */
static void jobs_all_problems_reported(void)
{
    jobs_config_t jc;
    int rc = load_jobs("runner = { workers = 0; };\n"
                       "jobs = (\n"
                       "  { name = \"a\"; every = 1; },\n"
                       "  { name = \"b\"; command = \"true\"; every = -1; },\n"
                       "  { name = \"c\"; command = \"true\"; every = 1; "
                       "colour = 1; }\n"
                       ");\n",
                       &jc, problems, sizeof problems);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    CU_ASSERT_EQUAL(count_lines(problems), 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(problems, "<string>:1: runner.workers"));
    CU_ASSERT_PTR_NOT_NULL(strstr(problems, "<string>:3: job 'a' needs"));
    CU_ASSERT_PTR_NOT_NULL(strstr(problems, "<string>:4: job 'b': every"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(problems, "<string>:5: unknown key 'colour'"));
}

static void jobs_adhoc_job(void)
{
    char *argv[] = {"echo", "a b", NULL};
    job_t job;
    tacho_error_t err;
    setenv("TACHO_TEST_ADHOC", "kept", 1);
    CU_ASSERT_EQUAL_FATAL(job_make_adhoc(&job, "echo", argv, 2.5, &err), 0);
    CU_ASSERT_STRING_EQUAL(job.name, "echo");
    CU_ASSERT_STRING_EQUAL(job.argv[1], "a b");
    CU_ASSERT_DOUBLE_EQUAL(job.timeout, 2.5, 1e-9);
    /* --run-once keeps the caller's environment. */
    bool kept = false;
    for (char **e = job.envp; *e != NULL; e++) {
        kept = kept || strcmp(*e, "TACHO_TEST_ADHOC=kept") == 0;
    }
    CU_ASSERT_TRUE(kept);
    job_free(&job);

    CU_ASSERT_EQUAL(job_make_adhoc(&job, "a/b", argv, 0, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "job name 'a/b' is invalid: use 1 to "
                                     "255 letters, digits, '_', '.' or '-'");
    char *none[] = {NULL};
    CU_ASSERT_EQUAL(job_make_adhoc(&job, "x", none, 0, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "no command to run");
}

/* ---- out of memory, through the allocator hook --------------------------- */

/* Fails the 1st, 2nd, ... allocation of jobs_config_read() until it
 * succeeds: each failure is a clean TACHO_ENOMEM with the message, and
 * the sanitizer build proves nothing leaks. */
static void jobs_out_of_memory_is_clean(void)
{
    tacho_config_t *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(
        tacho_config_load_string(
            "jobs = ({ name = \"a\"; command = \"true\"; every = 1; "
            "env = { K = \"v\"; }; cwd = \"/tmp\"; },\n"
            "        { name = \"b\"; argv = [\"true\", \"x\"]; every = 2; "
            "});",
            &cfg, NULL, NULL, NULL),
        0);
    int rc = -1;
    long n;
    for (n = 1; n < 10000 && rc != 0; n++) {
        failing_alloc_nth(n);
        failing_alloc_install();
        jobs_config_t jc;
        tacho_error_t err;
        rc = jobs_config_read(cfg, &jc, NULL, NULL, &err);
        failing_alloc_remove();
        if (rc != 0) {
            CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
            CU_ASSERT_STRING_EQUAL(err.text, "out of memory reading the jobs");
        } else {
            CU_ASSERT_EQUAL(jc.count, 2);
            jobs_config_free(&jc);
        }
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_TRUE(n > 10); /* the loop really failed allocations */
    tacho_config_free(cfg);

    /* The ad-hoc job too. */
    char *argv[] = {"/bin/true", NULL};
    rc = -1;
    for (n = 1; n < 10000 && rc != 0; n++) {
        failing_alloc_nth(n);
        failing_alloc_install();
        job_t job;
        tacho_error_t err;
        rc = job_make_adhoc(&job, "t", argv, 0, &err);
        failing_alloc_remove();
        if (rc != 0) {
            CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
            CU_ASSERT_STRING_EQUAL(err.text, "out of memory");
        } else {
            job_free(&job);
        }
    }
    CU_ASSERT_EQUAL(rc, 0);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"jobs_good_config_read", jobs_good_config_read},
        {"jobs_defaults_without_sections", jobs_defaults_without_sections},
        {"jobs_exec_candidates_follow_path", jobs_exec_candidates_follow_path},
        {"jobs_unknown_key_lists_valid_keys",
         jobs_unknown_key_lists_valid_keys},
        {"jobs_name_problems", jobs_name_problems},
        {"jobs_program_problems", jobs_program_problems},
        {"jobs_schedule_problems", jobs_schedule_problems},
        {"jobs_env_and_cwd_problems", jobs_env_and_cwd_problems},
        {"jobs_shape_problems", jobs_shape_problems},
        {"jobs_runner_problems", jobs_runner_problems},
        {"jobs_all_problems_reported", jobs_all_problems_reported},
        {"jobs_adhoc_job", jobs_adhoc_job},
        {"jobs_out_of_memory_is_clean", jobs_out_of_memory_is_clean},
        {NULL, NULL}};
    return tacho_test_run("jobs_config", NULL, NULL, cases);
}
