#!/usr/bin/env bash
# One end-to-end host run under valgrind (issue 6): tacho-worker with all
# four sinks (log to a file, csv, prometheus, http_json), jobs that succeed,
# fail and time out, scrapes of every path in every format, a SIGHUP, then
# SIGTERM. valgrind's memcheck must report zero errors and no definite or
# indirect leak (--errors-for-leak-kinds), and the worker must exit 0.
#   BUILD_DIR (default build-test) names a built tree, not a sanitizer one.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build-test}
command -v valgrind >/dev/null || { echo "valgrind_e2e: valgrind is missing (scripts/deps.sh test)" >&2; exit 1; }
work=$(mktemp -d /tmp/tacho-valgrind-XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PROM=$(port)
JSON=$(port)
cat >"$work/worker.conf" <<EOF
tacho = { worker = "valgrind"; interval = 0.5; };
sinks = (
  { plugin = "log"; target = "file"; path = "$work/tacho.log"; format = "json"; recent = true; },
  { plugin = "csv"; path = "$work/runs.csv"; },
  { plugin = "prometheus"; listen = "127.0.0.1:$PROM"; },
  { plugin = "http_json"; listen = "127.0.0.1:$JSON"; }
);
runner = { workers = 2; shutdown_grace = 2.0; };
jobs = (
  { name = "ok"; argv = ["/bin/true"]; every = 0.2; },
  { name = "fails"; command = "exit 3"; every = 0.3; },
  { name = "slow"; argv = ["/bin/sleep", "5"]; every = 1.0; timeout = 0.5; }
);
EOF
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=1 --log-file="$work/valgrind.%p.log" \
    "$build/bin/tacho-worker" -c "$work/worker.conf" >"$work/worker.out" 2>&1 &
pid=$!
vlog=$work/valgrind.$pid.log
up=0
for _ in $(seq 300); do
    if curl -sf -o /dev/null "http://127.0.0.1:$JSON/healthz"; then up=1; break; fi
    sleep 0.1
done
[ "$up" = 1 ] || { cat "$work/worker.out" "$work"/valgrind.*.log; echo "valgrind_e2e: the worker did not come up" >&2; exit 1; }
scrapes=0
for round in 1 2 3; do
    for path in /metrics; do
        curl -sf -o /dev/null "http://127.0.0.1:$PROM$path"
        curl -sf -o /dev/null --compressed "http://127.0.0.1:$PROM$path"
        curl -sf -o /dev/null -H 'Accept: application/openmetrics-text; version=1.0.0' "http://127.0.0.1:$PROM$path"
        curl -s -o /dev/null "http://127.0.0.1:$PROM/nope"
        scrapes=$((scrapes + 4))
    done
    for path in /metrics.json '/metrics.json?pretty=1' /worker.metrics /trpc/worker.metrics /healthz / /dashboard.js; do
        curl -sf -o /dev/null --compressed "http://127.0.0.1:$JSON$path"
        scrapes=$((scrapes + 1))
    done
    curl -s -o /dev/null -X POST "http://127.0.0.1:$JSON/metrics.json"
    [ "$round" = 2 ] && mv "$work/tacho.log" "$work/tacho.log.1" && kill -HUP "$pid"
    sleep 1
done
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
rows=$(grep -c '' "$work/runs.csv" || true)
lines=$(cat "$work/tacho.log" "$work/tacho.log.1" 2>/dev/null | grep -c '' || true)
echo "  $scrapes scrapes, $rows csv lines, $lines log lines; worker exit $status"
# The main process's summary (children exec'd by jobs are not traced).
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|All heap blocks" "$vlog" | sed 's/^==[0-9]*== /  valgrind: /'
if [ "$status" -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$vlog"; then
    cat "$vlog"
    tail -20 "$work/worker.out"
    echo "valgrind_e2e: FAILED (exit $status; valgrind's report above)" >&2
    exit 1
fi
[ "$rows" -gt 3 ] && [ "$lines" -gt 3 ] || { echo "valgrind_e2e: the sinks wrote too little" >&2; exit 1; }
echo "valgrind_e2e: OK (no errors, no definite or indirect leaks)"
