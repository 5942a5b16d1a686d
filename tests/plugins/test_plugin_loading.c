/*
 * Suite for loading real sink modules through the shared libtacho: the
 * search path, every way a plugin can be refused (each message asserted),
 * create failures, two instances of one module, static registration,
 * tacho_host_list_sinks() and tacho_host_check_file().
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tacho/tacho.h>

#include "host_test.h"

#define SINKS TACHO_TEST_EXTRA_SINK_DIR

/* Opens a config whose only sink entry is on line 2, expecting `code`;
 * checks the text is "<string>:2: " + `want`. */
static void expect_refused(const char *sinks, int code, const char *want)
{
    tacho_error_t err;
    CU_ASSERT_EQUAL(open_host_fails(sinks, &err), code);
    CU_ASSERT_EQUAL(err.code, code);
    char *full = fmt("<string>:2: %s", want);
    CU_ASSERT_STRING_EQUAL(err.text, full);
    if (strcmp(err.text, full) != 0) {
        fprintf(stderr, "\n got: %s\nwant: %s\n", err.text, full);
    }
    free(full);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    size_t len = 0;
    char *data = tacho_test_read_file(from, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    FILE *f = fopen(to, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
    fclose(f);
    chmod(to, mode);
    free(data);
}

/* ---- finding ------------------------------------------------------------ */

static void loading_recorder_from_plugin_path(void)
{
    char *dir = tacho_test_tmpdir("load");
    char *sinks = fmt("{ plugin = \"recorder\"; name = \"rec\"; "
                      "path = \"%s/rec.txt\"; }",
                      dir);
    capture_start();
    tacho_host_t *h = open_host(60, 1, sinks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(tacho_host_sink_count(h), 1);
    CU_ASSERT_STRING_EQUAL(tacho_host_sink_name(h, 0), "rec");
    CU_ASSERT_PTR_NULL(tacho_host_sink_name(h, 1));
    char *where = fmt("info [host] sink 'rec' (plugin recorder 1.0-test, ABI "
                      "1.0) loaded from %s/tacho_sink_recorder.so",
                      SINKS);
    CU_ASSERT_TRUE(logged(where));
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_host_snapshot(h, &s), 0);
    CU_ASSERT_EQUAL(tacho_snapshot_sink_count(s), 1);
    const tacho_sink_stats_t *ss = sink_stats(s, "rec");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ss);
    CU_ASSERT_STRING_EQUAL(tacho_sink_stats_plugin(ss), "recorder");
    CU_ASSERT_FALSE(tacho_sink_stats_up(ss)); /* not started */
    tacho_snapshot_free(s);
    tacho_host_close(h);
    capture_stop();
    char *file = fmt("%s/rec.txt", dir);
    CU_ASSERT_EQUAL(count_lines(file, "destroy "), 1);
    CU_ASSERT_EQUAL(count_lines(file, "start "), 0);
    free(file);
    free(where);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loading_from_env_path(void)
{
    char *dir = tacho_test_tmpdir("load");
    char *text =
        fmt("sinks = ( { plugin = \"recorder\"; path = \"%s/r\"; } );", dir);
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_host_open_string(text, &h, &err), TACHO_ENOENT);
    setenv(TACHO_ENV_PLUGIN_PATH, "/nonexistent:" SINKS, 1);
    CU_ASSERT_EQUAL(tacho_host_open_string(text, &h, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_sink_count(h), 1);
    tacho_host_close(h);
    setenv(TACHO_ENV_PLUGIN_PATH, "relative/dir", 1);
    CU_ASSERT_EQUAL(tacho_host_open_string(text, &h, &err), TACHO_ECONFIG);
    CU_ASSERT_STRING_EQUAL(err.text, "TACHO_PLUGIN_PATH entry 'relative/dir' "
                                     "is not an absolute path");
    unsetenv(TACHO_ENV_PLUGIN_PATH);
    free(text);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loading_not_found_lists_every_file(void)
{
    char *a = tacho_test_tmpdir("load-a"), *b = tacho_test_tmpdir("load-b");
    char *text = fmt("tacho = { plugin_path = [\"%s\", \"%s\"]; };\n"
                     "sinks = ( { plugin = \"nosuch\"; } );",
                     a, b);
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_host_open_string(text, &h, &err), TACHO_ENOENT);
    char *head = fmt("<string>:2: sink 'nosuch' not found: tried "
                     "%s/tacho_sink_nosuch.so, %s/tacho_sink_nosuch.so, "
                     "%s/tacho_sink_nosuch.so, ",
                     a, b, TACHO_TEST_SINK_DIR);
    CU_ASSERT_EQUAL(strncmp(err.text, head, strlen(head)), 0);
    /* ... and last the install directory. */
    size_t n = strlen(err.text);
    CU_ASSERT_STRING_EQUAL(err.text + n -
                               strlen("/tacho/sinks/tacho_sink_"
                                      "nosuch.so"),
                           "/tacho/sinks/tacho_sink_nosuch.so");
    CU_ASSERT_EQUAL(err.line, 2);
    free(head);
    free(text);
    tacho_test_rmtree(a);
    tacho_test_rmtree(b);
    free(a);
    free(b);
}

/* ---- refusals, each with its message ------------------------------------ */

static void loading_refuses_missing_descriptor(void)
{
    expect_refused("{ plugin = \"nodescriptor\"; }", TACHO_EPLUGIN,
                   SINKS "/tacho_sink_nodescriptor.so is not a tacho sink: it "
                         "does not export the symbol "
                         "tacho_sink_nodescriptor_descriptor");
}

static void loading_refuses_abi_major(void)
{
    expect_refused("{ plugin = \"badabi\"; }", TACHO_EABI,
                   "sink 'badabi' was built for ABI 2.0, this tacho speaks "
                   "1.0 (" SINKS "/tacho_sink_badabi.so)");
}

static void loading_refuses_short_struct(void)
{
    char *want = fmt("sink 'shortstruct' has a descriptor of %zu bytes, but "
                     "ABI 1.0 promises at least %zu (%s/tacho_sink_"
                     "shortstruct.so)",
                     offsetof(tacho_sink_descriptor_t, write),
                     sizeof(tacho_sink_descriptor_t), SINKS);
    expect_refused("{ plugin = \"shortstruct\"; }", TACHO_EABI, want);
    free(want);
}

static void loading_refuses_wrong_name(void)
{
    expect_refused("{ plugin = \"wrongname\"; }", TACHO_EPLUGIN,
                   SINKS "/tacho_sink_wrongname.so: the descriptor names sink "
                         "'othername', expected 'wrongname'");
}

static void loading_refuses_bad_option_table(void)
{
    expect_refused("{ plugin = \"badoptions\"; }", TACHO_EPLUGIN,
                   "sink 'badoptions': option 'name' is reserved for the host "
                   "(plugin, name and optional are)");
}

static void loading_create_failure_names_place(void)
{
    expect_refused("{ plugin = \"createfail\"; }", TACHO_ESINK,
                   "sink 'createfail' (plugin createfail) could not be "
                   "created: cannot parse the address");
    expect_refused("{ plugin = \"createfail\"; name = \"cf\"; message = "
                   "\"bad port 99999\"; }",
                   TACHO_ESINK,
                   "sink 'cf' (plugin createfail) could not be created: bad "
                   "port 99999");
}

/* An option's own error names the option's line, once (the sink entry
 * starts on line 2, the bad option is on line 3). */
static void loading_create_failure_names_option_line(void)
{
    tacho_error_t err;
    CU_ASSERT_EQUAL(open_host_fails("{ plugin = \"csv\"; path = \"/tmp/x\";\n"
                                    "  mode = \"rw-r\"; }",
                                    &err),
                    TACHO_ESINK);
    CU_ASSERT_STRING_EQUAL(err.text,
                           "<string>:3: sink 'csv' (plugin csv) could not be "
                           "created: csv: mode must be an octal file mode "
                           "such as \"0640\", not \"rw-r\"");
    CU_ASSERT_EQUAL(err.line, 3);
}

static void loading_reports_every_problem(void)
{
    char *group = tacho_group(60, 1);
    char *text = fmt("%ssinks = (\n { plugin = \"nosuch\"; },\n"
                     " { plugin = \"recorder\"; path = \"/tmp/x\"; },\n"
                     " { plugin = \"badabi\"; }\n);",
                     group);
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(
        tacho_config_load_string(text, &cfg, NULL, NULL, &err), 0);
    problems_t p = {0};
    tacho_host_t *h = NULL;
    CU_ASSERT_EQUAL(tacho_host_open(cfg, &h, collect, &p, &err), TACHO_ENOENT);
    CU_ASSERT_PTR_NULL(h);
    CU_ASSERT_EQUAL(p.count, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.text[0], "<string>:3: sink 'nosuch'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p.text[1], "<string>:5: sink 'badabi'"));
    CU_ASSERT_STRING_EQUAL(err.text, p.text[0]);
    tacho_config_free(cfg);
    free(text);
    free(group);
}

/* ---- instances, modules and static sinks --------------------------------- */

static void loading_two_instances_side_by_side(void)
{
    char *dir = tacho_test_tmpdir("load");
    char *sinks = fmt("{ plugin = \"recorder\"; name = \"a\"; path = "
                      "\"%s/a.txt\"; }, { plugin = \"recorder\"; name = \"b\"; "
                      "path = \"%s/b.txt\"; }",
                      dir, dir);
    tacho_host_t *h = start_test_host(60, 2, sinks);
    for (int i = 0; i < 5; i++) {
        tacho_record(tacho_host_collector(h), "job", 1000, i != 2);
    }
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    char *fa = fmt("%s/a.txt", dir), *fb = fmt("%s/b.txt", dir);
    CU_ASSERT_TRUE(wait_lines(fa, "write ", 1, 5));
    CU_ASSERT_TRUE(wait_lines(fb, "write ", 1, 5));
    tacho_host_close(h);
    char line[4096];
    const char *files[] = {fa, fb}, *names[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_TRUE(last_line(files[i], "start ", line, sizeof line));
        char *name = fmt(" name=%s ", names[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(line, name));
        free(name);
        CU_ASSERT_TRUE(last_line(files[i], "write ", line, sizeof line));
        CU_ASSERT_EQUAL(field(line, "runs"), 5);
        CU_ASSERT_EQUAL(field(line, "failed"), 1);
        CU_ASSERT_EQUAL(field(line, "sinks"), 2);
        CU_ASSERT_EQUAL(count_lines(files[i], "destroy "), 1);
    }
    free(fa);
    free(fb);
    free(sinks);
    tacho_test_rmtree(dir);
    free(dir);
}

/* Two hosts share one loaded module; closing one leaves the other's
 * instance working (the module is refcounted, not unloaded). */
static void loading_module_outlives_one_host(void)
{
    char *dir = tacho_test_tmpdir("load");
    char *sa = fmt("{ plugin = \"recorder\"; path = \"%s/a.txt\"; }", dir);
    char *sb = fmt("{ plugin = \"recorder\"; path = \"%s/b.txt\"; }", dir);
    tacho_host_t *a = open_host(60, 2, sa);
    tacho_host_t *b = open_host(60, 2, sb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    tacho_host_close(a);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(b, NULL), 0);
    tacho_record(tacho_host_collector(b), "x", 5, true);
    CU_ASSERT_EQUAL(tacho_host_report_now(b), 0);
    char *fb = fmt("%s/b.txt", dir);
    CU_ASSERT_TRUE(wait_lines(fb, "write ", 1, 5));
    tacho_host_close(b);
    CU_ASSERT_EQUAL(count_lines(fb, "write "), 2); /* + the final one */
    free(fb);
    free(sa);
    free(sb);
    tacho_test_rmtree(dir);
    free(dir);
}

static atomic_int static_writes;

static int st_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                     void **state, tacho_error_t *err)
{
    (void)opts;
    (void)err;
    *state = ctx;
    return 0;
}

static tacho_sink_result_t st_write(void *state, const tacho_snapshot_t *s)
{
    (void)state;
    (void)s;
    atomic_fetch_add(&static_writes, 1);
    return TACHO_SINK_OK;
}

static void st_destroy(void *state)
{
    (void)state;
}

static const tacho_sink_descriptor_t static_sink = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "linked_in",
    .description = "linked into the test",
    .version = "1",
    .create = st_create,
    .write = st_write,
    .destroy = st_destroy,
};

static void loading_static_registration(void)
{
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho_sink_register_static(&static_sink, &err), 0);
    CU_ASSERT_EQUAL(tacho_sink_register_static(&static_sink, &err),
                    TACHO_EEXIST);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'linked_in' is already registered");
    /* No plugin_path, no file: the registry is looked at first. */
    tacho_host_t *h = NULL;
    CU_ASSERT_EQUAL_FATAL(
        tacho_host_open_string("sinks = ( { plugin = \"linked_in\"; } );", &h,
                               &err),
        0);
    CU_ASSERT_EQUAL_FATAL(tacho_host_start(h, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    /* The mailbox keeps only the newest snapshot: closing before the sink
     * thread took this one would replace it with the final one. */
    for (double end = now_s() + 5;
         atomic_load(&static_writes) < 1 && now_s() < end;) {
        sleep_s(0.001);
    }
    CU_ASSERT_EQUAL(atomic_load(&static_writes), 1);
    tacho_host_close(h); /* delivers the final snapshot too */
    CU_ASSERT_EQUAL(atomic_load(&static_writes), 2);
}

/* ---- listing and checking ------------------------------------------------ */

typedef struct listing {
    size_t n;
    char line[64][1400];
    char recorder_options[256]; /* the table is borrowed for the call */
} listing_t;

static void on_sink(void *arg, const tacho_sink_info_t *info)
{
    listing_t *l = arg;
    if (l->n < 64) {
        snprintf(l->line[l->n++], sizeof l->line[0], "%s|%s|%u.%u|%s|%s|%s",
                 info->name, info->path, info->abi_major, info->abi_minor,
                 info->version, info->description,
                 info->problem != NULL ? info->problem : "-");
    }
    if (strcmp(info->name, "recorder") == 0 && info->options != NULL) {
        for (const tacho_option_spec_t *o = info->options; o->name != NULL;
             o++) {
            size_t used = strlen(l->recorder_options);
            snprintf(l->recorder_options + used,
                     sizeof l->recorder_options - used, "%s%s",
                     used > 0 ? "," : "", o->name);
        }
    }
}

static const char *listed(const listing_t *l, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < l->n; i++) {
        if (strncmp(l->line[i], name, len) == 0 && l->line[i][len] == '|') {
            return l->line[i];
        }
    }
    return NULL;
}

static void loading_list_sinks(void)
{
    char *dir = tacho_test_tmpdir("list");
    char *copy = fmt("%s/tacho_sink_recorder.so", dir);
    copy_file(SINKS "/tacho_sink_recorder.so", copy, 0755);
    char *ghost = fmt("%s/tacho_sink_ghost.so", dir);
    CU_ASSERT_EQUAL(symlink("/nonexistent/file", ghost), 0);
    char *upper = fmt("%s/tacho_sink_Bad.so", dir);
    copy_file(SINKS "/tacho_sink_recorder.so", upper, 0755);
    char *text =
        fmt("tacho = { plugin_path = [\"%s\", \"%s\"]; };", dir, SINKS);
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(
        tacho_config_load_string(text, &cfg, NULL, NULL, &err), 0);
    listing_t *l = calloc(1, sizeof *l);
    CU_ASSERT_EQUAL(tacho_host_list_sinks(cfg, on_sink, l), 0);
    /* The first directory's copy wins, as the loader would pick it. */
    char *want = fmt("recorder|%s|1.0|1.0-test|test sink: records every event "
                     "into a file|-",
                     copy);
    CU_ASSERT_STRING_EQUAL(listed(l, "recorder"), want);
    CU_ASSERT_STRING_EQUAL(l->recorder_options, "path,log_message,pull");
    CU_ASSERT_PTR_NOT_NULL(strstr(listed(l, "ghost"), "cannot stat"));
    CU_ASSERT_PTR_NOT_NULL(strstr(listed(l, "Bad"), "invalid sink name 'Bad'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(listed(l, "badabi"), "built for ABI 2.0"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(listed(l, "nodescriptor"), "does not export the symbol"));
    /* The shipped sinks beside libtacho are listed too. */
    char *csv = fmt("csv|%s/tacho_sink_csv.so|1.", TACHO_TEST_SINK_DIR);
    CU_ASSERT_EQUAL(strncmp(listed(l, "csv"), csv, strlen(csv)), 0);
    size_t recorders = 0;
    for (size_t i = 0; i < l->n; i++) {
        recorders += strncmp(l->line[i], "recorder|", 9) == 0;
    }
    CU_ASSERT_EQUAL(recorders, 1);
    CU_ASSERT_EQUAL(tacho_host_list_sinks(cfg, NULL, NULL), TACHO_EINVAL);
    tacho_config_free(cfg);
    free(csv);
    free(want);
    free(l);
    free(text);
    free(upper);
    free(ghost);
    free(copy);
    tacho_test_rmtree(dir);
    free(dir);
}

static char *write_config(const char *dir, const char *name, const char *text)
{
    char *path = fmt("%s/%s", dir, name);
    write_file(path, text);
    return path;
}

static void loading_check_file(void)
{
    char *dir = tacho_test_tmpdir("check");
    char *group = tacho_group(60, 1);
    char *good_text = fmt("%ssinks = ( { plugin = \"recorder\"; path = "
                          "\"%s/r.txt\"; } );\n",
                          group, dir);
    char *good = write_config(dir, "good.conf", good_text);
    problems_t p = {0};
    CU_ASSERT_EQUAL(tacho_host_check_file(good, collect, &p), 0);
    CU_ASSERT_EQUAL(p.count, 0);
    char *rec = fmt("%s/r.txt", dir);
    /* create and destroy ran; start did not. */
    CU_ASSERT_EQUAL(count_lines(rec, "destroy "), 1);
    CU_ASSERT_EQUAL(count_lines(rec, "start "), 0);
    char *bad_text = fmt("%ssinks = (\n { plugin = \"createfail\"; },\n"
                         " { plugin = \"nosuch\"; }\n);\n",
                         group);
    char *bad = write_config(dir, "bad.conf", bad_text);
    memset(&p, 0, sizeof p);
    CU_ASSERT_EQUAL(tacho_host_check_file(bad, collect, &p), TACHO_ESINK);
    CU_ASSERT_EQUAL(p.count, 2);
    char *first = fmt("%s:3: sink 'createfail' (plugin createfail) could not "
                      "be created: cannot parse the address",
                      bad);
    CU_ASSERT_STRING_EQUAL(p.text[0], first);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.text[1], ":4: sink 'nosuch' not found"));
    char *broken = write_config(dir, "broken.conf", "tacho = { interval = ;");
    memset(&p, 0, sizeof p);
    CU_ASSERT_EQUAL(tacho_host_check_file(broken, collect, &p), TACHO_ECONFIG);
    CU_ASSERT_EQUAL(p.count, 1);
    free(broken);
    free(first);
    free(bad);
    free(bad_text);
    free(rec);
    free(good);
    free(good_text);
    free(group);
    tacho_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"loading_recorder_from_plugin_path",
         loading_recorder_from_plugin_path},
        {"loading_from_env_path", loading_from_env_path},
        {"loading_not_found_lists_every_file",
         loading_not_found_lists_every_file},
        {"loading_refuses_missing_descriptor",
         loading_refuses_missing_descriptor},
        {"loading_refuses_abi_major", loading_refuses_abi_major},
        {"loading_refuses_short_struct", loading_refuses_short_struct},
        {"loading_refuses_wrong_name", loading_refuses_wrong_name},
        {"loading_refuses_bad_option_table", loading_refuses_bad_option_table},
        {"loading_create_failure_names_place",
         loading_create_failure_names_place},
        {"loading_create_failure_names_option_line",
         loading_create_failure_names_option_line},
        {"loading_reports_every_problem", loading_reports_every_problem},
        {"loading_two_instances_side_by_side",
         loading_two_instances_side_by_side},
        {"loading_module_outlives_one_host", loading_module_outlives_one_host},
        {"loading_static_registration", loading_static_registration},
        {"loading_list_sinks", loading_list_sinks},
        {"loading_check_file", loading_check_file},
        {NULL, NULL}};
    return tacho_test_run("plugin_loading", NULL, NULL, cases);
}
