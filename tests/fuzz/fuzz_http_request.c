/*
 * Fuzz target: the HTTP request handling of both HTTP sinks.
 *
 * A real host runs in this process with four real sinks loaded from the
 * build tree, each on its own loopback port: prometheus and http_json, each
 * once open and once behind bearer + basic credentials. Each input is one
 * request sent over a fresh TCP connection to one of them:
 *   - structured (most inputs): the input's lines become the method, the
 *     request target (path and query), the Accept, Accept-Encoding and
 *     Authorization values and one extra header line, put together as a
 *     well-formed HTTP/1.1 request, so the fuzzer explores the sinks' own
 *     routing, negotiation and credential checks;
 *   - raw: the bytes as they are, for libmicrohttpd's parser and the limits.
 * The answer must be nothing (the server closed) or well-formed HTTP; a
 * structured request must get its whole body, never a 500, a 401 always
 * with WWW-Authenticate, a 200 from a protected sink only with the right
 * credentials; and a 200 body must be valid in the format its Content-Type
 * names (after gunzip when it is gzip-encoded): Prometheus text or
 * OpenMetrics through check_prom.c, JSON through json-c in strict mode.
 * The real server's threads handle the requests, so the sinks' code is
 * exactly what a scrape runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <tacho/tacho.h>
#include <zlib.h>

#include "checks.h"
#include "fuzz.h"
#include "tacho_test.h"

#define TOKEN "s3cret-token"
#define BASIC_USER "user:pa55"
#define BASIC_B64 "dXNlcjpwYTU1" /* base64 of BASIC_USER */
#define MAX_ANSWER (4 * 1024 * 1024)

enum { PROM, PROM_AUTH, JSON, JSON_AUTH, TARGETS };

static const char *const instance[TARGETS] = {"prom", "prom_auth", "json",
                                              "json_auth"};
static _Atomic int ports[TARGETS];
static tacho_host_t *host;
static char *dir;

/* ---- the host -------------------------------------------------------------
 */

/* Learns each sink's port from its "listening on http://127.0.0.1:PORT/"
 * line: the sinks bind port 0, so the kernel picks free ones. */
static void on_log(void *arg, tacho_log_level_t level, const char *origin,
                   const char *message)
{
    const char *at = strstr(message, "listening on http://127.0.0.1:");
    for (int i = 0; at != NULL && i < TARGETS; i++) {
        const char *name = strrchr(origin, ':');
        if (name != NULL && strcmp(name + 1, instance[i]) == 0) {
            ports[i] = atoi(at + strlen("listening on http://127.0.0.1:"));
        }
    }
    if (level <= TACHO_LOG_WARNING) {
        fprintf(stderr, "fuzz: [%s] %s\n", origin, message);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    FUZZ_CHECK(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0,
               "cannot write %s", path);
}

/* Every sink listens on a port the kernel picks and closes idle
 * connections after 1 s, the least its `timeout` allows. */
#define LISTEN "listen = \"127.0.0.1:0\"; timeout = 1; "
#define AUTH "auth_token_file = \"%s/token\"; auth_basic_file = \"%s/basic\"; "

static char *host_config(void)
{
    static const char fmt[] =
        "tacho = { worker = \"fuzz\"; interval = 3600.0; };\n"
        "sinks = (\n"
        "{ plugin = \"prometheus\"; name = \"prom\"; " LISTEN "},\n"
        "{ plugin = \"prometheus\"; name = \"prom_auth\"; " LISTEN AUTH "},\n"
        "{ plugin = \"http_json\"; name = \"json\"; " LISTEN "},\n"
        "{ plugin = \"http_json\"; name = \"json_auth\"; " LISTEN AUTH "}\n"
        ");\n";
    size_t n = sizeof fmt + 4 * strlen(dir);
    char *text = malloc(n);
    snprintf(text, n, fmt, dir, dir, dir, dir);
    return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsetenv("TACHO_PLUGIN_PATH");
    unsetenv("METRICS_INTERVAL");
    tacho_log_set_handler(on_log, NULL);
    dir = tacho_test_tmpdir("fuzz-http");
    char path[4200];
    snprintf(path, sizeof path, "%s/token", dir);
    write_file(path, TOKEN "\n");
    snprintf(path, sizeof path, "%s/basic", dir);
    write_file(path, BASIC_USER "\n");
    char *config = host_config();
    tacho_error_t err;
    FUZZ_CHECK(tacho_host_open_string(config, &host, &err) == 0, "open: %s",
               err.text);
    FUZZ_CHECK(tacho_host_start(host, &err) == 0, "start: %s", err.text);
    free(config);
    tacho_collector_t *c = tacho_host_collector(host);
    tacho_record(c, "resize", 1500000, true);
    tacho_record(c, "resize", 2500000, false);
    tacho_record(c, "caf\xc3\xa9 \"quoted\"\n", 4000000000ull, true);
    for (int i = 0; i < TARGETS; i++) {
        FUZZ_CHECK(ports[i] > 0, "no port logged for sink %s", instance[i]);
    }
    return 0;
}

void fuzz_cleanup(void)
{
    tacho_host_close(host);
    host = NULL;
    tacho_test_rmtree(dir);
    free(dir);
}

/* ---- the request -------------------------------------------------------- */

typedef struct request {
    char *text;
    size_t len;
    bool structured;
    bool head;
    char *auth;  /* the Authorization value sent, or NULL */
    char *extra; /* the extra header line, or NULL */
} request_t;

/* The next line of the input (without CR, LF or NUL), or NULL past the
 * end. */
static char *next_field(const uint8_t **p, const uint8_t *end)
{
    if (*p > end) {
        return NULL;
    }
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl != NULL ? nl : end;
    char *f = malloc((size_t)(stop - *p) + 1);
    size_t n = 0;
    for (const uint8_t *q = *p; q < stop; q++) {
        if (*q != '\r' && *q != '\0') {
            f[n++] = (char)*q;
        }
    }
    f[n] = '\0';
    *p = stop + 1;
    return f;
}

static void append(request_t *r, const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c);
    r->text = realloc(r->text, r->len + n + 1);
    r->len += (size_t)sprintf(r->text + r->len, "%s%s%s", a, b, c);
}

static void build_structured(request_t *r, const uint8_t *p, const uint8_t *end)
{
    char *method = next_field(&p, end);
    char *target = next_field(&p, end);
    char *f[4];
    for (int i = 0; i < 4; i++) {
        f[i] = next_field(&p, end);
    }
    const char *m = method != NULL && method[0] != '\0' ? method : "GET";
    r->head = strcmp(m, "HEAD") == 0;
    append(r, m, " ",
           target != NULL && target[0] != '\0' ? target : "/metrics");
    append(r, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", "", "");
    static const char *const names[] = {
        "Accept: ", "Accept-Encoding: ", "Authorization: ", ""};
    for (int i = 0; i < 4; i++) {
        if (f[i] != NULL && (i < 3 || f[i][0] != '\0')) {
            append(r, names[i], f[i], "\r\n");
        }
    }
    append(r, "\r\n", "", "");
    r->auth = f[2];
    r->extra = f[3];
    free(method);
    free(target);
    free(f[0]);
    free(f[1]);
}

static void build_request(request_t *r, const uint8_t *data, size_t size,
                          bool raw)
{
    *r = (request_t){.structured = !raw};
    if (raw) {
        r->text = malloc(size + 1);
        memcpy(r->text, data, size);
        r->len = size;
    } else {
        build_structured(r, data, data + size);
    }
}

/* ---- talking to the server ------------------------------------------------
 */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
               "cannot connect to port %d: %s (server gone?)", port,
               strerror(errno));
    /* No TIME_WAIT pile-up over millions of connections. */
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    return fd;
}

/* Sends the request, half-closes, and reads until the server closes.
 * Returns NULL when nothing happens for 10 s: libmicrohttpd does not always
 * notice a half-close that comes with the last bytes of a malformed
 * request, and such a connection normally ends at the sinks' idle timeout
 * (1 s here), but under fuzzing load now and then much later. A held
 * connection is no failure as long as the server answers others (see
 * check_alive()). */
static char *exchange(int port, const request_t *r, size_t *len)
{
    int fd = connect_to(port);
    size_t sent = 0;
    while (sent < r->len) {
        ssize_t n = send(fd, r->text + sent, r->len - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break; /* the server may close early on a bad request */
        }
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    char *buf = malloc(MAX_ANSWER + 1);
    size_t got = 0;
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 10000) != 1) {
            close(fd);
            free(buf);
            return NULL;
        }
        ssize_t n = recv(fd, buf + got, MAX_ANSWER - got, 0);
        if (n <= 0) {
            break; /* closed, or reset after an answer */
        }
        got += (size_t)n;
        FUZZ_CHECK(got < MAX_ANSWER, "answer larger than %d bytes", MAX_ANSWER);
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* After a held connection: the same sink must still answer a good
 * request at once. */
static void check_alive(int target)
{
    request_t ok = {.structured = true};
    static const char text[] = "GET /metrics.json HTTP/1.1\r\nHost: x\r\n"
                               "Authorization: Bearer " TOKEN "\r\n"
                               "Connection: close\r\n\r\n";
    ok.text = (char *)text;
    ok.len = sizeof text - 1;
    size_t len = 0;
    char *answer = exchange(ports[target], &ok, &len);
    FUZZ_CHECK(answer != NULL && len > 12,
               "sink %s answers nothing while one connection is held",
               instance[target]);
    fprintf(stderr,
            "fuzz: note: sink %s held a malformed request for 10 s "
            "and still answers\n",
            instance[target]);
    free(answer);
}

/* ---- checking the answer ---------------------------------------------- */

typedef struct answer {
    int status;
    const char *headers; /* after the status line */
    const char *body;
    size_t body_len;
    long content_length; /* -1 when absent */
} answer_t;

/* Copies header `name`'s value into out ("" when absent). */
static bool header(const answer_t *a, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *h = a->headers; h < a->body;) {
        const char *eol = strstr(h, "\r\n");
        if (eol == NULL || eol == h) {
            break;
        }
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            const char *v = h + n + 1;
            v += strspn(v, " ");
            snprintf(out, size, "%.*s", (int)(eol - v), v);
            return true;
        }
        h = eol + 2;
    }
    out[0] = '\0';
    return false;
}

static void parse_answer(const char *text, size_t len, answer_t *a)
{
    int status = 0;
    FUZZ_CHECK(len >= 12 &&
                   (strncmp(text, "HTTP/1.1 ", 9) == 0 ||
                    strncmp(text, "HTTP/1.0 ", 9) == 0) &&
                   sscanf(text + 9, "%3d", &status) == 1 && status >= 100 &&
                   status <= 599,
               "not an HTTP status line: %.40s", text);
    const char *end = strstr(text, "\r\n\r\n");
    FUZZ_CHECK(end != NULL, "headers never end:\n%s", text);
    a->status = status;
    a->headers = strstr(text, "\r\n") + 2;
    a->body = end + 4;
    a->body_len = len - (size_t)(a->body - text);
    char v[64];
    a->content_length = header(a, "Content-Length", v, sizeof v) ? atol(v) : -1;
}

static char *gunzip(const char *in, size_t n, size_t *out_len)
{
    z_stream z = {0};
    FUZZ_CHECK(inflateInit2(&z, 15 + 16) == Z_OK, "inflateInit2");
    size_t cap = 64 * 1024, got = 0;
    char *out = malloc(cap + 1);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (got == cap) {
            cap *= 2;
            out = realloc(out, cap + 1);
        }
        z.next_out = (Bytef *)out + got;
        z.avail_out = (uInt)(cap - got);
        rc = inflate(&z, Z_NO_FLUSH);
        got = cap - z.avail_out;
    }
    inflateEnd(&z);
    FUZZ_CHECK(rc == Z_STREAM_END, "gzip body does not inflate (%d)", rc);
    out[got] = '\0';
    *out_len = got;
    return out;
}

static void check_body_format(const char *type, const char *body, size_t n)
{
    char why[512];
    bool om = strncmp(type, "application/openmetrics-text", 28) == 0;
    if (om || strncmp(type, "text/plain; version=0.0.4", 25) == 0) {
        prom_doc_t doc;
        bool ok = prom_parse(body, n, om, &doc, why, sizeof why) &&
                  prom_check_pipelines(&doc, "tacho_", om, why, sizeof why);
        FUZZ_CHECK(ok, "scrape invalid: %s", why);
        prom_doc_free(&doc);
    } else if (strncmp(type, "application/json", 16) == 0) {
        json_tokener *tok = json_tokener_new();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                        JSON_TOKENER_VALIDATE_UTF8);
        json_object *o = json_tokener_parse_ex(tok, body, (int)n);
        bool ok = o != NULL && json_tokener_get_parse_end(tok) == n;
        json_tokener_free(tok);
        json_object_put(o);
        FUZZ_CHECK(ok, "JSON body invalid:\n%.*s", (int)n, body);
    }
}

/* True when `v` holds credentials a protected sink accepts: the scheme is
 * case-blind, and the server sees the value without surrounding blanks. */
static bool good_value(const char *v)
{
    v += strspn(v, " \t");
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
        n--;
    }
    return (n == 7 + strlen(TOKEN) && strncasecmp(v, "Bearer ", 7) == 0 &&
            strncmp(v + 7, TOKEN, strlen(TOKEN)) == 0) ||
           (n == 6 + strlen(BASIC_B64) && strncasecmp(v, "Basic ", 6) == 0 &&
            strncmp(v + 6, BASIC_B64, strlen(BASIC_B64)) == 0);
}

/* The Authorization field, or an extra header line that is one. */
static bool good_auth(const request_t *r)
{
    const char *x = r->extra;
    return (r->auth != NULL && good_value(r->auth)) ||
           (x != NULL && strncasecmp(x, "Authorization:", 14) == 0 &&
            good_value(x + 14));
}

static void check_structured(const request_t *r, int target, const answer_t *a)
{
    char v[256];
    FUZZ_CHECK(a->status != 500, "500 answer:\n%s", a->headers);
    /* Every answer of the sinks' server names its Content-Type. One without
     * is libmicrohttpd refusing a request it could not parse: a 4xx, whose
     * framing is libmicrohttpd's business (0.9.75 sends the status and
     * headers of some refusals twice, e.g. for "Content-Length: "). */
    if (!header(a, "Content-Type", v, sizeof v)) {
        FUZZ_CHECK(a->status >= 400 && a->status < 500,
                   "a %d answer without Content-Type", a->status);
        return;
    }
    FUZZ_CHECK(a->status != 401 || header(a, "WWW-Authenticate", v, sizeof v),
               "401 without WWW-Authenticate");
    bool no_body =
        r->head || a->status == 204 || a->status == 304 || a->status < 200;
    FUZZ_CHECK(no_body || a->content_length == (long)a->body_len,
               "body of %zu bytes, Content-Length %ld", a->body_len,
               a->content_length);
    if (a->status != 200 || no_body) {
        return;
    }
    bool healthz = a->body_len == 3 && memcmp(a->body, "ok\n", 3) == 0;
    FUZZ_CHECK(target == PROM || target == JSON || healthz || good_auth(r),
               "200 from a protected sink with credentials '%s'",
               r->auth != NULL ? r->auth : "(none)");
    char type[128], enc[64];
    header(a, "Content-Type", type, sizeof type);
    header(a, "Content-Encoding", enc, sizeof enc);
    size_t n = a->body_len;
    char *plain = strcasecmp(enc, "gzip") == 0 ? gunzip(a->body, n, &n) : NULL;
    check_body_format(type, plain != NULL ? plain : a->body, n);
    free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    int target = data[0] & 3;
    request_t r;
    build_request(&r, data + 1, size - 1, data[0] & 4);
    size_t len = 0;
    char *text = exchange(ports[target], &r, &len);
    if (text == NULL) {
        check_alive(target);
    } else if (len > 0) {
        answer_t a;
        parse_answer(text, len, &a);
        if (r.structured) {
            check_structured(&r, target, &a);
        }
    }
    free(text);
    free(r.text);
    free(r.auth);
    free(r.extra);
    return 0;
}
