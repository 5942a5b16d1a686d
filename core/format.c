/*
 * Text formatting shared by the host and the sinks: the human uptime text of
 * the replaced system and RFC 3339 timestamps.
 */
#include <stdio.h>
#include <time.h>

#include <tacho/format.h>

#define SECONDS_PER_MINUTE 60u
#define SECONDS_PER_HOUR 3600u
#define SECONDS_PER_DAY 86400u
#define NS_PER_SECOND 1000000000
#define NS_PER_MS 1000000

/* Appends one "<value><unit>" part, separated by a space from the previous
 * one. `off` is the length written so far; returns the new length. */
static size_t append_part(char *buf, size_t size, size_t off, uint64_t value,
                          char unit)
{
    int n = snprintf(buf + off, size - off, "%s%llu%c", off > 0 ? " " : "",
                     (unsigned long long)value, unit);
    return off + (size_t)n;
}

int tacho_format_uptime(uint64_t seconds, char *buf, size_t size)
{
    if (buf == NULL || size < TACHO_UPTIME_TEXT_MAX) {
        return TACHO_EINVAL;
    }
    uint64_t days = seconds / SECONDS_PER_DAY;
    uint64_t hours = seconds % SECONDS_PER_DAY / SECONDS_PER_HOUR;
    uint64_t minutes = seconds % SECONDS_PER_HOUR / SECONDS_PER_MINUTE;
    uint64_t secs = seconds % SECONDS_PER_MINUTE;

    /* Leading zero units are left out, but once a larger unit has been
     * written every smaller one follows, zero or not ("1h 0m 5s"). The
     * longest text (UINT64_MAX seconds) is 28 bytes, well inside
     * TACHO_UPTIME_TEXT_MAX, so no part can be truncated. */
    size_t off = 0;
    buf[0] = '\0';
    if (days > 0) {
        off = append_part(buf, size, off, days, 'd');
    }
    if (off > 0 || hours > 0) {
        off = append_part(buf, size, off, hours, 'h');
    }
    if (off > 0 || minutes > 0) {
        off = append_part(buf, size, off, minutes, 'm');
    }
    off = append_part(buf, size, off, secs, 's');
    return (int)off;
}

int tacho_format_rfc3339(int64_t unix_ns, char *buf, size_t size)
{
    if (buf == NULL || size < TACHO_RFC3339_TEXT_MAX) {
        return TACHO_EINVAL;
    }
    /* Floor division, so a time before 1970 keeps a positive millisecond
     * part: -1 ns is 1969-12-31T23:59:59.999Z, not ...00:00:00.-000Z. */
    int64_t secs = unix_ns / NS_PER_SECOND;
    int64_t rem = unix_ns % NS_PER_SECOND;
    if (rem < 0) {
        secs -= 1;
        rem += NS_PER_SECOND;
    }
    /* Every int64 nanosecond time (years 1677..2262) fits a 64-bit time_t
     * and four year digits; a 32-bit time_t cannot hold all of them. */
    time_t t = (time_t)secs;
    struct tm tm;
    if ((int64_t)t != secs || gmtime_r(&t, &tm) == NULL) {
        return TACHO_EINVAL;
    }
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (int)(rem / NS_PER_MS));
    return n;
}
