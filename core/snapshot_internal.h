/*
 * Private: how the host attaches sink health to a snapshot taken from its
 * collector (core/snapshot.c implements it, core/dispatcher.c calls it).
 */
#ifndef TACHO_SNAPSHOT_INTERNAL_H
#define TACHO_SNAPSHOT_INTERNAL_H

#include <tacho/snapshot.h>

/* Health of one sink instance at the moment of a snapshot. Strings are
 * borrowed by the call and copied into the snapshot. */
typedef struct tacho__sink_health {
    const char *name;
    const char *plugin;
    uint64_t writes;
    uint64_t errors;
    uint64_t retries;
    uint64_t skipped;
    uint64_t last_write_duration_ns;
    int64_t last_success_ns;
    const char *last_error; /* "" if none */
    bool busy;
    bool up;
} tacho__sink_health_t;

/* Replaces the snapshot's sink list with copies of `health[0..n)`.
 * Returns 0 or TACHO_ENOMEM (the snapshot is then unchanged). Only the
 * snapshot's creator may call it, before sharing the snapshot. */
int tacho__snapshot_set_sinks(tacho_snapshot_t *s,
                              const tacho__sink_health_t *health, size_t n);

#endif /* TACHO_SNAPSHOT_INTERNAL_H */
