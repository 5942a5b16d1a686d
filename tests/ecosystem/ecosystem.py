"""Shared helpers of the ecosystem tests (python3 standard library only).

The tests run tacho-worker next to the real Prometheus, Pushgateway and
VictoriaMetrics binaries on loopback. This module starts and always stops
those processes, talks HTTP, parses the Prometheus text format and reports
each check as PASS or FAIL.

Every child process is started in its own process group with a parent-death
signal, so it goes away when the test does, whatever way the test ends
(normal exit, exception, SIGTERM from ctest, or SIGKILL).
"""
import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# Seconds one HTTP request may take.
HTTP_TIMEOUT = 5.0

_PR_SET_PDEATHSIG = 1
_children = []


class TestFailure(Exception):
    """A step the rest of the test depends on did not work."""


# ---- reporting -------------------------------------------------------------


class Checks:
    """Prints each check as 'PASS name: detail' or 'FAIL name: detail' and
    sets the exit status: 0 only when every check passed."""

    def __init__(self, suite):
        self.suite = suite
        self.failed = []
        self.passed = 0

    def check(self, name, ok, detail):
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok

    def equal(self, name, got, want, what):
        return self.check(name, got == want,
                          f"{what}: got {got!r}, want {want!r}")

    def finish(self):
        total = self.passed + len(self.failed)
        if self.failed:
            print(f"{self.suite}: FAIL ({len(self.failed)} of {total} checks "
                  f"failed: {', '.join(self.failed)})", flush=True)
            return 1
        if total == 0:
            print(f"{self.suite}: FAIL (no check ran)", flush=True)
            return 1
        print(f"{self.suite}: PASS ({total} checks)", flush=True)
        return 0


def main(suite, body):
    """Runs body(checks) with cleanup guaranteed and exits with the verdict.
    An exception (a setup step that failed) counts as a failed check."""
    checks = Checks(suite)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    try:
        body(checks)
    except TestFailure as e:
        checks.check(f"{suite}_setup", False, str(e))
    except Exception as e:  # report, then still clean up and fail
        checks.check(f"{suite}_setup", False,
                     f"unexpected {type(e).__name__}: {e}")
        import traceback
        traceback.print_exc()
    finally:
        stop_all()
    sys.exit(checks.finish())


def _exit_on_signal(signum, frame):
    # Raised where the test is, so main() reports it and cleans up.
    raise TestFailure(f"interrupted by signal {signum}")


# ---- processes -------------------------------------------------------------


def need_binary(name, package):
    """The path of `name`, or a failure naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        raise TestFailure(f"{name} not found on PATH: install the Debian "
                          f"package {package} (scripts/deps.sh test does)")
    return path


def _child_setup():
    os.setpgrp()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Proc:
    """A child process whose stdout and stderr go to one log file."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=self.log, stderr=subprocess.STDOUT,
                                  env=env, cwd=cwd, preexec_fn=_child_setup)
        _children.append(self)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def wait(self, timeout):
        """The exit status, or a failure when it does not exit in time."""
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.name} did not exit within {timeout} s")

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL for the whole group past `timeout`."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        self.log.close()

    def tail(self, lines=15):
        return "\n".join(self.text().splitlines()[-lines:])


def dump_logs(directory, lines=10):
    """Prints the end of every *.log in `directory`, to explain a failure."""
    for name in sorted(os.listdir(directory)):
        if name.endswith(".log"):
            with open(os.path.join(directory, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            print(f"--- {name}\n" + "\n".join(text.splitlines()[-lines:]))


def stop_all():
    while _children:
        _children.pop().stop()


atexit.register(stop_all)


def tmpdir(tag):
    path = tempfile.mkdtemp(prefix=f"tacho-{tag}-")
    atexit.register(shutil.rmtree, path, True)
    return path


def free_port():
    """A TCP port free on 127.0.0.1 right now, for a server that cannot
    bind port 0 and report it (Prometheus, Pushgateway, VictoriaMetrics)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, fn, timeout, interval=0.1):
    """Calls fn() until it returns a true value, which it returns; fails
    naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = fn()
            if value:
                return value
        except (OSError, ValueError, KeyError) as e:
            last_error = e
        time.sleep(interval)
    extra = f" (last error: {last_error})" if last_error else ""
    raise TestFailure(f"timed out after {timeout} s waiting for {what}{extra}")


# ---- HTTP ------------------------------------------------------------------


def http(url, method="GET", data=None, headers=None, timeout=HTTP_TIMEOUT):
    """(status, body text) of a request; HTTP errors are answers too."""
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def get_json(url, params=None):
    if params:
        url += "?" + urllib.parse.urlencode(params)
    status, body = http(url)
    if status != 200:
        raise TestFailure(f"GET {url}: HTTP {status}: {body[:300]}")
    return json.loads(body)


def prom_query(base, expr, at=None):
    """The result of an instant query (Prometheus API, also served by
    VictoriaMetrics); fails on an error status."""
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    doc = get_json(base + "/api/v1/query", params)
    if doc.get("status") != "success":
        raise TestFailure(f"query {expr!r}: {doc}")
    return doc["data"]["result"]


# ---- the Prometheus text format ---------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)"
                     r"(?:\s+\S+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(value):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n"
                  else m.group(1), value)


def parse_labels(text):
    labels = {}
    pos = 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if m is None:
            raise ValueError(f"bad labels: {text!r}")
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def parse_exposition(text):
    """(samples, types): samples is a list of (name, labels, value) and
    types maps each family name of a '# TYPE' line to its type."""
    samples = []
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            raise ValueError(f"bad sample line: {line!r}")
        samples.append((m.group(1), parse_labels(m.group(2) or ""),
                        float(m.group(3))))
    return samples, types


def select(samples, name, **want):
    """Values of the samples named `name` whose labels include `want`."""
    return [v for n, labels, v in samples
            if n == name and all(labels.get(k) == w for k, w in want.items())]


# ---- tacho-worker ----------------------------------------------------------


def worker_env():
    """The environment for tacho-worker: this one, without a plugin path
    that could make it load sinks of another build."""
    env = dict(os.environ)
    env.pop("TACHO_PLUGIN_PATH", None)
    env.pop("METRICS_INTERVAL", None)
    return env


def start_worker(worker_bin, conf_text, workdir, name, extra_args=()):
    conf = os.path.join(workdir, f"{name}.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(conf_text)
    return Proc(name, [worker_bin, "-c", conf, *extra_args],
                os.path.join(workdir, f"{name}.log"), env=worker_env(),
                cwd=workdir)


def worker_port(proc, timeout=15.0):
    """The port the worker's prometheus sink bound (listen on port 0)."""
    pattern = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/metrics")

    def found():
        if not proc.alive():
            raise TestFailure(f"{proc.name} exited early:\n{proc.tail()}")
        m = pattern.search(proc.text())
        return int(m.group(1)) if m else None

    return wait_until(f"{proc.name} to listen", found, timeout)


def stop_worker(proc, timeout=20.0):
    """SIGTERM (the worker stops starting jobs and delivers its final
    snapshot) and its exit status."""
    proc.signal(signal.SIGTERM)
    return proc.wait(timeout)


_STOPPING = re.compile(r"stopping: (\d+) runs \((\d+) ok, (\d+) failed\)")


def worker_totals(proc):
    """(runs, ok, failed) from the worker's 'stopping: ...' line."""
    m = _STOPPING.search(proc.text())
    if m is None:
        raise TestFailure(f"{proc.name}: no 'stopping:' line:\n{proc.tail()}")
    return tuple(int(g) for g in m.groups())


def last_json_snapshot(proc):
    """The last schema-1 JSON document the worker's log sink wrote (format
    json): the final snapshot, delivered at shutdown."""
    last = None
    for line in proc.text().splitlines():
        if line.startswith('{"schemaVersion"'):
            last = line
    if last is None:
        raise TestFailure(f"{proc.name}: no JSON snapshot in its log")
    return json.loads(last)


def pipeline_figures(snapshot):
    """{pipeline: figures} of a JSON snapshot, with the figures each push
    test compares: the run counts, the duration sum (s) and the
    cumulative bucket counts by bound."""
    out = {}
    for p in snapshot["pipelines"]:
        out[p["name"]] = {
            "runs": p["runs"]["total"],
            "succeeded": p["runs"]["succeeded"],
            "failed": p["runs"]["failed"],
            "sum": p["durations"]["sum"],
            "buckets": {b["le"]: b["count"] for b in p["buckets"]},
        }
    return out


def sink_writes(proc, sink):
    """The writes the host counted for `sink` at shutdown."""
    m = re.search(r"sink '%s' \(plugin \w+\): (\d+) writes" % re.escape(sink),
                  proc.text())
    if m is None:
        raise TestFailure(f"{proc.name}: no shutdown line for sink {sink}")
    return int(m.group(1))


# ---- the push tests (Pushgateway, VictoriaMetrics) ---------------------------

# The jobs of a worker that pushes at each interval: one that succeeds
# (0.06 s each), one that fails.
PUSH_JOBS_CONF = """runner = { workers = 2; shutdown_grace = 5.0; };
jobs = (
  { name = "sleeper"; argv = ["sleep", "0.06"]; every = 0.2; },
  { name = "failer"; argv = ["false"]; every = 0.5; }
);
"""


def push_conf(worker_id, url, job, interval=0.5, jobs=True, extra="",
              push_format=None):
    """A worker config whose prometheus sink pushes to `url` (in
    `push_format` when given) and whose log sink writes JSON lines, with
    PUSH_JOBS_CONF when `jobs`. `worker_id`, `job` and `extra` (more options
    of the prometheus sink) are libconfig text, quoted where needed."""
    fmt = f'push_format = "{push_format}"; ' if push_format else ""
    return (f'tacho = {{ worker = "{worker_id}"; interval = {interval}; }};\n'
            f'sinks = (\n  {{ plugin = "prometheus"; listen = ""; '
            f'push_url = "{url}"; {fmt}push_job = "{job}"; '
            f'push_timeout = 2.0; {extra} }},\n'
            f'  {{ plugin = "log"; format = "json"; }}\n);\n'
            + (PUSH_JOBS_CONF if jobs else ""))


def run_once(worker_bin, work, name, conf, pipeline, argv):
    """Runs `tacho-worker -c <name>.conf --run-once --name <pipeline> --
    argv` in `work` with `conf`; returns (proc, exit status)."""
    path = os.path.join(work, f"{name}.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(conf)
    proc = Proc(name, [worker_bin, "-c", path, "--run-once", "--name",
                       pipeline, "--", *argv],
                os.path.join(work, f"{name}.log"), env=worker_env(), cwd=work)
    return proc, proc.wait(30)


def figures_summary(figures):
    """{pipeline: (runs, succeeded, failed)} of pipeline_figures() output,
    for messages."""
    return {p: (f.get("runs"), f.get("succeeded"), f.get("failed"))
            for p, f in sorted(figures.items())}


# ---- documented metric names -----------------------------------------------

_DOC_ROW = re.compile(r"^\|\s*`(tacho_[a-z0-9_]+)`\s*\|\s*([a-z]+)")
_USED = re.compile(r"\btacho_[a-z0-9_]*[a-z0-9]")
# What a family of each type is queried as, besides its own name.
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
             "summary": ("_sum", "_count")}


def documented_metrics(source_dir):
    """{name: type} of the metrics in docs/METRICS.md's "Prometheus
    metrics" section (tables whose first column is a `tacho_...` name)."""
    path = os.path.join(source_dir, "docs", "METRICS.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.find("\n## Prometheus metrics")
    if start < 0:
        raise TestFailure(f"{path}: no '## Prometheus metrics' section")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    found = {}
    for line in section.splitlines():
        m = _DOC_ROW.match(line)
        if m:
            found[m.group(1)] = m.group(2)
    if not found:
        raise TestFailure(f"{path}: no metric table rows found")
    return found


def queryable_names(documented):
    """Every series name a query may use: each documented name, plus the
    _bucket/_sum/_count series of histograms and summaries."""
    names = set()
    for name, kind in documented.items():
        names.add(name)
        names.update(name + s for s in _SUFFIXES.get(kind, ()))
    return names


def used_names(text):
    """The distinct tacho_* names in `text`."""
    return set(_USED.findall(text))


def undocumented_names(text, documented):
    """The tacho_* names used in `text` that are not documented, sorted."""
    return sorted(used_names(text) - queryable_names(documented))
