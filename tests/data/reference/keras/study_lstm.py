#!/usr/bin/env python3
"""The study's LSTM experiment, re-run with Keras on the series ntp uses, to compare with
`ntp train --size captured --drop-empty --scale-on-all --epochs 50 --batch-size 64`.

The study's method (reference-study.md): series = polars group_by_dynamic('Timestamp',
every='1s') sum of the captured length, seconds without packets dropped; MinMaxScaler(0, 1)
fitted on the whole series before the split; n − L windows; train = first int(0.8·(n − L));
Keras LSTM(50) + Dense(1), Adam (lr 1e-3), MSE, shuffled each epoch; MSE on the
inverse-scaled float32 predictions. Persistence (next = last) on the same test windows is
computed too: ntp's must match it exactly.

Usage: study_lstm.py DATASET.parquet OUT.csv [--seeds 5] [--first-seed 0] [--look-backs 10,20,30,60]
       [--epochs 50] [--batch-size 64]
Needs: polars, numpy, scikit-learn, tensorflow-cpu (Keras 3) from PyPI.
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import polars as pl
from sklearn.preprocessing import MinMaxScaler


def study_series(path):
    df = pl.read_parquet(path).sort("Timestamp")
    s = df.group_by_dynamic("Timestamp", every="1s", closed="left", label="left", start_by="window").agg(
        pl.col("Captured Size (bytes)").cast(pl.UInt64).sum().alias("bytes")
    )
    return s["bytes"].to_numpy().astype(np.float64)


def windows(data, look_back):
    x = np.array([data[i : i + look_back] for i in range(len(data) - look_back)])
    y = np.array([data[i + look_back] for i in range(len(data) - look_back)])
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("out")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--look-backs", default="10,20,30,60")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    a = ap.parse_args()
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    series = study_series(a.dataset)
    scaler = MinMaxScaler(feature_range=(0, 1))
    scaled = scaler.fit_transform(series.reshape(-1, 1)).astype(np.float32)
    rows = []
    for lb in [int(v) for v in a.look_backs.split(",")]:
        x, y = windows(scaled, lb)
        train = int(0.8 * len(x))
        x_train, y_train, x_test, y_test = x[:train], y[:train], x[train:], y[train:]
        actual = scaler.inverse_transform(y_test.reshape(-1, 1)).ravel()
        raw_x, raw_y = windows(series, lb)
        persistence = raw_x[train:, -1]
        p_mse = float(np.mean((raw_y[train:] - persistence) ** 2))
        rows.append((lb, "persistence", -1, p_mse))
        for seed in range(a.first_seed, a.first_seed + a.seeds):
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.Input((lb, 1)), keras.layers.LSTM(50), keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mean_squared_error")
            model.fit(x_train, y_train, epochs=a.epochs, batch_size=a.batch_size, verbose=0)
            pred = scaler.inverse_transform(model.predict(x_test, verbose=0).astype(np.float32)).ravel()
            mse = float(np.mean((actual - pred) ** 2))
            rows.append((lb, "keras_lstm", seed, mse))
            print(f"L={lb} seed={seed} keras MSE={mse:.6e} persistence={p_mse:.6e}", file=sys.stderr, flush=True)
    with open(a.out, "w") as f:
        f.write("look_back,model,seed,mse\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]},{r[2]},{r[3]!r}\n")
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
