#!/usr/bin/env python3
"""Independent re-implementation, with numpy, of ntp's online bands (src/forecast/online.rs):
conformal PID control (Angelopoulos, Candes & Tibshirani 2023: quantile tracking plus the
log-saturated integrator of their code's `quantile_integrator_log`, no burn-in), its tracking
step chosen on the validation scores, and the causal EWMA mean of the residuals and of their
absolute deviation from it (the scores are the residuals less the one, over the other).

The scores are made here: validation residuals of a steady process, test residuals whose
spread grows fourfold and then shifts (the regime change the method is for).

Writes scores.csv (stream, index, value) and expected.csv (what, delay, a, rate, index,
value); ntp's unit test `online::tests::pid_equals_the_numpy_reference` reads both.
Usage: reference.py OUT_DIR
"""
import csv
import math
import sys

import numpy as np

EWMA_WEIGHT = 0.05
RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]


def residuals():
    rng = np.random.default_rng(7)
    val = rng.normal(0.0, 1.0, 240)
    t = np.arange(360)
    spread = 1.0 + 3.0 * t / 359.0
    test = rng.normal(0.0, 1.0, 360) * spread + np.where(t > 250, 2.0, 0.0)
    return val, test


def conformal_quantile(scores, a):
    s = np.sort(scores)
    n = len(s)
    k = int(math.ceil((n + 1) * (1 - a) - 1e-9))
    k = max(k, 1)
    return math.inf if k > n else s[k - 1]


def pid(q0, ki, scores, delay, a, rate):
    """q for each score; the outcome of score i is known `delay` steps later."""
    T = len(scores)
    lt = max(T, 3)
    c_sat = 2 / np.pi * (math.ceil(math.log(lt) * 0.01) - 1 / math.log(lt))
    cap = 100 * max(ki, abs(q0), np.finfo(float).tiny)
    q0 = q0 if np.isfinite(q0) else ki
    qs = np.zeros(T)
    p, integral, known = q0, 0.0, 0
    limit = np.pi / 2 - 1e-6
    for i in range(T):
        if i >= delay:
            j = i - delay
            err = 1.0 if scores[j] > qs[j] else 0.0
            p = p + rate * ki * (err - a)
            integral = integral + (err - a)
            known += 1
        x = integral * np.log(known + 1) / (c_sat * known + 100)
        i_term = 0.0 if known == 0 else ki * np.tan(np.clip(x, -limit, limit))
        qs[i] = np.clip(p + i_term, -cap, cap)
    return qs


def pinball(scores, qs, tau):
    d = scores - qs
    return float(np.sum(np.where(d >= 0, tau * d, (tau - 1) * d)))


def choose(val, delay, a):
    if len(val) < 40:
        return RATES[len(RATES) // 2]
    half = len(val) // 2
    first, second = val[:half], val[half:]
    q0 = conformal_quantile(first, a)
    ki = np.max(np.abs(first))
    losses = [pinball(second, pid(q0, ki, second, delay, a, r), 1 - a) for r in RATES]
    return RATES[int(np.argmin(losses))]


def ewma(val, test, delay):
    """The running mean of the residuals and of their absolute deviation from it."""
    e = np.concatenate([val, test])
    m = np.mean(val)
    start = np.mean(np.abs(val - m))
    floor = max(start * 1e-6, np.finfo(float).tiny)
    means, scales = np.zeros(len(e)), np.zeros(len(e))
    s = max(start, floor)
    for j in range(len(e)):
        if j >= delay:
            x = e[j - delay]
            s = max((1 - EWMA_WEIGHT) * s + EWMA_WEIGHT * abs(x - m), floor)
            m = (1 - EWMA_WEIGHT) * m + EWMA_WEIGHT * x
        means[j], scales[j] = m, s
    return means, scales


def main(out_dir):
    val, test = residuals()
    with open(f"{out_dir}/scores.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["stream", "index", "value"])
        for name, v in (("val", val), ("test", test)):
            for i, x in enumerate(v):
                w.writerow([name, i, repr(float(x))])
    rows = []
    for delay in (1, 3):
        means, scales = ewma(val, test, delay)
        rows += [("ewma_mean", delay, "", "", i, x) for i, x in enumerate(means)]
        rows += [("ewma_scale", delay, "", "", i, x) for i, x in enumerate(scales)]
        for a in (0.025, 0.1):
            # Upper side on scaled scores, as ntp's bands use them.
            scores = (np.concatenate([val, test]) - means) / scales
            sv, st = scores[: len(val)], scores[len(val):]
            rate = choose(sv, delay, a)
            q = pid(conformal_quantile(sv, a), np.max(np.abs(sv)), st, delay, a, rate)
            rows += [("pid", delay, a, rate, i, x) for i, x in enumerate(q)]
    with open(f"{out_dir}/expected.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["what", "delay", "a", "rate", "index", "value"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], r[3], r[4], repr(float(r[5]))])


if __name__ == "__main__":
    main(sys.argv[1])
