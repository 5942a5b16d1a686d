/*
 * statsd: a tacho sink that sends the metrics to a StatsD server over UDP,
 * as plain StatsD lines, once per interval (and once more at shutdown):
 *
 *   tacho.build.runs:3|c            runs since the last report (a counter)
 *   tacho.build.failed:1|c          failed runs since the last report
 *   tacho.build.duration_p95_ms:812.5|g   window 95th percentile
 *   tacho.build.runs_per_hour:36|g  window runs per hour
 *   tacho.uptime_seconds:3600|g
 *
 * Lines are packed into datagrams of at most max_packet bytes. Pipeline
 * names are made safe for StatsD: anything but letters, digits, '_' and
 * '-' becomes '_'. Counters are sent as the change since the last report
 * that went out, so the StatsD server's sums equal tacho's counts.
 *
 * It is an example of docs/PLUGINS.md, built in tree with the project or
 * out of tree against an installed tacho (see CMakeLists.txt, README.md).
 */
#define _POSIX_C_SOURCE 200809L /* getaddrinfo() under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tacho/tacho.h>

#define STATSD_MIN_PACKET 64
#define STATSD_MAX_PACKET 65000
#define STATSD_LINE_MAX 512

/* What was last sent for one pipeline, to send changes only. */
typedef struct sent {
    char *name;
    uint64_t runs, failed;
} sent_t;

typedef struct statsd {
    tacho_sink_ctx_t *ctx;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char *target; /* "host:port", for messages */
    char *prefix;
    size_t max_packet;
    int fd;
    sent_t *sent;
    size_t sent_count;
    char *packet; /* max_packet bytes */
    size_t used;
} statsd_t;

/* ---- create: options and the address ------------------------------------ */

static bool prefix_valid(const char *p)
{
    return p[0] != '\0' &&
           strspn(p, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(p);
}

/* Resolves host:port now, so --check-config catches a bad address. */
static int resolve(statsd_t *s, const tacho_options_t *opts, tacho_error_t *err)
{
    const char *host = tacho_options_string(opts, "host");
    int64_t port = tacho_options_int(opts, "port");
    if (port < 1 || port > 65535) {
        return tacho_options_error(opts, "port", err, TACHO_EINVAL,
                                   "port must be from 1 to 65535, not %lld",
                                   (long long)port);
    }
    char service[16];
    snprintf(service, sizeof service, "%lld", (long long)port);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        return tacho_options_error(opts, "host", err, TACHO_EINVAL,
                                   "cannot resolve '%s': %s", host,
                                   gai_strerror(rc));
    }
    memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
    s->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    size_t n = strlen(host) + sizeof service + 2;
    s->target = tacho_malloc(n);
    if (s->target != NULL) {
        snprintf(s->target, n, "%s:%s", host, service);
    }
    return 0;
}

static void statsd_destroy(void *state);

static int statsd_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                         void **state, tacho_error_t *err)
{
    const char *prefix = tacho_options_string(opts, "prefix");
    if (!prefix_valid(prefix)) {
        return tacho_options_error(opts, "prefix", err, TACHO_EINVAL,
                                   "prefix '%s' may hold only letters, "
                                   "digits, '_', '.' and '-'",
                                   prefix);
    }
    int64_t max_packet = tacho_options_int(opts, "max_packet");
    if (max_packet < STATSD_MIN_PACKET || max_packet > STATSD_MAX_PACKET) {
        return tacho_options_error(opts, "max_packet", err, TACHO_EINVAL,
                                   "max_packet must be from %d to %d bytes",
                                   STATSD_MIN_PACKET, STATSD_MAX_PACKET);
    }
    statsd_t *s = tacho_calloc(1, sizeof *s);
    if (s == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    s->ctx = ctx;
    s->fd = -1;
    s->max_packet = (size_t)max_packet;
    int rc = resolve(s, opts, err);
    if (rc != 0) {
        statsd_destroy(s);
        return rc;
    }
    s->prefix = tacho_strdup(prefix);
    s->packet = tacho_malloc(s->max_packet);
    if (s->target == NULL || s->prefix == NULL || s->packet == NULL) {
        statsd_destroy(s);
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    *state = s;
    return 0;
}

/* ---- start / stop -------------------------------------------------------- */

static int statsd_start(void *state, tacho_error_t *err)
{
    statsd_t *s = state;
    s->fd = socket(s->addr.ss_family, SOCK_DGRAM, 0);
    if (s->fd >= 0) {
        fcntl(s->fd, F_SETFD, FD_CLOEXEC); /* not into the worker's jobs */
    }
    /* A connected UDP socket: send() needs no address each time, and a
     * server that is not listening shows up as ECONNREFUSED. */
    if (s->fd < 0 ||
        connect(s->fd, (struct sockaddr *)&s->addr, s->addr_len) != 0) {
        int e = errno;
        return tacho_error_set(err, -e, "cannot reach %s: %s", s->target,
                               strerror(e));
    }
    return 0;
}

static void statsd_stop(void *state)
{
    statsd_t *s = state;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static void statsd_destroy(void *state)
{
    statsd_t *s = state;
    statsd_stop(s);
    for (size_t i = 0; i < s->sent_count; i++) {
        tacho_free(s->sent[i].name);
    }
    tacho_free(s->sent);
    tacho_free(s->packet);
    tacho_free(s->prefix);
    tacho_free(s->target);
    tacho_free(s);
}

/* ---- write: lines into datagrams -------------------------------------------
 */

static bool send_packet(statsd_t *s)
{
    if (s->used == 0) {
        return true;
    }
    ssize_t n = send(s->fd, s->packet, s->used, 0);
    if (n < 0) {
        tacho_log(s->ctx, TACHO_LOG_ERROR, "cannot send to %s: %s", s->target,
                  strerror(errno));
        return false;
    }
    s->used = 0;
    return true;
}

/* Adds one line, sending the datagram first when the line would not fit. */
static bool add_line(statsd_t *s, const char *line)
{
    size_t len = strlen(line);
    size_t need = len + (s->used > 0 ? 1 : 0);
    if (s->used + need > s->max_packet && !send_packet(s)) {
        return false;
    }
    if (s->used > 0) {
        s->packet[s->used++] = '\n';
    }
    memcpy(s->packet + s->used, line, len);
    s->used += len;
    return true;
}

/* The pipeline name with everything StatsD could misread replaced. */
static void safe_name(const char *name, char *out, size_t size)
{
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < size; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
}

static sent_t *find_sent(statsd_t *s, const char *name)
{
    for (size_t i = 0; i < s->sent_count; i++) {
        if (strcmp(s->sent[i].name, name) == 0) {
            return &s->sent[i];
        }
    }
    sent_t *grown = tacho_realloc(s->sent, (s->sent_count + 1) * sizeof *grown);
    if (grown == NULL) {
        return NULL;
    }
    s->sent = grown;
    sent_t *e = &s->sent[s->sent_count];
    e->name = tacho_strdup(name);
    e->runs = e->failed = 0;
    if (e->name == NULL) {
        return NULL;
    }
    s->sent_count++;
    return e;
}

/* The change of a counter since it was last sent; after a collector reset
 * the count restarts, and all of it is new. */
static uint64_t delta(uint64_t now, uint64_t before)
{
    return now >= before ? now - before : now;
}

/* The lines of one pipeline. */
static bool pipeline_lines(statsd_t *s, const tacho_stats_t *st)
{
    char name[256], line[STATSD_LINE_MAX];
    safe_name(tacho_stats_name(st), name, sizeof name);
    sent_t *e = find_sent(s, tacho_stats_name(st));
    if (e == NULL) {
        tacho_log(s->ctx, TACHO_LOG_ERROR, "out of memory");
        return false;
    }
    uint64_t runs = delta(tacho_stats_runs(st, TACHO_SCOPE_LIFETIME), e->runs);
    uint64_t failed =
        delta(tacho_stats_failed(st, TACHO_SCOPE_LIFETIME), e->failed);
    bool ok = true;
    if (runs > 0) {
        snprintf(line, sizeof line, "%s.%s.runs:%llu|c", s->prefix, name,
                 (unsigned long long)runs);
        ok = ok && add_line(s, line);
    }
    if (failed > 0) {
        snprintf(line, sizeof line, "%s.%s.failed:%llu|c", s->prefix, name,
                 (unsigned long long)failed);
        ok = ok && add_line(s, line);
    }
    double v;
    if (tacho_stats_quantile_ns(st, TACHO_SCOPE_WINDOW, 0.95, &v)) {
        snprintf(line, sizeof line, "%s.%s.duration_p95_ms:%.3f|g", s->prefix,
                 name, v / 1e6);
        ok = ok && add_line(s, line);
    }
    if (tacho_stats_runs_per_hour(st, TACHO_SCOPE_WINDOW, &v)) {
        snprintf(line, sizeof line, "%s.%s.runs_per_hour:%.3f|g", s->prefix,
                 name, v);
        ok = ok && add_line(s, line);
    }
    return ok;
}

/* Called once the whole snapshot went out: remember what was sent. */
static void remember(statsd_t *s, const tacho_snapshot_t *snap)
{
    for (size_t i = 0; i < tacho_snapshot_pipeline_count(snap); i++) {
        const tacho_stats_t *st = tacho_snapshot_pipeline(snap, i);
        sent_t *e = find_sent(s, tacho_stats_name(st));
        if (e != NULL) {
            e->runs = tacho_stats_runs(st, TACHO_SCOPE_LIFETIME);
            e->failed = tacho_stats_failed(st, TACHO_SCOPE_LIFETIME);
        }
    }
}

/* Sink thread. A failed send returns RETRY: the dispatcher tries again
 * (or moves on to a newer snapshot), and as the counters only advance
 * once a snapshot went out whole, no run is lost (a datagram that did go
 * out before the failure may be counted twice). */
static tacho_sink_result_t statsd_write(void *state,
                                        const tacho_snapshot_t *snap)
{
    statsd_t *s = state;
    s->used = 0;
    char line[STATSD_LINE_MAX];
    snprintf(
        line, sizeof line, "%s.uptime_seconds:%llu|g", s->prefix,
        (unsigned long long)(tacho_snapshot_uptime_ns(snap) / 1000000000u));
    bool ok = add_line(s, line);
    for (size_t i = 0; ok && i < tacho_snapshot_pipeline_count(snap); i++) {
        ok = pipeline_lines(s, tacho_snapshot_pipeline(snap, i));
    }
    ok = ok && send_packet(s);
    if (!ok) {
        return TACHO_SINK_RETRY;
    }
    remember(s, snap);
    return TACHO_SINK_OK;
}

static const tacho_option_spec_t statsd_options[] = {
    {"host", TACHO_OPT_STRING, "\"127.0.0.1\"",
     "StatsD server: a host name or an IPv4/IPv6 address", false},
    {"port", TACHO_OPT_INT, "8125", "StatsD server's UDP port (1..65535)",
     false},
    {"prefix", TACHO_OPT_STRING, "\"tacho\"",
     "First part of every metric name (letters, digits, '_', '.', '-')", false},
    {"max_packet", TACHO_OPT_INT, "1432",
     "Largest datagram in bytes (64..65000); 1432 fits an Ethernet MTU", false},
    {NULL, 0, NULL, NULL, false},
};

TACHO_SINK_DEFINE(statsd) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "statsd",
    .description = "Sends run counts and durations to a StatsD server over "
                   "UDP",
    .version = "1.0.0",
    .options = statsd_options,
    .create = statsd_create,
    .start = statsd_start,
    .write = statsd_write,
    .stop = statsd_stop,
    .destroy = statsd_destroy,
};
