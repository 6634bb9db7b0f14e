"""Independent references for `ntp train`'s experiment, computed from ntp's own outputs.

Run from the repository root (the NAB case, whose outputs are committed here) after

    ntp train tests/data/series/nab-ec2-network-in-257a54.csv -o OUT \
        --period 288,2016 --look-back 12,36 --epochs 4 --hidden 8 --seeds 2 --dpi 50 -q

as `python3 tests/data/reference/experiment/reference.py OUT`. Needs (PyPI) statsmodels,
statsforecast, dieboldmariano, pandas. Writes beside this script:

- `dm.csv`: the Diebold-Mariano p-value (HLN correction, squared error, h = 1) of every
  deterministic model against persistence and against the best baseline, from the
  `dieboldmariano` package on ntp's test forecasts.
- `smoothing.csv`: one-step forecasts over the validation and test targets by statsmodels'
  `ExponentialSmoothing` given ntp's fitted parameters and initial states
  (initialization_method="known", optimized=False), for Holt-Winters, ETS and the trend model
  of MSTL+ETS; the last replayed on statsforecast's `mstl` decomposition of the training span
  (its components continued by their last season) instead of ntp's.
- `fit.csv`: the one-step MSE over the training span of ntp's fit and of statsmodels' own fit
  (its optimiser, initialization_method="estimated") of the same model form.
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from dieboldmariano import dm_test
from statsforecast.mstl import mstl
from statsmodels.tsa.holtwinters import ExponentialSmoothing

here = Path(__file__).parent
out = Path(sys.argv[1])
# Another series (not written beside this script, printed): SERIES.csv TIME_COLUMN
# VALUE_COLUMN INTERVAL, e.g. ../shared/data/series/nasa-http-1995-requests-1h.csv time
# requests 1h.
other = len(sys.argv) > 2
path = Path(sys.argv[2]) if other else here.parent.parent / "series" / "nab-ec2-network-in-257a54.csv"
time_col, value_col, every = sys.argv[3:6] if other else ("timestamp", "value", "5min")
stem = path.name.split(".")[0]
if other:
    here = Path(tempfile.mkdtemp())
run = json.loads((out / f"{stem}.run.json").read_text())
fc = pd.read_csv(next(out.glob(f"{stem}.forecasts.*.csv")), keep_default_na=False)
series = pd.read_csv(path, parse_dates=[time_col]).rename(columns={time_col: "timestamp", value_col: "value"})
# ntp's series: the regular grid, missing stamps and empty cells filled linearly (--fill
# linear, which the test gives: train leaves them out of every window by default), the
# amount per interval → per second.
series = series.set_index("timestamp")[["value"]]
grid = pd.date_range(series.index[0], series.index[-1], freq=every)
series = series.reindex(grid).interpolate("linear").reset_index(names="timestamp")
assert len(series) == run["series"]["points"], (len(series), run["series"]["points"])
x = series["value"].to_numpy(float) / pd.Timedelta(every).total_seconds()

# --- Diebold-Mariano ---------------------------------------------------------------
rows = []
test = fc[(fc.span == "test") & (fc.seed == "")]
for lb, g in test.groupby("look_back"):
    best = run["best_baseline_per_look_back"][str(lb)]
    by = {m: d.sort_values("time") for m, d in g.groupby("model")}
    actual = by["persistence"].actual.astype(float).to_list()
    for m, d in by.items():
        f = d.forecast.astype(float).to_list()
        for ref, col in (("persistence", "dm_p_vs_persistence"), (best, "dm_p_vs_best_baseline")):
            if m == ref:
                continue
            _, p = dm_test(actual, f, by[ref].forecast.astype(float).to_list(), h=1, harvey_correction=True)
            rows.append({"look_back": lb, "model": m, "against": col, "p_value": p})
pd.DataFrame(rows).to_csv(here / "dm.csv", index=False)


# --- exponential smoothing -----------------------------------------------------------
def replay(fit, y):
    """statsmodels' one-step forecasts of every y[t] with ntp's parameters and states."""
    spec = fit["spec"]
    trend = {"none": None, "additive": "add", "damped": "add"}[spec["trend"]]
    kw = dict(
        trend=trend,
        damped_trend=spec["trend"] == "damped",
        seasonal="add" if spec["period"] else None,
        seasonal_periods=spec["period"],
        initialization_method="known",
        initial_level=fit["level0"],
    )
    if trend:
        kw["initial_trend"] = fit["trend0"]
    if spec["period"]:
        kw["initial_seasonal"] = np.array(fit["season0"])
    params = dict(smoothing_level=fit["alpha"], optimized=False)
    if trend:
        params["smoothing_trend"] = fit["beta"]
    if spec["period"]:
        params["smoothing_seasonal"] = fit["gamma"]
    if spec["trend"] == "damped":
        params["damping_trend"] = fit["phi"]
    return ExponentialSmoothing(y, **kw).fit(**params).fittedvalues


fits = run["classical_fits"][0]["fits"]
n_train = run["classical_fits"][0]["fits"]["fit_end"]
targets = fc[(fc.model == "persistence") & (fc.look_back == fc.look_back.min())]
index = {t: i for i, t in enumerate(series["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"))}
positions = [index[t[:19]] for t in targets.time]
out_rows = {"time": list(targets.time)}
out_rows["holt_winters"] = replay(fits["holt_winters"], x)[positions]
out_rows["ets"] = replay(fits["ets"], x)[positions]

# MSTL: statsforecast's decomposition of the training span, components continued by their
# last season, the trend model replayed with ntp's parameters.
periods = [p for p in run["periods"] if 2 * p <= n_train]
dec = mstl(x[:n_train], sorted(periods))
season = np.zeros(len(x))
for p in sorted(periods):
    comp = dec[f"seasonal{p}"].to_numpy() if len(periods) > 1 else dec["seasonal"].to_numpy()
    last = comp[n_train - p:]
    season[:n_train] += comp
    season[n_train:] += [last[(t - (n_train - p)) % p] for t in range(n_train, len(x))]
trend_fit = dict(fits["mstl"]["trend"])
out_rows["mstl_ets"] = (replay(trend_fit, x - season) + season)[positions]
pd.DataFrame(out_rows).to_csv(here / "smoothing.csv", index=False)

# --- statsmodels' own fit of the same forms ------------------------------------------
rows = []
y = x[:n_train]
for name in ("holt_winters", "ets"):
    spec = fits[name]["spec"]
    trend = {"none": None, "additive": "add", "damped": "add"}[spec["trend"]]
    m = ExponentialSmoothing(
        y,
        trend=trend,
        damped_trend=spec["trend"] == "damped",
        seasonal="add" if spec["period"] else None,
        seasonal_periods=spec["period"],
        initialization_method="estimated",
    ).fit()
    rows.append({"model": name, "ntp_train_mse": fits[name]["train_mse"], "statsmodels_train_mse": m.sse / len(y)})
pd.DataFrame(rows).to_csv(here / "fit.csv", index=False)
print((here / "fit.csv").read_text())
if other:  # compare with ntp here
    ref = pd.read_csv(here / "smoothing.csv")
    lb = fc.look_back.min()
    for m in ("holt_winters", "ets", "mstl_ets"):
        ours = fc[(fc.model == m) & (fc.look_back == lb)].forecast.astype(float).to_numpy()
        diff = np.sqrt(np.mean((ours - ref[m].to_numpy()) ** 2)) / np.sqrt(np.mean(ref[m].to_numpy() ** 2))
        print(f"{m}: RMS difference / RMS = {diff:.2e}")
    d = pd.read_csv(here / "dm.csv")
    rows = pd.read_csv(next(out.glob(f"{stem}.mse_results.*.csv")), keep_default_na=False)
    worst = 0.0
    for _, r in d.iterrows():
        row = rows[(rows.look_back == r.look_back) & (rows.model == r.model) & (rows.fold == "all") & (rows.seed == "")]
        ours = float(row[r.against].iloc[0])
        worst = max(worst, abs(ours - r.p_value) / max(r.p_value, 1e-300))
    print(f"DM p-values: {len(d)} compared, worst relative difference {worst:.1e}")
