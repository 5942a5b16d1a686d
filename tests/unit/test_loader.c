/*
 * Suite for core/loader.c and core/registry.c, through their internal
 * interface: sink names, the search path, the safety checks on files,
 * descriptor checking under the ABI rules and static registration.
 * Loading real modules is tested through the shared library in
 * tests/plugins/test_plugin_loading.c.
 */
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
    char *dir = tacho_test_tmpdir("loader");
    char path[4096];
    snprintf(path, sizeof path, "%s/tacho_sink_dirsink.so", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
    char *dirs[] = {dir};
    tacho__search_path_t sp = {dirs, 1};
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open("dirsink", &sp, &t, &err),
                    TACHO_EPLUGIN);
    char want[8192];
    snprintf(want, sizeof want, "sink 'dirsink': %s is not a regular file",
             path);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loader_cannot_stat_file(void)
{
    char *dir = tacho_test_tmpdir("loader");
    char path[4096];
    snprintf(path, sizeof path, "%s/tacho_sink_ghost.so", dir);
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open_file(path, "ghost", &t, &err),
                    TACHO_EIO);
    char want[8192];
    snprintf(want, sizeof want,
             "sink 'ghost': cannot stat %s: No such file or directory", path);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loader_refuses_group_writable_file(void)
{
    char *dir = tacho_test_tmpdir("loader");
    char path[4096];
    snprintf(path, sizeof path, "%s/tacho_sink_fake.so", dir);
    write_text(path, "not loaded", 0666);
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open_file(path, "fake", &t, &err),
                    TACHO_EACCES);
    char want[8192];
    snprintf(want, sizeof want,
             "refusing sink 'fake': the file %s is writable by group or "
             "others (mode 666)",
             path);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loader_refuses_world_writable_directory(void)
{
    char *dir = tacho_test_tmpdir("loader");
    char path[4096];
    snprintf(path, sizeof path, "%s/tacho_sink_fake.so", dir);
    write_text(path, "not loaded", 0644);
    chmod(dir, 0777);
    char *dirs[] = {dir};
    tacho__search_path_t sp = {dirs, 1};
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open("fake", &sp, &t, &err), TACHO_EACCES);
    char want[8192];
    snprintf(want, sizeof want,
             "refusing sink 'fake': the directory %s is writable by group or "
             "others (mode 777)",
             dir);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loader_refuses_foreign_owner(void)
{
    char *dir = tacho_test_tmpdir("loader");
    char path[4096];
    snprintf(path, sizeof path, "%s/tacho_sink_fake.so", dir);
    write_text(path, "not loaded", 0644);
    /* Only root can give a file away; this suite runs as root in CI. */
    CU_ASSERT_EQUAL_FATAL(geteuid(), 0);
    CU_ASSERT_EQUAL_FATAL(chown(path, 12345, 12345), 0);
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open_file(path, "fake", &t, &err),
                    TACHO_EACCES);
    char want[8192];
    snprintf(want, sizeof want,
             "refusing sink 'fake': the file %s is owned by uid 12345, "
             "neither root nor the current user",
             path);
    CU_ASSERT_STRING_EQUAL(err.text, want);
    tacho_test_rmtree(dir);
    free(dir);
}

static void loader_dlopen_failure_shows_linker_text(void)
{
    char *dir = tacho_test_tmpdir("loader");
    char path[4096];
    snprintf(path, sizeof path, "%s/tacho_sink_garbage.so", dir);
    char junk[512];
    memset(junk, 'x', sizeof junk - 1);
    junk[sizeof junk - 1] = '\0';
    write_text(path, junk, 0644);
    const tacho__sink_type_t *t = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__loader_open_file(path, "garbage", &t, &err),
                    TACHO_EPLUGIN);
    char want[8192];
    snprintf(want, sizeof want, "cannot load %s: invalid ELF header", path);
    /* The dynamic linker's own words come through, not libltdl's generic
     * "file not found". */
    CU_ASSERT_STRING_EQUAL(err.text, want);
    CU_ASSERT_PTR_NULL(t);
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- descriptors ---------------------------------------------------- */

static void loader_descriptor_null(void)
{
    tacho__sink_type_t t;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__sink_type_read(NULL, "x", "here", &t, &err),
                    TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "no descriptor given (here)");
}

static void loader_descriptor_abi_major_mismatch(void)
{
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.abi_version = (2u << 16) | 3u;
    tacho__sink_type_t t;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, "x", "/p/x.so", &t, &err),
                    TACHO_EABI);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'x' was built for ABI 2.3, this "
                                     "tacho speaks 1.0 (/p/x.so)");
    CU_ASSERT_EQUAL(
        tacho__sink_type_read(&d, NULL, "static registration", &t, &err),
        TACHO_EABI);
    CU_ASSERT_STRING_EQUAL(err.text, "a sink was built for ABI 2.3, this "
                                     "tacho speaks 1.0 (static registration)");
}

static void loader_descriptor_short_struct(void)
{
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.struct_size = 16;
    tacho__sink_type_t t;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, "x", "w", &t, &err), TACHO_EABI);
    char want[256];
    snprintf(want, sizeof want,
             "sink 'x' has a descriptor of 16 bytes, but ABI 1.0 promises "
             "at least %zu (w)",
             sizeof(tacho_sink_descriptor_t));
    CU_ASSERT_STRING_EQUAL(err.text, want);
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
    CU_ASSERT_EQUAL(tacho__sink_type_read(&newer.d, "x", "w", &t, &err),
                    TACHO_EABI);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "but ABI 1.3 promises at least"));
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
    tacho__sink_type_t t;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, NULL, "w", &t, &err),
                    TACHO_EPLUGIN);
    CU_ASSERT_STRING_EQUAL(err.text, "w: the descriptor's name 'Bad' is not a "
                                     "valid sink name (a-z, 0-9 and _)");
    d.name = NULL;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, NULL, "w", &t, &err),
                    TACHO_EPLUGIN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "name '(null)'"));
    d.name = "other";
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, "x", "w", &t, &err),
                    TACHO_EPLUGIN);
    CU_ASSERT_STRING_EQUAL(err.text, "w: the descriptor names sink 'other', "
                                     "expected 'x'");
}

static void loader_descriptor_missing_callbacks(void)
{
    tacho__sink_type_t t;
    tacho_error_t err;
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.create = NULL;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, "x", "w", &t, &err),
                    TACHO_EPLUGIN);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'x' (w) has no create callback");
    d = good_descriptor("x");
    d.write = NULL;
    tacho__sink_type_read(&d, "x", "w", &t, &err);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'x' (w) has no write callback");
    d = good_descriptor("x");
    d.destroy = NULL;
    tacho__sink_type_read(&d, "x", "w", &t, &err);
    CU_ASSERT_STRING_EQUAL(err.text, "sink 'x' (w) has no destroy callback");
}

static void loader_descriptor_bad_option_table(void)
{
    static const tacho_option_spec_t bad[] = {
        {"optional", TACHO_OPT_BOOL, NULL, "the host's key", false},
        {NULL, 0, NULL, NULL, false}};
    tacho_sink_descriptor_t d = good_descriptor("x");
    d.options = bad;
    tacho__sink_type_t t;
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho__sink_type_read(&d, "x", "w", &t, &err),
                    TACHO_EPLUGIN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, "sink 'x': option 'optional'"));
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
