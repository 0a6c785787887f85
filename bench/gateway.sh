#!/usr/bin/env bash
# Tollgate as the gateway under test in ../shared/bench/peers.sh: a DB-less data plane with one
# route sending every path to $UPSTREAM, on 127.0.0.1:$PORT, one worker, no plugins.
# Optional: BENCH_PLUGINS='key-auth,rate-limiting' style YAML fragments come with the plugins issue.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PORT:?PORT is set by peers.sh}" "${UPSTREAM:?UPSTREAM is set by peers.sh}"
DIR=$(mktemp -d /tmp/tollgate-bench-gw.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
cat > "$DIR/kong.yml" <<YAML
_format_version: "3.0"
services:
  - name: bench
    url: ${UPSTREAM}
    routes:
      - name: all
        paths: [/]
        strip_path: false
YAML
NODE=${NODE24:-node}
"$NODE" "$HERE/../packages/cli/bin/tollgate.js" start --role data_plane --declarative-config "$DIR/kong.yml" \
  --prefix "$DIR" --proxy-listen "127.0.0.1:$PORT" --status-listen off --workers "${WORKERS:-1}"
