#!/usr/bin/env bash
# The cost of plugins on the proxy path: Tollgate with no plugins, with each plugin alone, and with
# key-auth + rate-limiting (local), measured by ../shared/bench/peers.sh (wrk + nginx upstream on
# cpu0, the gateway pinned to cpu1, one worker) and pooled into one table of medians.
#
#   bash bench/plugins.sh                      # every variant, RUNS=3 interleaved rounds
#   VARIANTS="none key-auth,rate-limiting" RUNS=5 bash bench/plugins.sh
#
# Rounds are interleaved (every variant once per round) so drift on a noisy machine hits all alike.
# Every request carries `apikey: k1` (the bench consumer's key), with or without key-auth.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS_SH=${PEERS_SH:-$HERE/../../shared/bench/peers.sh}
[ -f "$PEERS_SH" ] || { echo "bench/plugins.sh: $PEERS_SH not found (set PEERS_SH)" >&2; exit 1; }
RUNS=${RUNS:-3}
VARIANTS=${VARIANTS:-"none key-auth rate-limiting key-auth,rate-limiting key-auth,acl cors correlation-id ip-restriction request-size-limiting request-transformer response-transformer prometheus proxy-cache"}
OUT=$(mktemp -d /tmp/tollgate-bench-plugins.XXXXXX)

for run in $(seq "$RUNS"); do
  for variant in $VARIANTS; do
    name="tollgate+${variant//,/+}"
    [ "$variant" = none ] && name=tollgate
    # node-floor once per round, as the reference the proxy targets are stated against.
    peers="$name"
    [ "$variant" = "${VARIANTS%% *}" ] && peers="node-floor $name"
    log="$OUT/$run-$name.log"
    BENCH_HEADER='apikey: k1' RUNS=1 PEERS="$peers" GATEWAY_NAME="$name" \
      GATEWAY_CMD="env BENCH_PLUGINS=$variant bash $HERE/gateway.sh" bash "$PEERS_SH" >"$log" 2>&1 || true
    dir=$(sed -n 's/.*raw wrk outputs and logs kept in \(.*\)$/\1/p' "$log" | tail -1)
    if [ -n "$dir" ] && [ -s "$dir/results.tsv" ]; then
      awk -F'\t' -v OFS='\t' -v r="$run" '{ $1 = r; print }' "$dir/results.tsv" >>"$OUT/results.tsv"
      grep -h "rps=" "$log" | sed 's/^/  /' >&2
    else
      echo "  $name: no result (see $log)" >&2
    fi
  done
done

# One table: the pooled rows, then each variant against plain Tollgate.
bash "$PEERS_SH" --report "$OUT/results.tsv" | sed -n '1,/^errors =/p'
echo
echo "| variant | rps (median) | x tollgate | throughput cost | p99 ms | p99 vs tollgate |"
echo "|---|---:|---:|---:|---:|---:|"
awk -F'\t' '
  { rps[$2] = rps[$2] " " $3; p99[$2] = p99[$2] " " $5; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
  function median(list,   a, k, i, j, t) {
    k = split(list, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    base = median(rps["tollgate"]); bp = median(p99["tollgate"])
    for (i = 1; i <= n; i++) {
      v = order[i]; if (v == "node-floor") continue
      r = median(rps[v]); p = median(p99[v])
      printf "| %s | %d | %.2f | %.1f%% | %.3f | %+.3f |\n", v, r, r / base, 100 * (1 - r / base), p, p - bp
    }
  }' "$OUT/results.tsv"
echo
echo "rows and logs: $OUT"
