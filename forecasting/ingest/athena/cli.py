"""`capcost ingest athena`: the command line of the Athena source."""

from __future__ import annotations

import argparse
import sys

from forecasting.errors import InputError


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = sources.add_parser(
        "athena",
        parents=[common],
        help="sum a CUR 2.0 table per day in Athena and ingest the rollup",
        description="For a CUR too large for one machine: Athena sums the CUR 2.0 table to one "
        "row per day, payer and usage account, service, charge category and pricing category "
        "(start_query_execution, polled with backoff, results read page by page), and only "
        "that rollup is stored, replacing the billing periods it holds. Cost columns follow "
        "data/focus/cur_to_focus.toml, as the file ingest does. The query is printed in the "
        "run log and documented in forecasting/ingest/athena. Athena bills $5 per TB "
        "scanned: narrow with --start/--end. Credentials come from boto3's default chain or "
        "--profile and are never stored.",
    )
    parser.add_argument("--database", required=True, help="Glue/Athena database of the CUR table")
    parser.add_argument("--table", required=True, help="the CUR 2.0 table")
    parser.add_argument(
        "--workgroup", default="primary", help="Athena workgroup (default: primary)"
    )
    parser.add_argument(
        "--output", required=True, help="s3://bucket/prefix/ for Athena's result files"
    )
    parser.add_argument(
        "--start", help="keep billing periods starting on or after YYYY-MM-DD (default: all)"
    )
    parser.add_argument(
        "--end", help="keep billing periods starting on or before YYYY-MM-DD (default: all)"
    )
    parser.add_argument("--profile", default=None, help="AWS profile (default: default chain)")
    parser.add_argument("--region", default=None, help="AWS region of the Athena workgroup")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forecasting.errors import CapcostError
    from forecasting.ingest import aws
    from forecasting.ingest.athena import AthenaQuery, load, query_rollup, record_failure
    from forecasting.ingest.athena.helpers import identifier, output_location
    from forecasting.ingest.progress import Reporter
    from forecasting.store import Store

    query = AthenaQuery(
        database=identifier(args.database, "--database"),
        table=identifier(args.table, "--table"),
        output=output_location(args.output),
        workgroup=args.workgroup,
        start=aws.parse_day(args.start, "--start"),
        end=aws.parse_day(args.end, "--end"),
    )
    if query.start and query.end and query.end < query.start:
        raise InputError("--end is before --start", parameter="--end")
    session = aws.session(args.profile, args.region)
    client = aws.client(session, "athena", region=args.region)
    # The query runs before the database is opened: a long Athena query must not keep the
    # app from reading the store.
    try:
        with Reporter("Athena rollup") as reporter:
            rollup = query_rollup(client, query, progress=reporter.update)
    except (CapcostError, KeyboardInterrupt) as exc:
        with Store(args.db) as store:
            record_failure(store, query, exc)
        raise
    with Store(args.db) as store:
        result = load(store, query, rollup)
    d = result.detail
    print(
        f"athena: {result.rows:,} daily cost rows summing {d['cur_line_items']:,} CUR line "
        f"items; query {d['execution_id']} scanned {d['scanned_bytes']:,} bytes "
        f"(~${d['athena_cost_usd']}); {d['api_requests']} API requests",
        file=sys.stderr,
    )
    return 0
