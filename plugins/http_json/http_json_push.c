/*
 * Push mode of the http_json sink: POSTs each delivered snapshot, as
 * schema-1 JSON, to `push_url` (see http_json.h).
 */
#include "http_json.h"

#include <tacho/json.h>

#include "http_push.h"

struct tacho__json_push {
    tacho_sink_ctx_t *ctx;
    tacho__http_push_t *client;
};

int tacho__json_push_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                            tacho__json_push_t **out, tacho_error_t *err)
{
    *out = NULL;
    const char *url = tacho_options_string(opts, "push_url");
    double timeout = tacho_options_float(opts, "push_timeout");
    if (url == NULL) {
        return 0;
    }
    if (!tacho__http_url_ok(url)) {
        return tacho_options_error(opts, "push_url", err, TACHO_EINVAL,
                                   "push_url '%s' is not an http:// or "
                                   "https:// URL",
                                   url);
    }
    if (!(timeout > 0 && timeout <= 3600)) {
        return tacho_options_error(opts, "push_timeout", err, TACHO_EINVAL,
                                   "push_timeout must be more than 0 and at "
                                   "most 3600 seconds, not %g",
                                   timeout);
    }
    tacho__json_push_t *p = tacho_calloc(1, sizeof(*p));
    if (p == NULL || tacho__http_push_create(url, "POST", "application/json",
                                             timeout, &p->client) != 0) {
        tacho_free(p);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    p->ctx = ctx;
    *out = p;
    return 0;
}

tacho_sink_result_t tacho__json_push_write(tacho__json_push_t *p,
                                           const tacho_snapshot_t *snap)
{
    char *json = NULL;
    size_t len = 0;
    if (tacho_json_render(snap, 0, &json, &len) != 0) {
        tacho_log(p->ctx, TACHO_LOG_ERROR, "push: out of memory");
        return TACHO_SINK_ERROR;
    }
    char why[512];
    tacho_sink_result_t res =
        tacho__http_push_send(p->client, json, len, why, sizeof(why));
    tacho_free(json);
    if (res != TACHO_SINK_OK) {
        /* Error level: the cause then shows as the sink's last error in its
         * health, even while retries keep the snapshot from being dropped. */
        tacho_log(p->ctx, TACHO_LOG_ERROR, "push failed: %s", why);
    }
    return res;
}

void tacho__json_push_free(tacho__json_push_t *p)
{
    if (p != NULL) {
        tacho__http_push_free(p->client);
        tacho_free(p);
    }
}
