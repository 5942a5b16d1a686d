/*
 * Shortest round-trip text of a double in "%.Ng" form (see dtoa.h).
 *
 * A finite double is v = m * 2^-s exactly. For a precision P, printf's
 * digits are D = round-half-even(v * 10^k) with k = P - 1 - X, X the
 * decimal exponent of v: with m * 10^k and 2^s in 128-bit integers that
 * is one multiplication and one shift. The digits read back as v when
 * D / 10^k lies inside v's rounding interval (half the gap to each
 * neighbour, ends included when m is even), which is again a comparison
 * of 128-bit integers. Whatever does not fit takes snprintf and strtod.
 */
#include "dtoa.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

#define MAX_K 21 /* 10^21 < 2^70: 4 * m * 10^k stays below 2^125 */

#define E19 10000000000000000000ull

/* 10^0 .. 10^MAX_K. */
static const u128 pow10_table[MAX_K + 1] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    E19,
    (u128)E19 * 10,
    (u128)E19 * 100,
};

static u128 pow10_u128(int k)
{
    return pow10_table[k];
}

static int bit_length(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    uint64_t lo = (uint64_t)x;
    if (hi != 0) {
        return 128 - __builtin_clzll(hi);
    }
    return lo != 0 ? 64 - __builtin_clzll(lo) : 0;
}

/* A positive normal double split as m * 2^-s (m has 53 bits), and a guess
 * at floor(log10(v)) within one. False when v is not normal or not below
 * 2^53 (where s would be negative). */
static bool split(double v, uint64_t *m, int *s, int *x)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int exp = (int)((bits >> 52) & 0x7ff);
    if (exp == 0 || exp == 0x7ff) {
        return false;
    }
    *m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    *s = 1075 - exp;
    /* v is in [2^e, 2^(e+1)); 78913 / 2^18 is log10(2) from below. The
     * caller corrects the guess from the digits. */
    *x = ((exp - 1023) * 78913) >> 18;
    return *s >= 0 && *s <= 127;
}

/* floor(m * 10^k / 2^s) in *q and its round-half-even in *d; false when
 * it does not fit. */
static bool digits_of(uint64_t m, int s, int k, u128 *q, u128 *d)
{
    if (k < 0 || k > MAX_K) {
        return false;
    }
    u128 n = (u128)m * pow10_u128(k);
    if (s == 0) {
        *q = *d = n;
        return true;
    }
    *q = n >> s;
    u128 r = n - (*q << s);
    u128 half = (u128)1 << (s - 1);
    *d = *q + (r > half || (r == half && (*q & 1) != 0));
    return true;
}

/* 1 when D / 10^k reads back as m * 2^-s, 0 when not, -1 when the test
 * does not fit in 128 bits. */
static int reads_back(uint64_t m, int s, int k, u128 d)
{
    if (bit_length(d) + s + 2 > 127) {
        return -1;
    }
    u128 a = d << (s + 2);
    u128 p = pow10_u128(k);
    u128 b = (u128)(4 * m) * p;
    u128 high = 2 * p;
    /* Below a power of two the gap to the lower neighbour halves. */
    u128 low = m == (1ull << 52) ? p : 2 * p;
    bool even = (m & 1) == 0;
    if (a >= b) {
        return a - b < high || (even && a - b == high);
    }
    return b - a < low || (even && b - a == low);
}

/* "00" .. "99": two digits per division. */
static const char pairs[201] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/* The decimal digits of `d` into `out`; returns how many. */
static int digits_text(uint64_t d, char *out)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    while (d >= 100) {
        p -= 2;
        memcpy(p, pairs + 2 * (d % 100), 2);
        d /= 100;
    }
    if (d >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * d, 2);
    } else {
        *--p = (char)('0' + d);
    }
    int n = (int)(tmp + sizeof tmp - p);
    memcpy(out, p, (size_t)n);
    return n;
}

/* Writes the `n` significant digits (no trailing zeros) with decimal
 * exponent `x` (that of the first digit) in %g's style for precision `p`;
 * returns the length. */
static size_t layout_g(char *buf, const char *digits, int n, int x, int p)
{
    char *w = buf;
    if (x < -4 || x >= p) {
        *w++ = digits[0];
        if (n > 1) {
            *w++ = '.';
            memcpy(w, digits + 1, (size_t)(n - 1));
            w += n - 1;
        }
        /* "e", the sign and at least two digits, as printf writes. */
        int e = x < 0 ? -x : x;
        *w++ = 'e';
        *w++ = x < 0 ? '-' : '+';
        if (e >= 100) {
            *w++ = (char)('0' + e / 100);
        }
        *w++ = (char)('0' + e / 10 % 10);
        *w++ = (char)('0' + e % 10);
        *w = '\0';
        return (size_t)(w - buf);
    }
    if (x < 0) {
        *w++ = '0';
        *w++ = '.';
        for (int i = 0; i < -x - 1; i++) {
            *w++ = '0';
        }
        memcpy(w, digits, (size_t)n);
        w += n;
    } else {
        for (int i = 0; i <= x; i++) {
            *w++ = i < n ? digits[i] : '0';
        }
        if (n > x + 1) {
            *w++ = '.';
            memcpy(w, digits + x + 1, (size_t)(n - x - 1));
            w += n - x - 1;
        }
    }
    *w = '\0';
    return (size_t)(w - buf);
}

/* The digits of `d` without trailing zeros into `out`; returns how many. */
static int significant(uint64_t d, char *out)
{
    int n = digits_text(d, out);
    while (n > 1 && out[n - 1] == '0') {
        n--;
    }
    return n;
}

/* Writes the digits `d` (at most 17 of them, so 64 bits hold them) with
 * decimal exponent `x` in %g's style for precision `p`. */
static size_t format_g(char *buf, uint64_t d, int x, int p)
{
    char digits[24];
    int n = significant(d, digits);
    return layout_g(buf, digits, n, x, p);
}

/* The fast path for v > 0; 0 when it does not apply. */
static size_t dtoa_fast(double v, char *buf)
{
    uint64_t m;
    int s, x;
    if (!split(v, &m, &s, &x)) {
        return 0;
    }
    for (int p = 15; p <= 17; p++) {
        u128 q, d;
        /* The exponent guess is checked on the exact value's truncated
         * digits (10^x <= v < 10^(x+1) exactly) and moved until right. */
        for (int tries = 0;; tries++) {
            if (tries == 3 || !digits_of(m, s, p - 1 - x, &q, &d)) {
                return 0;
            }
            if (q >= pow10_u128(p)) {
                x++;
            } else if (q < pow10_u128(p - 1)) {
                x--;
            } else {
                break;
            }
        }
        int ok = reads_back(m, s, p - 1 - x, d);
        if (ok < 0) {
            return 0;
        }
        if (ok) {
            /* Rounding 9.99..95 up carries into one more digit, which
             * printf shows as 10.0..0 at the next exponent. */
            bool carry = d == pow10_u128(p);
            uint64_t digits = (uint64_t)(carry ? d / 10 : d);
            return format_g(buf, digits, carry ? x + 1 : x, p);
        }
    }
    return 0;
}

/* Writes half-nanoseconds `h` (h / 2e9 seconds) in %g style when the
 * exact decimal has at most 15 significant digits; 0 otherwise. */
static size_t ns_text(uint64_t h, char *buf)
{
    /* h / 2e9 = 5h / 1e10: the digits of 5h, point 10 places left. */
    char digits[24];
    int all = digits_text(h * 5, digits);
    int n = all;
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    if (n > 15) {
        return 0;
    }
    return layout_g(buf, digits, n, all - 1 - 10, 15);
}

size_t tacho__dtoa_ns(double ns, char *buf)
{
    double twice = ns * 2;
    if (ns > 0 && twice < 0x1p53 && twice == (double)(uint64_t)twice) {
        size_t n = ns_text((uint64_t)twice, buf);
        if (n > 0) {
            return n;
        }
    }
    return tacho__dtoa(ns / 1e9, buf);
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

size_t tacho__dtoa_slow(double v, char *buf)
{
    pthread_once(&c_locale_once, make_c_locale);
    locale_t saved = c_locale != (locale_t)0 ? uselocale(c_locale) : 0;
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, TACHO__DTOA_MAX, "%.*g", p, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    if (saved != (locale_t)0) {
        uselocale(saved);
    }
    return strlen(buf);
}

size_t tacho__dtoa(double v, char *buf)
{
    if (v > 0 || v < 0) {
        bool neg = v < 0;
        size_t n = dtoa_fast(neg ? -v : v, buf + neg);
        if (n > 0) {
            buf[0] = neg ? '-' : buf[0];
            return n + neg;
        }
    }
    return tacho__dtoa_slow(v, buf);
}
