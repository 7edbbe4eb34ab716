#!/usr/bin/env bash
# HTTP StartSyncExecution of the pass-only payment vs nginx answering a fixed body, both driven by
# the same independent generator (oha), in one run (issue 12).
#
# 1. nginx (unprivileged, its prefix in a scratch folder, as loadtest/nginx.conf runs it) on a free
#    loopback port answers every request with a fixed 200 body: the body expressway answers for the
#    same request (captured first), content type application/x-amz-json-1.0.
# 2. `expressway serve` on another free loopback port with ../shared/anchors/workflows/
#    payment-pass-only.asl.json (shards: one per core, the default), admission raised to
#    ADMISSION_RATE starts/s (burst as much): the default bucket (10,000/s, burst 10,000) caps a
#    4 s round at 12,500/s, which measures the admission limit, not the HTTP path.
# 3. oha sends the same StartSyncExecution POST to both:
#    a. throughput: 16 connections, as fast as they go, DURATION s each, `-w` (requests still in
#       flight at the deadline are waited for), ROUNDS rounds alternating nginx / expressway so
#       that the machine's noise falls on both; per round the ratio = expressway req/s ÷ nginx
#       req/s, and the median of the rounds' ratios is the figure (a shared machine's noise moves
#       single rounds by 2× either way).
#    b. latency: open loop at RATE/s (`-q RATE --latency-correction`: from the intended start, no
#       coordinated omission; 16 connections, `-w`), LATENCY_DURATION s each:
#       p50 / p99 of each.
# 4. Both are stopped (trap). Goals: ratio ≥ 50 %, expressway p99 ≤ 2 ms at 1,000/s.
#
# Usage (from the checkout):
#   cargo build --release --bin expressway
#   cargo install oha --locked --root /opt/oha     # or OHA=path/to/oha
#   bash loadtest/http_vs_nginx.sh
# Settings (environment): DURATION=4 ROUNDS=5 RATE=1000 LATENCY_DURATION=10 CONNECTIONS=16
#   NGINX_WORKERS=auto ADMISSION_RATE=1000000 EXPRESSWAY_BIN OHA NGINX DEFINITION (default the
#   pass-only payment)
#   BASELINE_BIN=path/to/another/expressway: served too and measured in the same rounds (a
#   before/after comparison in one run).
# Prints one line per measurement, then a summary table; JSON lines of oha in $WORK.
# Only 127.0.0.1 is driven; every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=${EXPRESSWAY_BIN:-$TARGET/release/expressway}
OHA=${OHA:-$(command -v oha || echo /opt/oha/bin/oha)}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DEFINITION=${DEFINITION:-$ROOT/../shared/anchors/workflows/payment-pass-only.asl.json}
INPUT=${INPUT:-$ROOT/../shared/anchors/workflows/payment-input.json}
DURATION=${DURATION:-4}
ROUNDS=${ROUNDS:-5}
BASELINE_BIN=${BASELINE_BIN:-}
ADMISSION_RATE=${ADMISSION_RATE:-1000000}
SERVE_FLAGS=(--admission-rate "$ADMISSION_RATE" --admission-burst "$ADMISSION_RATE")
RATE=${RATE:-1000}
LATENCY_DURATION=${LATENCY_DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
WORK=$(mktemp -d)

for b in "$SERVER_BIN" "$OHA" "$NGINX"; do
  [[ -x $b ]] || { echo "missing $b (see the header of $0)" >&2; exit 2; }
done
for f in "$DEFINITION" "$INPUT"; do
  [[ -f $f ]] || { echo "missing $f" >&2; exit 2; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port, pid, name
  for _ in $(seq 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "$3 exited" >&2; return 1; }
    sleep 0.1
  done
  echo "$3 did not listen on $1" >&2
  return 1
}

SERVER="" NGINX_PID="" BASELINE=""
stop_all() {
  for p in $SERVER $BASELINE $NGINX_PID; do
    kill "$p" 2>/dev/null || true
  done
  for p in $SERVER $BASELINE $NGINX_PID; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
trap stop_all EXIT

# expressway with the one definition.
mkdir -p "$WORK/defs"
cp "$DEFINITION" "$WORK/defs/$(basename "$DEFINITION")"
NAME=$(basename "$DEFINITION" .asl.json)
ARN="arn:aws:states:us-east-1:123456789012:stateMachine:$NAME"
EW_PORT=$(free_port)
"$SERVER_BIN" serve --host 127.0.0.1 --port "$EW_PORT" --definitions "$WORK/defs" "${SERVE_FLAGS[@]}" \
  >"$WORK/serve.log" 2>&1 &
SERVER=$!
wait_port "$EW_PORT" "$SERVER" expressway || { cat "$WORK/serve.log" >&2; exit 2; }
if [[ -n $BASELINE_BIN ]]; then
  BL_PORT=$(free_port)
  "$BASELINE_BIN" serve --host 127.0.0.1 --port "$BL_PORT" --definitions "$WORK/defs" "${SERVE_FLAGS[@]}" \
    >"$WORK/baseline.log" 2>&1 &
  BASELINE=$!
  wait_port "$BL_PORT" "$BASELINE" baseline || { cat "$WORK/baseline.log" >&2; exit 2; }
fi

# The request, and expressway's answer to it (nginx's fixed body).
python3 - "$ARN" "$INPUT" >"$WORK/request.json" <<'EOF'
import json, sys
print(json.dumps({"stateMachineArn": sys.argv[1], "input": open(sys.argv[2]).read()}), end="")
EOF
HDR_TARGET='x-amz-target: AWSStepFunctions.StartSyncExecution'
HDR_TYPE='content-type: application/x-amz-json-1.0'
curl -sf "http://127.0.0.1:$EW_PORT/" -H "$HDR_TARGET" -H "$HDR_TYPE" --data-binary @"$WORK/request.json" \
  >"$WORK/answer.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="SUCCEEDED", d' "$WORK/answer.json"

# nginx answering that body.
NG_PORT=$(free_port)
mkdir -p "$WORK/nginx"
python3 - "$WORK" "$NG_PORT" "$NGINX_WORKERS" <<'EOF'
import sys
from pathlib import Path
work, port, workers = sys.argv[1:]
body = Path(f"{work}/answer.json").read_text()
assert "$" not in body, "nginx would read $ in the body as a variable"
quoted = body.replace("\\", "\\\\").replace("'", "\\'")
prefix = f"{work}/nginx"
Path(f"{prefix}/nginx.conf").write_text(f"""worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        location / {{
            default_type application/x-amz-json-1.0;
            return 200 '{quoted}';
        }}
    }}
}}
""")
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
wait_port "$NG_PORT" "$NGINX_PID" nginx || { cat "$WORK/nginx/error.log" >&2; exit 2; }
cmp -s <(curl -sf "http://127.0.0.1:$NG_PORT/" -H "$HDR_TARGET" -H "$HDR_TYPE" \
  --data-binary @"$WORK/request.json") "$WORK/answer.json" \
  || { echo "nginx does not answer expressway's body" >&2; exit 2; }

oha_run() { # name, port, extra oha flags...
  local name=$1 port=$2
  shift 2
  "$OHA" --no-tui --output-format json -c "$CONNECTIONS" -w "$@" -m POST \
    -H "$HDR_TARGET" -H "$HDR_TYPE" -D "$WORK/request.json" "http://127.0.0.1:$port/" \
    >"$WORK/$name.json"
  python3 - "$WORK/$name.json" "$name" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
errors = d.get("errorDistribution", {})
print(f"{sys.argv[2]:<24} {s['requestsPerSec']:>10.0f} req/s  p50 {p['p50'] * 1000:.3f} ms  "
      f"p99 {p['p99'] * 1000:.3f} ms  status {codes}  errors {errors}", file=sys.stderr)
EOF
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq "$ROUNDS"); do
  oha_run "nginx-max-$r" "$NG_PORT" -z "${DURATION}s"
  [[ -z $BASELINE ]] || oha_run "baseline-max-$r" "$BL_PORT" -z "${DURATION}s"
  oha_run "expressway-max-$r" "$EW_PORT" -z "${DURATION}s"
done
oha_run "nginx-rate" "$NG_PORT" -z "${LATENCY_DURATION}s" -q "$RATE" --latency-correction
[[ -z $BASELINE ]] || oha_run "baseline-rate" "$BL_PORT" -z "${LATENCY_DURATION}s" -q "$RATE" --latency-correction
oha_run "expressway-rate" "$EW_PORT" -z "${LATENCY_DURATION}s" -q "$RATE" --latency-correction
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$WORK" "$ROUNDS" "$RATE" "$LOAD" "${BASELINE:+1}" <<'EOF'
import json, statistics, sys
from pathlib import Path
w, rounds, rate, load, baseline = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
def get(name):
    d = json.loads(Path(f"{w}/{name}.json").read_text())
    ok = d.get("statusCodeDistribution", {}).get("200", 0)
    bad = sum(v for k, v in d.get("statusCodeDistribution", {}).items() if k != "200")
    bad += sum(d.get("errorDistribution", {}).values())
    return d["summary"]["requestsPerSec"], d["latencyPercentiles"]["p99"] * 1000, ok, bad
rows, failed, ratios, base_ratios = [], False, [], []
for r in range(1, rounds + 1):
    ng, ew = get(f"nginx-max-{r}"), get(f"expressway-max-{r}")
    ratio = ew[0] / ng[0] if ng[0] else 0.0
    ratios.append(ratio)
    extra = ""
    if baseline:
        bl = get(f"baseline-max-{r}")
        base_ratios.append(bl[0] / ng[0] if ng[0] else 0.0)
        extra = f" (baseline {bl[0]:,.0f}: {base_ratios[-1] * 100:.1f} %)"
        failed |= bl[3] > 0
    rows.append((f"round {r}: nginx / expressway req/s", f"{ng[0]:,.0f} / {ew[0]:,.0f}",
                 f"{ratio * 100:.1f} %{extra}", None))
    failed |= ew[3] > 0 or ng[3] > 0
median = statistics.median(ratios)
extra = f" (baseline {statistics.median(base_ratios) * 100:.1f} %)" if baseline else ""
rows.append(("median ratio expressway / nginx", "", f"{median * 100:.1f} %{extra}", median >= 0.5))
ng, ew = get("nginx-rate"), get("expressway-rate")
extra = ""
if baseline:
    bl = get("baseline-rate")
    extra = f" (baseline {bl[1]:.3f} ms)"
    failed |= bl[3] > 0
rows.append((f"open loop {rate}/s p99 nginx / expressway", f"{ng[1]:.3f} / {ew[1]:.3f} ms", extra, ew[1] <= 2.0))
failed |= ew[3] > 0 or ng[3] > 0
print(f"load average after: {load}")
for what, value, extra, ok in rows:
    check = "" if ok is None else ("ok" if ok else "FAIL")
    print(f"| {what:<42} | {value:>18} | {extra:<32} | {check:<4} |")
if failed:
    print("some requests failed (see the lines above)")
sys.exit(0 if all(r[3] is not False for r in rows) and not failed else 1)
EOF
