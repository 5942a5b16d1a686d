/*
 * Sink options: checking a sink's config group against its option table
 * and holding the typed values handed to the sink's create().
 *
 * A tacho_options_t owns copies of everything (names, values and the
 * places they were written), so it never refers to the config or to the
 * sink's table once built.
 */
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "config_internal.h"

/* A table longer than this has most likely lost its terminator. */
#define MAX_OPTIONS 256
#define OOM_TEXT "out of memory building sink options"

/* The keys every sink group may hold, read by the host itself. */
static const char *const host_keys[] = {"plugin", "name", "optional"};

/* One declared option and its value. */
typedef struct opt {
    char *name;
    tacho_option_type_t type;
    bool present; /* has a value: written in the config or a default */
    bool written; /* written in the config */
    char *file;   /* where it was written (the group's place for defaults) */
    int line;
    char *s;
    int64_t i;
    double f;
    bool b;
    size_t count;  /* lists and maps */
    char **keys;   /* string list elements, or map keys */
    char **values; /* map values */
    double *floats;
} opt_t;

struct tacho_options {
    opt_t *opts;
    size_t count;
    char *file; /* the sink group's place */
    int line;
};

/* Why a value does not fit its type: the offending setting and a phrase
 * completing "option 'x' ...". */
typedef struct problem {
    const config_setting_t *at;
    char what[256];
} problem_t;

static const tacho_setting_t *pub(const config_setting_t *s)
{
    return (const tacho_setting_t *)s;
}

static bool reserved(const char *name)
{
    for (size_t k = 0; k < sizeof host_keys / sizeof host_keys[0]; k++) {
        if (strcmp(host_keys[k], name) == 0) {
            return true;
        }
    }
    return false;
}

static const char *type_phrase(tacho_option_type_t type)
{
    switch (type) {
    case TACHO_OPT_STRING:
        return "a string";
    case TACHO_OPT_INT:
        return "an integer";
    case TACHO_OPT_FLOAT:
        return "a number";
    case TACHO_OPT_BOOL:
        return "a boolean";
    case TACHO_OPT_STRING_LIST:
        return "an array of strings";
    case TACHO_OPT_FLOAT_LIST:
        return "an array of numbers";
    case TACHO_OPT_STRING_MAP:
        return "a group of strings";
    default:
        return NULL;
    }
}

/* ---- conversion ------------------------------------------------------- */

static int mismatch(problem_t *p, const config_setting_t *s,
                    tacho_option_type_t type)
{
    p->at = s;
    snprintf(p->what, sizeof p->what, "must be %s, not %s", type_phrase(type),
             tacho__setting_kind(pub(s)));
    return TACHO_ECONFIG;
}

/* A list element or map member `e` of `s` that is not of the element type;
 * `label` names it ("element 2" or "'env'"). */
static int bad_member(problem_t *p, const config_setting_t *e,
                      tacho_option_type_t type, const char *label)
{
    p->at = e;
    snprintf(p->what, sizeof p->what, "must be %s; %s is %s", type_phrase(type),
             label, tacho__setting_kind(pub(e)));
    return TACHO_ECONFIG;
}

static bool is_number(const config_setting_t *s)
{
    return s->type == CONFIG_TYPE_INT || s->type == CONFIG_TYPE_INT64 ||
           s->type == CONFIG_TYPE_FLOAT;
}

static bool is_sequence(const config_setting_t *s)
{
    return s->type == CONFIG_TYPE_ARRAY || s->type == CONFIG_TYPE_LIST;
}

static int convert_scalar(const config_setting_t *s, opt_t *o, problem_t *p)
{
    const tacho_setting_t *ps = pub(s);
    bool ok = false;
    switch (o->type) {
    case TACHO_OPT_STRING: {
        const char *v;
        if (tacho_setting_string(ps, &v)) {
            o->s = tacho_strdup(v);
            return o->s != NULL ? 0 : TACHO_ENOMEM;
        }
        break;
    }
    case TACHO_OPT_INT:
        ok = tacho_setting_int(ps, &o->i);
        break;
    case TACHO_OPT_FLOAT:
        ok = tacho_setting_float(ps, &o->f);
        break;
    default:
        ok = tacho_setting_bool(ps, &o->b);
        break;
    }
    return ok ? 0 : mismatch(p, s, o->type);
}

static int convert_string_list(const config_setting_t *s, opt_t *o,
                               problem_t *p)
{
    if (!is_sequence(s)) {
        return mismatch(p, s, o->type);
    }
    size_t n = (size_t)config_setting_length(s);
    o->keys = tacho_calloc(n + 1, sizeof *o->keys);
    if (o->keys == NULL) {
        return TACHO_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        if (e->type != CONFIG_TYPE_STRING) {
            char label[32];
            snprintf(label, sizeof label, "element %zu", k);
            return bad_member(p, e, o->type, label);
        }
        o->keys[k] = tacho_strdup(config_setting_get_string(e));
        if (o->keys[k] == NULL) {
            return TACHO_ENOMEM;
        }
        o->count = k + 1;
    }
    return 0;
}

static int convert_float_list(const config_setting_t *s, opt_t *o, problem_t *p)
{
    if (!is_sequence(s)) {
        return mismatch(p, s, o->type);
    }
    size_t n = (size_t)config_setting_length(s);
    o->floats = tacho_calloc(n + 1, sizeof *o->floats);
    if (o->floats == NULL) {
        return TACHO_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        if (!is_number(e)) {
            char label[32];
            snprintf(label, sizeof label, "element %zu", k);
            return bad_member(p, e, o->type, label);
        }
        tacho_setting_float(pub(e), &o->floats[k]);
    }
    o->count = n;
    return 0;
}

static int convert_string_map(const config_setting_t *s, opt_t *o, problem_t *p)
{
    if (s->type != CONFIG_TYPE_GROUP) {
        return mismatch(p, s, o->type);
    }
    size_t n = (size_t)config_setting_length(s);
    o->keys = tacho_calloc(n + 1, sizeof *o->keys);
    o->values = tacho_calloc(n + 1, sizeof *o->values);
    if (o->keys == NULL || o->values == NULL) {
        return TACHO_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)k);
        if (e->type != CONFIG_TYPE_STRING) {
            /* Long member names are cut: the file:line locates them. */
            char label[80];
            snprintf(label, sizeof label, "'%.64s'", e->name);
            return bad_member(p, e, o->type, label);
        }
        o->keys[k] = tacho_strdup(e->name);
        o->values[k] = tacho_strdup(config_setting_get_string(e));
        o->count = k + 1;
        if (o->keys[k] == NULL || o->values[k] == NULL) {
            return TACHO_ENOMEM;
        }
    }
    return 0;
}

/*
 * Converts setting `s` to option `o`'s type and stores the value in `o`.
 * Returns 0, TACHO_ECONFIG (explained in `p`) or TACHO_ENOMEM; on failure
 * `o` may hold part of the value, which opt_clear() frees.
 */
static int convert(const config_setting_t *s, opt_t *o, problem_t *p)
{
    switch (o->type) {
    case TACHO_OPT_STRING:
    case TACHO_OPT_INT:
    case TACHO_OPT_FLOAT:
    case TACHO_OPT_BOOL:
        return convert_scalar(s, o, p);
    case TACHO_OPT_STRING_LIST:
        return convert_string_list(s, o, p);
    case TACHO_OPT_FLOAT_LIST:
        return convert_float_list(s, o, p);
    default:
        return convert_string_map(s, o, p);
    }
}

/* Frees an option's value and place (not its name). */
static void opt_clear_value(opt_t *o)
{
    for (size_t k = 0; o->keys != NULL && o->keys[k] != NULL; k++) {
        tacho_free(o->keys[k]);
    }
    for (size_t k = 0; o->values != NULL && o->values[k] != NULL; k++) {
        tacho_free(o->values[k]);
    }
    tacho_free(o->keys);
    tacho_free(o->values);
    tacho_free(o->floats);
    tacho_free(o->s);
    tacho_free(o->file);
    char *name = o->name;
    tacho_option_type_t type = o->type;
    memset(o, 0, sizeof *o);
    o->name = name;
    o->type = type;
}

/*
 * Parses a default written in config syntax by reading "v = <text>;" as a
 * config of its own. Returns 0, TACHO_ECONFIG (with `why` completing
 * "default of option 'x' (\"text\") ...") or TACHO_ENOMEM.
 */
static int parse_default(const char *text, opt_t *o, char *why, size_t n)
{
    size_t len = strlen(text) + 8;
    char *src = tacho_malloc(len);
    if (src == NULL) {
        return TACHO_ENOMEM;
    }
    snprintf(src, len, "v = %s;\n", text);
    config_t c;
    config_init(&c);
    int rc = TACHO_ECONFIG;
    if (config_read_string(&c, src) != CONFIG_TRUE) {
        snprintf(why, n, "does not parse: %s", config_error_text(&c));
    } else if (config_setting_length(config_root_setting(&c)) != 1) {
        snprintf(why, n, "is not a single value");
    } else {
        problem_t p;
        rc =
            convert(config_setting_get_elem(config_root_setting(&c), 0), o, &p);
        if (rc == TACHO_ECONFIG) {
            snprintf(why, n, "%s", p.what);
        }
    }
    config_destroy(&c);
    tacho_free(src);
    return rc;
}

/* ---- checking a sink's table ------------------------------------------ */

/* Option names are config keys: a letter, then letters, digits, _ or -. */
static bool valid_key(const char *s)
{
    bool letter = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
    return letter &&
           s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")] == '\0';
}

/* Checks entry `k` of `spec`; the entries before it are already checked. */
static int check_entry(const char *sink, const tacho_option_spec_t *spec,
                       size_t k, tacho_error_t *err)
{
    const tacho_option_spec_t *e = &spec[k];
    if (!valid_key(e->name)) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "sink '%s': option name '%s' is not a valid "
                               "key (a letter, then letters, digits, _ or -)",
                               sink, e->name);
    }
    if (reserved(e->name)) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "sink '%s': option '%s' is reserved for the "
                               "host (plugin, name and optional are)",
                               sink, e->name);
    }
    for (size_t j = 0; j < k; j++) {
        if (strcmp(spec[j].name, e->name) == 0) {
            return tacho_error_set(err, TACHO_EPLUGIN,
                                   "sink '%s': option '%s' is declared twice",
                                   sink, e->name);
        }
    }
    if (type_phrase(e->type) == NULL) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "sink '%s': option '%s' has an unknown type %d",
                               sink, e->name, (int)e->type);
    }
    if (e->required && e->default_value != NULL) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "sink '%s': option '%s' is required and has a "
                               "default; it cannot be both",
                               sink, e->name);
    }
    return 0;
}

static int check_default(const char *sink, const tacho_option_spec_t *e,
                         tacho_error_t *err)
{
    opt_t o = {.type = e->type};
    char why[300];
    int rc = parse_default(e->default_value, &o, why, sizeof why);
    opt_clear_value(&o);
    if (rc == TACHO_ENOMEM) {
        return tacho_error_set(err, rc, "%s", OOM_TEXT);
    }
    if (rc != 0) {
        return tacho_error_set(err, TACHO_EPLUGIN,
                               "sink '%s': default of option '%s' (%s) %s",
                               sink, e->name, e->default_value, why);
    }
    return 0;
}

int tacho__options_check_spec(const char *sink_name,
                              const tacho_option_spec_t *spec,
                              tacho_error_t *err)
{
    const char *sink = sink_name != NULL ? sink_name : "?";
    tacho_error_clear(err);
    for (size_t k = 0; spec != NULL && spec[k].name != NULL; k++) {
        if (k == MAX_OPTIONS) {
            return tacho_error_set(err, TACHO_EPLUGIN,
                                   "sink '%s': option table has more than %d "
                                   "entries; is its {NULL} end missing?",
                                   sink, MAX_OPTIONS);
        }
        int rc = check_entry(sink, spec, k, err);
        if (rc == 0 && spec[k].default_value != NULL) {
            rc = check_default(sink, &spec[k], err);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- building a sink's options ------------------------------------------ */

/* What the build needs while it runs. */
typedef struct build {
    const tacho__sink_entry_t *entry;
    const tacho_option_spec_t *spec;
    tacho_options_t *o;
    tacho__report_t *r;
} build_t;

static int oom(build_t *b)
{
    return tacho__report(b->r, TACHO_ENOMEM, "%s", OOM_TEXT);
}

/* Reports a TACHO_ECONFIG problem about the sink, at a place. */
TACHO_PRINTF(4, 5)
static void sink_bad(build_t *b, const char *file, int line, const char *fmt,
                     ...)
{
    char text[TACHO_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tacho__report_at(b->r, TACHO_ECONFIG, file, line,
                     "sink '%s' (plugin %s): %s", b->entry->name,
                     b->entry->plugin, text);
}

static void unknown_key(build_t *b, const tacho_setting_t *s)
{
    char valid[TACHO_ERROR_TEXT_MAX] = "plugin, name, optional";
    size_t used = strlen(valid);
    for (size_t k = 0; k < b->o->count && used < sizeof valid; k++) {
        int n = snprintf(valid + used, sizeof valid - used, ", %s",
                         b->o->opts[k].name);
        used += n > 0 ? (size_t)n : 0;
    }
    sink_bad(b, tacho_setting_file(s), tacho_setting_line(s),
             "unknown key '%s' (valid keys: %s)", tacho_setting_name(s), valid);
}

static opt_t *find_opt(const tacho_options_t *o, const char *name)
{
    for (size_t k = 0; o != NULL && name != NULL && k < o->count; k++) {
        if (strcmp(o->opts[k].name, name) == 0) {
            return &o->opts[k];
        }
    }
    return NULL;
}

/* Records where an option's value came from. */
static int set_place(opt_t *opt, const char *file, int line)
{
    opt->present = true;
    opt->line = line;
    opt->file = tacho_strdup(file);
    return file != NULL && opt->file == NULL ? TACHO_ENOMEM : 0;
}

/* Converts one key the sink's group writes. */
static void take_member(build_t *b, const tacho_setting_t *s)
{
    opt_t *opt = find_opt(b->o, tacho_setting_name(s));
    if (opt == NULL) {
        unknown_key(b, s);
        return;
    }
    problem_t p;
    int rc = convert((const config_setting_t *)s, opt, &p);
    if (rc == 0) {
        opt->written = true;
        rc = set_place(opt, tacho_setting_file(s), tacho_setting_line(s));
    }
    if (rc == TACHO_ENOMEM) {
        oom(b);
    } else if (rc != 0) {
        const tacho_setting_t *at = pub(p.at);
        sink_bad(b, tacho_setting_file(at), tacho_setting_line(at),
                 "option '%s' %s", opt->name, p.what);
        opt_clear_value(opt);
        /* It is written, only wrongly: no default, no "missing" report. */
        opt->written = true;
    }
}

/* Fills in an option the group does not write: its default, or nothing. */
static void take_default(build_t *b, const tacho_option_spec_t *e, opt_t *opt)
{
    const tacho__sink_entry_t *en = b->entry;
    if (e->required) {
        sink_bad(b, en->file, en->line, "missing required key '%s'", e->name);
        return;
    }
    if (e->default_value == NULL) {
        return;
    }
    char why[300];
    int rc = parse_default(e->default_value, opt, why, sizeof why);
    if (rc == 0) {
        rc = set_place(opt, en->file, en->line);
    }
    if (rc == TACHO_ENOMEM) {
        oom(b);
    } else if (rc != 0) {
        sink_bad(b, en->file, en->line,
                 "the sink's default of option '%s' (%s) %s", e->name,
                 e->default_value, why);
        opt_clear_value(opt);
    }
}

static int options_new(build_t *b)
{
    size_t n = 0;
    while (b->spec != NULL && b->spec[n].name != NULL) {
        n++;
    }
    tacho_options_t *o = tacho_calloc(1, sizeof *o);
    if (o == NULL) {
        return TACHO_ENOMEM;
    }
    b->o = o;
    o->line = b->entry->line;
    o->file = tacho_strdup(b->entry->file);
    o->opts = tacho_calloc(n + 1, sizeof *o->opts);
    if ((b->entry->file != NULL && o->file == NULL) || o->opts == NULL) {
        return TACHO_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        o->opts[k].type = b->spec[k].type;
        o->opts[k].name = tacho_strdup(b->spec[k].name);
        if (o->opts[k].name == NULL) {
            return TACHO_ENOMEM;
        }
        o->count = k + 1;
    }
    return 0;
}

int tacho__options_build(const tacho_option_spec_t *spec,
                         const tacho__sink_entry_t *entry,
                         tacho_options_t **out, tacho_error_fn each, void *arg,
                         tacho_error_t *err)
{
    tacho__report_t r = {each, arg, err, 0};
    build_t b = {entry, spec, NULL, &r};
    tacho_error_clear(err);
    if (entry == NULL || out == NULL) {
        return tacho__report(
            &r, TACHO_EINVAL,
            "tacho__options_build: entry and out are required");
    }
    *out = NULL;
    if (options_new(&b) != 0) {
        tacho__options_free(b.o);
        return oom(&b);
    }
    size_t n = tacho_setting_length(entry->group);
    for (size_t k = 0; k < n && r.code != TACHO_ENOMEM; k++) {
        const tacho_setting_t *s = tacho_setting_elem(entry->group, k);
        if (!reserved(tacho_setting_name(s))) {
            take_member(&b, s);
        }
    }
    for (size_t k = 0; k < b.o->count && r.code != TACHO_ENOMEM; k++) {
        if (!b.o->opts[k].written) {
            take_default(&b, &spec[k], &b.o->opts[k]);
        }
    }
    if (r.code != 0) {
        tacho__options_free(b.o);
        return r.code;
    }
    *out = b.o;
    return 0;
}

void tacho__options_free(tacho_options_t *o)
{
    if (o == NULL) {
        return;
    }
    for (size_t k = 0; o->opts != NULL && k < o->count; k++) {
        opt_clear_value(&o->opts[k]);
        tacho_free(o->opts[k].name);
    }
    tacho_free(o->opts);
    tacho_free(o->file);
    tacho_free(o);
}

/* ---- accessors ------------------------------------------------------------
 */

/*
 * Every accessor answers NULL / 0 / false when `name` is not declared, is
 * declared with another type, or has no value (no default and not written),
 * so a sink can tell "absent" from a value only for pointers; use
 * tacho_options_is_set() or a default in the table for the others.
 */
static const opt_t *value_of(const tacho_options_t *o, const char *name,
                             tacho_option_type_t type)
{
    const opt_t *opt = find_opt(o, name);
    return opt != NULL && opt->type == type && opt->present ? opt : NULL;
}

bool tacho_options_is_set(const tacho_options_t *o, const char *name)
{
    const opt_t *opt = find_opt(o, name);
    return opt != NULL && opt->written;
}

const char *tacho_options_string(const tacho_options_t *o, const char *name)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_STRING);
    return opt != NULL ? opt->s : NULL;
}

int64_t tacho_options_int(const tacho_options_t *o, const char *name)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_INT);
    return opt != NULL ? opt->i : 0;
}

double tacho_options_float(const tacho_options_t *o, const char *name)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_FLOAT);
    return opt != NULL ? opt->f : 0.0;
}

bool tacho_options_bool(const tacho_options_t *o, const char *name)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_BOOL);
    return opt != NULL && opt->b;
}

size_t tacho_options_count(const tacho_options_t *o, const char *name)
{
    const opt_t *opt = find_opt(o, name);
    if (opt == NULL || !opt->present || opt->type < TACHO_OPT_STRING_LIST) {
        return 0;
    }
    return opt->count;
}

const char *tacho_options_list_string(const tacho_options_t *o,
                                      const char *name, size_t i)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_STRING_LIST);
    return opt != NULL && i < opt->count ? opt->keys[i] : NULL;
}

double tacho_options_list_float(const tacho_options_t *o, const char *name,
                                size_t i)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_FLOAT_LIST);
    return opt != NULL && i < opt->count ? opt->floats[i] : 0.0;
}

const char *tacho_options_map_key(const tacho_options_t *o, const char *name,
                                  size_t i)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_STRING_MAP);
    return opt != NULL && i < opt->count ? opt->keys[i] : NULL;
}

const char *tacho_options_map_value(const tacho_options_t *o, const char *name,
                                    size_t i)
{
    const opt_t *opt = value_of(o, name, TACHO_OPT_STRING_MAP);
    return opt != NULL && i < opt->count ? opt->values[i] : NULL;
}

int tacho_options_error(const tacho_options_t *o, const char *name,
                        tacho_error_t *err, int code, const char *fmt, ...)
{
    char text[TACHO_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (o == NULL) {
        return tacho_error_set(err, code, "%s", text);
    }
    const opt_t *opt = find_opt(o, name);
    if (opt != NULL && opt->present) {
        return tacho_error_set_at(err, code, opt->file, opt->line, "%s", text);
    }
    return tacho_error_set_at(err, code, o->file, o->line, "%s", text);
}
