/*
 * tacho-worker: the private interfaces between the worker's files.
 *
 *   jobs_config.c  reads `jobs` and `runner` from a loaded config
 *   output.c       turns a child's stdout/stderr into whole log lines
 *   child.c        one run of a job: fork/exec, timeout, reaping
 *   scheduler.c    the main loop: due jobs, signals, shutdown
 *   main.c         options and modes
 *
 * The worker is a program built on the public API only (<tacho/...>), like
 * any other user of libtacho; nothing here is part of the library.
 */
#ifndef TACHO_WORKER_H
#define TACHO_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <tacho/tacho.h>

/* Exit statuses (sysexits.h values; docs/WORKER.md lists them). */
#define WORKER_EXIT_OK 0
#define WORKER_EXIT_USAGE 64    /* EX_USAGE: bad command line */
#define WORKER_EXIT_NOINPUT 66  /* EX_NOINPUT: config file missing */
#define WORKER_EXIT_UNAVAIL 69  /* EX_UNAVAILABLE: no sink to document */
#define WORKER_EXIT_SOFTWARE 70 /* EX_SOFTWARE: internal error */
#define WORKER_EXIT_OSERR 71    /* EX_OSERR: fork, pipe, signalfd failed */
#define WORKER_EXIT_CONFIG 78   /* EX_CONFIG: bad config, sink cannot start */

/* The fixed part of every job's environment. */
#define WORKER_BASE_PATH "/usr/local/bin:/usr/bin:/bin"

/* Defaults and limits of the `runner` group and POLL_INTERVAL. */
#define WORKER_DEFAULT_WORKERS 2
#define WORKER_MAX_WORKERS 256
#define WORKER_DEFAULT_SHUTDOWN_GRACE 10.0 /* seconds */
#define WORKER_MAX_SHUTDOWN_GRACE 3600.0
#define WORKER_MAX_SECONDS 31536000.0 /* every/timeout: at most a year */
#define WORKER_ENV_POLL_INTERVAL "POLL_INTERVAL"
#define WORKER_DEFAULT_POLL_MS 100
#define WORKER_MAX_POLL_MS 60000

/* After SIGTERM on timeout, how long before SIGKILL. */
#define WORKER_KILL_AFTER_NS (2 * 1000000000ull)
/* After a child exits, how long its output may stay open (a background
 * process holding the pipe) before the worker stops reading. */
#define WORKER_DRAIN_NS (2 * 1000000000ull)

/* Longest line logged whole; longer lines are split into pieces this long,
 * each but the last followed by OUTPUT_CONTINUED. libtacho cuts a log
 * message at 4095 bytes, so a piece and its marker must fit in that. */
#define OUTPUT_LINE_MAX 4080
#define OUTPUT_CONTINUED " [continued]"

/* One job, with everything a run needs computed once at load. */
typedef struct job {
    char *name;
    char *origin;      /* "job:<name>", the log origin of its output */
    char **argv;       /* NULL-terminated; command is {/bin/sh, -c, cmd} */
    char **exec_paths; /* NULL-terminated candidates for execve() */
    char **envp;       /* the child's complete environment */
    char *cwd;         /* NULL: the worker's current directory */
    double every;      /* seconds */
    double timeout;    /* seconds; 0: none */
    const char *file;  /* where the job is written (borrowed: see below) */
    int line;
} job_t;

/* The `jobs` and `runner` settings. */
typedef struct jobs_config {
    job_t *jobs;
    size_t count;
    unsigned workers;
    double shutdown_grace;
    char *file; /* the config's path, which job_t.file points to */
} jobs_config_t;

/*
 * Reads and checks `jobs` and `runner` of `cfg`. Every problem goes to
 * `each` (may be NULL) as "FILE:LINE: message"; `err` gets the first.
 * Returns 0 or TACHO_ECONFIG / TACHO_ENOMEM. On failure `out` holds nothing.
 * Ownership: everything in `out` is copied; free with jobs_config_free().
 */
int jobs_config_read(const tacho_config_t *cfg, jobs_config_t *out,
                     tacho_error_fn each, void *arg, tacho_error_t *err);
/* Accepts a zeroed or freed config. */
void jobs_config_free(jobs_config_t *jc);

/* ---- job.c ----------------------------------------------------------- */

/*
 * Builds an ad-hoc job (for --run-once) running `argv` directly, with the
 * worker's own environment. Returns 0, TACHO_EINVAL (bad name, empty argv,
 * explained in `err`) or TACHO_ENOMEM. Free with job_free().
 */
int job_make_adhoc(job_t *job, const char *name, char *const *argv,
                   double timeout, tacho_error_t *err);
/* Frees what the job owns and zeroes it. Accepts NULL. */
void job_free(job_t *job);
/* [A-Za-z0-9_.-]{1,255}: a job name is also a pipeline name. */
bool job_name_valid(const char *name);
/* [A-Za-z_][A-Za-z0-9_]*. */
bool job_env_name_valid(const char *name);
/* The value of PATH in `envp` ("" when unset); borrowed from `envp`. */
const char *job_env_path(char **envp);
/* Where execve() will look for `prog`: `prog` itself when it holds a '/',
 * else each directory of PATH in `envp`, as execvp() would. NULL when out
 * of memory; free with strv_free(). */
char **job_exec_candidates(const char *prog, char **envp);

/* printf into a tacho_malloc()'d string; NULL when out of memory. */
char *worker_format(const char *fmt, ...) TACHO_PRINTF(1, 2);

/* A growing NULL-terminated vector of strings (tacho_malloc'd). A failed
 * allocation sets `oom`; strvec_take() then frees everything and returns
 * NULL, so callers check once at the end. */
typedef struct strvec {
    char **v;
    size_t n, cap;
    bool oom;
} strvec_t;

/* Appends `s`, taking ownership (NULL counts as out of memory). */
void strvec_push_owned(strvec_t *sv, char *s);
/* Appends a copy of `s`. */
void strvec_push(strvec_t *sv, const char *s);
/* Hands the vector over (an empty one is a lone NULL), or NULL. */
char **strvec_take(strvec_t *sv);
/* Frees the vector's contents and zeroes it. */
void strvec_discard(strvec_t *sv);
/* Frees a NULL-terminated vector. Accepts NULL. */
void strv_free(char **v);

/* ---- output.c ----------------------------------------------------------- */

/* One of a child's output pipes, read line by line. */
typedef struct output_stream {
    int fd;                  /* non-blocking; -1 once closed */
    tacho_log_level_t level; /* INFO for stdout, WARNING for stderr */
    const char *origin;      /* borrowed from the job */
    size_t len;
    char buf[OUTPUT_LINE_MAX + 2]; /* a whole line, its '\n' and a NUL */
} output_stream_t;

void output_init(output_stream_t *s, int fd, const char *origin,
                 tacho_log_level_t level);
/* Reads what is available and logs every complete line. Returns true when
 * the stream has reached end of file (or failed) and was closed. */
bool output_read(output_stream_t *s);
/* Logs a partial last line, if any, and closes the stream. */
void output_finish(output_stream_t *s);

/* ---- child.c ------------------------------------------------------------ */

/* Why the worker ended a run itself. */
typedef enum child_reason {
    CHILD_REASON_NONE = 0,
    CHILD_REASON_TIMEOUT,
    CHILD_REASON_SHUTDOWN
} child_reason_t;

/* One run of a job. */
typedef struct child {
    const job_t *job;
    pid_t pid;               /* also the process group; 0 when idle */
    bool exited;             /* waitpid() has returned its status */
    int status;              /* wait status */
    uint64_t start_ns;       /* CLOCK_MONOTONIC */
    uint64_t end_ns;         /* when the exit was seen */
    uint64_t term_at_ns;     /* timeout: SIGTERM then (0: none) */
    uint64_t kill_at_ns;     /* SIGKILL then (0: not yet planned) */
    uint64_t drain_until_ns; /* stop reading output then (after exit) */
    child_reason_t reason;
    output_stream_t out, err;
    int hold[2]; /* the worker's copies of the pipes' write ends, or -1 */
} child_t;

/*
 * Starts a run of `job` in its own process group, stdout and stderr on
 * pipes, stdin on /dev/null. The worker keeps its own copies of the pipes'
 * write ends until the child is reaped, so the pipes reach end of file only
 * then and an exit wakes the scheduler once (through SIGCHLD), not once per
 * pipe closed by the exiting child and once more for its status; near the
 * RLIMIT_NOFILE soft limit it keeps none (child.c, may_hold()). Returns 0
 * or a negative errno-style code, explained in `err`.
 */
int child_spawn(child_t *c, const job_t *job, tacho_error_t *err);
/* Collects the exit status if the child has exited (never blocks). On
 * reaping it, drops the worker's write ends and reads the output that is
 * left, so a run whose pipes no other process holds is done at once. */
void child_poll(child_t *c);
/* Acts on timeouts and kill deadlines reached at `now_ns`. */
void child_tick(child_t *c, uint64_t now_ns);
/* Ends the run now: SIGKILL to the process group, counted as `reason`. */
void child_kill(child_t *c, child_reason_t reason);
/* True when the child has exited and its output is fully read (or the
 * drain time passed). */
bool child_done(child_t *c, uint64_t now_ns);
/* Whether the finished run counts as a success. */
bool child_ok(const child_t *c);
/* The outcome in words: "ok", "exit status 3", "timeout after 1.5 s", ...*/
void child_describe(const child_t *c, char *buf, size_t size);
/* The exit status a shell would report: the code, 128+signal, 124 on
 * timeout. */
int child_exit_code(const child_t *c);
/* The earliest deadline this child waits for, 0 if none. */
uint64_t child_next_deadline(const child_t *c);
/* Frees the run's resources (after child_done()). */
void child_release(child_t *c);

/* ---- scheduler.c -------------------------------------------------------- */

typedef struct scheduler_stats {
    uint64_t runs, succeeded, failed, skipped;
} scheduler_stats_t;

/*
 * Runs the jobs until SIGINT/SIGTERM arrives on `sigfd` (a signalfd for
 * SIGINT, SIGTERM, SIGHUP and SIGCHLD), then waits for running jobs up to
 * the shutdown grace. SIGHUP calls tacho_host_reopen(). Records every run
 * into the host's collector. Returns 0 or a WORKER_EXIT_* status.
 */
int scheduler_run(const jobs_config_t *jc, tacho_host_t *host, int sigfd,
                  int poll_ms, scheduler_stats_t *stats);

/*
 * Runs one job once (--once, --run-once) and records it. Signals end it
 * like a shutdown. Returns the run's exit code (child_exit_code()), or a
 * WORKER_EXIT_* status when it could not be started.
 */
int scheduler_run_once(const job_t *job, tacho_host_t *host, int sigfd,
                       int poll_ms, double grace);

/* Parses POLL_INTERVAL (NULL: the default). Returns the milliseconds, or
 * -1 with the reason in `err`. */
int scheduler_poll_interval(const char *value, tacho_error_t *err);

/* ---- run.c --------------------------------------------------------------- */

/* What main() asks worker_run() to do. */
typedef struct run_request {
    const char *config;   /* the config file; NULL only with run_argv */
    const char *once_job; /* --once: run this job of the config once */
    char **run_argv;      /* --run-once: run this command once */
    const char *run_name; /* its pipeline name (NULL: CMD's base name) */
    double run_timeout;   /* its time limit (0: none) */
} run_request_t;

/*
 * Opens the host from the config, starts it, runs the jobs (or the one
 * run asked for), then closes the host, which delivers the final snapshot
 * to every sink. Returns the process exit status.
 */
int worker_run(const run_request_t *req);

#endif /* TACHO_WORKER_H */
