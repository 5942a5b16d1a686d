/*
 * Suite for core/dtoa.c: the fast shortest-round-trip text of a double must
 * be byte for byte what snprintf("%.15g".."%.17g") and strtod choose, for
 * the values snapshots hold and for doubles of every magnitude.
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"
#include "tacho_test.h"

static long mismatches;

static void same(double v)
{
    char fast[TACHO__DTOA_MAX], slow[TACHO__DTOA_MAX];
    size_t nf = tacho__dtoa(v, fast);
    size_t ns = tacho__dtoa_slow(v, slow);
    if (nf != ns || strcmp(fast, slow) != 0 || strlen(fast) != nf) {
        if (mismatches++ < 10) {
            printf("\n  %.17g: fast \"%s\", snprintf \"%s\"", v, fast, slow);
        }
    }
}

/* The nanoseconds form must match the general one on the quotient. */
static void same_ns(double ns)
{
    char fast[TACHO__DTOA_MAX], slow[TACHO__DTOA_MAX];
    size_t nf = tacho__dtoa_ns(ns, fast);
    size_t ns_len = tacho__dtoa_slow(ns / 1e9, slow);
    if (nf != ns_len || strcmp(fast, slow) != 0) {
        if (mismatches++ < 10) {
            printf("\n  %.17g ns: fast \"%s\", snprintf \"%s\"", ns, fast,
                   slow);
        }
    }
}

/* A random 64-bit value (rand() gives 31 bits). */
static uint64_t rand64(void)
{
    return (uint64_t)rand() << 62 ^ (uint64_t)rand() << 31 ^ (uint64_t)rand();
}

static void dtoa_seconds_from_nanoseconds(void)
{
    mismatches = 0;
    srand(11);
    for (int i = 0; i < 300000; i++) {
        uint64_t ns = rand64() >> (rand() % 64);
        same((double)ns / 1e9);
        same(((double)ns + 0.5) / 1e9); /* quantiles are half-ns */
        same_ns((double)ns);
        same_ns((double)ns + 0.5);
        same_ns((double)ns * 1.000001); /* not whole: the general path */
    }
    for (uint64_t ns = 0; ns < 20000; ns++) {
        same((double)ns / 1e9);
        same_ns((double)ns);
        same_ns((double)(ns * 1000000));
    }
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void dtoa_ratios_and_rates(void)
{
    mismatches = 0;
    srand(12);
    for (int i = 0; i < 200000; i++) {
        uint64_t total = 1 + rand64() % 1000000;
        uint64_t part = rand64() % (total + 1);
        same((double)part / (double)total);
        same((double)part * 3600.0 / ((double)(rand64() % 100000000) + 1));
        same((double)(rand64() >> 20) / (double)total / 1e9); /* averages */
    }
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void dtoa_every_magnitude(void)
{
    mismatches = 0;
    srand(13);
    for (int i = 0; i < 300000; i++) {
        uint64_t bits = rand64() & ~(1ull << 63);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (isfinite(v)) {
            same(v);
            same(-v);
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void dtoa_edges(void)
{
    mismatches = 0;
    static const double edges[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.1,
                                   0.5,
                                   1e-05,
                                   1e-04,
                                   0.0001,
                                   9.5e-05,
                                   1e14,
                                   1e15,
                                   1e16,
                                   1e17,
                                   123456789012345.0,
                                   999999999999999.0,
                                   9999999999999998.0,
                                   0.30000000000000004,
                                   2.2250738585072014e-308,
                                   4.9406564584124654e-324,
                                   1.7976931348623157e308,
                                   9007199254740992.0,
                                   9007199254740993.0,
                                   4503599627370496.0,
                                   3600.0,
                                   1e-09,
                                   5e-324};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        same(edges[i]);
        same(nextafter(edges[i], INFINITY));
        same(nextafter(edges[i], -INFINITY));
    }
    /* Powers of two and ten and their neighbours: the interval test's
     * special case and the exponent guess's boundaries. */
    for (int e = -80; e <= 80; e++) {
        double p2 = ldexp(1.0, e), p10 = pow(10.0, e);
        same(p2);
        same(nextafter(p2, 0));
        same(nextafter(p2, INFINITY));
        same(p10);
        same(nextafter(p10, 0));
        same(nextafter(p10, INFINITY));
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    char buf[TACHO__DTOA_MAX];
    CU_ASSERT_EQUAL(tacho__dtoa(1e-05, buf), 5);
    CU_ASSERT_STRING_EQUAL(buf, "1e-05");
    tacho__dtoa(1.0 / 3.0, buf);
    CU_ASSERT_STRING_EQUAL(buf, "0.3333333333333333");
    tacho__dtoa(-1234.5, buf);
    CU_ASSERT_STRING_EQUAL(buf, "-1234.5");
}

/* Whole nanoseconds written without a double must read as the double
 * form does, on both sides of its range (0.1 ms .. 27.8 h). */
static void dtoa_whole_nanoseconds(void)
{
    mismatches = 0;
    srand(14);
    for (int i = 0; i < 300000; i++) {
        uint64_t ns = rand64() >> (rand() % 64);
        char fast[TACHO__DTOA_MAX], want[TACHO__DTOA_MAX];
        size_t n = tacho__dtoa_ns_u64(ns, fast);
        tacho__dtoa_ns((double)ns, want);
        if (n != strlen(want) || strcmp(fast, want) != 0) {
            if (mismatches++ < 10) {
                printf("\n  %llu ns: \"%s\", want \"%s\"",
                       (unsigned long long)ns, fast, want);
            }
        }
    }
    static const uint64_t edges[] = {0,
                                     1,
                                     99999,
                                     100000,
                                     100001,
                                     1000000000,
                                     1000000001,
                                     99999999999999ull,
                                     100000000000000ull,
                                     9007199254740993ull,
                                     UINT64_MAX};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        char fast[TACHO__DTOA_MAX], slow[TACHO__DTOA_MAX];
        tacho__dtoa_ns_u64(edges[i], fast);
        tacho__dtoa_slow((double)edges[i] / 1e9, slow);
        CU_ASSERT_STRING_EQUAL(fast, slow);
    }
    CU_ASSERT_EQUAL(mismatches, 0);
}

/* Whole numbers and zero take a path of their own. */
static void dtoa_whole_numbers(void)
{
    mismatches = 0;
    srand(15);
    for (int i = 0; i < 200000; i++) {
        double v = (double)(rand64() >> (10 + rand() % 54));
        same(v);
        same(-v);
    }
    for (double v = 1; v < 1e17; v *= 10) {
        same(v - 1);
        same(v);
        same(v + 1);
    }
    same(0.0);
    same(-0.0);
    CU_ASSERT_EQUAL(mismatches, 0);
    char buf[TACHO__DTOA_MAX];
    CU_ASSERT_EQUAL(tacho__dtoa(0.0, buf), 1);
    CU_ASSERT_STRING_EQUAL(buf, "0");
    CU_ASSERT_EQUAL(tacho__dtoa(999999999999999.0, buf), 15);
    tacho__dtoa(1e15, buf);
    CU_ASSERT_STRING_EQUAL(buf, "1e+15");
}

static void dtoa_point_in_any_locale(void)
{
    /* A locale whose decimal point is ',' (compiled with localedef, from
     * the `locales` package), made the process's LC_NUMERIC. */
    char *dir = tacho_test_tmpdir("dtoa-locale");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1",
             dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    setenv("LOCPATH", dir, 1);
    char want_big[TACHO__DTOA_MAX];
    tacho__dtoa_slow(1e300 / 3, want_big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(setlocale(LC_NUMERIC, "de_DE.UTF-8"));
    char probe[16], fast[TACHO__DTOA_MAX], big[TACHO__DTOA_MAX];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    tacho__dtoa(0.25, fast);
    tacho__dtoa(1e300 / 3, big); /* too big for the fast path */
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    CU_ASSERT_STRING_EQUAL(probe, "0,5"); /* the locale was in force */
    CU_ASSERT_STRING_EQUAL(fast, "0.25");
    CU_ASSERT_STRING_EQUAL(big, want_big);
    CU_ASSERT_STRING_EQUAL(big, "3.3333333333333335e+299");
    tacho_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"dtoa_seconds_from_nanoseconds", dtoa_seconds_from_nanoseconds},
        {"dtoa_ratios_and_rates", dtoa_ratios_and_rates},
        {"dtoa_every_magnitude", dtoa_every_magnitude},
        {"dtoa_edges", dtoa_edges},
        {"dtoa_whole_nanoseconds", dtoa_whole_nanoseconds},
        {"dtoa_whole_numbers", dtoa_whole_numbers},
        {"dtoa_point_in_any_locale", dtoa_point_in_any_locale},
        {NULL, NULL}};
    return tacho_test_run("dtoa", NULL, NULL, cases);
}
