/*
 * A job as the forked child needs it: argv, the execve() candidates and the
 * environment, all prepared in advance (the child may not allocate), plus
 * the small string helpers the config reader uses to build them.
 *
 * Allocations go through tacho_malloc() and friends, so tests can make the
 * Nth one fail with tacho_replace_allocator().
 */
#include "worker.h"

#include <stdio.h>
#include <string.h>

char *worker_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : tacho_malloc((size_t)n + 1);
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

void strvec_push_owned(strvec_t *sv, char *s)
{
    if (s == NULL || sv->oom) {
        sv->oom = true;
        tacho_free(s);
        return;
    }
    if (sv->n + 2 > sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 8;
        char **v = tacho_realloc(sv->v, cap * sizeof *v);
        if (v == NULL) {
            sv->oom = true;
            tacho_free(s);
            return;
        }
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void strvec_push(strvec_t *sv, const char *s)
{
    strvec_push_owned(sv, tacho_strdup(s));
}

void strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
        tacho_free(v[i]);
    }
    tacho_free(v);
}

/* Hands the vector over; NULL when out of memory. */
char **strvec_take(strvec_t *sv)
{
    if (sv->oom) {
        strv_free(sv->v);
        return NULL;
    }
    if (sv->v == NULL) {
        sv->v = tacho_calloc(1, sizeof *sv->v);
    }
    return sv->v;
}

void strvec_discard(strvec_t *sv)
{
    strv_free(sv->v);
    memset(sv, 0, sizeof *sv);
}

bool job_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TACHO_MAX_PIPELINE_NAME) {
        return false;
    }
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_.-") == n;
}

bool job_env_name_valid(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && strchr("0123456789", name[0]) == NULL &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_") == n;
}

/* The value of PATH in the job's environment. */
const char *job_env_path(char **envp)
{
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        if (strncmp(envp[i], "PATH=", 5) == 0) {
            return envp[i] + 5;
        }
    }
    return "";
}

/* Where execve() will look for argv[0]: the name itself when it holds a
 * '/', else each directory of the job's PATH, as execvp() would. */
char **job_exec_candidates(const char *prog, char **envp)
{
    strvec_t sv = {0};
    if (strchr(prog, '/') != NULL) {
        strvec_push(&sv, prog);
        return strvec_take(&sv);
    }
    const char *p = job_env_path(envp);
    while (*p != '\0' || sv.n == 0) {
        size_t len = strcspn(p, ":");
        /* An empty PATH entry means the current directory. */
        if (len == 0) {
            strvec_push_owned(&sv, worker_format("./%s", prog));
        } else {
            strvec_push_owned(&sv, worker_format("%.*s/%s", (int)len, p, prog));
        }
        p += len;
        if (*p == '\0') {
            break;
        }
        p++;
    }
    return strvec_take(&sv);
}

void job_free(job_t *job)
{
    if (job == NULL) {
        return;
    }
    tacho_free(job->name);
    tacho_free(job->origin);
    strv_free(job->argv);
    strv_free(job->exec_paths);
    strv_free(job->envp);
    tacho_free(job->cwd);
    memset(job, 0, sizeof *job);
}

/* The worker's own environment, copied. */
static char **copy_environ(void)
{
    extern char **environ;
    strvec_t sv = {0};
    for (size_t i = 0; environ != NULL && environ[i] != NULL; i++) {
        strvec_push(&sv, environ[i]);
    }
    return strvec_take(&sv);
}

int job_make_adhoc(job_t *job, const char *name, char *const *argv,
                   double timeout, tacho_error_t *err)
{
    memset(job, 0, sizeof *job);
    if (!job_name_valid(name)) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "job name '%s' is invalid: use 1 to %d "
                               "letters, digits, '_', '.' or '-'",
                               name, TACHO_MAX_PIPELINE_NAME);
    }
    if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
        return tacho_error_set(err, TACHO_EINVAL, "no command to run");
    }
    strvec_t sv = {0};
    for (size_t i = 0; argv[i] != NULL; i++) {
        strvec_push(&sv, argv[i]);
    }
    job->argv = strvec_take(&sv);
    job->name = tacho_strdup(name);
    job->origin = worker_format("job:%s", name);
    job->envp = copy_environ();
    job->timeout = timeout;
    job->every = 0;
    if (job->envp != NULL && job->argv != NULL) {
        job->exec_paths = job_exec_candidates(job->argv[0], job->envp);
    }
    if (job->argv == NULL || job->name == NULL || job->origin == NULL ||
        job->envp == NULL || job->exec_paths == NULL) {
        job_free(job);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    return 0;
}
