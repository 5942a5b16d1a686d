#!/usr/bin/env bash
# Installs the build into a temporary prefix and uses it as a newcomer would:
# layout and SONAME, the installed worker finding the installed sinks with an
# empty environment, pkg-config and find_package (version-checked), the
# custom sink example built with pkg-config and loaded by the installed
# worker, and the man pages.
#   test_install.sh SOURCE_DIR BUILD_DIR [SANITIZERS]
set -euo pipefail
src=$1
build=$2
# A sanitizer build's library needs programs built with the same runtime
# first in line: the find_package program gets the same -fsanitize.
san_flags=()
if [ -n "${3:-}" ]; then
    san_flags=("-DCMAKE_C_FLAGS=-fsanitize=$3")
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tacho-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
pass=0
fail=0
check() { # check NAME COMMAND...: runs COMMAND, counts and reports.
    local name=$1
    shift
    # A subshell with errexit of its own: inside an `if` condition bash
    # would ignore `set -e`, and a failing step in the middle would pass.
    set +e
    (set -e; "$@") >"$tmp/out" 2>&1
    local rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        echo "  ok   $name"
        pass=$((pass + 1))
    else
        echo "  FAIL $name"
        sed 's/^/       /' "$tmp/out" | tail -n 20
        fail=$((fail + 1))
    fi
}

cmake --install "$build" --prefix "$prefix" >/dev/null

layout() {
    for f in bin/tacho-worker include/tacho/tacho.h include/tacho/sink.h \
             lib/libtacho.so.1 lib/libtacho.a lib/pkgconfig/tacho.pc \
             lib/cmake/tacho/tachoConfig.cmake \
             lib/cmake/tacho/tachoConfigVersion.cmake \
             share/man/man1/tacho-worker.1 share/man/man5/tacho.conf.5 \
             share/man/man7/tacho-sink.7 share/doc/tacho/CONFIG.md \
             share/doc/tacho/examples/conf/tacho.conf; do
        [ -e "$prefix/$f" ] || { echo "missing $f"; return 1; }
    done
    for s in log csv prometheus http_json; do
        [ -f "$prefix/lib/tacho/sinks/tacho_sink_$s.so" ] ||
            { echo "missing sink $s"; return 1; }
    done
    # Test-only sinks and private headers must not be installed.
    [ -z "$(ls "$prefix/lib/tacho/sinks" | grep -v -E '^tacho_sink_(log|csv|prometheus|http_json)\.so$')" ]
    ! ls "$prefix/include/tacho" | grep -q internal
}
check "install layout" layout
check "SONAME is libtacho.so.1" \
    sh -c "readelf -d '$prefix/lib/libtacho.so.1' | grep -q 'SONAME.*libtacho.so.1'"

list_sinks() {
    env -i "$prefix/bin/tacho-worker" --list-plugins >"$tmp/list"
    for s in log csv prometheus http_json; do
        grep -q "$prefix/lib/tacho/sinks/tacho_sink_$s.so" "$tmp/list" ||
            { cat "$tmp/list"; return 1; }
    done
}
check "installed worker finds installed sinks, empty environment" list_sinks
check "installed example config passes --check-config" \
    env -i "$prefix/bin/tacho-worker" --check-config \
        "$prefix/share/doc/tacho/examples/conf/tacho.conf"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "pkg-config finds tacho 1.0.0" \
    sh -c '[ "$(pkg-config --modversion tacho)" = 1.0.0 ]'

statsd_pkgconfig() {
    cc -std=c11 -Wall -Wextra -Werror -shared -fPIC \
        -o "$tmp/tacho_sink_statsd.so" \
        "$src/examples/sinks/statsd/statsd.c" \
        $(pkg-config --cflags --libs tacho)
    cat >"$tmp/statsd.conf" <<CONF
tacho: { plugin_path = [ "$tmp" ]; };
sinks = ( { plugin = "statsd"; } );
CONF
    env -i "$prefix/bin/tacho-worker" --check-config "$tmp/statsd.conf"
    env -i "$prefix/bin/tacho-worker" -c "$tmp/statsd.conf" \
        --plugin-doc statsd | grep -q '| `port`'
}
check "custom sink built with pkg-config loads in the installed worker" \
    statsd_pkgconfig

find_package_version() {
    mkdir -p "$tmp/fp"
    cat >"$tmp/fp/CMakeLists.txt" <<'CML'
cmake_minimum_required(VERSION 3.25)
project(fp C)
find_package(tacho ${WANT} REQUIRED)
add_executable(fp main.c)
target_link_libraries(fp PRIVATE tacho::tacho)
CML
    cat >"$tmp/fp/main.c" <<'C'
#include <stdio.h>
#include <tacho/tacho.h>
int main(void)
{
    tacho_collector_t *c;
    if (tacho_collector_create(NULL, &c, NULL) != 0) {
        return 1;
    }
    tacho_record(c, "x", 1000, true);
    tacho_snapshot_t *s;
    if (tacho_snapshot_take(c, &s) != 0) {
        return 1;
    }
    int ok = tacho_stats_runs(tacho_snapshot_total(s), TACHO_SCOPE_LIFETIME) == 1;
    tacho_snapshot_free(s);
    tacho_collector_free(c);
    puts(tacho_version_string());
    return ok ? 0 : 1;
}
C
    cmake -S "$tmp/fp" -B "$tmp/fp/b" -DWANT=1.0 "${san_flags[@]}" \
        -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    cmake --build "$tmp/fp/b" >/dev/null
    [ "$("$tmp/fp/b/fp")" = 1.0.0 ]
    # A different major must be refused.
    ! cmake -S "$tmp/fp" -B "$tmp/fp/b2" -DWANT=2.0 \
        -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1
}
check "find_package(tacho 1.0) links and runs; 2.0 is refused" \
    find_package_version

man_pages() {
    for m in man1/tacho-worker.1 man5/tacho.conf.5 man7/tacho-sink.7; do
        man --warnings -l "$prefix/share/man/$m" 2>&1 >/dev/null |
            { ! grep .; }
    done
}
check "man pages render without warnings" man_pages

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
