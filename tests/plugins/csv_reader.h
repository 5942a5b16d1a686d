/*
 * The csv suite's reader of what the sink wrote: the columns and the header
 * line of docs/plugins/csv.md, a strict RFC 4180 reader that fails the test
 * on any flaw, and the field values converted back to numbers.
 * Header-only (static inline functions) so the suite stays one executable.
 */
#ifndef TACHO_CSV_READER_H
#define TACHO_CSV_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tacho_test.h"

/* The columns, in header order (docs/plugins/csv.md). */
enum {
    C_TIMESTAMP,
    C_WORKER,
    C_PIPELINE,
    C_RUNS,
    C_SUCCEEDED,
    C_FAILED,
    C_SUCCESS_RATIO,
    C_ERROR_RATIO,
    C_RUNS_PER_HOUR,
    C_WINDOW_RUNS,
    C_WINDOW_SUCCEEDED,
    C_WINDOW_FAILED,
    C_WINDOW_RUNS_PER_HOUR,
    C_SUM,
    C_MIN,
    C_AVG,
    C_MAX,
    C_P50,
    C_P90,
    C_P95,
    C_P99,
    C_P999,
    C_LAST_RUN,
    C_COUNT
};

static const char header[] =
    "timestamp,worker,pipeline,runs,succeeded,failed,success_ratio,"
    "error_ratio,runs_per_hour,window_runs,window_succeeded,window_failed,"
    "window_runs_per_hour,duration_sum_seconds,duration_min_seconds,"
    "duration_avg_seconds,duration_max_seconds,p50_seconds,p90_seconds,"
    "p95_seconds,p99_seconds,p999_seconds,last_run_time\n";

/* ---- a strict RFC 4180 reader ------------------------------------------- */

#define ROWS_MAX 512
typedef struct row {
    size_t n;
    char *f[C_COUNT + 1]; /* one more, to notice a row that is too long */
} row_t;

typedef struct table {
    size_t count;
    row_t row[ROWS_MAX];
} table_t;

/* One field at `*p`, ending at ',' or '\n'. Returns it (malloc'd) or NULL
 * when the text breaks RFC 4180: a quote inside an unquoted field, text
 * after a closing quote, a bare CR, or a row not ended by LF. */
static inline char *read_field(const char **p)
{
    char buf[2048];
    size_t n = 0;
    const char *s = *p;
    if (*s == '"') {
        for (s++;; s++) {
            if (*s == '\0' || n == sizeof buf - 1) {
                return NULL;
            }
            if (*s == '"' && s[1] != '"') {
                break;
            }
            buf[n++] = *s;
            s += *s == '"'; /* a doubled quote is one quote */
        }
        s++;
    } else {
        while (*s != ',' && *s != '\n' && *s != '\0') {
            if (*s == '"' || *s == '\r' || n == sizeof buf - 1) {
                return NULL;
            }
            buf[n++] = *s++;
        }
    }
    if (*s != ',' && *s != '\n') {
        return NULL;
    }
    buf[n] = '\0';
    *p = s;
    return strdup(buf);
}

/* Parses a whole file; false (and a CUnit failure) for any flaw. */
static inline bool read_table(const char *text, table_t *t)
{
    memset(t, 0, sizeof *t);
    const char *p = text;
    while (*p != '\0') {
        CU_ASSERT_FATAL(t->count < ROWS_MAX);
        row_t *r = &t->row[t->count++];
        for (;;) {
            char *f = read_field(&p);
            CU_ASSERT_PTR_NOT_NULL(f);
            if (f == NULL || r->n == C_COUNT + 1) {
                free(f);
                return false;
            }
            r->f[r->n++] = f;
            if (*p++ == '\n') {
                break;
            }
        }
        /* Every row has exactly the header's number of fields. */
        CU_ASSERT_EQUAL(r->n, C_COUNT);
    }
    return true;
}

static inline void free_table(table_t *t)
{
    for (size_t i = 0; i < t->count; i++) {
        for (size_t j = 0; j < t->row[i].n; j++) {
            free(t->row[i].f[j]);
        }
    }
}

static inline void load_table(const char *path, table_t *t)
{
    char *text = tacho_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_FATAL(read_table(text, t));
    free(text);
}

/* Rows equal to the header line. */
static inline size_t header_rows(const table_t *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++) {
        n += strcmp(t->row[i].f[0], "timestamp") == 0;
    }
    return n;
}

/* Seconds as written ("0.25", "3") back to exact nanoseconds. */
static inline uint64_t ns_of(const char *s)
{
    char *end = NULL;
    uint64_t ns = strtoull(s, &end, 10) * 1000000000ull;
    if (*end == '.') {
        uint64_t scale = 100000000ull;
        for (end++; *end >= '0' && *end <= '9'; end++) {
            ns += (uint64_t)(*end - '0') * scale;
            scale /= 10;
        }
    }
    CU_ASSERT(*end == '\0' && s[0] != '\0');
    return ns;
}

static inline uint64_t u64_of(const char *s)
{
    char *end = NULL;
    uint64_t v = strtoull(s, &end, 10);
    CU_ASSERT(*end == '\0' && s[0] != '\0');
    return v;
}

static inline double num_of(const char *s)
{
    char *end = NULL;
    double v = strtod(s, &end);
    CU_ASSERT(*end == '\0' && s[0] != '\0');
    return v;
}

#endif /* TACHO_CSV_READER_H */
