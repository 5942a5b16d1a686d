/*
 * The name -> pipeline table: lock-free lookups, inserts under a mutex.
 */
#include "pipeline_table.h"

#include <string.h>

#include <tacho/collector.h>

size_t tacho__name_keep_len(const char *name)
{
    size_t len = strnlen(name, TACHO_MAX_PIPELINE_NAME + 1);
    if (len <= TACHO_MAX_PIPELINE_NAME) {
        return len;
    }
    /* name[len] is the first byte dropped; while it continues a sequence
     * (10xxxxxx), that sequence began inside the kept part: drop it too.
     * A sequence has at most 3 continuation bytes; more is not UTF-8, and
     * such a name is simply cut at the limit. */
    len = TACHO_MAX_PIPELINE_NAME;
    for (int back = 0; back <= 3; back++) {
        if (((unsigned char)name[len - back] & 0xC0u) != 0x80u) {
            return len - back;
        }
    }
    return len;
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), or 0:
 * overlong forms, surrogates and code points past U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF)) {
            return 0;
        }
    }
    return len;
}

const char *tacho__name_valid(const char *name, size_t *len,
                              char buf[TACHO__NAME_VALID_MAX])
{
    const unsigned char *p = (const unsigned char *)name;
    size_t i = 0;
    while (i < *len && utf8_seq(p + i, *len - i) > 0) {
        i += utf8_seq(p + i, *len - i);
    }
    if (i == *len) {
        return name;
    }
    size_t o = 0;
    for (i = 0; i < *len;) {
        size_t n = utf8_seq(p + i, *len - i);
        if (n == 0) {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(buf + o, p + i, n);
            o += n;
            i += n;
        }
    }
    buf[o] = '\0';
    *len = tacho__name_keep_len(buf);
    buf[*len] = '\0';
    return buf;
}

uint64_t tacho__name_hash(const char *name, size_t len)
{
    /* FNV-1a: short names, no adversarial input worth a keyed hash. */
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 1099511628211ull;
    }
    return h;
}

int tacho__ptable_init(tacho__ptable_t *t, uint32_t max_entries)
{
    size_t n = 16;
    while (n < 2 * (size_t)max_entries) {
        n *= 2;
    }
    t->slots = tacho_calloc(n, sizeof t->slots[0]);
    if (t->slots == NULL) {
        return TACHO_ENOMEM;
    }
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        tacho_free((void *)t->slots);
        return TACHO_ENOMEM;
    }
    t->mask = n - 1;
    return 0;
}

void tacho__ptable_destroy(tacho__ptable_t *t)
{
    if (t->slots != NULL) {
        pthread_mutex_destroy(&t->lock);
        tacho_free((void *)t->slots);
        t->slots = NULL;
    }
}

tacho__pkey_t *tacho__ptable_find(const tacho__ptable_t *t, const char *name,
                                  size_t len, uint64_t hash)
{
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        tacho__pkey_t *k =
            atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (k == NULL) {
            return NULL;
        }
        if (k->hash == hash && k->len == len &&
            memcmp(k->name, name, len) == 0) {
            return k;
        }
    }
}

void tacho__ptable_insert(tacho__ptable_t *t, tacho__pkey_t *key)
{
    size_t i = key->hash & t->mask;
    while (atomic_load_explicit(&t->slots[i], memory_order_relaxed) != NULL) {
        i = (i + 1) & t->mask;
    }
    atomic_store_explicit(&t->slots[i], key, memory_order_release);
}
