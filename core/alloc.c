/*
 * The allocator hook: every allocation in tacho goes through here, so tests
 * can fail the Nth one (see tests/unit/test_alloc.c).
 */
#include <stdlib.h>
#include <string.h>

#include <tacho/common.h>

static struct {
    tacho_malloc_fn malloc_fn;
    tacho_realloc_fn realloc_fn;
    tacho_calloc_fn calloc_fn;
    tacho_free_fn free_fn;
} allocator = {malloc, realloc, calloc, free};

int tacho_replace_allocator(tacho_malloc_fn malloc_fn,
                            tacho_realloc_fn realloc_fn,
                            tacho_calloc_fn calloc_fn, tacho_free_fn free_fn)
{
    if (malloc_fn == NULL || realloc_fn == NULL || calloc_fn == NULL ||
        free_fn == NULL) {
        return TACHO_EINVAL;
    }
    allocator.malloc_fn = malloc_fn;
    allocator.realloc_fn = realloc_fn;
    allocator.calloc_fn = calloc_fn;
    allocator.free_fn = free_fn;
    return 0;
}

void *tacho_malloc(size_t size)
{
    return allocator.malloc_fn(size);
}

void *tacho_calloc(size_t count, size_t size)
{
    return allocator.calloc_fn(count, size);
}

void *tacho_realloc(void *ptr, size_t size)
{
    return allocator.realloc_fn(ptr, size);
}

void tacho_free(void *ptr)
{
    if (ptr != NULL) {
        allocator.free_fn(ptr);
    }
}

char *tacho_strdup(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *copy = tacho_malloc(n);
    if (copy != NULL) {
        memcpy(copy, s, n);
    }
    return copy;
}
