"""`capcost ingest pricing`: refresh the price catalogue's AWS rows from the Price List API."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_pricing import PricingClient


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = sources.add_parser(
        "pricing",
        parents=[common],
        help="refresh the price catalogue's AWS prices (AWS Price List API)",
        description="Fetch on-demand and Standard Reserved Instance prices for the catalogue's "
        "EC2 instance types, and on-demand prices for its RDS classes, from the AWS Price List "
        "API, and rewrite those rows of the catalogue with today's date. Compute Savings Plan, "
        "Supabase and CDN rows are not in that API and keep their illustrative values. Uses "
        "the default AWS credentials; the run is logged in the database.",
    )
    parser.add_argument("--region", default="us-east-1", help="region priced (default: us-east-1)")
    parser.add_argument(
        "--prices",
        metavar="DIR",
        default=None,
        help="catalogue folder (default: $CAPCOST_PRICES or data/prices)",
    )
    parser.add_argument("--dry-run", action="store_true", help="fetch and report; write nothing")
    parser.add_argument("--profile", default=None, help="AWS profile (default: the default chain)")
    parser.set_defaults(handler=run_pricing)


def run_pricing(args: argparse.Namespace) -> int:
    from forecasting.ingest import aws
    from forecasting.savings.pricing import settings

    region = settings.PRICING_API_REGION
    client = aws.client(aws.session(args.profile, region), "pricing", region=region)
    with aws.api_errors("AWS Price List"):  # no credentials or an unreachable endpoint
        return refresh_catalogue(args, client)


def refresh_catalogue(args: argparse.Namespace, client: PricingClient) -> int:
    from forecasting.savings.pricing import refresh as pricing
    from forecasting.scenario import catalogue
    from forecasting.store import Store

    folder = Path(args.prices) if args.prices else catalogue.folder()
    tables = catalogue.read_tables(folder)
    params = {"region": args.region, "prices": str(folder), "dry_run": args.dry_run}
    with Store(args.db) as store, store.ingest_run("pricing", params) as run:
        result = pricing.refresh_aws(
            client, tables, region=args.region, today=datetime.now(UTC).date()
        )
        run.rows = result.rows_updated
        run.detail = {"missing": result.missing}
        if not args.dry_run:
            pricing.write_tables(folder, result.tables)
    verb = "would update" if args.dry_run else "updated"
    print(f"pricing: {verb} {result.rows_updated} rows in {folder}", file=sys.stderr)
    if result.missing:
        print(
            f"pricing: not in the Price List, kept as they were: {', '.join(result.missing)}",
            file=sys.stderr,
        )
    return 0
