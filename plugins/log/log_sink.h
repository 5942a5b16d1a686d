/*
 * Private to the log sink: what log.c (lifecycle, options) and log_format.c
 * (the lines and the option values' forms) share.
 */
#ifndef TACHO_SINK_LOG_H
#define TACHO_SINK_LOG_H

#include <tacho/tacho.h>

/* What precedes the legacy JSON in the text format, as the replaced system
 * printed it. */
#define LOG_TEXT_PREFIX "Worker Metrics Report "

typedef enum log_format {
    LOG_FORMAT_TEXT = 0, /* LOG_TEXT_PREFIX and the legacy JSON */
    LOG_FORMAT_JSON = 1  /* one schema-1 object */
} log_format_t;

/*
 * Renders one snapshot as one line ending in '\n'. `recent` keeps the
 * recent executions in the JSON format (the text format never has them).
 * Returns 0 or TACHO_ENOMEM.
 * Ownership: borrows `snap`; `*out` is the caller's, free with tacho_free().
 */
int log_format_line(const tacho_snapshot_t *snap, log_format_t format,
                    bool recent, char **out, size_t *len);

/* Parses a syslog facility name ("user", "daemon", "local0".."local7").
 * Returns false for an unknown name. */
bool log_parse_facility(const char *name, int *out);

/* The valid facility names, for error messages. */
#define LOG_FACILITY_NAMES "\"user\", \"daemon\", \"local0\" ... \"local7\""

#endif /* TACHO_SINK_LOG_H */
