/*
 * The live dashboard's routes (see dashboard.h). The files themselves are
 * compiled in (dashboard_assets.c, generated), so the sink needs nothing
 * on disk and the page cannot drift from the sink that serves it.
 */
#include "dashboard.h"

/* The page loads only its own files and /metrics.json; with no inline
 * script or style allowed, even a pipeline name that slipped into the DOM
 * as markup could not run. `data:` images are for the empty favicon, which
 * stops browsers asking for /favicon.ico. */
static const tacho__http_header_t headers[] = {
    {"Content-Security-Policy",
     "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
     "style-src 'self'; script-src 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {NULL, NULL},
};

typedef struct page {
    const tacho__dashboard_file_t *file;
    const char *type;
} page_t;

/* In the order of TACHO__DASHBOARD_ROUTES. */
static const page_t pages[] = {
    {&tacho__dashboard_index_html, "text/html; charset=utf-8"},
    {&tacho__dashboard_dashboard_css, "text/css; charset=utf-8"},
    {&tacho__dashboard_dashboard_js, "text/javascript; charset=utf-8"},
};

/* A route added without its page (or the reverse) fails the build. */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(COUNT(pages) == TACHO__DASHBOARD_ROUTE_COUNT,
               "one page per dashboard route");
_Static_assert(COUNT(((tacho__http_route_t[]){TACHO__DASHBOARD_ROUTES})) ==
                   TACHO__DASHBOARD_ROUTE_COUNT,
               "TACHO__DASHBOARD_ROUTE_COUNT counts TACHO__DASHBOARD_ROUTES");

void tacho__dashboard_serve(size_t i, tacho__http_reply_t *rep)
{
    const page_t *p = &pages[i];
    tacho__http_buf_add(rep->body, p->file->data, p->file->len);
    rep->content_type = p->type;
    rep->headers = headers;
}
