"""Demand sample paths to instances and monthly cost per quarter, with P10/P50/P90 bands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.capacity.assumptions import CapacityAssumptions, Redundancy
from forecasting.errors import InputError

# ceil() of a ratio that is an exact integer in decimal (315 / (150 * 0.7) = 3) can land a hair
# above it in binary floating point; without this, exact fits would get one instance too many.
_CEIL_SLACK = 1e-9

PLAN_METRICS = ("users", "requests_per_second", "requests_per_second_peak")
COST = "cost_per_month"


def ceil_exact(x: np.ndarray) -> np.ndarray:
    """``ceil``, except that a value within float noise of a positive integer stays on it."""
    near = np.round(x)
    on_integer = (np.abs(x - near) <= _CEIL_SLACK * np.maximum(1.0, x)) & ((near > 0) | (x == 0))
    out: np.ndarray = np.where(on_integer, near, np.ceil(x))
    return out


def instances_needed(peak_rps: np.ndarray | float, a: CapacityAssumptions) -> np.ndarray:
    """``ceil(peak / (rps_per_instance * target))``, then redundancy, then the floor."""
    peak = np.asarray(peak_rps, dtype=float)
    if np.isnan(peak).any() or (peak < 0).any():
        raise InputError("peak requests/s must be non-negative numbers", parameter="peak_rps")
    base = ceil_exact(peak / a.capacity_per_instance)
    if a.redundancy is Redundancy.N_PLUS_1:
        base = base + 1
    elif a.redundancy is Redundancy.PER_ZONE:
        base = np.ceil(base / a.zones) * a.zones
    out: np.ndarray = np.maximum(base, a.min_instances).astype(np.int64)
    return out


@dataclass(frozen=True)
class DemandPaths:
    """Demand sample paths per period (the plan's months): every array is n_paths x len(ds).

    ``actuals`` (a DatetimeIndex of periods, a column per metric) precede them. Besides the
    demand metrics, ``paths`` may hold ``cost_per_month`` (total $/month of each path).
    """

    ds: pd.DatetimeIndex
    paths: Mapping[str, np.ndarray]
    """Per metric (users, requests_per_second, requests_per_second_peak), n_paths x h."""
    actuals: pd.DataFrame
    """Observed days (DatetimeIndex) with a column per metric; may be empty."""

    def __post_init__(self) -> None:
        shapes = {name: np.shape(p) for name, p in self.paths.items()}
        missing = [m for m in PLAN_METRICS if m not in self.paths]
        if missing:
            raise ValueError(f"paths lack {missing}")
        if len({s for s in shapes.values()}) != 1 or next(iter(shapes.values()))[1:] != (
            len(self.ds),
        ):
            raise ValueError(f"paths must all be n_paths x {len(self.ds)}, got {shapes}")

    @property
    def n_paths(self) -> int:
        return int(np.shape(self.paths[PLAN_METRICS[0]])[0])

    def daily_matrix(self, metric: str) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
        """Periods, n_paths x periods values and a per-period flag ``is_forecast``.

        An observed period is the same in every path; forecast periods after the last
        observed one follow the paths (a forecast period the actuals already cover is dropped).
        """
        observed = self.actuals[metric].dropna() if metric in self.actuals else pd.Series()
        keep = self.ds > observed.index.max() if len(observed) else np.ones(len(self.ds), bool)
        days = observed.index.append(self.ds[keep])
        values = np.hstack(
            [
                np.broadcast_to(observed.to_numpy(float), (self.n_paths, len(observed))),
                np.asarray(self.paths[metric], dtype=float)[:, keep],
            ]
        )
        flag = np.r_[np.zeros(len(observed), bool), np.ones(int(keep.sum()), bool)]
        return pd.DatetimeIndex(days), values, flag


def quarter_label(days: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(days.year.astype(str) + "Q" + days.quarter.astype(str))


def quarterly_values(days: pd.DatetimeIndex, values: np.ndarray, how: str) -> dict[str, np.ndarray]:
    """Per quarter label, one value per path: the mean or the max of its days."""
    labels = quarter_label(days)
    out = {}
    for label in dict.fromkeys(labels):
        cols = values[:, labels == label]
        out[str(label)] = cols.max(axis=1) if how == "max" else cols.mean(axis=1)
    return out


def band(level: float) -> tuple[float, float]:
    """Lower and upper quantile of a central interval at ``level`` percent (80 -> P10, P90)."""
    if not 0 < level < 100:
        raise InputError(f"level must be in (0, 100), got {level}", parameter="level")
    tail = (100 - level) / 200
    return tail, 1 - tail


def _source(flags: np.ndarray) -> str:
    if flags.all():
        return "forecast"
    return "actual+forecast" if flags.any() else "actual"


def quarterly_plan(
    demand: DemandPaths,
    a: CapacityAssumptions,
    *,
    level: float = 80.0,
    quarters: list[str] | None = None,
    plan_of_record: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The document's plan shape per quarter: users, req/s, peak, instances, cost per month.

    Each path's quarter is the mean of its periods (the peak: their maximum; cost: the mean
    month), so a quarter that is partly observed combines the observed months with each
    path's remaining ones, and a quarter that happened shows what happened (the bill).
    Instances are sized from the displayed peak quantiles (they only rise with the peak), so
    every row can be checked by hand; ``peak_to_average`` is the median path's quarter peak
    over its quarter average. ``plan_of_record`` (quarter, users, requests_per_second,
    cost_per_month) adds ``plan_*`` columns beside the forecast.
    """
    lo, hi = band(level)
    metrics = [*PLAN_METRICS, *([COST] if COST in demand.paths else [])]
    by_metric, flags = {}, {}
    for metric in metrics:
        days, values, is_forecast = demand.daily_matrix(metric)
        by_metric[metric] = quarterly_values(
            days, values, "max" if metric.endswith("_peak") else "mean"
        )
        labels = quarter_label(days)
        flags[metric] = {q: is_forecast[labels == q] for q in by_metric[metric]}
    rows = []
    for quarter in quarters or sorted(by_metric["requests_per_second_peak"]):
        if any(quarter not in by_metric[m] for m in metrics):
            raise InputError(f"no demand data or forecast for {quarter}", parameter="quarters")
        row: dict[str, object] = {
            "quarter": quarter,
            "ds": pd.Period(quarter, freq="Q").start_time,
            "source": _source(np.concatenate([flags[m][quarter] for m in metrics])),
        }
        for metric in metrics:
            mid, low, high = np.quantile(by_metric[metric][quarter], [0.5, lo, hi])
            row |= {metric: mid, f"{metric}_lower": low, f"{metric}_upper": high}
        average = by_metric["requests_per_second"][quarter]
        ratio = by_metric["requests_per_second_peak"][quarter] / np.where(
            average > 0, average, np.nan
        )
        row["peak_to_average"] = float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else np.nan
        peaks = np.array([row[f"requests_per_second_peak{s}"] for s in ("", "_lower", "_upper")])
        n = instances_needed(peaks, a)
        row |= {"instances": n[0], "instances_lower": n[1], "instances_upper": n[2]}
        row["peak_cpu_utilisation"] = 100 * peaks[0] / (n[0] * a.rps_per_instance) if n[0] else 0.0
        rows.append(row)
    frame = pd.DataFrame(rows)
    if COST in metrics and not frame.empty:
        # Cost after the capacity columns, as the document's table reads.
        costs = [COST, f"{COST}_lower", f"{COST}_upper"]
        frame = frame[[c for c in frame.columns if c not in costs] + costs]
    if plan_of_record is not None and not frame.empty:
        stated = plan_of_record.set_index("quarter").add_prefix("plan_")
        frame = frame.join(stated, on="quarter")
    return frame
