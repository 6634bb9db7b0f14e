#!/usr/bin/env bash
# Runs the `ntp train` sweep (look-backs 10,20,30,60, default settings) on every capture of
# ../shared/data/captures/forecasting/ (some of which tests/data cannot hold for their
# licences), checks that every output the issue names was written, and prints LSTM vs
# persistence vs linear AR MSE per look-back. Run from the repository root after
# `cargo build --release`. Exit 1 if an output is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
ntp=${NTP:-${CARGO_TARGET_DIR:-$root/target}/release/ntp}
captures=${1:-$root/../shared/data/captures/forecasting}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0
for cap in "$captures"/*; do
  stem=$(basename "$cap"); stem=${stem%%.*}
  "$ntp" preprocess -q "$cap" -o "$work/$stem.parquet" 2>/dev/null
  start=$(date +%s.%N)
  "$ntp" train -q "$work/$stem.parquet" --look-back 10,20,30,60 -o "$work/out" > /dev/null
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  for f in mse_results.e20.b32.csv mse_results.e20.b32.tex prediction.e20.b32.png loss.e20.b32.png \
           best_model.e20.b32.safetensors best_model.e20.b32.json run.json; do
    [[ -s "$work/out/$stem.$f" ]] || { echo "$stem: $f missing"; status=1; }
  done
  echo "$stem (${secs%.*} s): look-back: LSTM / persistence / linear AR MSE"
  awk -F, 'NR > 1 && ($2 == "lstm" || $2 == "persistence" || $2 == "linear_ar") { m[$1] = m[$1] sprintf(" %s=%.4g", $2, $3) }
           END { for (l in m) print "  " l ":" m[l] }' "$work/out/$stem.mse_results.e20.b32.csv" | sort -n -k1
done
exit $status
