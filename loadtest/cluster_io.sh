#!/usr/bin/env bash
# The cost of --cluster on one instance (issue 13, "Figures"): the same instance with and without
# `--cluster` (Redis on loopback), measured with the project's open-loop generator:
#   1. asynchronous StartExecution at 1,000/s and 3,000/s: p99 (goal: <= 5 ms at 1,000/s with
#      --cluster; the record, the shared admission and DescribeExecution are awaited on the
#      serving shard's own Redis connection, never blocking it);
#   2. StartSyncExecution: the highest rate whose p99 stays under P99_MS (--find-max), with and
#      without --cluster (goal: with >= 80 % of without).
#
# Usage (from the checkout, after the release builds):
#   cargo build --release --bin expressway && cargo build --release -p expressway-loadtest --bin expressway-loadtest
#   bash loadtest/cluster_io.sh
# Settings (environment): DURATION=10 (s per async rate) FIND_DURATION=5 (s per --find-max step)
#   RATES="1000 3000" P99_MS=10 FIND_FROM=500 (the first --find-max rate)
#   NICE=10 (the instance's and the generator's nice level; Redis runs at 0)
#
# Each async line also shows the CPU the instance and Redis spent per start during that run, the
# Redis commands per start and the peak of requests in flight: on a machine shared with other jobs
# a niced instance that gets less CPU than the rate needs falls behind and its p99 grows to seconds
# (with --cluster a start costs about twice the instance's CPU plus Redis's Lua scripts), which is
# what the script's 1,040 ms run was; compare the load average printed with each mode.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=${EXPRESSWAY_BIN:-$TARGET/release/expressway}
LOAD_BIN=${LOADTEST_BIN:-$TARGET/release/expressway-loadtest}
DURATION=${DURATION:-10}
FIND_DURATION=${FIND_DURATION:-5}
RATES=${RATES:-"1000 3000"}
P99_MS=${P99_MS:-10}
FIND_FROM=${FIND_FROM:-500}
NICE=${NICE:-10}
WORK=$(mktemp -d)
ARN="arn:aws:states:us-east-1:123456789012:stateMachine:pay"

for b in "$SERVER_BIN" "$LOAD_BIN"; do
  [[ -x $b ]] || { echo "missing $b: build it first (see the header of $0)" >&2; exit 2; }
done
command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

RPORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
REDIS=$!
PIDS+=($REDIS)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

mkdir -p "$WORK/defs"
cat >"$WORK/defs/pay.asl.json" <<'JSON'
{"StartAt": "Check", "States": {
  "Check": {"Type": "Pass", "Parameters": {"amount.$": "$.amount", "ok": true}, "Next": "Done"},
  "Done": {"Type": "Succeed"}}}
JSON
echo '{"amount": {{n}}}' >"$WORK/input.json"

# serve [extra flags...]: starts one instance, sets PORT and SERVER.
serve() {
  PORT=$(free_port)
  nice -n "$NICE" "$SERVER_BIN" serve --port "$PORT" --definitions "$WORK/defs" "$@" >"$WORK/serve-$PORT.log" 2>&1 &
  SERVER=$!
  PIDS+=($SERVER)
  for _ in $(seq 200); do grep -q listening "$WORK/serve-$PORT.log" && return; sleep 0.05; done
  echo "the instance did not start" >&2; cat "$WORK/serve-$PORT.log" >&2; exit 1
}

load() { # load OPERATION RATE [extra]
  local op=$1 rate=$2; shift 2
  nice -n "$NICE" "$LOAD_BIN" --target http --endpoint "http://127.0.0.1:$PORT/" --state-machine-arn "$ARN" \
    --operation "$op" --input "$WORK/input.json" --rate "$rate" --duration "$DURATION" --quiet "$@" 2>&1 \
    | grep -E '^\{' | tail -1
}

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # user + system CPU, 1/100 s
redis_calls() { redis-cli -p "$RPORT" INFO commandstats | awk -F'[=,]' '/^cmdstat_/ {n += $2} END {print n + 0}'; }
# per_start TICKS STARTS: µs of CPU per start.
per_start() { python3 -c "import sys; print(round(float(sys.argv[1]) * 1e4 / max(1, float(sys.argv[2]))))" "$1" "$2"; }

declare -A SYNC
for mode in without with; do
  if [[ $mode == with ]]; then serve --cluster "redis://127.0.0.1:$RPORT" --node-id io; else serve; fi
  echo "== $mode --cluster (load: $(uptime | sed 's/.*load average/load average/'))"
  for rate in $RATES; do
    s0=$(ticks "$SERVER"); r0=$(ticks "$REDIS"); c0=$(redis_calls)
    r=$(load start "$rate")
    sent=$(field "$r" sent)
    cpu="instance $(per_start $(( $(ticks "$SERVER") - s0 )) "$sent") µs"
    if [[ $mode == with ]]; then
      cpu="$cpu + Redis $(per_start $(( $(ticks "$REDIS") - r0 )) "$sent") µs CPU per start, $(python3 -c "import sys; print(round((int(sys.argv[1]) - int(sys.argv[2])) / max(1, int(sys.argv[3])), 1))" "$(redis_calls)" "$c0" "$sent") Redis commands per start (those inside its scripts included)"
    else
      cpu="$cpu CPU per start"
    fi
    echo "StartExecution $rate/s: p50 $(field "$r" p50_ms) ms, p99 $(field "$r" p99_ms) ms, max $(field "$r" max_ms) ms, ok $(field "$r" succeeded)/$sent, errors $(field "$r" errors), throttled $(field "$r" throttled), peak in flight $(field "$r" peak_in_flight); $cpu (load: $(uptime | sed 's/.*load average: //'))"
  done
  r=$(DURATION=$FIND_DURATION load start-sync "$FIND_FROM" --find-max --p99-ms "$P99_MS" || true)
  if [[ -z $r ]]; then
    SYNC[$mode]=0
    echo "StartSyncExecution: no rate from $FIND_FROM/s held p99 <= $P99_MS ms"
  else
    SYNC[$mode]=$(field "$r" rate)
    echo "StartSyncExecution: highest rate with p99 <= $P99_MS ms: ${SYNC[$mode]}/s (p99 $(field "$r" p99_ms) ms)"
  fi
  kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true
done
python3 -c "import sys; w, wo = float(sys.argv[1]), float(sys.argv[2]); print('StartSyncExecution with --cluster: %.0f %% of without' % (100 * w / wo if wo else 0))" "${SYNC[with]}" "${SYNC[without]}"
echo "load at the end: $(uptime)"
