"""Capacity plan and runway from a Store: what `capcost plan/runway` and the Capacity page call."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from forecasting.capacity.plan import quarterly_plan
from forecasting.demand import record
from forecasting.demand.chain import CHAIN, COST, USERS, DemandChain, read_history
from forecasting.demand.record import DEFAULT_QUARTERS, CostOfRecord, cost_of_record
from forecasting.demand.runway import HeadroomPrice, Runway, estimate_runway, runway_table
from forecasting.errors import CapcostError, InputError
from forecasting.interface import COST_METRIC, Aggregation, Excuse, Freq
from forecasting.models import stored, stored_fits
from forecasting.models.options import ForecastOptions, PathForecaster, notes_of, run_models
from forecasting.periods import complete_column
from forecasting.scenario import load_capacity, load_savings, scenario_label
from forecasting.scenario.assumptions import CapacityAssumptions, SavingsScenario
from forecasting.scenario.catalogue import (
    Catalogue,
    connection_upgrade,
    load_catalogue,
    tiered_cost,
)
from forecasting.store import Store

MONTHS_PER_QUARTER = 3

# What pays for more of each resource: pods scale out for CPU and memory; the pool and the disk
# grow with the database. Which cost group that is comes from the assumption set.
COMPUTE_METRICS = ("cpu_utilization", "memory_utilization")
DATABASE_METRICS = ("db_connection_pool_utilization", "disk_utilization")
# Disk items of the catalogue's metered prices, per database provider.
DISK_ITEMS = {"Supabase": "disk_gb_month", "AWS": "rds_gp3_gb_month"}


DEFAULT_DAYS, DEFAULT_DEMAND = 365, "base"
"""CapacityOptions' defaults (with the cost of record's ``DEFAULT_QUARTERS``): what a stored
plan or runway is keyed on for the options that are no part of it."""


MAX_QUARTERS = 300  # 900 months and the running quarter stay within the forecast's 1000
MAX_DAYS = 365 * 80


@dataclass(frozen=True)
class CapacityOptions(ForecastOptions):
    quarters: int = DEFAULT_QUARTERS
    """Quarters to plan after the current one."""
    days: int = DEFAULT_DAYS
    """Runway horizon, days."""
    demand: str = DEFAULT_DEMAND
    """Users scenario the plan runs on: base (the forecast), low, high, plan (users per
    quarter from the plan of record) or a stored set with users_growth/users_by_quarter."""

    def __post_init__(self) -> None:
        super().__post_init__()
        # Bounds in the options' own terms: the forecast behind them is at most MAX_HORIZON
        # months, which the user never named ("parameter h").
        for name, most in (("quarters", MAX_QUARTERS), ("days", MAX_DAYS)):
            if not 1 <= getattr(self, name) <= most:
                raise InputError(f"{name} must be from 1 to {most}", parameter=name)


# -- the quarterly plan -----------------------------------------------------------------------
@dataclass(frozen=True)
class PlanResult:
    """The quarterly plan: ``table`` has the CLI's columns (quarter, source, users, ...)."""

    table: pd.DataFrame
    assumptions: CapacityAssumptions
    scenario: str
    """The assumption set used, or "built-in defaults"."""
    chain: DemandChain
    """The fitted links users -> req/s -> peak -> instances -> cost per group."""
    demand: str
    """The users scenario the chain ran on (``base``: the forecast)."""
    cost_backtest: pd.DataFrame
    """The chain's cost against the direct forecast of the bill on past origins; ``selected``
    is the one ``cost_per_month`` shows."""
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


# -- stored whole ------------------------------------------------------------------------------
# A plan or a runway is made by refresh and read by the page (``stored_fits``): a level or an
# assumption set the refresh stored is read, not rebuilt (0.6-0.9 s of the cost of record,
# the chain and the tables on every change). Its key: the store's data, the options it reads,
# the price catalogue's tables, the engine's source and these modules': what makes the cost
# of record (``record.MADE_BY``, the figures included), then the quarters, the runway and the
# catalogue.
MADE_BY = (
    *record.MADE_BY,
    quarterly_plan,
    estimate_runway,
    load_catalogue,
)


def _capacity_key(
    store: Store, options: CapacityOptions, forecaster: PathForecaster
) -> tuple[object, ...] | None:
    # The engine's forecasts, cached by the app or not, are one result; a stand-in's are its own.
    if not stored.is_engine(forecaster):
        return None
    tables = stored_fits.catalogue_part(load_catalogue())
    return (stored_fits.store_part(store), options, *tables)


def plan(
    store: Store, options: CapacityOptions, forecaster: PathForecaster = run_models
) -> PlanResult:
    """Forecast users per month, run the demand chain on their paths, size and price quarters.
    Cost per month is the cost forecast of record (``demand.record``): the chain's cost or the
    direct forecast of the bill, whichever backtests better, the other beside it."""
    # The runway's days are no part of a plan: the one stored at the default days serves all.
    made = stored_plan(store, dataclasses.replace(options, days=DEFAULT_DAYS), forecaster)
    return dataclasses.replace(made, options=options)


@stored_fits.fitted("capacity plan", *MADE_BY, keyed=_capacity_key, engine=True, keeps_inputs=True)
def stored_plan(store: Store, options: CapacityOptions, forecaster: PathForecaster) -> PlanResult:
    """:func:`plan`, stored by the refresh and read by the page."""
    assumptions = load_capacity(store, options.scenario, options.settings)
    history = read_history(store)
    record = cost_of_record(
        store,
        options,
        forecaster,
        quarters=options.quarters,
        demand=options.demand,
        assumptions=assumptions,
        history=history,
    )
    if record.demand is None or record.chain is None:
        raise InputError(f"no demand chain to plan on: {record.why}", parameter="--db")
    first = history.demand[USERS].dropna().index.max() + pd.offsets.MonthBegin(1)
    quarters = _quarters(first, options.quarters)
    table = quarterly_plan(
        record.demand,
        assumptions,
        level=options.level,
        quarters=quarters,
        plan_of_record=plan_of_record(store),
    )
    table = record_users(record_costs(table, record, options.level), record, options.level)
    table["complete"] = complete_column(table["ds"], Freq.QUARTER, _data_to(store))
    return PlanResult(
        table=table.drop(columns="ds"),
        assumptions=assumptions,
        scenario=scenario_label(store, options.scenario),
        chain=record.chain,
        demand=record.scenario.name,
        cost_backtest=record.backtest,
        options=options,
        notes=(*record.notes, plan_cost_note(record)),
    )


def record_costs(table: pd.DataFrame, record: CostOfRecord, level: float) -> pd.DataFrame:
    """The plan's cost per month from the cost forecast of record: a quarter it forecasts is
    its total over the quarter's months (observed months included), band and all, with both
    methods' figures beside it; a quarter that happened keeps the bill."""
    out = table.copy()
    at = list(out.columns).index(f"{COST}_upper") + 1
    out.insert(at, f"chain_{COST}", out[COST])
    out.insert(at + 1, f"direct_{COST}", out[COST])
    both = [f for f in (record.chosen, record.other) if f is not None]
    methods = {"": record.chosen, **{_prefix(f.method): f for f in both}}
    for i, row in out.iterrows():
        start = pd.Period(str(row["quarter"]), freq="Q").start_time
        for prefix, f in methods.items():
            q = f.quarter(start, level)
            if q is None:
                continue
            out.loc[i, f"{prefix}{COST}"] = float(q["forecast"]) / MONTHS_PER_QUARTER
            if not prefix:
                out.loc[i, f"{COST}_lower"] = float(q["lower"]) / MONTHS_PER_QUARTER
                out.loc[i, f"{COST}_upper"] = float(q["upper"]) / MONTHS_PER_QUARTER
    return out


def record_users(table: pd.DataFrame, record: CostOfRecord, level: float) -> pd.DataFrame:
    """The plan's users per quarter from the users forecast the chain ran on, by quarter (the
    figure ``capcost forecast users --freq quarter`` shows, band and all): a quarter's point
    is the mean of its months' points, where the median of the paths' quarter means sat
    1-2% away on the demo's skewed paths. A quarter that happened keeps what happened."""
    quarters = record.users_quarters
    if quarters is None or quarters.empty:
        return table
    out = table.copy()
    at_level = quarters[quarters["level"] == level]
    rows = {pd.Timestamp(r["ds"]): r for r in at_level.to_dict("records")}
    for i, row in out.iterrows():
        q = rows.get(pd.Period(str(row["quarter"]), freq="Q").start_time)
        if row["source"] == "actual" or q is None:
            continue
        out.loc[i, [USERS, f"{USERS}_lower", f"{USERS}_upper"]] = [
            float(q["forecast"]),
            float(q["lower"]),
            float(q["upper"]),
        ]
    return out


def _prefix(method: str) -> str:
    return "chain_" if method == CHAIN else "direct_"


def plan_cost_note(record: CostOfRecord) -> str:
    """Which cost forecast the plan's cost per month is, and why, in one line."""
    return f"cost per month is the {record.chosen.method} ({record.why}); both are in the table"


def _data_to(store: Store) -> date | None:
    """The last day both users and cost cover completely: a quarter ending later is running."""
    days = [d for d in (store.last_full_day(USERS), store.last_full_day(COST_METRIC)) if d]
    return min(days) if days else None


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
    def early_label(self) -> str:
        """``P10`` at level 80: the early-warning date's quantile of first crossings."""
        return self.options.band_labels[0]

    def timeline(self) -> pd.DataFrame:
        """Per metric: ``label``, ``start`` (last observed day), ``end`` (the horizon) and the
        crossing dates ``early`` (one path in ten) and ``p50`` (half the paths), NaT when not
        within the horizon."""
        early = f"date_{self.early_label.lower()}"
        t = self.table
        return pd.DataFrame(
            {
                "label": [
                    f"{m} ≥ {v:g}%" for m, v in zip(t["metric"], t["threshold_pct"], strict=True)
                ],
                "start": pd.Timestamp(self.as_of),
                "end": pd.Timestamp(self.horizon_end),
                "early": pd.to_datetime(t[early], format="%Y-%m-%d", errors="coerce"),
                "p50": pd.to_datetime(t["date_p50"], format="%Y-%m-%d", errors="coerce"),
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


# Said in the Runway table's cell (and `capcost runway`'s): what to enter and where, short
# enough to read in the cell; the CLI's --set names the field, database_disk_gb.
DISK_SIZE_UNKNOWN = "not priced: enter the disk's size in GB (Savings page, Database, Disk size)"


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
        cost = Excuse(DISK_SIZE_UNKNOWN, {})
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
    """When each metric with a threshold reaches it on its paths (the median first crossing
    and the early warning, one path in ten), and headroom's cost. Forecast on daily peaks:
    alerts fire on minutes, and a daily mean hides the busy hour."""
    # The plan's quarters and users scenario are no part of a runway (it forecasts the
    # utilisation metrics themselves): the one stored at the defaults serves them all.
    plain = dataclasses.replace(options, quarters=DEFAULT_QUARTERS, demand=DEFAULT_DEMAND)
    return dataclasses.replace(stored_runway(store, plain, forecaster), options=options)


@stored_fits.fitted("runway", *MADE_BY, keyed=_capacity_key, engine=True, keeps_inputs=True)
def stored_runway(
    store: Store, options: CapacityOptions, forecaster: PathForecaster
) -> RunwayResult:
    """:func:`runway`, stored by the refresh and read by the page."""
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
    frame = pd.concat(
        [
            store.read_metric_series(m, Freq.DAY, daily=Aggregation.MAX).assign(unique_id=m)
            for m in metrics
        ]
    )
    result = forecaster(frame, options.days, Freq.DAY, options)
    scenario = load_savings(store, options.scenario, options.settings)
    try:
        compute = compute_headroom_price(store, scenario.compute_group)
    except CapcostError:  # no bill yet: the dates stand, headroom says its cost is unknown
        compute = None
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
            early_quantile=options.quantiles[0],
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
