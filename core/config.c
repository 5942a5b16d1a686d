/*
 * The configuration file: loading it (or text) with libconfig, refusing
 * @include in text, naming files and places for messages, and freeing.
 * What was read is checked by config_check.c (docs/CONFIG.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "config_file.h"

#define STRING_FILE "<string>"

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

int tacho__config_oom(tacho__report_t *r)
{
    return tacho__report(r, TACHO_ENOMEM, "out of memory loading the config");
}

char *tacho__config_join_path(const char *dir, const char *name)
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
        cfg->shown[i] = tacho__config_join_path(dir, cfg->lc.filenames[i]);
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

/* For a checker that goes on past problems: leaves out the sink entries
 * whose plugin or name was bad, or whose name an earlier entry took, so
 * what remains can be opened. */
static void keep_good_sinks(struct tacho_config *cfg)
{
    size_t kept = 0;
    for (size_t i = 0; i < cfg->settings.sink_count; i++) {
        const tacho__sink_entry_t *e = &cfg->sinks[i];
        bool good = e->plugin != NULL && e->name != NULL;
        for (size_t j = 0; good && j < kept; j++) {
            good = strcmp(cfg->sinks[j].name, e->name) != 0;
        }
        if (good) {
            cfg->sinks[kept++] = *e;
        }
    }
    cfg->settings.sink_count = kept;
}

/* The common part of both loads, after libconfig has read the text. With
 * `keep`, a config that parsed but has problems is still handed out. */
static int finish_load(struct tacho_config *cfg, bool read_ok, bool keep,
                       tacho__report_t *r, tacho_config_t **out)
{
    if (name_files(cfg) != 0) {
        tacho__config_oom(r);
    } else if (!read_ok) {
        parse_failed(cfg, r);
    } else {
        /* Reading replaced the root, so it is marked only now. */
        config_setting_set_hook(config_root_setting(&cfg->lc), cfg);
        tacho__config_check(cfg, r);
    }
    if (r->code == TACHO_ECONFIG && read_ok && keep) {
        keep_good_sinks(cfg);
        *out = cfg;
        return r->code;
    }
    if (r->code != 0) {
        tacho_config_free(cfg);
        return r->code;
    }
    *out = cfg;
    return 0;
}

static int load_file(const char *path, tacho_config_t **out, bool keep,
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
        return tacho__config_oom(&r);
    }
    errno = 0;
    bool ok = config_read_file(&cfg->lc, path) == CONFIG_TRUE;
    return finish_load(cfg, ok, keep, &r, out);
}

int tacho_config_load_file(const char *path, tacho_config_t **out,
                           tacho_error_fn each, void *arg, tacho_error_t *err)
{
    return load_file(path, out, false, each, arg, err);
}

int tacho_config_check_file(const char *path, tacho_config_t **out,
                            tacho_error_fn each, void *arg)
{
    return load_file(path, out, true, each, arg, NULL);
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
        return tacho__config_oom(&r);
    }
    bool ok = config_read_string(&cfg->lc, text) == CONFIG_TRUE;
    return finish_load(cfg, ok, false, &r, out);
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
