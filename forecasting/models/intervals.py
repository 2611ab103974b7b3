"""Prediction intervals calibrated on backtest errors; sample paths summed to coarser periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import ClassVar

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.models.base import FloatArray, z_value

# Fewer backtest errors than this and even their median is mostly noise: the model's own
# (Gaussian) spread is used as it is, and the forecast says so.
MIN_SCORES = 5


# Backtest errors are pooled into buckets of consecutive horizon steps holding at least
# this many: enough to place an 80% quantile, few enough that the band can widen with the
# horizon faster than the model's own spread says (ETS and Theta understate it for growth).
BUCKET_SIZE = 40
# Two-sided levels at which the paths' distribution is pinned (between them, interpolated).
_GRID = np.concatenate((np.arange(0.0, 99.0, 1.0), [99.0, 99.5, 99.9]))


@dataclass(frozen=True)
class Calibration:
    """Multipliers of a model's k-step spread that make bands hold their level on backtests.

    Conformal-style: the scores are the errors (actual - forecast) / spread_k on the
    calibration scale (log y for positive series) over every backtest origin and step;
    normalising by the model's own k-step spread pools steps, and steps are pooled in
    buckets (1-2, 3-5, ...) of at least ``BUCKET_SIZE`` errors so a band can grow with the
    horizon as the errors do. The band at level L is centre +- q_L * spread_k, with q_L
    the larger of

    - the finite-sample corrected L-quantile of |scores|, and
    - a normal tail scaled from their median: z_L * median / z_50.

    On the log scale the band is symmetric in log(y), so asymmetric in y. A few dozen
    overlapping errors hold too few large ones to place a 95% quantile, and forecast
    errors have heavier tails than the normal: the median is the scale they do pin down.

    Backtests may widen the model's own band (z_L) all the way but narrow it only by two
    thirds of the gap: backtests are weak evidence that a model overstates its uncertainty,
    and the future is usually harder than the recent past. On M1, Tourism and M3 (monthly
    and quarterly) 80% bands then covered 74-85% of holdout actuals; with the quantile
    alone 66-84%, with full narrowing 71-84%.
    """

    NARROWING: ClassVar[float] = 2 / 3
    """Share of the gap to the model's own band that backtests may take off."""

    scores: FloatArray
    """Sorted signed normalised backtest errors, all steps (empty when uncalibrated)."""
    buckets: tuple[tuple[int, FloatArray], ...] = ()
    """(first step, sorted scores) per bucket of consecutive steps; none: one bucket."""

    @property
    def calibrated(self) -> bool:
        return len(self.scores) >= MIN_SCORES

    def multiplier(self, level: float) -> float:
        """The wider tail's q over all steps pooled, in units of the model's spread."""
        lo, hi = self.sides(level, 1)
        return float(max(lo[0], hi[0]))

    def sides(self, level: float, h: int) -> tuple[FloatArray, FloatArray]:
        """(q below, q above) per step 1..h; steps past the backtest's take its last bucket's."""
        lo, hi = np.empty(h), np.empty(h)
        for start, stop, scores in self._spans(h):
            lo[start:stop] = hi[start:stop] = _multiplier(scores, level, self.calibrated)
        return lo, hi

    def _spans(self, h: int) -> list[tuple[int, int, FloatArray]]:
        """(start, stop, scores) of each bucket over steps 0..h-1; the last runs to h."""
        if len(self.buckets) < 2:
            return [(0, h, self.scores)]
        starts = [first - 1 for first, _ in self.buckets]
        stops = [*starts[1:], h]
        return [
            (min(a, h), min(b, h), scores)
            for a, b, (_, scores) in zip(starts, stops, self.buckets, strict=True)
        ]

    def standardised(self, gaussian: FloatArray) -> FloatArray:
        """Standard normal draws (n, h) turned into errors with the calibrated distribution.

        Each draw's two-sided level |2 Phi(g) - 1| maps to the calibrated multiplier of
        its tail at that level, so the paths' central L% band at step k is exactly the
        calibrated band for every L at once (bands of any level, and of quarters, come from
        one set of paths and nest whatever the order of the levels asked for).
        """
        g = np.asarray(gaussian, dtype=float)
        if not self.calibrated:
            return g
        h = g.shape[1]
        level = np.abs(2 * _normal_cdf(g) - 1) * 100
        out = np.empty_like(g)
        for start, stop, scores in self._spans(h):
            if start >= stop:
                continue
            block, lv = g[:, start:stop], level[:, start:stop]
            grid = np.array([_multiplier(scores, v, True) if v > 0 else 0.0 for v in _GRID])
            z = np.interp(lv, _GRID, grid)
            # Past the grid's last level, stretch the normal tail by the same factor.
            z = np.where(lv > _GRID[-1], np.abs(block) * grid[-1] / z_value(_GRID[-1]), z)
            out[:, start:stop] = np.sign(block) * z
        return out


def _normal_cdf(x: FloatArray) -> FloatArray:
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=float)


def _multiplier(scores: FloatArray, level: float, calibrated: bool) -> float:
    """q at ``level`` from signed scores: the larger of the corrected L-quantile of their
    size and the normal tail scaled from its median, narrowed by at most two thirds.

    Both tails take the same q. Setting each tail from its own errors (a growing series'
    forecasts all ran low: wide above, narrow below) held 69-72% of M1 monthly and
    quarterly holdouts in 80% bands against 78-81% symmetric: a series' backtest errors
    share a sign more often than its future errors do.
    """
    own = z_value(level)
    if not calibrated:
        return own
    size = np.abs(scores)
    q = max(_quantile(size, level / 100), own * float(np.median(size)) / z_value(50))
    return q if q >= own else own - Calibration.NARROWING * (own - q)


def _quantile(values: FloatArray, prob: float) -> float:
    n = len(values)
    target = prob * (n + 1) / n
    top = 1 - 1 / n
    if target <= top:
        return float(np.quantile(values, target))
    # Beyond the largest score: extend the highest quantile the scores resolve.
    edge = float(np.quantile(values, top))
    return edge * _two_sided_z(prob) / _two_sided_z(top * n / (n + 1))


def _two_sided_z(prob: float) -> float:
    return NormalDist().inv_cdf(0.5 + prob / 2)


def calibrate(actual: FloatArray, centre: FloatArray, spread: FloatArray) -> Calibration:
    """Calibration from backtest arrays (origins, steps) on the calibration scale.

    NaN marks steps past the history; scores where the spread is 0 are dropped.
    """
    err = np.asarray(actual, dtype=float) - centre
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = err / spread
    scores = np.atleast_2d(scores)
    keep = np.isfinite(scores)
    pooled = np.sort(scores[keep])
    buckets: list[tuple[int, FloatArray]] = []
    current: list[FloatArray] = []
    first = 1
    for k in range(scores.shape[1]):
        current.append(scores[keep[:, k], k])
        if sum(len(c) for c in current) >= BUCKET_SIZE:
            buckets.append((first, np.sort(np.concatenate(current))))
            current, first = [], k + 2
    rest = np.concatenate(current) if current else np.empty(0)
    if buckets and len(rest):
        # Too few errors left for a bucket of their own: the last bucket takes them.
        last_first, last = buckets.pop()
        buckets.append((last_first, np.sort(np.concatenate((last, rest)))))
    return Calibration(pooled, tuple(buckets) if len(buckets) >= 2 else ())


def bands(
    centre: FloatArray,
    spread: FloatArray,
    calibration: Calibration,
    levels: Sequence[float],
    *,
    log: bool = False,
) -> dict[float, tuple[FloatArray, FloatArray]]:
    """Lower and upper band per level; on the log scale they are exp'ed back (asymmetric)."""
    out = {}
    for level in levels:
        below, above = calibration.sides(level, len(centre))
        lo, hi = centre - below * spread, centre + above * spread
        # Past exp(700) is overflow, not a forecast (the engine caps bands far below it).
        out[float(level)] = (
            (np.exp(np.minimum(lo, 700)), np.exp(np.minimum(hi, 700))) if log else (lo, hi)
        )
    return out


def period_start(ds: pd.DatetimeIndex, to: str) -> pd.DatetimeIndex:
    """The start of the month, quarter or year each date falls in."""
    periods = {"month": "M", "quarter": "Q", "year": "Y"}
    if to not in periods:
        raise InputError(f"cannot aggregate to {to!r}; use month, quarter or year", parameter="to")
    return pd.DatetimeIndex(ds.to_period(periods[to]).start_time)


_REDUCERS = {
    "sum": lambda block: block.sum(axis=1),
    "mean": lambda block: block.mean(axis=1),
    "max": lambda block: block.max(axis=1),
    "last": lambda block: block[:, -1],
}


def aggregate_paths(
    paths: FloatArray,
    ds: pd.DatetimeIndex,
    to: str,
    *,
    per_period: int,
    known: dict[pd.Timestamp, float] | None = None,
    how: str = "sum",
) -> tuple[pd.DatetimeIndex, FloatArray]:
    """Each path's steps rolled up into coarser periods (months into quarters).

    ``how`` is the series' own roll-up: sum for spend, mean for users or requests/s, max
    for peaks, last for stocks. ``per_period`` is how many steps make a whole period (3
    months in a quarter). ``known`` holds values already observed in a period the forecast
    completes (January and February actuals when the forecast starts in March). A trailing
    period the horizon does not reach to its end is dropped: it would not be comparable.
    """
    if how not in _REDUCERS:
        raise InputError(f"cannot roll up by {how!r}; use sum, mean, max or last", parameter="how")
    starts = period_start(ds, to)
    known = known or {}
    known_starts = period_start(pd.DatetimeIndex(list(known)), to) if known else None
    labels, columns = [], []
    for start in starts.unique():
        take = np.flatnonzero(starts == start)
        observed = (
            np.asarray(list(known.values()), dtype=float)[known_starts == start]
            if known_starts is not None
            else np.empty(0)
        )
        if len(take) + len(observed) < per_period:
            continue
        block = np.hstack([np.tile(observed, (paths.shape[0], 1)), paths[:, take]])
        labels.append(start)
        columns.append(_REDUCERS[how](block))
    stacked = np.column_stack(columns) if columns else np.empty((paths.shape[0], 0))
    return pd.DatetimeIndex(labels), stacked


def path_bands(paths: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Central ``level`` percent band of the paths per step."""
    tail = (100 - level) / 200
    lower = np.quantile(paths, tail, axis=0)
    upper = np.quantile(paths, 1 - tail, axis=0)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
