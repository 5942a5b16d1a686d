/*
 * tacho: the host, for programs that run jobs and for embedding.
 *
 * A host owns a collector, loads the sinks its config names and, once
 * started, fans a snapshot out to every sink at each interval (each sink on
 * its own thread, fed by a latest-snapshot mailbox). Record runs through
 * tacho_host_collector(). Signals stay the program's business: nothing here
 * installs a handler unless asked with tacho_host_watch_signals().
 */
#ifndef TACHO_HOST_H
#define TACHO_HOST_H

#include <tacho/collector.h>
#include <tacho/common.h>
#include <tacho/config.h>
#include <tacho/snapshot.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tacho_host tacho_host_t;

/* Environment variable overriding the interval, in milliseconds (as in the
 * replaced system). */
#define TACHO_ENV_METRICS_INTERVAL "METRICS_INTERVAL"
/* Extra plugin directories, ':'-separated, searched after plugin_path. */
#define TACHO_ENV_PLUGIN_PATH "TACHO_PLUGIN_PATH"

/*
 * Opens a host from a loaded config (NULL: defaults, no sinks): creates the
 * collector, loads each sink, validates its options and calls its create().
 * Nothing is started, bound or opened yet.
 * Returns 0; TACHO_ECONFIG (bad sink group), TACHO_ENOENT (plugin not
 * found), TACHO_EPLUGIN, TACHO_EABI, TACHO_ESINK (create failed), or
 * TACHO_ENOMEM. `each` (may be NULL) receives every problem; `err` the first.
 * On failure `*out` is NULL and nothing is left behind.
 * Ownership: borrows `cfg` for the call only; `*out` is the caller's, close
 * it with tacho_host_close(). Thread-safety: the control thread.
 */
TACHO_EXTERN int tacho_host_open(const tacho_config_t *cfg, tacho_host_t **out,
                                 tacho_error_fn each, void *arg,
                                 tacho_error_t *err);
/* Loads `path` and opens a host from it. */
TACHO_EXTERN int tacho_host_open_file(const char *path, tacho_host_t **out,
                                      tacho_error_t *err);
/* Loads config text and opens a host from it. */
TACHO_EXTERN int tacho_host_open_string(const char *text, tacho_host_t **out,
                                        tacho_error_t *err);

/*
 * Starts every sink (binding ports, opening files) and the dispatcher.
 * A sink whose start fails stops the whole start (the started ones are
 * stopped again) unless its config says `optional = true`; then it is
 * logged and shown as down in sink health.
 * Returns 0, TACHO_EBUSY (already started), TACHO_ESINK or TACHO_ENOMEM.
 * Thread-safety: the control thread.
 */
TACHO_EXTERN int tacho_host_start(tacho_host_t *h, tacho_error_t *err);

/* The host's collector: record into it from any thread. Owned by the host. */
TACHO_EXTERN tacho_collector_t *tacho_host_collector(tacho_host_t *h);

/* A snapshot with sink health included. Same contract as
 * tacho_snapshot_take(). Thread-safety: any thread. */
TACHO_EXTERN int tacho_host_snapshot(tacho_host_t *h, tacho_snapshot_t **out);

/* Delivers a snapshot to every sink now, off schedule; like
 * tacho_snapshot_take(), it holds every record whose call has returned.
 * Any thread. */
TACHO_EXTERN int tacho_host_report_now(tacho_host_t *h);

/* Asks every sink to reopen its files (what SIGHUP does). Any thread;
 * the reopen runs on each sink's own thread. */
TACHO_EXTERN int tacho_host_reopen(tacho_host_t *h);

/* The reporting interval in seconds, after the environment override. */
TACHO_EXTERN double tacho_host_interval(const tacho_host_t *h);
/* Number of sink instances, and the i-th one's instance name. */
TACHO_EXTERN size_t tacho_host_sink_count(const tacho_host_t *h);
TACHO_EXTERN const char *tacho_host_sink_name(const tacho_host_t *h, size_t i);

/*
 * Stops the dispatcher, delivers one final snapshot to every sink (each
 * within the grace period, `tacho.shutdown_grace`), then stops and destroys
 * the sinks in reverse order and frees everything. Accepts NULL.
 * Thread-safety: the control thread; no thread may record afterwards.
 */
TACHO_EXTERN void tacho_host_close(tacho_host_t *h);

/*
 * Optional signal helper for the common case. Blocks SIGINT, SIGTERM and
 * SIGHUP in the calling thread (call it before creating other threads, so
 * they inherit the mask) and starts a thread that waits for them: SIGHUP
 * calls tacho_host_reopen(); SIGINT/SIGTERM call `on_stop(arg)` (once per
 * signal). tacho_host_close() ends the thread. Returns 0, TACHO_EBUSY or
 * TACHO_ENOMEM.
 */
TACHO_EXTERN int tacho_host_watch_signals(tacho_host_t *h,
                                          void (*on_stop)(void *arg),
                                          void *arg, tacho_error_t *err);

/*
 * Validates a whole config without running anything: syntax, keys, types,
 * plugins found and loadable, each sink's create() (which parses addresses
 * and paths; nothing is bound). Every problem goes to `each`. Returns 0 when
 * the config is good, else the first problem's code.
 */
TACHO_EXTERN int tacho_host_check_file(const char *path, tacho_error_fn each,
                                       void *arg);

/* One sink found on the search path. Strings are borrowed for the call. */
typedef struct tacho_sink_info {
    const char *name;
    const char *path;        /* the shared object */
    const char *description; /* "" when it could not be loaded */
    const char *version;
    unsigned abi_major, abi_minor;
    const char *problem; /* NULL when usable, else why not */
    /* The sink's option table (NULL-name terminated; NULL when none or when
     * it could not be loaded), for generating docs. */
    const struct tacho_option_spec *options;
} tacho_sink_info_t;

/* Lists every `tacho_sink_*.so` on the search path (cfg's plugin_path, then
 * TACHO_PLUGIN_PATH, the build tree, the install dir; cfg may be NULL), each
 * once (the first found wins, as the loader would pick it). */
TACHO_EXTERN int tacho_host_list_sinks(const tacho_config_t *cfg,
                                       void (*fn)(void *arg,
                                                  const tacho_sink_info_t *info),
                                       void *arg);

/* ---- a process-wide default host, for the simple case ----------------- */

/* Opens the default host (config file, or NULL for no sinks). Returns 0,
 * TACHO_EBUSY if already open, or what tacho_host_open_file() returns. */
TACHO_EXTERN int tacho_default_open(const char *config_path, tacho_error_t *err);
/* recordRun: records into the default host; TACHO_EINVAL if none is open. */
TACHO_EXTERN int tacho_record_run(const char *pipeline, uint64_t duration_ns,
                                  bool ok);
/* getMetrics: a snapshot of the default host; free with
 * tacho_snapshot_free(). */
TACHO_EXTERN int tacho_get_metrics(tacho_snapshot_t **out);
/* startMetricsReporting: starts the default host's sinks and dispatcher. */
TACHO_EXTERN int tacho_start_metrics_reporting(tacho_error_t *err);
/* Closes the default host (final snapshot to every sink). */
TACHO_EXTERN void tacho_default_close(void);
/* The default host, or NULL. */
TACHO_EXTERN tacho_host_t *tacho_default_host(void);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_HOST_H */
