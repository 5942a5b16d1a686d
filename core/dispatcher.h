/*
 * Private: the dispatcher runs a host's sink instances.
 *
 * Each started sink instance has its own thread, fed by a one-slot mailbox
 * holding the newest snapshot (plus a reopen flag). A scheduler thread takes
 * one snapshot per interval, on absolute CLOCK_MONOTONIC deadlines, and
 * posts it to every mailbox; posting over an untaken snapshot replaces it
 * and counts a skip. Snapshots are shared by reference count and freed by
 * whoever drops the last reference, never while a sink reads one.
 */
#ifndef TACHO_DISPATCHER_H
#define TACHO_DISPATCHER_H

#include <pthread.h>

#include <tacho/collector.h>
#include <tacho/sink.h>

#include "loader.h"

typedef struct tacho__dispatcher tacho__dispatcher_t;
typedef struct tacho__sink tacho__sink_t;

/* The host side of one sink instance, as the plugin sees it
 * (core/sink_ctx.c implements the services). */
struct tacho_sink_ctx {
    pthread_mutex_t guard;           /* guards `dispatcher` */
    tacho__dispatcher_t *dispatcher; /* NULL once the host has let go */
    tacho__sink_t *sink;             /* the instance owning this ctx */
    const char *plugin;              /* borrowed from the sink type */
    char *name;                      /* instance name, owned */
    char *origin;                    /* "sink:<plugin>:<name>", owned */
    char *worker_id;                 /* owned */
    double interval;
};

/* Sets up `ctx` (core/sink_ctx.c). Returns 0 or TACHO_ENOMEM; on failure
 * nothing is left to free. */
int tacho__sink_ctx_init(struct tacho_sink_ctx *ctx, tacho__dispatcher_t *d,
                         tacho__sink_t *sink, const char *plugin,
                         const char *name, const char *worker_id,
                         double interval);
/* Cuts the ctx off from its dispatcher: tacho_sink_snapshot() fails from
 * then on. Waits for a snapshot being taken through it to finish. */
void tacho__sink_ctx_detach(struct tacho_sink_ctx *ctx);
/* Frees what tacho__sink_ctx_init() made. */
void tacho__sink_ctx_fini(struct tacho_sink_ctx *ctx);

/* Keeps `message` as the sink's last error (called by tacho_log() for
 * error-level messages). Thread-safety: any thread. */
void tacho__sink_note_error(tacho__sink_t *sink, const char *message);

/*
 * Creates a dispatcher for `collector` (borrowed; it must outlive the
 * dispatcher). `interval` and `grace` are in seconds.
 * Returns 0 or TACHO_ENOMEM. Free with tacho__dispatcher_free().
 */
int tacho__dispatcher_create(tacho_collector_t *collector,
                             const char *worker_id, double interval,
                             double grace, tacho__dispatcher_t **out,
                             tacho_error_t *err);

/*
 * Adds an instance of `type` named `name` and calls its create() with
 * `opts`. On success the dispatcher owns the type reference; on failure the
 * caller keeps it. A failed create is TACHO_ESINK, naming the sink, with
 * the sink's own message after the place `file`:`line`.
 */
int tacho__dispatcher_add(tacho__dispatcher_t *d,
                          const tacho__sink_type_t *type, const char *name,
                          bool optional, const tacho_options_t *opts,
                          const char *file, int line, tacho_error_t *err);

/*
 * Calls every sink's start() in order, then starts the sink threads and
 * the scheduler. A non-optional sink failing to start stops the sinks
 * started before it and fails with TACHO_ESINK naming it; an optional one
 * is logged and left down. Returns 0, TACHO_EBUSY, TACHO_ESINK or
 * TACHO_ENOMEM.
 */
int tacho__dispatcher_start(tacho__dispatcher_t *d, tacho_error_t *err);

/* A snapshot of the collector with every sink's health attached. With
 * `wait` false it does not wait for a recording thread descheduled inside
 * a record (tacho__snapshot_take_nowait): for scrapes and the interval. */
int tacho__dispatcher_snapshot(tacho__dispatcher_t *d, bool wait,
                               tacho_snapshot_t **out);

/* Posts a snapshot to every running sink now. TACHO_EINVAL if not
 * started, TACHO_ENOMEM. */
int tacho__dispatcher_report_now(tacho__dispatcher_t *d);

/* Asks every running sink to reopen its files on its own thread. */
int tacho__dispatcher_reopen(tacho__dispatcher_t *d);

/*
 * Stops the scheduler, posts a final snapshot to every sink, waits up to
 * the grace period for the sink threads (abandoning a stuck one, which is
 * then leaked on purpose), and stops the sinks in reverse order. Stores the
 * final snapshot's lifetime run count in `*runs` (0 if none was taken).
 * Does nothing if the dispatcher was never started.
 */
void tacho__dispatcher_shutdown(tacho__dispatcher_t *d, uint64_t *runs);

/* Destroys every sink (reverse order), releases the types and frees the
 * dispatcher. Accepts NULL. Call tacho__dispatcher_shutdown() first. */
void tacho__dispatcher_free(tacho__dispatcher_t *d);

/* Number of sink instances and the i-th one's instance name. */
size_t tacho__dispatcher_count(const tacho__dispatcher_t *d);
const char *tacho__dispatcher_sink_name(const tacho__dispatcher_t *d, size_t i);

/* Logs each sink's writes and errors (the shutdown summary). */
void tacho__dispatcher_log_summary(const tacho__dispatcher_t *d);

#endif /* TACHO_DISPATCHER_H */
