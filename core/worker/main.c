/*
 * tacho-worker: runs jobs on a schedule, records every run through libtacho
 * and reports to the sinks its config names. docs/WORKER.md is the manual.
 *
 * This file holds the command line and the modes; the work happens in
 * scheduler.c (the loop), child.c (one run) and jobs_config.c (the jobs).
 */
#include "plugin_doc.h"
#include "worker.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum worker_mode {
    MODE_NONE = 0,
    MODE_RUN,
    MODE_CHECK,
    MODE_LIST,
    MODE_DOC,
    MODE_ONCE,
    MODE_RUN_ONCE
} worker_mode_t;

typedef struct options {
    worker_mode_t mode;
    const char *config;
    const char *check_path;
    const char *doc_name;
    const char *once_name; /* --once: a job of the config */
    const char *run_name;  /* --run-once: the pipeline name */
    double run_timeout;
    char **run_argv;
    tacho_log_level_t level;
    bool level_set;
} options_t;

static const char usage_text[] =
    "Usage: tacho-worker -c FILE            run the jobs of FILE, report to "
    "its sinks\n"
    "       tacho-worker --check-config FILE   validate FILE (sinks and "
    "jobs)\n"
    "       tacho-worker -c FILE --once JOB    run one job of FILE once\n"
    "       tacho-worker [-c FILE] --run-once [--name NAME] [--timeout S] "
    "-- CMD [ARG...]\n"
    "       tacho-worker [-c FILE] --list-plugins | --plugin-doc SINK\n"
    "       tacho-worker --version | --help\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE     the config file (libconfig syntax)\n"
    "      --check-config FILE  check FILE, print 'FILE: OK' or every "
    "error\n"
    "      --once JOB        run job JOB once, deliver a final snapshot, "
    "exit\n"
    "                        with the job's status\n"
    "      --run-once        run CMD once as pipeline NAME (default: CMD's "
    "base\n"
    "                        name), with the worker's environment\n"
    "      --name NAME       the pipeline name for --run-once\n"
    "      --timeout S       time limit in seconds for --run-once\n"
    "      --list-plugins    list the sinks found on the search path\n"
    "      --plugin-doc SINK print a Markdown table of SINK's options\n"
    "      --log-level LEVEL error, warning, notice, info (default) or "
    "debug\n"
    "  -V, --version         print the versions and exit\n"
    "  -h, --help            print this help and exit\n"
    "\n"
    "Environment:\n"
    "  POLL_INTERVAL     ms between looks for due jobs (1..60000, default "
    "100)\n"
    "  METRICS_INTERVAL  ms between reports, overriding tacho.interval\n"
    "  TACHO_PLUGIN_PATH extra sink directories, ':'-separated\n"
    "\n"
    "Signals: SIGINT/SIGTERM stop (running jobs get runner.shutdown_grace, "
    "then\n"
    "the final snapshot goes to every sink); SIGHUP reopens log and CSV "
    "files.\n"
    "\n"
    "Exit status: 0 success (--once, --run-once: the command's status), 64 "
    "bad\n"
    "usage, 66 config file missing or unreadable, 69 --plugin-doc found "
    "no\n"
    "usable sink, 70 internal error, 71 system error, 78 bad configuration\n"
    "or a sink that cannot start (no job has run).\n"
    "Details: docs/WORKER.md\n";

static int usage_error(const char *fmt, ...) TACHO_PRINTF(1, 2);

/* Says what is wrong with the command line; returns EX_USAGE. */
static int usage_error(const char *fmt, ...)
{
    fputs("tacho-worker: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'tacho-worker --help'.\n", stderr);
    return WORKER_EXIT_USAGE;
}

static int set_mode(options_t *o, worker_mode_t m)
{
    if (o->mode != MODE_NONE && o->mode != m) {
        return usage_error("%s", "choose one of --check-config, --once, "
                                 "--run-once, --list-plugins, --plugin-doc");
    }
    o->mode = m;
    return -1;
}

static bool parse_level(const char *s, tacho_log_level_t *out)
{
    static const tacho_log_level_t levels[] = {
        TACHO_LOG_ERROR, TACHO_LOG_WARNING, TACHO_LOG_NOTICE, TACHO_LOG_INFO,
        TACHO_LOG_DEBUG};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(s, tacho_log_level_name(levels[i])) == 0) {
            *out = levels[i];
            return true;
        }
    }
    return false;
}

static int parse_timeout(options_t *o, const char *s)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0) || v > WORKER_MAX_SECONDS) {
        return usage_error("--timeout '%s': use seconds > 0", s);
    }
    o->run_timeout = v;
    return -1;
}

enum {
    OPT_CHECK = 256,
    OPT_LIST,
    OPT_DOC,
    OPT_ONCE,
    OPT_RUN_ONCE,
    OPT_NAME,
    OPT_TIMEOUT,
    OPT_LEVEL
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"check-config", required_argument, NULL, OPT_CHECK},
    {"list-plugins", no_argument, NULL, OPT_LIST},
    {"plugin-doc", required_argument, NULL, OPT_DOC},
    {"once", required_argument, NULL, OPT_ONCE},
    {"run-once", no_argument, NULL, OPT_RUN_ONCE},
    {"name", required_argument, NULL, OPT_NAME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"log-level", required_argument, NULL, OPT_LEVEL},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* Handles one option; returns -1 to go on, or an exit status. */
static int parse_one(options_t *o, int opt, const char *arg)
{
    switch (opt) {
    case 'c':
        o->config = arg;
        return -1;
    case OPT_CHECK:
        o->check_path = arg;
        return set_mode(o, MODE_CHECK);
    case OPT_LIST:
        return set_mode(o, MODE_LIST);
    case OPT_DOC:
        o->doc_name = arg;
        return set_mode(o, MODE_DOC);
    case OPT_ONCE:
        o->once_name = arg;
        return set_mode(o, MODE_ONCE);
    case OPT_RUN_ONCE:
        return set_mode(o, MODE_RUN_ONCE);
    case OPT_NAME:
        o->run_name = arg;
        return -1;
    case OPT_TIMEOUT:
        return parse_timeout(o, arg);
    case OPT_LEVEL:
        o->level_set = true;
        return parse_level(arg, &o->level)
                   ? -1
                   : usage_error("--log-level '%s': use error, warning, "
                                 "notice, info or debug",
                                 arg);
    case 'V':
        printf("tacho-worker %s (libtacho %s, sink ABI %d.%d)\n",
               TACHO_VERSION_STRING, tacho_version_string(),
               TACHO_SINK_ABI_MAJOR, TACHO_SINK_ABI_MINOR);
        return WORKER_EXIT_OK;
    case 'h':
        fputs(usage_text, stdout);
        return WORKER_EXIT_OK;
    default:
        fputs("Try 'tacho-worker --help'.\n", stderr);
        return WORKER_EXIT_USAGE;
    }
}

/* Checks what the options say together once all are read. */
static int parse_finish(options_t *o, int argc, char **argv)
{
    if (o->mode == MODE_RUN_ONCE) {
        if (optind >= argc) {
            return usage_error("%s", "--run-once needs a command after --");
        }
        o->run_argv = argv + optind;
        return -1;
    }
    if (optind < argc) {
        return usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (o->run_name != NULL || o->run_timeout > 0) {
        return usage_error("%s", "--name and --timeout go with --run-once");
    }
    if (o->mode == MODE_NONE) {
        if (o->config == NULL) {
            fputs(usage_text, stderr);
            return WORKER_EXIT_USAGE;
        }
        o->mode = MODE_RUN;
    }
    if (o->mode == MODE_ONCE && o->config == NULL) {
        return usage_error("%s", "--once needs -c FILE");
    }
    return -1;
}

static int parse_args(int argc, char **argv, options_t *o)
{
    memset(o, 0, sizeof *o);
    o->level = TACHO_LOG_INFO;
    int opt;
    opterr = 1;
    while ((opt = getopt_long(argc, argv, "+c:Vh", long_options, NULL)) != -1) {
        int rc = parse_one(o, opt, optarg);
        if (rc >= 0) {
            return rc;
        }
    }
    return parse_finish(o, argc, argv);
}

/* ---- reporting problems ----------------------------------------------------
 */

/* Prints each config problem as "FILE:LINE: message" on stderr. */
static void print_problem(void *arg, const tacho_error_t *err)
{
    int *count = arg;
    (*count)++;
    fprintf(stderr, "%s\n", err->text);
}

/* ---- --check-config --------------------------------------------------------
 */

static int check_config(const char *path)
{
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "tacho-worker: %s: %s\n", path, strerror(errno));
        return WORKER_EXIT_NOINPUT;
    }
    int problems = 0;
    int rc = tacho_host_check_file(path, print_problem, &problems);
    if (rc != 0 && problems == 0) {
        fprintf(stderr, "tacho-worker: %s: %s\n", path, tacho_strerror(rc));
        problems++;
    }
    /* The jobs are checked whenever the file parses, so one run lists the
     * sinks' problems and the jobs' together. */
    tacho_config_t *cfg = NULL;
    tacho_config_check_file(path, &cfg, NULL, NULL);
    if (cfg != NULL) {
        jobs_config_t jc;
        jobs_config_read(cfg, &jc, print_problem, &problems, NULL);
        jobs_config_free(&jc);
        tacho_config_free(cfg);
    }
    if (problems > 0) {
        fprintf(stderr, "%s: %d problem%s\n", path, problems,
                problems == 1 ? "" : "s");
        return WORKER_EXIT_CONFIG;
    }
    printf("%s: OK\n", path);
    return WORKER_EXIT_OK;
}

/* ---- --list-plugins, --plugin-doc ------------------------------------------
 */

static int list_or_doc(const options_t *o)
{
    tacho_config_t *cfg = NULL;
    int problems = 0;
    if (o->config != NULL &&
        tacho_config_load_file(o->config, &cfg, print_problem, &problems,
                               NULL) != 0) {
        return access(o->config, R_OK) != 0 ? WORKER_EXIT_NOINPUT
                                            : WORKER_EXIT_CONFIG;
    }
    int rc = o->mode == MODE_LIST ? plugin_list(cfg, stdout)
                                  : plugin_doc(cfg, o->doc_name, stdout);
    tacho_config_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    options_t o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    tacho_log_set_handler(tacho_log_stderr_handler, NULL);
    /* A check prints problems itself; the log then carries only what a
     * sink has to warn about. */
    tacho_log_set_level(o.level_set || o.mode == MODE_RUN ||
                                o.mode == MODE_ONCE || o.mode == MODE_RUN_ONCE
                            ? o.level
                            : TACHO_LOG_WARNING);
    switch (o.mode) {
    case MODE_CHECK:
        return check_config(o.check_path);
    case MODE_LIST:
    case MODE_DOC:
        return list_or_doc(&o);
    default:
        break;
    }
    run_request_t req = {.config = o.config,
                         .once_job = o.once_name,
                         .run_argv = o.run_argv,
                         .run_name = o.run_name,
                         .run_timeout = o.run_timeout};
    return worker_run(&req);
}
