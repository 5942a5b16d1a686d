/*
 * tacho: common definitions shared by every public header.
 *
 * Export macros, the error convention (0 on success, a negative TACHO_E*
 * code on failure), the caller-owned error record and the allocator hook.
 */
#ifndef TACHO_COMMON_H
#define TACHO_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every public declaration carries TACHO_EXTERN; the library is built with
 * hidden visibility, so anything unmarked stays private. */
#if defined(TACHO_BUILDING_LIBRARY) && defined(__GNUC__)
#define TACHO_EXTERN __attribute__((visibility("default")))
#else
#define TACHO_EXTERN /* nothing */
#endif

/* Marks the one symbol a sink plugin exports (its descriptor). */
#if defined(__GNUC__)
#define TACHO_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define TACHO_PLUGIN_EXPORT
#endif

#if defined(__GNUC__)
#define TACHO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TACHO_PRINTF(fmt, args)
#endif

/*
 * Error codes. Zero is success; failures are negative. Where an errno value
 * fits, the code equals -errno, so strerror(-code) also reads well.
 * tacho's own conditions live in a range no errno uses.
 */
#define TACHO_OK 0
#define TACHO_EINVAL (-EINVAL)           /* bad argument or value */
#define TACHO_ENOMEM (-ENOMEM)           /* allocation failed */
#define TACHO_ENOENT (-ENOENT)           /* file or plugin not found */
#define TACHO_EIO (-EIO)                 /* read or write failed */
#define TACHO_EACCES (-EACCES)           /* permission refused */
#define TACHO_EEXIST (-EEXIST)           /* duplicate name */
#define TACHO_EBUSY (-EBUSY)             /* already started / in use */
#define TACHO_EADDRINUSE (-EADDRINUSE)   /* listen address taken */
#define TACHO_ETIMEDOUT (-ETIMEDOUT)     /* deadline passed */
#define TACHO_ENOSYS (-ENOSYS)           /* not supported */
#define TACHO_ECONFIG (-4001)            /* configuration rejected */
#define TACHO_EPLUGIN (-4002)            /* file is not a tacho sink */
#define TACHO_EABI (-4003)               /* sink ABI version mismatch */
#define TACHO_ESINK (-4004)              /* a sink's create/start failed */

/* Static, never NULL, for any code (unknown codes get a generic text). */
TACHO_EXTERN const char *tacho_strerror(int code);

#define TACHO_ERROR_FILE_MAX 256
#define TACHO_ERROR_TEXT_MAX 1024

/*
 * Details of a failure, owned by the caller (usually on its stack).
 * `file` and `line` name the configuration place at fault when there is one
 * (file is "" and line 0 otherwise). `text` is a complete sentence-like
 * message that already includes the place, ready to print.
 */
typedef struct tacho_error {
    int code;
    int line;
    char file[TACHO_ERROR_FILE_MAX];
    char text[TACHO_ERROR_TEXT_MAX];
} tacho_error_t;

/* Resets `err` to "no error". Accepts NULL. */
TACHO_EXTERN void tacho_error_clear(tacho_error_t *err);

/*
 * Records a failure in `err` (which may be NULL) and returns `code`, so a
 * caller can write `return tacho_error_set(err, TACHO_EINVAL, ...)`.
 * The text is truncated to fit; it never overflows.
 */
TACHO_EXTERN int tacho_error_set(tacho_error_t *err, int code, const char *fmt,
                                 ...) TACHO_PRINTF(3, 4);

/* As tacho_error_set(), and also names a configuration place: the text
 * becomes "FILE:LINE: message". `file` may be NULL or "" for a string
 * config, which is then shown as "<string>". */
TACHO_EXTERN int tacho_error_set_at(tacho_error_t *err, int code,
                                    const char *file, int line,
                                    const char *fmt, ...) TACHO_PRINTF(5, 6);

/*
 * Allocator hook. Every allocation tacho makes, in the library and in the
 * bundled sinks, goes through these, so tests can fail the Nth one.
 * Replace before any other tacho call; returns TACHO_EINVAL if any function
 * is NULL. Not thread-safe with concurrent tacho use.
 */
typedef void *(*tacho_malloc_fn)(size_t size);
typedef void *(*tacho_realloc_fn)(void *ptr, size_t size);
typedef void *(*tacho_calloc_fn)(size_t count, size_t size);
typedef void (*tacho_free_fn)(void *ptr);

TACHO_EXTERN int tacho_replace_allocator(tacho_malloc_fn malloc_fn,
                                         tacho_realloc_fn realloc_fn,
                                         tacho_calloc_fn calloc_fn,
                                         tacho_free_fn free_fn);

TACHO_EXTERN void *tacho_malloc(size_t size);
TACHO_EXTERN void *tacho_calloc(size_t count, size_t size);
TACHO_EXTERN void *tacho_realloc(void *ptr, size_t size);
TACHO_EXTERN void tacho_free(void *ptr);
/* Copies `s` with tacho_malloc(); NULL for NULL or on failure. */
TACHO_EXTERN char *tacho_strdup(const char *s);

#ifdef __cplusplus
}
#endif
#endif /* TACHO_COMMON_H */
