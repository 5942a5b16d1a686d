/*
 * Private: the shortest "%.Ng" text (N = 15, 16 or 17) that reads back as
 * exactly the same double, the form tacho's JSON uses for every number.
 *
 * tacho__dtoa() gives the same bytes as trying snprintf("%.15g"),
 * "%.16g" and "%.17g" in the "C" locale and keeping the first that strtod
 * reads back exactly, but for the values a snapshot holds (seconds,
 * ratios, rates) it needs neither: the digits come from exact 128-bit
 * integer arithmetic, and so does the round-trip test. Values outside
 * that arithmetic's range take the snprintf path.
 */
#ifndef TACHO_DTOA_H
#define TACHO_DTOA_H

#include <stddef.h>
#include <stdint.h>

/* Room tacho__dtoa() needs, terminator included. */
#define TACHO__DTOA_MAX 32

/* Writes the text of the finite double `v` into `buf` (TACHO__DTOA_MAX
 * bytes) and returns its length. Always uses '.' as the decimal point. */
size_t tacho__dtoa(double v, char *buf);

/* The text of ns / 1e9 (nanoseconds as seconds), the same bytes as
 * tacho__dtoa(ns / 1e9, buf). Whole and half nanoseconds whose seconds
 * have at most 15 significant digits (durations, sums, quantiles) are
 * written from their decimal digits directly: such a decimal is what
 * "%.15g" shows and reads back as the quotient. */
size_t tacho__dtoa_ns(double ns, char *buf);

/* The same for whole nanoseconds: tacho__dtoa_ns((double)ns, buf), the
 * common range (0.1 ms .. 27 h) written without a double. */
size_t tacho__dtoa_ns_u64(uint64_t ns, char *buf);

/* Writes the decimal digits of `v` (at most 20, no terminator) into `buf`
 * and returns their number. */
size_t tacho__utoa(uint64_t v, char *buf);

/* The same through snprintf and strtod only (under a "C" numeric locale
 * for this thread); the reference the fast path is tested against. */
size_t tacho__dtoa_slow(double v, char *buf);

#endif /* TACHO_DTOA_H */
