#!/usr/bin/env bash
# Tollgate as the gateway under test in ../shared/bench/peers.sh: a DB-less data plane with one
# route sending every path to $UPSTREAM, on 127.0.0.1:$PORT, one worker.
# BENCH_PLUGINS (comma list, default none) enables bundled plugins on that route with the configs
# below; key-auth's consumer has the key `k1` (send BENCH_HEADER='apikey: k1') and is in group `bench`.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PORT:?PORT is set by peers.sh}" "${UPSTREAM:?UPSTREAM is set by peers.sh}"
DIR=$(mktemp -d /tmp/tollgate-bench-gw.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

plugin_yaml() {
  case $1 in
    key-auth) echo '{ name: key-auth, config: { key_names: [apikey] } }' ;;
    basic-auth) echo '{ name: basic-auth }' ;;
    acl) echo '{ name: acl, config: { allow: [bench] } }' ;;
    rate-limiting) echo '{ name: rate-limiting, config: { second: 1000000000, hour: 1000000000, policy: local } }' ;;
    cors) echo "{ name: cors, config: { origins: ['*'] } }" ;;
    correlation-id) echo '{ name: correlation-id }' ;;
    ip-restriction) echo "{ name: ip-restriction, config: { allow: ['127.0.0.0/8'] } }" ;;
    request-size-limiting) echo '{ name: request-size-limiting }' ;;
    request-transformer) echo "{ name: request-transformer, config: { add: { headers: ['x-bench:1'] }, remove: { headers: [x-drop] } } }" ;;
    response-transformer) echo "{ name: response-transformer, config: { add: { headers: ['x-bench:1'] }, remove: { headers: [x-drop] } } }" ;;
    prometheus) echo '{ name: prometheus, config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true } }' ;;
    proxy-cache) echo "{ name: proxy-cache, config: { strategy: memory, content_type: ['application/json'] } }" ;;
    *) echo "bench/gateway.sh: no bench config for plugin '$1'" >&2; exit 2 ;;
  esac
}

PLUGINS=""
IFS=',' read -r -a names <<<"${BENCH_PLUGINS:-}"
for name in "${names[@]}"; do
  if [ -n "$name" ] && [ "$name" != none ]; then PLUGINS+="
          - $(plugin_yaml "$name")"; fi
done

cat > "$DIR/kong.yml" <<YAML
_format_version: "3.0"
consumers:
  - username: bench
    keyauth_credentials: [{ key: k1 }]
    acls: [{ group: bench }]
services:
  - name: bench
    url: ${UPSTREAM}
    routes:
      - name: all
        paths: [/]
        strip_path: false
        plugins:${PLUGINS:- []}
YAML
NODE=${NODE24:-node}
"$NODE" "$HERE/../packages/cli/bin/tollgate.js" start --role data_plane --declarative-config "$DIR/kong.yml" \
  --prefix "$DIR" --proxy-listen "127.0.0.1:$PORT" --status-listen off --workers "${WORKERS:-1}"
