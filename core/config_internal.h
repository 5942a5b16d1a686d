/*
 * Private: what core/config.c and core/options.c hand to the host.
 *
 * config.c parses the file and config_check.c checks the `tacho` group and
 * the shape of `sinks` (config_file.h is private to those two);
 * options.c checks one sink's group against that sink's option table and
 * produces the typed tacho_options_t given to create().
 */
#ifndef TACHO_CONFIG_INTERNAL_H
#define TACHO_CONFIG_INTERNAL_H

#include <tacho/config.h>
#include <tacho/sink.h>

/* Defaults of the `tacho` group (docs/CONFIG.md). */
#define TACHO__DEFAULT_INTERVAL 60.0      /* seconds */
#define TACHO__DEFAULT_SHUTDOWN_GRACE 5.0 /* seconds */

/* One entry of the `sinks` list, shape-checked by config_check.c. */
typedef struct tacho__sink_entry {
    const char *plugin;   /* [a-z0-9_]+ (checked), borrowed from the config */
    const char *name;     /* instance name: `name`, else the plugin name */
    bool optional;        /* `optional = true`: may fail at start */
    const tacho_setting_t *group; /* the whole group, for options.c */
    const char *file;     /* where the group is written */
    int line;
} tacho__sink_entry_t;

/* The `tacho` group with defaults applied, plus the sink entries. */
typedef struct tacho__settings {
    const char *worker_id;       /* NULL: the host name */
    double interval;             /* seconds, > 0, before METRICS_INTERVAL */
    uint32_t window_seconds;     /* 60..86400 */
    uint32_t max_pipelines;      /* 1..65536 */
    uint32_t recent_capacity;    /* 1..1000000 */
    uint64_t bucket_bounds_ns[TACHO_MAX_BUCKETS];
    size_t bucket_count;         /* 0: the collector's defaults */
    double shutdown_grace;       /* seconds */
    const char *const *plugin_path; /* borrowed, NULL-terminated; may be empty */
    size_t plugin_path_count;
    const tacho__sink_entry_t *sinks;
    size_t sink_count;
} tacho__settings_t;

/* The parsed settings of a loaded config (or the defaults for NULL, via a
 * static defaults object). Borrowed from the config. */
const tacho__settings_t *tacho__config_settings(const tacho_config_t *cfg);

/*
 * Checks `entry`'s group against `spec` (NULL-name terminated; NULL means no
 * options) and builds the typed values: an unknown key, a missing required
 * key or a wrong type is TACHO_ECONFIG with file:line, naming the sink
 * ("sink 'csv' (plugin csv)") and, for an unknown key, listing the valid
 * keys. The host keys `plugin`, `name` and `optional` are always allowed.
 * Every problem goes to `each` (may be NULL); `err` gets the first.
 * Ownership: `*out` is the caller's, free with tacho__options_free(); it
 * copies everything it needs, so it may outlive the config.
 */
int tacho__options_build(const tacho_option_spec_t *spec,
                         const tacho__sink_entry_t *entry,
                         tacho_options_t **out, tacho_error_fn each, void *arg,
                         tacho_error_t *err);
void tacho__options_free(tacho_options_t *o);

/* Checks a sink's option table itself (names unique, not reserved, types
 * valid, defaults parse to the declared type). Used by the loader, which
 * refuses a sink whose table is broken. */
int tacho__options_check_spec(const char *sink_name,
                              const tacho_option_spec_t *spec,
                              tacho_error_t *err);

/*
 * Problem collection shared by config.c and options.c: every problem goes to
 * `each` (may be NULL) and the first one is copied into `err` (may be NULL)
 * and its code kept in `code` (0 while there is none).
 */
typedef struct tacho__report {
    tacho_error_fn each;
    void *arg;
    tacho_error_t *err;
    int code;
} tacho__report_t;

/* Reports one problem at FILE:LINE (file NULL: "<string>"); returns `code`. */
int tacho__report_at(tacho__report_t *r, int code, const char *file, int line,
                     const char *fmt, ...) TACHO_PRINTF(5, 6);
int tacho__report_vat(tacho__report_t *r, int code, const char *file, int line,
                      const char *fmt, va_list ap) TACHO_PRINTF(5, 0);
/* Reports one problem with no place (file "", line 0). */
int tacho__report(tacho__report_t *r, int code, const char *fmt, ...)
    TACHO_PRINTF(3, 4);

/* "an integer", "a string", "a group" ...: a setting's type for messages. */
const char *tacho__setting_kind(const tacho_setting_t *s);

#endif /* TACHO_CONFIG_INTERNAL_H */
