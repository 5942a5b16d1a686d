/*
 * Private to the http_json sink: the live dashboard, a self-contained page
 * (dashboard/index.html, dashboard.css, dashboard.js) compiled into the
 * sink at build time by embed_assets.cmake and served beside the JSON.
 */
#ifndef TACHO_SINK_HTTP_JSON_DASHBOARD_H
#define TACHO_SINK_HTTP_JSON_DASHBOARD_H

#include "http_server.h"

/* The dashboard's paths, for the sink's route table: they need the same
 * credentials as the JSON they show. tacho__dashboard_serve() takes the
 * index of a path in this list. */
#define TACHO__DASHBOARD_ROUTES                                                \
    {"/", false}, {"/dashboard.css", false},                                   \
    {                                                                          \
        "/dashboard.js", false                                                 \
    }
#define TACHO__DASHBOARD_ROUTE_COUNT 3

/*
 * Answers a GET or HEAD of dashboard path `i` (< TACHO__DASHBOARD_ROUTE_COUNT):
 * the file's bytes, its content type, and headers that keep the page from
 * loading anything but itself (Content-Security-Policy) and the browser from
 * guessing types (X-Content-Type-Options). An append that runs out of
 * memory is the server's to answer (500).
 * Ownership: appends to the reply's body; everything else is static.
 */
void tacho__dashboard_serve(size_t i, tacho__http_reply_t *rep);

/* One embedded file. The generated dashboard_assets.c defines one of these
 * per file of dashboard/, named after the file. `data` holds `len` bytes
 * and a NUL after them. */
typedef struct tacho__dashboard_file {
    const unsigned char *data;
    size_t len;
} tacho__dashboard_file_t;

extern const tacho__dashboard_file_t tacho__dashboard_index_html;
extern const tacho__dashboard_file_t tacho__dashboard_dashboard_css;
extern const tacho__dashboard_file_t tacho__dashboard_dashboard_js;

#endif /* TACHO_SINK_HTTP_JSON_DASHBOARD_H */
