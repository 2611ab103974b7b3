"""Checks around every fit: history that needs adjusting first, and forecasts too absurd to use."""

from __future__ import annotations

import numpy as np

from forecasting.interface import Excuse
from forecasting.models.base import FloatArray, PointForecast

# A step is a level shift when it exceeds this many robust standard deviations of the
# period-to-period changes and the new level holds until the end of the series.
SHIFT_THRESHOLD = 8.0


# A series whose range is within this share of its level is flat: a fixed fee billed by the
# day sums to its monthly figure give or take float noise (the demo's Monitoring: 799.999988
# and 800.000006), and models fitted on that noise alone read it as signal (an ETS band of
# +-50 USD around 800, a MASE of 336,693 against a seasonal scale of 1e-5).
FLAT = 1e-6


def is_constant(y: FloatArray) -> bool:
    """Whether ``y`` is one figure give or take float noise (range within 1e-6 of its level)."""
    y = np.asarray(y, dtype=float)
    return bool(len(y)) and bool(np.ptp(y) <= FLAT * float(np.max(np.abs(y))))


def _robust_sd(d: FloatArray) -> float:
    mad = 1.4826 * float(np.median(np.abs(d - np.median(d))))
    # Stepwise series (flat, then a jump) have a MAD of 0: fall back to a share of the mean.
    return max(mad, 0.1 * float(np.mean(np.abs(d))), 1e-12)


def level_shift(y: FloatArray, m: int) -> tuple[int, float] | None:
    """(index of the first value at the new level, size of the step) or None.

    Only a step that lasts counts: the median after it must sit near the new level, so a
    one-period spike or a seasonal peak is not mistaken for a shift.
    """
    n = len(y)
    if n < 8:
        return None
    d = np.diff(y)
    lag = m if 1 < m < n // 2 else 1
    scale = max(_robust_sd(d), _robust_sd(y[lag:] - y[:-lag]) if lag > 1 else 0.0)
    j = int(np.argmax(np.abs(d)))
    step = float(d[j])
    if abs(step) < SHIFT_THRESHOLD * scale or j + 1 >= n - 1:
        return None
    k = max(2, min(lag, 6))
    before = float(np.median(y[max(0, j + 1 - k) : j + 1]))
    after = float(np.median(y[j + 1 :]))
    if abs(after - before) < 0.7 * abs(step) or np.sign(after - before) != np.sign(step):
        return None
    return j + 1, after - before


def adjust_history(uid: str, y: FloatArray, m: int) -> tuple[FloatArray, list[Excuse]]:
    """Move history before a lasting level shift to the new level, so models learn the
    pattern of the old data without averaging in the old level. Positive series are
    rescaled (a 30% step stays 30% of every season); others are shifted."""
    found = level_shift(y, m)
    if found is None:
        return y, []
    at, size = found
    out = y.copy()
    before = float(np.median(y[max(0, at - 6) : at]))
    if (y > 0).all() and before > 0:
        ratio = (before + size) / before
        out[:at] = y[:at] * ratio
        how = f"{(ratio - 1) * 100:+.0f}%: earlier history rescaled to the new level"
    else:
        out[:at] = y[:at] + size
        how = f"{size:+.6g}: earlier history shifted to the new level"
    excuse = Excuse(
        f"series {uid!r}: level shift of {how}",
        {"unique_id": uid, "index": at, "size": size},
    )
    return out, [excuse]


def absurd(point: PointForecast, y: FloatArray) -> str | None:
    """Why a forecast cannot be right for this history, or None.

    Bounds are generous: twice the history's range plus twice the largest one-period move
    per step ahead. A model outside them has diverged rather than found a trend.
    """
    span = float(np.ptp(y))
    move = float(np.max(np.abs(np.diff(y)))) if len(y) > 1 else span
    steps = np.arange(1, len(point.mean) + 1)
    bound = 2.0 * (span + move * steps) + 1e-9 * max(1.0, float(np.max(np.abs(y))))
    if (np.abs(point.mean - y[-1]) > bound).any():
        return "forecast runs far outside anything the history supports"
    if (point.sd > 5.0 * bound).any():
        return "forecast spread is out of all proportion to the history"
    return None


def ceiling(y: FloatArray, h: int) -> FloatArray:
    """Per step, a value no band or path of this history should pass: ten times the
    ``absurd`` bound above the largest value. Only wild series reach it, where a log-scale
    band of a huge spread would otherwise run to infinity."""
    span = float(np.ptp(y))
    move = float(np.max(np.abs(np.diff(y)))) if len(y) > 1 else span
    top = float(np.max(y))
    steps = np.arange(1, h + 1, dtype=float)
    return np.asarray(top + 10.0 * (span + move * steps) + 1e-9 * max(1.0, abs(top)), dtype=float)
