/*
 * Shared by the reliability suites (tests/reliability): hosts on loopback
 * ports the kernel picks, HTTP GETs with libcurl, the process's resident
 * memory, and clocks. Header-only (static functions), one suite per
 * executable.
 */
#ifndef TACHO_RELIABILITY_H
#define TACHO_RELIABILITY_H

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tacho/tacho.h>

#include "tacho_test.h"

/* True in a sanitizer build, where memory figures say nothing about tacho
 * (ASan keeps freed memory in quarantine, TSan shadows everything). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REL_SANITIZED 1
#else
#define REL_SANITIZED 0
#endif

static inline double rel_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void rel_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Resident memory of this process, in bytes. */
static inline long rel_rss(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

/* ---- ports, learnt from the sinks' own "listening on" lines ------------ */

#define REL_MAX_SINKS 8

static pthread_mutex_t rel_port_lock = PTHREAD_MUTEX_INITIALIZER;
static char rel_port_names[REL_MAX_SINKS][64];
static int rel_port_values[REL_MAX_SINKS];
static size_t rel_port_count;

/* A log handler: keeps each sink's port and prints warnings and errors. */
static inline void rel_log(void *arg, tacho_log_level_t level,
                           const char *origin, const char *message)
{
    const char *at = strstr(message, "listening on http://127.0.0.1:");
    const char *name = strrchr(origin, ':');
    if (at != NULL && name != NULL) {
        pthread_mutex_lock(&rel_port_lock);
        if (rel_port_count < REL_MAX_SINKS) {
            snprintf(rel_port_names[rel_port_count], 64, "%s", name + 1);
            rel_port_values[rel_port_count++] =
                atoi(at + strlen("listening on http://127.0.0.1:"));
        }
        pthread_mutex_unlock(&rel_port_lock);
    }
    if (level <= TACHO_LOG_WARNING) {
        fprintf(stderr, "  log: %s [%s] %s\n", tacho_log_level_name(level),
                origin, message);
    }
}

/* The port sink instance `name` listens on, or 0. */
static inline int rel_port(const char *name)
{
    int port = 0;
    pthread_mutex_lock(&rel_port_lock);
    for (size_t i = 0; i < rel_port_count; i++) {
        if (strcmp(rel_port_names[i], name) == 0) {
            port = rel_port_values[i];
        }
    }
    pthread_mutex_unlock(&rel_port_lock);
    return port;
}

/* ---- HTTP GETs ------------------------------------------------------------
 */

typedef struct rel_body {
    char *data;
    size_t len;
    size_t cap;
} rel_body_t;

static inline size_t rel_collect(char *p, size_t size, size_t n, void *arg)
{
    rel_body_t *b = arg;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (b->len + add + 1 > cap) {
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            return 0;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* GETs `url` with the reused handle `curl` into `body` (emptied first);
 * returns the HTTP status, or 0 when the request failed. */
static inline long rel_get(CURL *curl, const char *url, double timeout,
                           rel_body_t *body)
{
    body->len = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, rel_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    if (body->data == NULL) {
        rel_collect("", 1, 0, body);
    }
    return status;
}

/* ---- tacho-worker as a child process ---------------------------------- */

#define REL_WORKER TACHO_TEST_BIN_DIR "/tacho-worker"

/* Starts tacho-worker with `args` (after argv[0], NULL-ended), its stdout
 * and stderr going to `log` (appended), and TACHO_PLUGIN_PATH unset so
 * only the build tree's sinks are found. Returns the pid. */
static inline pid_t rel_spawn(const char *const *args, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        unsetenv("TACHO_PLUGIN_PATH");
        const char *argv[16] = {REL_WORKER};
        for (int i = 0; args[i] != NULL && i < 14; i++) {
            argv[i + 1] = args[i];
        }
        execv(REL_WORKER, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to `timeout` s for `pid`; returns its exit status, 128 + N when
 * signal N ended it, or -1 on a timeout (the child is then killed). */
static inline int rel_wait(pid_t pid, double timeout)
{
    double end = rel_now() + timeout;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (rel_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        rel_sleep(0.01);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif /* TACHO_RELIABILITY_H */
