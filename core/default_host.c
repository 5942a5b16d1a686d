/*
 * The process-wide default host, for programs that want one line per
 * call: open, record, read, start, close. Opening and closing are
 * serialised by a mutex; recording reads the host pointer atomically and
 * takes no lock, so it costs what tacho_record() costs.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <tacho/host.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(tacho_host_t *) current;

int tacho_default_open(const char *config_path, tacho_error_t *err)
{
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (atomic_load(&current) != NULL) {
        rc = tacho_error_set(err, TACHO_EBUSY,
                             "the default host is already open");
    } else {
        tacho_host_t *h = NULL;
        rc = config_path != NULL ? tacho_host_open_file(config_path, &h, err)
                                 : tacho_host_open(NULL, &h, NULL, NULL, err);
        atomic_store_explicit(&current, h, memory_order_release);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int tacho_record_run(const char *pipeline, uint64_t duration_ns, bool ok)
{
    tacho_host_t *h = atomic_load_explicit(&current, memory_order_acquire);
    if (h == NULL) {
        return TACHO_EINVAL;
    }
    return tacho_record(tacho_host_collector(h), pipeline, duration_ns, ok);
}

int tacho_get_metrics(tacho_snapshot_t **out)
{
    tacho_host_t *h = atomic_load_explicit(&current, memory_order_acquire);
    if (h == NULL) {
        if (out != NULL) {
            *out = NULL;
        }
        return TACHO_EINVAL;
    }
    return tacho_host_snapshot(h, out);
}

int tacho_start_metrics_reporting(tacho_error_t *err)
{
    pthread_mutex_lock(&lock);
    tacho_host_t *h = atomic_load(&current);
    int rc = h != NULL ? tacho_host_start(h, err)
                       : tacho_error_set(err, TACHO_EINVAL,
                                         "no default host is open: call "
                                         "tacho_default_open() first");
    pthread_mutex_unlock(&lock);
    return rc;
}

void tacho_default_close(void)
{
    pthread_mutex_lock(&lock);
    tacho_host_t *h = atomic_exchange(&current, NULL);
    tacho_host_close(h);
    pthread_mutex_unlock(&lock);
}

tacho_host_t *tacho_default_host(void)
{
    return atomic_load_explicit(&current, memory_order_acquire);
}
