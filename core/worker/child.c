/*
 * One run of a job: vfork/exec, timeout, reaping.
 *
 * The child is started with vfork(): copying the worker's page tables for a
 * fork() made a run of /bin/true cost 1.4 times a plain fork/exec loop
 * (docs/PERFORMANCE.md), and vfork() copies nothing. The child shares the
 * worker's memory until execve(), so it only calls async-signal-safe
 * functions that change no memory of the parent (errno aside, which the
 * suspended parent thread does not read), and it never returns: it execs
 * or _exit()s. No signal handler can run in it: the worker takes its
 * signals through signalfd and installs none. Everything the child needs
 * (argv, the candidate paths, the environment) was prepared when the config
 * was read. Each run gets its own process group, so a timeout or a shutdown
 * reaches the job's own children too.
 *
 * The worker holds its own copies of the pipes' write ends while the child
 * runs and drops them when it reaps the child. An exiting child closes its
 * pipes before its parent can reap it; without the copies a closed pipe
 * woke the scheduler, which found the child not yet reapable and slept
 * again until SIGCHLD: with the wait inside vfork(), 2.9 sleeps per run of
 * /bin/true where a plain fork/exec/wait loop has one. With them the exit
 * wakes the scheduler once (2.0 sleeps per run), and the output left in
 * the pipes is read in the same turn. The copies cost two descriptors per
 * running job, so they are kept only while descriptors are plentiful (see
 * may_hold()); a worker near its RLIMIT_NOFILE runs as many jobs as it
 * would without them.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define NS_PER_S 1000000000.0

/* /dev/null, opened once (close-on-exec) for every job's stdin: an open()
 * in each child was the costliest call between vfork() and execve(). -1
 * before the first run, or if it could not be opened; each child then
 * opens its own. Only the scheduler's thread starts runs. */
static int dev_null = -1;

/* Writes `s` to the child's stderr (async-signal-safe). */
static void child_say(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

/* A short reason for an exec or chdir failure, without strerror(), which is
 * not async-signal-safe. */
static const char *errno_text(int e)
{
    switch (e) {
    case ENOENT:
        return "no such file or directory";
    case EACCES:
        return "permission denied";
    case ENOEXEC:
        return "not an executable format";
    case ENOTDIR:
        return "not a directory";
    case E2BIG:
        return "argument list too long";
    case ENOMEM:
        return "out of memory";
    default:
        return "cannot execute";
    }
}

/* Reports a failure in the child and exits as a shell would: 127 when the
 * program was not found, 126 when it could not be run. */
static void child_fail(const char *what, const char *name, int e)
{
    child_say("tacho-worker: ");
    child_say(what);
    child_say(" ");
    child_say(name);
    child_say(": ");
    child_say(errno_text(e));
    child_say("\n");
    _exit(e == ENOENT ? 127 : 126);
}

/* The child side, between vfork() and execve(); never returns. */
static void child_exec(const job_t *job, int out_w, int err_w)
{
    setpgid(0, 0);
    /* Undo what the worker changed for itself: the blocked signals and the
     * ignored SIGPIPE would otherwise survive execve(). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);

    int in = dev_null >= 0 ? dev_null : open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 ||
        dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0) {
        _exit(126);
    }
    /* Sockets and files the host opened must not leak into jobs. */
    close_range(3, ~0u, 0);

    if (job->cwd != NULL && chdir(job->cwd) != 0) {
        child_fail("cannot change to directory", job->cwd, errno);
    }
    int first_error = ENOENT;
    for (char **p = job->exec_paths; *p != NULL; p++) {
        execve(*p, job->argv, job->envp);
        /* Like execvp(): remember a "found but refused", keep looking. */
        if (errno != ENOENT && errno != ENOTDIR) {
            first_error = errno;
        }
    }
    child_fail("cannot execute", job->argv[0], first_error);
}

/* Room kept free for the worker's own files and sockets. */
#define HOLD_SPARE_FDS 32

/*
 * Whether a run whose newest descriptor is `highest_fd` may keep its write
 * ends. Held copies are made only below the soft RLIMIT_NOFILE less two
 * descriptors for each of the most jobs a worker can run at once and a
 * spare, so the runs started above that line, at two descriptors each as
 * without holding, still fit under the limit.
 */
static bool may_hold(int highest_fd)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return false;
    }
    rlim_t reserved = 2 * WORKER_MAX_WORKERS + HOLD_SPARE_FDS;
    return rl.rlim_cur == RLIM_INFINITY ||
           (rl.rlim_cur > reserved &&
            (rlim_t)highest_fd < rl.rlim_cur - reserved);
}

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0) {
            close(p[i]);
            p[i] = -1;
        }
    }
}

int child_spawn(child_t *c, const job_t *job, tacho_error_t *err)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        int e = errno;
        close_pair(out);
        return tacho_error_set(err, -e, "job %s: pipe: %s", job->name,
                               strerror(e));
    }
    if (dev_null < 0) {
        dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    uint64_t start = tacho_now_ns();
    pid_t pid = vfork();
    if (pid < 0) {
        int e = errno;
        close_pair(out);
        close_pair(errp);
        return tacho_error_set(err, -e, "job %s: vfork: %s", job->name,
                               strerror(e));
    }
    if (pid == 0) {
        child_exec(job, out[1], errp[1]);
    }
    /* No setpgid() from this side: vfork() resumes the parent only after
     * the child has called execve() or _exit(), so its own setpgid() has
     * already run and a kill from here reaches the group. */
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFL, O_NONBLOCK);

    memset(c, 0, sizeof *c);
    c->job = job;
    c->pid = pid;
    c->start_ns = start;
    if (job->timeout > 0) {
        c->term_at_ns = start + (uint64_t)(job->timeout * NS_PER_S);
    }
    output_init(&c->out, out[0], job->origin, TACHO_LOG_INFO);
    output_init(&c->err, errp[0], job->origin, TACHO_LOG_WARNING);
    c->hold[0] = out[1];
    c->hold[1] = errp[1];
    if (!may_hold(errp[1])) {
        close_pair(c->hold);
    }
    return 0;
}

/* Drops the worker's write ends: the pipes end when the last process
 * holding them (the job's background children, if any) lets go. */
static void drop_hold(child_t *c)
{
    close_pair(c->hold);
}

void child_poll(child_t *c)
{
    if (c->pid <= 0 || c->exited) {
        return;
    }
    int status;
    pid_t r;
    do {
        r = waitpid(c->pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == c->pid) {
        c->exited = true;
        c->status = status;
        c->end_ns = tacho_now_ns();
        c->drain_until_ns = c->end_ns + WORKER_DRAIN_NS;
        drop_hold(c);
        output_read(&c->out);
        output_read(&c->err);
    }
}

/* Signals the run's whole process group. After the leader was reaped the
 * group may still hold its children; kill() then fails with ESRCH once it
 * is empty, which is fine. */
static void signal_group(const child_t *c, int sig)
{
    if (c->pid > 0) {
        kill(-c->pid, sig);
    }
}

void child_tick(child_t *c, uint64_t now_ns)
{
    if (c->reason == CHILD_REASON_NONE && c->term_at_ns != 0 &&
        now_ns >= c->term_at_ns && !c->exited) {
        c->reason = CHILD_REASON_TIMEOUT;
        signal_group(c, SIGTERM);
        c->kill_at_ns = now_ns + WORKER_KILL_AFTER_NS;
    }
    if (c->kill_at_ns != 0 && now_ns >= c->kill_at_ns) {
        signal_group(c, SIGKILL);
        c->kill_at_ns = 0;
    }
}

void child_kill(child_t *c, child_reason_t reason)
{
    if (!c->exited && c->reason == CHILD_REASON_NONE) {
        c->reason = reason;
    }
    signal_group(c, SIGKILL);
}

bool child_done(child_t *c, uint64_t now_ns)
{
    if (!c->exited) {
        return false;
    }
    bool open = c->out.fd >= 0 || c->err.fd >= 0;
    if (open && now_ns >= c->drain_until_ns) {
        tacho_log_origin("worker", TACHO_LOG_WARNING,
                         "job %s: output still open %.0f s after the job "
                         "exited (a background process?); no longer read",
                         c->job->name, WORKER_DRAIN_NS / NS_PER_S);
        output_finish(&c->out);
        output_finish(&c->err);
        open = false;
    }
    return !open;
}

bool child_ok(const child_t *c)
{
    return c->exited && c->reason == CHILD_REASON_NONE &&
           WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

void child_describe(const child_t *c, char *buf, size_t size)
{
    if (c->reason == CHILD_REASON_TIMEOUT) {
        snprintf(buf, size, "timeout after %g s", c->job->timeout);
    } else if (c->reason == CHILD_REASON_SHUTDOWN) {
        snprintf(buf, size, "killed at shutdown");
    } else if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0) {
        snprintf(buf, size, "ok");
    } else if (WIFEXITED(c->status)) {
        snprintf(buf, size, "exit status %d", WEXITSTATUS(c->status));
    } else if (WIFSIGNALED(c->status)) {
        int sig = WTERMSIG(c->status);
        const char *abbrev = sigabbrev_np(sig);
        snprintf(buf, size, "killed by signal %d (SIG%s)", sig,
                 abbrev != NULL ? abbrev : "?");
    } else {
        snprintf(buf, size, "wait status %#x", (unsigned)c->status);
    }
}

int child_exit_code(const child_t *c)
{
    if (c->reason == CHILD_REASON_TIMEOUT) {
        return 124; /* as timeout(1) */
    }
    if (WIFEXITED(c->status)) {
        return WEXITSTATUS(c->status);
    }
    if (WIFSIGNALED(c->status)) {
        return 128 + WTERMSIG(c->status);
    }
    return WORKER_EXIT_SOFTWARE;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    if (a == 0) {
        return b;
    }
    return (b != 0 && b < a) ? b : a;
}

uint64_t child_next_deadline(const child_t *c)
{
    uint64_t d = c->kill_at_ns;
    if (!c->exited && c->reason == CHILD_REASON_NONE) {
        d = earliest(d, c->term_at_ns);
    }
    if (c->exited) {
        d = earliest(d, c->drain_until_ns);
    }
    return d;
}

void child_release(child_t *c)
{
    drop_hold(c);
    output_finish(&c->out);
    output_finish(&c->err);
    c->pid = 0;
    c->job = NULL;
}
