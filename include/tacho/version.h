/*
 * tacho: library version and sink ABI version.
 */
#ifndef TACHO_VERSION_H
#define TACHO_VERSION_H

#include <tacho/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version; the shared object's SONAME carries the major. */
#define TACHO_VERSION_MAJOR 1
#define TACHO_VERSION_MINOR 0
#define TACHO_VERSION_PATCH 0
#define TACHO_VERSION_STRING "1.0.0"
#define TACHO_VERSION_HEX                                                      \
    ((TACHO_VERSION_MAJOR << 16) | (TACHO_VERSION_MINOR << 8) |               \
     TACHO_VERSION_PATCH)

/*
 * The sink plugin ABI (see sink.h). A loader accepts a sink whose major
 * equals its own; the minor only grows, each step adding fields at the end
 * of the descriptor.
 */
#define TACHO_SINK_ABI_MAJOR 1
#define TACHO_SINK_ABI_MINOR 0
#define TACHO_SINK_ABI_VERSION                                                 \
    ((uint32_t)((TACHO_SINK_ABI_MAJOR << 16) | TACHO_SINK_ABI_MINOR))

/* The version of the library actually loaded, as TACHO_VERSION_HEX. */
TACHO_EXTERN unsigned tacho_version(void);
/* Static text, for example "1.0.0". */
TACHO_EXTERN const char *tacho_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_VERSION_H */
