#!/usr/bin/env python3
"""Loads a model saved by `ntp train` into PyTorch (nn.LSTM + nn.Linear, by the parameter
names in the safetensors file), predicts every window of the series and compares
with ntp's own predictions (`ntp predict` on the same dataset). Independent check that the
saved file means what its JSON card says. Needs torch, safetensors, polars.

Usage: load_in_pytorch.py MODEL.safetensors DATASET.parquet [--ntp PATH]
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
root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../.."))
ap.add_argument("--ntp", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release/ntp"))
a = ap.parse_args()
card = json.load(open(a.model.removesuffix(".safetensors") + ".json"))
assert card["every"] == "1s" and card["size"] == "ip" and not card["drop_empty"]
h, layers, lb, horizon = card["hyper"]["hidden"], card["hyper"]["layers"], card["look_back"], card["horizon"]

with tempfile.TemporaryDirectory() as out:
    subprocess.run([a.ntp, "predict", "-q", a.model, a.dataset, "-o", out], check=True, stdout=subprocess.DEVNULL)
    stem = os.path.splitext(os.path.basename(a.dataset))[0]
    ours = pl.read_csv(os.path.join(out, f"{stem}.predictions.csv"))

df = pl.read_parquet(a.dataset).sort("Timestamp")
s = df.group_by_dynamic("Timestamp", every="1s", closed="left", label="left", start_by="window").agg(
    pl.col("Size (bytes)").cast(pl.UInt64).sum().alias("bytes"))
s = s.upsample(time_column="Timestamp", every="1s").with_columns(pl.col("bytes").fill_null(0))
x = s["bytes"].cast(pl.Float64).to_numpy()
lo, hi = card["scaler"]["min"], card["scaler"]["max"]
scaled = ((x - lo) / (hi - lo)).astype(np.float32)
n_windows = len(x) - lb - horizon + 1
windows = np.stack([scaled[i:i + lb] for i in range(n_windows)])[-len(ours):]

lstm = torch.nn.LSTM(1, h, num_layers=layers, batch_first=True)
linear = torch.nn.Linear(h, horizon)  # one output per step; `ntp predict` reports the last
weights = load_file(a.model)
lstm.load_state_dict({k.removeprefix("lstm."): v for k, v in weights.items() if k.startswith("lstm.")})
linear.load_state_dict({k.removeprefix("linear."): v for k, v in weights.items() if k.startswith("linear.")})
with torch.no_grad():
    y, _ = lstm(torch.from_numpy(windows).unsqueeze(-1))
    pred = linear(y[:, -1, :])[:, -1].double().numpy() * (hi - lo) + lo
col = [c for c in ours.columns if "lstm" in c or "predict" in c][0]
diff = np.abs(pred - ours[col].to_numpy())
print(f"{len(pred)} windows: largest |PyTorch − ntp| = {diff.max():.3g} B/s "
      f"(predictions up to {np.abs(pred).max():.3g} B/s, relative {diff.max() / np.abs(pred).max():.2e})")
