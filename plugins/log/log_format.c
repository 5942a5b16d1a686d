/*
 * The log sink's lines, and the forms of its option values.
 */
#include <string.h>
#include <syslog.h>

#include "log_sink.h"

int log_format_line(const tacho_snapshot_t *snap, log_format_t format,
                    bool recent, char **out, size_t *len)
{
    char *json = NULL;
    size_t json_len = 0;
    int rc;
    if (format == LOG_FORMAT_JSON) {
        unsigned flags = recent ? 0u : TACHO_JSON_NO_RECENT;
        rc = tacho_json_render(snap, flags, &json, &json_len);
    } else {
        rc = tacho_json_render_legacy(snap, 0, &json, &json_len);
    }
    if (rc != 0) {
        return rc;
    }
    /* The whole line is built first so that it reaches the file, the pipe
     * or syslog in one piece. */
    const char *prefix = format == LOG_FORMAT_TEXT ? LOG_TEXT_PREFIX : "";
    size_t prefix_len = strlen(prefix);
    size_t total = prefix_len + json_len + 1;
    char *line = tacho_malloc(total + 1);
    if (line == NULL) {
        tacho_free(json);
        return TACHO_ENOMEM;
    }
    memcpy(line, prefix, prefix_len);
    memcpy(line + prefix_len, json, json_len);
    line[total - 1] = '\n';
    line[total] = '\0';
    tacho_free(json);
    *out = line;
    *len = total;
    return 0;
}

bool log_parse_facility(const char *name, int *out)
{
    static const struct {
        const char *name;
        int facility;
    } facilities[] = {
        {"user", LOG_USER},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
        {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
        {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
        {"local7", LOG_LOCAL7},
    };
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
        if (strcmp(name, facilities[i].name) == 0) {
            *out = facilities[i].facility;
            return true;
        }
    }
    return false;
}
