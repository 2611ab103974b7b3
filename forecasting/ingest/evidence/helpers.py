"""Pure checks of the CDN analytics and pg_stat_statements frames: every bad cell is refused
with its file, row (as a spreadsheet numbers it: the header is row 1) and column."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from forecasting.errors import InputError

_SEPARATORS = re.compile(r"[\s_\-]+")
_INTEGER = re.compile(r"^-?\d+$")


def normalise(name: str) -> str:
    return _SEPARATORS.sub("", name.strip().lower())


def pick_columns(
    frame: pd.DataFrame,
    required: Mapping[str, tuple[str, ...]],
    optional: Mapping[str, tuple[str, ...]],
    file: str,
) -> pd.DataFrame:
    """The frame's columns renamed to ours; a required column that is absent is an error."""
    found = {normalise(c): c for c in frame.columns}
    renames, missing = {}, []
    for ours, names in {**required, **optional}.items():
        hit = next((found[n] for n in names if n in found), None)
        if hit is not None:
            renames[hit] = ours
        elif ours in required:
            missing.append(f"{ours} (or {', '.join(names[1:])})" if names[1:] else ours)
    if missing:
        raise InputError(f"missing columns: {'; '.join(missing)}", file=file)
    return frame[list(renames)].rename(columns=renames)


def _fail(file: str, frame: pd.DataFrame, bad: pd.Series, column: str, what: str) -> InputError:
    row = int(bad.to_numpy().nonzero()[0][0])
    value = frame[column].iloc[row]
    return InputError(f"{value!r} is not {what}", file=file, row=row + 2, column=column)


def numbers(frame: pd.DataFrame, columns: list[str], file: str) -> pd.DataFrame:
    """Non-negative numbers (blank is not zero: a missing count is refused, not guessed)."""
    out = frame.copy()
    for col in columns:
        values = pd.to_numeric(frame[col].str.strip(), errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            raise _fail(file, frame, bad, col, "a non-negative number")
        out[col] = values.astype(float)
    return out


def days(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """ISO dates (a timestamp is cut to its UTC day)."""
    parsed = pd.to_datetime(frame[column].str.strip(), errors="coerce", utc=True, format="ISO8601")
    if parsed.isna().any():
        raise _fail(file, frame, parsed.isna(), column, "a date (YYYY-MM-DD)")
    return parsed.dt.tz_localize(None).dt.normalize()


def not_above(frame: pd.DataFrame, part: str, whole: str, file: str) -> None:
    bad = frame[part] > frame[whole]
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{frame[part].iloc[row]:,.0f} {part} exceed {frame[whole].iloc[row]:,.0f} {whole}",
            file=file,
            row=row + 2,
            column=part,
        )


def query_ids(frame: pd.DataFrame, file: str) -> pd.Series:
    """pg_stat_statements' queryid: a signed 64-bit integer."""
    text = frame["queryid"].str.strip()
    ok = text.str.match(_INTEGER)
    ints = pd.Series(0, index=frame.index, dtype="int64")
    if ok.all():
        as_int = text.map(int)
        ok = as_int.between(-(2**63), 2**63 - 1)
        ints = as_int.where(ok, 0).astype("int64")
    if not ok.all():
        raise _fail(file, frame, ~ok, "queryid", "a 64-bit integer query id")
    return ints
