/*
 * Private to the prometheus sink: rendering a snapshot in the Prometheus
 * text format 0.0.4 or OpenMetrics 1.0 (prometheus_format.c), shared by the
 * scrape handler and the push mode (prometheus.c).
 */
#ifndef TACHO_SINK_PROMETHEUS_H
#define TACHO_SINK_PROMETHEUS_H

#include <tacho/snapshot.h>

#include "http_buf.h"

#define TACHO__PROM_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define TACHO__PROM_OPENMETRICS_TYPE                                           \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Sample heads kept per render: "<prefix><name><suffix>{" and the base. */
#define TACHO__PROM_HEADS 3

/* Memory kept between renders, so a steady scrape rate allocates nothing.
 * Everything a sample line repeats is prepared once per render or per
 * family, so writing a line is a few copies and one number. */
typedef struct tacho__prom_scratch {
    tacho__http_buf_t base;  /* worker="..." plus the constant labels */
    tacho__http_buf_t names; /* each pipeline's ',pipeline="<escaped>"' */
    size_t *offsets;         /* [n + 1]: where each pipeline's label starts */
    size_t offsets_cap;
    tacho__http_buf_t heads[TACHO__PROM_HEADS]; /* the current family's */
    /* The labels a sample line may end with: each bound's
     * ',le="<seconds>"' (le_count of them), ',le="+Inf"', the summary's
     * five ',quantile="<q>"' and "" (none). */
    tacho__http_buf_t le;
    size_t le_offsets[TACHO_MAX_BUCKETS + 8];
    size_t le_count;
} tacho__prom_scratch_t;

/* What stays the same from one render to the next. */
typedef struct tacho__prom_format {
    const char *prefix;       /* prepended to every metric name */
    const char *const_labels; /* pre-escaped ',name="value"...', or "" */
    bool openmetrics;
} tacho__prom_format_t;

/*
 * Appends the exposition of `s` to `out`, in time linear in the pipelines
 * and sinks. Allocation failures leave `out->failed` set.
 */
void tacho__prom_render(const tacho_snapshot_t *s,
                        const tacho__prom_format_t *fmt,
                        tacho__prom_scratch_t *scratch, tacho__http_buf_t *out);

/* Frees the scratch memory. */
void tacho__prom_scratch_free(tacho__prom_scratch_t *scratch);

/* Appends `value` escaped for a label value (backslash, double quote and
 * line feed), with each byte that is not part of valid UTF-8 replaced by
 * U+FFFD. */
void tacho__prom_escape(tacho__http_buf_t *out, const char *value);

/* [a-zA-Z_:][a-zA-Z0-9_:]* (an empty prefix is valid too). */
bool tacho__prom_valid_prefix(const char *s);
/* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__". */
bool tacho__prom_valid_label(const char *s);

#endif /* TACHO_SINK_PROMETHEUS_H */
