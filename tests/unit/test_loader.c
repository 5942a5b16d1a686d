/*
 * Suite for core/loader.c and core/registry.c, through their internal
 * interface: sink names, the search path, the safety checks on files,
 * descriptor checking under the ABI rules and static registration.
 * Loading real modules is tested through the shared library in
 * tests/plugins/test_plugin_loading.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tacho/tacho.h>

#include "failing_alloc.h"
#include "loader.h"
#include "tacho_test.h"

/* ---- helpers ----------------------------------------------------------- */

static int fake_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                       void **state, tacho_error_t *err)
{
    (void)ctx;
    (void)opts;
    (void)err;
    *state = NULL;
    return 0;
}

static tacho_sink_result_t fake_write(void *state, const tacho_snapshot_t *s)
{
    (void)state;
    (void)s;
    return TACHO_SINK_OK;
}

static void fake_destroy(void *state)
{
    (void)state;
}

static tacho_sink_descriptor_t good_descriptor(const char *name)
{
    tacho_sink_descriptor_t d = {
        .abi_version = TACHO_SINK_ABI_VERSION,
        .struct_size = sizeof(tacho_sink_descriptor_t),
        .name = name,
        .description = "a fake sink",
        .version = "0.1",
        .create = fake_create,
        .write = fake_write,
        .destroy = fake_destroy,
    };
    return d;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* A fresh directory for one test; `path` gets the file sink `name` would
 * have in it. Remove it with drop_dir(). */
static char *sink_dir(const char *name, char *path, size_t size)
{
    char *dir = tacho_test_tmpdir("loader");
    snprintf(path, size, "%s/tacho_sink_%s.so", dir, name);
    return dir;
}

static void drop_dir(char *dir)
{
    tacho_test_rmtree(dir);
    free(dir);
}

/* Opening sink `name` must fail with `code` and exactly the formatted
 * message, leaving no type: from the file `path`, or, when `dir` is not
 * NULL, by searching `dir` alone. */
static void expect_refused(const char *name, const char *path, char *dir,
                           int code, const char *fmt, ...) TACHO_PRINTF(5, 6);
static void expect_refused(const char *name, const char *path, char *dir,
                           int code, const char *fmt, ...)
{
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    int rc;
    if (dir != NULL) {
        char *dirs[] = {dir};
        tacho__search_path_t sp = {dirs, 1};
        rc = tacho__loader_open(name, &sp, &t, &err);
    } else {
        rc = tacho__loader_open_file(path, name, &t, &err);
    }
    CU_ASSERT_EQUAL(rc, code);
    char want[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    CU_ASSERT_PTR_NULL(t);
}

/* Reading `d` as sink `name` from `where` must fail with `code`; returns
 * the message (static until the next call). */
static const char *read_fails(const tacho_sink_descriptor_t *d,
                              const char *name, const char *where, int code)
{
    static tacho_error_t err;
    tacho__sink_type_t t;
    CU_ASSERT_EQUAL(tacho__sink_type_read(d, name, where, &t, &err), code);
    return err.text;
}

/* Fails exactly the Nth allocation after arming. */
static void arm_oom(long n)
{
    failing_alloc_nth(n);
    failing_alloc_install();
}

/* ---- names --------------------------------------------------------- */

static void loader_name_validation(void)
{
    CU_ASSERT_TRUE(tacho__sink_name_valid("csv"));
    CU_ASSERT_TRUE(tacho__sink_name_valid("http_json2"));
    CU_ASSERT_FALSE(tacho__sink_name_valid(NULL));
    CU_ASSERT_FALSE(tacho__sink_name_valid(""));
    CU_ASSERT_FALSE(tacho__sink_name_valid("../csv"));
    CU_ASSERT_FALSE(tacho__sink_name_valid("a/b"));
    CU_ASSERT_FALSE(tacho__sink_name_valid("Csv"));
    CU_ASSERT_FALSE(tacho__sink_name_valid("http-json"));
    char longname[TACHO__SINK_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CU_ASSERT_FALSE(tacho__sink_name_valid(longname));
    longname[TACHO__SINK_NAME_MAX] = '\0';
    CU_ASSERT_TRUE(tacho__sink_name_valid(longname));
}

static void loader_open_refuses_bad_name(void)
{
    tacho__search_path_t sp = {NULL, 0};
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open("../evil", &sp, &t, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text,
                           "invalid sink name '../evil': a name uses only "
                           "a-z, 0-9 and _ (at most 64 characters)");
    CU_ASSERT_PTR_NULL(t);
}

/* ---- the search path ------------------------------------------------- */

static void loader_search_path_order(void)
{
    const char *cfg_dirs[] = {"/p1", "/p2/"};
    setenv("TACHO_PLUGIN_PATH", "/e1::/p1:/e2", 1);
    tacho__search_path_t sp;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho__search_path_init(&sp, cfg_dirs, 2, &err), 0);
    unsetenv("TACHO_PLUGIN_PATH");
    CU_ASSERT_EQUAL_FATAL(sp.count, 6);
    CU_ASSERT_STRING_EQUAL(sp.dirs[0], "/p1");
    CU_ASSERT_STRING_EQUAL(sp.dirs[1], "/p2");
    CU_ASSERT_STRING_EQUAL(sp.dirs[2], "/e1");
    CU_ASSERT_STRING_EQUAL(sp.dirs[3], "/e2");
    /* This suite is linked statically: "beside the library" is beside the
     * test program, <build>/bin/tacho/sinks. */
    char beside[4096];
    snprintf(beside, sizeof beside, "%s/tacho/sinks", TACHO_TEST_BIN_DIR);
    char *real_bin = realpath(TACHO_TEST_BIN_DIR, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(real_bin);
    snprintf(beside, sizeof beside, "%s/tacho/sinks", real_bin);
    free(real_bin);
    CU_ASSERT_STRING_EQUAL(sp.dirs[4], beside);
    const char *install = sp.dirs[5];
    CU_ASSERT_EQUAL(install[0], '/');
    CU_ASSERT_PTR_NOT_NULL(strstr(install, "/tacho/sinks"));
    tacho__search_path_free(&sp);
    CU_ASSERT_EQUAL(sp.count, 0);
}

static void loader_search_path_refuses_relative_env(void)
{
    setenv("TACHO_PLUGIN_PATH", "/ok:rel/dir", 1);
    tacho__search_path_t sp;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__search_path_init(&sp, NULL, 0, &err), TACHO_ECONFIG);
    unsetenv("TACHO_PLUGIN_PATH");
    CU_ASSERT_STRING_EQUAL(err.text, "TACHO_PLUGIN_PATH entry 'rel/dir' is "
                                     "not an absolute path");
    CU_ASSERT_EQUAL(sp.count, 0);
    CU_ASSERT_PTR_NULL(sp.dirs);
}

static void loader_search_path_refuses_relative_plugin_path(void)
{
    const char *dirs[] = {"/fine", "sinks"};
    tacho__search_path_t sp;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__search_path_init(&sp, dirs, 2, &err), TACHO_ECONFIG);
    CU_ASSERT_STRING_EQUAL(err.text,
                           "plugin_path entry 'sinks' is not an absolute path");
}

static void loader_search_path_oom(void)
{
    const char *dirs[] = {"/a", "/b"};
    setenv("TACHO_PLUGIN_PATH", "/c", 1);
    int rc = TACHO_ENOMEM;
    long n = 1;
    for (; rc == TACHO_ENOMEM && n < 100; n++) {
        tacho__search_path_t sp;
        tacho_error_t err;
        arm_oom(n);
        rc = tacho__search_path_init(&sp, dirs, 2, &err);
        failing_alloc_remove();
        if (rc == TACHO_ENOMEM) {
            CU_ASSERT_STRING_EQUAL(err.text, "out of memory");
            CU_ASSERT_EQUAL(sp.count, 0);
        } else {
            CU_ASSERT_EQUAL(sp.count, 5);
            tacho__search_path_free(&sp);
        }
    }
    unsetenv("TACHO_PLUGIN_PATH");
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_TRUE(n > 2); /* some allocation did fail on the way */
}

/* ---- finding files ----------------------------------------------------- */

static void loader_not_found_lists_every_file(void)
{
    char *dirs[] = {"/nonexistent/a", "/nonexistent/b"};
    tacho__search_path_t sp = {dirs, 2};
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open("nosuch", &sp, &t, &err), TACHO_ENOENT);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'nosuch' not found: tried "
                                     "/nonexistent/a/tacho_sink_nosuch.so, "
                                     "/nonexistent/b/tacho_sink_nosuch.so");
}

static void loader_not_found_long_list_truncates(void)
{
    enum { N = 100 };
    char *dirs[N];
    for (size_t i = 0; i < N; i++) {
        dirs[i] = malloc(64);
        snprintf(dirs[i], 64, "/nonexistent/directory/number/%03zu", i);
    }
    tacho__search_path_t sp = {dirs, N};
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open("nosuch", &sp, &t, &err), TACHO_ENOENT);
    CU_ASSERT_EQUAL(strlen(err.text), TACHO_ERROR_TEXT_MAX - 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "number/000/tacho_sink_nosuch"));
    for (size_t i = 0; i < N; i++) {
        free(dirs[i]);
    }
}

static void loader_refuses_non_regular_file(void)
{
    char path[4096];
    char *dir = sink_dir("dirsink", path, sizeof path);
    CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
    expect_refused("dirsink", NULL, dir, TACHO_EPLUGIN,
                   "sink 'dirsink': %s is not a regular file", path);
    drop_dir(dir);
}

static void loader_cannot_stat_file(void)
{
    char path[4096];
    char *dir = sink_dir("ghost", path, sizeof path);
    expect_refused("ghost", path, NULL, TACHO_EIO,
                   "sink 'ghost': cannot stat %s: No such file or directory",
                   path);
    drop_dir(dir);
}

static void loader_refuses_group_writable_file(void)
{
    char path[4096];
    char *dir = sink_dir("fake", path, sizeof path);
    write_text(path, "not loaded", 0666);
    expect_refused("fake", path, NULL, TACHO_EACCES,
                   "refusing sink 'fake': the file %s is writable by group "
                   "or others (mode 666)",
                   path);
    drop_dir(dir);
}

static void loader_refuses_world_writable_directory(void)
{
    char path[4096];
    char *dir = sink_dir("fake", path, sizeof path);
    write_text(path, "not loaded", 0644);
    chmod(dir, 0777);
    expect_refused("fake", NULL, dir, TACHO_EACCES,
                   "refusing sink 'fake': the directory %s is writable by "
                   "group or others (mode 777)",
                   dir);
    drop_dir(dir);
}

static void loader_refuses_foreign_owner(void)
{
    char path[4096];
    char *dir = sink_dir("fake", path, sizeof path);
    write_text(path, "not loaded", 0644);
    /* Only root can give a file away; this suite runs as root in CI. */
    CU_ASSERT_EQUAL_FATAL(geteuid(), 0);
    CU_ASSERT_EQUAL_FATAL(chown(path, 12345, 12345), 0);
    expect_refused("fake", path, NULL, TACHO_EACCES,
                   "refusing sink 'fake': the file %s is owned by uid 12345, "
                   "neither root nor the current user",
                   path);
    drop_dir(dir);
}

static void loader_dlopen_failure_shows_linker_text(void)
{
    char path[4096];
    char *dir = sink_dir("garbage", path, sizeof path);
    char junk[512];
    memset(junk, 'x', sizeof junk - 1);
    junk[sizeof junk - 1] = '\0';
    write_text(path, junk, 0644);
    /* The dynamic linker's own words come through, not libltdl's generic
     * "file not found". */
    expect_refused("garbage", path, NULL, TACHO_EPLUGIN,
                   "cannot load %s: invalid ELF header", path);
    drop_dir(dir);
}

/* ---- descriptors ---------------------------------------------------- */

static void loader_descriptor_null(void)
{
    CU_ASSERT_STRING_EQUAL(read_fails(NULL, "x", "here", TACHO_EINVAL),
                           "no descriptor given (here)");
}

static void loader_descriptor_abi_major_mismatch(void)
{
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.abi_version = (2u << 16) | 3u;
    CU_ASSERT_STRING_EQUAL(read_fails(&d, "x", "/p/x.so", TACHO_EABI),
                           "sink 'x' was built for ABI 2.3, this tacho "
                           "speaks 1.0 (/p/x.so)");
    CU_ASSERT_STRING_EQUAL(
        read_fails(&d, NULL, "static registration", TACHO_EABI),
        "a sink was built for ABI 2.3, this tacho speaks 1.0 (static "
        "registration)");
}

static void loader_descriptor_short_struct(void)
{
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.struct_size = 16;
    const char *text = read_fails(&d, "x", "w", TACHO_EABI);
    char want[256];
    snprintf(want, sizeof want,
             "sink 'x' has a descriptor of 16 bytes, but ABI 1.0 promises "
             "at least %zu (w)",
             sizeof(tacho_sink_descriptor_t));
    CU_ASSERT_STRING_EQUAL(text, want);
}

/* A plugin built against a newer 1.x is accepted: the host reads the
 * fields it knows and leaves the rest alone. A newer minor still has to
 * be at least as long as the fields this host knows. */
static void loader_descriptor_newer_minor(void)
{
    struct {
        tacho_sink_descriptor_t d;
        void *later_field;
    } newer = {good_descriptor("x"), NULL};
    newer.d.abi_version = (1u << 16) | 3u;
    newer.d.struct_size = sizeof newer;
    tacho__sink_type_t t;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&newer.d, "x", "w", &t, &err), 0);
    CU_ASSERT_EQUAL(t.abi_major, 1);
    CU_ASSERT_EQUAL(t.abi_minor, 3);
    newer.d.struct_size = sizeof(tacho_sink_descriptor_t) - 8;
    CU_ASSERT_PTR_NOT_NULL(strstr(read_fails(&newer.d, "x", "w", TACHO_EABI),
                                  "but ABI 1.3 promises at least"));
}

static void loader_descriptor_fields_copied(void)
{
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.description = NULL;
    d.version = NULL;
    tacho__sink_type_t t;
    memset(&t, 0xab, sizeof t);
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(tacho__sink_type_read(&d, "x", "w", &t, &err), 0);
    CU_ASSERT_STRING_EQUAL(t.name, "x");
    CU_ASSERT_STRING_EQUAL(t.description, "");
    CU_ASSERT_STRING_EQUAL(t.version, "");
    CU_ASSERT_PTR_EQUAL(t.create, fake_create);
    CU_ASSERT_PTR_EQUAL(t.write, fake_write);
    CU_ASSERT_PTR_EQUAL(t.destroy, fake_destroy);
    CU_ASSERT_PTR_NULL(t.start);
    CU_ASSERT_PTR_NULL(t.flush);
    CU_ASSERT_PTR_NULL(t.reopen);
    CU_ASSERT_PTR_NULL(t.stop);
    CU_ASSERT_PTR_NULL(t.options);
    CU_ASSERT_PTR_NULL(t.module);
    CU_ASSERT_STRING_EQUAL(t.path, "w");
}

static void loader_descriptor_bad_names(void)
{
    tacho_sink_descriptor_t d = good_descriptor("Bad");
    CU_ASSERT_STRING_EQUAL(read_fails(&d, NULL, "w", TACHO_EPLUGIN),
                           "w: the descriptor's name 'Bad' is not a valid "
                           "sink name (a-z, 0-9 and _)");
    d.name = NULL;
    CU_ASSERT_PTR_NOT_NULL(
        strstr(read_fails(&d, NULL, "w", TACHO_EPLUGIN), "name '(null)'"));
    d.name = "other";
    CU_ASSERT_STRING_EQUAL(read_fails(&d, "x", "w", TACHO_EPLUGIN),
                           "w: the descriptor names sink 'other', expected "
                           "'x'");
}

static void loader_descriptor_missing_callbacks(void)
{
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.create = NULL;
    CU_ASSERT_STRING_EQUAL(read_fails(&d, "x", "w", TACHO_EPLUGIN),
                           "sink 'x' (w) has no create callback");
    d = good_descriptor("x");
    d.write = NULL;
    CU_ASSERT_STRING_EQUAL(read_fails(&d, "x", "w", TACHO_EPLUGIN),
                           "sink 'x' (w) has no write callback");
    d = good_descriptor("x");
    d.destroy = NULL;
    CU_ASSERT_STRING_EQUAL(read_fails(&d, "x", "w", TACHO_EPLUGIN),
                           "sink 'x' (w) has no destroy callback");
}

static void loader_descriptor_bad_option_table(void)
{
    static const tacho_option_spec_t bad[] = {
        {"optional", TACHO_OPT_BOOL, NULL, "the host's key", false},
        {NULL, 0, NULL, NULL, false}};
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.options = bad;
    CU_ASSERT_PTR_NOT_NULL(strstr(read_fails(&d, "x", "w", TACHO_EPLUGIN),
                                  "sink 'x': option 'optional'"));
}

/* ---- static registration ------------------------------------------- */

static tacho_sink_descriptor_t reg_ok, reg_dup, reg_bad, reg_oom;

static void registry_register_and_find(void)
{
    reg_ok = good_descriptor("unit_static");
    tacho_error_t err;
    CU_ASSERT_PTR_NULL(tacho__registry_find("unit_static"));
    CU_ASSERT_EQUAL_FATAL(tacho_sink_register_static(&reg_ok, &err), 0);
    const tacho__sink_type_t *t = tacho__registry_find("unit_static");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(t->path, "(static)");
    CU_ASSERT_PTR_NULL(t->module);
    CU_ASSERT_STRING_EQUAL(t->description, "a fake sink");
    /* The loader looks here before any directory, so no file is needed. */
    tacho__search_path_t sp = {NULL, 0};
    const tacho__sink_type_t *found = NULL;
    CU_ASSERT_EQUAL(tacho__loader_open("unit_static", &sp, &found, &err), 0);
    CU_ASSERT_PTR_EQUAL(found, t);
    tacho__loader_release(found); /* a no-op for static sinks */
    CU_ASSERT_PTR_EQUAL(tacho__registry_find("unit_static"), t);
}

static void registry_rejects_duplicate(void)
{
    reg_dup = good_descriptor("unit_dup");
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_sink_register_static(&reg_dup, &err), 0);
    CU_ASSERT_EQUAL(tacho_sink_register_static(&reg_dup, &err), TACHO_EEXIST);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'unit_dup' is already registered");
}

static void registry_rejects_bad_descriptor(void)
{
    reg_bad = good_descriptor("unit_bad");
    reg_bad.abi_version = 2u << 16;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_sink_register_static(&reg_bad, &err), TACHO_EABI);
    CU_ASSERT_PTR_NULL(tacho__registry_find("unit_bad"));
    CU_ASSERT_EQUAL(tacho_sink_register_static(NULL, &err), TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text,
                           "no descriptor given (static registration)");
}

static void registry_oom(void)
{
    reg_oom = good_descriptor("unit_oom");
    tacho_error_t err;
    arm_oom(1);
    int rc = tacho_sink_register_static(&reg_oom, &err);
    failing_alloc_remove();
    CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
    CU_ASSERT_STRING_EQUAL(err.text, "out of memory");
    CU_ASSERT_PTR_NULL(tacho__registry_find("unit_oom"));
    CU_ASSERT_EQUAL(tacho_sink_register_static(&reg_oom, &err), 0);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"loader_name_validation", loader_name_validation},
        {"loader_open_refuses_bad_name", loader_open_refuses_bad_name},
        {"loader_search_path_order", loader_search_path_order},
        {"loader_search_path_refuses_relative_env",
         loader_search_path_refuses_relative_env},
        {"loader_search_path_refuses_relative_plugin_path",
         loader_search_path_refuses_relative_plugin_path},
        {"loader_search_path_oom", loader_search_path_oom},
        {"loader_not_found_lists_every_file",
         loader_not_found_lists_every_file},
        {"loader_not_found_long_list_truncates",
         loader_not_found_long_list_truncates},
        {"loader_refuses_non_regular_file", loader_refuses_non_regular_file},
        {"loader_cannot_stat_file", loader_cannot_stat_file},
        {"loader_refuses_group_writable_file",
         loader_refuses_group_writable_file},
        {"loader_refuses_world_writable_directory",
         loader_refuses_world_writable_directory},
        {"loader_refuses_foreign_owner", loader_refuses_foreign_owner},
        {"loader_dlopen_failure_shows_linker_text",
         loader_dlopen_failure_shows_linker_text},
        {"loader_descriptor_null", loader_descriptor_null},
        {"loader_descriptor_abi_major_mismatch",
         loader_descriptor_abi_major_mismatch},
        {"loader_descriptor_short_struct", loader_descriptor_short_struct},
        {"loader_descriptor_newer_minor", loader_descriptor_newer_minor},
        {"loader_descriptor_fields_copied", loader_descriptor_fields_copied},
        {"loader_descriptor_bad_names", loader_descriptor_bad_names},
        {"loader_descriptor_missing_callbacks",
         loader_descriptor_missing_callbacks},
        {"loader_descriptor_bad_option_table",
         loader_descriptor_bad_option_table},
        {"registry_register_and_find", registry_register_and_find},
        {"registry_rejects_duplicate", registry_rejects_duplicate},
        {"registry_rejects_bad_descriptor", registry_rejects_bad_descriptor},
        {"registry_oom", registry_oom},
        {NULL, NULL}};
    return tacho_test_run("loader", NULL, NULL, cases);
}
