/*
 * The collector: options, pipelines, the record path, and the reader-side
 * operations (tick, reset, snapshot) that drain the shards.
 */
#include "collector_internal.h"

#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tacho/snapshot.h>

#define NS_PER_S 1000000000ll

/* ---- options ----------------------------------------------------------- */

typedef struct settings {
    const char *worker;
    uint32_t max_pipelines;
    uint32_t window_seconds;
    uint32_t recent_capacity;
    const uint64_t *bounds;
    size_t bound_count;
} settings_t;

/* True when the caller's struct (of o->struct_size bytes) has `field`. */
#define HAS(o, field)                                                          \
    ((o)->struct_size >=                                                       \
     offsetof(tacho_collector_options_t, field) + sizeof((o)->field))

static int check_ranges(const settings_t *s, tacho_error_t *err)
{
    if (s->window_seconds < TACHO_MIN_WINDOW_SECONDS ||
        s->window_seconds > TACHO_MAX_WINDOW_SECONDS) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "window_seconds must be between %d and %d, "
                               "not %u",
                               TACHO_MIN_WINDOW_SECONDS,
                               TACHO_MAX_WINDOW_SECONDS, s->window_seconds);
    }
    if (s->max_pipelines > TACHO_MAX_MAX_PIPELINES) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "max_pipelines must be between 1 and %d, "
                               "not %u",
                               TACHO_MAX_MAX_PIPELINES, s->max_pipelines);
    }
    if (s->recent_capacity > TACHO_MAX_RECENT_CAPACITY) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "recent_capacity must be between 1 and %d, "
                               "not %u",
                               TACHO_MAX_RECENT_CAPACITY, s->recent_capacity);
    }
    if (s->bounds != NULL && s->bound_count == 0) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "bucket_bounds_ns is set but bucket_count "
                               "is 0");
    }
    return tacho__bounds_check(s->bounds, s->bound_count, err);
}

static int read_options(const tacho_collector_options_t *o, settings_t *s,
                        tacho_error_t *err)
{
    memset(s, 0, sizeof *s);
    if (o != NULL) {
        if (o->struct_size < sizeof o->struct_size) {
            return tacho_error_set(err, TACHO_EINVAL,
                                   "options.struct_size is %zu; start from "
                                   "TACHO_COLLECTOR_OPTIONS_INIT",
                                   o->struct_size);
        }
        s->worker = HAS(o, worker_id) ? o->worker_id : NULL;
        s->max_pipelines = HAS(o, max_pipelines) ? o->max_pipelines : 0;
        s->window_seconds = HAS(o, window_seconds) ? o->window_seconds : 0;
        s->recent_capacity = HAS(o, recent_capacity) ? o->recent_capacity : 0;
        s->bounds = HAS(o, bucket_bounds_ns) ? o->bucket_bounds_ns : NULL;
        s->bound_count = HAS(o, bucket_count) ? o->bucket_count : 0;
    }
    /* Zero always means the default. */
    if (s->window_seconds == 0) {
        s->window_seconds = TACHO_DEFAULT_WINDOW_SECONDS;
    }
    if (s->max_pipelines == 0) {
        s->max_pipelines = TACHO_DEFAULT_MAX_PIPELINES;
    }
    if (s->recent_capacity == 0) {
        s->recent_capacity = TACHO_DEFAULT_RECENT_CAPACITY;
    }
    int rc = check_ranges(s, err);
    if (rc == 0 && s->bounds == NULL) {
        s->bounds = tacho__default_bounds_ns;
        s->bound_count = tacho__default_bounds_count;
    }
    return rc;
}

static char *worker_name(const char *given)
{
    if (given != NULL && given[0] != '\0') {
        return tacho_strdup(given);
    }
    char host[256];
    if (gethostname(host, sizeof host) != 0 || host[0] == '\0') {
        return tacho_strdup("localhost");
    }
    host[sizeof host - 1] = '\0';
    return tacho_strdup(host);
}

/* ---- pipelines ----------------------------------------------------------- */

static void pipeline_free(tacho_pipeline_t *p)
{
    if (p != NULL) {
        tacho_free(p->key.name);
        tacho_free(p->life.hist);
        tacho__wpipe_destroy(&p->win);
        tacho_free(p);
    }
}

static tacho_pipeline_t *pipeline_new(tacho_collector_t *c, const char *name,
                                      size_t len, uint64_t hash)
{
    tacho_pipeline_t *p = tacho_calloc(1, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    p->key.name = tacho_malloc(len + 1);
    p->life.hist = tacho_calloc(TACHO__HIST_BUCKETS, sizeof(uint64_t));
    if (p->key.name == NULL || p->life.hist == NULL ||
        tacho__wpipe_init(&p->win) != 0) {
        pipeline_free(p);
        return NULL;
    }
    memcpy(p->key.name, name, len);
    p->key.name[len] = '\0';
    p->key.len = len;
    p->key.hash = hash;
    p->c = c;
    p->fast_id = c->shards.fast_id;
    p->life.min = UINT64_MAX;
    return p;
}

/* Makes `p` pipeline number npipes: visible to readers and lookups. Called
 * under the table lock. */
static void pipeline_publish(tacho_collector_t *c, tacho_pipeline_t *p)
{
    uint32_t idx = atomic_load_explicit(&c->npipes, memory_order_relaxed);
    p->index = idx;
    p->pipe_bits = idx << 1;
    c->pipes[idx] = p;
    tacho__window_attach(&c->window, idx, &p->win);
    tacho__ptable_insert(&c->table, &p->key);
    atomic_store_explicit(&c->npipes, idx + 1, memory_order_release);
}

static tacho_pipeline_t *pipeline_insert(tacho_collector_t *c, const char *name,
                                         size_t len, uint64_t hash)
{
    pthread_mutex_lock(&c->table.lock);
    tacho__pkey_t *k = tacho__ptable_find(&c->table, name, len, hash);
    tacho_pipeline_t *p = (tacho_pipeline_t *)k;
    if (p == NULL) {
        uint32_t n = atomic_load_explicit(&c->npipes, memory_order_relaxed);
        if (n >= c->max_pipelines) {
            p = c->pipes[0];
        } else {
            p = pipeline_new(c, name, len, hash);
            if (p != NULL) {
                pipeline_publish(c, p);
            }
        }
    }
    pthread_mutex_unlock(&c->table.lock);
    return p;
}

tacho_pipeline_t *tacho_pipeline_get(tacho_collector_t *c, const char *name)
{
    if (c == NULL || name == NULL || name[0] == '\0') {
        return NULL;
    }
    char valid[TACHO__NAME_VALID_MAX];
    size_t len = tacho__name_keep_len(name);
    name = tacho__name_valid(name, &len, valid);
    uint64_t hash = tacho__name_hash(name, len);
    tacho__pkey_t *k = tacho__ptable_find(&c->table, name, len, hash);
    if (k != NULL) {
        return (tacho_pipeline_t *)k;
    }
    return pipeline_insert(c, name, len, hash);
}

const char *tacho_pipeline_name(const tacho_pipeline_t *p)
{
    return p == NULL ? NULL : p->key.name;
}

/* ---- the record path ----------------------------------------------------- */

/*
 * One record into the calling thread's cell: plain stores into the buffer
 * the flip protocol (shard.h) hands out, no lock, no call. `fence` is a
 * constant at each call site: false on the fast path, the set's mode on the
 * slow one.
 */
static inline __attribute__((always_inline)) void
record_into(tacho__shard_t *sh, tacho__cell_t *cell, uint64_t d,
            uint32_t pipe_ok, bool fence)
{
    int64_t now = atomic_load_explicit(sh->now, memory_order_relaxed);
    size_t hi = tacho__hist_bucket(d);
    uint64_t rec;
    tacho__buf_t *b = tacho__shard_enter(sh, cell, fence, &rec);
    b->outcome[pipe_ok & 1]++;
    b->sum += d;
    /* Branches, not conditional moves: a new extreme is rare once a
     * buffer has a few records, and a skipped store is cheaper. */
    if (__builtin_expect(d < b->min, 0)) {
        b->min = d;
    }
    if (__builtin_expect(d > b->max, 0)) {
        b->max = d;
    }
    b->last_ns = now;
    b->octaves |= 1ull << (hi / TACHO__HIST_SUB);
    b->hist[hi]++;
    /* Most buckets hold no bound: their `le` counts come from the
     * histogram (merge_buf). The rest count here, inline: a call would
     * cost the fast path saved registers. */
    if (__builtin_expect(tacho__bounds_straddles(sh->bounds, hi), 0)) {
        b->le[tacho__bounds_le(sh->bounds, hi, d)]++;
    }
    tacho__recent_put(&sh->recent, rec, now, d, pipe_ok);
    tacho__shard_leave(sh, rec);
}

/* The calling thread's cell for `p`, creating its shard and cell on its
 * first record. NULL on allocation failure. */
static tacho__cell_t *cell_slow(tacho_pipeline_t *p, tacho__shard_t **sh)
{
    *sh = tacho__shard_get(&p->c->shards);
    if (*sh == NULL) {
        return NULL;
    }
    tacho__cell_t *cell =
        atomic_load_explicit(&(*sh)->cells[p->index], memory_order_relaxed);
    return cell != NULL ? cell : tacho__shard_add_cell(*sh, p->index);
}

/* Everything the fast path does not cover: a thread's first record into a
 * collector or pipeline, another collector's shard in the cache, and every
 * record of a collector in fence mode. Returns 0 or TACHO_ENOMEM. */
__attribute__((noinline, cold)) static int
record_slow(tacho_pipeline_t *p, uint64_t duration_ns, bool ok)
{
    tacho__shard_t *sh;
    tacho__cell_t *cell = cell_slow(p, &sh);
    if (cell == NULL) {
        return TACHO_ENOMEM;
    }
    if (p->c->shards.fence) {
        record_into(sh, cell, duration_ns, p->pipe_bits | ok, true);
    } else {
        record_into(sh, cell, duration_ns, p->pipe_bits | ok, false);
    }
    return 0;
}

/* The fast path: one thread-local load and compare, one cell load, then
 * record_into; it calls nothing and needs no saved register. */
static inline __attribute__((always_inline)) int
record(tacho_pipeline_t *p, uint64_t duration_ns, bool ok)
{
    if (__builtin_expect(tacho__tls.id == p->fast_id, 1)) {
        tacho__shard_t *sh = tacho__tls.shard;
        tacho__cell_t *cell =
            atomic_load_explicit(&sh->cells[p->index], memory_order_relaxed);
        if (__builtin_expect(cell != NULL, 1)) {
            record_into(sh, cell, duration_ns, p->pipe_bits | ok, false);
            return 0;
        }
    }
    return record_slow(p, duration_ns, ok);
}

void tacho_pipeline_record(tacho_pipeline_t *p, uint64_t duration_ns, bool ok)
{
    /* Only the first record of a thread into a pipeline allocates; if that
     * fails the record is dropped (tacho_record reports it instead). */
    (void)record(p, duration_ns, ok);
}

int tacho_record(tacho_collector_t *c, const char *pipeline,
                 uint64_t duration_ns, bool ok)
{
    if (c == NULL || pipeline == NULL || pipeline[0] == '\0') {
        return TACHO_EINVAL;
    }
    tacho_pipeline_t *p = tacho_pipeline_get(c, pipeline);
    if (p == NULL) {
        return TACHO_ENOMEM;
    }
    return record(p, duration_ns, ok);
}

uint64_t tacho_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * (uint64_t)NS_PER_S + (uint64_t)ts.tv_nsec;
}

tacho_run_t tacho_run_begin(tacho_pipeline_t *p)
{
    tacho_run_t run = {p, tacho_now_ns()};
    return run;
}

uint64_t tacho_run_end(tacho_run_t run, bool ok)
{
    uint64_t now = tacho_now_ns();
    uint64_t d = now > run.start_ns ? now - run.start_ns : 0;
    if (run.pipeline != NULL) {
        (void)record(run.pipeline, d, ok);
    }
    return d;
}

/* ---- the reader side: merge, tick, reset --------------------------------- */

/* Adds one taken buffer into the pipeline's lifetime totals and into the
 * window's current slot. */
static void merge_buf(void *arg, uint32_t pipe, const tacho__buf_t *b)
{
    tacho_collector_t *c = arg;
    tacho_pipeline_t *p = c->pipes[pipe];
    tacho__life_t *l = &p->life;
    if (l->succeeded + l->failed == 0 || b->last_ns > l->last_ns) {
        l->last_ns = b->last_ns;
    }
    l->succeeded += b->succeeded;
    l->failed += b->failed;
    l->sum += b->sum;
    l->min = b->min < l->min ? b->min : l->min;
    l->max = b->max > l->max ? b->max : l->max;
    for (size_t i = 0; i <= c->bounds.count; i++) {
        l->le[i] += b->le[i];
    }
    tacho__bounds_add_le(&c->bounds, l->le, b->hist, b->octaves);
    tacho__hist_add(l->hist, b->hist, b->octaves);
    l->octaves |= b->octaves;
    tacho__wpipe_add(&p->win, b);
}

static uint32_t pipe_count(tacho_collector_t *c)
{
    return atomic_load_explicit(&c->npipes, memory_order_acquire);
}

/* Drains every shard into the reader-side totals. Under reader_lock.
 * Without `wait`, what a descheduled writer's shard holds is left for a
 * later drain (shard.h). */
static void drain(tacho_collector_t *c, bool wait)
{
    tacho__shards_flip(&c->shards, pipe_count(c), merge_buf, c, wait);
}

/* The number of window ticks due at `now` since the anchor. */
static uint64_t ticks_due(const tacho_collector_t *c, int64_t now)
{
    if (now < c->tick_anchor_ns) {
        return 0; /* the wall clock went back: wait for it */
    }
    /* Split so the multiplication cannot overflow after a long jump. */
    uint64_t w = (uint64_t)c->window_seconds * (uint64_t)NS_PER_S;
    uint64_t e = (uint64_t)(now - c->tick_anchor_ns);
    return e / w * TACHO__WINDOW_SLOTS + e % w * TACHO__WINDOW_SLOTS / w;
}

/* Runs the window ticks due at `now`. Under reader_lock. After a long gap
 * (a suspended machine, a clock jump) one window's worth of ticks already
 * empties the window, so at most that many are run. */
static void run_due_ticks(tacho_collector_t *c, int64_t now)
{
    uint64_t due = ticks_due(c, now);
    if (due <= c->ticks_done) {
        return;
    }
    /* A slot boundary is rare and cuts exactly: wait for every writer. */
    drain(c, true);
    uint64_t n = due - c->ticks_done;
    uint32_t npipes = pipe_count(c);
    for (uint64_t i = 0; i < n && i < TACHO__WINDOW_SLOTS; i++) {
        /* On ENOMEM the current slot simply lasts longer; nothing lost. */
        (void)tacho__window_tick(&c->window, npipes);
    }
    c->ticks_done = due;
}

static void on_clock(void *arg, int64_t now)
{
    tacho_collector_t *c = arg;
    pthread_mutex_lock(&c->reader_lock);
    /* A refresh racing with the switch to a manual clock must not tick. */
    if (!tacho__clock_is_manual(&c->clock)) {
        run_due_ticks(c, now);
    }
    pthread_mutex_unlock(&c->reader_lock);
}

static void restart_at(tacho_collector_t *c, int64_t now)
{
    c->start_ns = now;
    c->tick_anchor_ns = now;
    c->ticks_done = 0;
}

static void life_clear(tacho__life_t *l)
{
    memset(l->hist, 0, TACHO__HIST_BUCKETS * sizeof l->hist[0]);
    uint64_t *hist = l->hist;
    memset(l, 0, sizeof *l);
    l->hist = hist;
    l->min = UINT64_MAX;
}

void tacho_collector_reset(tacho_collector_t *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->reader_lock);
    /* Everything recorded before the flip is taken and then dropped; what
     * comes after lands in the other buffers and survives, so a racing
     * record is wholly on one side. The recent rings follow the same cut. */
    drain(c, true);
    uint32_t npipes = pipe_count(c);
    for (uint32_t i = 0; i < npipes; i++) {
        life_clear(&c->pipes[i]->life);
    }
    tacho__window_reset(&c->window, npipes);
    tacho__shards_cut_recent(&c->shards);
    restart_at(c, tacho__clock_precise(&c->clock));
    pthread_mutex_unlock(&c->reader_lock);
}

static int take(tacho_collector_t *c, bool wait, tacho_snapshot_t **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (c == NULL || out == NULL) {
        return TACHO_EINVAL;
    }
    pthread_mutex_lock(&c->reader_lock);
    int64_t now = tacho__clock_precise(&c->clock);
    if (!tacho__clock_is_manual(&c->clock)) {
        run_due_ticks(c, now);
    }
    drain(c, wait);
    int rc = tacho__snapshot_build(c, now, out);
    pthread_mutex_unlock(&c->reader_lock);
    return rc;
}

int tacho_snapshot_take(tacho_collector_t *c, tacho_snapshot_t **out)
{
    return take(c, true, out);
}

int tacho__snapshot_take_nowait(tacho_collector_t *c, tacho_snapshot_t **out)
{
    return take(c, false, out);
}

void tacho__collector_use_manual_clock(tacho_collector_t *c, int64_t wall_ns)
{
    tacho__clock_set_manual(&c->clock, wall_ns);
    pthread_mutex_lock(&c->reader_lock);
    restart_at(c, wall_ns);
    pthread_mutex_unlock(&c->reader_lock);
}

void tacho__collector_set_time(tacho_collector_t *c, int64_t wall_ns)
{
    tacho__clock_set_manual(&c->clock, wall_ns);
    pthread_mutex_lock(&c->reader_lock);
    run_due_ticks(c, wall_ns);
    pthread_mutex_unlock(&c->reader_lock);
}

/* ---- create and free ----------------------------------------------------- */

static void teardown(tacho_collector_t *c)
{
    /* The clock thread goes first: it is the only other reader. */
    if (c->clock_ready) {
        tacho__clock_destroy(&c->clock);
    }
    tacho__shard_set_destroy(&c->shards);
    uint32_t n = atomic_load_explicit(&c->npipes, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++) {
        pipeline_free(c->pipes[i]);
    }
    tacho_free(c->pipes);
    tacho__window_destroy(&c->window);
    tacho__ptable_destroy(&c->table);
    if (c->lock_ready) {
        pthread_mutex_destroy(&c->reader_lock);
    }
    tacho_free(c->worker);
    tacho_free(c);
}

void tacho_collector_free(tacho_collector_t *c)
{
    if (c != NULL) {
        teardown(c);
    }
}

/* Everything but the thread: tables, the overflow pipeline, the lock. */
static int build(tacho_collector_t *c, const settings_t *s)
{
    c->max_pipelines = s->max_pipelines;
    c->window_seconds = s->window_seconds;
    c->recent_capacity = s->recent_capacity;
    tacho__bounds_init(&c->bounds, s->bounds, s->bound_count);
    c->worker = worker_name(s->worker);
    c->pipes = tacho_calloc(s->max_pipelines, sizeof c->pipes[0]);
    if (c->worker == NULL || c->pipes == NULL ||
        tacho__ptable_init(&c->table, s->max_pipelines) != 0 ||
        tacho__window_init(&c->window, s->max_pipelines) != 0) {
        return TACHO_ENOMEM;
    }
    c->lock_ready = pthread_mutex_init(&c->reader_lock, NULL) == 0;
    const char *other = TACHO_OVERFLOW_PIPELINE;
    size_t len = strlen(other);
    tacho_pipeline_t *p =
        pipeline_new(c, other, len, tacho__name_hash(other, len));
    if (!c->lock_ready || p == NULL) {
        return TACHO_ENOMEM;
    }
    p->overflow = true;
    pipeline_publish(c, p);
    return 0;
}

int tacho_collector_create(const tacho_collector_options_t *opts,
                           tacho_collector_t **out, tacho_error_t *err)
{
    if (out == NULL) {
        return tacho_error_set(err, TACHO_EINVAL,
                               "tacho_collector_create: out is NULL");
    }
    *out = NULL;
    settings_t s;
    int rc = read_options(opts, &s, err);
    if (rc != 0) {
        return rc;
    }
    tacho_collector_t *c = tacho_calloc(1, sizeof *c);
    if (c == NULL) {
        goto fail_nomem;
    }
    tacho__shard_set_init(&c->shards, s.max_pipelines, s.recent_capacity);
    c->shards.now = &c->clock.now;
    c->shards.bounds = &c->bounds;
    if (build(c, &s) != 0 || tacho__clock_init(&c->clock, on_clock, c) != 0) {
        goto fail;
    }
    c->clock_ready = true;
    restart_at(c, tacho__clock_cached(&c->clock));
    if (tacho__clock_start(&c->clock) != 0) {
        goto fail;
    }
    *out = c;
    return 0;
fail:
    teardown(c);
fail_nomem:
    return tacho_error_set(err, TACHO_ENOMEM,
                           "out of memory creating the collector");
}
