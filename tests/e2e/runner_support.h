/*
 * In-process helpers for the suites that test the worker's parts directly
 * (test_runner.c, test_jobs_config.c, test_scheduler.c): load jobs from
 * config text, capture the log, run one child to the end.
 */
#ifndef TACHO_RUNNER_SUPPORT_H
#define TACHO_RUNNER_SUPPORT_H

#include "worker.h"

/* One captured log message. */
typedef struct captured {
    tacho_log_level_t level;
    char origin[64];
    char *message;
} captured_t;

/* Starts capturing every log message (at every level). */
void capture_start(void);
/* Stops capturing and forgets what was captured. */
void capture_stop(void);
/* Messages so far, in order; valid until capture_stop(). */
size_t capture_count(void);
const captured_t *capture_get(size_t i);
/* The number of messages from `origin` containing `text`. */
size_t capture_find(const char *origin, const char *text);

/* Loads `text` as a config and reads its jobs; returns what
 * jobs_config_read() returned. Problems are appended to `problems`
 * (one per line) when it is not NULL. */
int load_jobs(const char *text, jobs_config_t *jc, char *problems, size_t size);

/* Runs `job` once to the end as the scheduler would (at most `seconds`).
 * Returns false when it did not finish in time (then it is killed). */
bool run_child(const job_t *job, child_t *c, double seconds);

#endif /* TACHO_RUNNER_SUPPORT_H */
