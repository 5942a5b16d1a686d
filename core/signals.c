/*
 * tacho_host_watch_signals(): a thread that waits for SIGINT, SIGTERM and
 * SIGHUP with sigwait(), so the program needs no signal handler and no
 * async-signal-safe code. SIGHUP reopens the sinks' files; SIGINT and
 * SIGTERM call the program's on_stop.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include <tacho/host.h>
#include <tacho/log.h>

#include "host_internal.h"

struct tacho__signal_watch {
    tacho_host_t *host;
    void (*on_stop)(void *arg);
    void *arg;
    sigset_t set;      /* the signals waited for */
    sigset_t old_mask; /* the caller's mask before we blocked them */
    pthread_t owner;   /* the thread that asked */
    pthread_t thread;
    atomic_bool stopping;
    atomic_bool self_stopped; /* on_stop closed the host on this thread */
};

static void *watch_main(void *arg)
{
    tacho__signal_watch_t *w = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&w->set, &sig) != 0) {
            continue;
        }
        if (atomic_load(&w->stopping)) {
            break;
        }
        if (sig == SIGHUP) {
            tacho_log_origin("host", TACHO_LOG_INFO,
                             "SIGHUP: asking every sink to reopen");
            tacho_host_reopen(w->host);
        } else {
            tacho_log_origin("host", TACHO_LOG_INFO, "%s: stopping",
                             sig == SIGINT ? "SIGINT" : "SIGTERM");
            if (w->on_stop != NULL) {
                w->on_stop(w->arg);
            }
            if (atomic_load(&w->self_stopped)) {
                tacho_free(w); /* the closing host left it to us */
                break;
            }
        }
    }
    return NULL;
}

int tacho_host_watch_signals(tacho_host_t *h, void (*on_stop)(void *arg),
                             void *arg, tacho_error_t *err)
{
    if (h == NULL) {
        return tacho_error_set(err, TACHO_EINVAL, "no host given");
    }
    if (h->signals != NULL) {
        return tacho_error_set(err, TACHO_EBUSY,
                               "this host already watches signals");
    }
    tacho__signal_watch_t *w = tacho_calloc(1, sizeof *w);
    if (w == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    w->host = h;
    w->on_stop = on_stop;
    w->arg = arg;
    w->owner = pthread_self();
    atomic_init(&w->stopping, false);
    atomic_init(&w->self_stopped, false);
    sigemptyset(&w->set);
    sigaddset(&w->set, SIGINT);
    sigaddset(&w->set, SIGTERM);
    sigaddset(&w->set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &w->set, &w->old_mask);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
        tacho_free(w);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    h->signals = w;
    return 0;
}

void tacho__signals_stop(tacho__signal_watch_t *w)
{
    if (w == NULL) {
        return;
    }
    atomic_store(&w->stopping, true);
    if (pthread_equal(pthread_self(), w->thread)) {
        /* on_stop closed the host from the watcher itself: the thread
         * cannot join itself, so it frees `w` and ends once on_stop
         * returns. */
        pthread_detach(w->thread);
        atomic_store(&w->self_stopped, true);
        return;
    }
    pthread_kill(w->thread, SIGHUP);
    pthread_join(w->thread, NULL);
    if (pthread_equal(pthread_self(), w->owner)) {
        pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
    }
    tacho_free(w);
}
