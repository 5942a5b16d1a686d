/*
 * Test sink `recorder`: appends one line per event to the file named by its
 * `path` option, so a test can check what it was given, in which order and
 * on which thread. A write line carries the snapshot's figures:
 *   write tid=T seq=N runs=R ok=S failed=F pipelines=P sinks=K
 *         p.<pipeline>=<runs> ... s.<sink>=<writes>,<errors>,<retries>,
 *         <skipped>,<up> ...
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <tacho/tacho.h>

typedef struct recorder {
    tacho_sink_ctx_t *ctx;
    char *path;
    char *log_message;
    bool pull;
    FILE *f;
    unsigned long create_tid;
    unsigned long long seq;
} recorder_t;

static unsigned long tid(void)
{
    return (unsigned long)pthread_self();
}

static int rec_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                      void **state, tacho_error_t *err)
{
    recorder_t *r = tacho_calloc(1, sizeof *r);
    if (r == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    r->ctx = ctx;
    r->path = tacho_strdup(tacho_options_string(opts, "path"));
    const char *msg = tacho_options_string(opts, "log_message");
    r->log_message = msg != NULL ? tacho_strdup(msg) : NULL;
    if (r->path == NULL || (msg != NULL && r->log_message == NULL)) {
        tacho_free(r->path);
        tacho_free(r);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    r->pull = tacho_options_bool(opts, "pull");
    r->create_tid = tid();
    *state = r;
    return 0;
}

static int rec_start(void *state, tacho_error_t *err)
{
    recorder_t *r = state;
    r->f = fopen(r->path, "a");
    if (r->f == NULL) {
        return tacho_error_set(err, TACHO_EIO, "cannot open %s", r->path);
    }
    fprintf(r->f,
            "start tid=%lu create_tid=%lu name=%s worker=%s interval=%g\n",
            tid(), r->create_tid, tacho_sink_instance_name(r->ctx),
            tacho_sink_worker_id(r->ctx), tacho_sink_interval(r->ctx));
    fflush(r->f);
    return 0;
}

static void put_sinks(FILE *f, const tacho_snapshot_t *snap)
{
    for (size_t i = 0; i < tacho_snapshot_sink_count(snap); i++) {
        const tacho_sink_stats_t *ss = tacho_snapshot_sink(snap, i);
        fprintf(f, " s.%s=%llu,%llu,%llu,%llu,%d", tacho_sink_stats_name(ss),
                (unsigned long long)tacho_sink_stats_writes(ss),
                (unsigned long long)tacho_sink_stats_errors(ss),
                (unsigned long long)tacho_sink_stats_retries(ss),
                (unsigned long long)tacho_sink_stats_skipped(ss),
                tacho_sink_stats_up(ss) ? 1 : 0);
    }
}

static void put_pull(recorder_t *r)
{
    tacho_snapshot_t *snap = NULL;
    int rc = tacho_sink_snapshot(r->ctx, &snap);
    fprintf(r->f, "pull rc=%d runs=%llu sinks=%zu\n", rc,
            snap != NULL ? (unsigned long long)tacho_stats_runs(
                               tacho_snapshot_total(snap), TACHO_SCOPE_LIFETIME)
                         : 0ull,
            snap != NULL ? tacho_snapshot_sink_count(snap) : 0);
    tacho_snapshot_free(snap);
}

static tacho_sink_result_t rec_write(void *state, const tacho_snapshot_t *snap)
{
    recorder_t *r = state;
    const tacho_stats_t *t = tacho_snapshot_total(snap);
    fprintf(r->f,
            "write tid=%lu seq=%llu runs=%llu ok=%llu failed=%llu "
            "pipelines=%zu sinks=%zu",
            tid(), ++r->seq,
            (unsigned long long)tacho_stats_runs(t, TACHO_SCOPE_LIFETIME),
            (unsigned long long)tacho_stats_succeeded(t, TACHO_SCOPE_LIFETIME),
            (unsigned long long)tacho_stats_failed(t, TACHO_SCOPE_LIFETIME),
            tacho_snapshot_pipeline_count(snap),
            tacho_snapshot_sink_count(snap));
    for (size_t i = 0; i < tacho_snapshot_pipeline_count(snap); i++) {
        const tacho_stats_t *p = tacho_snapshot_pipeline(snap, i);
        fprintf(r->f, " p.%s=%llu", tacho_stats_name(p),
                (unsigned long long)tacho_stats_runs(p, TACHO_SCOPE_LIFETIME));
    }
    put_sinks(r->f, snap);
    fputc('\n', r->f);
    if (r->pull) {
        put_pull(r);
    }
    fflush(r->f);
    if (r->log_message != NULL) {
        tacho_log(r->ctx, TACHO_LOG_INFO, "%s", r->log_message);
    }
    return TACHO_SINK_OK;
}

static int rec_flush(void *state)
{
    recorder_t *r = state;
    fprintf(r->f, "flush tid=%lu\n", tid());
    return fflush(r->f) == 0 ? 0 : TACHO_EIO;
}

/* Like a log file after rotation: close the old name, open the path anew. */
static int rec_reopen(void *state)
{
    recorder_t *r = state;
    fclose(r->f);
    r->f = fopen(r->path, "a");
    if (r->f == NULL) {
        return TACHO_EIO;
    }
    fprintf(r->f, "reopen tid=%lu\n", tid());
    fflush(r->f);
    return 0;
}

static void rec_stop(void *state)
{
    recorder_t *r = state;
    if (r->f != NULL) {
        fprintf(r->f, "stop tid=%lu\n", tid());
        fclose(r->f);
        r->f = NULL;
    }
}

static void rec_destroy(void *state)
{
    recorder_t *r = state;
    FILE *f = fopen(r->path, "a");
    if (f != NULL) {
        fprintf(f, "destroy tid=%lu\n", tid());
        fclose(f);
    }
    tacho_free(r->log_message);
    tacho_free(r->path);
    tacho_free(r);
}

static const tacho_option_spec_t options[] = {
    {"path", TACHO_OPT_STRING, NULL, "file the events are appended to", true},
    {"log_message", TACHO_OPT_STRING, NULL, "logged at info on each write",
     false},
    {"pull", TACHO_OPT_BOOL, "false",
     "also take a snapshot with tacho_sink_snapshot() on each write", false},
    {NULL, 0, NULL, NULL, false}};

TACHO_SINK_DEFINE(recorder) = {
    TACHO_SINK_ABI_VERSION,
    sizeof(tacho_sink_descriptor_t),
    "recorder",
    "test sink: records every event into a file",
    "1.0-test",
    options,
    rec_create,
    rec_start,
    rec_write,
    rec_flush,
    rec_reopen,
    rec_stop,
    rec_destroy,
};
