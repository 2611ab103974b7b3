"""Runway on demand paths: when a utilisation forecast reaches its threshold; headroom cost."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse

NOT_WITHIN_HORIZON = "not within the horizon"
_CEIL_SLACK = 1e-9


@dataclass(frozen=True)
class HeadroomPrice:
    """What the capacity behind a utilisation metric costs today."""

    cost_group: str
    """The cost group that pays for this capacity (Compute for CPU, Database for the pool)."""
    monthly_cost: float
    """Current monthly cost of that capacity, in the billing currency."""
    units: float | None = None
    """Current count of whole units (instances); None when capacity scales continuously."""
    unit_name: str = "instances"

    def __post_init__(self) -> None:
        if self.monthly_cost < 0:
            raise ValueError("monthly_cost must not be negative")
        if self.units is not None and self.units <= 0:
            raise ValueError("units must be positive when given")


@dataclass(frozen=True)
class Runway:
    """One metric's runway to its threshold, from each sample path's first crossing.

    A date is an Excuse when too few paths cross within the horizon.
    """

    metric: str
    threshold_pct: float
    current_pct: float | None
    """Last observed value, %."""
    p50: date | Excuse
    """The day by which half the paths have crossed: the median first crossing."""
    early: date | Excuse
    """Early warning: the day by which ``early_quantile`` of the paths (one in ten) have."""
    early_quantile: float
    probability_within_horizon: float
    """Share of sample paths that reach the threshold by the horizon's end."""
    upper_quantile: float
    max_upper_pct: float
    """Highest value of the upper-quantile curve within the horizon, %."""
    headroom_factor: float
    """Capacity multiplier keeping the upper curve at or below the threshold (1 = none)."""
    headroom_units: float
    headroom_monthly: float | Excuse
    """What the headroom adds per month: the bill's currency for instances, the catalogue's
    (USD) for database tiers and disk."""
    cost_group: str | None


def first_crossing(ds: pd.DatetimeIndex, curve: np.ndarray, threshold: float) -> date | Excuse:
    """The first day the curve is at or above the threshold, or why there is none."""
    hits = np.flatnonzero(np.asarray(curve, dtype=float) >= threshold)
    if hits.size == 0:
        return _not_reached(ds, threshold)
    day: date = ds[int(hits[0])].date()
    return day


def _not_reached(ds: pd.DatetimeIndex, threshold: float, share: float | None = None) -> Excuse:
    context: dict[str, object] = {
        "horizon_end": ds[-1].date() if len(ds) else None,
        "threshold_pct": threshold,
    }
    if share is not None:
        context["share_of_paths"] = share
    return Excuse(NOT_WITHIN_HORIZON, context)


def crossing_steps(paths: np.ndarray, threshold: float) -> np.ndarray:
    """Per path, the index of its first step at or above the threshold (inf: never)."""
    hit = np.asarray(paths, dtype=float) >= threshold
    out: np.ndarray = np.where(hit.any(axis=1), hit.argmax(axis=1), np.inf)
    return out


def crossed_by(
    ds: pd.DatetimeIndex, steps: np.ndarray, share: float, threshold: float
) -> date | Excuse:
    """The first day by which at least ``share`` of the paths have crossed.

    That is the ``share`` quantile of the first-crossing days, taken on the paths themselves
    (no interpolation), with paths that never cross counted as crossing after the horizon.
    """
    ordered = np.sort(steps)
    k = max(math.ceil(share * len(ordered) - _CEIL_SLACK), 1) - 1
    if not np.isfinite(ordered[k]):
        return _not_reached(ds, threshold, share)
    day: date = ds[int(ordered[k])].date()
    return day


def headroom(factor: float, price: HeadroomPrice | None) -> tuple[float, float | Excuse]:
    """Extra units and $/month that multiply capacity by ``factor``.

    Whole units (instances) round up; continuous capacity scales the monthly cost linearly.
    """
    if factor <= 1:
        return 0.0, 0.0
    if price is None:
        return 0.0, Excuse("no cost known for this capacity", {"factor": factor})
    if price.units is None:
        return 0.0, price.monthly_cost * (factor - 1)
    extra = math.ceil(price.units * factor - _CEIL_SLACK) - price.units
    return float(extra), price.monthly_cost / price.units * extra


def estimate_runway(
    metric: str,
    ds: pd.DatetimeIndex,
    paths: np.ndarray,
    threshold_pct: float,
    *,
    current_pct: float | None = None,
    price: HeadroomPrice | None = None,
    early_quantile: float = 0.1,
    upper_quantile: float = 0.9,
) -> Runway:
    """Median and early-warning crossing dates from n_paths x h daily paths.

    Each path's first crossing is the day an alert on that future would first fire; the
    P50 date is when half the futures have fired, the early warning when one in ten has.
    Headroom is on the paths too: the ``upper_quantile`` of each path's highest day, over the
    threshold, so that that share of the futures stays under it throughout (the pointwise
    upper curve of noisy daily paths stays lower than most paths' peaks: it would buy no
    headroom for an alert most futures fire).
    """
    values = np.asarray(paths, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(ds) or values.shape[0] == 0:
        raise InputError(f"{metric}: paths must be n_paths x {len(ds)}", parameter="paths")
    if not 0 < threshold_pct <= 100:
        raise InputError(f"{metric}: threshold must be in (0, 100]", parameter="threshold")
    if not 0 < early_quantile < 0.5:
        raise InputError("early_quantile must be in (0, 0.5)", parameter="early_quantile")
    if not 0.5 < upper_quantile < 1:
        raise InputError("upper_quantile must be in (0.5, 1)", parameter="upper_quantile")
    steps = crossing_steps(values, threshold_pct)
    max_upper = float(np.quantile(values.max(axis=1), upper_quantile))
    factor = max(1.0, max_upper / threshold_pct)
    units, monthly = headroom(factor, price)
    return Runway(
        metric=metric,
        threshold_pct=threshold_pct,
        current_pct=current_pct,
        p50=crossed_by(ds, steps, 0.5, threshold_pct),
        early=crossed_by(ds, steps, early_quantile, threshold_pct),
        early_quantile=early_quantile,
        probability_within_horizon=float(np.isfinite(steps).mean()),
        upper_quantile=upper_quantile,
        max_upper_pct=max_upper,
        headroom_factor=factor,
        headroom_units=units,
        headroom_monthly=monthly,
        cost_group=None if price is None else price.cost_group,
    )


def _cell(value: date | float | Excuse) -> object:
    # A column mixing reasons with numbers is text to pandas: round the numbers here.
    if isinstance(value, Excuse):
        return str(value)
    return round(value, 2) if isinstance(value, float) else value


def runway_table(results: list[Runway], as_of: date) -> pd.DataFrame:
    """One row per metric; a date that is not reached reads "not within the horizon".

    ``date_p10`` (at level 80) is the early warning, one path in ten has crossed by then;
    ``date_p50`` is the median first crossing.
    """
    rows = []
    for r in results:
        # Named as the band labels are (P2.5 at level 95, not a rounded P2).
        early, pct = f"{100 * r.early_quantile:g}", f"{100 * r.upper_quantile:g}"
        rows.append(
            {
                "metric": r.metric,
                "threshold_pct": r.threshold_pct,
                "current_pct": r.current_pct,
                f"date_p{early}": _cell(r.early),
                "date_p50": _cell(r.p50),
                f"days_p{early}": None if isinstance(r.early, Excuse) else (r.early - as_of).days,
                "days_p50": None if isinstance(r.p50, Excuse) else (r.p50 - as_of).days,
                "probability_within_horizon": r.probability_within_horizon,
                f"max_p{pct}_pct": r.max_upper_pct,
                "headroom_factor": r.headroom_factor,
                "headroom_units": r.headroom_units,
                "headroom_monthly_usd": _cell(r.headroom_monthly),
                "cost_group": r.cost_group,
            }
        )
    return pd.DataFrame(rows)
