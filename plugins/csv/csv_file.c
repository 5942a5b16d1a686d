/*
 * The csv sink's file: opening (and creating with an exact mode), checking
 * that an existing file is ours, repairing a tail torn by a crash, and
 * appending whole snapshots or nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_sink.h"
#include "file_append.h"

/* ---- opening ------------------------------------------------------------- */

/* Explains a failed open. A missing directory is named rather than
 * created: a typo in `path` should not grow a tree somewhere. */
static int open_error(const char *path, int code, tacho_error_t *err)
{
    if (code == ENOENT) {
        const char *slash = strrchr(path, '/');
        char dir[TACHO_ERROR_FILE_MAX];
        if (slash == NULL) {
            dir[0] = '.';
            dir[1] = '\0';
        } else {
            size_t n = slash == path ? 1 : (size_t)(slash - path);
            n = n < sizeof dir - 1 ? n : sizeof dir - 1;
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
        struct stat st;
        if (stat(dir, &st) != 0 && errno == ENOENT) {
            return tacho_error_set(err, TACHO_ENOENT,
                                   "csv: directory %s does not exist (path "
                                   "%s); create it first",
                                   dir, path);
        }
    }
    return tacho_error_set(err, -code, "csv: cannot open %s: %s", path,
                           strerror(code));
}

/* ---- checking an existing file ------------------------------------------ */

/* What one pass over an existing file finds. */
typedef struct csv_scan {
    char first[512]; /* the first line, without '\n' (cut at 511) */
    size_t first_len;
    bool first_done;  /* a '\n' ended the first line */
    bool in_quotes;   /* inside a quoted field (RFC 4180) */
    off_t record_end; /* just past the last '\n' outside quotes */
} csv_scan_t;

static void scan_bytes(csv_scan_t *sc, const char *buf, size_t n, off_t at)
{
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (!sc->first_done) {
            if (c == '\n') {
                sc->first_done = true;
            } else if (sc->first_len < sizeof sc->first - 1) {
                sc->first[sc->first_len++] = c;
            }
        }
        if (c == '"') {
            /* A doubled quote toggles twice: it stays inside. */
            sc->in_quotes = !sc->in_quotes;
        } else if (c == '\n' && !sc->in_quotes) {
            sc->record_end = at + (off_t)i + 1;
        }
    }
}

/* Reads the whole file once. Only complete rows count: a row ends at a
 * line feed outside quotes, so a name holding a newline does not end one. */
static int scan_file(int fd, off_t size, csv_scan_t *sc)
{
    char buf[65536];
    memset(sc, 0, sizeof *sc);
    for (off_t at = 0; at < size;) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? errno : EIO;
        }
        scan_bytes(sc, buf, (size_t)n, at);
        at += n;
    }
    return 0;
}

/* True when the first line is our header, or when the file holds nothing
 * but the start of it (a header torn by a crash, repaired by the caller). */
static bool header_matches(const csv_scan_t *sc)
{
    size_t want = csv_header_len() - 1;
    if (sc->first_done) {
        return sc->first_len == want &&
               memcmp(sc->first, csv_header(), want) == 0;
    }
    return sc->first_len <= want &&
           memcmp(sc->first, csv_header(), sc->first_len) == 0;
}

static int check_existing(const csv_target_t *t, int fd, tacho_error_t *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return open_error(t->path, errno, err);
    }
    if (!S_ISREG(st.st_mode)) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "csv: %s is not a regular file", t->path);
    }
    if (st.st_size == 0) {
        return 0;
    }
    csv_scan_t sc;
    int rc = scan_file(fd, st.st_size, &sc);
    if (rc != 0) {
        return tacho_error_set(err, -rc, "csv: cannot read %s: %s", t->path,
                               strerror(rc));
    }
    if (t->check_header && !header_matches(&sc)) {
        return tacho_error_set(err, TACHO_EEXIST,
                               "csv: %s has a different header; move it "
                               "away or choose another path",
                               t->path);
    }
    if (sc.record_end < st.st_size) {
        if (ftruncate(fd, sc.record_end) != 0) {
            int saved = errno;
            return tacho_error_set(err, -saved, "csv: cannot repair %s: %s",
                                   t->path, strerror(saved));
        }
        tacho_log(t->ctx, TACHO_LOG_WARNING,
                  "%s ended with a partial row (%lld bytes, left by a crash?)"
                  "; removed it",
                  t->path, (long long)(st.st_size - sc.record_end));
    }
    return 0;
}

int csv_file_open(const csv_target_t *t, int *out, tacho_error_t *err)
{
    /* Read-write: reading is for the checks of an existing file. */
    bool created = false;
    int fd = tacho__file_open_append(t->path, O_RDWR, t->mode, &created);
    if (fd < 0) {
        return open_error(t->path, errno, err);
    }
    if (!created) {
        int rc = check_existing(t, fd, err);
        if (rc != 0) {
            close(fd);
            return rc;
        }
    }
    *out = fd;
    return 0;
}

/* ---- appending ----------------------------------------------------------- */

int csv_file_append(int fd, const char *buf, size_t len, off_t prev_size)
{
    /* One write(2) normally carries everything; one the kernel cuts short
     * is continued (a full disk says ENOSPC on the next call). */
    size_t done = 0;
    int rc = tacho__file_write_all(fd, buf, len, &done);
    /* Leave no partial row behind. The file has one writer (this
     * instance), so its size before the write is where it ended. Should
     * even this fail, the next start still cuts a torn last row, and the
     * write's own errno says more than ftruncate's. */
    if (rc != 0 && done > 0 && ftruncate(fd, prev_size) != 0) {
        return rc;
    }
    return rc;
}
