/*
 * bench_render: what a scrape costs before the network, at 1, 100 and 1000
 * pipelines: taking a snapshot, rendering it as Prometheus text (the
 * prometheus sink's own renderer, with its scratch kept between renders as
 * the sink keeps it) and as JSON (tacho_json_render, as /metrics.json
 * serves it). The baseline, measured in the same run, is plain snprintf of
 * as many lines as the Prometheus text has, into a buffer kept between
 * runs. Times are the thread's CPU time (the machine is shared).
 *
 *   bench_render [-r REPEATS] [-n PIPELINES]
 *
 * prints the table and the @ result lines (run.sh); -n measures that one
 * size only, for a profiler (callgrind) to count one render's cost.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/json.h>
#include <tacho/tacho.h>

#include "bench_util.h"
#include "prometheus.h"

static int repeats = 31;

/* A collector with `n` pipelines that each recorded runs spread over
 * 1 ms .. 30 s, some failed, so every family has values. */
static tacho_collector_t *make_collector(size_t n)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.max_pipelines = (uint32_t)n + 1;
    o.worker_id = "bench";
    tacho_collector_t *c = NULL;
    tacho_error_t err;
    if (tacho_collector_create(&o, &c, &err) != 0) {
        fprintf(stderr, "bench_render: %s\n", err.text);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "pipeline-%04zu", i);
        tacho_pipeline_t *p = tacho_pipeline_get(c, name);
        uint64_t d = 1000000 + i * 7919;
        for (int k = 0; k < 64; k++) {
            tacho_pipeline_record(p, d, k % 10 != 0);
            d = d * 5 / 4 % 30000000000ull + 1000000;
        }
    }
    return c;
}

/* The baseline: `lines` lines shaped like Prometheus samples. */
static size_t plain_snprintf(char *buf, size_t cap, size_t lines, size_t pipes)
{
    size_t len = 0;
    for (size_t i = 0; i < lines; i++) {
        int w = snprintf(buf + len, cap - len,
                         "tacho_runs_total{worker=\"bench\",pipeline=\""
                         "pipeline-%04zu\"} %" PRIu64 "\n",
                         i % (pipes == 0 ? 1 : pipes), (uint64_t)i * 7919);
        len += (size_t)w;
    }
    return len;
}

typedef struct figures {
    double take_us, prom_us, json_us, plain_us;
    size_t lines, prom_bytes, json_bytes;
} figures_t;

static size_t count_lines(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += s[i] == '\n';
    }
    return k;
}

static void measure(size_t n, figures_t *f)
{
    tacho_collector_t *c = make_collector(n);
    tacho__prom_format_t fmt = {"tacho_", "", false};
    tacho__prom_scratch_t scratch = {0};
    tacho__http_buf_t out = {0};
    double *take = calloc((size_t)repeats, sizeof(double));
    double *prom = calloc((size_t)repeats, sizeof(double));
    double *json = calloc((size_t)repeats, sizeof(double));
    double *plain = calloc((size_t)repeats, sizeof(double));
    char *buf = NULL;
    size_t cap = 0;
    for (int r = 0; r < repeats; r++) {
        tacho_snapshot_t *s = NULL;
        double t0 = bench_thread_cpu_s();
        if (tacho_snapshot_take(c, &s) != 0) {
            fprintf(stderr, "bench_render: snapshot failed\n");
            exit(1);
        }
        double t1 = bench_thread_cpu_s();
        tacho__http_buf_reset(&out);
        tacho__prom_render(s, &fmt, &scratch, &out);
        double t2 = bench_thread_cpu_s();
        char *text = NULL;
        size_t len = 0;
        if (out.failed || tacho_json_render(s, 0, &text, &len) != 0) {
            fprintf(stderr, "bench_render: render failed\n");
            exit(1);
        }
        tacho_free(text);
        double t3 = bench_thread_cpu_s();
        f->lines = count_lines(out.data, out.len);
        f->prom_bytes = out.len;
        f->json_bytes = len;
        if (cap < out.len * 2) {
            cap = out.len * 2;
            buf = realloc(buf, cap);
        }
        double t4 = bench_thread_cpu_s();
        plain_snprintf(buf, cap, f->lines, n);
        double t5 = bench_thread_cpu_s();
        tacho_snapshot_free(s);
        take[r] = (t1 - t0) * 1e6;
        prom[r] = (t2 - t1) * 1e6;
        json[r] = (t3 - t2) * 1e6;
        plain[r] = (t5 - t4) * 1e6;
    }
    f->take_us = bench_median(take, (size_t)repeats);
    f->prom_us = bench_median(prom, (size_t)repeats);
    f->json_us = bench_median(json, (size_t)repeats);
    f->plain_us = bench_median(plain, (size_t)repeats);
    free(take);
    free(prom);
    free(json);
    free(plain);
    free(buf);
    tacho__http_buf_free(&out);
    tacho__prom_scratch_free(&scratch);
    tacho_collector_free(c);
}

int main(int argc, char **argv)
{
    size_t sizes[] = {1, 100, 1000};
    size_t nsizes = sizeof sizes / sizeof sizes[0];
    for (int a = 1; a < argc; a += 2) {
        int v = a + 1 < argc ? atoi(argv[a + 1]) : 0;
        if (strcmp(argv[a], "-r") == 0 && v > 0) {
            repeats = v;
        } else if (strcmp(argv[a], "-n") == 0 && v > 0) {
            sizes[0] = (size_t)v;
            nsizes = 1;
        } else {
            fprintf(stderr,
                    "usage: bench_render [-r REPEATS] [-n PIPELINES]\n");
            return 2;
        }
    }
    printf("%-10s %8s %10s %10s %10s %12s %10s %10s\n", "pipelines", "lines",
           "take us", "prom us", "json us", "snprintf us", "prom KiB",
           "json KiB");
    for (size_t i = 0; i < nsizes; i++) {
        figures_t f;
        measure(sizes[i], &f);
        printf("%-10zu %8zu %10.1f %10.1f %10.1f %12.1f %10.1f %10.1f\n",
               sizes[i], f.lines, f.take_us, f.prom_us, f.json_us, f.plain_us,
               (double)f.prom_bytes / 1024, (double)f.json_bytes / 1024);
        char id[64];
        snprintf(id, sizeof id, "render_take_%zu_us", sizes[i]);
        bench_result(id, f.take_us);
        snprintf(id, sizeof id, "render_prom_%zu_us", sizes[i]);
        bench_result(id, f.prom_us);
        snprintf(id, sizeof id, "render_json_%zu_us", sizes[i]);
        bench_result(id, f.json_us);
        snprintf(id, sizeof id, "render_snprintf_%zu_us", sizes[i]);
        bench_result(id, f.plain_us);
        snprintf(id, sizeof id, "render_lines_%zu", sizes[i]);
        bench_result(id, (double)f.lines);
    }
    return 0;
}
