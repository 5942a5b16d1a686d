/* Test sink `createfail`: create() refuses with its own message. */
#include <tacho/tacho.h>

static int cf_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                     void **state, tacho_error_t *err)
{
    (void)ctx;
    (void)state;
    return tacho_error_set(err, TACHO_EINVAL, "%s",
                           tacho_options_string(opts, "message"));
}

static tacho_sink_result_t cf_write(void *state, const tacho_snapshot_t *snap)
{
    (void)state;
    (void)snap;
    return TACHO_SINK_OK;
}

static void cf_destroy(void *state)
{
    (void)state;
}

static const tacho_option_spec_t options[] = {
    {"message", TACHO_OPT_STRING, "\"cannot parse the address\"",
     "the error create() reports", false},
    {NULL, 0, NULL, NULL, false}};

TACHO_SINK_DEFINE(createfail) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "createfail",
    .options = options,
    .create = cf_create,
    .write = cf_write,
    .destroy = cf_destroy,
};
