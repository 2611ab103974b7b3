"""DuckDB read failures turned into errors that name the file, row and column."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from forecasting.errors import InputError
from forecasting.ingest.files import NULL_STRINGS, duckdb_path, is_parquet, literal_path, not_utf8
from forecasting.ingest.sql import fetch_one, quote


def clear_csv_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Forget rows rejected by earlier scans (DuckDB appends to one table per connection)."""
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")


def raise_csv_rejects(
    con: duckdb.DuckDBPyConnection, declared: Mapping[str, Mapping[str, str]]
) -> None:
    """Raise for the first row that a ``store_rejects`` CSV scan could not read.

    DuckDB skips such rows and records them; an ingest must refuse them instead, since a
    dropped cost row would make the totals silently wrong. ``declared`` maps each file to the
    types its columns were read as (in file order). The row number counts data rows (the
    header is not a row), so row 1 is the line after the header.
    """
    exists = fetch_one(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'reject_errors'"
    )
    if not exists or not exists[0]:
        return
    row = fetch_one(
        con,
        "SELECT s.file_path, e.line, e.error_type, e.csv_line, e.error_message, "
        "(SELECT count(DISTINCT (scan_id, file_id, line)) FROM reject_errors) "
        "FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) "
        "ORDER BY e.scan_id, e.line LIMIT 1",
    )
    if row is None:
        return
    reported, line, kind, raw, message, total = row
    path = literal_path(str(reported))
    more = f" ({total} rows have problems; this is the first)" if total > 1 else ""
    column, text = None, message
    if kind == "CAST" and raw is not None:
        # DuckDB's own column_idx/column_name are wrong when only some columns are read
        # (projection pushdown), so find the cell that does not convert ourselves.
        bad = first_bad_cell(next(csv.reader(io.StringIO(raw)), []), declared.get(str(path), {}))
        if bad is not None:
            column, text = bad[0], f"cannot read {bad[1]!r} as {describe_type(bad[2])}"
    elif kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        text = f"{kind.lower()} in this row (a truncated or hand-edited file?)"
    elif kind == "INVALID UNICODE":
        text = "this row holds bytes that are not UTF-8: save the file as UTF-8 (it may be Latin-1)"
    raise InputError(text + more, file=str(path), row=int(line) - 1, column=column)


def first_bad_cell(cells: Sequence[str], types: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(column, text, type) of the first cell that does not convert to its declared type."""
    checks = [
        (name, cell, kind)
        for (name, kind), cell in zip(types.items(), cells, strict=False)
        if kind != "VARCHAR" and cell not in NULL_STRINGS
    ]
    if not checks:
        return None
    scratch = duckdb.connect()
    try:
        # The types are capcost's own declarations, the cells are bound.
        sql = ", ".join(f"TRY_CAST(? AS {kind}) IS NULL" for _, _, kind in checks)
        failed = fetch_one(scratch, f"SELECT {sql}", [cell for _, cell, _ in checks])
    finally:
        scratch.close()
    for check, bad in zip(checks, failed or (), strict=True):
        if bad:
            return check
    return None


def describe_type(kind: str) -> str:
    """'a number' or 'a date/time' for messages, from a DuckDB type name."""
    kind = kind.upper()
    if "TIME" in kind or "DATE" in kind:
        return "a date/time"
    if any(t in kind for t in ("DECIMAL", "DOUBLE", "INT", "FLOAT", "REAL", "NUMERIC")):
        return "a number"
    return kind


def read_error(exc: duckdb.Error, files: Sequence[Path]) -> InputError:
    """Turn a DuckDB read failure into one line naming the file and, if it can, the damage."""
    text = str(exc)
    for path in files:
        if str(path) in text or duckdb_path(path) in text or len(files) == 1:
            damage = file_damage(path)
            if damage:
                return InputError(damage, file=str(path))
            return InputError(f"cannot read the file: {first_line(text)}", file=str(path))
    return InputError(f"cannot read the input: {first_line(text)}")


def first_line(text: str) -> str:
    """DuckDB's messages run to 20 lines of hints; the first says what went wrong."""
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def file_damage(path: Path) -> str | None:
    """What is structurally wrong with a CSV or gzip file (None when nothing is found)."""
    if is_parquet(path):
        return None
    if str(path).lower().endswith(".gz"):
        damage = gzip_damage(path)
        if damage:
            return damage
    return csv_damage(path)


def gzip_damage(path: Path) -> str | None:
    """Describe a truncated or corrupt gzip file (None when it decompresses cleanly)."""
    # Decompressed incrementally so the rows before the damage are counted, however small
    # the file (gzip.open raises before returning any data from a short file).
    lines, problem = 0, None
    inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                while chunk:
                    lines += inflate.decompress(chunk).count(b"\n")
                    chunk = b""
                    if inflate.eof and inflate.unused_data:  # a multi-member gzip file
                        chunk = inflate.unused_data
                        inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        if not inflate.eof:
            problem = "truncated or corrupt gzip file (it stops before its end)"
    except (OSError, zlib.error) as exc:
        problem = f"truncated or corrupt gzip file ({exc})"
    if problem is None:
        return None
    # Lines after the header that decompressed before the damage.
    return f"{problem}; it ends after data row {max(lines - 1, 0)}: download the export again"


def csv_damage(path: Path) -> str | None:
    """A quote left open, a row of the wrong width or bytes that are not UTF-8, located.

    For the error path only: it parses the whole file in Python, as DuckDB's own messages
    for these say neither where nor what.
    """
    opener: Any = gzip.open if str(path).lower().endswith(".gz") else open
    rows = 0
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                return "the file is empty (no header row)"
            for row in reader:
                if len(row) != len(header) and row:
                    return (
                        f"row {rows + 1} has {len(row)} cells where the header has "
                        f"{len(header)} (a truncated or hand-edited file?)"
                    )
                rows += 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            return f"ends inside a quoted field after row {rows} (truncated?)"
        return f"an unbalanced quote in row {rows + 1} ({exc})"
    except UnicodeDecodeError as exc:
        return not_utf8(path, exc)
    except (OSError, EOFError, zlib.error) as exc:
        return f"cannot read the file: {exc}"
    return None


def first_row(
    path: Path,
    column: str,
    predicate: str,
    params: Sequence[Any] = (),
    *,
    other: str | None = None,
) -> tuple[int, str | None] | None:
    """(data row counted from 1, text) of the first row where ``predicate`` holds for ``v``.

    ``v`` is the column's raw text (``w`` that of column ``other``, when given). For the error
    path only: it reads the column again, on a connection of its own, since the run's
    transaction may be aborted by the error it explains.
    ``predicate`` must be a fixed SQL fragment over ``v``; values go in ``params``.
    """
    scratch = duckdb.connect()
    try:
        row = _first_row(scratch, path, column, predicate, params, other)
    except duckdb.Error as exc:
        # The file the error path explains may not parse at all (a truncated CSV).
        raise read_error(exc, [path]) from None
    finally:
        scratch.close()
    return None if row is None else (int(row[0]), row[1])


def _first_row(
    scratch: duckdb.DuckDBPyConnection,
    path: Path,
    column: str,
    predicate: str,
    params: Sequence[Any],
    other: str | None,
) -> tuple[Any, ...] | None:
    scratch.execute("SET TimeZone = 'UTC'")
    if is_parquet(path):
        value = f"nullif(CAST({quote(column)} AS VARCHAR), '')"
        second = f"nullif(CAST({quote(other or column)} AS VARCHAR), '')"
        source = (
            f"SELECT file_row_number + 1 AS r, {value} AS v, {second} AS w "  # noqa: S608
            "FROM read_parquet(?, file_row_number = true)"
        )
        sql = f"SELECT r, v FROM ({source}) WHERE {predicate} ORDER BY r LIMIT 1"  # noqa: S608
        row = fetch_one(scratch, sql, [duckdb_path(path), *params])
    else:
        # A table keeps the file's order in its rowid, which a plain query does not promise.
        scratch.execute(
            f"CREATE TABLE located AS SELECT {quote(column)} AS v, "  # noqa: S608
            f"{quote(other or column)} AS w "
            "FROM read_csv(?, header = true, all_varchar = true, nullstr = ?, delim = ',', "
            "quote = '\"', escape = '\"', null_padding = true)",
            [duckdb_path(path), list(NULL_STRINGS)],
        )
        row = fetch_one(
            scratch,
            f"SELECT rowid + 1, v FROM located WHERE {predicate} ORDER BY rowid LIMIT 1",  # noqa: S608
            params,
        )
    return row
