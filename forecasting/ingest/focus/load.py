"""Load FOCUS and AWS CUR billing exports: read, map to FOCUS and check in DuckDB, then write."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from forecasting.errors import InputError
from forecasting.ingest.files import (
    NULL_STRINGS,
    download_s3,
    duckdb_path,
    expand_paths,
    is_parquet,
    read_csv_header,
    require_columns,
)
from forecasting.ingest.focus import checks, helpers, settings
from forecasting.ingest.focus.helpers import Dialect, FileGroup, Layout
from forecasting.ingest.progress import ProgressCallback, Reporter, watch_query
from forecasting.ingest.read_errors import clear_csv_rejects, raise_csv_rejects
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import threading

    from mypy_boto3_s3 import S3Client

    from forecasting.store import Store


def load_focus(
    store: Store,
    paths: Sequence[str | Path],
    *,
    s3_client: S3Client | None = None,
    progress: ProgressCallback | None = None,
    thread_hook: Callable[[threading.Thread], None] | None = None,
) -> IngestResult:
    """Ingest FOCUS or CUR export files in one run, replacing the billing periods they hold.

    ``paths`` are files, globs, folders or ``s3://bucket/prefix`` URLs (which need
    ``s3_client``). Pass every file of a billing period's export in one call: a run replaces
    each (provider, billing account, billing period) it contains, so a later run with only
    part of a period would replace the whole period with that part.
    """
    parameters: dict[str, Any] = {"paths": [str(p) for p in paths]}
    with (
        tempfile.TemporaryDirectory(prefix="capcost-s3-") as tmp,
        Reporter("ingest focus", progress, thread_hook=thread_hook) as reporter,
    ):
        with store.ingest_run(settings.SOURCE, parameters) as run:
            files = _resolve(paths, s3_client, Path(tmp))
            reporter.update(0.02, f"reading {len(files)} file headers")
            groups = _groups(store.con, files)
            try:
                relation = _relation(store.con, groups)
            except duckdb.Error as exc:  # DuckDB samples a CSV as soon as it is named
                raise checks.diagnose(groups, exc) from None
            with watch_query(store.con, reporter, 0.05, 0.35, "checking"):
                summary = checks.validate(store.con, relation, groups)
            with watch_query(store.con, reporter, 0.35, 0.95, "writing"):
                store.replace_cost_periods(run, relation)
            raise_csv_rejects(store.con, checks.declared(groups))
            detail = _detail(summary, files, sorted({g.layout.label for g in groups}))
            run.detail.update(detail)
            # Everything is written but not committed: a kill from here on still keeps nothing.
            reporter.update(0.97, "committing")
        reporter.update(1.0, "done")
    return IngestResult(run.run_id, settings.SOURCE, run.rows, "succeeded", detail)


def _resolve(paths: Sequence[str | Path], s3_client: S3Client | None, tmp: Path) -> list[Path]:
    local = [p for p in paths if not str(p).startswith("s3://")]
    remote = [str(p) for p in paths if str(p).startswith("s3://")]
    if remote and s3_client is None:
        raise InputError("an s3:// path needs an S3 client", parameter="PATH")
    files = expand_paths(local) if local else []
    for url in remote:
        assert s3_client is not None
        files.extend(download_s3(s3_client, url, tmp))
    return files


def _groups(con: duckdb.DuckDBPyConnection, files: Sequence[Path]) -> list[FileGroup]:
    """Read each file's header (and Parquet types), then group files with equal layouts."""
    by_layout: dict[Layout, list[Path]] = {}
    for path in files:
        if is_parquet(path):
            try:
                rel = con.read_parquet(duckdb_path(path))
            except duckdb.Error as exc:
                raise InputError(f"cannot read this Parquet file: {exc}", file=str(path)) from None
            columns, types = tuple(rel.columns), tuple(str(t) for t in rel.types)
        else:
            columns, types = tuple(read_csv_header(path)), None
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise InputError(
                "the header names this column twice", file=str(path), column=duplicates[0]
            )
        dialect, label = helpers.detect(columns, file=str(path))
        require_columns(
            columns,
            helpers.required_columns(dialect, columns, settings.cur_mapping()),
            file=str(path),
        )
        by_layout.setdefault(Layout(dialect, label, columns, types), []).append(path)
    if len({layout.dialect for layout in by_layout}) > 1:
        raise InputError(
            "these files mix FOCUS and CUR exports, and a FOCUS and a CUR export of one "
            "account would count its costs twice: ingest each kind in its own run",
            parameter="PATH",
        )
    return [FileGroup(layout, tuple(paths)) for layout, paths in by_layout.items()]


def _relation(con: duckdb.DuckDBPyConnection, groups: Sequence[FileGroup]) -> Any:
    """One lazy relation of stored FOCUS columns over every file: nothing is read yet."""
    mapping = settings.cur_mapping()
    if any(g.layout.dialect is Dialect.CUR for g in groups):
        categories = pd.DataFrame(
            list(settings.service_categories().items()), columns=["product_code", "category"]
        )
        con.register("_categories_frame", categories)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _aws_service_categories AS "
            "SELECT * FROM _categories_frame"
        )
        con.unregister("_categories_frame")
    clear_csv_rejects(con)
    combined: Any = None
    for group in groups:
        rel = _read(con, group, mapping)
        combined = rel if combined is None else combined.union(rel)
    return combined


def _read(con: duckdb.DuckDBPyConnection, group: FileGroup, mapping: settings.CurMapping) -> Any:
    layout, files = group.layout, [duckdb_path(f) for f in group.files]
    if layout.parquet:
        rel = con.read_parquet(files)
    else:
        types = helpers.csv_types(layout.dialect, layout.columns, mapping)
        rel = con.read_csv(
            files,
            header=True,
            columns=types,
            na_values=list(NULL_STRINGS),
            delimiter=",",
            quotechar='"',
            escapechar='"',
            store_rejects=True,
        )
    if layout.dialect is Dialect.FOCUS:
        return rel.project(helpers.focus_projection(layout))
    inner, outer = helpers.cur_projections(layout, mapping)
    return rel.project(inner).project(outer)


def _detail(summary: pd.DataFrame, files: Sequence[Path], labels: list[str]) -> dict[str, Any]:
    """What the run stored: per billing period and per currency, BilledCost exact."""
    ordered = summary.sort_values(["BillingPeriodStart", "BillingAccountId"])
    records = [{str(k): v for k, v in r.items()} for r in ordered.to_dict("records")]
    periods = [
        {
            "provider": r["ProviderName"],
            "billing_account": r["BillingAccountId"],
            "billing_period": f"{pd.Timestamp(r['BillingPeriodStart']):%Y-%m}",
            "currency": r["BillingCurrency"],
            "line_items": int(r["line_items"]),
            "billed": str(r["billed"]),
        }
        for r in records
    ]
    totals: dict[str, Decimal] = {}
    for p in periods:
        totals[p["currency"]] = totals.get(p["currency"], Decimal(0)) + Decimal(p["billed"])
    return {
        "formats": labels,
        "files": len(files),
        "line_items": int(summary["line_items"].sum()),
        "billing_periods": periods,
        "billed_totals": {k: str(v) for k, v in totals.items()},
    }
