"""CSV that opens cleanly in a spreadsheet: ISO dates, plain numbers, no live formulas."""

from __future__ import annotations

import io
import re
import sys
import uuid
import zipfile
from pathlib import Path

import pandas as pd

from forecasting.errors import InputError
from forecasting.store.core import is_database_file

# A cell that starts with one of these is run as a formula by Excel, Sheets and LibreOffice
# ("CSV injection"). Numbers such as -12.5 or +3 are data, so they stay as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# A reader that ends lines at a bare CR (old Excel for Mac, some importers) starts a row at
# each line break inside a cell, so every line of a cell is guarded, not only the first.
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def neutralise(value: object) -> object:
    """Prefix each line of a text cell that a spreadsheet would evaluate with a single quote."""
    if not isinstance(value, str):
        return value
    parts = _LINE_BREAK.split(value)
    # split keeps the separators at odd positions; the lines are at even ones
    for i in range(0, len(parts), 2):
        line = parts[i]
        if line.startswith(_FORMULA_START) and not _NUMBER.match(line):
            parts[i] = "'" + line
    return "".join(parts)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot run as formulas."""
    out = frame.copy()
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header, no index column, dates as ISO strings; CR or LF cells quoted."""
    safe = safe_frame(frame)
    # Python's csv module (3.11) quotes a cell holding LF but not one holding a bare CR, which
    # a CR-splitting reader then cuts into two rows. A CR is written as a marker holding LF
    # (so the cell is quoted) and put back afterwards; the marker is random, so never data.
    marker = f"\n{uuid.uuid4().hex}"
    has_cr = False
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            held = safe[col].map(lambda v: isinstance(v, str) and "\r" in v)
            if held.any():
                has_cr = True
                safe.loc[held, col] = safe.loc[held, col].str.replace("\r", marker, regex=False)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    text = buffer.getvalue()
    return (text.replace(marker, "\r") if has_cr else text).encode("utf-8")


def write_csv(frame: pd.DataFrame, dest: str) -> None:
    """Write to a path, or to stdout when ``dest`` is ``-``; a file is replaced atomically."""
    data = to_csv_bytes(frame)
    if dest == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(dest)
    _refuse_destination(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror}", parameter="--csv") from None


def _refuse_destination(path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file name", parameter="--csv")
    if not path.parent.is_dir():
        raise InputError(f"no folder {path.parent} to write {path.name} in", parameter="--csv")
    if is_database_file(path):
        # `--csv` given the `--db` path would replace the database with a CSV.
        raise InputError(
            f"{path} is a DuckDB database: capcost never writes a CSV over it", parameter="--csv"
        )


def zip_csvs(tables: dict[str, pd.DataFrame]) -> bytes:
    """One zip holding ``<name>.csv`` per table, each written as ``to_csv_bytes`` does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", to_csv_bytes(frame))
    return buffer.getvalue()
