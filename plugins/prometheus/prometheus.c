/*
 * The `prometheus` sink: serves the metrics for Prometheus to scrape (text
 * format 0.0.4, or OpenMetrics 1.0 when the scraper asks for it) and can
 * also push them to a Pushgateway or a VictoriaMetrics import endpoint at
 * each interval.
 *
 * A scrape takes a fresh snapshot through the host, so the numbers are as
 * of the scrape, not of the last interval; write() only pushes.
 */
#include <stdio.h>
#include <string.h>
#include <tacho/sink.h>

#include "http_auth.h"
#include "http_push.h"
#include "http_server.h"
#include "prometheus.h"

typedef struct prom {
    tacho_sink_ctx_t *ctx;
    char *prefix;
    char *labels; /* ',name="value"...' escaped, or "" */
    tacho__http_server_t *server;
    tacho__prom_scratch_t scrape; /* used under the server's lock */
    tacho__http_push_t *push;
    tacho__prom_scratch_t push_scratch; /* used by write() only */
    tacho__http_buf_t push_body;
} prom_t;

static const tacho_option_spec_t options[] = {
    TACHO__HTTP_SERVER_OPTIONS("\"127.0.0.1:9464\""),
    {"path", TACHO_OPT_STRING, "\"/metrics\"", "Path that serves the metrics",
     false},
    {"prefix", TACHO_OPT_STRING, "\"tacho_\"",
     "Prepended to every metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", false},
    {"labels", TACHO_OPT_STRING_MAP, "{}",
     "Constant labels added to every sample, e.g. { region = \"eu\"; }", false},
    {"push_url", TACHO_OPT_STRING, NULL,
     "Base URL to push to at each interval (Pushgateway or VictoriaMetrics)",
     false},
    {"push_format", TACHO_OPT_STRING, "\"pushgateway\"",
     "\"pushgateway\": PUT <push_url>/metrics/job/<job>/instance/<worker>; "
     "\"import\": POST <push_url>/api/v1/import/prometheus",
     false},
    {"push_job", TACHO_OPT_STRING, "\"tacho\"", "Job name of pushed metrics",
     false},
    {"push_timeout", TACHO_OPT_FLOAT, "5",
     "Seconds a push may take (0 < t <= 3600)", false},
    {NULL, 0, NULL, NULL, false},
};

/* ---- scraping ----------------------------------------------------------- */

/* OpenMetrics only when the scraper prefers it to the text format. */
static bool wants_openmetrics(const char *accept)
{
    if (accept == NULL) {
        return false;
    }
    double om = tacho__http_accept_q(accept, "application/openmetrics-text");
    double text = tacho__http_accept_q(accept, "text/plain");
    return om > 0 && om >= text;
}

static void on_scrape(void *arg, const tacho__http_request_t *req, size_t route,
                      tacho__http_reply_t *rep)
{
    prom_t *p = arg;
    tacho_snapshot_t *snap = NULL;
    int rc = tacho_sink_snapshot(p->ctx, &snap);
    if (rc != 0) {
        rep->status = 500;
        tacho__http_buf_printf(rep->body, "cannot take a snapshot: %s\n",
                               tacho_strerror(rc));
        return;
    }
    tacho__prom_format_t fmt = {p->prefix, p->labels, false};
    fmt.openmetrics =
        wants_openmetrics(tacho__http_request_header(req, "Accept"));
    tacho__prom_render(snap, &fmt, &p->scrape, rep->body);
    tacho_snapshot_free(snap);
    rep->content_type =
        fmt.openmetrics ? TACHO__PROM_OPENMETRICS_TYPE : TACHO__PROM_TEXT_TYPE;
}

/* ---- options ------------------------------------------------------------ */

/* The host's own label names and those the format uses are refused, so a
 * constant label can never clash with a sample's labels. */
static bool reserved_label(const char *name)
{
    static const char *const names[] = {
        "worker", "pipeline", "sink", "plugin", "le", "quantile", "version"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int build_labels(prom_t *p, const tacho_options_t *opts,
                        tacho_error_t *err)
{
    tacho__http_buf_t b = {0};
    tacho__http_buf_puts(&b, "");
    for (size_t i = 0; i < tacho_options_count(opts, "labels"); i++) {
        const char *k = tacho_options_map_key(opts, "labels", i);
        if (!tacho__prom_valid_label(k) || reserved_label(k)) {
            tacho__http_buf_free(&b);
            return tacho_options_error(
                opts, "labels", err, TACHO_EINVAL,
                "labels: '%s' is not a usable label name (use "
                "[a-zA-Z_][a-zA-Z0-9_]*, not starting with \"__\", and none "
                "of worker, pipeline, sink, plugin, le, quantile, version)",
                k);
        }
        tacho__http_buf_printf(&b, ",%s=\"", k);
        tacho__prom_escape(&b, tacho_options_map_value(opts, "labels", i));
        tacho__http_buf_puts(&b, "\"");
    }
    if (b.failed) {
        tacho__http_buf_free(&b);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    p->labels = b.data;
    return 0;
}

static int check_path(const tacho_options_t *opts, tacho_error_t *err)
{
    const char *path = tacho_options_string(opts, "path");
    if (path[0] != '/' || strpbrk(path, " \t\r\n?#") != NULL ||
        strlen(path) > TACHO__HTTP_MAX_URL) {
        return tacho_options_error(opts, "path", err, TACHO_EINVAL,
                                   "path '%s' must start with '/' and hold no "
                                   "spaces, '?' or '#'",
                                   path);
    }
    return 0;
}

static int check_prefix(prom_t *p, const tacho_options_t *opts,
                        tacho_error_t *err)
{
    const char *prefix = tacho_options_string(opts, "prefix");
    if (!tacho__prom_valid_prefix(prefix)) {
        return tacho_options_error(opts, "prefix", err, TACHO_EINVAL,
                                   "prefix '%s' is not a metric name start "
                                   "([a-zA-Z_:][a-zA-Z0-9_:]*)",
                                   prefix);
    }
    p->prefix = tacho_strdup(prefix);
    return p->prefix == NULL
               ? tacho_error_set(err, TACHO_ENOMEM, "out of memory")
               : 0;
}

/* ---- push --------------------------------------------------------------- */

/* A grouping label in a Pushgateway path: as is when URL-safe, otherwise
 * in URL-safe base64 under "<key>@base64" ("=" for an empty value). */
static void grouping_label(tacho__http_buf_t *b, const char *key,
                           const char *value)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
    size_t n = strlen(value);
    if (n > 0 && strspn(value, safe) == n) {
        tacho__http_buf_printf(b, "/%s/%s", key, value);
        return;
    }
    char *enc = tacho_malloc((n + 2) / 3 * 4 + 1);
    if (enc == NULL) {
        b->failed = true;
        return;
    }
    tacho__http_base64(value, n, true, enc);
    tacho__http_buf_printf(b, "/%s@base64/%s", key, n > 0 ? enc : "=");
    tacho_free(enc);
}

static int push_target(prom_t *p, const tacho_options_t *opts,
                       tacho__http_buf_t *url, const char **method)
{
    const char *base = tacho_options_string(opts, "push_url");
    const char *job = tacho_options_string(opts, "push_job");
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') {
        n--;
    }
    tacho__http_buf_add(url, base, n);
    if (strcmp(tacho_options_string(opts, "push_format"), "import") == 0) {
        char *enc = tacho__http_escape(job);
        tacho__http_buf_printf(url,
                               "/api/v1/import/prometheus?extra_label=job=%s",
                               enc != NULL ? enc : "");
        url->failed |= enc == NULL;
        tacho_free(enc);
        *method = "POST";
    } else {
        tacho__http_buf_puts(url, "/metrics");
        grouping_label(url, "job", job);
        grouping_label(url, "instance", tacho_sink_worker_id(p->ctx));
        *method = "PUT";
    }
    return url->failed ? TACHO_ENOMEM : 0;
}

static int check_push(const tacho_options_t *opts, tacho_error_t *err)
{
    const char *url = tacho_options_string(opts, "push_url");
    const char *format = tacho_options_string(opts, "push_format");
    double timeout = tacho_options_float(opts, "push_timeout");
    if (!tacho__http_url_ok(url)) {
        return tacho_options_error(opts, "push_url", err, TACHO_EINVAL,
                                   "push_url '%s' is not an http:// or "
                                   "https:// URL",
                                   url);
    }
    if (strcmp(format, "pushgateway") != 0 && strcmp(format, "import") != 0) {
        return tacho_options_error(opts, "push_format", err, TACHO_EINVAL,
                                   "push_format must be \"pushgateway\" or "
                                   "\"import\", not \"%s\"",
                                   format);
    }
    if (!(timeout > 0 && timeout <= 3600)) {
        return tacho_options_error(opts, "push_timeout", err, TACHO_EINVAL,
                                   "push_timeout must be more than 0 and at "
                                   "most 3600 seconds, not %g",
                                   timeout);
    }
    if (tacho_options_string(opts, "push_job")[0] == '\0') {
        return tacho_options_error(opts, "push_job", err, TACHO_EINVAL,
                                   "push_job must not be empty");
    }
    return 0;
}

static int setup_push(prom_t *p, const tacho_options_t *opts,
                      tacho_error_t *err)
{
    if (tacho_options_string(opts, "push_url") == NULL) {
        return 0;
    }
    int rc = check_push(opts, err);
    if (rc != 0) {
        return rc;
    }
    tacho__http_buf_t url = {0};
    const char *method = NULL;
    rc = push_target(p, opts, &url, &method);
    if (rc == 0) {
        rc = tacho__http_push_create(url.data, method, TACHO__PROM_TEXT_TYPE,
                                     tacho_options_float(opts, "push_timeout"),
                                     &p->push);
    }
    tacho__http_buf_free(&url);
    return rc != 0 ? tacho_error_set(err, rc, "out of memory") : 0;
}

/* ---- the lifecycle ------------------------------------------------------ */

static void prom_destroy(void *state)
{
    prom_t *p = state;
    if (p == NULL) {
        return;
    }
    tacho__http_server_free(p->server);
    tacho__http_push_free(p->push);
    tacho__prom_scratch_free(&p->scrape);
    tacho__prom_scratch_free(&p->push_scratch);
    tacho__http_buf_free(&p->push_body);
    tacho_free(p->prefix);
    tacho_free(p->labels);
    tacho_free(p);
}

static int prom_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                       void **state, tacho_error_t *err)
{
    prom_t *p = tacho_calloc(1, sizeof(*p));
    if (p == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    p->ctx = ctx;
    int rc = check_path(opts, err);
    if (rc == 0) {
        rc = check_prefix(p, opts, err);
    }
    if (rc == 0) {
        rc = build_labels(p, opts, err);
    }
    if (rc == 0) {
        tacho__http_route_t route = {tacho_options_string(opts, "path"), false};
        rc = tacho__http_server_create(ctx, opts, &route, 1, on_scrape, p,
                                       &p->server, err);
    }
    if (rc == 0) {
        rc = setup_push(p, opts, err);
    }
    if (rc != 0) {
        prom_destroy(p);
        return rc;
    }
    *state = p;
    return 0;
}

static int prom_start(void *state, tacho_error_t *err)
{
    prom_t *p = state;
    return p->server != NULL ? tacho__http_server_start(p->server, err) : 0;
}

/* Pushes the delivered snapshot when push_url is set; a pull-only sink has
 * nothing to do here, since each scrape takes its own snapshot. */
static tacho_sink_result_t prom_write(void *state, const tacho_snapshot_t *snap)
{
    prom_t *p = state;
    if (p->push == NULL) {
        return TACHO_SINK_OK;
    }
    tacho__prom_format_t fmt = {p->prefix, p->labels, false};
    tacho__http_buf_reset(&p->push_body);
    tacho__prom_render(snap, &fmt, &p->push_scratch, &p->push_body);
    if (p->push_body.failed) {
        tacho_log(p->ctx, TACHO_LOG_ERROR, "push: out of memory");
        return TACHO_SINK_ERROR;
    }
    char why[512];
    tacho_sink_result_t res = tacho__http_push_send(
        p->push, p->push_body.data, p->push_body.len, why, sizeof(why));
    if (res != TACHO_SINK_OK) {
        /* Error level: the cause then shows as the sink's last error in its
         * health, even while retries keep the snapshot from being dropped. */
        tacho_log(p->ctx, TACHO_LOG_ERROR, "push failed: %s", why);
    }
    return res;
}

static void prom_stop(void *state)
{
    prom_t *p = state;
    tacho__http_server_stop(p->server);
}

TACHO_SINK_DEFINE(prometheus) = {
    TACHO_SINK_ABI_VERSION,
    sizeof(tacho_sink_descriptor_t),
    "prometheus",
    "Serves the metrics to Prometheus (text 0.0.4 / OpenMetrics) and can "
    "push them",
    TACHO_VERSION_STRING,
    options,
    prom_create,
    prom_start,
    prom_write,
    NULL,
    NULL,
    prom_stop,
    prom_destroy,
};
