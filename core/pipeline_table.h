/*
 * Private: the collector's name -> pipeline table.
 *
 * Open addressing with linear probing, sized at creation to at least twice
 * max_pipelines so it never grows or fills. Lookups take no lock: an entry
 * is fully built before its slot is published with a release store, and
 * slots are never cleared. Inserts are serialised by the table's mutex.
 */
#ifndef TACHO_PIPELINE_TABLE_H
#define TACHO_PIPELINE_TABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <tacho/collector.h>

/* The key part of a pipeline; the pipeline embeds it as its first member. */
typedef struct tacho__pkey {
    uint64_t hash;
    size_t len;
    char *name; /* copied, truncated, NUL-terminated */
} tacho__pkey_t;

typedef struct tacho__ptable {
    _Atomic(tacho__pkey_t *) *slots;
    size_t mask; /* slot count - 1 (a power of two) */
    pthread_mutex_t lock;
} tacho__ptable_t;

/* Length `name` is kept at: at most TACHO_MAX_PIPELINE_NAME bytes, cut
 * before a UTF-8 sequence rather than inside it. */
size_t tacho__name_keep_len(const char *name);
/* Room for a kept name made valid UTF-8, terminator included: each kept
 * byte may become U+FFFD (3 bytes). */
#define TACHO__NAME_VALID_MAX (3 * TACHO_MAX_PIPELINE_NAME + 1)
/*
 * The name a pipeline is known by, from name[0..*len) (a kept length): the
 * name itself when it is well-formed UTF-8; otherwise a copy in `buf` with
 * each byte that is not part of a well-formed sequence replaced by U+FFFD,
 * cut again to a kept length (stored in *len). Every sink shows names this
 * way, so two names that would be shown alike must be one pipeline.
 */
const char *tacho__name_valid(const char *name, size_t *len,
                              char buf[TACHO__NAME_VALID_MAX]);
/* Hash of name[0..len). */
uint64_t tacho__name_hash(const char *name, size_t len);

/* Returns 0 or TACHO_ENOMEM. */
int tacho__ptable_init(tacho__ptable_t *t, uint32_t max_entries);
/* Frees the slots (not the entries). */
void tacho__ptable_destroy(tacho__ptable_t *t);

/* Lock-free lookup of name[0..len); NULL when absent. */
tacho__pkey_t *tacho__ptable_find(const tacho__ptable_t *t, const char *name,
                                  size_t len, uint64_t hash);
/* Publishes `key` (not yet present). Call under t->lock. */
void tacho__ptable_insert(tacho__ptable_t *t, tacho__pkey_t *key);

#endif /* TACHO_PIPELINE_TABLE_H */
