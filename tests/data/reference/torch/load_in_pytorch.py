#!/usr/bin/env python3
"""Loads a model saved by `ntp train` into PyTorch (nn.LSTM or nn.GRU with num_layers, then
nn.Linear(hidden, horizon), by the parameter names in the safetensors file), builds every
input window itself from the series — the target, the card's `features`, the calendar terms
— predicts, and compares with ntp's own predictions (`ntp predict` on the same input).
Independent check that the saved file means what its JSON card says. Needs torch,
safetensors, polars.

Usage: load_in_pytorch.py MODEL.safetensors INPUT [--ntp PATH]
INPUT: a per-packet dataset (`ntp preprocess`) or a series table (`ntp aggregate`), 1-s
intervals, IP sizes (the card must say so).
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import polars as pl
import torch
from safetensors.torch import load_file

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("dataset")
root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../.."))
ap.add_argument("--ntp", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release/ntp"))
a = ap.parse_args()
card = json.load(open(a.model.removesuffix(".safetensors") + ".json"))
assert card["every"] == "1s" and card["size"] == "ip" and not card["drop_empty"]
hp = card["hyper"]
h, layers, lb, horizon = hp["hidden"], hp["layers"], card["look_back"], card["horizon"]
cell = hp.get("cell", "lstm")
features = card.get("features", [])
calendar = card.get("calendar", {})

with tempfile.TemporaryDirectory() as out:
    subprocess.run([a.ntp, "predict", "-q", a.model, a.dataset, "-o", out], check=True, stdout=subprocess.DEVNULL)
    [name] = [f for f in os.listdir(out) if f.endswith(".predictions.csv")]
    ours = pl.read_csv(os.path.join(out, name))

df = pl.read_parquet(a.dataset)
if "timestamp" in df.columns:  # a series table: one row per second already
    s = df.sort("timestamp").rename({"timestamp": "Timestamp", "ip_bytes": "bytes"})
    times = s["Timestamp"].cast(pl.Int64).to_numpy()
else:  # a per-packet table: bytes per second, empty seconds zero
    assert not features, "features need a series table"
    df = df.sort("Timestamp")
    s = df.group_by_dynamic("Timestamp", every="1s", closed="left", label="left", start_by="window").agg(
        pl.col("Size (bytes)").cast(pl.UInt64).sum().alias("bytes"))
    s = s.upsample(time_column="Timestamp", every="1s").with_columns(pl.col("bytes").fill_null(0))
    times = s["Timestamp"].cast(pl.Int64).to_numpy()
columns = [s["bytes"].cast(pl.Float64).to_numpy()] + [s[f].cast(pl.Float64).to_numpy() for f in features]
scalers = [card["scaler"]] + card.get("feature_scalers", [])
steps = [((c - sc["min"]) / ((sc["max"] - sc["min"]) or 1.0)) for c, sc in zip(columns, scalers)]
seconds = times // 1_000_000_000 + calendar.get("offset_s", 0)
if calendar.get("hour"):
    day = (seconds % 86_400) / 86_400
    steps += [np.sin(2 * np.pi * day), np.cos(2 * np.pi * day)]
if calendar.get("weekday"):
    week = ((seconds + 3 * 86_400) % (7 * 86_400)) / (7 * 86_400)
    steps += [np.sin(2 * np.pi * week), np.cos(2 * np.pi * week)]
per_step = np.stack(steps, axis=1).astype(np.float32)  # [n, F]
n_windows = len(per_step) - lb - horizon + 1
windows = np.stack([per_step[i:i + lb] for i in range(n_windows)])[-len(ours):]
# The card's frame (docs/networks.md): RevIN on the target channel, the output a change from
# the window's last value or a level around the window's mean.
target, norm = card["hyper"].get("target", "level"), card["hyper"].get("norm", "global")
x0 = windows[:, :, 0].astype(np.float64)
offset, spread = np.zeros((len(x0), 1)), np.ones((len(x0), 1))
if norm == "window":
    offset = x0.mean(axis=1, keepdims=True)
    spread = np.sqrt(x0.var(axis=1, keepdims=True) + 1e-5)
    windows[:, :, 0] = ((x0 - offset) / spread).astype(np.float32)
if target == "delta":
    offset = x0[:, -1:]

rnn_type = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
rnn = rnn_type(per_step.shape[1], h, num_layers=layers, batch_first=True)
linear = torch.nn.Linear(h, horizon)  # one output per step; `ntp predict` reports the last
weights = load_file(a.model)
rnn.load_state_dict({k.removeprefix(f"{cell}."): v for k, v in weights.items() if k.startswith(f"{cell}.")})
linear.load_state_dict({k.removeprefix("linear."): v for k, v in weights.items() if k.startswith("linear.")})
rnn.eval()  # no dropout at inference
lo, hi = card["scaler"]["min"], card["scaler"]["max"]
with torch.no_grad():
    y, _ = rnn(torch.from_numpy(windows))
    out = linear(y[:, -1, :])[:, -1:].double().numpy()
    pred = ((offset + spread * out)[:, 0]) * (hi - lo) + lo
col = [c for c in ours.columns if c in ("lstm", "gru") or "predict" in c][0]
diff = np.abs(pred - ours[col].to_numpy())
print(f"{a.model}: {cell} × {layers}, {per_step.shape[1]} input(s) per step, horizon {horizon}: {len(pred)} windows: "
      f"largest |PyTorch − ntp| = {diff.max():.3g} B/s "
      f"(predictions up to {np.abs(pred).max():.3g} B/s, relative {diff.max() / np.abs(pred).max():.2e}; "
      f"in the network's scaled output {diff.max() / (hi - lo):.2e})")
