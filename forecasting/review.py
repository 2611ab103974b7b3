"""The monthly cost review: variance by group and service, plan vs actual, unit economics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.interface import COST_METRIC, CostBasis, Excuse, Freq, GroupBy
from forecasting.models.api import forecast
from forecasting.models.service import forecast_store, freeze
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

    def as_frame(self) -> pd.DataFrame:
        rows = [
            (COST_METRIC, self.planned_cost, self.actual_cost),
            ("users", self.planned_users, self.actual_users),
            (
                "cost per user",
                _ratio(self.planned_cost, self.planned_users),
                _ratio(self.actual_cost, self.actual_users),
            ),
        ]
        frame = pd.DataFrame(rows, columns=["measure", "planned", "actual"])
        frame["variance"] = frame["actual"] - frame["planned"]
        return frame


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
    return frame


@dataclass(frozen=True)
class Review:
    """Every table of one month's cost review (EffectiveCost, calendar months, UTC)."""

    month: str
    currency: str
    complete: bool
    """False while the month is still running: ``current`` figures are month to date."""
    by_group: pd.DataFrame
    by_service: pd.DataFrame
    movers: pd.DataFrame
    plan: PlanVariance | Excuse
    unit_economics: pd.DataFrame | Excuse

    def tables(self) -> dict[str, pd.DataFrame]:
        """The review's tables by file name, for one zip of CSVs."""
        out = {
            f"variance_by_group_{self.month}": self.by_group,
            f"variance_by_service_{self.month}": self.by_service,
            f"top_movers_{self.month}": self.movers,
        }
        if isinstance(self.plan, PlanVariance):
            out[f"plan_vs_actual_{self.month}"] = self.plan.as_frame()
        if isinstance(self.unit_economics, pd.DataFrame):
            out["unit_economics"] = self.unit_economics
        return out


def build_review(store: Store, month: str | None = None) -> Review | Excuse:
    """The review of ``month`` (default: the newest month with cost data)."""
    if store.last_day(COST_METRIC) is None:
        return Excuse("no cost data yet: run `capcost demo` or `capcost ingest focus FILE`")
    months = months_with_cost(store)
    month = month or months[0]
    if month not in months:
        return Excuse(f"no cost data for {month}; months with data: {months[-1]} to {months[0]}")
    start, end, _ = month_bounds(month)
    last = store.last_day(COST_METRIC)
    assert last is not None
    by_service = month_over_month(store, month, GroupBy.SERVICE)
    _, currency = store.read_series(COST_METRIC, Freq.MONTH, start=start, end=end)
    return Review(
        month=month,
        currency=currency,
        complete=last >= end - timedelta(days=1),
        by_group=month_over_month(store, month, GroupBy.GROUP),
        by_service=by_service,
        movers=top_movers(by_service),
        plan=plan_variance(store, month),
        unit_economics=unit_economics(store),
    )


ANOMALY_LEVEL = 95
# Half a year of daily history: enough weeks for the weekly shape, recent enough for the level.
ANOMALY_HISTORY_DAYS = 182
ANOMALY_MIN_HISTORY_DAYS = 56


def anomalies(store: Store, month: str) -> pd.DataFrame | Excuse:
    """Days of ``month`` whose cost falls outside the 95% band forecast from the days before.

    Each flagged day names the service that moved most against its own median of the 28
    days before the month. Columns: ``ds, actual, expected, lower, upper, service,
    service_change``.
    """
    start, _, _ = month_bounds(month)
    days = days_covered(store, month)
    history, _ = store.read_series(
        COST_METRIC, Freq.DAY, start=start - timedelta(days=ANOMALY_HISTORY_DAYS), end=start
    )
    if len(history) < ANOMALY_MIN_HISTORY_DAYS or days == 0:
        return Excuse(
            f"anomaly detection needs {ANOMALY_MIN_HISTORY_DAYS} days of daily cost before "
            f"{month}; there are {len(history)}",
            {"month": month},
        )
    result = forecast(history, h=days, freq="day", level=(ANOMALY_LEVEL,))
    band = result.forecast[["ds", "forecast", "lower", "upper"]]
    actual, _ = store.read_series(
        COST_METRIC, Freq.DAY, start=start, end=start + timedelta(days=days)
    )
    merged = band.merge(actual[["ds", "y"]], on="ds")
    merged = merged.rename(columns={"y": "actual", "forecast": "expected"})
    flagged = merged[(merged["actual"] > merged["upper"]) | (merged["actual"] < merged["lower"])]
    out = flagged[["ds", "actual", "expected", "lower", "upper"]].copy()
    movers = _day_movers(store, start, days)
    picks = [movers.get(pd.Timestamp(d), ("", 0.0)) for d in out["ds"]]
    out["service"] = pd.Series([p[0] for p in picks], index=out.index, dtype=object)
    out["service_change"] = pd.Series([p[1] for p in picks], index=out.index, dtype=float)
    money = ["actual", "expected", "lower", "upper", "service_change"]
    out[money] = out[money].astype(float).round(2)
    return out.reset_index(drop=True)


def _day_movers(store: Store, start: date, days: int) -> dict[pd.Timestamp, tuple[str, float]]:
    """Per day of the month: the service furthest from its median of the 28 days before."""
    frame, _ = store.read_series(
        COST_METRIC,
        Freq.DAY,
        GroupBy.SERVICE,
        start=start - timedelta(days=28),
        end=start + timedelta(days=days),
    )
    wide = frame.pivot_table(index="ds", columns="unique_id", values="y", aggfunc="sum").fillna(0)
    baseline = wide[wide.index < pd.Timestamp(start)].median()
    change = wide[wide.index >= pd.Timestamp(start)] - baseline
    movers: dict[pd.Timestamp, tuple[str, float]] = {}
    for ds, row in change.iterrows():
        if len(row):
            service = str(row.abs().idxmax())
            movers[pd.Timestamp(str(ds))] = (service, float(row.loc[service]))
    return movers


PLAN_HORIZON_MONTHS = 12
PLAN_LEVEL = 80


def freeze_plan_of_record(
    store: Store, *, model: str = "auto", horizon: int = PLAN_HORIZON_MONTHS
) -> list[int]:
    """Forecast cost and users for the next ``horizon`` months from complete months and store
    both as the plan of record, so later reviews compare actuals with what was planned.

    Needs a read-write store. Returns the new plan ids (cost first).
    """
    plan_ids = []
    metrics = [COST_METRIC] + [m for m in ("users",) if m in store.stored_metrics()]
    for metric in metrics:
        fc = forecast_store(store, metric, h=horizon, level=(PLAN_LEVEL,), model=model)
        first = pd.Timestamp(fc.table["ds"].min())
        extra = {"horizon_months": horizon, "cost_basis": "EffectiveCost"}
        plan_ids.append(freeze(store, f"Plan of record {first:%Y-%m}", fc, PLAN_LEVEL, extra))
    return plan_ids
