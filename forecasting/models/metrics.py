"""Accuracy metrics of one series' forecast: MASE, sMAPE (0-200), MAPE, bias, band coverage."""

# Each takes actuals and forecasts over a horizon (any shape, flattened) and returns NaN
# where the metric is undefined (MAPE of all-zero actuals, MASE of a series that never
# moved), so averages across series use nanmean.

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if a.shape != f.shape:
        raise ValueError(f"actual has {a.size} values, forecast {f.size}")
    return a, f


def mase_scale(insample: ArrayLike, m: int = 1) -> float:
    """Mean absolute m-step seasonal difference of the training data (lag 1 if too short)."""
    y = np.asarray(insample, dtype=float).ravel()
    lag = m if len(y) > m else 1
    if len(y) <= lag:
        return float("nan")
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    return scale if scale > 0 else float("nan")


def mase(actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike, m: int = 1) -> float:
    """Mean absolute error over the in-sample mean absolute seasonal-naive error (M4)."""
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(a - f))) / mase_scale(insample, m)


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """200 * mean(|a - f| / (|a| + |f|)), in percent from 0 to 200; a 0/0 term counts as 0."""
    a, f = _pair(actual, forecast)
    denom = np.abs(a) + np.abs(f)
    safe = np.where(denom == 0, 1.0, denom)
    terms = np.where(denom == 0, 0.0, np.abs(a - f) / safe)
    return float(200.0 * np.mean(terms))


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """100 * mean(|a - f| / |a|) over the non-zero actuals; NaN when every actual is zero."""
    a, f = _pair(actual, forecast)
    keep = a != 0
    if not keep.any():
        return float("nan")
    with np.errstate(over="ignore"):
        return float(100.0 * np.mean(np.abs(a[keep] - f[keep]) / np.abs(a[keep])))


def bias(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean of forecast minus actual, in the series' unit (positive: forecasts run high)."""
    a, f = _pair(actual, forecast)
    return float(np.mean(f - a))


def bias_pct(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Total over-forecast as a percent of the total absolute actuals; NaN when those are 0."""
    a, f = _pair(actual, forecast)
    total = float(np.sum(np.abs(a)))
    return float(100.0 * np.sum(f - a) / total) if total > 0 else float("nan")


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Percent of actuals inside [lower, upper] (both ends included)."""
    a, lo = _pair(actual, lower)
    _, hi = _pair(actual, upper)
    return float(100.0 * np.mean((a >= lo) & (a <= hi)))
