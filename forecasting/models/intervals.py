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


def _two_sided_z(prob: float) -> float:
    return NormalDist().inv_cdf(0.5 + prob / 2)


@dataclass(frozen=True)
class Calibration:
    """Multipliers of a model's k-step sd that make bands hold their level on backtests.

    Conformal-style: the scores are |actual - forecast| / sd_k over every backtest window
    and step (normalising by the model's own k-step spread pools steps of different
    horizons), and the band at level L is forecast +- q_L * sd_k, with q_L the larger of

    - the finite-sample corrected L-quantile of the scores, and
    - a normal tail scaled from their median: z_L * median / z_50.

    A few overlapping windows hold too few large errors to place a 95% (or even an 80%)
    quantile, and forecast errors have heavier tails than the normal: the median is the
    scale the scores do pin down.

    Backtests may widen the model's own band (z_L) all the way but narrow it only by two
    thirds of the gap: three overlapping windows are weak evidence that a model overstates
    its uncertainty, and the future is usually harder than the recent past. On M1, Tourism
    and M3 (monthly and quarterly) 80% bands then covered 74-85% of holdout actuals; with
    the quantile alone 66-84%, with full narrowing 71-84%.
    """

    NARROWING: ClassVar[float] = 2 / 3
    """Share of the gap to the model's own band that backtests may take off."""

    scores: FloatArray
    """Sorted normalised absolute backtest errors (empty when uncalibrated)."""

    @property
    def calibrated(self) -> bool:
        return len(self.scores) >= MIN_SCORES

    def multiplier(self, level: float) -> float:
        """q_L: the band half-width in units of the model's k-step sd at ``level`` percent."""
        if not self.calibrated:
            return z_value(level)
        own = z_value(level)
        q = max(self._quantile(level), own * float(np.median(self.scores)) / z_value(50))
        return q if q >= own else own - self.NARROWING * (own - q)

    def _quantile(self, level: float) -> float:
        n = len(self.scores)
        target = level / 100 * (n + 1) / n
        top = 1 - 1 / n
        if target <= top:
            return float(np.quantile(self.scores, target))
        # Beyond the largest score: extend the highest quantile the scores resolve.
        edge = float(np.quantile(self.scores, top))
        return edge * _two_sided_z(level / 100) / _two_sided_z(top * n / (n + 1))

    def path_scale(self, level: float) -> float:
        """Factor on the model's sd so Gaussian paths reproduce the band at ``level``."""
        return self.multiplier(level) / z_value(level)


def calibrate(actual: FloatArray, mean: FloatArray, sd: FloatArray) -> Calibration:
    """Calibration from backtest arrays of equal shape; scores where sd is 0 are dropped."""
    err = np.abs(np.asarray(actual, dtype=float) - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (err / sd).ravel()
    scores = scores[np.isfinite(scores)]
    return Calibration(np.sort(scores))


def bands(
    mean: FloatArray, sd: FloatArray, calibration: Calibration, levels: Sequence[float]
) -> dict[float, tuple[FloatArray, FloatArray]]:
    """Lower and upper band per level."""
    out = {}
    for level in levels:
        half = calibration.multiplier(level) * sd
        out[float(level)] = (mean - half, mean + half)
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
