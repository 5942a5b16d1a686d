/* Test sink `badoptions`: its option table declares the host's own key
 * `name`, which a sink may not. */
#include "lifecycle_common.h"

static const tacho_option_spec_t options[] = {
    {"name", TACHO_OPT_STRING, NULL, "clashes with the host key", false},
    {NULL, 0, NULL, NULL, false}};

TACHO_SINK_DEFINE(badoptions) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "badoptions",
    .options = options,
    .create = plain_create,
    .write = plain_write,
    .destroy = plain_destroy,
};
