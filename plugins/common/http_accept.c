/*
 * Content negotiation for the HTTP sinks: the q value a header such as
 * Accept or Accept-Encoding gives one token (see http_server.h).
 */
#include "http_server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* The q parameter of one list item's parameters "; a=b; q=0.5". */
static double item_q(const char *p, const char *end)
{
    double q = 1.0;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (semi == NULL) {
            break;
        }
        p = skip_space(semi + 1);
        if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            q = strtod(p + 2, NULL);
        }
    }
    return q < 0 ? 0 : q > 1 ? 1 : q;
}

double tacho__http_accept_q(const char *value, const char *token)
{
    size_t tlen = strlen(token);
    const char *p = value;
    while (*p != '\0') {
        p = skip_space(p);
        const char *end = p + strcspn(p, ",");
        size_t name = strcspn(p, ";, \t");
        if (name == tlen && strncasecmp(p, token, tlen) == 0) {
            return item_q(p + name, end);
        }
        p = *end == ',' ? end + 1 : end;
    }
    return -1;
}
