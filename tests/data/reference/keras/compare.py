#!/usr/bin/env python3
"""Compares ntp's LSTM MSEs with the Keras re-run of the study (both CSVs beside this
script): per look-back, each side's min – median – max over its seeds, how many ntp seeds
fall inside Keras' range, and a two-sided Mann-Whitney U test of the two samples; and the
persistence MSEs, which must be equal. Needs polars and scipy."""
import os

import polars as pl
from scipy.stats import mannwhitneyu

here = os.path.dirname(os.path.abspath(__file__))
keras = pl.read_csv(os.path.join(here, "lan-broadcast-28min-ns.keras.csv"))
ntp = pl.read_csv(os.path.join(here, "lan-broadcast-28min-ns.ntp.csv"))
print("| look-back | Keras LSTM MSE: min – median – max | ntp LSTM MSE: min – median – max | ntp seeds in Keras' range | Mann-Whitney p | persistence (both) |")
print("|---|---|---|---|---|---|")
for lb in sorted(set(keras["look_back"])):
    k = keras.filter((pl.col("look_back") == lb) & (pl.col("model") == "keras_lstm"))["mse"]
    n = ntp.filter((pl.col("look_back") == lb) & (pl.col("model") == "ntp_lstm"))["mse"]
    kp = keras.filter((pl.col("look_back") == lb) & (pl.col("model") == "persistence"))["mse"].unique().to_list()
    np_ = ntp.filter((pl.col("look_back") == lb) & (pl.col("model") == "persistence"))["mse"].unique().to_list()
    assert kp == np_, f"look-back {lb}: persistence {kp} vs {np_}"
    inside = int(((n >= k.min()) & (n <= k.max())).sum())
    p = mannwhitneyu(k.to_list(), n.to_list()).pvalue
    f = lambda s: f"{s.min() / 1e6:.4f}e6 – {s.median() / 1e6:.4f}e6 – {s.max() / 1e6:.4f}e6"
    print(f"| {lb} | {f(k)} ({len(k)} seeds) | {f(n)} ({len(n)} seeds) | {inside}/{len(n)} | {p:.2f} | {kp[0]!r} |")
