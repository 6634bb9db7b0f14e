#!/usr/bin/env bash
# ntp's side of the Keras comparison: the study's settings, seeds 0..N-1, MSE per look-back.
# Usage: ntp_study_mode.sh DATASET.parquet OUT.csv [SEEDS]
set -euo pipefail
ds=$1; out=$2; seeds=${3:-5}
ntp=${NTP:-${CARGO_TARGET_DIR:-target}/release/ntp}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "look_back,model,seed,mse" > "$out.tmp"
for seed in $(seq 0 $((seeds - 1))); do
  "$ntp" train "$ds" -o "$work/s$seed" -q --size captured --drop-empty --scale-on-all \
    --epochs 50 --batch-size 64 --look-back 10,20,30,60 --seed "$seed" --dpi 50
  stem=$(basename "$ds" .parquet)
  awk -F, -v s="$seed" 'NR > 1 && ($2 == "lstm" || $2 == "persistence") {print $1 "," ($2 == "lstm" ? "ntp_lstm" : "persistence") "," s "," $3}' \
    "$work/s$seed/$stem.mse_results.e50.b64.csv" >> "$out.tmp"
done
mv "$out.tmp" "$out"
