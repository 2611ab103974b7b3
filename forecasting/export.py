"""CSV that opens cleanly in a spreadsheet: ISO dates, plain numbers, no live formulas."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd

from forecasting.errors import InputError
from forecasting.store.core import is_database_file

# A cell that starts with one of these is run as a formula by Excel, Sheets and LibreOffice
# ("CSV injection"). Numbers such as -12.5 or +3 are data, so they stay as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: object) -> object:
    """Prefix a text cell that a spreadsheet would evaluate with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot run as formulas."""
    out = frame.copy()
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header, no index column, dates as ISO strings."""
    buffer = io.StringIO()
    safe_frame(frame).to_csv(buffer, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


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
