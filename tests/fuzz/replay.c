/*
 * The replay build of a fuzz target: a CUnit suite that feeds the target
 * every file of the directories named on the command line (its seed
 * corpus, then its regression inputs). A broken invariant aborts, which
 * ctest reports as a failure naming the input (fuzz_fail()).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tacho_test.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET names the target, e.g. \"config\""
#endif

static char **dirs;
static int dir_count;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of `dir` through the target, in name order so a
 * failure is reproducible; returns how many ran. */
static size_t replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    char *names[4096];
    size_t n = 0;
    for (struct dirent *e = readdir(d); e != NULL && n < 4096; e = readdir(d)) {
        if (e->d_name[0] != '.' && strcmp(e->d_name, "README.md") != 0) {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = tacho_test_read_file(path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(data);
        fuzz_current_input = path;
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        fuzz_current_input = NULL;
        free(data);
        free(names[i]);
    }
    return n;
}

/* The seed corpus must not be empty: a target that replays nothing tests
 * nothing. The regression directory may be. */
static void replays_corpus(void)
{
    CU_ASSERT_FATAL(dir_count >= 1);
    CU_ASSERT(replay_dir(dirs[0]) > 0);
}

static void replays_regressions(void)
{
    for (int i = 1; i < dir_count; i++) {
        replay_dir(dirs[i]);
    }
}

int main(int argc, char **argv)
{
    dirs = argv + 1;
    dir_count = argc - 1;
    LLVMFuzzerInitialize(&argc, &argv);
    static const tacho_test_case_t cases[] = {
        {"fuzz_" FUZZ_TARGET "_replays_corpus", replays_corpus},
        {"fuzz_" FUZZ_TARGET "_replays_regressions", replays_regressions},
        {NULL, NULL},
    };
    int rc = tacho_test_run("fuzz_" FUZZ_TARGET, NULL, NULL, cases);
    fuzz_cleanup();
    return rc;
}
