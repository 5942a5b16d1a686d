/*
 * Private: the sliding window.
 *
 * The window is cut into TACHO__WINDOW_SLOTS slots. Each pipeline has a
 * running total (every run in the kept slots plus the current, partial
 * slot) and the current slot's own accumulator, both with a dense
 * histogram. A tick moves each current accumulator into a ring of full
 * slots, stored sparse (only non-zero buckets), and subtracts the slot
 * leaving the window from the running totals. So the running totals are
 * exact counts of the runs in the last 59 to 60 slots.
 */
#ifndef TACHO_WINDOW_H
#define TACHO_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "shard.h"

#define TACHO__WINDOW_SLOTS 60

typedef struct tacho__wsums {
    uint64_t succeeded;
    uint64_t failed;
    uint64_t sum;
} tacho__wsums_t;

/* One pipeline's window state. */
typedef struct tacho__wpipe {
    tacho__wsums_t running;
    tacho__wsums_t current;
    uint64_t running_oct; /* octaves that may be non-zero */
    uint64_t current_oct;
    uint64_t *running_hist; /* [TACHO__HIST_BUCKETS] */
    uint64_t *current_hist;
} tacho__wpipe_t;

/* One pipeline's part of a full slot. */
typedef struct tacho__wslot_pipe {
    uint32_t pipe;
    uint32_t first; /* its buckets: bidx/bcnt[first .. first + n) */
    uint32_t n;
    tacho__wsums_t sums;
} tacho__wslot_pipe_t;

/* A full slot. Its arrays are reused when the slot is recycled, so the
 * steady state does not allocate. */
typedef struct tacho__wslot {
    tacho__wslot_pipe_t *pipes;
    size_t npipes, cap_pipes;
    uint16_t *bidx;
    uint64_t *bcnt;
    size_t nb, cap_b;
} tacho__wslot_t;

typedef struct tacho__window {
    tacho__wslot_t ring[TACHO__WINDOW_SLOTS - 1];
    size_t next;            /* the slot written by the next tick */
    size_t filled;          /* full slots held */
    tacho__wpipe_t **pipes; /* [max], attached as pipelines appear */
    uint32_t max;
} tacho__window_t;

/* Returns 0 or TACHO_ENOMEM. */
int tacho__window_init(tacho__window_t *w, uint32_t max_pipelines);
void tacho__window_destroy(tacho__window_t *w);

/* Allocates a pipeline's histograms. Returns 0 or TACHO_ENOMEM. */
int tacho__wpipe_init(tacho__wpipe_t *wp);
void tacho__wpipe_destroy(tacho__wpipe_t *wp);
/* Makes pipeline `idx` part of the window. */
void tacho__window_attach(tacho__window_t *w, uint32_t idx, tacho__wpipe_t *wp);

/* Adds a merged buffer to the current slot (and the running totals). */
void tacho__wpipe_add(tacho__wpipe_t *wp, const tacho__buf_t *b);

/* Ends the current slot. Returns 0, or TACHO_ENOMEM when the slot's
 * storage could not grow: nothing changes then and the current slot just
 * lasts longer, so no run is lost or counted twice. */
int tacho__window_tick(tacho__window_t *w, uint32_t npipes);

/* Empties the window. */
void tacho__window_reset(tacho__window_t *w, uint32_t npipes);

#endif /* TACHO_WINDOW_H */
