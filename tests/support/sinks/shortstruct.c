/* Test sink `shortstruct`: says ABI 1.0 but a descriptor that ends before
 * the write callback. */
#include <stddef.h>

#include "lifecycle_common.h"

TACHO_SINK_DEFINE(shortstruct) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = offsetof(tacho_sink_descriptor_t, write),
    .name = "shortstruct",
    .create = plain_create,
    .write = plain_write,
    .destroy = plain_destroy,
};
