/*
 * The worker's main loop: starts due jobs, reads their output, reaps them,
 * records each run, and handles signals.
 *
 * One thread does all of it. It sleeps in poll(2) on a signalfd (SIGINT,
 * SIGTERM, SIGHUP, SIGCHLD) and the running children's output pipes, for
 * at most POLL_INTERVAL milliseconds (less when a timeout is closer), and
 * looks for due jobs each time it wakes. A child's exit wakes it at once
 * through SIGCHLD, so durations are measured from fork to the exit seen.
 */
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define NS_PER_S 1000000000.0
#define NS_PER_MS 1000000ull

typedef struct sched {
    const job_t *jobs;
    size_t job_count;
    unsigned workers;
    double grace;
    tacho_host_t *host;
    int sigfd;
    int poll_ms;
    bool once; /* run jobs[0] once, then return */
    bool once_started;
    int once_code;                /* its exit code */
    tacho_pipeline_t **pipelines; /* per job */
    uint64_t *next_due;           /* per job, CLOCK_MONOTONIC */
    int *running;                 /* per job: its slot, or -1 */
    child_t *slots;               /* `workers` of them */
    unsigned busy;
    struct pollfd *pfds;
    bool stopping, killed;
    uint64_t stop_at_ns;
    scheduler_stats_t stats;
} sched_t;

static void sched_free(sched_t *s)
{
    tacho_free(s->pipelines);
    tacho_free(s->next_due);
    tacho_free(s->running);
    tacho_free(s->slots);
    tacho_free(s->pfds);
}

static int sched_init(sched_t *s)
{
    size_t n = s->job_count ? s->job_count : 1;
    s->pipelines = tacho_calloc(n, sizeof *s->pipelines);
    s->next_due = tacho_calloc(n, sizeof *s->next_due);
    s->running = tacho_calloc(n, sizeof *s->running);
    s->slots = tacho_calloc(s->workers, sizeof *s->slots);
    s->pfds = tacho_calloc(1 + 2 * (size_t)s->workers, sizeof *s->pfds);
    if (!s->pipelines || !s->next_due || !s->running || !s->slots || !s->pfds) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "out of memory");
        return WORKER_EXIT_OSERR;
    }
    for (unsigned i = 0; i < s->workers; i++) {
        s->slots[i].out.fd = -1; /* idle: poll() ignores -1 */
        s->slots[i].err.fd = -1;
        s->slots[i].hold[0] = -1;
        s->slots[i].hold[1] = -1;
    }
    tacho_collector_t *c = tacho_host_collector(s->host);
    uint64_t now = tacho_now_ns();
    for (size_t i = 0; i < s->job_count; i++) {
        s->pipelines[i] = tacho_pipeline_get(c, s->jobs[i].name);
        s->next_due[i] = now;
        s->running[i] = -1;
        if (s->pipelines[i] == NULL) {
            tacho_log_origin("worker", TACHO_LOG_ERROR,
                             "job %s: cannot create its pipeline",
                             s->jobs[i].name);
            return WORKER_EXIT_SOFTWARE;
        }
    }
    return 0;
}

/* ---- finishing a run --------------------------------------------------- */

static void record_run(sched_t *s, size_t j, uint64_t duration_ns, bool ok,
                       const char *outcome)
{
    tacho_pipeline_record(s->pipelines[j], duration_ns, ok);
    s->stats.runs++;
    if (ok) {
        s->stats.succeeded++;
    } else {
        s->stats.failed++;
    }
    tacho_log_origin("worker", TACHO_LOG_INFO,
                     "job %s finished in %.3f s: %s%s%s", s->jobs[j].name,
                     (double)duration_ns / NS_PER_S, ok ? "ok" : "failed (",
                     ok ? "" : outcome, ok ? "" : ")");
}

static void finish(sched_t *s, child_t *c)
{
    size_t j = (size_t)(c->job - s->jobs);
    char outcome[128];
    child_describe(c, outcome, sizeof outcome);
    record_run(s, j, c->end_ns - c->start_ns, child_ok(c), outcome);
    if (s->once) {
        s->once_code = child_exit_code(c);
    }
    child_release(c);
    s->running[j] = -1;
    s->busy--;
}

/* Reaps, applies deadlines and finishes every run that is complete. */
static void check_children(sched_t *s, uint64_t now)
{
    for (unsigned i = 0; i < s->workers; i++) {
        child_t *c = &s->slots[i];
        if (c->pid <= 0) {
            continue;
        }
        child_poll(c);
        child_tick(c, now);
        if (child_done(c, now)) {
            finish(s, c);
        }
    }
}

/* ---- starting runs --------------------------------------------------------
 */

/* The next start of job j: one period after the last planned one; periods
 * missed while the worker was busy are dropped, not made up. */
static void advance(sched_t *s, size_t j, uint64_t now)
{
    uint64_t every = (uint64_t)(s->jobs[j].every * NS_PER_S);
    s->next_due[j] += every;
    if (s->next_due[j] <= now) {
        s->next_due[j] = now + every;
    }
}

static child_t *free_slot(sched_t *s)
{
    for (unsigned i = 0; i < s->workers; i++) {
        if (s->slots[i].pid <= 0) {
            return &s->slots[i];
        }
    }
    return NULL;
}

static void start(sched_t *s, size_t j)
{
    child_t *c = free_slot(s);
    tacho_error_t err;
    if (child_spawn(c, &s->jobs[j], &err) != 0) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "%s", err.text);
        record_run(s, j, 0, false, "could not start");
        if (s->once) {
            s->once_code = WORKER_EXIT_OSERR;
        }
        return;
    }
    s->running[j] = (int)(c - s->slots);
    s->busy++;
    tacho_log_origin("worker", TACHO_LOG_DEBUG, "job %s started (pid %ld)",
                     s->jobs[j].name, (long)c->pid);
}

/* The due job planned earliest, or -1. */
static ssize_t earliest_due(const sched_t *s, uint64_t now)
{
    ssize_t best = -1;
    for (size_t j = 0; j < s->job_count; j++) {
        if (s->next_due[j] <= now &&
            (best < 0 || s->next_due[j] < s->next_due[best])) {
            best = (ssize_t)j;
        }
    }
    return best;
}

static void start_due(sched_t *s, uint64_t now)
{
    if (s->once) {
        if (!s->once_started) {
            s->once_started = true;
            start(s, 0);
        }
        return;
    }
    for (;;) {
        ssize_t j = earliest_due(s, now);
        if (j < 0) {
            return;
        }
        if (s->running[j] >= 0) {
            /* A job never runs twice at once. */
            tacho_log_origin("worker", TACHO_LOG_DEBUG,
                             "job %s is still running: start skipped",
                             s->jobs[j].name);
            s->stats.skipped++;
        } else if (s->busy == s->workers) {
            return; /* it stays due and starts when a worker is free */
        } else {
            start(s, (size_t)j);
        }
        advance(s, (size_t)j, now);
    }
}

/* ---- stopping ----------------------------------------------------------- */

static void begin_stop(sched_t *s, const char *signame, uint64_t now)
{
    if (s->stopping) {
        tacho_log_origin("worker", TACHO_LOG_NOTICE,
                         "%s again: ending the running jobs now", signame);
        s->stop_at_ns = now;
        return;
    }
    s->stopping = true;
    s->stop_at_ns = now + (uint64_t)(s->grace * NS_PER_S);
    tacho_log_origin("worker", TACHO_LOG_NOTICE,
                     "%s: starting no more jobs; waiting up to %g s for %u "
                     "running",
                     signame, s->grace, s->busy);
}

static void kill_all(sched_t *s)
{
    s->killed = true;
    for (unsigned i = 0; i < s->workers; i++) {
        if (s->slots[i].pid > 0) {
            tacho_log_origin("worker", TACHO_LOG_WARNING,
                             "job %s still running after the %g s grace: "
                             "killing it",
                             s->slots[i].job->name, s->grace);
            child_kill(&s->slots[i], CHILD_REASON_SHUTDOWN);
        }
    }
}

/* Standard signals do not queue: each of the four is pending at most once
 * for the process and once for the thread, so a read with room for more
 * than eight empties the signalfd and needs no second read to meet EAGAIN
 * (a full read is still followed by another). */
#define SIGNALS_PER_READ 9

static void handle_signal(sched_t *s, uint32_t signo)
{
    uint64_t now = tacho_now_ns();
    if (signo == SIGHUP) {
        tacho_log_origin("worker", TACHO_LOG_INFO,
                         "SIGHUP: reopening the sinks' files");
        tacho_host_reopen(s->host);
    } else if (signo == SIGINT || signo == SIGTERM) {
        begin_stop(s, signo == SIGINT ? "SIGINT" : "SIGTERM", now);
    }
    /* SIGCHLD only wakes the loop; check_children() reaps. */
}

static void read_signals(sched_t *s)
{
    struct signalfd_siginfo si[SIGNALS_PER_READ];
    ssize_t n;
    do {
        n = read(s->sigfd, si, sizeof si);
        for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof si[0]; i++) {
            handle_signal(s, si[i].ssi_signo);
        }
    } while (n == (ssize_t)sizeof si);
}

/* ---- waiting --------------------------------------------------------------
 */

static uint64_t sooner(uint64_t a, uint64_t b)
{
    return (a == 0 || (b != 0 && b < a)) ? b : a;
}

/* How long poll() may sleep: POLL_INTERVAL, or less when a deadline
 * (a timeout, a kill, the end of the grace) comes first. */
static int wait_ms(const sched_t *s, uint64_t now)
{
    uint64_t d = 0;
    for (unsigned i = 0; i < s->workers; i++) {
        if (s->slots[i].pid > 0) {
            d = sooner(d, child_next_deadline(&s->slots[i]));
        }
    }
    if (s->stopping && !s->killed) {
        d = sooner(d, s->stop_at_ns);
    }
    uint64_t limit = (uint64_t)s->poll_ms * NS_PER_MS;
    if (d != 0 && d <= now) {
        return 0;
    }
    if (d != 0 && d - now < limit) {
        return (int)((d - now + NS_PER_MS - 1) / NS_PER_MS);
    }
    return s->poll_ms;
}

static void wait_events(sched_t *s, uint64_t now)
{
    nfds_t n = 0;
    s->pfds[n++] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
    for (unsigned i = 0; i < s->workers; i++) {
        s->pfds[n++] =
            (struct pollfd){.fd = s->slots[i].out.fd, .events = POLLIN};
        s->pfds[n++] =
            (struct pollfd){.fd = s->slots[i].err.fd, .events = POLLIN};
    }
    if (poll(s->pfds, n, wait_ms(s, now)) < 0 && errno != EINTR) {
        tacho_log_origin("worker", TACHO_LOG_ERROR, "poll: %s",
                         strerror(errno));
        return;
    }
    for (unsigned i = 0; i < s->workers; i++) {
        child_t *c = &s->slots[i];
        if (c->out.fd >= 0 && s->pfds[1 + 2 * i].revents != 0) {
            output_read(&c->out);
        }
        if (c->err.fd >= 0 && s->pfds[2 + 2 * i].revents != 0) {
            output_read(&c->err);
        }
    }
    if (s->pfds[0].revents != 0) {
        read_signals(s);
    }
}

/* ---- the loop -------------------------------------------------------------
 */

static void loop(sched_t *s)
{
    for (;;) {
        uint64_t now = tacho_now_ns();
        check_children(s, now);
        if (s->once && s->once_started && s->busy == 0) {
            return;
        }
        if (s->stopping) {
            if (s->busy == 0) {
                return;
            }
            if (!s->killed && now >= s->stop_at_ns) {
                kill_all(s);
            }
        } else {
            start_due(s, now);
        }
        wait_events(s, now);
    }
}

int scheduler_run(const jobs_config_t *jc, tacho_host_t *host, int sigfd,
                  int poll_ms, scheduler_stats_t *stats)
{
    sched_t s = {.jobs = jc->jobs,
                 .job_count = jc->count,
                 .workers = jc->workers,
                 .grace = jc->shutdown_grace,
                 .host = host,
                 .sigfd = sigfd,
                 .poll_ms = poll_ms};
    int rc = sched_init(&s);
    if (rc == 0) {
        loop(&s);
    }
    if (stats != NULL) {
        *stats = s.stats;
    }
    sched_free(&s);
    return rc;
}

int scheduler_run_once(const job_t *job, tacho_host_t *host, int sigfd,
                       int poll_ms, double grace)
{
    sched_t s = {.jobs = job,
                 .job_count = 1,
                 .workers = 1,
                 .grace = grace,
                 .host = host,
                 .sigfd = sigfd,
                 .poll_ms = poll_ms,
                 .once = true};
    int rc = sched_init(&s);
    if (rc == 0) {
        loop(&s);
        rc = s.once_code;
    }
    sched_free(&s);
    return rc;
}

int scheduler_poll_interval(const char *value, tacho_error_t *err)
{
    if (value == NULL) {
        return WORKER_DEFAULT_POLL_MS;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
        v < 1 || v > WORKER_MAX_POLL_MS) {
        tacho_error_set(err, TACHO_ECONFIG,
                        "%s='%s' is invalid: use whole milliseconds from 1 "
                        "to %d (default %d)",
                        WORKER_ENV_POLL_INTERVAL, value, WORKER_MAX_POLL_MS,
                        WORKER_DEFAULT_POLL_MS);
        return -1;
    }
    return (int)v;
}
