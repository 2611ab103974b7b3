"""`capcost plan` and `capcost runway`: read the store, forecast demand, print the tables."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from forecasting.arguments import add_forecast_options, forecast_fields, positive_int, print_notes

if TYPE_CHECKING:
    from forecasting.capacity.service import CapacityOptions


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
        "actuals and the bill; the stored plan of record sits beside them. `source` says "
        "which (actual, actual+forecast, forecast) and `complete` whether the data covers the "
        "quarter to its end (False for the running quarter and every later one).",
    )
    plan.add_argument(
        "--quarters",
        type=positive_int,
        default=4,
        help="quarters to forecast after the current one (default: 4)",
    )
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
        "--days", type=positive_int, default=365, help="horizon in days (default: 365)"
    )
    add_forecast_options(runway)
    runway.set_defaults(handler=run_runway)


def options(args: argparse.Namespace) -> CapacityOptions:
    """The command line's options as the library takes them."""
    from forecasting.capacity.service import CapacityOptions

    return CapacityOptions(
        **forecast_fields(args),
        quarters=getattr(args, "quarters", 4),
        days=getattr(args, "days", 365),
        demand=getattr(args, "demand", "base"),
    )


def run_plan(args: argparse.Namespace) -> int:
    from forecasting.capacity.service import plan
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store.reader(args.db) as store:
        result = plan(store, options(args))
    print_notes(result.notes)
    write_csv(result.export(), args.csv)
    return 0


def run_runway(args: argparse.Namespace) -> int:
    from forecasting.capacity.service import runway
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store.reader(args.db) as store:
        result = runway(store, options(args))
    print_notes(result.notes)
    write_csv(result.export(), args.csv)
    return 0
