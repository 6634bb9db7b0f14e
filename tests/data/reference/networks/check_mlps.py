#!/usr/bin/env python3
"""DLinear and N-HiTS of ntp against PyTorch on the same windows and weights.

Trains each with `ntp train` (one seed, a few epochs) on the NAB series bundled in
tests/data/series/, then rebuilds the saved model in PyTorch — DLinear as Zeng et al.'s code
builds it (AvgPool1d over the window padded by repeating its ends, two nn.Linear), N-HiTS as
neuralforecast's NHITS does with its defaults (MaxPool1d(ceil_mode=True) over the reversed
window, MLP blocks, F.interpolate(mode="linear") of the knots) — loads ntp's safetensors into
it, forms the validation and test windows from the series with the card's scaler and frame
(delta target, RevIN), and compares its forecasts with those ntp wrote. Prints the largest
relative difference per model and exits non-zero above the tolerance (1e-4 of the series'
range). Needs torch, safetensors and numpy; run from the repository root after
`cargo build --release`:

    python3 tests/data/reference/networks/check_mlps.py
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

root = Path(__file__).resolve().parents[4]
ntp = os.environ.get("NTP") or str(Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release/ntp")
series = root / "tests/data/series/nab-ec2-network-in-257a54.csv"
TOL = 1e-4


class DLinear(torch.nn.Module):
    def __init__(self, look_back, horizon, kernel=25):
        super().__init__()
        self.kernel = kernel
        self.linear_seasonal = torch.nn.Linear(look_back, horizon)
        self.linear_trend = torch.nn.Linear(look_back, horizon)

    def forward(self, x):  # [B, L]
        front = x[:, :1].repeat(1, (self.kernel - 1) // 2)
        end = x[:, -1:].repeat(1, (self.kernel - 1) // 2)
        padded = torch.cat([front, x, end], dim=1)
        trend = F.avg_pool1d(padded[:, None, :], self.kernel, stride=1)[:, 0, :]
        return self.linear_seasonal(x - trend) + self.linear_trend(trend)


class NHITSBlock(torch.nn.Module):
    def __init__(self, look_back, horizon, pool, downsample, width):
        super().__init__()
        self.look_back, self.horizon = look_back, horizon
        self.knots = max(horizon // downsample, 1)
        self.pool = torch.nn.MaxPool1d(pool, stride=pool, ceil_mode=True)
        pooled = int(np.ceil(look_back / pool))
        self.layers = torch.nn.ModuleList([torch.nn.Linear(pooled, width), torch.nn.Linear(width, width),
                                           torch.nn.Linear(width, look_back + self.knots)])

    def forward(self, residual):
        h = self.pool(residual[:, None, :])[:, 0, :]
        h = torch.relu(self.layers[0](h))
        h = torch.relu(self.layers[1](h))
        theta = self.layers[2](h)
        backcast, knots = theta[:, :self.look_back], theta[:, self.look_back:]
        forecast = F.interpolate(knots[:, None, :], size=self.horizon, mode="linear")[:, 0, :]
        return backcast, forecast


class NHITS(torch.nn.Module):
    def __init__(self, look_back, horizon, width):
        super().__init__()
        self.blocks = torch.nn.ModuleList([NHITSBlock(look_back, horizon, p, d, width)
                                           for p, d in [(2, 4), (2, 2), (1, 1)]])

    def forward(self, x):  # [B, L]; neuralforecast's Naive1 level is the frame's offset here
        residual = x.flip(dims=(-1,))
        forecast = 0
        for block in self.blocks:
            backcast, f = block(residual)
            residual = residual - backcast
            forecast = forecast + f
        return forecast


def check(model_name, work):
    out = work / model_name
    subprocess.run([ntp, "train", "-q", str(series), "-o", str(out), "--model", model_name, "--look-back", "36",
                    "--horizon", "3", "--seeds", "1", "--epochs", "3", "--hidden", "32", "--dpi", "50"],
                   check=True, stdout=subprocess.DEVNULL)
    stem = series.name.split(".")[0]
    card = json.loads(next(out.glob(f"{stem}.best_model.*.json")).read_text())
    weights = load_file(str(next(out.glob(f"{stem}.best_model.*.safetensors"))))
    l, h = card["look_back"], card["horizon"]
    assert card["hyper"]["target"] == "delta" and card["hyper"]["norm"] == "window", card["hyper"]
    net = DLinear(l, h) if model_name == "dlinear" else NHITS(l, h, card["hyper"]["hidden"])
    net.load_state_dict(weights)
    table = list(csv.DictReader(open(next(out.glob(f"{stem}.forecasts.*.csv")))))
    rows = [r for r in table if r["model"] == model_name]
    times = [r["timestamp"] for r in csv.DictReader(open(series))]
    index = {t.replace(" ", "T") + "Z": i for i, t in enumerate(times)}
    # ntp's series is a rate (bytes per second of each 5-minute interval): persistence's first
    # forecast is the value before its target, which gives the factor.
    values = np.array([float(r["value"]) for r in csv.DictReader(open(series))])
    first = next(r for r in table if r["model"] == "persistence" and r["step"] == "1")
    values = values / (values[index[first["time"]] - 1] / float(first["forecast"]))
    lo, hi = card["scaler"]["min"], card["scaler"]["max"]
    scaled = ((values - lo) / (hi - lo)).astype(np.float32)
    worst = 0.0
    origins = sorted({index[r["time"]] - int(r["step"]) + 1 for r in rows})
    windows = torch.tensor(np.stack([scaled[o - l:o] for o in origins]))
    mean = windows.mean(dim=1, keepdim=True)
    sd = torch.sqrt(windows.var(dim=1, unbiased=False, keepdim=True) + 1e-5)
    with torch.no_grad():
        p = net((windows - mean) / sd)
    last = windows[:, -1:]
    forecast = (last + sd * p).numpy() * (hi - lo) + lo
    by_origin = {o: k for k, o in enumerate(origins)}
    for r in rows:
        step = int(r["step"])
        o = index[r["time"]] - step + 1
        ref = forecast[by_origin[o], step - 1]
        worst = max(worst, abs(float(r["forecast"]) - ref) / (hi - lo))
    print(f"{model_name}: {len(rows)} forecasts, largest difference {worst:.2e} of the training range")
    return worst


def main():
    with tempfile.TemporaryDirectory() as work:
        worst = max(check(m, Path(work)) for m in ["dlinear", "nhits"])
    sys.exit(0 if worst <= TOL else 1)


if __name__ == "__main__":
    main()
