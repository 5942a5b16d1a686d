/*
 * Listen address parsing and binding for the HTTP sinks (see
 * http_listen.h). The sinks bind the socket themselves and hand it to
 * libmicrohttpd, so a failed bind reports the exact errno.
 */
#include "http_listen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_port(const char *s, uint16_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n) {
        return TACHO_EINVAL;
    }
    long v = strtol(s, NULL, 10);
    if (v > 65535) {
        return TACHO_EINVAL;
    }
    *out = (uint16_t)v;
    return 0;
}

static void set_port(tacho__http_addr_t *a)
{
    if (a->sa.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(a->port);
    } else {
        ((struct sockaddr_in *)&a->sa)->sin_port = htons(a->port);
    }
}

static int parse_ipv6(const char *host, tacho__http_addr_t *a, char *why,
                      size_t why_size)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
        snprintf(why, why_size, "'%s' is not an IPv6 address", host);
        return TACHO_EINVAL;
    }
    sin6->sin6_family = AF_INET6;
    a->sa_len = sizeof(*sin6);
    a->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
    return 0;
}

static int resolve_host(const char *host, tacho__http_addr_t *a, char *why,
                        size_t why_size)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        a->sa_len = sizeof(*sin);
        a->wildcard = sin->sin_addr.s_addr == htonl(INADDR_ANY);
        return 0;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(why, why_size, "cannot resolve host '%s': %s", host,
                 rc != 0 ? gai_strerror(rc) : "no address");
        return TACHO_EINVAL;
    }
    memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
    a->sa_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Splits "HOST:PORT" / "[V6]:PORT" / ":PORT" into host and port texts. */
static int split(const char *text, char *host, size_t host_size,
                 const char **port, bool *bracketed, char *why, size_t why_size)
{
    const char *colon = NULL;
    *bracketed = text[0] == '[';
    if (*bracketed) {
        const char *end = strchr(text, ']');
        colon = end != NULL && end[1] == ':' ? end + 1 : NULL;
        text++;
    } else {
        colon = strrchr(text, ':');
        if (colon != NULL && memchr(text, ':', (size_t)(colon - text))) {
            snprintf(why, why_size,
                     "an IPv6 address needs brackets, as in "
                     "[::1]:9464");
            return TACHO_EINVAL;
        }
    }
    if (colon == NULL) {
        snprintf(why, why_size, "expected HOST:PORT, [IPV6]:PORT or :PORT");
        return TACHO_EINVAL;
    }
    size_t n = (size_t)(colon - text) - (*bracketed ? 1 : 0);
    if (n >= host_size) {
        snprintf(why, why_size, "host name too long");
        return TACHO_EINVAL;
    }
    memcpy(host, text, n);
    host[n] = '\0';
    *port = colon + 1;
    return 0;
}

int tacho__http_addr_parse(const char *text, tacho__http_addr_t *out, char *why,
                           size_t why_size)
{
    *out = (tacho__http_addr_t){0};
    snprintf(out->text, sizeof(out->text), "%s", text);
    char host[256];
    const char *port = NULL;
    bool bracketed = false;
    int rc = split(text, host, sizeof(host), &port, &bracketed, why, why_size);
    if (rc != 0) {
        return rc;
    }
    if (parse_port(port, &out->port) != 0) {
        snprintf(why, why_size, "port '%s' is not a number 0..65535", port);
        return TACHO_EINVAL;
    }
    if (host[0] == '\0' && !bracketed) {
        out->any = true;
        out->wildcard = true;
        return 0;
    }
    rc = bracketed ? parse_ipv6(host, out, why, why_size)
                   : resolve_host(host, out, why, why_size);
    if (rc == 0) {
        set_port(out);
    }
    return rc;
}

/* A restarted worker must not wait for the old TIME_WAIT sockets, so the
 * address is reusable (which on Linux still refuses a second listener). */
static int new_socket(int family)
{
    int s = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        int on = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    }
    return s;
}

/* Binds every address of both families: IPv6 with v4-mapped addresses
 * where the kernel has IPv6, plain IPv4 otherwise. */
static int bind_any(uint16_t port, int *fd)
{
    int s = new_socket(AF_INET6);
    if (s >= 0) {
        int off = 0;
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
        struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
                                    .sin6_port = htons(port),
                                    .sin6_addr = IN6ADDR_ANY_INIT};
        *fd = s;
        return bind(s, (struct sockaddr *)&sin6, sizeof(sin6));
    }
    s = new_socket(AF_INET);
    if (s < 0) {
        return -1;
    }
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_ANY)};
    *fd = s;
    return bind(s, (struct sockaddr *)&sin, sizeof(sin));
}

static int errno_code(int e)
{
    switch (e) {
    case EADDRINUSE:
        return TACHO_EADDRINUSE;
    case EACCES:
    case EPERM:
        return TACHO_EACCES;
    case ENOMEM:
    case ENOBUFS:
        return TACHO_ENOMEM;
    default:
        return TACHO_EIO;
    }
}

int tacho__http_addr_bind(const tacho__http_addr_t *a, tacho_error_t *err)
{
    int fd = -1;
    int rc = -1;
    if (a->any) {
        rc = bind_any(a->port, &fd);
    } else {
        fd = new_socket(a->sa.ss_family);
        if (fd >= 0) {
            rc = bind(fd, (const struct sockaddr *)&a->sa, a->sa_len);
        }
    }
    if (rc == 0) {
        rc = listen(fd, SOMAXCONN);
    }
    if (rc == 0) {
        return fd;
    }
    int e = errno;
    if (fd >= 0) {
        close(fd);
    }
    char reason[128];
    snprintf(reason, sizeof(reason), "%s", strerror(e));
    reason[0] = (char)tolower((unsigned char)reason[0]);
    return tacho_error_set(err, errno_code(e), "listen %s: %s", a->text,
                           reason);
}

void tacho__http_sockname(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
            port = ntohs(s6->sin6_port);
            snprintf(buf, size, "[%s]:%u", host, port);
            return;
        }
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        port = ntohs(s4->sin_port);
    }
    snprintf(buf, size, "%s:%u", host, port);
}
