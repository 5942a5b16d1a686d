/*
 * The JSON text writer (see json_writer.h).
 */
#include "json_writer.h"

#include <math.h>
#include <string.h>

#include <tacho/format.h>

#include "dtoa.h"

/* Room for any one number, literal or time, terminator included. */
#define SCALAR_MAX 48

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

static void scalar(tacho__jw_t *w, const char *key, const char *text, size_t n)
{
    begin_value(w, key);
    put(w, text, n);
    w->comma = true;
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

void tacho__jw_null(tacho__jw_t *w, const char *key)
{
    scalar(w, key, "null", 4);
}

void tacho__jw_bool(tacho__jw_t *w, const char *key, bool v)
{
    scalar(w, key, v ? "true" : "false", v ? 4 : 5);
}

void tacho__jw_uint(tacho__jw_t *w, const char *key, uint64_t v)
{
    char text[SCALAR_MAX];
    char *end = text + sizeof text;
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    scalar(w, key, p, (size_t)(end - p));
}

void tacho__jw_number(tacho__jw_t *w, const char *key, double v)
{
    if (!isfinite(v)) {
        tacho__jw_null(w, key);
        return;
    }
    char text[TACHO__DTOA_MAX];
    scalar(w, key, text, tacho__dtoa(v, text));
}

void tacho__jw_seconds(tacho__jw_t *w, const char *key, double ns)
{
    if (!isfinite(ns)) {
        tacho__jw_null(w, key);
        return;
    }
    char text[TACHO__DTOA_MAX];
    scalar(w, key, text, tacho__dtoa_ns(ns, text));
}

void tacho__jw_number_text(tacho__jw_t *w, const char *key, const char *text,
                           size_t len)
{
    scalar(w, key, text, len);
}

/* The escape json-c writes for a byte, or NULL when the byte stays. */
static const char *escape_of(unsigned char c, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    if (c >= 0x20) {
        return NULL;
    }
    memcpy(buf, "\\u00", 4);
    buf[4] = hex[c >> 4];
    buf[5] = hex[c & 0xF];
    buf[6] = '\0';
    return buf;
}

/* Bytes from `p` that are written as they are: printable ASCII other than
 * '"' and '\\', and DEL. */
static size_t plain_run(const unsigned char *p)
{
    size_t n = 0;
    while (p[n] >= 0x20 && p[n] < 0x80 && p[n] != '"' && p[n] != '\\') {
        n++;
    }
    return n;
}

static void string_body(tacho__jw_t *w, const unsigned char *p)
{
    while (*p != '\0' && w->rc == 0) {
        size_t run = plain_run(p);
        if (run > 0) {
            put(w, (const char *)p, run);
            p += run;
            continue;
        }
        char buf[8];
        const char *esc = *p < 0x80 ? escape_of(*p, buf) : NULL;
        if (esc != NULL) {
            put(w, esc, strlen(esc));
            p++;
            continue;
        }
        size_t n = tacho__utf8_sequence_length(p);
        if (n == 0) {
            put(w, "\xEF\xBF\xBD", 3); /* U+FFFD for a stray byte */
            p++;
        } else {
            put(w, (const char *)p, n);
            p += n;
        }
    }
}

void tacho__jw_string(tacho__jw_t *w, const char *key, const char *s)
{
    if (s == NULL) {
        tacho__jw_null(w, key);
        return;
    }
    begin_value(w, key);
    put(w, "\"", 1);
    string_body(w, (const unsigned char *)s);
    put(w, "\"", 1);
    w->comma = true;
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

void tacho__jw_time(tacho__jw_t *w, const char *key, int64_t unix_ns)
{
    /* Floor division, as tacho_format_rfc3339() does before 1970. */
    int64_t sec = unix_ns / 1000000000;
    int64_t rem = unix_ns % 1000000000;
    if (rem < 0) {
        sec -= 1;
        rem += 1000000000;
    }
    char text[32];
    text[0] = '"';
    size_t n = time_prefix(w, unix_ns, sec, text + 1);
    if (n == 0) {
        /* Unreachable with a 64-bit time_t: every int64 time formats. */
        w->rc = w->rc != 0 ? w->rc : TACHO_EINVAL;
        return;
    }
    int ms = (int)(rem / 1000000);
    char *p = text + 1 + n;
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    *p++ = (char)('0' + ms / 10 % 10);
    *p++ = (char)('0' + ms % 10);
    *p++ = 'Z';
    *p++ = '"';
    scalar(w, key, text, (size_t)(p - text));
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
