/*
 * tacho-worker: --list-plugins and --plugin-doc (plugin_doc.c).
 */
#ifndef TACHO_WORKER_PLUGIN_DOC_H
#define TACHO_WORKER_PLUGIN_DOC_H

#include <stdio.h>

#include "worker.h"

/* Prints every sink on the search path (cfg's plugin_path first; cfg may
 * be NULL): name, ABI, path, and description or the problem. Returns 0 or
 * a WORKER_EXIT_* status. */
int plugin_list(const tacho_config_t *cfg, FILE *out);

/* Prints the Markdown page of sink `name`'s options. Returns 0, or
 * WORKER_EXIT_UNAVAIL when no usable sink has that name (said on stderr). */
int plugin_doc(const tacho_config_t *cfg, const char *name, FILE *out);

/* Writes the page for one sink (what plugin_doc() prints). */
void plugin_doc_write(const tacho_sink_info_t *info, FILE *out);

#endif /* TACHO_WORKER_PLUGIN_DOC_H */
