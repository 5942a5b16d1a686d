/*
 * bench_serve: a host serving N pipelines for the scrape benchmark
 * (tests/bench/scrape.sh): libtacho with the real prometheus and http_json
 * sinks on loopback, as tacho-worker runs them, with N pipelines of 64
 * recorded runs each (the same data as bench_render).
 *
 *   bench_serve PIPELINES PROMETHEUS_PORT JSON_PORT
 *
 * Prints "ready RSS_KIB_BEFORE RSS_KIB_AFTER" once serving (resident size
 * after the host started, and after the pipelines were recorded and one
 * snapshot taken), then serves until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/tacho.h>

#include "bench_util.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = atol(line + 6);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kib;
}

static void record_pipelines(tacho_collector_t *c, long n)
{
    for (long i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "pipeline-%04ld", i);
        tacho_pipeline_t *p = tacho_pipeline_get(c, name);
        uint64_t d = 1000000 + (uint64_t)i * 7919;
        for (int k = 0; k < 64; k++) {
            tacho_pipeline_record(p, d, k % 10 != 0);
            d = d * 5 / 4 % 30000000000ull + 1000000;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 || atol(argv[1]) < 0) {
        fprintf(stderr, "usage: bench_serve PIPELINES PROMETHEUS_PORT "
                        "JSON_PORT\n");
        return 2;
    }
    long n = atol(argv[1]);
    char config[1024];
    snprintf(config, sizeof config,
             "tacho = { worker = \"bench\"; interval = 3600.0;\n"
             "          max_pipelines = %ld; };\n"
             "sinks = (\n"
             "  { plugin = \"prometheus\"; listen = \"127.0.0.1:%s\"; },\n"
             "  { plugin = \"http_json\"; listen = \"127.0.0.1:%s\"; }\n"
             ");\n",
             n + 1 > 256 ? n + 1 : 256, argv[2], argv[3]);
    /* The sinks' threads inherit this mask, so the signals reach sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    tacho_host_t *h = NULL;
    tacho_error_t err;
    if (tacho_host_open_string(config, &h, &err) != 0 ||
        tacho_host_start(h, &err) != 0) {
        fprintf(stderr, "bench_serve: %s\n", err.text);
        tacho_host_close(h);
        return 1;
    }
    long before = rss_kib();
    tacho_collector_t *c = tacho_host_collector(h);
    record_pipelines(c, n);
    tacho_snapshot_t *s = NULL;
    if (tacho_snapshot_take(c, &s) == 0) {
        tacho_snapshot_free(s);
    }
    printf("ready %ld %ld\n", before, rss_kib());
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    tacho_host_close(h);
    return 0;
}
