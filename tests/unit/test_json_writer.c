/*
 * Suite for core/json_writer.c: the schema-1 text must be exactly what
 * json-c's plain serialiser writes for the same document (so the pretty
 * form, which json-c makes from it, and every reader see the same thing),
 * whatever bytes the names hold.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <tacho/collector.h>
#include <tacho/json.h>
#include <tacho/snapshot.h>

#include "json_writer.h"
#include "tacho_test.h"

/* What json-c writes for the document `text` parses to. */
static char *json_c_plain(const char *text)
{
    json_object *o = json_tokener_parse(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    char *copy = strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return copy;
}

/* A collector whose pipeline names hold every byte that needs care:
 * controls, quotes, backslashes, slashes, DEL, valid multi-byte
 * sequences, and bytes that are not UTF-8 at all. */
static tacho_collector_t *awkward(void)
{
    static const char *const names[] = {
        "plain",
        "quote\" back\\slash /slash",
        "\x01\x02\x08\x09\x0a\x0c\x0d\x1b\x1f ctrl",
        "del \x7f",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "bad \xff \xc3 \x80 \xe0\x80\x80 \xed\xa0\x80 \xf4\x90\x80\x80",
        "trailing \xe2\x82",
    };
    tacho_collector_t *c = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_collector_create(NULL, &c, NULL), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (uint64_t k = 0; k < 20; k++) {
            tacho_record(c, names[i], 1000 + k * 123457 * (i + 1), k % 3 != 0);
        }
    }
    return c;
}

static void json_writer_matches_json_c(void)
{
    tacho_collector_t *c = awkward();
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    for (unsigned flags = 0; flags <= TACHO_JSON_NO_RECENT;
         flags += TACHO_JSON_NO_RECENT) {
        char *text = NULL;
        size_t len = 0;
        CU_ASSERT_EQUAL_FATAL(tacho_json_render(s, flags, &text, &len), 0);
        CU_ASSERT_EQUAL(len, strlen(text));
        char *want = json_c_plain(text);
        CU_ASSERT_STRING_EQUAL(text, want);
        /* The stray bytes became U+FFFD; the controls were escaped. */
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "bad \xef\xbf\xbd "));
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "\\u0001\\u0002\\b\\t\\n\\f\\r"));
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"del \x7f\""));
        free(want);
        tacho_free(text);
    }
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static void json_writer_pretty_is_json_c_pretty(void)
{
    tacho_collector_t *c = awkward();
    tacho_snapshot_t *s = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_snapshot_take(c, &s), 0);
    char *plain = NULL, *pretty = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho_json_render(s, 0, &plain, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(
        tacho_json_render(s, TACHO_JSON_PRETTY, &pretty, NULL), 0);
    json_object *o = json_tokener_parse(plain);
    const char *want = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PRETTY |
               JSON_C_TO_STRING_SPACED);
    CU_ASSERT_STRING_EQUAL(pretty, want);
    json_object_put(o);
    tacho_free(plain);
    tacho_free(pretty);
    tacho_snapshot_free(s);
    tacho_collector_free(c);
}

static char *write_doc(void (*fill)(tacho__jw_t *w))
{
    tacho__jw_t w;
    tacho__jw_init(&w, 0); /* grows from nothing */
    fill(&w);
    char *text = NULL;
    CU_ASSERT_EQUAL(tacho__jw_finish(&w, &text, NULL), 0);
    return text;
}

static void fill_nested(tacho__jw_t *w)
{
    tacho__jw_object_begin(w, NULL);
    tacho__jw_array_begin(w, "empty");
    tacho__jw_array_end(w);
    tacho__jw_object_begin(w, "none");
    tacho__jw_object_end(w);
    tacho__jw_array_begin(w, "list");
    for (int i = 0; i < 2; i++) {
        tacho__jw_object_begin(w, NULL);
        tacho__jw_uint(w, "i", (uint64_t)i);
        tacho__jw_object_end(w);
    }
    tacho__jw_array_end(w);
    tacho__jw_number(w, "inf", INFINITY);
    tacho__jw_number(w, "nan", NAN);
    tacho__jw_number(w, "tenth", 0.1);
    tacho__jw_string(w, "null", NULL);
    tacho__jw_bool(w, "no", false);
    tacho__jw_uint(w, "max", UINT64_MAX);
    tacho__jw_time(w, "t", 1700000000123456789ll);
    /* The same second again (the date part is reused), and the extremes. */
    tacho__jw_time(w, "t2", 1700000000999999999ll);
    tacho__jw_time(w, "min", INT64_MIN);
    tacho__jw_time(w, "neg", -1);
    tacho__jw_object_end(w);
}

static void json_writer_containers_and_scalars(void)
{
    char *text = write_doc(fill_nested);
    CU_ASSERT_STRING_EQUAL(
        text, "{\"empty\":[],\"none\":{},\"list\":[{\"i\":0},{\"i\":1}],"
              "\"inf\":null,\"nan\":null,\"tenth\":0.1,\"null\":null,"
              "\"no\":false,\"max\":18446744073709551615,"
              "\"t\":\"2023-11-14T22:13:20.123Z\","
              "\"t2\":\"2023-11-14T22:13:20.999Z\","
              "\"min\":\"1677-09-21T00:12:43.145Z\","
              "\"neg\":\"1969-12-31T23:59:59.999Z\"}");
    char *want = json_c_plain(text);
    CU_ASSERT_STRING_EQUAL(text, want);
    free(want);
    tacho_free(text);
}

/* What tacho__jw_<member>() writes for `fill`'s one member "k", without
 * the braces. */
static char *member_text(void (*fill)(tacho__jw_t *w, const void *arg),
                         const void *arg)
{
    tacho__jw_t w;
    tacho__jw_init(&w, 0);
    tacho__jw_object_begin(&w, NULL);
    fill(&w, arg);
    tacho__jw_object_end(&w);
    char *text = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho__jw_finish(&w, &text, NULL), 0);
    size_t n = strlen(text);
    memmove(text, text + 5, n - 6); /* drop {"k": and } */
    text[n - 6] = '\0';
    return text;
}

static void fill_string(tacho__jw_t *w, const void *arg)
{
    tacho__jw_string(w, "k", arg);
}

static void fill_seconds(tacho__jw_t *w, const void *arg)
{
    tacho__jw_seconds(w, "k", (double)*(const uint64_t *)arg);
}

/* A cursor piece from `start` to `end` must be exactly `want`, and no
 * longer than the room its writer promises. */
static void check_piece(const char *start, const char *end, const char *want,
                        size_t room)
{
    size_t n = (size_t)(end - start);
    CU_ASSERT_TRUE(n <= room);
    CU_ASSERT_EQUAL(n, strlen(want));
    CU_ASSERT_EQUAL(memcmp(start, want, n < strlen(want) ? n : strlen(want)),
                    0);
}

static void json_writer_cursor_pieces_match_members(void)
{
    char buf[512];
    /* Numbers around every length. */
    uint64_t v = 1;
    for (int k = 0; k < 20; k++, v *= 10) {
        uint64_t cases[] = {v - 1, v, v + 1, v * 9 + (v - 1)};
        for (size_t i = 0; i < 4; i++) {
            char want[32];
            snprintf(want, sizeof want, "%llu", (unsigned long long)cases[i]);
            check_piece(buf, tacho__jw_put_uint(buf, cases[i]), want, 20);
            /* Whole nanoseconds as seconds, as the double form writes. */
            char *member = member_text(fill_seconds, &cases[i]);
            check_piece(buf, tacho__jw_put_ns(buf, cases[i]), member,
                        TACHO__JW_NUMBER_MAX);
            free(member);
        }
    }
    check_piece(buf, tacho__jw_put_uint(buf, UINT64_MAX),
                "18446744073709551615", 20);
    /* Strings: the same bytes as a member, within 6 bytes a byte. */
    static const char *const strings[] = {"plain", "q\"b\\s/", "\x01\x1f\x7f",
                                          "caf\xc3\xa9 \xff \xe2\x82", ""};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        char *member = member_text(fill_string, strings[i]);
        check_piece(buf, tacho__jw_put_string(buf, strings[i]), member,
                    6 * strlen(strings[i]) + 2);
        free(member);
    }
    char controls[65];
    memset(controls, 0x01, 64);
    controls[64] = '\0';
    /* The worst case takes all of its room. */
    CU_ASSERT_EQUAL(tacho__jw_put_string(buf, controls) - buf, 6 * 64 + 2);
    check_piece(buf, tacho__jw_put_string(buf, NULL), "null", 4);
    check_piece(buf, tacho__jw_put_number(buf, NAN), "null", 4);
    check_piece(buf, tacho__jw_put_seconds(buf, INFINITY), "null", 4);
}

/* Direct writing through a reserved cursor continues a document as the
 * member calls do: the next member gets its comma. */
static void json_writer_cursor_commit_continues(void)
{
    tacho__jw_t w;
    tacho__jw_init(&w, 0);
    tacho__jw_object_begin(&w, NULL);
    tacho__jw_uint(&w, "a", 1);
    char *p = tacho__jw_reserve(&w, 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    p = TACHO__JW_LIT(p, ",\"b\":");
    p = tacho__jw_put_time(&w, p, 1700000000123456789ll);
    tacho__jw_commit(&w, p);
    tacho__jw_uint(&w, "c", 3);
    tacho__jw_object_end(&w);
    char *text = NULL;
    CU_ASSERT_EQUAL_FATAL(tacho__jw_finish(&w, &text, NULL), 0);
    CU_ASSERT_STRING_EQUAL(
        text, "{\"a\":1,\"b\":\"2023-11-14T22:13:20.123Z\",\"c\":3}");
    tacho_free(text);
}

/* Fails every allocation once `fail_after` more have succeeded. */
static long fail_after = -1;

static void *oom_malloc(size_t n)
{
    return fail_after >= 0 && fail_after-- == 0 ? NULL : malloc(n);
}

static void *oom_realloc(void *p, size_t n)
{
    return fail_after >= 0 && fail_after-- == 0 ? NULL : realloc(p, n);
}

static void *oom_calloc(size_t k, size_t n)
{
    return fail_after >= 0 && fail_after-- == 0 ? NULL : calloc(k, n);
}

static void json_writer_out_of_memory(void)
{
    CU_ASSERT_EQUAL_FATAL(
        tacho_replace_allocator(oom_malloc, oom_realloc, oom_calloc, free), 0);
    /* The first allocation, then each growth of a buffer that starts at
     * nothing, fails in turn; each failure is reported and leaks nothing
     * (checked under AddressSanitizer), until enough succeed. */
    long failures = 0;
    for (long n = 0; n < 20; n++) {
        fail_after = n;
        tacho__jw_t w;
        tacho__jw_init(&w, 0);
        fill_nested(&w);
        char *text = (char *)&w; /* must be set either way */
        int rc = tacho__jw_finish(&w, &text, NULL);
        fail_after = -1;
        if (rc == 0) {
            CU_ASSERT_PTR_NOT_NULL(
                strstr(text, "\"max\":18446744073709551615"));
            tacho_free(text);
            break;
        }
        CU_ASSERT_EQUAL(rc, TACHO_ENOMEM);
        CU_ASSERT_PTR_NULL(text);
        failures++;
    }
    CU_ASSERT_TRUE(failures >= 3);
    CU_ASSERT_EQUAL(tacho_replace_allocator(malloc, realloc, calloc, free), 0);
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"json_writer_matches_json_c", json_writer_matches_json_c},
        {"json_writer_pretty_is_json_c_pretty",
         json_writer_pretty_is_json_c_pretty},
        {"json_writer_containers_and_scalars",
         json_writer_containers_and_scalars},
        {"json_writer_cursor_pieces_match_members",
         json_writer_cursor_pieces_match_members},
        {"json_writer_cursor_commit_continues",
         json_writer_cursor_commit_continues},
        {"json_writer_out_of_memory", json_writer_out_of_memory},
        {NULL, NULL}};
    return tacho_test_run("json_writer", NULL, NULL, cases);
}
