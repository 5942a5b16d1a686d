/*
 * Opening and appending for the file sinks (see file_append.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_append.h"

bool tacho__file_parse_mode(const char *text, mode_t *out)
{
    size_t n = strlen(text);
    if (n == 0 || n > 5) {
        return false;
    }
    unsigned value = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '7') {
            return false;
        }
        value = value * 8 + (unsigned)(text[i] - '0');
    }
    if (value > 07777) {
        return false;
    }
    *out = (mode_t)value;
    return true;
}

int tacho__file_mode_option(const tacho_options_t *opts, const char *sink,
                            mode_t *out, tacho_error_t *err)
{
    const char *mode = tacho_options_string(opts, "mode");
    if (!tacho__file_parse_mode(mode, out)) {
        return tacho_options_error(opts, "mode", err, TACHO_EINVAL,
                                   "%s: mode must be an octal file mode "
                                   "such as \"0640\", not \"%s\"",
                                   sink, mode);
    }
    return 0;
}

int tacho__file_open_append(const char *path, int access, mode_t mode,
                            bool *created)
{
    int flags = access | O_APPEND | O_CLOEXEC;
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, flags | O_CREAT | O_EXCL, mode);
        if (fd >= 0) {
            if (created != NULL) {
                *created = true;
            }
            if (fchmod(fd, mode) != 0) {
                int saved = errno;
                close(fd);
                errno = saved;
                return -1;
            }
            return fd;
        }
        if (errno != EEXIST) {
            return -1;
        }
        if (created != NULL) {
            *created = false;
        }
        fd = open(path, flags);
        /* ENOENT: the file vanished between the two opens; create it on
         * the next round. */
        if (fd >= 0 || errno != ENOENT) {
            return fd;
        }
    }
    errno = ENOENT;
    return -1;
}

int tacho__file_write_all(int fd, const char *buf, size_t len, size_t *done)
{
    int rc = 0;
    *done = 0;
    while (*done < len && rc == 0) {
        ssize_t n = write(fd, buf + *done, len - *done);
        if (n > 0) {
            *done += (size_t)n;
        } else if (n == 0) {
            rc = EIO;
        } else if (errno != EINTR) {
            rc = errno;
        }
    }
    return rc;
}
