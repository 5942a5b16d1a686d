/* Test sink `badabi`: claims ABI 2.0, which this tacho does not speak. */
#include "lifecycle_common.h"

TACHO_SINK_DEFINE(badabi) = {
    .abi_version = (2u << 16) | 0u,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "badabi",
    .create = plain_create,
    .write = plain_write,
    .destroy = plain_destroy,
};
