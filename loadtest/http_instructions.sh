#!/usr/bin/env bash
# Instructions per HTTP StartSyncExecution (pass-only payment), counted by callgrind in the server,
# against nginx answering the same request with a fixed body: a figure that a shared, loaded
# machine does not move (throughput ratios from loadtest/http_vs_nginx.sh swing 2× between rounds).
#
# Each server runs under `valgrind --tool=callgrind` (nginx with `master_process off`: one process);
# oha sends WARMUP requests, the counters are dumped (callgrind_control -d: a dump zeroes them), oha
# sends REQUESTS more (16 connections), the counters are dumped again; that second dump's total ÷
# REQUESTS is the user-space instructions per request (the kernel's share, TCP and system calls, is
# not counted).
#
# Usage (from the checkout):
#   cargo build --release --bin expressway
#   OHA=/opt/oha/bin/oha bash loadtest/http_instructions.sh
#   BASELINE_BIN=/tmp/expressway-before OHA=... bash loadtest/http_instructions.sh   # before/after
# Settings (environment): REQUESTS=2000 WARMUP=300 EXPRESSWAY_BIN OHA NGINX BASELINE_BIN DEFINITION
# Only 127.0.0.1 is used; every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=${EXPRESSWAY_BIN:-$TARGET/release/expressway}
OHA=${OHA:-$(command -v oha || echo /opt/oha/bin/oha)}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DEFINITION=${DEFINITION:-$ROOT/../shared/anchors/workflows/payment-pass-only.asl.json}
INPUT=${INPUT:-$ROOT/../shared/anchors/workflows/payment-input.json}
REQUESTS=${REQUESTS:-2000}
WARMUP=${WARMUP:-300}
BASELINE_BIN=${BASELINE_BIN:-}
WORK=$(mktemp -d)

for b in "$SERVER_BIN" "$OHA" "$NGINX" "$(command -v valgrind)" "$(command -v callgrind_control)"; do
  [[ -x $b ]] || { echo "missing $b (see the header of $0)" >&2; exit 2; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port, pid, name (valgrind starts slowly: up to 60 s)
  for _ in $(seq 600); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "$3 exited" >&2; return 1; }
    sleep 0.1
  done
  echo "$3 did not listen on $1" >&2
  return 1
}
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
trap stop_all EXIT

mkdir -p "$WORK/defs"
cp "$DEFINITION" "$WORK/defs/"
NAME=$(basename "$DEFINITION" .asl.json)
python3 - "arn:aws:states:us-east-1:123456789012:stateMachine:$NAME" "$INPUT" >"$WORK/request.json" <<'EOF'
import json, sys
print(json.dumps({"stateMachineArn": sys.argv[1], "input": open(sys.argv[2]).read()}), end="")
EOF
HDR_TARGET='x-amz-target: AWSStepFunctions.StartSyncExecution'
HDR_TYPE='content-type: application/x-amz-json-1.0'

send() { # port, count
  "$OHA" --no-tui --output-format json -c 16 -n "$2" -m POST -H "$HDR_TARGET" -H "$HDR_TYPE" \
    -D "$WORK/request.json" "http://127.0.0.1:$1/" >"$WORK/last.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d.get("statusCodeDistribution",{}); assert c.get("200",0)==int(sys.argv[2]), (c, d.get("errorDistribution"))' \
    "$WORK/last.json" "$2"
}

# count NAME PORT PID: instructions per request of the callgrind-run process PID.
count() {
  local name=$1 port=$2 pid=$3
  send "$port" "$WARMUP"
  callgrind_control -d "$name-warm" "$pid" >/dev/null
  send "$port" "$REQUESTS"
  callgrind_control -d "$name" "$pid" >/dev/null
  sleep 1
  python3 - "$WORK" "$name" "$REQUESTS" <<'EOF'
import glob, sys
w, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
total = 0
for f in glob.glob(f"{w}/{name}.out*"):
    text = open(f, errors="replace").read()
    if f"desc: Trigger: dump {name}" not in text.splitlines():
        continue
    for line in text.splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            total += int(line.split()[1])
            break
print(f"{name:<12} {total / n:>10,.0f} instructions/request ({total:,} for {n})")
open(f"{w}/{name}.ipr", "w").write(str(total / n))
EOF
}

run_expressway() { # name, binary
  local port
  port=$(free_port)
  valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$WORK/$1.out.%p" \
    "$2" serve --host 127.0.0.1 --port "$port" --definitions "$WORK/defs" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port" "$pid" "$1" || { tail "$WORK/$1.log" >&2; exit 2; }
  count "$1" "$port" "$pid"
  kill "$pid" 2>/dev/null || true
}

# nginx: one process answering expressway's body for the request.
EW_PORT=$(free_port)
"$SERVER_BIN" serve --host 127.0.0.1 --port "$EW_PORT" --definitions "$WORK/defs" >"$WORK/plain.log" 2>&1 &
PLAIN=$!
PIDS+=("$PLAIN")
wait_port "$EW_PORT" "$PLAIN" expressway
curl -sf "http://127.0.0.1:$EW_PORT/" -H "$HDR_TARGET" -H "$HDR_TYPE" --data-binary @"$WORK/request.json" \
  >"$WORK/answer.json"
kill "$PLAIN"
NG_PORT=$(free_port)
mkdir -p "$WORK/nginx"
python3 - "$WORK" "$NG_PORT" <<'EOF'
import sys
from pathlib import Path
work, port = sys.argv[1:]
body = Path(f"{work}/answer.json").read_text()
assert "$" not in body
quoted = body.replace("\\", "\\\\").replace("'", "\\'")
p = f"{work}/nginx"
Path(f"{p}/nginx.conf").write_text(f"""master_process off;
daemon off;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {p}/body; proxy_temp_path {p}/proxy; fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi; scgi_temp_path {p}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type application/x-amz-json-1.0; return 200 '{quoted}'; }}
    }}
}}
""")
EOF
valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$WORK/nginx.out.%p" \
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 &
NG=$!
PIDS+=("$NG")
wait_port "$NG_PORT" "$NG" nginx
count nginx "$NG_PORT" "$NG"
kill "$NG" 2>/dev/null || true

[[ -z $BASELINE_BIN ]] || run_expressway baseline "$BASELINE_BIN"
run_expressway expressway "$SERVER_BIN"

python3 - "$WORK" <<'EOF'
import sys
from pathlib import Path
w = sys.argv[1]
ng = float(Path(f"{w}/nginx.ipr").read_text())
for name in ("baseline", "expressway"):
    f = Path(f"{w}/{name}.ipr")
    if f.exists():
        v = float(f.read_text())
        print(f"{name}: {v / ng:.1f}× nginx's instructions per request (nginx ÷ {name} = {ng / v * 100:.1f} %)")
EOF
