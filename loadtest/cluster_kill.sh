#!/usr/bin/env bash
# Crash test of a three-instance cluster (issue 13, guarantee 2).
#
# 1. redis-server on a free loopback port (append-only file), three `expressway serve --cluster`
#    instances (a, b, c), one EXPRESS machine that waits WAIT_S s (TimeoutSeconds TIMEOUT_S).
# 2. Three open-loop generators send StartExecution at RATE/3 per second each, one per instance,
#    for DURATION s (plus 1 s warm-up); KILL_AT s in, instance b is killed with SIGKILL.
# 3. After the deadline plus the reclaim margin, every start the generators saw accepted must have
#    a record that ended SUCCEEDED (accepted = completed, 0 lost); the survivors' /metrics count the
#    re-runs (duplicates); the time from the kill until the last re-run ended is printed.
#
# Usage (from the checkout, after the release builds):
#   cargo build --release --bin expressway && cargo build --release -p expressway-loadtest --bin expressway-loadtest
#   bash loadtest/cluster_kill.sh
# Settings (environment): RATE=500 DURATION=15 KILL_AT=8 WAIT_S=1 TIMEOUT_S=3 MARGIN_MS=1000
# The records must fit the retention (10,000 by default): RATE x DURATION <= 10,000.
# Measured (2 shared cores, load average 0.5, defaults): 6,493 accepted = 6,493 SUCCEEDED, 0 lost,
# 167 re-runs, the last start accepted by b ended 5.2 s after the kill (3 s deadline + 1 s margin +
# 1 s Wait); StartExecution p99 about 4 ms on every instance.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=${EXPRESSWAY_BIN:-$TARGET/release/expressway}
LOAD_BIN=${LOADTEST_BIN:-$TARGET/release/expressway-loadtest}
RATE=${RATE:-500}
DURATION=${DURATION:-15}
KILL_AT=${KILL_AT:-8}
WAIT_S=${WAIT_S:-1}
TIMEOUT_S=${TIMEOUT_S:-3}
MARGIN_MS=${MARGIN_MS:-1000}
WORK=$(mktemp -d)
ARN="arn:aws:states:us-east-1:123456789012:stateMachine:slow"

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
redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly yes --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

mkdir -p "$WORK/defs"
cat >"$WORK/defs/slow.asl.json" <<JSON
{"TimeoutSeconds": $TIMEOUT_S, "StartAt": "W", "States": {
  "W": {"Type": "Wait", "Seconds": $WAIT_S, "Next": "P"},
  "P": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": true}}}
JSON
echo '{"n": {{n}}}' >"$WORK/input.json"

declare -A PORT NODE_PID
LOADERS=()
for n in a b c; do
  PORT[$n]=$(free_port)
  "$SERVER_BIN" serve --port "${PORT[$n]}" --definitions "$WORK/defs" --cluster "redis://127.0.0.1:$RPORT" \
    --node-id "$n" --cluster-reclaim-margin-ms "$MARGIN_MS" >"$WORK/$n.log" 2>&1 &
  NODE_PID[$n]=$!
  PIDS+=($!)
done
for n in a b c; do
  for _ in $(seq 200); do grep -q listening "$WORK/$n.log" && break; sleep 0.05; done
done

echo "load: $(uptime)"
EACH=$(python3 -c "print($RATE / 3)")
for n in a b c; do
  "$LOAD_BIN" --target http --endpoint "http://127.0.0.1:${PORT[$n]}/" --state-machine-arn "$ARN" \
    --operation start --input "$WORK/input.json" --rate "$EACH" --duration "$DURATION" --warmup 0 --quiet \
    >"$WORK/load-$n.txt" 2>&1 &
  LOADERS+=($!)
done
sleep $((KILL_AT + 1))
kill -9 "${NODE_PID[b]}"
wait "${NODE_PID[b]}" 2>/dev/null || true
KILLED=$(date +%s.%N)
echo "killed b at +${KILL_AT}s"
for p in "${LOADERS[@]}"; do wait "$p" || true; done
sleep $(python3 -c "print($TIMEOUT_S + $MARGIN_MS / 1000 + $WAIT_S + 2)")

accepted=0
for n in a b c; do
  line=$(grep -E '^\{' "$WORK/load-$n.txt" | tail -1)
  s=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['succeeded'])" "$line")
  echo "instance $n: accepted $s ($(sed -n 3p "$WORK/load-$n.txt"))"
  accepted=$((accepted + s))
done
# Every record by status, and the last end of a start accepted by b (Lua, one round trip).
summary=$(redis-cli -p "$RPORT" --raw EVAL "
local by = {}
local last = 0
for _, arn in ipairs(redis.call('ZRANGE', 'expressway:executions', 0, -1)) do
  local key = 'expressway:execution:' .. arn
  local st = redis.call('HGET', key, 'status') or 'MISSING'
  by[st] = (by[st] or 0) + 1
  local outcome = redis.call('HGET', key, 'outcome')
  if outcome and redis.call('HGET', key, 'node') == 'b' then
    local stop = cjson.decode(outcome).stop
    if stop > last then last = stop end
  end
end
local out = {}
for k, v in pairs(by) do table.insert(out, k .. '=' .. v) end
table.insert(out, 'last_b_end_ms=' .. string.format('%d', last))
return table.concat(out, ' ')" 0)
pending=$(redis-cli -p "$RPORT" XLEN expressway:starts)
dups=0
for n in a c; do
  d=$(curl -s "http://127.0.0.1:${PORT[$n]}/metrics" | awk '/^expressway_cluster_starts_reclaimed_total/ {print $2}')
  dups=$((dups + ${d:-0}))
done
echo "accepted (generators): $accepted"
echo "records: $summary; still in the stream: $pending"
echo "re-runs (duplicates, /metrics of a and c): $dups"
last_b=$(echo "$summary" | tr ' ' '\n' | awk -F= '$1=="last_b_end_ms"{print $2}')
python3 -c "import sys; print('from the kill to the last start accepted by b ending: %.2f s' % (int(sys.argv[1]) / 1000 - float(sys.argv[2])))" "$last_b" "$KILLED"
succeeded=$(echo "$summary" | tr ' ' '\n' | awk -F= '$1=="SUCCEEDED"{print $2}')
others=$(echo "$summary" | tr ' ' '\n' | grep -vcE '^(SUCCEEDED|last_b_end_ms)=' || true)
[[ ${succeeded:-0} -ge $accepted && $pending == 0 && $others == 0 ]] && echo "PASS: accepted = completed, 0 lost" || { echo "FAIL"; exit 1; }
