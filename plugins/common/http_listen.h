/*
 * Listen addresses of the HTTP sinks: parsed when the sink is created (so a
 * config check catches a bad address without binding anything) and bound
 * when it starts.
 */
#ifndef TACHO_PLUGIN_HTTP_LISTEN_H
#define TACHO_PLUGIN_HTTP_LISTEN_H

#include <tacho/common.h>

#include <sys/socket.h>

#define TACHO__HTTP_ADDR_TEXT_MAX 320

typedef struct tacho__http_addr {
    char text[TACHO__HTTP_ADDR_TEXT_MAX]; /* as written, for messages */
    struct sockaddr_storage sa;           /* unused when `any` */
    socklen_t sa_len;
    uint16_t port;
    bool any;      /* ":PORT": every address of every family */
    bool wildcard; /* any, 0.0.0.0 or [::]: reachable from the network */
} tacho__http_addr_t;

/*
 * Parses "HOST:PORT", "[IPV6]:PORT" or ":PORT"; HOST is an IPv4 literal or
 * a name resolved now with getaddrinfo (the first answer is used). PORT is
 * 0..65535, 0 meaning "any free port" (the bound port is logged).
 * Returns 0, or TACHO_EINVAL with the reason (without the address) in `why`.
 */
int tacho__http_addr_parse(const char *text, tacho__http_addr_t *out, char *why,
                           size_t why_size);

/*
 * Creates a non-blocking listening socket on `a`. Returns the socket, or a
 * negative TACHO_E* code with "listen ADDR: reason" in `err` (for a taken
 * port: "listen 127.0.0.1:9464: address already in use", TACHO_EADDRINUSE).
 */
int tacho__http_addr_bind(const tacho__http_addr_t *a, tacho_error_t *err);

/* Writes the address a socket is bound to as "1.2.3.4:80" or "[::1]:80". */
void tacho__http_sockname(int fd, char *buf, size_t size);

#endif /* TACHO_PLUGIN_HTTP_LISTEN_H */
