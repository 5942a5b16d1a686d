/*
 * Suite for core/format.c: the uptime text and RFC 3339 timestamps.
 */
#include <string.h>

#include <tacho/format.h>

#include "tacho_test.h"

/* Formats `seconds` and checks both the text and the returned length. */
static void check_uptime(uint64_t seconds, const char *want)
{
    char buf[TACHO_UPTIME_TEXT_MAX];
    int n = tacho_format_uptime(seconds, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(n, (int)strlen(want));
}

static void check_rfc3339(int64_t unix_ns, const char *want)
{
    char buf[TACHO_RFC3339_TEXT_MAX];
    int n = tacho_format_rfc3339(unix_ns, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(n, (int)strlen(want));
}

static void format_uptime_seconds_only(void)
{
    check_uptime(0, "0s");
    check_uptime(1, "1s");
    check_uptime(45, "45s");
    check_uptime(59, "59s");
}

static void format_uptime_minutes_and_hours(void)
{
    check_uptime(60, "1m 0s");
    check_uptime(323, "5m 23s");
    check_uptime(3599, "59m 59s");
    check_uptime(3600, "1h 0m 0s");
    check_uptime(3605, "1h 0m 5s");
    check_uptime(5025, "1h 23m 45s");
    check_uptime(86399, "23h 59m 59s");
}

static void format_uptime_days(void)
{
    check_uptime(86400, "1d 0h 0m 0s");
    check_uptime(90061, "1d 1h 1m 1s");
    check_uptime(2 * 86400 + 3 * 3600 + 4 * 60 + 5, "2d 3h 4m 5s");
    check_uptime(86400 + 5, "1d 0h 0m 5s");
}

static void format_uptime_huge_values(void)
{
    /* UINT64_MAX = 213503982334601 days + 25215 s (7h 0m 15s). */
    check_uptime(UINT64_MAX, "213503982334601d 7h 0m 15s");
    check_uptime(UINT64_MAX - 15, "213503982334601d 7h 0m 0s");
    check_uptime(365ull * 86400 * 1000, "365000d 0h 0m 0s");
}

static void format_uptime_rejects_bad_buffers(void)
{
    char buf[TACHO_UPTIME_TEXT_MAX];
    CU_ASSERT_EQUAL(tacho_format_uptime(5, NULL, sizeof buf), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_format_uptime(5, buf, TACHO_UPTIME_TEXT_MAX - 1),
                    TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_format_uptime(5, buf, 0), TACHO_EINVAL);
}

static void format_rfc3339_known_times(void)
{
    check_rfc3339(0, "1970-01-01T00:00:00.000Z");
    check_rfc3339(1795862973123000000, "2026-11-28T10:49:33.123Z");
    /* Leap day, last millisecond of the day. */
    check_rfc3339(1709251199999000000, "2024-02-29T23:59:59.999Z");
}

static void format_rfc3339_truncates_to_milliseconds(void)
{
    /* Sub-millisecond digits are cut, never rounded up into the next
     * second (which could also change the date). */
    check_rfc3339(999999, "1970-01-01T00:00:00.000Z");
    check_rfc3339(1000000, "1970-01-01T00:00:00.001Z");
    check_rfc3339(1709251199999999999, "2024-02-29T23:59:59.999Z");
}

static void format_rfc3339_before_1970(void)
{
    /* Times before the epoch use floor division: the fraction stays in
     * 0..999 and the second below is taken. */
    check_rfc3339(-1, "1969-12-31T23:59:59.999Z");
    check_rfc3339(-1000000, "1969-12-31T23:59:59.999Z");
    check_rfc3339(-1000001, "1969-12-31T23:59:59.998Z");
    check_rfc3339(-1000000000, "1969-12-31T23:59:59.000Z");
    check_rfc3339(-1576800000000000000 + 1, "1920-01-14T00:00:00.000Z");
}

static void format_rfc3339_int64_limits(void)
{
    check_rfc3339(INT64_MIN, "1677-09-21T00:12:43.145Z");
    check_rfc3339(INT64_MAX, "2262-04-11T23:47:16.854Z");
}

static void format_rfc3339_rejects_bad_buffers(void)
{
    char buf[TACHO_RFC3339_TEXT_MAX];
    CU_ASSERT_EQUAL(tacho_format_rfc3339(0, NULL, sizeof buf), TACHO_EINVAL);
    CU_ASSERT_EQUAL(tacho_format_rfc3339(0, buf, TACHO_RFC3339_TEXT_MAX - 1),
                    TACHO_EINVAL);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"format_uptime_seconds_only", format_uptime_seconds_only},
        {"format_uptime_minutes_and_hours", format_uptime_minutes_and_hours},
        {"format_uptime_days", format_uptime_days},
        {"format_uptime_huge_values", format_uptime_huge_values},
        {"format_uptime_rejects_bad_buffers",
         format_uptime_rejects_bad_buffers},
        {"format_rfc3339_known_times", format_rfc3339_known_times},
        {"format_rfc3339_truncates_to_milliseconds",
         format_rfc3339_truncates_to_milliseconds},
        {"format_rfc3339_before_1970", format_rfc3339_before_1970},
        {"format_rfc3339_int64_limits", format_rfc3339_int64_limits},
        {"format_rfc3339_rejects_bad_buffers",
         format_rfc3339_rejects_bad_buffers},
        {NULL, NULL}};
    return tacho_test_run("format", NULL, NULL, cases);
}
