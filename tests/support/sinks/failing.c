/*
 * Test sink `failing`: write returns `result` ("error", "retry" or
 * "unknown", an out-of-range value) until it has failed `succeed_after`
 * times (-1: forever), logging `message` at error level first when set.
 * reopen and flush return `reopen_code` / `flush_code`.
 */
#include <string.h>

#include <tacho/tacho.h>

typedef struct failing {
    tacho_sink_ctx_t *ctx;
    tacho_sink_result_t result;
    char *message;
    int64_t succeed_after;
    int64_t failures;
    int reopen_code;
    int flush_code;
} failing_t;

static int parse_result(const tacho_options_t *opts, tacho_sink_result_t *out,
                        tacho_error_t *err)
{
    const char *r = tacho_options_string(opts, "result");
    if (strcmp(r, "error") == 0) {
        *out = TACHO_SINK_ERROR;
    } else if (strcmp(r, "retry") == 0) {
        *out = TACHO_SINK_RETRY;
    } else if (strcmp(r, "unknown") == 0) {
        *out = (tacho_sink_result_t)7;
    } else {
        return tacho_options_error(opts, "result", err, TACHO_EINVAL,
                                   "result must be error, retry or unknown, "
                                   "not '%s'",
                                   r);
    }
    return 0;
}

static int failing_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                          void **state, tacho_error_t *err)
{
    tacho_sink_result_t result = TACHO_SINK_ERROR;
    int rc = parse_result(opts, &result, err);
    if (rc != 0) {
        return rc;
    }
    failing_t *f = tacho_calloc(1, sizeof *f);
    if (f == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    const char *msg = tacho_options_string(opts, "message");
    if (msg != NULL && (f->message = tacho_strdup(msg)) == NULL) {
        tacho_free(f);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    f->ctx = ctx;
    f->result = result;
    f->succeed_after = tacho_options_int(opts, "succeed_after");
    f->reopen_code = (int)tacho_options_int(opts, "reopen_code");
    f->flush_code = (int)tacho_options_int(opts, "flush_code");
    *state = f;
    return 0;
}

static tacho_sink_result_t failing_write(void *state,
                                         const tacho_snapshot_t *snap)
{
    failing_t *f = state;
    (void)snap;
    if (f->succeed_after >= 0 && f->failures >= f->succeed_after) {
        return TACHO_SINK_OK;
    }
    f->failures++;
    if (f->message != NULL) {
        tacho_log(f->ctx, TACHO_LOG_ERROR, "%s", f->message);
    }
    return f->result;
}

static int failing_flush(void *state)
{
    return ((failing_t *)state)->flush_code;
}

static int failing_reopen(void *state)
{
    return ((failing_t *)state)->reopen_code;
}

static void failing_destroy(void *state)
{
    failing_t *f = state;
    tacho_free(f->message);
    tacho_free(f);
}

static const tacho_option_spec_t options[] = {
    {"result", TACHO_OPT_STRING, "\"error\"", "error, retry or unknown", false},
    {"message", TACHO_OPT_STRING, NULL, "logged at error level on failure",
     false},
    {"succeed_after", TACHO_OPT_INT, "-1", "failures before writes succeed",
     false},
    {"reopen_code", TACHO_OPT_INT, "0", "what reopen returns", false},
    {"flush_code", TACHO_OPT_INT, "0", "what flush returns", false},
    {NULL, 0, NULL, NULL, false}};

TACHO_SINK_DEFINE(failing) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "failing",
    .description = "test sink: writes fail as configured",
    .version = "1.0-test",
    .options = options,
    .create = failing_create,
    .write = failing_write,
    .flush = failing_flush,
    .reopen = failing_reopen,
    .destroy = failing_destroy,
};
