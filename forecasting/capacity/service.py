"""Capacity plan and runway from a Store: what `capcost plan/runway` and the Capacity page call."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from forecasting.errors import CapcostError, InputError
from forecasting.interface import Excuse

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.capacity import CapacityAssumptions, HeadroomPrice, Runway
    from forecasting.demand import DemandChain
    from forecasting.models import ForecastResult
    from forecasting.savings.catalogue import Catalogue
    from forecasting.savings.scenario import SavingsScenario
    from forecasting.store import Store

T = TypeVar("T")
DEFAULT_SCENARIO = "apex-capacity"
BUILT_IN = "built-in defaults"
DEMAND = ("users", "requests_per_second", "requests_per_second_peak")
# Which cost group pays for more of each resource: pods scale out for CPU and memory; the pool
# and the disk grow with the database.
HEADROOM_GROUPS = {
    "cpu_utilization": "Compute",
    "memory_utilization": "Compute",
    "db_connection_pool_utilization": "Database",
    "disk_utilization": "Database",
}
# Disk items of the catalogue's metered prices, per database provider.
DISK_ITEMS = {"Supabase": "disk_gb_month", "AWS": "rds_gp3_gb_month"}


@dataclass(frozen=True)
class ForecastOptions:
    """What every forecasting command takes (the CLI's --scenario, --set, --level, ...)."""

    scenario: str | None = None
    """Stored assumption set; None: ``apex-capacity`` if stored, else the built-in defaults."""
    settings: tuple[tuple[str, Any], ...] = ()
    """Single assumptions overriding the set's, in order (the CLI's ``--set KEY=VALUE``)."""
    level: float = 80.0
    """Interval level, % (80 -> P10 and P90)."""
    model: str = "auto"
    paths: int = 1000
    """Sample paths simulated per series."""
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.level < 100:
            raise InputError(
                f"level must be between 0 and 100, got {self.level}", parameter="level"
            )
        if self.paths < 1:
            raise InputError(f"paths must be at least 1, got {self.paths}", parameter="paths")
        object.__setattr__(self, "settings", tuple((str(k), v) for k, v in self.settings))

    @property
    def quantiles(self) -> tuple[float, float]:
        """Lower and upper quantile of the band (0.1, 0.9 at level 80)."""
        tail = (100 - self.level) / 200
        return tail, 1 - tail

    @property
    def band_labels(self) -> tuple[str, str]:
        """``("P10", "P90")`` at level 80."""
        lo, hi = self.quantiles
        return f"P{100 * lo:g}", f"P{100 * hi:g}"


MAX_QUARTERS = 300  # 900 months and the running quarter stay within the forecast's 1000
MAX_DAYS = 365 * 80


@dataclass(frozen=True)
class CapacityOptions(ForecastOptions):
    quarters: int = 4
    """Quarters to plan after the current one."""
    days: int = 365
    """Runway horizon, days."""
    demand: str = "base"
    """Users scenario the plan runs on: base (the forecast), low, high, plan (users per
    quarter from the plan of record) or a stored set with users_growth/users_by_quarter."""

    def __post_init__(self) -> None:
        super().__post_init__()
        # Bounds in the options' own terms: the forecast behind them is at most MAX_HORIZON
        # months, which the user never named ("parameter h").
        for name, most in (("quarters", MAX_QUARTERS), ("days", MAX_DAYS)):
            if not 1 <= getattr(self, name) <= most:
                raise InputError(f"{name} must be from 1 to {most}", parameter=name)


class Forecaster(Protocol):
    """Forecasts a long frame ``h`` periods ahead with sample paths (the app caches one)."""

    def __call__(
        self, frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions
    ) -> ForecastResult: ...


def run_models(frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions) -> ForecastResult:
    from forecasting.models import forecast

    return forecast(frame, h=h, freq=freq, level=(options.level,), model=options.model,
                    n_paths=options.paths, seed=options.seed)  # fmt: skip


def notes_of(result: ForecastResult) -> tuple[str, ...]:
    return tuple(str(excuse) for excuse in result.excuses)


# -- assumptions ------------------------------------------------------------------------------
def scenario_label(store: Store, options: ForecastOptions) -> str:
    """The assumption set the options resolve to, or "built-in defaults"."""
    name = options.scenario or DEFAULT_SCENARIO
    return name if options.scenario or name in store.assumption_set_names() else BUILT_IN


def stored_payload(store: Store, options: ForecastOptions) -> dict[str, Any]:
    """The named assumption set's payload ({} for the defaults), then the settings on top.

    Every key is checked against both models, whichever one runs, so a bad setting never
    passes silently.
    """
    from forecasting.capacity.assumptions import ALIASES, CapacityAssumptions
    from forecasting.capacity.assumptions import from_payload as capacity_from
    from forecasting.savings.scenario import SavingsScenario
    from forecasting.savings.scenario import from_payload as savings_from

    label = scenario_label(store, options)
    stored = {} if label == BUILT_IN else store.load_assumptions(label)
    settings = dict(options.settings)
    known = {
        f.name for cls in (CapacityAssumptions, SavingsScenario) for f in dataclasses.fields(cls)
    }
    unknown = sorted(set(settings) - known - set(ALIASES))
    if unknown:
        raise InputError(f"unknown assumption {unknown[0]!r}; known: {', '.join(sorted(known))}",
                         parameter="--set")  # fmt: skip
    merged = {**stored, **settings}
    capacity_from(merged, ignore_unknown=True)
    savings_from(merged)
    return merged


def load_capacity(store: Store, options: ForecastOptions) -> CapacityAssumptions:
    from forecasting.capacity import from_payload

    return from_payload(stored_payload(store, options), ignore_unknown=True)


def load_savings_scenario(store: Store, options: ForecastOptions) -> SavingsScenario:
    from forecasting.savings.scenario import from_payload

    return from_payload(stored_payload(store, options))


def load_catalogue() -> Catalogue:
    from forecasting.savings.pricing import load_catalogue as load

    return load()


def last_month_costs(store: Store) -> tuple[pd.Timestamp, dict[str, float]]:
    """The last full month and its spend per cost group (EffectiveCost)."""
    from forecasting.interface import Freq, GroupBy

    cost, _ = store.read_series("cost", Freq.MONTH, GroupBy.GROUP, complete_only=True)
    if cost.empty:
        raise InputError("no full month of cost data yet", parameter="--db")
    month = cost["ds"].max()
    rows = cost[cost["ds"] == month]
    return month, dict(zip(rows["unique_id"].astype(str), rows["y"].astype(float), strict=True))


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
    import pandas as pd

    current = pd.Period(first_forecast, freq="Q")
    first = pd.Period(f"{current.year}Q1", freq="Q")
    return [str(first + i) for i in range((current - first).n + after + 1)]


def plan_of_record(store: Store) -> pd.DataFrame | None:
    """The newest stored plan per metric, per quarter (monthly cost averaged per quarter)."""
    import pandas as pd

    columns = {"users": "users", "requests_per_second": "requests_per_second",
               "cost": "cost_per_month"}  # fmt: skip
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


def plan(store: Store, options: CapacityOptions, forecaster: Forecaster = run_models) -> PlanResult:
    """Forecast users per month, run the demand chain on their paths, size and price quarters;
    the direct forecast of the bill competes with the chain's cost in a backtest."""
    import pandas as pd

    from forecasting.capacity import quarterly_plan
    from forecasting.demand import (
        USERS,
        backtest_cost,
        chain_demand,
        cost_note,
        long_frame,
        merge_costs,
        read_history,
        with_cost,
    )
    from forecasting.models.scenarios import bend, load_scenario

    assumptions = load_capacity(store, options)
    history = read_history(store)
    users = history.demand[USERS].dropna()
    first = users.index.max() + pd.offsets.MonthBegin(1)
    quarters = _quarters(first, options.quarters)
    start = pd.Period(quarters[0], freq="Q").start_time
    ds = pd.date_range(first, pd.Period(quarters[-1], freq="Q").end_time.normalize(), freq="MS")
    result = forecaster(long_frame(users, USERS), len(ds), "month", options)
    scenario = load_scenario(store, options.demand)
    known = {m: users[m] for m in users.index if m >= pd.Period(first, freq="Q").start_time}
    paths, _ = bend(result.paths[USERS], result.series[USERS].mean, ds, float(users.iloc[-1]),
                    scenario, known)  # fmt: skip
    demand, chain = chain_demand(history, paths, ds, start, assumptions, options.seed)
    total = history.total_cost
    cost_ds = pd.date_range(total.index.max() + pd.offsets.MonthBegin(1), ds[-1], freq="MS")
    direct = forecaster(long_frame(total, "total"), len(cost_ds), "month", options)
    scores = backtest_cost(history, assumptions, lambda f, h: forecaster(f, h, "month", options),
                           seed=options.seed)  # fmt: skip
    stated = plan_of_record(store)
    billed = with_cost(demand, direct.paths["total"], cost_ds)
    by_chain, by_bill = (
        quarterly_plan(d, assumptions, level=options.level, quarters=quarters,
                       plan_of_record=stated) for d in (demand, billed)
    )  # fmt: skip
    table = merge_costs(by_chain, by_bill, scores, scenario=not scenario.is_base)
    notes = (*notes_of(result), *notes_of(direct),
             cost_note(scores, None if scenario.is_base else scenario.name))  # fmt: skip
    return PlanResult(table.drop(columns="ds"), assumptions, scenario_label(store, options),
                      chain, scenario.name, scores, options, notes)  # fmt: skip


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
        import pandas as pd

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


def compute_headroom_price(store: Store) -> HeadroomPrice | None:
    """Pods scale out: today's Compute spend over the pods it ran (last full month)."""
    from forecasting.capacity import HeadroomPrice
    from forecasting.interface import Freq

    month, spend = last_month_costs(store)
    if "Compute" not in spend:
        return None
    instances: float | None = None
    if "instances" in store.stored_metrics():
        series, _ = store.read_series("instances", Freq.MONTH)
        match = series.loc[series["ds"] == month, "y"]
        instances = float(match.iloc[0]) if len(match) else None
    return HeadroomPrice("Compute", spend["Compute"], units=instances)


def price_database_headroom(r: Runway, scenario: SavingsScenario, catalogue: Catalogue) -> Runway:
    """The pool grows by moving up the provider's tier ladder; the disk by the GB."""
    from forecasting.savings.catalogue import tiered_cost
    from forecasting.savings.database import connection_upgrade

    if r.headroom_factor <= 1:
        return dataclasses.replace(r, cost_group="Database")
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
    return dataclasses.replace(r, headroom_monthly_usd=cost, cost_group="Database")


def runway(
    store: Store, options: CapacityOptions, forecaster: Forecaster = run_models
) -> RunwayResult:
    """When each metric with a threshold reaches it on its paths (the median first crossing
    and the early warning, one path in ten), and headroom's cost. Forecast on daily peaks:
    alerts fire on minutes, and a daily mean hides the busy hour."""
    import pandas as pd

    from forecasting.capacity import estimate_runway, runway_table
    from forecasting.interface import Aggregation, Freq

    assumptions = load_capacity(store, options)
    stored = set(store.stored_metrics())
    metrics = [m for m in assumptions.alert_thresholds if m in stored]
    if not metrics:
        known = ", ".join(sorted(assumptions.alert_thresholds))
        raise InputError(f"none of the metrics with alert thresholds is stored ({known}): "
                         "ingest them (`capcost ingest metrics` or the Data page)",
                         parameter="--db")  # fmt: skip
    frame = pd.concat([store.read_metric_series(m, Freq.DAY, daily=Aggregation.MAX).assign(
        unique_id=m) for m in metrics])  # fmt: skip
    result = forecaster(frame, options.days, "day", options)
    try:
        compute = compute_headroom_price(store)
    except CapcostError:  # no bill yet: the dates stand, headroom says its cost is unknown
        compute = None
    scenario = load_savings_scenario(store, options)
    catalogue = load_catalogue()
    rows: list[Any] = []
    for m in metrics:
        s = result.series[m]
        last = frame.loc[frame["unique_id"] == m, "y"].iloc[-1]
        price = compute if HEADROOM_GROUPS.get(m) == "Compute" else None
        r = estimate_runway(m, s.ds, result.paths[m], assumptions.alert_thresholds[m],
                            current_pct=float(last), price=price,
                            early_quantile=options.quantiles[0],
                            upper_quantile=options.quantiles[1])  # fmt: skip
        if HEADROOM_GROUPS.get(m) == "Database":
            r = price_database_headroom(r, scenario, catalogue)
        rows.append(r)
    as_of = frame["ds"].max().date()
    end = max(pd.Timestamp(result.series[m].ds[-1]) for m in metrics).date()
    return RunwayResult(runway_table(rows, as_of), as_of, end, assumptions,
                        scenario_label(store, options), options, notes_of(result))  # fmt: skip


# -- the Capacity page ------------------------------------------------------------------------
def or_excuse(compute: Callable[[], T]) -> T | Excuse:
    """The part's result, or the user-fixable reason it cannot be computed (missing data,
    an assumption out of range): pages show that, not a traceback."""
    try:
        return compute()
    except CapcostError as exc:
        return Excuse(str(exc), {"error": type(exc).__name__})
