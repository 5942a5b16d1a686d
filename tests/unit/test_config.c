/*
 * Suite for core/config.c and core/config_setting.c: loading, the checks
 * of the `tacho` group and of `sinks`, @include, and the setting accessors.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tacho/config.h>

#include "config_internal.h"
#include "failing_alloc.h"
#include "tacho_test.h"

#define DATA TACHO_TEST_SOURCE_DIR "/tests/data/config"
#define MAX_SEEN 16

/* Every problem passed to the `each` callback. */
typedef struct seen {
    int n;
    int code[MAX_SEEN];
    char text[MAX_SEEN][TACHO_ERROR_TEXT_MAX];
} seen_t;

static void collect(void *arg, const tacho_error_t *e)
{
    seen_t *s = arg;
    if (s->n < MAX_SEEN) {
        s->code[s->n] = e->code;
        snprintf(s->text[s->n], sizeof s->text[0], "%s", e->text);
    }
    s->n++;
}

/* Loads `text`, which must fail with exactly one problem, and checks it. */
static void expect_one(const char *text, const char *message)
{
    seen_t seen = {0};
    tacho_error_t err;
    tacho_config_t *cfg = (tacho_config_t *)&seen; /* must be reset */
    int rc = tacho_config_load_string(text, &cfg, collect, &seen, &err);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(err.code, TACHO_ECONFIG);
    CU_ASSERT_STRING_EQUAL(err.text, message);
    CU_ASSERT_EQUAL(seen.n, 1);
    CU_ASSERT_STRING_EQUAL(seen.text[0], message);
    if (strcmp(err.text, message) != 0) {
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", err.text, message);
    }
}

/* Loads `text`, which must succeed. */
static tacho_config_t *load_ok(const char *text)
{
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    int rc = tacho_config_load_string(text, &cfg, NULL, NULL, &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "\n  unexpected: %s\n", err.text);
    }
    CU_ASSERT_EQUAL(err.code, 0);
    return cfg;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void config_defaults_without_config(void)
{
    const tacho__settings_t *s = tacho__config_settings(NULL);
    CU_ASSERT_PTR_NULL(s->worker_id);
    CU_ASSERT_DOUBLE_EQUAL(s->interval, 60.0, 0);
    CU_ASSERT_EQUAL(s->window_seconds, 3600);
    CU_ASSERT_EQUAL(s->max_pipelines, 256);
    CU_ASSERT_EQUAL(s->recent_capacity, 1000);
    CU_ASSERT_EQUAL(s->bucket_count, 0);
    CU_ASSERT_DOUBLE_EQUAL(s->shutdown_grace, 5.0, 0);
    CU_ASSERT_EQUAL(s->plugin_path_count, 0);
    CU_ASSERT_PTR_NOT_NULL(s->plugin_path);
    CU_ASSERT_PTR_NULL(s->plugin_path[0]);
    CU_ASSERT_EQUAL(s->sink_count, 0);
}

static void config_empty_text_gives_defaults(void)
{
    const char *texts[] = {"", "# nothing\n", "tacho = {};\nsinks = ();\n"};
    const tacho__settings_t *d = tacho__config_settings(NULL);
    for (size_t i = 0; i < 3; i++) {
        tacho_config_t *cfg = load_ok(texts[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
        const tacho__settings_t *s = tacho__config_settings(cfg);
        CU_ASSERT_PTR_NOT_EQUAL(s, d);
        CU_ASSERT_DOUBLE_EQUAL(s->interval, d->interval, 0);
        CU_ASSERT_EQUAL(s->window_seconds, d->window_seconds);
        CU_ASSERT_EQUAL(s->max_pipelines, d->max_pipelines);
        CU_ASSERT_EQUAL(s->recent_capacity, d->recent_capacity);
        CU_ASSERT_DOUBLE_EQUAL(s->shutdown_grace, d->shutdown_grace, 0);
        CU_ASSERT_EQUAL(s->sink_count, 0);
        CU_ASSERT_PTR_NULL(s->plugin_path[0]);
        CU_ASSERT_STRING_EQUAL(tacho_config_path(cfg), "<string>");
        tacho_config_free(cfg);
    }
    tacho_config_free(NULL);
}

static void config_good_file_values(void)
{
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    int rc = tacho_config_load_file(DATA "/good.conf", &cfg, NULL, NULL, &err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(tacho_config_path(cfg), DATA "/good.conf");
    const tacho__settings_t *s = tacho__config_settings(cfg);
    CU_ASSERT_STRING_EQUAL(s->worker_id, "worker-1");
    CU_ASSERT_DOUBLE_EQUAL(s->interval, 30.0, 0); /* an int is accepted */
    CU_ASSERT_EQUAL(s->window_seconds, 600);
    CU_ASSERT_EQUAL(s->max_pipelines, 16);
    CU_ASSERT_EQUAL(s->recent_capacity, 50);
    CU_ASSERT_EQUAL_FATAL(s->bucket_count, 3);
    CU_ASSERT_EQUAL(s->bucket_bounds_ns[0], 5000000);
    CU_ASSERT_EQUAL(s->bucket_bounds_ns[1], 500000000);
    CU_ASSERT_EQUAL(s->bucket_bounds_ns[2], 2000000000);
    CU_ASSERT_DOUBLE_EQUAL(s->shutdown_grace, 2.5, 0);

    /* A relative plugin_path entry is relative to the file's directory. */
    char dir[PATH_MAX], want[PATH_MAX + 16];
    CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(DATA, dir));
    snprintf(want, sizeof want, "%s/plugins", dir);
    CU_ASSERT_EQUAL_FATAL(s->plugin_path_count, 2);
    CU_ASSERT_STRING_EQUAL(s->plugin_path[0], want);
    CU_ASSERT_STRING_EQUAL(s->plugin_path[1], "/opt/tacho/sinks");
    CU_ASSERT_PTR_NULL(s->plugin_path[2]);

    CU_ASSERT_EQUAL_FATAL(s->sink_count, 2);
    CU_ASSERT_STRING_EQUAL(s->sinks[0].plugin, "log");
    CU_ASSERT_STRING_EQUAL(s->sinks[0].name, "log");
    CU_ASSERT_FALSE(s->sinks[0].optional);
    CU_ASSERT_STRING_EQUAL(s->sinks[0].file, DATA "/good.conf");
    CU_ASSERT_EQUAL(s->sinks[0].line, 13);
    CU_ASSERT_STRING_EQUAL(s->sinks[1].plugin, "csv");
    CU_ASSERT_STRING_EQUAL(s->sinks[1].name, "daily");
    CU_ASSERT_TRUE(s->sinks[1].optional);
    CU_ASSERT_EQUAL(s->sinks[1].line, 14);
    const tacho_setting_t *path =
        tacho_setting_member(s->sinks[1].group, "path");
    const char *v = NULL;
    CU_ASSERT_TRUE(tacho_setting_string(path, &v));
    CU_ASSERT_STRING_EQUAL(v, "data/x.csv");
    tacho_config_free(cfg);
}

static void config_boundaries_accepted(void)
{
    tacho_config_t *cfg =
        load_ok("tacho = { interval = 86400; window = 60; max_pipelines = 1;\n"
                "  recent = 1; shutdown_grace = 0; worker = \"\"; };\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const tacho__settings_t *s = tacho__config_settings(cfg);
    CU_ASSERT_DOUBLE_EQUAL(s->interval, 86400.0, 0);
    CU_ASSERT_EQUAL(s->window_seconds, 60);
    CU_ASSERT_EQUAL(s->max_pipelines, 1);
    CU_ASSERT_EQUAL(s->recent_capacity, 1);
    CU_ASSERT_DOUBLE_EQUAL(s->shutdown_grace, 0.0, 0);
    CU_ASSERT_PTR_NULL(s->worker_id); /* "" means the host name */
    tacho_config_free(cfg);

    cfg =
        load_ok("tacho = { interval = 0.25; window = 86400;\n"
                "  max_pipelines = 65536; recent = 1000000;\n"
                "  shutdown_grace = 3600.0; buckets = (0.001, 1, 3600); };\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    s = tacho__config_settings(cfg);
    CU_ASSERT_DOUBLE_EQUAL(s->interval, 0.25, 0);
    CU_ASSERT_EQUAL(s->window_seconds, 86400);
    CU_ASSERT_EQUAL(s->max_pipelines, 65536);
    CU_ASSERT_EQUAL(s->recent_capacity, 1000000);
    CU_ASSERT_DOUBLE_EQUAL(s->shutdown_grace, 3600.0, 0);
    CU_ASSERT_EQUAL_FATAL(s->bucket_count, 3);
    CU_ASSERT_EQUAL(s->bucket_bounds_ns[0], 1000000);
    CU_ASSERT_EQUAL(s->bucket_bounds_ns[1], 1000000000);
    CU_ASSERT_EQUAL(s->bucket_bounds_ns[2], 3600000000000ULL);
    tacho_config_free(cfg);
}

static void config_unknown_keys_list_valid_ones(void)
{
    expect_one("tacho = {};\nsink = ();\n",
               "<string>:2: unknown key 'sink' at top level (valid keys: "
               "tacho, sinks, jobs, runner)");
    expect_one("tacho = {\n  intervall = 5.0;\n};\n",
               "<string>:2: unknown key 'intervall' in tacho (valid keys: "
               "worker, interval, window, max_pipelines, recent, buckets, "
               "plugin_path, shutdown_grace)");
}

static void config_wrong_types_named(void)
{
    expect_one("tacho = ( 1 );",
               "<string>:1: tacho must be a group, not a list");
    expect_one("tacho = { worker = 7; };",
               "<string>:1: tacho.worker must be a string, not an integer");
    expect_one("tacho = { interval = \"5s\"; };",
               "<string>:1: tacho.interval must be a number, not a string");
    expect_one("tacho = {\n window = \"1h\"; };",
               "<string>:2: tacho.window must be an integer, not a string");
    expect_one("tacho = { window = 600.0; };",
               "<string>:1: tacho.window must be an integer, not a float");
    expect_one("tacho = { max_pipelines = true; };",
               "<string>:1: tacho.max_pipelines must be an integer, not a "
               "boolean");
    expect_one("tacho = { recent = [1]; };",
               "<string>:1: tacho.recent must be an integer, not an array");
    expect_one("tacho = { shutdown_grace = { a = 1; }; };",
               "<string>:1: tacho.shutdown_grace must be a number, not a "
               "group");
    expect_one("tacho = { buckets = 0.5; };",
               "<string>:1: tacho.buckets must be an array of numbers, not a "
               "float");
    expect_one("tacho = { plugin_path = \"/x\"; };",
               "<string>:1: tacho.plugin_path must be an array of strings, "
               "not a string");
}

static void config_out_of_range_says_range(void)
{
    expect_one("tacho = { interval = 0; };",
               "<string>:1: tacho.interval must be > 0 and at most 86400 "
               "seconds, not 0");
    expect_one("tacho = { interval = 86400.5; };",
               "<string>:1: tacho.interval must be > 0 and at most 86400 "
               "seconds, not 86400.5");
    expect_one("tacho = { interval = -1; };",
               "<string>:1: tacho.interval must be > 0 and at most 86400 "
               "seconds, not -1");
    expect_one("tacho = { window = 59; };",
               "<string>:1: tacho.window must be between 60 and 86400 "
               "seconds, not 59");
    expect_one("tacho = { window = 86401; };",
               "<string>:1: tacho.window must be between 60 and 86400 "
               "seconds, not 86401");
    expect_one("tacho = { max_pipelines = 0; };",
               "<string>:1: tacho.max_pipelines must be between 1 and 65536, "
               "not 0");
    expect_one("tacho = { max_pipelines = 5000000000L; };",
               "<string>:1: tacho.max_pipelines must be between 1 and 65536, "
               "not 5000000000");
    expect_one("tacho = { recent = 1000001; };",
               "<string>:1: tacho.recent must be between 1 and 1000000, not "
               "1000001");
    expect_one("tacho = { shutdown_grace = -0.5; };",
               "<string>:1: tacho.shutdown_grace must be between 0 and 3600 "
               "seconds, not -0.5");
    expect_one("tacho = { shutdown_grace = 3601; };",
               "<string>:1: tacho.shutdown_grace must be between 0 and 3600 "
               "seconds, not 3601");
}

static void config_buckets_checked(void)
{
    expect_one("tacho = { buckets = []; };",
               "<string>:1: tacho.buckets must hold 1 to 32 bounds, not 0");
    char text[1024] = "tacho = { buckets = [";
    for (int i = 1; i <= 33; i++) {
        char num[16];
        snprintf(num, sizeof num, "%s%d.0", i > 1 ? ", " : "", i);
        strcat(text, num);
    }
    strcat(text, "]; };");
    expect_one(text,
               "<string>:1: tacho.buckets must hold 1 to 32 bounds, not 33");
    expect_one("tacho = { buckets = [0.5,\n 0.5]; };",
               "<string>:2: tacho.buckets must be strictly increasing: [1] "
               "is not greater than [0]");
    expect_one("tacho = { buckets = (0.5, \"1s\"); };",
               "<string>:1: tacho.buckets[1] must be a number, not a string");
    expect_one("tacho = { buckets = [0.0, 1.0]; };",
               "<string>:1: tacho.buckets[0] must be between 1e-09 and "
               "31536000 seconds, not 0");
    expect_one("tacho = { buckets = [1e-10]; };",
               "<string>:1: tacho.buckets[0] must be between 1e-09 and "
               "31536000 seconds, not 1e-10");
    expect_one("tacho = { buckets = [1.0, 4e7]; };",
               "<string>:1: tacho.buckets[1] must be between 1e-09 and "
               "31536000 seconds, not 4e+07");
}

static void config_plugin_path_checked(void)
{
    expect_one("tacho = { plugin_path = (\"/a\", 5); };",
               "<string>:1: tacho.plugin_path[1] must be a string, not an "
               "integer");
    expect_one("tacho = { plugin_path = [\"/a\", \"\"]; };",
               "<string>:1: tacho.plugin_path[1] must not be empty");
    /* Good entries after a bad one are freed too (ASan checks). */
    expect_one("tacho = { plugin_path = (7, \"/a\", \"b\"); };",
               "<string>:1: tacho.plugin_path[0] must be a string, not an "
               "integer");
    tacho_config_t *cfg = load_ok("tacho = { plugin_path = []; };");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(tacho__config_settings(cfg)->plugin_path_count, 0);
    CU_ASSERT_PTR_NULL(tacho__config_settings(cfg)->plugin_path[0]);
    tacho_config_free(cfg);
}

/* Relative plugin_path entries of text are relative to the current
 * directory, and of a file to the file's directory whatever the cwd. */
static void config_plugin_path_made_absolute(void)
{
    char cwd[PATH_MAX], want[PATH_MAX + 32];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    tacho_config_t *cfg =
        load_ok("tacho = { plugin_path = [\"sinks\", \"../x\", \"/abs\"]; };");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const tacho__settings_t *s = tacho__config_settings(cfg);
    snprintf(want, sizeof want, "%s/sinks", cwd);
    CU_ASSERT_STRING_EQUAL(s->plugin_path[0], want);
    snprintf(want, sizeof want, "%s/../x", cwd);
    CU_ASSERT_STRING_EQUAL(s->plugin_path[1], want);
    CU_ASSERT_STRING_EQUAL(s->plugin_path[2], "/abs");
    tacho_config_free(cfg);

    char *tmp = tacho_test_tmpdir("config-pp");
    char sub[PATH_MAX], file[PATH_MAX + 16], real[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/conf", tmp);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
    snprintf(file, sizeof file, "%s/w.conf", sub);
    write_file(file, "tacho = { plugin_path = [\"my-sinks\"]; };\n");
    CU_ASSERT_EQUAL_FATAL(chdir(tmp), 0);
    tacho_error_t err;
    CU_ASSERT_EQUAL(
        tacho_config_load_file("conf/w.conf", &cfg, NULL, NULL, &err), 0);
    CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(sub, real));
    snprintf(want, sizeof want, "%s/my-sinks", real);
    CU_ASSERT_STRING_EQUAL(tacho__config_settings(cfg)->plugin_path[0], want);
    tacho_config_free(cfg);
    tacho_test_rmtree(tmp);
    free(tmp);
}

static void config_plugin_path_unresolvable_base(void)
{
    char cwd[PATH_MAX];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    char *tmp = tacho_test_tmpdir("config-gone");
    CU_ASSERT_EQUAL_FATAL(chdir(tmp), 0);
    CU_ASSERT_EQUAL_FATAL(rmdir(tmp), 0);
    /* Absolute entries need no base and still work. */
    tacho_config_t *cfg = load_ok("tacho = { plugin_path = [\"/abs\"]; };");
    tacho_config_free(cfg);
    char want[256];
    snprintf(want, sizeof want,
             "<string>:1: tacho.plugin_path[0] 'rel' is relative, and the "
             "directory it is relative to cannot be resolved: %s",
             strerror(ENOENT));
    expect_one("tacho = { plugin_path = [\"rel\"]; };", want);
    CU_ASSERT_EQUAL(chdir(cwd), 0);
    free(tmp);
}

static void config_sinks_shape_checked(void)
{
    expect_one("sinks = { plugin = \"log\"; };",
               "<string>:1: sinks must be a list of groups ( { plugin = "
               "\"...\"; }, ... ), not a group");
    expect_one("sinks = [ \"log\" ];",
               "<string>:1: sinks must be a list of groups ( { plugin = "
               "\"...\"; }, ... ), not an array");
    expect_one("sinks = ( { plugin = \"log\"; },\n \"csv\" );",
               "<string>:2: sinks[1] must be a group, not a string");
    expect_one("sinks = (\n { name = \"x\"; } );",
               "<string>:2: missing required key 'plugin' in sinks[0]");
    expect_one("sinks = ( { plugin = 3; } );",
               "<string>:1: sinks[0].plugin must be a string, not an integer");
    expect_one("sinks = ( { plugin = \"../x\"; } );",
               "<string>:1: sinks[0].plugin '../x' is not a valid plugin name "
               "(use a-z, 0-9 and _)");
    expect_one("sinks = ( { plugin = \"Log\"; } );",
               "<string>:1: sinks[0].plugin 'Log' is not a valid plugin name "
               "(use a-z, 0-9 and _)");
    expect_one("sinks = ( { plugin = \"\"; } );",
               "<string>:1: sinks[0].plugin '' is not a valid plugin name "
               "(use a-z, 0-9 and _)");
    expect_one("sinks = ( { plugin = \"a/b\"; } );",
               "<string>:1: sinks[0].plugin 'a/b' is not a valid plugin name "
               "(use a-z, 0-9 and _)");
    expect_one("sinks = ( { plugin = \"log\"; name = [\"a\"]; } );",
               "<string>:1: sinks[0].name must be a string, not an array");
    expect_one("sinks = ( { plugin = \"log\"; name = \"my log\"; } );",
               "<string>:1: sinks[0].name 'my log' is not a valid sink name "
               "(use a-z, 0-9, _ and -)");
    expect_one("sinks = ( { plugin = \"log\";\n optional = \"yes\"; } );",
               "<string>:2: sinks[0].optional must be a boolean, not a string");
}

static void config_sink_names_unique(void)
{
    expect_one("sinks = (\n { plugin = \"csv\"; },\n { plugin = \"log\"; },\n"
               " { plugin = \"csv\"; path = \"b.csv\"; }\n);",
               "<string>:4: sink name 'csv' is already used by the sink at "
               "<string>:2; give each sink of one plugin its own 'name'");
    expect_one("sinks = (\n { plugin = \"csv\"; name = \"a\"; },\n"
               " { plugin = \"log\"; name = \"a\"; }\n);",
               "<string>:3: sink name 'a' is already used by the sink at "
               "<string>:2; give each sink of one plugin its own 'name'");
    /* A named instance may take the name another plugin would default to. */
    tacho_config_t *cfg =
        load_ok("sinks = ( { plugin = \"csv\"; }, { plugin = \"csv\"; name = "
                "\"daily-2\"; optional = false; } );\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const tacho__settings_t *s = tacho__config_settings(cfg);
    CU_ASSERT_EQUAL_FATAL(s->sink_count, 2);
    CU_ASSERT_STRING_EQUAL(s->sinks[0].name, "csv");
    CU_ASSERT_STRING_EQUAL(s->sinks[1].name, "daily-2");
    CU_ASSERT_STRING_EQUAL(s->sinks[1].file, "<string>");
    CU_ASSERT_EQUAL(s->sinks[1].line, 1);
    tacho_config_free(cfg);
}

static void config_worker_sections_not_checked(void)
{
    tacho_config_t *cfg = load_ok("jobs = ( { anything = 1; }, \"at all\" );\n"
                                  "runner = { whatever = [1, 2]; };\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const tacho_setting_t *jobs =
        tacho_setting_member(tacho_config_root(cfg), "jobs");
    CU_ASSERT_EQUAL(tacho_setting_type(jobs), TACHO_SETTING_LIST);
    CU_ASSERT_EQUAL(tacho_setting_length(jobs), 2);
    tacho_config_free(cfg);
}

static void config_every_problem_reported(void)
{
    seen_t seen = {0};
    tacho_error_t err;
    tacho_config_t *cfg = NULL;
    int rc = tacho_config_load_file(DATA "/problems.conf", &cfg, collect, &seen,
                                    &err);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL_FATAL(seen.n, 4);
    CU_ASSERT_STRING_EQUAL(seen.text[0], DATA "/problems.conf:2: unknown key "
                                              "'sink' at top level (valid "
                                              "keys: tacho, sinks, jobs, "
                                              "runner)");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.text[1], "problems.conf:4: unknown key "
                                                "'intervall' in tacho"));
    CU_ASSERT_STRING_EQUAL(seen.text[2],
                           DATA "/problems.conf:5: tacho.window must be an "
                                "integer, not a string");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.text[3],
                                  "problems.conf:7: sinks[0]."
                                  "plugin 'Log' is not a valid plugin name"));
    CU_ASSERT_STRING_EQUAL(err.text, seen.text[0]);
    CU_ASSERT_STRING_EQUAL(err.file, DATA "/problems.conf");
    CU_ASSERT_EQUAL(err.line, 2);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(seen.code[i], TACHO_ECONFIG);
    }
    /* Without `each`, `err` still gets the first problem. */
    rc = tacho_config_load_file(DATA "/problems.conf", &cfg, NULL, NULL, &err);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    CU_ASSERT_STRING_EQUAL(err.text, seen.text[0]);
    CU_ASSERT_EQUAL(
        tacho_config_load_file(DATA "/problems.conf", &cfg, NULL, NULL, NULL),
        TACHO_ECONFIG);
}

/* Loads a file that must fail with one problem, and checks the text. */
/* A checker gets the config despite bad values: defaults stand in for them
 * and only the sound sink entries remain, so it can go on checking. A
 * syntax error still gives nothing. */
static void config_check_file_keeps_checkable_config(void)
{
    char *dir = tacho_test_tmpdir("cfgcheck");
    char path[600];
    snprintf(path, sizeof path, "%s/c.conf", dir);
    write_file(path, "tacho = { window = 10; interval = 2.0; };\n"
                     "sinks = ( { plugin = \"csv\"; path = \"x\"; },\n"
                     "  { plugin = \"bad/x\"; },\n"
                     "  { plugin = \"csv\"; path = \"y\"; } );\n");
    tacho_config_t *cfg = NULL;
    seen_t seen = {0};
    CU_ASSERT_EQUAL(tacho_config_check_file(path, &cfg, collect, &seen),
                    TACHO_ECONFIG);
    CU_ASSERT_EQUAL(seen.n, 3); /* window, bad/x, the name csv taken */
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const tacho__settings_t *st = tacho__config_settings(cfg);
    CU_ASSERT_EQUAL(st->window_seconds, TACHO_DEFAULT_WINDOW_SECONDS);
    CU_ASSERT_DOUBLE_EQUAL(st->interval, 2.0, 1e-9);
    CU_ASSERT_EQUAL(st->sink_count, 1);
    CU_ASSERT_STRING_EQUAL(st->sinks[0].plugin, "csv");
    tacho_config_free(cfg);
    /* tacho_config_load_file() keeps its contract: nothing on failure. */
    cfg = NULL;
    CU_ASSERT_EQUAL(tacho_config_load_file(path, &cfg, NULL, NULL, NULL),
                    TACHO_ECONFIG);
    CU_ASSERT_PTR_NULL(cfg);
    write_file(path, "tacho = { window = ;\n");
    CU_ASSERT_EQUAL(tacho_config_check_file(path, &cfg, NULL, NULL),
                    TACHO_ECONFIG);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(
        tacho_config_check_file("/nonexistent/x.conf", &cfg, NULL, NULL),
        TACHO_ENOENT);
    CU_ASSERT_PTR_NULL(cfg);
    tacho_test_rmtree(dir);
    free(dir);
}

static void expect_file(const char *path, int code, const char *message)
{
    seen_t seen = {0};
    tacho_error_t err;
    tacho_config_t *cfg = NULL;
    CU_ASSERT_EQUAL(tacho_config_load_file(path, &cfg, collect, &seen, &err),
                    code);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_EQUAL(err.code, code);
    CU_ASSERT_STRING_EQUAL(err.text, message);
    if (strcmp(err.text, message) != 0) {
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", err.text, message);
    }
    CU_ASSERT_EQUAL(seen.n, 1);
}

static void config_syntax_errors_keep_place(void)
{
    expect_file(DATA "/syntax.conf", TACHO_ECONFIG,
                DATA "/syntax.conf:7: syntax error");
    /* libconfig refuses a repeated key while parsing. */
    expect_file(DATA "/dupkey.conf", TACHO_ECONFIG,
                DATA "/dupkey.conf:4: duplicate setting name");
    expect_one("a = 1;\n\nsinks = ( { plugin = \"x\" ; } ;",
               "<string>:3: syntax error");
}

static void config_unreadable_file(void)
{
    char want[512];
    snprintf(want, sizeof want,
             "cannot read config file '/nonexistent/tacho.conf': %s",
             strerror(ENOENT));
    expect_file("/nonexistent/tacho.conf", TACHO_ENOENT, want);
    snprintf(want, sizeof want, "cannot read config file '%s': %s", DATA,
             strerror(EISDIR));
    expect_file(DATA, TACHO_EIO, want);
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_config_load_file(DATA, NULL, NULL, NULL, &err),
                    TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "tacho_config_load_file: path and out "
                                     "are required");
    tacho_config_t *cfg;
    CU_ASSERT_EQUAL(tacho_config_load_file(NULL, &cfg, NULL, NULL, &err),
                    TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_config_load_string(NULL, &cfg, NULL, NULL, &err),
                    TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "tacho_config_load_string: text and out "
                                     "are required");
}

static void config_include_relative_to_file(void)
{
    char cwd[PATH_MAX];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    /* From the source tree root, with a relative path... */
    CU_ASSERT_EQUAL_FATAL(chdir(TACHO_TEST_SOURCE_DIR), 0);
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    int rc = tacho_config_load_file("tests/data/config/include/main.conf", &cfg,
                                    NULL, NULL, &err);
    CU_ASSERT_EQUAL(chdir(cwd), 0);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const tacho__settings_t *s = tacho__config_settings(cfg);
    CU_ASSERT_DOUBLE_EQUAL(s->interval, 10.0, 0);
    CU_ASSERT_EQUAL_FATAL(s->sink_count, 2);
    CU_ASSERT_STRING_EQUAL(s->sinks[1].plugin, "csv");
    /* ...included settings name the included file as seen from the cwd. */
    CU_ASSERT_STRING_EQUAL(s->sinks[1].file,
                           "tests/data/config/include/sinks.inc");
    CU_ASSERT_EQUAL(s->sinks[1].line, 3);
    const tacho_setting_t *t =
        tacho_setting_member(tacho_config_root(cfg), "tacho");
    CU_ASSERT_STRING_EQUAL(tacho_setting_file(t),
                           "tests/data/config/include/main.conf");
    tacho_config_free(cfg);

    /* ...and from elsewhere with an absolute path. */
    CU_ASSERT_EQUAL(tacho_config_load_file(DATA "/include/main.conf", &cfg,
                                           NULL, NULL, &err),
                    0);
    s = tacho__config_settings(cfg);
    CU_ASSERT_STRING_EQUAL(s->sinks[0].file, DATA "/include/sinks.inc");
    tacho_config_free(cfg);
}

static void config_include_errors_name_the_file(void)
{
    expect_file(DATA "/include/broken.conf", TACHO_ECONFIG,
                DATA "/include/broken.inc:2: syntax error");
    expect_file(DATA "/include/missing.conf", TACHO_ECONFIG,
                DATA "/include/missing.conf:2: cannot open include file");
    expect_file(DATA "/include/badsink.conf", TACHO_ECONFIG,
                DATA "/include/badsink.inc:2: sinks[0].optional must be a "
                     "boolean, not a string");
}

static void config_text_refuses_include(void)
{
    expect_one("a = 1;\n@include \"" DATA "/include/sinks.inc\"\n",
               "<string>:2: @include is not allowed in a config given as text");
    expect_one("a = 1;\n  \t@include \"x\"\n",
               "<string>:2: @include is not allowed in a config given as text");
    seen_t seen = {0};
    tacho_config_t *cfg;
    int rc = tacho_config_load_string("@include \"a\"\nb = 1;\n@include \"c\"",
                                      &cfg, collect, &seen, NULL);
    CU_ASSERT_EQUAL(rc, TACHO_ECONFIG);
    CU_ASSERT_EQUAL_FATAL(seen.n, 2);
    CU_ASSERT_STRING_EQUAL(seen.text[0], "<string>:1: @include is not allowed "
                                         "in a config given as text");
    CU_ASSERT_STRING_EQUAL(seen.text[1], "<string>:3: @include is not allowed "
                                         "in a config given as text");
    /* Where libconfig would not see a directive, neither do we. */
    cfg = load_ok("runner = {\n"
                  "# @include \"x\"\n"
                  "a = \"text\n@include \\\"x\\\"\";\n"
                  "/* c\n@include \"x\"\n*/\n"
                  "b = \"\\\\\"; // @include\n"
                  "c = 1; /* x */ d = \"/*\";\n"
                  "e = 2; # /*\n"
                  "f = 3; };\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    const tacho_setting_t *root =
        tacho_setting_member(tacho_config_root(cfg), "runner");
    const char *v = NULL;
    CU_ASSERT_TRUE(tacho_setting_string(tacho_setting_member(root, "a"), &v));
    CU_ASSERT_STRING_EQUAL(v, "text\n@include \"x\"");
    CU_ASSERT_TRUE(tacho_setting_string(tacho_setting_member(root, "b"), &v));
    CU_ASSERT_STRING_EQUAL(v, "\\");
    CU_ASSERT_TRUE(tacho_setting_string(tacho_setting_member(root, "d"), &v));
    CU_ASSERT_STRING_EQUAL(v, "/*");
    CU_ASSERT_EQUAL(tacho_setting_line(tacho_setting_member(root, "f")), 11);
    tacho_config_free(cfg);
    /* Anything that starts like the directive is refused, even if libconfig
     * would only call it a syntax error. */
    expect_one("x = 1;\n@includes = 1;\n",
               "<string>:2: @include is not allowed in a config given as text");
}

static void config_setting_accessors(void)
{
    /* The worker's sections are where a program reads settings this way. */
    tacho_config_t *cfg = load_ok("runner = {\ni = 5;\nbig = 5000000000L;\n"
                                  "f = 2.5;\nb = true;\ns = \"str\";\n"
                                  "a = [1, 2];\nl = ( \"x\", 3 );\n"
                                  "g = { k = 1; }; };\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_EQUAL(tacho_setting_type(tacho_config_root(cfg)),
                    TACHO_SETTING_GROUP);
    CU_ASSERT_PTR_NULL(tacho_setting_name(tacho_config_root(cfg)));
    const tacho_setting_t *root =
        tacho_setting_member(tacho_config_root(cfg), "runner");
    CU_ASSERT_EQUAL(tacho_setting_type(root), TACHO_SETTING_GROUP);
    CU_ASSERT_EQUAL(tacho_setting_length(root), 8);
    const tacho_setting_t *big = tacho_setting_member(root, "big");
    int64_t iv = 0;
    double fv = 0;
    bool bv = false;
    const char *sv = NULL;
    CU_ASSERT_TRUE(tacho_setting_int(big, &iv));
    CU_ASSERT_EQUAL(iv, 5000000000LL);
    CU_ASSERT_TRUE(tacho_setting_float(big, &fv));
    CU_ASSERT_DOUBLE_EQUAL(fv, 5e9, 0);
    CU_ASSERT_EQUAL(tacho_setting_line(big), 3);
    CU_ASSERT_STRING_EQUAL(tacho_setting_file(big), "<string>");
    CU_ASSERT_STRING_EQUAL(tacho_setting_name(big), "big");
    CU_ASSERT_TRUE(tacho_setting_float(tacho_setting_member(root, "i"), &fv));
    CU_ASSERT_DOUBLE_EQUAL(fv, 5.0, 0);
    CU_ASSERT_FALSE(tacho_setting_int(tacho_setting_member(root, "f"), &iv));
    CU_ASSERT_TRUE(tacho_setting_float(tacho_setting_member(root, "f"), &fv));
    CU_ASSERT_DOUBLE_EQUAL(fv, 2.5, 0);
    CU_ASSERT_TRUE(tacho_setting_bool(tacho_setting_member(root, "b"), &bv));
    CU_ASSERT_TRUE(bv);
    CU_ASSERT_FALSE(tacho_setting_bool(tacho_setting_member(root, "i"), &bv));
    CU_ASSERT_TRUE(tacho_setting_string(tacho_setting_member(root, "s"), &sv));
    CU_ASSERT_STRING_EQUAL(sv, "str");
    CU_ASSERT_FALSE(tacho_setting_string(tacho_setting_member(root, "i"), &sv));
    CU_ASSERT_FALSE(tacho_setting_float(tacho_setting_member(root, "s"), &fv));

    const tacho_setting_t *l = tacho_setting_member(root, "l");
    CU_ASSERT_EQUAL(tacho_setting_type(l), TACHO_SETTING_LIST);
    CU_ASSERT_EQUAL(tacho_setting_length(l), 2);
    CU_ASSERT_PTR_NULL(tacho_setting_name(tacho_setting_elem(l, 0)));
    CU_ASSERT_EQUAL(tacho_setting_type(tacho_setting_elem(l, 1)),
                    TACHO_SETTING_INT);
    CU_ASSERT_PTR_NULL(tacho_setting_elem(l, 2));
    CU_ASSERT_PTR_NULL(tacho_setting_member(l, "x")); /* not a group */
    const tacho_setting_t *a = tacho_setting_member(root, "a");
    CU_ASSERT_EQUAL(tacho_setting_type(a), TACHO_SETTING_ARRAY);
    CU_ASSERT_EQUAL(tacho_setting_length(tacho_setting_elem(a, 0)), 0);
    const tacho_setting_t *g = tacho_setting_member(root, "g");
    CU_ASSERT_EQUAL(tacho_setting_type(g), TACHO_SETTING_GROUP);
    CU_ASSERT_PTR_NOT_NULL(tacho_setting_member(g, "k"));
    CU_ASSERT_PTR_NULL(tacho_setting_member(g, "nope"));
    CU_ASSERT_PTR_NULL(tacho_setting_member(g, NULL));

    CU_ASSERT_EQUAL(tacho_setting_type(NULL), TACHO_SETTING_NONE);
    CU_ASSERT_PTR_NULL(tacho_setting_name(NULL));
    CU_ASSERT_PTR_NULL(tacho_setting_file(NULL));
    CU_ASSERT_EQUAL(tacho_setting_line(NULL), 0);
    CU_ASSERT_EQUAL(tacho_setting_length(NULL), 0);
    CU_ASSERT_PTR_NULL(tacho_setting_elem(NULL, 0));
    CU_ASSERT_FALSE(tacho_setting_int(NULL, &iv));
    CU_ASSERT_FALSE(tacho_setting_float(NULL, &fv));
    CU_ASSERT_PTR_NULL(tacho_config_root(NULL));
    CU_ASSERT_PTR_NULL(tacho_config_path(NULL));
    tacho_config_free(cfg);
}

static void config_type_names(void)
{
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_GROUP),
                           "group");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_LIST), "list");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_ARRAY),
                           "array");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_STRING),
                           "string");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_INT),
                           "integer");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_FLOAT),
                           "float");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_BOOL),
                           "boolean");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name(TACHO_SETTING_NONE), "none");
    CU_ASSERT_STRING_EQUAL(tacho_setting_type_name((tacho_setting_type_t)99),
                           "none");
}

/* ---- allocation failures ---------------------------------------------- */

/* Fails the 1st, 2nd, ... allocation of a load until one succeeds; each
 * failure must be a clean TACHO_ENOMEM (ASan's leak check sees the rest). */
static void config_oom_is_clean(void)
{
    CU_ASSERT_EQUAL(tacho_replace_allocator(NULL, realloc, calloc, free),
                    TACHO_EINVAL);
    CU_ASSERT_EQUAL_FATAL(failing_alloc_install(), 0);
    long failures = 0;
    int rc = TACHO_ENOMEM;
    for (long n = 1; n < 1000 && rc == TACHO_ENOMEM; n++) {
        failing_alloc_nth(n);
        tacho_config_t *cfg = NULL;
        tacho_error_t err;
        rc = tacho_config_load_file(DATA "/include/main.conf", &cfg, NULL, NULL,
                                    &err);
        if (rc == TACHO_ENOMEM) {
            failures++;
            CU_ASSERT_PTR_NULL(cfg);
            CU_ASSERT_STRING_EQUAL(err.text, "out of memory loading the "
                                             "config");
        } else {
            CU_ASSERT_EQUAL(rc, 0);
            tacho_config_free(cfg);
        }
    }
    tacho_config_t *cfg = NULL;
    for (long n = 1; n < 1000; n++) {
        failing_alloc_nth(n);
        rc = tacho_config_load_string(
            "tacho = { plugin_path = [\"a\", \"b\"]; };\n"
            "sinks = ( { plugin = \"log\"; } );",
            &cfg, NULL, NULL, NULL);
        if (rc != TACHO_ENOMEM) {
            break;
        }
        failures++;
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(tacho__config_settings(cfg)->plugin_path_count, 2);
    tacho_config_free(cfg);
    CU_ASSERT_EQUAL(failing_alloc_remove(), 0);
    /* Both loads allocate several times; each one was failed once. */
    CU_ASSERT(failures >= 8);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"config_defaults_without_config", config_defaults_without_config},
        {"config_empty_text_gives_defaults", config_empty_text_gives_defaults},
        {"config_good_file_values", config_good_file_values},
        {"config_boundaries_accepted", config_boundaries_accepted},
        {"config_unknown_keys_list_valid_ones",
         config_unknown_keys_list_valid_ones},
        {"config_wrong_types_named", config_wrong_types_named},
        {"config_out_of_range_says_range", config_out_of_range_says_range},
        {"config_buckets_checked", config_buckets_checked},
        {"config_plugin_path_checked", config_plugin_path_checked},
        {"config_plugin_path_made_absolute", config_plugin_path_made_absolute},
        {"config_plugin_path_unresolvable_base",
         config_plugin_path_unresolvable_base},
        {"config_sinks_shape_checked", config_sinks_shape_checked},
        {"config_sink_names_unique", config_sink_names_unique},
        {"config_worker_sections_not_checked",
         config_worker_sections_not_checked},
        {"config_every_problem_reported", config_every_problem_reported},
        {"config_check_file_keeps_checkable_config",
         config_check_file_keeps_checkable_config},
        {"config_syntax_errors_keep_place", config_syntax_errors_keep_place},
        {"config_unreadable_file", config_unreadable_file},
        {"config_include_relative_to_file", config_include_relative_to_file},
        {"config_include_errors_name_the_file",
         config_include_errors_name_the_file},
        {"config_text_refuses_include", config_text_refuses_include},
        {"config_setting_accessors", config_setting_accessors},
        {"config_type_names", config_type_names},
        {"config_oom_is_clean", config_oom_is_clean},
        {NULL, NULL}};
    return tacho_test_run("config", NULL, NULL, cases);
}
