#!/usr/bin/env python3
"""The event-F1 table of docs/detect.md: `ntp detect` (default forecast method on ip_bytes
and on three columns, robust-z on three columns) against the anchors of
tests/data/reference/detect/anchors.py, on the shared NAB series and on `ntp simulate` seeds.

Usage: python3 benches/detect_table.py [--seeds 1,2,3,4,11] [--ntp target/release/ntp]
       [-- extra detect options]
Seeds 1-4 are the tuning seeds; seed 11 and any other are held out. Prints a Markdown table
and, per series, the kinds of labelled events found.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import polars as pl

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAB = ROOT.parent / "shared/data/series/nab-ec2-network-in-257a54.csv"
ANCHORS = ROOT / "tests/data/reference/detect/anchors.py"
COLUMNS = "ip_bytes,sources,destinations"


def detect(ntp, series, labels, out, extra, columns=None, method=None):
    cmd = [ntp, "detect", str(series), "-o", str(out), "-q", "--labels", str(labels)]
    if columns:
        cmd += ["--columns", columns]
    if method:
        cmd += ["--method", method]
    subprocess.run(cmd + extra, check=True)
    stem = series.name.split(".")[0]
    s = pl.read_csv(out / f"{stem}.detect_scores.csv").row(0, named=True)
    ev = pl.read_csv(out / f"{stem}.events.csv")
    return s, len(ev)


def kinds_found(series, labels, out):
    stem = series.name.split(".")[0]
    ev = pl.read_csv(out / f"{stem}.events.csv", try_parse_dates=True)
    lab = pl.read_csv(labels, try_parse_dates=True)
    found = []
    for l in lab.iter_rows(named=True):
        if any(e["start"] < l["end"] and l["start"] < e["end"] for e in ev.iter_rows(named=True)):
            found.append(l.get("kind", "window"))
    return found


def anchors(series, labels, column=None):
    cmd = [sys.executable, str(ANCHORS), str(series), str(labels)]
    if column:
        cmd += ["--column", column]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {l.split()[0]: float(l.split()[-1]) for l in out.strip().splitlines()}


def row(name, ntp, series, labels, tmp, extra, multi):
    cells = []
    s, n = detect(ntp, series, labels, tmp / "a", extra)
    cells.append(f"{s['f1']:.2f} ({s['found']}/{s['windows']}, {n} ev)")
    found = kinds_found(series, labels, tmp / "a")
    if multi:
        s, n = detect(ntp, series, labels, tmp / "b", extra, COLUMNS)
        cells.append(f"{s['f1']:.2f} ({s['found']}/{s['windows']}, {n} ev)")
        found = kinds_found(series, labels, tmp / "b")
        s, n = detect(ntp, series, labels, tmp / "c", extra, COLUMNS, "robust-z")
        cells.append(f"{s['f1']:.2f} ({n} ev)")
    else:
        cells += ["—", "—"]
    a = anchors(series, labels, None if multi else "value")
    cells += [f"{a['zscore-3sigma']:.2f}", f"{a['isolation-forest']:.2f}"]
    print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3,4,11")
    ap.add_argument("--ntp", default=str(ROOT / "target/release/ntp"))
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    print("| series | forecast, ip_bytes | forecast, 3 columns | robust-z, 3 columns "
          "| z-score 3σ | IsolationForest |")
    print("|---|---:|---:|---:|---:|---:|")
    found = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        if NAB.exists():
            labels = NAB.with_name(NAB.stem + ".labels.csv")
            found["NAB"] = row("NAB ec2_network_in_257a54", a.ntp, NAB, labels, tmp, a.extra, False)
        for seed in a.seeds.split(","):
            sim = tmp / f"sim{seed}"
            subprocess.run([a.ntp, "simulate", "-q", "-o", str(sim), "--seed", seed], check=True)
            series = sim / "simulated.series.parquet"
            found[seed] = row(f"simulated, seed {seed}", a.ntp, series,
                              sim / "simulated.labels.csv", tmp, a.extra, True)
    for k, v in found.items():
        print(f"{k}: found {', '.join(v) or 'nothing'}")


if __name__ == "__main__":
    main()
