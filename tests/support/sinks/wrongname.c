/* Test sink `wrongname`: the file and symbol say wrongname, the descriptor
 * says otherwise. */
#include "lifecycle_common.h"

TACHO_SINK_DEFINE(wrongname) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "othername",
    .create = plain_create,
    .write = plain_write,
    .destroy = plain_destroy,
};
