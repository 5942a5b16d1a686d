#!/usr/bin/env python3
"""ecosystem_fleet: two tacho-worker instances scraped by a real Prometheus.

Usage: fleet.py --worker PATH/tacho-worker --source-dir REPO

Each machine of a fleet runs its workers and Prometheus does the
aggregation. This test starts two workers on loopback (one job that
sleeps 0.06 s every 0.2 s, one that fails every 0.5 s), then Prometheus
(storage in a temporary directory, 1 s scrape, the alerting rules of
examples/prometheus) and checks through Prometheus's HTTP API that:

  * both targets are up;
  * the sum of the run counters over both workers is what the workers
    counted: each worker's value in Prometheus lies between what the
    worker itself served just before and just after that scrape;
  * histogram_quantile over the duration histogram lands in the bucket
    of the known durations;
  * the rules load, the error-ratio alert goes pending for the failing
    pipeline of both workers and no other alert does;
  * every query of the Grafana dashboard evaluates to data;
  * after SIGTERM both targets go down and Prometheus's last figures are
    the workers' final totals, less the runs of the last scrape interval.
"""
import argparse
import json
import os
import re
import sys
import threading
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecosystem as eco  # noqa: E402

SCRAPE_S = 1.0
# The two jobs: (name, argv, every). "sleeper" never fails and always
# takes at least 0.06 s; "failer" always fails within a few ms.
JOBS = [("sleeper", ["sleep", "0.06"], 0.2), ("failer", ["false"], 0.5)]
WORKERS = ["fleet-a", "fleet-b"]
ALERTS = {"TachoHighErrorRatio", "TachoNoRecentRuns", "TachoSinkDown",
          "TachoSinkFailing", "TachoSinkStuck", "TachoPipelineOverflow",
          "TachoWorkerDown"}


def worker_conf(worker_id):
    jobs = ",\n".join(
        f'  {{ name = "{n}"; argv = {json.dumps(a)}; every = {e}; '
        f"timeout = 5.0; }}" for n, a, e in JOBS)
    return (f'tacho = {{ worker = "{worker_id}"; interval = 1.0; }};\n'
            f'sinks = ( {{ plugin = "prometheus"; listen = "127.0.0.1:0"; '
            f"}} );\n"
            f"runner = {{ workers = 2; shutdown_grace = 5.0; }};\n"
            f"jobs = (\n{jobs}\n);\n")


def prometheus_conf(targets, rules):
    quoted = ", ".join(f'"{t}"' for t in targets)
    return (f"global:\n  scrape_interval: {SCRAPE_S:g}s\n"
            f"  scrape_timeout: {SCRAPE_S:g}s\n"
            f"  evaluation_interval: {SCRAPE_S:g}s\n"
            f'rule_files:\n  - "{rules}"\n'
            f"scrape_configs:\n  - job_name: tacho\n"
            f"    static_configs:\n      - targets: [{quoted}]\n")


class Poller(threading.Thread):
    """Scrapes each worker's /metrics directly every 50 ms and keeps
    (start, end, runs) per target: the worker's own run total, with the
    wall-clock times the request started and ended."""

    def __init__(self, targets):
        super().__init__(daemon=True)
        self.targets = targets
        self.readings = {t: [] for t in targets}
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            for t in self.targets:
                start = time.time()
                try:
                    status, body = eco.http(f"http://{t}/metrics")
                except OSError:
                    continue
                end = time.time()
                if status == 200:
                    samples, _ = eco.parse_exposition(body)
                    runs = sum(eco.select(samples, "tacho_runs_total"))
                    self.readings[t].append((start, end, runs))
            self.halt.wait(0.05)


def by_instance(results):
    out = {}
    for r in results:
        out.setdefault(r["metric"]["instance"], []).append(r)
    return out


def check_targets_up(checks, prom, targets):
    def all_up():
        doc = eco.get_json(prom + "/api/v1/targets")
        health = {t["labels"]["instance"]: t["health"]
                  for t in doc["data"]["activeTargets"]}
        return health if all(health.get(t) == "up" for t in targets) else None

    health = eco.wait_until("both targets up", all_up, 30)
    checks.check("fleet_targets_up", True, f"/api/v1/targets: {health}")
    up = {r["metric"]["instance"]: float(r["value"][1])
          for r in eco.prom_query(prom, 'up{job="tacho"}')}
    checks.equal("fleet_up_metric", up, {t: 1.0 for t in targets},
                 'up{job="tacho"}')


def scrape_bracket(readings, ts, duration):
    """The worker's run total just before the scrape at `ts` and just
    after it ended: readings that ended before it began, and readings that
    began after it ended. 5 ms of slack cover Prometheus aligning scrape
    timestamps (at most 2 ms)."""
    before = [r for s, e, r in readings if e < ts - 0.005]
    after = [r for s, e, r in readings if s > ts + duration + 0.005]
    return (max(before) if before else None, min(after) if after else None)


def check_sum(checks, prom, targets, poller):
    """Prometheus's sum over both workers, checked worker by worker
    against the numbers each worker served around the same scrape."""
    at = time.time()
    time.sleep(0.5)  # let the poller read past the last scrape before `at`
    series = eco.prom_query(prom, 'tacho_runs_total{job="tacho"}', at)
    stamps = eco.prom_query(prom, 'timestamp(tacho_runs_total{job="tacho"})',
                            at)
    durations = {r["metric"]["instance"]: float(r["value"][1])
                 for r in eco.prom_query(
                     prom, 'scrape_duration_seconds{job="tacho"}', at)}
    total = eco.prom_query(prom, 'sum(tacho_runs_total{job="tacho"})', at)
    values = by_instance(series)
    ts = {i: {float(r["value"][1]) for r in rs}
          for i, rs in by_instance(stamps).items()}
    grand = 0.0
    for w, t in zip(WORKERS, targets):
        value = sum(float(r["value"][1]) for r in values.get(t, []))
        grand += value
        if not checks.check(f"fleet_one_scrape_{w}", len(ts.get(t, ())) == 1,
                            f"sample timestamps of {w} ({t}): {ts.get(t)}"):
            continue
        stamp = next(iter(ts[t]))
        lo, hi = scrape_bracket(poller.readings[t], stamp, durations[t])
        checks.check(f"fleet_runs_match_worker_{w}",
                     lo is not None and hi is not None and lo <= value <= hi,
                     f"Prometheus has {value:g} runs for {w} at its scrape "
                     f"of {stamp:.3f}; the worker served {lo} just before "
                     f"and {hi} just after")
    got = float(total[0]["value"][1]) if total else None
    checks.check("fleet_sum_over_workers", got == grand and grand > 0,
                 f"sum(tacho_runs_total) = {got}, the two workers' values "
                 f"add up to {grand:g}")


def check_counters(checks, prom):
    """Within each scrape: total = succeeded + failed = histogram count,
    the sleeper never fails and the failer always does."""
    def query(expr):
        return {(r["metric"]["instance"], r["metric"]["pipeline"]):
                float(r["value"][1])
                for r in eco.prom_query(prom, expr, at)}

    at = time.time()
    runs = query('tacho_runs_total{job="tacho"}')
    ok = query('tacho_runs_succeeded_total{job="tacho"}')
    bad = query('tacho_runs_failed_total{job="tacho"}')
    count = query('tacho_run_duration_seconds_count{job="tacho"}')
    inf = query('tacho_run_duration_seconds_bucket{job="tacho",le="+Inf"}')
    sums = {k: ok.get(k, -1) + bad.get(k, -1) for k in runs}
    checks.check("fleet_counters_consistent",
                 len(runs) == 4 and sums == runs and count == runs
                 and inf == runs,
                 f"runs {runs}, succeeded+failed {sums}, _count {count}")
    split = {k: (ok[k], bad[k]) for k in runs}
    checks.check("fleet_outcomes_by_pipeline",
                 all((ok[k] == 0) == (k[1] == "failer") and
                     (bad[k] == 0) == (k[1] == "sleeper") for k in runs),
                 f"(succeeded, failed) by (instance, pipeline): {split}")


def check_quantiles(checks, prom, direct):
    rate = 'rate(tacho_run_duration_seconds_bucket{job="tacho"%s}[30s])'

    def quantile(q, extra=""):
        res = eco.prom_query(
            prom, f"histogram_quantile({q}, sum by (le) ({rate % extra}))")
        return float(res[0]["value"][1]) if res else None

    # Bucket bounds ... 0.05, 0.1 ...: every sleeper run is in (0.05, 0.1]
    # unless the machine stalls it by 40 ms, so its median interpolates
    # into that bucket; about 5 of 7 runs are sleeper runs, so the median
    # of both pipelines together is there too, and the 10th percentile is
    # a failer run (a few ms).
    p50_sleeper = quantile(0.5, ',pipeline="sleeper"')
    checks.check("fleet_histogram_quantile_sleeper",
                 p50_sleeper is not None and 0.05 <= p50_sleeper <= 0.1,
                 f"p50 of sleeper over both workers = {p50_sleeper} s, want "
                 f"0.05..0.1")
    p50 = quantile(0.5)
    p10 = quantile(0.1)
    checks.check("fleet_histogram_quantile_all",
                 p50 is not None and 0.05 <= p50 <= 0.1 and
                 p10 is not None and p10 <= 0.05,
                 f"p50 = {p50} s (want 0.05..0.1), p10 = {p10} s (want <= "
                 f"0.05)")
    window = eco.select(direct, "tacho_run_duration_window_seconds",
                        pipeline="sleeper", quantile="0.5")
    checks.check("fleet_window_quantile",
                 len(window) == 1 and 0.06 <= window[0] <= 0.2,
                 f"the worker's window p50 of sleeper = {window} s, want "
                 f"0.06..0.2 (sleep 0.06 plus start-up)")


def check_rules(checks, prom, targets):
    def evaluated():
        doc = eco.get_json(prom + "/api/v1/rules")
        rules = [r for g in doc["data"]["groups"] for r in g["rules"]]
        done = all(not r["lastEvaluation"].startswith("0001") for r in rules)
        return rules if rules and done else None

    rules = eco.wait_until("the rules to be evaluated", evaluated, 20)
    names = {r["name"] for r in rules}
    bad = {r["name"]: r.get("lastError") for r in rules
           if r["health"] != "ok"}
    checks.check("fleet_rules_loaded", names == ALERTS and not bad,
                 f"rules {sorted(names)}, unhealthy {bad}")

    def pending():
        alerts = eco.get_json(prom + "/api/v1/alerts")["data"]["alerts"]
        firing = {(a["labels"]["alertname"], a["labels"].get("instance"),
                   a["labels"].get("pipeline"), a["state"]) for a in alerts}
        want = {("TachoHighErrorRatio", t, "failer", "pending")
                for t in targets}
        return firing if want <= firing else None

    # The failer fails every run: once the window holds 5 of them the
    # error-ratio alert is pending (it fires only after 10 minutes).
    firing = eco.wait_until("TachoHighErrorRatio to be pending", pending, 20)
    checks.check("fleet_error_ratio_alert",
                 all(a[0] == "TachoHighErrorRatio" and a[2] == "failer"
                     for a in firing),
                 f"alerts: {sorted(firing, key=str)} (only the failer's "
                 f"error ratio, on both workers)")


def grafana_exprs(dashboard):
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            exprs.append((panel["title"], target["expr"]))
    return exprs


def check_dashboard(checks, prom, source_dir):
    """Every query of the dashboard, with Grafana's variables set to
    "all" and a 10 s rate interval, evaluates to data on the fleet."""
    path = os.path.join(source_dir, "examples", "prometheus", "grafana",
                        "tacho-dashboard.json")
    with open(path) as f:
        dashboard = json.load(f)
    empty = []
    exprs = grafana_exprs(dashboard)
    for title, expr in exprs:
        q = expr.replace("$__rate_interval", "10s")
        q = re.sub(r"\$(job|worker|pipeline)\b", ".+", q)
        if not eco.prom_query(prom, q):
            empty.append(f"{title}: {q}")
    checks.check("fleet_dashboard_queries", not empty and len(exprs) > 20,
                 f"{len(exprs)} panel queries, without data: {empty}")
    want = {"job": {"tacho"}, "worker": set(WORKERS),
            "pipeline": {n for n, _, _ in JOBS}}
    got = {}
    for var in dashboard["templating"]["list"]:
        m = re.fullmatch(r"label_values\((.*), (\w+)\)", var["definition"])
        selector = re.sub(r"\$(job|worker)\b", ".+", m.group(1))
        doc = eco.get_json(f"{prom}/api/v1/label/{m.group(2)}/values",
                           {"match[]": selector})
        got[var["name"]] = set(doc["data"])
    checks.equal("fleet_dashboard_variables", got, want,
                 "values of the dashboard's variables")


def check_names(checks, direct_types, documented):
    """The families a worker serves are exactly the documented ones, with
    the documented types (info is a gauge in the text format)."""
    want = {name: kind.replace("info", "gauge")
            for name, kind in documented.items()}
    served = dict(direct_types)
    diff = {n: (served.get(n), want.get(n)) for n in set(served) | set(want)
            if served.get(n) != want.get(n)}
    checks.check("fleet_exposed_names_documented", not diff,
                 f"{len(served)} families served, {len(want)} documented in "
                 f"docs/METRICS.md; (served, documented) where they differ: "
                 f"{diff or 'none'}")


def last_samples(prom, targets):
    """{instance: (timestamp, runs)} of Prometheus's last scrape of each
    worker (raw samples, so stale markers do not hide them)."""
    res = eco.prom_query(prom, 'tacho_runs_total{job="tacho"}[2m]')
    out = {}
    for t, rs in by_instance(res).items():
        last_ts = max(float(r["values"][-1][0]) for r in rs)
        runs = sum(float(v) for r in rs for ts, v in r["values"]
                   if float(ts) == last_ts)
        out[t] = (last_ts, runs)
    return out


def check_shutdown(checks, prom, workers, targets):
    stopped_at = time.time()
    statuses = [eco.stop_worker(w) for w in workers]
    checks.equal("fleet_workers_exit_cleanly", statuses, [0, 0],
                 "exit statuses after SIGTERM")

    def down():
        up = {r["metric"]["instance"]: float(r["value"][1])
              for r in eco.prom_query(prom, 'up{job="tacho"}')}
        return up if all(up.get(t) == 0 for t in targets) else None

    up = eco.wait_until("both targets down", down, 10)
    checks.check("fleet_up_after_stop", True, f'up{{job="tacho"}}: {up}')
    last = last_samples(prom, targets)
    total_last = total_final = total_slack = 0
    for w, t in zip(workers, targets):
        final = eco.worker_totals(w)[0]
        ts, runs = last.get(t, (0, -1))
        # Runs that ended after Prometheus's last scrape. The scheduler
        # starts a job on a grid of `every` seconds, a start lagging its
        # grid point by up to a poll interval (0.1 s; 0.2 s allowed), and
        # never two of one job at once: per job at most one run in flight
        # at the scrape plus the grid points in the gap.
        gap = max(stopped_at - ts, 0) + 0.2
        slack = sum(int(gap / every) + 2 for _, _, every in JOBS)
        total_last += runs
        total_final += final
        total_slack += slack
        checks.check(f"fleet_final_runs_{w.name}",
                     runs <= final <= runs + slack,
                     f"{w.name} performed {final} runs; Prometheus's last "
                     f"scrape ({stopped_at - ts:.2f} s before SIGTERM) has "
                     f"{runs:g}, so {slack} more at most may have run since")
    checks.check("fleet_final_sum",
                 total_last <= total_final <= total_last + total_slack,
                 f"the two workers performed {total_final} runs; the sum of "
                 f"Prometheus's last scrapes is {total_last:g} (at most "
                 f"{total_slack} runs of the last scrape interval missing)")


def run(checks, args):
    prom_bin = eco.need_binary("prometheus", "prometheus")
    work = eco.tmpdir("fleet")
    documented = eco.documented_metrics(args.source_dir)
    workers = [eco.start_worker(args.worker, worker_conf(w), work, w)
               for w in WORKERS]
    targets = [f"127.0.0.1:{eco.worker_port(w)}" for w in workers]
    rules = os.path.join(args.source_dir, "examples", "prometheus", "rules",
                         "tacho-alerts.yml")
    conf = os.path.join(work, "prometheus.yml")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(prometheus_conf(targets, rules))
    port = eco.free_port()
    prom = f"http://127.0.0.1:{port}"
    server = eco.Proc("prometheus", [
        prom_bin, f"--config.file={conf}",
        f"--storage.tsdb.path={os.path.join(work, 'data')}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        os.path.join(work, "prometheus.log"))
    eco.wait_until("Prometheus to be ready",
                   lambda: server.alive() and
                   eco.http(prom + "/-/ready")[0] == 200, 30)
    poller = Poller(targets)
    poller.start()
    check_targets_up(checks, prom, targets)
    check_rules(checks, prom, targets)
    # A few more scrapes, so rate() over 10 s has data everywhere.
    time.sleep(3 * SCRAPE_S)
    check_sum(checks, prom, targets, poller)
    check_counters(checks, prom)
    status, body = eco.http(f"http://{targets[0]}/metrics")
    direct, types = eco.parse_exposition(body)
    check_quantiles(checks, prom, direct)
    check_names(checks, types, documented)
    check_dashboard(checks, prom, args.source_dir)
    poller.halt.set()
    poller.join()
    check_shutdown(checks, prom, workers, targets)
    if checks.failed:
        print(f"--- prometheus log\n{server.tail()}")
        for w in workers:
            print(f"--- {w.name} log\n{w.tail()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    eco.main("ecosystem_fleet", lambda checks: run(checks, args))
