"""The cost review's maths: like-for-like month-over-month variance, volume + rate, unit cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.interface import COST_METRIC, CostBasis, Excuse, Freq, GroupBy
from forecasting.periods import complete_column
from forecasting.store import Store

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PlanVariance:
    """Actual vs plan of record for one month, the variance split into volume and rate.

    volume = (actual users - planned users) x planned cost per user
    rate   = (actual cost per user - planned cost per user) x actual users
    and volume + rate = actual - planned exactly.
    """

    plan_id: int
    plan_name: str
    month: str
    planned_cost: float
    actual_cost: float
    planned_users: float | None
    actual_users: float | None
    volume_variance: float | None
    rate_variance: float | None

    @property
    def variance(self) -> float:
        return self.actual_cost - self.planned_cost

    def as_frame(self, currency: str, complete: bool) -> pd.DataFrame:
        """One row with one unit per column: cost (in ``currency``), users and cost per user
        (``currency``/user), each ``_planned``, ``_actual`` and ``_vs_plan`` (actual minus
        plan); the cost variance split into ``volume_variance`` and ``rate_variance``;
        ``complete`` False for the running month (its plan is prorated to the days with
        data)."""
        planned_per_user = _ratio(self.planned_cost, self.planned_users)
        actual_per_user = _ratio(self.actual_cost, self.actual_users)
        row = {
            "month": pd.Timestamp(self.month),  # its first day, as every ds
            "cost_planned": self.planned_cost,
            "cost_actual": self.actual_cost,
            "cost_vs_plan": self.variance,
            "users_planned": self.planned_users,
            "users_actual": self.actual_users,
            "users_vs_plan": _minus(self.actual_users, self.planned_users),
            "cost_per_user_planned": planned_per_user,
            "cost_per_user_actual": actual_per_user,
            "cost_per_user_vs_plan": _minus(actual_per_user, planned_per_user),
            "volume_variance": self.volume_variance,
            "rate_variance": self.rate_variance,
            "currency": currency,
            "complete": complete,
        }
        return pd.DataFrame([row])


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _ratio(a: float, b: float | None) -> float | None:
    return None if not b else a / b


def months_with_cost(store: Store) -> list[str]:
    """Calendar months that have cost data, newest first (``YYYY-MM``)."""
    frame, _ = store.read_series(COST_METRIC, Freq.MONTH)
    return sorted(frame["ds"].dt.strftime("%Y-%m").unique().tolist(), reverse=True)


def month_bounds(month: str) -> tuple[date, date, date]:
    """First day of the month, of the next month, and of the previous month."""
    start = pd.Period(month, freq="M")
    return (start.start_time.date(), (start + 1).start_time.date(), (start - 1).start_time.date())


def days_covered(store: Store, month: str) -> int:
    """Days of ``month`` that have cost data: all of them unless it is the running month."""
    start, end, _ = month_bounds(month)
    last = store.last_day(COST_METRIC)
    full = (end - start).days
    if last is None or last < start:
        return 0
    return full if last >= end - timedelta(days=1) else (last - start).days + 1


def _spend(store: Store, by: GroupBy, start: date, end: date, basis: CostBasis) -> pd.Series:
    frame, _ = store.read_series(COST_METRIC, Freq.MONTH, by, start=start, end=end, basis=basis)
    return frame.groupby("unique_id")["y"].sum()


def month_over_month(
    store: Store, month: str, by: GroupBy, basis: CostBasis = CostBasis.EFFECTIVE
) -> pd.DataFrame:
    """``<by>, previous, current, change, change_percent`` for a month against the one before.

    Like is compared with like: for the running month (data to day N), both columns cover
    days 1..N, so a half-finished month never looks like a drop.
    """
    start, end, prev = month_bounds(month)
    days = days_covered(store, month)
    prev_length = (start - prev).days
    prev_days = prev_length if days == (end - start).days else min(days, prev_length)
    current = _spend(store, by, start, start + timedelta(days=days), basis)
    previous = _spend(store, by, prev, prev + timedelta(days=prev_days), basis)
    both = pd.concat({"previous": previous, "current": current}, axis=1).fillna(0.0)
    out = both.rename_axis(by.value).reset_index()
    out["change"] = out["current"] - out["previous"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * out["change"] / out["previous"].where(out["previous"] != 0)
    out["change_percent"] = pct.round(1) + 0.0
    money = ["previous", "current", "change"]
    out[money] = out[money].round(2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out.sort_values("current", ascending=False).reset_index(drop=True)


def top_movers(variance: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` rows with the largest absolute change, largest first."""
    order = variance["change"].abs().sort_values(ascending=False).index
    return variance.loc[order].head(n).reset_index(drop=True)


def plan_variance(store: Store, month: str, plan_id: int | None = None) -> PlanVariance | Excuse:
    """Actual vs the plan of record for ``month`` (the newest cost plan covering it)."""
    start, end, _ = month_bounds(month)
    plan_id = plan_id or _plan_covering(store, COST_METRIC, start)
    if plan_id is None:
        return Excuse(
            f"no plan of record covers {month}: freeze a forecast as the plan first",
            {"month": month},
        )
    meta, values = store.read_plan(plan_id)
    planned_cost = _planned_value(values, meta["freq"], start)
    if planned_cost is None:
        return Excuse(f"plan {plan_id} has no value for {month}", {"plan_id": plan_id})
    actual, _ = store.read_series(COST_METRIC, Freq.MONTH, start=start, end=end)
    actual_cost = float(actual["y"].sum())
    # For the running month, the plan is prorated to the days with data.
    planned_cost *= days_covered(store, month) / (end - start).days
    users_plan = _plan_covering(store, "users", start)
    planned_users = None
    if users_plan is not None:
        users_meta, users_values = store.read_plan(users_plan)
        planned_users = _planned_value(users_values, users_meta["freq"], start)
    actual_users = None
    if "users" in store.stored_metrics():
        users, _ = store.read_series("users", Freq.MONTH, start=start, end=end)
        actual_users = float(users["y"].iloc[0]) if len(users) else None
    volume = rate = None
    if planned_users and actual_users:
        planned_rate = planned_cost / planned_users
        volume = (actual_users - planned_users) * planned_rate
        rate = (actual_cost / actual_users - planned_rate) * actual_users
    return PlanVariance(
        plan_id,
        meta["name"],
        month,
        planned_cost,
        actual_cost,
        planned_users,
        actual_users,
        volume,
        rate,
    )


def _plan_covering(store: Store, metric: str, month_start: date) -> int | None:
    plans = store.plans(metric)
    for plan_id, freq in zip(plans["plan_id"], plans["freq"], strict=True):
        _, values = store.read_plan(int(plan_id))
        if _planned_value(values, freq, month_start) is not None:
            return int(plan_id)
    return None


def _planned_value(values: pd.DataFrame, freq: str, month_start: date) -> float | None:
    """The plan's value for a month; a quarterly plan's value holds for each of its months."""
    # A plan frozen per group has no "total" series: its total is the sum of the groups.
    series = (
        values[values["unique_id"] == "total"] if "total" in set(values["unique_id"]) else values
    )
    label = pd.Timestamp(month_start)
    if Freq(freq) is Freq.QUARTER:
        label = pd.Period(month_start, freq="Q").start_time
    hit = series.loc[series["ds"] == label, "forecast"]
    return None if hit.empty else float(hit.sum())


def unit_economics(store: Store) -> pd.DataFrame | Excuse:
    """Per complete month: cost, users, cost per user and cost per million requests."""
    missing = {"users", "requests_per_second"} - set(store.stored_metrics())
    if missing:
        return Excuse(f"unit economics need the metrics {sorted(missing)}: ingest them first")
    cost, currency = store.read_series(COST_METRIC, Freq.MONTH, complete_only=True)
    users, _ = store.read_series("users", Freq.MONTH, complete_only=True)
    rps, _ = store.read_series("requests_per_second", Freq.MONTH, complete_only=True)
    frame = (
        cost[["ds", "y"]]
        .rename(columns={"y": "cost"})
        .merge(users[["ds", "y"]].rename(columns={"y": "users"}), on="ds")
        .merge(rps[["ds", "y"]].rename(columns={"y": "requests_per_second"}), on="ds")
    )
    seconds = frame["ds"].dt.days_in_month * SECONDS_PER_DAY
    frame["cost_per_user"] = frame["cost"] / frame["users"]
    frame["cost_per_million_requests"] = frame["cost"] / (
        frame["requests_per_second"] * seconds / 1e6
    )
    frame["currency"] = currency
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].round(4)
    # Complete months only, and the CSV says so as every table of periods does.
    frame["complete"] = complete_column(frame["ds"], Freq.MONTH, store.last_full_day(COST_METRIC))
    return frame
