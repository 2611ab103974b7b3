"""`capcost savings` and `capcost commitments`: read the store, run the models, print tables."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from forecasting.capacity.commands import (
    DEFAULT_SCENARIO,
    add_forecast_options,
    load_catalogue,
    load_savings_scenario,
)
from forecasting.errors import InputError
from forecasting.savings.store_inputs import (
    base_month,
    commitment_terms,
    cost_rows,
    effective_savings_rate_text,
    eligible_usage,
    lever_table,
    pd_min,
    usage_paths,
)

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.store import Store

LOOKBACK_DAYS = (7, 30, 60)


def _month(text: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}")
    return text


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"must be a percentage in [0, 100), got {text}")
    return value


def _days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of days: {text!r}") from None
    if not days or min(days) < 1:
        raise argparse.ArgumentTypeError(f"days must be whole numbers >= 1: {text!r}")
    return days


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    savings = sub.add_parser(
        "savings",
        parents=[common],
        help="model savings levers stacked without double counting, or reconcile a stated plan",
        description="One row per lever (right-size, CDN, database, commitments), each applied "
        "in that order to what the levers before it left of its cost group's spend in the base "
        "month. With --stated FILE.csv (initiative,category,percent,monthly_savings), reconcile "
        "that plan instead: the base each line implies vs the spend in the data, lines acting "
        f"on the same spend, and the stacked total vs the stated one. Assumptions come from "
        f"--scenario (default: {DEFAULT_SCENARIO} if stored).",
    )
    savings.add_argument(
        "--stated", metavar="FILE.csv", default=None, help="a stated savings plan to reconcile"
    )
    savings.add_argument(
        "--base-month",
        type=_month,
        default=None,
        metavar="YYYY-MM",
        help="month whose spend is the base (default: the last full month)",
    )
    savings.add_argument(
        "--tolerance",
        type=_percent,
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
        "the highest expected savings: coverage, utilisation, savings (P10-P90), break-even "
        "month, and the downside if usage falls to its P10. Beside it, the look-back method "
        "(the last 7/30/60 days assumed to repeat), evaluated on the same paths.",
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
        type=_days,
        default=LOOKBACK_DAYS,
        metavar="DAYS",
        help="look-back windows, comma-separated (default: 7,30,60)",
    )
    add_forecast_options(commitments)
    commitments.set_defaults(handler=run_commitments)


def read_stated(path: str) -> pd.DataFrame:
    import pandas as pd

    from forecasting.savings.reconcile import validate_stated

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("no such file", file=path) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV: {exc}", file=path) from None
    return validate_stated(frame, path)


def run_savings(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        start, end = base_month(store, args.base_month)
        spend = cost_rows(store, start, end)
        if args.stated:
            table = reconcile_table(read_stated(args.stated), spend, args.tolerance / 100)
        else:
            table = lever_table(store, args, spend, start, end)
    write_csv(table.round(2), args.csv)
    return 0


def reconcile_table(stated: pd.DataFrame, spend: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    from forecasting.savings.reconcile import reconcile

    keys = ["cost_group", "ServiceCategory", "ServiceName"]
    by_row: pd.DataFrame = spend.groupby(keys, dropna=False, as_index=False)[["cost"]].sum()
    result = reconcile(stated, by_row, tolerance=tolerance)
    print(f"capcost: {result.table().iloc[-1]['flags']}", file=sys.stderr)
    return result.table()


def commitments_table(store: Store, args: argparse.Namespace) -> pd.DataFrame:
    """The forecast recommendation, then each look-back window, all evaluated on the paths."""
    import dataclasses

    import pandas as pd

    from forecasting.interface import Excuse
    from forecasting.savings.commitments import look_back, recommend

    scenario = load_savings_scenario(store, args)
    overrides = {
        k: v
        for k, v in {
            "commitment_offering": args.offering,
            "commitment_term_years": args.term,
            "commitment_payment": args.payment,
        }.items()
        if v is not None
    }
    scenario = dataclasses.replace(scenario, **overrides)
    start, end = base_month(store, None)
    history = eligible_usage(cost_rows(store, pd_min(), end))
    terms, label = commitment_terms(store, scenario, load_catalogue(), start, end)
    paths = usage_paths(history, terms, args)
    outcomes = [recommend(paths, terms)] + [
        look_back(history, d, paths, terms) for d in args.lookback
    ]
    methods = ["forecast"] + [f"look-back {d} days" for d in args.lookback]
    rows = []
    for method, out in zip(methods, outcomes, strict=True):
        if isinstance(out, Excuse):
            rows.append({"method": method, "note": str(out)})
            continue
        row = dataclasses.asdict(out)
        months = terms.term_months
        row |= {
            "method": method,
            "savings_lower_usd": out.savings_lower_usd / months,
            "savings_upper_usd": out.savings_upper_usd / months,
            "downside_monthly_savings_usd": out.downside_savings_usd / months,
            "break_even_month": str(out.break_even_month),
            "downside_break_even_month": str(out.downside_break_even_month),
            "note": label,
        }
        rows.append(row)
    print(f"capcost: {effective_savings_rate_text(cost_rows(store, start, end))}", file=sys.stderr)
    columns = [
        "method",
        "hourly_commitment_usd",
        "covered_usd_per_hour",
        "upfront_usd",
        "coverage",
        "utilisation",
        "expected_monthly_savings_usd",
        "savings_lower_usd",
        "savings_upper_usd",
        "break_even_month",
        "downside_monthly_savings_usd",
        "downside_utilisation",
        "downside_break_even_month",
        "note",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def run_commitments(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        table = commitments_table(store, args)
    write_csv(table.round(4), args.csv)
    return 0
