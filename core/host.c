/*
 * The host: a collector, the sinks a config names and the dispatcher that
 * feeds them. Also the config checker and the sink lister, which share the
 * host's loading path so they see exactly what a real start would see.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tacho/host.h>
#include <tacho/log.h>

#include "config_internal.h"
#include "host_internal.h"
#include "loader.h"

#define MAX_INTERVAL_MS 86400000LL

/* Where problems go: every one to `each`, the first into `first`. */
typedef struct problems {
    tacho_error_fn each;
    void *arg;
    tacho_error_t *first;
} problems_t;

static void problem(problems_t *p, const tacho_error_t *e, bool tell)
{
    if (p->first->code == 0) {
        *p->first = *e;
    }
    if (tell && p->each != NULL) {
        p->each(p->arg, e);
    }
}

/* The configured interval, or METRICS_INTERVAL (milliseconds) if set. */
static int resolve_interval(double configured, double *out, tacho_error_t *err)
{
    *out = configured;
    const char *env = getenv(TACHO_ENV_METRICS_INTERVAL);
    if (env == NULL || env[0] == '\0') {
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long ms = strtoll(env, &end, 10);
    if (env[0] < '0' || env[0] > '9' || *end != '\0' || errno != 0 || ms <= 0 ||
        ms > MAX_INTERVAL_MS) {
        return tacho_error_set(err, TACHO_ECONFIG,
                               "%s must be a whole number of milliseconds "
                               "from 1 to %lld, not '%s'",
                               TACHO_ENV_METRICS_INTERVAL, MAX_INTERVAL_MS,
                               env);
    }
    *out = (double)ms / 1000.0;
    return 0;
}

static char *resolve_worker_id(const char *configured)
{
    if (configured != NULL && configured[0] != '\0') {
        return tacho_strdup(configured);
    }
    char name[HOST_NAME_MAX + 1] = "";
    if (gethostname(name, sizeof name) != 0 || name[0] == '\0') {
        snprintf(name, sizeof name, "unknown");
    }
    name[sizeof name - 1] = '\0';
    return tacho_strdup(name);
}

/* The collector's clock thread inherits a full signal mask, so signals
 * sent to the process never land on it. */
static int collector_open(tacho_host_t *h, const tacho__settings_t *set,
                          tacho_error_t *err)
{
    tacho_collector_options_t o = TACHO_COLLECTOR_OPTIONS_INIT;
    o.worker_id = h->worker_id;
    o.max_pipelines = set->max_pipelines;
    o.window_seconds = set->window_seconds;
    o.recent_capacity = set->recent_capacity;
    if (set->bucket_count > 0) {
        o.bucket_bounds_ns = set->bucket_bounds_ns;
        o.bucket_count = set->bucket_count;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = tacho_collector_create(&o, &h->collector, err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* Loads, checks and creates one configured sink; reports its problems.
 * Loader messages name a file but not the config entry that asked for
 * it, so they get the entry's FILE:LINE in front. */
static int open_sink(tacho_host_t *h, const tacho__search_path_t *sp,
                     const tacho__sink_entry_t *entry, problems_t *p)
{
    tacho_error_t e;
    tacho_error_clear(&e);
    const tacho__sink_type_t *type = NULL;
    int rc = tacho__loader_open(entry->plugin, sp, &type, &e);
    if (rc != 0) {
        tacho_error_t placed;
        tacho_error_set_at(&placed, rc, entry->file, entry->line, "%s", e.text);
        problem(p, &placed, true);
        return rc;
    }
    tacho_options_t *opts = NULL;
    rc = tacho__options_build(type->options, entry, &opts, p->each, p->arg, &e);
    if (rc != 0) {
        problem(p, &e, false); /* options_build told `each` itself */
        tacho__loader_release(type);
        return rc;
    }
    rc =
        tacho__dispatcher_add(h->dispatcher, type, entry->name, entry->optional,
                              opts, entry->file, entry->line, &e);
    tacho__options_free(opts);
    if (rc != 0) {
        problem(p, &e, true);
        tacho__loader_release(type);
        return rc;
    }
    tacho_log_origin("host", TACHO_LOG_INFO,
                     "sink '%s' (plugin %s %s, ABI %u.%u) loaded from %s",
                     entry->name, type->name, type->version, type->abi_major,
                     type->abi_minor, type->path);
    return 0;
}

static int open_sinks(tacho_host_t *h, const tacho__settings_t *set,
                      problems_t *p)
{
    if (set->sink_count == 0) {
        return 0;
    }
    tacho_error_t e;
    tacho__search_path_t sp;
    int rc = tacho__search_path_init(&sp, set->plugin_path,
                                     set->plugin_path_count, &e);
    if (rc != 0) {
        problem(p, &e, true);
        return rc;
    }
    int first = 0;
    for (size_t i = 0; i < set->sink_count; i++) {
        rc = open_sink(h, &sp, &set->sinks[i], p);
        if (first == 0) {
            first = rc;
        }
    }
    tacho__search_path_free(&sp);
    return first;
}

/* Everything up to the sinks: settings, interval, collector, dispatcher. */
static int open_base(tacho_host_t *h, const tacho__settings_t *set,
                     problems_t *p)
{
    tacho_error_t e;
    tacho_error_clear(&e);
    int rc = resolve_interval(set->interval, &h->interval, &e);
    if (rc == 0) {
        h->grace = set->shutdown_grace;
        h->worker_id = resolve_worker_id(set->worker_id);
        rc = h->worker_id == NULL
                 ? tacho_error_set(&e, TACHO_ENOMEM, "out of memory")
                 : 0;
    }
    if (rc == 0) {
        rc = collector_open(h, set, &e);
    }
    if (rc == 0) {
        rc = tacho__dispatcher_create(h->collector, h->worker_id, h->interval,
                                      h->grace, &h->dispatcher, &e);
    }
    if (rc != 0) {
        problem(p, &e, true);
    }
    return rc;
}

int tacho_host_open(const tacho_config_t *cfg, tacho_host_t **out,
                    tacho_error_fn each, void *arg, tacho_error_t *err)
{
    tacho_error_t local;
    if (err == NULL) {
        err = &local;
    }
    tacho_error_clear(err);
    *out = NULL;
    problems_t p = {each, arg, err};
    tacho_host_t *h = tacho_calloc(1, sizeof *h);
    if (h == NULL) {
        tacho_error_t e;
        tacho_error_set(&e, TACHO_ENOMEM, "out of memory");
        problem(&p, &e, true);
        return TACHO_ENOMEM;
    }
    const tacho__settings_t *set = tacho__config_settings(cfg);
    int rc = open_base(h, set, &p);
    if (rc == 0) {
        rc = open_sinks(h, set, &p);
    }
    if (rc != 0) {
        tacho_host_close(h);
        return rc;
    }
    *out = h;
    return 0;
}

int tacho_host_open_file(const char *path, tacho_host_t **out,
                         tacho_error_t *err)
{
    *out = NULL;
    tacho_config_t *cfg = NULL;
    int rc = tacho_config_load_file(path, &cfg, NULL, NULL, err);
    if (rc == 0) {
        rc = tacho_host_open(cfg, out, NULL, NULL, err);
    }
    tacho_config_free(cfg);
    return rc;
}

int tacho_host_open_string(const char *text, tacho_host_t **out,
                           tacho_error_t *err)
{
    *out = NULL;
    tacho_config_t *cfg = NULL;
    int rc = tacho_config_load_string(text, &cfg, NULL, NULL, err);
    if (rc == 0) {
        rc = tacho_host_open(cfg, out, NULL, NULL, err);
    }
    tacho_config_free(cfg);
    return rc;
}

int tacho_host_start(tacho_host_t *h, tacho_error_t *err)
{
    if (h == NULL) {
        return tacho_error_set(err, TACHO_EINVAL, "no host given");
    }
    int rc = tacho__dispatcher_start(h->dispatcher, err);
    if (rc != 0) {
        return rc;
    }
    h->started = true;
    tacho_log_origin("host", TACHO_LOG_INFO,
                     "started: worker '%s', %zu sinks, interval %g s",
                     h->worker_id, tacho__dispatcher_count(h->dispatcher),
                     h->interval);
    return 0;
}

tacho_collector_t *tacho_host_collector(tacho_host_t *h)
{
    return h != NULL ? h->collector : NULL;
}

int tacho_host_snapshot(tacho_host_t *h, tacho_snapshot_t **out)
{
    if (h == NULL || out == NULL) {
        return TACHO_EINVAL;
    }
    return tacho__dispatcher_snapshot(h->dispatcher, true, out);
}

int tacho_host_report_now(tacho_host_t *h)
{
    return h != NULL ? tacho__dispatcher_report_now(h->dispatcher)
                     : TACHO_EINVAL;
}

int tacho_host_reopen(tacho_host_t *h)
{
    return h != NULL ? tacho__dispatcher_reopen(h->dispatcher) : TACHO_EINVAL;
}

double tacho_host_interval(const tacho_host_t *h)
{
    return h != NULL ? h->interval : 0.0;
}

size_t tacho_host_sink_count(const tacho_host_t *h)
{
    return h != NULL ? tacho__dispatcher_count(h->dispatcher) : 0;
}

const char *tacho_host_sink_name(const tacho_host_t *h, size_t i)
{
    return h != NULL ? tacho__dispatcher_sink_name(h->dispatcher, i) : NULL;
}

void tacho_host_close(tacho_host_t *h)
{
    if (h == NULL) {
        return;
    }
    tacho__signals_stop(h->signals);
    if (h->started) {
        uint64_t runs = 0;
        tacho__dispatcher_shutdown(h->dispatcher, &runs);
        tacho_log_origin("host", TACHO_LOG_INFO,
                         "shutdown: %llu runs recorded in total",
                         (unsigned long long)runs);
        tacho__dispatcher_log_summary(h->dispatcher);
    }
    tacho__dispatcher_free(h->dispatcher);
    tacho_collector_free(h->collector);
    tacho_free(h->worker_id);
    tacho_free(h);
}

/* ---- checking a config --------------------------------------------------- */

int tacho_host_check_file(const char *path, tacho_error_fn each, void *arg)
{
    tacho_error_t err;
    tacho_error_clear(&err);
    tacho_config_t *cfg = NULL;
    int rc = tacho_config_check_file(path, &cfg, each, arg);
    if (cfg == NULL) {
        return rc;
    }
    /* Opening a host loads every plugin, checks every sink's options and
     * calls create(); closing an unstarted host only destroys. A config
     * with bad values still gets this far, so one run lists everything. */
    tacho_host_t *h = NULL;
    int open_rc = tacho_host_open(cfg, &h, each, arg, &err);
    tacho_host_close(h);
    tacho_config_free(cfg);
    return rc != 0 ? rc : open_rc;
}

/* ---- listing sinks --------------------------------------------------- */

typedef struct names {
    char **v;
    size_t n;
} names_t;

static bool names_has(const names_t *ns, const char *name)
{
    for (size_t i = 0; i < ns->n; i++) {
        if (strcmp(ns->v[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static int names_add(names_t *ns, const char *name, size_t len)
{
    char **grown = tacho_realloc(ns->v, (ns->n + 1) * sizeof *grown);
    if (grown == NULL) {
        return TACHO_ENOMEM;
    }
    ns->v = grown;
    char *copy = tacho_malloc(len + 1);
    if (copy == NULL) {
        return TACHO_ENOMEM;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    ns->v[ns->n++] = copy;
    return 0;
}

static void names_free(names_t *ns)
{
    for (size_t i = 0; i < ns->n; i++) {
        tacho_free(ns->v[i]);
    }
    tacho_free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sink names of one directory's tacho_sink_<name>.so files, sorted so
 * the listing does not depend on the file system's order. */
static int scan_dir(const char *dir, names_t *found)
{
    DIR *dp = opendir(dir);
    if (dp == NULL) {
        return 0; /* a directory that does not exist holds no sinks */
    }
    static const char prefix[] = "tacho_sink_", suffix[] = ".so";
    const size_t pre = sizeof prefix - 1, suf = sizeof suffix - 1;
    int rc = 0;
    for (struct dirent *de = readdir(dp); de != NULL && rc == 0;
         de = readdir(dp)) {
        size_t len = strlen(de->d_name);
        if (len > pre + suf && strncmp(de->d_name, prefix, pre) == 0 &&
            strcmp(de->d_name + len - suf, suffix) == 0) {
            rc = names_add(found, de->d_name + pre, len - pre - suf);
        }
    }
    closedir(dp);
    if (found->n > 1) {
        qsort(found->v, found->n, sizeof *found->v, cmp_names);
    }
    return rc;
}

static void describe(const char *dir, const char *name,
                     void (*fn)(void *, const tacho_sink_info_t *), void *arg)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/tacho_sink_%s.so", dir, name);
    tacho_error_t e;
    tacho_error_clear(&e);
    const tacho__sink_type_t *type = NULL;
    tacho_sink_info_t info = {
        .name = name, .path = path, .description = "", .version = ""};
    if (tacho__loader_open_file(path, name, &type, &e) == 0) {
        info.description = type->description;
        info.version = type->version;
        info.abi_major = type->abi_major;
        info.abi_minor = type->abi_minor;
        info.options = type->options;
    } else {
        info.problem = e.text;
    }
    fn(arg, &info);
    tacho__loader_release(type);
}

static int list_dir(const char *dir, names_t *seen,
                    void (*fn)(void *, const tacho_sink_info_t *), void *arg)
{
    names_t found = {NULL, 0};
    int rc = scan_dir(dir, &found);
    for (size_t i = 0; i < found.n && rc == 0; i++) {
        if (!names_has(seen, found.v[i])) {
            rc = names_add(seen, found.v[i], strlen(found.v[i]));
            if (rc == 0) {
                describe(dir, found.v[i], fn, arg);
            }
        }
    }
    names_free(&found);
    return rc;
}

/* Directories are walked in search order and a name is described only the
 * first time it is seen: exactly the file tacho__loader_open() would pick. */
int tacho_host_list_sinks(const tacho_config_t *cfg,
                          void (*fn)(void *arg, const tacho_sink_info_t *info),
                          void *arg)
{
    if (fn == NULL) {
        return TACHO_EINVAL;
    }
    const tacho__settings_t *set = tacho__config_settings(cfg);
    tacho__search_path_t sp;
    int rc = tacho__search_path_init(&sp, set->plugin_path,
                                     set->plugin_path_count, NULL);
    if (rc != 0) {
        return rc;
    }
    names_t seen = {NULL, 0};
    for (size_t i = 0; i < sp.count && rc == 0; i++) {
        rc = list_dir(sp.dirs[i], &seen, fn, arg);
    }
    names_free(&seen);
    tacho__search_path_free(&sp);
    return rc;
}
