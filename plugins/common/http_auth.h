/*
 * Credentials of the HTTP sinks: a bearer token and/or a "user:password"
 * pair, each read from a file when the sink is created, and checked on
 * every request in constant time.
 */
#ifndef TACHO_PLUGIN_HTTP_AUTH_H
#define TACHO_PLUGIN_HTTP_AUTH_H

#include <tacho/sink.h>

typedef struct tacho__http_auth {
    char *bearer; /* "Bearer <token>", or NULL */
    size_t bearer_len;
    char *basic; /* "Basic <base64(user:password)>", or NULL */
    size_t basic_len;
} tacho__http_auth_t;

/*
 * Reads the files named by the options `auth_token_file` and
 * `auth_basic_file` (either, both or neither). Returns 0, TACHO_ENOMEM, or
 * TACHO_EINVAL with the option's file:line in `err` for a file that cannot
 * be read, is empty, or (basic) has no ':'.
 */
int tacho__http_auth_load(tacho__http_auth_t *a, const tacho_options_t *opts,
                          tacho_error_t *err);
/* Frees and wipes the credentials. */
void tacho__http_auth_free(tacho__http_auth_t *a);
/* True when a credential is configured. */
bool tacho__http_auth_enabled(const tacho__http_auth_t *a);
/* True when the Authorization header `value` (may be NULL) carries one of
 * the configured credentials. The comparison does not depend on where the
 * first difference is. */
bool tacho__http_auth_check(const tacho__http_auth_t *a, const char *value);

/*
 * Reads a whole file of at most `max` bytes into a NUL-terminated buffer
 * from tacho_malloc(). Returns 0, or a negative code with errno's text in
 * `why` (-EFBIG text for a larger file).
 */
int tacho__http_read_file(const char *path, size_t max, char **out, size_t *len,
                          char *why, size_t why_size);

/* Writes base64 of `n` bytes (the URL-safe alphabet when `url`), padded
 * and NUL-terminated, into `out`, which holds (n + 2) / 3 * 4 + 1 bytes. */
void tacho__http_base64(const void *data, size_t n, bool url, char *out);

#endif /* TACHO_PLUGIN_HTTP_AUTH_H */
