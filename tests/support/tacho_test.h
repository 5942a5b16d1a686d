/*
 * Shared scaffolding for tacho's CUnit suites: one suite per executable,
 * run in CUnit's basic mode so the summary is printed.
 */
#ifndef TACHO_TEST_H
#define TACHO_TEST_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

/* One test: its name (<component>_<behaviour>) and function. */
typedef struct tacho_test_case {
    const char *name;
    void (*fn)(void);
} tacho_test_case_t;

/*
 * Registers `cases` (ended by a {NULL, NULL} entry) as the suite `suite`
 * with optional init/cleanup, runs it verbosely and returns the process exit
 * status: 0 when every test passed, 1 otherwise.
 */
int tacho_test_run(const char *suite, int (*init)(void), int (*cleanup)(void),
                   const tacho_test_case_t *cases);

/* A fresh temporary directory for one test, under $TMPDIR or /tmp; the
 * caller frees the returned path with free() after removing the tree with
 * tacho_test_rmtree(). Aborts the test run if it cannot be made. */
char *tacho_test_tmpdir(const char *tag);
/* Removes a directory tree (best effort). */
void tacho_test_rmtree(const char *path);
/* Reads a whole file into a NUL-terminated malloc'd buffer (NULL on error). */
char *tacho_test_read_file(const char *path, size_t *len);

#endif /* TACHO_TEST_H */
