/*
 * Helpers the benchmarks share: a monotonic clock, medians, and the
 * machine-readable result lines that tests/bench/run.sh collects.
 *
 * Every benchmark prints a table for people and, for each figure, a line
 *   @ <id> <value>
 * (value in the unit the id names: _ns, _us, _ms, _per_s, _kib, _ratio).
 * run.sh takes the median of each id over its repetitions and computes the
 * ratios against baselines measured in the same run.
 */
#ifndef TACHO_BENCH_UTIL_H
#define TACHO_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The calling thread's CPU time: on a machine shared with other work,
 * time spent descheduled is not the measured code's cost. */
static inline double bench_thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n); sorts v. */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof v[0], bench_cmp_double);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One result line for run.sh. */
static inline void bench_result(const char *id, double value)
{
    printf("@ %s %.6g\n", id, value);
}

#endif /* TACHO_BENCH_UTIL_H */
