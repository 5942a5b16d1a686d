/*
 * The libcurl push client of the HTTP sinks (see http_push.h).
 */
#include "http_push.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct tacho__http_push {
    CURL *curl;
    char *url;
    struct curl_slist *headers;
    char error[CURL_ERROR_SIZE];
};

bool tacho__http_url_ok(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    bool ok =
        u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) &&
        host[0] != '\0';
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* Answers are read and dropped: only the status matters. */
static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    return size * n;
}

static int setup(tacho__http_push_t *p, const char *method,
                 const char *content_type, double timeout)
{
    char header[256];
    snprintf(header, sizeof(header), "Content-Type: %s", content_type);
    p->headers = curl_slist_append(NULL, header);
    if (p->headers == NULL) {
        return TACHO_ENOMEM;
    }
    /* No "Expect: 100-continue" round trip before each body. */
    struct curl_slist *h = curl_slist_append(p->headers, "Expect:");
    if (h == NULL) {
        return TACHO_ENOMEM;
    }
    CURL *c = p->curl;
    curl_easy_setopt(c, CURLOPT_URL, p->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, p->error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tacho/" TACHO_VERSION_STRING);
    return 0;
}

int tacho__http_push_create(const char *url, const char *method,
                            const char *content_type, double timeout,
                            tacho__http_push_t **out)
{
    *out = NULL;
    tacho__http_push_t *p = tacho_calloc(1, sizeof(*p));
    if (p == NULL) {
        return TACHO_ENOMEM;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    p->curl = curl_easy_init();
    p->url = tacho_strdup(url);
    int rc = p->curl != NULL && p->url != NULL
                 ? setup(p, method, content_type, timeout)
                 : TACHO_ENOMEM;
    if (rc != 0) {
        tacho__http_push_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

tacho_sink_result_t tacho__http_push_send(tacho__http_push_t *p,
                                          const char *body, size_t len,
                                          char *why, size_t why_size)
{
    p->error[0] = '\0';
    curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(p->curl);
    if (rc != CURLE_OK) {
        snprintf(why, why_size, "%s: %s", p->url,
                 p->error[0] != '\0' ? p->error : curl_easy_strerror(rc));
        return TACHO_SINK_RETRY;
    }
    long status = 0;
    curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        return TACHO_SINK_OK;
    }
    snprintf(why, why_size, "%s answered HTTP %ld", p->url, status);
    if (status >= 500 || status == 408 || status == 429) {
        return TACHO_SINK_RETRY;
    }
    return TACHO_SINK_ERROR;
}

void tacho__http_push_free(tacho__http_push_t *p)
{
    if (p == NULL) {
        return;
    }
    if (p->curl != NULL) {
        curl_easy_cleanup(p->curl);
    }
    curl_slist_free_all(p->headers);
    tacho_free(p->url);
    tacho_free(p);
    curl_global_cleanup();
}

char *tacho__http_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = tacho_strdup(e);
    curl_free(e);
    return copy;
}
