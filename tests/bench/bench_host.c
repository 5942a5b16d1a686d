/*
 * bench_host: what running jobs through tacho-worker costs over running
 * them by hand. N runs of /bin/true through tacho-worker (two jobs that
 * are always due and one worker slot, so the runs follow each other with
 * no wait: a due job whose slot is busy starts the moment it frees; the
 * log sink on), against the same N fork/exec/wait in a plain C loop,
 * measured alternately in the same run.
 *
 *   bench_host [-n N] [-r REPEATS] TACHO_WORKER
 *
 * The worker's time runs from its "started" log line (just before the
 * first run) to the Nth "finished" line, as read from its stderr; then it
 * is stopped with SIGTERM. POLL_INTERVAL is passed on when set (default
 * here 1 ms; back-to-back runs do not depend on it). Prints a table and @
 * result lines (run.sh).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_SECONDS 300.0 /* a worker that stalls fails the benchmark */

static int runs = 2000;
static int repeats = 3;

/* CPU seconds (user and system) of this process and its reaped children. */
static double own_cpu_s(void)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    struct timeval t[] = {self.ru_utime, self.ru_stime, children.ru_utime,
                          children.ru_stime};
    double s = 0;
    for (size_t i = 0; i < 4; i++) {
        s += (double)t[i].tv_sec + (double)t[i].tv_usec / 1e6;
    }
    return s;
}

/* The same for process `pid`, from /proc (in clock ticks). */
static double proc_cpu_s(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    text[n] = '\0';
    /* Fields 14 to 17 (utime, stime, cutime, cstime) follow the command
     * name, which ends at the last ')'. */
    char *p = strrchr(text, ')');
    unsigned long long v[4] = {0};
    if (p == NULL || sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                            "%llu %llu %llu %llu",
                            &v[0], &v[1], &v[2], &v[3]) != 4) {
        return 0;
    }
    return (double)(v[0] + v[1] + v[2] + v[3]) / (double)sysconf(_SC_CLK_TCK);
}

typedef struct times {
    double wall, cpu;
} times_t;

static times_t plain_loop(void)
{
    double c0 = own_cpu_s();
    double t0 = bench_now_s();
    for (int i = 0; i < runs; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/true", "/bin/true", (char *)NULL);
            _exit(127);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            perror("bench_host: fork/wait");
            exit(1);
        }
    }
    return (times_t){bench_now_s() - t0, own_cpu_s() - c0};
}

static const char config_text[] =
    "tacho = { worker = \"bench\"; interval = 3600.0; };\n"
    "sinks = ( { plugin = \"log\"; } );\n"
    "runner = { workers = 1; shutdown_grace = 1.0; };\n"
    "jobs = ( { name = \"a\"; argv = [\"/bin/true\"]; every = 0.0001; },\n"
    "         { name = \"b\"; argv = [\"/bin/true\"]; every = 0.0001; } );\n";

static void write_config(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(config_text, f) < 0 || fclose(f) != 0) {
        perror("bench_host: config");
        exit(1);
    }
}

static pid_t spawn_worker(const char *worker, const char *config, int *out)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("bench_host: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (getenv("POLL_INTERVAL") == NULL) {
            setenv("POLL_INTERVAL", "1", 1);
        }
        execl(worker, worker, "-c", config, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *out = fds[0];
    return pid;
}

/* Counts the complete lines in buf[0..*len) that contain `what`, keeping
 * a partial last line. */
static int count_lines(char *buf, size_t *len, const char *what, int *started)
{
    int n = 0;
    char *line = buf;
    char *nl;
    while ((nl = memchr(line, '\n', (size_t)(buf + *len - line))) != NULL) {
        *nl = '\0';
        n += strstr(line, what) != NULL;
        *started |= strstr(line, "tacho-worker") != NULL &&
                    strstr(line, "started") != NULL;
        line = nl + 1;
    }
    *len = (size_t)(buf + *len - line);
    memmove(buf, line, *len);
    return n;
}

static times_t through_worker(const char *worker, const char *config)
{
    int fd;
    pid_t pid = spawn_worker(worker, config, &fd);
    char buf[65536];
    size_t len = 0;
    int done = 0, started = 0;
    double t0 = 0, t1 = 0, c0 = 0, c1 = 0;
    double deadline = bench_now_s() + MAX_SECONDS;
    while (done < runs && bench_now_s() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0) {
            continue;
        }
        ssize_t got = read(fd, buf + len, sizeof buf - 1 - len);
        if (got <= 0) {
            break;
        }
        len += (size_t)got;
        int was_started = started;
        done += count_lines(buf, &len, " finished in ", &started);
        if (started && !was_started) {
            t0 = bench_now_s();
            c0 = proc_cpu_s(pid);
        }
        t1 = bench_now_s();
    }
    c1 = proc_cpu_s(pid);
    kill(pid, SIGTERM);
    /* Drain the final lines so the worker never blocks on a full pipe. */
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0) {
    }
    close(fd);
    int status;
    waitpid(pid, &status, 0);
    if (done < runs || t0 == 0) {
        fprintf(stderr, "bench_host: the worker did %d of %d runs\n", done,
                runs);
        exit(1);
    }
    return (times_t){t1 - t0, c1 - c0};
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-n") == 0) {
            runs = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "-r") == 0) {
            repeats = atoi(argv[i + 1]);
        }
    }
    if (i + 1 != argc || runs <= 0 || repeats <= 0) {
        fprintf(stderr, "usage: bench_host [-n N] [-r REPEATS] TACHO_WORKER\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char config[] = "/tmp/bench_host_XXXXXX";
    int cfd = mkstemp(config);
    if (cfd < 0) {
        perror("bench_host: mkstemp");
        return 1;
    }
    close(cfd);
    write_config(config);
    double *plain = calloc((size_t)repeats, sizeof(double));
    double *host = calloc((size_t)repeats, sizeof(double));
    double *ratio = calloc((size_t)repeats, sizeof(double));
    double *cpu_ratio = calloc((size_t)repeats, sizeof(double));
    double *cpu_plain = calloc((size_t)repeats, sizeof(double));
    double *cpu_host = calloc((size_t)repeats, sizeof(double));
    for (int r = 0; r < repeats; r++) {
        times_t p = plain_loop();
        times_t h = through_worker(argv[i], config);
        plain[r] = p.wall;
        host[r] = h.wall;
        ratio[r] = h.wall / p.wall;
        cpu_plain[r] = p.cpu;
        cpu_host[r] = h.cpu;
        cpu_ratio[r] = p.cpu > 0 ? h.cpu / p.cpu : 0;
        printf("repeat %d: plain loop %.3f s (CPU %.2f s), tacho-worker "
               "%.3f s (CPU %.2f s): %.3f x wall, %.3f x CPU\n",
               r + 1, p.wall, p.cpu, h.wall, h.cpu, ratio[r], cpu_ratio[r]);
    }
    unlink(config);
    double p = bench_median(plain, (size_t)repeats);
    double h = bench_median(host, (size_t)repeats);
    double q = bench_median(ratio, (size_t)repeats);
    double cq = bench_median(cpu_ratio, (size_t)repeats);
    printf("%d runs of /bin/true, median of %d: plain loop %.3f s, "
           "tacho-worker %.3f s, ratio %.3f (CPU time ratio %.3f)\n",
           runs, repeats, p, h, q, cq);
    bench_result("host_runs", runs);
    bench_result("host_plain_s", p);
    bench_result("host_worker_s", h);
    bench_result("host_ratio", q);
    bench_result("host_plain_cpu_s", bench_median(cpu_plain, (size_t)repeats));
    bench_result("host_worker_cpu_s", bench_median(cpu_host, (size_t)repeats));
    bench_result("host_cpu_ratio", cq);
    free(cpu_ratio);
    free(cpu_plain);
    free(cpu_host);
    free(plain);
    free(host);
    free(ratio);
    return 0;
}
