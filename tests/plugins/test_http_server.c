/*
 * The HTTP server shared by the prometheus and http_json sinks, driven
 * through the real tacho_sink_prometheus.so: listen address errors with
 * their config places, a taken port, IPv6 and every-address listening,
 * credentials, TLS, content negotiation, and abuse (idle connection
 * floods, oversized requests, garbage) that must never stop a normal
 * scrape or crash the worker. Keep-alive is test_http_keepalive.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_test.h"

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("http_server");
    return capture_init();
}

static int suite_cleanup(void)
{
    sink_suite_cleanup();
    return capture_cleanup();
}

/* Writes `text` to <tmp>/<name> and returns the path (static storage). */
static const char *tmp_file(const char *name, const char *text)
{
    static char path[8][512];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", tmp, name);
    write_file(p, text);
    return p;
}

static long status_of(const char *url, const char *headers)
{
    http_opts_t o = {.headers = headers};
    http_reply_t r;
    http_do(url, &o, &r);
    long status = r.rc == CURLE_OK ? r.status : -1;
    http_free(&r);
    return status;
}

/* ---- raw TCP clients ---------------------------------------------------- */

/* Sends `n` bytes and reads the answer until the server closes or `ms`
 * pass. Returns the bytes read into `out` (NUL-terminated). */
static size_t tcp_exchange(unsigned port, const void *req, size_t n, char *out,
                           size_t size, int ms)
{
    int fd = tcp_connect("127.0.0.1", port);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(send(fd, req, n, MSG_NOSIGNAL) >= 0 || errno == EPIPE ||
              errno == ECONNRESET);
    size_t got = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (got + 1 < size && poll(&p, 1, ms) == 1) {
        ssize_t k = recv(fd, out + got, size - 1 - got, 0);
        if (k <= 0) {
            break;
        }
        got += (size_t)k;
    }
    out[got] = '\0';
    close(fd);
    return got;
}

/* True when `answer` is empty (closed) or an HTTP error (4xx, or 505 for
 * an unknown protocol version) with no metrics in it. */
static bool refused(const char *answer)
{
    bool error = strncmp(answer, "HTTP/1.", 7) == 0 &&
                 (answer[9] == '4' || strncmp(answer + 9, "505", 3) == 0);
    return (answer[0] == '\0' || error) && strstr(answer, "# HELP") == NULL;
}

/* ---- configuration errors ----------------------------------------------- */

/* What an option error reads like after its place. */
#define NOT_CREATED                                                            \
    "sink 'prometheus' (plugin prometheus) could not be created: "

#define LONG_HOST_16 "aaaaaaaaaaaaaaaa"
#define LONG_HOST_64 LONG_HOST_16 LONG_HOST_16 LONG_HOST_16 LONG_HOST_16
#define LONG_HOST LONG_HOST_64 LONG_HOST_64 LONG_HOST_64 LONG_HOST_64

/* Bad addresses are caught when the host opens (a config check), with the
 * place of the `listen` line. */
static void http_server_rejects_bad_listen(void)
{
    static const bad_case_t cases[] = {
        {"  listen = \"nonsense\";\n",
         "<string>:4: " NOT_CREATED
         "listen 'nonsense': expected HOST:PORT, [IPV6]:PORT or "
         ":PORT"},
        {"  listen = \"127.0.0.1:99999\";\n",
         "<string>:4: " NOT_CREATED
         "listen '127.0.0.1:99999': port '99999' is not a number "
         "0..65535"},
        {"  listen = \"127.0.0.1:http\";\n", "port 'http' is not a number"},
        {"  listen = \"127.0.0.1:\";\n", "port '' is not a number"},
        {"  listen = \"::1:9464\";\n",
         "listen '::1:9464': an IPv6 address needs brackets, as in "
         "[::1]:9464"},
        {"  listen = \"[::1\";\n", "listen '[::1': expected HOST:PORT"},
        {"  listen = \"h" LONG_HOST ":9464\";\n",
         "listen 'h" LONG_HOST ":9464': host name too long"},
        {"  listen = \"[::zz]:9464\";\n",
         "listen '[::zz]:9464': '::zz' is not an IPv6 address"},
        {"  listen = \"no-such-host.invalid:9464\";\n",
         "<string>:4: " NOT_CREATED
         "listen 'no-such-host.invalid:9464': cannot resolve host "
         "'no-such-host.invalid'"},
    };
    expect_refused("prometheus", cases, sizeof cases / sizeof cases[0]);
}

static void http_server_rejects_bad_limits(void)
{
    static const bad_case_t cases[] = {
        {"  max_connections = 0;\n",
         "<string>:4: " NOT_CREATED "max_connections must be 1..10000, not 0"},
        {"  max_connections_per_ip = 20000;\n",
         "<string>:4: " NOT_CREATED
         "max_connections_per_ip must be 1..10000, not 20000"},
        {"  timeout = 0;\n",
         "<string>:4: " NOT_CREATED "timeout must be 1..3600, not 0"},
    };
    expect_refused("prometheus", cases, sizeof cases / sizeof cases[0]);
}

static void http_server_rejects_bad_secret_files(void)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *empty = tmp_file("empty", "\n");
    const char *nocolon = tmp_file("nocolon", "justauser\n");
    const char *large = tmp_file("large", big);
    const char *cert = tmp_file("cert.pem", "not a certificate\n");
    char opts[6][700];
    snprintf(opts[0], sizeof opts[0], "  auth_token_file = \"%s/none\";\n",
             tmp);
    snprintf(opts[1], sizeof opts[1], "  auth_token_file = \"%s\";\n", empty);
    snprintf(opts[2], sizeof opts[2], "  auth_basic_file = \"%s\";\n", nocolon);
    snprintf(opts[3], sizeof opts[3], "  auth_token_file = \"%s\";\n", large);
    snprintf(opts[4], sizeof opts[4], "  tls_cert_file = \"%s\";\n", cert);
    snprintf(opts[5], sizeof opts[5],
             "  tls_cert_file = \"%s\";\n  tls_key_file = \"%s/none\";\n", cert,
             tmp);
    const bad_case_t cases[] = {
        {opts[0], "<string>:4: " NOT_CREATED "auth_token_file '"},
        {opts[0], "/none': no such file or directory"},
        {opts[1], "': the file is empty"},
        {opts[2], "<string>:4: " NOT_CREATED "auth_basic_file '"},
        {opts[2], "': expected one line user:password"},
        {opts[3], "': larger than 4096 bytes"},
        {opts[4], "<string>:4: " NOT_CREATED
                  "tls_cert_file and tls_key_file must be set "
                  "together"},
        {opts[5], "<string>:5: " NOT_CREATED "tls_key_file '"},
    };
    expect_refused("prometheus", cases, sizeof cases / sizeof cases[0]);
}

/* ---- binding ------------------------------------------------------------ */

/* A taken port fails start (not open) naming the sink and the address. */
static void http_server_port_in_use(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
    CU_ASSERT_FATAL(listen(fd, 1) == 0);
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    char opts[128];
    snprintf(opts, sizeof opts, "  listen = \"127.0.0.1:%u\";\n",
             ntohs(sin.sin_port));
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(open_host("prometheus", opts, &h, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), TACHO_ESINK);
    char want[200];
    snprintf(want, sizeof want,
             "sink 'prometheus' (plugin prometheus) failed to start: listen "
             "127.0.0.1:%u: address already in use",
             ntohs(sin.sin_port));
    if (strstr(err.text, want) == NULL) {
        fprintf(stderr, "\ngot \"%s\"\n", err.text);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err.text, want));
    tacho_host_close(h);
    close(fd);
}

/* An address this host does not have: the kernel's reason, verbatim. */
static void http_server_address_not_here(void)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(
        open_host("prometheus", "  listen = \"192.0.2.1:9464\";\n", &h, &err),
        0);
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), TACHO_ESINK);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        err.text, "listen 192.0.2.1:9464: cannot assign requested address"));
    tacho_host_close(h);
}

/* Stopping releases the port at once: a restarted worker binds it again
 * (the socket is closed, and TIME_WAIT does not block the address). */
static void http_server_rebinds_after_close(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", "", base, sizeof base);
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    tacho_host_close(h);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", port_of(base));
    h = start_listening("prometheus", listen, "", base, sizeof base);
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    tacho_host_close(h);
}

static void http_server_ipv6_and_names(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "[::1]:0", "", base, sizeof base);
    CU_ASSERT(strncmp(base, "http://[::1]:", 13) == 0);
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    tacho_host_close(h);
    h = start_listening("prometheus", "localhost:0", "", base, sizeof base);
    snprintf(url, sizeof url, "%s/metrics", base);
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    CU_ASSERT(!logged("serving on every network address"));
    tacho_host_close(h);
}

/* ":PORT" serves every address of both families, and says so loudly. */
static void http_server_every_address_warns(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", ":0", "", base, sizeof base);
    CU_ASSERT(logged("warning [sink:prometheus:prometheus] listen :0: serving "
                     "on every network address"));
    CU_ASSERT(logged("(and no credential is required)"));
    char url[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port_of(base));
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    snprintf(url, sizeof url, "http://[::1]:%u/metrics", port_of(base));
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    tacho_host_close(h);
}

/* ---- credentials, TLS, negotiation -------------------------------------- */

static void http_server_bearer_and_basic_auth(void)
{
    char opts[1024];
    snprintf(opts, sizeof opts,
             "  auth_token_file = \"%s\";\n  auth_basic_file = \"%s\";\n",
             tmp_file("token", "t0ken-value\n"),
             tmp_file("basic", "scraper:pa:ss\n"));
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", opts, base, sizeof base);
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    http_reply_t r;
    http_get(url, &r);
    CU_ASSERT_EQUAL(r.status, 401);
    CU_ASSERT_EQUAL(http_header_count(&r, "WWW-Authenticate"), 2);
    CU_ASSERT(strstr(r.headers, "Bearer realm=\"tacho\"") != NULL);
    CU_ASSERT(strstr(r.headers, "Basic realm=\"tacho\"") != NULL);
    CU_ASSERT(strstr(r.body, "# HELP") == NULL);
    http_free(&r);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Bearer t0ken-value"), 200);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: bearer t0ken-value"), 200);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Bearer t0ken-valu"), 401);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Bearer t0ken-value2"), 401);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Bearer T0ken-value"), 401);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Bearer "), 401);
    /* base64("scraper:pa:ss"): the password may hold ':' */
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Basic c2NyYXBlcjpwYTpzcw=="),
                    200);
    CU_ASSERT_EQUAL(status_of(url, "Authorization: Basic c2NyYXBlcjpwYTpzeA=="),
                    401);
    tacho_host_close(h);
}

/* Makes a self-signed certificate with the openssl tool. */
static void make_cert(char *cert, char *key, size_t size)
{
    snprintf(cert, size, "%s/tls-cert.pem", tmp);
    snprintf(key, size, "%s/tls-key.pem", tmp);
    char *cmd = NULL;
    CU_ASSERT_FATAL(asprintf(&cmd,
                             "openssl req -x509 -newkey ec -pkeyopt "
                             "ec_paramgen_curve:prime256v1 -nodes -days 2 "
                             "-subj /CN=localhost -keyout %s -out %s "
                             ">/dev/null 2>&1",
                             key, cert) > 0);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    free(cmd);
}

static void http_server_tls(void)
{
    char cert[512];
    char key[512];
    make_cert(cert, key, sizeof cert);
    char opts[1200];
    snprintf(opts, sizeof opts,
             "  tls_cert_file = \"%s\";\n  tls_key_file = \"%s\";\n", cert,
             key);
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", opts, base, sizeof base);
    CU_ASSERT(strncmp(base, "https://127.0.0.1:", 18) == 0);
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    http_reply_t r;
    http_get(url, &r);
    CU_ASSERT_EQUAL(r.rc, CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT(strncmp(r.body, "# HELP", 6) == 0);
    http_free(&r);
    /* A TLS connection is kept for the next request too. */
    http_reply_t two[2];
    CU_ASSERT_EQUAL(curl_second_connects(url, "", two), 0);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(two[i].status, 200);
        CU_ASSERT(strncmp(two[i].body, "# HELP", 6) == 0);
        http_free(&two[i]);
    }
    /* Plain HTTP on the TLS port gets no metrics. */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port_of(base));
    http_get(url, &r);
    CU_ASSERT(strstr(r.body, "# HELP") == NULL);
    http_free(&r);
    tacho_host_close(h);
}

/* A certificate that is not one is caught at start, with a hint. */
static void http_server_tls_bad_certificate(void)
{
    char opts[1200];
    snprintf(opts, sizeof opts,
             "  listen = \"127.0.0.1:0\";\n  tls_cert_file = \"%s\";\n"
             "  tls_key_file = \"%s\";\n",
             tmp_file("bad-cert.pem", "garbage\n"),
             tmp_file("bad-key.pem", "garbage\n"));
    tacho_host_t *h = NULL;
    tacho_error_t err;
    CU_ASSERT_EQUAL_FATAL(open_host("prometheus", opts, &h, &err), 0);
    CU_ASSERT_EQUAL(tacho_host_start(h, &err), TACHO_ESINK);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        err.text, "listen 127.0.0.1:0: cannot start the HTTP server (check "
                  "that tls_cert_file and tls_key_file hold a PEM "
                  "certificate and its key)"));
    tacho_host_close(h);
}

static bool gzipped(const char *url, const char *accept_encoding)
{
    char hdr[200];
    snprintf(hdr, sizeof hdr, "Accept-Encoding: %s", accept_encoding);
    http_opts_t o = {.headers = hdr};
    http_reply_t r;
    http_do(url, &o, &r);
    char v[64];
    bool gz = http_header(&r, "Content-Encoding", v, sizeof v) &&
              strcmp(v, "gzip") == 0;
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT(!gz || (unsigned char)r.body[0] == 0x1f);
    http_free(&r);
    return gz;
}

static void http_server_negotiates_gzip(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", "", base, sizeof base);
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    CU_ASSERT(gzipped(url, "gzip"));
    CU_ASSERT(gzipped(url, "deflate, GZIP;q=0.5"));
    CU_ASSERT(gzipped(url, "*"));
    CU_ASSERT(gzipped(url, "br;q=1.0, gzip;q=0.1"));
    CU_ASSERT(!gzipped(url, "gzip;q=0"));
    CU_ASSERT(!gzipped(url, "br"));
    CU_ASSERT(!gzipped(url, "identity, *;q=0"));
    CU_ASSERT(!gzipped(url, "xgzip"));
    tacho_host_close(h);
}

/* ---- abuse -------------------------------------------------------------- */

#define FLOOD 320

/* 320 idle connections from one client address (127.0.0.2): the per-IP
 * limit keeps all but 16 of them out, so a scraper elsewhere (127.0.0.1)
 * still gets its answer within a second. */
static void http_server_idle_flood_keeps_scrapes(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", "", base, sizeof base);
    int fds[FLOOD];
    size_t open_fds = 0;
    for (size_t i = 0; i < FLOOD; i++) {
        int fd = tcp_connect("127.0.0.2", port_of(base));
        if (fd >= 0) {
            fds[open_fds++] = fd;
        }
    }
    CU_ASSERT(open_fds > 64); /* more than the whole connection limit */
    sleep_ms(200);            /* the server has seen them all */
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    double t0 = now_s();
    http_opts_t o = {.timeout_ms = 1000};
    http_reply_t r;
    http_do(url, &o, &r);
    double took = now_s() - t0;
    CU_ASSERT_EQUAL(r.rc, CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT(took < 1.0);
    http_free(&r);
    for (size_t i = 0; i < open_fds; i++) {
        close(fds[i]);
    }
    tacho_host_close(h);
}

/* Idle connections filling one address's quota are closed after
 * `timeout`, after which that address is served again. */
static void http_server_idle_clients_time_out(void)
{
    char base[256];
    tacho_host_t *h = start_listening("prometheus", "127.0.0.1:0",
                                      "  max_connections_per_ip = 4;\n"
                                      "  timeout = 1;\n",
                                      base, sizeof base);
    int fds[4];
    for (size_t i = 0; i < 4; i++) {
        fds[i] = tcp_connect("127.0.0.1", port_of(base));
        CU_ASSERT_FATAL(fds[i] >= 0);
    }
    sleep_ms(200);
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    CU_ASSERT_NOT_EQUAL(status_of(url, NULL), 200); /* over the quota */
    /* The server closes the idle ones: each reads end-of-file. */
    for (size_t i = 0; i < 4; i++) {
        struct pollfd p = {fds[i], POLLIN, 0};
        char c;
        CU_ASSERT(poll(&p, 1, 4000) == 1 && recv(fds[i], &c, 1, 0) <= 0);
        close(fds[i]);
    }
    /* libmicrohttpd frees a connection's place in the address's quota when
     * it cleans the connection up, a moment after the close the client
     * sees; on a loaded machine that moment can be long enough for a
     * scrape at once to be refused. */
    long status = status_of(url, NULL);
    for (int i = 0; i < 50 && status != 200; i++) {
        sleep_ms(20);
        status = status_of(url, NULL);
    }
    CU_ASSERT_EQUAL(status, 200);
    tacho_host_close(h);
}

static void http_server_rejects_oversized_requests(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", "", base, sizeof base);
    char *url = malloc(4000);
    int n = snprintf(url, 4000, "%s/", base);
    memset(url + n, 'a', 3000);
    url[n + 3000] = '\0';
    CU_ASSERT_EQUAL(status_of(url, NULL), 414);
    free(url);
    /* 40 KB of headers: far over the per-connection memory limit. */
    char *req = malloc(50000);
    n = snprintf(req, 50000, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'b', 40000);
    n += 40000;
    n += snprintf(req + n, 50000 - (size_t)n, "\r\n\r\n");
    char answer[4096];
    tcp_exchange(port_of(base), req, (size_t)n, answer, sizeof answer, 3000);
    CU_ASSERT(refused(answer));
    CU_ASSERT(strstr(answer, "# HELP") == NULL);
    free(req);
    char ok[300];
    snprintf(ok, sizeof ok, "%s/metrics", base);
    CU_ASSERT_EQUAL(status_of(ok, NULL), 200);
    tacho_host_close(h);
}

/* Garbage is answered with an error status or the connection is closed;
 * the server stays up for the next scrape. */
static void http_server_survives_garbage(void)
{
    char base[256];
    tacho_host_t *h =
        start_listening("prometheus", "127.0.0.1:0", "", base, sizeof base);
    static const char *const garbage[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /metrics HTTP/9.9\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nNo-Colon-Here\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS hello */
        "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "\r\n\r\n\r\n\r\n",
    };
    char answer[4096];
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        tcp_exchange(port_of(base), garbage[i], strlen(garbage[i]), answer,
                     sizeof answer, 3000);
        if (!refused(answer)) {
            fprintf(stderr, "\ncase %zu answered: %.60s\n", i, answer);
        }
        CU_ASSERT(refused(answer));
    }
    unsigned char noise[4096];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        seed = seed * 1103515245u + 12345u;
        noise[i] = (unsigned char)(seed >> 16);
    }
    tcp_exchange(port_of(base), noise, sizeof noise, answer, sizeof answer,
                 3000);
    CU_ASSERT(refused(answer));
    /* libmicrohttpd's complaints reach the log, at debug level. */
    CU_ASSERT(logged("debug [sink:prometheus:prometheus] libmicrohttpd: "));
    char url[300];
    snprintf(url, sizeof url, "%s/metrics", base);
    CU_ASSERT_EQUAL(status_of(url, NULL), 200);
    tacho_host_close(h);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"http_server_rejects_bad_listen", http_server_rejects_bad_listen},
        {"http_server_rejects_bad_limits", http_server_rejects_bad_limits},
        {"http_server_rejects_bad_secret_files",
         http_server_rejects_bad_secret_files},
        {"http_server_port_in_use", http_server_port_in_use},
        {"http_server_address_not_here", http_server_address_not_here},
        {"http_server_rebinds_after_close", http_server_rebinds_after_close},
        {"http_server_ipv6_and_names", http_server_ipv6_and_names},
        {"http_server_every_address_warns", http_server_every_address_warns},
        {"http_server_bearer_and_basic_auth",
         http_server_bearer_and_basic_auth},
        {"http_server_tls", http_server_tls},
        {"http_server_tls_bad_certificate", http_server_tls_bad_certificate},
        {"http_server_negotiates_gzip", http_server_negotiates_gzip},
        {"http_server_idle_flood_keeps_scrapes",
         http_server_idle_flood_keeps_scrapes},
        {"http_server_idle_clients_time_out",
         http_server_idle_clients_time_out},
        {"http_server_rejects_oversized_requests",
         http_server_rejects_oversized_requests},
        {"http_server_survives_garbage", http_server_survives_garbage},
        {NULL, NULL},
    };
    return tacho_test_run("http_server", suite_init, suite_cleanup, cases);
}
