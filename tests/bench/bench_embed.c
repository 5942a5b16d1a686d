/*
 * bench_embed: what embedding tacho costs a busy worker. Two threads run
 * tasks of about 10 us of CPU work each, back to back, for a fixed time;
 * with tacho every task is timed and recorded with tacho_run_begin() and
 * tacho_run_end(), without it the same tasks run bare. The two variants
 * alternate, and the figure is the median over the pairs of the
 * throughput with tacho over the throughput without.
 *
 *   bench_embed [-s SECONDS_PER_RUN] [-r PAIRS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/tacho.h>

#include "bench_util.h"

#define THREADS 2
#define TASK_US 10.0

static double seconds = 0.5;
static int pairs = 15;
static long task_iters = 1000;
static tacho_pipeline_t *pipeline;
static atomic_bool stop;
static volatile uint64_t sink_value;

/* About TASK_US of dependent integer work. */
static uint64_t task(uint64_t x)
{
    for (long i = 0; i < task_iters; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
    }
    return x;
}

static void calibrate(void)
{
    for (int round = 0; round < 5; round++) {
        double t0 = bench_now_s();
        uint64_t x = 1;
        for (int i = 0; i < 2000; i++) {
            x = task(x);
        }
        double us = (bench_now_s() - t0) * 1e6 / 2000;
        sink_value = x;
        task_iters = (long)((double)task_iters * TASK_US / us);
        if (task_iters < 1) {
            task_iters = 1;
        }
    }
}

typedef struct worker {
    bool with_tacho;
    long tasks;
} worker_t;

static void *work(void *arg)
{
    worker_t *w = arg;
    uint64_t x = (uint64_t)(uintptr_t)w;
    long n = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (w->with_tacho) {
            tacho_run_t run = tacho_run_begin(pipeline);
            x = task(x);
            tacho_run_end(run, true);
        } else {
            x = task(x);
        }
        n++;
    }
    sink_value = x;
    w->tasks = n;
    return NULL;
}

/* Tasks per second of both threads together. */
static double throughput(bool with_tacho)
{
    worker_t w[THREADS];
    pthread_t t[THREADS];
    atomic_store(&stop, false);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){with_tacho, 0};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    double t0 = bench_now_s();
    struct timespec ts = {(time_t)seconds,
                          (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, true);
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += w[i].tasks;
    }
    return (double)total / (bench_now_s() - t0);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 < argc && strcmp(argv[i], "-s") == 0) {
            seconds = atof(argv[i + 1]);
        } else if (i + 1 < argc && strcmp(argv[i], "-r") == 0) {
            pairs = atoi(argv[i + 1]);
        } else {
            seconds = 0;
        }
    }
    if (seconds <= 0 || pairs <= 0) {
        fprintf(stderr, "usage: bench_embed [-s SECONDS_PER_RUN] [-r PAIRS]\n");
        return 2;
    }
    tacho_collector_t *c = NULL;
    tacho_error_t err;
    if (tacho_collector_create(NULL, &c, &err) != 0) {
        fprintf(stderr, "bench_embed: %s\n", err.text);
        return 1;
    }
    pipeline = tacho_pipeline_get(c, "task");
    calibrate();
    double *bare = calloc((size_t)pairs, sizeof(double));
    double *with = calloc((size_t)pairs, sizeof(double));
    double *ratio = calloc((size_t)pairs, sizeof(double));
    for (int r = 0; r < pairs; r++) {
        /* Alternate which goes first, so a trend in the machine's load
         * does not favour one side. */
        if (r % 2 == 0) {
            bare[r] = throughput(false);
            with[r] = throughput(true);
        } else {
            with[r] = throughput(true);
            bare[r] = throughput(false);
        }
        ratio[r] = with[r] / bare[r];
    }
    tacho_snapshot_t *s = NULL;
    uint64_t recorded = 0;
    if (tacho_snapshot_take(c, &s) == 0) {
        recorded = tacho_stats_runs(tacho_snapshot_find(s, "task"),
                                    TACHO_SCOPE_LIFETIME);
        tacho_snapshot_free(s);
    }
    double b = bench_median(bare, (size_t)pairs);
    double w = bench_median(with, (size_t)pairs);
    double q = bench_median(ratio, (size_t)pairs);
    printf("%d threads, tasks of %.1f us (%ld iterations), %d pairs of "
           "%.2f s\n",
           THREADS, TASK_US, task_iters, pairs, seconds);
    printf("without tacho %.0f tasks/s, with begin/end %.0f tasks/s, "
           "median ratio %.4f (loss %.2f%%); %llu runs recorded\n",
           b, w, q, (1 - q) * 100, (unsigned long long)recorded);
    bench_result("embed_bare_per_s", b);
    bench_result("embed_tacho_per_s", w);
    bench_result("embed_ratio", q);
    free(bare);
    free(with);
    free(ratio);
    tacho_collector_free(c);
    return 0;
}
