"""Source files: local paths, folders and globs, S3 prefixes, CSV headers and columns."""

from __future__ import annotations

import csv
import glob
import gzip
import re
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.errors import InputError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
DATA_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES
NULL_STRINGS = ("", "NULL")


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


def duckdb_path(path: str | Path) -> str:
    """The path as DuckDB must be given it to read exactly that file.

    DuckDB treats ``*``, ``?`` and ``[`` in any path as a glob, so ``x*.csv`` would read its
    neighbours too; each is escaped as a one-character class (``[*]``).
    """
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def literal_path(text: str) -> str:
    """Undo ``duckdb_path`` (for the paths DuckDB reports back)."""
    return re.sub(r"\[([*?\[])\]", r"\1", text)


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
    from forecasting.ingest.aws import api_errors

    bucket, prefix = split_s3_url(url)
    paths: list[Path] = []
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    with api_errors("S3", url):  # no credentials, a bad endpoint, access denied: one line
        for page in pages:
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
    except UnicodeDecodeError as exc:
        raise InputError(not_utf8(path, exc), file=str(path)) from None
    except (OSError, EOFError, zlib.error) as exc:
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


def not_utf8(path: Path, exc: UnicodeDecodeError) -> str:
    """Where the first byte that is not UTF-8 is (the decoder's offset is into its buffer)."""
    opener: Any = gzip.open if str(path).lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n")
        where = "the header" if line == 0 else f"row {line}"
        byte = data[err.start : err.start + 1].hex()
        return f"byte 0x{byte} in {where} is not UTF-8: save the file as UTF-8 (it may be Latin-1)"
    except (OSError, EOFError, zlib.error):
        pass
    return f"the file is not UTF-8 ({exc.reason}): save it as UTF-8"
