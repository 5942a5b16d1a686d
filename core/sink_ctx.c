/*
 * The host services a sink may call through its tacho_sink_ctx_t: logging
 * with the sink's own origin, fresh snapshots for pull sinks, and the
 * instance's worker id, name and interval.
 */
#include <stdio.h>
#include <string.h>

#include <tacho/log.h>
#include <tacho/sink.h>

#include "dispatcher.h"

/* Longest message kept from a sink's log call (the log cuts there too). */
#define SINK_MESSAGE_MAX 4096

int tacho__sink_ctx_init(struct tacho_sink_ctx *ctx, tacho__dispatcher_t *d,
                         tacho__sink_t *sink, const char *plugin,
                         const char *name, const char *worker_id,
                         double interval)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->name = tacho_strdup(name);
    ctx->worker_id = tacho_strdup(worker_id);
    size_t len = sizeof "sink::" + strlen(plugin) + strlen(name);
    ctx->origin = tacho_malloc(len);
    if (ctx->name == NULL || ctx->worker_id == NULL || ctx->origin == NULL) {
        tacho__sink_ctx_fini(ctx);
        return TACHO_ENOMEM;
    }
    snprintf(ctx->origin, len, "sink:%s:%s", plugin, name);
    pthread_mutex_init(&ctx->guard, NULL);
    ctx->dispatcher = d;
    ctx->sink = sink;
    ctx->plugin = plugin;
    ctx->interval = interval;
    return 0;
}

void tacho__sink_ctx_detach(struct tacho_sink_ctx *ctx)
{
    pthread_mutex_lock(&ctx->guard);
    ctx->dispatcher = NULL;
    pthread_mutex_unlock(&ctx->guard);
}

void tacho__sink_ctx_fini(struct tacho_sink_ctx *ctx)
{
    if (ctx->origin != NULL && ctx->name != NULL && ctx->worker_id != NULL) {
        pthread_mutex_destroy(&ctx->guard); /* initialised only then */
    }
    tacho_free(ctx->name);
    tacho_free(ctx->worker_id);
    tacho_free(ctx->origin);
    memset(ctx, 0, sizeof *ctx);
}

void tacho_log(tacho_sink_ctx_t *ctx, tacho_log_level_t level, const char *fmt,
               ...)
{
    /* An error is kept as the sink's last_error even when the log level
     * hides it; other levels are formatted only when they will be shown. */
    if (level != TACHO_LOG_ERROR && (int)level > (int)tacho_log_get_level()) {
        return;
    }
    char message[SINK_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (ctx == NULL) {
        tacho_log_origin("sink", level, "%s", message);
        return;
    }
    if (level == TACHO_LOG_ERROR) {
        tacho__sink_note_error(ctx->sink, message);
    }
    tacho_log_origin(ctx->origin, level, "%s", message);
}

int tacho_sink_snapshot(tacho_sink_ctx_t *ctx, tacho_snapshot_t **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (ctx == NULL || out == NULL) {
        return TACHO_EINVAL;
    }
    /* The guard keeps the dispatcher alive while the snapshot is taken;
     * after the host has let go of this sink, the answer is EINVAL. */
    pthread_mutex_lock(&ctx->guard);
    int rc = ctx->dispatcher != NULL
                 ? tacho__dispatcher_snapshot(ctx->dispatcher, false, out)
                 : TACHO_EINVAL;
    pthread_mutex_unlock(&ctx->guard);
    return rc;
}

const char *tacho_sink_worker_id(const tacho_sink_ctx_t *ctx)
{
    return ctx != NULL ? ctx->worker_id : "";
}

const char *tacho_sink_instance_name(const tacho_sink_ctx_t *ctx)
{
    return ctx != NULL ? ctx->name : "";
}

double tacho_sink_interval(const tacho_sink_ctx_t *ctx)
{
    return ctx != NULL ? ctx->interval : 0.0;
}
