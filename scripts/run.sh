#!/usr/bin/env bash
# Installs what is missing, builds tacho and runs the worker host on the
# default config: the README's run command.
#   BUILD_DIR (default build), CONFIG (default conf/tacho.conf) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
build=${BUILD_DIR:-build}
config=${CONFIG:-conf/tacho.conf}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTACHO_BUILD_TESTS=OFF -DTACHO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
mkdir -p data
cat <<MSG >&2

tacho-worker is starting on $config (Ctrl-C stops it and flushes every sink).
  Prometheus:  curl http://127.0.0.1:9464/metrics
  JSON:        curl http://127.0.0.1:9465/metrics.json
  CSV:         data/tacho.csv
  Log:         this terminal (stderr)

MSG
exec "$build/bin/tacho-worker" -c "$config"
