#!/bin/sh
# Runs one fuzzing campaign per target, one after the other, niced, in
# libFuzzer's fork mode so that a crash, timeout or OOM is saved under
# fuzz/artifacts/<target>/ and the campaign goes on.
#
# Usage (from the repository root): fuzz/campaign.sh SECONDS [TARGET...]
# (default: every target). Logs go to fuzz/artifacts/<target>.log; the
# line "stat::number_of_executed_units" of each log is the runs count.
set -eu
seconds=${1:?usage: fuzz/campaign.sh SECONDS [TARGET...]}
shift
targets=${*:-definition path intrinsic jsonata template api_request}
cd "$(dirname "$0")/.."
for t in $targets; do
  mkdir -p "fuzz/artifacts/$t"
  dict=""
  [ -f "fuzz/dicts/$t.dict" ] && dict="-dict=fuzz/dicts/$t.dict"
  nice -n 15 cargo +nightly fuzz run -s none "$t" -- \
    -max_total_time="$seconds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" $dict >"fuzz/artifacts/$t.log" 2>&1 || true
  echo "$t: $(grep -c 'CRASH\|Test unit written' "fuzz/artifacts/$t.log" || true) artifacts; $(grep -o '#[0-9]*:' "fuzz/artifacts/$t.log" | tail -1)"
done
