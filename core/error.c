/*
 * Error codes and the caller-owned error record.
 */
#include <stdio.h>
#include <string.h>

#include <tacho/common.h>

const char *tacho_strerror(int code)
{
    switch (code) {
    case TACHO_OK:
        return "success";
    case TACHO_EINVAL:
        return "invalid argument";
    case TACHO_ENOMEM:
        return "out of memory";
    case TACHO_ENOENT:
        return "not found";
    case TACHO_EIO:
        return "input/output error";
    case TACHO_EACCES:
        return "permission denied";
    case TACHO_EEXIST:
        return "already exists";
    case TACHO_EBUSY:
        return "busy or already started";
    case TACHO_EADDRINUSE:
        return "address already in use";
    case TACHO_ETIMEDOUT:
        return "timed out";
    case TACHO_ENOSYS:
        return "not supported";
    case TACHO_ECONFIG:
        return "configuration error";
    case TACHO_EPLUGIN:
        return "not a tacho sink";
    case TACHO_EABI:
        return "sink ABI version mismatch";
    case TACHO_ESINK:
        return "sink failed";
    default:
        return "unknown error";
    }
}

void tacho_error_clear(tacho_error_t *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
    }
}

static void error_vset(tacho_error_t *err, int code, const char *file, int line,
                       const char *fmt, va_list ap) TACHO_PRINTF(5, 0);
static void error_vset(tacho_error_t *err, int code, const char *file, int line,
                       const char *fmt, va_list ap)
{
    tacho_error_clear(err);
    err->code = code;
    err->line = line;
    size_t off = 0;
    if (file != NULL) {
        snprintf(err->file, sizeof err->file, "%s", file);
        int n = snprintf(err->text, sizeof err->text, "%s:%d: ", file, line);
        off = n > 0 ? (size_t)n : 0;
        if (off >= sizeof err->text) {
            off = sizeof err->text - 1;
        }
    }
    vsnprintf(err->text + off, sizeof err->text - off, fmt, ap);
}

int tacho_error_set(tacho_error_t *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, code, NULL, 0, fmt, ap);
        va_end(ap);
    }
    return code;
}

int tacho_error_set_at(tacho_error_t *err, int code, const char *file,
                       int line, const char *fmt, ...)
{
    if (err != NULL) {
        if (file == NULL || file[0] == '\0') {
            file = "<string>";
        }
        va_list ap;
        va_start(ap, fmt);
        error_vset(err, code, file, line, fmt, ap);
        va_end(ap);
    }
    return code;
}
