"""Capacity plan and runway from a Store: what `capcost plan/runway` and the Capacity page call."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from forecasting.capacity.plan import DemandPaths, UnitCostModel, fit_unit_costs, quarterly_plan
from forecasting.demand.runway import HeadroomPrice, Runway, estimate_runway, runway_table
from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, Excuse, Freq, GroupBy
from forecasting.models.options import ForecastOptions, PathForecaster, notes_of, run_models
from forecasting.scenario import load_capacity, load_savings, scenario_label
from forecasting.scenario.assumptions import CapacityAssumptions, SavingsScenario
from forecasting.scenario.catalogue import (
    Catalogue,
    connection_upgrade,
    load_catalogue,
    tiered_cost,
)
from forecasting.store import Store

DEMAND = ("users", "requests_per_second", "requests_per_second_peak")
# What pays for more of each resource: pods scale out for CPU and memory; the pool and the disk
# grow with the database. Which cost group that is comes from the assumption set.
COMPUTE_METRICS = ("cpu_utilization", "memory_utilization")
DATABASE_METRICS = ("db_connection_pool_utilization", "disk_utilization")
# Disk items of the catalogue's metered prices, per database provider.
DISK_ITEMS = {"Supabase": "disk_gb_month", "AWS": "rds_gp3_gb_month"}


@dataclass(frozen=True)
class CapacityOptions(ForecastOptions):
    quarters: int = 4
    """Quarters to plan after the current one."""
    days: int = 365
    """Runway horizon, days."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("quarters", "days"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1", parameter=name)


# -- the quarterly plan -----------------------------------------------------------------------
@dataclass(frozen=True)
class PlanResult:
    """The quarterly plan: ``table`` has the CLI's columns (quarter, source, users, ...)."""

    table: pd.DataFrame
    assumptions: CapacityAssumptions
    scenario: str
    """The assumption set used, or "built-in defaults"."""
    unit_costs: UnitCostModel
    options: CapacityOptions
    notes: tuple[str, ...] = ()

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost plan --csv` writes."""
        return self.table.round(2)


def _quarters(first_forecast: pd.Timestamp, after: int) -> list[str]:
    """Quarters of the current year up to the current one, then ``after`` more."""
    current = pd.Period(first_forecast, freq="Q")
    first = pd.Period(f"{current.year}Q1", freq="Q")
    return [str(first + i) for i in range((current - first).n + after + 1)]


def plan_of_record(store: Store) -> pd.DataFrame | None:
    """The newest stored plan per metric, per quarter (monthly cost averaged per quarter)."""
    columns = {
        "users": "users",
        "requests_per_second": "requests_per_second",
        COST_METRIC: "cost_per_month",
    }
    parts = []
    for metric, column in columns.items():
        plan_id = store.latest_plan(metric)
        if plan_id is None:
            continue
        _, values = store.read_plan(plan_id)
        values = values[values["unique_id"].isin([metric, "total"])]
        quarter = pd.PeriodIndex(values["ds"], freq="Q").astype(str)
        parts.append(values.groupby(quarter)["forecast"].mean().rename(column))
    if not parts:
        return None
    return pd.concat(parts, axis=1).rename_axis("quarter").reset_index()


def plan(
    store: Store, options: CapacityOptions, forecaster: PathForecaster = run_models
) -> PlanResult:
    """Forecast demand per month, combine with this year's actuals, size and price each quarter."""
    assumptions = load_capacity(store, options.scenario, options.settings)
    missing = [m for m in DEMAND if m not in store.stored_metrics()]
    if missing:
        raise InputError(
            f"no {', '.join(missing)} stored yet: ingest them (`capcost ingest metrics` or the "
            "Data page) to plan capacity",
            parameter="--db",
        )
    frame = pd.concat([store.read_series(m, Freq.MONTH, complete_only=True)[0] for m in DEMAND])
    if frame.empty:
        raise InputError(
            "no complete month of demand data (users, requests/s) yet", parameter="--db"
        )
    first = frame["ds"].max() + pd.offsets.MonthBegin(1)
    quarters = _quarters(first, options.quarters)
    end = pd.Period(quarters[-1], freq="Q").end_time.normalize()
    h = len(pd.date_range(first, end, freq="MS"))
    result = forecaster(frame, h, Freq.MONTH, options)
    actuals = frame.pivot(index="ds", columns="unique_id", values="y")
    actuals = actuals[actuals.index >= pd.Period(quarters[0], freq="Q").start_time]
    ds = pd.date_range(first, periods=h, freq="MS")
    demand = DemandPaths(ds=ds, paths={m: result.paths[m] for m in DEMAND}, actuals=actuals)
    cost, _ = store.read_series(COST_METRIC, Freq.MONTH, GroupBy.GROUP, complete_only=True)
    recent = cost[cost["ds"] > cost["ds"].max() - pd.DateOffset(months=12)]
    users = frame[frame["unique_id"] == "users"].set_index("ds")["y"]
    unit_costs = fit_unit_costs(recent, users, "users")
    table = quarterly_plan(
        demand,
        assumptions,
        unit_costs,
        level=options.level,
        quarters=quarters,
        plan_of_record=plan_of_record(store),
    )
    return PlanResult(
        table=table.drop(columns="ds"),
        assumptions=assumptions,
        scenario=scenario_label(store, options.scenario),
        unit_costs=unit_costs,
        options=options,
        notes=notes_of(result),
    )


# -- runway -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunwayResult:
    """Runway per metric with an alert threshold: ``table`` has the CLI's columns."""

    table: pd.DataFrame
    as_of: date
    """Last observed day."""
    horizon_end: date
    assumptions: CapacityAssumptions
    scenario: str
    options: CapacityOptions
    notes: tuple[str, ...] = ()

    def export(self) -> pd.DataFrame:
        """Exactly what `capcost runway --csv` writes."""
        return self.table.round(2)

    @property
    def upper_label(self) -> str:
        return self.options.band_labels[1]

    def timeline(self) -> pd.DataFrame:
        """Per metric: ``label``, ``start`` (last observed day), ``end`` (the horizon) and the
        crossing dates ``p50`` and ``upper`` (NaT when not within the horizon)."""
        upper = f"date_{self.upper_label.lower()}"
        t = self.table
        return pd.DataFrame(
            {
                "label": [
                    f"{m} ≥ {v:g}%" for m, v in zip(t["metric"], t["threshold_pct"], strict=True)
                ],
                "start": pd.Timestamp(self.as_of),
                "end": pd.Timestamp(self.horizon_end),
                "p50": pd.to_datetime(t["date_p50"], format="%Y-%m-%d", errors="coerce"),
                "upper": pd.to_datetime(t[upper], format="%Y-%m-%d", errors="coerce"),
            }
        )


def compute_headroom_price(store: Store, group: str) -> HeadroomPrice | None:
    """Pods scale out: today's spend of the compute cost group over the pods it ran (last full
    month)."""
    month, spend = store.last_full_month_costs()
    if group not in spend:
        return None
    instances: float | None = None
    if "instances" in store.stored_metrics():
        series, _ = store.read_series("instances", Freq.MONTH)
        match = series.loc[series["ds"] == month, "y"]
        instances = float(match.iloc[0]) if len(match) else None
    return HeadroomPrice(group, spend[group], units=instances)


def price_database_headroom(r: Runway, scenario: SavingsScenario, catalogue: Catalogue) -> Runway:
    """The pool grows by moving up the provider's tier ladder; the disk by the GB."""
    group = scenario.database_group
    if r.headroom_factor <= 1:
        return dataclasses.replace(r, cost_group=group)
    cost: float | Excuse
    if r.metric == "db_connection_pool_utilization":
        tiers = catalogue.database_tiers(scenario.database_provider)
        current = catalogue.database_tier(scenario.database_provider, scenario.database_tier)
        found = connection_upgrade(tiers, current, r.headroom_factor, scenario.hours_per_month)
        cost = found if isinstance(found, Excuse) else found[1]
    elif scenario.database_disk_gb is None:
        cost = Excuse("disk size unknown: set database_disk_gb in the scenario", {})
    else:
        item = DISK_ITEMS.get(scenario.database_provider)
        if item is None:
            cost = Excuse(f"no disk price for {scenario.database_provider}", {})
        else:
            tiers_gb = catalogue.price_tiers(scenario.database_provider, item)
            gb = scenario.database_disk_gb
            cost = tiered_cost(gb * r.headroom_factor, tiers_gb) - tiered_cost(gb, tiers_gb)
    return dataclasses.replace(r, headroom_monthly=cost, cost_group=group)


def runway(
    store: Store, options: CapacityOptions, forecaster: PathForecaster = run_models
) -> RunwayResult:
    """When each metric with a threshold reaches it (P50, upper band), and headroom's cost."""
    assumptions = load_capacity(store, options.scenario, options.settings)
    stored = set(store.stored_metrics())
    metrics = [m for m in assumptions.alert_thresholds if m in stored]
    if not metrics:
        known = ", ".join(sorted(assumptions.alert_thresholds))
        raise InputError(
            f"none of the metrics with alert thresholds is stored ({known}): ingest them "
            "(`capcost ingest metrics` or the Data page)",
            parameter="--db",
        )
    frame = pd.concat([store.read_series(m, Freq.DAY)[0] for m in metrics])
    result = forecaster(frame, options.days, Freq.DAY, options)
    scenario = load_savings(store, options.scenario, options.settings)
    compute = compute_headroom_price(store, scenario.compute_group)
    catalogue = load_catalogue()
    rows: list[Any] = []
    for m in metrics:
        s = result.series[m]
        last = frame.loc[frame["unique_id"] == m, "y"].iloc[-1]
        r = estimate_runway(
            m,
            s.ds,
            result.paths[m],
            assumptions.alert_thresholds[m],
            current_pct=float(last),
            price=compute if m in COMPUTE_METRICS else None,
            upper_quantile=options.quantiles[1],
        )
        if m in DATABASE_METRICS:
            r = price_database_headroom(r, scenario, catalogue)
        rows.append(r)
    as_of = frame["ds"].max().date()
    end = max(pd.Timestamp(result.series[m].ds[-1]) for m in metrics).date()
    return RunwayResult(
        table=runway_table(rows, as_of),
        as_of=as_of,
        horizon_end=end,
        assumptions=assumptions,
        scenario=scenario_label(store, options.scenario),
        options=options,
        notes=notes_of(result),
    )
