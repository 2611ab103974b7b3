"""Shared ingest machinery: source files (local, globs, folders, S3), progress, input checks."""

from __future__ import annotations

import csv
import glob
import gzip
import io
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from forecasting.errors import InputError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from tqdm import tqdm

# A progress callback gets the fraction done (0..1) and what is happening now; the app
# passes one that moves st.progress, the terminal gets a tqdm bar.
ProgressCallback = Callable[[float, str], None]

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
DATA_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
NULL_STRINGS = ("", "NULL")

# ISO 4217 active codes: a currency outside this list is a typo or a broken export, and
# capcost never guesses an exchange rate, so it refuses the file instead.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


# -- source files ---------------------------------------------------------------------------
def is_data_file(name: str) -> bool:
    return name.lower().endswith(DATA_SUFFIXES)


def is_parquet(path: str | Path) -> bool:
    return str(path).lower().endswith(PARQUET_SUFFIXES)


def expand_paths(patterns: Sequence[str | Path]) -> list[Path]:
    """Files, globs and folders (searched recursively) -> the data files, sorted, no repeats.

    A pattern that matches nothing is an error: a typo must not ingest an empty export.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        text = str(pattern)
        path = Path(text)
        if path.is_dir():
            matches = [p for p in sorted(path.rglob("*")) if p.is_file() and is_data_file(p.name)]
        elif path.is_file():
            matches = [path]
        else:
            matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
            matches = [m for m in matches if m.is_file() and is_data_file(m.name)]
        if not matches:
            raise InputError("no CSV, CSV.gz or Parquet files found here", file=text)
        for match in matches:
            found.setdefault(match, None)
    return list(found)


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise InputError(f"not an s3://bucket/prefix URL: {url!r}", parameter="PATH")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    return bucket, prefix


def download_s3(client: S3Client, url: str, dest: Path) -> list[Path]:
    """Download every data file under an S3 prefix into ``dest`` (keys become sub-paths).

    Manifests and other non-data objects that exports write beside the data are skipped.
    """
    bucket, prefix = split_s3_url(url)
    paths: list[Path] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not is_data_file(key):
                continue
            target = dest / bucket / key
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(target))
            paths.append(target)
    if not paths:
        raise InputError("no CSV, CSV.gz or Parquet objects under this prefix", file=url)
    return sorted(paths)


def read_csv_header(path: Path) -> list[str]:
    """The column names of a CSV or CSV.gz (a UTF-8 byte order mark is ignored)."""
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the header: {exc}", file=str(path)) from None
    if not header:
        raise InputError("the file is empty (no header row)", file=str(path))
    return [name.strip() for name in header]


def require_columns(columns: Iterable[str], required: Iterable[str], *, file: str) -> None:
    """Raise naming the first required column that the file lacks."""
    present = set(columns)
    for name in required:
        if name not in present:
            raise InputError(
                f"missing required column; the file has {len(present)} columns "
                f"({', '.join(sorted(present)[:8])}{', ...' if len(present) > 8 else ''})",
                file=file,
                column=name,
            )


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result consumed.

    ``fetchone()`` leaves the result open, and DuckDB then refuses relation calls
    (``create_view``, ``read_csv``) on the connection until it is finished.
    """
    rows = con.execute(sql, list(params)).fetchall()
    return tuple(rows[0]) if rows else None


# -- errors found while DuckDB reads a file -------------------------------------------------
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
    path, line, kind, raw, message, total = row
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
    """Turn a DuckDB read failure into an InputError naming the file (and gzip damage)."""
    text = str(exc)
    for path in files:
        if str(path) in text or len(files) == 1:
            if str(path).lower().endswith(".gz"):
                damage = gzip_damage(path)
                if damage:
                    return InputError(damage, file=str(path))
            return InputError(f"cannot read the file: {text}", file=str(path))
    return InputError(f"cannot read the input: {text}")


def gzip_damage(path: Path) -> str | None:
    """Describe a truncated or corrupt gzip file (None when it decompresses cleanly)."""
    rows = 0
    try:
        with gzip.open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                rows += chunk.count(b"\n")
    except (EOFError, OSError, zlib.error) as exc:
        # Lines after the header that decompressed before the damage.
        return (
            f"truncated or corrupt gzip file ({exc}); it ends after data row "
            f"{max(rows - 1, 0)}: download the export again"
        )
    return None


def quote(identifier: str) -> str:
    """A SQL identifier, quoted: header names are data and may hold any character."""
    return '"' + identifier.replace('"', '""') + '"'


def first_row(
    path: Path, column: str, predicate: str, params: Sequence[Any] = ()
) -> tuple[int, str | None] | None:
    """(data row counted from 1, text) of the first row where ``predicate`` holds for ``v``.

    ``v`` is the column's raw text. For the error path only: it reads the column again, on a
    connection of its own, since the run's transaction may be aborted by the error it explains.
    ``predicate`` must be a fixed SQL fragment over ``v``; values go in ``params``.
    """
    scratch = duckdb.connect()
    try:
        scratch.execute("SET TimeZone = 'UTC'")
        if is_parquet(path):
            value = f"nullif(CAST({quote(column)} AS VARCHAR), '')"
            source = (
                f"SELECT file_row_number + 1 AS r, {value} AS v "  # noqa: S608
                "FROM read_parquet(?, file_row_number = true)"
            )
            sql = f"SELECT r, v FROM ({source}) WHERE {predicate} ORDER BY r LIMIT 1"  # noqa: S608
            row = fetch_one(scratch, sql, [str(path), *params])
        else:
            # A table keeps the file's order in its rowid, which a plain query does not promise.
            scratch.execute(
                f"CREATE TABLE located AS SELECT {quote(column)} AS v "  # noqa: S608
                "FROM read_csv(?, header = true, all_varchar = true, nullstr = ?, delim = ',', "
                "quote = '\"', escape = '\"', null_padding = true)",
                [str(path), list(NULL_STRINGS)],
            )
            row = fetch_one(
                scratch,
                f"SELECT rowid + 1, v FROM located WHERE {predicate} ORDER BY rowid LIMIT 1",  # noqa: S608
                params,
            )
    finally:
        scratch.close()
    return None if row is None else (int(row[0]), row[1])


def typed_sql(ref: str, raw_type: str | None, target: str) -> str:
    """SQL turning a raw column (CSV: already read as declared) into the target type.

    Timestamps end up naive UTC: an offset or ``Z`` is honoured, a bare time is UTC.
    """
    kind = (raw_type or "").upper()
    if target.startswith("TIMESTAMP"):
        if kind in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"):
            return f"CAST({ref} AS TIMESTAMP)"
        return f"timezone('UTC', CAST({ref} AS TIMESTAMPTZ))"
    if target in ("VARCHAR", "JSON"):
        if (
            target == "JSON"
            and kind.startswith("STRUCT(")
            and kind.endswith("[]")
            and ('"KEY"' in kind and '"VALUE"' in kind)
        ):
            # BigQuery-style tags, a list of {key, value}: an object, as FOCUS defines Tags
            # (kept as the list when a key repeats, since an object cannot hold it twice).
            entries = f"list_transform({ref}, lambda e: {{'k': e.key, 'v': e.value}})"
            as_object = f"TRY(CAST(to_json(map_from_entries({entries})) AS VARCHAR))"
            text = f"coalesce({as_object}, CAST(to_json({ref}) AS VARCHAR))"
        elif kind.startswith(("MAP", "STRUCT")) or kind.endswith("[]"):
            text = f"CAST(to_json({ref}) AS VARCHAR)"
        else:
            text = f"nullif(CAST({ref} AS VARCHAR), '')"
        return f"nullif({text}, '{{}}')" if target == "JSON" else text
    return f"CAST({ref} AS {target})"


# -- value checks ---------------------------------------------------------------------------
def check_currency_codes(codes: Iterable[str | None], *, where: str) -> None:
    """Every billing currency must be an ISO 4217 code (never guessed, never converted)."""
    for code in codes:
        if code is None or code not in ISO_4217:
            raise InputError(
                f"unknown currency {code!r} in {where}: expected an ISO 4217 code such as USD"
            )


# -- progress -------------------------------------------------------------------------------
class Reporter:
    """Progress of one ingest: a tqdm bar on a terminal, a callback in the app, else silent."""

    def __init__(
        self,
        description: str,
        callback: ProgressCallback | None = None,
        *,
        thread_hook: Callable[[threading.Thread], None] | None = None,
    ) -> None:
        # The callback may run on a polling thread (see watch_query); ``thread_hook`` lets
        # the app attach its UI context to that thread before it starts.
        self.description = description
        self.callback = callback
        self.thread_hook = thread_hook
        self.fraction = 0.0
        self._bar: tqdm[Any] | None = None
        if callback is None and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=100, desc=description, unit="%", leave=False, file=sys.stderr)

    @property
    def active(self) -> bool:
        return self.callback is not None or self._bar is not None

    def update(self, fraction: float, message: str) -> None:
        self.fraction = min(max(fraction, self.fraction), 1.0)
        if self.callback is not None:
            self.callback(self.fraction, message)
        if self._bar is not None:
            self._bar.set_postfix_str(message, refresh=False)
            self._bar.update(round(self.fraction * 100) - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def watch_query(
    con: duckdb.DuckDBPyConnection, reporter: Reporter, start: float, end: float, message: str
) -> Iterator[None]:
    """Move the reporter from ``start`` to ``end`` as DuckDB reports the running query's progress.

    A long INSERT is one statement, so without this the bar would sit still for minutes.
    """
    reporter.update(start, message)
    # DuckDB's own bar would print to stderr (into cron logs) on long statements.
    con.execute("SET enable_progress_bar_print = false")
    if not reporter.active:
        yield
        return
    con.execute("SET enable_progress_bar = true")
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            percent = con.query_progress()
            if percent >= 0:
                reporter.update(start + (end - start) * percent / 100.0, message)

    thread = threading.Thread(target=poll, daemon=True)
    if reporter.thread_hook is not None:
        reporter.thread_hook(thread)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
    reporter.update(end, message)
