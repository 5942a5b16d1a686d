/*
 * The `jobs` and `runner` sections of a config, read through the public
 * tacho_setting_* API (libtacho checks only `tacho` and `sinks`).
 *
 * Every problem is reported, not just the first, each as "FILE:LINE:
 * message" naming the job, so --check-config lists them all at once.
 * Everything a run needs (argv, the execve() candidates, the environment)
 * is computed here, because the forked child may not allocate.
 */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOB_KEYS "name, command, argv, every, timeout, env, cwd"
#define RUNNER_KEYS "workers, shutdown_grace"

/* Collects problems: the first in `err`, all of them through `each`. */
typedef struct reporter {
    tacho_error_fn each;
    void *arg;
    tacho_error_t *err;
    int count;
    bool oom;
} reporter_t;

static void report(reporter_t *r, const tacho_setting_t *at, const char *fmt,
                   ...) TACHO_PRINTF(3, 4);

static void report(reporter_t *r, const tacho_setting_t *at, const char *fmt,
                   ...)
{
    char text[TACHO_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tacho_error_t e;
    tacho_error_set_at(&e, TACHO_ECONFIG, tacho_setting_file(at),
                       tacho_setting_line(at), "%s", text);
    if (r->count == 0 && r->err != NULL) {
        *r->err = e;
    }
    r->count++;
    if (r->each != NULL) {
        r->each(r->arg, &e);
    }
}

/* Out of memory is reported once, with its own code. */
static void report_oom(reporter_t *r)
{
    if (r->oom) {
        return;
    }
    r->oom = true;
    tacho_error_t e;
    tacho_error_set(&e, TACHO_ENOMEM, "out of memory reading the jobs");
    if (r->count == 0 && r->err != NULL) {
        *r->err = e;
    }
    r->count++;
    if (r->each != NULL) {
        r->each(r->arg, &e);
    }
}

/* "a string", "an integer", ...: the setting's type with its article. */
static const char *type_of(const tacho_setting_t *s)
{
    switch (tacho_setting_type(s)) {
    case TACHO_SETTING_GROUP:
        return "a group";
    case TACHO_SETTING_LIST:
        return "a list";
    case TACHO_SETTING_ARRAY:
        return "an array";
    case TACHO_SETTING_STRING:
        return "a string";
    case TACHO_SETTING_INT:
        return "an integer";
    case TACHO_SETTING_FLOAT:
        return "a float";
    case TACHO_SETTING_BOOL:
        return "a bool";
    default:
        return "nothing";
    }
}

/* ---- checks of single values --------------------------------------------- */

/* Reads a number of seconds in (0, WORKER_MAX_SECONDS]; reports and returns
 * false otherwise. */
static bool read_seconds(reporter_t *r, const tacho_setting_t *s,
                         const char *job, const char *key, double *out)
{
    if (!tacho_setting_float(s, out)) {
        report(r, s, "%s: %s must be a number of seconds, not %s", job, key,
               type_of(s));
        return false;
    }
    if (!(*out > 0) || *out > WORKER_MAX_SECONDS) {
        report(r, s,
               "%s: %s must be > 0 and at most %.0f seconds, "
               "not %g",
               job, key, WORKER_MAX_SECONDS, *out);
        return false;
    }
    return true;
}

static const char *read_string(reporter_t *r, const tacho_setting_t *s,
                               const char *job, const char *key)
{
    const char *v = NULL;
    if (!tacho_setting_string(s, &v)) {
        report(r, s, "%s: %s must be a string, not %s", job, key, type_of(s));
        return NULL;
    }
    return v;
}

/* ---- one job ----------------------------------------------------------- */

/* What a job group says, before it becomes a job_t. */
typedef struct job_spec {
    const tacho_setting_t *group, *name_s, *command, *argv, *every, *timeout,
        *env, *cwd;
    char ref[TACHO_MAX_PIPELINE_NAME + 16]; /* "job 'x'", or "job #N" */
} job_spec_t;

/* Sorts the group's members into `js`; unknown keys are reported. */
static void job_collect(reporter_t *r, const tacho_setting_t *g, size_t idx,
                        job_spec_t *js)
{
    memset(js, 0, sizeof *js);
    js->group = g;
    snprintf(js->ref, sizeof js->ref, "job #%zu", idx + 1);
    static const char *const keys[] = {"name",    "command", "argv", "every",
                                       "timeout", "env",     "cwd"};
    const tacho_setting_t **slots[] = {&js->name_s, &js->command, &js->argv,
                                       &js->every,  &js->timeout, &js->env,
                                       &js->cwd};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        *slots[i] = tacho_setting_member(g, keys[i]);
    }
    const char *name = NULL;
    if (js->name_s != NULL && tacho_setting_string(js->name_s, &name)) {
        snprintf(js->ref, sizeof js->ref, "job '%s'", name);
    }
    for (size_t i = 0; i < tacho_setting_length(g); i++) {
        const tacho_setting_t *m = tacho_setting_elem(g, i);
        const char *key = tacho_setting_name(m);
        bool known = false;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            known = known || strcmp(key, keys[k]) == 0;
        }
        if (!known) {
            report(r, m, "unknown key '%s' in %s (valid keys: " JOB_KEYS ")",
                   key, js->ref);
        }
    }
}

static void job_check_name(reporter_t *r, job_spec_t *js, job_t *job)
{
    if (js->name_s == NULL) {
        report(r, js->group,
               "%s has no name (name = \"...\"; is "
               "required)",
               js->ref);
        return;
    }
    const char *name = read_string(r, js->name_s, js->ref, "name");
    if (name == NULL) {
        return;
    }
    if (!job_name_valid(name)) {
        report(r, js->name_s,
               "job name '%s' is invalid: use 1 to %d "
               "letters, digits, '_', '.' or '-'",
               name, TACHO_MAX_PIPELINE_NAME);
        return;
    }
    job->name = tacho_strdup(name);
}

/* Fills job->argv from `command` or `argv`. */
/* `command`: argv becomes /bin/sh -c COMMAND. */
static void read_command(reporter_t *r, job_spec_t *js, job_t *job)
{
    const char *cmd = read_string(r, js->command, js->ref, "command");
    if (cmd == NULL) {
        return;
    }
    if (cmd[0] == '\0') {
        report(r, js->command, "%s: command is empty", js->ref);
        return;
    }
    strvec_t sv = {0};
    strvec_push(&sv, "/bin/sh");
    strvec_push(&sv, "-c");
    strvec_push(&sv, cmd);
    job->argv = strvec_take(&sv);
}

/* `argv`: a non-empty list (or array) of strings, the first not empty. */
static void read_argv(reporter_t *r, job_spec_t *js, job_t *job)
{
    tacho_setting_type_t t = tacho_setting_type(js->argv);
    if (t != TACHO_SETTING_ARRAY && t != TACHO_SETTING_LIST) {
        report(r, js->argv,
               "%s: argv must be a list of strings "
               "[\"prog\", \"arg\", ...], not %s",
               js->ref, type_of(js->argv));
        return;
    }
    size_t n = tacho_setting_length(js->argv);
    if (n == 0) {
        report(r, js->argv, "%s: argv must not be empty", js->ref);
        return;
    }
    strvec_t sv = {0};
    bool good = true;
    for (size_t i = 0; i < n; i++) {
        const tacho_setting_t *e = tacho_setting_elem(js->argv, i);
        const char *v = NULL;
        if (!tacho_setting_string(e, &v)) {
            report(r, e, "%s: argv[%zu] must be a string, not %s", js->ref, i,
                   type_of(e));
            good = false;
        } else if (i == 0 && v[0] == '\0') {
            report(r, e, "%s: argv[0] (the program) is empty", js->ref);
            good = false;
        } else {
            strvec_push(&sv, v);
        }
    }
    if (!good) {
        strvec_discard(&sv);
        return;
    }
    job->argv = strvec_take(&sv);
}

/* Fills job->argv from exactly one of `command` and `argv`. */
static void job_check_program(reporter_t *r, job_spec_t *js, job_t *job)
{
    if (js->command != NULL && js->argv != NULL) {
        report(r, js->argv, "%s has both command and argv: use exactly one",
               js->ref);
    } else if (js->command == NULL && js->argv == NULL) {
        report(r, js->group,
               "%s needs command (run by /bin/sh -c) or argv (run directly)",
               js->ref);
    } else if (js->command != NULL) {
        read_command(r, js, job);
    } else {
        read_argv(r, js, job);
    }
}

/* The environment: the fixed base, then the job's `env` (which may
 * override PATH, HOME or LANG). */
static void job_check_env(reporter_t *r, job_spec_t *js, job_t *job)
{
    strvec_t sv = {0};
    const tacho_setting_t *env = js->env;
    if (env != NULL && tacho_setting_type(env) != TACHO_SETTING_GROUP) {
        report(r, env,
               "%s: env must be a group { NAME = \"value\"; "
               "... }, not %s",
               js->ref, type_of(env));
        return;
    }
    static const char *const base[] = {"PATH", "HOME", "LANG"};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        if (tacho_setting_member(env, base[i]) != NULL) {
            continue;
        }
        const char *v = i == 0 ? WORKER_BASE_PATH : getenv(base[i]);
        if (v != NULL) {
            strvec_push_owned(&sv, worker_format("%s=%s", base[i], v));
        }
    }
    bool good = true;
    for (size_t i = 0; i < tacho_setting_length(env); i++) {
        const tacho_setting_t *m = tacho_setting_elem(env, i);
        const char *key = tacho_setting_name(m), *v = NULL;
        if (!job_env_name_valid(key)) {
            report(r, m,
                   "%s: env name '%s' is not a valid variable "
                   "name ([A-Za-z_][A-Za-z0-9_]*)",
                   js->ref, key);
            good = false;
        } else if (!tacho_setting_string(m, &v)) {
            report(r, m, "%s: env.%s must be a string, not %s", js->ref, key,
                   type_of(m));
            good = false;
        } else {
            strvec_push_owned(&sv, worker_format("%s=%s", key, v));
        }
    }
    if (!good) {
        strvec_discard(&sv);
        return;
    }
    job->envp = strvec_take(&sv);
}

static void job_check_cwd(reporter_t *r, job_spec_t *js, job_t *job)
{
    if (js->cwd == NULL) {
        return;
    }
    const char *cwd = read_string(r, js->cwd, js->ref, "cwd");
    if (cwd == NULL) {
        return;
    }
    struct stat st;
    if (stat(cwd, &st) != 0) {
        report(r, js->cwd, "%s: cwd '%s': %s", js->ref, cwd, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        report(r, js->cwd, "%s: cwd '%s' is not a directory", js->ref, cwd);
    } else {
        job->cwd = tacho_strdup(cwd);
    }
}

/* The program must exist now, so a typo shows at --check-config rather
 * than at the first run: a bare name on the job's PATH, an absolute path
 * as it is. A relative path with a '/' depends on the cwd at run time and
 * is left to the run. */
static void job_check_found(reporter_t *r, job_spec_t *js, job_t *job)
{
    const char *prog = job->argv[0];
    if (prog[0] != '/' && strchr(prog, '/') != NULL) {
        return;
    }
    for (char **p = job->exec_paths; *p != NULL; p++) {
        struct stat st;
        if (access(*p, X_OK) == 0 && stat(*p, &st) == 0 &&
            S_ISREG(st.st_mode)) {
            return;
        }
    }
    if (prog[0] == '/') {
        report(r, js->argv,
               "%s: program '%s' is not an executable "
               "file",
               js->ref, prog);
    } else {
        report(r, js->argv, "%s: program '%s' not found in PATH (%s)", js->ref,
               prog, job_env_path(job->envp));
    }
}

/* Reads one job group; returns true when it is complete and valid. */
static bool job_read(reporter_t *r, const tacho_setting_t *g, size_t idx,
                     job_t *job)
{
    int before = r->count;
    job_spec_t js;
    job_collect(r, g, idx, &js);
    job_check_name(r, &js, job);
    job_check_program(r, &js, job);
    if (js.every == NULL) {
        report(r, g,
               "%s has no every (seconds between runs; "
               "required)",
               js.ref);
    } else {
        read_seconds(r, js.every, js.ref, "every", &job->every);
    }
    if (js.timeout != NULL) {
        read_seconds(r, js.timeout, js.ref, "timeout", &job->timeout);
    }
    job_check_env(r, &js, job);
    job_check_cwd(r, &js, job);
    if (job->argv != NULL && job->envp != NULL) {
        job->exec_paths = job_exec_candidates(job->argv[0], job->envp);
        if (js.argv != NULL && job->exec_paths != NULL) {
            job_check_found(r, &js, job);
        }
    }
    job->line = tacho_setting_line(g);
    if (r->count != before) {
        return false;
    }
    if (job->name != NULL) {
        job->origin = worker_format("job:%s", job->name);
    }
    if (job->name == NULL || job->origin == NULL || job->argv == NULL ||
        job->envp == NULL || job->exec_paths == NULL ||
        (js.cwd != NULL && job->cwd == NULL)) {
        report_oom(r);
        return false;
    }
    return true;
}

/* Reports every name used twice, naming both places. */
static void check_duplicates(reporter_t *r, const tacho_setting_t *list,
                             const job_t *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i && jobs[i].name != NULL; j++) {
            if (jobs[j].name != NULL &&
                strcmp(jobs[i].name, jobs[j].name) == 0) {
                report(r, tacho_setting_elem(list, i),
                       "duplicate job name '%s' (first defined at line %d)",
                       jobs[i].name, jobs[j].line);
                break;
            }
        }
    }
}

static void read_jobs(reporter_t *r, const tacho_setting_t *list,
                      jobs_config_t *out)
{
    if (list == NULL) {
        return;
    }
    if (tacho_setting_type(list) != TACHO_SETTING_LIST) {
        report(r, list,
               "jobs must be a list of groups ( { name = ...; }, "
               "... ), not %s",
               type_of(list));
        return;
    }
    size_t n = tacho_setting_length(list);
    out->jobs = tacho_calloc(n ? n : 1, sizeof *out->jobs);
    if (out->jobs == NULL) {
        report_oom(r);
        return;
    }
    out->count = n;
    for (size_t i = 0; i < n; i++) {
        const tacho_setting_t *g = tacho_setting_elem(list, i);
        if (tacho_setting_type(g) != TACHO_SETTING_GROUP) {
            report(r, g, "job #%zu must be a group { name = ...; }, not %s",
                   i + 1, type_of(g));
            continue;
        }
        job_read(r, g, i, &out->jobs[i]);
        out->jobs[i].file = out->file;
    }
    check_duplicates(r, list, out->jobs, n);
}

static void read_runner(reporter_t *r, const tacho_setting_t *g,
                        jobs_config_t *out)
{
    out->workers = WORKER_DEFAULT_WORKERS;
    out->shutdown_grace = WORKER_DEFAULT_SHUTDOWN_GRACE;
    if (g == NULL) {
        return;
    }
    if (tacho_setting_type(g) != TACHO_SETTING_GROUP) {
        report(r, g, "runner must be a group { workers = ...; }, not %s",
               type_of(g));
        return;
    }
    for (size_t i = 0; i < tacho_setting_length(g); i++) {
        const tacho_setting_t *m = tacho_setting_elem(g, i);
        const char *key = tacho_setting_name(m);
        int64_t w;
        double grace;
        if (strcmp(key, "workers") == 0) {
            if (!tacho_setting_int(m, &w) || w < 1 || w > WORKER_MAX_WORKERS) {
                report(r, m, "runner.workers must be an integer from 1 to %d",
                       WORKER_MAX_WORKERS);
            } else {
                out->workers = (unsigned)w;
            }
        } else if (strcmp(key, "shutdown_grace") == 0) {
            if (!tacho_setting_float(m, &grace) || !(grace >= 0) ||
                grace > WORKER_MAX_SHUTDOWN_GRACE) {
                report(r, m,
                       "runner.shutdown_grace must be a number of "
                       "seconds from 0 to %.0f",
                       WORKER_MAX_SHUTDOWN_GRACE);
            } else {
                out->shutdown_grace = grace;
            }
        } else {
            report(r, m,
                   "unknown key '%s' in runner (valid keys: " RUNNER_KEYS ")",
                   key);
        }
    }
}

int jobs_config_read(const tacho_config_t *cfg, jobs_config_t *out,
                     tacho_error_fn each, void *arg, tacho_error_t *err)
{
    reporter_t r = {each, arg, err, 0, false};
    memset(out, 0, sizeof *out);
    tacho_error_clear(err);
    out->file = tacho_strdup(tacho_config_path(cfg));
    if (out->file == NULL) {
        report_oom(&r);
        return TACHO_ENOMEM;
    }
    const tacho_setting_t *root = tacho_config_root(cfg);
    read_runner(&r, tacho_setting_member(root, "runner"), out);
    read_jobs(&r, tacho_setting_member(root, "jobs"), out);
    if (r.count == 0) {
        return 0;
    }
    jobs_config_free(out);
    return r.oom ? TACHO_ENOMEM : TACHO_ECONFIG;
}

void jobs_config_free(jobs_config_t *jc)
{
    if (jc == NULL) {
        return;
    }
    for (size_t i = 0; i < jc->count; i++) {
        job_free(&jc->jobs[i]);
    }
    tacho_free(jc->jobs);
    tacho_free(jc->file);
    memset(jc, 0, sizeof *jc);
}
