#!/usr/bin/env python3
"""How each band method holds when traffic changes: `ntp train` with every --adaptive
(split, aci, pid) and --band-scale (raw, ewma) on
  - simulated hourly series with a regime change in the test span, REPS seeds each:
    `growth` (level and noise grow threefold over the series), `shift` (a level shift at 85 %
    and the noise variance doubled at 92 %), and `steady` (no change: what the bands cost there);
  - the shared real series (../shared/data/series: NAB's EC2 network-in, NASA-HTTP hourly).
Each real series is run twice: cut to its first 80 % (its own test span dropped: this is
where the default was chosen) and whole (the test span then judges the choice).

Prints per method the 95 % band of the model chosen on validation: test coverage, its
coverage in each quarter of the test span (mean over the seeds), the worst quarter's distance
from 0.95, and the mean width relative to split conformal's.

Run from the repository root after `cargo build --release` (numpy):
    python3 tests/data/reference/online/bands_experiment.py [REPS]
"""
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

NTP = os.environ.get("NTP", "target/release/ntp")
METHODS = [(m, s) for m in ("split", "aci", "pid") for s in ("raw", "ewma")]
QUICK = ["--epochs", "3", "--seeds", "1", "--look-back", "24", "--dpi", "30", "-q"]


def simulate(kind, seed, path):
    rng = np.random.default_rng(seed)
    n = 24 * 7 * 16
    t = np.arange(n)
    day = np.sin(2 * np.pi * t / 24)
    if kind == "growth":
        g = 1 + 2 * t / n
        y = g * (100 + 30 * day) + rng.normal(0, 5, n) * g
    elif kind == "shift":
        y = 100 + 30 * day + rng.normal(0, 5, n)
        y[int(0.85 * n):] += 60
        y[int(0.92 * n):] += rng.normal(0, 5, n - int(0.92 * n))
    else:
        y = 100 + 30 * day + rng.normal(0, 5, n)
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        for i, v in enumerate(y):
            f.write(f"{1_700_000_000 + 3600 * i},{v:.4f}\n")


def cut(src, dst, fraction=0.8):
    lines = Path(src).read_text().splitlines()
    keep = lines[1:][: int((len(lines) - 1) * fraction)]
    Path(dst).write_text("\n".join([lines[0]] + keep) + "\n")


def run(series, extra, method, scale, out):
    subprocess.run(
        [NTP, "train", str(series), "-o", str(out), "--adaptive", method, "--band-scale", scale]
        + QUICK + extra,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    table = next(Path(out).glob("*.mse_results.*.csv"))
    rows = list(csv.DictReader(open(table)))
    best = next(r for r in rows if r["best_model"] == "true")
    quarters = [float(best[f"test_q{i}_coverage_95"]) for i in range(1, 5)]
    return float(best["test_coverage_95"]), quarters, float(best["test_width_95"])


def report(name, results):
    split_width = np.mean([w for (_, _, w) in results[("split", "raw")]])
    print(f"\n{name}")
    print("| method | coverage 95 | quarters (mean) | worst quarter − 0.95 | width ÷ split raw |")
    print("|---|---:|---|---:|---:|")
    for key in METHODS:
        cov = np.array([c for (c, _, _) in results[key]])
        q = np.array([qs for (_, qs, _) in results[key]]).mean(axis=0)
        w = np.mean([w for (_, _, w) in results[key]])
        spread = f" ± {cov.std(ddof=1):.3f}" if len(cov) > 1 else ""
        print(
            f"| {key[0]} {key[1]} | {cov.mean():.3f}{spread} | "
            + " ".join(f"{x:.3f}" for x in q)
            + f" | {np.max(np.abs(q - 0.95)):.3f} | {w / split_width:.2f} |"
        )


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    shared = Path("../shared/data/series")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind in ("growth", "shift", "steady"):
            results = {k: [] for k in METHODS}
            for seed in range(reps):
                path = tmp / f"{kind}-{seed}.csv"
                simulate(kind, seed, path)
                for m, s in METHODS:
                    results[(m, s)].append(run(path, [], m, s, tmp / f"{kind}-{seed}-{m}-{s}"))
            report(f"simulated {kind}, {reps} seeds", results)
        for name, file, extra in (
            ("NAB EC2 network-in", "nab-ec2-network-in-257a54.csv", []),
            ("NASA-HTTP hourly", "nasa-http-1995-requests-1h.csv", ["--column", "requests"]),
        ):
            for part in ("first 80 % (validation-only)", "whole (test span held out)"):
                path = tmp / file
                if part.startswith("first"):
                    cut(shared / file, path)
                else:
                    path.write_text((shared / file).read_text())
                results = {
                    (m, s): [run(path, extra, m, s, tmp / f"{file}-{part[:5]}-{m}-{s}")]
                    for m, s in METHODS
                }
                report(f"{name}, {part}", results)


if __name__ == "__main__":
    main()
