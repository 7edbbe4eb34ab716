#!/usr/bin/env bash
# Instructions per payment execution, counted by callgrind (deterministic: the
# count does not depend on the machine's load, unlike a time).
#
# Method: `expressway-anchor-bench <definition> --modes seq --warm 0` runs
# executions one at a time on a shard; callgrind counts every instruction of
# the process. A run with `--secs 0` (start-up, compile, the first checked
# execution, shut-down) is subtracted from a run with `--secs $SECS`, and the
# difference is divided by the executions that run made (the `n` of its JSON
# line). What remains per execution also holds the bench's own loop (dropping
# the output, the input's copy and `paymentId`, the options' ARNs, timing:
# about 7,650 of 42,531 at the speed4 branch's end) and the five example
# handlers (about 4,700); `Engine::execute_stoppable` inclusive in
# `callgrind_annotate --inclusive=yes $OUT/run.out`, divided by `n`, is the
# engine's share with the handlers (`anchor_tasks::{{closure}}` the handlers').
#
# Usage: bash loadtest/callgrind-payment.sh [definition.json]
#   default definition: ../shared/anchors/workflows/payment.asl.json
# Env: SECS (default 2; under callgrind about 1,000 executions a second),
#   BIN (the bench binary; default: built here with `cargo build --release`),
#   OUT (folder for the callgrind profiles, default /tmp/callgrind-payment;
#   read them with `callgrind_annotate $OUT/run.out`).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DEF="${1:-$ROOT/../shared/anchors/workflows/payment.asl.json}"
SECS="${SECS:-2}"
OUT="${OUT:-/tmp/callgrind-payment}"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -f "$DEF" ] || { echo "definition not found: $DEF" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -p expressway-loadtest --bin expressway-anchor-bench) >&2
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/expressway-anchor-bench"
fi
mkdir -p "$OUT"

# Runs the bench under callgrind for $1 seconds; prints "<instructions> <executions>".
count() {
  local secs=$1 log="$OUT/valgrind-$1.log"
  local json
  json=$(valgrind --tool=callgrind --callgrind-out-file="$OUT/run-$secs.out" --log-file="$log" \
    "$BIN" "$DEF" --modes seq --warm 0 --secs "$secs" | grep '^{')
  local ir
  ir=$(grep -o 'Collected : [0-9]*' "$log" | grep -o '[0-9]*$')
  local n
  n=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["n"])' "$json")
  echo "$ir $n"
}

read -r base _ < <(count 0)
read -r total n < <(count "$SECS")
cp "$OUT/run-$SECS.out" "$OUT/run.out"
python3 - "$base" "$total" "$n" "$DEF" <<'EOF'
import sys
base, total, n, definition = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"definition: {definition}")
print(f"start-up run: {base:,} instructions; measured run: {total:,} instructions, {n:,} executions")
print(f"instructions per execution: {(total - base) / max(n, 1):,.0f}")
EOF
