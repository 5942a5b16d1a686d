/*
 * The sink loader: finds tacho_sink_<name>.so on the search path, checks
 * that it is safe to load, opens it with libltdl and reads its descriptor.
 *
 * All lt_* calls in tacho are here, under `lock`. libltdl is initialised
 * when the first module is loaded and shut down when the last one is
 * unloaded, so lt_dlinit and lt_dlexit each run once per period of use.
 * The path handed to lt_dlopenadvise is always absolute: libltdl never
 * searches the current directory or LD_LIBRARY_PATH on tacho's behalf.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tacho/host.h>
#include <tacho/version.h>

#include "config_internal.h"
#include "loader.h"

/* One loaded shared object; `type` points into it. */
struct tacho__module {
    tacho__sink_type_t type;
    char *path;
    lt_dlhandle handle;
    unsigned refs;
    struct tacho__module *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tacho__module *modules; /* guarded by lock */

/* Bytes of the descriptor that ABI 1.<minor> promises, by minor. */
#define DESC_END(field)                                                        \
    (offsetof(tacho_sink_descriptor_t, field) +                                \
     sizeof(((tacho_sink_descriptor_t *)0)->field))
static const size_t abi_min_size[TACHO_SINK_ABI_MINOR + 1] = {
    DESC_END(destroy), /* 1.0 */
};

bool tacho__sink_name_valid(const char *name)
{
    if (name == NULL || name[0] == '\0') {
        return false;
    }
    size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_");
    return name[n] == '\0' && n <= TACHO__SINK_NAME_MAX;
}

static int name_error(tacho_error_t *err, const char *name)
{
    return tacho_error_set(err, TACHO_EINVAL,
                           "invalid sink name '%s': a name uses only a-z, "
                           "0-9 and _ (at most %d characters)",
                           name != NULL ? name : "", TACHO__SINK_NAME_MAX);
}

/* ---- reading a descriptor ---------------------------------------------- */

/* Only abi_version and struct_size are read before the major is known to
 * match: they are the two fields every ABI keeps at the front. */
static int check_version(const tacho_sink_descriptor_t *d, const char *label,
                         const char *where, tacho_error_t *err)
{
    unsigned major = d->abi_version >> 16, minor = d->abi_version & 0xffffu;
    if (major != TACHO_SINK_ABI_MAJOR) {
        return tacho_error_set(err, TACHO_EABI,
                               "%s was built for ABI %u.%u, this tacho speaks "
                               "%u.%u (%s)",
                               label, major, minor, TACHO_SINK_ABI_MAJOR,
                               TACHO_SINK_ABI_MINOR, where);
    }
    unsigned known =
        minor > TACHO_SINK_ABI_MINOR ? TACHO_SINK_ABI_MINOR : minor;
    if (d->struct_size < abi_min_size[known]) {
        return tacho_error_set(err, TACHO_EABI,
                               "%s has a descriptor of %u bytes, but ABI "
                               "%u.%u promises at least %zu (%s)",
                               label, d->struct_size, major, minor,
                               abi_min_size[known], where);
    }
    return 0;
}

static int check_name(const tacho_sink_descriptor_t *d, const char *expected,
                      const char *where, tacho_error_t *err)
{
    if (!tacho__sink_name_valid(d->name)) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "%s: the descriptor's name '%s' is not a valid "
                               "sink name (a-z, 0-9 and _)",
                               where, d->name != NULL ? d->name : "(null)");
    }
    if (expected != NULL && strcmp(d->name, expected) != 0) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "%s: the descriptor names sink '%s', expected "
                               "'%s'",
                               where, d->name, expected);
    }
    return 0;
}

static int check_callbacks(const tacho_sink_descriptor_t *d, const char *where,
                           tacho_error_t *err)
{
    const char *missing = d->create == NULL    ? "create"
                          : d->write == NULL   ? "write"
                          : d->destroy == NULL ? "destroy"
                                               : NULL;
    if (missing != NULL) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "sink '%s' (%s) has no %s callback", d->name,
                               where, missing);
    }
    return 0;
}

/* Copies the ABI 1.0 fields. A later minor adds a block guarded by
 * `if (out->abi_minor >= N)`, so an older plugin is never read past its
 * end. */
static void read_fields(const tacho_sink_descriptor_t *d,
                        tacho__sink_type_t *out)
{
    out->abi_major = d->abi_version >> 16;
    out->abi_minor = d->abi_version & 0xffffu;
    out->name = d->name;
    out->description = d->description != NULL ? d->description : "";
    out->version = d->version != NULL ? d->version : "";
    out->options = d->options;
    out->create = d->create;
    out->start = d->start;
    out->write = d->write;
    out->flush = d->flush;
    out->reopen = d->reopen;
    out->stop = d->stop;
    out->destroy = d->destroy;
}

int tacho__sink_type_read(const tacho_sink_descriptor_t *d,
                          const char *expected, const char *where,
                          tacho__sink_type_t *out, tacho_error_t *err)
{
    if (d == NULL) {
        return tacho_error_set(err, TACHO_EINVAL, "no descriptor given (%s)",
                               where);
    }
    char label[TACHO__SINK_NAME_MAX + 16] = "a sink";
    if (expected != NULL) {
        snprintf(label, sizeof label, "sink '%s'", expected);
    }
    int rc = check_version(d, label, where, err);
    if (rc == 0) {
        rc = check_name(d, expected, where, err);
    }
    if (rc == 0) {
        rc = check_callbacks(d, where, err);
    }
    if (rc == 0) {
        rc = tacho__options_check_spec(d->name, d->options, err);
    }
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        read_fields(d, out);
        out->path = where;
    }
    return rc;
}

/* ---- the search path ---------------------------------------------------- */

static int path_add(tacho__search_path_t *sp, const char *dir, size_t len,
                    const char *source, tacho_error_t *err)
{
    while (len > 1 && dir[len - 1] == '/') {
        len--;
    }
    if (len == 0) {
        return 0; /* "a::b" has an empty entry: nothing to search */
    }
    if (dir[0] != '/') {
        return tacho_error_set(err, TACHO_ECONFIG,
                               "%s entry '%.*s' is not an absolute path",
                               source, (int)len, dir);
    }
    for (size_t i = 0; i < sp->count; i++) {
        if (strlen(sp->dirs[i]) == len && memcmp(sp->dirs[i], dir, len) == 0) {
            return 0;
        }
    }
    char **grown = tacho_realloc(sp->dirs, (sp->count + 1) * sizeof *grown);
    if (grown == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    sp->dirs = grown;
    char *copy = tacho_malloc(len + 1);
    if (copy == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    memcpy(copy, dir, len);
    copy[len] = '\0';
    sp->dirs[sp->count++] = copy;
    return 0;
}

static int path_add_env(tacho__search_path_t *sp, tacho_error_t *err)
{
    const char *env = getenv(TACHO_ENV_PLUGIN_PATH);
    while (env != NULL && *env != '\0') {
        size_t len = strcspn(env, ":");
        int rc = path_add(sp, env, len, TACHO_ENV_PLUGIN_PATH, err);
        if (rc != 0) {
            return rc;
        }
        env += len + (env[len] == ':');
    }
    return 0;
}

/* <dir of the object holding this code>/tacho/sinks: the build tree's and
 * the install's sink directory alike. Skipped if it cannot be resolved. */
static int path_add_beside_library(tacho__search_path_t *sp, tacho_error_t *err)
{
    Dl_info info;
    if (dladdr((void *)&tacho__search_path_init, &info) == 0 ||
        info.dli_fname == NULL) {
        return 0;
    }
    char real[PATH_MAX];
    if (realpath(info.dli_fname, real) == NULL) {
        return 0;
    }
    char dir[PATH_MAX + sizeof "/" TACHO_SINK_SUBDIR];
    int n =
        snprintf(dir, sizeof dir, "%s/%s", dirname(real), TACHO_SINK_SUBDIR);
    return path_add(sp, dir, (size_t)n, "library directory", err);
}

int tacho__search_path_init(tacho__search_path_t *sp,
                            const char *const *plugin_path, size_t count,
                            tacho_error_t *err)
{
    sp->dirs = NULL;
    sp->count = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        rc = path_add(sp, plugin_path[i], strlen(plugin_path[i]), "plugin_path",
                      err);
    }
    if (rc == 0) {
        rc = path_add_env(sp, err);
    }
    if (rc == 0) {
        rc = path_add_beside_library(sp, err);
    }
    if (rc == 0) {
        rc = path_add(sp, TACHO_INSTALL_SINKDIR, strlen(TACHO_INSTALL_SINKDIR),
                      "install directory", err);
    }
    if (rc != 0) {
        tacho__search_path_free(sp);
    }
    return rc;
}

void tacho__search_path_free(tacho__search_path_t *sp)
{
    for (size_t i = 0; i < sp->count; i++) {
        tacho_free(sp->dirs[i]);
    }
    tacho_free(sp->dirs);
    sp->dirs = NULL;
    sp->count = 0;
}

/* ---- safety of a file before it is loaded -------------------------------- */

static int check_owner_mode(const char *name, const char *what,
                            const char *path, tacho_error_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return tacho_error_set(err, TACHO_EIO, "sink '%s': cannot stat %s: %s",
                               name, path, strerror(errno));
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return tacho_error_set(err, TACHO_EACCES,
                               "refusing sink '%s': the %s %s is writable by "
                               "group or others (mode %03o)",
                               name, what, path, (unsigned)st.st_mode & 0777u);
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        return tacho_error_set(err, TACHO_EACCES,
                               "refusing sink '%s': the %s %s is owned by uid "
                               "%u, neither root nor the current user",
                               name, what, path, (unsigned)st.st_uid);
    }
    return 0;
}

/* Refuses a plugin anyone but root or this user could have replaced. */
static int check_safe(const char *name, const char *path, tacho_error_t *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    int rc = check_owner_mode(name, "directory", dirname(dir), err);
    if (rc == 0) {
        rc = check_owner_mode(name, "file", path, err);
    }
    return rc;
}

/* ---- libltdl, under the lock --------------------------------------------- */

/*
 * libltdl reports every failed open as "file not found": its last loader
 * overwrites the dynamic linker's message. That hides the one thing a user
 * needs (a missing dependency, an undefined symbol, a file that is not an
 * ELF object), so after libltdl has failed, dlopen(3) is asked once for its
 * own words. It fails the same way; if it somehow succeeds, the handle is
 * closed at once and libltdl's text is kept.
 */
static int open_error(tacho_error_t *err, const char *path)
{
    char ltdl_text[256];
    const char *text = lt_dlerror();
    snprintf(ltdl_text, sizeof ltdl_text, "%s",
             text != NULL ? text : "unknown libltdl error");
    void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (h != NULL) {
        dlclose(h);
        text = NULL;
    } else {
        text = dlerror();
    }
    if (text == NULL) {
        text = ltdl_text;
    }
    size_t n = strlen(path); /* dlerror() usually repeats the path */
    if (strncmp(text, path, n) == 0 && strncmp(text + n, ": ", 2) == 0) {
        text += n + 2;
    }
    return tacho_error_set(err, TACHO_EPLUGIN, "cannot load %s: %s", path,
                           text);
}

static lt_dlhandle ltdl_open(const char *path, tacho_error_t *err)
{
    if (modules == NULL) {
        lt_dlerror();
        if (lt_dlinit() != 0) {
            open_error(err, path); /* libltdl's words, same message */
            return NULL;
        }
    }
    lt_dladvise advise;
    lt_dlhandle h = NULL;
    lt_dlerror();
    if (lt_dladvise_init(&advise) == 0 && lt_dladvise_local(&advise) == 0) {
        h = lt_dlopenadvise(path, advise);
    }
    if (h == NULL) {
        open_error(err, path);
    }
    lt_dladvise_destroy(&advise);
    if (h == NULL && modules == NULL) {
        lt_dlexit();
    }
    return h;
}

static void ltdl_close(lt_dlhandle h)
{
    lt_dlerror();
    lt_dlclose(h);
    if (modules == NULL) {
        lt_dlexit();
    }
}

static struct tacho__module *module_find(const char *path)
{
    for (struct tacho__module *m = modules; m != NULL; m = m->next) {
        if (strcmp(m->path, path) == 0) {
            return m;
        }
    }
    return NULL;
}

static int module_read(struct tacho__module *m, const char *name,
                       tacho_error_t *err)
{
    char symbol[TACHO__SINK_NAME_MAX + 32];
    snprintf(symbol, sizeof symbol, "tacho_sink_%s_descriptor", name);
    lt_dlerror();
    const tacho_sink_descriptor_t *d = lt_dlsym(m->handle, symbol);
    if (d == NULL) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "%s is not a tacho sink: it does not export "
                               "the symbol %s",
                               m->path, symbol);
    }
    int rc = tacho__sink_type_read(d, name, m->path, &m->type, err);
    m->type.path = m->path;
    m->type.module = m;
    return rc;
}

/* Loads (or references again) the module at `path`; under the lock.
 * Modules are keyed by path, so every instance of a sink shares one
 * handle and one type, and the module is unloaded with its last user. */
static int module_open(const char *path, const char *name,
                       const tacho__sink_type_t **out, tacho_error_t *err)
{
    struct tacho__module *m = module_find(path);
    if (m != NULL) {
        m->refs++;
        *out = &m->type;
        return 0;
    }
    m = tacho_calloc(1, sizeof *m);
    char *copy = tacho_strdup(path);
    if (m == NULL || copy == NULL) {
        tacho_free(m);
        tacho_free(copy);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    m->path = copy;
    m->handle = ltdl_open(path, err);
    int rc = m->handle == NULL ? err->code : module_read(m, name, err);
    if (rc != 0) {
        if (m->handle != NULL) {
            ltdl_close(m->handle);
        }
        tacho_free(m->path);
        tacho_free(m);
        return rc;
    }
    m->refs = 1;
    m->next = modules;
    modules = m;
    *out = &m->type;
    return 0;
}

int tacho__loader_open_file(const char *path, const char *name,
                            const tacho__sink_type_t **out, tacho_error_t *err)
{
    tacho_error_t local;
    if (err == NULL) {
        err = &local;
    }
    *out = NULL;
    if (!tacho__sink_name_valid(name)) {
        return name_error(err, name);
    }
    int rc = check_safe(name, path, err);
    if (rc != 0) {
        return rc;
    }
    pthread_mutex_lock(&lock);
    rc = module_open(path, name, out, err);
    pthread_mutex_unlock(&lock);
    return rc;
}

void tacho__loader_release(const tacho__sink_type_t *type)
{
    if (type == NULL || type->module == NULL) {
        return;
    }
    pthread_mutex_lock(&lock);
    struct tacho__module *m = type->module;
    if (--m->refs == 0) {
        struct tacho__module **p = &modules;
        while (*p != m) {
            p = &(*p)->next;
        }
        *p = m->next;
        ltdl_close(m->handle);
        tacho_free(m->path);
        tacho_free(m);
    }
    pthread_mutex_unlock(&lock);
}

/* ---- finding a sink by name ---------------------------------------------- */

/* Adds ", <file>" to the list of files tried, truncating quietly. */
static void tried_add(char *tried, size_t size, const char *file)
{
    size_t used = strlen(tried);
    if (used > 0 && used + 2 < size) {
        memcpy(tried + used, ", ", 2);
        used += 2;
    }
    size_t n = strlen(file);
    if (n > size - 1 - used) {
        n = size - 1 - used;
    }
    memcpy(tried + used, file, n);
    tried[used + n] = '\0';
}

int tacho__loader_open(const char *name, const tacho__search_path_t *sp,
                       const tacho__sink_type_t **out, tacho_error_t *err)
{
    *out = NULL;
    if (!tacho__sink_name_valid(name)) {
        return name_error(err, name);
    }
    /* A sink linked into the program needs no file and wins over one. */
    const tacho__sink_type_t *st = tacho__registry_find(name);
    if (st != NULL) {
        *out = st;
        return 0;
    }
    char tried[TACHO_ERROR_TEXT_MAX] = "";
    for (size_t i = 0; i < sp->count; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/tacho_sink_%s.so", sp->dirs[i], name);
        struct stat st_file;
        if (stat(path, &st_file) != 0) {
            tried_add(tried, sizeof tried, path);
            continue;
        }
        /* The first file that exists decides, usable or not: falling
         * through to a later directory would quietly load another build
         * than the one the user put first. */
        if (!S_ISREG(st_file.st_mode)) {
            return tacho_error_set(err, TACHO_EPLUGIN,
                                   "sink '%s': %s is not a regular file", name,
                                   path);
        }
        return tacho__loader_open_file(path, name, out, err);
    }
    return tacho_error_set(err, TACHO_ENOENT, "sink '%s' not found: tried %s",
                           name, tried);
}
