/*
 * The running modes of tacho-worker: the scheduler (-c FILE), one job once
 * (--once) and one command once (--run-once). Each loads the config, opens
 * and starts the host, runs, and closes the host, which delivers the final
 * snapshot to every sink.
 */
#include "worker.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Logs each problem at error level, and counts it. */
static void log_problem(void *arg, const tacho_error_t *err)
{
    int *count = arg;
    (*count)++;
    tacho_log_origin("worker", TACHO_LOG_ERROR, "%s", err->text);
}

/*
 * Blocks the signals the loop reads through a signalfd. This must happen
 * before the host starts any thread, so every thread inherits the mask and
 * the signals reach only the signalfd. SIGPIPE is ignored so a sink writing
 * to a closed socket gets EPIPE instead of ending the worker.
 */
static int setup_signals(int *sigfd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Inherited SIG_IGN for SIGCHLD would let the kernel reap the jobs
     * before the worker sees their status. */
    signal(SIGCHLD, SIG_DFL);
    *sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (*sigfd < 0) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "signalfd: %s",
                         strerror(errno));
        return WORKER_EXIT_OSERR;
    }
    return 0;
}

/* Loads the config and its jobs; returns 0 or the exit status. */
static int load(const char *path, tacho_config_t **cfg, jobs_config_t *jc)
{
    int problems = 0;
    tacho_error_t err;
    int rc = tacho_config_load_file(path, cfg, log_problem, &problems, &err);
    if (rc == TACHO_ENOENT || rc == TACHO_EACCES || rc == TACHO_EIO) {
        if (problems == 0) {
            tacho_log_origin("worker", TACHO_LOG_ERROR, "%s", err.text);
        }
        return WORKER_EXIT_NOINPUT;
    }
    if (rc == 0) {
        rc = jobs_config_read(*cfg, jc, log_problem, &problems, &err);
        if (rc != 0) {
            tacho_config_free(*cfg);
            *cfg = NULL;
        }
    }
    if (rc == 0) {
        return 0;
    }
    if (problems == 0) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "%s", err.text);
    }
    return rc == TACHO_ENOMEM ? WORKER_EXIT_OSERR : WORKER_EXIT_CONFIG;
}

static int open_host(const tacho_config_t *cfg, tacho_host_t **host)
{
    int problems = 0;
    tacho_error_t err;
    int rc = tacho_host_open(cfg, host, log_problem, &problems, &err);
    if (rc != 0 && problems == 0) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "%s", err.text);
    }
    if (rc != 0) {
        return rc == TACHO_ENOMEM ? WORKER_EXIT_OSERR : WORKER_EXIT_CONFIG;
    }
    rc = tacho_host_start(*host, &err);
    if (rc != 0) {
        tacho_log_origin("worker", TACHO_LOG_ERROR,
                         "cannot start the sinks: %s", err.text);
        tacho_host_close(*host);
        *host = NULL;
        /* A port taken or a file that cannot be opened is fixed in the
         * config, like the other sink problems: 78, and no job has run. */
        return rc == TACHO_ENOMEM ? WORKER_EXIT_OSERR : WORKER_EXIT_CONFIG;
    }
    return 0;
}

/* "quick, slow, flaky" (shortened with "..." past the buffer). */
static void job_names(const jobs_config_t *jc, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < jc->count && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         jc->jobs[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= size && size > 4) {
        strcpy(buf + size - 4, "...");
    }
}

static void log_start(const char *path, tacho_host_t *host,
                      const jobs_config_t *jc, int poll_ms)
{
    tacho_snapshot_t *snap = NULL;
    const char *worker = "?";
    if (tacho_host_snapshot(host, &snap) == 0) {
        worker = tacho_snapshot_worker(snap);
    }
    char names[512];
    job_names(jc, names, sizeof names);
    tacho_log_origin("worker", TACHO_LOG_INFO,
                     "tacho-worker %s started: config %s, worker %s, "
                     "interval %g s, %zu job%s (%s), %u workers, poll %d ms",
                     TACHO_VERSION_STRING, path != NULL ? path : "(none)",
                     worker, tacho_host_interval(host), jc->count,
                     jc->count == 1 ? "" : "s", names, jc->workers, poll_ms);
    tacho_snapshot_free(snap);
    for (size_t i = 0; i < jc->count; i++) {
        const job_t *j = &jc->jobs[i];
        tacho_log_origin("worker", TACHO_LOG_DEBUG,
                         "job %s: every %g s, timeout %g s, argv[0] %s, "
                         "cwd %s",
                         j->name, j->every, j->timeout, j->argv[0],
                         j->cwd != NULL ? j->cwd : "(the worker's)");
    }
}

/* The --once job, or the --run-once command made into a job. */
static int pick_job(const run_request_t *req, const jobs_config_t *jc,
                    job_t *adhoc, const job_t **job)
{
    tacho_error_t err;
    if (req->run_argv != NULL) {
        char *copy = tacho_strdup(req->run_argv[0]);
        const char *name = req->run_name;
        if (name == NULL) {
            name = copy != NULL ? basename(copy) : "";
        }
        int rc =
            job_make_adhoc(adhoc, name, req->run_argv, req->run_timeout, &err);
        tacho_free(copy);
        if (rc != 0) {
            tacho_log_origin("worker", TACHO_LOG_ERROR, "--run-once: %s%s",
                             err.text,
                             req->run_name == NULL && rc == TACHO_EINVAL
                                 ? " (choose one with --name)"
                                 : "");
            return rc == TACHO_ENOMEM ? WORKER_EXIT_OSERR : WORKER_EXIT_USAGE;
        }
        *job = adhoc;
        return 0;
    }
    for (size_t i = 0; i < jc->count; i++) {
        if (strcmp(jc->jobs[i].name, req->once_job) == 0) {
            *job = &jc->jobs[i];
            return 0;
        }
    }
    char names[512];
    job_names(jc, names, sizeof names);
    tacho_log_origin("worker", TACHO_LOG_ERROR,
                     "--once: no job named '%s' in %s (jobs: %s)",
                     req->once_job, req->config, jc->count ? names : "none");
    return WORKER_EXIT_USAGE;
}

static int run_loaded(const run_request_t *req, tacho_host_t *host,
                      const jobs_config_t *jc, const job_t *once, int sigfd,
                      int poll_ms)
{
    log_start(req->config, host, jc, poll_ms);
    if (once != NULL) {
        return scheduler_run_once(once, host, sigfd, poll_ms,
                                  jc->shutdown_grace);
    }
    scheduler_stats_t st;
    int rc = scheduler_run(jc, host, sigfd, poll_ms, &st);
    tacho_log_origin(
        "worker", TACHO_LOG_INFO,
        "stopping: %llu runs (%llu ok, %llu failed), %llu "
        "starts skipped",
        (unsigned long long)st.runs, (unsigned long long)st.succeeded,
        (unsigned long long)st.failed, (unsigned long long)st.skipped);
    return rc;
}

int worker_run(const run_request_t *req)
{
    tacho_error_t err;
    int poll_ms =
        scheduler_poll_interval(getenv(WORKER_ENV_POLL_INTERVAL), &err);
    if (poll_ms < 0) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "%s", err.text);
        return WORKER_EXIT_CONFIG;
    }
    int sigfd = -1;
    int rc = setup_signals(&sigfd);
    tacho_config_t *cfg = NULL;
    jobs_config_t jc = {.workers = 1,
                        .shutdown_grace = WORKER_DEFAULT_SHUTDOWN_GRACE};
    if (rc == 0 && req->config != NULL) {
        rc = load(req->config, &cfg, &jc);
    }
    job_t adhoc = {0};
    const job_t *once = NULL;
    if (rc == 0 && (req->once_job != NULL || req->run_argv != NULL)) {
        rc = pick_job(req, &jc, &adhoc, &once);
    }
    tacho_host_t *host = NULL;
    if (rc == 0) {
        rc = open_host(cfg, &host);
    }
    tacho_config_free(cfg);
    if (rc == 0) {
        rc = run_loaded(req, host, &jc, once, sigfd, poll_ms);
        tacho_host_close(host);
    }
    job_free(&adhoc);
    jobs_config_free(&jc);
    if (sigfd >= 0) {
        close(sigfd);
    }
    return rc;
}
