#!/usr/bin/env python3
"""Turns the "@ id value" lines the benchmarks print into the table of
docs/PERFORMANCE.md: figure | value | baseline | ratio | target | met?

    report.py RAW_RESULTS MACHINE_NOTES > bench-results.md

Every ratio is against a baseline measured in the same run. A figure that
is missing (a benchmark that did not run) is shown as "n/a".
"""
import sys


def load(path):
    values = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "@":
                values[parts[1]] = float(parts[2])
    return values


class Table:
    def __init__(self, v):
        self.v = v
        self.rows = []

    def get(self, key):
        return self.v.get(key)

    def row(self, figure, value, unit, baseline, base_value, ratio, target,
            met):
        def fmt(x):
            if x is None:
                return "n/a"
            if abs(x) >= 100:
                return "%.0f %s" % (x, unit)
            return "%.3g %s" % (x, unit)
        r = "n/a" if ratio is None else "%.2fx" % ratio
        verdict = "" if met is None else ("yes" if met else "**no**")
        if ratio is None and met is not None:
            verdict = "n/a"
        self.rows.append("| %s | %s | %s: %s | %s | %s | %s |" % (
            figure, fmt(value), baseline, fmt(base_value), r, target,
            verdict))

    def ratio(self, a, b):
        if a is None or b is None or b == 0:
            return None
        return a / b


def record_rows(t):
    atomic = t.get("record_atomic_1t_ns")
    base = "relaxed atomic add, 1 thread"
    for key, figure, target in [
            ("record_handle_1t", "record by handle, 1 thread (libtacho.so)",
             1.0),
            ("static_record_handle_1t",
             "record by handle, 1 thread (libtacho.a)", 1.0),
            ("record_handle_2t_same",
             "record by handle, 2 threads, one pipeline (per thread)", 1.2),
            ("record_handle_2t_own",
             "record by handle, 2 threads, own pipelines (per thread)", 1.2),
            ("record_name_1t", "record by name, 1 thread", None),
            ("record_name_2t_same",
             "record by name, 2 threads, one pipeline (per thread)", None),
            ("record_name_2t_own",
             "record by name, 2 threads, own pipelines (per thread)", None),
            ("record_atomic_2t",
             "relaxed atomic add, 2 threads on one counter (per thread)",
             None),
            ("record_floor_1t",
             "state floor: a record's stores alone, 1 thread", None)]:
        q = t.get(key + "_ratio")
        b = t.get("static_record_atomic_1t_ns") if key.startswith(
            "static") else atomic
        t.row(figure, t.get(key + "_ns"), "ns", base, b, q,
              "<= %.2fx" % target if target else "(reference)",
              None if target is None or q is None else q <= target)
    q = t.get("record_timed_1t_ratio")
    t.row("timed record: run_begin + run_end", t.get("record_timed_1t_ns"),
          "ns", "two clock_gettime(MONOTONIC)", t.get("record_clocks_1t_ns"),
          q, "<= 1.15x", None if q is None else q <= 1.15)


def callgrind_rows(t):
    atomic = t.get("cg_atomic_ir")
    for mode, figure, bound in [
            ("handle", "instructions per record by handle (callgrind)", 90),
            ("name", "instructions per record by name (callgrind)", None),
            ("timed", "instructions per timed record (callgrind)", None),
            ("floor", "instructions of the state floor (callgrind)", None)]:
        v = t.get("cg_%s_ir" % mode)
        t.row(figure, v, "Ir", "relaxed atomic add", atomic,
              t.ratio(v, atomic),
              "<= %d Ir (test_record_instructions)" % bound if bound
              else "(reference)",
              None if bound is None or v is None else v <= bound)


def render_rows(t):
    for what, figure in [("take", "snapshot take"),
                         ("prom", "render Prometheus text"),
                         ("json", "render JSON (schema 1)")]:
        per = {}
        for n in (1, 100, 1000):
            v = t.get("render_%s_%d_us" % (what, n))
            b = t.get("render_snprintf_%d_us" % n)
            lines = t.get("render_lines_%d" % n)
            per[n] = None if v is None else v / n
            if n < 1000:
                target, met = "grows linearly", None
            else:
                linear = (per[100] is not None and per[1000] is not None
                          and per[1000] <= 2 * per[100])
                if what == "take":
                    target, met = "grows linearly", linear
                else:
                    target = "< 1000 us, grows linearly"
                    met = None if v is None else (v < 1000 and linear)
            t.row("%s, %d pipeline%s" % (figure, n, "" if n == 1 else "s"),
                  v, "us",
                  "snprintf of as many lines (%s)" % (
                      "n/a" if lines is None else "%d" % lines), b,
                  t.ratio(v, b), target, met)


def scrape_rows(t):
    series = t.get("scrape_series")
    base_rps = t.get("scrape_collectd_metrics_rps")
    base_p99 = t.get("scrape_collectd_metrics_p99_ms")
    for key, figure in [("tacho_metrics", "/metrics"),
                        ("tacho_json", "/metrics.json")]:
        rps = t.get("scrape_%s_rps" % key)
        p99 = t.get("scrape_%s_p99_ms" % key)
        q = t.ratio(rps, base_rps)
        t.row("scrape %s, requests/s (wrk -t2 -c16, %s series)" % (
            figure, "n/a" if series is None else "%d" % series), rps,
            "req/s", "collectd write_prometheus", base_rps, q, ">= 1.5x",
            None if q is None else q >= 1.5)
        q = t.ratio(p99, base_p99)
        t.row("scrape %s, p99 latency" % figure, p99, "ms",
              "collectd write_prometheus", base_p99, q, "<= 1.0x",
              None if q is None else q <= 1.0)


def host_rows(t):
    tacho, collectd = t.get("rss_tacho_idle_kib"), t.get(
        "rss_collectd_idle_kib")
    q = t.ratio(tacho, collectd)
    t.row("idle resident size, tacho-worker with 4 sinks", tacho, "KiB",
          "collectd: csv, logfile, write_prometheus, write_http", collectd,
          q, "<= 1.0x", None if q is None else q <= 1.0)
    tp, cp = t.get("mem1000_tacho_per_pipeline_kib"), t.get(
        "mem1000_collectd_per_pipeline_kib")
    t.row("resident size per pipeline, at 1000 pipelines", tp, "KiB",
          "collectd, per 32 values", cp, t.ratio(tp, cp), "(reference)",
          None)
    q = t.get("host_ratio")
    runs = t.get("host_runs")
    t.row("%s runs of /bin/true through tacho-worker" % (
        "n/a" if runs is None else "%d" % runs),
          t.get("host_worker_s"), "s", "plain fork/exec/wait loop",
          t.get("host_plain_s"), q, "<= 1.05x",
          None if q is None else q <= 1.05)
    q = t.get("host_cpu_ratio")
    t.row("the same, CPU time of the worker and its jobs",
          t.get("host_worker_cpu_s"), "s", "the loop and its children",
          t.get("host_plain_cpu_s"), q, "(reference)", None)
    q = t.get("embed_ratio")
    loss = None if q is None else 1 - q
    t.rows.append("| embedding: 10 us tasks on 2 threads, begin/end each | "
                  "%s | without tacho: %s | loss %s | loss <= 1%% | %s |" % (
                      "n/a" if t.get("embed_tacho_per_s") is None else
                      "%.0f tasks/s" % t.get("embed_tacho_per_s"),
                      "n/a" if t.get("embed_bare_per_s") is None else
                      "%.0f tasks/s" % t.get("embed_bare_per_s"),
                      "n/a" if loss is None else "%.2f%%" % (100 * loss),
                      "n/a" if loss is None else
                      ("yes" if loss <= 0.01 else "**no**")))


def main():
    t = Table(load(sys.argv[1]))
    with open(sys.argv[2]) as f:
        notes = f.read()
    record_rows(t)
    callgrind_rows(t)
    render_rows(t)
    scrape_rows(t)
    host_rows(t)
    print("# tacho benchmark results\n")
    print(notes)
    print("| figure | value | baseline (same run) | ratio | target | met? |")
    print("| --- | ---: | --- | ---: | --- | --- |")
    print("\n".join(t.rows))


if __name__ == "__main__":
    main()
