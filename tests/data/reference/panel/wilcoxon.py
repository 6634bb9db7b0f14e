#!/usr/bin/env python3
"""Reference p-values of the Wilcoxon signed-rank test for ntp's panel summary
(src/forecast/panel.rs): scipy.stats.wilcoxon(d, zero_method="wilcox", correction=True,
method="approx") on differences made here (with zeros and tied magnitudes).
Writes wilcoxon.csv: the differences (space-separated), then the two-sided p-value.
Usage: wilcoxon.py OUT.csv
"""
import sys

import numpy as np
from scipy import stats

rng = np.random.default_rng(5)
cases = [
    [0.3, -0.1, 0.25, 0.4, -0.05, 0.6, 0.2, 0.15],
    [0.1, 0.1, -0.1, 0.2, 0.0, 0.2, -0.3, 0.1, 0.4],  # a zero and ties
    list(np.round(rng.normal(0.1, 0.3, 40), 3)),
    list(np.round(rng.normal(-0.5, 1.0, 132), 4)),
    list(np.round(rng.normal(0.0, 1.0, 454), 4)),
    [1.0, 2.0, 3.0, -0.5, 4.0, 5.0],
]
with open(sys.argv[1], "w") as f:
    f.write("diffs,p\n")
    for d in cases:
        p = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="approx").pvalue
        f.write(" ".join(repr(float(x)) for x in d) + "," + repr(float(p)) + "\n")
