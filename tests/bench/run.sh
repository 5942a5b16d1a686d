#!/usr/bin/env bash
# The benchmark suite of docs/PERFORMANCE.md in one command: installs what
# it measures against (scripts/deps.sh bench), builds in Release mode, runs
# every benchmark (each repeats its measurements and reports medians, with
# every baseline measured in the same run), and prints one table, also
# written to <build>/bench-results.md.
#
#   tests/bench/run.sh
#
# Environment: BUILD_DIR (default build-bench); QUICK=1 for a short run
# with few repetitions (a smoke test of the suite, not figures to quote).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/deps.sh bench
build=${BUILD_DIR:-build-bench}
quick=${QUICK:-0}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTACHO_BUILD_TESTS=ON \
      -DTACHO_BUILD_BENCH=ON -DTACHO_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_record \
      bench_record_static bench_render bench_embed bench_host bench_serve \
      tacho-worker tacho_sink_log tacho_sink_csv tacho_sink_prometheus \
      tacho_sink_http_json >/dev/null

if [ "$quick" = 1 ]; then
    record_args=(-n 1000000 -r 3) render_reps=5 embed_args=(-s 0.3 -r 3)
    host_args=(-n 200 -r 1) scrape_seconds=2 scrape_reps=1 rss_reps=1
else
    record_args=(-n 10000000 -r 11) render_reps=31 embed_args=(-s 1 -r 11)
    host_args=(-n 2000 -r 5) scrape_seconds=10 scrape_reps=3 rss_reps=3
fi

raw=$build/bench-raw.txt
: >"$raw"
bin=$build/bin
# Runs a benchmark, shows its output and keeps its @ lines (renamed by the
# optional sed expression in $rename).
step() {
    echo "== $*" >&2
    "$@" | tee /dev/stderr | grep '^@' | sed -e "${rename:-}" >>"$raw"
}

notes=$build/bench-notes.md
{
    echo "Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs:" \
         "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
         "$(uname -sr), $(gcc --version | head -1)," \
         "load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$notes"

rename= step "$bin/bench_record" "${record_args[@]}"
rename='s/^@ record_/@ static_record_/' \
    step "$bin/bench_record_static" "${record_args[@]}"

# Instructions per operation, with callgrind: (Ir(N) - Ir(0)) / N.
if command -v valgrind >/dev/null 2>&1; then
    for mode in atomic floor handle name timed; do
        ir() {
            valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                "$bin/bench_record_static" --callgrind "$mode" "$1" 2>&1 |
                awk '/Collected :/ { print $4 }'
        }
        a=$(ir 0)
        b=$(ir 200000)
        awk -v a="$a" -v b="$b" -v m="$mode" \
            'BEGIN { printf "@ cg_%s_ir %.1f\n", m, (b - a) / 200000 }' |
            tee /dev/stderr >>"$raw"
    done
fi

rename= step "$bin/bench_render" -r "$render_reps"
rename= step "$bin/bench_embed" "${embed_args[@]}"
rename= step "$bin/bench_host" "${host_args[@]}" "$bin/tacho-worker"
rename= step tests/bench/scrape.sh "$build" 100 "$scrape_seconds" \
    "$scrape_reps"
rename='s/^@ mem_/@ mem1000_/; s/^@ scrape_series/@ mem1000_series/' \
    step tests/bench/scrape.sh "$build" 1000 0
rename= step tests/bench/rss.sh "$build" "$rss_reps"

echo "Load average at the end $(cut -d' ' -f1-3 /proc/loadavg)." >>"$notes"
python3 tests/bench/report.py "$raw" "$notes" >"$build/bench-results.md"
echo
cat "$build/bench-results.md"
echo
echo "(written to $build/bench-results.md; raw figures in $raw)"
