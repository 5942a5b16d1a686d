/*
 * tacho: the configuration file (libconfig syntax), read-only.
 *
 * Loading checks syntax and the `tacho` group (keys, types, ranges); sinks'
 * groups are checked against each sink's option table when a host opens the
 * config. The setting accessors let a program read sections of its own
 * (tacho-worker reads `jobs` this way) with file:line for its messages.
 * docs/CONFIG.md documents every key.
 */
#ifndef TACHO_CONFIG_H
#define TACHO_CONFIG_H

#include <tacho/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tacho_config tacho_config_t;
/* A node of a loaded config; borrowed from its config. */
typedef struct tacho_setting tacho_setting_t;

/* Called once per problem found, for tools that report them all. */
typedef void (*tacho_error_fn)(void *arg, const tacho_error_t *err);

/*
 * Loads and checks a config file. Returns 0; TACHO_ENOENT/TACHO_EACCES/
 * TACHO_EIO when the file cannot be read; TACHO_ECONFIG on a syntax error
 * (libconfig's file:line and message) or a bad `tacho` group (file:line,
 * and for an unknown key the valid keys); TACHO_ENOMEM.
 * `each` (may be NULL) receives every problem found; `err` gets the first.
 * Ownership: `*out` is the caller's; free with tacho_config_free().
 * Thread-safety: any thread; a config is immutable once loaded.
 */
TACHO_EXTERN int tacho_config_load_file(const char *path, tacho_config_t **out,
                                        tacho_error_fn each, void *arg,
                                        tacho_error_t *err);
/* As tacho_config_load_file(), from text (shown as "<string>" in errors).
 * `@include` directives are refused in text. */
TACHO_EXTERN int tacho_config_load_string(const char *text, tacho_config_t **out,
                                          tacho_error_fn each, void *arg,
                                          tacho_error_t *err);
/*
 * Checks a config file for a tool that reports every problem (what
 * `tacho-worker --check-config` does): as tacho_config_load_file(), but when
 * the file parses and only its values are wrong, `*out` still receives the
 * config, with the bad values of the `tacho` group left at their defaults and
 * the sink entries whose `plugin` or `name` is bad (or taken) left out, so
 * the caller can go on to check the sinks (tacho_host_open()) and its own
 * sections. Every problem goes to `each`. Returns 0 when nothing was wrong,
 * else the first problem's code (`*out` is NULL unless it is TACHO_ECONFIG).
 * Ownership: `*out` is the caller's; free with tacho_config_free().
 */
TACHO_EXTERN int tacho_config_check_file(const char *path, tacho_config_t **out,
                                         tacho_error_fn each, void *arg);

/* Accepts NULL. */
TACHO_EXTERN void tacho_config_free(tacho_config_t *cfg);

/* The file the config came from ("<string>" for text); borrowed. */
TACHO_EXTERN const char *tacho_config_path(const tacho_config_t *cfg);

/* The root group. */
TACHO_EXTERN const tacho_setting_t *tacho_config_root(const tacho_config_t *cfg);

typedef enum tacho_setting_type {
    TACHO_SETTING_NONE = 0,
    TACHO_SETTING_GROUP,
    TACHO_SETTING_LIST,  /* ( ... ), elements of any type */
    TACHO_SETTING_ARRAY, /* [ ... ], scalars of one type */
    TACHO_SETTING_STRING,
    TACHO_SETTING_INT,
    TACHO_SETTING_FLOAT,
    TACHO_SETTING_BOOL
} tacho_setting_type_t;

/* Accessors; each accepts NULL and answers NONE / NULL / 0 for it. */
TACHO_EXTERN tacho_setting_type_t tacho_setting_type(const tacho_setting_t *s);
/* Static name of a type: "group", "list", "array", "string", ... */
TACHO_EXTERN const char *tacho_setting_type_name(tacho_setting_type_t t);
/* Key name; NULL for list elements and the root. */
TACHO_EXTERN const char *tacho_setting_name(const tacho_setting_t *s);
/* Where the setting is written. */
TACHO_EXTERN const char *tacho_setting_file(const tacho_setting_t *s);
TACHO_EXTERN int tacho_setting_line(const tacho_setting_t *s);
/* Member of a group by name, or NULL. */
TACHO_EXTERN const tacho_setting_t *tacho_setting_member(const tacho_setting_t *s,
                                                         const char *name);
/* Elements of a group, list or array. */
TACHO_EXTERN size_t tacho_setting_length(const tacho_setting_t *s);
TACHO_EXTERN const tacho_setting_t *tacho_setting_elem(const tacho_setting_t *s,
                                                       size_t i);
/* Scalar values. Each returns false when the setting has another type
 * (an INT is accepted by tacho_setting_float). Strings are borrowed. */
TACHO_EXTERN bool tacho_setting_string(const tacho_setting_t *s, const char **out);
TACHO_EXTERN bool tacho_setting_int(const tacho_setting_t *s, int64_t *out);
TACHO_EXTERN bool tacho_setting_float(const tacho_setting_t *s, double *out);
TACHO_EXTERN bool tacho_setting_bool(const tacho_setting_t *s, bool *out);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_CONFIG_H */
