/*
 * tacho: JSON renderings of a snapshot (json-c inside, plain text outside).
 *
 * Two shapes: the tacho schema, version 1 (docs/schema/tacho-snapshot-v1.json,
 * documented in docs/METRICS.md), and the exact fields of the replaced
 * system's `worker.metrics` endpoint, for drop-in clients.
 */
#ifndef TACHO_JSON_H
#define TACHO_JSON_H

#include <tacho/common.h>
#include <tacho/snapshot.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TACHO_JSON_SCHEMA_VERSION 1

/* Flags for the render functions. */
#define TACHO_JSON_PRETTY 0x1u        /* indented, for people */
#define TACHO_JSON_NO_RECENT 0x2u     /* leave out `recent` (the key too) */
#define TACHO_JSON_TRPC_ENVELOPE 0x4u /* legacy only: {"result":{"data":...}} */

/*
 * Renders `s` in the tacho schema v1.
 * On success returns 0 and stores a NUL-terminated text in `*out` (and its
 * length in `*len` when `len` is not NULL). Returns TACHO_ENOMEM on failure,
 * or TACHO_EINVAL when `s` or `out` is NULL, with `*out` set to NULL (when
 * `out` is not NULL). Strings are rendered as valid UTF-8 (a bad byte
 * becomes U+FFFD); values without meaning are null, never NaN.
 * Ownership: borrows `s`; `*out` is the caller's, free it with tacho_free().
 * Thread-safety: any thread.
 */
TACHO_EXTERN int tacho_json_render(const tacho_snapshot_t *s, unsigned flags,
                                   char **out, size_t *len);

/*
 * Renders the replaced system's `worker.metrics` fields: uptime (text),
 * uptimeSeconds, totalRuns, successRate and errorRate (percent),
 * runsPerHour, avg/min/maxExecutionTime (milliseconds), succeeded, failed,
 * workerStartTime, lastRunTime, timestamp. Same contract as
 * tacho_json_render().
 */
TACHO_EXTERN int tacho_json_render_legacy(const tacho_snapshot_t *s,
                                          unsigned flags, char **out,
                                          size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_JSON_H */
