#!/usr/bin/env bash
# Installs the Debian packages tacho needs that are missing.
#   scripts/deps.sh build   what building and running needs
#   scripts/deps.sh test    that, plus what the test suites use
#   scripts/deps.sh bench   build packages, plus what tests/bench/run.sh
#                           measures against (collectd and the libraries
#                           its write_prometheus and write_http plugins
#                           load, wrk, valgrind)
# Exits non-zero with the list of packages when they cannot be installed.
set -euo pipefail

build_pkgs=(cmake make gcc pkg-config libconfig-dev libltdl-dev
            libjson-c-dev libmicrohttpd-dev libcurl4-openssl-dev zlib1g-dev)
test_pkgs=(libcunit1-dev python3 python3-jsonschema python3-prometheus-client
           curl openssl valgrind clang libclang-rt-14-dev slowhttptest zzuf
           prometheus prometheus-pushgateway
           victoria-metrics chromium nodejs npm locales)
bench_pkgs=(collectd-core libprotobuf-c1 libyajl2 wrk valgrind)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
    want+=("${test_pkgs[@]}")
elif [ "${1:-build}" = bench ]; then
    want+=("${bench_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    # A command of the package's name counts too: Node.js from NodeSource
    # ships npm in its nodejs package, which conflicts with Debian's npm.
    [ "$status" = "install ok installed" ] || command -v "$p" >/dev/null ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tacho: installing missing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "tacho: not root and no sudo; install these packages as root:" >&2
        echo "  apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo_cmd[@]}" apt-get update -qq &&
       "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
           "${missing[@]}"; } >/tmp/tacho-apt.log 2>&1; then
    tail -n 20 /tmp/tacho-apt.log >&2
    echo "tacho: could not install: ${missing[*]} (log: /tmp/tacho-apt.log)" >&2
    exit 1
fi
