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
        description="Forecast users and requests/s (average and peak) per month with sample paths, "
        "then per quarter: instances = ceil(peak req/s / (rps_per_instance x target "
        "utilisation)) plus redundancy, and infrastructure cost per month from unit costs "
        "fitted on the bill (fixed + per user, per cost group). Quarters of the current year "
        "already observed show actuals; the stored plan of record sits beside them.",
    )
    plan.add_argument(
        "--quarters",
        type=positive_int,
        default=4,
        help="quarters to forecast after the current one (default: 4)",
    )
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
