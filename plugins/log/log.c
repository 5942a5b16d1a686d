/*
 * The `log` sink: writes each snapshot as one line to stderr, stdout, a file
 * or syslog, either in the replaced system's text form
 * ("Worker Metrics Report {...legacy JSON...}") or as one schema-1 JSON
 * object per line. Every line leaves in a single write(2) (files are opened
 * with O_APPEND), so lines from several writers never interleave or tear.
 * docs/plugins/log.md is the user's description.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "file_append.h"
#include "log_sink.h"

typedef enum log_target {
    LOG_TARGET_STDERR = 0,
    LOG_TARGET_STDOUT,
    LOG_TARGET_FILE,
    LOG_TARGET_SYSLOG
} log_target_t;

static const char *const target_names[] = {"stderr", "stdout", "file",
                                           "syslog"};

typedef struct log_sink {
    tacho_sink_ctx_t *ctx;
    log_target_t target;
    log_format_t format;
    bool recent;
    mode_t mode;
    char *path;  /* target "file" only */
    int fd;      /* the file, or 1 / 2 (not owned); -1 before start */
    char *ident; /* syslog_ident, NULL when not set */
    int facility;
    bool syslog_opened; /* openlog() was called by this instance */
} log_sink_t;

static const tacho_option_spec_t log_options[] = {
    {"target", TACHO_OPT_STRING, "\"stderr\"",
     "Where lines go: \"stderr\", \"stdout\", \"file\" or \"syslog\".", false},
    {"path", TACHO_OPT_STRING, NULL,
     "The file appended to; required with target = \"file\", refused "
     "otherwise. Relative to the working directory.",
     false},
    {"format", TACHO_OPT_STRING, "\"text\"",
     "\"text\": \"Worker Metrics Report \" and the legacy JSON; \"json\": "
     "one schema-1 object per line.",
     false},
    {"recent", TACHO_OPT_BOOL, "false",
     "With format = \"json\": include the recent executions.", false},
    TACHO__FILE_MODE_OPTION,
    {"syslog_ident", TACHO_OPT_STRING, NULL,
     "With target = \"syslog\": the ident (process-wide, see the docs); "
     "default: the program name.",
     false},
    {"syslog_facility", TACHO_OPT_STRING, NULL,
     "With target = \"syslog\": \"user\" (the default), \"daemon\" or "
     "\"local0\" .. \"local7\".",
     false},
    {NULL, 0, NULL, NULL, false},
};

/* ---- options ------------------------------------------------------------ */

static int parse_choice(const tacho_options_t *opts, log_sink_t *ls,
                        tacho_error_t *err)
{
    const char *target = tacho_options_string(opts, "target");
    size_t n = sizeof target_names / sizeof target_names[0];
    size_t i = 0;
    while (i < n && strcmp(target, target_names[i]) != 0) {
        i++;
    }
    if (i == n) {
        return tacho_options_error(opts, "target", err, TACHO_EINVAL,
                                   "log: target must be one of \"stderr\", "
                                   "\"stdout\", \"file\" or \"syslog\", not "
                                   "\"%s\"",
                                   target);
    }
    ls->target = (log_target_t)i;
    const char *format = tacho_options_string(opts, "format");
    if (strcmp(format, "text") == 0) {
        ls->format = LOG_FORMAT_TEXT;
    } else if (strcmp(format, "json") == 0) {
        ls->format = LOG_FORMAT_JSON;
    } else {
        return tacho_options_error(opts, "format", err, TACHO_EINVAL,
                                   "log: format must be \"text\" or "
                                   "\"json\", not \"%s\"",
                                   format);
    }
    return 0;
}

/* Copies the string option `name` into `*out` when it is set. An option
 * that belongs to another target is refused rather than ignored, so a
 * forgotten `target = "file"` cannot send the lines to stderr silently. */
static int copy_target_option(const tacho_options_t *opts, const char *name,
                              log_target_t owner, const log_sink_t *ls,
                              char **out, tacho_error_t *err)
{
    if (!tacho_options_is_set(opts, name)) {
        return 0;
    }
    const char *value = tacho_options_string(opts, name);
    if (ls->target != owner) {
        return tacho_options_error(
            opts, name, err, TACHO_EINVAL,
            "log: %s is only used with target = \"%s\" (target is \"%s\")",
            name, target_names[owner], target_names[ls->target]);
    }
    if (value == NULL || value[0] == '\0') {
        return tacho_options_error(opts, name, err, TACHO_EINVAL,
                                   "log: %s must not be empty", name);
    }
    *out = tacho_strdup(value);
    return *out == NULL ? tacho_error_set(err, TACHO_ENOMEM, "out of memory")
                        : 0;
}

static int parse_places(const tacho_options_t *opts, log_sink_t *ls,
                        tacho_error_t *err)
{
    int rc =
        copy_target_option(opts, "path", LOG_TARGET_FILE, ls, &ls->path, err);
    if (rc == 0 && ls->target == LOG_TARGET_FILE && ls->path == NULL) {
        rc = tacho_options_error(opts, "path", err, TACHO_EINVAL,
                                 "log: target = \"file\" needs a path");
    }
    if (rc == 0) {
        rc = copy_target_option(opts, "syslog_ident", LOG_TARGET_SYSLOG, ls,
                                &ls->ident, err);
    }
    char *facility = NULL;
    if (rc == 0) {
        rc = copy_target_option(opts, "syslog_facility", LOG_TARGET_SYSLOG, ls,
                                &facility, err);
    }
    ls->facility = LOG_USER;
    if (rc == 0 && facility != NULL &&
        !log_parse_facility(facility, &ls->facility)) {
        rc = tacho_options_error(
            opts, "syslog_facility", err, TACHO_EINVAL,
            "log: syslog_facility must be one of " LOG_FACILITY_NAMES
            ", not \"%s\"",
            facility);
    }
    tacho_free(facility);
    return rc;
}

static int parse_options(const tacho_options_t *opts, log_sink_t *ls,
                         tacho_error_t *err)
{
    int rc = parse_choice(opts, ls, err);
    if (rc != 0) {
        return rc;
    }
    ls->recent = tacho_options_bool(opts, "recent");
    rc = tacho__file_mode_option(opts, "log", &ls->mode, err);
    if (rc != 0) {
        return rc;
    }
    return parse_places(opts, ls, err);
}

/* ---- the file ------------------------------------------------------------ */

/* Writes the whole line. A write the kernel cuts short (a signal, a full
 * disk) is continued, so the result is all written or the errno that
 * stopped it. On failure, bytes of this line already in a regular file are
 * cut off again, unless someone else has appended after them since. */
static int write_line(int fd, bool regular, const char *buf, size_t len)
{
    size_t done = 0;
    int rc = tacho__file_write_all(fd, buf, len, &done);
    if (rc != 0 && done > 0 && regular) {
        off_t end = lseek(fd, 0, SEEK_CUR);
        struct stat st;
        /* Nothing more can be done when this fails: the error that
         * stopped the write is reported either way. */
        if (end >= (off_t)done && fstat(fd, &st) == 0 && st.st_size == end &&
            ftruncate(fd, end - (off_t)done) != 0) {
            return rc;
        }
    }
    return rc;
}

/* ---- the lifecycle ------------------------------------------------------- */

static void log_destroy(void *state)
{
    log_sink_t *ls = state;
    if (ls == NULL) {
        return;
    }
    tacho_free(ls->path);
    tacho_free(ls->ident);
    tacho_free(ls);
}

static int log_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                      void **state, tacho_error_t *err)
{
    log_sink_t *ls = tacho_calloc(1, sizeof *ls);
    if (ls == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    ls->ctx = ctx;
    ls->fd = -1;
    int rc = parse_options(opts, ls, err);
    if (rc != 0) {
        log_destroy(ls);
        return rc;
    }
    *state = ls;
    return 0;
}

static int log_start(void *state, tacho_error_t *err)
{
    log_sink_t *ls = state;
    switch (ls->target) {
    case LOG_TARGET_STDERR:
        ls->fd = STDERR_FILENO;
        break;
    case LOG_TARGET_STDOUT:
        ls->fd = STDOUT_FILENO;
        break;
    case LOG_TARGET_FILE:
        ls->fd = tacho__file_open_append(ls->path, O_WRONLY, ls->mode, NULL);
        if (ls->fd < 0) {
            int saved = errno;
            return tacho_error_set(err, -saved, "log: cannot open %s: %s",
                                   ls->path, strerror(saved));
        }
        break;
    case LOG_TARGET_SYSLOG:
        /* openlog() is process-wide: only an explicit ident calls it. The
         * facility travels with each message instead. */
        if (ls->ident != NULL) {
            openlog(ls->ident, LOG_PID, ls->facility);
            ls->syslog_opened = true;
        }
        break;
    }
    return 0;
}

static const char *place(const log_sink_t *ls)
{
    return ls->target == LOG_TARGET_FILE ? ls->path : target_names[ls->target];
}

static tacho_sink_result_t log_write(void *state, const tacho_snapshot_t *snap)
{
    log_sink_t *ls = state;
    char *line = NULL;
    size_t len = 0;
    int rc = log_format_line(snap, ls->format, ls->recent, &line, &len);
    if (rc != 0) {
        tacho_log(ls->ctx, TACHO_LOG_ERROR, "cannot render the snapshot: %s",
                  tacho_strerror(rc));
        return TACHO_SINK_ERROR;
    }
    if (ls->target == LOG_TARGET_SYSLOG) {
        syslog(ls->facility | LOG_INFO, "%.*s", (int)(len - 1), line);
    } else {
        rc = write_line(ls->fd, ls->target == LOG_TARGET_FILE, line, len);
    }
    tacho_free(line);
    if (rc != 0) {
        tacho_log(ls->ctx, TACHO_LOG_ERROR, "cannot write to %s: %s", place(ls),
                  strerror(rc));
        return TACHO_SINK_ERROR;
    }
    return TACHO_SINK_OK;
}

/* Log rotation: after the file was moved away, the next line goes to a new
 * file at `path`. The old file is closed only once the new one is open, so
 * a failed reopen loses nothing. */
static int log_reopen(void *state)
{
    log_sink_t *ls = state;
    if (ls->target != LOG_TARGET_FILE) {
        return 0;
    }
    int fd = tacho__file_open_append(ls->path, O_WRONLY, ls->mode, NULL);
    if (fd < 0) {
        int saved = errno;
        tacho_log(ls->ctx, TACHO_LOG_ERROR,
                  "cannot reopen %s: %s; still writing to the old file",
                  ls->path, strerror(saved));
        return -saved;
    }
    close(ls->fd);
    ls->fd = fd;
    return 0;
}

static void log_stop(void *state)
{
    log_sink_t *ls = state;
    if (ls->target == LOG_TARGET_FILE && ls->fd >= 0) {
        close(ls->fd);
    }
    ls->fd = -1;
    if (ls->syslog_opened) {
        /* Also forgets our ident, which is freed in destroy(). */
        closelog();
        ls->syslog_opened = false;
    }
}

TACHO_SINK_DEFINE(log) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "log",
    .description = "One line per snapshot to stderr, stdout, a file or "
                   "syslog (legacy text or schema-1 JSON)",
    .version = TACHO_VERSION_STRING,
    .options = log_options,
    .create = log_create,
    .start = log_start,
    .write = log_write,
    .flush = NULL,
    .reopen = log_reopen,
    .stop = log_stop,
    .destroy = log_destroy,
};
