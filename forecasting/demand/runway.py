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
    """One metric's runway to its threshold; a date is an Excuse when it is not reached."""

    metric: str
    threshold_pct: float
    current_pct: float | None
    """Last observed value, %."""
    p50: date | Excuse
    upper: date | Excuse
    upper_quantile: float
    probability_within_horizon: float
    """Share of sample paths that reach the threshold by the horizon's end."""
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
        return Excuse(
            NOT_WITHIN_HORIZON,
            {"horizon_end": ds[-1].date() if len(ds) else None, "threshold_pct": threshold},
        )
    day: date = ds[int(hits[0])].date()
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
    upper_quantile: float = 0.9,
) -> Runway:
    """Crossing dates at P50 and at the upper quantile (P90), from n_paths x h daily paths."""
    values = np.asarray(paths, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(ds) or values.shape[0] == 0:
        raise InputError(f"{metric}: paths must be n_paths x {len(ds)}", parameter="paths")
    if not 0 < threshold_pct <= 100:
        raise InputError(f"{metric}: threshold must be in (0, 100]", parameter="threshold")
    if not 0.5 < upper_quantile < 1:
        raise InputError("upper_quantile must be in (0.5, 1)", parameter="upper_quantile")
    median, upper = np.quantile(values, [0.5, upper_quantile], axis=0)
    max_upper = float(upper.max())
    factor = max(1.0, max_upper / threshold_pct)
    units, monthly = headroom(factor, price)
    return Runway(
        metric=metric,
        threshold_pct=threshold_pct,
        current_pct=current_pct,
        p50=first_crossing(ds, median, threshold_pct),
        upper=first_crossing(ds, upper, threshold_pct),
        upper_quantile=upper_quantile,
        probability_within_horizon=float((values >= threshold_pct).any(axis=1).mean()),
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
    """One row per metric; a date that is not reached reads "not within the horizon"."""
    rows = []
    for r in results:
        pct = round(100 * r.upper_quantile)
        rows.append(
            {
                "metric": r.metric,
                "threshold_pct": r.threshold_pct,
                "current_pct": r.current_pct,
                "date_p50": _cell(r.p50),
                f"date_p{pct}": _cell(r.upper),
                "days_p50": None if isinstance(r.p50, Excuse) else (r.p50 - as_of).days,
                f"days_p{pct}": None if isinstance(r.upper, Excuse) else (r.upper - as_of).days,
                "probability_within_horizon": r.probability_within_horizon,
                f"max_p{pct}_pct": r.max_upper_pct,
                "headroom_factor": r.headroom_factor,
                "headroom_units": r.headroom_units,
                "headroom_monthly_usd": _cell(r.headroom_monthly),
                "cost_group": r.cost_group,
            }
        )
    return pd.DataFrame(rows)
