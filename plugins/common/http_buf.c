/*
 * The growable buffer behind every rendered body (see http_buf.h).
 */
#include "http_buf.h"

#include <stdio.h>
#include <string.h>

void tacho__http_buf_reset(tacho__http_buf_t *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

void tacho__http_buf_free(tacho__http_buf_t *b)
{
    tacho_free(b->data);
    *b = (tacho__http_buf_t){0};
}

int tacho__http_buf_reserve(tacho__http_buf_t *b, size_t extra)
{
    if (b->failed) {
        return TACHO_ENOMEM;
    }
    /* One byte more than asked keeps room for the terminator. */
    if (b->cap - b->len > extra) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= extra) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return TACHO_ENOMEM;
        }
        cap *= 2;
    }
    char *p = tacho_realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return TACHO_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void tacho__http_buf_add(tacho__http_buf_t *b, const void *p, size_t n)
{
    if (tacho__http_buf_reserve(b, n) != 0) {
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tacho__http_buf_puts(tacho__http_buf_t *b, const char *s)
{
    tacho__http_buf_add(b, s, strlen(s));
}

void tacho__http_buf_printf(tacho__http_buf_t *b, const char *fmt, ...)
{
    /* Most lines fit in what is already free, so try once in place. */
    if (tacho__http_buf_reserve(b, 128) != 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (tacho__http_buf_reserve(b, (size_t)n) != 0) {
            b->data[b->len] = '\0';
            return;
        }
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}
