/*
 * The process-wide log handler. The library never prints: every message
 * goes to the handler the program installed, or nowhere.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tacho/format.h>
#include <tacho/log.h>

/* A message longer than this is cut; a log line is not a data channel. */
#define MESSAGE_MAX 4096

/* The handler and its argument change together, so they share a lock;
 * the level is read on every call and is a plain atomic. */
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static tacho_log_fn handler_fn;
static void *handler_arg;
static atomic_int log_level = TACHO_LOG_INFO;

void tacho_log_set_handler(tacho_log_fn fn, void *arg)
{
    pthread_mutex_lock(&handler_lock);
    handler_fn = fn;
    handler_arg = arg;
    pthread_mutex_unlock(&handler_lock);
}

void tacho_log_set_level(tacho_log_level_t level)
{
    atomic_store(&log_level, (int)level);
}

tacho_log_level_t tacho_log_get_level(void)
{
    return (tacho_log_level_t)atomic_load(&log_level);
}

const char *tacho_log_level_name(tacho_log_level_t level)
{
    switch (level) {
    case TACHO_LOG_ERROR:
        return "error";
    case TACHO_LOG_WARNING:
        return "warning";
    case TACHO_LOG_NOTICE:
        return "notice";
    case TACHO_LOG_INFO:
        return "info";
    case TACHO_LOG_DEBUG:
        return "debug";
    }
    return "unknown";
}

void tacho_log_originv(const char *origin, tacho_log_level_t level,
                       const char *fmt, va_list ap)
{
    if ((int)level > atomic_load(&log_level)) {
        return;
    }
    pthread_mutex_lock(&handler_lock);
    tacho_log_fn fn = handler_fn;
    void *arg = handler_arg;
    pthread_mutex_unlock(&handler_lock);
    if (fn == NULL) {
        return;
    }
    char message[MESSAGE_MAX];
    vsnprintf(message, sizeof message, fmt, ap);
    /* A trailing newline would make an empty line in most handlers. */
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n') {
        message[--n] = '\0';
    }
    fn(arg, level, origin != NULL ? origin : "", message);
}

void tacho_log_origin(const char *origin, tacho_log_level_t level,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tacho_log_originv(origin, level, fmt, ap);
    va_end(ap);
}

void tacho_log_stderr_handler(void *arg, tacho_log_level_t level,
                              const char *origin, const char *message)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char stamp[TACHO_RFC3339_TEXT_MAX];
    int64_t ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (tacho_format_rfc3339(ns, stamp, sizeof stamp) < 0) {
        snprintf(stamp, sizeof stamp, "-");
    }
    /* One write(2) per line, so lines from many threads never interleave. */
    char line[MESSAGE_MAX + 256];
    int n = snprintf(line, sizeof line, "%s %s [%s] %s\n", stamp,
                     tacho_log_level_name(level), origin, message);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof line) {
        len = sizeof line;
        line[len - 1] = '\n';
    }
    ssize_t rc = write(STDERR_FILENO, line, len);
    (void)rc; /* Nowhere left to report a failed log write. */
}
