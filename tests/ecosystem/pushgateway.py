#!/usr/bin/env python3
"""ecosystem_pushgateway: the prometheus sink pushing to a real Pushgateway.

Usage: pushgateway.py --worker PATH/tacho-worker

Short-lived or unreachable workers push instead of being scraped. This
test runs the Debian prometheus-pushgateway on loopback (in memory) and
checks, reading back through the Pushgateway's /metrics and /api/v1/metrics:

  * a running worker pushes at each interval, and its final push at
    SIGTERM holds exactly the figures of its final snapshot (the log
    sink's last JSON line);
  * `tacho-worker --run-once` records one command, pushes, and exits with
    the command's status (a cron job), under a worker id that needs the
    Pushgateway's base64 path form; a second run replaces the group;
  * a worker started before its gateway retries, and its pushes arrive
    once the gateway is up;
  * a push the gateway refuses (4xx) is logged and counted as an error;
  * label values with quotes, backslashes, line feeds and UTF-8, and a
    job and worker id that need base64 in the path, arrive unchanged.
"""
import argparse
import os
import re
import sys
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecosystem as eco  # noqa: E402

JOB = "tacho-e2e"


def push_conf(worker_id, url, job=JOB, **more):
    """A worker config pushing to the gateway (ecosystem.push_conf)."""
    return eco.push_conf(worker_id, url, job, **more)


def start_gateway(binary, work, port, name="pushgateway"):
    url = f"http://127.0.0.1:{port}"
    # --persistence.file= keeps it in memory: the Debian default would
    # write to /var/lib/prometheus.
    proc = eco.Proc(name, [binary, f"--web.listen-address=127.0.0.1:{port}",
                           "--persistence.file=", "--log.level=warn"],
                    os.path.join(work, f"{name}.log"))
    eco.wait_until(f"{name} to be ready", lambda: proc.alive() and
                   eco.http(url + "/-/ready")[0] == 200, 20)
    return url


def gateway_samples(url, **labels):
    status, body = eco.http(url + "/metrics")
    if status != 200:
        raise eco.TestFailure(f"GET {url}/metrics: HTTP {status}")
    samples, _ = eco.parse_exposition(body)
    return [(n, lb, v) for n, lb, v in samples
            if all(lb.get(k) == w for k, w in labels.items())]


def pushed_figures(samples):
    """{pipeline: figures} as pipeline_figures() builds them from JSON."""
    out = {}
    for name, labels, value in samples:
        p = labels.get("pipeline")
        if p is None:
            continue
        f = out.setdefault(p, {"buckets": {}})
        key = {"tacho_runs_total": "runs",
               "tacho_runs_succeeded_total": "succeeded",
               "tacho_runs_failed_total": "failed",
               "tacho_run_duration_seconds_sum": "sum"}.get(name)
        if key:
            f[key] = int(value) if key != "sum" else value
        elif name == "tacho_run_duration_seconds_bucket" and \
                labels["le"] != "+Inf":
            f["buckets"][float(labels["le"])] = int(value)
    return out


def group(url, job, instance):
    doc = eco.get_json(url + "/api/v1/metrics")
    for g in doc["data"]:
        if g["labels"] == {"job": job, "instance": instance}:
            return g
    return None


def check_interval_and_final(checks, args, gw_bin, work):
    url = start_gateway(gw_bin, work, eco.free_port())
    worker = eco.start_worker(args.worker, push_conf("push-a", url), work,
                              "push-a")
    seen = set()

    def two_pushes():
        g = group(url, JOB, "push-a")
        if g is not None:
            seen.add(g["push_time_seconds"]["metrics"][0]["value"])
        return len(seen) >= 2

    eco.wait_until("two interval pushes", two_pushes, 15)
    checks.check("pushgateway_interval_pushes", worker.alive(),
                 f"the group job={JOB}/instance=push-a changed {len(seen)} "
                 f"times while the worker ran")
    time.sleep(1.0)
    status = eco.stop_worker(worker)
    checks.equal("pushgateway_worker_exit", status, 0, "exit status")
    final = eco.pipeline_figures(eco.last_json_snapshot(worker))
    pushed = pushed_figures(gateway_samples(url, job=JOB, instance="push-a"))
    runs = eco.worker_totals(worker)
    checks.check("pushgateway_final_equals_worker",
                 pushed == final and
                 sum(f["runs"] for f in final.values()) == runs[0],
                 f"pushed {eco.figures_summary(pushed)}; final snapshot "
                 f"{eco.figures_summary(final)}; the worker ran {runs[0]}")
    g = group(url, JOB, "push-a")
    types = {k: v.get("type") for k, v in (g or {}).items()
             if k.startswith("tacho_")}
    checks.check("pushgateway_api_group",
                 g is not None and g["last_push_successful"] and
                 types.get("tacho_runs_total") == "COUNTER" and
                 types.get("tacho_run_duration_seconds") == "HISTOGRAM" and
                 types.get("tacho_run_duration_window_seconds") == "SUMMARY",
                 f"/api/v1/metrics group push-a: last_push_successful "
                 f"{g and g['last_push_successful']}, {len(types)} tacho "
                 f"families, types {types.get('tacho_runs_total')}/"
                 f"{types.get('tacho_run_duration_seconds')}")
    # The Pushgateway's own push_time_seconds has no worker label.
    worker_label = {lb.get("worker") for n, lb, _ in
                    gateway_samples(url, job=JOB, instance="push-a")
                    if n.startswith("tacho_")}
    checks.equal("pushgateway_worker_label", worker_label, {"push-a"},
                 "worker label of every pushed tacho sample")
    return url


def run_once(args, work, name, conf, argv):
    """One --run-once worker recording the pipeline "backup"."""
    return eco.run_once(args.worker, work, name, conf, "backup", argv)


def check_run_once(checks, args, url, work):
    # A worker id with '/' and ' ' goes into the path base64-encoded.
    worker_id = "cron/box 1"
    conf = push_conf(worker_id, url, job="tacho-cron", interval=60.0,
                     jobs=False)
    began = time.time()
    proc, status = run_once(args, work, "cron-1", conf,
                            ["sh", "-c", "sleep 0.1; exit 3"])
    ended = time.time()
    checks.equal("pushgateway_run_once_status", status, 3,
                 "tacho-worker --run-once exit status (the command's)")
    got = gateway_samples(url, job="tacho-cron", instance=worker_id)
    runs = eco.select(got, "tacho_runs_total", pipeline="backup")
    failed = eco.select(got, "tacho_runs_failed_total", pipeline="backup")
    dsum = eco.select(got, "tacho_run_duration_seconds_sum",
                      pipeline="backup")
    last = eco.select(got, "tacho_last_run_timestamp_seconds",
                      pipeline="backup")
    checks.check("pushgateway_run_once_pushed",
                 runs == [1] and failed == [1] and len(dsum) == 1 and
                 dsum[0] >= 0.1 and len(last) == 1 and
                 began <= last[0] <= ended,
                 f"instance {worker_id!r}: runs {runs}, failed {failed}, "
                 f"duration sum {dsum}, last run {last} (ran between "
                 f"{began:.3f} and {ended:.3f})")
    proc, status = run_once(args, work, "cron-2", conf, ["true"])
    got = gateway_samples(url, job="tacho-cron", instance=worker_id)
    figures = pushed_figures(got).get("backup", {})
    others = gateway_samples(url, job=JOB, instance="push-a")
    checks.check("pushgateway_run_once_replaces_group",
                 status == 0 and (figures.get("runs"), figures.get(
                     "succeeded"), figures.get("failed")) == (1, 1, 0) and
                 len(others) > 0,
                 f"second run (exit {status}): runs/succeeded/failed "
                 f"{figures.get('runs')}/{figures.get('succeeded')}/"
                 f"{figures.get('failed')}, group push-a still has "
                 f"{len(others)} samples")


def check_escaping(checks, args, url, work):
    """Label values with quotes, a backslash, a line feed and UTF-8, and a
    job and worker id that need base64 in the path, read back exactly."""
    conf = push_conf('w\u00e9/1 \\"q\\"', url, job="team/etl", interval=60.0,
                     jobs=False, extra='labels = { note = "a\\"b\\\\c\\nd '
                     '\u00e9"; };')
    proc, status = run_once(args, work, "escaping", conf, ["true"])
    worker_id = 'w\u00e9/1 "q"'
    g = group(url, "team/etl", worker_id)
    metrics = (g or {}).get("tacho_runs_total", {}).get("metrics", [])
    labels = metrics[0]["labels"] if len(metrics) == 1 else None
    want = {"job": "team/etl", "instance": worker_id, "worker": worker_id,
            "pipeline": "backup", "note": 'a"b\\c\nd \u00e9'}
    checks.equal("pushgateway_labels_round_trip", (status, labels),
                 (0, want), "exit status and the labels of tacho_runs_total "
                 "in /api/v1/metrics")


def check_late_gateway(checks, args, gw_bin, work):
    """The gateway comes up only after the worker's first pushes failed."""
    port = eco.free_port()
    url = f"http://127.0.0.1:{port}"
    worker = eco.start_worker(args.worker, push_conf("late", url), work,
                              "late")
    eco.wait_until("a failed push in the worker's log",
                   lambda: "push failed" in worker.text(), 15)
    start_gateway(gw_bin, work, port, "late-gateway")
    eco.wait_until("the late worker's group",
                   lambda: group(url, JOB, "late") is not None, 15)
    status = eco.stop_worker(worker)
    final = eco.pipeline_figures(eco.last_json_snapshot(worker))
    got = gateway_samples(url, job=JOB, instance="late")
    retries = eco.select(got, "tacho_sink_retries_total", sink="prometheus")
    warning = re.search(r"push failed: .*", worker.text())
    checks.check("pushgateway_retry_until_reachable",
                 status == 0 and pushed_figures(got) == final and
                 len(retries) == 1 and retries[0] > 0,
                 f"logged '{warning.group(0) if warning else None}'; then "
                 f"pushed {eco.figures_summary(pushed_figures(got))} = final "
                 f"{eco.figures_summary(final)}; pushed retries {retries}")


def check_refused(checks, args, url, work):
    """A path the gateway does not serve: a 4xx answer is an error."""
    conf = push_conf("refused", url + "/no/such/prefix", interval=60.0,
                     jobs=False)
    proc, status = run_once(args, work, "refused", conf, ["true"])
    text = proc.text()
    m = re.search(r"push failed: (.*answered HTTP (\d+))", text)
    errors = re.search(r"sink 'prometheus' \(plugin prometheus\): (\d+) "
                       r"writes, (\d+) errors", text)
    checks.check("pushgateway_refused_push",
                 status == 0 and m is not None and
                 400 <= int(m.group(2)) < 500 and errors is not None and
                 errors.groups() == ("0", "1"),
                 f"logged {m.group(1) if m else None!r}; shutdown: "
                 f"{errors.group(0) if errors else None}")


def run(checks, args):
    gw_bin = eco.need_binary("prometheus-pushgateway",
                             "prometheus-pushgateway")
    work = eco.tmpdir("pushgateway")
    url = check_interval_and_final(checks, args, gw_bin, work)
    check_run_once(checks, args, url, work)
    check_refused(checks, args, url, work)
    check_escaping(checks, args, url, work)
    check_late_gateway(checks, args, gw_bin, work)
    if checks.failed:
        eco.dump_logs(work)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", required=True)
    args = parser.parse_args()
    eco.main("ecosystem_pushgateway", lambda checks: run(checks, args))
