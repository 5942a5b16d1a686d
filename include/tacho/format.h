/*
 * tacho: text formatting shared by the host and the sinks.
 */
#ifndef TACHO_FORMAT_H
#define TACHO_FORMAT_H

#include <tacho/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Enough for any output of the functions below, terminator included. */
#define TACHO_UPTIME_TEXT_MAX 48
#define TACHO_RFC3339_TEXT_MAX 40

/*
 * Formats a duration in whole seconds as the replaced system did:
 * "0s", "45s", "5m 23s", "1h 23m 45s", and past a day "2d 3h 4m 5s".
 * Leading zero units are left out; inner ones are kept ("1h 0m 5s").
 * Returns the length written (excluding the terminator), or TACHO_EINVAL
 * when `buf` is NULL or `size` < TACHO_UPTIME_TEXT_MAX.
 * Ownership: writes into the caller's buffer. Thread-safety: any thread.
 */
TACHO_EXTERN int tacho_format_uptime(uint64_t seconds, char *buf, size_t size);

/*
 * Formats Unix nanoseconds as RFC 3339 UTC with milliseconds, e.g.
 * "2026-11-28T10:49:33.123Z". Returns the length written, or TACHO_EINVAL
 * (NULL buffer, `size` < TACHO_RFC3339_TEXT_MAX, or a time gmtime rejects).
 * Thread-safety: any thread.
 */
TACHO_EXTERN int tacho_format_rfc3339(int64_t unix_ns, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_FORMAT_H */
