#!/usr/bin/env python3
"""ecosystem_victoria_metrics: the prometheus sink pushing to VictoriaMetrics.

Usage: victoria_metrics.py --worker PATH/tacho-worker

Runs the Debian victoria-metrics single-node server on loopback (storage
in a temporary directory) and a tacho-worker whose prometheus sink pushes
with push_format = "import" (POST /api/v1/import/prometheus) at each
interval and at shutdown. Reading back through VictoriaMetrics' query and
export APIs, it checks that:

  * the last stored values are exactly the worker's final snapshot (the
    log sink's last JSON line), labelled job=<push_job> and worker=<id>;
  * every push the host counted was stored (one sample per push);
  * histogram_quantile over the pushed buckets lands in the bucket of the
    known durations;
  * `tacho-worker --run-once` pushes its single run;
  * label values with quotes, backslashes, line feeds and UTF-8, and a
    job name that needs URL escaping, arrive unchanged.
"""
import argparse
import json
import os
import sys
import time
import urllib.parse

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecosystem as eco  # noqa: E402

JOB = "tacho-vm"


def import_conf(worker_id, url, job=JOB, **more):
    """A worker config pushing in VictoriaMetrics' import format
    (ecosystem.push_conf)."""
    return eco.push_conf(worker_id, url, job, push_format="import", **more)


def start_vm(binary, work):
    port = eco.free_port()
    url = f"http://127.0.0.1:{port}"
    # latencyOffset 0 and no cache: a query sees the newest samples.
    proc = eco.Proc("victoria-metrics", [
        binary, f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={os.path.join(work, 'vmdata')}",
        "-search.latencyOffset=0s", "-search.disableCache",
        "-loggerLevel=WARN"], os.path.join(work, "victoria-metrics.log"))
    eco.wait_until("VictoriaMetrics to be healthy", lambda: proc.alive() and
                   eco.http(url + "/health")[0] == 200, 30)
    return url


def uptime_samples(url, worker_id):
    """The stored samples of tacho_uptime_seconds, one per push."""
    flush(url)
    status, body = eco.http(url + "/api/v1/export?" + urllib.parse.urlencode(
        {"match[]": f'tacho_uptime_seconds{{job="{JOB}",'
                    f'worker="{worker_id}"}}'}))
    rows = [json.loads(line) for line in body.splitlines() if line]
    return rows[0]["values"] if status == 200 and len(rows) == 1 else []


def flush(url):
    """Asks VictoriaMetrics to make what it received searchable."""
    status, body = eco.http(url + "/internal/force_flush")
    if status != 200:
        raise eco.TestFailure(f"force_flush: HTTP {status}: {body[:200]}")


def wait_stored(url, worker_id, pushes):
    """Waits until `pushes` samples are stored and queries see the newest:
    VictoriaMetrics makes received samples searchable within a second or
    two, even after a flush. Returns the stored uptime samples."""
    def all_pushes():
        values = uptime_samples(url, worker_id)
        return values if len(values) >= pushes else None

    values = eco.wait_until(f"{pushes} pushes of {worker_id} to be stored",
                            all_pushes, 15)

    def newest_visible():
        res = eco.prom_query(url, f'tacho_uptime_seconds{{job="{JOB}",'
                             f'worker="{worker_id}"}}', time.time())
        return res and float(res[0]["value"][1]) == values[-1]

    eco.wait_until(f"the last push of {worker_id} to be queryable",
                   newest_visible, 15)
    return values


def stored_figures(url, worker_id):
    """{pipeline: figures} of the newest stored samples of one worker."""
    at = time.time()
    sel = f'{{job="{JOB}",worker="{worker_id}"}}'
    out = {}

    def each(expr):
        for r in eco.prom_query(url, expr, at):
            yield r["metric"], float(r["value"][1])

    names = {"tacho_runs_total": "runs", "tacho_runs_succeeded_total":
             "succeeded", "tacho_runs_failed_total": "failed"}
    for name, key in names.items():
        for labels, value in each(name + sel):
            out.setdefault(labels["pipeline"], {"buckets": {}})[key] = \
                int(value)
    for labels, value in each("tacho_run_duration_seconds_sum" + sel):
        out.setdefault(labels["pipeline"], {"buckets": {}})["sum"] = value
    for labels, value in each("tacho_run_duration_seconds_bucket" + sel):
        if labels["le"] != "+Inf":
            out.setdefault(labels["pipeline"], {"buckets": {}})[
                "buckets"][float(labels["le"])] = int(value)
    return out


def check_pushes(checks, args, url, work):
    worker = eco.start_worker(args.worker, import_conf("vm-a", url), work,
                              "vm-a")
    eco.wait_until("two interval pushes to be stored",
                   lambda: len(uptime_samples(url, "vm-a")) >= 2, 15)
    checks.check("vm_interval_pushes", worker.alive(),
                 "two pushes stored while the worker still ran")
    time.sleep(0.5)
    status = eco.stop_worker(worker)
    checks.equal("vm_worker_exit", status, 0, "exit status")
    writes = eco.sink_writes(worker, "prometheus")
    values = wait_stored(url, "vm-a", writes)
    checks.check("vm_every_push_stored",
                 len(values) == writes and values == sorted(values),
                 f"{len(values)} samples of tacho_uptime_seconds, rising: "
                 f"{values == sorted(values)}; the host counted {writes} "
                 f"pushes")
    final = eco.pipeline_figures(eco.last_json_snapshot(worker))
    stored = stored_figures(url, "vm-a")
    checks.check("vm_final_equals_worker", stored == final and final,
                 f"stored {eco.figures_summary(stored)}; final snapshot "
                 f"{eco.figures_summary(final)}")
    q = eco.prom_query(
        url, "histogram_quantile(0.5, sum by (le) "
        f'(tacho_run_duration_seconds_bucket{{job="{JOB}",'
        'pipeline="sleeper"}))', time.time())
    p50 = float(q[0]["value"][1]) if q else None
    checks.check("vm_histogram_quantile",
                 p50 is not None and 0.05 <= p50 <= 0.1,
                 f"p50 of sleeper = {p50} s, want 0.05..0.1 (it sleeps "
                 f"0.06 s)")


def run_once(args, work, name, conf, argv):
    """Runs `tacho-worker --run-once --name nightly -- argv` under `conf`;
    returns its exit status."""
    return eco.run_once(args.worker, work, name, conf, "nightly", argv)[1]


def check_run_once(checks, args, url, work):
    status = run_once(args, work, "vm-cron",
                      import_conf("vm-cron", url, interval=60.0, jobs=False),
                      ["false"])
    wait_stored(url, "vm-cron", 1)
    stored = stored_figures(url, "vm-cron").get("nightly", {})
    got = (stored.get("runs"), stored.get("succeeded"), stored.get("failed"))
    checks.check("vm_run_once", status == 1 and got == (1, 0, 1),
                 f"--run-once -- false: exit {status}, stored runs/"
                 f"succeeded/failed {got}")


def check_escaping(checks, args, url, work):
    """Label values with quotes, a backslash, a line feed and UTF-8, and a
    job that needs URL escaping, read back exactly."""
    job = "team/etl & co"
    conf = import_conf('w\u00e9 \\"q\\"', url, interval=60.0, jobs=False,
                       job=job, extra='labels = { note = "a\\"b\\\\c\\nd '
                       '\u00e9"; };')
    status = run_once(args, work, "vm-escaping", conf, ["true"])
    worker_id = 'w\u00e9 "q"'
    selector = f'tacho_runs_total{{job="{job}"}}'
    eco.wait_until("the escaping run to be queryable",
                   lambda: eco.prom_query(url, selector, time.time()), 15)
    res = eco.prom_query(url, selector, time.time())
    labels = res[0]["metric"] if len(res) == 1 else None
    want = {"__name__": "tacho_runs_total", "job": job, "worker": worker_id,
            "pipeline": "nightly", "note": 'a"b\\c\nd \u00e9'}
    checks.equal("vm_labels_round_trip", (status, labels), (0, want),
                 "exit status and the labels of the stored tacho_runs_total")


def run(checks, args):
    vm_bin = eco.need_binary("victoria-metrics", "victoria-metrics")
    work = eco.tmpdir("vm")
    url = start_vm(vm_bin, work)
    check_pushes(checks, args, url, work)
    check_run_once(checks, args, url, work)
    check_escaping(checks, args, url, work)
    if checks.failed:
        eco.dump_logs(work)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", required=True)
    args = parser.parse_args()
    eco.main("ecosystem_victoria_metrics", lambda checks: run(checks, args))
