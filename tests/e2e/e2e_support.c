/*
 * Helpers for the end-to-end suites (see e2e_support.h).
 */
#include "e2e_support.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tacho_test.h"

extern char **environ;

/* The test's environment with `env` applied: replaced, added, or removed
 * ("NAME="). Built before fork(), so the child only calls execve(). */
static char **merge_env(char *const env[])
{
    size_t n = 0, extra = 0;
    while (environ[n] != NULL) {
        n++;
    }
    while (env != NULL && env[extra] != NULL) {
        extra++;
    }
    char **out = calloc(n + extra + 1, sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < extra; j++) {
            size_t len = strcspn(env[j], "=") + 1;
            replaced = replaced || strncmp(environ[i], env[j], len) == 0;
        }
        if (!replaced) {
            out[k++] = environ[i];
        }
    }
    for (size_t j = 0; j < extra; j++) {
        const char *eq = strchr(env[j], '=');
        if (eq != NULL && eq[1] != '\0') {
            out[k++] = env[j];
        }
    }
    out[k] = NULL;
    return out;
}

bool e2e_start(e2e_proc_t *p, const char *dir, const char *tag,
               char *const argv[], char *const env[])
{
    snprintf(p->out_path, sizeof p->out_path, "%s/%s.out", dir, tag);
    snprintf(p->err_path, sizeof p->err_path, "%s/%s.err", dir, tag);
    int out = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char **envp = merge_env(env);
    p->pid = (out < 0 || err < 0 || in < 0 || envp == NULL) ? -1 : fork();
    if (p->pid == 0) {
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    free(envp);
    close(out);
    close(err);
    close(in);
    return p->pid > 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void e2e_sleep(double seconds)
{
    struct timespec ts = {(time_t)seconds,
                          (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool e2e_wait(e2e_proc_t *p, double seconds, int *status)
{
    double end = now_s() + seconds;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            *status = st;
            return true;
        }
        if (now_s() >= end) {
            fprintf(stderr,
                    "e2e: pid %ld still running after %.1f s: "
                    "killing it\n",
                    (long)p->pid, seconds);
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &st, 0);
            *status = st;
            return false;
        }
        e2e_sleep(0.01);
    }
}

int e2e_exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int e2e_run(const char *dir, const char *tag, char *const argv[],
            char *const env[], double seconds, char **out, char **err)
{
    e2e_proc_t p;
    int status = 0;
    int code = -1;
    if (e2e_start(&p, dir, tag, argv, env) && e2e_wait(&p, seconds, &status)) {
        code = e2e_exit_code(status);
    }
    if (out != NULL) {
        *out = tacho_test_read_file(p.out_path, NULL);
    }
    if (err != NULL) {
        *err = tacho_test_read_file(p.err_path, NULL);
    }
    return code;
}

bool e2e_wait_until(bool (*cond)(void *arg), void *arg, double seconds)
{
    double end = now_s() + seconds;
    while (!cond(arg)) {
        if (now_s() >= end) {
            return false;
        }
        e2e_sleep(0.02);
    }
    return true;
}

int e2e_free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

void e2e_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

typedef struct buf {
    char *data;
    size_t len;
} buf_t;

static size_t collect(char *ptr, size_t size, size_t n, void *arg)
{
    buf_t *b = arg;
    char *grown = realloc(b->data, b->len + size * n + 1);
    if (grown == NULL) {
        return 0;
    }
    b->data = grown;
    memcpy(b->data + b->len, ptr, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

long e2e_http_get(const char *url, char **body)
{
    buf_t b = {calloc(1, 1), 0};
    long status = 0;
    CURL *h = curl_easy_init();
    if (h != NULL) {
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        if (curl_easy_perform(h) == CURLE_OK) {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        }
        curl_easy_cleanup(h);
    }
    *body = b.data;
    return status;
}

size_t e2e_count(const char *hay, const char *needle)
{
    size_t n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay; p != NULL && (p = strstr(p, needle)) != NULL;
         p += len) {
        n++;
    }
    return n;
}

const char *e2e_bin(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", TACHO_TEST_BIN_DIR, name);
    return path;
}

bool e2e_install(const char *dir, const char *prefix)
{
    char *argv[] = {TACHO_TEST_CMAKE, "--install",    TACHO_TEST_BINARY_DIR,
                    "--prefix",       (char *)prefix, NULL};
    char *err = NULL;
    int rc = e2e_run(dir, "install", argv, NULL, 120, NULL, &err);
    if (rc != 0) {
        fprintf(stderr, "cmake --install failed (%d):\n%s\n", rc,
                err != NULL ? err : "");
    }
    free(err);
    return rc == 0;
}

const char *e2e_sanitize_flags(void)
{
    static char flags[256];
    const char *s = TACHO_TEST_SANITIZE;
    snprintf(flags, sizeof flags, s[0] != '\0' ? "-fsanitize=%s" : "%s", s);
    return flags;
}
