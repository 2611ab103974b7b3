"""One series end to end: guard the history, fit, backtest, select, calibrate, simulate."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecasting.interface import Excuse
from forecasting.models import metrics
from forecasting.models.backtest import (
    Backtest,
    ModelBacktest,
    combine,
    keep_within,
    plan_windows,
    run_backtest,
    score,
    window_mase,
)
from forecasting.models.base import (
    FloatArray,
    Forecaster,
    ModelFailure,
    PointForecast,
    simulate_paths,
)
from forecasting.models.guards import absurd, adjust_history, is_constant
from forecasting.models.intervals import Calibration, bands, calibrate
from forecasting.models.registry import AUTO, make_model
from forecasting.models.result import SeriesForecast
from forecasting.models.validation import Frequency

# Candidates of automatic selection: the three model families that won the M competitions
# between them, and the benchmarks any forecast should beat (seasonal naive for seasonal
# data; naive and drift for data without a season, where they are hard to beat).
MODEL_FAMILIES = ("ets", "theta", "arima")
# The forecast is the median of every candidate whose backtest MASE is within this factor
# of the best one. On M1, Tourism and M3 this beat picking the single best on the backtest
# (three windows are too noisy to pick one, and the winner's backtest flatters it) and
# beat a fixed combination; factors from 1.5 to 3 give nearly the same accuracy.
KEEP_WITHIN = 2.0
# Long histories are cut to their most recent stretch: fitting time grows with length, and
# years-old days rarely improve a forecast weeks ahead (two years of days: 3x faster).
MIN_RECENT = 240
RECENT_CYCLES = 20
# Without backtests (history too short), this order decides.
FALLBACK_ORDER = ("ets", "theta", "drift", "naive")


@dataclass(frozen=True)
class SeriesJob:
    """Everything one series' forecast needs; picklable, for the process pool."""

    unique_id: str
    y: FloatArray
    last: pd.Timestamp
    freq: Frequency
    h: int
    levels: tuple[float, ...]
    model: str = AUTO
    n_paths: int = 0
    seed: int = 0


def series_seed(seed: int, unique_id: str) -> int:
    """A per-series seed that does not depend on which other series are in the batch."""
    return (seed * 1_000_003 + zlib.crc32(unique_id.encode())) % 2**32


def forecast_series(job: SeriesJob) -> SeriesForecast:
    """Forecast one series; never raises for data reasons: a problem becomes an Excuse."""
    uid, y, m = job.unique_id, job.y, job.freq.season_length
    ds = job.freq.future(job.last, job.h)
    if len(y) < 3:
        return _too_short(job, ds)
    if is_constant(y):
        return _constant(job, ds)
    y_fit, excuses = adjust_history(uid, y[-recent_length(m, job.h) :], m)
    names = auto_candidates(m) if job.model == AUTO else [job.model]
    fitted, points, failures = fit_candidates(names, y_fit, job.h, m)
    excuses += _failure_excuses(uid, failures, explicit=job.model != AUTO)
    if not fitted:
        fitted, points, more = fit_candidates(["naive"], y_fit, job.h, m)
        excuses += _failure_excuses(uid, more, explicit=True)
        why = f"series {uid!r}: every model failed; naive forecast used"
        excuses.append(Excuse(why, {"unique_id": uid}))
        if not fitted:
            return _constant(job, ds, f"series {uid!r}: no model fitted; last value carried")
    plan = plan_windows(len(y_fit), job.h, m)
    bt = run_backtest(y_fit, fitted, plan, m) if plan is not None else None
    chosen, point, rec = _select(job, bt, points)
    calibration = _calibration(bt, rec)
    excuses += _band_excuses(uid, len(y), chosen, bt, calibration)
    out = _finish(job, ds, y, chosen, point, calibration, bt, excuses)
    return replace(out, candidates=_candidates(job, y, points, bt))


def _too_short(job: SeriesJob, ds: pd.DatetimeIndex) -> SeriesForecast:
    uid, n = job.unique_id, len(job.y)
    why = f"series {uid!r} has {n} observation(s); at least 3 are needed to forecast"
    excuse = Excuse(why, {"unique_id": uid, "observations": n})
    return SeriesForecast(uid, "none", ds[:0], np.empty(0), {}, np.empty((0, 0)), [], [excuse])


def _band_excuses(
    uid: str, n: int, chosen: str, bt: Backtest | None, calibration: Calibration
) -> list[Excuse]:
    if bt is None:
        why = (
            f"series {uid!r}: {n} observations are too few to backtest; {chosen} chosen "
            "without validation and its bands are the model's own"
        )
        return [Excuse(why, {"unique_id": uid, "observations": n})]
    if not calibration.calibrated:
        why = (
            f"series {uid!r}: only {len(calibration.scores)} backtest errors; bands are the "
            "model's own, not calibrated"
        )
        return [Excuse(why, {"unique_id": uid})]
    return []


def recent_length(m: int, h: int) -> int:
    """How many of the latest observations the models see: 20 cycles, 240, or 4 horizons."""
    return max(MIN_RECENT, RECENT_CYCLES * m, 4 * h)


def auto_candidates(m: int) -> list[str]:
    """Candidates of automatic selection for a season length."""
    benchmarks = ["seasonal_naive"] if m > 1 else ["naive", "drift"]
    return [*MODEL_FAMILIES, *benchmarks]


def fit_candidates(
    names: Sequence[str], y: FloatArray, h: int, m: int
) -> tuple[dict[str, Forecaster], dict[str, PointForecast], dict[str, str]]:
    """Fit each model on the whole history; keep those whose forecast is finite and sane."""
    fitted: dict[str, Forecaster] = {}
    points: dict[str, PointForecast] = {}
    failures: dict[str, str] = {}
    for name in names:
        try:
            model = make_model(name, m).fit(y)
            point = model.forecast(h)
        except (ModelFailure, ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            failures[name] = str(exc)
            continue
        problem = absurd(point, y)
        if problem is not None:
            failures[name] = f"{name}: {problem}"
            continue
        fitted[name], points[name] = model, point
    return fitted, points, failures


def _failure_excuses(uid: str, failures: dict[str, str], *, explicit: bool) -> list[Excuse]:
    # In automatic mode a model that cannot fit (log-linear on credits) is simply not a
    # candidate; a model the user asked for by name deserves the reason.
    if not explicit:
        return []
    return [
        Excuse(f"series {uid!r}: {why}", {"unique_id": uid, "model": name})
        for name, why in failures.items()
    ]


def _select(
    job: SeriesJob, bt: Backtest | None, points: dict[str, PointForecast]
) -> tuple[str, PointForecast, ModelBacktest | None]:
    """The model to use: the named one, or the median of the candidates that backtest well."""
    if bt is None:
        name = next((n for n in FALLBACK_ORDER if n in points), next(iter(points)))
        return name, points[name], None
    usable = {k: r for k, r in bt.models.items() if r.ok and k in points}
    if not usable:
        name = next(iter(points))
        return name, points[name], bt.models.get(name)
    scores = {k: score(bt, r) for k, r in usable.items()}
    best = min(scores, key=lambda k: scores[k])
    if job.model != AUTO or len(usable) < 2:
        return best, points[best], usable[best]
    members = keep_within(bt, list(usable), KEEP_WITHIN)
    if len(members) == 1:
        return best, points[best], usable[best]
    name = f"combo({'+'.join(members)})"
    bt.models[name] = combine(bt, list(usable), KEEP_WITHIN, name)
    mean = np.median(np.stack([points[k].mean for k in members]), axis=0)
    sd = np.median(np.stack([points[k].sd for k in members]), axis=0)
    return name, PointForecast(mean=mean, sd=sd), bt.models[name]


def _calibration(bt: Backtest | None, rec: ModelBacktest | None) -> Calibration:
    if bt is None or rec is None:
        return Calibration(np.empty(0))
    return calibrate(bt.actual, rec.mean, rec.sd)


def _finish(
    job: SeriesJob,
    ds: pd.DatetimeIndex,
    y: FloatArray,
    chosen: str,
    point: PointForecast,
    calibration: Calibration,
    bt: Backtest | None,
    excuses: list[Excuse],
) -> SeriesForecast:
    nonnegative = bool((y >= 0).all())
    floor = 0.0 if nonnegative else -np.inf
    mean = np.maximum(point.mean, floor)
    out_bands = {
        level: (np.maximum(lo, floor), np.maximum(hi, floor))
        for level, (lo, hi) in bands(point.mean, point.sd, calibration, job.levels).items()
    }
    scale = calibration.path_scale(job.levels[0])
    paths = simulate_paths(
        point.mean, point.sd * scale, job.n_paths, series_seed(job.seed, job.unique_id)
    )
    if nonnegative:
        # Spend and usage cannot go below zero; the band and paths say so too.
        paths = np.maximum(paths, 0.0)
    table = backtest_rows(job.unique_id, bt, chosen, job.levels[0]) if bt is not None else []
    spread = {lv: calibration.path_scale(lv) / scale for lv in job.levels}
    return SeriesForecast(
        job.unique_id, chosen, ds, mean, out_bands, paths, table, excuses, spread=spread
    )


def _candidates(
    job: SeriesJob, y: FloatArray, points: dict[str, PointForecast], bt: Backtest | None
) -> dict[str, tuple[FloatArray, FloatArray, FloatArray]]:
    """Every model tried, as if named alone: its forecast and calibrated first-level band."""
    floor = 0.0 if (y >= 0).all() else -np.inf
    out = {}
    for name, point in points.items():
        rec = bt.models.get(name) if bt is not None else None
        cal = _calibration(bt, rec if rec is not None and rec.ok else None)
        lo, hi = bands(point.mean, point.sd, cal, job.levels[:1])[job.levels[0]]
        out[name] = (np.maximum(point.mean, floor), np.maximum(lo, floor), np.maximum(hi, floor))
    return out


def _constant(job: SeriesJob, ds: pd.DatetimeIndex, why: str | None = None) -> SeriesForecast:
    value = float(job.y[-1])
    mean = np.full(job.h, value)
    flat = {level: (mean.copy(), mean.copy()) for level in job.levels}
    why = why or f"series {job.unique_id!r} is constant: forecast is that constant, no spread"
    return SeriesForecast(
        job.unique_id,
        "constant",
        ds,
        mean,
        flat,
        np.tile(mean, (max(job.n_paths, 0), 1)),
        [],
        [Excuse(why, {"unique_id": job.unique_id})],
    )


def backtest_rows(uid: str, bt: Backtest, chosen: str, level: float) -> list[dict[str, object]]:
    """One accuracy row per model: errors averaged over windows, honest coverage."""
    rows = []
    for name, rec in bt.models.items():
        if not rec.ok:
            continue
        a, f = bt.actual, rec.mean
        per_window = window_mase(bt, rec)
        mase = float(np.nanmean(per_window)) if np.isfinite(per_window).any() else float("nan")
        rows.append(
            {
                "unique_id": uid,
                "model": name,
                "selected": name == chosen,
                "horizon": bt.plan.horizon,
                "windows": len(bt.plan.origins),
                "mase": mase,
                "smape": metrics.smape(a, f),
                "mape": metrics.mape(a, f),
                "bias": metrics.bias(a, f),
                "bias_pct": metrics.bias_pct(a, f),
                "level": level,
                "coverage": cross_coverage(bt, rec, level),
            }
        )
    return rows


def cross_coverage(bt: Backtest, rec: ModelBacktest, level: float) -> float:
    """Coverage of the calibrated band, each window scored with a calibration from the others.

    Scoring a window with a calibration that saw it would report the level back to us.
    With a single window, the model's own band is what is scored.
    """
    w = len(bt.plan.origins)
    inside = []
    for i in range(w):
        others = [j for j in range(w) if j != i]
        cal = (
            calibrate(bt.actual[others], rec.mean[others], rec.sd[others])
            if others
            else Calibration(np.empty(0))
        )
        half = cal.multiplier(level) * rec.sd[i]
        inside.append((bt.actual[i] >= rec.mean[i] - half) & (bt.actual[i] <= rec.mean[i] + half))
    return float(100.0 * np.mean(np.concatenate(inside)))
