/*
 * Suite for core/log.c: the process-wide handler, levels, and the stderr
 * handler's line format and atomicity. (The name avoids test_log, which
 * is the log sink's suite.)
 */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tacho/tacho.h>

#include "tacho_test.h"

typedef struct seen {
    int calls;
    tacho_log_level_t level;
    char origin[64];
    char message[8192];
    void *arg;
} seen_t;

static void remember(void *arg, tacho_log_level_t level, const char *origin,
                     const char *message)
{
    seen_t *s = arg;
    s->calls++;
    s->level = level;
    s->arg = arg;
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    snprintf(s->message, sizeof s->message, "%s", message);
}

static void log_default_discards(void)
{
    tacho_log_set_handler(NULL, NULL);
    tacho_log_origin("host", TACHO_LOG_ERROR, "nobody hears %d", 1);
    CU_ASSERT_EQUAL(tacho_log_get_level(), TACHO_LOG_INFO);
}

static void log_handler_receives_message(void)
{
    seen_t s = {0};
    tacho_log_set_handler(remember, &s);
    tacho_log_origin("job:build", TACHO_LOG_WARNING, "exit %d", 3);
    tacho_log_set_handler(NULL, NULL);
    CU_ASSERT_EQUAL(s.calls, 1);
    CU_ASSERT_EQUAL(s.level, TACHO_LOG_WARNING);
    CU_ASSERT_STRING_EQUAL(s.origin, "job:build");
    CU_ASSERT_STRING_EQUAL(s.message, "exit 3");
    CU_ASSERT_PTR_EQUAL(s.arg, &s);
    /* After removal nothing arrives. */
    tacho_log_origin("host", TACHO_LOG_ERROR, "gone");
    CU_ASSERT_EQUAL(s.calls, 1);
}

static void log_level_filters(void)
{
    seen_t s = {0};
    tacho_log_set_handler(remember, &s);
    tacho_log_set_level(TACHO_LOG_WARNING);
    CU_ASSERT_EQUAL(tacho_log_get_level(), TACHO_LOG_WARNING);
    tacho_log_origin("host", TACHO_LOG_INFO, "hidden");
    tacho_log_origin("host", TACHO_LOG_DEBUG, "hidden");
    CU_ASSERT_EQUAL(s.calls, 0);
    tacho_log_origin("host", TACHO_LOG_WARNING, "shown");
    tacho_log_origin("host", TACHO_LOG_ERROR, "shown too");
    CU_ASSERT_EQUAL(s.calls, 2);
    tacho_log_set_level(TACHO_LOG_DEBUG);
    tacho_log_origin("host", TACHO_LOG_DEBUG, "now shown");
    CU_ASSERT_EQUAL(s.calls, 3);
    tacho_log_set_level(TACHO_LOG_INFO);
    tacho_log_set_handler(NULL, NULL);
}

static void log_level_names(void)
{
    CU_ASSERT_STRING_EQUAL(tacho_log_level_name(TACHO_LOG_ERROR), "error");
    CU_ASSERT_STRING_EQUAL(tacho_log_level_name(TACHO_LOG_WARNING), "warning");
    CU_ASSERT_STRING_EQUAL(tacho_log_level_name(TACHO_LOG_NOTICE), "notice");
    CU_ASSERT_STRING_EQUAL(tacho_log_level_name(TACHO_LOG_INFO), "info");
    CU_ASSERT_STRING_EQUAL(tacho_log_level_name(TACHO_LOG_DEBUG), "debug");
    CU_ASSERT_STRING_EQUAL(tacho_log_level_name((tacho_log_level_t)42),
                           "unknown");
}

static void log_trims_newlines_and_long_text(void)
{
    seen_t *s = calloc(1, sizeof *s);
    tacho_log_set_handler(remember, s);
    tacho_log_origin(NULL, TACHO_LOG_INFO, "line\n\n");
    CU_ASSERT_STRING_EQUAL(s->message, "line");
    CU_ASSERT_STRING_EQUAL(s->origin, "");
    char big[6000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tacho_log_origin("host", TACHO_LOG_INFO, "%s", big);
    CU_ASSERT_EQUAL(strlen(s->message), 4095);
    tacho_log_set_handler(NULL, NULL);
    free(s);
}

/* Runs `fn` with stderr sent to a file and returns the file's text. */
static char *capture_stderr(void (*fn)(void))
{
    char *dir = tacho_test_tmpdir("log");
    char path[4096];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *f = fopen(path, "w");
    dup2(fileno(f), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(f);
    char *text = tacho_test_read_file(path, NULL);
    tacho_test_rmtree(dir);
    free(dir);
    return text;
}

static void say_hello(void)
{
    tacho_log_set_handler(tacho_log_stderr_handler, NULL);
    tacho_log_origin("host", TACHO_LOG_INFO, "hello %s", "world");
    tacho_log_set_handler(NULL, NULL);
}

static void log_stderr_handler_format(void)
{
    char *text = capture_stderr(say_hello);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    regex_t re;
    CU_ASSERT_EQUAL_FATAL(
        regcomp(&re,
                "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                "\\.[0-9]{3}Z info \\[host\\] hello world\n$",
                REG_EXTENDED),
        0);
    CU_ASSERT_EQUAL(regexec(&re, text, 0, NULL, 0), 0);
    regfree(&re);
    free(text);
}

enum { WRITERS = 4, LINES = 500 };

static void *spam(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < LINES; i++) {
        tacho_log_origin("job:spam", TACHO_LOG_INFO,
                         "writer %ld line %d "
                         "...............................................",
                         id, i);
    }
    return NULL;
}

static void spam_from_threads(void)
{
    tacho_log_set_handler(tacho_log_stderr_handler, NULL);
    pthread_t t[WRITERS];
    for (long i = 0; i < WRITERS; i++) {
        pthread_create(&t[i], NULL, spam, (void *)i);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
    }
    tacho_log_set_handler(NULL, NULL);
}

/* One write(2) per line: lines from many threads never interleave. */
static void log_stderr_lines_stay_whole(void)
{
    char *text = capture_stderr(spam_from_threads);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    int per_writer[WRITERS] = {0};
    size_t lines = 0, whole = 0;
    for (char *line = strtok(text, "\n"); line != NULL;
         line = strtok(NULL, "\n")) {
        lines++;
        long id = -1;
        int n = -1;
        const char *p = strstr(line, " info [job:spam] writer ");
        if (p != NULL &&
            sscanf(p, " info [job:spam] writer %ld line %d", &id, &n) == 2 &&
            id >= 0 && id < WRITERS && n == per_writer[id] &&
            strstr(line, "..............................................") !=
                NULL) {
            per_writer[id]++;
            whole++;
        }
    }
    CU_ASSERT_EQUAL(lines, WRITERS * LINES);
    CU_ASSERT_EQUAL(whole, WRITERS * LINES);
    free(text);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"log_default_discards", log_default_discards},
        {"log_handler_receives_message", log_handler_receives_message},
        {"log_level_filters", log_level_filters},
        {"log_level_names", log_level_names},
        {"log_trims_newlines_and_long_text", log_trims_newlines_and_long_text},
        {"log_stderr_handler_format", log_stderr_handler_format},
        {"log_stderr_lines_stay_whole", log_stderr_lines_stay_whole},
        {NULL, NULL}};
    return tacho_test_run("logging", NULL, NULL, cases);
}
