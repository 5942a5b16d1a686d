/*
 * Private: a JSON text writer that appends to one growing buffer, for the
 * schema-1 rendering (core/json.c), which a scrape of /metrics.json runs.
 *
 * It writes exactly what json-c's plain serialiser writes for the same
 * document (no spaces; '/' unescaped; '"', '\\', \b \f \n \r \t and the
 * other control bytes as \u00xx escaped; anything else as is), so the
 * pretty form can still come from json-c by parsing this text. Invalid
 * UTF-8 bytes become U+FFFD. Numbers are written by tacho__dtoa(), the
 * shortest "%.Ng" text that reads back exactly.
 *
 * Like the tree builder in json_internal.h, the writer carries a sticky
 * error: after the first failed allocation every call does nothing, and
 * tacho__jw_finish() reports it. Keys are written as given (they are
 * literals with no character that needs escaping).
 */
#ifndef TACHO_JSON_WRITER_H
#define TACHO_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dtoa.h"

typedef struct tacho__jw {
    char *buf;
    size_t len;
    size_t cap;
    int rc;     /* 0, or TACHO_ENOMEM after a failed allocation */
    bool comma; /* a value precedes at this level: the next needs ',' */
    /* The date and time part of the last time written, by its second:
     * times in one snapshot share a few seconds. */
    int64_t time_sec;
    char time_text[24]; /* "YYYY-MM-DDTHH:MM:SS", or "" */
} tacho__jw_t;

/* Starts an empty document with room for about `hint` bytes. */
void tacho__jw_init(tacho__jw_t *w, size_t hint);

/* Containers. `key` is NULL for the root and for array elements. */
void tacho__jw_object_begin(tacho__jw_t *w, const char *key);
void tacho__jw_object_end(tacho__jw_t *w);
void tacho__jw_array_begin(tacho__jw_t *w, const char *key);
void tacho__jw_array_end(tacho__jw_t *w);

/* Members. A NULL string and a non-finite number are written as null. */
void tacho__jw_null(tacho__jw_t *w, const char *key);
void tacho__jw_bool(tacho__jw_t *w, const char *key, bool v);
void tacho__jw_uint(tacho__jw_t *w, const char *key, uint64_t v);
void tacho__jw_number(tacho__jw_t *w, const char *key, double v);
void tacho__jw_string(tacho__jw_t *w, const char *key, const char *s);
/* Nanoseconds written as seconds: the same text as
 * tacho__jw_number(w, key, ns / 1e9), found faster (tacho__dtoa_ns). */
void tacho__jw_seconds(tacho__jw_t *w, const char *key, double ns);
/* A number whose text is already made (by tacho__dtoa()). */
void tacho__jw_number_text(tacho__jw_t *w, const char *key, const char *text,
                           size_t len);
/* An RFC 3339 UTC time with milliseconds, from Unix nanoseconds. */
void tacho__jw_time(tacho__jw_t *w, const char *key, int64_t unix_ns);

/*
 * Direct writing, for parts whose shape is fixed (the figures of each
 * pipeline, the recent executions): the renderer reserves room for the
 * whole part once and writes it through a cursor, with no check per
 * piece. Each tacho__jw_put_* writes at `p` and returns the end of what
 * it wrote; the room each may take is given with it.
 */

/* Room for `n` more bytes: where to write them, or NULL once failed. */
char *tacho__jw_reserve(tacho__jw_t *w, size_t n);
/* Ends direct writing at `p`, inside the room reserved; what was written
 * counts as a value (the next one needs ','). */
void tacho__jw_commit(tacho__jw_t *w, char *p);

/* Copies the string literal `lit` (no terminator) at `p`; yields the end.
 * Its size is known when compiled, so the copy is a few moves. */
#define TACHO__JW_LIT(p, lit)                                                  \
    ((char *)memcpy((p), (lit), sizeof(lit) - 1) + sizeof(lit) - 1)

/* Room for any one number written at a cursor. */
#define TACHO__JW_NUMBER_MAX 32

/* Decimal digits of `v` (at most 20 bytes), by core/dtoa.c's digit
 * writer. */
static inline char *tacho__jw_put_uint(char *p, uint64_t v)
{
    return p + tacho__utoa(v, p);
}
/* The tacho__dtoa() text of `v`, or null when it is not finite. */
char *tacho__jw_put_number(char *p, double v);
/* Nanoseconds as seconds, as tacho__jw_seconds() writes them. */
char *tacho__jw_put_seconds(char *p, double ns);
/* Whole nanoseconds as seconds: the same text as
 * tacho__jw_put_seconds(p, (double)ns). */
char *tacho__jw_put_ns(char *p, uint64_t ns);
/* `s` quoted and escaped as tacho__jw_string() writes it, at most
 * 6 * strlen(s) + 2 bytes (null for NULL). */
char *tacho__jw_put_string(char *p, const char *s);
/* Room tacho__jw_put_time() may take. */
#define TACHO__JW_TIME_MAX 32
/* A quoted RFC 3339 time, as tacho__jw_time() writes it. On the
 * (unreachable) failure it writes nothing and sets the sticky error. */
char *tacho__jw_put_time(tacho__jw_t *w, char *p, int64_t unix_ns);

/* Hands over the text: returns 0 with *out (free with tacho_free()) and
 * *len (when not NULL), or the sticky error with *out NULL. The writer is
 * empty afterwards either way. */
int tacho__jw_finish(tacho__jw_t *w, char **out, size_t *len);

/* Length of the well-formed UTF-8 sequence at `p` (RFC 3629), or 0. */
size_t tacho__utf8_sequence_length(const unsigned char *p);

#endif /* TACHO_JSON_WRITER_H */
