#!/usr/bin/env bash
# Where the instructions of one HTTP StartSyncExecution (pass-only payment) go: the server runs
# under `valgrind --tool=callgrind`, oha sends WARMUP requests, the counters are dumped, oha sends
# REQUESTS more (16 connections), the counters are dumped again; that second dump, divided by
# REQUESTS, is printed as self cost per function (loadtest/callgrind_self.py). The dump stays in
# OUT for more questions:
#   python3 loadtest/callgrind_self.py --callers DUMP 'function substring' REQUESTS
#   callgrind_annotate --inclusive=yes DUMP | head -80
# loadtest/http_instructions.sh gives the per-request totals against nginx; this script the
# per-function profile behind them.
#
# Usage (from the checkout):
#   cargo build --release --bin expressway
#   OHA=/opt/oha/bin/oha bash loadtest/http_profile.sh
# Settings (environment): EXPRESSWAY_BIN (a copy of a build: cargo may rewrite target/ while
#   the profile runs) REQUESTS=2000 WARMUP=300 TOP=60 OUT (default a new temporary folder)
#   DEFINITION INPUT OHA
# Only 127.0.0.1 is used; every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=${EXPRESSWAY_BIN:-$TARGET/release/expressway}
OHA=${OHA:-$(command -v oha || echo /opt/oha/bin/oha)}
DEFINITION=${DEFINITION:-$ROOT/../shared/anchors/workflows/payment-pass-only.asl.json}
INPUT=${INPUT:-$ROOT/../shared/anchors/workflows/payment-input.json}
REQUESTS=${REQUESTS:-2000}
WARMUP=${WARMUP:-300}
TOP=${TOP:-60}
OUT=${OUT:-$(mktemp -d)}

for b in "$SERVER_BIN" "$OHA" "$(command -v valgrind)" "$(command -v callgrind_control)"; do
  [[ -x $b ]] || { echo "missing $b (see the header of $0)" >&2; exit 2; }
done
mkdir -p "$OUT/defs"
cp "$DEFINITION" "$OUT/defs/"
NAME=$(basename "$DEFINITION" .asl.json)
python3 - "arn:aws:states:us-east-1:123456789012:stateMachine:$NAME" "$INPUT" >"$OUT/request.json" <<'PY'
import json, sys
print(json.dumps({"stateMachineArn": sys.argv[1], "input": open(sys.argv[2]).read()}), end="")
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$OUT/cg.%p" \
  "$SERVER_BIN" serve --host 127.0.0.1 --port "$PORT" --definitions "$OUT/defs" >"$OUT/serve.log" 2>&1 &
SERVER=$!
stop() {
  kill "$SERVER" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 600); do # valgrind starts slowly: up to 60 s
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/serve.log" >&2; exit 2; }
  sleep 0.1
done
send() { # count
  "$OHA" --no-tui --output-format json -c 16 -n "$1" -m POST \
    -H 'x-amz-target: AWSStepFunctions.StartSyncExecution' -H 'content-type: application/x-amz-json-1.0' \
    -D "$OUT/request.json" "http://127.0.0.1:$PORT/" >"$OUT/oha.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d.get("statusCodeDistribution",{}); assert c.get("200",0)==int(sys.argv[2]), (c, d.get("errorDistribution"))' \
    "$OUT/oha.json" "$1"
}
send "$WARMUP"
callgrind_control -d warm "$SERVER" >/dev/null
send "$REQUESTS"
callgrind_control -d measured "$SERVER" >/dev/null
sleep 1
DUMP=$(grep -l "Trigger: dump measured" "$OUT"/cg.*.* | head -1)
echo "dump: $DUMP ($REQUESTS requests)"
python3 "$ROOT/loadtest/callgrind_self.py" "$DUMP" "$REQUESTS" "$TOP"
