#!/usr/bin/env bash
# A/B of two proxy builds sharing one core at the same time: A and B are both pinned to cpu1, each
# driven by its own wrk (cpu0) against one nginx upstream (cpu0). With the core saturated the
# scheduler gives each half of it, so B/A of the two rps is the inverse ratio of their CPU cost per
# request, and machine drift (a noisy neighbour, frequency changes) hits both alike. Sequential runs
# on this VM spread by ±5–10%; side by side, a round spreads by about ±3%, enough to see a 1–2%
# change with a handful of rounds. It compares builds; bench/RESULTS.md figures come from peers.sh.
#
#   A_CMD="bash /path/to/old-checkout/bench/gateway.sh" B_CMD="bash $PWD/bench/gateway.sh" bash bench/ab.sh
#   ROUNDS=8 DURATION=10 A_CMD=... B_CMD=... bash bench/ab.sh
#
# A_CMD and B_CMD are started like peers.sh's GATEWAY_CMD: with PORT and UPSTREAM in the environment,
# they must listen on 127.0.0.1:$PORT and proxy every path to $UPSTREAM. Needs nginx, wrk, taskset.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${A_CMD:?set A_CMD (the baseline) and B_CMD (the candidate)}" "${B_CMD:?set B_CMD}"
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
UPSTREAM_CONF=${UPSTREAM_CONF:-$HERE/../../shared/bench/conf/upstream.nginx.conf}
for tool in nginx wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "bench/ab.sh: $tool not found (apt-get install -y nginx wrk util-linux curl)" >&2; exit 1; }
done
[ -f "$UPSTREAM_CONF" ] || { echo "bench/ab.sh: $UPSTREAM_CONF not found (set UPSTREAM_CONF)" >&2; exit 1; }

RUN=$(mktemp -d /tmp/tollgate-bench-ab.XXXXXX)
UPSTREAM_PORT=18081
sed -e "s#@RUN@#$RUN#g" -e "s#@UPSTREAM_PORT@#$UPSTREAM_PORT#g" "$UPSTREAM_CONF" >"$RUN/upstream.conf"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  nginx -c "$RUN/upstream.conf" -s stop 2>/dev/null || true
}
trap cleanup EXIT

taskset -c 0 nginx -c "$RUN/upstream.conf" -e "$RUN/upstream.err" -g "error_log $RUN/upstream.err;"
export UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT"
start() { # name port command
  PORT=$2 setsid taskset -c 1 bash -c "$3" >"$RUN/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -sf -o /dev/null "http://127.0.0.1:$2/hello" && return 0; sleep 0.2; done
  echo "bench/ab.sh: $1 did not answer on port $2 within 30 s (see $RUN/$1.log)" >&2
  exit 1
}
start A 18090 "$A_CMD"
start B 18091 "$B_CMD"

load() { # seconds: both wrk at once, rps of A and B
  taskset -c 0 wrk -c "$CONNS" -t 1 -d "${1}s" http://127.0.0.1:18090/hello >"$RUN/A.wrk" &
  local a=$!
  taskset -c 0 wrk -c "$CONNS" -t 1 -d "${1}s" http://127.0.0.1:18091/hello >"$RUN/B.wrk"
  wait "$a"
  echo "$(awk '/Requests\/sec/ { print $2 }' "$RUN/A.wrk") $(awk '/Requests\/sec/ { print $2 }' "$RUN/B.wrk")"
}
load 3 >/dev/null # warm-up: JIT, connection pools
ratios=()
for round in $(seq "$ROUNDS"); do
  read -r a b < <(load "$DURATION")
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$ratio")
  echo "round $round: A $a rps, B $b rps, B/A $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median B/A over $ROUNDS rounds: $median (above 1: B costs less CPU per request)"
