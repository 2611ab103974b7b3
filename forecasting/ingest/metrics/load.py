"""Load a metric file: time and value read and checked in DuckDB, then written as one run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from forecasting.errors import InputError
from forecasting.ingest.files import (
    NULL_STRINGS,
    duckdb_path,
    expand_paths,
    is_parquet,
    read_csv_header,
)
from forecasting.ingest.metrics import helpers, settings
from forecasting.ingest.progress import ProgressCallback, Reporter, watch_query
from forecasting.ingest.read_errors import (
    clear_csv_rejects,
    describe_type,
    first_row,
    raise_csv_rejects,
    read_error,
)
from forecasting.ingest.sql import (
    FIRST_DAY,
    LAST_DAY,
    fetch_one,
    outside_dates_sql,
    quote,
    typed_sql,
)
from forecasting.interface import IngestResult
from forecasting.store.metrics import canonical_dimensions

if TYPE_CHECKING:
    import threading

    from forecasting.store import Store


def load_metrics(
    store: Store,
    path: str | Path,
    *,
    metric: str,
    time_column: str | None = None,
    value_column: str | None = None,
    unit: str | None = None,
    dimensions: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    thread_hook: Callable[[threading.Thread], None] | None = None,
    replace_other_sources: bool = False,
) -> IngestResult:
    """Ingest one metric series from a CSV, CSV.gz or Parquet file of time and value.

    Timestamps with an offset or ``Z`` are converted to UTC; bare ones are taken as UTC.
    Rows without a value are skipped (and counted); a re-ingest replaces this metric's
    observations with the same dimensions over the file's time range. Observations another
    source (the demo, CloudWatch) holds there are kept and averaged in, and counted per source
    in ``detail["other_sources"]``, unless ``replace_other_sources`` replaces them too.
    """
    dims = dict(dimensions or {})
    parameters = {
        "path": str(path),
        "metric": metric,
        "time_column": time_column,
        "value_column": value_column,
        "unit": unit,
        "dimensions": dims,
    }
    with Reporter(f"ingest {metric}", progress, thread_hook=thread_hook) as reporter:
        with store.ingest_run(settings.SOURCE, parameters) as run:
            metric = helpers.check_metric_name(metric)
            files = expand_paths([path])
            unit = _unit(store, metric, unit)
            time_col, value_col = _columns(store.con, files, time_column, value_column)
            declared = _declared(files, time_col, value_col)
            with watch_query(store.con, reporter, 0.0, 0.5, "reading"):
                constants = [metric, canonical_dimensions(dims), unit]
                _stage(store.con, files, (time_col, value_col), declared, constants)
            detail = _check(store.con, files, (time_col, value_col), declared)
            others = store.metric_days_by_source(
                metric,
                canonical_dimensions(dims),
                datetime.fromisoformat(detail["first"]),
                datetime.fromisoformat(detail["last"]),
                besides=settings.SOURCE,
            )
            with watch_query(store.con, reporter, 0.5, 0.95, "writing"):
                store.replace_metrics(
                    run, store.con.table("_metric_in"), other_sources=replace_other_sources
                )
            store.con.execute("DROP TABLE _metric_in")
            detail |= {
                "metric": metric,
                "unit": unit,
                "dimensions": dims,
                "files": len(files),
                "other_sources": others,
                "replaced_other_sources": replace_other_sources,
            }
            reporter.update(0.97, "committing")
        reporter.update(1.0, "done")
    return IngestResult(run.run_id, settings.SOURCE, run.rows, "succeeded", detail)


def _unit(store: Store, metric: str, unit: str | None) -> str:
    """The given unit, else the stored one; a new metric must say its unit."""
    known = store.metric_definitions().get(metric)
    if unit is None and known is None:
        raise InputError(
            f"{metric!r} is a new metric: give its unit with --unit", parameter="--unit"
        )
    if unit is not None and known is not None and known.unit != unit:
        raise InputError(
            f"metric {metric!r} is stored in {known.unit!r}, not {unit!r}", parameter="--unit"
        )
    return unit if unit is not None else known.unit  # type: ignore[union-attr]


def _header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    if is_parquet(path):
        try:
            return list(con.read_parquet(duckdb_path(path)).columns)
        except duckdb.Error as exc:
            raise InputError(f"cannot read this Parquet file: {exc}", file=str(path)) from None
    return read_csv_header(path)


def _columns(
    con: duckdb.DuckDBPyConnection, files: list[Path], time: str | None, value: str | None
) -> tuple[str, str]:
    columns = _header(con, files[0])
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:  # DuckDB's sniffer would answer with 20 lines of its own
        raise InputError("the header names this column twice", file=str(files[0]), column=twice[0])
    for other in files[1:]:
        if _header(con, other) != columns:
            raise InputError(f"the columns differ from those of {files[0]}", file=str(other))
    first = str(files[0])
    time_col = helpers.pick_column(
        columns,
        time,
        settings.TIME_CANDIDATES,
        role="time",
        parameter="--time-column",
        file=first,
    )
    value_col = helpers.pick_column(
        columns,
        value,
        settings.VALUE_CANDIDATES,
        role="value",
        parameter="--value-column",
        file=first,
        exclude=[time_col],
    )
    return time_col, value_col


def _declared(files: list[Path], time_col: str, value_col: str) -> dict[str, dict[str, str]]:
    """Per CSV file, the type of each column in file order (text unless time or value)."""
    out = {}
    for path in files:
        if not is_parquet(path):
            header = read_csv_header(path)
            kinds = {time_col: "TIMESTAMPTZ", value_col: "DOUBLE"}
            out[str(path)] = {c: kinds.get(c, "VARCHAR") for c in header}
    return out


def _stage(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    columns: tuple[str, str],
    declared: dict[str, dict[str, str]],
    constants: list[str],
) -> None:
    """Read every file into the temp table ``_metric_in`` (ts, metric, dimensions, value, unit)."""
    clear_csv_rejects(con)
    time_col, value_col = columns
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _metric_in (ts TIMESTAMP, metric VARCHAR, "
        "dimensions VARCHAR, value DOUBLE, unit VARCHAR)"
    )
    for path in files:
        try:
            _stage_file(con, path, columns, declared, constants)
        except duckdb.Error as exc:  # a CSV is sampled as soon as it is named
            raise _diagnose(path, time_col, value_col, exc) from None


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: tuple[str, str],
    declared: dict[str, dict[str, str]],
    constants: list[str],
) -> None:
    time_col, value_col = columns
    if is_parquet(path):
        rel = con.read_parquet(duckdb_path(path))
        raw_type = str(rel.types[rel.columns.index(time_col)])
    else:
        rel = con.read_csv(
            duckdb_path(path),
            header=True,
            columns=declared[str(path)],
            store_rejects=True,
            na_values=list(NULL_STRINGS),
            delimiter=",",
            quotechar='"',
            escapechar='"',
        )
        raw_type = "TIMESTAMPTZ"
    ts_sql = typed_sql(quote(time_col), raw_type, "TIMESTAMP")
    rel = rel.project(f"{ts_sql} AS ts, CAST({quote(value_col)} AS DOUBLE) AS value")
    rel.create_view("_metric_file", replace=True)
    con.execute("INSERT INTO _metric_in SELECT ts, ?, ?, value, ? FROM _metric_file", constants)
    con.execute("DROP VIEW _metric_file")


def _check(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    columns: tuple[str, str],
    declared: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """Refuse what cannot be a series; drop (and count) rows that have no value."""
    raise_csv_rejects(con, declared)
    time_col, value_col = columns
    stats = fetch_one(
        con,
        "SELECT count(*) FILTER (WHERE ts IS NULL), count(*) FILTER (WHERE value IS NULL), "  # noqa: S608
        "count(*) FILTER (WHERE isnan(value) OR isinf(value)), "
        f"count(*) FILTER (WHERE {outside_dates_sql('ts')}) FROM _metric_in",
    )
    assert stats is not None
    no_time, no_value, not_finite, outside = (int(x) for x in stats)
    if no_time:
        raise _located(files, time_col, "v IS NULL", f"{no_time} rows have no timestamp")
    if outside:
        raise _located(
            files,
            time_col,
            outside_dates_sql("v", text=True),
            f"{outside} rows have a timestamp outside {FIRST_DAY}..{LAST_DAY}",
        )
    if not_finite:
        raise _located(
            files,
            value_col,
            "isnan(TRY_CAST(v AS DOUBLE)) OR isinf(TRY_CAST(v AS DOUBLE))",
            f"{not_finite} values are not finite numbers (NaN or infinity)",
        )
    con.execute("DELETE FROM _metric_in WHERE value IS NULL")
    # Real exports repeat timestamps (NAB's ec2_network_in_5abac7 has twelve values at one
    # minute of a DST night); each is an observation, so all are kept and counted.
    repeated = fetch_one(
        con,
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM _metric_in GROUP BY ts "
        "HAVING count(*) > 1)",
    )
    span = fetch_one(
        con, "SELECT count(*), min(ts), max(ts), count(DISTINCT CAST(ts AS DATE)) FROM _metric_in"
    )
    assert span is not None
    if not span[0]:
        raise InputError("no rows with a value", file=str(files[0]), column=value_col)
    return {
        "observations": int(span[0]),
        "first": str(span[1]),
        "last": str(span[2]),
        "days": int(span[3]),
        "skipped_without_value": no_value,
        "repeated_timestamps": int(repeated[0]) if repeated else 0,
    }


def _located(files: list[Path], column: str, predicate: str, message: str) -> InputError:
    for path in files:
        found = first_row(path, column, predicate)
        if found is not None:
            return InputError(message, file=str(path), row=found[0], column=column)
    return InputError(message, column=column)


def _diagnose(path: Path, time_col: str, value_col: str, exc: duckdb.Error) -> InputError:
    if isinstance(exc, duckdb.IOException):
        return read_error(exc, [path])
    for column, kind in ((time_col, "TIMESTAMPTZ"), (value_col, "DOUBLE")):
        found = first_row(path, column, f"v IS NOT NULL AND TRY_CAST(v AS {kind}) IS NULL")
        if found is not None:
            return InputError(
                f"cannot read {found[1]!r} as {describe_type(kind)}",
                file=str(path),
                row=found[0],
                column=column,
            )
    return read_error(exc, [path])
