/*
 * Private to the csv sink: what csv.c (options, lifecycle), csv_file.c (the
 * file: open, check, repair, append) and csv_format.c (the rows) share.
 */
#ifndef TACHO_SINK_CSV_H
#define TACHO_SINK_CSV_H

#include <sys/types.h>

#include <tacho/tacho.h>

/* ---- csv_format.c -------------------------------------------------------- */

/* A growing text buffer. An allocation failure sets `failed` and makes every
 * later append a no-op, so callers check once at the end. */
typedef struct csv_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} csv_buf_t;

void csv_buf_append(csv_buf_t *b, const char *s, size_t n);
void csv_buf_free(csv_buf_t *b);

/* The header line, '\n' included, and its length. Static. */
const char *csv_header(void);
size_t csv_header_len(void);

/*
 * Appends one row for all pipelines together (empty pipeline column) and
 * one per pipeline, in the snapshot's order (by name), each ending in '\n'.
 * Returns 0 or TACHO_ENOMEM. Borrows `snap`.
 */
int csv_format_rows(csv_buf_t *b, const tacho_snapshot_t *snap);

/* ---- csv_file.c ---------------------------------------------------------- */

/* Where and how the sink writes; borrowed by the calls below. */
typedef struct csv_target {
    tacho_sink_ctx_t *ctx; /* for warnings */
    const char *path;
    mode_t mode;       /* applied exactly to a file the sink creates */
    bool check_header; /* refuse an existing file with another header */
} csv_target_t;

/*
 * Opens (creating when missing) the file for appending and readies it: an
 * existing file must be a regular file whose first line is the header (when
 * check_header), and a partial last row left by a crash is cut off with a
 * warning. Returns 0 and the fd, or a negative code explained in `err`.
 */
int csv_file_open(const csv_target_t *t, int *fd, tacho_error_t *err);

/*
 * Appends `len` bytes that the caller found the file `prev_size` long
 * before: all of them, or none (bytes written before a failure are cut off
 * again with ftruncate). Returns 0 or the errno that stopped the write.
 */
int csv_file_append(int fd, const char *buf, size_t len, off_t prev_size);

#endif /* TACHO_SINK_CSV_H */
