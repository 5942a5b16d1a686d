/*
 * Private to the two halves of the configuration file: config.c (loading
 * a file or text, and freeing) and config_check.c (checking what was read).
 * The rest of the core reaches a config through config_internal.h only.
 */
#ifndef TACHO_CONFIG_FILE_H
#define TACHO_CONFIG_FILE_H

#include <libconfig.h>

#include "config_internal.h"

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

/* A tacho_setting_t is a config_setting_t (see config_setting.c). */
static inline const tacho_setting_t *pub(const config_setting_t *s)
{
    return (const tacho_setting_t *)s;
}

/* Reports "out of memory loading the config"; returns TACHO_ENOMEM. */
int tacho__config_oom(tacho__report_t *r);

/* Joins `dir` and `name` into a new string (free with tacho_free()), or
 * copies `name` if it is absolute or `dir` is NULL. NULL when out of
 * memory. */
char *tacho__config_join_path(const char *dir, const char *name);

/*
 * Checks what libconfig read into `cfg`: the top-level keys, the `tacho`
 * group (its values go into cfg->settings) and the shape of the `sinks`
 * list. Every problem goes to `r`, and checking goes on after one. What it
 * allocates hangs off `cfg` and is freed by tacho_config_free().
 */
void tacho__config_check(struct tacho_config *cfg, tacho__report_t *r);

#endif /* TACHO_CONFIG_FILE_H */
