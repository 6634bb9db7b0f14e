#!/usr/bin/env python3
"""Single-column vs multi-column vs calendar inputs, for the LSTM, the GRU and the (AR)X, on
the three shared forecasting captures and the two public series of ../shared/data/series/:
runs `ntp train` for each and prints one Markdown table (test MSE mean ± sd over seeds at the
look-back chosen on validation; the ARX at the same look-back; the best model on validation).
Run from the repository root after `cargo build --release` (stdlib only).

    python3 benches/inputs_table.py [extra ntp train options...]
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
ntp = os.environ.get("NTP") or str(Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release/ntp")
shared = root.parent / "shared" / "data"
extra = sys.argv[1:]
table_features = "packets,tcp_bytes,udp_bytes,sources,destinations,flows"
inputs = [(p, ["--look-back", "10,30,60"], True) for p in sorted((shared / "captures/forecasting").iterdir())]
inputs += [
    (shared / "series/nab-ec2-network-in-257a54.csv", ["--look-back", "12,36", "--period", "288,2016"], False),
    (shared / "series/nasa-http-1995-requests-1h.csv",
     ["--value-column", "requests", "--look-back", "6,24,48", "--period", "24,168"], False),
]
print("| series | inputs | cell | chosen L | network test MSE (mean ± sd) | (AR)X test MSE at L | best on validation |")
print("|---|---|---|---:|---:|---:|---|")
with tempfile.TemporaryDirectory() as work:
    work = Path(work)
    for path, options, is_capture in inputs:
        stem = path.name.split(".")[0]
        dataset = path
        if is_capture:
            dataset = work / f"{stem}.series.parquet"
            subprocess.run([ntp, "aggregate", "-q", str(path), "-o", str(dataset)], check=True,
                           stderr=subprocess.DEVNULL)
        configs = [("target only", [])]
        if is_capture:
            configs.append(("+ " + table_features.replace(",", ", "), ["--features", table_features]))
            configs.append(("+ those + hour", ["--features", table_features, "--calendar", "hour"]))
        else:
            configs.append(("+ hour, weekday", ["--calendar", "hour,weekday"]))
        for name, config in configs:
            for cell in ("lstm", "gru"):
                out = work / f"{stem}-{cell}-{len(config)}"
                subprocess.run([ntp, "train", "-q", str(dataset), "-o", str(out), "--dpi", "60", "--cell", cell,
                                *options, *config, *extra], check=True, stdout=subprocess.DEVNULL)
                record = json.loads((out / f"{stem}.run.json").read_text())
                rows = list(csv.DictReader(open(next(out.glob(f"{stem}.mse_results.*.csv")))))
                l = str(record["chosen_look_back"])
                get = lambda model, seed: next(r for r in rows if r["model"] == model and r["look_back"] == l
                                               and r["fold"] == "all" and r["seed"] == seed)
                mean, sd = float(get(cell, "mean")["test_mse"]), float(get(cell, "sd")["test_mse"])
                arx = float(get("linear_ar", "")["test_mse"])
                best = record["best_model"]
                print(f"| {stem} | {name} | {cell.upper()} | {l} | {mean:.4g} ± {sd:.2g} | {arx:.4g} | "
                      f"{best['model']} (L={best['look_back']}) |", flush=True)
