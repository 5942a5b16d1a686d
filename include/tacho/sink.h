/*
 * tacho: the sink plugin ABI, version 1.0.
 *
 * A sink is a shared object `tacho_sink_<name>.so` exporting one const
 * descriptor, `tacho_sink_<name>_descriptor` (use TACHO_SINK_DEFINE). The
 * host loads it with libltdl, checks the descriptor's ABI version and size,
 * validates the sink's config group against its option table, and drives the
 * lifecycle below. docs/PLUGINS.md is the long form, with a complete sink.
 *
 * Lifecycle and threads:
 *   create   control thread   once per configured instance; parse options,
 *                             allocate state, do not bind or open yet
 *   start    control thread   open files, bind sockets, start own threads
 *   write    sink thread      once per delivered snapshot; never concurrent
 *                             with itself, flush or reopen for one instance
 *   flush    sink thread      optional, after write at shutdown
 *   reopen   sink thread      optional, on SIGHUP (log rotation)
 *   stop     control thread   the sink thread has finished; close, join
 *   destroy  control thread   free the state; also after a failed start
 * Each instance has its own sink thread; a slow write delays nothing but the
 * same instance's next write. The ABI only grows at the end: a newer field
 * is read only if the descriptor's abi_version promises it.
 */
#ifndef TACHO_SINK_H
#define TACHO_SINK_H

#include <tacho/common.h>
#include <tacho/log.h>
#include <tacho/snapshot.h>
#include <tacho/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What write() reports. The dispatcher owns retries and backoff. */
typedef enum tacho_sink_result {
    TACHO_SINK_OK = 0,    /* delivered */
    TACHO_SINK_RETRY = 1, /* transient failure: try again with backoff */
    TACHO_SINK_ERROR = 2  /* failed: counted, the snapshot is dropped */
} tacho_sink_result_t;

/* Option types a sink may declare. */
typedef enum tacho_option_type {
    TACHO_OPT_STRING = 1,
    TACHO_OPT_INT = 2,         /* 64-bit integer */
    TACHO_OPT_FLOAT = 3,       /* double; an integer is accepted too */
    TACHO_OPT_BOOL = 4,
    TACHO_OPT_STRING_LIST = 5, /* [ "a", "b" ] */
    TACHO_OPT_FLOAT_LIST = 6,  /* [ 0.1, 1.0 ] */
    TACHO_OPT_STRING_MAP = 7   /* { key = "value"; ... } */
} tacho_option_type_t;

/*
 * One declared option. A sink's table ends with an entry whose name is NULL.
 * `default_value` is written in config syntax ("5", "1.5", "true",
 * "\"text\"", "[0.1, 1.0]", "{}"), or NULL for no default. The keys
 * `plugin`, `name` and `optional` are the host's and may not be declared.
 */
typedef struct tacho_option_spec {
    const char *name;
    tacho_option_type_t type;
    const char *default_value;
    const char *description;
    bool required;
} tacho_option_spec_t;

/* Validated, typed option values handed to create(); valid during create()
 * only, so copy what you keep. */
typedef struct tacho_options tacho_options_t;

/* The host side of one sink instance; valid from create() to destroy(). */
typedef struct tacho_sink_ctx tacho_sink_ctx_t;

/* Accessors. `name` must be declared in the sink's table with the matching
 * type (otherwise: NULL / 0 / false). Strings are borrowed.
 * tacho_options_is_set() is true only when the sink's group writes `name`:
 * a value that came from the table's default does not count. */
TACHO_EXTERN bool tacho_options_is_set(const tacho_options_t *o, const char *name);
TACHO_EXTERN const char *tacho_options_string(const tacho_options_t *o,
                                              const char *name);
TACHO_EXTERN int64_t tacho_options_int(const tacho_options_t *o, const char *name);
TACHO_EXTERN double tacho_options_float(const tacho_options_t *o, const char *name);
TACHO_EXTERN bool tacho_options_bool(const tacho_options_t *o, const char *name);
/* Lists and maps: number of elements, then the i-th. */
TACHO_EXTERN size_t tacho_options_count(const tacho_options_t *o, const char *name);
TACHO_EXTERN const char *tacho_options_list_string(const tacho_options_t *o,
                                                   const char *name, size_t i);
TACHO_EXTERN double tacho_options_list_float(const tacho_options_t *o,
                                             const char *name, size_t i);
TACHO_EXTERN const char *tacho_options_map_key(const tacho_options_t *o,
                                               const char *name, size_t i);
TACHO_EXTERN const char *tacho_options_map_value(const tacho_options_t *o,
                                                 const char *name, size_t i);
/*
 * Where an option was set, for the sink's own checks: copies "FILE" and the
 * line into `err` like tacho_error_set_at() does, with the message. Use it to
 * reject a value that has the right type but a wrong form (a bad address):
 *   return tacho_options_error(opts, "listen", err, TACHO_EINVAL,
 *                              "cannot parse '%s'", v);
 * Falls back to the sink group's place when the option came from a default.
 */
TACHO_EXTERN int tacho_options_error(const tacho_options_t *o, const char *name,
                                     tacho_error_t *err, int code,
                                     const char *fmt, ...) TACHO_PRINTF(5, 6);

/* ---- host services a sink may call ------------------------------------ */

/* Logs through the host; the origin becomes "sink:<plugin>:<instance>".
 * Thread-safety: any thread. */
TACHO_EXTERN void tacho_log(tacho_sink_ctx_t *ctx, tacho_log_level_t level,
                            const char *fmt, ...) TACHO_PRINTF(3, 4);

/* Takes a fresh snapshot now (with sink health), for pull sinks answering a
 * scrape. Like the snapshots write() receives, it does not wait for a
 * recording thread that is descheduled in the middle of a record: that
 * thread's records since the previous snapshot then appear in a later one,
 * whole (counts never go back). Returns 0 or TACHO_ENOMEM. Ownership: free
 * `*out` with tacho_snapshot_free(). Thread-safety: any thread, after
 * start(). */
TACHO_EXTERN int tacho_sink_snapshot(tacho_sink_ctx_t *ctx,
                                     tacho_snapshot_t **out);

/* The worker id; borrowed, valid until destroy(). */
TACHO_EXTERN const char *tacho_sink_worker_id(const tacho_sink_ctx_t *ctx);
/* This instance's name (config `name`, default the plugin name). */
TACHO_EXTERN const char *tacho_sink_instance_name(const tacho_sink_ctx_t *ctx);
/* The reporting interval in seconds. */
TACHO_EXTERN double tacho_sink_interval(const tacho_sink_ctx_t *ctx);

/* ---- the descriptor ----------------------------------------------------- */

/*
 * ABI 1.0. Fields are only ever appended. Callbacks marked optional may be
 * NULL. Every int-returning callback returns 0 or a negative TACHO_E* code
 * and, on failure, explains itself in `err`.
 */
typedef struct tacho_sink_descriptor {
    uint32_t abi_version; /* TACHO_SINK_ABI_VERSION of the headers built with */
    uint32_t struct_size; /* sizeof(tacho_sink_descriptor_t) likewise */
    const char *name;        /* [a-z0-9_]+, equals the file's <name> */
    const char *description; /* one line */
    const char *version;     /* the sink's own version text */
    const tacho_option_spec_t *options; /* NULL-name terminated; may be NULL */

    int (*create)(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                  void **state, tacho_error_t *err);
    int (*start)(void *state, tacho_error_t *err); /* optional */
    tacho_sink_result_t (*write)(void *state, const tacho_snapshot_t *snap);
    int (*flush)(void *state);                     /* optional */
    int (*reopen)(void *state);                    /* optional */
    void (*stop)(void *state);                     /* optional */
    void (*destroy)(void *state);
} tacho_sink_descriptor_t;

/* Defines the exported descriptor of sink `sname` (an identifier), e.g.
 *   TACHO_SINK_DEFINE(statsd) = { TACHO_SINK_ABI_VERSION,
 *       sizeof(tacho_sink_descriptor_t), "statsd", ... };            */
#define TACHO_SINK_DEFINE(sname)                                               \
    TACHO_PLUGIN_EXPORT extern const tacho_sink_descriptor_t                  \
        tacho_sink_##sname##_descriptor;                                       \
    const tacho_sink_descriptor_t tacho_sink_##sname##_descriptor

/*
 * Registers a sink linked into the program, so configs can use it without a
 * shared object. Checked like a loaded one; returns 0, TACHO_EABI,
 * TACHO_EINVAL (bad name) or TACHO_EEXIST. Borrows `d` for the process's
 * life. Thread-safety: call before opening hosts.
 */
TACHO_EXTERN int tacho_sink_register_static(const tacho_sink_descriptor_t *d,
                                            tacho_error_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_SINK_H */
