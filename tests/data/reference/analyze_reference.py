#!/usr/bin/env python3
"""Reference values for `ntp analyze`, computed independently with polars and statsmodels.

Input: a Parquet dataset written by `ntp preprocess` (its correctness is checked against
tshark separately). For each (dataset, options) case this writes, into OUT/CASE/:
  {stem}.bps.csv            polars group_by_dynamic(every, closed=left, label=left, start_by=window),
                            sum of the size column cast to UInt64, pl.len(); empty windows
                            zero-filled with polars upsample (unless --drop-empty)
  {stem}.describe.csv       polars DataFrame.describe() of bytes_per_second
  {stem}.acf.csv            statsmodels acf(x, nlags, alpha=0.05, fft=False, adjusted=False,
                            bartlett_confint=True)   (what plot_acf computes)
  {stem}.pacf.csv           statsmodels pacf(x, nlags=min(lags, n//2-1), alpha=0.05, method='ywm')
  {stem}.decomposition.csv  statsmodels seasonal_decompose(x, model='additive', period=P)

Usage:
  analyze_reference.py DATASET.parquet OUT_DIR CASE [--every 1s] [--size ip|wire|captured]
                       [--drop-empty] [--period P] [--lags 40]
Versions used for the committed files are in versions.txt beside this script.
"""
import argparse
import os

import numpy as np
import polars as pl
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf, pacf

SIZE = {"ip": "Size (bytes)", "wire": "Wire Size (bytes)", "captured": "Captured Size (bytes)"}


def series(path, every, size, drop_empty):
    df = pl.read_parquet(path).sort("Timestamp")
    s = (
        df.group_by_dynamic("Timestamp", every=every, closed="left", label="left", start_by="window")
        .agg(pl.col(SIZE[size]).cast(pl.UInt64).sum().alias("bytes"), pl.len().cast(pl.UInt64).alias("packets"))
    )
    if not drop_empty:
        s = s.upsample(time_column="Timestamp", every=every).with_columns(pl.col("bytes").fill_null(0), pl.col("packets").fill_null(0))
    seconds = float(every[:-2]) / 1000 if every.endswith("ms") else float(every[:-1])  # "1s", "100ms"
    return s.with_columns((pl.col("bytes").cast(pl.Float64) / seconds).alias("bytes_per_second"))


def fmt(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return repr(float(v))


def auto_period(n):
    return 3600 if n >= 7200 else 60 if n >= 120 else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("out")
    ap.add_argument("case")
    ap.add_argument("--every", default="1s")
    ap.add_argument("--size", default="ip")
    ap.add_argument("--drop-empty", action="store_true")
    ap.add_argument("--period", type=int)
    ap.add_argument("--lags", type=int, default=40)
    a = ap.parse_args()
    stem = os.path.splitext(os.path.basename(a.dataset))[0]
    out = os.path.join(a.out, a.case)
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, f"{stem}.{name}")  # noqa: E731

    s = series(a.dataset, a.every, a.size, a.drop_empty)
    with open(p("bps.csv"), "w") as f:
        f.write("timestamp,bytes_per_second,packets\n")
        for ts, v, n in zip(s["Timestamp"].cast(pl.Int64), s["bytes_per_second"], s["packets"]):
            f.write(f"{ts},{fmt(v)},{n}\n")  # timestamp as ns since the epoch

    d = s.select("bytes_per_second").describe()
    with open(p("describe.csv"), "w") as f:
        f.write("statistic,bytes_per_second\n")
        for stat, v in zip(d["statistic"], d["bytes_per_second"]):
            f.write(f"{stat},{fmt(v)}\n")

    x = s["bytes_per_second"].to_numpy()
    n = len(x)
    nl = min(a.lags, n - 1)
    vals, ci = acf(x, nlags=nl, alpha=0.05, fft=False, adjusted=False, bartlett_confint=True)
    with open(p("acf.csv"), "w") as f:
        f.write("lag,value,ci_low,ci_high\n")
        for k in range(len(vals)):
            f.write(f"{k},{fmt(vals[k])},{fmt(ci[k][0])},{fmt(ci[k][1])}\n")
    pl_lags = min(a.lags, n // 2 - 1)
    vals, ci = pacf(x, nlags=pl_lags, alpha=0.05, method="ywm")
    with open(p("pacf.csv"), "w") as f:
        f.write("lag,value,ci_low,ci_high\n")
        for k in range(len(vals)):
            f.write(f"{k},{fmt(vals[k])},{fmt(ci[k][0])},{fmt(ci[k][1])}\n")

    period = a.period or auto_period(n)
    if period and n >= 2 * period:
        r = seasonal_decompose(x, model="additive", period=period)
        with open(p("decomposition.csv"), "w") as f:
            f.write("timestamp,observed,trend,seasonal,resid\n")
            for ts, o, t, se, re in zip(s["Timestamp"].cast(pl.Int64), r.observed, r.trend, r.seasonal, r.resid):
                f.write(f"{ts},{fmt(o)},{fmt(t)},{fmt(se)},{fmt(re)}\n")
    print(f"{out}: n={n} period={period}")


if __name__ == "__main__":
    main()
