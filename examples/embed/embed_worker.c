/*
 * embed_worker: tacho embedded in a program that runs its own jobs.
 *
 *   embed_worker N [CONFIG]
 *
 * A pool of 4 threads processes items 1..N. Even items are "resize" jobs,
 * odd ones "upload" jobs; every 7th item fails, on purpose and
 * deterministically. Each item is timed with tacho_run_begin() and
 * tacho_run_end() into the host's collector, from whichever thread ran it.
 * The host comes from CONFIG (its sinks report as usual) or, without one,
 * has no sinks at all.
 *
 * At the end it prints a summary from a snapshot and checks the snapshot's
 * counts against what it knows it did; it exits 0 only if they match.
 * docs/EMBEDDING.md explains the API used here.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep() under -std=c11 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <tacho/tacho.h>

#define THREADS 4
#define FAIL_EVERY 7

typedef struct pool {
    tacho_pipeline_t *resize, *upload;
    unsigned long items;
    atomic_ulong next; /* the next item to take, from 1 */
} pool_t;

/* The "work": a short pause that depends on the item, and a result. */
static bool process_item(unsigned long item)
{
    struct timespec pause = {0, (long)(20000 + (item % 10) * 10000)};
    nanosleep(&pause, NULL);
    return item % FAIL_EVERY != 0;
}

static void *pool_thread(void *arg)
{
    pool_t *p = arg;
    for (;;) {
        unsigned long item = atomic_fetch_add(&p->next, 1);
        if (item > p->items) {
            return NULL;
        }
        tacho_pipeline_t *pl = item % 2 == 0 ? p->resize : p->upload;
        tacho_run_t run = tacho_run_begin(pl);
        bool ok = process_item(item);
        tacho_run_end(run, ok);
    }
}

/* Runs the pool over items 1..n. */
static int run_pool(tacho_host_t *host, unsigned long n)
{
    tacho_collector_t *c = tacho_host_collector(host);
    pool_t p = {tacho_pipeline_get(c, "resize"),
                tacho_pipeline_get(c, "upload"), n, 1};
    if (p.resize == NULL || p.upload == NULL) {
        fprintf(stderr, "embed_worker: out of memory\n");
        return -1;
    }
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, pool_thread, &p) != 0) {
            fprintf(stderr, "embed_worker: cannot start a thread\n");
            return -1;
        }
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    return 0;
}

/* What one pipeline should show after items 1..n. */
typedef struct expect {
    unsigned long runs, failed;
} expect_t;

static expect_t expected(unsigned long n, unsigned parity)
{
    expect_t e = {0, 0};
    for (unsigned long item = 1; item <= n; item++) {
        if (item % 2 == parity) {
            e.runs++;
            e.failed += item % FAIL_EVERY == 0;
        }
    }
    return e;
}

/* Prints one line of the summary and says whether it matches. */
static bool check(const char *name, const tacho_stats_t *st, expect_t want)
{
    unsigned long runs = st ? tacho_stats_runs(st, TACHO_SCOPE_LIFETIME) : 0;
    unsigned long failed =
        st ? tacho_stats_failed(st, TACHO_SCOPE_LIFETIME) : 0;
    double avg = 0, p95 = 0;
    if (st != NULL) {
        tacho_stats_avg_ns(st, TACHO_SCOPE_LIFETIME, &avg);
        tacho_stats_quantile_ns(st, TACHO_SCOPE_LIFETIME, 0.95, &p95);
    }
    bool ok = runs == want.runs && failed == want.failed;
    printf("%-8s runs %lu (expected %lu), failed %lu (expected %lu), "
           "avg %.3f ms, p95 %.3f ms: %s\n",
           name, runs, want.runs, failed, want.failed, avg / 1e6, p95 / 1e6,
           ok ? "ok" : "MISMATCH");
    return ok;
}

static int summary(tacho_host_t *host, unsigned long n)
{
    tacho_snapshot_t *snap = NULL;
    if (tacho_host_snapshot(host, &snap) != 0) {
        fprintf(stderr, "embed_worker: cannot take a snapshot\n");
        return 1;
    }
    expect_t all = {n, n / FAIL_EVERY};
    bool ok = check("all", tacho_snapshot_total(snap), all);
    ok = check("resize", tacho_snapshot_find(snap, "resize"), expected(n, 0)) &&
         ok;
    ok = check("upload", tacho_snapshot_find(snap, "upload"), expected(n, 1)) &&
         ok;
    tacho_snapshot_free(snap);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long n = argc > 1 ? strtoul(argv[1], &end, 10) : 0;
    if (argc < 2 || argc > 3 || *end != '\0' || n == 0) {
        fprintf(stderr, "usage: embed_worker N [CONFIG]\n");
        return 64;
    }
    tacho_log_set_handler(tacho_log_stderr_handler, NULL);
    tacho_host_t *host = NULL;
    tacho_error_t err;
    int rc = argc == 3 ? tacho_host_open_file(argv[2], &host, &err)
                       : tacho_host_open(NULL, &host, NULL, NULL, &err);
    if (rc == 0) {
        rc = tacho_host_start(host, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "embed_worker: %s\n", err.text);
        tacho_host_close(host);
        return 78;
    }
    int status = run_pool(host, n) == 0 ? summary(host, n) : 1;
    /* Closing delivers a final snapshot, with every item, to each sink. */
    tacho_host_close(host);
    return status;
}
