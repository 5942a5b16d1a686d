/*
 * Strict readers of what the sinks write, shared by the fuzz targets and
 * the reliability suites: the Prometheus text format 0.0.4 / OpenMetrics
 * 1.0 (check_prom.c) and RFC 4180 CSV (check_csv.c). Each refuses anything
 * a conforming consumer could misread, and says why.
 */
#ifndef TACHO_TEST_CHECKS_H
#define TACHO_TEST_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

/* ---- Prometheus -----------------------------------------------------------
 */

#define PROM_MAX_LABELS 8

typedef struct prom_label {
    char *name;
    char *value; /* unescaped */
} prom_label_t;

typedef struct prom_sample {
    char *name;
    char *family;     /* the name its TYPE line announced */
    const char *type; /* "counter", "histogram" ... (static) */
    prom_label_t labels[PROM_MAX_LABELS];
    size_t nlabels;
    double value;
} prom_sample_t;

typedef struct prom_doc {
    prom_sample_t *samples;
    size_t count;
    size_t cap;
} prom_doc_t;

/*
 * Parses an exposition: every line a HELP, TYPE (and, in OpenMetrics, UNIT)
 * line or a sample of the family its TYPE line announced, names and label
 * names well formed, label values validly escaped UTF-8, values numbers,
 * no series twice, and for OpenMetrics a final "# EOF". Then checks every
 * histogram: buckets cumulative, one le="+Inf" bucket equal to _count.
 * Returns true, or false with the reason (and the line) in `why`.
 * Ownership: `doc` receives copies; free with prom_doc_free().
 */
bool prom_parse(const char *text, size_t len, bool openmetrics, prom_doc_t *doc,
                char *why, size_t why_size);
void prom_doc_free(prom_doc_t *doc);

/* The value of label `name`, or NULL. Borrowed from the sample. */
const char *prom_label(const prom_sample_t *s, const char *name);

/* The value of the sample `name` whose label `label` is `value` (label
 * NULL: the first sample of that name); false when there is none. */
bool prom_get(const prom_doc_t *doc, const char *name, const char *label,
              const char *value, double *out);

/*
 * tacho's own invariants, per pipeline: <prefix>runs_total equals the
 * histogram's _count and the sum of runs_succeeded and runs_failed.
 * Returns true, or false with the reason in `why`.
 */
bool prom_check_pipelines(const prom_doc_t *doc, const char *prefix,
                          bool openmetrics, char *why, size_t why_size);

/* ---- CSV -------------------------------------------------------------------
 */

typedef struct csv_record {
    char **fields; /* unquoted */
    size_t count;
} csv_record_t;

typedef struct csv_doc {
    csv_record_t *records;
    size_t count;
    size_t cap;
} csv_doc_t;

/*
 * Reads RFC 4180 text with LF (or CRLF) record ends: a quoted field may
 * hold commas, quotes (doubled) and line breaks; an unquoted field may hold
 * neither quotes nor CR; the text must end with a record end, and every
 * record must have `fields` fields (0: as many as the first). Returns true,
 * or false with the reason in `why`. Free `doc` with csv_doc_free().
 */
bool csv_read(const char *text, size_t len, size_t fields, csv_doc_t *doc,
              char *why, size_t why_size);
void csv_doc_free(csv_doc_t *doc);

#endif /* TACHO_TEST_CHECKS_H */
