/*
 * The log-linear duration histogram, the exact `le` bucket table and the
 * sparse histograms that snapshots keep.
 */
#include "histogram.h"

#include <string.h>

#define MS 1000000ull
#define S 1000000000ull

const uint64_t tacho__default_bounds_ns[] = {
    5 * MS,   10 * MS, 25 * MS,   50 * MS, 100 * MS, 250 * MS,
    500 * MS, 1 * S,   2500 * MS, 5 * S,   10 * S,   30 * S,
    60 * S,   300 * S, 900 * S,   3600 * S};
const size_t tacho__default_bounds_count =
    sizeof tacho__default_bounds_ns / sizeof tacho__default_bounds_ns[0];

int tacho__bounds_check(const uint64_t *ns, size_t count, tacho_error_t *err)
{
    if (count > TACHO_MAX_BUCKETS) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "bucket_count %zu exceeds the maximum of %d "
                               "bucket bounds",
                               count, TACHO_MAX_BUCKETS);
    }
    if (count > 0 && ns == NULL) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "bucket_count is %zu but bucket_bounds_ns is "
                               "NULL",
                               count);
    }
    for (size_t i = 0; i < count; i++) {
        if (ns[i] == 0) {
            return tacho_error_set(err, TACHO_EINVAL,
                                   "bucket bound %zu is 0; bounds must be "
                                   "greater than 0 ns",
                                   i);
        }
        if (i > 0 && ns[i] <= ns[i - 1]) {
            return tacho_error_set(
                err, TACHO_EINVAL,
                "bucket bounds must be strictly increasing: bound %zu "
                "(%llu ns) is not greater than bound %zu (%llu ns)",
                i, (unsigned long long)ns[i], i - 1,
                (unsigned long long)ns[i - 1]);
        }
    }
    return 0;
}

uint64_t tacho__hist_lower(unsigned i)
{
    if (i < TACHO__HIST_SUB) {
        return i;
    }
    unsigned shift = i / TACHO__HIST_SUB - 1;
    uint64_t sub = i % TACHO__HIST_SUB;
    return (TACHO__HIST_SUB + sub) << shift;
}

uint64_t tacho__hist_upper(unsigned i)
{
    if (i >= TACHO__HIST_LAST) {
        return UINT64_MAX;
    }
    return tacho__hist_lower(i + 1) - 1;
}

double tacho__hist_mid(unsigned i)
{
    /* The open-ended last bucket has no middle; its lowest value is the
     * best figure, and callers clamp it to the exact max anyway. */
    if (i >= TACHO__HIST_LAST) {
        return (double)tacho__hist_lower(i);
    }
    uint64_t lo = tacho__hist_lower(i);
    return (double)lo + (double)(tacho__hist_upper(i) - lo) / 2.0;
}

void tacho__bounds_init(tacho__bounds_t *b, const uint64_t *ns, size_t count)
{
    memset(b, 0, sizeof *b);
    b->count = count;
    memcpy(b->ns, ns, count * sizeof ns[0]);
    size_t j = 0;
    for (unsigned i = 0; i < TACHO__HIST_BUCKETS; i++) {
        uint64_t lo = tacho__hist_lower(i);
        while (j < count && b->ns[j] < lo) {
            j++;
        }
        uint8_t entry = (uint8_t)j;
        if (j < count && b->ns[j] < tacho__hist_upper(i)) {
            entry |= TACHO__LE_STRADDLES;
        }
        b->le_of[i] = entry;
    }
}

void tacho__bounds_add_le(const tacho__bounds_t *b, uint64_t *le,
                          const uint64_t *hist, uint64_t mask)
{
    while (mask != 0) {
        unsigned o = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        for (unsigned i = o * TACHO__HIST_SUB; i < (o + 1) * TACHO__HIST_SUB;
             i++) {
            unsigned e = b->le_of[i];
            /* A straddling bucket's values were counted one by one. */
            if (hist[i] != 0 && (e & TACHO__LE_STRADDLES) == 0) {
                le[e] += hist[i];
            }
        }
    }
}

void tacho__hist_add(uint64_t *dst, const uint64_t *src, uint64_t mask)
{
    while (mask != 0) {
        unsigned o = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        const uint64_t *s = src + (size_t)o * TACHO__HIST_SUB;
        uint64_t *d = dst + (size_t)o * TACHO__HIST_SUB;
        for (unsigned k = 0; k < TACHO__HIST_SUB; k++) {
            d[k] += s[k];
        }
    }
}

/* Bit k of the result is set when bucket k of the octave at `d` is not
 * zero. Branch-free: which buckets are empty follows no pattern. */
static uint64_t nonzero_bits(const uint64_t *d)
{
    uint64_t bits = 0;
    for (unsigned k = 0; k < TACHO__HIST_SUB; k++) {
        bits |= (uint64_t)(d[k] != 0) << k;
    }
    return bits;
}

int tacho__sparse_from_dense(tacho__sparse_t *out, const uint64_t *dense,
                             uint64_t mask)
{
    memset(out, 0, sizeof *out);
    /* One pass over the octaves in `mask` finds the non-zero buckets; the
     * copy then visits only those. */
    uint64_t bits[TACHO__HIST_OCTAVES];
    size_t n = 0;
    for (uint64_t m = mask; m != 0; m &= m - 1) {
        unsigned o = (unsigned)__builtin_ctzll(m);
        bits[o] = nonzero_bits(dense + (size_t)o * TACHO__HIST_SUB);
        n += (size_t)__builtin_popcountll(bits[o]);
    }
    if (n == 0) {
        return 0;
    }
    out->idx = tacho_malloc(n * sizeof out->idx[0]);
    out->cum = tacho_malloc(n * sizeof out->cum[0]);
    if (out->idx == NULL || out->cum == NULL) {
        tacho__sparse_free(out);
        return TACHO_ENOMEM;
    }
    uint64_t total = 0;
    /* Octaves in ascending order give buckets in ascending order. */
    for (uint64_t m = mask; m != 0; m &= m - 1) {
        unsigned o = (unsigned)__builtin_ctzll(m);
        for (uint64_t b = bits[o]; b != 0; b &= b - 1) {
            unsigned i = o * TACHO__HIST_SUB + (unsigned)__builtin_ctzll(b);
            total += dense[i];
            out->idx[out->n] = (uint16_t)i;
            out->cum[out->n++] = total;
        }
    }
    return 0;
}

void tacho__sparse_free(tacho__sparse_t *s)
{
    tacho_free(s->idx);
    tacho_free(s->cum);
    memset(s, 0, sizeof *s);
}

uint64_t tacho__sparse_add_to(const tacho__sparse_t *s, uint64_t *dense)
{
    uint64_t mask = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < s->n; i++) {
        dense[s->idx[i]] += s->cum[i] - prev;
        prev = s->cum[i];
        mask |= 1ull << (s->idx[i] / TACHO__HIST_SUB);
    }
    return mask;
}

uint64_t tacho__sparse_total(const tacho__sparse_t *s)
{
    return s->n == 0 ? 0 : s->cum[s->n - 1];
}

unsigned tacho__sparse_rank_bucket(const tacho__sparse_t *s, uint64_t rank)
{
    /* The first entry whose cumulative count reaches the rank. */
    size_t lo = 0;
    size_t hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cum[mid] < rank) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo >= s->n) {
        lo = s->n - 1;
    }
    return s->idx[lo];
}
