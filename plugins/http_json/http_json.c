/*
 * The `http_json` sink: serves the metrics as JSON over HTTP, in the tacho
 * schema v1 (/metrics.json) and in the replaced system's `worker.metrics`
 * shape (/worker.metrics bare, /trpc/worker.metrics in its tRPC envelope),
 * plus /healthz and a live dashboard at / (dashboard.c) that reads
 * /metrics.json; and can POST each delivered snapshot to `push_url`.
 *
 * Each request takes a fresh snapshot through the host.
 */
#include <string.h>
#include <tacho/json.h>
#include <tacho/sink.h>

#include "dashboard.h"
#include "http_json.h"
#include "http_server.h"

#define JSON_TYPE "application/json"

/* /metrics.json stays first: the server logs the first path as the URL it
 * serves. The dashboard's paths come last. */
enum route {
    METRICS_JSON,
    WORKER_METRICS,
    TRPC_WORKER_METRICS,
    HEALTHZ,
    DASHBOARD
};

static const tacho__http_route_t routes[] = {
    [METRICS_JSON] = {"/metrics.json", false},
    [WORKER_METRICS] = {"/worker.metrics", false},
    [TRPC_WORKER_METRICS] = {"/trpc/worker.metrics", false},
    [HEALTHZ] = {"/healthz", true},
    TACHO__DASHBOARD_ROUTES,
};

typedef struct http_json {
    tacho_sink_ctx_t *ctx;
    tacho__http_server_t *server;
    tacho__json_push_t *push;
} http_json_t;

static const tacho_option_spec_t options[] = {
    TACHO__HTTP_SERVER_OPTIONS("\"127.0.0.1:9465\""),
    {"push_url", TACHO_OPT_STRING, NULL,
     "URL to POST each snapshot to, as schema-1 JSON", false},
    {"push_timeout", TACHO_OPT_FLOAT, "5",
     "Seconds a push may take (0 < t <= 3600)", false},
    {NULL, 0, NULL, NULL, false},
};

static bool pretty(const tacho__http_request_t *req)
{
    const char *v = tacho__http_request_query(req, "pretty");
    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static int render(const tacho_snapshot_t *snap, size_t route, unsigned flags,
                  char **json, size_t *len)
{
    if (route == METRICS_JSON) {
        return tacho_json_render(snap, flags, json, len);
    }
    if (route == TRPC_WORKER_METRICS) {
        flags |= TACHO_JSON_TRPC_ENVELOPE;
    }
    return tacho_json_render_legacy(snap, flags, json, len);
}

static void on_request(void *arg, const tacho__http_request_t *req,
                       size_t route, tacho__http_reply_t *rep)
{
    http_json_t *h = arg;
    if (route >= DASHBOARD) {
        tacho__dashboard_serve(route - DASHBOARD, rep);
        return;
    }
    if (route == HEALTHZ) {
        tacho__http_buf_puts(rep->body, "ok\n");
        return;
    }
    tacho_snapshot_t *snap = NULL;
    char *json = NULL;
    size_t len = 0;
    int rc = tacho_sink_snapshot(h->ctx, &snap);
    if (rc == 0) {
        rc = render(snap, route, pretty(req) ? TACHO_JSON_PRETTY : 0, &json,
                    &len);
    }
    tacho_snapshot_free(snap);
    if (rc != 0) {
        rep->status = 500;
        tacho__http_buf_printf(rep->body, "cannot render the metrics: %s\n",
                               tacho_strerror(rc));
        return;
    }
    tacho__http_buf_add(rep->body, json, len);
    tacho_free(json);
    rep->content_type = JSON_TYPE;
}

static void hj_destroy(void *state)
{
    http_json_t *h = state;
    if (h != NULL) {
        tacho__http_server_free(h->server);
        tacho__json_push_free(h->push);
        tacho_free(h);
    }
}

static int hj_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                     void **state, tacho_error_t *err)
{
    http_json_t *h = tacho_calloc(1, sizeof(*h));
    if (h == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    h->ctx = ctx;
    int rc = tacho__http_server_create(ctx, opts, routes,
                                       sizeof(routes) / sizeof(routes[0]),
                                       on_request, h, &h->server, err);
    if (rc == 0) {
        rc = tacho__json_push_create(ctx, opts, &h->push, err);
    }
    if (rc != 0) {
        hj_destroy(h);
        return rc;
    }
    *state = h;
    return 0;
}

static int hj_start(void *state, tacho_error_t *err)
{
    http_json_t *h = state;
    return h->server != NULL ? tacho__http_server_start(h->server, err) : 0;
}

/* Pushes when push_url is set; serving needs nothing from write(). */
static tacho_sink_result_t hj_write(void *state, const tacho_snapshot_t *snap)
{
    http_json_t *h = state;
    return h->push != NULL ? tacho__json_push_write(h->push, snap)
                           : TACHO_SINK_OK;
}

static void hj_stop(void *state)
{
    http_json_t *h = state;
    tacho__http_server_stop(h->server);
}

TACHO_SINK_DEFINE(http_json) = {
    TACHO_SINK_ABI_VERSION,
    sizeof(tacho_sink_descriptor_t),
    "http_json",
    "Serves the metrics as JSON over HTTP (schema v1 and worker.metrics) and "
    "can POST them",
    TACHO_VERSION_STRING,
    options,
    hj_create,
    hj_start,
    hj_write,
    NULL,
    NULL,
    hj_stop,
    hj_destroy,
};
