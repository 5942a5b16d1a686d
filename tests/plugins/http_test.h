/*
 * Shared by the HTTP sink suites (test_prometheus, test_http_json,
 * test_http_server), on top of sink_test.h: hosts whose sink listens on a
 * free port or pushes to a receiver, option errors, requests made with
 * libcurl, raw connections that send several requests and read whole
 * answers, and a loopback HTTP receiver (libmicrohttpd) that answers with a
 * scripted list of statuses and keeps what it got.
 * Header-only (static functions) so each suite stays one executable.
 */
#ifndef TACHO_HTTP_TEST_H
#define TACHO_HTTP_TEST_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

#include "sink_test.h"

/* ---- the suite ---------------------------------------------------------- */

static inline int capture_init(void)
{
    capture_start();
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static inline int capture_cleanup(void)
{
    capture_stop();
    curl_global_cleanup();
    return 0;
}

/* ---- hosts -------------------------------------------------------------- */

/*
 * Opens and starts a host whose sink listens on port 0, and finds the URL
 * it serves from its "listening on" log line: `base` gets
 * "http://127.0.0.1:PORT" (no path).
 */
static inline tacho_host_t *start_host(const char *plugin, const char *options,
                                       char *base, size_t size)
{
    capture_reset();
    tacho_host_t *h = start_sink(plugin, options);
    char line[1200];
    if (base != NULL && logged_find("listening on ", line, sizeof line)) {
        const char *url = strstr(line, "listening on ") + 13;
        const char *path = strchr(strstr(url, "://") + 3, '/');
        snprintf(base, size, "%.*s", (int)(path - url), url);
    }
    return h;
}

/* The port of a base URL "http://HOST:PORT". */
static inline unsigned port_of(const char *base)
{
    const char *colon = strrchr(base, ':');
    return colon != NULL ? (unsigned)atoi(colon + 1) : 0;
}

/* As start_host(), with `options` after listen = "<listen>"; the sink must
 * report where it listens. */
static inline tacho_host_t *start_listening(const char *plugin,
                                            const char *listen,
                                            const char *options, char *base,
                                            size_t size)
{
    char *opts = NULL;
    CU_ASSERT_FATAL(asprintf(&opts, "  listen = \"%s\";\n%s", listen, options) >
                    0);
    base[0] = '\0';
    tacho_host_t *h = start_host(plugin, opts, base, size);
    free(opts);
    CU_ASSERT_FATAL(base[0] != '\0');
    return h;
}

/* One case of expect_refused(): options and a part of the error. */
typedef struct bad_case {
    const char *options;
    const char *message;
} bad_case_t;

/* Each case's options must make opening a host fail with its message. */
static inline void expect_refused(const char *plugin, const bad_case_t *cases,
                                  size_t n)
{
    for (size_t i = 0; i < n; i++) {
        expect_config_error(plugin, cases[i].options, 0, cases[i].message);
    }
}

/* ---- requests ----------------------------------------------------------- */

typedef struct http_reply {
    long status;
    char *body; /* malloc'd, NUL-terminated; decoded when gzip was asked */
    size_t len;
    char headers[8192];
    size_t hlen;
    CURLcode rc;
} http_reply_t;

static inline size_t body_cb(char *data, size_t size, size_t n, void *arg)
{
    http_reply_t *r = arg;
    char *p = realloc(r->body, r->len + size * n + 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p + r->len, data, size * n);
    r->body = p;
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static inline size_t header_cb(char *data, size_t size, size_t n, void *arg)
{
    http_reply_t *r = arg;
    size_t k = size * n;
    if (r->hlen + k < sizeof r->headers) {
        memcpy(r->headers + r->hlen, data, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    return k;
}

/* Options of one request; zero means the default. */
typedef struct http_opts {
    const char *method;   /* "GET" */
    const char *headers;  /* extra lines separated by '\n' */
    const char *encoding; /* Accept-Encoding to send and decode, e.g. "gzip" */
    bool raw;             /* do not decode the body */
    long timeout_ms;      /* 5000 */
} http_opts_t;

static inline struct curl_slist *header_list(const char *lines)
{
    struct curl_slist *list = NULL;
    char *copy = strdup(lines != NULL ? lines : "");
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        list = curl_slist_append(list, l);
    }
    free(copy);
    return list;
}

/* Makes a request; the reply's body must be freed with http_free(). */
static inline void http_do(const char *url, const http_opts_t *o,
                           http_reply_t *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct curl_slist *list = header_list(o->headers);
    const char *method = o->method != NULL ? o->method : "GET";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     o->timeout_ms > 0 ? o->timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    if (o->encoding != NULL) {
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, o->encoding);
        curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, o->raw ? 0L : 1L);
    }
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    if (r->body == NULL) {
        r->body = calloc(1, 1);
    }
}

static inline void http_get(const char *url, http_reply_t *r)
{
    http_opts_t o = {0};
    http_do(url, &o, r);
}

static inline void http_free(http_reply_t *r)
{
    free(r->body);
    r->body = NULL;
}

/* The value of the last response header `name` (without CRLF), copied into
 * `out`; false when absent. */
static inline bool http_header(const http_reply_t *r, const char *name,
                               char *out, size_t size)
{
    size_t n = strlen(name);
    bool found = false;
    for (const char *p = r->headers; *p != '\0';) {
        const char *end = p + strcspn(p, "\r\n");
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1 + strspn(p + n + 1, " ");
            snprintf(out, size, "%.*s", (int)(end - v), v);
            found = true;
        }
        p = end + strspn(end, "\r\n");
    }
    return found;
}

/* Counts header lines called `name`. */
static inline int http_header_count(const http_reply_t *r, const char *name)
{
    int count = 0;
    size_t n = strlen(name);
    for (const char *p = r->headers; *p != '\0';) {
        const char *end = p + strcspn(p, "\r\n");
        count += strncasecmp(p, name, n) == 0 && p[n] == ':';
        p = end + strspn(end, "\r\n");
    }
    return count;
}

/* ---- raw connections: several requests on one ---------------------------- */

/* Connects from `from` (e.g. "127.0.0.2") to 127.0.0.1:port. */
static inline int tcp_connect(const char *from, unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CU_ASSERT_FATAL(fd >= 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, from, &src.sin_addr);
    CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
    struct sockaddr_in dst = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A raw connection and the bytes read from it but not yet consumed. */
typedef struct raw_conn {
    int fd;
    char buf[1 << 16];
    size_t len;
} raw_conn_t;

/* One answer read from a raw connection. */
typedef struct raw_answer {
    int status;
    char head[4096]; /* status line and headers, NUL-terminated */
    char *body;      /* malloc'd, Content-Length bytes plus a NUL */
    size_t len;
} raw_answer_t;

static inline void raw_open(raw_conn_t *c, unsigned port)
{
    c->len = 0;
    c->fd = tcp_connect("127.0.0.1", port);
    CU_ASSERT_FATAL(c->fd >= 0);
}

static inline void raw_send(raw_conn_t *c, const char *request)
{
    size_t n = strlen(request);
    CU_ASSERT_EQUAL(send(c->fd, request, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads more bytes within `ms`; false on end-of-file, error or timeout. */
static inline bool raw_fill(raw_conn_t *c, int ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    if (c->len == sizeof c->buf || poll(&p, 1, ms) != 1) {
        return false;
    }
    ssize_t k = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (k <= 0) {
        return false;
    }
    c->len += (size_t)k;
    return true;
}

/* The value of header `name` in an answer's head, or "" (static storage). */
static inline const char *raw_header(const raw_answer_t *a, const char *name)
{
    static char value[256];
    value[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = strstr(a->head, "\r\n"); p != NULL && p[2] != '\0';
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n + strspn(p + 3 + n, " ");
            snprintf(value, sizeof value, "%.*s", (int)strcspn(v, "\r\n"), v);
        }
    }
    return value;
}

/* Reads up to the end of the head into `c`; false when the connection
 * ends or stalls for a second first. */
static inline bool raw_read_head(raw_conn_t *c, raw_answer_t *a)
{
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    while (end == NULL) {
        if (!raw_fill(c, 1000)) {
            return false;
        }
        end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    }
    size_t hlen = (size_t)(end - c->buf) + 4;
    CU_ASSERT_FATAL(hlen < sizeof a->head);
    memcpy(a->head, c->buf, hlen);
    a->head[hlen] = '\0';
    a->status = atoi(a->head + 9);
    return true;
}

/* Reads one whole answer (its body by Content-Length; none after a HEAD),
 * leaving any later bytes in `c`. Returns false when the connection ends
 * or stalls for a second first; `a->body` is malloc'd either way. */
static inline bool raw_read(raw_conn_t *c, bool head, raw_answer_t *a)
{
    memset(a, 0, sizeof *a);
    bool ok = raw_read_head(c, a);
    size_t hlen = strlen(a->head);
    a->len =
        head || !ok ? 0 : strtoul(raw_header(a, "Content-Length"), NULL, 10);
    while (ok && c->len < hlen + a->len) {
        ok = raw_fill(c, 1000);
    }
    if (!ok) {
        a->len = 0;
        a->body = calloc(1, 1);
        return false;
    }
    a->body = malloc(a->len + 1);
    memcpy(a->body, c->buf + hlen, a->len);
    a->body[a->len] = '\0';
    c->len -= hlen + a->len;
    memmove(c->buf, c->buf + hlen + a->len, c->len);
    return true;
}

/* True when the server closes the connection within `ms` without sending
 * anything more. */
static inline bool raw_closed_within(raw_conn_t *c, int ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    char byte;
    return c->len == 0 && poll(&p, 1, ms) == 1 && recv(c->fd, &byte, 1, 0) <= 0;
}

/* Sends `request` and expects one answer of `status` on the connection. */
static inline bool raw_exchange(raw_conn_t *c, const char *request, bool head,
                                int status, raw_answer_t *a)
{
    raw_send(c, request);
    bool ok = raw_read(c, head, a) && a->status == status;
    if (!ok) {
        fprintf(stderr, "\nwanted %d for \"%.*s\", got \"%.*s\"\n", status,
                (int)strcspn(request, "\r"), request,
                (int)strcspn(a->head, "\r"), a->head);
    }
    return ok;
}

/* Makes two requests with one curl handle, asking for and decoding
 * `encoding` ("" for every encoding curl knows); returns the connections
 * the second one opened (0 when curl reused the first one's). The bodies
 * must be freed with http_free(). */
static inline long curl_second_connects(const char *url, const char *encoding,
                                        http_reply_t r[2])
{
    CURL *curl = curl_easy_init();
    CU_ASSERT_PTR_NOT_NULL_FATAL(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, encoding);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    long connects = -1;
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r[i]);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r[i]);
        r[i].rc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r[i].status);
        curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
        if (r[i].body == NULL) {
            r[i].body = calloc(1, 1);
        }
    }
    curl_easy_cleanup(curl);
    return connects;
}

/* ---- a loopback receiver ------------------------------------------------ */

#define RECEIVER_STATUS_MAX 8

typedef struct receiver {
    struct MHD_Daemon *daemon;
    char url[64]; /* http://127.0.0.1:PORT */
    pthread_mutex_t lock;
    unsigned statuses[RECEIVER_STATUS_MAX]; /* answers, the last repeats */
    size_t status_count;
    size_t requests; /* completed */
    char method[16];
    char path[1024];
    char content_type[128];
    char extra_label[256]; /* the query argument extra_label, if any */
    char *body;            /* the last body received, malloc'd */
    size_t len;
} receiver_t;

typedef struct upload {
    char *data;
    size_t len;
} upload_t;

static inline enum MHD_Result receiver_done(receiver_t *rc,
                                            struct MHD_Connection *conn,
                                            const char *url, const char *method,
                                            upload_t *up)
{
    pthread_mutex_lock(&rc->lock);
    size_t i =
        rc->requests < rc->status_count ? rc->requests : rc->status_count - 1;
    unsigned status = rc->statuses[i];
    rc->requests++;
    snprintf(rc->method, sizeof rc->method, "%s", method);
    snprintf(rc->path, sizeof rc->path, "%s", url);
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    snprintf(rc->content_type, sizeof rc->content_type, "%s",
             ct != NULL ? ct : "");
    const char *extra =
        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "extra_label");
    snprintf(rc->extra_label, sizeof rc->extra_label, "%s",
             extra != NULL ? extra : "");
    free(rc->body);
    rc->body = up->data != NULL ? up->data : calloc(1, 1);
    rc->len = up->len;
    pthread_mutex_unlock(&rc->lock);
    free(up);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result res = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return res;
}

static inline enum MHD_Result receiver_cb(void *cls,
                                          struct MHD_Connection *conn,
                                          const char *url, const char *method,
                                          const char *version, const char *data,
                                          size_t *size, void **req_cls)
{
    upload_t *up = *req_cls;
    if (up == NULL) {
        *req_cls = calloc(1, sizeof(upload_t));
        return *req_cls != NULL ? MHD_YES : MHD_NO;
    }
    if (*size > 0) {
        char *p = realloc(up->data, up->len + *size + 1);
        if (p == NULL) {
            return MHD_NO;
        }
        memcpy(p + up->len, data, *size);
        up->data = p;
        up->len += *size;
        up->data[up->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    *req_cls = NULL;
    return receiver_done(cls, conn, url, method, up);
}

/* Starts a receiver on 127.0.0.1 that answers the given statuses in turn
 * (the last one repeats). */
static inline void receiver_start(receiver_t *rc, const unsigned *statuses,
                                  size_t n)
{
    memset(rc, 0, sizeof *rc);
    pthread_mutex_init(&rc->lock, NULL);
    memcpy(rc->statuses, statuses, n * sizeof *statuses);
    rc->status_count = n;
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    rc->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
                                  NULL, receiver_cb, rc, MHD_OPTION_SOCK_ADDR,
                                  (struct sockaddr *)&sin, MHD_OPTION_END);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rc->daemon);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(rc->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(rc->url, sizeof rc->url, "http://127.0.0.1:%u",
             (unsigned)info->port);
}

/* Starts a host whose sink does not listen and pushes to the receiver's
 * URL followed by `path`, with `more` options after those two. */
static inline tacho_host_t *start_pusher(const char *plugin,
                                         const receiver_t *rc, const char *path,
                                         const char *more)
{
    char opts[1024];
    snprintf(opts, sizeof opts, "  listen = \"\";\n  push_url = \"%s%s\";\n%s",
             rc->url, path, more);
    return start_host(plugin, opts, NULL, 0);
}

static inline size_t receiver_requests(receiver_t *rc)
{
    pthread_mutex_lock(&rc->lock);
    size_t n = rc->requests;
    pthread_mutex_unlock(&rc->lock);
    return n;
}

static inline void receiver_stop(receiver_t *rc)
{
    MHD_stop_daemon(rc->daemon);
    free(rc->body);
    pthread_mutex_destroy(&rc->lock);
}

/* The next push of sink `plugin` in host `h` (pushing to `rc`) runs out of
 * memory at its first allocation: the write is an error, logged as "push:
 * out of memory", and nothing reaches the receiver. */
static inline void expect_push_out_of_memory(tacho_host_t *h,
                                             const char *plugin, receiver_t *rc)
{
    failing_alloc_nth(1);
    CU_ASSERT_EQUAL(tacho_host_report_now(h), 0);
    CU_ASSERT(wait_figure(h, plugin, tacho_sink_stats_errors, 1, 10000));
    failing_alloc_nth(0);
    CU_ASSERT(logged("push: out of memory"));
    CU_ASSERT_EQUAL(receiver_requests(rc), 0);
}

#endif /* TACHO_HTTP_TEST_H */
