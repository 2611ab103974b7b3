"""`capcost ingest cdn FILE` and `capcost ingest pg-stat-statements FILE --start --end`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or time") from None


def register(
    sources: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    cdn = sources.add_parser(
        "cdn",
        parents=[common],
        help="CDN analytics per day (requests, cached requests, bytes, cached bytes) from a CSV",
        description="Ingest daily CDN analytics as Cloudflare (httpRequests1dGroups: date, "
        "requests, cachedRequests, bytes, cachedBytes) or CloudFront (Requests, Hits, "
        "BytesDownloaded, cached bytes) report them: the savings CDN lever measures its hit "
        "ratios here. One bad cell refuses the whole file, naming its row and column.",
    )
    cdn.add_argument("file", metavar="FILE", help="CSV with a row per day (and zone)")
    cdn.add_argument("--zone", default=None, help="zone or distribution, if the file has none")
    cdn.add_argument(
        "--provider", default="Cloudflare", help="CDN whose prices apply (default: Cloudflare)"
    )
    cdn.set_defaults(handler=run_cdn)
    pg = sources.add_parser(
        "pg-stat-statements",
        parents=[common],
        help="a pg_stat_statements snapshot (queryid, calls, total_exec_time, rows) from a CSV",
        description="Ingest the pg_stat_statements view exported to CSV (psql \\copy (SELECT "
        "queryid, query, calls, total_exec_time, rows, shared_blks_read FROM "
        "pg_stat_statements) TO 'q.csv' CSV HEADER), with the window it covers: from the "
        "last pg_stat_statements_reset() (--start) to the export (--end). The database lever "
        "reads each query's share of execution time here.",
    )
    pg.add_argument("file", metavar="FILE", help="CSV of the view")
    pg.add_argument("--start", required=True, type=_timestamp, help="window start (UTC)")
    pg.add_argument("--end", required=True, type=_timestamp, help="window end (UTC)")
    pg.add_argument("--database", default="postgres", help="database name (default: postgres)")
    pg.set_defaults(handler=run_queries)


def run_cdn(args: argparse.Namespace) -> int:
    from forecasting.ingest.evidence import load_cdn
    from forecasting.store import Store

    with Store(args.db) as store:
        result = load_cdn(store, args.file, zone=args.zone, provider=args.provider)
    d = result.detail
    print(
        f"run {result.run_id}: {d['days']} days of CDN analytics for {', '.join(d['zones'])} "
        f"({args.provider}) from {d['first']} to {d['last']}",
        file=sys.stderr,
    )
    return 0


def run_queries(args: argparse.Namespace) -> int:
    from forecasting.ingest.evidence import load_query_stats
    from forecasting.store import Store

    with Store(args.db) as store:
        result = load_query_stats(
            store, args.file, start=args.start, end=args.end, database=args.database
        )
    d = result.detail
    print(
        f"run {result.run_id}: {d['queries']} queries of {args.database} from {args.start} to "
        f"{args.end}; the top 3 took {d['top3_share_of_time']:.0%} of the execution time",
        file=sys.stderr,
    )
    return 0
