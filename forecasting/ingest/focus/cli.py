"""`capcost ingest focus PATH...`: FOCUS and AWS CUR export files, local or on S3."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = sources.add_parser(
        "focus",
        parents=[common],
        help="FOCUS or AWS CUR billing exports (CSV, CSV.gz, Parquet; files, folders, s3://)",
        description="Ingest billing export files: FOCUS 1.0-1.2, AWS CUR 2.0 (Data Exports) or "
        "legacy CUR, as CSV, CSV.gz or Parquet. The format is told from each file's header; "
        "CUR is mapped to FOCUS columns (docs/ingest-cur-mapping.md). Each billing period in "
        "the files replaces what was stored for that provider, billing account and period, "
        "so pass every file of a period's export in one run. All or nothing: a bad file "
        "leaves the database as it was and the error names the file, row and column.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a file, a glob (quote it), a folder (searched recursively) or s3://bucket/prefix",
    )
    parser.add_argument("--profile", default=None, help="AWS profile for s3:// paths")
    parser.add_argument("--region", default=None, help="AWS region for s3:// paths")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forecasting.ingest import aws
    from forecasting.ingest.focus import load_focus
    from forecasting.store import Store

    s3_client: Any = None
    if any(str(p).startswith("s3://") for p in args.paths):
        s3_client = aws.client(aws.session(args.profile, args.region), "s3", region=args.region)
    with Store(args.db) as store:
        result = load_focus(store, args.paths, s3_client=s3_client)
    detail = result.detail
    print(
        f"run {result.run_id}: {result.rows:,} line items from {detail['files']} file(s) "
        f"({', '.join(detail['formats'])})",
        file=sys.stderr,
    )
    for period in detail["billing_periods"]:
        print(
            f"  {period['provider']} {period['billing_account']} {period['billing_period']}: "
            f"{period['line_items']:,} line items, "
            f"BilledCost {Decimal(period['billed']).normalize():f} "
            f"{period['currency']}",
            file=sys.stderr,
        )
    return 0
