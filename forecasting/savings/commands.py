"""`capcost savings` and `capcost commitments`: read the store, run the models, print tables."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from forecasting.arguments import (
    add_forecast_options,
    days_list,
    forecast_fields,
    month,
    percent,
    print_notes,
)
from forecasting.interface import DEFAULT_SCENARIO, LOOKBACK_DAYS

if TYPE_CHECKING:
    from forecasting.savings.service import SavingsOptions


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    savings = sub.add_parser(
        "savings",
        parents=[common],
        help="model savings levers stacked without double counting, or reconcile a stated plan",
        description="One row per lever (right-size, CDN, database, commitments), each applied "
        "in that order to what the levers before it left of its cost group's spend in the base "
        "month. With --stated FILE.csv (initiative,category,percent,monthly_savings) or the "
        "name of a stored plan (the demo's apex-2026), reconcile that plan instead: the base "
        "each line implies vs the spend in the base month (default: the month the plan's "
        "figures describe), lines acting on the same spend, commitment lines on on-demand "
        "spend only, and the stacked total vs the stated one. Assumptions come from "
        f"--scenario (default: {DEFAULT_SCENARIO} if stored).",
    )
    savings.add_argument(
        "--stated",
        metavar="FILE.csv|NAME",
        default=None,
        help="a stated savings plan to reconcile: a CSV file or a plan stored in --db",
    )
    savings.add_argument(
        "--base-month",
        type=month,
        default=None,
        metavar="YYYY-MM",
        help="month whose spend is the base (default: the last full month)",
    )
    savings.add_argument(
        "--tolerance",
        type=percent,
        default=10.0,
        metavar="PCT",
        help="flag an implied base this far from the data, %% (default: 10)",
    )
    add_forecast_options(savings)
    savings.set_defaults(handler=run_savings)

    commitments = sub.add_parser(
        "commitments",
        parents=[common],
        help="size a Savings Plan or RI commitment on forecast paths, beside AWS's look-back",
        description="Forecast the on-demand compute spend that no commitment covers yet, "
        "simulate a commitment over the term on every sample path and recommend the one with "
        "the highest expected savings; beside it, one commitment per look-back window (the "
        "last 7/30/60 days assumed to repeat, as AWS recommends). One row per method: the "
        "hourly commitment (USD/h), the on-demand usage it covers and any upfront; on the "
        "look-back window's own usage its monthly savings, utilisation, coverage and "
        "break-even month; on the forecast's paths the same figures, the monthly savings' "
        "band at --level (savings_lower_usd to savings_upper_usd: P10 to P90 at 80) and the "
        "downside if usage follows the paths' P10 (savings, utilisation, break-even).",
    )
    commitments.add_argument(
        "--offering",
        choices=["compute_sp", "ri_standard"],
        default=None,
        help="commitment type (default: the scenario's, compute_sp)",
    )
    commitments.add_argument("--term", type=int, choices=[1, 3], default=None, help="years")
    commitments.add_argument(
        "--payment", default=None, choices=["no_upfront", "partial_upfront", "all_upfront"]
    )
    commitments.add_argument(
        "--lookback",
        type=days_list,
        default=LOOKBACK_DAYS,
        metavar="DAYS",
        help="look-back windows, comma-separated (default: 7,30,60)",
    )
    add_forecast_options(commitments)
    commitments.set_defaults(handler=run_commitments)


def options(args: argparse.Namespace) -> SavingsOptions:
    """The command line's options as the library takes them."""
    from forecasting.savings.service import SavingsOptions

    return SavingsOptions(
        **forecast_fields(args),
        base_month=getattr(args, "base_month", None),
        tolerance=getattr(args, "tolerance", 10.0) / 100,
        offering=getattr(args, "offering", None),
        term_years=getattr(args, "term", None),
        payment=getattr(args, "payment", None),
        lookback=tuple(getattr(args, "lookback", LOOKBACK_DAYS)),
    )


def run_savings(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.savings import service
    from forecasting.store import Store

    opts = options(args)
    with Store.reader(args.db) as store:
        if args.stated:
            stated = service.find_stated(store, args.stated)
            reconciled = service.reconcile_stated(store, opts, stated, args.stated)
            print(f"capcost: {reconciled.summary()}", file=sys.stderr)
            write_csv(reconciled.export(), args.csv)
            return 0
        result = service.levers(store, opts)
    print_notes(result.notes)
    if result.effective_savings_rate is not None:
        rate = service.savings_rate_text(result.effective_savings_rate, result.compute_group)
        print(f"capcost: {rate}", file=sys.stderr)
    print(f"capcost: {result.summary()}", file=sys.stderr)
    write_csv(result.export(), args.csv)
    return 0


def run_commitments(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.savings import service
    from forecasting.store import Store

    with Store.reader(args.db) as store:
        result = service.commitments(store, options(args))
    print_notes(result.notes)
    rate = service.savings_rate_text(result.effective_savings_rate, result.cost_group)
    print(f"capcost: {rate}", file=sys.stderr)
    write_csv(result.export(), args.csv)
    return 0
