/*
 * tacho: logging.
 *
 * The library never prints. Everything it, a host or a sink has to say goes
 * to one process-wide handler, which the program chooses; tacho-worker
 * installs tacho_log_stderr_handler.
 */
#ifndef TACHO_LOG_H
#define TACHO_LOG_H

#include <tacho/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Levels use syslog's numbers, so a handler can pass them to syslog(3). */
typedef enum tacho_log_level {
    TACHO_LOG_ERROR = 3,
    TACHO_LOG_WARNING = 4,
    TACHO_LOG_NOTICE = 5,
    TACHO_LOG_INFO = 6,
    TACHO_LOG_DEBUG = 7
} tacho_log_level_t;

/* Receives one message. `origin` says who speaks: "host", "worker",
 * "sink:csv:daily", "job:build" ...; `message` has no trailing newline.
 * Both are borrowed for the call. Called from any tacho thread, so a handler
 * must be thread-safe. */
typedef void (*tacho_log_fn)(void *arg, tacho_log_level_t level,
                             const char *origin, const char *message);

/* Installs the handler (NULL: discard everything, the default) and the most
 * verbose level passed to it (default TACHO_LOG_INFO).
 * Thread-safety: call before starting hosts; later calls are atomic but a
 * message in flight may still reach the old handler. */
TACHO_EXTERN void tacho_log_set_handler(tacho_log_fn fn, void *arg);
TACHO_EXTERN void tacho_log_set_level(tacho_log_level_t level);
TACHO_EXTERN tacho_log_level_t tacho_log_get_level(void);

/* A ready handler: writes "2026-11-28T10:49:33.123Z LEVEL [origin] message"
 * to stderr, one whole line per write(2). `arg` is unused. */
TACHO_EXTERN void tacho_log_stderr_handler(void *arg, tacho_log_level_t level,
                                           const char *origin,
                                           const char *message);

/* Static name of a level: "error", "warning", "notice", "info", "debug". */
TACHO_EXTERN const char *tacho_log_level_name(tacho_log_level_t level);

/* Logs one message with the given origin through the handler. */
TACHO_EXTERN void tacho_log_origin(const char *origin, tacho_log_level_t level,
                                   const char *fmt, ...) TACHO_PRINTF(3, 4);
TACHO_EXTERN void tacho_log_originv(const char *origin, tacho_log_level_t level,
                                    const char *fmt, va_list ap)
    TACHO_PRINTF(3, 0);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_LOG_H */
