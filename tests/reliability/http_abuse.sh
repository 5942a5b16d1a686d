#!/usr/bin/env bash
# HTTP abuse against both HTTP sinks of a real tacho-worker (issue 6):
#   1. slowloris (slowhttptest -H) on each sink while a normal scrape from
#      another address (127.0.0.2, as Prometheus would be) must succeed
#      within 1 s every quarter second;
#   2. 500 connections at once on each sink with the default limits: the
#      server closes those past max_connections_per_ip (16) and stays up;
#   3. oversized headers and URLs: refused (431 / 414) or closed;
#   4. zzuf-mutated raw requests (tests/reliability/requests/*.http, 100
#      mutations each, to each sink): every answer well formed and not a 500,
#      or a close; never a crash;
#   5. with max_connections = 600 and max_connections_per_ip = 600, 500
#      concurrent scrapes of each sink all answered 200;
# and the worker exits 0 on SIGTERM after all of it.
#   BUILD_DIR (default build-test) names a built tree; SLOWLORIS_SECONDS
#   (default 20) and ZZUF_CASES (default 100) size the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build-test}
worker=$build/bin/tacho-worker
client="python3 tests/reliability/http_client.py"
slow_seconds=${SLOWLORIS_SECONDS:-20}
zzuf_cases=${ZZUF_CASES:-100}
for tool in slowhttptest zzuf curl python3; do
    command -v "$tool" >/dev/null || { echo "http_abuse: $tool is missing (scripts/deps.sh test)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/tacho-abuse-XXXXXX)
worker_pid=
cleanup() {
    if [ -n "$worker_pid" ]; then kill -9 "$worker_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_worker LIMITS: runs tacho-worker with both HTTP sinks on fresh
# ports (PROM, JSON) and the extra sink options LIMITS, and waits until
# both answer.
start_worker() {
    PROM=$(free_port)
    JSON=$(free_port)
    cat >"$work/worker.conf" <<EOF
tacho = { worker = "abuse"; interval = 1.0; };
sinks = (
  { plugin = "prometheus"; listen = "127.0.0.1:$PROM"; $1 },
  { plugin = "http_json"; listen = "127.0.0.1:$JSON"; $1 }
);
jobs = ( { name = "tick"; argv = ["/bin/true"]; every = 0.2; } );
EOF
    "$worker" -c "$work/worker.conf" >>"$work/worker.log" 2>&1 &
    worker_pid=$!
    for _ in $(seq 100); do
        if curl -sf -o /dev/null "http://127.0.0.1:$PROM/metrics" &&
           curl -sf -o /dev/null "http://127.0.0.1:$JSON/metrics.json"; then
            return 0
        fi
        sleep 0.1
    done
    cat "$work/worker.log"
    echo "http_abuse: the worker did not come up" >&2
    exit 1
}

stop_worker() {
    kill -TERM "$worker_pid"
    local status=0
    wait "$worker_pid" || status=$?
    worker_pid=
    [ "$status" -eq 0 ] || fail "worker exited $status on SIGTERM (log: $(tail -3 "$work/worker.log"))"
}

# A normal scrape from 127.0.0.2 within 1 s: prints the HTTP status.
scrape() {
    curl -s --interface 127.0.0.2 --max-time 1 -o /dev/null -w '%{http_code}' "$1" || true
}

alive() {
    kill -0 "$worker_pid" 2>/dev/null || { fail "the worker died"; return 1; }
    [ "$(scrape "$1")" = 200 ] || fail "no 200 from $1 within 1 s"
}

slowloris() {
    local url=$1 ok=0 bad=0
    slowhttptest -H -c 500 -r 200 -i 5 -s 8192 -x 24 -p 2 -l "$slow_seconds" \
        -u "$url" -t GET >"$work/slowloris.log" 2>&1 &
    local attack=$!
    sleep 2
    local end=$((SECONDS + slow_seconds - 4))
    while [ $SECONDS -lt $end ]; do
        if [ "$(scrape "$url")" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
        sleep 0.25
    done
    wait "$attack" || true
    # The attacker's last status: connections it holds and had closed.
    local held
    held=$(sed 's/\x1b\[[0-9;]*m//g' "$work/slowloris.log" |
           grep -E '^(connected|closed): ' | tail -2 | tr -s ' \n' ' ' || true)
    echo "  slowloris on $url: $ok scrapes within 1 s, $bad failed (attacker: ${held:-no status})"
    [ "$bad" -eq 0 ] && [ "$ok" -gt 10 ] || fail "slowloris starved scrapes of $url"
}

oversized() {
    local url=$1 big code
    big=$(head -c 20000 /dev/zero | tr '\0' a)
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$url" || true)
    case $code in 431|413|400|000) ;; *) fail "a 20 kB header to $url got $code" ;; esac
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$url?$big" || true)
    case $code in 414|431|413|400|000) ;; *) fail "a 20 kB URL to $url got $code" ;; esac
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "${url%/*}/$(head -c 3000 /dev/zero | tr '\0' b)" || true)
    case $code in 414|431|400|000) ;; *) fail "a 3000-byte path to $url got $code" ;; esac
    echo "  oversized header, query and path to $url refused"
}

mutations() {
    mkdir -p "$work/mut"
    rm -f "$work/mut"/*
    for req in tests/reliability/requests/*.http; do
        for seed in $(seq "$zzuf_cases"); do
            zzuf -s "$seed" -r 0.004:0.04 cat "$req" >"$work/mut/$(basename "$req").$seed"
        done
    done
}

echo "== default limits (64 connections, 16 per client address)"
start_worker ""
for url in "http://127.0.0.1:$PROM/metrics" "http://127.0.0.1:$JSON/metrics.json"; do
    slowloris "$url"
    alive "$url"
done
for target in "$PROM /metrics" "$JSON /metrics.json"; do
    set -- $target
    $client flood 127.0.0.1 "$1" "$2" 500 some || fail "flood of port $1"
    alive "http://127.0.0.1:$1$2"
done
oversized "http://127.0.0.1:$PROM/metrics"
oversized "http://127.0.0.1:$JSON/metrics.json"
mutations
for port in "$PROM" "$JSON"; do
    $client raw 127.0.0.1 "$port" "$work"/mut/* || fail "raw requests to port $port"
done
alive "http://127.0.0.1:$PROM/metrics"
alive "http://127.0.0.1:$JSON/metrics.json"
stop_worker

echo "== max_connections = 600, max_connections_per_ip = 600"
start_worker "max_connections = 600; max_connections_per_ip = 600;"
$client flood 127.0.0.1 "$PROM" /metrics 500 all || fail "500 concurrent scrapes of /metrics"
$client flood 127.0.0.1 "$JSON" /metrics.json 500 all || fail "500 concurrent scrapes of /metrics.json"
stop_worker

if [ "$failures" -gt 0 ]; then
    echo "http_abuse: $failures failure(s); worker log:"
    tail -20 "$work/worker.log"
    exit 1
fi
echo "http_abuse: OK"
