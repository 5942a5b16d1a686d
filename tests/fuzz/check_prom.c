/*
 * A strict reader of the Prometheus text format 0.0.4 and OpenMetrics 1.0
 * (see checks.h), written from the two specifications: it accepts what a
 * conforming exposition may contain and nothing tacho would have no reason
 * to write (timestamps, exemplars, comments other than HELP/TYPE/UNIT).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"

typedef struct parser {
    const char *p;   /* the current line */
    const char *end; /* its end (the '\n') */
    bool om;
    size_t line;
    char *why;
    size_t why_size;
    prom_doc_t *doc;
    /* The current family and every family seen before. */
    char family[256];
    const char *type;
    bool help, typed, unit;
    char **seen;
    size_t nseen;
} parser_t;

static bool fail(parser_t *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(parser_t *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(ps->why, ps->why_size, "line %zu: ", ps->line);
    if (n >= 0 && (size_t)n < ps->why_size) {
        vsnprintf(ps->why + n, ps->why_size - (size_t)n, fmt, ap);
    }
    va_end(ap);
    return false;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL) {
        abort();
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- UTF-8 -----------------------------------------------------------------
 */

/* Length of the well-formed UTF-8 sequence at p (at most `left` bytes), or
 * 0. Overlong forms, surrogates and code points past U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || n > left) {
        return 0;
    }
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

static bool valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0 || p[i] == '\0') {
            return false;
        }
        i += n;
    }
    return true;
}

/* ---- names and values ------------------------------------------------------
 */

static bool name_char(char c, bool first, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* Length of the metric (colon) or label name at p, 0 if none. */
static size_t name_len(const char *p, const char *end, bool colon)
{
    size_t n = 0;
    while (p + n < end && name_char(p[n], n == 0, colon)) {
        n++;
    }
    return n;
}

static bool parse_value(const char *s, size_t n, double *out)
{
    static const char *const special[] = {"+Inf", "-Inf", "Inf", "NaN"};
    for (size_t i = 0; i < 4; i++) {
        if (strlen(special[i]) == n && memcmp(s, special[i], n) == 0) {
            *out = s[0] == '-' ? -INFINITY : s[n - 1] == 'N' ? NAN : INFINITY;
            return true;
        }
    }
    if (n == 0 || n > 64 || strspn(s, "0123456789.eE+-") < n) {
        return false;
    }
    char text[65];
    memcpy(text, s, n);
    text[n] = '\0';
    char *stop = NULL;
    *out = strtod(text, &stop);
    return stop == text + n;
}

/* ---- families --------------------------------------------------------------
 */

static const char *known_type(const char *s, size_t n, bool om)
{
    static const char *const text_types[] = {"counter", "gauge",   "histogram",
                                             "summary", "untyped", NULL};
    static const char *const om_types[] = {
        "counter", "gauge",    "histogram",      "summary", "unknown",
        "info",    "stateset", "gaugehistogram", NULL};
    for (const char *const *t = om ? om_types : text_types; *t != NULL; t++) {
        if (strlen(*t) == n && memcmp(*t, s, n) == 0) {
            return *t;
        }
    }
    return NULL;
}

/* Starts family `name` unless it is the current one; a family may appear
 * only once, as one group. */
static bool enter_family(parser_t *ps, const char *name, size_t n)
{
    if (strlen(ps->family) == n && memcmp(ps->family, name, n) == 0) {
        return true;
    }
    if (n >= sizeof ps->family) {
        return fail(ps, "family name too long");
    }
    for (size_t i = 0; i < ps->nseen; i++) {
        if (strlen(ps->seen[i]) == n && memcmp(ps->seen[i], name, n) == 0) {
            return fail(ps, "family %.*s appears twice", (int)n, name);
        }
    }
    char **seen = realloc(ps->seen, (ps->nseen + 1) * sizeof *seen);
    if (seen == NULL) {
        abort();
    }
    ps->seen = seen;
    ps->seen[ps->nseen++] = dup_n(name, n);
    memcpy(ps->family, name, n);
    ps->family[n] = '\0';
    ps->type = NULL;
    ps->help = ps->typed = ps->unit = false;
    return true;
}

/* HELP text escapes only backslash and line feed. */
static bool valid_help(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p == '\\' && (p + 1 == end || (p[1] != '\\' && p[1] != 'n'))) {
            return false;
        }
        p += *p == '\\';
    }
    return true;
}

static bool parse_unit(parser_t *ps, const char *rest, size_t n)
{
    size_t flen = strlen(ps->family);
    if (!ps->om || ps->unit || n == 0 || flen <= n + 1 ||
        ps->family[flen - n - 1] != '_' ||
        memcmp(ps->family + flen - n, rest, n) != 0) {
        return fail(ps, "bad UNIT line for %s", ps->family);
    }
    ps->unit = true;
    return true;
}

static bool parse_comment(parser_t *ps)
{
    const char *p = ps->p + 2;
    size_t len = (size_t)(ps->end - ps->p);
    if (ps->om && len == 5 && memcmp(ps->p, "# EOF", 5) == 0) {
        return true; /* the caller checks that it is last */
    }
    const char *kind = len > 7 ? p : "";
    bool help = strncmp(kind, "HELP ", 5) == 0;
    bool type = strncmp(kind, "TYPE ", 5) == 0;
    bool unit = ps->om && strncmp(kind, "UNIT ", 5) == 0;
    if (ps->p[1] != ' ' || !(help || type || unit)) {
        return fail(ps, "a comment that is not HELP, TYPE or UNIT");
    }
    p += 5;
    size_t n = name_len(p, ps->end, true);
    if (n == 0 || p + n == ps->end || p[n] != ' ' || !enter_family(ps, p, n)) {
        return ps->why[0] != '\0' ? false : fail(ps, "bad metadata line");
    }
    const char *rest = p + n + 1;
    size_t rlen = (size_t)(ps->end - rest);
    if (help) {
        if (ps->help || !valid_help(rest, ps->end)) {
            return fail(ps, "bad HELP line for %s", ps->family);
        }
        ps->help = true;
        return true;
    }
    if (unit) {
        return parse_unit(ps, rest, rlen);
    }
    ps->type = known_type(rest, rlen, ps->om);
    if (ps->typed || ps->type == NULL) {
        return fail(ps, "bad TYPE line for %s", ps->family);
    }
    ps->typed = true;
    return true;
}

/* ---- samples ---------------------------------------------------------------
 */

/* True when `name` is a sample name of the current family. */
static bool of_family(const parser_t *ps, const char *name)
{
    static const char *const hist[] = {"_bucket", "_sum", "_count", "_created"};
    size_t flen = strlen(ps->family);
    if (strncmp(name, ps->family, flen) != 0) {
        return false;
    }
    const char *suffix = name + flen;
    const char *t = ps->type;
    bool plain = suffix[0] == '\0';
    size_t nsuffixes = ps->om ? 4 : 3;
    if (strcmp(t, "counter") == 0) {
        return ps->om ? strcmp(suffix, "_total") == 0 ||
                            strcmp(suffix, "_created") == 0
                      : plain;
    }
    if (strcmp(t, "info") == 0) {
        return strcmp(suffix, "_info") == 0;
    }
    if (strcmp(t, "histogram") == 0 || strcmp(t, "summary") == 0) {
        bool summary = t[0] == 's';
        for (size_t i = summary ? 1 : 0; i < nsuffixes; i++) {
            if (strcmp(suffix, hist[i]) == 0) {
                return true;
            }
        }
        return summary && plain;
    }
    return plain;
}

/* Reads "value" at p (just past the opening quote) up to the closing
 * quote, unescaping \\, \" and \n. Returns the end (the quote) or NULL. */
static const char *label_value(const char *p, const char *end, char **out)
{
    char *v = malloc((size_t)(end - p) + 1);
    size_t n = 0;
    while (p < end && *p != '"') {
        if (*p == '\\') {
            if (p + 1 == end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n')) {
                free(v);
                return NULL;
            }
            v[n++] = p[1] == 'n' ? '\n' : p[1];
            p += 2;
        } else {
            v[n++] = *p++;
        }
    }
    v[n] = '\0';
    if (p == end) {
        free(v);
        return NULL;
    }
    *out = v;
    return p;
}

static bool parse_label(parser_t *ps, prom_sample_t *s, const char **at)
{
    const char *p = *at;
    size_t n = name_len(p, ps->end, false);
    if (n == 0 || p + n + 1 >= ps->end || p[n] != '=' || p[n + 1] != '"') {
        return fail(ps, "bad label in %s", s->name);
    }
    if (s->nlabels == PROM_MAX_LABELS ||
        (n >= 2 && p[0] == '_' && p[1] == '_')) {
        return fail(ps, "too many or reserved labels in %s", s->name);
    }
    for (size_t i = 0; i < s->nlabels; i++) {
        if (strlen(s->labels[i].name) == n &&
            memcmp(s->labels[i].name, p, n) == 0) {
            return fail(ps, "label %.*s twice in %s", (int)n, p, s->name);
        }
    }
    prom_label_t *l = &s->labels[s->nlabels];
    const char *close = label_value(p + n + 2, ps->end, &l->value);
    if (close == NULL) {
        return fail(ps, "bad label value in %s", s->name);
    }
    l->name = dup_n(p, n);
    s->nlabels++;
    *at = close + 1;
    return true;
}

static bool parse_labels(parser_t *ps, prom_sample_t *s, const char **at)
{
    const char *p = *at + 1; /* past '{' */
    while (p < ps->end && *p != '}') {
        if (!parse_label(ps, s, &p)) {
            return false;
        }
        if (p < ps->end && *p == ',') {
            p++;
        } else if (p >= ps->end || *p != '}') {
            return fail(ps, "expected ',' or '}' in %s", s->name);
        }
    }
    if (p >= ps->end) {
        return fail(ps, "unclosed labels in %s", s->name);
    }
    *at = p + 1;
    return true;
}

static void sample_free(prom_sample_t *s)
{
    free(s->name);
    free(s->family);
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->labels[i].name);
        free(s->labels[i].value);
    }
}

static bool parse_sample(parser_t *ps)
{
    size_t n = name_len(ps->p, ps->end, true);
    if (n == 0) {
        return fail(ps, "not a sample");
    }
    prom_sample_t s = {.name = dup_n(ps->p, n)};
    const char *p = ps->p + n;
    bool ok = ps->type != NULL && of_family(ps, s.name);
    if (!ok) {
        fail(ps, "sample %s outside its family (current %s)", s.name,
             ps->family);
    }
    ok = ok && (p == ps->end || *p != '{' || parse_labels(ps, &s, &p));
    if (ok && (p == ps->end || *p != ' ' ||
               !parse_value(p + 1, (size_t)(ps->end - p - 1), &s.value))) {
        ok = fail(ps, "bad value of %s", s.name);
    }
    if (!ok) {
        sample_free(&s);
        return false;
    }
    s.family = dup_n(ps->family, strlen(ps->family));
    s.type = ps->type;
    prom_doc_t *d = ps->doc;
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->samples = realloc(d->samples, d->cap * sizeof *d->samples);
        if (d->samples == NULL) {
            abort();
        }
    }
    d->samples[d->count++] = s;
    return true;
}

/* ---- whole-document checks ------------------------------------------------
 */

/* "name\1label\2value\1..." with the labels in written order. */
static char *series_key(const prom_sample_t *s, const char *skip)
{
    size_t n = strlen(s->name) + 1;
    for (size_t i = 0; i < s->nlabels; i++) {
        n += strlen(s->labels[i].name) + strlen(s->labels[i].value) + 2;
    }
    char *k = malloc(n);
    strcpy(k, s->name);
    for (size_t i = 0; i < s->nlabels; i++) {
        if (skip == NULL || strcmp(s->labels[i].name, skip) != 0) {
            strcat(k, "\1");
            strcat(k, s->labels[i].name);
            strcat(k, "\2");
            strcat(k, s->labels[i].value);
        }
    }
    return k;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool unique_series(const prom_doc_t *doc, char *why, size_t why_size)
{
    char **keys = malloc((doc->count + 1) * sizeof *keys);
    for (size_t i = 0; i < doc->count; i++) {
        keys[i] = series_key(&doc->samples[i], NULL);
    }
    qsort(keys, doc->count, sizeof *keys, cmp_str);
    bool ok = true;
    for (size_t i = 1; i < doc->count && ok; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            snprintf(why, why_size, "series %s appears twice", keys[i]);
            ok = false;
        }
    }
    for (size_t i = 0; i < doc->count; i++) {
        free(keys[i]);
    }
    free(keys);
    return ok;
}

/* One histogram series (its labels without le): buckets in increasing le
 * with non-decreasing counts, the last one +Inf, equal to _count. */
static bool check_histogram(const prom_doc_t *doc, size_t first, char *why,
                            size_t why_size)
{
    const prom_sample_t *h = &doc->samples[first];
    char *key = series_key(h, "le");
    size_t klen = strlen(h->family);
    double le = -INFINITY, count = -1, inf = -1;
    bool ok = true;
    for (size_t i = first; i < doc->count && ok; i++) {
        const prom_sample_t *s = &doc->samples[i];
        if (strcmp(s->family, h->family) != 0) {
            break;
        }
        char *k = series_key(s, "le");
        bool mine = strcmp(k + strlen(s->name), key + strlen(h->name)) == 0;
        free(k);
        const char *suffix = s->name + klen;
        if (!mine) {
            continue;
        }
        if (strcmp(suffix, "_bucket") == 0) {
            const char *v = prom_label(s, "le");
            double b = 0;
            ok = v != NULL && parse_value(v, strlen(v), &b) && b > le &&
                 s->value >= (inf < 0 ? 0 : inf);
            le = b;
            inf = s->value;
        } else if (strcmp(suffix, "_count") == 0) {
            count = s->value;
        }
    }
    if (ok && (le != INFINITY || count != inf)) {
        ok = false;
    }
    if (!ok) {
        snprintf(why, why_size,
                 "histogram %s: buckets not cumulative, no +Inf bucket, or "
                 "+Inf (%g) != _count (%g)",
                 key, inf, count);
    }
    free(key);
    return ok;
}

static bool check_histograms(const prom_doc_t *doc, char *why, size_t why_size)
{
    for (size_t i = 0; i < doc->count; i++) {
        const prom_sample_t *s = &doc->samples[i];
        size_t flen = strlen(s->family);
        if (strcmp(s->type, "histogram") == 0 &&
            strcmp(s->name + flen, "_bucket") == 0) {
            const char *le = prom_label(s, "le");
            bool first =
                i == 0 || strcmp(doc->samples[i - 1].name, s->name) ||
                prom_label(&doc->samples[i - 1], "le") == NULL ||
                strcmp(prom_label(&doc->samples[i - 1], "le"), "+Inf") == 0;
            if (le == NULL) {
                snprintf(why, why_size, "bucket of %s without le", s->name);
                return false;
            }
            if (first && !check_histogram(doc, i, why, why_size)) {
                return false;
            }
        }
    }
    return true;
}

/* ---- the entry points -----------------------------------------------------
 */

static bool parse_lines(parser_t *ps, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    bool eof = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) {
            return fail(ps, "the last line has no line feed");
        }
        if (eof) {
            return fail(ps, "text after # EOF");
        }
        ps->line++;
        ps->p = p;
        ps->end = nl;
        if (p == nl) {
            return fail(ps, "empty line");
        }
        bool ok = *p == '#' ? parse_comment(ps) : parse_sample(ps);
        if (!ok) {
            return false;
        }
        eof = nl - p == 5 && memcmp(p, "# EOF", 5) == 0;
        p = nl + 1;
    }
    return ps->om && !eof ? fail(ps, "no # EOF at the end") : true;
}

bool prom_parse(const char *text, size_t len, bool openmetrics, prom_doc_t *doc,
                char *why, size_t why_size)
{
    *doc = (prom_doc_t){0};
    why[0] = '\0';
    if (!valid_utf8(text, len)) {
        snprintf(why, why_size, "not valid UTF-8 (or holds NUL)");
        return false;
    }
    parser_t ps = {
        .om = openmetrics, .why = why, .why_size = why_size, .doc = doc};
    bool ok = parse_lines(&ps, text, len);
    for (size_t i = 0; i < ps.nseen; i++) {
        free(ps.seen[i]);
    }
    free(ps.seen);
    return ok && unique_series(doc, why, why_size) &&
           check_histograms(doc, why, why_size);
}

void prom_doc_free(prom_doc_t *doc)
{
    for (size_t i = 0; i < doc->count; i++) {
        sample_free(&doc->samples[i]);
    }
    free(doc->samples);
    *doc = (prom_doc_t){0};
}

const char *prom_label(const prom_sample_t *s, const char *name)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        if (strcmp(s->labels[i].name, name) == 0) {
            return s->labels[i].value;
        }
    }
    return NULL;
}

bool prom_get(const prom_doc_t *doc, const char *name, const char *label,
              const char *value, double *out)
{
    for (size_t i = 0; i < doc->count; i++) {
        const prom_sample_t *s = &doc->samples[i];
        const char *v = label != NULL ? prom_label(s, label) : NULL;
        if (strcmp(s->name, name) == 0 &&
            (label == NULL || (v != NULL && strcmp(v, value) == 0))) {
            *out = s->value;
            return true;
        }
    }
    return false;
}

bool prom_check_pipelines(const prom_doc_t *doc, const char *prefix,
                          bool openmetrics, char *why, size_t why_size)
{
    char runs[128], count[128], ok[128], failed[128];
    snprintf(runs, sizeof runs, "%sruns_total", prefix);
    snprintf(count, sizeof count, "%srun_duration_seconds_count", prefix);
    snprintf(ok, sizeof ok, "%sruns_succeeded_total", prefix);
    snprintf(failed, sizeof failed, "%sruns_failed_total", prefix);
    (void)openmetrics; /* sample names are the same in both formats */
    for (size_t i = 0; i < doc->count; i++) {
        const prom_sample_t *s = &doc->samples[i];
        const char *p = prom_label(s, "pipeline");
        if (strcmp(s->name, runs) != 0 || p == NULL) {
            continue;
        }
        double c = -1, good = -1, bad = -1;
        if (!prom_get(doc, count, "pipeline", p, &c) || c != s->value ||
            !prom_get(doc, ok, "pipeline", p, &good) ||
            !prom_get(doc, failed, "pipeline", p, &bad) ||
            good + bad != s->value) {
            snprintf(why, why_size,
                     "pipeline '%s': runs %.17g, histogram count %.17g, "
                     "succeeded %.17g + failed %.17g",
                     p, s->value, c, good, bad);
            return false;
        }
    }
    return true;
}
