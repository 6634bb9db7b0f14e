#!/usr/bin/env python3
"""Independent computation of ntp's prediction bands and interval scores, with numpy, from
ntp's own forecasts table (every validation and test forecast of every model and seed).

The bands are split conformal, as a quantile of the empirical distribution rather than
ntp's order-statistic index: per (look-back, model, seed, fold, step), the residuals
r = actual - forecast on the validation span give the upper offset
np.quantile(r, q, method="inverted_cdf") and the lower offset -np.quantile(-r, q, ...) with
q = ceil((n + 1)(1 - a/2)) / n. (method="higher", as some libraries use, takes the position
q(n - 1) and so the next order statistic: a band one residual wider than the method's.) CRPS is
twice the mean pinball loss over the quantile levels 1 %, ..., 99 % (np.quantile,
method="inverted_cdf"). The Winkler score is the width plus 2/a times the distance of a
miss; MSIS is it over MASE's scale (the metrics table's test_mae / test_mase).

On the test span the bands move as ntp's default says (`--adaptive pid --band-scale ewma`):
conformal PID control on the residuals less their running mean over their running mean
absolute deviation, recomputed with the numpy functions of ../online/reference.py; the
coverage of each quarter of the test span is checked too. `split` as a fourth argument
checks a run made with `--adaptive split --band-scale raw` instead.

Usage: reference.py FORECASTS.csv METRICS.csv OUT.csv [split]
(ntp's `{stem}.forecasts.eE.bB.csv` and `{stem}.mse_results.eE.bB.csv`; the committed OUT is
from results/sample). Prints the largest relative difference to ntp's own columns.
"""
import csv
import math
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "online"))
import reference as online  # noqa: E402  (the PID and running-scale reference)


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def conformal(r, level):
    n = len(r)
    a = 1.0 - level
    q = math.ceil((n + 1) * (1 - a / 2) - 1e-9) / n
    if q > 1:
        return -math.inf, math.inf
    return -np.quantile(-r, q, method="inverted_cdf"), np.quantile(r, q, method="inverted_cdf")


def crps(y, f, r):
    taus = np.arange(1, 100) / 100.0
    q = f[:, None] + np.quantile(r, taus, method="inverted_cdf")[None, :]
    u = y[:, None] - q
    return float(np.mean(2.0 * np.mean(np.where(u >= 0, taus * u, (taus - 1) * u), axis=1)))


def test_band(res, data, s, level, split):
    """(lower, upper) of the test values of step s: split conformal, or PID on scaled scores."""
    m = data[:, 0] == s
    f, y = data[m, 2], data[m, 1]
    if split:
        l_off, h_off = conformal(res, level)
        return f + l_off, f + h_off
    means, scales = online.ewma(res, y - f, s)
    scores = (np.concatenate([res, y - f]) - means) / scales
    sv, st = scores[: len(res)], scores[len(res):]
    a = (1 - level) / 2
    bounds = []
    for sign in (-1.0, 1.0):
        v, t = sign * sv, sign * st
        q = online.pid(online.conformal_quantile(v, a), np.max(np.abs(v)), t, s, a, online.choose(v, s, a))
        bounds.append(q)
    mu, sc = means[len(res):], scales[len(res):]
    return f + mu - bounds[0] * sc, f + mu + bounds[1] * sc


def main(forecasts, metrics, out, method="pid"):
    split = method == "split"
    rows = read(forecasts)
    levels = sorted(
        float(c[len("lower_"):]) / 100 for c in rows[0] if c.startswith("lower_")
    )
    groups = defaultdict(lambda: {"validation": [], "test": []})
    for r in rows:
        key = (r["look_back"], r["model"], r["seed"], r["fold"])
        groups[key][r["span"]].append((int(r["step"]), float(r["actual"]), float(r["forecast"])))
    scale = {}
    for m in read(metrics):
        if m["fold"] != "all" and m["test_mase"]:
            scale[(m["look_back"], m["model"], m["seed"], m["fold"])] = float(m["test_mae"]) / float(m["test_mase"])
    result = []
    for key, spans in sorted(groups.items()):
        val, test = np.array(spans["validation"]), np.array(spans["test"])
        if len(val) == 0 or len(test) == 0:
            continue
        steps = sorted(set(val[:, 0].astype(int)))
        res = {s: val[val[:, 0] == s, 1] - val[val[:, 0] == s, 2] for s in steps}
        out_row = {"look_back": key[0], "model": key[1], "seed": key[2], "fold": key[3]}
        for level in levels:
            name = f"{level * 100:g}"
            a = 1.0 - level
            for span, data in (("val", val), ("test", test)):
                lo = np.empty(len(data))
                hi = np.empty(len(data))
                for s in steps:
                    m = data[:, 0] == s
                    if span == "test":
                        lo[m], hi[m] = test_band(res[s], data, s, level, split)
                    else:
                        l_off, h_off = conformal(res[s], level)
                        lo[m] = data[m, 2] + l_off
                        hi[m] = data[m, 2] + h_off
                y = data[:, 1]
                inside = (lo <= y) & (y <= hi)
                out_row[f"{span}_coverage_{name}"] = float(np.mean(inside))
                if span == "test":
                    wink = (hi - lo) + 2 / a * (np.maximum(lo - y, 0) + np.maximum(y - hi, 0))
                    out_row[f"test_width_{name}"] = float(np.mean(hi - lo))
                    out_row[f"test_winkler_{name}"] = float(np.mean(wink))
                    out_row[f"test_msis_{name}"] = float(np.mean(wink)) / scale.get(key, math.nan)
                    # The quarters by position in time order, as ntp cuts them.
                    quarter = (np.arange(len(data)) * 4) // len(data)
                    for k in range(4):
                        out_row[f"test_q{k + 1}_coverage_{name}"] = float(np.mean(inside[quarter == k]))
        for span, data in (("val", val), ("test", test)):
            out_row[f"{span}_crps"] = float(np.mean([
                crps(data[data[:, 0] == s, 1], data[data[:, 0] == s, 2], res[s]) * np.sum(data[:, 0] == s)
                for s in steps
            ]) * len(steps) / len(data))
        result.append(out_row)
    fields = list(result[0].keys())
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(result)
    # Against ntp's own columns.
    ntp = {(m["look_back"], m["model"], m["seed"], m["fold"]): m for m in read(metrics)}
    worst = 0.0
    for r in result:
        m = ntp.get((r["look_back"], r["model"], r["seed"], r["fold"]))
        for c, v in r.items():
            if c in ("look_back", "model", "seed", "fold") or m is None or not m.get(c):
                continue
            w = float(m[c])
            worst = max(worst, abs(w - v) / max(abs(v), 1e-300))
    print(f"{len(result)} runs, {len(levels)} levels; largest relative difference to ntp: {worst:.3g}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
