/*
 * Shared by the unit suites that drive a collector on the manual clock
 * (test_recent, test_window): a collector whose time starts at T0 and
 * moves only with tacho__collector_set_time(), and snapshots of it.
 * Header-only (static inline functions) so each suite stays one executable.
 */
#ifndef TACHO_MANUAL_CLOCK_TEST_H
#define TACHO_MANUAL_CLOCK_TEST_H

#include <tacho/collector.h>
#include <tacho/snapshot.h>

#include "collector_internal.h"
#include "tacho_test.h"

#define MS 1000000ll
#define SEC 1000000000ll
#define T0 1700000000000000000ll

/* A collector with options `o` on the manual clock, at T0. */
static inline tacho_collector_t *make_manual(const tacho_collector_options_t *o)
{
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(o, &c, NULL), 0);
    tacho__collector_use_manual_clock(c, T0);
    return c;
}

/* A snapshot of `c`; free with tacho_snapshot_free(). */
static inline tacho_snapshot_t *snap(tacho_collector_t *c)
{
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    return s;
}

#endif /* TACHO_MANUAL_CLOCK_TEST_H */
