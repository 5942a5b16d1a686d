/*
 * Private to the http_json sink: its push mode (http_json_push.c), used by
 * write() in http_json.c.
 */
#ifndef TACHO_SINK_HTTP_JSON_H
#define TACHO_SINK_HTTP_JSON_H

#include <tacho/sink.h>

typedef struct tacho__json_push tacho__json_push_t;

/*
 * Reads `push_url` and `push_timeout`. With no push_url there is nothing
 * to push: returns 0 with `*out` NULL. Returns TACHO_EINVAL (explained with
 * the option's file:line) or TACHO_ENOMEM.
 * Ownership: free `*out` with tacho__json_push_free().
 */
int tacho__json_push_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                            tacho__json_push_t **out, tacho_error_t *err);

/* POSTs the snapshot as schema-1 JSON; OK on 2xx, RETRY when the receiver
 * is unreachable, times out or answers 5xx/408/429, ERROR otherwise. */
tacho_sink_result_t tacho__json_push_write(tacho__json_push_t *p,
                                           const tacho_snapshot_t *snap);

/* Accepts NULL. */
void tacho__json_push_free(tacho__json_push_t *p);

#endif /* TACHO_SINK_HTTP_JSON_H */
