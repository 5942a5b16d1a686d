/*
 * The dispatcher: one thread per sink instance, fed by a one-slot mailbox
 * holding the newest snapshot, and a scheduler thread posting a snapshot
 * per interval. A slow or stuck sink delays nobody but itself: it skips to
 * the newest snapshot (counting skips) instead of queueing, so memory stays
 * flat whatever a sink does.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tacho/log.h>

#include "collector_internal.h"
#include "dispatcher.h"
#include "snapshot_internal.h"

/* A write that returns RETRY is tried again after 0.5 s, doubling up to the
 * interval, at most RETRY_MAX_ATTEMPTS times in all; a newer snapshot ends
 * the retries (it supersedes the one being retried). */
#define RETRY_FIRST_BACKOFF_NS 500000000ull
#define RETRY_MAX_ATTEMPTS 4
#define LAST_ERROR_MAX 256
#define NS_PER_SEC 1000000000ull

/* A snapshot shared by every mailbox it was posted to. */
typedef struct shared_snap {
    atomic_uint refs;
    tacho_snapshot_t *snap;
} shared_snap_t;

struct tacho__sink {
    struct tacho_sink_ctx ctx; /* the plugin's handle on us */
    const tacho__sink_type_t *type;
    void *state;
    bool optional;
    bool created;    /* create() succeeded: destroy() is due */
    bool started;    /* start() succeeded: stop() is due */
    bool has_thread; /* the sink thread runs and must be joined */
    bool abandoned;  /* stuck at shutdown: leaked on purpose */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* wakes the sink thread */
    pthread_cond_t done_cv; /* the sink thread has finished */
    /* The mailbox, guarded by mu. */
    shared_snap_t *pending;
    bool reopen_pending, quit, abandon, finished, in_callback, in_write;
    uint64_t write_start_ns;
    /* Health, guarded by mu. */
    uint64_t writes, errors, retries, skipped, last_write_ns;
    int64_t last_success_ns;
    bool up;
    uint64_t error_seq; /* bumped by every error-level log line */
    char last_error[LAST_ERROR_MAX];
    struct tacho__sink *next_abandoned;
};

/* Sinks abandoned at shutdown, kept reachable for the life of the process:
 * their threads may still run, and a leak checker should see a deliberate
 * keep, not a lost pointer. */
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static tacho__sink_t *abandoned;

struct tacho__dispatcher {
    tacho_collector_t *collector;
    char *worker_id;
    uint64_t interval_ns;
    uint64_t grace_ns;
    tacho__sink_t **sinks;
    size_t count;
    bool running;
    pthread_t scheduler;
    pthread_mutex_t mu; /* guards stopping */
    pthread_cond_t cv;
    bool stopping;
};

/* ---- time and threads ---------------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * (int64_t)NS_PER_SEC + ts.tv_nsec;
}

/* Waits on `cv` until CLOCK_MONOTONIC `deadline`, or a signal. */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                       uint64_t deadline)
{
    struct timespec ts = {(time_t)(deadline / NS_PER_SEC),
                          (long)(deadline % NS_PER_SEC)};
    pthread_cond_timedwait(cv, mu, &ts);
}

static int cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) {
        return TACHO_ENOMEM;
    }
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
    return rc == 0 ? 0 : TACHO_ENOMEM;
}

/* Starts a thread with every signal blocked, so process signals go to the
 * program's own threads, never to tacho's. */
static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : TACHO_ENOMEM;
}

/* ---- shared snapshots -------------------------------------------------- */

static shared_snap_t *snap_ref(shared_snap_t *sh)
{
    atomic_fetch_add(&sh->refs, 1);
    return sh;
}

static void snap_unref(shared_snap_t *sh)
{
    if (sh != NULL && atomic_fetch_sub(&sh->refs, 1) == 1) {
        tacho_snapshot_free(sh->snap);
        tacho_free(sh);
    }
}

/* ---- creating and freeing sink instances -------------------------------- */

static int sink_new(tacho__dispatcher_t *d, const tacho__sink_type_t *type,
                    const char *name, bool optional, tacho__sink_t **out)
{
    tacho__sink_t *s = tacho_calloc(1, sizeof *s);
    if (s == NULL) {
        return TACHO_ENOMEM;
    }
    int rc = tacho__sink_ctx_init(&s->ctx, d, s, type->name, name, d->worker_id,
                                  (double)d->interval_ns / NS_PER_SEC);
    if (rc != 0) {
        goto fail_ctx;
    }
    if (cond_init_monotonic(&s->cv) != 0) {
        goto fail_cv;
    }
    if (pthread_cond_init(&s->done_cv, NULL) != 0) {
        goto fail_done_cv;
    }
    pthread_mutex_init(&s->mu, NULL);
    s->type = type;
    s->optional = optional;
    *out = s;
    return 0;
fail_done_cv:
    pthread_cond_destroy(&s->cv);
fail_cv:
    tacho__sink_ctx_fini(&s->ctx);
fail_ctx:
    tacho_free(s);
    return TACHO_ENOMEM;
}

static void sink_free(tacho__sink_t *s)
{
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->done_cv);
    tacho__sink_ctx_fini(&s->ctx);
    tacho_free(s);
}

int tacho__dispatcher_create(tacho_collector_t *collector,
                             const char *worker_id, double interval,
                             double grace, tacho__dispatcher_t **out,
                             tacho_error_t *err)
{
    *out = NULL;
    tacho__dispatcher_t *d = tacho_calloc(1, sizeof *d);
    if (d == NULL) {
        goto fail;
    }
    d->worker_id = tacho_strdup(worker_id != NULL ? worker_id : "");
    if (d->worker_id == NULL || cond_init_monotonic(&d->cv) != 0) {
        goto fail_id;
    }
    pthread_mutex_init(&d->mu, NULL);
    d->collector = collector;
    d->interval_ns = (uint64_t)(interval * NS_PER_SEC);
    d->grace_ns = (uint64_t)(grace * NS_PER_SEC);
    *out = d;
    return 0;
fail_id:
    tacho_free(d->worker_id);
    tacho_free(d);
fail:
    return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
}

/* The text of `e` without the "FILE:LINE: " that tacho_error_set_at()
 * puts in front. */
static const char *error_message(const tacho_error_t *e)
{
    char place[TACHO_ERROR_FILE_MAX + 16];
    int n = snprintf(place, sizeof place, "%s:%d: ", e->file, e->line);
    bool prefixed =
        e->file[0] != '\0' && n > 0 && strncmp(e->text, place, (size_t)n) == 0;
    return prefixed ? e->text + n : e->text;
}

int tacho__dispatcher_add(tacho__dispatcher_t *d,
                          const tacho__sink_type_t *type, const char *name,
                          bool optional, const tacho_options_t *opts,
                          const char *file, int line, tacho_error_t *err)
{
    tacho__sink_t **grown =
        tacho_realloc(d->sinks, (d->count + 1) * sizeof *grown);
    if (grown == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    d->sinks = grown;
    tacho__sink_t *s = NULL;
    if (sink_new(d, type, name, optional, &s) != 0) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    tacho_error_t serr;
    tacho_error_clear(&serr);
    int rc = type->create(&s->ctx, opts, &s->state, &serr);
    if (rc != 0) {
        sink_free(s);
        /* An error about one option (tacho_options_error) carries that
         * option's place, which is more precise than the sink's: use it,
         * once. */
        if (serr.file[0] != '\0') {
            file = serr.file;
            line = serr.line;
        }
        return tacho_error_set_at(
            err, TACHO_ESINK, file, line,
            "sink '%s' (plugin %s) could not be created: %s", name, type->name,
            serr.text[0] != '\0' ? error_message(&serr) : tacho_strerror(rc));
    }
    s->created = true;
    d->sinks[d->count++] = s;
    return 0;
}

void tacho__dispatcher_free(tacho__dispatcher_t *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = d->count; i-- > 0;) {
        tacho__sink_t *s = d->sinks[i];
        tacho__sink_ctx_detach(&s->ctx);
        if (s->abandoned) {
            continue; /* its thread may still use it: leaked on purpose */
        }
        if (s->created) {
            s->type->destroy(s->state);
        }
        tacho__loader_release(s->type);
        sink_free(s);
    }
    tacho_free(d->sinks);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    tacho_free(d->worker_id);
    tacho_free(d);
}

size_t tacho__dispatcher_count(const tacho__dispatcher_t *d)
{
    return d != NULL ? d->count : 0;
}

const char *tacho__dispatcher_sink_name(const tacho__dispatcher_t *d, size_t i)
{
    return d != NULL && i < d->count ? d->sinks[i]->ctx.name : NULL;
}

/* ---- health -------------------------------------------------------------- */

void tacho__sink_note_error(tacho__sink_t *s, const char *message)
{
    pthread_mutex_lock(&s->mu);
    snprintf(s->last_error, sizeof s->last_error, "%s", message);
    s->error_seq++;
    pthread_mutex_unlock(&s->mu);
}

/* Copies one sink's health under its lock; the text goes into `text`,
 * which the caller owns, because last_error may change right after. */
static void health_fill(tacho__sink_t *s, tacho__sink_health_t *h, char *text,
                        uint64_t now, uint64_t interval_ns)
{
    pthread_mutex_lock(&s->mu);
    memcpy(text, s->last_error, LAST_ERROR_MAX);
    *h = (tacho__sink_health_t){
        .name = s->ctx.name,
        .plugin = s->type->name,
        .writes = s->writes,
        .errors = s->errors,
        .retries = s->retries,
        .skipped = s->skipped,
        .last_write_duration_ns = s->last_write_ns,
        .last_success_ns = s->last_success_ns,
        .last_error = text,
        .busy = s->in_write && now > s->write_start_ns &&
                now - s->write_start_ns > interval_ns,
        .up = s->up,
    };
    pthread_mutex_unlock(&s->mu);
}

int tacho__dispatcher_snapshot(tacho__dispatcher_t *d, bool wait,
                               tacho_snapshot_t **out)
{
    *out = NULL;
    tacho_snapshot_t *snap = NULL;
    int rc = wait ? tacho_snapshot_take(d->collector, &snap)
                  : tacho__snapshot_take_nowait(d->collector, &snap);
    if (rc != 0 || d->count == 0) {
        *out = snap;
        return rc;
    }
    size_t n = d->count;
    tacho__sink_health_t *h = tacho_malloc(n * (sizeof *h + LAST_ERROR_MAX));
    if (h == NULL) {
        tacho_snapshot_free(snap);
        return TACHO_ENOMEM;
    }
    char *texts = (char *)(h + n);
    uint64_t now = mono_ns();
    for (size_t i = 0; i < n; i++) {
        health_fill(d->sinks[i], &h[i], texts + i * LAST_ERROR_MAX, now,
                    d->interval_ns);
    }
    rc = tacho__snapshot_set_sinks(snap, h, n);
    tacho_free(h);
    if (rc != 0) {
        tacho_snapshot_free(snap);
        return rc;
    }
    *out = snap;
    return 0;
}

void tacho__dispatcher_log_summary(const tacho__dispatcher_t *d)
{
    for (size_t i = 0; i < d->count; i++) {
        tacho__sink_t *s = d->sinks[i];
        pthread_mutex_lock(&s->mu);
        tacho_log_origin(
            "host", TACHO_LOG_INFO,
            "sink '%s' (plugin %s): %llu writes, %llu errors, "
            "%llu retries, %llu skipped",
            s->ctx.name, s->type->name, (unsigned long long)s->writes,
            (unsigned long long)s->errors, (unsigned long long)s->retries,
            (unsigned long long)s->skipped);
        pthread_mutex_unlock(&s->mu);
    }
}

/* ---- the sink thread ----------------------------------------------------- */

/* Records the outcome of one write; under s->mu. Returns true when the
 * snapshot should be tried again. */
static bool write_done(tacho__sink_t *s, tacho_sink_result_t r,
                       uint64_t error_seq, unsigned attempt)
{
    if (r == TACHO_SINK_OK) {
        s->writes++;
        s->last_success_ns = real_ns();
        return false;
    }
    if (r == TACHO_SINK_RETRY) {
        s->retries++;
        if (attempt < RETRY_MAX_ATTEMPTS) {
            return true;
        }
    }
    s->errors++;
    if (s->error_seq != error_seq) {
        return false; /* the sink explained itself through tacho_log */
    }
    if (r == TACHO_SINK_RETRY) {
        snprintf(s->last_error, sizeof s->last_error,
                 "write returned RETRY %d times; snapshot dropped",
                 RETRY_MAX_ATTEMPTS);
    } else if (r == TACHO_SINK_ERROR) {
        snprintf(s->last_error, sizeof s->last_error, "write returned ERROR");
    } else {
        snprintf(s->last_error, sizeof s->last_error,
                 "write returned an unknown result %d", (int)r);
    }
    return false;
}

/* Delivers one snapshot, retrying with backoff; under s->mu, released
 * around the write itself. */
static void deliver(tacho__sink_t *s, const tacho_snapshot_t *snap,
                    uint64_t interval_ns)
{
    uint64_t backoff = RETRY_FIRST_BACKOFF_NS < interval_ns
                           ? RETRY_FIRST_BACKOFF_NS
                           : interval_ns;
    for (unsigned attempt = 1; !s->abandon; attempt++) {
        uint64_t seq = s->error_seq;
        s->in_callback = s->in_write = true;
        s->write_start_ns = mono_ns();
        pthread_mutex_unlock(&s->mu);
        tacho_sink_result_t r = s->type->write(s->state, snap);
        pthread_mutex_lock(&s->mu);
        s->in_callback = s->in_write = false;
        s->last_write_ns = mono_ns() - s->write_start_ns;
        if (!write_done(s, r, seq, attempt)) {
            return;
        }
        uint64_t deadline = mono_ns() + backoff;
        backoff = backoff * 2 < interval_ns ? backoff * 2 : interval_ns;
        while (s->pending == NULL && !s->abandon && mono_ns() < deadline) {
            wait_until(&s->cv, &s->mu, deadline);
        }
        if (s->pending != NULL) {
            s->skipped++; /* superseded by a newer snapshot */
            return;
        }
    }
}

/* Runs reopen or flush on the sink thread; under s->mu. */
static void run_callback(tacho__sink_t *s, int (*fn)(void *), const char *what)
{
    if (fn == NULL || s->abandon) {
        return;
    }
    s->in_callback = true;
    pthread_mutex_unlock(&s->mu);
    int rc = fn(s->state);
    if (rc != 0) {
        tacho_log(&s->ctx, TACHO_LOG_ERROR, "%s failed: %s", what,
                  tacho_strerror(rc));
    }
    pthread_mutex_lock(&s->mu);
    s->in_callback = false;
}

/* The sink thread. Reopen requests go first (they are cheap and a rotated
 * file should not get another write); then the newest snapshot; at quit,
 * with the mailbox empty, one flush. Every callback is entered only after
 * checking `abandon` under the lock, so once shutdown gives up on this
 * thread it starts nothing new. */
static void *sink_main(void *arg)
{
    tacho__sink_t *s = arg;
    uint64_t interval_ns = (uint64_t)(s->ctx.interval * (double)NS_PER_SEC);
    pthread_mutex_lock(&s->mu);
    while (!s->abandon) {
        if (s->reopen_pending) {
            s->reopen_pending = false;
            run_callback(s, s->type->reopen, "reopen");
        } else if (s->pending != NULL) {
            shared_snap_t *sh = s->pending;
            s->pending = NULL;
            deliver(s, sh->snap, interval_ns);
            snap_unref(sh);
        } else if (s->quit) {
            run_callback(s, s->type->flush, "flush");
            break;
        } else {
            pthread_cond_wait(&s->cv, &s->mu);
        }
    }
    s->finished = true;
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Waits for a sink thread until `deadline`; a thread still inside a
 * callback then is abandoned, everything else is joined. */
static void finish_thread(tacho__dispatcher_t *d, tacho__sink_t *s,
                          uint64_t deadline)
{
    pthread_mutex_lock(&s->mu);
    while (!s->finished && mono_ns() < deadline) {
        wait_until(&s->done_cv, &s->mu, deadline);
    }
    if (!s->finished) {
        s->abandon = true;
        pthread_cond_broadcast(&s->cv);
        if (s->in_callback) {
            pthread_mutex_unlock(&s->mu);
            s->abandoned = true;
            s->has_thread = false;
            pthread_detach(s->thread);
            pthread_mutex_lock(&abandoned_lock);
            s->next_abandoned = abandoned;
            abandoned = s;
            pthread_mutex_unlock(&abandoned_lock);
            tacho_log_origin(
                "host", TACHO_LOG_WARNING,
                "sink '%s' (plugin %s) is still busy after the %.1f s "
                "shutdown grace: abandoning its thread; its state and "
                "module are deliberately leaked (no stop, no destroy)",
                s->ctx.name, s->type->name, (double)d->grace_ns / NS_PER_SEC);
            return;
        }
        while (!s->finished) { /* it enters no callback from now on */
            pthread_cond_wait(&s->done_cv, &s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->has_thread = false;
}

/* Tells every sink thread to finish and waits for them until `deadline`. */
static void finish_threads(tacho__dispatcher_t *d, uint64_t deadline)
{
    for (size_t i = 0; i < d->count; i++) {
        tacho__sink_t *s = d->sinks[i];
        if (s->has_thread) {
            pthread_mutex_lock(&s->mu);
            s->quit = true;
            pthread_cond_signal(&s->cv);
            pthread_mutex_unlock(&s->mu);
        }
    }
    for (size_t i = 0; i < d->count; i++) {
        if (d->sinks[i]->has_thread) {
            finish_thread(d, d->sinks[i], deadline);
        }
    }
}

/* ---- posting --------------------------------------------------------- */

/* Puts `sh` in every running sink's mailbox. The mailbox holds one
 * snapshot: an untaken older one is dropped and counted as skipped, so a
 * slow sink always gets the newest picture and memory stays flat. */
static void post(tacho__dispatcher_t *d, shared_snap_t *sh)
{
    for (size_t i = 0; i < d->count; i++) {
        tacho__sink_t *s = d->sinks[i];
        if (!s->has_thread) {
            continue;
        }
        pthread_mutex_lock(&s->mu);
        if (s->pending != NULL) {
            snap_unref(s->pending);
            s->skipped++;
        }
        s->pending = snap_ref(sh);
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

/* Takes a snapshot and posts it; stores its lifetime runs in `*runs`.
 * The scheduled ones do not wait for a descheduled writer (`wait` false);
 * the final one and those a caller asks for do. */
static int post_new(tacho__dispatcher_t *d, bool wait, uint64_t *runs)
{
    shared_snap_t *sh = tacho_malloc(sizeof *sh);
    if (sh == NULL) {
        return TACHO_ENOMEM;
    }
    int rc = tacho__dispatcher_snapshot(d, wait, &sh->snap);
    if (rc != 0) {
        tacho_free(sh);
        return rc;
    }
    if (runs != NULL) {
        *runs = tacho_stats_runs(tacho_snapshot_total(sh->snap),
                                 TACHO_SCOPE_LIFETIME);
    }
    atomic_init(&sh->refs, 1);
    post(d, sh);
    snap_unref(sh);
    return 0;
}

int tacho__dispatcher_report_now(tacho__dispatcher_t *d)
{
    if (!d->running) {
        return TACHO_EINVAL;
    }
    return post_new(d, true, NULL);
}

int tacho__dispatcher_reopen(tacho__dispatcher_t *d)
{
    if (!d->running) {
        return TACHO_EINVAL;
    }
    for (size_t i = 0; i < d->count; i++) {
        tacho__sink_t *s = d->sinks[i];
        if (s->has_thread) {
            pthread_mutex_lock(&s->mu);
            s->reopen_pending = true;
            pthread_cond_signal(&s->cv);
            pthread_mutex_unlock(&s->mu);
        }
    }
    return 0;
}

/* ---- the scheduler --------------------------------------------------- */

/* Posts a snapshot at start + k * interval for k = 1, 2, ... Deadlines are
 * absolute, so the schedule does not drift; a tick missed entirely (the
 * machine was suspended) is skipped rather than made up in a burst. */
static void *scheduler_main(void *arg)
{
    tacho__dispatcher_t *d = arg;
    uint64_t next = mono_ns() + d->interval_ns;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        if (mono_ns() < next) {
            wait_until(&d->cv, &d->mu, next);
            continue;
        }
        pthread_mutex_unlock(&d->mu);
        if (post_new(d, false, NULL) != 0) {
            tacho_log_origin("host", TACHO_LOG_ERROR,
                             "cannot take the scheduled snapshot: %s",
                             tacho_strerror(TACHO_ENOMEM));
        }
        uint64_t now = mono_ns();
        next += d->interval_ns;
        if (next <= now) {
            next +=
                (now - next) / d->interval_ns * d->interval_ns + d->interval_ns;
        }
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void stop_scheduler(tacho__dispatcher_t *d)
{
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->scheduler, NULL);
}

/* ---- start and shutdown ---------------------------------------------- */

static void stop_sinks(tacho__dispatcher_t *d)
{
    for (size_t i = d->count; i-- > 0;) {
        tacho__sink_t *s = d->sinks[i];
        if (s->started && !s->abandoned) {
            if (s->type->stop != NULL) {
                s->type->stop(s->state);
            }
            s->started = false;
        }
        pthread_mutex_lock(&s->mu);
        s->up = false;
        pthread_mutex_unlock(&s->mu);
    }
}

static int start_one(tacho__sink_t *s, tacho_error_t *err)
{
    if (s->type->start != NULL) {
        tacho_error_t serr;
        tacho_error_clear(&serr);
        int rc = s->type->start(s->state, &serr);
        if (rc != 0) {
            const char *why =
                serr.text[0] != '\0' ? serr.text : tacho_strerror(rc);
            if (!s->optional) {
                return tacho_error_set(err, TACHO_ESINK,
                                       "sink '%s' (plugin %s) failed to "
                                       "start: %s",
                                       s->ctx.name, s->type->name, why);
            }
            tacho_log(&s->ctx, TACHO_LOG_ERROR,
                      "start failed; the sink is optional and stays down: %s",
                      why);
            return 0;
        }
    }
    s->started = true;
    pthread_mutex_lock(&s->mu);
    s->up = true;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int start_threads(tacho__dispatcher_t *d, tacho_error_t *err)
{
    for (size_t i = 0; i < d->count; i++) {
        tacho__sink_t *s = d->sinks[i];
        if (!s->started) {
            continue;
        }
        s->quit = s->finished = s->abandon = false;
        if (spawn(&s->thread, sink_main, s) != 0) {
            return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
        }
        s->has_thread = true;
    }
    d->stopping = false;
    if (spawn(&d->scheduler, scheduler_main, d) != 0) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    return 0;
}

int tacho__dispatcher_start(tacho__dispatcher_t *d, tacho_error_t *err)
{
    if (d->running) {
        return tacho_error_set(err, TACHO_EBUSY, "the host is already started");
    }
    int rc = 0;
    for (size_t i = 0; i < d->count && rc == 0; i++) {
        rc = start_one(d->sinks[i], err);
    }
    if (rc == 0) {
        rc = start_threads(d, err);
    }
    if (rc != 0) {
        finish_threads(d, mono_ns() + d->grace_ns);
        stop_sinks(d);
        return rc;
    }
    d->running = true;
    return 0;
}

void tacho__dispatcher_shutdown(tacho__dispatcher_t *d, uint64_t *runs)
{
    *runs = 0;
    if (!d->running) {
        return;
    }
    stop_scheduler(d);
    if (post_new(d, true, runs) != 0) {
        tacho_log_origin("host", TACHO_LOG_ERROR,
                         "cannot take the final snapshot: %s",
                         tacho_strerror(TACHO_ENOMEM));
    }
    finish_threads(d, mono_ns() + d->grace_ns);
    stop_sinks(d);
    d->running = false;
}
