#!/usr/bin/env python3
"""Seconds per training epoch: `ntp train` (candle) against PyTorch on CPU, same data, same
settings, in one run; prints the medians and the ratio ntp / PyTorch. `--cell gru` compares
ntp's GRU with `nn.GRU`.

Both train LSTM(hidden) + Linear(1) with Adam (lr 1e-3) on MSE over shuffled mini-batches of
the same training windows: the bytes-per-interval series of a capture (default: the bundled
sample at 100 ms intervals, 16 820 points), windows of `--look-back` values, the first
floor(0.8·(n − L)) of them, MinMax-scaled on the training part. An epoch is the training pass
only (shuffle, batches, forward, backward, optimiser step), timed inside each program: ntp
records it in `{stem}.run.json`, PyTorch here with
time.perf_counter (ntp: `lstm_runs[].epoch_seconds`). PyTorch runs with torch.set_num_threads(2) (the machine's cores).

Usage (after `cargo build --release`; needs `pip install torch polars`):
  benches/lstm_vs_pytorch.py [CAPTURE_OR_PARQUET] [--every 100ms] [--look-back 20]
                             [--batch-size 64,32] [--epochs 5] [--rounds 3] [--hidden 50]
                             [--cell lstm|gru] [--ntp PATH]
Each round runs PyTorch then ntp, so that machine noise hits both alike; the figures are
medians over all epochs of all rounds, and the median of the per-round ratios.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import polars as pl
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def series(parquet, every):
    df = pl.read_parquet(parquet).sort("Timestamp")
    s = df.group_by_dynamic("Timestamp", every=every, closed="left", label="left", start_by="window").agg(
        pl.col("Size (bytes)").cast(pl.UInt64).sum().alias("bytes")
    )
    s = s.upsample(time_column="Timestamp", every=every).with_columns(pl.col("bytes").fill_null(0))
    return s["bytes"].cast(pl.Float64).to_numpy()


def windows(values, look_back):
    n = len(values)
    count = n - look_back
    train = int(0.8 * count)
    lo, hi = values[: train + look_back].min(), values[: train + look_back].max()
    scaled = (values - lo) / (hi - lo if hi > lo else 1.0)
    x = np.stack([scaled[i : i + look_back] for i in range(train)]).astype(np.float32)
    y = scaled[look_back : look_back + train].astype(np.float32)
    return x, y


def torch_epochs(x, y, hidden, batch, epochs, cell="lstm", seed=0):
    torch.manual_seed(seed)
    torch.set_num_threads(2)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](1, hidden, batch_first=True)
            self.linear = torch.nn.Linear(hidden, 1)

        def forward(self, v):
            out, _ = self.lstm(v)
            return self.linear(out[:, -1, :])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.MSELoss()
    xt = torch.from_numpy(x).unsqueeze(-1)
    yt = torch.from_numpy(y).unsqueeze(-1)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    return seconds


def ntp_epochs(ntp, parquet, every, look_back, batch, epochs, hidden, cell="lstm"):
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            # The study's split (--select-on-test): the same first floor(0.8·(n − L)) training
            # windows as above, one seed, every epoch run.
            [ntp, "train", parquet, "--every", every, "--look-back", str(look_back), "--batch-size", str(batch),
             "--epochs", str(epochs), "--hidden", str(hidden), "--select-on-test", "--seeds", "1",
             "--cell", cell, "-o", out],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        path = next((line.split(": ", 1)[1].split(" path")[0] for line in done.stderr.splitlines()
                     if line.startswith("recurrent kernels:")), "?")
        stem = os.path.splitext(os.path.basename(parquet))[0]
        run = json.load(open(os.path.join(out, f"{stem}.run.json")))
        return run["lstm_runs"][0]["epoch_seconds"], path


def cpu():
    """The CPU's model name and its vector extensions that matter here."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown CPU"
    name = next((l.split(":", 1)[1].strip() for l in text.splitlines() if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in text.splitlines() if l.startswith("flags")), [])
    return f"{name} ({', '.join(f for f in ('avx2', 'fma', 'avx512f') if f in flags) or 'no AVX2'})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", default=os.path.join(ROOT, "tests/data/lan-broadcast-28min-ns.pcapng"))
    ap.add_argument("--every", default="100ms")
    ap.add_argument("--look-back", type=int, default=20)
    ap.add_argument("--batch-size", default="64,32")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--ntp", default=os.path.join(target, "release/ntp"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        parquet = args.input
        if not parquet.endswith(".parquet"):
            parquet = os.path.join(work, os.path.basename(args.input).split(".")[0] + ".parquet")
            subprocess.run([args.ntp, "preprocess", "-q", args.input, "-o", parquet], check=True)
        x, y = windows(series(parquet, args.every), args.look_back)
        print(f"{len(x)} training windows of {args.look_back} values ({args.every} intervals of "
              f"{os.path.basename(args.input)}), {args.cell.upper()}({args.hidden}) + Linear, {args.epochs} epochs; "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads; {cpu()}")
        for batch in [int(b) for b in args.batch_size.split(",")]:
            theirs, ours, ratios = [], [], []
            for _ in range(args.rounds):
                t = torch_epochs(x, y, args.hidden, batch, args.epochs, args.cell)
                o, path = ntp_epochs(args.ntp, parquet, args.every, args.look_back, batch, args.epochs,
                                     args.hidden, args.cell)
                theirs += t
                ours += o
                ratios.append(statistics.median(o) / statistics.median(t))
            t, o = statistics.median(theirs), statistics.median(ours)
            print(f"batch {batch:3}: ntp ({path} kernels) {o:.3f} s/epoch (min {min(ours):.3f}), PyTorch {t:.3f} s/epoch "
                  f"(min {min(theirs):.3f}), medians over {len(ours)} epochs; ratio ntp/PyTorch {o / t:.2f} "
                  f"(per round: {', '.join(f'{r:.2f}' for r in ratios)})")
    sys.stdout.flush()


main()
