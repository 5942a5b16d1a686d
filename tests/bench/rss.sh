#!/usr/bin/env bash
# Idle resident size: tacho-worker with all four sinks (log, csv,
# prometheus, http_json) and no jobs, against collectd 5.12 with csv,
# logfile, write_prometheus and write_http loaded and nothing to read,
# each started REPEATS times in turn and measured after SETTLE seconds.
#
#   tests/bench/rss.sh BUILD_DIR [REPEATS [SETTLE]]
#
# Prints one line per start and @ result lines (medians) for run.sh.
set -euo pipefail
# shellcheck source=collectd_conf.sh
. "$(dirname "$0")/collectd_conf.sh"

build=${1:?usage: rss.sh BUILD_DIR [REPEATS [SETTLE]]}
repeats=${2:-3}
settle=${3:-3}

tmp=$(mktemp -d /tmp/tacho-rss.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Starts "$@", waits SETTLE seconds, prints its VmRSS in KiB, stops it.
rss_of() {
    "$@" >"$tmp/out" 2>&1 &
    pid=$!
    sleep "$settle"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "rss.sh: $1 exited early:" >&2
        cat "$tmp/out" >&2
        exit 1
    fi
    awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}

read -r prom json collectd_port <<<"$(free_ports 3)"
cat >"$tmp/tacho.conf" <<EOF
tacho = { worker = "bench"; interval = 10.0; };
sinks = (
  { plugin = "log"; },
  { plugin = "csv"; path = "$tmp/tacho.csv"; },
  { plugin = "prometheus"; listen = "127.0.0.1:$prom"; },
  { plugin = "http_json"; listen = "127.0.0.1:$json"; }
);
EOF
collectd_base_conf "$tmp" "$collectd_port" >"$tmp/collectd.conf"

tacho=()
collectd=()
for r in $(seq "$repeats"); do
    t=$(rss_of "$build/bin/tacho-worker" -c "$tmp/tacho.conf")
    c=$(rss_of collectd -f -C "$tmp/collectd.conf")
    echo "start $r: tacho-worker $t KiB, collectd $c KiB"
    tacho+=("$t")
    collectd+=("$c")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "@ rss_tacho_idle_kib $(median "${tacho[@]}")"
echo "@ rss_collectd_idle_kib $(median "${collectd[@]}")"
