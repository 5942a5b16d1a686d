/*
 * A strict RFC 4180 reader (see checks.h). It accepts LF as well as CRLF
 * record ends, since tacho writes LF, and nothing looser: a quote inside an
 * unquoted field, text after a closing quote, or a missing final record end
 * all make the text invalid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"

typedef struct reader {
    const char *p;
    const char *end;
    size_t record; /* 1-based, for messages */
    char *why;
    size_t why_size;
} reader_t;

static bool fail(reader_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(reader_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(r->why, r->why_size, "record %zu: ", r->record);
    if (n >= 0 && (size_t)n < r->why_size) {
        vsnprintf(r->why + n, r->why_size - (size_t)n, fmt, ap);
    }
    va_end(ap);
    return false;
}

static void push(void **arr, size_t *count, size_t *cap, size_t size,
                 const void *item)
{
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *arr = realloc(*arr, *cap * size);
        if (*arr == NULL) {
            abort();
        }
    }
    memcpy((char *)*arr + *count * size, item, size);
    (*count)++;
}

/* True when p starts a record end: LF, or CR LF. */
static size_t record_end(const reader_t *r, const char *p)
{
    if (p < r->end && *p == '\n') {
        return 1;
    }
    return p + 1 < r->end && p[0] == '\r' && p[1] == '\n' ? 2 : 0;
}

static bool quoted_field(reader_t *r, char **out)
{
    char *v = malloc((size_t)(r->end - r->p) + 1);
    size_t n = 0;
    const char *p = r->p + 1;
    for (;;) {
        if (p == r->end) {
            free(v);
            return fail(r, "unclosed quoted field");
        }
        if (*p == '"') {
            if (p + 1 < r->end && p[1] == '"') {
                v[n++] = '"';
                p += 2;
                continue;
            }
            p++;
            break;
        }
        v[n++] = *p++;
    }
    if (p < r->end && *p != ',' && record_end(r, p) == 0) {
        free(v);
        return fail(r, "text after a closing quote");
    }
    v[n] = '\0';
    r->p = p;
    *out = v;
    return true;
}

static bool plain_field(reader_t *r, char **out)
{
    const char *p = r->p;
    while (p < r->end && *p != ',' && *p != '\n' && *p != '\r') {
        if (*p == '"') {
            return fail(r, "a quote inside an unquoted field");
        }
        p++;
    }
    if (p < r->end && *p == '\r' && record_end(r, p) == 0) {
        return fail(r, "a bare CR inside an unquoted field");
    }
    size_t n = (size_t)(p - r->p);
    char *v = malloc(n + 1);
    memcpy(v, r->p, n);
    v[n] = '\0';
    r->p = p;
    *out = v;
    return true;
}

static void record_free(csv_record_t *rec)
{
    for (size_t i = 0; i < rec->count; i++) {
        free(rec->fields[i]);
    }
    free(rec->fields);
}

/* Reads one record, up to and including its end. */
static bool read_record(reader_t *r, csv_record_t *rec)
{
    size_t cap = 0;
    *rec = (csv_record_t){0};
    for (;;) {
        char *field = NULL;
        bool ok = r->p < r->end && *r->p == '"' ? quoted_field(r, &field)
                                                : plain_field(r, &field);
        if (!ok) {
            record_free(rec);
            return false;
        }
        push((void **)&rec->fields, &rec->count, &cap, sizeof field, &field);
        if (r->p == r->end) {
            record_free(rec);
            return fail(r, "no record end after the last field");
        }
        size_t e = record_end(r, r->p);
        if (e > 0) {
            r->p += e;
            return true;
        }
        r->p++; /* the comma */
    }
}

bool csv_read(const char *text, size_t len, size_t fields, csv_doc_t *doc,
              char *why, size_t why_size)
{
    *doc = (csv_doc_t){0};
    reader_t r = {text, text + len, 0, why, why_size};
    why[0] = '\0';
    while (r.p < r.end) {
        r.record++;
        csv_record_t rec;
        if (!read_record(&r, &rec)) {
            return false;
        }
        if (fields == 0) {
            fields = rec.count;
        }
        push((void **)&doc->records, &doc->count, &doc->cap, sizeof rec, &rec);
        if (rec.count != fields) {
            return fail(&r, "%zu fields, expected %zu", rec.count, fields);
        }
    }
    return true;
}

void csv_doc_free(csv_doc_t *doc)
{
    for (size_t i = 0; i < doc->count; i++) {
        record_free(&doc->records[i]);
    }
    free(doc->records);
    *doc = (csv_doc_t){0};
}
