/*
 * Suite for the strict readers behind the fuzz targets and the reliability
 * suites (check_prom.c, check_csv.c): they must accept what a conforming
 * writer produces and refuse each kind of breakage, or the targets that
 * rely on them could not fail.
 */
#include <string.h>

#include "checks.h"
#include "tacho_test.h"

static const char good_text[] =
    "# HELP t_runs_total Runs.\n"
    "# TYPE t_runs_total counter\n"
    "t_runs_total{worker=\"w\",pipeline=\"a \\\"q\\\" \\\\ \\n\"} 3\n"
    "# HELP t_runs_succeeded_total Ok.\n"
    "# TYPE t_runs_succeeded_total counter\n"
    "t_runs_succeeded_total{pipeline=\"a \\\"q\\\" \\\\ \\n\"} 2\n"
    "# TYPE t_runs_failed_total counter\n"
    "t_runs_failed_total{pipeline=\"a \\\"q\\\" \\\\ \\n\"} 1\n"
    "# TYPE t_run_duration_seconds histogram\n"
    "t_run_duration_seconds_bucket{pipeline=\"a \\\"q\\\" \\\\ "
    "\\n\",le=\"0.5\"}"
    " 1\n"
    "t_run_duration_seconds_bucket{pipeline=\"a \\\"q\\\" \\\\ "
    "\\n\",le=\"+Inf\"}"
    " 3\n"
    "t_run_duration_seconds_sum{pipeline=\"a \\\"q\\\" \\\\ \\n\"} 4.5\n"
    "t_run_duration_seconds_count{pipeline=\"a \\\"q\\\" \\\\ \\n\"} 3\n";

static bool prom_ok(const char *text, bool om, char *why)
{
    prom_doc_t doc;
    bool ok = prom_parse(text, strlen(text), om, &doc, why, 256) &&
              prom_check_pipelines(&doc, "t_", om, why, 256);
    prom_doc_free(&doc);
    return ok;
}

/* `good_text` with the first `from` replaced by `to`. */
static bool prom_ok_after(const char *from, const char *to)
{
    char text[4096], why[256];
    const char *at = strstr(good_text, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    size_t head = (size_t)(at - good_text);
    snprintf(text, sizeof text, "%.*s%s%s", (int)head, good_text, to,
             at + strlen(from));
    return prom_ok(text, false, why);
}

static void checks_prom_accepts_conforming_text(void)
{
    char why[256];
    CU_ASSERT_TRUE(prom_ok(good_text, false, why));
    prom_doc_t doc;
    CU_ASSERT_TRUE_FATAL(
        prom_parse(good_text, strlen(good_text), false, &doc, why, 256));
    double v = 0;
    CU_ASSERT_TRUE(
        prom_get(&doc, "t_runs_total", "pipeline", "a \"q\" \\ \n", &v));
    CU_ASSERT_EQUAL(v, 3);
    prom_doc_free(&doc);
}

static void checks_prom_refuses_broken_text(void)
{
    CU_ASSERT_FALSE(prom_ok_after("\\\"q", "\"q"));         /* raw quote */
    CU_ASSERT_FALSE(prom_ok_after("\\\\ ", "\\x "));        /* bad escape */
    CU_ASSERT_FALSE(prom_ok_after("worker", "__w"));        /* reserved */
    CU_ASSERT_FALSE(prom_ok_after("} 3\n#", "} three\n#")); /* value */
    CU_ASSERT_FALSE(prom_ok_after("le=\"+Inf\"} 3", "le=\"+Inf\"} 2"));
    CU_ASSERT_FALSE(prom_ok_after("le=\"0.5\"} 1", "le=\"0.5\"} 4"));
    CU_ASSERT_FALSE(prom_ok_after("_failed_total{pipeline=\"a \\\"q\\\" "
                                  "\\\\ \\n\"} 1",
                                  "_failed_total{pipeline=\"a \\\"q\\\" "
                                  "\\\\ \\n\"} 2"));
    CU_ASSERT_FALSE(prom_ok_after("# TYPE t_runs_failed_total counter\n",
                                  "")); /* sample outside its family */
    CU_ASSERT_FALSE(prom_ok_after("\"} 2\n", "\"} 2\nt_runs_succeeded_total"
                                             "{pipeline=\"a \\\"q\\\" \\\\ "
                                             "\\n\"} 2\n"));  /* twice */
    CU_ASSERT_FALSE(prom_ok_after("a \\\"q", "a \xff\\\"q")); /* UTF-8 */
    char text[4096], why[256];
    snprintf(text, sizeof text, "%.*s", (int)strlen(good_text) - 1, good_text);
    CU_ASSERT_FALSE(prom_ok(text, false, why)); /* no final line feed */
}

static void checks_prom_openmetrics_needs_eof(void)
{
    static const char om[] = "# TYPE x_seconds gauge\n"
                             "# UNIT x_seconds seconds\n"
                             "x_seconds 1\n"
                             "# TYPE y counter\n"
                             "y_total 2\n";
    char text[512], why[256];
    CU_ASSERT_FALSE(prom_ok(om, true, why));
    snprintf(text, sizeof text, "%s# EOF\n", om);
    CU_ASSERT_TRUE(prom_ok(text, true, why));
    snprintf(text, sizeof text, "%s# EOF\nx_seconds 1\n", om);
    CU_ASSERT_FALSE(prom_ok(text, true, why));
    /* A counter sample without _total is text-format only. */
    CU_ASSERT_FALSE(prom_ok("# TYPE y counter\ny 2\n# EOF\n", true, why));
}

static bool csv_ok(const char *text, size_t fields)
{
    csv_doc_t doc;
    char why[256];
    bool ok = csv_read(text, strlen(text), fields, &doc, why, sizeof why);
    csv_doc_free(&doc);
    return ok;
}

static void checks_csv_reads_rfc4180(void)
{
    static const char text[] = "a,b,c\n\"x,\"\"y\"\"\n\",,z\r\n";
    csv_doc_t doc;
    char why[256];
    CU_ASSERT_TRUE_FATAL(csv_read(text, strlen(text), 3, &doc, why, 256));
    CU_ASSERT_EQUAL(doc.count, 2);
    CU_ASSERT_STRING_EQUAL(doc.records[1].fields[0], "x,\"y\"\n");
    CU_ASSERT_STRING_EQUAL(doc.records[1].fields[1], "");
    CU_ASSERT_STRING_EQUAL(doc.records[1].fields[2], "z");
    csv_doc_free(&doc);
}

static void checks_csv_refuses_broken_text(void)
{
    CU_ASSERT_FALSE(csv_ok("a,b\n1,2,3\n", 0));    /* field count */
    CU_ASSERT_FALSE(csv_ok("a,b\n1,2", 0));        /* torn last row */
    CU_ASSERT_FALSE(csv_ok("a,b\n1,x\"y\n", 0));   /* quote in plain */
    CU_ASSERT_FALSE(csv_ok("a,b\n\"1\"x,2\n", 0)); /* after the quote */
    CU_ASSERT_FALSE(csv_ok("a,b\n\"1,2\n", 0));    /* unclosed */
    CU_ASSERT_FALSE(csv_ok("a,b\n1\r2,3\n", 0));   /* bare CR */
    CU_ASSERT_FALSE(csv_ok("a,b\n", 3));           /* header count */
}

int main(void)
{
    static const tacho_test_case_t cases[] = {
        {"checks_prom_accepts_conforming_text",
         checks_prom_accepts_conforming_text},
        {"checks_prom_refuses_broken_text", checks_prom_refuses_broken_text},
        {"checks_prom_openmetrics_needs_eof",
         checks_prom_openmetrics_needs_eof},
        {"checks_csv_reads_rfc4180", checks_csv_reads_rfc4180},
        {"checks_csv_refuses_broken_text", checks_csv_refuses_broken_text},
        {NULL, NULL},
    };
    return tacho_test_run("checks", NULL, NULL, cases);
}
