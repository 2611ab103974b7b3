"""Load FOCUS and AWS CUR billing exports: read, map to FOCUS and check in DuckDB, then write."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from forecasting.errors import InputError
from forecasting.ingest import common
from forecasting.ingest.focus import helpers, settings
from forecasting.ingest.focus.helpers import Dialect, Layout
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import threading

    from mypy_boto3_s3 import S3Client

    from forecasting.store import Store


@dataclass(frozen=True)
class FileGroup:
    """Files that share one header: DuckDB reads them in one scan."""

    layout: Layout
    files: tuple[Path, ...]


def load_focus(
    store: Store,
    paths: Sequence[str | Path],
    *,
    s3_client: S3Client | None = None,
    progress: common.ProgressCallback | None = None,
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
        common.Reporter("ingest focus", progress, thread_hook=thread_hook) as reporter,
        store.ingest_run(settings.SOURCE, parameters) as run,
    ):
        files = _resolve(paths, s3_client, Path(tmp))
        reporter.update(0.02, f"reading {len(files)} file headers")
        groups = _groups(store.con, files)
        dialects = {g.layout.dialect for g in groups}
        if len(dialects) > 1:
            raise InputError(
                "these files mix FOCUS and CUR exports, and a FOCUS and a CUR export of one "
                "account would count its costs twice: ingest each kind in its own run",
                parameter="PATH",
            )
        labels = sorted({g.layout.label for g in groups})
        try:
            relation = _relation(store.con, groups)
        except duckdb.Error as exc:  # DuckDB samples a CSV as soon as it is named
            raise _diagnose(groups, exc) from None
        with common.watch_query(store.con, reporter, 0.05, 0.35, "checking"):
            summary = _validate(store.con, relation, groups)
        with common.watch_query(store.con, reporter, 0.35, 1.0, "writing"):
            store.replace_cost_periods(run, relation)
        common.raise_csv_rejects(store.con, _declared(groups))
        detail = _detail(summary, files, labels)
        run.detail.update(detail)
    return IngestResult(run.run_id, settings.SOURCE, run.rows, "succeeded", detail)


def _resolve(paths: Sequence[str | Path], s3_client: S3Client | None, tmp: Path) -> list[Path]:
    local = [p for p in paths if not str(p).startswith("s3://")]
    remote = [str(p) for p in paths if str(p).startswith("s3://")]
    if remote and s3_client is None:
        raise InputError("an s3:// path needs an S3 client", parameter="PATH")
    files = common.expand_paths(local) if local else []
    for url in remote:
        assert s3_client is not None
        files.extend(common.download_s3(s3_client, url, tmp))
    return files


def _groups(con: duckdb.DuckDBPyConnection, files: Sequence[Path]) -> list[FileGroup]:
    """Read each file's header (and Parquet types), then group files with equal layouts."""
    by_layout: dict[Layout, list[Path]] = {}
    for path in files:
        if common.is_parquet(path):
            try:
                rel = con.read_parquet(str(path))
            except duckdb.Error as exc:
                raise InputError(f"cannot read this Parquet file: {exc}", file=str(path)) from None
            columns, types = tuple(rel.columns), tuple(str(t) for t in rel.types)
        else:
            columns, types = tuple(common.read_csv_header(path)), None
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise InputError(
                "the header names this column twice", file=str(path), column=duplicates[0]
            )
        dialect, label = helpers.detect(columns, file=str(path))
        common.require_columns(
            columns,
            helpers.required_columns(dialect, columns, settings.cur_mapping()),
            file=str(path),
        )
        by_layout.setdefault(Layout(dialect, label, columns, types), []).append(path)
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
    common.clear_csv_rejects(con)
    combined: Any = None
    for group in groups:
        rel = _read(con, group, mapping)
        combined = rel if combined is None else combined.union(rel)
    return combined


def _declared(groups: Sequence[FileGroup]) -> dict[str, dict[str, str]]:
    """The types each CSV file's columns are read as (to explain rows DuckDB rejects)."""
    mapping = settings.cur_mapping()
    return {
        str(path): helpers.csv_types(group.layout.dialect, group.layout.columns, mapping)
        for group in groups
        if not group.layout.parquet
        for path in group.files
    }


def _read(con: duckdb.DuckDBPyConnection, group: FileGroup, mapping: settings.CurMapping) -> Any:
    layout, files = group.layout, [str(f) for f in group.files]
    if layout.parquet:
        rel = con.read_parquet(files)
    else:
        types = helpers.csv_types(layout.dialect, layout.columns, mapping)
        rel = con.read_csv(
            files,
            header=True,
            columns=types,
            na_values=list(common.NULL_STRINGS),
            delimiter=",",
            quotechar='"',
            escapechar='"',
            store_rejects=True,
        )
    if layout.dialect is Dialect.FOCUS:
        return rel.project(helpers.focus_projection(layout))
    inner, outer = helpers.cur_projections(layout, mapping)
    return rel.project(inner).project(outer)


# -- validation: every problem is reported against the file, row and column it came from --------
_SUMMARY_SQL = """
SELECT ProviderName, BillingAccountId, BillingPeriodStart, BillingCurrency,
       count(*) AS line_items, sum(BilledCost) AS billed,
       min(ChargePeriodStart) AS first_charge, max(ChargePeriodStart) AS last_charge,
       {nulls},
       count(*) FILTER (WHERE Tags IS NOT NULL AND NOT json_valid(Tags)) AS bad_tags,
       -- read every typed column, so that a CSV value that does not parse is found now
       count(EffectiveCost) + count(ListCost) + count(ContractedCost) + count(BillingPeriodEnd)
         + count(ConsumedQuantity) + count(PricingQuantity) AS typed_values
FROM _focus_in GROUP BY ALL
"""


def _validate(
    con: duckdb.DuckDBPyConnection, relation: Any, groups: Sequence[FileGroup]
) -> pd.DataFrame:
    """One pass over the input: totals per billing period, and every check that can fail."""
    relation.create_view("_focus_in", replace=True)
    nulls = ",\n".join(
        f'count(*) FILTER (WHERE {c} IS NULL) AS "null {c}"' for c in settings.REQUIRED
    )
    try:
        summary = con.execute(_SUMMARY_SQL.format(nulls=nulls)).df()
    except duckdb.Error as exc:
        # The run's transaction is aborted now; the rollback drops the view too.
        raise _diagnose(groups, exc) from None
    con.execute("DROP VIEW _focus_in")
    common.raise_csv_rejects(con, _declared(groups))
    for column in settings.REQUIRED:
        missing = int(summary[f"null {column}"].sum())
        if missing:
            raise _located(
                groups,
                column,
                "v IS NULL",
                [],
                f"{missing} line items have no {column}, which every line item needs",
            )
    _check_currencies(groups, summary)
    bad_tags = int(summary["bad_tags"].sum())
    if bad_tags:
        raise _located(
            groups,
            "Tags",
            "v IS NOT NULL AND NOT json_valid(v)",
            [],
            f"{bad_tags} line items have Tags that are not a JSON object",
        )
    return summary


def _check_currencies(groups: Sequence[FileGroup], summary: pd.DataFrame) -> None:
    for code in sorted(set(summary["BillingCurrency"].dropna())):
        if code not in common.ISO_4217:
            raise _located(
                groups,
                "BillingCurrency",
                "v = ?",
                [code],
                f"unknown currency {code!r}: expected an ISO 4217 code such as USD",
            )
    keys = ["ProviderName", "BillingAccountId", "BillingPeriodStart"]
    for _, part in summary.groupby(keys, dropna=False):
        if part["BillingCurrency"].nunique() > 1:
            counts = part.groupby("BillingCurrency")["line_items"].sum().sort_values()
            first = part.iloc[0]
            provider, account = first["ProviderName"], first["BillingAccountId"]
            period = pd.Timestamp(first["BillingPeriodStart"])
            raise _located(
                groups,
                "BillingCurrency",
                "v = ?",
                [counts.index[0]],
                f"billing account {account} ({provider}) bills {pd.Timestamp(period):%Y-%m} in "
                f"several currencies ({', '.join(sorted(counts.index))}); one account bills in "
                "one currency and capcost never adds different currencies",
            )


def _located(
    groups: Sequence[FileGroup],
    column: str,
    predicate: str,
    params: list[Any],
    message: str,
) -> InputError:
    """An InputError at the first row (over all files) where ``predicate`` holds for ``v``."""
    mapping = settings.cur_mapping()
    for group in groups:
        raw = helpers.source_column(group.layout, column, mapping)
        if raw is None:
            continue
        for path in group.files:
            found = _first_row(path, group.layout, raw, predicate, params)
            if found is not None:
                return InputError(message, file=str(path), row=found[0], column=raw)
    return InputError(message, column=column)


def _first_row(
    path: Path, layout: Layout, raw: str, predicate: str, params: list[Any]
) -> tuple[int, str | None] | None:
    """(data row counted from 1, raw text) of the first row matching, or None.

    Only runs on the error path. It reads the one column again on a connection of its own:
    the run's transaction may already be aborted by the error being explained.
    """
    # predicate is one of this module's fixed SQL fragments over v, the column name is quoted
    # and values are bound, hence the noqa marks.
    scratch = duckdb.connect()
    try:
        scratch.execute("SET TimeZone = 'UTC'")
        if layout.parquet:
            value = f"nullif(CAST({helpers.quote(raw)} AS VARCHAR), '')"
            source = (
                f"SELECT file_row_number + 1 AS r, {value} AS v "  # noqa: S608
                "FROM read_parquet(?, file_row_number = true)"
            )
            sql = f"SELECT r, v FROM ({source}) WHERE {predicate} ORDER BY r LIMIT 1"  # noqa: S608
            row = common.fetch_one(scratch, sql, [str(path), *params])
        else:
            # A table keeps the file's order in its rowid, which a plain query does not promise.
            scratch.execute(
                f"CREATE TABLE located AS SELECT {helpers.quote(raw)} AS v "  # noqa: S608
                "FROM read_csv(?, header = true, all_varchar = true, nullstr = ?, delim = ',', "
                "quote = '\"', escape = '\"', null_padding = true)",
                [str(path), list(common.NULL_STRINGS)],
            )
            row = common.fetch_one(
                scratch,
                f"SELECT rowid + 1, v FROM located WHERE {predicate} ORDER BY rowid LIMIT 1",  # noqa: S608
                params,
            )
    finally:
        scratch.close()
    return None if row is None else (int(row[0]), row[1])


def _diagnose(groups: Sequence[FileGroup], exc: duckdb.Error) -> InputError:
    """Find the file, row and column behind a DuckDB read or conversion error."""
    files = [f for g in groups for f in g.files]
    if isinstance(exc, duckdb.IOException):
        return common.read_error(exc, files)
    mapping = settings.cur_mapping()
    for group in groups:
        for raw, target in _typed_columns(group.layout, mapping):
            for path in group.files:
                cast_type = "TIMESTAMPTZ" if target.startswith("TIMESTAMP") else target
                found = _first_row(
                    path,
                    group.layout,
                    raw,
                    f"v IS NOT NULL AND TRY_CAST(v AS {cast_type}) IS NULL",
                    [],
                )
                if found is not None:
                    what = "a date/time" if cast_type == "TIMESTAMPTZ" else "a number"
                    return InputError(
                        f"cannot read {found[1]!r} as {what}",
                        file=str(path),
                        row=found[0],
                        column=raw,
                    )
    return common.read_error(exc, files)


def _typed_columns(layout: Layout, mapping: settings.CurMapping) -> list[tuple[str, str]]:
    """(file column, type it must convert to) for every non-text column the mapping reads."""
    if layout.dialect is Dialect.CUR:
        present = helpers.cur_columns(layout.columns)
        return [
            (present[c], t)
            for c, t in mapping.source_types.items()
            if c in present and t != "VARCHAR"
        ]
    out = []
    for column, target in settings.FOCUS_TYPES.items():
        raw = helpers.focus_source(layout.columns, column)
        if raw is not None and target not in ("VARCHAR", "JSON"):
            out.append((raw, target))
    return out


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
