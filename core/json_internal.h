/*
 * Private: the small json-c tree builder shared by core/json.c (schema 1)
 * and core/json_legacy.c (the replaced system's fields).
 *
 * The builder carries a sticky error: after the first failure every call
 * does nothing, so a renderer adds all its fields and checks once, in
 * tacho__jb_finish(). Keys must be string literals (json-c keeps the
 * pointer, not a copy).
 */
#ifndef TACHO_JSON_INTERNAL_H
#define TACHO_JSON_INTERNAL_H

#include <locale.h>

#include <json-c/json.h>

#include <tacho/json.h>

typedef struct tacho__jb {
    int rc;            /* 0, or the first failure (TACHO_ENOMEM) */
    locale_t c_locale; /* "C" numbers for this thread while rendering */
    locale_t saved;    /* the thread's locale before, restored at finish */
} tacho__jb_t;

/* Starts a rendering: switches this thread to "C" numeric formatting and
 * returns the root object, or NULL with b->rc set. Always pair with
 * tacho__jb_finish(), even when this fails. */
json_object *tacho__jb_begin(tacho__jb_t *b);

/*
 * Serialises `root` (PLAIN, or PRETTY when `flags` has TACHO_JSON_PRETTY;
 * never escaping '/') into tacho_malloc'd text, frees the tree and restores
 * the thread's locale. Returns b->rc or TACHO_ENOMEM; on failure `*out` is
 * NULL. Ownership: takes `root`; `*out` is the caller's (tacho_free()).
 */
int tacho__jb_finish(tacho__jb_t *b, json_object *root, unsigned flags,
                     char **out, size_t *len);

/* A new object or array stored under `key` of `obj`; NULL on failure. */
json_object *tacho__jb_object(tacho__jb_t *b, json_object *obj,
                              const char *key);
json_object *tacho__jb_array(tacho__jb_t *b, json_object *obj, const char *key);
/* A new object appended to the array `arr`; NULL on failure. */
json_object *tacho__jb_append_object(tacho__jb_t *b, json_object *arr);

/* Scalar members. Strings are copied; invalid UTF-8 bytes become U+FFFD
 * so the text stays valid JSON; a NULL string is JSON null. Numbers are
 * written in the shortest form that reads back exactly; a non-finite
 * number is written as null (never NaN or Infinity). */
void tacho__jb_null(tacho__jb_t *b, json_object *obj, const char *key);
void tacho__jb_bool(tacho__jb_t *b, json_object *obj, const char *key, bool v);
void tacho__jb_uint(tacho__jb_t *b, json_object *obj, const char *key,
                    uint64_t v);
void tacho__jb_number(tacho__jb_t *b, json_object *obj, const char *key,
                      double v);
void tacho__jb_string(tacho__jb_t *b, json_object *obj, const char *key,
                      const char *s);
/* An RFC 3339 UTC time with milliseconds, from Unix nanoseconds. */
void tacho__jb_time(tacho__jb_t *b, json_object *obj, const char *key,
                    int64_t unix_ns);

/* The snapshot's uptime as the replaced system's text ("5m 23s"). */
void tacho__jb_uptime_text(tacho__jb_t *b, json_object *obj, const char *key,
                           const tacho_snapshot_t *s);

#endif /* TACHO_JSON_INTERNAL_H */
