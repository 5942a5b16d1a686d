/*
 * A growable byte buffer for the HTTP sinks: bodies are rendered into one
 * buffer that is kept between scrapes, so a steady scrape rate allocates
 * nothing once the buffer has grown to the body's size.
 */
#ifndef TACHO_PLUGIN_HTTP_BUF_H
#define TACHO_PLUGIN_HTTP_BUF_H

#include <tacho/common.h>

typedef struct tacho__http_buf {
    char *data; /* NUL-terminated while len < cap */
    size_t len;
    size_t cap;
    bool failed; /* an append ran out of memory; the text is incomplete */
} tacho__http_buf_t;

/* Empties the buffer and clears `failed`, keeping the memory. */
void tacho__http_buf_reset(tacho__http_buf_t *b);
/* Frees the memory; the buffer is empty and reusable afterwards. */
void tacho__http_buf_free(tacho__http_buf_t *b);
/* Makes room for `extra` more bytes. Returns 0 or TACHO_ENOMEM (and sets
 * `failed`). */
int tacho__http_buf_reserve(tacho__http_buf_t *b, size_t extra);
/* Appends bytes, a C string, or printf output. On allocation failure they
 * set `failed` and append nothing; callers check once at the end. */
void tacho__http_buf_add(tacho__http_buf_t *b, const void *p, size_t n);
void tacho__http_buf_puts(tacho__http_buf_t *b, const char *s);
void tacho__http_buf_printf(tacho__http_buf_t *b, const char *fmt, ...)
    TACHO_PRINTF(2, 3);

#endif /* TACHO_PLUGIN_HTTP_BUF_H */
