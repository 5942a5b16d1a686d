/*
 * Fuzz target: a config loaded from arbitrary bytes.
 *
 * The bytes go through tacho_config_load_string() (libconfig, then the
 * checks of the `tacho` group and of the `sinks` list). A rejected config
 * must come with at least one problem whose code and text agree with the
 * returned code; an accepted one is walked through every setting accessor,
 * and then opened as a host, which loads the real sinks and checks each
 * sink group against the sink's own option table and create(). Nothing is
 * started: no port is bound, no file opened for writing.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <tacho/tacho.h>

#include "fuzz.h"

typedef struct problems {
    size_t count;
    int first_code;
} problems_t;

static void on_problem(void *arg, const tacho_error_t *err)
{
    problems_t *p = arg;
    FUZZ_CHECK(err->code < 0, "problem with code %d: %s", err->code, err->text);
    FUZZ_CHECK(memchr(err->text, '\0', sizeof err->text) != NULL &&
                   err->text[0] != '\0',
               "problem without text (code %d)", err->code);
    if (p->count++ == 0) {
        p->first_code = err->code;
    }
}

/* ---- walking a loaded config ------------------------------------------- */

static void check_scalars(const tacho_setting_t *s, tacho_setting_type_t t)
{
    const char *str = NULL;
    int64_t i = 0;
    double d = 0;
    bool b = false;
    FUZZ_CHECK(tacho_setting_string(s, &str) == (t == TACHO_SETTING_STRING),
               "string accessor disagrees with type %d", (int)t);
    FUZZ_CHECK(str == NULL || t == TACHO_SETTING_STRING, "string of a %d",
               (int)t);
    FUZZ_CHECK(tacho_setting_int(s, &i) == (t == TACHO_SETTING_INT),
               "int accessor disagrees with type %d", (int)t);
    FUZZ_CHECK(tacho_setting_float(s, &d) ==
                   (t == TACHO_SETTING_INT || t == TACHO_SETTING_FLOAT),
               "float accessor disagrees with type %d", (int)t);
    FUZZ_CHECK(tacho_setting_bool(s, &b) == (t == TACHO_SETTING_BOOL),
               "bool accessor disagrees with type %d", (int)t);
}

static void walk(const tacho_setting_t *s, const tacho_setting_t *parent,
                 unsigned depth)
{
    tacho_setting_type_t t = tacho_setting_type(s);
    FUZZ_CHECK(t >= TACHO_SETTING_GROUP && t <= TACHO_SETTING_BOOL,
               "setting of type %d", (int)t);
    FUZZ_CHECK(tacho_setting_type_name(t) != NULL, "type %d has no name",
               (int)t);
    FUZZ_CHECK(tacho_setting_file(s) != NULL && tacho_setting_line(s) >= 0,
               "setting without a place");
    const char *name = tacho_setting_name(s);
    if (name != NULL && tacho_setting_type(parent) == TACHO_SETTING_GROUP) {
        FUZZ_CHECK(tacho_setting_member(parent, name) != NULL,
                   "member '%s' not found by name", name);
    }
    check_scalars(s, t);
    size_t n = tacho_setting_length(s);
    bool container = t == TACHO_SETTING_GROUP || t == TACHO_SETTING_LIST ||
                     t == TACHO_SETTING_ARRAY;
    FUZZ_CHECK(container || n == 0, "scalar of length %zu", n);
    FUZZ_CHECK(tacho_setting_elem(s, n) == NULL, "element past the end");
    for (size_t i = 0; i < n && depth < 64; i++) {
        const tacho_setting_t *e = tacho_setting_elem(s, i);
        FUZZ_CHECK(e != NULL, "element %zu of %zu missing", i, n);
        walk(e, s, depth + 1);
    }
}

/* ---- opening a host ------------------------------------------------------ */

/* A listen host that resolves without asking a name server: an address, a
 * name in /etc/hosts that every system has, or none. Other names would make
 * the fuzzer wait on DNS, so such configs are only parsed. */
static bool local_listen(const char *text)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || text[0] == '[') {
        return true; /* refused by the parser before any lookup */
    }
    char host[256];
    size_t n = (size_t)(colon - text);
    if (n >= sizeof host) {
        return true;
    }
    memcpy(host, text, n);
    host[n] = '\0';
    unsigned char addr[16];
    return n == 0 || strcmp(host, "localhost") == 0 ||
           inet_pton(AF_INET, host, addr) == 1;
}

static bool hermetic(const tacho_config_t *cfg)
{
    const tacho_setting_t *sinks =
        tacho_setting_member(tacho_config_root(cfg), "sinks");
    for (size_t i = 0; i < tacho_setting_length(sinks); i++) {
        const tacho_setting_t *listen =
            tacho_setting_member(tacho_setting_elem(sinks, i), "listen");
        const char *text = NULL;
        if (tacho_setting_string(listen, &text) && !local_listen(text)) {
            return false;
        }
    }
    return true;
}

static void open_host(const tacho_config_t *cfg)
{
    problems_t p = {0, 0};
    tacho_error_t err;
    tacho_host_t *h = NULL;
    int rc = tacho_host_open(cfg, &h, on_problem, &p, &err);
    FUZZ_CHECK((rc == 0) == (h != NULL), "host_open returned %d with %p", rc,
               (void *)h);
    if (rc != 0) {
        FUZZ_CHECK(p.count > 0 && p.first_code == rc && err.code == rc,
                   "host_open failed with %d but reported %zu problems "
                   "(first %d, err %d)",
                   rc, p.count, p.first_code, err.code);
        return;
    }
    for (size_t i = 0; i < tacho_host_sink_count(h); i++) {
        FUZZ_CHECK(tacho_host_sink_name(h, i) != NULL, "sink %zu unnamed", i);
    }
    tacho_host_close(h);
}

/* ---- the target ---------------------------------------------------------- */

/* Holds every shipped sink's module for the whole run: libFuzzer keeps
 * reading the coverage counters of a module once it has seen it, so the
 * hosts the inputs open must never be the last to let one go (which would
 * unload it). */
static tacho_host_t *keeper;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* Only the build tree's sinks, whatever the caller's environment. */
    unsetenv("TACHO_PLUGIN_PATH");
    unsetenv("METRICS_INTERVAL");
    tacho_error_t err;
    int rc = tacho_host_open_string(
        "sinks = ( { plugin = \"log\"; },"
        " { plugin = \"csv\"; path = \"/nonexistent/fuzz.csv\"; },"
        " { plugin = \"prometheus\"; listen = \"\"; },"
        " { plugin = \"http_json\"; listen = \"\"; } );",
        &keeper, &err);
    FUZZ_CHECK(rc == 0, "cannot load the sinks: %s", err.text);
    return 0;
}

void fuzz_cleanup(void)
{
    tacho_host_close(keeper);
    keeper = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    problems_t p = {0, 0};
    tacho_error_t err;
    tacho_config_t *cfg = NULL;
    int rc = tacho_config_load_string(text, &cfg, on_problem, &p, &err);
    FUZZ_CHECK((rc == 0) == (cfg != NULL), "load returned %d with %p", rc,
               (void *)cfg);
    if (rc != 0) {
        FUZZ_CHECK(rc == TACHO_ECONFIG, "load failed with %d: %s", rc,
                   err.text);
        FUZZ_CHECK(p.count > 0 && p.first_code == rc && err.code == rc,
                   "load failed with %d but reported %zu problems", rc,
                   p.count);
    } else {
        FUZZ_CHECK(p.count == 0, "load succeeded after %zu problems", p.count);
        walk(tacho_config_root(cfg), NULL, 0);
        if (hermetic(cfg)) {
            open_host(cfg);
        }
    }
    tacho_config_free(cfg);
    free(text);
    return 0;
}
