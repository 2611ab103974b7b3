"""Load CDN analytics and pg_stat_statements CSVs: every cell checked, then one run, so a bad
cell anywhere refuses the file (naming file, row and column) and leaves the database as it was.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from forecasting.errors import InputError
from forecasting.ingest.evidence import helpers, settings
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.store import Store


def _read(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    file = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV: {exc}", file=file) from None
    if frame.empty:
        raise InputError("no rows after the header", file=file)
    return frame


def cdn_frame(path: str | Path, *, zone: str | None, provider: str) -> pd.DataFrame:
    """The checked rows of a CDN analytics CSV: one row per day (and zone)."""
    file = str(path)
    raw = helpers.pick_columns(_read(path), settings.CDN_COLUMNS, settings.CDN_OPTIONAL, file)
    counts = ["requests", "cached_requests", "bytes", "cached_bytes"]
    frame = helpers.numbers(raw, counts, file)
    frame["day"] = helpers.days(raw, "day", file)
    helpers.not_above(frame, "cached_requests", "requests", file)
    helpers.not_above(frame, "cached_bytes", "bytes", file)
    if "zone" not in frame:
        if zone is None:
            raise InputError("the file has no zone column: name it with --zone", file=file)
        frame["zone"] = zone
    elif zone is not None:
        frame["zone"] = zone
    frame["zone"] = frame["zone"].astype(str).str.strip()
    frame["provider"] = provider
    dupes = frame.duplicated(["zone", "day"])
    if dupes.any():
        row = int(dupes.to_numpy().nonzero()[0][0])
        raise InputError("a second row for this zone and day", file=file, row=row + 2, column="day")
    return frame


def load_cdn(
    store: Store, path: str | Path, *, zone: str | None = None, provider: str = "Cloudflare"
) -> IngestResult:
    """Daily requests, cached requests, bytes and cached bytes of a CDN zone (or several).

    Re-ingesting replaces the zone's days that the file covers.
    """
    frame = cdn_frame(path, zone=zone, provider=provider)
    parameters = {"path": str(path), "zone": zone, "provider": provider}
    with store.ingest_run(settings.CDN_SOURCE, parameters) as run:
        store.replace_cdn_analytics(run, frame)
        run.detail = {
            "zones": sorted(frame["zone"].unique()),
            "first": str(frame["day"].min().date()),
            "last": str(frame["day"].max().date()),
            "days": int(frame["day"].nunique()),
        }
    return IngestResult(run.run_id, settings.CDN_SOURCE, run.rows, "succeeded", dict(run.detail))


def query_frame(path: str | Path, *, start: datetime, end: datetime, database: str) -> pd.DataFrame:
    """The checked rows of a pg_stat_statements CSV, summed by queryid (the view keeps one row
    per user and database as well; the levers need the query)."""
    file = str(path)
    if end <= start:
        raise InputError("the window's end must be after its start", parameter="--end")
    raw = helpers.pick_columns(_read(path), settings.QUERY_COLUMNS, settings.QUERY_OPTIONAL, file)
    numeric = ["calls", "total_exec_time", "rows"]
    if "shared_blks_read" in raw:
        numeric.append("shared_blks_read")
    frame = helpers.numbers(raw, numeric, file)
    frame["queryid"] = helpers.query_ids(raw, file)
    if "query" not in frame:
        frame["query"] = None
    if "shared_blks_read" not in frame:
        frame["shared_blks_read"] = float("nan")
    sums = {c: "sum" for c in numeric}
    out = frame.groupby("queryid", as_index=False).agg({**sums, "query": "first"})
    out = out.assign(period_start=start, period_end=end, database=database)
    return out.sort_values("total_exec_time", ascending=False, ignore_index=True)


def load_query_stats(
    store: Store, path: str | Path, *, start: datetime, end: datetime, database: str = "postgres"
) -> IngestResult:
    """One pg_stat_statements snapshot covering ``[start, end)`` (reset at start, read at end).

    Re-ingesting replaces the database's windows that this one overlaps.
    """
    frame = query_frame(path, start=start, end=end, database=database)
    parameters = {"path": str(path), "start": start, "end": end, "database": database}
    with store.ingest_run(settings.QUERIES_SOURCE, parameters) as run:
        store.replace_query_stats(run, frame)
        top = frame["total_exec_time"]
        run.detail = {
            "queries": len(frame),
            "top3_share_of_time": round(float(top.head(3).sum() / top.sum()), 4)
            if top.sum() > 0
            else 0.0,
        }
    return IngestResult(
        run.run_id, settings.QUERIES_SOURCE, run.rows, "succeeded", dict(run.detail)
    )
