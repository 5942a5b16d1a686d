/*
 * Keep-alive in the HTTP server of the prometheus and http_json sinks,
 * driven through the real tacho_sink_prometheus.so over raw sockets: several
 * requests on one connection (plain, gzip, HEAD then GET, pipelined), and
 * the cases that must close: "Connection: close", HTTP/1.0 without
 * keep-alive, requests with a body, and an idle kept connection after the
 * timeout.
 */
#include <strings.h>
#include <unistd.h>

#include "http_test.h"

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("http_keepalive");
    return capture_init();
}

static int suite_cleanup(void)
{
    sink_suite_cleanup();
    return capture_cleanup();
}

#define GET_METRICS "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#define GET_METRICS_GZIP                                                       \
    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: "            \
    "gzip\r\n\r\n"

/* A fresh host and a raw connection to it (the buffer is large: heap);
 * `port` gets the port. */
static tacho_host_t *keepalive_host(const char *options, raw_conn_t **c,
                                    unsigned *port)
{
    char base[256];
    tacho_host_t *h = start_listening("prometheus", "127.0.0.1:0", options,
                                      base, sizeof base);
    *port = port_of(base);
    *c = malloc(sizeof **c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(*c);
    raw_open(*c, *port);
    return h;
}

static void keepalive_done(tacho_host_t *h, raw_conn_t *c)
{
    close(c->fd);
    free(c);
    tacho_host_close(h);
}

/* A whole Prometheus text body, and no "Connection: close". */
static void expect_metrics(const raw_answer_t *a)
{
    CU_ASSERT(strncmp(a->body, "# HELP", 6) == 0);
    CU_ASSERT(a->len > 0 && a->body[a->len - 1] == '\n');
    CU_ASSERT(strstr(a->body, "HTTP/1.1") == NULL);
    CU_ASSERT(strcasecmp(raw_header(a, "Connection"), "close") != 0);
}

/* Scrapes, an error answer and two pipelined requests all on one
 * connection: libmicrohttpd closes a connection whose answer was queued
 * before the request was read whole, so this fails when the server
 * answers on the access handler's first call. */
static void http_server_keeps_alive(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("", &c, &port);
    raw_answer_t a;
    for (int i = 0; i < 3; i++) {
        CU_ASSERT(raw_exchange(c, GET_METRICS, false, 200, &a));
        expect_metrics(&a);
        free(a.body);
    }
    CU_ASSERT(raw_exchange(c, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", false,
                           404, &a));
    CU_ASSERT_STRING_EQUAL(a.body, "not found\n");
    free(a.body);
    raw_send(c, GET_METRICS GET_METRICS);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT(raw_read(c, false, &a) && a.status == 200);
        expect_metrics(&a);
        free(a.body);
    }
    keepalive_done(h, c);
}

/* gzip answers keep the connection too: on a raw connection each is a
 * gzip member exactly Content-Length long, and curl reuses its connection
 * and decodes both to the Prometheus text. */
static void http_server_keeps_alive_gzip(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("", &c, &port);
    raw_answer_t a;
    for (int i = 0; i < 2; i++) {
        CU_ASSERT(raw_exchange(c, GET_METRICS_GZIP, false, 200, &a));
        CU_ASSERT_STRING_EQUAL(raw_header(&a, "Content-Encoding"), "gzip");
        CU_ASSERT(a.len > 18 && (unsigned char)a.body[0] == 0x1f &&
                  (unsigned char)a.body[1] == 0x8b);
        free(a.body);
    }
    char url[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
    http_reply_t r[2];
    CU_ASSERT_EQUAL(curl_second_connects(url, "gzip", r), 0);
    for (int i = 0; i < 2; i++) {
        char v[64] = "";
        CU_ASSERT_EQUAL(r[i].rc, CURLE_OK);
        CU_ASSERT_EQUAL(r[i].status, 200);
        CU_ASSERT(http_header(&r[i], "Content-Encoding", v, sizeof v) &&
                  strcmp(v, "gzip") == 0);
        CU_ASSERT(strncmp(r[i].body, "# HELP", 6) == 0);
        http_free(&r[i]);
    }
    keepalive_done(h, c);
}

/* A HEAD answer has a Content-Length but no body, so a GET after it on
 * the same connection must read as a whole answer of its own. */
static void http_server_head_then_get(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("", &c, &port);
    raw_answer_t a;
    for (int i = 0; i < 2; i++) {
        CU_ASSERT(
            raw_exchange(c, "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                         true, 200, &a));
        CU_ASSERT(atol(raw_header(&a, "Content-Length")) > 0);
        free(a.body);
        CU_ASSERT(raw_exchange(c, GET_METRICS, false, 200, &a));
        expect_metrics(&a);
        free(a.body);
    }
    keepalive_done(h, c);
}

/* Expects the answer `status`, with a body starting with `prefix`, to
 * `request` (sent on a fresh connection), then the server closing that
 * connection at once: well before the 10 s idle timeout, and without
 * sending anything more. */
static void expect_answered_and_closed(raw_conn_t *c, unsigned port,
                                       const char *request, int status,
                                       const char *prefix)
{
    raw_open(c, port);
    raw_answer_t a;
    CU_ASSERT(raw_exchange(c, request, false, status, &a));
    CU_ASSERT(strncmp(a.body, prefix, strlen(prefix)) == 0);
    free(a.body);
    CU_ASSERT(raw_closed_within(c, 2000));
    close(c->fd);
}

/* "Connection: close" is answered (saying so), then closed at once. */
static void http_server_connection_close_honoured(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("", &c, &port);
    raw_answer_t a;
    CU_ASSERT(raw_exchange(c,
                           "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Connection: close\r\n\r\n",
                           false, 200, &a));
    CU_ASSERT(strncmp(a.body, "# HELP", 6) == 0);
    CU_ASSERT_STRING_EQUAL(raw_header(&a, "Connection"), "close");
    free(a.body);
    CU_ASSERT(raw_closed_within(c, 2000));
    keepalive_done(h, c);
}

/* HTTP/1.0 closes after the answer unless the client asks to keep the
 * connection. */
static void http_server_http10_closes(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("", &c, &port);
    close(c->fd);
    expect_answered_and_closed(c, port, "GET /metrics HTTP/1.0\r\n\r\n", 200,
                               "# HELP");
    raw_open(c, port);
    raw_answer_t a;
    for (int i = 0; i < 2; i++) {
        CU_ASSERT(raw_exchange(
            c, "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false,
            200, &a));
        CU_ASSERT(strncmp(a.body, "# HELP", 6) == 0);
        free(a.body);
    }
    keepalive_done(h, c);
}

/* No path takes a body, and the server never reads one: a request that
 * announces a body is answered from its headers at once, without waiting
 * for the body (none of the 1 MB is sent here), and the connection is
 * closed, so a body can never hold it. A POST without a body keeps it. */
static void http_server_answers_bodies_and_closes(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("", &c, &port);
    close(c->fd);
    expect_answered_and_closed(c, port,
                               "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 11\r\n\r\nhello world",
                               405, "method not allowed");
    expect_answered_and_closed(c, port,
                               "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 1000000\r\n\r\n",
                               405, "method not allowed");
    expect_answered_and_closed(c, port,
                               "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n",
                               200, "# HELP");
    raw_open(c, port);
    raw_answer_t a;
    CU_ASSERT(raw_exchange(c,
                           "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 0\r\n\r\n",
                           false, 405, &a));
    CU_ASSERT_STRING_EQUAL(raw_header(&a, "Allow"), "GET, HEAD");
    free(a.body);
    CU_ASSERT(raw_exchange(c, GET_METRICS, false, 200, &a));
    expect_metrics(&a);
    free(a.body);
    keepalive_done(h, c);
}

/* A kept connection left idle is closed after `timeout`, not before. */
static void http_server_idle_keepalive_times_out(void)
{
    raw_conn_t *c = NULL;
    unsigned port = 0;
    tacho_host_t *h = keepalive_host("  timeout = 1;\n", &c, &port);
    raw_answer_t a;
    CU_ASSERT(raw_exchange(c, GET_METRICS, false, 200, &a));
    free(a.body);
    double t0 = now_s();
    CU_ASSERT(raw_closed_within(c, 4000));
    double idle = now_s() - t0;
    CU_ASSERT(idle > 0.5 && idle < 4.0);
    keepalive_done(h, c);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"http_server_keeps_alive", http_server_keeps_alive},
        {"http_server_keeps_alive_gzip", http_server_keeps_alive_gzip},
        {"http_server_head_then_get", http_server_head_then_get},
        {"http_server_connection_close_honoured",
         http_server_connection_close_honoured},
        {"http_server_http10_closes", http_server_http10_closes},
        {"http_server_answers_bodies_and_closes",
         http_server_answers_bodies_and_closes},
        {"http_server_idle_keepalive_times_out",
         http_server_idle_keepalive_times_out},
        {NULL, NULL},
    };
    return tacho_test_run("http_keepalive", suite_init, suite_cleanup, cases);
}
