/*
 * Private: the host's body, shared by core/host.c and core/signals.c.
 */
#ifndef TACHO_HOST_INTERNAL_H
#define TACHO_HOST_INTERNAL_H

#include <tacho/host.h>

#include "dispatcher.h"

/* The signal watcher started by tacho_host_watch_signals(). */
typedef struct tacho__signal_watch tacho__signal_watch_t;

struct tacho_host {
    tacho_collector_t *collector;
    tacho__dispatcher_t *dispatcher;
    char *worker_id;
    double interval; /* seconds, after METRICS_INTERVAL */
    double grace;    /* seconds */
    bool started;
    tacho__signal_watch_t *signals; /* NULL unless watching */
};

/* Ends the watcher thread and frees it (core/signals.c). Accepts NULL. */
void tacho__signals_stop(tacho__signal_watch_t *w);

#endif /* TACHO_HOST_INTERNAL_H */
