/*
 * Read-only access to the settings of a loaded config, and the problem
 * reporter shared by config.c and options.c.
 */
#include <stdio.h>

#include <libconfig.h>

#include "config_internal.h"

/* ---- problem reporting ------------------------------------------------ */

static void report_deliver(tacho__report_t *r, const tacho_error_t *e)
{
    if (r->each != NULL) {
        r->each(r->arg, e);
    }
    if (r->code == 0) {
        r->code = e->code;
        if (r->err != NULL) {
            *r->err = *e;
        }
    }
}

int tacho__report_vat(tacho__report_t *r, int code, const char *file, int line,
                      const char *fmt, va_list ap)
{
    char text[TACHO_ERROR_TEXT_MAX];
    tacho_error_t e;
    vsnprintf(text, sizeof text, fmt, ap);
    tacho_error_set_at(&e, code, file, line, "%s", text);
    report_deliver(r, &e);
    return code;
}

int tacho__report_at(tacho__report_t *r, int code, const char *file, int line,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tacho__report_vat(r, code, file, line, fmt, ap);
    va_end(ap);
    return code;
}

int tacho__report(tacho__report_t *r, int code, const char *fmt, ...)
{
    char text[TACHO_ERROR_TEXT_MAX];
    tacho_error_t e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tacho_error_set(&e, code, "%s", text);
    report_deliver(r, &e);
    return code;
}

/*
 * tacho_setting_t is never defined: a tacho_setting_t pointer is a
 * config_setting_t pointer under another name, converted back before any
 * use. C11 6.3.2.3p7 guarantees that such a round trip yields the original
 * pointer, and the public type keeps libconfig out of tacho's headers.
 */
static const config_setting_t *lc(const tacho_setting_t *s)
{
    return (const config_setting_t *)s;
}

static const tacho_setting_t *pub(const config_setting_t *s)
{
    return (const tacho_setting_t *)s;
}

/* ---- setting accessors ----------------------------------------------------
 */

tacho_setting_type_t tacho_setting_type(const tacho_setting_t *s)
{
    if (s == NULL) {
        return TACHO_SETTING_NONE;
    }
    switch (lc(s)->type) {
    case CONFIG_TYPE_GROUP:
        return TACHO_SETTING_GROUP;
    case CONFIG_TYPE_LIST:
        return TACHO_SETTING_LIST;
    case CONFIG_TYPE_ARRAY:
        return TACHO_SETTING_ARRAY;
    case CONFIG_TYPE_STRING:
        return TACHO_SETTING_STRING;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return TACHO_SETTING_INT;
    case CONFIG_TYPE_FLOAT:
        return TACHO_SETTING_FLOAT;
    case CONFIG_TYPE_BOOL:
        return TACHO_SETTING_BOOL;
    default:
        return TACHO_SETTING_NONE;
    }
}

static const char *const type_names[][2] = {
    [TACHO_SETTING_NONE] = {"none", "nothing"},
    [TACHO_SETTING_GROUP] = {"group", "a group"},
    [TACHO_SETTING_LIST] = {"list", "a list"},
    [TACHO_SETTING_ARRAY] = {"array", "an array"},
    [TACHO_SETTING_STRING] = {"string", "a string"},
    [TACHO_SETTING_INT] = {"integer", "an integer"},
    [TACHO_SETTING_FLOAT] = {"float", "a float"},
    [TACHO_SETTING_BOOL] = {"boolean", "a boolean"},
};

const char *tacho_setting_type_name(tacho_setting_type_t t)
{
    if ((unsigned)t > TACHO_SETTING_BOOL) {
        t = TACHO_SETTING_NONE;
    }
    return type_names[t][0];
}

const char *tacho__setting_kind(const tacho_setting_t *s)
{
    return type_names[tacho_setting_type(s)][1];
}

const char *tacho_setting_name(const tacho_setting_t *s)
{
    return s != NULL ? config_setting_name(lc(s)) : NULL;
}

int tacho_setting_line(const tacho_setting_t *s)
{
    return s != NULL ? (int)config_setting_source_line(lc(s)) : 0;
}

const tacho_setting_t *tacho_setting_member(const tacho_setting_t *s,
                                            const char *name)
{
    if (s == NULL || name == NULL || lc(s)->type != CONFIG_TYPE_GROUP) {
        return NULL;
    }
    return pub(config_setting_get_member(lc(s), name));
}

size_t tacho_setting_length(const tacho_setting_t *s)
{
    return s != NULL ? (size_t)config_setting_length(lc(s)) : 0;
}

const tacho_setting_t *tacho_setting_elem(const tacho_setting_t *s, size_t i)
{
    if (s == NULL || i >= tacho_setting_length(s)) {
        return NULL;
    }
    return pub(config_setting_get_elem(lc(s), (unsigned)i));
}

bool tacho_setting_string(const tacho_setting_t *s, const char **out)
{
    if (s == NULL || lc(s)->type != CONFIG_TYPE_STRING) {
        return false;
    }
    *out = config_setting_get_string(lc(s));
    return true;
}

bool tacho_setting_int(const tacho_setting_t *s, int64_t *out)
{
    if (s == NULL ||
        (lc(s)->type != CONFIG_TYPE_INT && lc(s)->type != CONFIG_TYPE_INT64)) {
        return false;
    }
    *out = config_setting_get_int64(lc(s));
    return true;
}

bool tacho_setting_float(const tacho_setting_t *s, double *out)
{
    int64_t i;
    if (tacho_setting_int(s, &i)) {
        *out = (double)i;
        return true;
    }
    if (s == NULL || lc(s)->type != CONFIG_TYPE_FLOAT) {
        return false;
    }
    *out = config_setting_get_float(lc(s));
    return true;
}

bool tacho_setting_bool(const tacho_setting_t *s, bool *out)
{
    if (s == NULL || lc(s)->type != CONFIG_TYPE_BOOL) {
        return false;
    }
    *out = config_setting_get_bool(lc(s)) != 0;
    return true;
}
