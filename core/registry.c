/*
 * Sinks linked into the program: tacho_sink_register_static() checks a
 * descriptor exactly as the loader checks a loaded one and keeps the
 * result for the life of the process; the loader looks here first.
 */
#include <pthread.h>
#include <string.h>

#include <tacho/sink.h>

#include "loader.h"

/* Entries are never removed, so a pointer handed out stays valid. */
typedef struct entry {
    tacho__sink_type_t type;
    struct entry *next;
} entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *registry; /* guarded by lock */

static entry_t *find_locked(const char *name)
{
    for (entry_t *e = registry; e != NULL; e = e->next) {
        if (strcmp(e->type.name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

const tacho__sink_type_t *tacho__registry_find(const char *name)
{
    pthread_mutex_lock(&lock);
    entry_t *e = find_locked(name);
    pthread_mutex_unlock(&lock);
    return e != NULL ? &e->type : NULL;
}

int tacho_sink_register_static(const tacho_sink_descriptor_t *d,
                               tacho_error_t *err)
{
    tacho__sink_type_t type;
    int rc = tacho__sink_type_read(d, NULL, "static registration", &type, err);
    if (rc != 0) {
        return rc;
    }
    type.path = "(static)";
    type.module = NULL;
    pthread_mutex_lock(&lock);
    if (find_locked(type.name) != NULL) {
        rc = tacho_error_set(err, TACHO_EEXIST,
                             "sink '%s' is already registered", type.name);
    } else {
        entry_t *e = tacho_malloc(sizeof *e);
        if (e == NULL) {
            rc = tacho_error_set(err, TACHO_ENOMEM, "out of memory");
        } else {
            e->type = type;
            e->next = registry;
            registry = e;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
