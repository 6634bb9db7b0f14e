#!/usr/bin/env python3
"""Validation beyond the test suite: for every capture in ../shared/data/captures/, compare
ntp's per-second packet counts and sums (Size, Wire Size, Captured Size) with tshark's
(make_reference.per_second), and open each dataset with polars and pandas.

Usage: check_shared.py [CAPTURES_DIR]   (needs tshark, polars, pandas, pyarrow; NTP=path/to/ntp)
"""
import os
import subprocess
import sys
import tempfile

import pandas as pd
import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import per_second  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../../shared/data/captures")
ntp = os.environ.get("NTP", "target/release/ntp")
ok = bad = skipped = 0
with tempfile.TemporaryDirectory() as tmp:
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if name.endswith(".tsv"):
                continue
            path = os.path.join(dirpath, name)
            ref = per_second(path)
            out = os.path.join(tmp, name + ".parquet")
            r = subprocess.run([ntp, "preprocess", "-q", path, "-o", out], capture_output=True, text=True)
            if not ref:
                skipped += 1
                print(f"SKIP {name}: tshark decodes no IP (ntp exit {r.returncode}: {r.stderr.strip()[:90]})")
                continue
            if r.returncode != 0:
                bad += 1
                print(f"FAIL {name}: ntp failed: {r.stderr.strip()}")
                continue
            df = pl.read_parquet(out)
            pd.read_parquet(out)  # must open in pandas (pyarrow) too
            ours = {}
            secs = (df["Timestamp"].cast(pl.Int64) // 1_000_000_000).to_list()
            for s, a, b, c in zip(secs, df["Size (bytes)"], df["Wire Size (bytes)"], df["Captured Size (bytes)"]):
                v = ours.setdefault(s, [0, 0, 0, 0])
                v[0] += 1
                v[1] += a
                v[2] += b
                v[3] += c
            if ours == ref:
                ok += 1
                print(f"OK   {name}: {sum(v[0] for v in ref.values())} IP packets in {len(ref)} seconds equal tshark's")
            else:
                bad += 1
                diff = [s for s in set(ours) | set(ref) if ours.get(s) != ref.get(s)][:3]
                print(f"FAIL {name}: seconds differ, e.g. {[(s, ours.get(s), ref.get(s)) for s in diff]}")
print(f"{ok} equal, {bad} differ, {skipped} without IP")
sys.exit(1 if bad else 0)
