/*
 * Test sink `sleepy`: each write sleeps `seconds` (a stuck or slow sink).
 * With `path` set it appends "begin" when a write starts and, when it ends,
 * "end" plus the result of a tacho_sink_snapshot() call made then (which
 * fails once the host has abandoned the sink).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include <tacho/tacho.h>

typedef struct sleepy {
    tacho_sink_ctx_t *ctx;
    double seconds;
    char *path;
} sleepy_t;

static void note(const sleepy_t *s, const char *what, int rc)
{
    if (s->path == NULL) {
        return;
    }
    FILE *f = fopen(s->path, "a");
    if (f != NULL) {
        fprintf(f, "%s rc=%d\n", what, rc);
        fclose(f);
    }
}

static int sleepy_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                         void **state, tacho_error_t *err)
{
    sleepy_t *s = tacho_calloc(1, sizeof *s);
    if (s == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    s->ctx = ctx;
    s->seconds = tacho_options_float(opts, "seconds");
    const char *path = tacho_options_string(opts, "path");
    if (path != NULL && (s->path = tacho_strdup(path)) == NULL) {
        tacho_free(s);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    *state = s;
    return 0;
}

static tacho_sink_result_t sleepy_write(void *state,
                                        const tacho_snapshot_t *snap)
{
    sleepy_t *s = state;
    (void)snap;
    note(s, "begin", 0);
    struct timespec ts = {
        (time_t)s->seconds,
        (long)((s->seconds - (double)(time_t)s->seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
        continue;
    }
    tacho_snapshot_t *fresh = NULL;
    int rc = tacho_sink_snapshot(s->ctx, &fresh);
    tacho_snapshot_free(fresh);
    note(s, "end", rc);
    return TACHO_SINK_OK;
}

static void sleepy_destroy(void *state)
{
    sleepy_t *s = state;
    tacho_free(s->path);
    tacho_free(s);
}

static const tacho_option_spec_t options[] = {
    {"seconds", TACHO_OPT_FLOAT, "10", "how long each write sleeps", false},
    {"path", TACHO_OPT_STRING, NULL, "where begin/end lines go", false},
    {NULL, 0, NULL, NULL, false}};

TACHO_SINK_DEFINE(sleepy) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "sleepy",
    .description = "test sink: every write sleeps",
    .version = "1.0-test",
    .options = options,
    .create = sleepy_create,
    .write = sleepy_write,
    .destroy = sleepy_destroy,
};
