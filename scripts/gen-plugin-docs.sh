#!/usr/bin/env bash
# Regenerates docs/plugins/<sink>-options.md, the option reference of each
# shipped sink, from the sinks' own option tables (tacho-worker
# --plugin-doc). Run it after changing a sink's table; the test suite
# (test_check_config, plugins_committed_docs_match_generated) fails while a
# committed page differs from what the build generates.
#   BUILD_DIR (default build) names a configured build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" >/dev/null
fi
cmake --build "$build" --target tacho-worker \
      tacho_sink_log tacho_sink_csv tacho_sink_prometheus tacho_sink_http_json \
      >/dev/null
# Only the build tree's sinks: a TACHO_PLUGIN_PATH of the caller's must not
# put another sink of the same name first.
unset TACHO_PLUGIN_PATH
for sink in log csv prometheus http_json; do
    out="docs/plugins/$sink-options.md"
    "$build/bin/tacho-worker" --plugin-doc "$sink" >"$out.tmp"
    mv "$out.tmp" "$out"
    echo "wrote $out"
done
