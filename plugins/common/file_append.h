/*
 * Files the file sinks (log, csv) append to: the `mode` option they share,
 * opening (and creating with an exact mode) for appending, and writing a
 * whole buffer. What each sink does around that (csv checks and repairs an
 * existing file; both cut off a failed write) stays with the sink.
 */
#ifndef TACHO_PLUGIN_FILE_APPEND_H
#define TACHO_PLUGIN_FILE_APPEND_H

#include <sys/types.h>

#include <tacho/sink.h>

/* The `mode` entry of a file sink's option table. */
#define TACHO__FILE_MODE_OPTION                                                \
    {                                                                          \
        "mode", TACHO_OPT_STRING, "\"0640\"",                                  \
            "Permissions, in octal, of a file the sink creates (the umask "    \
            "does not "                                                        \
            "apply); an existing file keeps its own.",                         \
            false                                                              \
    }

/* Parses a file mode written in octal ("0640", "600"): 1 to 5 octal
 * digits, at most 07777. Returns false for anything else. */
bool tacho__file_parse_mode(const char *text, mode_t *out);

/*
 * Reads the `mode` option into `*out`. Returns 0, or TACHO_EINVAL with
 * "<sink>: mode must be an octal file mode such as "0640", not "<value>""
 * at the option's place in `err`. Borrows `sink` for the call.
 */
int tacho__file_mode_option(const tacho_options_t *opts, const char *sink,
                            mode_t *out, tacho_error_t *err);

/*
 * Opens `path` for appending with `access` (O_WRONLY or O_RDWR), creating
 * it when missing. A file this call creates gets exactly `mode` (fchmod,
 * so the umask does not narrow it) and sets `*created` (when not NULL);
 * an existing file keeps its permissions. Returns the fd (close-on-exec), or -1
 * with errno set.
 */
int tacho__file_open_append(const char *path, int access, mode_t mode,
                            bool *created);

/*
 * Writes all `len` bytes. A write the kernel cuts short (a signal, a full
 * disk) is continued, to finish it or to learn why it stopped. Returns 0
 * or the errno that stopped it; `*done` gets the bytes written either way,
 * so the caller can cut off a partial record.
 */
int tacho__file_write_all(int fd, const char *buf, size_t len, size_t *done);

#endif /* TACHO_PLUGIN_FILE_APPEND_H */
