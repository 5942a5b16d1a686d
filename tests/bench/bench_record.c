/*
 * bench_record: what one record costs, beside the baselines it is meant to
 * match, all measured in the same run on the same machine.
 *
 *   bench_record [-n N] [-r REPEATS]
 *                             the table: every row once per repetition, in
 *                             turn, so each baseline and each figure see
 *                             the same noise; medians, and the median of
 *                             the per-repetition ratios. Times are each
 *                             thread's CPU time per operation.
 *   bench_record --callgrind MODE N
 *                             does only N operations of MODE (handle, name,
 *                             timed, atomic or floor), so that under
 *                             valgrind --tool=callgrind the instruction
 *                             count per operation is (Ir - Ir of N=0) / N.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tacho/tacho.h>

#include "bench_util.h"

static long ops = 10000000;
static int repeats = 11;
static tacho_collector_t *coll;
static tacho_pipeline_t *pipes[2];
static const char *names[2] = {"bench-a", "bench-b"};
static _Atomic uint64_t counter;
static volatile uint64_t sink_value;

typedef void (*loop_fn)(int pipe);

/* Durations spread over a few hundred histogram buckets (1 ms to 68 ms),
 * as real ones would; one run in 16 fails. */
#define DURATION(i) (1000000 + ((uint64_t)(i)&0xfffff) * 64)
#define OK(i) (((i)&15) != 0)

/* ---- the measured loops ------------------------------------------------- */

static void loop_atomic(int pipe)
{
    for (long i = 0; i < ops; i++) {
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    }
}

/*
 * The state floor: the stores any record keeping tacho's guarantees must
 * make (the outcome count, the sum, the last time, one histogram count,
 * a recent entry of time, duration and pipeline, and a sequence number
 * before and after), as plain stores with nothing computed: no clock, no
 * bucket, no min or max, no lookup. It bounds from below what a record can
 * cost on this machine.
 */
typedef struct floor_state {
    uint64_t seq;
    uint64_t outcome[2];
    uint64_t sum;
    int64_t last;
    uint64_t hist[1024];
    struct {
        int64_t time;
        uint64_t duration;
        uint32_t pipe_ok;
    } ring[1024];
} floor_state_t;

static floor_state_t floor_state[2];

static void loop_floor(int pipe)
{
    floor_state_t *f = &floor_state[pipe];
    for (long i = 0; i < ops; i++) {
        uint64_t d = DURATION(i);
        uint64_t s = f->seq + 1;
        f->seq = s;
        __asm__ volatile("" ::: "memory");
        f->outcome[OK(i)]++;
        f->sum += d;
        f->last = (int64_t)s;
        f->hist[(d >> 14) & 1023]++;
        f->ring[s & 1023].time = (int64_t)s;
        f->ring[s & 1023].duration = d;
        f->ring[s & 1023].pipe_ok = (uint32_t)OK(i);
        f->seq = s + 1;
        __asm__ volatile("" ::: "memory");
    }
}

static void loop_handle(int pipe)
{
    tacho_pipeline_t *p = pipes[pipe];
    for (long i = 0; i < ops; i++) {
        tacho_pipeline_record(p, DURATION(i), OK(i));
    }
}

static void loop_name(int pipe)
{
    const char *name = names[pipe];
    for (long i = 0; i < ops; i++) {
        tacho_record(coll, name, DURATION(i), OK(i));
    }
}

static void loop_clock_pair(int pipe)
{
    uint64_t acc = 0;
    for (long i = 0; i < ops; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        acc += (uint64_t)(b.tv_nsec - a.tv_nsec);
    }
    sink_value = acc;
}

static void loop_timed(int pipe)
{
    tacho_pipeline_t *p = pipes[pipe];
    uint64_t acc = 0;
    for (long i = 0; i < ops; i++) {
        tacho_run_t run = tacho_run_begin(p);
        acc += tacho_run_end(run, true);
    }
    sink_value = acc;
}

/* ---- running a loop on 1 or 2 threads ----------------------------------- */

typedef struct job {
    loop_fn fn;
    int pipe;
    pthread_barrier_t *start;
    double seconds;
} job_t;

static void *run_job(void *arg)
{
    job_t *j = arg;
    /* Record once before timing, so the first-record allocation of this
     * thread's shard and cell is not measured. */
    tacho_pipeline_record(pipes[j->pipe], 1, true);
    pthread_barrier_wait(j->start);
    double t = bench_thread_cpu_s();
    j->fn(j->pipe);
    j->seconds = bench_thread_cpu_s() - t;
    return NULL;
}

/* CPU nanoseconds per operation per thread; `same` puts both threads on
 * one pipeline (or counter). */
static double measure(loop_fn fn, int threads, int same)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    job_t jobs[2];
    pthread_t t[2];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){fn, same ? 0 : i, &start, 0};
        pthread_create(&t[i], NULL, run_job, &jobs[i]);
    }
    double total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += jobs[i].seconds;
    }
    pthread_barrier_destroy(&start);
    return total / threads / (double)ops * 1e9;
}

/* ---- the table ------------------------------------------------------------
 */

typedef struct row {
    const char *id;
    const char *what;
    loop_fn fn;
    int threads;
    int same;
    int base; /* index of the baseline row, or -1 */
} row_t;

enum { ATOMIC1, ATOMIC2, FLOOR, HANDLE1, CLOCKS = 9 };

static const row_t rows[] = {
    {"atomic_1t", "atomic add (relaxed), 1 thread", loop_atomic, 1, 1, -1},
    {"atomic_2t", "atomic add, 2 threads, one counter", loop_atomic, 2, 1,
     ATOMIC1},
    {"floor_1t", "state floor (the stores alone), 1 thread", loop_floor, 1, 1,
     ATOMIC1},
    {"handle_1t", "record by handle, 1 thread", loop_handle, 1, 1, ATOMIC1},
    {"handle_2t_same", "record by handle, 2 threads, one pipeline", loop_handle,
     2, 1, ATOMIC1},
    {"handle_2t_own", "record by handle, 2 threads, own pipelines", loop_handle,
     2, 0, ATOMIC1},
    {"name_1t", "record by name, 1 thread", loop_name, 1, 1, ATOMIC1},
    {"name_2t_same", "record by name, 2 threads, one pipeline", loop_name, 2, 1,
     ATOMIC1},
    {"name_2t_own", "record by name, 2 threads, own pipelines", loop_name, 2, 0,
     ATOMIC1},
    {"clocks_1t", "2 x clock_gettime(MONOTONIC), 1 thread", loop_clock_pair, 1,
     1, -1},
    {"timed_1t", "run_begin + run_end, 1 thread", loop_timed, 1, 1, CLOCKS},
};
#define NROWS (sizeof rows / sizeof rows[0])

static void print_table(void)
{
    double *ns[NROWS], *ratio[NROWS];
    for (size_t i = 0; i < NROWS; i++) {
        ns[i] = calloc((size_t)repeats, sizeof(double));
        ratio[i] = calloc((size_t)repeats, sizeof(double));
    }
    for (int r = 0; r < repeats; r++) {
        for (size_t i = 0; i < NROWS; i++) {
            ns[i][r] = measure(rows[i].fn, rows[i].threads, rows[i].same);
        }
        for (size_t i = 0; i < NROWS; i++) {
            int b = rows[i].base;
            ratio[i][r] = b >= 0 ? ns[i][r] / ns[b][r] : 0;
        }
    }
    printf("%-44s %9s %10s  %s\n", "operation (median of repeats)", "ns/op",
           "ratio", "(against)");
    for (size_t i = 0; i < NROWS; i++) {
        double m = bench_median(ns[i], (size_t)repeats);
        char id[64];
        snprintf(id, sizeof id, "record_%s_ns", rows[i].id);
        printf("%-44s %9.2f", rows[i].what, m);
        if (rows[i].base >= 0) {
            double q = bench_median(ratio[i], (size_t)repeats);
            printf(" %10.2f  (%s)\n", q, rows[rows[i].base].id);
            bench_result(id, m);
            snprintf(id, sizeof id, "record_%s_ratio", rows[i].id);
            bench_result(id, q);
        } else {
            printf("\n");
            bench_result(id, m);
        }
        free(ns[i]);
        free(ratio[i]);
    }
    printf("(ratio: the median over repetitions of this row's time over its "
           "baseline's, measured in the same repetition; 2-thread rows per "
           "thread)\n");
}

static int callgrind_mode(const char *mode, long n)
{
    loop_fn fn = strcmp(mode, "handle") == 0   ? loop_handle
                 : strcmp(mode, "name") == 0   ? loop_name
                 : strcmp(mode, "timed") == 0  ? loop_timed
                 : strcmp(mode, "atomic") == 0 ? loop_atomic
                 : strcmp(mode, "floor") == 0  ? loop_floor
                                               : NULL;
    if (fn == NULL) {
        fprintf(stderr,
                "unknown mode '%s' (handle, name, timed, atomic, floor)\n",
                mode);
        return 2;
    }
    ops = n;
    tacho_pipeline_record(pipes[0], 1, true);
    fn(0);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_record [-n N] [-r REPEATS] | --callgrind "
                    "handle|name|timed|atomic|floor N\n");
    return 2;
}

int main(int argc, char **argv)
{
    tacho_error_t err;
    if (tacho_collector_create(NULL, &coll, &err) != 0) {
        fprintf(stderr, "bench_record: %s\n", err.text);
        return 1;
    }
    pipes[0] = tacho_pipeline_get(coll, names[0]);
    pipes[1] = tacho_pipeline_get(coll, names[1]);
    int rc = 0;
    if (argc == 4 && strcmp(argv[1], "--callgrind") == 0) {
        rc = callgrind_mode(argv[2], atol(argv[3]));
    } else {
        for (int i = 1; rc == 0 && i < argc; i += 2) {
            if (i + 1 < argc && strcmp(argv[i], "-n") == 0 &&
                atol(argv[i + 1]) > 0) {
                ops = atol(argv[i + 1]);
            } else if (i + 1 < argc && strcmp(argv[i], "-r") == 0 &&
                       atoi(argv[i + 1]) > 0) {
                repeats = atoi(argv[i + 1]);
            } else {
                rc = usage();
            }
        }
        if (rc == 0) {
            print_table();
        }
    }
    tacho_collector_free(coll);
    return rc;
}
