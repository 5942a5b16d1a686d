#!/usr/bin/env bash
# Scrape throughput and latency, and memory per pipeline, of tacho against
# collectd 5.12's write_prometheus, measured in the same run on loopback.
#
#   tests/bench/scrape.sh BUILD_DIR [PIPELINES [SECONDS [REPEATS]]]
#
# tacho: bench_serve (libtacho with the real prometheus and http_json
# sinks) holding PIPELINES pipelines. collectd: started in the foreground
# with csv, logfile, write_prometheus, write_http and unixsock, then given
# as many values through the unix socket as tacho's /metrics has samples
# (32 per pipeline, tests/bench/collectd_putval.py), so both serve a
# similar number of series. Then `wrk -t2 -c16 -dSECONDSs --latency` on
# tacho's /metrics, tacho's /metrics.json and collectd's /metrics, REPEATS
# times in rotating order. SECONDS 0 measures memory only.
#
# Prints a line per wrk run and @ result lines (medians) for run.sh.
set -euo pipefail

build=${1:?usage: scrape.sh BUILD_DIR [PIPELINES [SECONDS [REPEATS]]]}
pipelines=${2:-100}
seconds=${3:-10}
repeats=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=collectd_conf.sh
. "$here/collectd_conf.sh"

tmp=$(mktemp -d /tmp/tacho-scrape.XXXXXX)
tacho_pid=
collectd_pid=
cleanup() {
    [ -n "$tacho_pid" ] && kill "$tacho_pid" 2>/dev/null && wait "$tacho_pid" 2>/dev/null
    [ -n "$collectd_pid" ] && kill "$collectd_pid" 2>/dev/null && wait "$collectd_pid" 2>/dev/null
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

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Waits until `cmd` succeeds, at most `tries` tenths of a second.
wait_for() {
    local tries=$1
    shift
    for _ in $(seq "$tries"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "scrape.sh: timed out waiting for: $*" >&2
    return 1
}

read -r prom_port json_port collectd_port <<<"$(free_ports 3)"

# --- tacho ------------------------------------------------------------------
"$build/bin/bench_serve" "$pipelines" "$prom_port" "$json_port" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
tacho_pid=$!
wait_for 300 grep -q '^ready' "$tmp/serve.out"
read -r _ tacho_before tacho_after <"$tmp/serve.out"
samples=$(curl -sf "http://127.0.0.1:$prom_port/metrics" | grep -vc '^#')

# --- collectd ---------------------------------------------------------------
{
collectd_base_conf "$tmp" "$collectd_port"
cat <<EOF
LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "$tmp/collectd.sock"
  SocketGroup "$(id -gn)"
  DeleteSocket true
</Plugin>
EOF
} >"$tmp/collectd.conf"
collectd -f -C "$tmp/collectd.conf" >"$tmp/collectd.out" 2>&1 &
collectd_pid=$!
wait_for 100 test -S "$tmp/collectd.sock"
wait_for 100 curl -sf "http://127.0.0.1:$collectd_port/metrics"
collectd_before=$(rss_kib "$collectd_pid")
python3 "$here/collectd_putval.py" "$tmp/collectd.sock" "$samples"
collectd_samples() {
    curl -sf "http://127.0.0.1:$collectd_port/metrics" | grep -c '^collectd_tacho'
}
all_there() { [ "$(collectd_samples)" -ge "$samples" ]; }
# collectd's write threads hand every value to csv, write_http and
# write_prometheus in turn: a few thousand values a second here.
wait_for $((300 + samples / 20)) all_there
collectd_after=$(rss_kib "$collectd_pid")

echo "series: tacho /metrics $samples samples, collectd $(collectd_samples)"
# Whether a server keeps the connection (wrk, like Prometheus, reuses it
# when it may): curl fetches the URL twice and says whether it reused.
reuses() {
    local log
    log=$(curl -sv -o /dev/null -o /dev/null "$1" "$1" 2>&1 || true)
    if grep -q '^\* Re-using existing connection' <<<"$log"; then
        echo yes
    else
        echo no
    fi
}
echo "keep-alive: tacho /metrics $(reuses "http://127.0.0.1:$prom_port/metrics")," \
     "/metrics.json $(reuses "http://127.0.0.1:$json_port/metrics.json")," \
     "collectd $(reuses "http://127.0.0.1:$collectd_port/metrics")"
echo "memory: tacho $tacho_before -> $tacho_after KiB for $pipelines" \
     "pipelines; collectd $collectd_before -> $collectd_after KiB for" \
     "$samples values"
awk -v a="$tacho_before" -v b="$tacho_after" -v n="$pipelines" \
    'BEGIN { printf "@ mem_tacho_per_pipeline_kib %.3f\n", (b - a) / n }'
awk -v a="$collectd_before" -v b="$collectd_after" -v n="$pipelines" \
    'BEGIN { printf "@ mem_collectd_per_pipeline_kib %.3f\n", (b - a) / n }'
echo "@ scrape_series $samples"
[ "$seconds" -gt 0 ] || exit 0

# --- wrk ----------------------------------------------------------------------
# Prints "RPS P99_MS" of one run.
run_wrk() {
    wrk -t2 -c16 -d"${seconds}s" --latency "$1" >"$tmp/wrk.out" 2>&1
    awk '
        /Requests\/sec:/ { rps = $2 }
        $1 == "99%" {
            v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
            ms = unit == "us" ? v / 1000 : unit == "s" ? v * 1000 : v
        }
        END { printf "%s %.3f\n", rps, ms }' "$tmp/wrk.out"
}

names=(tacho_metrics tacho_json collectd_metrics)
urls=("http://127.0.0.1:$prom_port/metrics"
      "http://127.0.0.1:$json_port/metrics.json"
      "http://127.0.0.1:$collectd_port/metrics")
declare -A rps p99
for r in $(seq 0 $((repeats - 1))); do
    for j in 0 1 2; do
        i=$(((j + r) % 3))
        read -r q l <<<"$(run_wrk "${urls[$i]}")"
        echo "repeat $((r + 1)): ${names[$i]} $q requests/s, p99 $l ms"
        rps[${names[$i]}]+="$q "
        p99[${names[$i]}]+="$l "
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for n in "${names[@]}"; do
    echo "@ scrape_${n}_rps $(echo "${rps[$n]}" | median)"
    echo "@ scrape_${n}_p99_ms $(echo "${p99[$n]}" | median)"
done
