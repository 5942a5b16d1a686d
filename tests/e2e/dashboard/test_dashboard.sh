#!/usr/bin/env bash
# The dashboard's browser test (ctest: test_dashboard).
#   test_dashboard.sh SERVER WORK_DIR ARTIFACT_DIR
# Installs playwright-core from the committed package-lock.json into
# WORK_DIR (npm ci, again only when the lock changes), starts SERVER
# (dashboard_server) on a free port, runs dashboard.test.js against it in
# the system Chromium, and stops the server, which must exit 0 (under the
# sanitizers that also means: no leak, no error at shutdown).
# Exits 77 (skipped) only when node, npm or Chromium is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1
work=$2
artifacts=$3
chromium=${CHROMIUM:-/usr/bin/chromium}

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (scripts/deps.sh test installs it)"
        exit 77
    fi
done
if [ ! -x "$chromium" ]; then
    echo "SKIP: no Chromium at $chromium (scripts/deps.sh test installs it)"
    exit 77
fi

mkdir -p "$work" "$artifacts"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" ||
   [ ! -f "$work/node_modules/playwright-core/package.json" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi

out="$work/server.out"
: >"$out"
"$server" 0 240 >"$out" 2>"$work/server.log" &
pid=$!
stop_server() {
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
    fi
}
trap stop_server EXIT

url=""
for _ in $(seq 1 200); do
    url=$(head -n 1 "$out")
    if [ -n "$url" ] || ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    sleep 0.05
done
if [ -z "$url" ]; then
    echo "FAIL: dashboard_server did not start; its log:"
    cat "$work/server.log"
    exit 1
fi
echo "dashboard at $url"

status=0
DASHBOARD_URL="$url" ARTIFACT_DIR="$artifacts" CHROMIUM="$chromium" \
    NODE_PATH="$work/node_modules" node "$here/dashboard.test.js" || status=$?

stop_server
trap - EXIT
server_status=0
wait "$pid" || server_status=$?
if [ "$server_status" -ne 0 ]; then
    echo "FAIL: dashboard_server exited with status $server_status; its log:"
    cat "$work/server.log"
    status=1
fi
exit "$status"
