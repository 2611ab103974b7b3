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

    from forecasting.capacity import CapacityAssumptions, HeadroomPrice, Runway, UnitCostModel
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
    unit_costs: UnitCostModel
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
    """Forecast demand per month, combine with this year's actuals, size and price each quarter."""
    import pandas as pd

    from forecasting.capacity import DemandPaths, fit_unit_costs, quarterly_plan
    from forecasting.interface import Freq, GroupBy

    assumptions = load_capacity(store, options)
    missing = [m for m in DEMAND if m not in store.stored_metrics()]
    if missing:
        raise InputError(f"no {', '.join(missing)} stored yet: ingest them (`capcost "
                         "ingest metrics` or the Data page) to plan capacity",
                         parameter="--db")  # fmt: skip
    frame = pd.concat([store.read_series(m, Freq.MONTH, complete_only=True)[0] for m in DEMAND])
    if frame.empty:
        raise InputError("no complete month of demand data (users, requests/s) yet",
                         parameter="--db")  # fmt: skip
    first = frame["ds"].max() + pd.offsets.MonthBegin(1)
    quarters = _quarters(first, options.quarters)
    end = pd.Period(quarters[-1], freq="Q").end_time.normalize()
    h = len(pd.date_range(first, end, freq="MS"))
    result = forecaster(frame, h, "month", options)
    actuals = frame.pivot(index="ds", columns="unique_id", values="y")
    actuals = actuals[actuals.index >= pd.Period(quarters[0], freq="Q").start_time]
    ds = pd.date_range(first, periods=h, freq="MS")
    demand = DemandPaths(ds=ds, paths={m: result.paths[m] for m in DEMAND}, actuals=actuals)
    cost, _ = store.read_series("cost", Freq.MONTH, GroupBy.GROUP, complete_only=True)
    recent = cost[cost["ds"] > cost["ds"].max() - pd.DateOffset(months=12)]
    users = frame[frame["unique_id"] == "users"].set_index("ds")["y"]
    unit_costs = fit_unit_costs(recent, users, "users")
    table = quarterly_plan(demand, assumptions, unit_costs, level=options.level,
                           quarters=quarters, plan_of_record=plan_of_record(store))  # fmt: skip
    return PlanResult(table.drop(columns="ds"), assumptions, scenario_label(store, options),
                      unit_costs, options, notes_of(result))  # fmt: skip


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
        import pandas as pd

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
    """When each metric with a threshold reaches it (P50, upper band), and headroom's cost."""
    import pandas as pd

    from forecasting.capacity import estimate_runway, runway_table
    from forecasting.interface import Freq

    assumptions = load_capacity(store, options)
    stored = set(store.stored_metrics())
    metrics = [m for m in assumptions.alert_thresholds if m in stored]
    if not metrics:
        known = ", ".join(sorted(assumptions.alert_thresholds))
        raise InputError(f"none of the metrics with alert thresholds is stored ({known}): "
                         "ingest them (`capcost ingest metrics` or the Data page)",
                         parameter="--db")  # fmt: skip
    frame = pd.concat([store.read_series(m, Freq.DAY)[0] for m in metrics])
    result = forecaster(frame, options.days, "day", options)
    compute = compute_headroom_price(store)
    scenario = load_savings_scenario(store, options)
    catalogue = load_catalogue()
    rows: list[Any] = []
    for m in metrics:
        s = result.series[m]
        last = frame.loc[frame["unique_id"] == m, "y"].iloc[-1]
        price = compute if HEADROOM_GROUPS.get(m) == "Compute" else None
        r = estimate_runway(m, s.ds, result.paths[m], assumptions.alert_thresholds[m],
                            current_pct=float(last), price=price,
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
