/*
 * Helpers for the end-to-end suites: run a program with its output in
 * files, wait for it with a deadline (a hang fails the test instead of
 * blocking it), pick free ports, write configs, fetch URLs.
 */
#ifndef TACHO_E2E_SUPPORT_H
#define TACHO_E2E_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A started program. */
typedef struct e2e_proc {
    pid_t pid;
    char out_path[512]; /* its stdout and stderr, as files */
    char err_path[512];
} e2e_proc_t;

/*
 * Starts argv[0] (a path) with stdout and stderr in files under `dir`
 * (named after `tag`), stdin from /dev/null, and `env` (NULL-terminated
 * "NAME=value" strings, may be NULL) added to the environment (an entry
 * "NAME=" without value removes NAME). Returns false when it cannot start.
 */
bool e2e_start(e2e_proc_t *p, const char *dir, const char *tag,
               char *const argv[], char *const env[]);

/* Waits up to `seconds` for the program to exit. On time-out kills it
 * (SIGKILL) and returns false. `*status` receives the wait status. */
bool e2e_wait(e2e_proc_t *p, double seconds, int *status);

/* The exit code of a wait status, or -1 when it did not exit normally. */
int e2e_exit_code(int status);

/* Runs a program to completion (at most `seconds`) and returns its exit
 * code (-1 on time-out or a signal); `*out` and `*err` (may be NULL)
 * receive its output, to be freed with free(). */
int e2e_run(const char *dir, const char *tag, char *const argv[],
            char *const env[], double seconds, char **out, char **err);

/* Polls `cond(arg)` every 20 ms for up to `seconds`; true once it holds. */
bool e2e_wait_until(bool (*cond)(void *arg), void *arg, double seconds);

/* A TCP (or UDP) port on 127.0.0.1 that was free a moment ago. */
int e2e_free_port(int type);

/* Writes `text` to `path` (aborts the test run on failure). */
void e2e_write_file(const char *path, const char *text);

/* Fetches `url` with libcurl: returns the HTTP status (0 on failure) and
 * the body in `*body` (free()). */
long e2e_http_get(const char *url, char **body);

/* Counts the occurrences of `needle` in `hay`. */
size_t e2e_count(const char *hay, const char *needle);

/* The path of a built program: TACHO_TEST_BIN_DIR/name. Static buffer. */
const char *e2e_bin(const char *name);

/* Installs the build tree (cmake --install) under `prefix`. Returns
 * true on success. */
bool e2e_install(const char *dir, const char *prefix);

/* Compiler flags the sanitizer build needs in programs built by a test
 * (-fsanitize=...), or "" in a normal build. */
const char *e2e_sanitize_flags(void);

/* Sleeps `seconds`. */
void e2e_sleep(double seconds);

#endif /* TACHO_E2E_SUPPORT_H */
