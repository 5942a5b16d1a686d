/*
 * Checking a loaded configuration (docs/CONFIG.md): the top-level keys,
 * the `tacho` group, whose values go into the settings the host reads, and
 * the shape of the `sinks` list. config.c loads the text and calls
 * tacho__config_check().
 *
 * Sink-specific keys are checked later, against each sink's option table,
 * by options.c; the `jobs` and `runner` sections belong to tacho-worker.
 * Checks never stop at the first problem: each is reported and the next
 * key is checked, so --check-config can list them all at once.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"

/* The largest histogram bound accepted: one year, in seconds. */
#define MAX_BUCKET_SECONDS 31536000.0

/* Reports a TACHO_ECONFIG problem at the place of setting `s`. */
TACHO_PRINTF(3, 4)
static void bad(tacho__report_t *r, const config_setting_t *s, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    tacho__report_vat(r, TACHO_ECONFIG, tacho_setting_file(pub(s)),
                      tacho_setting_line(pub(s)), fmt, ap);
    va_end(ap);
}

/* ---- the `tacho` group -------------------------------------------------- */

/* An integer setting within [lo, hi]; `unit` ends the range text. */
static bool check_int_range(tacho__report_t *r, const config_setting_t *s,
                            long long lo, long long hi, const char *unit,
                            uint32_t *out)
{
    int64_t v;
    if (!tacho_setting_int(pub(s), &v)) {
        bad(r, s, "tacho.%s must be an integer, not %s", s->name,
            tacho__setting_kind(pub(s)));
        return false;
    }
    if (v < lo || v > hi) {
        bad(r, s, "tacho.%s must be between %lld and %lld%s, not %lld", s->name,
            lo, hi, unit, (long long)v);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool check_number(tacho__report_t *r, const config_setting_t *s,
                         double *out)
{
    if (!tacho_setting_float(pub(s), out)) {
        bad(r, s, "tacho.%s must be a number, not %s", s->name,
            tacho__setting_kind(pub(s)));
        return false;
    }
    return true;
}

static void check_worker(struct tacho_config *cfg, const config_setting_t *s,
                         tacho__report_t *r)
{
    const char *v;
    if (!tacho_setting_string(pub(s), &v)) {
        bad(r, s, "tacho.worker must be a string, not %s",
            tacho__setting_kind(pub(s)));
        return;
    }
    /* "" means the host name, as for tacho_collector_options_t. */
    cfg->settings.worker_id = v[0] != '\0' ? v : NULL;
}

static void check_interval(struct tacho_config *cfg, const config_setting_t *s,
                           tacho__report_t *r)
{
    double v;
    if (!check_number(r, s, &v)) {
        return;
    }
    if (!(v > 0 && v <= 86400)) {
        bad(r, s,
            "tacho.interval must be > 0 and at most 86400 seconds, "
            "not %g",
            v);
        return;
    }
    cfg->settings.interval = v;
}

static void check_shutdown_grace(struct tacho_config *cfg,
                                 const config_setting_t *s, tacho__report_t *r)
{
    double v;
    if (!check_number(r, s, &v)) {
        return;
    }
    if (!(v >= 0 && v <= 3600)) {
        bad(r, s,
            "tacho.shutdown_grace must be between 0 and 3600 seconds, "
            "not %g",
            v);
        return;
    }
    cfg->settings.shutdown_grace = v;
}

static void check_window(struct tacho_config *cfg, const config_setting_t *s,
                         tacho__report_t *r)
{
    check_int_range(r, s, TACHO_MIN_WINDOW_SECONDS, TACHO_MAX_WINDOW_SECONDS,
                    " seconds", &cfg->settings.window_seconds);
}

static void check_max_pipelines(struct tacho_config *cfg,
                                const config_setting_t *s, tacho__report_t *r)
{
    check_int_range(r, s, 1, TACHO_MAX_MAX_PIPELINES, "",
                    &cfg->settings.max_pipelines);
}

static void check_recent(struct tacho_config *cfg, const config_setting_t *s,
                         tacho__report_t *r)
{
    check_int_range(r, s, 1, TACHO_MAX_RECENT_CAPACITY, "",
                    &cfg->settings.recent_capacity);
}

static bool is_sequence(const config_setting_t *s)
{
    return s->type == CONFIG_TYPE_ARRAY || s->type == CONFIG_TYPE_LIST;
}

/* One bucket bound: a number of seconds, converted to whole nanoseconds. */
static bool bucket_bound(tacho__report_t *r, const config_setting_t *e,
                         unsigned i, uint64_t *ns)
{
    double v;
    if (!tacho_setting_float(pub(e), &v)) {
        bad(r, e, "tacho.buckets[%u] must be a number, not %s", i,
            tacho__setting_kind(pub(e)));
        return false;
    }
    if (!(v * 1e9 >= 1.0 && v <= MAX_BUCKET_SECONDS)) {
        bad(r, e,
            "tacho.buckets[%u] must be between 1e-09 and %.0f seconds, "
            "not %g",
            i, MAX_BUCKET_SECONDS, v);
        return false;
    }
    *ns = (uint64_t)llround(v * 1e9);
    return true;
}

static void check_buckets(struct tacho_config *cfg, const config_setting_t *s,
                          tacho__report_t *r)
{
    if (!is_sequence(s)) {
        bad(r, s, "tacho.buckets must be an array of numbers, not %s",
            tacho__setting_kind(pub(s)));
        return;
    }
    unsigned n = (unsigned)config_setting_length(s);
    if (n == 0 || n > TACHO_MAX_BUCKETS) {
        bad(r, s, "tacho.buckets must hold 1 to %d bounds, not %u",
            TACHO_MAX_BUCKETS, n);
        return;
    }
    bool ok = true;
    uint64_t *b = cfg->settings.bucket_bounds_ns;
    for (unsigned i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, i);
        if (!bucket_bound(r, e, i, &b[i])) {
            ok = false;
        } else if (i > 0 && b[i] <= b[i - 1]) {
            bad(r, e,
                "tacho.buckets must be strictly increasing: "
                "[%u] is not greater than [%u]",
                i, i - 1);
            ok = false;
        }
    }
    cfg->settings.bucket_count = ok ? n : 0;
}

/* Writes the absolute directory of the config file (of the current
 * directory for text) into `buf`, which holds PATH_MAX bytes. */
static bool config_dir(const struct tacho_config *cfg, char *buf)
{
    const char *dir = ".";
    if (cfg->include_dir != NULL) {
        dir = cfg->include_dir;
    }
    return realpath(dir, buf) != NULL;
}

static bool plugin_dir(struct tacho_config *cfg, const config_setting_t *s,
                       unsigned i, const char *base, int base_errno,
                       tacho__report_t *r)
{
    const char *v;
    if (!tacho_setting_string(pub(s), &v)) {
        bad(r, s, "tacho.plugin_path[%u] must be a string, not %s", i,
            tacho__setting_kind(pub(s)));
        return false;
    }
    if (v[0] == '\0') {
        bad(r, s, "tacho.plugin_path[%u] must not be empty", i);
        return false;
    }
    if (v[0] != '/' && base == NULL) {
        bad(r, s,
            "tacho.plugin_path[%u] '%s' is relative, and the directory "
            "it is relative to cannot be resolved: %s",
            i, v, strerror(base_errno));
        return false;
    }
    cfg->plugin_path[i] = tacho__config_join_path(base, v);
    if (cfg->plugin_path[i] == NULL) {
        tacho__config_oom(r);
        return false;
    }
    return true;
}

static void check_plugin_path(struct tacho_config *cfg,
                              const config_setting_t *s, tacho__report_t *r)
{
    if (!is_sequence(s)) {
        bad(r, s, "tacho.plugin_path must be an array of strings, not %s",
            tacho__setting_kind(pub(s)));
        return;
    }
    unsigned n = (unsigned)config_setting_length(s);
    cfg->plugin_path = tacho_calloc(n + 1, sizeof *cfg->plugin_path);
    if (cfg->plugin_path == NULL) {
        tacho__config_oom(r);
        return;
    }
    cfg->plugin_path_count = n;
    char buf[PATH_MAX];
    const char *base = config_dir(cfg, buf) ? buf : NULL;
    int base_errno = base == NULL ? errno : 0;
    for (unsigned i = 0; i < n && r->code != TACHO_ENOMEM; i++) {
        plugin_dir(cfg, config_setting_get_elem(s, i), i, base, base_errno, r);
    }
    cfg->settings.plugin_path = (const char *const *)cfg->plugin_path;
    cfg->settings.plugin_path_count = n;
}

typedef void (*key_check_fn)(struct tacho_config *cfg,
                             const config_setting_t *s, tacho__report_t *r);

static const struct tacho_key {
    const char *name;
    key_check_fn check;
} tacho_keys[] = {
    {"worker", check_worker},
    {"interval", check_interval},
    {"window", check_window},
    {"max_pipelines", check_max_pipelines},
    {"recent", check_recent},
    {"buckets", check_buckets},
    {"plugin_path", check_plugin_path},
    {"shutdown_grace", check_shutdown_grace},
};

#define TACHO_KEY_COUNT (sizeof tacho_keys / sizeof tacho_keys[0])

static void unknown_tacho_key(tacho__report_t *r, const config_setting_t *s)
{
    char valid[256] = "";
    for (size_t k = 0; k < TACHO_KEY_COUNT; k++) {
        size_t used = strlen(valid);
        snprintf(valid + used, sizeof valid - used, "%s%s", k ? ", " : "",
                 tacho_keys[k].name);
    }
    bad(r, s, "unknown key '%s' in tacho (valid keys: %s)", s->name, valid);
}

static void check_tacho(struct tacho_config *cfg, const config_setting_t *g,
                        tacho__report_t *r)
{
    if (g->type != CONFIG_TYPE_GROUP) {
        bad(r, g, "tacho must be a group, not %s", tacho__setting_kind(pub(g)));
        return;
    }
    unsigned n = (unsigned)config_setting_length(g);
    for (unsigned i = 0; i < n && r->code != TACHO_ENOMEM; i++) {
        const config_setting_t *s = config_setting_get_elem(g, i);
        size_t k = 0;
        while (k < TACHO_KEY_COUNT && strcmp(tacho_keys[k].name, s->name)) {
            k++;
        }
        if (k == TACHO_KEY_COUNT) {
            unknown_tacho_key(r, s);
        } else {
            tacho_keys[k].check(cfg, s, r);
        }
    }
}

/* ---- the `sinks` list ---------------------------------------------------- */

/* True when `s` is non-empty and made of a-z, 0-9 and the `extra` bytes. */
static bool valid_name(const char *s, const char *extra)
{
    if (s[0] == '\0') {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        bool lower = *p >= 'a' && *p <= 'z';
        bool digit = *p >= '0' && *p <= '9';
        if (!lower && !digit && strchr(extra, *p) == NULL) {
            return false;
        }
    }
    return true;
}

/* A string member of sink group `g`, or NULL (reported) when it has another
 * type or a bad form. Absent members give NULL without a report. */
static const char *sink_name_key(tacho__report_t *r, const config_setting_t *g,
                                 unsigned i, const char *key, const char *extra)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    const char *v;
    if (s == NULL) {
        return NULL;
    }
    if (!tacho_setting_string(pub(s), &v)) {
        bad(r, s, "sinks[%u].%s must be a string, not %s", i, key,
            tacho__setting_kind(pub(s)));
        return NULL;
    }
    if (!valid_name(v, extra)) {
        bad(r, s, "sinks[%u].%s '%s' is not a valid %s name (use a-z, 0-9%s)",
            i, key, v, strcmp(key, "plugin") == 0 ? "plugin" : "sink",
            strchr(extra, '-') != NULL ? ", _ and -" : " and _");
        return NULL;
    }
    return v;
}

static void check_sink(tacho__report_t *r, const config_setting_t *g,
                       unsigned i, tacho__sink_entry_t *e)
{
    e->group = pub(g);
    e->file = tacho_setting_file(pub(g));
    e->line = tacho_setting_line(pub(g));
    e->plugin = sink_name_key(r, g, i, "plugin", "_");
    if (e->plugin == NULL && config_setting_get_member(g, "plugin") == NULL) {
        bad(r, g, "missing required key 'plugin' in sinks[%u]", i);
    }
    e->name = sink_name_key(r, g, i, "name", "_-");
    if (e->name == NULL && config_setting_get_member(g, "name") == NULL) {
        e->name = e->plugin;
    }
    const config_setting_t *opt = config_setting_get_member(g, "optional");
    if (opt != NULL && !tacho_setting_bool(pub(opt), &e->optional)) {
        bad(r, opt, "sinks[%u].optional must be a boolean, not %s", i,
            tacho__setting_kind(pub(opt)));
    }
}

/* Two sinks may not share an instance name: it names their threads, logs
 * and health entries. Entries whose name was bad have none. */
static void check_sink_names(tacho__report_t *r, const tacho__sink_entry_t *e,
                             unsigned n)
{
    for (unsigned j = 1; j < n; j++) {
        for (unsigned i = 0; i < j && e[j].name != NULL; i++) {
            if (e[i].name != NULL && strcmp(e[i].name, e[j].name) == 0) {
                tacho__report_at(r, TACHO_ECONFIG, e[j].file, e[j].line,
                                 "sink name '%s' is already used by the sink "
                                 "at %s:%d; give each sink of one plugin its "
                                 "own 'name'",
                                 e[j].name, e[i].file, e[i].line);
                break;
            }
        }
    }
}

static void check_sinks(struct tacho_config *cfg, const config_setting_t *s,
                        tacho__report_t *r)
{
    if (s->type != CONFIG_TYPE_LIST) {
        bad(r, s,
            "sinks must be a list of groups ( { plugin = \"...\"; }, "
            "... ), not %s",
            tacho__setting_kind(pub(s)));
        return;
    }
    unsigned n = (unsigned)config_setting_length(s);
    cfg->sinks = tacho_calloc(n + 1, sizeof *cfg->sinks);
    if (cfg->sinks == NULL) {
        tacho__config_oom(r);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(s, i);
        if (g->type != CONFIG_TYPE_GROUP) {
            bad(r, g, "sinks[%u] must be a group, not %s", i,
                tacho__setting_kind(pub(g)));
        } else {
            check_sink(r, g, i, &cfg->sinks[i]);
        }
    }
    check_sink_names(r, cfg->sinks, n);
    cfg->settings.sinks = cfg->sinks;
    cfg->settings.sink_count = n;
}

void tacho__config_check(struct tacho_config *cfg, tacho__report_t *r)
{
    static const char *const keys[] = {"tacho", "sinks", "jobs", "runner"};
    const size_t nkeys = sizeof keys / sizeof keys[0];
    const config_setting_t *root = config_root_setting(&cfg->lc);
    unsigned n = (unsigned)config_setting_length(root);
    for (unsigned i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(root, i);
        size_t k = 0;
        while (k < nkeys && strcmp(keys[k], s->name) != 0) {
            k++;
        }
        if (k == nkeys) {
            bad(r, s,
                "unknown key '%s' at top level (valid keys: tacho, "
                "sinks, jobs, runner)",
                s->name);
        }
    }
    const config_setting_t *t = config_setting_get_member(root, "tacho");
    if (t != NULL) {
        check_tacho(cfg, t, r);
    }
    const config_setting_t *s = config_setting_get_member(root, "sinks");
    if (s != NULL && r->code != TACHO_ENOMEM) {
        check_sinks(cfg, s, r);
    }
}
