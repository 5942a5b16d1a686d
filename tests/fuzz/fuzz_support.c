/*
 * Helpers shared by the fuzz targets (see fuzz.h).
 */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fuzz_current_input;

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "\nfuzz: invariant broken at %s:%d", file, line);
    if (fuzz_current_input != NULL) {
        fprintf(stderr, " (input %s)", fuzz_current_input);
    }
    fputs(": ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

uint8_t fuzz_u8(fuzz_reader_t *r)
{
    if (r->left == 0) {
        return 0;
    }
    r->left--;
    return *r->p++;
}

uint64_t fuzz_u64(fuzz_reader_t *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | fuzz_u8(r);
    }
    return v;
}

char *fuzz_string(fuzz_reader_t *r, size_t max)
{
    size_t n = fuzz_u8(r);
    n = n < max ? n : max;
    n = n < r->left ? n : r->left;
    char *s = malloc(n + 1);
    if (s == NULL) {
        abort();
    }
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    r->left -= n;
    return s;
}
