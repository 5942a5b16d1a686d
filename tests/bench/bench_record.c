/*
 * bench_record: what one record costs, beside the baselines it is meant to
 * match, all measured in the same run on the same machine.
 *
 *   bench_record              the table (5 repetitions, medians, ratios)
 *   bench_record -n N         N operations per measurement (default 10M)
 *   bench_record --callgrind MODE N
 *                             does only N operations of MODE (handle, name,
 *                             timed or atomic), so that under
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

#define REPEATS 5

static long ops = 10000000;
static tacho_collector_t *coll;
static tacho_pipeline_t *pipes[2];
static const char *names[2] = {"bench-a", "bench-b"};
static _Atomic uint64_t counter;
static volatile uint64_t sink_value;

typedef void (*loop_fn)(int thread, int pipe);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the measured loops ------------------------------------------------- */

static void loop_atomic(int thread, int pipe)
{
    for (long i = 0; i < ops; i++) {
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    }
}

static void loop_handle(int thread, int pipe)
{
    tacho_pipeline_t *p = pipes[pipe];
    for (long i = 0; i < ops; i++) {
        /* Durations spread over many buckets, as real ones would. */
        tacho_pipeline_record(p, 1000000 + ((uint64_t)i & 0xfffff) * 64,
                              (i & 15) != 0);
    }
}

static void loop_name(int thread, int pipe)
{
    const char *name = names[pipe];
    for (long i = 0; i < ops; i++) {
        tacho_record(coll, name, 1000000 + ((uint64_t)i & 0xfffff) * 64,
                     (i & 15) != 0);
    }
}

static void loop_clock_pair(int thread, int pipe)
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

static void loop_timed(int thread, int pipe)
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
    int thread;
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
    double t = now_s();
    j->fn(j->thread, j->pipe);
    j->seconds = now_s() - t;
    return NULL;
}

/* Nanoseconds per operation per thread; `same` puts both threads on one
 * pipeline. */
static double measure(loop_fn fn, int threads, int same)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    job_t jobs[2];
    pthread_t t[2];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){fn, i, same ? 0 : i, &start, 0};
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(loop_fn fn, int threads, int same)
{
    double v[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        v[r] = measure(fn, threads, same);
    }
    qsort(v, REPEATS, sizeof v[0], cmp_double);
    return v[REPEATS / 2];
}

/* ---- output ----------------------------------------------------------------
 */

typedef struct row {
    const char *what;
    loop_fn fn;
    int threads;
    int same;
    double ns;
} row_t;

static void print_table(void)
{
    row_t rows[] = {
        {"atomic add (relaxed), 1 thread", loop_atomic, 1, 1, 0},
        {"atomic add, 2 threads, one counter", loop_atomic, 2, 1, 0},
        {"record by handle, 1 thread", loop_handle, 1, 1, 0},
        {"record by handle, 2 threads, same pipeline", loop_handle, 2, 1, 0},
        {"record by handle, 2 threads, own pipelines", loop_handle, 2, 0, 0},
        {"record by name, 1 thread", loop_name, 1, 1, 0},
        {"record by name, 2 threads, same pipeline", loop_name, 2, 1, 0},
        {"record by name, 2 threads, own pipelines", loop_name, 2, 0, 0},
        {"2 x clock_gettime(MONOTONIC), 1 thread", loop_clock_pair, 1, 1, 0},
        {"run_begin + run_end, 1 thread", loop_timed, 1, 1, 0},
    };
    size_t n = sizeof rows / sizeof rows[0];
    for (size_t i = 0; i < n; i++) {
        rows[i].ns = median_of(rows[i].fn, rows[i].threads, rows[i].same);
    }
    double atomic1 = rows[0].ns, atomic2 = rows[1].ns, clocks = rows[8].ns;
    printf("%-46s %9s %12s %12s\n", "operation (median of 5)", "ns/op",
           "x atomic 1T", "x baseline");
    for (size_t i = 0; i < n; i++) {
        double base = i == 9 ? clocks : (rows[i].threads == 2 ? atomic2 : 0);
        printf("%-46s %9.2f %12.2f", rows[i].what, rows[i].ns,
               rows[i].ns / atomic1);
        if (base > 0 && i != 1) {
            printf(" %12.2f", rows[i].ns / base);
        }
        printf("\n");
    }
    printf("\ntargets: handle 1T <= 1.00 x atomic 1T (got %.2f); "
           "handle 2T same pipeline <= 1.20 x atomic 1T per thread "
           "(got %.2f); run_begin+end <= 1.15 x two clock_gettime "
           "(got %.2f)\n",
           rows[2].ns / atomic1, rows[3].ns / atomic1, rows[9].ns / clocks);
    printf("(x baseline: 2-thread rows against the 2-thread shared atomic; "
           "the timed row against two clock_gettime calls)\n");
}

static int callgrind_mode(const char *mode, long n)
{
    loop_fn fn = strcmp(mode, "handle") == 0   ? loop_handle
                 : strcmp(mode, "name") == 0   ? loop_name
                 : strcmp(mode, "timed") == 0  ? loop_timed
                 : strcmp(mode, "atomic") == 0 ? loop_atomic
                                               : NULL;
    if (fn == NULL) {
        fprintf(stderr, "unknown mode '%s' (handle, name, timed, atomic)\n",
                mode);
        return 2;
    }
    ops = n;
    tacho_pipeline_record(pipes[0], 1, true);
    fn(0, 0);
    return 0;
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
    } else if (argc == 3 && strcmp(argv[1], "-n") == 0 && atol(argv[2]) > 0) {
        ops = atol(argv[2]);
        print_table();
    } else if (argc == 1) {
        print_table();
    } else {
        fprintf(stderr, "usage: bench_record [-n N] | --callgrind "
                        "handle|name|timed|atomic N\n");
        rc = 2;
    }
    tacho_collector_free(coll);
    return rc;
}
