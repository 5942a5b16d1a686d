/*
 * The HTTP server of the pull sinks (see http_server.h): option parsing,
 * the libmicrohttpd daemon, routing, credentials and gzip.
 *
 * Bodies are rendered into one buffer the server keeps, under a mutex, so
 * a steady scrape rate allocates nothing; libmicrohttpd copies the bytes
 * into its response before the mutex is released.
 */
#include "http_server.h"

#include "http_auth.h"
#include "http_listen.h"

#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define THREADS 2
#define MEMORY_PER_CONNECTION (16 * 1024) /* bounds request headers */
#define TLS_FILE_MAX (1024 * 1024)
#define ALLOW "GET, HEAD"

struct tacho__http_server {
    tacho_sink_ctx_t *ctx;
    tacho__http_addr_t addr;
    unsigned max_connections;
    unsigned max_per_ip;
    unsigned timeout;
    tacho__http_auth_t auth;
    char *tls_cert; /* PEM text, or NULL for plain HTTP */
    char *tls_key;
    size_t tls_key_len;
    char **paths;
    bool *open;
    size_t route_count;
    tacho__http_handler_fn handler;
    void *arg;
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock; /* one render at a time; guards what follows */
    tacho__http_buf_t body;
    tacho__http_buf_t gz;
    z_stream z;
    bool z_ready;
};

struct tacho__http_request {
    struct MHD_Connection *conn;
};

const char *tacho__http_request_header(const tacho__http_request_t *req,
                                       const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *tacho__http_request_query(const tacho__http_request_t *req,
                                      const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- responses ---------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
                                 const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ALLOW);
    }
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_unauthorized(const tacho__http_server_t *s,
                                         struct MHD_Connection *conn)
{
    static const char text[] = "credentials required\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    if (s->auth.bearer != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"tacho\"");
    }
    if (s->auth.basic != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"tacho\", charset=\"UTF-8\"");
    }
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- gzip --------------------------------------------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    return tacho_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    tacho_free(p);
}

/* Compresses `n` bytes into s->gz, reusing one deflate state. */
static int gzip(tacho__http_server_t *s, const char *in, size_t n)
{
    if (n > UINT_MAX / 2) {
        return TACHO_EINVAL;
    }
    if (!s->z_ready) {
        s->z = (z_stream){.zalloc = z_alloc, .zfree = z_free};
        if (deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            return TACHO_ENOMEM;
        }
        s->z_ready = true;
    } else if (deflateReset(&s->z) != Z_OK) {
        return TACHO_EIO;
    }
    uLong bound = deflateBound(&s->z, (uLong)n);
    tacho__http_buf_reset(&s->gz);
    if (tacho__http_buf_reserve(&s->gz, bound) != 0) {
        return TACHO_ENOMEM;
    }
    s->z.next_in = (Bytef *)in;
    s->z.avail_in = (uInt)n;
    s->z.next_out = (Bytef *)s->gz.data;
    s->z.avail_out = (uInt)bound;
    if (deflate(&s->z, Z_FINISH) != Z_STREAM_END) {
        return TACHO_EIO;
    }
    s->gz.len = bound - s->z.avail_out;
    return 0;
}

static bool wants_gzip(struct MHD_Connection *conn)
{
    const char *v = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (v == NULL) {
        return false;
    }
    double q = tacho__http_accept_q(v, "gzip");
    if (q < 0) {
        q = tacho__http_accept_q(v, "*");
    }
    return q > 0;
}

/* ---- serving ------------------------------------------------------------ */

/* Renders under the lock and hands libmicrohttpd a copy of the bytes. */
static struct MHD_Response *render(tacho__http_server_t *s,
                                   struct MHD_Connection *conn, size_t route,
                                   tacho__http_reply_t *rep, bool *gzipped)
{
    tacho__http_buf_reset(&s->body);
    tacho__http_request_t req = {conn};
    s->handler(s->arg, &req, route, rep);
    if (s->body.failed) {
        tacho__http_buf_reset(&s->body);
        tacho__http_buf_puts(&s->body, "out of memory\n");
        rep->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        rep->content_type = "text/plain; charset=utf-8";
    }
    const char *data = s->body.len > 0 ? s->body.data : "";
    size_t len = s->body.len;
    *gzipped = len > 0 && wants_gzip(conn) && gzip(s, data, len) == 0;
    if (*gzipped) {
        data = s->gz.data;
        len = s->gz.len;
    }
    return MHD_create_response_from_buffer(len, (void *)data,
                                           MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result serve(tacho__http_server_t *s,
                             struct MHD_Connection *conn, size_t route)
{
    tacho__http_reply_t rep = {MHD_HTTP_OK, "text/plain; charset=utf-8",
                               &s->body, NULL};
    bool gzipped = false;
    pthread_mutex_lock(&s->lock);
    struct MHD_Response *r = render(s, conn, route, &rep, &gzipped);
    pthread_mutex_unlock(&s->lock);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep.content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                            MHD_HTTP_HEADER_ACCEPT_ENCODING);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (gzipped) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    }
    for (const tacho__http_header_t *h = rep.headers;
         h != NULL && h->name != NULL; h++) {
        MHD_add_response_header(r, h->name, h->value);
    }
    enum MHD_Result rc = MHD_queue_response(conn, rep.status, r);
    MHD_destroy_response(r);
    return rc;
}

static bool find_route(const tacho__http_server_t *s, const char *url,
                       size_t *route)
{
    for (size_t i = 0; i < s->route_count; i++) {
        if (strcmp(s->paths[i], url) == 0) {
            *route = i;
            return true;
        }
    }
    return false;
}

/* The answer to a request, from its headers alone: no route takes a body. */
static enum MHD_Result answer(tacho__http_server_t *s,
                              struct MHD_Connection *conn, const char *url,
                              const char *method)
{
    size_t route = 0;
    if (strlen(url) > TACHO__HTTP_MAX_URL) {
        return send_text(conn, MHD_HTTP_URI_TOO_LONG, "URI too long\n");
    }
    if (!find_route(s, url, &route)) {
        return send_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                         "method not allowed: use GET or HEAD\n");
    }
    if (!s->open[route] && tacho__http_auth_enabled(&s->auth) &&
        !tacho__http_auth_check(&s->auth, MHD_lookup_connection_value(
                                              conn, MHD_HEADER_KIND,
                                              MHD_HTTP_HEADER_AUTHORIZATION))) {
        return send_unauthorized(s, conn);
    }
    return serve(s, conn, route);
}

/* True when the request announces a body (a Content-Length above 0, or a
 * Transfer-Encoding). libmicrohttpd has already refused malformed values. */
static bool has_body(struct MHD_Connection *conn)
{
    if (MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL) {
        return true;
    }
    const char *length = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return length != NULL && strtoull(length, NULL, 10) > 0;
}

/*
 * libmicrohttpd calls this once with the headers, then once per piece of
 * body, then once more when the request has been read whole. An answer
 * queued on the first call makes it stop reading and close the connection
 * after the answer, so a request without a body is answered on the last
 * call, and the connection stays open for the next request (HTTP/1.1, or
 * HTTP/1.0 with "Connection: keep-alive", unless the client asks to close).
 * A request with a body is answered on the first call: the body is never
 * read, and closing is then what frees the connection at once instead of
 * waiting for a body of any size.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    static char headers_seen; /* a request's mark; nothing to free */
    tacho__http_server_t *s = cls;
    if (*req_cls == NULL && !has_body(conn)) {
        *req_cls = &headers_seen;
        return MHD_YES;
    }
    return answer(s, conn, url, method);
}

/* libmicrohttpd's own complaints (malformed requests, limits reached) are
 * about clients, not the worker: they go to the debug level. */
static void mhd_log(void *cls, const char *fmt, va_list ap) TACHO_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    tacho__http_server_t *s = cls;
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\r\n")] = '\0';
    tacho_log(s->ctx, TACHO_LOG_DEBUG, "libmicrohttpd: %s", text);
}

/* ---- options ------------------------------------------------------------ */

static int int_option(const tacho_options_t *opts, const char *name,
                      int64_t min, int64_t max, unsigned *out,
                      tacho_error_t *err)
{
    int64_t v = tacho_options_int(opts, name);
    if (v < min || v > max) {
        return tacho_options_error(opts, name, err, TACHO_EINVAL,
                                   "%s must be %" PRId64 "..%" PRId64
                                   ", not %" PRId64,
                                   name, min, max, v);
    }
    *out = (unsigned)v;
    return 0;
}

static int read_tls_file(const tacho_options_t *opts, const char *name,
                         char **out, size_t *len, tacho_error_t *err)
{
    const char *path = tacho_options_string(opts, name);
    char why[256];
    int rc =
        tacho__http_read_file(path, TLS_FILE_MAX, out, len, why, sizeof(why));
    if (rc != 0) {
        return tacho_options_error(opts, name, err,
                                   rc == TACHO_ENOMEM ? rc : TACHO_EINVAL,
                                   "%s '%s': %s", name, path, why);
    }
    return 0;
}

static int tls_options(tacho__http_server_t *s, const tacho_options_t *opts,
                       tacho_error_t *err)
{
    bool cert = tacho_options_string(opts, "tls_cert_file") != NULL;
    bool key = tacho_options_string(opts, "tls_key_file") != NULL;
    if (cert != key) {
        return tacho_options_error(
            opts, cert ? "tls_cert_file" : "tls_key_file", err, TACHO_EINVAL,
            "tls_cert_file and tls_key_file must be set together");
    }
    if (!cert) {
        return 0;
    }
    size_t len = 0;
    int rc = read_tls_file(opts, "tls_cert_file", &s->tls_cert, &len, err);
    if (rc == 0) {
        rc = read_tls_file(opts, "tls_key_file", &s->tls_key, &s->tls_key_len,
                           err);
    }
    return rc;
}

static int parse_options(tacho__http_server_t *s, const tacho_options_t *opts,
                         tacho_error_t *err)
{
    const char *listen = tacho_options_string(opts, "listen");
    char why[256] = "";
    if (tacho__http_addr_parse(listen, &s->addr, why, sizeof(why)) != 0) {
        return tacho_options_error(opts, "listen", err, TACHO_EINVAL,
                                   "listen '%s': %s", listen, why);
    }
    int rc =
        int_option(opts, "max_connections", 1, 10000, &s->max_connections, err);
    if (rc == 0) {
        rc = int_option(opts, "max_connections_per_ip", 1, 10000,
                        &s->max_per_ip, err);
    }
    if (rc == 0) {
        rc = int_option(opts, "timeout", 1, 3600, &s->timeout, err);
    }
    if (rc == 0) {
        rc = tacho__http_auth_load(&s->auth, opts, err);
    }
    if (rc == 0) {
        rc = tls_options(s, opts, err);
    }
    return rc;
}

static int copy_routes(tacho__http_server_t *s,
                       const tacho__http_route_t *routes, size_t n)
{
    s->paths = tacho_calloc(n, sizeof(*s->paths));
    s->open = tacho_calloc(n, sizeof(*s->open));
    if (s->paths == NULL || s->open == NULL) {
        return TACHO_ENOMEM;
    }
    s->route_count = n;
    for (size_t i = 0; i < n; i++) {
        s->paths[i] = tacho_strdup(routes[i].path);
        s->open[i] = routes[i].open;
        if (s->paths[i] == NULL) {
            return TACHO_ENOMEM;
        }
    }
    return 0;
}

int tacho__http_server_create(tacho_sink_ctx_t *ctx,
                              const tacho_options_t *opts,
                              const tacho__http_route_t *routes,
                              size_t route_count,
                              tacho__http_handler_fn handler, void *arg,
                              tacho__http_server_t **out, tacho_error_t *err)
{
    *out = NULL;
    const char *listen = tacho_options_string(opts, "listen");
    if (listen == NULL || listen[0] == '\0') {
        return 0;
    }
    tacho__http_server_t *s = tacho_calloc(1, sizeof(*s));
    if (s == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    s->ctx = ctx;
    s->handler = handler;
    s->arg = arg;
    pthread_mutex_init(&s->lock, NULL);
    int rc = parse_options(s, opts, err);
    if (rc == 0 && copy_routes(s, routes, route_count) != 0) {
        rc = tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        tacho__http_server_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- running ------------------------------------------------------------ */

static void log_listening(tacho__http_server_t *s, int fd)
{
    char where[TACHO__HTTP_ADDR_TEXT_MAX];
    tacho__http_sockname(fd, where, sizeof(where));
    if (s->addr.wildcard) {
        tacho_log(s->ctx, TACHO_LOG_WARNING,
                  "listen %s: serving on every network address, so anyone "
                  "who can reach this host can read the metrics%s; use "
                  "127.0.0.1:PORT to keep them local",
                  s->addr.text,
                  tacho__http_auth_enabled(&s->auth)
                      ? ""
                      : " (and no credential is required)");
    }
    tacho_log(s->ctx, TACHO_LOG_INFO, "listening on %s://%s%s",
              s->tls_cert != NULL ? "https" : "http", where, s->paths[0]);
}

static struct MHD_Daemon *start_daemon(tacho__http_server_t *s, int fd,
                                       bool ipv6)
{
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    if (s->tls_cert != NULL) {
        flags |= MHD_USE_TLS;
    }
    if (ipv6) {
        flags |= MHD_USE_IPv6;
    }
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)THREADS, MHD_OPTION_CONNECTION_LIMIT, s->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, s->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_PER_CONNECTION,
        MHD_OPTION_ARRAY, s->tls_cert != NULL ? tls : tls + 2, MHD_OPTION_END);
}

int tacho__http_server_start(tacho__http_server_t *s, tacho_error_t *err)
{
    int fd = tacho__http_addr_bind(&s->addr, err);
    if (fd < 0) {
        return fd;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    s->daemon = start_daemon(s, fd, ss.ss_family == AF_INET6);
    if (s->daemon == NULL) {
        close(fd);
        return tacho_error_set(
            err, TACHO_EIO, "listen %s: cannot start the HTTP server%s",
            s->addr.text,
            s->tls_cert != NULL
                ? " (check that tls_cert_file and tls_key_file hold a PEM "
                  "certificate and its key)"
                : "");
    }
    log_listening(s, fd);
    return 0;
}

void tacho__http_server_stop(tacho__http_server_t *s)
{
    if (s != NULL && s->daemon != NULL) {
        /* This also closes the listening socket. */
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
    }
}

void tacho__http_server_free(tacho__http_server_t *s)
{
    if (s == NULL) {
        return;
    }
    tacho__http_server_stop(s);
    for (size_t i = 0; s->paths != NULL && i < s->route_count; i++) {
        tacho_free(s->paths[i]);
    }
    tacho_free(s->paths);
    tacho_free(s->open);
    tacho__http_auth_free(&s->auth);
    tacho_free(s->tls_cert);
    if (s->tls_key != NULL) {
        memset(s->tls_key, 0, s->tls_key_len);
    }
    tacho_free(s->tls_key);
    tacho__http_buf_free(&s->body);
    tacho__http_buf_free(&s->gz);
    if (s->z_ready) {
        deflateEnd(&s->z);
    }
    pthread_mutex_destroy(&s->lock);
    tacho_free(s);
}
