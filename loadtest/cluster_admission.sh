#!/usr/bin/env bash
# Admission accuracy across three instances (issue 13, guarantee 4): each instance is limited to
# RATE starts/s (--admission-rate, burst BURST, no wait) and offered RATE/s, so the cluster is offered
# 3 x RATE/s; with the shared GCRA buckets in Redis it must admit RATE/s +- 5 % in total (three
# separate per-instance buckets would admit 3 x RATE/s).
#
# Usage (from the checkout, after the release builds):
#   cargo build --release --bin expressway && cargo build --release -p expressway-loadtest --bin expressway-loadtest
#   bash loadtest/cluster_admission.sh
# Settings (environment): RATE=300 DURATION=20 BURST=10 MAX_WAIT_MS=0 (a burst of 1 would lose the
# slot of every start that arrives a hair before its token, whatever the cluster does)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=${EXPRESSWAY_BIN:-$TARGET/release/expressway}
LOAD_BIN=${LOADTEST_BIN:-$TARGET/release/expressway-loadtest}
RATE=${RATE:-300}
DURATION=${DURATION:-20}
BURST=${BURST:-10}
MAX_WAIT_MS=${MAX_WAIT_MS:-0}
WORK=$(mktemp -d)
ARN="arn:aws:states:us-east-1:123456789012:stateMachine:limited"

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
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

mkdir -p "$WORK/defs"
echo '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}' >"$WORK/defs/limited.asl.json"
echo '{"n": {{n}}}' >"$WORK/input.json"

declare -A PORT
for n in a b c; do
  PORT[$n]=$(free_port)
  nice -n 10 "$SERVER_BIN" serve --port "${PORT[$n]}" --definitions "$WORK/defs" --cluster "redis://127.0.0.1:$RPORT" \
    --node-id "$n" --admission-rate "$RATE" --admission-burst "$BURST" --admission-max-wait-ms "$MAX_WAIT_MS" \
    >"$WORK/$n.log" 2>&1 &
  PIDS+=($!)
done
for n in a b c; do
  for _ in $(seq 200); do grep -q listening "$WORK/$n.log" && break; sleep 0.05; done
done

echo "load before: $(uptime)"
LOADERS=()
for n in a b c; do
  nice -n 10 "$LOAD_BIN" --target http --endpoint "http://127.0.0.1:${PORT[$n]}/" --state-machine-arn "$ARN" \
    --operation start-sync --input "$WORK/input.json" --rate "$RATE" --duration "$DURATION" --warmup 0 --quiet \
    >"$WORK/load-$n.txt" 2>&1 &
  LOADERS+=($!)
done
for p in "${LOADERS[@]}"; do wait "$p" || true; done
echo "load after: $(uptime)"

admitted=0; throttled=0; sent=0
for n in a b c; do
  line=$(grep -E '^\{' "$WORK/load-$n.txt" | tail -1)
  read -r s t x w < <(python3 -c "import json,sys; j=json.loads(sys.argv[1]); print(j['succeeded'], j['throttled'], j['sent'], j['wall_s'])" "$line")
  echo "instance $n: offered $x, admitted $s, throttled $t"
  admitted=$((admitted + s)); throttled=$((throttled + t)); sent=$((sent + x))
done
python3 - "$admitted" "$throttled" "$sent" "$RATE" "$DURATION" "$BURST" <<'PY'
import sys
admitted, throttled, sent, rate, duration, burst = map(float, sys.argv[1:])
expected = rate * duration + burst
error = 100 * (admitted - expected) / expected
print(f"offered {sent:.0f} ({3 * rate:.0f}/s) to 3 instances limited to {rate:.0f}/s for {duration:.0f} s:")
print(f"admitted {admitted:.0f} = {admitted / duration:.1f}/s against {rate:.0f}/s expected ({error:+.2f} %), throttled {throttled:.0f}")
print("PASS: within 5 %" if abs(error) <= 5 else "FAIL: off by more than 5 %")
sys.exit(0 if abs(error) <= 5 else 1)
PY
