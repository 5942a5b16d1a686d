#!/usr/bin/env bash
# TLS and credentials on both HTTP sinks, checked with the curl command on
# loopback against a real tacho-worker (issue 6, security): each sink serves
# HTTPS with a certificate and key from files and asks for a bearer token
# or basic credentials from files.
#   - the right token or user:password over HTTPS: 200 with the metrics;
#   - none, a wrong one, or the token sent as basic: 401 with a
#     WWW-Authenticate header for each scheme configured;
#   - /healthz of http_json answers without credentials;
#   - plain HTTP on the TLS port gets no metrics.
#   BUILD_DIR (default build-test) names a built tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build-test}
work=$(mktemp -d /tmp/tacho-tls-XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
expect() { # expect WHAT WANT GOT
    if [ "$2" = "$3" ]; then echo "  ok: $1 ($3)"; else echo "FAIL: $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" \
    -out "$work/cert.pem" 2>/dev/null
printf 'S3cret-t0ken\n' >"$work/token"
printf 'scraper:pa55 word\n' >"$work/basic"
chmod 600 "$work/token" "$work/basic" "$work/key.pem"
PROM=$(port)
JSON=$(port)
secure="tls_cert_file = \"$work/cert.pem\"; tls_key_file = \"$work/key.pem\";
  auth_token_file = \"$work/token\"; auth_basic_file = \"$work/basic\";"
cat >"$work/worker.conf" <<EOF
tacho = { worker = "tls"; interval = 1.0; };
sinks = (
  { plugin = "prometheus"; listen = "127.0.0.1:$PROM"; $secure },
  { plugin = "http_json"; listen = "127.0.0.1:$JSON"; $secure }
);
jobs = ( { name = "tick"; argv = ["/bin/true"]; every = 0.5; } );
EOF
"$build/bin/tacho-worker" -c "$work/worker.conf" >"$work/worker.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null --cacert "$work/cert.pem" "https://127.0.0.1:$JSON/healthz" && break
    sleep 0.1
done

code() { curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' --cacert "$work/cert.pem" "$@" || true; }
for target in "$PROM /metrics" "$JSON /metrics.json"; do
    set -- $target
    url="https://127.0.0.1:$1$2"
    expect "$2 with the token" 200 "$(code -H 'Authorization: Bearer S3cret-t0ken' "$url")"
    expect "$2 body is the metrics" yes "$(grep -qE '^# HELP|"schemaVersion"' "$work/body" && echo yes || echo no)"
    expect "$2 with user:password" 200 "$(code -u 'scraper:pa55 word' "$url")"
    expect "$2 without credentials" 401 "$(code "$url")"
    expect "$2 names both schemes" 2 "$(grep -ciE '^www-authenticate: (bearer|basic)' "$work/headers")"
    expect "$2 with a wrong token" 401 "$(code -H 'Authorization: Bearer S3cret-t0keN' "$url")"
    expect "$2 with a wrong password" 401 "$(code -u 'scraper:pa55 wore' "$url")"
    expect "$2 with the token as basic" 401 "$(code -u 'S3cret-t0ken:' "$url")"
    plain=$(curl -s --max-time 3 "http://127.0.0.1:$1$2" || true)
    expect "$2 over plain HTTP gives no metrics" no "$(echo "$plain" | grep -qE '^# HELP|schemaVersion' && echo yes || echo no)"
done
expect "/healthz needs no credentials" 200 "$(code "https://127.0.0.1:$JSON/healthz")"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
expect "worker exit on SIGTERM" 0 "$status"
if [ "$failures" -gt 0 ]; then
    tail -20 "$work/worker.log"
    echo "tls_auth_e2e: $failures failure(s)"
    exit 1
fi
echo "tls_auth_e2e: OK"
