/*
 * End-to-end suite for the statsd example sink (examples/sinks/statsd):
 * loaded by the real tacho-worker through an ordinary config (plugin_path
 * pointing at its build directory), its datagrams are received by a UDP
 * socket here and the counters summed: they must equal the runs the worker
 * logged. Also: option errors with file:line, start and send failures,
 * --list-plugins/--plugin-doc, allocation failures, and an out-of-tree
 * build against an installed tacho.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tacho/tacho.h>

#include "e2e_support.h"
#include "failing_alloc.h"
#include "tacho_test.h"

static char *tmp;

static bool has(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL) {
        return true;
    }
    fprintf(stderr, "\nmissing: %s\nin:\n%s\n", needle,
            hay != NULL ? hay : "(null)");
    return false;
}

/* A UDP socket on 127.0.0.1 and a free port; returns the fd. */
static int udp_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        abort();
    }
    int rcvbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* What the datagrams said. */
typedef struct received {
    long datagrams, lines, bad_lines;
    size_t largest;
    char names[16][64];
    long runs[16], failed[16];
    size_t n;
    long p95_lines, rate_lines, uptime_lines;
} received_t;

static size_t slot(received_t *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strlen(r->names[i]) == len && memcmp(r->names[i], name, len) == 0) {
            return i;
        }
    }
    snprintf(r->names[r->n], sizeof r->names[0], "%.*s", (int)len, name);
    return r->n++;
}

/* One line "PREFIX.NAME.KEY:VALUE|TYPE". */
static void parse_line(received_t *r, const char *prefix, char *line)
{
    r->lines++;
    size_t pl = strlen(prefix);
    char *colon = strchr(line, ':');
    char *bar = colon != NULL ? strchr(colon, '|') : NULL;
    if (strncmp(line, prefix, pl) != 0 || line[pl] != '.' || bar == NULL) {
        r->bad_lines++;
        return;
    }
    char *name = line + pl + 1;
    *colon = '\0';
    if (strcmp(name, "uptime_seconds") == 0 && strcmp(bar, "|g") == 0) {
        r->uptime_lines++;
        return;
    }
    char *dot = strrchr(name, '.');
    if (dot == NULL) {
        r->bad_lines++;
        return;
    }
    size_t i = slot(r, name, (size_t)(dot - name));
    const char *key = dot + 1;
    char *end = NULL;
    double v = strtod(colon + 1, &end);
    if (end != bar) {
        r->bad_lines++;
    } else if (strcmp(key, "runs") == 0 && strcmp(bar, "|c") == 0) {
        r->runs[i] += (long)v;
    } else if (strcmp(key, "failed") == 0 && strcmp(bar, "|c") == 0) {
        r->failed[i] += (long)v;
    } else if (strcmp(key, "duration_p95_ms") == 0 && strcmp(bar, "|g") == 0) {
        r->p95_lines++;
    } else if (strcmp(key, "runs_per_hour") == 0 && strcmp(bar, "|g") == 0) {
        r->rate_lines++;
    } else {
        r->bad_lines++;
    }
}

static void receive_all(int fd, const char *prefix, received_t *r)
{
    memset(r, 0, sizeof *r);
    char buf[70000];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
        buf[n] = '\0';
        r->datagrams++;
        r->largest = (size_t)n > r->largest ? (size_t)n : r->largest;
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
            parse_line(r, prefix, line);
        }
    }
}

static long sent(const received_t *r, const char *name, bool failed)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->names[i], name) == 0) {
            return failed ? r->failed[i] : r->runs[i];
        }
    }
    return 0;
}

/* Runs of job `name` the worker logged: total and failed. */
static void logged(const char *log, const char *name, long *runs, long *failed)
{
    char key[128];
    snprintf(key, sizeof key, "[worker] job %s finished in ", name);
    *runs = *failed = 0;
    for (const char *p = log; (p = strstr(p, key)) != NULL; p++) {
        const char *eol = strchr(p, '\n');
        const char *bad = strstr(p, ": failed (");
        (*runs)++;
        *failed += bad != NULL && (eol == NULL || bad < eol);
    }
}

static const char *write_conf(const char *name, const char *sink_opts,
                              const char *jobs, double interval)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    char text[4096];
    snprintf(text, sizeof text,
             "tacho = { worker = \"e2e\"; interval = %g; plugin_path = "
             "[\"%s\"]; };\n"
             "sinks = ({ plugin = \"statsd\";\n  %s });\n"
             "jobs = (%s);\n",
             interval, TACHO_TEST_STATSD_DIR, sink_opts, jobs);
    e2e_write_file(path, text);
    return path;
}

/* Starts the worker on `conf`, lets it run, stops it with SIGTERM and
 * returns its stderr. */
static char *run_worker(const char *conf, double seconds, int *code)
{
    char *argv[] = {(char *)e2e_bin("tacho-worker"), "-c", (char *)conf, NULL};
    e2e_proc_t p;
    if (!e2e_start(&p, tmp, "worker", argv, NULL)) {
        return NULL;
    }
    e2e_sleep(seconds);
    kill(p.pid, SIGTERM);
    int status = 0;
    *code = e2e_wait(&p, 20, &status) ? e2e_exit_code(status) : -1;
    return tacho_test_read_file(p.err_path, NULL);
}

static void statsd_counts_equal_logged_runs(void)
{
    int port;
    int fd = udp_listen(&port);
    char opts[256];
    snprintf(opts, sizeof opts, "port = %d; prefix = \"e2e.w1\";", port);
    const char *conf =
        write_conf("counts.conf", opts,
                   "{ name = \"ok\"; argv = [\"true\"]; every = 0.2; },"
                   "{ name = \"bad.job\"; command = \"exit 1\"; every = 0.3; }",
                   0.3);
    int code;
    char *log = run_worker(conf, 2.0, &code);
    CU_ASSERT_EQUAL(code, 0);
    received_t r;
    receive_all(fd, "e2e.w1", &r);
    long ok_runs, ok_failed, bad_runs, bad_failed;
    logged(log, "ok", &ok_runs, &ok_failed);
    logged(log, "bad.job", &bad_runs, &bad_failed);
    CU_ASSERT_TRUE(ok_runs >= 5);
    CU_ASSERT_TRUE(bad_runs >= 3);
    /* Summed counters equal the runs exactly, the final snapshot included;
     * the '.' in "bad.job" became '_'. */
    CU_ASSERT_EQUAL(sent(&r, "ok", false), ok_runs);
    CU_ASSERT_EQUAL(sent(&r, "ok", true), 0);
    CU_ASSERT_EQUAL(sent(&r, "bad_job", false), bad_runs);
    CU_ASSERT_EQUAL(sent(&r, "bad_job", true), bad_failed);
    CU_ASSERT_EQUAL(bad_failed, bad_runs);
    CU_ASSERT_EQUAL(r.bad_lines, 0);
    /* A report per interval (about 6) plus the final one. */
    CU_ASSERT_TRUE(r.uptime_lines >= 4);
    CU_ASSERT_TRUE(r.p95_lines >= 4);
    CU_ASSERT_TRUE(r.rate_lines >= 4);
    CU_ASSERT_TRUE(r.largest <= 1432);
    free(log);
    close(fd);
}

/* Many pipelines and a small max_packet: several datagrams per report,
 * none larger than allowed, no line cut. */
static void statsd_datagrams_respect_max_packet(void)
{
    int port;
    int fd = udp_listen(&port);
    char opts[256];
    snprintf(opts, sizeof opts, "port = %d; max_packet = 100;", port);
    const char *conf =
        write_conf("packet.conf", opts,
                   "{ name = \"a-long-pipeline-name-1\"; argv = [\"true\"]; "
                   "every = 0.2; },"
                   "{ name = \"a-long-pipeline-name-2\"; argv = [\"true\"]; "
                   "every = 0.2; },"
                   "{ name = \"a-long-pipeline-name-3\"; argv = [\"true\"]; "
                   "every = 0.2; }",
                   0.25);
    int code;
    char *log = run_worker(conf, 1.2, &code);
    CU_ASSERT_EQUAL(code, 0);
    received_t r;
    receive_all(fd, "tacho", &r);
    CU_ASSERT_TRUE(r.largest <= 100);
    CU_ASSERT_TRUE(r.datagrams > r.uptime_lines);
    CU_ASSERT_EQUAL(r.bad_lines, 0);
    long runs, failed;
    logged(log, "a-long-pipeline-name-2", &runs, &failed);
    CU_ASSERT_EQUAL(sent(&r, "a-long-pipeline-name-2", false), runs);
    free(log);
    close(fd);
}

static void check_problem(const char *opts, const char *want)
{
    const char *conf = write_conf("bad.conf", opts, "", 1);
    char *argv[] = {(char *)e2e_bin("tacho-worker"), "--check-config",
                    (char *)conf, NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(e2e_run(tmp, "check", argv, NULL, 30, &out, &err), 78);
    char place[1200];
    snprintf(place, sizeof place, "%s:3: ", conf);
    CU_ASSERT_TRUE(has(err, place));
    CU_ASSERT_TRUE(has(err, want));
    free(out);
    free(err);
}

static void statsd_bad_options_have_place(void)
{
    check_problem("port = 70000;", "port must be from 1 to 65535, not 70000");
    check_problem("prefix = \"a b\";", "prefix 'a b' may hold only letters, "
                                       "digits, '_', '.' and '-'");
    check_problem("max_packet = 10;",
                  "max_packet must be from 64 to 65000 bytes");
    check_problem("host = \"no-such-host.invalid\";",
                  "cannot resolve 'no-such-host.invalid': ");
    check_problem("colour = 1;", "unknown key 'colour'");
}

/* connect() to the broadcast address without SO_BROADCAST is refused: the
 * start fails, and the worker exits 78 naming the sink. */
static void statsd_start_failure_reported(void)
{
    const char *conf =
        write_conf("bcast.conf", "host = \"255.255.255.255\";", "", 1);
    char *argv[] = {(char *)e2e_bin("tacho-worker"), "-c", (char *)conf, NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(e2e_run(tmp, "bcast", argv, NULL, 30, &out, &err), 78);
    CU_ASSERT_TRUE(has(err, "sink 'statsd' (plugin statsd) failed to start: "
                            "cannot reach 255.255.255.255:8125: Permission "
                            "denied"));
    free(out);
    free(err);
}

/* Nobody listening: the kernel reports the refused datagrams, the sink
 * logs why and asks for a retry. */
static void statsd_send_failure_logged(void)
{
    int port = e2e_free_port(SOCK_DGRAM);
    char opts[128];
    snprintf(opts, sizeof opts, "port = %d;", port);
    const char *conf =
        write_conf("refused.conf", opts,
                   "{ name = \"q\"; argv = [\"true\"]; every = 0.1; }", 0.2);
    int code;
    char *log = run_worker(conf, 1.5, &code);
    CU_ASSERT_EQUAL(code, 0);
    char want[256];
    snprintf(want, sizeof want,
             "error [sink:statsd:statsd] cannot send to 127.0.0.1:%d: "
             "Connection refused",
             port);
    CU_ASSERT_TRUE(has(log, want));
    free(log);
}

static void statsd_listed_and_documented(void)
{
    const char *conf = write_conf("list.conf", "", "", 1);
    char *list[] = {(char *)e2e_bin("tacho-worker"), "-c", (char *)conf,
                    "--list-plugins", NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(e2e_run(tmp, "list", list, NULL, 30, &out, &err), 0);
    char want[1200];
    snprintf(want, sizeof want, "statsd       1.0   %s/tacho_sink_statsd.so",
             TACHO_TEST_STATSD_DIR);
    CU_ASSERT_TRUE(has(out, want));
    CU_ASSERT_TRUE(has(out, "Sends run counts and durations to a StatsD "
                            "server over UDP (version 1.0.0)"));
    free(out);
    free(err);
    char *doc[] = {(char *)e2e_bin("tacho-worker"),
                   "-c",
                   (char *)conf,
                   "--plugin-doc",
                   "statsd",
                   NULL};
    CU_ASSERT_EQUAL(e2e_run(tmp, "doc", doc, NULL, 30, &out, &err), 0);
    CU_ASSERT_TRUE(has(out, "# `statsd` sink options"));
    CU_ASSERT_TRUE(has(out, "| `host` | string | `\"127.0.0.1\"` | no | "));
    CU_ASSERT_TRUE(has(out, "| `port` | integer | `8125` | no | "));
    CU_ASSERT_TRUE(has(out, "| `max_packet` | integer | `1432` | no | "));
    free(out);
    free(err);
}

/* ---- allocation failures, in-process through the real loader ------------ */

/* One open/start/record/close cycle with the sink; returns 0 when every
 * step worked. The sanitizer build checks that no failure leaks. */
static int statsd_cycle(const char *conf_text, int fd, received_t *r)
{
    tacho_host_t *h = NULL;
    tacho_error_t err;
    int rc = tacho_host_open_string(conf_text, &h, &err);
    if (rc == 0) {
        rc = tacho_host_start(h, &err);
    }
    if (rc != 0) {
        tacho_host_close(h);
        return rc;
    }
    tacho_collector_t *c = tacho_host_collector(h);
    rc = tacho_record(c, "build", 1000000, true);
    rc = rc != 0 ? rc : tacho_record(c, "build", 2000000, false);
    tacho_host_close(h);
    receive_all(fd, "tacho", r);
    return rc;
}

static void statsd_out_of_memory_is_clean(void)
{
    int port;
    int fd = udp_listen(&port);
    char text[1024];
    snprintf(text, sizeof text,
             "tacho = { plugin_path = [\"%s\"]; interval = 60; };\n"
             "sinks = ({ plugin = \"statsd\"; port = %d; });\n",
             TACHO_TEST_STATSD_DIR, port);
    received_t r;
    /* Without failures: the final snapshot carries both runs. */
    CU_ASSERT_EQUAL_FATAL(statsd_cycle(text, fd, &r), 0);
    CU_ASSERT_EQUAL(sent(&r, "build", false), 2);
    CU_ASSERT_EQUAL(sent(&r, "build", true), 1);
    long total = 0;
    int rc = -1;
    for (long n = 1; n < 100000 && rc != 0; n++) {
        failing_alloc_nth(n);
        failing_alloc_install();
        rc = statsd_cycle(text, fd, &r);
        failing_alloc_remove();
        total = n;
        /* A failure is a clean error code, never a crash or a hang; the
         * only other outcome is success. */
        CU_ASSERT_TRUE(rc == 0 || rc == TACHO_ENOMEM || rc == TACHO_ESINK ||
                       rc == TACHO_EPLUGIN);
    }
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_TRUE(total > 5);
    close(fd);
}

/* The sink's own CMakeLists.txt builds it out of tree against an installed
 * tacho, and that build loads and delivers too. */
static void statsd_builds_out_of_tree(void)
{
    char prefix[1024], src[1024], bin[1100], pp[1200], cf[600];
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
    CU_ASSERT_TRUE_FATAL(e2e_install(tmp, prefix));
    snprintf(src, sizeof src, "%s/examples/sinks/statsd",
             TACHO_TEST_SOURCE_DIR);
    snprintf(bin, sizeof bin, "%s/build-statsd", tmp);
    snprintf(pp, sizeof pp, "-DCMAKE_PREFIX_PATH=%s", prefix);
    snprintf(cf, sizeof cf, "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror %s",
             e2e_sanitize_flags());
    char *configure[] = {TACHO_TEST_CMAKE, "-S", src, "-B", bin, pp, cf, NULL};
    CU_ASSERT_EQUAL_FATAL(
        e2e_run(tmp, "cmake", configure, NULL, 120, NULL, NULL), 0);
    char *build[] = {TACHO_TEST_CMAKE, "--build", bin, NULL};
    CU_ASSERT_EQUAL_FATAL(e2e_run(tmp, "cmake", build, NULL, 120, NULL, NULL),
                          0);

    /* The installed worker runs one command and delivers its final
     * snapshot to the out-of-tree sink. */
    int port;
    int fd = udp_listen(&port);
    char conf[1200], text[2048], worker[1100];
    snprintf(conf, sizeof conf, "%s/oot.conf", tmp);
    snprintf(text, sizeof text,
             "tacho = { plugin_path = [\"%s\"]; };\n"
             "sinks = ({ plugin = \"statsd\"; port = %d; prefix = \"oot\"; "
             "});\n",
             bin, port);
    e2e_write_file(conf, text);
    snprintf(worker, sizeof worker, "%s/bin/tacho-worker", prefix);
    char ld[1200];
    snprintf(ld, sizeof ld, "LD_LIBRARY_PATH=%s/lib", prefix);
    char *env[] = {ld, NULL};
    char *argv[] = {worker, "-c", conf,        "--run-once", "--name",
                    "cron", "--", "/bin/true", NULL};
    char *err = NULL;
    CU_ASSERT_EQUAL(e2e_run(tmp, "oot", argv, env, 30, NULL, &err), 0);
    received_t r;
    receive_all(fd, "oot", &r);
    CU_ASSERT_EQUAL(sent(&r, "cron", false), 1);
    CU_ASSERT_EQUAL(r.bad_lines, 0);
    free(err);
    close(fd);
}

static int suite_init(void)
{
    tmp = tacho_test_tmpdir("statsd");
    return 0;
}

static int suite_cleanup(void)
{
    tacho_test_rmtree(tmp);
    free(tmp);
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"statsd_counts_equal_logged_runs", statsd_counts_equal_logged_runs},
        {"statsd_datagrams_respect_max_packet",
         statsd_datagrams_respect_max_packet},
        {"statsd_bad_options_have_place", statsd_bad_options_have_place},
        {"statsd_start_failure_reported", statsd_start_failure_reported},
        {"statsd_send_failure_logged", statsd_send_failure_logged},
        {"statsd_listed_and_documented", statsd_listed_and_documented},
        {"statsd_out_of_memory_is_clean", statsd_out_of_memory_is_clean},
        {"statsd_builds_out_of_tree", statsd_builds_out_of_tree},
        {NULL, NULL}};
    return tacho_test_run("statsd", suite_init, suite_cleanup, cases);
}
