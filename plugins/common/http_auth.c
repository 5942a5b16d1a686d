/*
 * Bearer and basic credentials for the HTTP sinks (see http_auth.h).
 */
#include "http_auth.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREDENTIAL_FILE_MAX 4096

static void lower_first(char *s)
{
    s[0] = (char)tolower((unsigned char)s[0]);
}

int tacho__http_read_file(const char *path, size_t max, char **out, size_t *len,
                          char *why, size_t why_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(why, why_size, "%s", strerror(e));
        lower_first(why);
        if (fd >= 0) {
            close(fd);
        }
        return -e;
    }
    if ((size_t)st.st_size > max) {
        snprintf(why, why_size, "larger than %zu bytes", max);
        close(fd);
        return TACHO_EINVAL;
    }
    char *buf = tacho_malloc((size_t)st.st_size + 1);
    ssize_t n = buf != NULL ? read(fd, buf, (size_t)st.st_size) : -1;
    int e = errno;
    close(fd);
    if (n < 0) {
        tacho_free(buf);
        snprintf(why, why_size, "%s",
                 buf == NULL ? "out of memory" : strerror(e));
        return buf == NULL ? TACHO_ENOMEM : TACHO_EIO;
    }
    buf[n] = '\0';
    *out = buf;
    *len = (size_t)n;
    return 0;
}

/* Secrets end at the first line break: editors add one at the end. */
static size_t first_line(const char *s)
{
    return strcspn(s, "\r\n");
}

void tacho__http_base64(const void *data, size_t n, bool url, char *out)
{
    static const char std[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char safe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *tab = url ? safe : std;
    const unsigned char *in = data;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? (unsigned)in[i + 2] : 0;
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Builds "<scheme> <credential>" from the first line of `text`. */
static int make_header(const char *scheme, const char *text, size_t n,
                       bool encode, char **out, size_t *out_len)
{
    size_t cap = strlen(scheme) + 1 + (encode ? (n + 2) / 3 * 4 : n) + 1;
    char *h = tacho_malloc(cap);
    if (h == NULL) {
        return TACHO_ENOMEM;
    }
    int k = snprintf(h, cap, "%s ", scheme);
    if (encode) {
        tacho__http_base64(text, n, false, h + k);
    } else {
        memcpy(h + k, text, n);
        h[(size_t)k + n] = '\0';
    }
    *out = h;
    *out_len = strlen(h);
    return 0;
}

static int load_one(const tacho_options_t *opts, const char *option, bool basic,
                    char **out, size_t *out_len, tacho_error_t *err)
{
    const char *path = tacho_options_string(opts, option);
    if (path == NULL) {
        return 0;
    }
    char why[256];
    char *text = NULL;
    size_t len = 0;
    int rc = tacho__http_read_file(path, CREDENTIAL_FILE_MAX, &text, &len, why,
                                   sizeof(why));
    if (rc != 0) {
        return tacho_options_error(opts, option, err,
                                   rc == TACHO_ENOMEM ? rc : TACHO_EINVAL,
                                   "%s '%s': %s", option, path, why);
    }
    size_t n = first_line(text);
    if (n == 0) {
        rc = tacho_options_error(opts, option, err, TACHO_EINVAL,
                                 "%s '%s': the file is empty", option, path);
    } else if (basic && memchr(text, ':', n) == NULL) {
        rc = tacho_options_error(opts, option, err, TACHO_EINVAL,
                                 "%s '%s': expected one line user:password",
                                 option, path);
    } else {
        rc = make_header(basic ? "Basic" : "Bearer", text, n, basic, out,
                         out_len);
    }
    memset(text, 0, len);
    tacho_free(text);
    return rc;
}

int tacho__http_auth_load(tacho__http_auth_t *a, const tacho_options_t *opts,
                          tacho_error_t *err)
{
    *a = (tacho__http_auth_t){0};
    int rc = load_one(opts, "auth_token_file", false, &a->bearer,
                      &a->bearer_len, err);
    if (rc == 0) {
        rc = load_one(opts, "auth_basic_file", true, &a->basic, &a->basic_len,
                      err);
    }
    if (rc != 0) {
        tacho__http_auth_free(a);
    }
    return rc;
}

void tacho__http_auth_free(tacho__http_auth_t *a)
{
    if (a->bearer != NULL) {
        memset(a->bearer, 0, a->bearer_len);
    }
    if (a->basic != NULL) {
        memset(a->basic, 0, a->basic_len);
    }
    tacho_free(a->bearer);
    tacho_free(a->basic);
    *a = (tacho__http_auth_t){0};
}

bool tacho__http_auth_enabled(const tacho__http_auth_t *a)
{
    return a->bearer != NULL || a->basic != NULL;
}

/* Compares every byte of the expected value whatever the input, so the
 * time taken tells nothing about how much of a guess was right. The scheme
 * name is compared case-insensitively, as HTTP wants. */
static bool same(const char *expected, size_t n, const char *got)
{
    size_t got_len = strlen(got);
    volatile unsigned diff = got_len != n;
    size_t scheme = strcspn(expected, " ");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = i < got_len ? (unsigned char)got[i] : 0;
        if (i < scheme) {
            c = (unsigned char)tolower(c);
        }
        unsigned char e = (unsigned char)expected[i];
        diff |= (unsigned)(c ^ (i < scheme ? (unsigned char)tolower(e) : e));
    }
    return diff == 0;
}

bool tacho__http_auth_check(const tacho__http_auth_t *a, const char *value)
{
    if (value == NULL) {
        return false;
    }
    bool ok = false;
    if (a->bearer != NULL) {
        ok |= same(a->bearer, a->bearer_len, value);
    }
    if (a->basic != NULL) {
        ok |= same(a->basic, a->basic_len, value);
    }
    return ok;
}
