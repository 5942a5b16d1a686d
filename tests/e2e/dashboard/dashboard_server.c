/*
 * The worker the dashboard's browser test looks at: a real host (libtacho,
 * the real tacho_sink_http_json.so) serving on 127.0.0.1, with a known set
 * of runs recorded first and then one more run every 200 ms until it is
 * told to stop (SIGTERM or SIGINT) or its time is up.
 *
 *   dashboard_server [PORT [MAX_SECONDS]]
 *
 * PORT 0 (the default) takes a free port. Once serving it prints the
 * dashboard's URL, "http://127.0.0.1:PORT/", as the first line on stdout.
 * Log messages go to stderr. Exits 0 after a clean shutdown. The test
 * sinks come from DASHBOARD_TEST_SINK_DIR (<build>/test-sinks).
 *
 * The known runs, which the test looks for on the page:
 *   known       7 runs, 2 of them failed
 *   nightly     3 runs, all succeeded, 2 to 4 seconds
 *   a name made of markup, 1 run: the page must show it as text
 * and then `live` grows by one run per 200 ms, one in ten failed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tacho/tacho.h>

#define MS 1000000ull
#define STEP_MS 200
#define DEFAULT_MAX_SECONDS 300

/* A pipeline name that would run script if the page used it as markup. */
#define MARKUP_NAME "<img src=x onerror=\"document.title='pwned'\">"

static atomic_bool stopping;
static pthread_mutex_t url_lock = PTHREAD_MUTEX_INITIALIZER;
static char url[256];

/* Passes every message to stderr, and keeps the address the dashboard's
 * sink logs when it starts listening ("listening on http://HOST:PORT/..."). */
static void on_log(void *arg, tacho_log_level_t level, const char *origin,
                   const char *message)
{
    tacho_log_stderr_handler(arg, level, origin, message);
    const char *at = strstr(message, "listening on http://");
    if (strcmp(origin, "sink:http_json:dashboard") == 0 && at != NULL) {
        at += strlen("listening on ");
        const char *path = strchr(at + strlen("http://"), '/');
        int n = path != NULL ? (int)(path - at) : (int)strlen(at);
        pthread_mutex_lock(&url_lock);
        snprintf(url, sizeof url, "%.*s/", n, at);
        pthread_mutex_unlock(&url_lock);
    }
}

static void on_stop(void *arg)
{
    atomic_store(&stopping, true);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int record_known(tacho_collector_t *c)
{
    static const struct {
        const char *pipeline;
        uint64_t ms;
        bool ok;
    } runs[] = {
        {"known", 12, true},     {"known", 15, true},
        {"known", 18, true},     {"known", 22, true},
        {"known", 30, true},     {"known", 45, false},
        {"known", 120, false},   {"nightly", 2100, true},
        {"nightly", 3400, true}, {"nightly", 2750, true},
        {MARKUP_NAME, 7, true},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        int rc = tacho_record(c, runs[i].pipeline, runs[i].ms * MS, runs[i].ok);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* `live` durations wander between about 20 and 80 ms, so the percentile
 * chart has some shape; every tenth run fails. */
static void record_live(tacho_collector_t *c, unsigned n)
{
    uint64_t ms = 20 + (n * 37u) % 45u + (n % 25u == 0 ? 60u : 0u);
    tacho_record(c, "live", ms * MS, n % 10u != 9u);
}

/*
 * Four sinks, so the sinks table shows every state: the dashboard itself
 * (up); a push to a closed port (up, retrying); the test sink `failing`
 * (up, every write an error, with its last error); and the test sink
 * `startfail`, optional, whose start fails (down).
 */
static const char *config_text(long port)
{
    static char text[2048];
    snprintf(
        text, sizeof text,
        "tacho: { worker = \"dashboard-e2e\"; interval = 1.0;\n"
        "         plugin_path = [ \"%s\" ]; };\n"
        "sinks = (\n"
        "  { plugin = \"http_json\"; name = \"dashboard\";\n"
        "    listen = \"127.0.0.1:%ld\"; },\n"
        "  { plugin = \"http_json\"; name = \"push\"; listen = \"\";\n"
        "    push_url = \"http://127.0.0.1:9/in\"; push_timeout = 1.0; },\n"
        "  { plugin = \"failing\"; name = \"flaky\"; result = \"error\";\n"
        "    message = \"collector refused the batch: quota exceeded\"; },\n"
        "  { plugin = \"startfail\"; name = \"archive\"; optional = true;\n"
        "    message = \"cannot open /srv/archive: permission denied\"; }\n"
        ");\n",
        DASHBOARD_TEST_SINK_DIR, port);
    return text;
}

/* Prints the URL once the sink has logged it. */
static int announce(void)
{
    pthread_mutex_lock(&url_lock);
    int rc = url[0] != '\0' ? printf("%s\n", url) : -1;
    pthread_mutex_unlock(&url_lock);
    fflush(stdout);
    return rc < 0 ? -1 : 0;
}

static int run(tacho_host_t *h, long max_seconds)
{
    tacho_error_t err;
    if (tacho_host_watch_signals(h, on_stop, NULL, &err) != 0 ||
        tacho_host_start(h, &err) != 0) {
        fprintf(stderr, "dashboard_server: %s\n", err.text);
        return 1;
    }
    tacho_collector_t *c = tacho_host_collector(h);
    if (record_known(c) != 0 || announce() != 0) {
        fprintf(stderr, "dashboard_server: cannot record or find the URL\n");
        return 1;
    }
    long steps = max_seconds * 1000 / STEP_MS;
    for (unsigned n = 0; n < steps && !atomic_load(&stopping); n++) {
        sleep_ms(STEP_MS);
        record_live(c, n);
    }
    return 0;
}

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    long max_seconds = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (argc > 3 || port < 0 || port > 65535 || max_seconds < 0) {
        fprintf(stderr, "usage: dashboard_server [PORT [MAX_SECONDS]]\n");
        return 2;
    }
    if (max_seconds == 0) {
        max_seconds = DEFAULT_MAX_SECONDS;
    }
    /* Blocked before the host starts its threads, so they inherit the mask
     * and only the signal watcher ever takes these signals. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    tacho_log_set_handler(on_log, NULL);
    tacho_host_t *h = NULL;
    tacho_error_t err;
    if (tacho_host_open_string(config_text(port), &h, &err) != 0) {
        fprintf(stderr, "dashboard_server: %s\n", err.text);
        return 1;
    }
    int status = run(h, max_seconds);
    tacho_host_close(h);
    tacho_log_set_handler(NULL, NULL);
    return status;
}
