"""Coverage of the 80% band on simulated series whose future is as hard as their past.

Real holdouts can be calmer or wilder than the backtest before them (Tourism's is calmer,
see bench_accuracy.py); simulated series are not, so here a band that holds more than 80%
is wider than the errors it is calibrated on warrant. Four kinds, monthly, automatic
selection, a year ahead: a random walk with drift (level scale), exponential growth of 3%
a month with 5% iid noise on the log scale, a random walk with drift on the log scale, and
the exponential growth with a +-20% season. Per kind: the share of the next 12 months
inside the 80% band, above it and below it, and the backtest table's coverage of the model
used (each block of origins scored with a calibration from the others, as the Forecast
page shows it). ``--no-prior`` calibrates on each series' own backtest errors alone
(without the population prior of far steps' error scales, forecasting/models/prior_table.py):
the prior is fitted on real series, whose growth rates change, and these do not.

Measured (40 per kind, 36 months, load 7 on 2 cores): inside 89.4 / 97.1 / 84.4 / 96.0%
(above 8.3 / 1.7 / 13.3 / 3.3), backtest 93.5 / 96.6 / 93.9 / 95.6%; with --no-prior 85.6 /
85.2 / 80.4 / 84.4% inside. The prior is most of the excess on steady growth (its drift term
beta_k * k * drift says the growth rate will change; here it never does); the rules that
only widen take the rest, 1-3 points each (the quantile's correction counting origins, the
normal tail from the median, narrowing by two thirds at most). Counting each step's own
scale as the fit over every step it rests on (1 / (1 / N + (log k - m)**2 / S) errors
rather than the step's count) took 96 months of steady growth from 98% to 89%, but counts 2
origins' 24 errors as 24 independent ones; capped at one per origin it changed nothing.

The excess here is not the prior's on real series. Out of sample (benchmarks/prior_holdout.py:
M1, M3 and Tourism training parts cut again, their last periods held out) the prior adds 1-5
points and lowers or keeps the interval score on 7 of 9 sets, and real series whose prior is
mostly its drift term hold only 62% (monthly, without it) and 68% (with it) in 80% bands:
real growth rates change, these do not. Refitting the prior on the cut histories, its
strength d0_k chosen by the held-out interval score of the engine's own bands (its counting),
moved those sets by 0-1.2 points and these by 1-3 (95.2% on steady growth); its drift term
on the pace (the drift and its change between the history's halves) left these where they
are and took the growth set of bench_accuracy to 85.8%. Neither landed.

    .venv/bin/python benchmarks/bench_coverage_sim.py [--history N] [--series N] [--no-prior]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from forecasting.models.api import forecast, series_frame

H = 12
KINDS = ("rw_drift", "exp_noise", "log_rw", "exp_seasonal")


def simulate(kind: str, seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    if kind == "rw_drift":
        return 200 + np.cumsum(rng.normal(1.0, 3.0, n))
    if kind == "exp_noise":
        return 100 * np.exp(0.03 * t + rng.normal(0, 0.05, n))
    if kind == "log_rw":
        return 100 * np.exp(np.cumsum(rng.normal(0.02, 0.04, n)))
    if kind == "exp_seasonal":
        season = 0.2 * np.sin(2 * np.pi * t / 12)
        return 100 * np.exp(0.02 * t + season + rng.normal(0, 0.05, n))
    raise ValueError(kind)


def measure(kind: str, history: int, count: int) -> tuple[float, float, float, float]:
    """(inside, above, below, backtest coverage of the model used), percent."""
    series = {f"{kind}{i}": simulate(kind, 1000 + i, history + H) for i in range(count)}
    frame = pd.concat(
        [series_frame(y[:history], unique_id=uid) for uid, y in series.items()], ignore_index=True
    )
    result = forecast(frame, h=H, level=(80,), n_jobs=2)
    above, below = [], []
    for uid, part in result.forecast.groupby("unique_id"):
        actual = series[str(uid)][history:]
        above.append(actual > part["upper"].to_numpy())
        below.append(actual < part["lower"].to_numpy())
    up, down = 100 * float(np.mean(above)), 100 * float(np.mean(below))
    used = result.backtest[result.backtest["selected"]]
    return 100 - up - down, up, down, float(used["coverage"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--history", type=int, default=36, help="months of history (36)")
    parser.add_argument("--series", type=int, default=40, help="series per kind (40)")
    parser.add_argument("--no-prior", action="store_true", help="own backtest errors alone")
    args = parser.parse_args()
    if args.no_prior:
        from forecasting.models import intervals

        intervals.PRIOR.clear()  # the forecast's workers fork from this process
    print(
        f"== 80% band on simulated series: {args.series} per kind, {args.history} months, "
        f"{H} ahead{', no prior' if args.no_prior else ''}"
    )
    print(f"  {'kind':14s} {'inside':>7s} {'above':>6s} {'below':>6s} {'backtest':>9s}")
    start = time.perf_counter()
    for kind in KINDS:
        inside, up, down, bt = measure(kind, args.history, args.series)
        print(f"  {kind:14s} {inside:7.1f} {up:6.1f} {down:6.1f} {bt:9.1f}", flush=True)
    print(f"  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
