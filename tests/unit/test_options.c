/*
 * Suite for core/options.c: checking a sink's group against its option
 * table, the typed values and their places, and checking tables themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/config.h>
#include <tacho/sink.h>

#include "config_internal.h"
#include "failing_alloc.h"
#include "tacho_test.h"

#define MAX_SEEN 16

typedef struct seen {
    int n;
    char text[MAX_SEEN][TACHO_ERROR_TEXT_MAX];
} seen_t;

static void collect(void *arg, const tacho_error_t *e)
{
    seen_t *s = arg;
    if (s->n < MAX_SEEN) {
        snprintf(s->text[s->n], sizeof s->text[0], "%s", e->text);
    }
    s->n++;
}

/* A table with every option type, most with defaults. */
static const tacho_option_spec_t spec_all[] = {
    {"path", TACHO_OPT_STRING, NULL, "output file", true},
    {"mode", TACHO_OPT_STRING, "\"0640\"", "file mode", false},
    {"count", TACHO_OPT_INT, "5", "how many", false},
    {"ratio", TACHO_OPT_FLOAT, "1.5", "a ratio", false},
    {"verbose", TACHO_OPT_BOOL, "false", "say more", false},
    {"files", TACHO_OPT_STRING_LIST, "[\"a\", \"b\"]", "inputs", false},
    {"bounds", TACHO_OPT_FLOAT_LIST, "[0.1, 1.0]", "bucket bounds", false},
    {"labels", TACHO_OPT_STRING_MAP, "{}", "constant labels", false},
    {"note", TACHO_OPT_STRING, NULL, "no default", false},
    {NULL, 0, NULL, NULL, false}};

/* The config of one test, and its first sink. */
typedef struct fixture {
    tacho_config_t *cfg;
    const tacho__sink_entry_t *entry;
} fixture_t;

static fixture_t load(const char *text)
{
    fixture_t f = {NULL, NULL};
    tacho_error_t err;
    int rc = tacho_config_load_string(text, &f.cfg, NULL, NULL, &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "\n  config: %s\n", err.text);
        return f;
    }
    const tacho__settings_t *s = tacho__config_settings(f.cfg);
    CU_ASSERT_EQUAL(s->sink_count, 1);
    f.entry = s->sink_count > 0 ? &s->sinks[0] : NULL;
    return f;
}

/* Builds options for the sink in `text`, which must succeed. */
static tacho_options_t *build_ok(const tacho_option_spec_t *spec,
                                 const char *text)
{
    fixture_t f = load(text);
    if (f.entry == NULL) {
        tacho_config_free(f.cfg);
        return NULL;
    }
    tacho_options_t *o = NULL;
    tacho_error_t err;
    int rc = tacho__options_build(spec, f.entry, &o, NULL, NULL, &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "\n  options: %s\n", err.text);
    }
    /* The options are copies: they outlive the config. */
    tacho_config_free(f.cfg);
    return o;
}

/* Builds options for the sink in `text`, which must fail with exactly the
 * problems in `want` (NULL-terminated), the first also in `err`. */
static void expect_problems(const tacho_option_spec_t *spec, const char *text,
                            const char *const *want)
{
    fixture_t f = load(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.entry);
    seen_t seen = {0};
    tacho_error_t err;
    tacho_options_t *o = (tacho_options_t *)&seen; /* must be reset */
    int rc = tacho__options_build(spec, f.entry, &o, collect, &seen, &err);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    CU_ASSERT_PTR_NULL(o);
    CU_ASSERT_EQUAL(err.code, TACHO_ECONFIG);
    CU_ASSERT_STRING_EQUAL(err.text, want[0]);
    int n = 0;
    while (want[n] != NULL) {
        if (n < seen.n) {
            CU_ASSERT_STRING_EQUAL(seen.text[n], want[n]);
            if (strcmp(seen.text[n], want[n]) != 0) {
                fprintf(stderr, "\n  got:  %s\n  want: %s\n", seen.text[n],
                        want[n]);
            }
        }
        n++;
    }
    CU_ASSERT_EQUAL(seen.n, n);
    tacho_config_free(f.cfg);
}

static void expect_one(const tacho_option_spec_t *spec, const char *text,
                       const char *message)
{
    const char *want[] = {message, NULL};
    expect_problems(spec, text, want);
}

static void options_defaults_fill_unset_keys(void)
{
    tacho_options_t *o =
        build_ok(spec_all, "sinks = ( { plugin = \"csv\"; path = \"x\"; } );");
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_STRING_EQUAL(tacho_options_string(o, "path"), "x");
    CU_ASSERT_TRUE(tacho_options_is_set(o, "path"));
    CU_ASSERT_STRING_EQUAL(tacho_options_string(o, "mode"), "0640");
    CU_ASSERT_FALSE(tacho_options_is_set(o, "mode"));
    CU_ASSERT_EQUAL(tacho_options_int(o, "count"), 5);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_float(o, "ratio"), 1.5, 0);
    CU_ASSERT_FALSE(tacho_options_bool(o, "verbose"));
    CU_ASSERT_EQUAL_FATAL(tacho_options_count(o, "files"), 2);
    CU_ASSERT_STRING_EQUAL(tacho_options_list_string(o, "files", 0), "a");
    CU_ASSERT_STRING_EQUAL(tacho_options_list_string(o, "files", 1), "b");
    CU_ASSERT_EQUAL_FATAL(tacho_options_count(o, "bounds"), 2);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_list_float(o, "bounds", 0), 0.1, 0);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_list_float(o, "bounds", 1), 1.0, 0);
    CU_ASSERT_EQUAL(tacho_options_count(o, "labels"), 0);
    CU_ASSERT_PTR_NULL(tacho_options_map_key(o, "labels", 0));
    /* No default and not written: no value at all. */
    CU_ASSERT_PTR_NULL(tacho_options_string(o, "note"));
    CU_ASSERT_FALSE(tacho_options_is_set(o, "note"));
    tacho__options_free(o);
    tacho__options_free(NULL);
}

static void options_explicit_values_typed(void)
{
    tacho_options_t *o = build_ok(
        spec_all, "sinks = ( { plugin = \"csv\"; name = \"daily\";\n"
                  "  optional = true; path = \"/var/x.csv\"; mode = \"0600\";\n"
                  "  count = 5000000000L; ratio = 2; verbose = true;\n"
                  "  files = ( \"x\", \"y\", \"z\" ); bounds = [1, 2, 3];\n"
                  "  labels = { env = \"prod\"; dc = \"a\\\"b\"; };\n"
                  "  note = \"\"; } );");
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_STRING_EQUAL(tacho_options_string(o, "path"), "/var/x.csv");
    CU_ASSERT_STRING_EQUAL(tacho_options_string(o, "mode"), "0600");
    CU_ASSERT_TRUE(tacho_options_is_set(o, "mode"));
    CU_ASSERT_EQUAL(tacho_options_int(o, "count"), 5000000000LL);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_float(o, "ratio"), 2.0, 0);
    CU_ASSERT_TRUE(tacho_options_bool(o, "verbose"));
    CU_ASSERT_EQUAL_FATAL(tacho_options_count(o, "files"), 3);
    CU_ASSERT_STRING_EQUAL(tacho_options_list_string(o, "files", 2), "z");
    CU_ASSERT_EQUAL_FATAL(tacho_options_count(o, "bounds"), 3);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_list_float(o, "bounds", 2), 3.0, 0);
    CU_ASSERT_EQUAL_FATAL(tacho_options_count(o, "labels"), 2);
    CU_ASSERT_STRING_EQUAL(tacho_options_map_key(o, "labels", 0), "env");
    CU_ASSERT_STRING_EQUAL(tacho_options_map_value(o, "labels", 0), "prod");
    CU_ASSERT_STRING_EQUAL(tacho_options_map_key(o, "labels", 1), "dc");
    CU_ASSERT_STRING_EQUAL(tacho_options_map_value(o, "labels", 1), "a\"b");
    CU_ASSERT_STRING_EQUAL(tacho_options_string(o, "note"), "");
    CU_ASSERT_TRUE(tacho_options_is_set(o, "note"));
    /* The host's keys are not options. */
    CU_ASSERT_FALSE(tacho_options_is_set(o, "name"));
    CU_ASSERT_PTR_NULL(tacho_options_string(o, "plugin"));
    tacho__options_free(o);

    o = build_ok(spec_all, "sinks = ( { plugin = \"csv\"; path = \"x\";\n"
                           "  files = []; bounds = (); labels = {}; } );");
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(tacho_options_count(o, "files"), 0);
    CU_ASSERT_TRUE(tacho_options_is_set(o, "files"));
    CU_ASSERT_EQUAL(tacho_options_count(o, "bounds"), 0);
    CU_ASSERT_EQUAL(tacho_options_count(o, "labels"), 0);
    tacho__options_free(o);
}

/* Wrong names, wrong types and out-of-range indexes answer NULL/0/false. */
static void options_accessors_refuse_mismatch(void)
{
    tacho_options_t *o = build_ok(
        spec_all, "sinks = ( { plugin = \"csv\"; path = \"x\"; count = 7; "
                  "verbose = true; labels = { a = \"b\"; }; } );");
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_PTR_NULL(tacho_options_string(o, "count"));
    CU_ASSERT_EQUAL(tacho_options_int(o, "path"), 0);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_float(o, "count"), 0.0, 0);
    CU_ASSERT_FALSE(tacho_options_bool(o, "count"));
    CU_ASSERT_FALSE(tacho_options_bool(o, "undeclared"));
    CU_ASSERT_FALSE(tacho_options_is_set(o, "undeclared"));
    CU_ASSERT_PTR_NULL(tacho_options_string(o, "undeclared"));
    CU_ASSERT_PTR_NULL(tacho_options_string(o, NULL));
    CU_ASSERT_EQUAL(tacho_options_count(o, "count"), 0);
    CU_ASSERT_EQUAL(tacho_options_count(o, "undeclared"), 0);
    CU_ASSERT_PTR_NULL(tacho_options_list_string(o, "files", 2));
    CU_ASSERT_PTR_NULL(tacho_options_list_string(o, "labels", 0));
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_list_float(o, "bounds", 9), 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(tacho_options_list_float(o, "files", 0), 0.0, 0);
    CU_ASSERT_PTR_NULL(tacho_options_map_key(o, "files", 0));
    CU_ASSERT_PTR_NULL(tacho_options_map_value(o, "labels", 1));
    CU_ASSERT_STRING_EQUAL(tacho_options_map_value(o, "labels", 0), "b");
    CU_ASSERT_EQUAL(tacho_options_int(o, "count"), 7);
    CU_ASSERT_PTR_NULL(tacho_options_string(NULL, "path"));
    CU_ASSERT_EQUAL(tacho_options_count(NULL, "files"), 0);
    CU_ASSERT_FALSE(tacho_options_is_set(NULL, "path"));
    tacho__options_free(o);
}

static void options_unknown_key_lists_valid_keys(void)
{
    static const tacho_option_spec_t spec[] = {
        {"path", TACHO_OPT_STRING, NULL, "", false},
        {"mode", TACHO_OPT_STRING, NULL, "", false},
        {NULL, 0, NULL, NULL, false}};
    expect_one(spec,
               "sinks = ( { plugin = \"csv\"; name = \"daily\";\n"
               "  pth = \"x\"; } );",
               "<string>:2: sink 'daily' (plugin csv): unknown key 'pth' "
               "(valid keys: plugin, name, optional, path, mode)");
    /* A sink without options still knows the host's keys. */
    expect_one(NULL,
               "sinks = ( { plugin = \"log\"; optional = false;\n\n"
               "  target = \"stderr\"; } );",
               "<string>:3: sink 'log' (plugin log): unknown key 'target' "
               "(valid keys: plugin, name, optional)");
}

static void options_missing_required_named(void)
{
    expect_one(spec_all,
               "\nsinks = (\n  { plugin = \"csv\"; mode = \"0600\"; "
               "} );",
               "<string>:3: sink 'csv' (plugin csv): missing required key "
               "'path'");
}

static void options_wrong_types_named(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"path = 5;", "option 'path' must be a string, not an integer"},
        {"count = 1.5;", "option 'count' must be an integer, not a float"},
        {"count = \"5\";", "option 'count' must be an integer, not a string"},
        {"ratio = \"1\";", "option 'ratio' must be a number, not a string"},
        {"verbose = 1;", "option 'verbose' must be a boolean, not an integer"},
        {"files = \"a\";",
         "option 'files' must be an array of strings, not a string"},
        {"files = ( \"a\", 2 );",
         "option 'files' must be an array of strings; element 1 is an "
         "integer"},
        {"files = [1, 2];",
         "option 'files' must be an array of strings; element 0 is an "
         "integer"},
        {"bounds = ( 0.5, \"1\" );",
         "option 'bounds' must be an array of numbers; element 1 is a string"},
        {"bounds = { a = 1; };",
         "option 'bounds' must be an array of numbers, not a group"},
        {"labels = [\"a\"];",
         "option 'labels' must be a group of strings, not an array"},
        {"labels = { env = \"x\"; port = 80; };",
         "option 'labels' must be a group of strings; 'port' is an integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], want[512];
        snprintf(text, sizeof text,
                 "sinks = ( { plugin = \"csv\"; name = \"d\"; path = \"p\";\n"
                 "  %s } );",
                 cases[i].text);
        /* `path = 5` replaces the first path: libconfig refuses a repeated
         * key, so that case is written without the first one. */
        if (strncmp(cases[i].text, "path", 4) == 0) {
            snprintf(text, sizeof text,
                     "sinks = ( { plugin = \"csv\"; name = \"d\";\n  %s } );",
                     cases[i].text);
        }
        snprintf(want, sizeof want, "<string>:2: sink 'd' (plugin csv): %s",
                 cases[i].message);
        expect_one(spec_all, text, want);
    }
}

static void options_every_problem_reported(void)
{
    const char *want[] = {
        "<string>:2: sink 'csv' (plugin csv): unknown key 'colour' (valid "
        "keys: plugin, name, optional, path, mode, count, ratio, verbose, "
        "files, bounds, labels, note)",
        "<string>:3: sink 'csv' (plugin csv): option 'count' must be an "
        "integer, not a string",
        "<string>:4: sink 'csv' (plugin csv): option 'labels' must be a group "
        "of strings; 'b' is a boolean",
        "<string>:1: sink 'csv' (plugin csv): missing required key 'path'",
        NULL};
    expect_problems(spec_all,
                    "sinks = ( { plugin = \"csv\";\n  colour = \"red\";\n"
                    "  count = \"x\";\n  labels = { a = \"1\"; b = true; };\n"
                    "} );",
                    want);
}

/* tacho_options_error names the option's place, or the group's for a
 * default or an unknown name. */
static void options_error_names_place(void)
{
    tacho_options_t *o = build_ok(spec_all, "\nsinks = (\n"
                                            "  { plugin = \"prom\";\n"
                                            "    path = \"x\";\n"
                                            "  } );");
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    tacho_error_t err;
    int rc = tacho_options_error(o, "path", &err, TACHO_EINVAL,
                                 "cannot parse '%s'", "x");
    CU_ASSERT_EQUAL(rc, TACHO_EINVAL);
    CU_ASSERT_EQUAL(err.code, TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "<string>:4: cannot parse 'x'");
    CU_ASSERT_EQUAL(err.line, 4);
    tacho_options_error(o, "mode", &err, TACHO_EINVAL, "bad mode");
    CU_ASSERT_STRING_EQUAL(err.text, "<string>:3: bad mode");
    tacho_options_error(o, "note", &err, TACHO_EINVAL, "needs a note");
    CU_ASSERT_STRING_EQUAL(err.text, "<string>:3: needs a note");
    tacho_options_error(o, "nope", &err, TACHO_ESINK, "x");
    CU_ASSERT_STRING_EQUAL(err.text, "<string>:3: x");
    CU_ASSERT_EQUAL(tacho_options_error(o, "path", NULL, TACHO_EIO, "x"),
                    TACHO_EIO);
    tacho__options_free(o);
    rc = tacho_options_error(NULL, "path", &err, TACHO_EINVAL, "no %s", "opts");
    CU_ASSERT_EQUAL(rc, TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "no opts");
    CU_ASSERT_EQUAL(err.line, 0);
}

static void options_file_places_survive_config(void)
{
    char *dir = tacho_test_tmpdir("options");
    char path[512];
    snprintf(path, sizeof path, "%s/s.conf", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("sinks = (\n  { plugin = \"csv\";\n    path = \"out.csv\"; } );\n",
          f);
    fclose(f);
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_config_load_file(path, &cfg, NULL, NULL, &err),
                          0);
    tacho_options_t *o = NULL;
    CU_ASSERT_EQUAL(tacho__options_build(spec_all,
                                         &tacho__config_settings(cfg)->sinks[0],
                                         &o, NULL, NULL, &err),
                    0);
    tacho_config_free(cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    tacho_options_error(o, "path", &err, TACHO_EACCES, "cannot open");
    char want[600];
    snprintf(want, sizeof want, "%s:3: cannot open", path);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    CU_ASSERT_STRING_EQUAL(err.file, path);
    tacho_options_error(o, "count", &err, TACHO_EINVAL, "too many");
    snprintf(want, sizeof want, "%s:2: too many", path);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    tacho__options_free(o);
    tacho_test_rmtree(dir);
    free(dir);
}

/* A table the loader did not check: its broken default is reported at the
 * sink's group. */
static void options_build_reports_broken_default(void)
{
    static const tacho_option_spec_t spec[] = {
        {"n", TACHO_OPT_INT, "\"five\"", "", false},
        {NULL, 0, NULL, NULL, false}};
    expect_one(spec, "sinks = ( { plugin = \"x\"; } );",
               "<string>:1: sink 'x' (plugin x): the sink's default of option "
               "'n' (\"five\") must be an integer, not a string");
    tacho_options_t *o;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__options_build(spec, NULL, &o, NULL, NULL, &err),
                    TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "tacho__options_build: entry and out are "
                                     "required");
}

static void expect_spec(const tacho_option_spec_t *spec, const char *message)
{
    tacho_error_t err;
    int rc = tacho__options_check_spec("demo", spec, &err);
    CU_ASSERT_EQUAL(rc, TACHO_EPLUGIN);
    CU_ASSERT_EQUAL(err.code, TACHO_EPLUGIN);
    CU_ASSERT_STRING_EQUAL(err.text, message);
    if (strcmp(err.text, message) != 0) {
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", err.text, message);
    }
}

static void options_spec_checked(void)
{
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__options_check_spec("demo", spec_all, &err), 0);
    CU_ASSERT_EQUAL(err.code, 0);
    CU_ASSERT_EQUAL(tacho__options_check_spec("demo", NULL, &err), 0);

    tacho_option_spec_t spec[3] = {{"path", TACHO_OPT_STRING, NULL, "", false},
                                   {NULL, 0, NULL, NULL, false},
                                   {NULL, 0, NULL, NULL, false}};
    spec[1] = (tacho_option_spec_t){"path", TACHO_OPT_INT, NULL, "", false};
    expect_spec(spec, "sink 'demo': option 'path' is declared twice");
    spec[1] = (tacho_option_spec_t){"name", TACHO_OPT_STRING, NULL, "", false};
    expect_spec(spec, "sink 'demo': option 'name' is reserved for the host "
                      "(plugin, name and optional are)");
    spec[1] = (tacho_option_spec_t){"", TACHO_OPT_STRING, NULL, "", false};
    expect_spec(spec, "sink 'demo': option name '' is not a valid key (a "
                      "letter, then letters, digits, _ or -)");
    spec[1] = (tacho_option_spec_t){"a.b", TACHO_OPT_STRING, NULL, "", false};
    expect_spec(spec, "sink 'demo': option name 'a.b' is not a valid key (a "
                      "letter, then letters, digits, _ or -)");
    spec[1] = (tacho_option_spec_t){"x", (tacho_option_type_t)0, NULL, "", 0};
    expect_spec(spec, "sink 'demo': option 'x' has an unknown type 0");
    spec[1] = (tacho_option_spec_t){"x", (tacho_option_type_t)8, NULL, "", 0};
    expect_spec(spec, "sink 'demo': option 'x' has an unknown type 8");
    spec[1] = (tacho_option_spec_t){"x", TACHO_OPT_INT, "1", "", true};
    expect_spec(spec, "sink 'demo': option 'x' is required and has a "
                      "default; it cannot be both");
}

static void options_spec_defaults_parsed(void)
{
    static const struct {
        tacho_option_type_t type;
        const char *def;
        const char *message; /* NULL: accepted */
    } cases[] = {
        {TACHO_OPT_INT, "12", NULL},
        {TACHO_OPT_INT, "12L", NULL},
        {TACHO_OPT_INT, "1.5", "must be an integer, not a float"},
        {TACHO_OPT_FLOAT, "2", NULL},
        {TACHO_OPT_FLOAT, "true", "must be a number, not a boolean"},
        {TACHO_OPT_BOOL, "true", NULL},
        {TACHO_OPT_BOOL, "\"yes\"", "must be a boolean, not a string"},
        {TACHO_OPT_STRING, "\"\"", NULL},
        {TACHO_OPT_STRING, "text", "does not parse: syntax error"},
        {TACHO_OPT_STRING, "\"a\"; w = 2", "is not a single value"},
        {TACHO_OPT_STRING_LIST, "[]", NULL},
        {TACHO_OPT_STRING_LIST, "(\"a\", 1)",
         "must be an array of strings; element 1 is an integer"},
        {TACHO_OPT_FLOAT_LIST, "[1.0, 2.0]", NULL},
        {TACHO_OPT_FLOAT_LIST, "{}",
         "must be an array of numbers, not a "
         "group"},
        {TACHO_OPT_STRING_MAP, "{ a = \"b\"; }", NULL},
        {TACHO_OPT_STRING_MAP, "{ a = 1; }",
         "must be a group of strings; 'a' is an integer"},
        {TACHO_OPT_STRING_MAP, "", "does not parse: syntax error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tacho_option_spec_t spec[2] = {
            {"opt", cases[i].type, cases[i].def, "", false},
            {NULL, 0, NULL, NULL, false}};
        if (cases[i].message == NULL) {
            tacho_error_t err;
            CU_ASSERT_EQUAL(tacho__options_check_spec("demo", spec, &err), 0);
            continue;
        }
        char want[512];
        snprintf(want, sizeof want,
                 "sink 'demo': default of option 'opt' "
                 "(%s) %s",
                 cases[i].def, cases[i].message);
        expect_spec(spec, want);
    }
}

/* A table whose {NULL} end is missing would be read past its end; a table
 * that long is refused before that can happen in practice. */
static void options_spec_length_bounded(void)
{
    tacho_option_spec_t *spec = calloc(300, sizeof *spec);
    char(*names)[16] = calloc(300, sizeof *names);
    CU_ASSERT_PTR_NOT_NULL_FATAL(spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    for (int i = 0; i < 257; i++) {
        snprintf(names[i], sizeof names[i], "o%d", i);
        spec[i] = (tacho_option_spec_t){names[i], TACHO_OPT_BOOL, NULL, "", 0};
    }
    expect_spec(spec, "sink 'demo': option table has more than 256 entries; "
                      "is its {NULL} end missing?");
    spec[256].name = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__options_check_spec(NULL, spec, &err), 0);
    spec[3].name = "o2";
    CU_ASSERT_EQUAL(tacho__options_check_spec(NULL, spec, &err), TACHO_EPLUGIN);
    CU_ASSERT_STRING_EQUAL(err.text, "sink '?': option 'o2' is declared twice");
    free(names);
    free(spec);
}

/* ---- allocation failures ---------------------------------------------- */

/* Fails each allocation of a build in turn: every failure is a clean
 * TACHO_ENOMEM (and ASan's leak check sees nothing left). */
static void options_oom_is_clean(void)
{
    fixture_t f = load("sinks = ( { plugin = \"csv\"; path = \"x\";\n"
                       "  files = (\"a\", \"b\"); labels = { k = \"v\"; }; "
                       "} );");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.entry);
    CU_ASSERT_EQUAL_FATAL(failing_alloc_install(), 0);
    long failures = 0;
    int rc = TACHO_ENOMEM;
    tacho_options_t *o = NULL;
    for (long n = 1; n < 2000 && rc == TACHO_ENOMEM; n++) {
        failing_alloc_nth(n);
        tacho_error_t err;
        rc = tacho__options_build(spec_all, f.entry, &o, NULL, NULL, &err);
        if (rc == TACHO_ENOMEM) {
            failures++;
            CU_ASSERT_PTR_NULL(o);
            CU_ASSERT_STRING_EQUAL(err.text,
                                   "out of memory building sink options");
        }
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(tacho_options_map_value(o, "labels", 0), "v");
    tacho__options_free(o);
    for (long n = 1; n < 100; n++) {
        failing_alloc_nth(n);
        tacho_error_t err;
        rc = tacho__options_check_spec("demo", spec_all, &err);
        if (rc != TACHO_ENOMEM) {
            break;
        }
        failures++;
        CU_ASSERT_STRING_EQUAL(err.text, "out of memory building sink options");
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(failing_alloc_remove(), 0);
    /* The build copies 9 names, 3 places, 7 defaults and 2 lists. */
    CU_ASSERT(failures >= 30);
    tacho_config_free(f.cfg);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"options_defaults_fill_unset_keys", options_defaults_fill_unset_keys},
        {"options_explicit_values_typed", options_explicit_values_typed},
        {"options_accessors_refuse_mismatch",
         options_accessors_refuse_mismatch},
        {"options_unknown_key_lists_valid_keys",
         options_unknown_key_lists_valid_keys},
        {"options_missing_required_named", options_missing_required_named},
        {"options_wrong_types_named", options_wrong_types_named},
        {"options_every_problem_reported", options_every_problem_reported},
        {"options_error_names_place", options_error_names_place},
        {"options_file_places_survive_config",
         options_file_places_survive_config},
        {"options_build_reports_broken_default",
         options_build_reports_broken_default},
        {"options_spec_checked", options_spec_checked},
        {"options_spec_defaults_parsed", options_spec_defaults_parsed},
        {"options_spec_length_bounded", options_spec_length_bounded},
        {"options_oom_is_clean", options_oom_is_clean},
        {NULL, NULL}};
    return tacho_test_run("options", NULL, NULL, cases);
}
