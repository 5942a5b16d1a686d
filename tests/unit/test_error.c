/*
 * Suite for core/error.c and core/alloc.c: error records and codes.
 */
#include <string.h>

#include <tacho/common.h>
#include <tacho/version.h>

#include "tacho_test.h"

static void error_set_returns_code_and_text(void)
{
    tacho_error_t err;
    CU_ASSERT_EQUAL(tacho_error_set(&err, TACHO_EINVAL, "bad %s", "thing"),
                    TACHO_EINVAL);
    CU_ASSERT_EQUAL(err.code, TACHO_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.text, "bad thing");
    CU_ASSERT_EQUAL(err.line, 0);
    CU_ASSERT_STRING_EQUAL(err.file, "");
}

static void error_set_at_prefixes_place(void)
{
    tacho_error_t err;
    tacho_error_set_at(&err, TACHO_ECONFIG, "conf/x.conf", 12, "unknown key");
    CU_ASSERT_STRING_EQUAL(err.text, "conf/x.conf:12: unknown key");
    CU_ASSERT_STRING_EQUAL(err.file, "conf/x.conf");
    CU_ASSERT_EQUAL(err.line, 12);
    tacho_error_set_at(&err, TACHO_ECONFIG, NULL, 3, "x");
    CU_ASSERT_STRING_EQUAL(err.text, "<string>:3: x");
}

static void error_text_truncates_safely(void)
{
    tacho_error_t err;
    char big[3 * TACHO_ERROR_TEXT_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tacho_error_set(&err, TACHO_EIO, "%s", big);
    CU_ASSERT_EQUAL(strlen(err.text), TACHO_ERROR_TEXT_MAX - 1);
    CU_ASSERT_EQUAL(tacho_error_set(NULL, TACHO_EIO, "ignored"), TACHO_EIO);
}

static void error_strerror_covers_codes(void)
{
    int codes[] = {TACHO_OK,     TACHO_EINVAL, TACHO_ENOMEM,  TACHO_ENOENT,
                   TACHO_ECONFIG, TACHO_EPLUGIN, TACHO_EABI, TACHO_ESINK};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CU_ASSERT_PTR_NOT_NULL(tacho_strerror(codes[i]));
        CU_ASSERT_STRING_NOT_EQUAL(tacho_strerror(codes[i]), "unknown error");
    }
    CU_ASSERT_STRING_EQUAL(tacho_strerror(-99999), "unknown error");
}

static void error_version_matches_header(void)
{
    CU_ASSERT_EQUAL(tacho_version(), TACHO_VERSION_HEX);
    CU_ASSERT_STRING_EQUAL(tacho_version_string(), TACHO_VERSION_STRING);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"error_set_returns_code_and_text", error_set_returns_code_and_text},
        {"error_set_at_prefixes_place", error_set_at_prefixes_place},
        {"error_text_truncates_safely", error_text_truncates_safely},
        {"error_strerror_covers_codes", error_strerror_covers_codes},
        {"error_version_matches_header", error_version_matches_header},
        {NULL, NULL}};
    return tacho_test_run("error", NULL, NULL, cases);
}
