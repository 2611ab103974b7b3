"""`capcost ingest cost-explorer`: the command line of the Cost Explorer source."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from forecasting.errors import InputError
from forecasting.ingest.cost_explorer import settings


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    metrics = ", ".join(f"{m} -> {c}" for m, c in settings.METRIC_COLUMNS.items())
    parser = sources.add_parser(
        "cost-explorer",
        parents=[common],
        help="pull daily cost by service and account from AWS Cost Explorer",
        description="Pull cost from AWS Cost Explorer (get_cost_and_usage) into FOCUS cost rows. "
        "Without --start it resumes from the last run, re-pulling "
        f"{settings.TRAILING_DAYS} days and any period CE still marks as estimated. Each "
        f"API request costs ${settings.PRICE_PER_REQUEST_USD}; the count is printed. "
        f"Metrics fill FOCUS columns: {metrics}. Columns CE cannot provide (ListCost, "
        "ServiceCategory, ChargeCategory...) stay null. Credentials come from boto3's "
        "default chain or --profile and are never stored.",
    )
    parser.add_argument("--start", help="first day YYYY-MM-DD (default: resume from last run)")
    parser.add_argument(
        "--end",
        help="last day YYYY-MM-DD, inclusive (default: yesterday, UTC; MONTHLY: "
        "the last day of last month)",
    )
    parser.add_argument(
        "--granularity",
        default="DAILY",
        metavar="DAILY|MONTHLY",
        help="period length (default: DAILY; MONTHLY pulls whole months, for long history)",
    )
    parser.add_argument(
        "--metric",
        default=None,
        metavar="M[,M]",
        help=f"CE metrics, comma-separated (default: {','.join(settings.DEFAULT_METRICS)}); "
        f"one of them must fill BilledCost",
    )
    parser.add_argument(
        "--group-by",
        default=None,
        metavar="DIM[,DIM]",
        help=f"up to two of {', '.join(settings.GROUP_COLUMNS)} "
        f"(default: {','.join(settings.DEFAULT_GROUP_BY)})",
    )
    parser.add_argument("--profile", default=None, help="AWS profile (default: default chain)")
    parser.add_argument(
        "--region", default=settings.DEFAULT_REGION, help="CE endpoint region (default: us-east-1)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forecasting.ingest import aws
    from forecasting.ingest.cost_explorer import CostExplorerQuery, load
    from forecasting.ingest.cost_explorer.helpers import normalise_metric, split_list
    from forecasting.store import Store

    query = CostExplorerQuery(
        granularity=args.granularity.upper(),
        metrics=tuple(
            normalise_metric(m) for m in split_list(args.metric, settings.DEFAULT_METRICS)
        ),
        group_by=split_list(args.group_by, settings.DEFAULT_GROUP_BY),
    )
    start = aws.parse_day(args.start, "--start")
    last = aws.parse_day(args.end, "--end")
    if start and last and last < start:
        raise InputError("--end is before --start", parameter="--end")
    session = aws.session(args.profile)
    client = aws.client(session, "ce", region=args.region)
    account = aws.caller_account(session, args.region)
    with Store(args.db) as store:
        result = load(
            store,
            client,
            query,
            start=start,
            end=last + timedelta(days=1) if last else None,
            account=account,
        )
    d = result.detail
    print(
        f"{result.source}: {result.rows:,} cost rows for {d['start']} to {d['end_exclusive']} "
        f"(end exclusive, {query.granularity}); {d['api_requests']} API requests "
        f"(~${d['api_cost_usd']}), {d['retried_attempts']} retried; "
        f"next run resumes from {d['watermark']} minus {settings.TRAILING_DAYS} days",
        file=sys.stderr,
    )
    return 0
