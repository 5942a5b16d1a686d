/*
 * The `csv` sink: appends, per snapshot, one row for all pipelines and one
 * per pipeline to a CSV file (RFC 4180, LF line ends), with the header
 * written once per file. Each snapshot's rows leave in one write(2) on an
 * O_APPEND descriptor; a failed write is cut off again, so the file holds
 * whole snapshots only. docs/plugins/csv.md is the user's description.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_sink.h"
#include "file_append.h"

typedef struct csv_sink {
    tacho_sink_ctx_t *ctx;
    char *path;
    mode_t mode;
    bool fsync;
    bool header;
    int fd;        /* -1 before start and after stop */
    csv_buf_t buf; /* reused from write to write */
} csv_sink_t;

static const tacho_option_spec_t csv_options[] = {
    {"path", TACHO_OPT_STRING, NULL,
     "The CSV file appended to. Its directory must exist. Relative to the "
     "working directory.",
     true},
    {"fsync", TACHO_OPT_BOOL, "false",
     "Call fsync(2) after each snapshot's rows, so they survive a power "
     "loss.",
     false},
    TACHO__FILE_MODE_OPTION,
    {"header", TACHO_OPT_BOOL, "true",
     "Write the header line at the top of a new or empty file, and refuse "
     "an existing file whose first line is another header.",
     false},
    {NULL, 0, NULL, NULL, false},
};

static void csv_destroy(void *state)
{
    csv_sink_t *cs = state;
    if (cs == NULL) {
        return;
    }
    csv_buf_free(&cs->buf);
    tacho_free(cs->path);
    tacho_free(cs);
}

static int parse_options(const tacho_options_t *opts, csv_sink_t *cs,
                         tacho_error_t *err)
{
    const char *path = tacho_options_string(opts, "path");
    if (path == NULL || path[0] == '\0') {
        return tacho_options_error(opts, "path", err, TACHO_EINVAL,
                                   "csv: path must not be empty");
    }
    int rc = tacho__file_mode_option(opts, "csv", &cs->mode, err);
    if (rc != 0) {
        return rc;
    }
    cs->fsync = tacho_options_bool(opts, "fsync");
    cs->header = tacho_options_bool(opts, "header");
    cs->path = tacho_strdup(path);
    if (cs->path == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    return 0;
}

static int csv_create(tacho_sink_ctx_t *ctx, const tacho_options_t *opts,
                      void **state, tacho_error_t *err)
{
    csv_sink_t *cs = tacho_calloc(1, sizeof *cs);
    if (cs == NULL) {
        return tacho_error_set(err, TACHO_ENOMEM, "out of memory");
    }
    cs->ctx = ctx;
    cs->fd = -1;
    int rc = parse_options(opts, cs, err);
    if (rc != 0) {
        csv_destroy(cs);
        return rc;
    }
    *state = cs;
    return 0;
}

static int open_target(const csv_sink_t *cs, int *fd, tacho_error_t *err)
{
    csv_target_t t = {
        .ctx = cs->ctx,
        .path = cs->path,
        .mode = cs->mode,
        .check_header = cs->header,
    };
    return csv_file_open(&t, fd, err);
}

static int csv_start(void *state, tacho_error_t *err)
{
    csv_sink_t *cs = state;
    return open_target(cs, &cs->fd, err);
}

static tacho_sink_result_t write_failed(const csv_sink_t *cs, const char *step,
                                        int code)
{
    tacho_log(cs->ctx, TACHO_LOG_ERROR, "cannot %s %s: %s", step, cs->path,
              strerror(code));
    return TACHO_SINK_ERROR;
}

static tacho_sink_result_t csv_write(void *state, const tacho_snapshot_t *snap)
{
    csv_sink_t *cs = state;
    struct stat st;
    if (fstat(cs->fd, &st) != 0) {
        return write_failed(cs, "write to", errno);
    }
    /* The header goes with the first rows of an empty file, in the same
     * write, so a file never holds a header alone or rows without one. */
    cs->buf.len = 0;
    if (cs->header && st.st_size == 0) {
        csv_buf_append(&cs->buf, csv_header(), csv_header_len());
    }
    if (csv_format_rows(&cs->buf, snap) != 0) {
        cs->buf.failed = false;
        return write_failed(cs, "format the rows for", ENOMEM);
    }
    int rc = csv_file_append(cs->fd, cs->buf.data, cs->buf.len, st.st_size);
    if (rc != 0) {
        return write_failed(cs, "write to", rc);
    }
    if (cs->fsync && fsync(cs->fd) != 0) {
        return write_failed(cs, "fsync", errno);
    }
    return TACHO_SINK_OK;
}

/* After the file was moved away (rotation), continues in a new file at
 * `path`, with the header again since it is empty. The old file is closed
 * only once the new one is open and checked, so a failed reopen loses
 * nothing. */
static int csv_reopen(void *state)
{
    csv_sink_t *cs = state;
    tacho_error_t err;
    tacho_error_clear(&err);
    int fd = -1;
    int rc = open_target(cs, &fd, &err);
    if (rc != 0) {
        tacho_log(cs->ctx, TACHO_LOG_ERROR,
                  "reopen failed: %s; still writing to the old file", err.text);
        return rc;
    }
    close(cs->fd);
    cs->fd = fd;
    return 0;
}

static void csv_stop(void *state)
{
    csv_sink_t *cs = state;
    if (cs->fd >= 0) {
        close(cs->fd);
        cs->fd = -1;
    }
}

TACHO_SINK_DEFINE(csv) = {
    .abi_version = TACHO_SINK_ABI_VERSION,
    .struct_size = sizeof(tacho_sink_descriptor_t),
    .name = "csv",
    .description = "Appends one CSV row per pipeline (and one for all) per "
                   "snapshot to a file",
    .version = TACHO_VERSION_STRING,
    .options = csv_options,
    .create = csv_create,
    .start = csv_start,
    .write = csv_write,
    .flush = NULL,
    .reopen = csv_reopen,
    .stop = csv_stop,
    .destroy = csv_destroy,
};
