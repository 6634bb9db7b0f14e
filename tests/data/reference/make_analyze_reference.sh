#!/usr/bin/env bash
# Writes tests/data/reference/analyze/CASE/* with analyze_reference.py (polars + statsmodels
# from PyPI: pip install polars statsmodels) on the datasets `ntp preprocess` writes for the
# forecasting fixtures. Run from the repository root after `cargo build --release`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
ntp=${NTP:-${CARGO_TARGET_DIR:-$root/target}/release/ntp}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ntp" preprocess -q "$root/tests/data/lan-broadcast-28min-ns.pcapng" "$root/tests/data/s7comm-clean-15min.pcap" -o "$work/"
out="$here/analyze"
rm -rf "$out"
ref() { python3 -W ignore "$here/analyze_reference.py" "$@"; }
ref "$work/lan-broadcast-28min-ns.parquet" "$out" lan-1s
ref "$work/lan-broadcast-28min-ns.parquet" "$out" lan-drop-empty --drop-empty
ref "$work/lan-broadcast-28min-ns.parquet" "$out" lan-100ms --every 100ms
ref "$work/lan-broadcast-28min-ns.parquet" "$out" lan-wire-p30 --size wire --period 30 --lags 25
ref "$work/s7comm-clean-15min.parquet" "$out" s7-1s
ref "$work/s7comm-clean-15min.parquet" "$out" s7-study --size captured --drop-empty
python3 -c "import polars, statsmodels, numpy, scipy; print('polars', polars.__version__, 'statsmodels', statsmodels.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)" > "$here/versions.txt"
