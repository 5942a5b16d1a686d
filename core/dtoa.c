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

/* Copies the string literal `lit` (no terminator) to `p`; the end. */
#define TACHO__DTOA_LIT(p, lit)                                                \
    ((char *)memcpy((p), (lit), sizeof(lit) - 1) + sizeof(lit) - 1)

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

/* Writes the eight digits of v < 10^8 (zero-padded) at `p`, in 32-bit
 * arithmetic. */
static void eight_digits(char *p, uint32_t v)
{
    uint32_t hi = v / 10000;
    uint32_t lo = v % 10000;
    memcpy(p, pairs + 2 * (hi / 100), 2);
    memcpy(p + 2, pairs + 2 * (hi % 100), 2);
    memcpy(p + 4, pairs + 2 * (lo / 100), 2);
    memcpy(p + 6, pairs + 2 * (lo % 100), 2);
}

/* Writes v < 10^count as `count` digits (zero-padded) ending at `end`,
 * in 32-bit arithmetic below 10^8 (two digits per division). */
static void put_back(char *end, uint64_t v, int count)
{
    while (count > 8) {
        uint64_t high = v / 100000000;
        end -= 8;
        eight_digits(end, (uint32_t)(v - high * 100000000));
        v = high;
        count -= 8;
    }
    uint32_t low = (uint32_t)v;
    for (; count >= 2; count -= 2) {
        end -= 2;
        memcpy(end, pairs + 2 * (low % 100), 2);
        low /= 100;
    }
    if (count == 1) {
        end[-1] = (char)('0' + low);
    }
}

/* The number of decimal digits of `v`. */
static int digit_count(uint64_t v)
{
    int n = 1;
    while (n < 20 && v >= (uint64_t)pow10_table[n]) {
        n++;
    }
    return n;
}

size_t tacho__utoa(uint64_t v, char *buf)
{
    /* Most integers written are small counts: the length first, then two
     * digits per division from the end (put_back's 32-bit steps pay off
     * only for long digit strings). */
    int n = digit_count(v);
    char *q = buf + n;
    while (v >= 100) {
        q -= 2;
        memcpy(q, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        memcpy(q - 2, pairs + 2 * v, 2);
    } else {
        q[-1] = (char)('0' + v);
    }
    return (size_t)n;
}

/* Writes the digits `d` (no trailing zeros; `n` of them) with decimal
 * exponent `x` (that of the first digit) in %g's style for precision `p`;
 * returns the length. */
static size_t layout_g(char *buf, uint64_t d, int n, int x, int p)
{
    char *w = buf;
    if (x < -4 || x >= p) {
        /* d.ddd, "e", the sign and at least two digits, as printf. The
         * digits go one place right, then the first moves back before the
         * point: no division by a power of ten that is not a constant. */
        put_back(w + 1 + n, d, n);
        w[0] = w[1];
        w[1] = '.';
        w += n > 1 ? n + 1 : 1;
        int e = x < 0 ? -x : x;
        *w++ = 'e';
        *w++ = x < 0 ? '-' : '+';
        if (e >= 100) {
            *w++ = (char)('0' + e / 100);
        }
        memcpy(w, pairs + 2 * (e % 100), 2);
        w += 2;
    } else if (x < 0) {
        /* 0.000ddd */
        w = TACHO__DTOA_LIT(w, "0.000");
        w += -x - 4; /* keeps -x - 1 of the zeros */
        w += n;
        put_back(w, d, n);
    } else if (n <= x + 1) {
        /* ddd000: a whole number */
        put_back(w + n, d, n);
        memset(w + n, '0', (size_t)(x + 1 - n));
        w += x + 1;
    } else {
        /* ddd.ddd: as above, the whole part moves back before the point */
        put_back(w + n + 1, d, n);
        for (int i = 0; i <= x; i++) {
            w[i] = w[i + 1];
        }
        w[x + 1] = '.';
        w += n + 1;
    }
    *w = '\0';
    return (size_t)(w - buf);
}

/* Writes the digits `d` of precision `p` (trailing zeros included) with
 * decimal exponent `x` in %g's style. */
static size_t format_g(char *buf, uint64_t d, int x, int p)
{
    /* Trailing zeros go eight, four, two and one at a time: ratios such
     * as 0.109375 have many. d > 0, so this ends. */
    int n = p;
    while (d % 100000000 == 0) {
        d /= 100000000;
        n -= 8;
    }
    if (d % 10000 == 0) {
        d /= 10000;
        n -= 4;
    }
    if (d % 100 == 0) {
        d /= 100;
        n -= 2;
    }
    if (d % 10 == 0) {
        d /= 10;
        n -= 1;
    }
    return layout_g(buf, d, n, x, p);
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

/* Writes N / 10^10 seconds (N = 5h for h half-nanoseconds) when
 * 1e-4 <= N / 10^10 < 1e5: %g writes such a value in fixed notation, and
 * its exact decimal has at most 5 + 10 significant digits, so "%.15g"
 * shows it whole. Returns 0 outside that range. */
static size_t ns_fixed(uint64_t n, char *buf)
{
    if (n < 1000000ull || n >= 1000000000000000ull) {
        return 0;
    }
    uint64_t whole = n / 10000000000ull;
    uint64_t frac = n - whole * 10000000000ull;
    char *w = buf + digit_count(whole);
    put_back(w, whole, (int)(w - buf));
    if (frac != 0) {
        /* Ten digits: two, then eight in 32-bit arithmetic. */
        uint64_t two = frac / 100000000;
        w[0] = '.';
        memcpy(w + 1, pairs + 2 * two, 2);
        eight_digits(w + 3, (uint32_t)(frac - two * 100000000));
        w += 11;
        while (w[-1] == '0') {
            w--;
        }
    }
    *w = '\0';
    return (size_t)(w - buf);
}

/* Writes half-nanoseconds `h` (h / 2e9 seconds) in %g style when the
 * exact decimal has at most 15 significant digits; 0 otherwise. */
static size_t ns_text(uint64_t h, char *buf)
{
    /* h / 2e9 = 5h / 1e10: the digits of 5h, point 10 places left. */
    uint64_t d = h * 5;
    size_t len = ns_fixed(d, buf);
    if (len > 0) {
        return len;
    }
    int all = digit_count(d);
    int n = all;
    while (n > 1 && d % 10 == 0) {
        d /= 10;
        n--;
    }
    if (n > 15) {
        return 0;
    }
    return layout_g(buf, d, n, all - 1 - 10, 15);
}

size_t tacho__dtoa_ns_u64(uint64_t ns, char *buf)
{
    /* 1e-4 s <= ns / 1e9 < 1e5 s, as ns_fixed() has it: the digits of
     * the whole seconds, then up to nine of the fraction. */
    if (ns < 100000 || ns >= 100000000000000ull) {
        return tacho__dtoa_ns((double)ns, buf);
    }
    uint64_t whole = ns / 1000000000;
    uint32_t frac = (uint32_t)(ns - whole * 1000000000);
    char *w = buf + digit_count(whole);
    put_back(w, whole, (int)(w - buf));
    if (frac != 0) {
        uint32_t first = frac / 100000000;
        w[0] = '.';
        w[1] = (char)('0' + first);
        eight_digits(w + 2, frac - first * 100000000);
        w += 10;
        while (w[-1] == '0') {
            w--;
        }
    }
    *w = '\0';
    return (size_t)(w - buf);
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

/* A whole number below 10^15 (and above 0), which "%.15g" writes as its
 * digits; 0 for anything else. */
static size_t whole_text(double v, char *buf)
{
    if (!(v >= 1 && v < 1e15) || v != (double)(uint64_t)v) {
        return 0;
    }
    uint64_t d = (uint64_t)v;
    int n = digit_count(d);
    put_back(buf + n, d, n);
    buf[n] = '\0';
    return (size_t)n;
}

size_t tacho__dtoa(double v, char *buf)
{
    if (v == 0 && !signbit(v)) {
        memcpy(buf, "0", 2);
        return 1;
    }
    if (v > 0 || v < 0) {
        bool neg = v < 0;
        double mag = neg ? -v : v;
        size_t n = whole_text(mag, buf + neg);
        if (n == 0) {
            n = dtoa_fast(mag, buf + neg);
        }
        if (n > 0) {
            buf[0] = neg ? '-' : buf[0];
            return n + neg;
        }
    }
    return tacho__dtoa_slow(v, buf);
}
