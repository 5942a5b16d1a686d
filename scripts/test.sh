#!/usr/bin/env bash
# Builds tacho and runs every test suite: the README's test command.
#   BUILD_DIR (default build-test), TACHO_SANITIZE (e.g. address,undefined),
#   CTEST_ARGS (extra ctest arguments) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
build=${BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTACHO_WERROR=ON \
      -DTACHO_SANITIZE="${TACHO_SANITIZE:-}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
# shellcheck disable=SC2086
ctest --output-on-failure -j"$(nproc)" ${CTEST_ARGS:-}
