"""`capcost plan` and `capcost runway`: read the store, forecast demand, print the tables."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from forecasting.capacity.service import DEFAULT_SCENARIO

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.capacity.service import CapacityOptions
    from forecasting.store import Store


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
        description="Forecast users per month with sample paths and run the demand chain on "
        "each path: req/s = users x req/s per user, peak = req/s x the peak/average ratio "
        "(both fitted on the last 12 months, with their spread), instances = ceil(peak req/s "
        "/ (rps_per_instance x target utilisation)) plus redundancy, and cost per month = per "
        "cost group fixed + per user (Compute: per instance-hour it sizes), fitted on the "
        "bill. Per quarter the P50 and band of the paths; quarters already observed show "
        "actuals and the bill; the stored plan of record sits beside them.",
    )
    plan.add_argument("--quarters", type=_positive_int, default=4,
                      help="quarters to forecast after the current one (default: 4)")  # fmt: skip
    plan.add_argument(
        "--demand",
        default="base",
        metavar="SCENARIO",
        help="users scenario the plan runs on: base (the forecast, default), low, high, plan "
        "(users per quarter from the plan of record; req/s, instances and cost follow) or a "
        "stored set with users_growth/users_by_quarter",
    )
    add_forecast_options(plan)
    plan.set_defaults(handler=run_plan)

    runway = sub.add_parser(
        "runway",
        parents=[common],
        help="when each utilisation metric reaches its alert threshold, and headroom's cost",
        description="Forecast each utilisation metric with an alert threshold (DB connection "
        "pool 90%%, memory 80%%, CPU 70%%, disk 75%% by default) day by day on its daily peaks "
        "(alerts fire on minutes, not daily means), find each sample path's first day at the "
        "threshold, and report date_p50, the day by which half the paths have crossed, and "
        "date_p10, the early warning by which one in ten has (or 'not within the horizon'), "
        "the probability of crossing within the horizon, and what the capacity that keeps "
        "P90 under the threshold would cost per month: more pods at today's Compute cost per "
        "pod for CPU and memory, the next database tier with enough pooled connections for "
        "the pool, disk by the GB (needs database_disk_gb).",
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


def options(args: argparse.Namespace) -> CapacityOptions:
    """The command line's options as the library takes them."""
    from forecasting.capacity.service import CapacityOptions

    return CapacityOptions(**forecast_fields(args), quarters=getattr(args, "quarters", 4),
                           days=getattr(args, "days", 365),
                           demand=getattr(args, "demand", "base"))  # fmt: skip


def forecast_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``ForecastOptions`` that ``add_forecast_options`` parsed."""
    return {
        "scenario": args.scenario,
        "settings": tuple(getattr(args, "settings", None) or ()),
        "level": args.level,
        "model": args.model,
        "paths": args.paths,
        "seed": args.seed,
    }


def print_notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        print(f"capcost: note: {note}", file=sys.stderr)


def build_plan(store: Store, args: argparse.Namespace) -> pd.DataFrame:
    from forecasting.capacity.service import plan

    result = plan(store, options(args))
    print_notes(result.notes)
    return result.table


def run_plan(args: argparse.Namespace) -> int:
    from forecasting.capacity.service import plan
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        result = plan(store, options(args))
    print_notes(result.notes)
    write_csv(result.export(), args.csv)
    return 0


def build_runway(store: Store, args: argparse.Namespace) -> pd.DataFrame:
    from forecasting.capacity.service import runway

    result = runway(store, options(args))
    print_notes(result.notes)
    return result.table


def run_runway(args: argparse.Namespace) -> int:
    from forecasting.capacity.service import runway
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        result = runway(store, options(args))
    print_notes(result.notes)
    write_csv(result.export(), args.csv)
    return 0
