/*
 * Shared by the small test sinks that only need to exist: a state-less
 * create/write/destroy trio.
 */
#ifndef TACHO_TEST_LIFECYCLE_COMMON_H
#define TACHO_TEST_LIFECYCLE_COMMON_H

#include <tacho/tacho.h>

static int plain_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                        void **state, tacho_error_t *err)
{
    (void)ctx;
    (void)opts;
    (void)err;
    *state = NULL;
    return 0;
}

static tacho_sink_result_t plain_write(void *state,
                                       const tacho_snapshot_t *snap)
{
    (void)state;
    (void)snap;
    return TACHO_SINK_OK;
}

static void plain_destroy(void *state)
{
    (void)state;
}

#endif
