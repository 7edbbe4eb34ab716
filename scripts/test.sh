#!/usr/bin/env bash
# The single test command: installs what it needs when missing (scripts/setup.sh), then
# formatting, lints, Rust tests, the conformance corpus against a running `expressway serve`
# (ratchet: tests/conformance/passing.txt) and the end-to-end suite (boto3 + AWS CLI + Chromium,
# tests/e2e/, which runs README.md's shell blocks too).
#
#   bash scripts/test.sh
#
# Environment:
#   SKIP_SETUP=1      do not install anything (scripts/setup.sh; otherwise it installs only what is missing)
#   SHARED_DIR        the shared material (default: ../shared beside the checkout)
#   CARGO_TARGET_DIR  cargo's target folder (default: ./target)
#   CONFORMANCE_WORKERS  parallel conformance cases (default 8)
#   SKIP_CONFORMANCE=1   skip the conformance corpus (quick local runs only; CI runs it)
# Exits non-zero as soon as any step fails; every server it starts is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export SHARED_DIR="${SHARED_DIR:-$ROOT/../shared}"
CONFORMANCE="$SHARED_DIR/conformance"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release/expressway"
WORKERS="${CONFORMANCE_WORKERS:-8}"
LOGS="$TARGET/test-logs"
mkdir -p "$LOGS"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

step() { printf '\n==> %s\n' "$*"; }

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]: until something answers HTTP at URL.
wait_http() {
  local url="$1" secs="${2:-60}" i
  for ((i = 0; i < secs * 10; i++)); do
    if python3 -c 'import sys,urllib.request,urllib.error
try: urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError: pass
except Exception: sys.exit(1)' "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing answers at $url after ${secs}s" >&2
  return 1
}

START=$SECONDS

if [ "${SKIP_SETUP:-0}" != "1" ]; then
  step "setup (scripts/setup.sh: installs only what is missing)"
  # shellcheck source=scripts/setup.sh
  source scripts/setup.sh
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test (all features: the AWS integrations and consumers against moto)"
cargo test --workspace --all-features

# The README's build (`cargo run --release`, `cargo install --path .`): default features, so
# this script and the README share one target/release/expressway instead of rebuilding it in
# turn. The aws feature is built and
# tested above (cargo test --all-features); the conformance corpus and the end-to-end suite
# need none of it.
step "cargo build --release (default features, as the README's cargo run)"
cargo build --release --bin expressway

if [ "${SKIP_CONFORMANCE:-0}" != "1" ]; then
  [ -d "$CONFORMANCE/cases" ] || { echo "no conformance cases at $CONFORMANCE/cases (set SHARED_DIR)" >&2; exit 2; }
  step "conformance corpus"
  LAMBDA_PORT=$(free_port)
  python3 "$CONFORMANCE/lambda_emulator.py" "$CONFORMANCE/cases" --port "$LAMBDA_PORT" --quiet \
    >"$LOGS/lambda.log" 2>&1 &
  PIDS+=($!)
  SFN_PORT=$(free_port)
  env AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$LAMBDA_PORT" AWS_ACCESS_KEY_ID=test \
    AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 RUST_LOG=warn \
    "$BIN" serve --port "$SFN_PORT" >"$LOGS/serve-conformance.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$LAMBDA_PORT/healthz"
  wait_http "http://127.0.0.1:$SFN_PORT/"
  rc=0
  python3 "$CONFORMANCE/run_conformance.py" "$CONFORMANCE/cases" \
    --endpoint "http://127.0.0.1:$SFN_PORT" --include-needs \
    --lambda-endpoint "http://127.0.0.1:$LAMBDA_PORT" --workers "$WORKERS" \
    --json-summary "$TARGET/conformance.json" >"$LOGS/conformance.log" 2>&1 || rc=$?
  grep -v '^FAIL ' "$LOGS/conformance.log" | tail -n 5 || true
  if [ "$rc" -gt 1 ]; then
    echo "conformance runner failed (exit $rc); see $LOGS/conformance.log" >&2
    cat "$LOGS/conformance.log" >&2
    exit "$rc"
  fi
  ratchet=0
  python3 "$CONFORMANCE/check_passing.py" "$TARGET/conformance.json" tests/conformance/passing.txt \
    >"$LOGS/ratchet.log" 2>&1 || ratchet=$?
  grep -v '^NEW PASS' "$LOGS/ratchet.log" || true
  # Newly passing cases do not fail the run, but the ratchet should record them.
  behind=$(grep -c '^NEW PASS' "$LOGS/ratchet.log" || true)
  if [ "${behind:-0}" -gt 0 ]; then
    echo "conformance ratchet is behind: $behind passing case(s) not in tests/conformance/passing.txt:"
    grep '^NEW PASS' "$LOGS/ratchet.log" | sed 's/^NEW PASS */  /'
    echo "  add them: python3 $CONFORMANCE/check_passing.py $TARGET/conformance.json tests/conformance/passing.txt --update"
  fi
  if [ "$ratchet" -ne 0 ]; then
    echo "conformance ratchet: a case of tests/conformance/passing.txt no longer passes" >&2
    exit 1
  fi
fi

step "end-to-end (boto3, AWS CLI)"
EXPRESSWAY_BIN="$BIN" python3 -m pytest -q tests/e2e

echo
echo "all checks passed in $((SECONDS - START)) s"
