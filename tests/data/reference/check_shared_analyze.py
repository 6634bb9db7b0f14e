#!/usr/bin/env python3
"""Checks `ntp analyze` against polars + statsmodels on every forecasting capture of a
directory (by default ../shared/data/captures/forecasting, which the project's own tests
cannot rely on: some of those captures' licences keep them out of tests/data).

For each capture and each case (1 s zero-filled; the study's captured size + drop-empty;
100 ms) it runs `ntp preprocess` and `ntp analyze`, then analyze_reference.py on the same
Parquet file, and compares every number of bps/describe/acf/pacf/decomposition CSVs at 1e-9
pure relative (NaN only where the reference has NaN). Prints the worst relative error per
case; exit 1 on any mismatch.

Usage: check_shared_analyze.py [CAPTURE_DIR] [--ntp PATH]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../.."))
CASES = {
    "1s": [],
    "study": ["--size", "captured", "--drop-empty"],
    "100ms": ["--every", "100ms"],
}
TABLES = ["bps", "describe", "acf", "pacf", "decomposition"]
REL = 1e-9


def worst(ours, ref):
    a, b = pl.read_csv(ours), pl.read_csv(ref)
    if a.shape != b.shape:
        raise SystemExit(f"{ours}: shape {a.shape} vs reference {b.shape}")
    w = 0.0
    for col in a.columns:
        if col == "statistic":
            if a[col].to_list() != b[col].to_list():
                raise SystemExit(f"{ours}: column {col} differs")
            continue
        if col == "timestamp":  # ntp writes RFC 3339, the reference nanoseconds since the epoch
            ns = a[col].str.to_datetime(time_unit="ns", time_zone="UTC").dt.epoch("ns")
            if ns.to_list() != b[col].cast(pl.Int64).to_list():
                raise SystemExit(f"{ours}: timestamps differ")
            continue
        for x, y in zip(a[col].cast(pl.Float64).to_list(), b[col].cast(pl.Float64).to_list()):
            if y is None or math.isnan(y):
                if not (x is None or math.isnan(x)):
                    raise SystemExit(f"{ours}: {col} has {x} where the reference is empty")
                continue
            if x is None:
                raise SystemExit(f"{ours}: {col} empty where the reference is {y}")
            d = abs(x - y)
            m = max(abs(x), abs(y))
            w = max(w, d / m if m > 0 else 0.0)
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("captures", nargs="?", default=os.path.join(ROOT, "../shared/data/captures/forecasting"))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--ntp", default=os.path.join(target, "release/ntp"))
    args = ap.parse_args()
    bad = 0
    with tempfile.TemporaryDirectory() as work:
        for name in sorted(os.listdir(args.captures)):
            cap = os.path.join(args.captures, name)
            stem = name.split(".")[0]
            parquet = os.path.join(work, stem + ".parquet")
            subprocess.run([args.ntp, "preprocess", "-q", cap, "-o", parquet], check=True)
            for case, opts in CASES.items():
                ours = os.path.join(work, "ntp", case)
                subprocess.run([args.ntp, "analyze", "-q", parquet, "-o", ours, *opts], check=True, stdout=subprocess.DEVNULL)
                subprocess.run([sys.executable, "-W", "ignore", os.path.join(HERE, "analyze_reference.py"), parquet, os.path.join(work, "ref"), case, *opts], check=True)
                ref = os.path.join(work, "ref", case)
                w = 0.0
                for t in TABLES:
                    r = os.path.join(ref, f"{stem}.{t}.csv")
                    if not os.path.exists(r):
                        continue  # e.g. no decomposition for a short series
                    w = max(w, worst(os.path.join(ours, f"{stem}.{t}.csv"), r))
                ok = w <= REL
                bad += not ok
                print(f"{name:45} {case:6} worst relative error {w:.2e} {'ok' if ok else 'MISMATCH'}")
    sys.exit(1 if bad else 0)


main()
