/*
 * What every fuzz target in tests/fuzz provides and may use.
 *
 * Each target is built twice: as a libFuzzer binary (-DTACHO_FUZZ=ON with
 * clang, `fuzz_<name>`), and always as a plain CUnit suite
 * (`test_fuzz_<name>`, replay.c) that feeds it every file of its seed
 * corpus and of its regression directory, so an input that once crashed a
 * target stays a test in every build.
 */
#ifndef TACHO_FUZZ_H
#define TACHO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <tacho/common.h>

/* libFuzzer's entry points. Initialize runs once before the first input;
 * TestOneInput returns 0 and aborts (fuzz_fail) on an invalid outcome. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frees what a target keeps between inputs (replay only: a libFuzzer run
 * ends with exit()). */
void fuzz_cleanup(void);

/* Reports a broken invariant, with the input being replayed when known,
 * and aborts so libFuzzer saves the input as a crash. */
_Noreturn void fuzz_fail(const char *file, int line, const char *fmt, ...)
    TACHO_PRINTF(3, 4);

/* Name of the file being replayed (replay.c sets it), or NULL. */
extern const char *fuzz_current_input;

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                        \
        }                                                                      \
    } while (0)

/* Reads the input piece by piece; past its end every read gives zeros. */
typedef struct fuzz_reader {
    const uint8_t *p;
    size_t left;
} fuzz_reader_t;

uint8_t fuzz_u8(fuzz_reader_t *r);
uint64_t fuzz_u64(fuzz_reader_t *r);
/* A string of up to `max` bytes (length byte first), NUL-terminated and
 * from malloc(): an embedded NUL simply ends it early. */
char *fuzz_string(fuzz_reader_t *r, size_t max);

#endif /* TACHO_FUZZ_H */
