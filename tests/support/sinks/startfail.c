/*
 * Test sink `startfail`: start() fails with `message`. With `path` set it
 * appends each lifecycle call, so a test can see that destroy still runs
 * and stop does not.
 */
#include <stdio.h>

#include <tacho/tacho.h>

typedef struct startfail {
    char *message;
    char *path;
} startfail_t;

static void note(const startfail_t *s, const char *what)
{
    FILE *f = s->path != NULL ? fopen(s->path, "a") : NULL;
    if (f != NULL) {
        fprintf(f, "%s\n", what);
        fclose(f);
    }
}

static int sf_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                     void **state, tacho_error_t *err)
{
    (void)ctx;
    startfail_t *s = tacho_calloc(1, sizeof *s);
    const char *path = tacho_options_string(opts, "path");
    if (s == NULL ||
        (s->message = tacho_strdup(tacho_options_string(opts, "message"))) ==
            NULL ||
        (path != NULL && (s->path = tacho_strdup(path)) == NULL)) {
        if (s != NULL) {
            tacho_free(s->message);
        }
        tacho_free(s);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    *state = s;
    note(s, "create");
    return 0;
}

static int sf_start(void *state, tacho_error_t *err)
{
    startfail_t *s = state;
    note(s, "start");
    return tacho_error_set(err, TACHO_EADDRINUSE, "%s", s->message);
}

static tacho_sink_result_t sf_write(void *state, const tacho_snapshot_t *snap)
{
    (void)snap;
    note(state, "write");
    return TACHO_SINK_OK;
}

static void sf_stop(void *state)
{
    note(state, "stop");
}

static void sf_destroy(void *state)
{
    startfail_t *s = state;
    note(s, "destroy");
    tacho_free(s->message);
    tacho_free(s->path);
    tacho_free(s);
}

static const tacho_option_spec_t options[] = {
    {"message", TACHO_OPT_STRING, "\"cannot bind 192.0.2.1:9\"",
     "the error start() reports", false},
    {"path", TACHO_OPT_STRING, NULL, "where lifecycle calls are noted", false},
    {NULL, 0, NULL, NULL, false}};

TACHO_SINK_DEFINE(startfail) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "startfail",
    .options = options,
    .create = sf_create,
    .start = sf_start,
    .write = sf_write,
    .stop = sf_stop,
    .destroy = sf_destroy,
};
