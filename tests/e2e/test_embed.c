/*
 * End-to-end suite for examples/embed: the embed_worker program built by
 * the project runs its thread pool and its own check of the snapshot;
 * its final snapshot reaches a configured sink; and the example builds
 * against an installed tacho both with its Makefile (pkg-config) and its
 * CMakeLists.txt (find_package).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_support.h"
#include "tacho_test.h"

static char *tmp;

static bool has(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL) {
        return true;
    }
    fprintf(stderr, "\nmissing: %s\nin:\n%s\n", needle,
            hay != NULL ? hay : "(null)");
    return false;
}

static int embed(const char *program, const char *n, const char *config,
                 char *const *env, char **out, char **err)
{
    char *argv[] = {(char *)program, (char *)n, (char *)config, NULL};
    return e2e_run(tmp, "embed", argv, env, 60, out, err);
}

static void embed_counts_check_out(void)
{
    const char *cases[][4] = {
        {"1000",
         "all      runs 1000 (expected 1000), failed 142 (expected "
         "142)",
         "resize   runs 500 (expected 500), failed 71 (expected 71)",
         "upload   runs 500 (expected 500), failed 71 (expected 71)"},
        {"7", "all      runs 7 (expected 7), failed 1 (expected 1)",
         "resize   runs 3 (expected 3), failed 0 (expected 0)",
         "upload   runs 4 (expected 4), failed 1 (expected 1)"},
        {"1", "all      runs 1 (expected 1), failed 0 (expected 0)",
         "resize   runs 0 (expected 0), failed 0 (expected 0)",
         "upload   runs 1 (expected 1), failed 0 (expected 0)"}};
    for (size_t i = 0; i < 3; i++) {
        char *out, *err;
        CU_ASSERT_EQUAL(
            embed(e2e_bin("embed_worker"), cases[i][0], NULL, NULL, &out, &err),
            0);
        for (int j = 1; j < 4; j++) {
            CU_ASSERT_TRUE(has(out, cases[i][j]));
        }
        CU_ASSERT_EQUAL(e2e_count(out, ": ok\n"), 3);
        CU_ASSERT_EQUAL(e2e_count(out, "MISMATCH"), 0);
        free(out);
        free(err);
    }
}

static void embed_usage_and_bad_config(void)
{
    char *out, *err;
    char *argv[] = {(char *)e2e_bin("embed_worker"), NULL};
    CU_ASSERT_EQUAL(e2e_run(tmp, "embed", argv, NULL, 10, &out, &err), 64);
    CU_ASSERT_TRUE(has(err, "usage: embed_worker N [CONFIG]"));
    free(out);
    free(err);
    char path[1024];
    snprintf(path, sizeof path, "%s/bad.conf", tmp);
    e2e_write_file(path, "tacho = { window = 1; };\n");
    CU_ASSERT_EQUAL(
        embed(e2e_bin("embed_worker"), "10", path, NULL, &out, &err), 78);
    CU_ASSERT_TRUE(has(err, "embed_worker: "));
    CU_ASSERT_TRUE(has(err, "bad.conf:1: "));
    free(out);
    free(err);
}

/* Closing the host delivers the final snapshot, with every item, to the
 * configured sink: the CSV's last all-pipelines row. */
static void embed_final_snapshot_reaches_sinks(void)
{
    char conf[1024], csv[1024], text[2048];
    snprintf(conf, sizeof conf, "%s/embed.conf", tmp);
    snprintf(csv, sizeof csv, "%s/embed.csv", tmp);
    snprintf(text, sizeof text,
             "tacho = { worker = \"embed\"; };\n"
             "sinks = ({ plugin = \"csv\"; path = \"%s\"; });\n",
             csv);
    e2e_write_file(conf, text);
    char *out, *err;
    CU_ASSERT_EQUAL(
        embed(e2e_bin("embed_worker"), "700", conf, NULL, &out, &err), 0);
    char *rows = tacho_test_read_file(csv, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
    /* One snapshot (the final one): all-pipelines row, then resize and
     * upload. */
    CU_ASSERT_TRUE(has(rows, ",embed,,700,600,100,"));
    CU_ASSERT_TRUE(has(rows, ",embed,resize,350,300,50,"));
    CU_ASSERT_TRUE(has(rows, ",embed,upload,350,300,50,"));
    free(rows);
    free(out);
    free(err);
}

/* Builds the example against an installed tacho, as a user would. */
static void embed_builds_against_install(void)
{
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
    CU_ASSERT_TRUE_FATAL(e2e_install(tmp, prefix));

    /* The Makefile, through pkg-config, run from a directory of its own. */
    char pc[1200], ld[1200], cflags[512], mk[1024];
    snprintf(pc, sizeof pc, "PKG_CONFIG_PATH=%s/lib/pkgconfig", prefix);
    snprintf(ld, sizeof ld, "LD_LIBRARY_PATH=%s/lib", prefix);
    snprintf(cflags, sizeof cflags, "CFLAGS=-O1 -g -Wall -Wextra -Werror %s",
             e2e_sanitize_flags());
    snprintf(mk, sizeof mk, "%s/examples/embed/Makefile",
             TACHO_TEST_SOURCE_DIR);
    char *make[] = {"/usr/bin/make", "-C", tmp, "-f", mk, cflags, NULL};
    char *env[] = {pc, NULL};
    char *out, *err;
    CU_ASSERT_EQUAL_FATAL(e2e_run(tmp, "make", make, env, 120, &out, &err), 0);
    free(out);
    free(err);
    char program[1200];
    snprintf(program, sizeof program, "%s/embed_worker", tmp);
    char *run_env[] = {ld, NULL};
    CU_ASSERT_EQUAL(embed(program, "70", NULL, run_env, &out, &err), 0);
    CU_ASSERT_TRUE(has(out, "all      runs 70 (expected 70), failed 10"));
    free(out);
    free(err);

    /* Its CMakeLists.txt, through find_package(tacho). */
    char src[1024], bin[1100], pp[1200], cf[600];
    snprintf(src, sizeof src, "%s/examples/embed", TACHO_TEST_SOURCE_DIR);
    snprintf(bin, sizeof bin, "%s/build-embed", tmp);
    snprintf(pp, sizeof pp, "-DCMAKE_PREFIX_PATH=%s", prefix);
    snprintf(cf, sizeof cf, "-DCMAKE_C_FLAGS=%s", e2e_sanitize_flags());
    char *configure[] = {TACHO_TEST_CMAKE, "-S", src, "-B", bin, pp, cf, NULL};
    CU_ASSERT_EQUAL_FATAL(
        e2e_run(tmp, "cmake", configure, NULL, 120, NULL, NULL), 0);
    char *build[] = {TACHO_TEST_CMAKE, "--build", bin, NULL};
    CU_ASSERT_EQUAL_FATAL(e2e_run(tmp, "cmake", build, NULL, 120, NULL, NULL),
                          0);
    snprintf(program, sizeof program, "%s/embed_worker", bin);
    CU_ASSERT_EQUAL(embed(program, "14", NULL, NULL, &out, &err), 0);
    CU_ASSERT_TRUE(has(out, "all      runs 14 (expected 14), failed 2"));
    free(out);
    free(err);
}

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("embed");
    return 0;
}

static int suite_cleanup(void)
{
    tacho_test_rmtree(tmp);
    free(tmp);
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"embed_counts_check_out", embed_counts_check_out},
        {"embed_usage_and_bad_config", embed_usage_and_bad_config},
        {"embed_final_snapshot_reaches_sinks",
         embed_final_snapshot_reaches_sinks},
        {"embed_builds_against_install", embed_builds_against_install},
        {NULL, NULL}};
    return tacho_test_run("embed", suite_init, suite_cleanup, cases);
}
