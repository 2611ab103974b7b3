"""Demand sample paths to instances and monthly cost per quarter, with P10/P50/P90 bands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from forecasting.demand.sizing import instances_needed
from forecasting.errors import InputError
from forecasting.scenario.assumptions import CapacityAssumptions

PLAN_METRICS = ("users", "requests_per_second", "requests_per_second_peak")


@dataclass(frozen=True)
class UnitCost:
    """One cost group's monthly cost as a straight line in a demand driver."""

    group: str
    fixed_usd_per_month: float
    """Cost that does not move with demand, $/month."""
    usd_per_driver_unit: float
    """Extra $/month per unit of the driver (per user by default)."""

    def monthly(self, driver: np.ndarray | float) -> np.ndarray:
        return self.fixed_usd_per_month + self.usd_per_driver_unit * np.asarray(driver, float)


@dataclass(frozen=True)
class UnitCostModel:
    """Infrastructure cost per month from demand: the sum of each cost group's line.

    Autoscaled compute is billed on the pods that run hour by hour, not on the peak count
    that sizes capacity, so the plan prices demand with unit costs observed in the bill.
    """

    driver: str
    """Which demand series drives cost (``users`` or ``requests_per_second``)."""
    groups: tuple[UnitCost, ...]

    def monthly(self, driver: np.ndarray | float) -> np.ndarray:
        total = np.zeros_like(np.asarray(driver, dtype=float))
        for group in self.groups:
            total = total + group.monthly(driver)
        return total


def fit_unit_costs(monthly_cost: pd.DataFrame, driver: pd.Series, name: str) -> UnitCostModel:
    """Least squares per cost group with non-negative fixed and per-unit parts.

    ``monthly_cost`` is long (``unique_id`` = group, ``ds`` = month, ``y`` = $); ``driver`` is
    the driver's monthly mean indexed by month. Months missing either side are left out.
    """
    groups = []
    for group, rows in monthly_cost.groupby("unique_id", sort=True):
        joined = rows.set_index("ds")["y"].to_frame("cost").join(driver.rename("x"), how="inner")
        joined = joined.dropna()
        if len(joined) < 2:
            raise InputError(
                f"cost group {group!r} has {len(joined)} month(s) with both cost and {name}; "
                "a unit cost needs at least 2",
                parameter="monthly_cost",
            )
        design = np.column_stack([np.ones(len(joined)), joined["x"].to_numpy(float)])
        coef, _ = nnls(design, joined["cost"].to_numpy(float))
        groups.append(UnitCost(str(group), float(coef[0]), float(coef[1])))
    return UnitCostModel(driver=name, groups=tuple(groups))


@dataclass(frozen=True)
class DemandPaths:
    """Daily demand sample paths: every array is n_paths x len(ds); ``actuals`` precede them."""

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
        """Days, n_paths x days values and a per-day flag ``is_forecast``.

        An observed day is the same in every path; forecast days after the last observed day
        follow the paths (a forecast day the actuals already cover is dropped).
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
    cost: UnitCostModel | None = None,
    *,
    level: float = 80.0,
    quarters: list[str] | None = None,
    plan_of_record: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The document's plan shape per quarter: users, req/s, instances, cost per month.

    Each path's quarter is the mean of its days (the peak: the max), so a quarter that is
    partly observed combines the observed days with each path's remaining days. Instances and
    cost are computed from the displayed quantiles (both rise with demand), so every row can
    be checked by hand against the assumptions. ``plan_of_record`` (quarter, users,
    requests_per_second, cost_per_month) adds ``plan_*`` columns beside the forecast.
    """
    lo, hi = band(level)
    by_metric, flags = {}, {}
    for metric in PLAN_METRICS:
        days, values, is_forecast = demand.daily_matrix(metric)
        by_metric[metric] = quarterly_values(
            days, values, "max" if metric.endswith("_peak") else "mean"
        )
        labels = quarter_label(days)
        flags[metric] = {q: is_forecast[labels == q] for q in by_metric[metric]}
    rows = []
    for quarter in quarters or sorted(by_metric["requests_per_second_peak"]):
        if any(quarter not in by_metric[m] for m in PLAN_METRICS):
            raise InputError(f"no demand data or forecast for {quarter}", parameter="quarters")
        row: dict[str, object] = {
            "quarter": quarter,
            "ds": pd.Period(quarter, freq="Q").start_time,
            "source": _source(np.concatenate([flags[m][quarter] for m in PLAN_METRICS])),
        }
        for metric in PLAN_METRICS:
            mid, low, high = np.quantile(by_metric[metric][quarter], [0.5, lo, hi])
            row |= {metric: mid, f"{metric}_lower": low, f"{metric}_upper": high}
        peaks = np.array([row[f"requests_per_second_peak{s}"] for s in ("", "_lower", "_upper")])
        n = instances_needed(peaks, a)
        row |= {"instances": n[0], "instances_lower": n[1], "instances_upper": n[2]}
        row["peak_cpu_utilisation"] = 100 * peaks[0] / (n[0] * a.rps_per_instance) if n[0] else 0.0
        if cost is not None:
            drivers = np.array([row[f"{cost.driver}{s}"] for s in ("", "_lower", "_upper")])
            c = cost.monthly(drivers)
            row |= {
                "cost_per_month": c[0],
                "cost_per_month_lower": c[1],
                "cost_per_month_upper": c[2],
            }
        rows.append(row)
    frame = pd.DataFrame(rows)
    if plan_of_record is not None and not frame.empty:
        stated = plan_of_record.set_index("quarter").add_prefix("plan_")
        frame = frame.join(stated, on="quarter")
    return frame
