#!/usr/bin/env python3
"""NAB's own scorer on `ntp detect`'s alarms, beside the NAB score ntp reports.

NAB's `Sweeper` (numenta/NAB, `nab/sweeper.py`, standard profile: tpWeight 1, fpWeight 0.11,
fnWeight 1, probation 15 %) scores the intervals `ntp detect` alarmed (anomaly score 1,
others 0) over the same time stamps (the series as ntp read it, every interval) and the
same windows (first and last interval inside each labelled window); the raw score is
normalised as NAB's scorer does: 100 (raw − null) / (perfect − null), null = −fnWeight per
window, perfect = tpWeight per window.

Usage: nab_check.py NAB_CHECKOUT DETECT_CSV LABELS_CSV SCORES_CSV START
  NAB_CHECKOUT  a checkout of github.com/numenta/NAB (AGPL: read here, not copied)
  DETECT_CSV    `{stem}.detect.csv` of `ntp detect` (one column)
  LABELS_CSV    the labels given to `ntp detect --labels` (start,end[,kind], end exclusive)
  SCORES_CSV    `{stem}.detect_scores.csv` of the same run
  START         the series' first interval (ISO 8601): the ones before scoring are added
Needs pandas (NAB imports it).
"""
import csv
import datetime as dt
import sys


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    nab, detect_csv, labels_csv, scores_csv, start = sys.argv[1:6]
    sys.path.insert(0, nab)
    from nab.sweeper import Sweeper

    rows = list(csv.DictReader(open(detect_csv)))
    scored = {ts(r["timestamp"]): r["alarm"] == "true" for r in rows}
    first = min(scored)
    every = min(b - a for a, b in zip(sorted(scored), sorted(scored)[1:]))
    # Every interval of the series: the ones before scoring started are not alarmed.
    n_before = int(round((first - ts(start)) / every))
    stamps = [first - every * k for k in range(n_before, 0, -1)] + sorted(scored)
    alarms = [1.0 if scored.get(t, False) else 0.0 for t in stamps]
    windows = []
    for r in csv.DictReader(open(labels_csv)):
        a, b = ts(r["start"]), ts(r["end"])
        inside = [t for t in stamps if a <= t < b]
        if inside:
            windows.append((inside[0], inside[-1]))
    sweeper = Sweeper(probationPercent=0.15, costMatrix={"tpWeight": 1.0, "fpWeight": 0.11, "fnWeight": 1.0})
    _, row = sweeper.scoreDataSet(stamps, alarms, windows, "series", 1.0)
    raw = row.score
    null, perfect = -1.0 * len(windows), 1.0 * len(windows)
    nab_score = 100.0 * (raw - null) / (perfect - null)
    ours = float(next(csv.DictReader(open(scores_csv)))["nab_standard"])
    print("NAB's scorer: %.9f   ntp: %.9f   difference %.2e" % (nab_score, ours, abs(nab_score - ours)))


if __name__ == "__main__":
    main()
