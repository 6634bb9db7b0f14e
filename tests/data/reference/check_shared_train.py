#!/usr/bin/env python3
"""Runs the `ntp train` experiment on every capture of ../shared/data/captures/forecasting/
and on the public series of ../shared/data/series/ (some of which tests/data cannot hold for
their licences), checks that every output was written, and prints per input the periods, the
look-back and model chosen on validation, and the test MSE of the headline rows with their
Diebold-Mariano p-values. Run from the repository root after `cargo build --release`
(stdlib only). Exit 1 if an output is missing or a run fails.

    python3 tests/data/reference/check_shared_train.py [extra ntp train options...]
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

root = Path(__file__).resolve().parents[3]
ntp = os.environ.get("NTP") or str(Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release/ntp")
shared = root.parent / "shared" / "data"
extra = sys.argv[1:]

inputs = [(p, ["--look-back", "10,20,30,60"]) for p in sorted((shared / "captures/forecasting").iterdir())]
inputs += [
    (shared / "series/nab-ec2-network-in-257a54.csv", ["--look-back", "12,36,288", "--period", "288,2016"]),
    (shared / "series/nasa-http-1995-requests-1h.csv",
     ["--value-column", "requests", "--look-back", "6,24,48", "--period", "24,168"]),
]
outputs = ["mse_results.e20.b32.csv", "forecasts.e20.b32.csv", "steps.e20.b32.csv", "steps.e20.b32.png",
           "mse_results.e20.b32.tex", "prediction.e20.b32.png", "loss.e20.b32.png",
           "best_model.e20.b32.safetensors", "best_model.e20.b32.json", "run.json"]
status = 0
with tempfile.TemporaryDirectory() as work:
    work = Path(work)
    for path, options in inputs:
        stem = path.name.split(".")[0]
        dataset = path
        if path.suffix in (".pcap", ".pcapng"):
            dataset = work / f"{stem}.series.parquet"
            subprocess.run([ntp, "aggregate", "-q", str(path), "-o", str(dataset)], check=True,
                           stderr=subprocess.DEVNULL)
        started = time.monotonic()
        run = subprocess.run([ntp, "train", "-q", str(dataset), "-o", str(work / "out"), "--dpi", "100",
                              *options, *extra], capture_output=True, text=True)
        seconds = time.monotonic() - started
        if run.returncode != 0:
            print(f"{stem}: ntp train failed: {run.stderr.strip()}")
            status = 1
            continue
        for f in outputs:
            if not (work / "out" / f"{stem}.{f}").stat().st_size:
                print(f"{stem}: {f} missing")
                status = 1
        record = json.loads((work / "out" / f"{stem}.run.json").read_text())
        rows = list(csv.DictReader(open(work / "out" / f"{stem}.mse_results.e20.b32.csv")))
        best = record["best_model"]
        print(f"{stem} ({seconds:.1f} s): periods {record['periods']}"
              f"{' (detected)' if record['periods_detected_on_training_span'] else ''}; "
              f"LSTM look-back chosen {record['chosen_look_back']}; best on validation: "
              f"{best['model']} at {best['look_back']}")
        for r in rows:
            if r["fold"] != "all" or r["seed"] not in ("", "mean"):
                continue
            if r["model"] in ("lstm", "persistence", "linear_ar", "ets", "holt_winters", "mstl_ets"):
                sd = next((x["test_mse"] for x in rows if x["model"] == r["model"] and x["look_back"] == r["look_back"]
                           and x["fold"] == "all" and x["seed"] == "sd"), "")
                p = lambda v: f"{float(v):.2g}" if v else "-"
                print(f"  L={r['look_back']:>4} {r['model']:<12} test MSE {float(r['test_mse']):.4g}"
                      f"{f' ± {float(sd):.2g}' if sd else ''}  val {float(r['val_mse']):.4g}"
                      f"  p vs persistence {p(r['dm_p_vs_persistence'])}"
                      f"  p vs best baseline {p(r['dm_p_vs_best_baseline'])}"
                      f"{'  (chosen)' if r['selected'] == 'true' else ''}")
sys.exit(status)
