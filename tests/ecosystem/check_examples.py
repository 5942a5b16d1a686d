#!/usr/bin/env python3
"""ecosystem_examples: examples/prometheus is valid and uses documented names.

Usage: check_examples.py --worker PATH/tacho-worker --source-dir REPO

Checks, without starting any server:

  * `promtool check config` on prometheus.yml (which also checks the rule
    file it names) and `promtool check rules` on rules/tacho-alerts.yml;
  * `promtool test rules` on tests/ecosystem/tacho-alerts.test.yml: each
    alert fires on the series it is meant for and not on its neighbours;
  * every tacho_* name used in the rules, the Grafana dashboard, the
    scrape config, the example worker configs and the README is a metric
    documented in docs/METRICS.md (a histogram or summary also as its
    _bucket/_sum/_count series);
  * the Grafana dashboard is importable: schemaVersion 36 or later, the
    datasource is the ${DS_PROMETHEUS} input everywhere, and it has the
    panels the README promises;
  * `tacho-worker --check-config` accepts the example worker configs.

The name and dashboard checks are also run on broken inputs, to show they
catch what they are meant to catch.
"""
import argparse
import copy
import glob
import json
import os
import subprocess
import sys

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecosystem as eco  # noqa: E402

DS_UID = "${DS_PROMETHEUS}"
# Panel titles the README lists, each with a metric its queries must use.
REQUIRED_PANELS = {
    "Runs/s by pipeline": "tacho_runs_total",
    "Error ratio by pipeline": "tacho_runs_failed_total",
    "Duration p50 / p95 / p99": "tacho_run_duration_seconds_bucket",
    "Window p50 / p95 / p99 by worker": "tacho_run_duration_window_seconds",
    "Window summary": "tacho_window_runs",
    "Sink status": "tacho_sink_up",
    "Sink errors, retries, skips per second": "tacho_sink_errors_total",
}


def run_tool(argv, cwd=None):
    """(exit status, output) of a command, bounded to 60 s."""
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                           timeout=60, env=eco.worker_env())
    except subprocess.TimeoutExpired:
        return None, f"{argv[0]} timed out"
    return p.returncode, (p.stdout + p.stderr).strip()


def check_promtool(checks, promtool, source_dir):
    example = os.path.join(source_dir, "examples", "prometheus")
    rc, out = run_tool([promtool, "check", "config", "prometheus.yml"],
                       cwd=example)
    checks.check("examples_promtool_check_config",
                 rc == 0 and "1 rule files found" in out,
                 f"promtool check config prometheus.yml: exit {rc}: "
                 f"{' | '.join(out.splitlines())}")
    rc, out = run_tool([promtool, "check", "rules",
                        os.path.join("rules", "tacho-alerts.yml")],
                       cwd=example)
    checks.check("examples_promtool_check_rules",
                 rc == 0 and "SUCCESS: 7 rules found" in out,
                 f"promtool check rules: exit {rc}: "
                 f"{' | '.join(out.splitlines())}")
    tests = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "tacho-alerts.test.yml")
    rc, out = run_tool([promtool, "test", "rules", tests])
    checks.check("examples_promtool_test_rules", rc == 0 and "SUCCESS" in out,
                 f"promtool test rules tacho-alerts.test.yml: exit {rc}: "
                 f"{' | '.join(out.splitlines()[:40])}")


def example_files(source_dir):
    example = os.path.join(source_dir, "examples", "prometheus")
    files = [os.path.join(example, p) for p in (
        "prometheus.yml", "README.md", os.path.join("rules",
                                                    "tacho-alerts.yml"),
        os.path.join("grafana", "tacho-dashboard.json"))]
    files += sorted(glob.glob(os.path.join(example, "*.conf")))
    return files


def check_names(checks, source_dir, documented):
    problems = {}
    used = set()
    for path in example_files(source_dir):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        used |= eco.used_names(text)
        bad = eco.undocumented_names(text, documented)
        if bad:
            problems[os.path.relpath(path, source_dir)] = bad
    checks.check("examples_metric_names_documented",
                 not problems and len(used) > 0,
                 f"{len(used)} distinct tacho_* names used in "
                 f"{len(example_files(source_dir))} files; undocumented: "
                 f"{problems or 'none'}")
    # The check must see a misspelt name, and must accept the series of a
    # documented histogram but not invented suffixes.
    sample = ("rate(tacho_run_total[5m]) tacho_run_duration_seconds_bucket "
              "tacho_runs_total_sum tacho_sink_up")
    got = eco.undocumented_names(sample, documented)
    checks.equal("examples_name_check_catches_undocumented", got,
                 ["tacho_run_total", "tacho_runs_total_sum"],
                 "names the checker rejects in a broken sample")


def dashboard_problems(dash):
    """What keeps `dash` from being the importable dashboard we ship."""
    problems = []
    if not isinstance(dash.get("schemaVersion"), int) or \
            dash["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dash.get('schemaVersion')} < 36")
    inputs = [i for i in dash.get("__inputs", [])
              if i.get("name") == "DS_PROMETHEUS" and
              i.get("type") == "datasource" and
              i.get("pluginId") == "prometheus"]
    if len(inputs) != 1:
        problems.append("no __inputs entry DS_PROMETHEUS (prometheus)")
    ids = [p.get("id") for p in dash.get("panels", [])]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"panel ids missing or repeated: {ids}")
    for p in dash.get("panels", []):
        where = f"panel {p.get('title')!r}"
        if "gridPos" not in p:
            problems.append(f"{where}: no gridPos")
        if p.get("type") == "row":
            continue
        sources = [p.get("datasource")] + [t.get("datasource")
                                           for t in p.get("targets", [])]
        if any(s != {"type": "prometheus", "uid": DS_UID} for s in sources):
            problems.append(f"{where}: datasource is not {DS_UID}")
        if not p.get("targets") or any(not t.get("expr")
                                       for t in p["targets"]):
            problems.append(f"{where}: a target without a query")
    for v in dash.get("templating", {}).get("list", []):
        if v.get("datasource") != {"type": "prometheus", "uid": DS_UID}:
            problems.append(f"variable {v.get('name')}: datasource is not "
                            f"{DS_UID}")
    titles = {p.get("title"): " ".join(t.get("expr", "")
                                       for t in p.get("targets", []))
              for p in dash.get("panels", [])}
    for title, metric in REQUIRED_PANELS.items():
        if metric not in titles.get(title, ""):
            problems.append(f"no panel {title!r} querying {metric}")
    return problems


def check_dashboard(checks, source_dir):
    path = os.path.join(source_dir, "examples", "prometheus", "grafana",
                        "tacho-dashboard.json")
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    problems = dashboard_problems(dash)
    panels = [p for p in dash["panels"] if p["type"] != "row"]
    checks.check("examples_dashboard_shape", not problems,
                 f"schemaVersion {dash.get('schemaVersion')}, "
                 f"{len(panels)} panels; problems: {problems or 'none'}")
    broken = copy.deepcopy(dash)
    broken["schemaVersion"] = 30
    panels = [p for p in broken["panels"] if p["type"] != "row"]
    panels[0]["datasource"] = {"type": "prometheus", "uid": "local"}
    panels[1]["targets"][0]["expr"] = ""
    got = dashboard_problems(broken)
    checks.check("examples_dashboard_check_catches_broken", len(got) == 3,
                 f"problems found in a broken copy: {got}")


def check_worker_configs(checks, worker, source_dir):
    confs = glob.glob(os.path.join(source_dir, "examples", "prometheus",
                                   "*.conf"))
    results = {}
    for conf in sorted(confs):
        rc, out = run_tool([worker, "--check-config", conf])
        results[os.path.basename(conf)] = (rc, out.splitlines()[-1:])
    checks.check("examples_worker_configs",
                 len(results) >= 2 and all(rc == 0 for rc, _ in
                                           results.values()),
                 f"tacho-worker --check-config: {results}")


def run(checks, args):
    promtool = eco.need_binary("promtool", "prometheus")
    documented = eco.documented_metrics(args.source_dir)
    check_promtool(checks, promtool, args.source_dir)
    check_names(checks, args.source_dir, documented)
    check_dashboard(checks, args.source_dir)
    check_worker_configs(checks, args.worker, args.source_dir)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    eco.main("ecosystem_examples", lambda checks: run(checks, args))
