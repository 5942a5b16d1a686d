/*
 * The HTTP server shared by the `prometheus` and `http_json` sinks: a
 * libmicrohttpd daemon (two epoll threads) with connection, timeout and
 * request size limits, keep-alive, GET/HEAD routing, gzip, optional
 * bearer/basic auth and optional TLS. The sink supplies the paths and one
 * handler that renders a body; the server does everything HTTP.
 */
#ifndef TACHO_PLUGIN_HTTP_SERVER_H
#define TACHO_PLUGIN_HTTP_SERVER_H

#include <tacho/sink.h>

#include "http_buf.h"

/*
 * The server's option table entries, for a sink's own table. `listen_def`
 * is the default address in config syntax, e.g. "\"127.0.0.1:9464\"".
 */
#define TACHO__HTTP_SERVER_OPTIONS(listen_def)                                 \
    {"listen", TACHO_OPT_STRING, listen_def,                                   \
     "Address to serve on: HOST:PORT, [IPV6]:PORT, or :PORT for every "        \
     "address (logged as a warning); \"\" serves nothing",                     \
     false},                                                                   \
        {"max_connections", TACHO_OPT_INT, "64",                               \
         "Open connections at most (1..10000)", false},                        \
        {"max_connections_per_ip", TACHO_OPT_INT, "16",                        \
         "Open connections from one client address at most (1..10000)",        \
         false},                                                               \
        {"timeout", TACHO_OPT_INT, "10",                                       \
         "Seconds before an idle connection is closed (1..3600)", false},      \
        {"auth_token_file", TACHO_OPT_STRING, NULL,                            \
         "File holding a bearer token that requests must send", false},        \
        {"auth_basic_file", TACHO_OPT_STRING, NULL,                            \
         "File holding user:password for HTTP basic authentication", false},   \
        {"tls_cert_file", TACHO_OPT_STRING, NULL,                              \
         "PEM certificate (chain): serve HTTPS; needs tls_key_file", false},   \
    {                                                                          \
        "tls_key_file", TACHO_OPT_STRING, NULL,                                \
            "PEM private key of tls_cert_file", false                          \
    }

/* Longest request path accepted; longer ones get 414. */
#define TACHO__HTTP_MAX_URL 2048

typedef struct tacho__http_server tacho__http_server_t;
typedef struct tacho__http_request tacho__http_request_t;

/* One path the server answers. */
typedef struct tacho__http_route {
    const char *path; /* exact match, copied */
    bool open;        /* served without credentials (health checks) */
} tacho__http_route_t;

/* One response header a handler adds, e.g. a Content-Security-Policy. */
typedef struct tacho__http_header {
    const char *name;
    const char *value;
} tacho__http_header_t;

/* What a handler fills in. The body buffer is the server's, kept between
 * requests; the handler only appends to it. */
typedef struct tacho__http_reply {
    unsigned status;          /* default 200 */
    const char *content_type; /* static text; default text/plain */
    tacho__http_buf_t *body;
    /* Extra headers: NULL (the default), or a static array ended by an
     * entry whose name is NULL. */
    const tacho__http_header_t *headers;
} tacho__http_reply_t;

/* Renders the answer to a GET or HEAD of routes[route]. Called on a server
 * thread, never concurrently with itself for one server. */
typedef void (*tacho__http_handler_fn)(void *arg,
                                       const tacho__http_request_t *req,
                                       size_t route, tacho__http_reply_t *rep);

/* A request header or query argument, or NULL; borrowed for the call. */
const char *tacho__http_request_header(const tacho__http_request_t *req,
                                       const char *name);
const char *tacho__http_request_query(const tacho__http_request_t *req,
                                      const char *name);

/*
 * Parses the server options (TACHO__HTTP_SERVER_OPTIONS) and reads the
 * credential and TLS files; binds nothing. With `listen = ""` the sink
 * serves nothing: returns 0 with `*out` NULL.
 * Returns 0, TACHO_EINVAL (explained with the option's file:line in `err`)
 * or TACHO_ENOMEM. Ownership: `routes` is copied; free `*out` with
 * tacho__http_server_free(). Thread-safety: the control thread.
 */
int tacho__http_server_create(tacho_sink_ctx_t *ctx,
                              const tacho_options_t *opts,
                              const tacho__http_route_t *routes,
                              size_t route_count,
                              tacho__http_handler_fn handler, void *arg,
                              tacho__http_server_t **out, tacho_error_t *err);

/*
 * Binds the address and starts the server threads. Returns 0,
 * TACHO_EADDRINUSE ("listen 127.0.0.1:9464: address already in use"),
 * TACHO_EACCES, TACHO_EIO or TACHO_ENOMEM, explained in `err`.
 */
int tacho__http_server_start(tacho__http_server_t *s, tacho_error_t *err);

/* Stops the threads and closes the socket; in-flight requests finish.
 * Accepts NULL and a server never started. */
void tacho__http_server_stop(tacho__http_server_t *s);

/* Stops if needed and frees. Accepts NULL. */
void tacho__http_server_free(tacho__http_server_t *s);

/* The q value (0..1) the header `value` gives `token` ("gzip",
 * "text/plain"; parameters other than q are ignored), or -1 when the token
 * is not listed. Case-insensitive. */
double tacho__http_accept_q(const char *value, const char *token);

#endif /* TACHO_PLUGIN_HTTP_SERVER_H */
