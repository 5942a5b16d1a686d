/*
 * A job's stdout and stderr, turned into whole log lines.
 *
 * Each stream has a buffer holding at most one line. Complete lines go to
 * the log through tacho_log_origin("job:<name>", ...), one message each, so
 * the log handler writes each with one write(2) and lines of different jobs
 * never interleave mid-line. A line longer than OUTPUT_LINE_MAX bytes is
 * logged in pieces, each but the last marked OUTPUT_CONTINUED; nothing is
 * dropped. A partial last line is logged when the stream ends.
 */
#include "worker.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* At most this much is read per call, so one chatty job cannot hold up the
 * scheduler's loop (the rest is read on the next turn). */
#define OUTPUT_READ_BUDGET (64 * 1024)

void output_init(output_stream_t *s, int fd, const char *origin,
                 tacho_log_level_t level)
{
    s->fd = fd;
    s->origin = origin;
    s->level = level;
    s->len = 0;
}

/* Logs buf[0..len) as one message. NUL bytes would cut the message short,
 * so they are shown as '?'; a '\r' before the newline is dropped. */
static void emit(output_stream_t *s, size_t len, bool continued)
{
    char *line = s->buf;
    if (!continued && len > 0 && line[len - 1] == '\r') {
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\0') {
            line[i] = '?';
        }
    }
    char saved = line[len];
    line[len] = '\0';
    tacho_log_origin(s->origin, s->level, "%s%s", line,
                     continued ? OUTPUT_CONTINUED : "");
    line[len] = saved;
}

/* Where to cut a line that is too long: at OUTPUT_LINE_MAX, moved back to
 * the start of a UTF-8 sequence so no character is split across pieces. */
static size_t cut_point(const char *buf)
{
    size_t cut = OUTPUT_LINE_MAX;
    for (size_t back = 0; back < 3; back++) {
        unsigned char c = (unsigned char)buf[cut - back];
        if ((c & 0xC0) != 0x80) {
            return cut - back;
        }
    }
    return cut;
}

/* Logs every complete line in the buffer and keeps the rest. */
static void drain_lines(output_stream_t *s)
{
    for (;;) {
        char *nl = memchr(s->buf, '\n', s->len);
        size_t used;
        if (nl != NULL) {
            emit(s, (size_t)(nl - s->buf), false);
            used = (size_t)(nl - s->buf) + 1;
        } else if (s->len > OUTPUT_LINE_MAX) {
            /* The buffer holds more than a line's worth and no newline:
             * the line is too long. */
            used = cut_point(s->buf);
            emit(s, used, true);
        } else {
            return;
        }
        memmove(s->buf, s->buf + used, s->len - used);
        s->len -= used;
    }
}

static void close_stream(output_stream_t *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

bool output_read(output_stream_t *s)
{
    size_t budget = OUTPUT_READ_BUDGET;
    while (s->fd >= 0 && budget > 0) {
        size_t room = OUTPUT_LINE_MAX + 1 - s->len;
        ssize_t n = read(s->fd, s->buf + s->len, room);
        if (n > 0) {
            s->len += (size_t)n;
            budget -= budget < (size_t)n ? budget : (size_t)n;
            drain_lines(s);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return false;
        } else {
            /* End of file, or an error that reading again cannot fix. */
            output_finish(s);
        }
    }
    return s->fd < 0;
}

void output_finish(output_stream_t *s)
{
    if (s->len > 0) {
        emit(s, s->len, false);
        s->len = 0;
    }
    close_stream(s);
}
