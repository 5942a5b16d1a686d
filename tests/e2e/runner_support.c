/*
 * In-process helpers for the worker-part suites (see runner_support.h).
 */
#include "runner_support.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static captured_t *entries;
static size_t count, cap;

static void capture(void *arg, tacho_log_level_t level, const char *origin,
                    const char *message)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    if (count == cap) {
        cap = cap ? cap * 2 : 256;
        entries = realloc(entries, cap * sizeof *entries);
    }
    captured_t *e = &entries[count++];
    e->level = level;
    snprintf(e->origin, sizeof e->origin, "%s", origin);
    e->message = strdup(message);
    pthread_mutex_unlock(&lock);
}

void capture_start(void)
{
    capture_stop();
    tacho_log_set_level(TACHO_LOG_DEBUG);
    tacho_log_set_handler(capture, NULL);
}

void capture_stop(void)
{
    tacho_log_set_handler(NULL, NULL);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < count; i++) {
        free(entries[i].message);
    }
    free(entries);
    entries = NULL;
    count = cap = 0;
    pthread_mutex_unlock(&lock);
}

size_t capture_count(void)
{
    pthread_mutex_lock(&lock);
    size_t n = count;
    pthread_mutex_unlock(&lock);
    return n;
}

const captured_t *capture_get(size_t i)
{
    pthread_mutex_lock(&lock);
    const captured_t *e = i < count ? &entries[i] : NULL;
    pthread_mutex_unlock(&lock);
    return e;
}

size_t capture_find(const char *origin, const char *text)
{
    size_t n = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < count; i++) {
        if ((origin == NULL || strcmp(entries[i].origin, origin) == 0) &&
            strstr(entries[i].message, text) != NULL) {
            n++;
        }
    }
    pthread_mutex_unlock(&lock);
    return n;
}

typedef struct problems {
    char *buf;
    size_t size;
} problems_t;

static void add_problem(void *arg, const tacho_error_t *err)
{
    problems_t *p = arg;
    if (p->buf != NULL) {
        size_t used = strlen(p->buf);
        snprintf(p->buf + used, p->size - used, "%s\n", err->text);
    }
}

int load_jobs(const char *text, jobs_config_t *jc, char *problems, size_t size)
{
    problems_t p = {problems, size};
    if (problems != NULL) {
        problems[0] = '\0';
    }
    tacho_config_t *cfg = NULL;
    tacho_error_t err;
    int rc = tacho_config_load_string(text, &cfg, add_problem, &p, &err);
    if (rc != 0) {
        memset(jc, 0, sizeof *jc);
        return rc;
    }
    rc = jobs_config_read(cfg, jc, add_problem, &p, &err);
    tacho_config_free(cfg);
    return rc;
}

bool run_child(const job_t *job, child_t *c, double seconds)
{
    tacho_error_t err;
    if (child_spawn(c, job, &err) != 0) {
        return false;
    }
    uint64_t end = tacho_now_ns() + (uint64_t)(seconds * 1e9);
    for (;;) {
        uint64_t now = tacho_now_ns();
        child_poll(c);
        child_tick(c, now);
        if (child_done(c, now)) {
            return true;
        }
        if (now >= end) {
            child_kill(c, CHILD_REASON_SHUTDOWN);
            while (!child_done(c, tacho_now_ns())) {
                child_poll(c);
                output_finish(&c->out);
                output_finish(&c->err);
            }
            return false;
        }
        struct pollfd pfd[2] = {{c->out.fd, POLLIN, 0}, {c->err.fd, POLLIN, 0}};
        poll(pfd, 2, 10);
        if (c->out.fd >= 0 && pfd[0].revents) {
            output_read(&c->out);
        }
        if (c->err.fd >= 0 && pfd[1].revents) {
            output_read(&c->err);
        }
    }
}
