/*
 * The push client of the HTTP sinks: sends one rendered body per write()
 * with libcurl, reusing the connection, and maps the outcome onto the
 * dispatcher's OK / RETRY / ERROR.
 */
#ifndef TACHO_PLUGIN_HTTP_PUSH_H
#define TACHO_PLUGIN_HTTP_PUSH_H

#include <tacho/sink.h>

typedef struct tacho__http_push tacho__http_push_t;

/* True when `url` is an absolute http:// or https:// URL with a host. */
bool tacho__http_url_ok(const char *url);

/*
 * Makes a client that sends to `url` with `method` ("POST" or "PUT") and
 * `content_type`, giving up after `timeout` seconds. Returns 0 or
 * TACHO_ENOMEM. Ownership: strings are copied; free with
 * tacho__http_push_free(). Thread-safety: the control thread (it calls
 * curl_global_init).
 */
int tacho__http_push_create(const char *url, const char *method,
                            const char *content_type, double timeout,
                            tacho__http_push_t **out);

/*
 * Sends `len` bytes. Returns TACHO_SINK_OK on a 2xx answer; TACHO_SINK_RETRY
 * when the server could not be reached, timed out, or answered 5xx, 408 or
 * 429; TACHO_SINK_ERROR for any other answer. On failure `why` says what
 * happened. Thread-safety: one thread at a time per client.
 */
tacho_sink_result_t tacho__http_push_send(tacho__http_push_t *p,
                                          const char *body, size_t len,
                                          char *why, size_t why_size);

/* Accepts NULL. */
void tacho__http_push_free(tacho__http_push_t *p);

/* URL-escapes `s` into a string from tacho_malloc() (NULL on failure). */
char *tacho__http_escape(const char *s);

#endif /* TACHO_PLUGIN_HTTP_PUSH_H */
