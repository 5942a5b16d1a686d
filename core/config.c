/*
 * The configuration file: loading it with libconfig and checking the
 * `tacho` group and the shape of `sinks` (docs/CONFIG.md).
 *
 * Sink-specific keys are checked later, against each sink's option table,
 * by options.c; the `jobs` and `runner` sections belong to tacho-worker.
 * Checks never stop at the first problem: each is reported and the next
 * key is checked, so --check-config can list them all at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "config_internal.h"

#define STRING_FILE "<string>"
/* The largest histogram bound accepted: one year, in seconds. */
#define MAX_BUCKET_SECONDS 31536000.0

struct tacho_config {
    config_t lc;       /* its root setting's hook points back to us */
    char *path;        /* as given; NULL for text */
    char *include_dir; /* the file's directory as given; NULL if "." */
    /* Parallel to lc.filenames: each file's name as shown in messages. */
    char **shown;
    unsigned shown_count;
    char **plugin_path; /* absolute, NULL-terminated */
    size_t plugin_path_count;
    tacho__sink_entry_t *sinks;
    tacho__settings_t settings;
};

static const char *const no_paths[] = {NULL};

static const tacho__settings_t default_settings = {
    .worker_id = NULL,
    .interval = TACHO__DEFAULT_INTERVAL,
    .window_seconds = TACHO_DEFAULT_WINDOW_SECONDS,
    .max_pipelines = TACHO_DEFAULT_MAX_PIPELINES,
    .recent_capacity = TACHO_DEFAULT_RECENT_CAPACITY,
    .bucket_count = 0,
    .shutdown_grace = TACHO__DEFAULT_SHUTDOWN_GRACE,
    .plugin_path = no_paths,
    .plugin_path_count = 0,
    .sinks = NULL,
    .sink_count = 0,
};

static int oom(tacho__report_t *r)
{
    return tacho__report(r, TACHO_ENOMEM, "out of memory loading the config");
}

/* A tacho_setting_t is a config_setting_t (see config_setting.c). */
static const tacho_setting_t *pub(const config_setting_t *s)
{
    return (const tacho_setting_t *)s;
}

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

/* Joins `dir` and `name` into a new string; `name` if it is absolute or
 * `dir` is NULL. */
static char *join_path(const char *dir, const char *name)
{
    if (dir == NULL || name[0] == '/') {
        return tacho_strdup(name);
    }
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = tacho_malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s/%s", dir, name);
    }
    return p;
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
    cfg->plugin_path[i] = join_path(base, v);
    if (cfg->plugin_path[i] == NULL) {
        oom(r);
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
        oom(r);
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
        oom(r);
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

static void check_root(struct tacho_config *cfg, tacho__report_t *r)
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

/* ---- loading ------------------------------------------------------------ */

/* A fresh config for `path` (NULL for text), with the include directory
 * set to the file's directory so @include is relative to it. */
static struct tacho_config *config_new(const char *path)
{
    struct tacho_config *cfg = tacho_calloc(1, sizeof *cfg);
    if (cfg == NULL) {
        return NULL;
    }
    config_init(&cfg->lc);
    cfg->settings = default_settings;
    if (path == NULL) {
        return cfg;
    }
    cfg->path = tacho_strdup(path);
    const char *slash = strrchr(path, '/');
    if (cfg->path != NULL && slash != NULL) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        cfg->include_dir = tacho_malloc(n + 1);
        if (cfg->include_dir != NULL) {
            memcpy(cfg->include_dir, path, n);
            cfg->include_dir[n] = '\0';
            config_set_include_dir(&cfg->lc, cfg->include_dir);
        }
    }
    if (cfg->path == NULL || (slash != NULL && cfg->include_dir == NULL)) {
        tacho_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* libconfig names an included file as written after @include, relative to
 * the include directory; messages show it joined to that directory so the
 * name works from the current directory too. */
static int name_files(struct tacho_config *cfg)
{
    unsigned n = cfg->lc.num_filenames;
    cfg->shown = tacho_calloc(n + 1, sizeof *cfg->shown);
    if (cfg->shown == NULL) {
        return TACHO_ENOMEM;
    }
    cfg->shown_count = n;
    for (unsigned i = 0; i < n; i++) {
        const char *dir = i == 0 ? NULL : cfg->include_dir;
        cfg->shown[i] = join_path(dir, cfg->lc.filenames[i]);
        if (cfg->shown[i] == NULL) {
            return TACHO_ENOMEM;
        }
    }
    return 0;
}

static const char *shown_name(const struct tacho_config *cfg, const char *f)
{
    for (unsigned i = 0; i < cfg->shown_count; i++) {
        if (cfg->lc.filenames[i] == f) {
            return cfg->shown[i];
        }
    }
    return f;
}

static int errno_code(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return TACHO_ENOENT;
    case EACCES:
    case EPERM:
        return TACHO_EACCES;
    case ENOMEM:
        return TACHO_ENOMEM;
    default:
        return TACHO_EIO;
    }
}

static int unreadable(tacho__report_t *r, const char *path, int e)
{
    return tacho__report(r, errno_code(e), "cannot read config file '%s': %s",
                         path, strerror(e));
}

/* Checks up front that `path` is a readable file, so the caller gets the
 * real errno (libconfig only says "file I/O error"). */
static int check_readable(tacho__report_t *r, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return unreadable(r, path, errno);
    }
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    close(fd);
    return e != 0 ? unreadable(r, path, e) : 0;
}

/* Reports libconfig's parse failure with its file (as shown) and line. */
static int parse_failed(struct tacho_config *cfg, tacho__report_t *r)
{
    if (config_error_type(&cfg->lc) == CONFIG_ERR_FILE_IO) {
        return unreadable(r, cfg->path, errno != 0 ? errno : EIO);
    }
    const char *f = config_error_file(&cfg->lc);
    return tacho__report_at(r, TACHO_ECONFIG, f ? shown_name(cfg, f) : NULL,
                            config_error_line(&cfg->lc), "%s",
                            config_error_text(&cfg->lc));
}

/* The common part of both loads, after libconfig has read the text. */
static int finish_load(struct tacho_config *cfg, bool read_ok,
                       tacho__report_t *r, tacho_config_t **out)
{
    if (name_files(cfg) != 0) {
        oom(r);
    } else if (!read_ok) {
        parse_failed(cfg, r);
    } else {
        /* Reading replaced the root, so it is marked only now. */
        config_setting_set_hook(config_root_setting(&cfg->lc), cfg);
        check_root(cfg, r);
    }
    if (r->code != 0) {
        tacho_config_free(cfg);
        return r->code;
    }
    *out = cfg;
    return 0;
}

int tacho_config_load_file(const char *path, tacho_config_t **out,
                           tacho_error_fn each, void *arg, tacho_error_t *err)
{
    tacho__report_t r = {each, arg, err, 0};
    tacho_error_clear(err);
    if (path == NULL || out == NULL) {
        return tacho__report(&r, TACHO_EINVAL,
                             "tacho_config_load_file: path and out are "
                             "required");
    }
    *out = NULL;
    if (check_readable(&r, path) != 0) {
        return r.code;
    }
    struct tacho_config *cfg = config_new(path);
    if (cfg == NULL) {
        return oom(&r);
    }
    errno = 0;
    bool ok = config_read_file(&cfg->lc, path) == CONFIG_TRUE;
    return finish_load(cfg, ok, &r, out);
}

/*
 * libconfig 1.5 has no include hook, so text is scanned for @include the
 * way its scanner sees one: at the start of a line, after blanks, outside
 * strings and comments. Returns the line of the first, or 0.
 */
static int include_line(const char *t, int from_line, const char **resume)
{
    enum { CODE, STRING, COMMENT } st = CODE;
    int line = from_line;
    bool bol = true;
    for (const char *p = t; *p != '\0'; p++) {
        if (st == CODE && bol) {
            const char *q = p + strspn(p, " \t");
            if (strncmp(q, "@include", 8) == 0) {
                *resume = q + 8;
                return line;
            }
        }
        bol = *p == '\n';
        line += bol;
        if (st == STRING) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            } else if (*p == '"') {
                st = CODE;
            }
        } else if (st == COMMENT) {
            if (p[0] == '*' && p[1] == '/') {
                st = CODE;
                p++;
            }
        } else if (*p == '"') {
            st = STRING;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            p += strcspn(p, "\n") - 1;
        } else if (p[0] == '/' && p[1] == '*') {
            st = COMMENT;
            p++;
        }
    }
    return 0;
}

/* Reports every @include in text; returns the number found. */
static int refuse_includes(tacho__report_t *r, const char *text)
{
    int found = 0;
    int line = 1;
    const char *p = text;
    while ((line = include_line(p, line, &p)) != 0) {
        tacho__report_at(r, TACHO_ECONFIG, STRING_FILE, line,
                         "@include is not allowed in a config given as text");
        found++;
        /* The rest of that line cannot start another directive. */
        p += strcspn(p, "\n");
    }
    return found;
}

int tacho_config_load_string(const char *text, tacho_config_t **out,
                             tacho_error_fn each, void *arg, tacho_error_t *err)
{
    tacho__report_t r = {each, arg, err, 0};
    tacho_error_clear(err);
    if (text == NULL || out == NULL) {
        return tacho__report(&r, TACHO_EINVAL,
                             "tacho_config_load_string: text and out are "
                             "required");
    }
    *out = NULL;
    if (refuse_includes(&r, text) != 0) {
        return r.code;
    }
    struct tacho_config *cfg = config_new(NULL);
    if (cfg == NULL) {
        return oom(&r);
    }
    bool ok = config_read_string(&cfg->lc, text) == CONFIG_TRUE;
    return finish_load(cfg, ok, &r, out);
}

void tacho_config_free(tacho_config_t *cfg)
{
    if (cfg == NULL) {
        return;
    }
    config_destroy(&cfg->lc);
    for (unsigned i = 0; i < cfg->shown_count; i++) {
        tacho_free(cfg->shown[i]);
    }
    tacho_free(cfg->shown);
    /* After a bad entry the array has holes, so go by the count. */
    for (size_t i = 0; cfg->plugin_path && i < cfg->plugin_path_count; i++) {
        tacho_free(cfg->plugin_path[i]);
    }
    tacho_free(cfg->plugin_path);
    tacho_free(cfg->sinks);
    tacho_free(cfg->include_dir);
    tacho_free(cfg->path);
    tacho_free(cfg);
}

const char *tacho_config_path(const tacho_config_t *cfg)
{
    if (cfg == NULL) {
        return NULL;
    }
    return cfg->path != NULL ? cfg->path : STRING_FILE;
}

const tacho_setting_t *tacho_config_root(const tacho_config_t *cfg)
{
    return cfg != NULL ? pub(config_root_setting(&cfg->lc)) : NULL;
}

const tacho__settings_t *tacho__config_settings(const tacho_config_t *cfg)
{
    return cfg != NULL ? &cfg->settings : &default_settings;
}

/* ---- where a setting is written -------------------------------------- */

/* Here rather than in config_setting.c: it needs the config's file names. */
const char *tacho_setting_file(const tacho_setting_t *s)
{
    if (s == NULL) {
        return NULL;
    }
    const char *f = config_setting_source_file((const config_setting_t *)s);
    if (f == NULL) {
        return STRING_FILE;
    }
    /* A tacho config marks its root with a hook pointing back to it. */
    const struct tacho_config *cfg = config_setting_get_hook(
        config_root_setting(((const config_setting_t *)s)->config));
    return cfg != NULL ? shown_name(cfg, f) : f;
}
