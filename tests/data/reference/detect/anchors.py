#!/usr/bin/env python3
"""The anchors `ntp detect` is judged against: the 3-sigma z-score over the whole series
(mean and standard deviation of every point, the future included) and scikit-learn's
IsolationForest (contamination 1 %, 100 trees, seeds 0-4, on the value alone), scored by
the same event rule as `ntp detect`: alarmed intervals at most GAP (3) intervals apart are
one event; a labelled window is found when an event overlaps it; precision is the share of
events that overlap a window; F1 their harmonic mean.

Usage: anchors.py SERIES LABELS [--column C]   SERIES: CSV (timestamp,value) or Parquet
(an ntp series table); LABELS: CSV start,end[,kind] (ISO 8601, end exclusive).
Prints one line per anchor: name, events, windows found, precision, recall, F1.
"""
import argparse
import datetime as dt

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

GAP = 3


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace(" ", "T")).timestamp()


def load(path, column):
    if path.endswith(".parquet"):
        df = pl.read_parquet(path)
        t = df["timestamp"].dt.epoch("ns").to_numpy() / 1e9
    else:
        df = pl.read_csv(path)
        t = np.array([ts(x) for x in df[df.columns[0]].to_list()])
        column = column or "value"
    v = df[column or "ip_bytes"].cast(pl.Float64).to_numpy()
    return t, v


def events(t, alarm, every):
    out = []
    for i in np.flatnonzero(alarm):
        if out and t[i] - out[-1][1] <= GAP * every + 1e-6:
            out[-1][1] = t[i]
        else:
            out.append([t[i], t[i]])
    return out


def score(ev, labels, every):
    hit = lambda e, l: e[0] < l[1] and l[0] < e[1] + every
    found = sum(1 for l in labels if any(hit(e, l) for e in ev))
    true = sum(1 for e in ev if any(hit(e, l) for l in labels))
    r = found / len(labels)
    p = true / len(ev) if ev else 0.0
    f1 = 2 * r * p / (r + p) if r + p else 0.0
    return len(ev), found, p, r, f1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("series")
    ap.add_argument("labels")
    ap.add_argument("--column")
    a = ap.parse_args()
    t, v = load(a.series, a.column)
    every = float(np.median(np.diff(t)))
    labels = [(ts(r["start"]), ts(r["end"])) for r in pl.read_csv(a.labels).to_dicts()]
    z = np.abs(v - v.mean()) / v.std()
    rows = [("zscore-3sigma",) + score(events(t, z > 3, every), labels, every)]
    f1s = []
    for seed in range(5):
        f = IsolationForest(contamination=0.01, n_estimators=100, random_state=seed)
        alarm = f.fit_predict(v.reshape(-1, 1)) == -1
        f1s.append(score(events(t, alarm, every), labels, every))
    mean = tuple(float(np.mean([x[i] for x in f1s])) for i in range(5))
    rows.append(("isolation-forest",) + mean)
    for r in rows:
        print("%s events %.1f found %.1f precision %.3f recall %.3f f1 %.3f" % r)


if __name__ == "__main__":
    main()
