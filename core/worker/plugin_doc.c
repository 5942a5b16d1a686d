/*
 * --list-plugins and --plugin-doc: what the sink search path holds, and a
 * Markdown page of one sink's options generated from its option table
 * (scripts/gen-plugin-docs.sh writes docs/plugins/<name>-options.md so).
 */
#include "plugin_doc.h"

#include <stdio.h>
#include <string.h>

static void list_one(void *arg, const tacho_sink_info_t *info)
{
    FILE *out = arg;
    if (info->problem != NULL) {
        fprintf(out, "%-12s %-5s %s\n             problem: %s\n", info->name,
                "-", info->path, info->problem);
        return;
    }
    char abi[32];
    snprintf(abi, sizeof abi, "%u.%u", info->abi_major, info->abi_minor);
    fprintf(out, "%-12s %-5s %s\n             %s (version %s)\n", info->name,
            abi, info->path, info->description, info->version);
}

/* A failed listing: the search path itself is wrong (a relative
 * TACHO_PLUGIN_PATH entry), or something went wrong reading it. */
static int list_failed(int rc)
{
    fprintf(stderr, "tacho-worker: listing sinks: %s%s\n", tacho_strerror(rc),
            rc == TACHO_ECONFIG ? " (TACHO_PLUGIN_PATH and plugin_path take "
                                  "absolute directories)"
                                : "");
    return rc == TACHO_ECONFIG ? WORKER_EXIT_CONFIG : WORKER_EXIT_SOFTWARE;
}

int plugin_list(const tacho_config_t *cfg, FILE *out)
{
    fprintf(out, "%-12s %-5s %s\n", "SINK", "ABI", "PATH / DESCRIPTION");
    int rc = tacho_host_list_sinks(cfg, list_one, out);
    return rc != 0 ? list_failed(rc) : 0;
}

static const char *type_name(tacho_option_type_t t)
{
    switch (t) {
    case TACHO_OPT_STRING:
        return "string";
    case TACHO_OPT_INT:
        return "integer";
    case TACHO_OPT_FLOAT:
        return "float";
    case TACHO_OPT_BOOL:
        return "bool";
    case TACHO_OPT_STRING_LIST:
        return "list of strings";
    case TACHO_OPT_FLOAT_LIST:
        return "list of floats";
    case TACHO_OPT_STRING_MAP:
        return "map of strings";
    }
    return "?";
}

/* Writes `s` as the content of a table cell: '|' escaped, line breaks
 * turned into spaces. */
static void cell(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|') {
            fputs("\\|", out);
        } else if (*s == '\n' || *s == '\r') {
            fputc(' ', out);
        } else {
            fputc(*s, out);
        }
    }
}

static void doc_option(FILE *out, const tacho_option_spec_t *o)
{
    fprintf(out, "| `%s` | %s | ", o->name, type_name(o->type));
    if (o->default_value != NULL) {
        fputc('`', out);
        cell(out, o->default_value);
        fputc('`', out);
    } else {
        fputs("(none)", out);
    }
    fprintf(out, " | %s | ", o->required ? "yes" : "no");
    cell(out, o->description != NULL ? o->description : "");
    fputs(" |\n", out);
}

void plugin_doc_write(const tacho_sink_info_t *info, FILE *out)
{
    fprintf(out,
            "<!-- Generated from the sink's option table by `tacho-worker "
            "--plugin-doc %s`\n"
            "     (scripts/gen-plugin-docs.sh). Do not edit: change the table "
            "and regenerate. -->\n",
            info->name);
    fprintf(out, "# `%s` sink options\n\n", info->name);
    cell(out, info->description);
    fputs("\n\n", out);
    const tacho_option_spec_t *o = info->options;
    if (o == NULL || o->name == NULL) {
        fputs("This sink has no options of its own.\n\n", out);
    } else {
        fputs("| Option | Type | Default | Required | Description |\n"
              "|---|---|---|---|---|\n",
              out);
        for (; o->name != NULL; o++) {
            doc_option(out, o);
        }
        fputc('\n', out);
    }
    fprintf(out,
            "Every sink group also takes the host keys `plugin`, `name` and "
            "`optional`\n(see [CONFIG.md](../CONFIG.md)); [%s.md](%s.md) "
            "describes the sink in full.\n",
            info->name, info->name);
}

typedef struct doc_search {
    const char *name;
    FILE *out;
    int rc;
} doc_search_t;

static void doc_one(void *arg, const tacho_sink_info_t *info)
{
    doc_search_t *ds = arg;
    if (ds->rc != -1 || strcmp(info->name, ds->name) != 0) {
        return;
    }
    if (info->problem != NULL) {
        fprintf(stderr, "tacho-worker: sink '%s' (%s): %s\n", info->name,
                info->path, info->problem);
        ds->rc = WORKER_EXIT_UNAVAIL;
        return;
    }
    plugin_doc_write(info, ds->out);
    ds->rc = 0;
}

int plugin_doc(const tacho_config_t *cfg, const char *name, FILE *out)
{
    doc_search_t ds = {name, out, -1};
    int rc = tacho_host_list_sinks(cfg, doc_one, &ds);
    if (rc != 0) {
        return list_failed(rc);
    }
    if (ds.rc == -1) {
        fprintf(stderr,
                "tacho-worker: no sink named '%s' on the search path "
                "(see --list-plugins)\n",
                name);
        return WORKER_EXIT_UNAVAIL;
    }
    return ds.rc;
}
