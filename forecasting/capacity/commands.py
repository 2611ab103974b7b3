"""`capcost plan` and `capcost runway`: read the store, forecast demand, print the tables."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from forecasting.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.capacity import CapacityAssumptions, HeadroomPrice, Runway
    from forecasting.models import ForecastResult
    from forecasting.savings.catalogue import Catalogue
    from forecasting.savings.scenario import SavingsScenario
    from forecasting.store import Store

DEFAULT_SCENARIO = "apex-capacity"
DEMAND = ("users", "requests_per_second", "requests_per_second_peak")
# Which cost group pays for more of each resource: pods scale out for CPU and memory; the pool
# and the disk grow with the database.
HEADROOM_GROUPS = {
    "cpu_utilization": "Compute",
    "memory_utilization": "Compute",
    "db_connection_pool_utilization": "Database",
    "disk_utilization": "Database",
}


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"level must be between 0 and 100, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def add_forecast_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that forecasts sample paths takes."""
    parser.add_argument(
        "--scenario",
        default=None,
        help=f"stored assumption set to use (default: {DEFAULT_SCENARIO} if stored, else the "
        "built-in defaults of the APEX OmniHub document)",
    )
    parser.add_argument(
        "--level", type=_level, default=80.0, help="interval level, %% (default: 80 -> P10/P90)"
    )
    parser.add_argument("--model", default="auto", help="forecasting model (default: auto)")
    parser.add_argument(
        "--paths", type=_positive_int, default=1000, help="sample paths (default: 1000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the paths (default: 0)")
    parser.add_argument(
        "--set",
        dest="settings",
        metavar="KEY=VALUE",
        type=_setting,
        action="append",
        help="override one assumption of the scenario, e.g. --set target_utilisation=0.6 or "
        "--set request_hit_ratio=0.8 (repeatable)",
    )
    parser.add_argument("--csv", metavar="PATH|-", default="-", help="write CSV here (default: -)")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    plan = sub.add_parser(
        "plan",
        parents=[common],
        help="quarterly capacity plan: users, req/s, instances, cost per month with bands",
        description="Forecast users and requests/s (average and peak) per month with sample paths, "
        "then per quarter: instances = ceil(peak req/s / (rps_per_instance x target "
        "utilisation)) plus redundancy, and infrastructure cost per month from unit costs "
        "fitted on the bill (fixed + per user, per cost group). Quarters of the current year "
        "already observed show actuals; the stored plan of record sits beside them.",
    )
    plan.add_argument("--quarters", type=_positive_int, default=4,
                      help="quarters to forecast after the current one (default: 4)")  # fmt: skip
    add_forecast_options(plan)
    plan.set_defaults(handler=run_plan)

    runway = sub.add_parser(
        "runway",
        parents=[common],
        help="when each utilisation metric reaches its alert threshold, and headroom's cost",
        description="Forecast each utilisation metric with an alert threshold (DB connection "
        "pool 90%%, memory 80%%, CPU 70%%, disk 75%% by default) day by day, and report the "
        "first day its P50 and its P90 reach the threshold, or 'not within the horizon', and "
        "what the capacity that keeps P90 under the threshold would cost per month: more pods "
        "at today's Compute cost per pod for CPU and memory, the next database tier with "
        "enough pooled connections for the pool, disk by the GB (needs database_disk_gb).",
    )
    runway.add_argument(
        "--days", type=_positive_int, default=365, help="horizon in days (default: 365)"
    )
    add_forecast_options(runway)
    runway.set_defaults(handler=run_runway)


def _setting(text: str) -> tuple[str, Any]:
    """argparse type for KEY=VALUE; VALUE is read as JSON when it parses (0.9, true, {...})."""
    import json

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def _stored(store: Store, args: argparse.Namespace) -> dict[str, Any]:
    """The named assumption set's payload ({} for the defaults), then --set on top."""
    import dataclasses

    from forecasting.capacity.assumptions import ALIASES, CapacityAssumptions
    from forecasting.savings.scenario import SavingsScenario

    name = args.scenario or DEFAULT_SCENARIO
    stored: dict[str, Any] = {}
    if args.scenario is not None or name in store.assumption_set_names():
        stored = store.load_assumptions(name)
    settings = dict(getattr(args, "settings", None) or [])
    known = {
        f.name for cls in (CapacityAssumptions, SavingsScenario) for f in dataclasses.fields(cls)
    }
    unknown = sorted(set(settings) - known - set(ALIASES))
    if unknown:
        raise InputError(f"unknown assumption {unknown[0]!r}; known: {', '.join(sorted(known))}",
                         parameter="--set")  # fmt: skip
    merged = {**stored, **settings}
    # Check every assumption now, whichever model this command runs, so a bad --set never
    # passes silently.
    from forecasting.capacity import from_payload as capacity_from
    from forecasting.savings.scenario import from_payload as savings_from

    capacity_from(merged, ignore_unknown=True)
    savings_from(merged)
    return merged


def load_capacity(store: Store, args: argparse.Namespace) -> tuple[CapacityAssumptions, str]:
    """Capacity assumptions: the scenario's capacity keys with --set overrides (or defaults)."""
    from forecasting.capacity import from_payload

    return from_payload(
        _stored(store, args), ignore_unknown=True
    ), args.scenario or DEFAULT_SCENARIO


def load_savings_scenario(store: Store, args: argparse.Namespace) -> SavingsScenario:
    """Savings assumptions: the scenario's savings keys with --set overrides (or defaults)."""
    from forecasting.savings.scenario import from_payload

    return from_payload(_stored(store, args))


def load_catalogue() -> Catalogue:
    from forecasting.savings.pricing import load_catalogue as load

    return load()


def run_forecast(
    frame: pd.DataFrame, h: int, freq: str, args: argparse.Namespace
) -> ForecastResult:
    from forecasting.models import forecast

    result = forecast(frame, h=h, freq=freq, level=(args.level,), model=args.model,
                      n_paths=args.paths, seed=args.seed)  # fmt: skip
    for excuse in result.excuses:
        print(f"capcost: note: {excuse}", file=sys.stderr)
    return result


def last_month_costs(store: Store) -> tuple[pd.Timestamp, dict[str, float]]:
    """The last full month and its spend per cost group (EffectiveCost)."""
    from forecasting.interface import Freq, GroupBy

    cost, _ = store.read_series("cost", Freq.MONTH, GroupBy.GROUP, complete_only=True)
    if cost.empty:
        raise InputError("no full month of cost data yet", parameter="--db")
    month = cost["ds"].max()
    rows = cost[cost["ds"] == month]
    return month, dict(zip(rows["unique_id"].astype(str), rows["y"].astype(float), strict=True))


def _quarters(first_forecast: pd.Timestamp, after: int) -> list[str]:
    """Quarters of the current year up to the current one, then ``after`` more."""
    import pandas as pd

    current = pd.Period(first_forecast, freq="Q")
    first = pd.Period(f"{current.year}Q1", freq="Q")
    return [str(first + i) for i in range((current - first).n + after + 1)]


def _plan_of_record(store: Store) -> pd.DataFrame | None:
    """The newest stored plan per metric, per quarter (monthly cost averaged per quarter)."""
    import pandas as pd

    columns = {
        "users": "users",
        "requests_per_second": "requests_per_second",
        "cost": "cost_per_month",
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


def build_plan(store: Store, args: argparse.Namespace) -> pd.DataFrame:
    """The plan table: forecast demand, combine with this year's actuals, size and price it."""
    import pandas as pd

    from forecasting.capacity import DemandPaths, fit_unit_costs, quarterly_plan
    from forecasting.interface import Freq, GroupBy

    assumptions, _ = load_capacity(store, args)
    frame = pd.concat([store.read_series(m, Freq.MONTH, complete_only=True)[0] for m in DEMAND])
    if frame.empty:
        raise InputError("no complete month of demand data yet", parameter="--db")
    first = frame["ds"].max() + pd.offsets.MonthBegin(1)
    quarters = _quarters(first, args.quarters)
    end = pd.Period(quarters[-1], freq="Q").end_time.normalize()
    h = len(pd.date_range(first, end, freq="MS"))
    result = run_forecast(frame, h, "month", args)
    actuals = frame.pivot(index="ds", columns="unique_id", values="y")
    actuals = actuals[actuals.index >= pd.Period(quarters[0], freq="Q").start_time]
    ds = pd.date_range(first, periods=h, freq="MS")
    demand = DemandPaths(ds=ds, paths={m: result.paths[m] for m in DEMAND}, actuals=actuals)
    cost, _ = store.read_series("cost", Freq.MONTH, GroupBy.GROUP, complete_only=True)
    recent = cost[cost["ds"] > cost["ds"].max() - pd.DateOffset(months=12)]
    users = frame[frame["unique_id"] == "users"].set_index("ds")["y"]
    unit_costs = fit_unit_costs(recent, users, "users")
    table = quarterly_plan(demand, assumptions, unit_costs, level=args.level, quarters=quarters,
                           plan_of_record=_plan_of_record(store))  # fmt: skip
    return table.drop(columns="ds")


def run_plan(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        table = build_plan(store, args)
    write_csv(table.round(2), args.csv)
    return 0


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


# Disk items of the catalogue's metered prices, per database provider.
DISK_ITEMS = {"Supabase": "disk_gb_month", "AWS": "rds_gp3_gb_month"}


def price_database_headroom(r: Runway, scenario: SavingsScenario, catalogue: Catalogue) -> Runway:
    """The pool grows by moving up the provider's tier ladder; the disk by the GB."""
    import dataclasses

    from forecasting.interface import Excuse
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


def build_runway(store: Store, args: argparse.Namespace) -> pd.DataFrame:
    import pandas as pd

    from forecasting.capacity import estimate_runway, runway_table
    from forecasting.interface import Freq

    assumptions, _ = load_capacity(store, args)
    stored = set(store.stored_metrics())
    metrics = [m for m in assumptions.alert_thresholds if m in stored]
    if not metrics:
        known = ", ".join(sorted(assumptions.alert_thresholds))
        raise InputError(f"none of the metrics with alert thresholds is stored ({known})",
                         parameter="--db")  # fmt: skip
    frame = pd.concat([store.read_series(m, Freq.DAY)[0] for m in metrics])
    result = run_forecast(frame, args.days, "day", args)
    compute = compute_headroom_price(store)
    scenario = load_savings_scenario(store, args)
    catalogue = load_catalogue()
    upper = 1 - (100 - args.level) / 200
    rows: list[Any] = []
    for m in metrics:
        s = result.series[m]
        last = frame.loc[frame["unique_id"] == m, "y"].iloc[-1]
        threshold = assumptions.alert_thresholds[m]
        price = compute if HEADROOM_GROUPS.get(m) == "Compute" else None
        r = estimate_runway(m, s.ds, result.paths[m], threshold, current_pct=float(last),
                            price=price, upper_quantile=upper)  # fmt: skip
        if HEADROOM_GROUPS.get(m) == "Database":
            r = price_database_headroom(r, scenario, catalogue)
        rows.append(r)
    as_of = frame["ds"].max().date()
    return runway_table(rows, as_of)


def run_runway(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        table = build_runway(store, args)
    write_csv(table.round(2), args.csv)
    return 0
