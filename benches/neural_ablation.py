#!/usr/bin/env python3
"""The networks' diagnosis and ablation on the shared series and captures (docs/experiment.md).

For each series and each configuration, runs `ntp train` (3 seeds, every choice on validation)
and prints Markdown rows: the look-back chosen on validation, the network's test MASE there
(mean ± sd over seeds), the Diebold–Mariano p-values against persistence (each seed), the seed
ensemble's and persistence's test MASE, the model chosen on validation; and, for the diagnosis,
epochs run and kept, the training and validation loss at the kept epoch, the validation and test
spans' range in the training span's MinMax units, and where in the test span the errors are
(the network's MAE over persistence's, per quarter of the test span). Validation MASE beside
test MASE: the defaults are chosen on the first.

Run from the repository root after `cargo build --release` (stdlib only):

    python3 benches/neural_ablation.py [--table diagnosis|ablation] [--configs "a;b"] [--series s,...]
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
ntp = os.environ.get("NTP") or str(Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release/ntp")
shared = root.parent / "shared" / "data"

SERIES = {
    "nab": (shared / "series/nab-ec2-network-in-257a54.csv", False, ["--look-back", "12,36,288", "--period", "288,2016"]),
    "nasa": (shared / "series/nasa-http-1995-requests-1h.csv", False,
             ["--value-column", "requests", "--look-back", "6,24,48", "--period", "24,168"]),
}
for p in sorted((shared / "captures/forecasting").iterdir()):
    SERIES[p.name.split("-")[0]] = (p, True, ["--look-back", "10,30,60"])

# Each configuration: the network and the options that differ from ntp's defaults.
STUDY = ["--net-target", "level", "--norm", "global", "--loss", "mse", "--plateau", "0", "--clip", "0",
         "--epochs", "20"]
CONFIGS = {
    "lstm, earlier defaults": ["--model", "lstm", *STUDY],
    "lstm, defaults": ["--model", "lstm"],
    "lstm, level target": ["--model", "lstm", "--net-target", "level"],
    "lstm, no RevIN": ["--model", "lstm", "--norm", "global"],
    "lstm, MSE": ["--model", "lstm", "--loss", "mse"],
    "lstm, no schedule or clipping": ["--model", "lstm", "--plateau", "0", "--clip", "0"],
    "lstm, 20 epochs": ["--model", "lstm", "--epochs", "20"],
    "gru, defaults": ["--model", "gru"],
    "dlinear, defaults": ["--model", "dlinear"],
    "nhits, defaults": ["--model", "nhits"],
}


def dataset(name, work):
    path, is_capture, _ = SERIES[name]
    if not is_capture:
        return path
    out = work / f"{name}.series.parquet"
    if not out.exists():
        subprocess.run([ntp, "aggregate", "-q", str(path), "-o", str(out)], check=True, stderr=subprocess.DEVNULL)
    return out


def run(name, config, work, extra):
    data = dataset(name, work)
    out = work / f"{name}-{abs(hash(config))}"
    cmd = [ntp, "train", "-q", str(data), "-o", str(out), "--dpi", "50", "--seeds", "3",
           *SERIES[name][2], *CONFIGS[config], *extra]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    stem = data.name.split(".")[0]
    record = json.loads((out / f"{stem}.run.json").read_text())
    rows = list(csv.DictReader(open(next(out.glob(f"{stem}.mse_results.*.csv")))))
    card = json.loads(next(out.glob(f"{stem}.best_model.*.json")).read_text())
    forecasts = list(csv.DictReader(open(next(out.glob(f"{stem}.forecasts.*.csv")))))
    return record, rows, card, forecasts


def pick(rows, model, look_back, seed):
    return next(r for r in rows if r["model"] == model and r["look_back"] == look_back
                and r["fold"] == "all" and r["seed"] == seed)


def ablation_row(name, config, record, rows):
    l = str(record["chosen_look_back"])
    net = record["hyper"]["cell"]
    seeds = [str(s) for s in record["seeds"]]
    mase = [float(pick(rows, net, l, s)["test_mase"]) for s in seeds]
    val = [float(pick(rows, net, l, s)["val_mase"]) for s in seeds]
    p = [float(pick(rows, net, l, s)["dm_p_vs_persistence"]) for s in seeds]
    ens = pick(rows, f"{net}_ensemble", l, "")
    pers = pick(rows, "persistence", l, "")
    best = record["best_model"]
    return (f"| {name} | {config} | {l} | {statistics.mean(val):.3f} | {float(pers['val_mase']):.3f} | "
            f"{statistics.mean(mase):.3f} ± {statistics.stdev(mase):.3f} | "
            f"{', '.join(f'{x:.2g}' for x in p)} | {float(ens['test_mase']):.3f} | {float(pers['test_mase']):.3f} | "
            f"{best['model']} (L={best['look_back']}) |")


def diagnosis_row(name, config, record, card, forecasts):
    l = record["chosen_look_back"]
    runs = [r for r in record["lstm_runs"] if r["look_back"] == l]
    ran = [r["epochs_run"] for r in runs]
    kept = [r["kept_epoch"] for r in runs]
    tl = [r["train_loss"][r["kept_epoch"] - 1] for r in runs]
    vl = [r["validation_loss"][r["kept_epoch"] - 1] for r in runs]
    lo, hi = card["scaler"]["min"], card["scaler"]["max"]
    scaled = lambda v: (v - lo) / (hi - lo) if hi > lo else 0.0
    net, seed = record["hyper"]["cell"], str(record["saved_model"]["seed"])
    spans = {}
    for span in ("validation", "test"):
        v = [float(f["actual"]) for f in forecasts if f["span"] == span and f["look_back"] == str(l)
             and f["model"] == "persistence"]
        spans[span] = f"{scaled(min(v)):.3g} … {scaled(max(v)):.3g}"
    test = [f for f in forecasts if f["span"] == "test" and f["look_back"] == str(l)]
    err = lambda model, s: [abs(float(f["actual"]) - float(f["forecast"])) for f in test
                            if f["model"] == model and f["seed"] == s]
    a, b = err(net, seed), err("persistence", "")
    q = len(a) // 4
    ratios = [sum(a[k * q:(k + 1) * q]) / max(sum(b[k * q:(k + 1) * q]), 1e-300) for k in range(4)]
    return (f"| {name} | {config} | {l} | {min(ran)}–{max(ran)} | {min(kept)}–{max(kept)} | "
            f"{statistics.mean(tl):.2e} | {statistics.mean(vl):.2e} | {spans['validation']} | {spans['test']} | "
            f"{' / '.join(f'{r:.2f}' for r in ratios)} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", choices=["diagnosis", "ablation"], default="ablation")
    ap.add_argument("--configs", default=";".join(CONFIGS), help="names separated by ;")
    ap.add_argument("--series", default=",".join(SERIES))
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    if a.table == "ablation":
        print("| series | configuration | chosen L | network val MASE | persistence val MASE "
              "| network test MASE (mean ± sd) | DM p vs persistence (each seed) "
              "| seed ensemble test MASE | persistence test MASE | best on validation |")
        print("|---|---|---:|---:|---:|---:|---|---:|---:|---|")
    else:
        print("| series | configuration | chosen L | epochs run | kept epoch | train loss | val loss | "
              "validation range | test range | MAE / persistence's, test quarters |")
        print("|---|---|---:|---|---|---:|---:|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for name in a.series.split(","):
            for config in a.configs.split(";"):
                record, rows, card, forecasts = run(name, config, work, a.extra)
                if a.table == "ablation":
                    print(ablation_row(name, config, record, rows), flush=True)
                else:
                    print(diagnosis_row(name, config, record, card, forecasts), flush=True)


if __name__ == "__main__":
    main()
