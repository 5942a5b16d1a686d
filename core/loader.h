/*
 * Private: finding, loading and checking sink plugins.
 *
 * Every libltdl call in tacho lives in core/loader.c, under one mutex.
 * A loaded sink is described by a tacho__sink_type_t: the host's own copy
 * of the descriptor fields the plugin's ABI minor promises, read field by
 * field (never copied by the host's sizeof). Types of loaded modules are
 * refcounted: the module stays loaded while any reference lives.
 */
#ifndef TACHO_LOADER_H
#define TACHO_LOADER_H

#include <tacho/sink.h>

/* The longest plugin name accepted (without the tacho_sink_ prefix). */
#define TACHO__SINK_NAME_MAX 64

struct tacho__module;

/* A sink type: what the host knows of one plugin. Strings are borrowed
 * from the plugin, which stays loaded while the type is referenced. */
typedef struct tacho__sink_type {
    unsigned abi_major;
    unsigned abi_minor;
    const char *name;
    const char *description; /* "" when the plugin gave none */
    const char *version;     /* "" when the plugin gave none */
    const tacho_option_spec_t *options;
    int (*create)(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                  void **state, tacho_error_t *err);
    int (*start)(void *state, tacho_error_t *err);
    tacho_sink_result_t (*write)(void *state, const tacho_snapshot_t *snap);
    int (*flush)(void *state);
    int (*reopen)(void *state);
    void (*stop)(void *state);
    void (*destroy)(void *state);
    const char *path;             /* the file, or "(static)" */
    struct tacho__module *module; /* NULL for a static sink */
} tacho__sink_type_t;

/* The directories searched for sinks, in order. */
typedef struct tacho__search_path {
    char **dirs;
    size_t count;
} tacho__search_path_t;

/* True when `name` is a valid plugin name: [a-z0-9_]+, not too long. */
bool tacho__sink_name_valid(const char *name);

/*
 * Checks a descriptor and reads it into `out`, field by field, only the
 * fields its ABI minor promises. `expected` is the name the descriptor
 * must carry (NULL: any valid name); `where` names its origin in messages.
 * Returns 0, TACHO_EINVAL, TACHO_EABI, TACHO_EPLUGIN or what
 * tacho__options_check_spec() returns. Borrows `d`.
 */
int tacho__sink_type_read(const tacho_sink_descriptor_t *d,
                          const char *expected, const char *where,
                          tacho__sink_type_t *out, tacho_error_t *err);

/*
 * Builds the search path: `plugin_path` (from the config), then
 * TACHO_PLUGIN_PATH, then tacho/sinks beside libtacho, then the install
 * directory; duplicates dropped. A relative entry is TACHO_ECONFIG.
 * Ownership: free with tacho__search_path_free().
 */
int tacho__search_path_init(tacho__search_path_t *sp,
                            const char *const *plugin_path, size_t count,
                            tacho_error_t *err);
/* Frees the directories. Accepts an already freed or zeroed path. */
void tacho__search_path_free(tacho__search_path_t *sp);

/*
 * Finds sink `name`: a statically registered sink first, else the first
 * <dir>/tacho_sink_<name>.so on `sp`, loaded and checked.
 * Returns 0; TACHO_EINVAL (bad name), TACHO_ENOENT (listing every file
 * tried), TACHO_EACCES (unsafe file or directory), TACHO_EPLUGIN, TACHO_EABI,
 * TACHO_ENOMEM; a broken option table is what tacho__options_check_spec()
 * says (TACHO_EPLUGIN).
 * Ownership: `*out` is a reference; give it back with tacho__loader_release().
 * Thread-safety: any thread (the loader serialises itself).
 */
int tacho__loader_open(const char *name, const tacho__search_path_t *sp,
                       const tacho__sink_type_t **out, tacho_error_t *err);

/* As tacho__loader_open() for one known file holding sink `name`. */
int tacho__loader_open_file(const char *path, const char *name,
                            const tacho__sink_type_t **out, tacho_error_t *err);

/* Gives back a reference; the last one unloads the module. Accepts NULL
 * and static types (which are never unloaded). */
void tacho__loader_release(const tacho__sink_type_t *type);

/* The statically registered sink `name` (core/registry.c), or NULL. */
const tacho__sink_type_t *tacho__registry_find(const char *name);

#endif /* TACHO_LOADER_H */
