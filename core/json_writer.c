/*
 * The JSON text writer (see json_writer.h).
 */
#include "json_writer.h"

#include <math.h>
#include <string.h>

#include <tacho/format.h>

#include "dtoa.h"

size_t tacho__utf8_sequence_length(const unsigned char *p)
{
    unsigned lead = p[0];
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    size_t n;
    if (lead < 0x80) {
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        n = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        n = 3;
        lo = lead == 0xE0 ? 0xA0 : lo; /* overlong */
        hi = lead == 0xED ? 0x9F : hi; /* surrogates */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        n = 4;
        lo = lead == 0xF0 ? 0x90 : lo; /* overlong */
        hi = lead == 0xF4 ? 0x8F : hi; /* above U+10FFFF */
    } else {
        return 0;
    }
    /* Stops at the first bad byte, so it never reads past a terminator. */
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

void tacho__jw_init(tacho__jw_t *w, size_t hint)
{
    *w = (tacho__jw_t){0};
    w->buf = tacho_malloc(hint + 1);
    if (w->buf == NULL) {
        w->rc = TACHO_ENOMEM;
        return;
    }
    w->cap = hint + 1;
}

/* Makes room for `n` more bytes (and a terminator); false once failed. */
static bool reserve(tacho__jw_t *w, size_t n)
{
    if (w->rc != 0) {
        return false;
    }
    if (w->cap - w->len > n) {
        return true;
    }
    size_t cap = w->cap < 64 ? 64 : w->cap;
    while (cap - w->len <= n) {
        cap *= 2;
    }
    char *p = tacho_realloc(w->buf, cap);
    if (p == NULL) {
        w->rc = TACHO_ENOMEM;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

static void put(tacho__jw_t *w, const char *s, size_t n)
{
    if (reserve(w, n)) {
        char *p = w->buf + w->len;
        /* Most pieces are a few bytes: a loop beats a call to memcpy. */
        if (n <= 16) {
            for (size_t i = 0; i < n; i++) {
                p[i] = s[i];
            }
        } else {
            memcpy(p, s, n);
        }
        w->len += n;
    }
}

/* Keys at most this long are copied while they are scanned. */
#define SHORT_KEY 60

/* The comma before a value and its key, if any. */
static void begin_value(tacho__jw_t *w, const char *key)
{
    if (!reserve(w, SHORT_KEY + 4)) {
        return;
    }
    char *p = w->buf + w->len;
    if (w->comma) {
        *p++ = ',';
    }
    if (key != NULL) {
        *p++ = '"';
        size_t i = 0;
        while (key[i] != '\0' && i < SHORT_KEY) {
            *p++ = key[i++];
        }
        w->len = (size_t)(p - w->buf);
        if (key[i] != '\0') {
            put(w, key + i, strlen(key + i)); /* a long key: the rest */
        }
        put(w, "\":", 2);
        return;
    }
    w->len = (size_t)(p - w->buf);
}

void tacho__jw_object_begin(tacho__jw_t *w, const char *key)
{
    begin_value(w, key);
    put(w, "{", 1);
    w->comma = false;
}

void tacho__jw_object_end(tacho__jw_t *w)
{
    put(w, "}", 1);
    w->comma = true;
}

void tacho__jw_array_begin(tacho__jw_t *w, const char *key)
{
    begin_value(w, key);
    put(w, "[", 1);
    w->comma = false;
}

void tacho__jw_array_end(tacho__jw_t *w)
{
    put(w, "]", 1);
    w->comma = true;
}

/* ---- direct writing ---------------------------------------------------- */

char *tacho__jw_reserve(tacho__jw_t *w, size_t n)
{
    return reserve(w, n) ? w->buf + w->len : NULL;
}

void tacho__jw_commit(tacho__jw_t *w, char *p)
{
    w->len = (size_t)(p - w->buf);
    w->comma = true;
}

char *tacho__jw_put_number(char *p, double v)
{
    if (!isfinite(v)) {
        return TACHO__JW_LIT(p, "null");
    }
    return p + tacho__dtoa(v, p);
}

char *tacho__jw_put_seconds(char *p, double ns)
{
    if (!isfinite(ns)) {
        return TACHO__JW_LIT(p, "null");
    }
    return p + tacho__dtoa_ns(ns, p);
}

char *tacho__jw_put_ns(char *p, uint64_t ns)
{
    return p + tacho__dtoa_ns_u64(ns, p);
}

/* Writes the escape json-c writes for the ASCII byte `c`, which is a
 * control, '"' or '\\'. */
static char *put_escape(char *p, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    static const char short_form[] = {
        ['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
        ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't'};
    *p++ = '\\';
    if (c < sizeof short_form && short_form[c] != 0) {
        *p++ = short_form[c];
        return p;
    }
    p = TACHO__JW_LIT(p, "u00");
    *p++ = hex[c >> 4];
    *p++ = hex[c & 0xF];
    return p;
}

/* Writes the bytes of `s` as json-c does (see json_writer.h); each byte
 * takes at most 6. */
static char *put_body(char *p, const unsigned char *s)
{
    for (;;) {
        unsigned char c = *s;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *p++ = (char)c; /* the common case: printable ASCII */
            s++;
        } else if (c == '\0') {
            return p;
        } else if (c < 0x80) {
            p = put_escape(p, c);
            s++;
        } else {
            size_t n = tacho__utf8_sequence_length(s);
            if (n == 0) {
                p = TACHO__JW_LIT(p, "\xEF\xBF\xBD"); /* a stray byte */
                s++;
            } else {
                memcpy(p, s, n);
                p += n;
                s += n;
            }
        }
    }
}

char *tacho__jw_put_string(char *p, const char *s)
{
    if (s == NULL) {
        return TACHO__JW_LIT(p, "null");
    }
    *p++ = '"';
    p = put_body(p, (const unsigned char *)s);
    *p++ = '"';
    return p;
}

/* The part of a time before its milliseconds, "YYYY-MM-DDTHH:MM:SS",
 * from tacho_format_rfc3339() or from the last time of the same second.
 * Returns its length, or 0 when the time cannot be written. */
static size_t time_prefix(tacho__jw_t *w, int64_t unix_ns, int64_t sec,
                          char *out)
{
    if (w->time_text[0] == '\0' || w->time_sec != sec) {
        char text[TACHO_RFC3339_TEXT_MAX];
        /* Every int64 time has a four-digit year: ".mmmZ" ends it. */
        int n = tacho_format_rfc3339(unix_ns, text, sizeof text);
        if (n != 24) {
            return 0;
        }
        memcpy(w->time_text, text, 19);
        w->time_text[19] = '\0';
        w->time_sec = sec;
    }
    memcpy(out, w->time_text, 19);
    return 19;
}

char *tacho__jw_put_time(tacho__jw_t *w, char *p, int64_t unix_ns)
{
    /* Floor division, as tacho_format_rfc3339() does before 1970. */
    int64_t sec = unix_ns / 1000000000;
    int64_t rem = unix_ns % 1000000000;
    if (rem < 0) {
        sec -= 1;
        rem += 1000000000;
    }
    if (time_prefix(w, unix_ns, sec, p + 1) == 0) {
        /* Unreachable with a 64-bit time_t: every int64 time formats. */
        w->rc = w->rc != 0 ? w->rc : TACHO_EINVAL;
        return p;
    }
    int ms = (int)(rem / 1000000);
    p[0] = '"';
    p += 20;
    *p++ = '.';
    p[0] = (char)('0' + ms / 100);
    p[1] = (char)('0' + ms / 10 % 10);
    p[2] = (char)('0' + ms % 10);
    p += 3;
    *p++ = 'Z';
    *p++ = '"';
    return p;
}

/* ---- members ------------------------------------------------------------ */

/* Starts a member of at most `room` bytes after its key: the comma, the
 * key and the cursor for its value, or NULL once failed. */
static char *member(tacho__jw_t *w, const char *key, size_t room)
{
    begin_value(w, key);
    return tacho__jw_reserve(w, room);
}

void tacho__jw_null(tacho__jw_t *w, const char *key)
{
    char *p = member(w, key, 4);
    if (p != NULL) {
        tacho__jw_commit(w, TACHO__JW_LIT(p, "null"));
    }
}

void tacho__jw_bool(tacho__jw_t *w, const char *key, bool v)
{
    char *p = member(w, key, 5);
    if (p != NULL) {
        p = v ? TACHO__JW_LIT(p, "true") : TACHO__JW_LIT(p, "false");
        tacho__jw_commit(w, p);
    }
}

void tacho__jw_uint(tacho__jw_t *w, const char *key, uint64_t v)
{
    char *p = member(w, key, TACHO__JW_NUMBER_MAX);
    if (p != NULL) {
        tacho__jw_commit(w, tacho__jw_put_uint(p, v));
    }
}

void tacho__jw_number(tacho__jw_t *w, const char *key, double v)
{
    char *p = member(w, key, TACHO__JW_NUMBER_MAX);
    if (p != NULL) {
        tacho__jw_commit(w, tacho__jw_put_number(p, v));
    }
}

void tacho__jw_seconds(tacho__jw_t *w, const char *key, double ns)
{
    char *p = member(w, key, TACHO__JW_NUMBER_MAX);
    if (p != NULL) {
        tacho__jw_commit(w, tacho__jw_put_seconds(p, ns));
    }
}

void tacho__jw_number_text(tacho__jw_t *w, const char *key, const char *text,
                           size_t len)
{
    char *p = member(w, key, len);
    if (p != NULL) {
        memcpy(p, text, len);
        tacho__jw_commit(w, p + len);
    }
}

void tacho__jw_string(tacho__jw_t *w, const char *key, const char *s)
{
    char *p = member(w, key, s != NULL ? 6 * strlen(s) + 2 : 4);
    if (p != NULL) {
        tacho__jw_commit(w, tacho__jw_put_string(p, s));
    }
}

void tacho__jw_time(tacho__jw_t *w, const char *key, int64_t unix_ns)
{
    char *p = member(w, key, TACHO__JW_TIME_MAX);
    if (p != NULL) {
        char *end = tacho__jw_put_time(w, p, unix_ns);
        if (end != p) {
            tacho__jw_commit(w, end);
        }
    }
}

int tacho__jw_finish(tacho__jw_t *w, char **out, size_t *len)
{
    *out = NULL;
    int rc = w->rc;
    if (rc == 0 && reserve(w, 0)) {
        w->buf[w->len] = '\0';
        *out = w->buf;
        if (len != NULL) {
            *len = w->len;
        }
        w->buf = NULL;
    }
    rc = w->rc;
    tacho_free(w->buf);
    *w = (tacho__jw_t){0};
    return rc;
}
