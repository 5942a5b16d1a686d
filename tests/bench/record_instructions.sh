#!/usr/bin/env bash
# test_record_instructions: the record path must not grow. Counts, with
# valgrind's callgrind, the instructions one tacho_pipeline_record() takes
# in bench_record_static's loop (the loop's own ~10 included) and fails
# when they exceed the bound.
#   record_instructions.sh BENCH_RECORD_STATIC BOUND
# Exit 0 within the bound, 1 above it or on error, 77 (skipped) without
# valgrind.
set -euo pipefail
bench=$1
bound=$2
n=200000
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind not found: skipped (scripts/deps.sh test installs it)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Total instructions of a run doing `$1` records.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out.$1" \
        "$bench" --callgrind handle "$1" 2>"$tmp/log.$1" >/dev/null
    awk '/Collected :/ { print $4 }' "$tmp/log.$1"
}
base=$(count 0)
full=$(count "$n")
if [ -z "$base" ] || [ -z "$full" ]; then
    echo "callgrind gave no count:"
    cat "$tmp/log.0" "$tmp/log.$n"
    exit 1
fi
per=$(awk -v a="$base" -v b="$full" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
echo "instructions per record: $per (bound $bound)"
if awk -v p="$per" -v b="$bound" 'BEGIN { exit !(p > b) }'; then
    echo "FAIL: the record path grew past $bound instructions"
    exit 1
fi
echo "ok"
