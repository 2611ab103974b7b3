"""`capcost ingest cloudwatch`: the command line of the CloudWatch source."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from forecasting.errors import InputError


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = sources.add_parser(
        "cloudwatch",
        parents=[common],
        help="fetch CloudWatch metrics listed in a TOML file",
        description="Fetch the metric queries of a TOML file (namespace, metric, dimensions, "
        "statistic, period, capcost metric name, unit, derived rule) with GetMetricData, 500 "
        "queries per call, and store each derived series plus, where asked, its daily peak. "
        "See data/cloudwatch.example.toml. Re-running a window replaces it. Credentials come "
        "from boto3's default chain or --profile and are never stored.",
    )
    parser.add_argument("--config", required=True, help="TOML file of [[query]] tables")
    parser.add_argument("--start", required=True, help="first day YYYY-MM-DD (UTC)")
    parser.add_argument("--end", help="last day YYYY-MM-DD, inclusive (default: yesterday, UTC)")
    parser.add_argument("--profile", default=None, help="AWS profile (default: default chain)")
    parser.add_argument("--region", default=None, help="AWS region of the metrics")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forecasting.ingest import aws
    from forecasting.ingest.cloudwatch import load
    from forecasting.store import Store

    start = aws.parse_day(args.start, "--start")
    assert start is not None  # argparse requires it
    today = datetime.now(UTC).date()
    last = aws.parse_day(args.end, "--end") or today - timedelta(days=1)
    if last < start:
        raise InputError("--end is before --start", parameter="--end")
    if last > today:
        raise InputError(f"--end {last} is in the future", parameter="--end")
    session = aws.session(args.profile, args.region)
    client = aws.client(session, "cloudwatch", region=args.region)
    with Store(args.db) as store:
        result = load(store, client, args.config, start=start, end=last + timedelta(days=1))
    d = result.detail
    empty = f"; no datapoints for {', '.join(d['empty_queries'])}" if d["empty_queries"] else ""
    print(
        f"cloudwatch: {result.rows:,} observations from {len(d['datapoints'])} queries, "
        f"{start} to {last}; {d['api_requests']} API requests ({d['metrics_requested']} metrics "
        f"requested, ~${d['api_cost_usd']}), {d['retried_attempts']} retried{empty}",
        file=sys.stderr,
    )
    return 0
