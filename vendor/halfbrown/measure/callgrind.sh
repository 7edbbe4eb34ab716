#!/usr/bin/env bash
# Instructions per operation on one simd-json object of N keys (default 40 and
# 100), with the stock halfbrown and with this fork: parse the object's text,
# build it by `insert`, look up every key, parse and serialise. Deterministic
# (callgrind counts instructions), so the machine's load does not matter.
#
# Method: objects.rs is built twice in release as a tiny crate depending on
# simd-json 0.19 only (in $WORK/stock and $WORK/fork, the second with
# `[patch.crates-io] halfbrown = this folder's parent`); each mode runs 2,000
# operations and 0 operations under callgrind, and the difference / 2,000 is
# printed. A parse or serialise figure includes the object's text copy.
#
# Usage: bash vendor/halfbrown/measure/callgrind.sh [N...]
# Env: WORK (default /tmp/halfbrown-measure; delete it afterwards).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
FORK="$(cd "$HERE/.." && pwd)"
WORK="${WORK:-/tmp/halfbrown-measure}"
SIZES=("${@:-10 40 100}")
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
for variant in stock fork; do
  mkdir -p "$WORK/$variant/src"
  cp "$HERE/objects.rs" "$WORK/$variant/src/main.rs"
  cat > "$WORK/$variant/Cargo.toml" <<TOML
[package]
name = "objects-$variant"
version = "0.1.0"
edition = "2021"

[dependencies]
simd-json = { version = "=0.19.0", features = ["big-int-as-float"] }

[workspace]
TOML
  if [ "$variant" = fork ]; then
    printf '\n[patch.crates-io]\nhalfbrown = { path = "%s" }\n' "$FORK" >> "$WORK/$variant/Cargo.toml"
  fi
  (cd "$WORK/$variant" && cargo build --release -q)
done
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*$'; }
for variant in stock fork; do
  echo "$variant: size_of::<simd_json::owned::Object>() = $("$WORK/$variant/target/release/objects-$variant" size 0 0) bytes"
done
printf '%-10s %5s %10s %10s\n' mode keys stock fork
for n in ${SIZES[*]}; do
  for mode in parse insert lookup serialise; do
    row=()
    for variant in stock fork; do
      bin="$WORK/$variant/target/release/objects-$variant"
      row+=($(( ($(ir "$bin" $mode "$n" 2000) - $(ir "$bin" $mode "$n" 0)) / 2000 )))
    done
    printf '%-10s %5s %10s %10s\n' "$mode" "$n" "${row[0]}" "${row[1]}"
  done
done
