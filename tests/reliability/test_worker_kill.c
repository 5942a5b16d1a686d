/*
 * SIGKILL suite: tacho-worker runs a job every 10 ms and writes a csv row
 * set every 10 ms; it is killed with SIGKILL at a random moment, eight
 * times in a row, each time restarted on the same file. After every kill
 * the file must read as strict RFC 4180 with every row whole and the
 * header's field count, the header exactly once at the top, and more rows
 * than before (the restart appended). A last run ends with SIGTERM (exit
 * 0), whose final snapshot adds its rows like any other.
 */
#include "checks.h"
#include "reliability.h"

#define KILLS 20
#define CSV_FIELDS 23

static char *dir;

static const char *path_in(const char *name)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static int write_config(void)
{
    FILE *f = fopen(path_in("worker.conf"), "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f,
            "tacho = { worker = \"kill,\\\"me\\\"\"; interval = 0.01; };\n"
            "sinks = ( { plugin = \"csv\"; path = \"%s/runs.csv\"; } );\n"
            "jobs = ( { name = \"tick\"; argv = [\"/bin/true\"]; every = "
            "0.01; },\n"
            "         { name = \"odd.name-1\"; argv = [\"/bin/false\"]; "
            "every = 0.02; } );\n",
            dir);
    return fclose(f);
}

/* Reads the csv strictly; returns its record count (header included). */
static size_t check_csv(const char *when)
{
    size_t len = 0;
    char *text = tacho_test_read_file(path_in("runs.csv"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    csv_doc_t doc;
    char why[512];
    bool ok = csv_read(text, len, CSV_FIELDS, &doc, why, sizeof why);
    if (!ok) {
        printf("\n  %s: %s\n", when, why);
    }
    CU_ASSERT_TRUE_FATAL(ok);
    CU_ASSERT_TRUE_FATAL(doc.count >= 1);
    CU_ASSERT_STRING_EQUAL(doc.records[0].fields[0], "timestamp");
    for (size_t i = 1; i < doc.count; i++) {
        /* No second header after a restart. */
        CU_ASSERT_STRING_NOT_EQUAL(doc.records[i].fields[0], "timestamp");
        CU_ASSERT_STRING_EQUAL(doc.records[i].fields[1], "kill,\"me\"");
    }
    size_t n = doc.count;
    csv_doc_free(&doc);
    free(text);
    return n;
}

/* Waits until the file holds more than `rows` records (the worker is up
 * and writing), for at most 10 s. */
static void wait_rows(size_t rows)
{
    double end = rel_now() + 10;
    while (rel_now() < end) {
        size_t len = 0;
        char *text = tacho_test_read_file(path_in("runs.csv"), &len);
        size_t lines = 0;
        for (size_t i = 0; text != NULL && i < len; i++) {
            lines += text[i] == '\n';
        }
        free(text);
        if (lines > rows + 3) {
            return;
        }
        rel_sleep(0.01);
    }
    CU_FAIL("the worker wrote no rows within 10 s");
}

static void worker_sigkill_leaves_whole_rows_restart_appends(void)
{
    const char *args[] = {"-c", path_in("worker.conf"), NULL};
    char conf[4200], log[4200];
    snprintf(conf, sizeof conf, "%s", path_in("worker.conf"));
    snprintf(log, sizeof log, "%s", path_in("worker.log"));
    args[1] = conf;
    size_t rows = 0;
    srand((unsigned)time(NULL));
    for (int k = 0; k < KILLS; k++) {
        pid_t pid = rel_spawn(args, log);
        wait_rows(rows);
        /* A random moment in the next 200 ms: mid-write now and then. */
        rel_sleep((double)(rand() % 200000) / 1e6);
        kill(pid, SIGKILL);
        CU_ASSERT_EQUAL(rel_wait(pid, 10), 128 + SIGKILL);
        char when[64];
        snprintf(when, sizeof when, "after kill %d", k + 1);
        size_t now = check_csv(when);
        CU_ASSERT_TRUE(now > rows);
        rows = now;
    }
    pid_t pid = rel_spawn(args, log);
    wait_rows(rows);
    kill(pid, SIGTERM);
    CU_ASSERT_EQUAL(rel_wait(pid, 20), 0);
    size_t last = check_csv("after SIGTERM");
    CU_ASSERT_TRUE(last > rows);
    printf("\n  %d kills, %zu rows, each time whole\n", KILLS, last - 1);
}

static int init(void)
{
    dir = tacho_test_tmpdir("kill");
    return write_config();
}

static int cleanup(void)
{
    tacho_test_rmtree(dir);
    free(dir);
    return 0;
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"worker_sigkill_leaves_whole_rows_restart_appends",
         worker_sigkill_leaves_whole_rows_restart_appends},
        {NULL, NULL},
    };
    return tacho_test_run("worker_kill", init, cleanup, cases);
}
