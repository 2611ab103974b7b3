"""`capcost ingest metrics FILE --metric NAME`: any business or usage metric from a file."""

from __future__ import annotations

import argparse
import sys


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = sources.add_parser(
        "metrics",
        parents=[common],
        help="a metric series from a CSV, CSV.gz or Parquet file (time, value)",
        description="Ingest one metric series (users from product analytics, requests, CPU, "
        "a vendor's usage export...) from a file with a time column and a value column. "
        "Timestamps with an offset or Z are converted to UTC, bare ones are taken as UTC. "
        "Re-ingesting replaces the metric's observations (same dimensions) over the file's "
        "time range. The daily mean, peak, minimum and sum are kept for forecasting.",
    )
    parser.add_argument("file", metavar="FILE", help="CSV, CSV.gz or Parquet (or a folder/glob)")
    parser.add_argument("--metric", required=True, help="series name, e.g. users or api_rps")
    parser.add_argument(
        "--time-column", default=None, help="time column (default: timestamp, ts, time, date...)"
    )
    parser.add_argument(
        "--value-column", default=None, help="value column (default: value, y, or the only other)"
    )
    parser.add_argument(
        "--unit", default=None, help="unit, e.g. users, req/s, %% (required for a new metric)"
    )
    parser.add_argument(
        "--dimension",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="label the series, e.g. --dimension service=api (repeatable)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace what other sources (the demo, CloudWatch) stored for this metric and "
        "dimensions over the file's time range, instead of averaging them into each day",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forecasting.ingest.metrics import load_metrics
    from forecasting.ingest.metrics.helpers import parse_dimensions
    from forecasting.store import Store

    dimensions = parse_dimensions(args.dimension)
    with Store(args.db) as store:
        result = load_metrics(
            store,
            args.file,
            metric=args.metric,
            time_column=args.time_column,
            value_column=args.value_column,
            unit=args.unit,
            dimensions=dimensions,
            replace_other_sources=args.replace,
        )
    d = result.detail
    print(
        f"run {result.run_id}: {d['observations']:,} observations of {d['metric']} "
        f"({d['unit']}) from {d['first']} to {d['last']} UTC, {d['days']} days",
        file=sys.stderr,
    )
    if d["skipped_without_value"]:
        print(
            f"  {d['skipped_without_value']:,} rows had no value and were skipped", file=sys.stderr
        )
    if d["repeated_timestamps"]:
        print(
            f"  note: {d['repeated_timestamps']:,} rows repeat an earlier timestamp; all are kept",
            file=sys.stderr,
        )
    others = ", ".join(f"{source} on {days:,} days" for source, days in d["other_sources"].items())
    if others and d["replaced_other_sources"]:
        print(f"  replaced what other sources held in this range: {others}", file=sys.stderr)
    elif others:
        print(
            f"  warning: {d['metric']} also has observations from {others} of this range; each "
            "day now averages both sources. Re-run with --replace to keep only this file's",
            file=sys.stderr,
        )
    return 0
