/*
 * Private: the log-linear duration histogram and the exact `le` buckets.
 *
 * Values below 64 ns have a bucket each. Above, each power of two
 * [2^k, 2^(k+1)) for k = 6..45 is split into 64 linear sub-buckets, so a
 * bucket's midpoint is within 1/128 of any value in it. Values >= 2^46 ns
 * (about 19.5 hours) share the last bucket. An "octave" is a group of 64
 * buckets (octave 0 holds the values below 64); cells keep a bit mask of the
 * octaves they touched so the reader merges and clears only those.
 */
#ifndef TACHO_HISTOGRAM_H
#define TACHO_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tacho/collector.h>

#define TACHO__HIST_SUB 64         /* buckets per octave */
#define TACHO__HIST_FIRST_OCTAVE 6 /* 2^6 = 64: start of the log part */
#define TACHO__HIST_LAST_OCTAVE 45 /* [2^45, 2^46): the last split octave */
#define TACHO__HIST_OCTAVES                                                    \
    (1 + TACHO__HIST_LAST_OCTAVE - TACHO__HIST_FIRST_OCTAVE + 1)
#define TACHO__HIST_BUCKETS (TACHO__HIST_OCTAVES * TACHO__HIST_SUB)
/* The last bucket holds [2^45 + 63 * 2^39, 2^46) and everything above. */
#define TACHO__HIST_LAST (TACHO__HIST_BUCKETS - 1)

/* High bit of a le-table entry: the bucket contains a bound, so a value in
 * it needs an exact comparison with the bounds. */
#define TACHO__LE_STRADDLES 0x80u

/* The histogram index of a duration. */
static inline size_t tacho__hist_bucket(uint64_t v)
{
    if (v < TACHO__HIST_SUB) {
        return (size_t)v;
    }
    /* 63 ^ clz is the index of the top bit (one bsr; 63 - clz is not
     * always folded into it). */
    unsigned k = 63u ^ (unsigned)__builtin_clzll(v);
    if (k > TACHO__HIST_LAST_OCTAVE) {
        return TACHO__HIST_LAST;
    }
    /* Octave k - 5 (octave 0 holds the values below 64), sub-bucket from
     * the six bits under the top one. */
    size_t sub =
        (size_t)(v >> (k - TACHO__HIST_FIRST_OCTAVE)) & (TACHO__HIST_SUB - 1);
    return (size_t)(k - TACHO__HIST_FIRST_OCTAVE + 1) * TACHO__HIST_SUB + sub;
}

/* Bucket bounds of a collector with the precomputed `le` index of every
 * histogram bucket. */
typedef struct tacho__bounds {
    size_t count;
    uint64_t ns[TACHO_MAX_BUCKETS];
    /* Index of the first bound >= the bucket's lowest value (count when
     * none), ORed with TACHO__LE_STRADDLES when a bound lies inside it. */
    uint8_t le_of[TACHO__HIST_BUCKETS];
} tacho__bounds_t;

/* The `le` index of a duration: the first bound >= v, or count. Exact. */
static inline unsigned tacho__bounds_le(const tacho__bounds_t *b, size_t hi,
                                        uint64_t v)
{
    unsigned le = b->le_of[hi];
    if (le & TACHO__LE_STRADDLES) {
        le &= ~TACHO__LE_STRADDLES;
        while (le < b->count && v > b->ns[le]) {
            le++;
        }
    }
    return le;
}

/* True when bucket `hi` contains a bound, so a value in it must count its
 * exact `le` index itself (tacho__bounds_le); every other bucket's values
 * share one index, which tacho__bounds_add_le applies to whole counts. */
static inline bool tacho__bounds_straddles(const tacho__bounds_t *b, size_t hi)
{
    return (b->le_of[hi] & TACHO__LE_STRADDLES) != 0;
}

/* Adds the `le` counts of the buckets in octaves `mask` of `hist` that hold
 * no bound to `le` (count + 1 entries). Together with the exact counts of
 * the straddling buckets this gives exact `le` counts. */
void tacho__bounds_add_le(const tacho__bounds_t *b, uint64_t *le,
                          const uint64_t *hist, uint64_t mask);

/* The default bounds, 5 ms .. 1 h (docs/METRICS.md). */
extern const uint64_t tacho__default_bounds_ns[];
extern const size_t tacho__default_bounds_count;

/* Checks `ns[0..count)` (strictly increasing, > 0, at most
 * TACHO_MAX_BUCKETS). Returns 0 or TACHO_EINVAL with the reason in `err`. */
int tacho__bounds_check(const uint64_t *ns, size_t count, tacho_error_t *err);

/* Fills `b` from checked bounds and precomputes its le table. */
void tacho__bounds_init(tacho__bounds_t *b, const uint64_t *ns, size_t count);

/* Lowest and highest value of bucket `i` (the last bucket ends at
 * UINT64_MAX). */
uint64_t tacho__hist_lower(unsigned i);
uint64_t tacho__hist_upper(unsigned i);
/* The value a quantile in bucket `i` is reported as: the middle of the
 * bucket's values (the last bucket reports its lowest value). */
double tacho__hist_mid(unsigned i);

/* Adds the octaves in `mask` of `src` to `dst`. */
void tacho__hist_add(uint64_t *dst, const uint64_t *src, uint64_t mask);

/* A histogram kept in a snapshot: only the non-zero buckets, as indices
 * with cumulative counts, so a quantile is one binary search. */
typedef struct tacho__sparse {
    size_t n;
    uint16_t *idx;
    uint64_t *cum;
} tacho__sparse_t;

/* Builds `out` from the dense histogram `dense` (octaves in `mask`).
 * Returns 0 or TACHO_ENOMEM. Free with tacho__sparse_free(). */
int tacho__sparse_from_dense(tacho__sparse_t *out, const uint64_t *dense,
                             uint64_t mask);
void tacho__sparse_free(tacho__sparse_t *s);
/* Adds a sparse histogram into a dense one and returns the octave mask it
 * touched. */
uint64_t tacho__sparse_add_to(const tacho__sparse_t *s, uint64_t *dense);
/* Total count of `s`. */
uint64_t tacho__sparse_total(const tacho__sparse_t *s);
/* Bucket index of the value at rank `rank` (1-based) in `s`. */
unsigned tacho__sparse_rank_bucket(const tacho__sparse_t *s, uint64_t rank);

#endif /* TACHO_HISTOGRAM_H */
