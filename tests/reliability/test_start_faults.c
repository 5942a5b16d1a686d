/*
 * Start faults suite, driving the real tacho-worker: a sink whose port is
 * taken, whose listen address does not resolve, whose plugin does not
 * exist, or whose create() refuses its options stops the start with exit
 * 78 and an error naming the sink and the cause, before any job runs (the
 * job would touch a marker file at once). A sink marked optional that
 * fails to start leaves the worker running, with the failure in its health
 * as the other sinks report it.
 */
#include <json-c/json.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "reliability.h"

static char *dir;
static int taken_fd = -1, taken_port;

static const char *path_in(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* Writes a config with `sinks` and a job touching "ran"; returns its path
 * (valid until the next call). */
static const char *config(const char *sinks)
{
    static char conf[4200];
    snprintf(conf, sizeof conf, "%s", path_in("worker.conf"));
    FILE *f = fopen(conf, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "tacho = { interval = 0.1; };\nsinks = ( %s );\n"
            "jobs = ( { name = \"marker\"; argv = [\"/usr/bin/touch\", "
            "\"%s/ran\"]; every = 0.05; } );\n",
            sinks, dir);
    fclose(f);
    return conf;
}

/* Runs the worker on `sinks`; it must exit 78 with every `want` text in
 * its output and without having run the job. */
static void refused(const char *sinks, const char *const *want)
{
    const char *args[] = {"-c", config(sinks), NULL};
    char log[4200];
    snprintf(log, sizeof log, "%s", path_in("worker.log"));
    unlink(log);
    unlink(path_in("ran"));
    CU_ASSERT_EQUAL(rel_wait(rel_spawn(args, log), 30), 78);
    char *out = tacho_test_read_file(log, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    for (const char *const *w = want; *w != NULL; w++) {
        if (strstr(out, *w) == NULL) {
            printf("\n  missing '%s' in:\n%s", *w, out);
            CU_FAIL("an expected part of the message is missing");
        }
    }
    CU_ASSERT_NOT_EQUAL(access(path_in("ran"), F_OK), 0);
    free(out);
}

static void start_faults_port_in_use(void)
{
    char sinks[256];
    snprintf(sinks, sizeof sinks,
             "{ plugin = \"prometheus\"; name = \"scrape\"; listen = "
             "\"127.0.0.1:%d\"; }",
             taken_port);
    char cause[64];
    snprintf(cause, sizeof cause, "listen 127.0.0.1:%d", taken_port);
    const char *want[] = {"sink 'scrape' (plugin prometheus)", cause,
                          "address already in use", NULL};
    refused(sinks, want);
}

static void start_faults_unresolvable_listen_address(void)
{
    const char *want[] = {"http_json", "listen 'no-such-host.invalid:9465'",
                          "cannot resolve host 'no-such-host.invalid'", NULL};
    refused("{ plugin = \"http_json\"; listen = "
            "\"no-such-host.invalid:9465\"; }",
            want);
}

static void start_faults_missing_plugin(void)
{
    const char *want[] = {"'nosuch'", "tacho_sink_nosuch.so", NULL};
    refused("{ plugin = \"nosuch\"; }", want);
}

static void start_faults_create_failing(void)
{
    const char *want[] = {"sink 'csv' (plugin csv)",
                          "csv: mode must be an octal file mode such as "
                          "\"0640\", not \"rw-r\"",
                          NULL};
    refused("{ plugin = \"csv\"; path = \"/tmp/x.csv\"; mode = \"rw-r\"; }",
            want);
}

/* ---- an optional sink that fails ---------------------------------------- */

/* The http_json port from the worker's "listening on" line, within 10 s. */
static int logged_port(const char *log)
{
    for (double end = rel_now() + 10; rel_now() < end; rel_sleep(0.02)) {
        char *out = tacho_test_read_file(log, NULL);
        const char *at =
            out != NULL ? strstr(out, "listening on http://127.0.0.1:") : NULL;
        int port = at != NULL ? atoi(at + 30) : 0;
        free(out);
        if (port > 0) {
            return port;
        }
    }
    return 0;
}

/* The health entry of sink `name` in a /metrics.json scrape, or NULL. */
static json_object *sink_entry(json_object *root, const char *name)
{
    json_object *sinks = NULL;
    json_object_object_get_ex(root, "sinks", &sinks);
    for (size_t i = 0; i < json_object_array_length(sinks); i++) {
        json_object *e = json_object_array_get_idx(sinks, i), *n = NULL;
        if (json_object_object_get_ex(e, "name", &n) &&
            strcmp(json_object_get_string(n), name) == 0) {
            return e;
        }
    }
    return NULL;
}

static void check_down(int port)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics.json", port);
    CURL *curl = curl_easy_init();
    rel_body_t b = {0};
    CU_ASSERT_EQUAL_FATAL(rel_get(curl, url, 5, &b), 200);
    json_object *root = json_tokener_parse(b.data), *up = NULL, *err = NULL;
    json_object *e = sink_entry(root, "extra");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_TRUE(json_object_object_get_ex(e, "up", &up) &&
                   !json_object_get_boolean(up));
    CU_ASSERT_TRUE(
        json_object_object_get_ex(e, "lastError", &err) &&
        strstr(json_object_get_string(err), "address already in use") != NULL);
    json_object_put(root);
    free(b.data);
    curl_easy_cleanup(curl);
}

static void start_faults_optional_sink_stays_down(void)
{
    char sinks[512];
    snprintf(sinks, sizeof sinks,
             "{ plugin = \"prometheus\"; name = \"extra\"; optional = true; "
             "listen = \"127.0.0.1:%d\"; },\n"
             "{ plugin = \"http_json\"; listen = \"127.0.0.1:0\"; }",
             taken_port);
    const char *args[] = {"-c", config(sinks), NULL};
    char log[4200];
    snprintf(log, sizeof log, "%s", path_in("optional.log"));
    unlink(path_in("ran"));
    pid_t pid = rel_spawn(args, log);
    int port = logged_port(log);
    CU_ASSERT_TRUE(port > 0);
    if (port > 0) {
        check_down(port);
    }
    for (double end = rel_now() + 5;
         access(path_in("ran"), F_OK) != 0 && rel_now() < end;) {
        rel_sleep(0.02);
    }
    CU_ASSERT_EQUAL(access(path_in("ran"), F_OK), 0); /* jobs run */
    kill(pid, SIGTERM);
    CU_ASSERT_EQUAL(rel_wait(pid, 20), 0);
}

/* ---- the suite ---------------------------------------------------------- */

static int init(void)
{
    dir = tacho_test_tmpdir("start");
    taken_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(taken_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(taken_fd, 1) != 0 ||
        getsockname(taken_fd, (struct sockaddr *)&sa, &len) != 0) {
        return -1;
    }
    taken_port = ntohs(sa.sin_port);
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int cleanup(void)
{
    close(taken_fd);
    tacho_test_rmtree(dir);
    free(dir);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"start_faults_port_in_use", start_faults_port_in_use},
        {"start_faults_unresolvable_listen_address",
         start_faults_unresolvable_listen_address},
        {"start_faults_missing_plugin", start_faults_missing_plugin},
        {"start_faults_create_failing", start_faults_create_failing},
        {"start_faults_optional_sink_stays_down",
         start_faults_optional_sink_stays_down},
        {NULL, NULL},
    };
    return tacho_test_run("start_faults", init, cleanup, cases);
}
