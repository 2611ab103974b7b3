"""Checks around every fit: history that needs adjusting first, and forecasts too absurd to use."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.interface import Excuse
from forecasting.models.base import FloatArray, PointForecast

# A step is a level shift when it exceeds this many robust standard deviations of the
# period-to-period changes and the new level holds until the end of the series.
SHIFT_THRESHOLD = 8.0


# A one-period outlier stands this many robust standard deviations of the series' own
# residuals from its neighbours (``one_offs``), on series at least this long, of a month or
# longer per period (a day's spike is often the calendar's: a monthly fee billed on the
# 1st, which a weekly season cannot see), and at most one period in this many.
ONE_OFF_THRESHOLD = 6.0
ONE_OFF_MIN = 12
ONE_OFF_SEASONS = frozenset({1, 4, 12})
ONE_OFF_SHARE = 12
# A period under 5% off its neighbours is not worth a note: on a smooth series it clears the
# threshold, but it bends no trend, and calling +3% "a credit, a refund, a spike" misleads.
ONE_OFF_FLOOR = float(np.log(1.05))

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


def one_offs(y: FloatArray, m: int) -> list[tuple[int, float]]:
    """One-period outliers of a series positive but for them: (index, the value's log ratio
    to what its neighbours say it would be, -inf for a value at or below zero), oldest
    first; [] when there are none or the series is not one to judge.

    A one-off (a credit, a refund, a burst of a few days, an upfront fee) stands out from
    the periods on both sides, which agree with each other: on the log scale its residual
    r_i = z_i - (z_{i-1} + z_{i+1}) / 2 exceeds ``ONE_OFF_THRESHOLD`` robust standard
    deviations of every period's residual, and both neighbours' residuals lean the other
    way by at least a quarter of it (they see it as their neighbour). A turn of the trend
    moves one residual alone, a lasting step two of opposite signs, neither both
    neighbours. A seasonal peak recurs: a candidate whose same phase a cycle before or
    after stands out the same way is the season, not a one-off; one with no same phase in
    the series (less than a cycle on either side) is not judged, since one cycle cannot
    tell a season from a one-off (the last period's phase is judged against the period
    before it). Nor is one under ``ONE_OFF_FLOOR``. The first two and last two
    periods are never judged: their outer neighbour has no residual (and the last may be
    the start of a new level). A series with more candidates than one period in ``ONE_OFF_SHARE`` is
    spiky by nature, and its spikes are its pattern, not one-offs. A period beside a larger
    one-off is not one: its residual is that one-off's echo.

    A flat fee has residuals of 0 (a robust deviation of 0): there any period past the floor
    that its neighbours lean away from stands out. A period at or below zero between
    positive ones (a credit that takes the month to nothing or less) has no log: it is
    judged by the same rule on the level scale (``_credits``), where a count series whose
    zeros are its noise does not stand out; the series is not judged at all when any such
    period is not a one-off.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < ONE_OFF_MIN or m not in ONE_OFF_SEASONS:
        return []
    credits = _credits(y, m)
    if credits is None:
        return []
    positive = y.copy()
    for i in credits:
        positive[i] = _between(y, i)
    z = np.log(positive)
    found = [(i, float(size)) for i, size in _standing_out(z, m, ONE_OFF_FLOOR) if i not in credits]
    found = sorted([*found, *((i, -np.inf) for i in credits)])
    if len(found) * ONE_OFF_SHARE > n:
        return []
    return found


def _credits(y: FloatArray, m: int) -> list[int] | None:
    """The periods at or below zero of a series otherwise positive, each a one-off on the
    level scale; None when one of them is not (the series is not strictly positive)."""
    low = np.flatnonzero(y <= 0)
    if not len(low):
        return []
    if len(low) * ONE_OFF_SHARE > len(y):
        return None
    # Judged with the others at their neighbours' level (two credits a year apart are a
    # season, which the phase check reads from these residuals).
    out = {i for i, size in _standing_out(y, m, 0.0) if size < 0}
    return [int(i) for i in low] if all(i in out for i in low) else None


def _standing_out(v: FloatArray, m: int, floor: float) -> list[tuple[int, float]]:
    """The periods of ``v`` (on the scale they are judged on) whose residual stands out as a
    one-off's: (index, residual), ``one_offs``' rule but for the share."""
    n = len(v)
    r = np.full(n, np.nan)
    r[1:-1] = v[1:-1] - (v[:-2] + v[2:]) / 2
    inner = r[1:-1]
    # A flat fee's residuals are all 0 but the one-off's and its neighbours': a deviation
    # of 0 leaves the floor to decide (no division by it anywhere).
    sd = 1.4826 * float(np.median(np.abs(inner - np.median(inner))))
    bar = max(ONE_OFF_THRESHOLD * sd, floor)
    found = []
    # Only periods past the bar can stand out: the rest are not looked at one by one (the
    # backtest judges every origin's history, dozens a series).
    for i in (np.flatnonzero(np.abs(r[2 : n - 2]) >= bar) + 2).tolist():
        size = r[i]
        if size == 0:
            continue
        if not all(-r[j] * np.sign(size) >= 0.25 * abs(size) for j in (i - 1, i + 1)):
            continue
        if m > 1:
            same = [_phase_residual(v, r, j) for j in (i - m, i + m) if 0 <= j < n]
            if not same or any(v_ * np.sign(size) >= 0.5 * abs(size) for v_ in same):
                continue
        found.append((i, float(size)))
    # A one-off's neighbours echo it: between a credit and a spike three periods apart, each
    # neighbour leans away from the one-off beside it and toward the other neighbour, and
    # reads as a one-off of its own. The largest stand first; a period beside one is not one.
    kept: list[tuple[int, float]] = []
    for i, size in sorted(found, key=lambda f: -abs(f[1])):
        if all(abs(i - j) > 1 for j, _ in kept):
            kept.append((i, size))
    return sorted(kept)


def _phase_residual(z: FloatArray, r: FloatArray, j: int) -> float:
    """How far period ``j`` stands out: its residual, or at an end (no neighbour beyond it)
    its log ratio to the one neighbour it has."""
    if 0 < j < len(z) - 1:
        return float(r[j])
    return float(z[j] - z[1 if j == 0 else j - 1])


def _period_label(dates: pd.DatetimeIndex, i: int, m: int) -> str:
    """Period ``i`` as people name it: "Apr 2025", "2025 Q2" or "2025"."""
    when = dates[i]
    if m == 12:
        return f"{when:%b %Y}"
    if m == 4:
        return f"{when.year} Q{when.quarter}"
    yearly = len(dates) > 1 and (dates[1] - dates[0]).days >= 365
    return f"{when.year}" if yearly else f"{when:%d %b %Y}"


def set_aside(y: FloatArray, found: list[tuple[int, float]]) -> FloatArray:
    """``y`` with each one-off replaced by what its neighbours say (their geometric mean)."""
    y = np.asarray(y, dtype=float)
    out = y.copy()
    for i, size in found:
        with np.errstate(over="ignore"):
            value = y[i] * np.exp(-size) if y[i] > 0 else np.inf
        # exp(-size) overflows for a one-off of 1e-300 among 1e300s; their roots do not.
        out[i] = value if np.isfinite(value) else _between(y, i)
    return out


def adjust_history(
    uid: str, y: FloatArray, m: int, dates: pd.DatetimeIndex | None = None
) -> tuple[FloatArray, FloatArray, list[Excuse]]:
    """Move history before a lasting level shift to the new level, so models learn the
    pattern of the old data without averaging in the old level. Positive series are
    rescaled (a 30% step stays 30% of every season); others are shifted. Then set
    one-period outliers aside (``one_offs``): the models are fitted on the history without
    them, so a one-month credit or spike does not read as noise that hides the trend (the
    demo's bill: a $500 credit and a 3-day spike made every model's trend sluggish, and the
    direct forecast ran 23% short on its backtest; without them 7%). ``dates`` (of ``y``)
    name the periods set aside in the excuse.

    Returns the history to fit, the history to score forecasts against (level-shifted, its
    one-offs as they happened: a backtest scored on the neighbours' level would measure
    errors against months that did not happen, and its bands would never see a credit),
    and the excuses."""
    y, excuses = _level_shifted(uid, y, m)
    found = one_offs(y, m)
    if not found:
        return y, y, excuses
    where = [
        _period_label(dates, i, m) if dates is not None else f"period {i + 1} of {len(y)}"
        for i, _ in found
    ]
    sizes = ", ".join(
        f"{w} ({_departure(y, i, size)})" for w, (i, size) in zip(where, found, strict=True)
    )
    one = len(found) == 1
    as_was = "it as it was" if one else "them as they were"
    why = (
        f"series {uid!r}: {sizes} stand{'s' if one else ''} out from the periods "
        "on both sides (a one-off: a credit, a refund, a spike); models are fitted with "
        f"the neighbours' level there, backtests score {as_was}"
    )
    excuses.append(Excuse(why, {"unique_id": uid, "one_offs": [i for i, _ in found]}))
    return set_aside(y, found), y, excuses


def cleaned(y: FloatArray, m: int) -> FloatArray:
    """``y`` with its one-offs, as ``y`` alone tells them, set aside (``one_offs``)."""
    found = one_offs(y, m)
    return set_aside(y, found) if found else np.asarray(y, dtype=float)


def _between(y: FloatArray, i: int) -> float:
    """The geometric mean of period ``i``'s neighbours, each rooted first: their product
    can underflow to 0 or overflow where they themselves do not."""
    return float(np.sqrt(y[i - 1]) * np.sqrt(y[i + 1]))


def _departure(y: FloatArray, i: int, size: float) -> str:
    """How far one-off ``i`` departs from its neighbours: "-20%", or for a period at or
    below zero, which has no log ratio, "-100%, to 0" or "-104%, to -300"."""
    if y[i] > 0:
        return f"{(np.exp(size) - 1) * 100:+.0f}%"
    ratio = y[i] / _between(y, i)
    return f"{(ratio - 1) * 100:+.0f}%, to {y[i] + 0.0:,.4g}"


def _level_shifted(uid: str, y: FloatArray, m: int) -> tuple[FloatArray, list[Excuse]]:
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
